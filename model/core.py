"""The compiled core's tables: a model's arrays laid out for ``zhseg._core`` (zhseg/_core.c).

The core goes from the characters of lines to their words in one call per batch: folding,
every base's keys, lexicon and word-list matching, accessor variety, weight rows, constraint
masks and Viterbi. This module only lays the model's arrays out for it, once per Segmenter:

- per base (a row of ``features.templates.padded_bases``), its templates' keys and weights, which
  the core merges into *records*, one per key: which of the base's templates have a row for it
  (a bit mask) and where those rows start in one packed weight matrix, held in the base's table
  itself. A template of a standard is a shared template and its standard's copy, whose rows the
  core adds up as it packs them. Only rows that exist are stored, so a standard's tables hold its
  weights and little else; small domains (classes, lengths, buckets) are direct-index tables,
  characters and character pairs hash tables;
- per lexicon (the training vocabulary, each word-list group) the scan tables of
  ``features.lexicon.Lexicon``: the flags of its words and word-beginning pieces per length,
  which the core merges into one table, and its 2-character pieces' code points, under which
  the core files those pieces' flags in the character-pair records instead;
- the folding, the character classes and the isolating code points in compact form.

Laid out, the tables can be written as bytes (:func:`save_tables`: a model directory's
``core.tables``, model/store.py) and read back in one copy (:func:`load_tables`), which is most of
a fresh process's start-up saved; they are the same tables, byte for byte.

The numpy path (features/, model/compiled.py, model/viterbi.py) is the reference: the core's
words equal it line for line, which tests/test_core.py checks.
"""

from __future__ import annotations

import functools
import mmap
import os
from typing import Sequence

import numpy as np

from zhseg.features.chars import CODE_SPACE, class_runs, fold_changes, isolating_bounds, _classes_of
from zhseg.features.lexicon import Lexicon
from zhseg.features.templates import FeatureConfig, base_domain, base_kind
from zhseg.features.variety import AccessorVariety
from zhseg.model.compiled import read_template, template_parts

try:
    if os.environ.get("ZHSEG_NO_CORE"):  # as an install without a C compiler has it (tests, comparisons)
        raise ImportError("ZHSEG_NO_CORE is set")
    from zhseg import _core
except ImportError:  # built without a C compiler: the numpy path serves
    _core = None

DENSE_MAX = 1 << 16  # bases with a domain up to this get a direct-index table
KINDS = {"char": 0, "pair": 1, "class": 2, "class3": 3, "same": 4, "lexicon": 5, "variety": 6}
PARTS = {"begin": 0, "end": 1, "middle": 2}


def available() -> bool:
    """Whether the compiled core was built (a C compiler at install time)."""
    return _core is not None


