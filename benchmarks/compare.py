"""Issue 5's tables: `benchmark.py` on each corpus's test split, with charts.

    python benchmarks/compare.py      # writes the 'compare' section of RESULTS.md and benchmarks/*.png

Models come from benchmarks/core.py (build/core/CORPUS-PRESET, the default preset); the SIGHAN 2005 test sets have
no training data here, so they are segmented with the CTB6 model and scored with the official
training word lists as the OOV vocabulary (no jieba train dictionary for them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from results import write_section
from zhseg.features.templates import DEFAULT_PRESET

CORPORA = ROOT.parent / "shared" / "corpora"
MODELS = ROOT / "build" / "core"


def runs():
    for name in ("ctb6", "nlpcc2016-weibo", "sxu-sighan2008"):
        yield name, CORPORA / name / "test.txt", ["--train", str(CORPORA / name / "train.txt")], MODELS / f"{name}-{DEFAULT_PRESET}"
    for name in ("pku", "msr"):
        gold = CORPORA / "sighan2005" / "gold" / f"{name}_test_gold.utf8"
        words = CORPORA / "sighan2005" / "gold" / f"{name}_training_words.utf8"
        yield f"sighan2005-{name}", gold, ["--words", str(words)], MODELS / f"ctb6-{DEFAULT_PRESET}"


def main() -> None:
    parts = ["## Side by side (benchmark.py)\n",
             "Each system runs in a fresh process on the same text; chars/s counts segmentation only. "
             f"zhseg models: default settings ({DEFAULT_PRESET} features), trained on the corpus's own train split "
             "(the SIGHAN 2005 sets: the CTB6 model, a different segmentation standard, so its F1 there is "
             "a cross-standard figure). OOV against the train split (SIGHAN: the official training word list).\n"]
    for name, gold, extra, model in runs():
        if not gold.exists() or not model.exists():
            parts.append(f"### {name}\n\nskipped: {gold if not gold.exists() else model} is missing\n")
            continue
        png = ROOT / "benchmarks" / f"{name}.png"
        md = ROOT / "build" / "compare" / f"{name}.md"
        md.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "benchmark.py", "--test", str(gold), *extra, "--model", str(model),
                   "--markdown", str(md), "--plot", str(png), "--title", name]
        pkuseg = ROOT / "build" / "pkuseg" / name  # from benchmarks/pkuseg_train.py, when it has run
        record = ROOT / "build" / "pkuseg" / f"{name}.json"
        trained = ""
        if pkuseg.is_dir() and record.exists():
            command += ["--pkuseg-model", str(pkuseg)]
            seconds = json.loads(record.read_text(encoding="utf-8"))["seconds"]
            trained = f"pkuseg: retrained on the same train split by `benchmarks/pkuseg_train.py` in {seconds:.0f} s.\n"
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        parts.append(md.read_text(encoding="utf-8") + f"\n{trained}\n![{name}: F1 against speed]({png.name})\n")
    write_section("compare", "\n".join(parts))


if __name__ == "__main__":
    main()
