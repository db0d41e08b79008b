"""The model directory: data only, versioned, written atomically; :class:`Model` is the same in memory.

Layout::

    MODEL_DIR/
      meta.json        format version, feature configuration, tag set, training record
      model.crfsuite   the crfsuite model as trained (for the crfsuite tagger path)
      compiled.npz     the same weights as arrays for the fast decoder (no pickles)
      vocab.txt        the training vocabulary, one word per line (for OOV statistics)
      lexicon.npz      the vocabulary's matching tables, for the dictionary features
      wordlist.npz     the external word lists (train --dict) as matching tables, for word-list features
                       (wordlist1.npz, wordlist2.npz, ... for the further groups of words)
      variety.npz      accessor variety tables, for models with variety features
      core.tables      the compiled core's tables for the default standard, as it holds them
                       (zhseg/_core.c): read in one copy instead of built at load; derived from
                       the files above, rewritten when they change, optional
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from zhseg.errors import UserError, os_failure
from zhseg.textio import current_umask, remove_stale
from zhseg.features.templates import FeatureConfig
from zhseg.features.corpus import file_sha256
from zhseg.features.lexicon import Lexicon
from zhseg.features.variety import AccessorVariety
from zhseg.model.compiled import CompiledCRF, all_templates

FORMAT_VERSION = 1
META_FILE = "meta.json"
CRFSUITE_FILE = "model.crfsuite"
COMPILED_FILE = "compiled.npz"
VOCAB_FILE = "vocab.txt"
VARIETY_FILE = "variety.npz"
WORD_LIST_FILE = "wordlist.npz"
LEXICON_FILE = "lexicon.npz"
TABLES_FILE = "core.tables"


class ModelError(UserError):
    """A model directory that is missing, incomplete or of an unknown format."""


@dataclass
class Model:
    """Everything a model directory holds, in memory.

    meta: the ``meta.json`` content (format version added on save).
    crf: the weights as arrays: every template, each standard's copies included.
    vocabulary_source: the training words, or the path of the file holding them (read on first
        use of :attr:`vocabulary`: decoding does not need them, OOV statistics do).
    variety: accessor variety tables, for configurations with variety features.
    word_lists: the groups of external words as Lexicons (their matching tables), one per
        word-list group of the configuration; () without word-list features.
    crfsuite: the crfsuite model file, for the reference tagger: its bytes (just trained) or its
        path (loaded; read by crfsuite itself, on first use).
    """

    meta: dict
    crf: CompiledCRF
    vocabulary_source: frozenset[str] | Path
    variety: AccessorVariety | None = None
    crfsuite: bytes | Path | None = None
    word_lists: tuple[Lexicon, ...] = ()
    lexicon: Lexicon | None = None  # the vocabulary's tables for the dictionary features
    # the directory's core.tables, where meta.json records one; None in a copy whose lexicons or
    # weights differ from its files'
    tables: Path | None = None
    cores: dict = field(default_factory=dict)  # compiled cores of its Segmenters, shared (model/segmenter.py)
    cores_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def vocabulary(self) -> frozenset[str]:
        """The training words."""
        if isinstance(self.vocabulary_source, Path):
            self.vocabulary_source = read_vocab(self.vocabulary_source.parent)
        return self.vocabulary_source

    @property
    def config(self) -> FeatureConfig:
        return FeatureConfig.from_json(self.meta["features"])

    @property
    def standards(self) -> tuple[str, ...]:
        """The segmentation standards of a multi-corpus model, in training order; () otherwise."""
        return tuple(self.meta.get("standards", ()))

    @property
    def default_standard(self) -> str | None:
        """The standard decoding follows unless told otherwise: ``meta.json``'s ``default_standard``
        (chosen after training, ``embed --default``), else the first corpus's; None for one corpus."""
        chosen = self.meta.get("default_standard")
        if chosen in self.standards:
            return chosen
        return self.standards[0] if self.standards else None


