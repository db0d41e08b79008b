"""``zhseg benchmark``: zhseg models side by side with jieba and other segmenters on one gold file.

    zhseg benchmark --test GOLD [--train TRAIN] [--model DIR ...] [--json F] [--markdown F] [--plot F.png]

The systems and how each is run are in :mod:`zhseg.peers`; this module is the command and its
reports. (The repository's ``benchmarks/`` folder is something else: the scripts that write
``benchmarks/RESULTS.md``.)
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import List, Optional

import typer

from zhseg.cli.segment import NO_RULES_HELP, STANDARD_HELP, USER_DICT_HELP
from zhseg.errors import UserError, exit_on_user_error
from zhseg.features.corpus import FORMATS, read_corpus, read_word_list
from zhseg.model.constraints import read_user_dict
from zhseg.peers import Row, choose_systems, run_system, skip_reason, write_jieba_dictionary
from zhseg.textio import atomic_output, check_output_path


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
def benchmark_command(
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
    user_dicts: List[Path] = typer.Option([], "--user-dict", "-u", help=USER_DICT_HELP + " Given to jieba too."),
    no_rules: bool = typer.Option(False, "--no-rules", metavar="", help=NO_RULES_HELP),
    standard: Optional[str] = typer.Option(None, "--standard", help=STANDARD_HELP),
) -> None:
    """Compare segmenters on one gold file: accuracy, speed, load time and memory."""
    from rich.progress import track

    for path in user_dicts:
        read_user_dict(path)  # a bad dictionary fails now, not in every system's subprocess
    for path in (json_path, markdown_path, plot_path):
        if path is not None:
            check_output_path(path)  # before the benchmark runs, not after
    from zhseg.model.store import model_or_default

    models = list(models or []) or [model_or_default(None)]  # no --model: the embedded default model
    reading = {"sep": sep, "fmt": fmt, "encoding": encoding}
    gold = read_corpus(test, **reading)
    train_sentences = read_corpus(train, **reading) if train else None
    if words:
        vocabulary = read_word_list(words, encoding)
    elif train_sentences:
        vocabulary = frozenset(w for s in train_sentences for w in s.words)
    else:
        from zhseg.model.segmenter import Segmenter

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
        systems = choose_systems(models, train_dict, pkuseg_model, tuple(str(p.resolve()) for p in user_dicts),
                                 not no_rules, standard)
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
