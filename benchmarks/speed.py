"""Speed and memory of the model users get, called as they call it, beside jieba and rjieba in
the same run (the machines are shared and noisy: ratios travel, absolute figures don't).

    python benchmarks/speed.py                       # the embedded default model: 'speed-default'
    python benchmarks/speed.py --model build/core/ctb6-accurate --name ctb6-accurate

Rows: per call (one sentence at a time, ``zhseg.lcut`` for the default model) against
``jieba.lcut``; bulk in one process against rjieba; whole processes (``zhseg segment`` against
``python -m jieba -d ' '``) on a file of ``--megabytes``, with their peak memory; ``--jobs 2``
against ``--jobs 1``, beside what two threads of plain C code get on the machine; a fresh process
to its first words; the numpy path beside the compiled core, and whether their words are
identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"

from results import best_time, markdown_table, paired_ratio, round_times, write_section
from zhseg.features.corpus import read_corpus

# what a whole process peaks at: its own VmHWM, read by a small wrapper around it
PEAK = ("import resource, subprocess, sys\n"
        "with open(sys.argv[1], 'wb') as out: subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")


def whole_processes(commands: list[tuple[list[str], Path]], runs: int) -> list[tuple[list[float], float]]:
    """Per ``(command, output)`` (stdout to ``output``), the seconds of each of ``runs`` runs and the
    highest peak resident MB (of the largest process) among them; each round runs every command in
    turn, so a slow spell of the shared machine falls on all of them, as in ``round_times``."""
    seconds: list[list[float]] = [[] for _ in commands]
    peaks: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for k, (command, output) in enumerate(commands):
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "-c", PEAK, str(output), *command], cwd=ROOT, check=True,
                                    capture_output=True, text=True)
            seconds[k].append(time.perf_counter() - started)
            peaks[k].append(float(result.stdout))
    return [(s, max(p)) for s, p in zip(seconds, peaks)]


def ratio_cell(ours: list[float], theirs: list[float]) -> str:
    """A ratio cell of peers that took turns: the median of their rounds' ratios, and beside it the
    ratio of their bests (the speed columns), which one lucky round can move."""
    return f"{paired_ratio(ours, theirs):.2f} (bests: {min(theirs) / min(ours):.2f})"


def two_thread_speedup(data: bytes, rounds: int) -> float:
    """What two threads give on this machine at all: ``zlib.compress`` of ``data`` (a compute-bound C
    loop that releases the GIL and keeps its window in cache) on two threads at once against twice
    on one, the median of paired rounds. Shared 2-core machines give well under 2 (their cores'
    clocks and caches are shared with other tenants): the reference ``--jobs 2`` is read against."""
    import threading
    import zlib

    def twice_here():
        zlib.compress(data, 6)
        zlib.compress(data, 6)

    def on_two_threads():
        threads = [threading.Thread(target=zlib.compress, args=(data, 6)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    here, two = round_times([twice_here, on_two_threads], rounds)
    return paired_ratio(two, here)


def main(
    model: Path = typer.Option(None, help="Model directory (default: the embedded default model)."),
    name: str = typer.Option("default", help="The section's name: speed-NAME."),
    corpus: list[Path] = typer.Option(
        [CORPORA / "ctb6" / "test.txt", CORPORA / "nlpcc2016-weibo" / "test.txt", CORPORA / "sxu-sighan2008" / "test.txt"],
        help="Gold files whose text is the input (news, micro-blogs, news)."),
    megabytes: float = typer.Option(50.0, help="The whole-process runs' file: the text repeated to this many MB."),
    repeat: int = typer.Option(3, help="Per-call rounds."),
    bulk_repeat: int = typer.Option(15, help="Bulk rounds (a fraction of a second each)."),
    process_runs: int = typer.Option(2, help="Whole-process runs of jieba; three times as many of each zhseg setting."),
    out: Path = typer.Option(ROOT / "build" / "speed", help="Scratch folder."),
):
    import zhseg
    from zhseg import Segmenter
    from zhseg.model import core

    out.mkdir(parents=True, exist_ok=True)
    default = model is None
    model = zhseg.default_model_path() if default else model
    sentences = [s.text for path in corpus for s in read_corpus(path)]
    chars = sum(map(len, sentences))
    compiled = Segmenter.load(model, backend="compiled")
    numpy_path = Segmenter.load(model, backend="numpy")
    lcut = zhseg.lcut if default else compiled.lcut
    lcut("中国人民银行")  # loaded: start-up has its own row

    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    rows = []
    calls = round_times([lambda: [lcut(x) for x in sentences], lambda: [jieba.lcut(x) for x in sentences],
                         lambda: [numpy_path.lcut(x) for x in sentences]], repeat)
    per_call, jieba_call, numpy_call = (chars / min(times) for times in calls)
    caller = "zhseg.lcut" if default else "Segmenter.lcut"
    rows.append([f"per call: `{caller}` vs `jieba.lcut`, one sentence at a time (chars/s)", f"{per_call:,.0f}",
                 f"{jieba_call:,.0f}", ratio_cell(calls[0], calls[1]), ">= 3"])
    rows.append(["per call: compiled core vs the numpy path (chars/s)", f"{per_call:,.0f}", f"{numpy_call:,.0f}",
                 ratio_cell(calls[0], calls[2]), "-"])
    try:
        import rjieba
    except ImportError:
        rjieba = None
    # zhseg's and rjieba's runs take turns, round by round, so a slow spell falls on both; each
    # run's result is dropped as it returns, inside its timing, the same for every peer (zhseg's
    # kept until its next run, freed while that built its own, cost it 3% in 30 paired rounds)
    bulks = round_times(
        [lambda: list(compiled.cut_lines(sentences)), lambda: list(compiled.cut_lines(sentences, threads=2))]
        + ([lambda: [rjieba.cut(x) for x in sentences]] if rjieba else []), bulk_repeat)
    bulk, bulk2, *rjieba_bulk = (chars / min(times) for times in bulks)
    ours = list(compiled.cut_lines(sentences))
    reference = list(numpy_path.cut_lines(sentences))
    numpy_bulk = chars / best_time(lambda: list(numpy_path.cut_lines(sentences)), 1)
    identical = sum(a == b for a, b in zip(ours, reference))
    if rjieba:
        rjieba_bulk = rjieba_bulk[0]
        rows.append(["bulk, one process: `cut_lines` vs a rjieba loop (chars/s)", f"{bulk:,.0f}", f"{rjieba_bulk:,.0f}",
                     ratio_cell(bulks[0], bulks[2]), ">= 1.0"])
        rows.append(["bulk, one process, two threads: `cut_lines(threads=2)` vs a rjieba loop (chars/s)",
                     f"{bulk2:,.0f}", f"{rjieba_bulk:,.0f}", ratio_cell(bulks[1], bulks[2]), "-"])
    else:
        rows.append(["bulk vs rjieba", f"{bulk:,.0f}", "not installed (`pip install rjieba`)", "-", ">= 1.0"])
    rows.append(["bulk: compiled core vs the numpy path (chars/s)", f"{bulk:,.0f}", f"{numpy_bulk:,.0f}",
                 f"{bulk / numpy_bulk:.2f}", "-"])

    block = "\n".join(sentences) + "\n"
    big = out / "input.txt"
    big.write_text(block * max(1, int(-(-megabytes * 1e6 // len(block.encode("utf-8"))))), encoding="utf-8")
    size = big.stat().st_size / 1e6
    segment = [sys.executable, "-m", "zhseg", "segment", str(big)] + ([] if default else ["--model", str(model)])
    # zhseg's two settings take turns, paired round by round, for three times jieba's rounds
    # (seconds each, against jieba's minute): more rounds, a steadier median of their ratios
    (ones, one_peak), (twos, two_peak) = whole_processes(
        [(segment, out / "zhseg.txt"), (segment + ["--jobs", "2"], out / "zhseg2.txt")], 3 * process_runs)
    ((jiebas, their_peak),) = whole_processes([([sys.executable, "-m", "jieba", "-d", " ", str(big)], out / "jieba.txt")],
                                             process_runs)
    # jieba's runs are not paired with zhseg's (a minute each, they run apart): the bests' ratio
    one, two, theirs = min(ones), min(twos), min(jiebas)
    same = (out / "zhseg2.txt").read_bytes() == (out / "zhseg.txt").read_bytes()
    rows.append([f"whole process: `zhseg segment` vs `python -m jieba -d ' '`, {size:.0f} MB (s)", f"{one:.1f}",
                 f"{theirs:.1f}", f"{theirs / one:.2f}", ">= 10"])
    rows.append([f"whole process: `--jobs 2` (two threads) vs `--jobs 1`, {size:.0f} MB (s)", f"{two:.1f}", f"{one:.1f}",
                 ratio_cell(twos, ones), ">= 1.8"])
    machine = two_thread_speedup(block.encode("utf-8")[: 8 << 20], 9)
    rows.append(["this machine's own two-thread speed-up: `zlib.compress` on two threads vs twice on one "
                 "(what two threads of plain C code get here: the reference for `--jobs 2`)", "-", "-", f"{machine:.2f}", "-"])
    rows.append([f"whole process: `zhseg segment --jobs 2` vs `python -m jieba -d ' '`, {size:.0f} MB (s)", f"{two:.1f}",
                 f"{theirs:.1f}", f"{theirs / two:.2f}", "-"])
    rows.append([f"peak memory of that run, `zhseg segment` vs jieba (MB; `--jobs 2`: {two_peak:.0f})",
                 f"{one_peak:.0f}", f"{their_peak:.0f}", f"{their_peak / one_peak:.2f}", ">= 1 (at most jieba's)"])
    probe = ("import time; t = time.perf_counter(); import zhseg; "
             + ("zhseg.lcut('中国人民银行'); " if default else f"zhseg.load({str(model)!r}).lcut('中国人民银行'); ")
             + "print(time.perf_counter() - t)")
    # as an installed package starts: its modules' bytecode cached (pip compiles it at install; a
    # PYTHONDONTWRITEBYTECODE environment, as on the benchmark machines, would compile zhseg's
    # modules in every process), after one run that writes it
    installed = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    jieba_probe = ("import time; t = time.perf_counter(); import jieba; jieba.setLogLevel(60); "
                   "jieba.lcut('中国人民银行'); print(time.perf_counter() - t)")
    firsts, jieba_first = ([float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                                 text=True, env=installed).stdout) for _ in range(1 + runs)][1:]
                           for code, runs in ((probe, 5), (jieba_probe, 3)))
    rows.append(["fresh process to its first words, bytecode cached as installed (s, best of 5; jieba best of 3)",
                 f"{min(firsts):.2f}",
                 f"{min(jieba_first):.2f}", f"{min(jieba_first) / min(firsts):.2f}", "<= 0.25 s"])
    # one long line without whitespace (5 M characters), in a fresh process: its peak is its own
    long_line = out / "one-line.txt"
    long_line.write_text(("".join(sentences) * (5_000_000 // chars + 1))[:5_000_000] + "\n", encoding="utf-8")
    # (as text, as `zhseg segment` writes it: a list of millions of words would be most of the cost)
    probe = ("import sys, time, zhseg; from zhseg.peers import peak_memory_mb; "
             "line = open(sys.argv[1], encoding='utf-8').read().strip(); seg = zhseg.load(zhseg.default_model_path() "
             f"if {default} else {str(model)!r}); seg.lcut('中国'); before = peak_memory_mb(); "
             "t = time.perf_counter(); text = ''.join(seg.segment_lines([line])); t = time.perf_counter() - t; "
             "print(text.replace(' ', '') == line + chr(10), round(t, 2), round(peak_memory_mb()), round(before), "
             "text.count(' ') + 1)")
    ok, seconds, peak, before, n_words = subprocess.run([sys.executable, "-c", probe, str(long_line)], cwd=ROOT, check=True,
                                                        capture_output=True, text=True).stdout.split()
    per_char = (float(peak) - float(before)) * 1e6 / 5_000_000
    rows.append([f"one line of 5 M characters to text ({int(n_words):,} words): seconds; peak memory above the loaded model",
                 f"{seconds} s; {float(peak) - float(before):.0f} MB ({per_char:.0f} bytes a character), words join "
                 f"back: {ok}", "-", "-", "bounded"])
    # user words: with 100,000 loaded, what one more costs before the next words
    probe = ("import time, zhseg; s = zhseg.load(zhseg.default_model_path()); "
             "[s.add_word(f'词{k:06d}') for k in range(100_000)]; s.lcut('阿里云总裁'); t = time.perf_counter(); "
             "[(s.add_word(f'新词{k}'), s.lcut(f'阿里云总裁新词{k}好')) for k in range(200)]; "
             "print((time.perf_counter() - t) / 200 * 1000)")
    add_ms = float(subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True,
                                  text=True).stdout)
    rows.append(["`add_word` then `lcut`, 100,000 user words loaded (ms each)", f"{add_ms:.2f}", "-", "-", "-"])
    table = markdown_table(["measure", "zhseg", "peer", "ratio (zhseg's advantage)", "target"], rows)
    body = (f"## Speed: {name}\n\nModel: {'the embedded default model' if default else model.name} "
            f"(standard {compiled.standard or '-'}), backend `compiled` (zhseg/_core.c) unless a row says numpy; "
            f"the compiled core's tables hold {compiled._compiled_core().memory / 1e6:.0f} MB. Input: the text of "
            f"{', '.join(p.parent.name + '/' + p.name for p in corpus)} ({len(sentences):,} lines, {chars:,} characters, "
            f"{chars / len(sentences):.0f} a line), repeated to {size:.0f} MB for the whole-process rows "
            f"({3 * process_runs} runs of each zhseg setting, taking turns, and {process_runs} of jieba; the highest peak "
            f"of them). In-process rows: {repeat} rounds per call, {bulk_repeat} in bulk, the peers taking turns. Speeds "
            f"and seconds are each one's best; the ratio of peers that take turns is the median of their rounds' own "
            f"ratios (`paired_ratio` in benchmarks/results.py: the shared machine's slow spells cancel in it), "
            f"the ratio of their bests beside it; against jieba's whole process the ratio of the bests.\n\n{table}\n\n"
            f"The compiled core's words equal the numpy path's on {identical:,} of {len(sentences):,} lines; "
            f"`--jobs 2` output identical to `--jobs 1`: {same}.")
    write_section(f"speed-{name}", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