def save(model: Model, target: str | Path, compress: bool = False, tables: bool = True) -> Path:
    """Write ``model`` as a model directory at ``target``, atomically (see :func:`building_model_dir`);
    ``compress`` deflates the arrays (smaller on disk, slower to load: the embedded model's choice);
    ``tables``: with the compiled core's tables for the default standard (:func:`write_core_tables`).
    What the system refuses (a full disk) is a one-line error naming ``target``."""
    try:
        return _save(model, target, compress, tables)
    except OSError as error:
        raise os_failure(error, str(target)) from None


def _save(model: Model, target: str | Path, compress: bool = False, tables: bool = True) -> Path:
    with building_model_dir(target) as building:
        write_arrays(building, model.crf.to_arrays(), compress=compress)
        write_vocab(building, model.vocabulary)
        if model.variety is not None:
            write_arrays(building, model.variety.to_arrays(), VARIETY_FILE, compress=compress)
        for group, words in enumerate(model.word_lists):  # hashes: deflating gains little
            write_arrays(building, words.to_arrays(), word_list_file(group))
        config = model.config
        if config.dictionary:
            lexicon = model.lexicon or Lexicon(model.vocabulary, config.dictionary, fold=config.fold)
            write_arrays(building, lexicon.to_arrays(), LEXICON_FILE)
        if isinstance(model.crfsuite, bytes):
            (building / CRFSUITE_FILE).write_bytes(model.crfsuite)
        elif model.crfsuite is not None:
            shutil.copyfile(model.crfsuite, building / CRFSUITE_FILE)
        # sizes and digests of the data files, checked before any is trusted (a truncated crfsuite
        # file would crash crfsuite's C code)
        model.meta["files"] = {f.name: file_record(f) for f in sorted(building.iterdir())}
        if tables:
            write_core_tables(model, building)
        write_meta(building, model.meta)
    return Path(target)


