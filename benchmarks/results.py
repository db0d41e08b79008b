"""Write generated sections of benchmarks/RESULTS.md.

Each benchmark script owns one section between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``
and rewrites it whole, with the command that produced it, so no figure is ever edited by hand.
"""

from __future__ import annotations

import platform
import re
import shlex
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


def best_times(runs: list, repeat: int) -> list[float]:
    """The fastest of ``repeat`` runs of each of ``runs``, in seconds (the least disturbed by other
    load). Each round runs them all in turn, so a slow spell of the shared machine falls on every
    one of them and their ratios hold."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for i, run in enumerate(runs):
            started = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - started)
    return best


def best_time(run, repeat: int) -> float:
    """:func:`best_times` of one run."""
    return best_times([run], repeat)[0]
