"""zhseg benchmark: zhseg models side by side with jieba and other segmenters on one gold file.

    python benchmark.py --test GOLD [--train TRAIN] [--model DIR ...] [--json F] [--markdown F] [--plot F.png]

Each system segments the same text in a fresh subprocess (so one system's memory or caches do not
affect another), reporting load time, segmentation time and peak memory; the parent scores the
output with the same scorer as ``evaluate``.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Optional

import typer

from features.corpus import FORMATS, Sentence, read_corpus, split_words
from features.errors import UserError, exit_on_user_error
from features.fileio import atomic_output, read_lines
from evaluate import read_word_list
from features.metrics import score_sentences


@dataclass
class System:
    """One segmenter to run: ``kind`` picks the adapter in :func:`load_system`."""

    name: str
    kind: str
    path: str | None = None
    install: str | None = None


@dataclass
class Row:
    system: str
    status: str
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    oov_recall: float | None = None
    iv_recall: float | None = None
    chars_per_second: float | None = None
    load_seconds: float | None = None
    peak_memory_mb: float | None = None


# -- running inside the worker subprocess ----------------------------------------------------------
def load_system(system: System):
    """Return a function from a list of lines to a list of word lists (each system's fastest
    documented way: zhseg's bulk ``cut_lines``, the others' per-line ``cut``)."""
    if system.kind == "zhseg":
        from model import Segmenter

        segmenter = Segmenter.load(system.path)
        segmenter.cut("中国")  # load time includes what a first call loads (numba), as jieba's its dictionary
        return lambda lines: list(segmenter.cut_lines(lines))
    per_line = _load_per_line(system)
    return lambda lines: [per_line(line) for line in lines]


def _load_per_line(system: System):
    if system.kind in ("jieba", "jieba-nohmm", "jieba-dict"):
        import jieba

        jieba.setLogLevel(60)
        tokenizer = jieba.Tokenizer(dictionary=system.path) if system.kind == "jieba-dict" else jieba.Tokenizer()
        tokenizer.initialize()
        hmm = system.kind != "jieba-nohmm"
        return lambda text: tokenizer.lcut(text, HMM=hmm)
    if system.kind == "rjieba":
        import rjieba

        return rjieba.cut
    if system.kind == "pkuseg":
        import spacy_pkuseg

        # user_dict=None: the retrained model alone, as zhseg and published same-data figures are;
        # pkuseg's default dictionary follows another segmentation standard
        segmenter = spacy_pkuseg.pkuseg(model_name=system.path, user_dict=None)
        return segmenter.cut
    if system.kind == "thulac":
        import thulac

        segmenter = thulac.thulac(seg_only=True)
        return lambda text: [word for word, _ in segmenter.cut(text)]
    raise ValueError(f"unknown system kind {system.kind!r}")


def worker(spec: str, input_path: str, output_path: str) -> None:
    """Segment ``input_path`` line by line with one system; write words and a JSON timing line."""
    system = System(**json.loads(spec))
    started = time.perf_counter()
    cut = load_system(system)
    load_seconds = time.perf_counter() - started
    lines = Path(input_path).read_text(encoding="utf-8").split("\n")[:-1]
    started = time.perf_counter()
    results = cut(lines)
    seconds = time.perf_counter() - started
    with open(output_path, "w", encoding="utf-8") as out:
        for words in results:
            out.write(" ".join(w for word in words for w in word.split()) + "\n")
    print(json.dumps({"load_seconds": load_seconds, "seconds": seconds, "peak_memory_mb": peak_memory_mb()}))


def peak_memory_mb() -> float | None:
    """This process's peak resident memory in MB.

    Linux's VmHWM, because ru_maxrss survives exec: a child of a large parent would report the
    parent's size. Elsewhere ru_maxrss (bytes on macOS), or None on Windows.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# -- the parent --------------------------------------------------------------------------------
def available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def choose_systems(models: list[Path], train_dict: Path | None, pkuseg_model: str | None) -> list[System]:
    systems = [System(f"zhseg ({m.name})", "zhseg", str(m)) for m in models]
    systems += [System("jieba (HMM on)", "jieba", install="pip install jieba"),
                System("jieba (HMM off)", "jieba-nohmm", install="pip install jieba")]
    if train_dict:
        systems.append(System("jieba (train dict)", "jieba-dict", str(train_dict), install="pip install jieba"))
    systems.append(System("rjieba", "rjieba", install="pip install rjieba"))
    systems.append(System(f"pkuseg ({Path(pkuseg_model).name if pkuseg_model else 'no --pkuseg-model'})", "pkuseg", pkuseg_model,
                          install="pip install spacy-pkuseg, then pass --pkuseg-model DIR"))
    systems.append(System("thulac", "thulac", install="pip install thulac"))
    return systems


def skip_reason(system: System) -> str | None:
    module = {"zhseg": "numpy", "jieba": "jieba", "jieba-nohmm": "jieba", "jieba-dict": "jieba",
              "rjieba": "rjieba", "pkuseg": "spacy_pkuseg", "thulac": "thulac"}[system.kind]
    if not available(module):
        return f"skipped: not installed ({system.install})"
    if system.kind == "pkuseg" and not system.path:
        return "skipped: needs --pkuseg-model DIR (a model trained with spacy_pkuseg.train)"
    return None


def write_jieba_dictionary(train: list[Sentence], path: Path) -> None:
    counts = collections.Counter(w for s in train for w in s.words)
    with open(path, "w", encoding="utf-8") as out:
        for word, count in counts.most_common():
            if " " not in word:
                out.write(f"{word} {count}\n")


