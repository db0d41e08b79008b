"""Write generated sections of benchmarks/RESULTS.md.

Each benchmark script owns one section between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``
and rewrites it whole, with the command that produced it, so no figure is ever edited by hand.
"""

from __future__ import annotations

import platform
import re
import shlex
import statistics
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# zhseg benchmark results\n\nEvery section below is written by the command named in it; rerun that command to refresh it.\n"


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    command = "python " + shlex.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = (f"<!-- {name}:start -->\n{body.rstrip()}\n\nProduced by `{command}` on {stamp} "
             f"({platform.machine()}, {platform.python_implementation()} {platform.python_version()}).\n"
             f"<!-- {name}:end -->")
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def markdown_table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def round_times(runs: list, repeat: int) -> list[list[float]]:
    """The seconds of each of ``runs`` in each of ``repeat`` rounds (``[run][round]``). Each round
    runs them all in turn, so a slow spell of the shared machine falls on every one of them."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for i, run in enumerate(runs):
            started = time.perf_counter()
            run()
            times[i].append(time.perf_counter() - started)
    return times


def best_times(runs: list, repeat: int) -> list[float]:
    """The fastest of ``repeat`` runs of each of ``runs``, in seconds (the least disturbed by other
    load), taking turns as :func:`round_times` does, so their ratios hold."""
    return [min(times) for times in round_times(runs, repeat)]


def paired_ratio(ours: list[float], theirs: list[float]) -> float:
    """How many times faster ``ours`` ran than ``theirs``, from the seconds of rounds in which they
    ran back to back: the median of the rounds' own ratios. A slow spell that spans a round slows
    both and cancels in its ratio; one that hits only one of them moves one ratio, not the median
    (the ratio of the two bests swings with whichever run caught the quietest moment)."""
    return statistics.median(t / o for o, t in zip(ours, theirs, strict=True))


def best_time(run, repeat: int) -> float:
    """:func:`best_times` of one run."""
    return best_times([run], repeat)[0]
