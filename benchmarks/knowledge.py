"""Issue 15's measurements: word lists ("open") and several corpora ("multi") past the
closed-setting ceiling.

    python benchmarks/knowledge.py            # trains what is missing, writes the 'knowledge' section
    python benchmarks/knowledge.py --no-train # only scores the models already trained

Settings, as the SIGHAN bakeoffs named them: closed (the corpus's own training split only: the
models of benchmarks/core.py), open (plus named word lists: jieba's MIT-licensed dict.txt, and
the SIGHAN 2005 PKU and MSR training word lists, each list a feature group of its own), multi
(the other annotated corpora too, each keeping its standard), multi + open. Test sets are scored
with their own corpus's standard; dev sets for the ablation, which also turns jieba's
frequencies on (``--dict-bins 2``) and off, and trains on two, three and four corpora.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer

from results import markdown_table, write_section
from zhseg import Segmenter
from zhseg.features.corpus import read_corpus
from zhseg.metrics import score_sentences

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
BUILD = ROOT / "build" / "knowledge"
THREE = ("ctb6", "nlpcc2016-weibo", "sxu-sighan2008")


def jieba_dict() -> Path:
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


SIGHAN_LISTS = [CORPORA / "sighan2005" / "gold" / f"{name}_training_words.utf8" for name in ("pku", "msr")]


def train_command(corpora: tuple[str, ...], word_list: bool, out: Path, more_lists: list[Path] = (),
                  options: list[str] = ()) -> list[str]:
    command = [sys.executable, "train.py", *(str(CORPORA / c / "train.txt") for c in corpora), "-o", str(out)]
    if len(corpora) > 1:
        command += ["--standards", ",".join(corpora)]
    if word_list:
        command += ["--dict", str(jieba_dict())]
    for path in more_lists:
        command += ["--dict", str(path)]
    command += list(options)
    if (CORPORA / corpora[0] / "dev.txt").exists():
        command += ["--dev", str(CORPORA / corpora[0] / "dev.txt")]
    return command


def models() -> list[tuple[str, str, dict[str, Path], list[str] | None]]:
    """(setting, description, model per corpus, training command or None for bench-core's)."""
    rows = [("closed", "own corpus (bench-core's `accurate` models)",
             {c: ROOT / "build" / "core" / f"{c}-accurate" for c in THREE}, None)]
    rows += [("open", "own corpus + jieba's dict.txt", {c: BUILD / f"open-{c}"}, train_command((c,), True, BUILD / f"open-{c}"))
             for c in THREE]
    rows += [("open", "own corpus + jieba's dict.txt in 2 frequency bins", {c: BUILD / f"open-bins2-{c}"},
              train_command((c,), True, BUILD / f"open-bins2-{c}", options=["--dict-bins", "2"]))
             for c in THREE[:2]]
    rows += [("open", "own corpus + jieba's dict.txt + PKU and MSR training words", {c: BUILD / f"open3-{c}"},
              train_command((c,), True, BUILD / f"open3-{c}", SIGHAN_LISTS)) for c in THREE]
    rows.append(("multi", "ctb6 + weibo + sxu", {c: BUILD / "multi" for c in THREE}, train_command(THREE, False, BUILD / "multi")))
    # more or fewer corpora, nothing else changed (the ablation)
    rows.append(("multi", "ctb6 + weibo", {c: BUILD / "multi2" for c in THREE[:2]}, train_command(THREE[:2], False, BUILD / "multi2")))
    rows.append(("multi", "ctb6 + weibo + sxu + udc", {c: BUILD / "multi4" for c in THREE},
                 train_command(THREE + ("udc-ud1.4-hankcs",), False, BUILD / "multi4")))
    rows.append(("multi + open", "ctb6 + weibo + sxu + jieba's dict.txt", {c: BUILD / "multi-open" for c in THREE},
                 train_command(THREE, True, BUILD / "multi-open")))
    # the default model (make default-model): four corpora, standards named ctb6, weibo, sxu, ud
    rows.append(("multi + open", "the default model: ctb6 + weibo + sxu + udc + jieba's dict.txt + PKU and MSR training words",
                 {c: ROOT / "build" / "default-model" for c in THREE}, None))
    return rows


def compiled_mb(model: Path) -> float:
    return sum(f.stat().st_size for f in model.iterdir() if f.name != "model.crfsuite") / 1e6


def training_time(training: dict) -> str:
    """Wall time, and CPU time where the model records it (newer models do): two or
    three trainings often share the two cores, and then only the CPU time says what one costs."""
    wall = f"{training['seconds'] / 60:.0f} min"
    return wall + (f" (CPU {training['cpu_seconds'] / 60:.0f})" if "cpu_seconds" in training else "")


DEFAULT_MODEL_STANDARDS = {"ctb6": "ctb6", "nlpcc2016-weibo": "weibo", "sxu-sighan2008": "sxu"}


def score(model: Path, corpus: str, split: str):
    segmenter = Segmenter.load(model)
    if segmenter.model.standards:
        standard = corpus if corpus in segmenter.model.standards else DEFAULT_MODEL_STANDARDS[corpus]
        segmenter = Segmenter(segmenter.model, standard=standard)
    gold = read_corpus(CORPORA / corpus / f"{split}.txt")
    return score_sentences(gold, segmenter.cut_sentences(gold), segmenter.vocabulary)


def main(no_train: bool = typer.Option(False, "--no-train", help="Score only the models already trained.")):
    BUILD.mkdir(parents=True, exist_ok=True)
    test_rows, dev_rows, commands = [], [], []
    for setting, description, per_corpus, command in models():
        first = next(iter(per_corpus.values()))
        if command is not None:
            commands.append("python " + " ".join(Path(a).name if a == sys.executable else
                                                  str(Path(a).relative_to(ROOT.parent)) if a.startswith(str(ROOT.parent)) else a
                                                  for a in command[1:]))
            if not (first / "meta.json").exists():
                if no_train:
                    continue
                subprocess.run(command, cwd=ROOT, check=True)
        cells = {}
        for corpus, model in per_corpus.items():
            if not (model / "meta.json").exists():
                continue
            s = score(model, corpus, "test")
            meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
            cells[corpus] = (f"{100 * s.f1:.2f} ({100 * s.oov_recall:.1f})", training_time(meta["training"]),
                             f"{compiled_mb(model):.1f} MB")
            if (CORPORA / corpus / "dev.txt").exists():
                d = score(model, corpus, "dev")
                dev_rows.append([setting, description, corpus, f"{100 * d.f1:.2f}", f"{100 * d.oov_recall:.2f}"])
        if not cells:
            continue
        times = sorted({c[1] for c in cells.values()})
        sizes = sorted({c[2] for c in cells.values()})
        test_rows.append([setting, description] + [cells[c][0] if c in cells else "-" for c in THREE]
                         + [", ".join(times), ", ".join(sizes)])
    table = markdown_table(["setting", "trained on", "ctb6 test F1 (OOV R)", "nlpcc2016-weibo test", "sxu-sighan2008 test",
                            "training time (CPU)", "model size (no crfsuite file)"], test_rows)
    dev = markdown_table(["setting", "trained on", "dev set", "F1", "OOV R"], dev_rows)
    body = ("## Word lists and several corpora (issue 15)\n\n"
            "Each test set scored with its own corpus's standard (`--standard`); OOV recall against the model's "
            "training words. Targets: open >= 96.6 / 95.3 / 96.3, multi >= 96.4 / 95.2 / 96.4, "
            "multi + open >= 96.8 / 95.6 / 96.8. Closed models fold width and case only (zhseg 0.1); the others "
            "also fold traditional characters (`--fold t2s`, the new default).\n\n" + table +
            "\n\nDev sets (the ablation; SXU has no dev split):\n\n" + dev +
            "\n\nTraining commands:\n\n" + "\n".join(f"    {c}" for c in commands))
    write_section("knowledge", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