def file_record(path: Path) -> dict:
    """What ``meta.json``'s ``files`` records of a data file: its size and sha256."""
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def tables_tag(meta: dict, standard: str | None, isolate: bool) -> bytes:
    """What a model's core tables are of, written into them and compared when they are read: the
    model's data files (their digests), features and labels, and the standard and isolation
    setting decoded. Tables of anything else are not read (the core builds its own)."""
    import hashlib

    files = {name: record for name, record in (meta.get("files") or {}).items() if name != TABLES_FILE}
    what = {"files": files, "features": meta.get("features"), "labels": meta.get("labels"),
            "standard": standard, "isolate": bool(isolate)}
    return hashlib.sha256(json.dumps(what, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest().encode()


def write_core_tables(model: Model, directory: Path) -> Path | None:
    """The compiled core's tables of the model's default standard (what ``zhseg.load`` decodes),
    written to ``directory/core.tables`` and recorded in ``model.meta["files"]`` (which must
    record the other files already: the tables are tagged with them). None where the compiled
    core was not built, or memory ran out building them; the tables are then built at load, as
    for models without them."""
    from zhseg.model import core
    from zhseg.model.segmenter import Segmenter

    if not core.available():
        return None
    segmenter = Segmenter(model, backend="compiled")
    try:
        built = segmenter._compiled_core()
    except MemoryError:  # derived and optional: the model is saved without them, and builds them at load
        return None
    path = directory / TABLES_FILE
    core.save_tables(built, path, segmenter._tables_tag())
    model.meta["files"][TABLES_FILE] = file_record(path)
    return path


def add_core_tables(directory: str | Path) -> Path | None:
    """:func:`write_core_tables` for a model directory as it is (``make core-tables`` for the
    embedded model: after the core's layout changed, without retraining). The tables are
    renamed into place before ``meta.json`` records them, so an interrupted run leaves a model
    that ignores them."""
    directory = Path(directory)
    model = load(directory)
    model.tables = None  # build them anew, not read the ones there
    with tempfile.TemporaryDirectory(dir=directory, prefix=".tables-") as scratch:
        written = write_core_tables(model, Path(scratch))
        if written is None:
            return None
        os.replace(written, directory / TABLES_FILE)
        write_meta(Path(scratch), model.meta)
        os.replace(Path(scratch) / META_FILE, directory / META_FILE)
    return directory / TABLES_FILE


def check_file(directory: Path, meta: dict, name: str, digest: bool = False) -> Path:
    """``directory/name``, checked against the size (and with ``digest`` the sha256) that
    ``meta.json`` recorded for it; ModelError if it differs. Models of zhseg 0.1 recorded none."""
    path = directory / name
    record = meta.get("files", {}).get(name) if isinstance(meta.get("files"), dict) else None
    if record is None:
        return path
    if not isinstance(record, dict):
        raise ModelError(f"{directory / META_FILE}: the record of {name} is not a size and digest; retrain the model "
                         "or restore meta.json")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ModelError(f"{path}: missing") from None
    if size != record.get("bytes"):
        raise ModelError(f"{path}: {size} bytes, but the model recorded {record.get('bytes')}: truncated or changed; "
                         "retrain the model or restore the file")
    if digest and file_sha256(path) != record.get("sha256"):
        raise ModelError(f"{path}: its sha256 differs from the one the model recorded: changed; retrain or restore it")
    return path


def load(directory: str | Path) -> Model:
    """Read a model directory written by :func:`save`; ModelError if it is not a valid one."""
    directory = Path(directory)
    meta = read_meta(directory)
    recorded = meta.get("files") if isinstance(meta.get("files"), dict) else {}
    # the core's tables are derived from the other files: without them, the core builds its own
    tables = directory / TABLES_FILE if TABLES_FILE in recorded and (directory / TABLES_FILE).exists() else None
    for name in recorded:
        if name != CRFSUITE_FILE and (name != TABLES_FILE or tables):  # crfsuite's: with its digest, before it opens it
            check_file(directory, meta, name)
    try:
        config = FeatureConfig.from_json(meta["features"])
        if config.template_names() != list(meta["template_names"]):
            raise ValueError("the feature configuration does not match its templates")
        check_labels(meta)
        standards = meta.get("standards", [])
        if not isinstance(standards, list) or not all(isinstance(x, str) and x for x in standards):
            raise ValueError("'standards' is not a list of names")
        crf = CompiledCRF.from_arrays(open_arrays(directory), meta["labels"], all_templates(config, standards),
                                      on_error=_damaged(directory / COMPILED_FILE, "weights"))
    except (KeyError, ValueError, TypeError) as error:
        raise ModelError(f"{directory}: inconsistent model files ({error})") from None
    variety = None
    if config.variety:
        try:
            variety = AccessorVariety.from_arrays(read_arrays(directory, VARIETY_FILE))
        except (KeyError, ValueError, TypeError) as error:
            raise ModelError(f"{directory}: inconsistent accessor variety tables ({error})") from None
        if variety.max_length != config.variety:
            raise ModelError(f"{directory}: accessor variety tables do not match the features")
    word_lists = []
    legacy = directory / "wordlist.txt"  # models trained before the tables were stored kept the words
    if config.word_list and not (directory / WORD_LIST_FILE).exists() and legacy.is_file():
        word_lists.append(Lexicon(legacy.read_text(encoding="utf-8").split("\n")[:-1], config.word_list,
                                  fold=config.fold, python_loop=False))
    elif config.word_list:
        for group in range(config.word_list_groups):
            try:
                path = directory / word_list_file(group)
                word_lists.append(Lexicon.from_arrays(open_arrays(directory, word_list_file(group)),
                                                      on_error=_damaged(path, "word-list tables"), fold=config.fold))
            except (KeyError, ValueError, TypeError) as error:
                raise ModelError(f"{directory / word_list_file(group)}: inconsistent word-list tables ({error})") from None
    lexicon = None
    if config.dictionary and (directory / LEXICON_FILE).exists():  # older models: built from the words
        try:
            lexicon = Lexicon.from_arrays(open_arrays(directory, LEXICON_FILE),
                                          on_error=_damaged(directory / LEXICON_FILE, "dictionary tables"), fold=config.fold)
        except (KeyError, ValueError, TypeError) as error:
            raise ModelError(f"{directory / LEXICON_FILE}: inconsistent dictionary tables ({error})") from None
    crfsuite = directory / CRFSUITE_FILE
    if not (directory / VOCAB_FILE).is_file():
        raise ModelError(f"{directory / VOCAB_FILE}: missing")
    return Model(meta, crf, directory / VOCAB_FILE, variety, crfsuite if crfsuite.is_file() else None,
                 tuple(word_lists), lexicon, tables=tables)


def check_labels(meta: dict) -> None:
    """ValueError unless ``meta``'s labels are distinct tags of its tag set: a tampered label list
    would decode every character as a word, or the whole line as one, without an error."""
    from zhseg.features.tags import TAG_SETS

    tag_set, labels = meta.get("tag_set", "bmes"), meta["labels"]
    if tag_set not in TAG_SETS:
        raise ValueError(f"unknown tag set {tag_set!r}")
    if (not isinstance(labels, list) or not labels or len(set(map(str, labels))) != len(labels)
            or not set(labels) <= set(TAG_SETS[tag_set])):
        raise ValueError(f"labels {str(labels)[:80]} are not distinct tags of the {tag_set} tag set")


def _damaged(path: Path, what: str):
    """An error for arrays found inconsistent when first read: ModelError naming the file."""
    return lambda problem: ModelError(f"{path}: inconsistent {what} ({problem}); retrain the model or restore the file")


def describe_standards(model: Model) -> dict[str, str]:
    """Each standard of a multi-corpus model with a line on the corpus it follows (the default
    marked); {} for a model of one corpus."""
    corpora = model.meta.get("training", {}).get("corpora", [])
    out = {}
    for k, name in enumerate(model.standards):
        corpus = corpora[k] if k < len(corpora) and isinstance(corpora[k], dict) else {}
        where = Path(str(corpus.get("path", "?")))
        sentences = corpus.get("sentences")
        line = f"the standard of {where.parent.name}/{where.name}" + (f" ({sentences:,} sentences)" if sentences else "")
        out[name] = line + (" (the default)" if name == model.default_standard else "")
    return out


def word_list_file(group: int) -> str:
    """The file of a word-list group's tables: the first keeps the name of one-list models."""
    return WORD_LIST_FILE if group == 0 else f"wordlist{group}.npz"


@contextlib.contextmanager
def building_model_dir(target: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary directory beside ``target``; on success it replaces ``target``.

    An existing ``target`` is only replaced if it is a zhseg model directory, so a typo cannot
    wipe an unrelated folder. On failure nothing at ``target`` changes.
    """
    target = check_target(target)
    parent = target.parent
    stem = temporary_stem(target.name)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale(parent, f".{stem}.building-*")  # what a killed training left
        building = Path(tempfile.mkdtemp(prefix=f".{stem}.building-{os.getpid()}-", dir=parent))
        os.chmod(building, 0o777 & ~current_umask())  # mkdtemp's 0700 would outlive the rename
    except OSError as error:
        raise os_failure(error, str(target)) from None
    try:
        yield building
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{stem}.old-", dir=parent))
            os.replace(target, old / "model")
        os.replace(building, target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def model_or_default(directory: str | Path | None) -> Path:
    """``directory``, or the embedded default model when it is None (ModelError if there is none)."""
    if directory is not None:
        return Path(directory)
    import zhseg

    path = zhseg.default_model_path()
    if not (path / META_FILE).is_file():
        raise ModelError(f"no --model given and this zhseg has no default model ({path}); "
                         "give --model MODEL_DIR (train one with 'zhseg train')")
    return path


def temporary_stem(name: str) -> str:
    """``name``, shortened for the temporary names beside it (a legal 254-character name plus a
    prefix and suffix would be too long): a long name keeps its start and a digest of the rest."""
    if len(name.encode("utf-8")) <= 120:
        return name
    import hashlib

    return name.encode("utf-8")[:60].decode("utf-8", "ignore") + "~" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


def check_output(target: str | Path) -> Path:
    """:func:`check_target`, and that the model can be written there at all (a writable folder, a
    legal name): checked before a training, which would otherwise fail only at its end."""
    if len(Path(target).name.encode("utf-8")) > 255:
        raise ModelError(f"{str(target)[:80]}...: the name is longer than file systems allow (255 bytes); choose another -o")
    target = check_target(target)
    ancestor = target.parent if str(target.parent) else Path(".")
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ModelError(f"{target}: {ancestor} is not a folder; choose another -o")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ModelError(f"{target}: cannot write in {ancestor} (read-only or permission denied); choose another -o")
    return target


def check_target(target: str | Path) -> Path:
    """``target`` as a Path if a model may be written there: absent, empty, or a model directory."""
    target = Path(target)
    if target.exists() and not (target / META_FILE).is_file():
        if not target.is_dir() or any(target.iterdir()):
            raise ModelError(f"{target}: exists and is not a zhseg model directory; choose another -o")
    return target


def write_meta(directory: Path, meta: dict) -> None:
    meta = {"format_version": FORMAT_VERSION, **meta}
    (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_vocab(directory: Path, words: Iterable[str]) -> None:
    (directory / VOCAB_FILE).write_text("".join(f"{w}\n" for w in sorted(set(words))), encoding="utf-8")


def write_arrays(directory: Path, arrays: dict[str, np.ndarray], name: str = COMPILED_FILE,
                 compress: bool = False) -> None:
    (np.savez_compressed if compress else np.savez)(directory / name, **arrays)


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
    except RecursionError:
        raise ModelError(f"{path}: nested too deeply to be a zhseg meta.json") from None
    except PermissionError:
        raise ModelError(f"{path}: not readable (permission denied)") from None
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


class LazyArrays:
    """An ``.npz`` file's arrays, each read (without pickles) when first asked for, one reader at
    a time; ModelError for an unreadable one."""

    def __init__(self, path: Path):
        self.path = path
        self._open()
        self._lock = threading.Lock()

    def _open(self) -> None:
        self._pid = os.getpid()  # a forked child reopens: the parent's file position is shared
        try:
            self._file = np.load(self.path, allow_pickle=False)
        except FileNotFoundError:
            raise ModelError(f"{self.path}: missing") from None
        except PermissionError:
            raise ModelError(f"{self.path}: not readable (permission denied)") from None
        except (ValueError, OSError, EOFError, zipfile.BadZipFile):
            raise ModelError(f"{self.path}: unreadable: not arrays zhseg wrote, or damaged; retrain the model or "
                             "restore the file") from None
        self.files = frozenset(self._file.files)

    def __contains__(self, name: str) -> bool:
        return name in self.files

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.files:
            raise KeyError(name)
        with self._lock:
            if self._pid != os.getpid():
                self._open()
            try:
                return self._file[name]
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error):
                raise ModelError(f"{self.path}: unreadable array {name!r}: damaged; retrain the model or restore "
                                 "the file") from None


    def close(self) -> None:
        self._file.close()


def open_arrays(directory: str | Path, name: str = COMPILED_FILE) -> LazyArrays:
    """``compiled.npz`` (or another ``.npz`` of the model), its arrays read on first use."""
    return LazyArrays(Path(directory) / name)


def read_arrays(directory: str | Path, name: str = COMPILED_FILE) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` of the model at once (no pickles; ModelError as :class:`LazyArrays`)."""
    arrays = open_arrays(directory, name)
    try:
        return {key: arrays[key] for key in arrays.files}
    finally:
        arrays.close()


def read_vocab(directory: str | Path) -> frozenset[str]:
    path = Path(directory) / VOCAB_FILE
    try:
        return frozenset(path.read_text(encoding="utf-8").split("\n")) - {""}
    except FileNotFoundError:
        raise ModelError(f"{path}: missing") from None
    except UnicodeDecodeError as error:
        raise ModelError(f"{path}: not UTF-8 at byte {error.start}; retrain the model or restore the file") from None
