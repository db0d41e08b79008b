"""zhseg: a trainable Chinese word segmenter (a character-level CRF), with jieba's API.

    import zhseg                                 # or: import zhseg as jieba
    zhseg.lcut("阿里云总裁胡晓明接受专访")       # the embedded default model (loaded on first use)
    zhseg.cut("我来到北京清华大学", cut_all=True) # jieba's modes: full, search, HMM off
    zhseg.add_word("胡晓明")                     # a user word: always one word
    seg = zhseg.load("my-model")                 # a model of your own: zhseg's Segmenter API
    seg.lcut("...")

The module-level functions are the methods of ``zhseg.dt``, the default :class:`Tokenizer`
(zhseg/tokenizer.py), as jieba's are of ``jieba.dt``. ``import zhseg`` loads nothing heavy:
numpy and the model load on first use, once per process (thread-safely).
"""

from __future__ import annotations

import threading
from pathlib import Path

from zhseg.tokenizer import Tokenizer

__version__ = "0.2.0"

__all__ = ["Segmenter", "Tokenizer", "dt", "load", "cut", "lcut", "cut_for_search", "lcut_for_search", "tokenize",
           "load_userdict", "add_word", "del_word", "suggest_freq", "get_FREQ", "initialize", "set_dictionary",
           "set_standard", "standards", "enable_parallel", "disable_parallel", "setLogLevel", "default_model_path",
           "__version__"]

_models_lock = threading.Lock()
_models: dict = {}


def load(directory, backend: str = "auto", rules: bool = True, user_dicts=(), standard=None):
    """Load a model directory: ``Segmenter.load(directory, backend, rules, user_dicts, standard)``."""
    from zhseg.model.segmenter import Segmenter

    return Segmenter.load(directory, backend=backend, rules=rules, user_dicts=user_dicts, standard=standard)


def default_model_path() -> Path:
    """Where the embedded default model lives: ``default/`` in ``zhseg.model``'s folder (the
    repository's ``model/default``)."""
    import zhseg.model  # only its docstring: cheap

    return Path(zhseg.model.__file__).resolve().parent / "default"


def _model(path: Path):
    """The model directory at ``path``, loaded once per process and shared by the Tokenizers that
    use it (each keeps its own user words)."""
    from zhseg.model.store import META_FILE, ModelError, load as load_model

    key = Path(path).resolve()
    with _models_lock:
        if key not in _models:
            if key == default_model_path().resolve() and not (key / META_FILE).is_file():
                raise ModelError(f"{key}: this zhseg has no default model; load one with "
                                 "zhseg.load('MODEL_DIR') (train it with 'zhseg train')")
            _models[key] = load_model(key)
        return _models[key]


def standards() -> dict[str, str]:
    """The segmentation standards the default model offers, each with a line on what it is (the
    first is the default; pick one with :func:`set_standard`)."""
    from zhseg.model.store import describe_standards

    return describe_standards(_model(default_model_path()))


def setLogLevel(log_level) -> None:
    """jieba's ``setLogLevel``: the level of zhseg's logger."""
    import logging

    logging.getLogger("zhseg").setLevel(log_level)


dt = Tokenizer()
cut = dt.cut
lcut = dt.lcut
cut_for_search = dt.cut_for_search
lcut_for_search = dt.lcut_for_search
tokenize = dt.tokenize
load_userdict = dt.load_userdict
add_word = dt.add_word
del_word = dt.del_word
suggest_freq = dt.suggest_freq
get_FREQ = dt.get_FREQ
get_dict_file = dt.get_dict_file
initialize = dt.initialize
set_dictionary = dt.set_dictionary
set_standard = dt.set_standard
enable_parallel = dt.enable_parallel
disable_parallel = dt.disable_parallel


def __getattr__(name: str):
    # Lazy, so that ``import zhseg`` stays cheap (no numpy until a model is used).
    if name == "Segmenter":
        from zhseg.model.segmenter import Segmenter

        return Segmenter
    raise AttributeError(f"module 'zhseg' has no attribute {name!r}")
