"""zhseg: a trainable Chinese word segmenter (a character-level CRF).

    from zhseg import Segmenter
    seg = Segmenter.load("my-model")
    seg.cut("阿里云总裁胡晓明接受专访")

``import zhseg`` loads nothing heavy: numpy and the model code load on first use.
"""

from __future__ import annotations

__version__ = "0.2.0"

__all__ = ["Segmenter", "load", "__version__"]


def load(directory, backend: str = "numpy"):
    """Load a model directory: the same as ``Segmenter.load(directory, backend)``."""
    from zhseg.model.segmenter import Segmenter

    return Segmenter.load(directory, backend=backend)


def __getattr__(name: str):
    # Lazy, so that ``import zhseg`` stays cheap (no numpy until a model is used).
    if name == "Segmenter":
        from zhseg.model.segmenter import Segmenter

        return Segmenter
    raise AttributeError(f"module 'zhseg' has no attribute {name!r}")
