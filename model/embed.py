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


def embed(source: str | Path, target: str | Path, compress: bool = False) -> Path:
    model = store.load(source)
    model.crfsuite = None
    model.meta["embedded_from"] = {"path": str(source), "crfsuite_file": "left out", "compressed": compress}
    return store.save(model, target, compress=compress)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--compress"]
    if len(args) != 2:
        sys.exit("usage: python -m zhseg.model.embed SOURCE_MODEL_DIR TARGET_DIR [--compress]")
    target = embed(args[0], args[1], compress="--compress" in sys.argv)
    size = sum(f.stat().st_size for f in target.iterdir())
    print(f"{target}: {size / 1e6:.1f} MB")
