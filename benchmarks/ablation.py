"""Issue 3's ablation: what each lever adds, measured on a dev split (never on test).

    python benchmarks/ablation.py --corpus ctb6        # writes the 'ablation-ctb6' section

Each variant is trained with train.py on the train split and scored on dev. Finished variants
(a model directory with meta.json) are reused, so an interrupted run resumes; ``--only NAME``
trains just the named variants, and the table lists every variant trained so far.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import typer

ROOT = Path(__file__).resolve().parent.parent

from results import markdown_table, write_section
from zhseg.features.corpus import read_corpus

VARIANTS = {
    "fast, BMES": ["--features", "fast"],
    "standard, BMES": ["--features", "standard"],
    "standard, 6-tag": ["--features", "standard", "--tag-set", "6tag"],
    "accurate (dictionary, k-fold), BMES": ["--features", "accurate"],
    "accurate, 6-tag": ["--features", "accurate", "--tag-set", "6tag"],
    "variety (accurate + accessor variety of 2- to 4-grams, k-fold), BMES": ["--features", "variety"],
    # unlabelled in-domain text, as a user with raw text of their domain would pass it: the dev
    # text itself with its spaces removed (transductive: no labels, but the very text scored)
    "variety, --raw the dev text unsegmented": ["--features", "variety", "--raw", "{dev_raw}"],
    "accurate, 6-tag, c1 0.02 c2 0.02": ["--features", "accurate", "--tag-set", "6tag", "--c1", "0.02", "--c2", "0.02"],
    "accurate, 300 iterations": ["--features", "accurate", "--max-iterations", "300"],
    "accurate, c1 0.03 c2 0.02": ["--features", "accurate", "--c1", "0.03", "--c2", "0.02"],
    "accurate, min-freq 2": ["--features", "accurate", "--min-freq", "2"],
    "accurate, 3 folds": ["--features", "accurate", "--folds", "3"],
    "accurate, 10 folds": ["--features", "accurate", "--folds", "10"],
    "accurate, 20 folds": ["--features", "accurate", "--folds", "20"],
}


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-").lower()


def main(corpus: str = typer.Option("ctb6"),
         only: Optional[List[str]] = typer.Option(None, help="Train only these variants (the table still lists every finished one)."),
         no_train: bool = typer.Option(False, "--no-train", help="Train nothing: write the table of the variants trained so far.")):
    data = ROOT.parent / "shared" / "corpora" / corpus
    dev_raw = ROOT / "build" / "ablation" / corpus / "dev.raw.txt"
    if not dev_raw.exists():
        dev_raw.parent.mkdir(parents=True, exist_ok=True)
        dev_raw.write_text("".join(s.text + "\n" for s in read_corpus(data / "dev.txt")), encoding="utf-8")
    rows = []
    for name, options in VARIANTS.items():
        model = ROOT / "build" / "ablation" / corpus / slug(name)
        if not (model / "meta.json").exists():
            if no_train or (only and name not in only):
                continue  # not asked for now; a row once it has been trained
            command = [sys.executable, "train.py", str(data / "train.txt"), "-o", str(model),
                       "--dev", str(data / "dev.txt"), "--quiet", *(o.format(dev_raw=dev_raw) for o in options)]
            print(f"training {name}", file=sys.stderr, flush=True)
            subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
        dev, training = meta["dev"], meta["training"]
        size = sum(f.stat().st_size for f in model.iterdir()) / 1e6
        shown = " ".join(options).format(dev_raw="dev.raw.txt")
        rows.append([name, f"`{shown}`", f"{100 * dev['precision']:.2f}", f"{100 * dev['recall']:.2f}",
                     f"{100 * dev['f1']:.2f}", f"{100 * dev['oov_recall']:.2f}", f"{100 * dev['iv_recall']:.2f}",
                     f"{training['seconds']:.0f}", f"{size:.1f}"])
        print(rows[-1], file=sys.stderr, flush=True)
    table = markdown_table(["variant", "train.py options", "P", "R", "F1", "OOV R", "IV R", "train s", "MB"], rows)
    write_section(f"ablation-{corpus}", f"## Ablation on {corpus} dev\n\nTrained on `{corpus}/train.txt`, "
                  f"scored on `{corpus}/dev.txt`; training seconds as recorded in each model's meta.json "
                  f"(wall time on a shared 2-core machine, other jobs running).\n\n{table}")


if __name__ == "__main__":
    typer.run(main)
