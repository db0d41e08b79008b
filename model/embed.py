"""Install a trained model as the package's embedded default (``make default-model``).

    python -m zhseg.model.embed build/default-model model/default

The embedded copy is data only and leaves the crfsuite file out (the compiled and numpy backends do
not read it; the crfsuite backend then says it needs a model directory that has one). Its
``meta.json`` records where it came from.
"""

from __future__ import annotations

import sys
from pathlib import Path

from zhseg.model import store


def embed(source: str | Path, target: str | Path, compress: bool = False, default_standard: str | None = None) -> Path:
    """Copy the model at ``source`` to ``target`` without its crfsuite file; ``default_standard``
    names the standard decoding follows by default (MODEL_CARD.md says how it was chosen)."""
    model = store.load(source)
    model.crfsuite = None
    if default_standard is not None:
        if default_standard not in model.standards:
            raise store.ModelError(f"--default {default_standard!r}: the model's standards are {', '.join(model.standards)}")
        model.meta["default_standard"] = default_standard
    # an embedded model embedded again (a new default standard) keeps where it was built
    origin = model.meta.get("embedded_from", {}).get("path", str(source))
    model.meta["embedded_from"] = {"path": origin, "crfsuite_file": "left out", "compressed": compress}
    return store.save(model, target, compress=compress)


if __name__ == "__main__":
    argv = sys.argv[1:]
    default = None
    if "--default" in argv:
        at = argv.index("--default")
        default = argv[at + 1] if at + 1 < len(argv) else None
        argv = argv[:at] + argv[at + 2 :]
    args = [a for a in argv if a != "--compress"]
    if len(args) != 2:
        sys.exit("usage: python -m zhseg.model.embed SOURCE_MODEL_DIR TARGET_DIR [--compress] [--default STANDARD]")
    target = embed(args[0], args[1], compress="--compress" in argv, default_standard=default)
    size = sum(f.stat().st_size for f in target.iterdir())
    print(f"{target}: {size / 1e6:.1f} MB")