@functools.cache
def _fold_bmp(fold: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    source, target = fold_changes(fold)
    bmp = np.arange(0x10000, dtype=np.uint32)
    low = source < 0x10000
    bmp[source[low]] = target[low]
    return bmp, source[~low].copy(), target[~low].copy()


@functools.cache
def _character_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    class_bmp = _classes_of(0x10000).astype(np.uint8)
    starts, values = class_runs(0x10000)
    # isolating code points as a bitmap (numpy.packbits' bit order, as the core reads it)
    bounds = isolating_bounds().tolist()
    flags = np.zeros(CODE_SPACE, dtype=bool)  # 1 MB, not a 9 MB running sum
    for first, end in zip(bounds[0::2], bounds[1::2]):
        flags[first:end] = True
    isolating = np.packbits(flags)
    return class_bmp, starts, values, isolating


def _base_spec(name: str, lexicon_of: dict[str, int]) -> tuple[int, int, int]:
    """(kind, param, part) of a base name, as zhseg/_core.c reads them."""
    kind, param = base_kind(name)
    prefix = kind.prefix
    if prefix == "char":
        return KINDS["char"], 0, 0
    if prefix in ("bigram", "skip"):
        return KINDS["pair"], int(param or 1), 0
    if prefix in ("class", "class3"):
        return KINDS[prefix], 0, 0
    if prefix == "same":
        return KINDS["same"], -int(param), 0
    if prefix in ("dict_", "list"):
        group, part = ("dict", param) if prefix == "dict_" else (f"list{param[: param.index('_')]}", param[param.index("_") + 1 :])
        return KINDS["lexicon"], lexicon_of[group], PARTS[part]
    side, length = (0, param[len("begin"):]) if param.startswith("begin") else (1, param[len("end"):])
    return KINDS["variety"], int(length), side


def _lexicon_spec(lexicon: Lexicon) -> tuple:
    """Per length, the hashes of the lexicon's words and word-beginning pieces and their flags
    (the scan tables of ``Lexicon._array_matches``; the core needs no prefix filter), and for
    length 2 the pieces' code points where the lexicon has them (``Lexicon.pairs``), read when the
    core comes to this lexicon."""
    def tables():
        pairs = lexicon.pairs()
        return [(length, np.ascontiguousarray(keys, dtype=np.int64), np.ascontiguousarray(flags, dtype=np.uint8),
                 *((pairs,) if length == 2 and pairs is not None else ()))
                for length, (keys, flags) in sorted(lexicon.read_tables().items())]

    return lexicon.max_length, tables


def _variety_spec(variety: AccessorVariety) -> tuple:
    tables = [(length, np.ascontiguousarray(keys, dtype=np.int64),
               (left.astype(np.int32) | right.astype(np.int32) << 8))
              for length, (keys, left, right) in sorted(variety.tables.items())]
    return variety.max_length, tables


def _read_weights(part) -> np.ndarray:
    return np.ascontiguousarray(read_template(*part, "weights"), dtype=np.float64)


def build_spec(crf, config: FeatureConfig, lexicon: Lexicon | None, word_lists: Sequence[Lexicon],
               variety: AccessorVariety | None, allowed: np.ndarray, start_label: np.ndarray,
               end_label: np.ndarray, isolate: bool) -> dict:
    """The dict ``zhseg._core.Core`` is built from, for a :class:`model.compiled.CompiledCRF`
    (one standard's selection) and its feature tables."""
    n_labels = len(crf.labels)
    lexicons = ([lexicon] if config.dictionary else []) + list(word_lists if config.word_list else [])
    lexicon_of = {"dict": 0} if config.dictionary else {}
    lexicon_of.update({f"list{g or ''}": g + (1 if config.dictionary else 0) for g in range(len(word_lists))})
    base_names = list(dict.fromkeys(t.base for t in crf.templates))
    members_of: dict[str, list[int]] = {b: [] for b in base_names}
    for j, t in enumerate(crf.templates):
        members_of[t.base].append(j)
    if any(len(m) > 32 for m in members_of.values()):
        raise ValueError("the compiled core reads at most 32 templates per base")
    bases = []
    for name in base_names:
        kind, param, part = _base_spec(name, lexicon_of)
        domain = base_domain(name)
        dense = domain if domain is not None and domain <= DENSE_MAX else 0
        # the core merges the members' keys into records, sums the rows of a slot's members and
        # packs them (zhseg/_core.c), asking for each base's keys when it comes to it, then for one
        # member's weights at a time: read once and not kept
        parts = [template_parts(crf, j) for j in members_of[name]]

        def members(parts=parts):  # each member's keys, and a function reading its weights when asked
            return [(np.ascontiguousarray(read_template(*part, "keys"), dtype=np.int64),
                     functools.partial(_read_weights, part)) for template in parts for part in template]

        slots = [slot for slot, template in enumerate(parts) for _ in template]
        bases.append((kind, param, part, dense, members, slots))
    base_index = {name: b for b, name in enumerate(base_names)}
    templates = [(base_index[t.base], t.offset, members_of[t.base].index(j)) for j, t in enumerate(crf.templates)]
    fold_bmp, fold_hi_keys, fold_hi_values = _fold_bmp(config.fold)
    class_bmp, class_hi_starts, class_hi_values, isolating = _character_tables()
    return {
        "n_labels": n_labels, "radius": config.radius, "isolate": bool(isolate),
        "transitions": np.ascontiguousarray(crf.transitions, dtype=np.float64),
        "allowed": np.ascontiguousarray(allowed, dtype=np.uint8),
        "start_label": np.asarray(start_label, dtype=np.uint8), "end_label": np.asarray(end_label, dtype=np.uint8),
        "fold_bmp": fold_bmp, "fold_hi_keys": fold_hi_keys, "fold_hi_values": fold_hi_values,
        "class_bmp": class_bmp, "class_hi_starts": class_hi_starts, "class_hi_values": class_hi_values,
        "isolating": isolating, "bases": bases, "templates": templates,
        "lexicons": [_lexicon_spec(x) for x in lexicons],
        "variety": _variety_spec(variety) if config.variety and variety is not None else None,
    }


def rule_spans(text: str) -> list[tuple[int, int]]:
    """model/constraints.py's rule matches of two or more characters, found by the compiled core."""
    return _core.rule_spans(text)


def grapheme_candidate(text: str, start: int) -> int:
    """The first position of ``text`` at or after ``start`` whose character may belong to a
    grapheme cluster of two or more code points, or -1: a fast scan over what is surely not (most
    of Chinese text), before the exact one (model/constraints.py)."""
    return _core.grapheme_candidate(text, start)


def build(spec: dict):
    """A ``zhseg._core.Core`` from :func:`build_spec`'s dict."""
    if _core is None:
        raise RuntimeError("zhseg's compiled core was not built (no C compiler at install time)")
    return _core.Core(spec)


def save_tables(built, path: os.PathLike, tag: bytes) -> None:
    """Write a built Core's tables to ``path`` (``Core.tables``: as the core holds them, ``tag``
    in their header), in a directory being built: model/store.py renames it into place."""
    with open(path, "wb") as out:
        out.write(built.tables(tag))


def load_tables(path: os.PathLike, tag: bytes):
    """A Core from the tables :func:`save_tables` wrote (one copy from the page cache, nothing
    built); None where they are of another layout of the core, or not tagged ``tag`` (another
    model, standard or setting). ValueError where they are damaged. The file is mapped and its
    pages dropped as the core copies them (a process's peak memory holds the copy, not the copy and
    the mapping)."""
    if _core is None:
        return None
    with open(path, "rb") as file:
        if os.fstat(file.fileno()).st_size == 0:
            raise ValueError("empty")
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _core.load_tables(data, tag, True)
