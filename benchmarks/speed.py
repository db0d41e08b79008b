"""Issue 4's speed benchmark: zhseg against jieba, rjieba and the crfsuite tagger, same run,
same input, ratios reported (the machines are shared and noisy; ratios travel, absolute figures
don't).

    python benchmarks/speed.py --model build/core/ctb6-accurate    # writes 'speed-ctb6-accurate-numba'
    python benchmarks/speed.py --model build/core/ctb6-accurate --backend numpy   # '...-numpy'

The section is named after the backend that ran (``auto``: numba when installed).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parent.parent

from results import best_time, best_times, markdown_table, write_section
from zhseg.features.corpus import read_corpus
from zhseg.features.templates import DEFAULT_PRESET
from zhseg import Segmenter
from zhseg.model.segmenter import resolve_backend


def process(command: list[str], stdout_path: Path):
    """A function that runs ``command`` as a whole process, its output to ``stdout_path``."""
    def run():
        with open(stdout_path, "wb") as out:
            subprocess.run(command, cwd=ROOT, check=True, stdout=out, stderr=subprocess.DEVNULL)
    return run


def main(
    model: Path = typer.Option(ROOT / "build" / "core" / f"ctb6-{DEFAULT_PRESET}", help="A model trained on CTB6."),
    corpus: Path = typer.Option(ROOT.parent / "shared" / "corpora" / "ctb6" / "test.txt", help="Gold file whose text is the input."),
    megabytes: float = typer.Option(5.0, help="Repeat the text to at least this many MB."),
    repeat: int = typer.Option(3, help="Timings are the best of this many runs."),
    out: Path = typer.Option(ROOT / "build" / "speed", help="Scratch folder."),
    backend: str = typer.Option("auto", help="Decoder backend: auto (numba when installed), numpy or numba."),
):
    out.mkdir(parents=True, exist_ok=True)
    sentences = [s.text for s in read_corpus(corpus)]
    block = "\n".join(sentences) + "\n"
    copies = max(1, int(-(-megabytes * 1e6 // len(block.encode("utf-8")))))
    big_lines = sentences * copies
    big_file = out / "input.txt"
    big_file.write_text(block * copies, encoding="utf-8")
    chars = sum(map(len, big_lines))
    size_mb = big_file.stat().st_size / 1e6
    print(f"input: {len(big_lines)} lines, {chars} characters, {size_mb:.1f} MB", file=sys.stderr)

    backend = resolve_backend(backend)
    load_times = []
    for _ in range(5):
        started = time.perf_counter()
        segmenter = Segmenter.load(model, backend=backend)
        load_times.append(time.perf_counter() - started)
    load = statistics.median(load_times)
    segmenter.lcut("中国人民银行")  # start-up (numba's import and code loading) is the row below, not the rates
    # what a fresh process waits for before its first words: imports, load, first call (which
    # imports numba and loads its compiled code on that backend)
    first_words = [float(subprocess.run(
        [sys.executable, "-c", "import time; t = time.perf_counter(); "
         f"from zhseg import Segmenter; Segmenter.load({str(model)!r}, backend={backend!r}).lcut('中国人民银行'); "
         "print(time.perf_counter() - t)"], cwd=ROOT, check=True, capture_output=True, text=True).stdout)
        for _ in range(3)]
    reference = Segmenter.load(model, backend="crfsuite", rules=False)

    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    rows = []

    fast_output: list = []
    bulk, jieba_bulk = (chars / t for t in best_times(
        [lambda: fast_output.__setitem__(slice(None), segmenter.cut_lines(big_lines)),
         lambda: [jieba.lcut(x) for x in big_lines]], repeat))
    rows.append(["bulk `cut_lines` vs `jieba.lcut` per line (chars/s)", f"{bulk:,.0f}", f"{jieba_bulk:,.0f}",
                 f"{bulk / jieba_bulk:.2f}", ">= 4"])
    crf_output: list = []
    crf_bulk = chars / best_time(lambda: crf_output.__setitem__(slice(None), reference.cut_lines(big_lines)), 1)
    rows.append(["bulk vs the crfsuite tagger path, same features (chars/s)", f"{bulk:,.0f}", f"{crf_bulk:,.0f}",
                 f"{bulk / crf_bulk:.2f}", ">= 10"])
    identical = sum(a == b for a, b in zip(fast_output, crf_output))
    try:
        import rjieba

        rjieba_bulk = chars / best_time(lambda: [rjieba.cut(x) for x in big_lines], repeat)
        rows.append(["bulk vs rjieba (Rust port, reference only) (chars/s)", f"{bulk:,.0f}", f"{rjieba_bulk:,.0f}",
                     f"{bulk / rjieba_bulk:.2f}", "-"])
    except ImportError:
        rows.append(["bulk vs rjieba", "-", "not installed (`pip install rjieba`)", "-", "-"])

    few = sentences  # one pass over the original sentences, one call each
    few_chars = sum(map(len, few))
    per_call, jieba_call = (few_chars / t for t in best_times(
        [lambda: [segmenter.lcut(x) for x in few], lambda: [jieba.lcut(x) for x in few]], max(repeat, 5)))
    rows.append([f"per-call `cut` vs `jieba.lcut`, {len(few)} sentences (chars/s)", f"{per_call:,.0f}",
                 f"{jieba_call:,.0f}", f"{per_call / jieba_call:.2f}", ">= 1"])

    python = sys.executable
    segment = [python, "segment.py", "--model", str(model), "--backend", backend]
    ours, theirs, two = best_times([process(segment + [str(big_file)], out / "zhseg.txt"),
                                    process([python, "-m", "jieba", "-d", " ", str(big_file)], out / "jieba.txt"),
                                    process(segment + [str(big_file), "--jobs", "2"], out / "zhseg2.txt")], repeat)
    rows.append([f"`segment.py` vs `python -m jieba` on the {size_mb:.1f} MB file (s, whole process)",
                 f"{ours:.2f}", f"{theirs:.2f}", f"{theirs / ours:.2f}", ">= 3"])
    same = (out / "zhseg2.txt").read_bytes() == (out / "zhseg.txt").read_bytes()
    rows.append([f"`segment.py --jobs 2` vs `--jobs 1`, {size_mb:.1f} MB file (s)", f"{two:.2f}", f"{ours:.2f}",
                 f"{ours / two:.2f}", ">= 1.8"])
    larger = out / "input-x10.txt"  # start-up costs are fixed: a larger file shows the scaling
    larger.write_text(block * copies * 10, encoding="utf-8")
    one_large, two_large = best_times([process(segment + [str(larger)], out / "zhseg-x10.txt"),
                                       process(segment + [str(larger), "--jobs", "2"], out / "zhseg2-x10.txt")], repeat)
    same = same and (out / "zhseg2-x10.txt").read_bytes() == (out / "zhseg-x10.txt").read_bytes()
    rows.append([f"`segment.py --jobs 2` vs `--jobs 1`, {larger.stat().st_size / 1e6:.0f} MB file (s)",
                 f"{two_large:.2f}", f"{one_large:.2f}", f"{one_large / two_large:.2f}", ">= 1.8"])
    rows.append(["model load (s, median of 5)", f"{load:.3f}", "-", "-", "<= 0.5"])
    rows.append(["fresh process to its first words: imports, load, first `cut` (s, best of 3)",
                 f"{min(first_words):.2f}", "-", "-", "-"])

    # one 1 MB line without whitespace, in a fresh process so its peak memory is its own
    long_line = out / "one-line.txt"
    long_line.write_text((block.replace("\n", "") * 16)[: 350_000] + "\n", encoding="utf-8")
    probe = ("import sys, time; from zhseg import Segmenter; from zhseg.peers import peak_memory_mb; "
             f"s = Segmenter.load({str(model)!r}, backend={backend!r}); line = open({str(long_line)!r}, encoding='utf-8').read().strip(); "
             "before = peak_memory_mb(); t = time.perf_counter(); words = s.lcut(line); t = time.perf_counter() - t; "
             "print(''.join(words) == line, round(t, 2), round(peak_memory_mb()), round(before))")
    ok, seconds, peak, before = subprocess.run([python, "-c", probe], cwd=ROOT, check=True, capture_output=True,
                                               text=True).stdout.split()
    rows.append([f"one {long_line.stat().st_size / 1e6:.1f} MB line: seconds, peak memory (MB; before the call), words join back",
                 f"{seconds} s, {peak} MB ({before}), {ok}", "-", "-", "correct, bounded"])

    table = markdown_table(["measure", "zhseg", "peer", "zhseg advantage", "target"], rows)
    body = (f"## Speed: {model.name}\n\nInput: the text of `{corpus.parent.name}/{corpus.name}` repeated to {size_mb:.1f} MB "
            f"({len(big_lines)} lines, {chars:,} characters); model `{model.name}` "
            f"({segmenter.meta['feature_preset']} features), backend `{backend}`. Best of {repeat} runs, one process unless "
            f"stated. Advantage = zhseg speed / peer speed.\n\n{table}\n\n"
            f"Identical output, {backend} backend vs python-crfsuite's tagger: {identical:,} of {len(big_lines):,} "
            f"lines. `--jobs 2` output identical to `--jobs 1`: {same}.")
    write_section(f"speed-{model.name}-{backend}", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
