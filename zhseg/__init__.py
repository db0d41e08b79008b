"""zhseg: a trainable Chinese word segmenter (a character-level CRF), with jieba's API.

    import zhseg
    zhseg.lcut("阿里云总裁胡晓明接受专访")       # the default model (loaded on first use)
    zhseg.add_word("胡晓明")                     # a user word: always one word
    seg = zhseg.load("my-model")                 # a model of your own: the same methods
    seg.lcut("...")

``import zhseg`` loads nothing heavy: numpy and the model load on first use, once per process
(thread-safely).
"""

from __future__ import annotations

import threading
from pathlib import Path

__version__ = "0.2.0"

__all__ = ["Segmenter", "load", "cut", "lcut", "tokenize", "load_userdict", "add_word", "del_word",
           "default_model_path", "__version__"]

_default_lock = threading.Lock()
_default_segmenter = None


def load(directory, backend: str = "auto", rules: bool = True, user_dicts=(), standard=None):
    """Load a model directory: ``Segmenter.load(directory, backend, rules, user_dicts, standard)``."""
    from zhseg.model.segmenter import Segmenter

    return Segmenter.load(directory, backend=backend, rules=rules, user_dicts=user_dicts, standard=standard)


def default_model_path() -> Path:
    """Where the embedded default model lives: ``default/`` in ``zhseg.model``'s folder (the
    repository's ``model/default``)."""
    import zhseg.model  # only its docstring: cheap

    return Path(zhseg.model.__file__).resolve().parent / "default"


def _default():
    global _default_segmenter
    if _default_segmenter is None:
        with _default_lock:
            if _default_segmenter is None:
                from zhseg.model.store import META_FILE, ModelError

                path = default_model_path()
                if not (path / META_FILE).is_file():
                    raise ModelError(f"{path}: this zhseg has no default model; load one with "
                                     "zhseg.load('MODEL_DIR') (train it with 'zhseg train')")
                _default_segmenter = load(path)
    return _default_segmenter


def cut(text: str):
    """Yield the words of ``text`` (the default model)."""
    return _default().cut(text)


def lcut(text: str) -> list[str]:
    """The words of ``text`` as a list (the default model)."""
    return _default().lcut(text)


def tokenize(text: str):
    """Yield ``(word, start, end)`` with offsets into ``text`` (the default model)."""
    return _default().tokenize(text)


def load_userdict(source) -> None:
    """Add the words of a jieba-format user dictionary (a path or an open text file) to the default
    segmenter: each always comes out as one word."""
    _default().load_userdict(source)


def add_word(word: str, freq=None, tag=None) -> None:
    """Add a user word to the default segmenter (``freq`` and ``tag`` are ignored)."""
    _default().add_word(word, freq, tag)


def del_word(word: str) -> None:
    """Remove a user word from the default segmenter."""
    _default().del_word(word)


def __getattr__(name: str):
    # Lazy, so that ``import zhseg`` stays cheap (no numpy until a model is used).
    if name == "Segmenter":
        from zhseg.model.segmenter import Segmenter

        return Segmenter
    raise AttributeError(f"module 'zhseg' has no attribute {name!r}")
