"""Retrain spacy-pkuseg on a corpus's train split, for the side-by-side tables (issue 3, issue 5).

    python benchmarks/pkuseg_train.py ctb6 nlpcc2016-weibo sxu-sighan2008

Writes build/pkuseg/CORPUS/ (the model, for `benchmark.py --pkuseg-model`) and
build/pkuseg/CORPUS.json (training seconds). pkuseg's train() evaluates a second file after each
iteration for its log only (it keeps the last iteration's model, no selection), so the dev split
is passed where there is one and the test split otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"


def main(names: list[str]) -> None:
    import spacy_pkuseg

    for name in names:
        data = CORPORA / name
        monitor = data / "dev.txt" if (data / "dev.txt").exists() else data / "test.txt"
        out = ROOT / "build" / "pkuseg" / name
        work = ROOT / "build" / "pkuseg" / f"{name}-work"  # pkuseg writes temp files under the cwd
        work.mkdir(parents=True, exist_ok=True)
        os.chdir(work)
        started = time.perf_counter()
        spacy_pkuseg.train(str(data / "train.txt"), str(monitor), str(out))
        seconds = time.perf_counter() - started
        (ROOT / "build" / "pkuseg" / f"{name}.json").write_text(json.dumps({"corpus": name, "seconds": seconds}))
        print(f"{name}: trained in {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["ctb6", "nlpcc2016-weibo", "sxu-sighan2008"])
