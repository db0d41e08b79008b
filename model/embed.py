"""Install a trained model as the package's embedded default (``make default-model``).

    python -m zhseg.model.embed build/default-model model/default

The embedded copy is data only and leaves the crfsuite file out (the numpy and numba backends do
not read it; the crfsuite backend then says it needs a model directory that has one). Its
``meta.json`` records where it came from.
"""

from __future__ import annotations

import sys
from pathlib import Path

from zhseg.model import store


def embed(source: str | Path, target: str | Path) -> Path:
    model = store.load(source)
    model.crfsuite = None
    model.meta["embedded_from"] = {"path": str(source), "crfsuite_file": "left out"}
    return store.save(model, target)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m zhseg.model.embed SOURCE_MODEL_DIR TARGET_DIR")
    target = embed(sys.argv[1], sys.argv[2])
    size = sum(f.stat().st_size for f in target.iterdir())
    print(f"{target}: {size / 1e6:.1f} MB")
