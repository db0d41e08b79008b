"""The model directory: data only, versioned, written atomically.

Layout::

    MODEL_DIR/
      meta.json        format version, feature configuration, tag set, training record
      model.crfsuite   the crfsuite model as trained (for the crfsuite tagger path)
      compiled.npz     the same weights as arrays for the fast decoder (no pickles)
      vocab.txt        the training vocabulary, one word per line (for OOV statistics)
      variety.npz      accessor variety tables, for models with variety features
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from features.errors import UserError

FORMAT_VERSION = 1
META_FILE = "meta.json"
CRFSUITE_FILE = "model.crfsuite"
COMPILED_FILE = "compiled.npz"
VOCAB_FILE = "vocab.txt"
VARIETY_FILE = "variety.npz"


class ModelError(UserError):
    """A model directory that is missing, incomplete or of an unknown format."""


@contextlib.contextmanager
def building_model_dir(target: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary directory beside ``target``; on success it replaces ``target``.

    An existing ``target`` is only replaced if it is a zhseg model directory, so a typo cannot
    wipe an unrelated folder. On failure nothing at ``target`` changes.
    """
    target = Path(target)
    if target.exists() and not (target / META_FILE).is_file():
        if not target.is_dir() or any(target.iterdir()):
            raise ModelError(f"{target}: exists and is not a zhseg model directory; choose another -o")
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=parent))
    try:
        yield building
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.replace(target, old / "model")
        os.replace(building, target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def write_meta(directory: Path, meta: dict) -> None:
    meta = {"format_version": FORMAT_VERSION, **meta}
    (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_vocab(directory: Path, words: Iterable[str]) -> None:
    (directory / VOCAB_FILE).write_text("".join(f"{w}\n" for w in sorted(set(words))), encoding="utf-8")


def write_arrays(directory: Path, arrays: dict[str, np.ndarray], name: str = COMPILED_FILE) -> None:
    np.savez(directory / name, **arrays)


def read_meta(directory: str | Path) -> dict:
    """Read and validate ``meta.json``; raise ModelError for anything but a known format."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(f"{directory}: no such model directory")
    path = directory / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; {directory} is not a zhseg model directory") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(meta, dict) or "format_version" not in meta:
        raise ModelError(f"{path}: no format_version; not a zhseg model")
    if meta["format_version"] != FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format version {meta['format_version']!r} is not supported "
            f"(this zhseg reads version {FORMAT_VERSION}); retrain or upgrade zhseg"
        )
    for key in ("labels", "features", "template_names"):
        if key not in meta:
            raise ModelError(f"{path}: missing the {key!r} entry")
    return meta


def read_arrays(directory: str | Path, name: str = COMPILED_FILE) -> dict[str, np.ndarray]:
    """Load ``compiled.npz`` (or another ``.npz`` of the model) without allowing pickled objects."""
    path = Path(directory) / name
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise ModelError(f"{path}: missing") from None
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ModelError(f"{path}: unreadable ({error})") from None


def read_vocab(directory: str | Path) -> frozenset[str]:
    path = Path(directory) / VOCAB_FILE
    try:
        return frozenset(path.read_text(encoding="utf-8").split("\n")) - {""}
    except FileNotFoundError:
        raise ModelError(f"{path}: missing") from None


def crfsuite_path(directory: str | Path) -> Path:
    path = Path(directory) / CRFSUITE_FILE
    if not path.is_file():
        raise ModelError(f"{path}: missing")
    return path