def run_system(system: System, input_path: Path, scratch: Path, gold: list[Sentence], vocabulary,
               chars: int) -> Row:
    output = scratch / f"{abs(hash(system.name))}.txt"
    result = subprocess.run([sys.executable, "-m", "benchmark", "_worker", json.dumps(asdict(system)),
                             str(input_path), str(output)], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return Row(system.name, f"failed: {last[:120]}")
    timing = json.loads(result.stdout.strip().splitlines()[-1])
    predicted = [Sentence(s.line_no, split_words(line)) for s, (_, line) in zip(gold, read_lines(output))]
    try:
        scores = score_sentences(gold, predicted, vocabulary, gold_name="gold", pred_name=system.name)
    except UserError as error:
        return Row(system.name, f"failed: {error}")
    return Row(system.name, "ok", scores.precision, scores.recall, scores.f1, scores.oov_recall,
               scores.iv_recall, chars / timing["seconds"] if timing["seconds"] else None,
               timing["load_seconds"], timing["peak_memory_mb"])


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def markdown(rows: list[Row], title: str) -> str:
    lines = [f"### {title}", "", "| system | P | R | F1 | OOV R | IV R | chars/s | load s | peak MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.status != "ok":
            lines.append(f"| {r.system} | {r.status} ||||||||")
            continue
        lines.append(f"| {r.system} | {percent(r.precision)} | {percent(r.recall)} | {percent(r.f1)} | "
                     f"{percent(r.oov_recall)} | {percent(r.iv_recall)} | {r.chars_per_second:,.0f} | "
                     f"{r.load_seconds:.2f} | {r.peak_memory_mb or 0:.0f} |")
    return "\n".join(lines)


def plot(rows: list[Row], path: Path, title: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("--plot needs matplotlib: pip install 'zhseg[plot]'") from None
    done = [r for r in rows if r.status == "ok" and r.chars_per_second]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for r in done:
        axes.scatter(r.chars_per_second, 100 * r.f1, s=40)
        axes.annotate(r.system, (r.chars_per_second, 100 * r.f1), textcoords="offset points", xytext=(5, 4), fontsize=8)
    axes.set_xscale("log")
    axes.margins(x=0.15, y=0.08)  # room for the labels
    axes.set_xlabel("characters per second (log scale)")
    axes.set_ylabel("F1 (%)")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    temporary = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(temporary, dpi=120)
    temporary.replace(path)


@exit_on_user_error
def main(
    test: Path = typer.Option(..., "--test", help="Gold segmented test file."),
    train: Optional[Path] = typer.Option(None, "--train", help="Training file: OOV vocabulary and a jieba dictionary."),
    models: Optional[List[Path]] = typer.Option(None, "--model", "-m", help="zhseg model directory (repeatable)."),
    words: Optional[Path] = typer.Option(None, "--words", help="Vocabulary for OOV statistics (default: --train's words, else the first model's)."),
    pkuseg_model: Optional[str] = typer.Option(None, "--pkuseg-model", help="spacy-pkuseg model directory."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the rows as JSON here."),
    markdown_path: Optional[Path] = typer.Option(None, "--markdown", help="Also write a Markdown table here."),
    plot_path: Optional[Path] = typer.Option(None, "--plot", help="Also draw F1 against speed to this PNG (needs matplotlib)."),
    title: Optional[str] = typer.Option(None, "--title", help="Title of the table and plot (default: the test file)."),
    sep: Optional[str] = typer.Option(None, "--sep", help="Extra word separator in the gold files."),
    fmt: str = typer.Option("text", "--format", help=f"Format of the gold files: {', '.join(FORMATS)}."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of the gold files."),
) -> None:
    """Compare segmenters on one gold file: accuracy, speed, load time and memory."""
    from rich.progress import track

    models = list(models or [])
    if not models:
        raise UserError("give at least one --model DIR (zhseg has no built-in default model yet)")
    reading = {"sep": sep, "fmt": fmt, "encoding": encoding}
    gold = read_corpus(test, **reading)
    train_sentences = read_corpus(train, **reading) if train else None
    if words:
        vocabulary = read_word_list(words, encoding)
    elif train_sentences:
        vocabulary = frozenset(w for s in train_sentences for w in s.words)
    else:
        from model import Segmenter

        vocabulary = Segmenter.load(models[0]).vocabulary
    title = title or f"{test.parent.name}/{test.name}"
    chars = sum(len(s.text) for s in gold)
    rows = []
    with tempfile.TemporaryDirectory(prefix="zhseg-benchmark-") as scratch_name:
        scratch = Path(scratch_name)
        input_path = scratch / "input.txt"
        input_path.write_text("".join(s.text + "\n" for s in gold), encoding="utf-8")
        train_dict = None
        if train_sentences:
            train_dict = scratch / "jieba-train-dict.txt"
            write_jieba_dictionary(train_sentences, train_dict)
        systems = choose_systems(models, train_dict, pkuseg_model)
        for system in track(systems, description="benchmarking", transient=True, console=_stderr_console()):
            reason = skip_reason(system)
            rows.append(Row(system.name, reason) if reason else
                        run_system(system, input_path, scratch, gold, vocabulary, chars))
    table = markdown(rows, f"{title}: {len(gold)} sentences, {chars:,} characters")
    print(table)
    if json_path:
        with atomic_output(json_path) as out:
            json.dump({"test": str(test), "train": str(train) if train else None, "chars": chars,
                       "rows": [asdict(r) for r in rows]}, out, ensure_ascii=False, indent=2)
    if markdown_path:
        with atomic_output(markdown_path) as out:
            out.write(table + "\n")
    if plot_path:
        plot(rows, plot_path, title)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["_worker"]:
        worker(*sys.argv[2:5])
    else:
        typer.run(main)
