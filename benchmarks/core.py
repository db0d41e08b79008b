"""Issues 2 and 3's per-corpus measurement: train on a corpus's train split with a feature
preset (the default settings otherwise), score its test split, report training time, model size
and segmentation speed (with jieba in the same run for scale).

    python benchmarks/core.py --corpus ctb6 --features accurate   # section 'core-ctb6-accurate'

With --reuse an existing model from an earlier run of the same command is scored again instead of
retrained; its training time is then the one recorded in its meta.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parent.parent

from results import best_time, markdown_table, write_section
from zhseg.features.templates import DEFAULT_PRESET


def chars_per_second(cut, lines, repeat: int = 3) -> float:
    return sum(len(line) for line in lines) / best_time(lambda: cut(lines), repeat)


def main(corpus: str = typer.Option("ctb6", help="Folder under ../shared/corpora with train/dev/test."),
         features: str = typer.Option(DEFAULT_PRESET, help="Feature preset to train with."),
         reuse: bool = typer.Option(False, help="Score an existing model instead of retraining it."),
         out: Path = typer.Option(ROOT / "build" / "core", help="Where to put the trained model.")):
    data = ROOT.parent / "shared" / "corpora" / corpus
    model_dir = out / f"{corpus}-{features}"
    train_cmd = [sys.executable, "train.py", str(data / "train.txt"), "-o", str(model_dir), "--features", features]
    if (data / "dev.txt").exists():
        train_cmd += ["--dev", str(data / "dev.txt")]
    if reuse and (model_dir / "meta.json").exists():
        wall = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))["training"]["seconds"]
    else:
        started = time.perf_counter()
        subprocess.run(train_cmd, cwd=ROOT, check=True)
        wall = time.perf_counter() - started
    scores = json.loads(subprocess.run([sys.executable, "evaluate.py", str(data / "test.txt"), "--model",
                                        str(model_dir), "--json"], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
    size = sum(f.stat().st_size for f in model_dir.iterdir())
    from zhseg.features.corpus import read_corpus
    from zhseg import Segmenter

    segmenter = Segmenter.load(model_dir)
    lines = [s.text for s in read_corpus(data / "test.txt")]
    zhseg_speed = chars_per_second(lambda ls: list(segmenter.cut_lines(ls)), lines)
    import jieba

    jieba.initialize()
    jieba_speed = chars_per_second(lambda ls: [jieba.lcut(x) for x in ls], lines)
    meta = segmenter.meta
    rows = [[corpus, features, f"{100 * scores['precision']:.2f}", f"{100 * scores['recall']:.2f}",
             f"{100 * scores['f1']:.2f}", f"{100 * scores['oov_recall']:.2f}", f"{100 * scores['iv_recall']:.2f}",
             f"{wall:.0f} s ({meta['training']['iterations']} iterations)", f"{size / 1e6:.1f} MB",
             f"{zhseg_speed:,.0f}", f"{jieba_speed:,.0f}", f"{zhseg_speed / jieba_speed:.2f}"]]
    table = markdown_table(["corpus", "features", "P", "R", "F1", "OOV R", "IV R", "training (wall)",
                            "model size", "zhseg chars/s", "jieba chars/s", "zhseg / jieba"], rows)
    shown = ["python", *(os.path.relpath(a, ROOT) if os.path.isabs(a) else a for a in train_cmd[1:])]
    body = (f"## Core: {features} features on {corpus}\n\nTrained on `{corpus}/train.txt` with "
            f"`{' '.join(shown)}`, scored on `{corpus}/test.txt`. Speed: "
            f"bulk `Segmenter.cut_lines` over the test text against `jieba.lcut` line by line, best of 3, "
            f"one process.\n\n{table}")
    write_section(f"core-{corpus}-{features}", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
