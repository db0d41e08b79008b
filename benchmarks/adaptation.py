"""Issue 12's measurements: adapting the CTB6 model to Weibo from partially segmented text.

    python benchmarks/adaptation.py      # writes the 'adaptation' section of RESULTS.md

For each share of kept boundaries (0%, 10%, 20%, 50% of those not next to punctuation, digits or
Latin letters, which are always kept), nlpcc2016-weibo/train.txt is reduced to partial annotation
(benchmarks/reduce_to_partial.py, seed 7), the CTB6 model (bench-core's) fills it in, and a
model is trained on CTB6's train split plus the filled-in text; scored on Weibo's test split.
Also: the unadapted CTB6 model, the fully supervised Weibo model (the ceiling), accessor variety
counted on Weibo's raw text, and seed 004's boundary recall before and after adapting to it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import typer

from results import markdown_table, write_section
from zhseg import Segmenter
from zhseg.features.corpus import read_corpus, read_partial
from zhseg.metrics import score_sentences
from zhseg.model.adapt import boundary_report

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
BUILD = ROOT / "build" / "adaptation"
CTB6 = ROOT / "build" / "core" / "ctb6-accurate"
WEIBO = ROOT / "build" / "core" / "nlpcc2016-weibo-accurate"
SEED = next((ROOT / "seeds").glob("004_*.txt"))


def run_train(args: list[str], out: Path, reuse: bool) -> float:
    if reuse and (out / "meta.json").exists():
        return json.loads((out / "meta.json").read_text(encoding="utf-8"))["training"]["seconds"]
    started = time.perf_counter()
    subprocess.run([sys.executable, "train.py", *args, "-o", str(out), "-q"], cwd=ROOT, check=True)
    return time.perf_counter() - started


def weibo_f1(model: Path) -> str:
    gold = read_corpus(CORPORA / "nlpcc2016-weibo" / "test.txt")
    segmenter = Segmenter.load(model)
    s = score_sentences(gold, segmenter.cut_sentences(gold), segmenter.vocabulary)
    return f"{100 * s.f1:.2f} ({100 * s.oov_recall:.1f})"


def main(shares: list[float] = typer.Option([0.0, 0.1, 0.2, 0.5], "--share"),
         reuse: bool = typer.Option(True, help="Reuse models an earlier run trained.")):
    BUILD.mkdir(parents=True, exist_ok=True)
    ctb6_train = str(CORPORA / "ctb6" / "train.txt")
    rows = [["CTB6 model, unadapted", "-", weibo_f1(CTB6), "-"]]
    for share in shares:
        partial = BUILD / f"weibo-partial-{int(100 * share)}.txt"
        subprocess.run([sys.executable, "benchmarks/reduce_to_partial.py", str(CORPORA / "nlpcc2016-weibo" / "train.txt"),
                        str(partial), "--keep", str(share)], cwd=ROOT, check=True)
        known = sum(len(p.boundaries()) for p in read_partial(partial))
        out = BUILD / f"ctb6-adapted-{int(100 * share)}"
        seconds = run_train([ctb6_train, "--partial-corpus", str(partial), "--base-model", str(CTB6)], out, reuse)
        rows.append([f"adapted, {100 * share:.0f}% of the other boundaries kept", f"{known:,}", weibo_f1(out),
                     f"{seconds / 60:.1f} min"])
    raw = BUILD / "weibo-train.raw.txt"
    raw.write_text("".join(s.text + "\n" for s in read_corpus(CORPORA / "nlpcc2016-weibo" / "train.txt")), encoding="utf-8")
    variety = BUILD / "ctb6-variety-weibo-raw"
    seconds = run_train([ctb6_train, "--features", "variety", "--raw", str(raw)], variety, reuse)
    rows.append(["CTB6 + accessor variety counted on Weibo's raw train text (no boundaries)", "-", weibo_f1(variety),
                 f"{seconds / 60:.1f} min"])
    rows.append(["Weibo model, fully supervised (the ceiling)", "all", weibo_f1(WEIBO), "-"])
    table = markdown_table(["model", "known boundaries", "Weibo test F1 (OOV R)", "training"], rows)
    seed_out = BUILD / "ctb6-adapted-seed004"
    run_train([ctb6_train, "--partial-corpus", str(SEED), "--base-model", str(CTB6)], seed_out, reuse)
    partials = read_partial(SEED)
    before, after = (boundary_report(Segmenter.load(m), partials) for m in (CTB6, seed_out))
    seed_table = markdown_table(["model", "marked boundaries kept", "words across one"],
                                [["CTB6", f"{before['kept']} of {before['marked_boundaries']}", before["words_across_a_boundary"]],
                                 ["CTB6 adapted to seed 004", f"{after['kept']} of {after['marked_boundaries']}",
                                  after["words_across_a_boundary"]]])
    body = ("## Domain adaptation from partial annotation (issue 12)\n\nTarget: adapted with 20% >= 92.3 "
            "(unadapted 90.25, ceiling 94.78).\n\n" + table + "\n\nSeed 004, `evaluate --partial`:\n\n" + seed_table)
    write_section("adaptation", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
