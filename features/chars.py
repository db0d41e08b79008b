"""Characters as numbers: code points, width and case folding, character classes.

Everything here works on numpy arrays of code points so that feature extraction for a million
characters costs a handful of vectorised operations. Two sentinel code points outside Unicode mark
the padding before and after a sequence.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

import numpy as np

BOS = 0x110000  # padding before a sequence
EOS = 0x110001  # padding after a sequence
CODE_SPACE = 0x110002  # every folded code point, sentinels included, is below this

CHAR_CLASSES = ("pad", "digit", "latin", "punct", "cn_numeral", "date_unit", "han", "other")
CHINESE_NUMERALS = "零〇一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟廿卅"
DATE_TIME_UNITS = "年月日号时分秒点周"


def codepoints(text: str) -> np.ndarray:
    """The code points of ``text`` as an int64 array."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)  # lone surrogates are characters too


FOLDINGS = ("basic", "t2s")


@functools.cache
def fold_changes(kind: str = "basic") -> tuple[np.ndarray, np.ndarray]:
    """The code points :func:`fold_table` changes and what each becomes, sorted: the one
    definition of the folding, from which the full table and the compiled core's compact one
    are made."""
    if kind not in FOLDINGS:
        raise ValueError(f"unknown character folding {kind!r}; expected one of {', '.join(FOLDINGS)}")
    changes = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    changes[0x3000] = 0x20
    changes.update((code, code + 32) for code in range(ord("A"), ord("Z") + 1))
    changes.update((0xFF21 + k, ord("a") + k) for k in range(26))
    if kind == "t2s":
        pairs = [line.split("\t") for line in (Path(__file__).parent / "data" / "t2s.tsv").read_text(
            encoding="utf-8").splitlines() if line and not line.startswith("#")]
        changes.update((ord(a), ord(b)) for a, b in pairs)
    source = np.array(sorted(changes), dtype=np.int64)
    target = np.array([changes[c] for c in source.tolist()], dtype=np.int64)
    return source, target


@functools.cache
def fold_table(kind: str = "basic") -> np.ndarray:
    """Code point -> folded code point, for the features (the output text is never folded).

    ``basic``: full-width ASCII to half-width, A-Z to a-z, U+3000 to space, so that ``ＡＰＰ``,
    ``APP`` and ``app`` share features. ``t2s`` also folds traditional characters and their
    Taiwan and Hong Kong variants to simplified ones (features/data/t2s.tsv, from OpenCC's
    dictionaries), so a model trained on simplified text reads traditional text with the same
    features.
    """
    source, target = fold_changes(kind)
    table = np.arange(CODE_SPACE, dtype=np.int64)
    table[source] = target
    table.setflags(write=False)
    return table


def _class_marks() -> list[tuple[int, int, int]]:
    """``(first, last, class)`` ranges, later ones winning: the one definition of the classes."""
    marks = []

    def mark(name: str, ranges: list[tuple[int, int]]) -> None:
        marks.extend((low, high, CHAR_CLASSES.index(name)) for low, high in ranges)

    mark("han", [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F)])
    mark("punct", [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E), (0xA1, 0xBF),
                   (0x2000, 0x206F), (0x3000, 0x303F), (0xFE30, 0xFE4F), (0xFF00, 0xFF0F),
                   (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF65), (0x2E00, 0x2E7F)])
    mark("digit", [(0x30, 0x39)])
    mark("latin", [(0x61, 0x7A), (0x41, 0x5A), (0xC0, 0x24F)])
    for name, chars in (("cn_numeral", CHINESE_NUMERALS), ("date_unit", DATE_TIME_UNITS)):
        mark(name, [(ord(c), ord(c)) for c in chars])
    mark("pad", [(BOS, EOS)])
    return marks


def _classes_of(size: int, first: int = 0) -> np.ndarray:
    table = np.full(size, CHAR_CLASSES.index("other"), dtype=np.int64)
    for low, high, value in _class_marks():
        low, high = max(low, first), min(high, first + size - 1)
        if low <= high:
            table[low - first : high - first + 1] = value
    return table


@functools.cache
def class_table() -> np.ndarray:
    """Folded code point -> index into :data:`CHAR_CLASSES`."""
    table = _classes_of(CODE_SPACE)
    table.setflags(write=False)
    return table


def class_runs(first: int = 0x10000) -> tuple[np.ndarray, np.ndarray]:
    """The classes from ``first`` up as runs: where each run starts and its class (the compiled
    core's compact form of :func:`class_table` above the BMP)."""
    points = sorted({first} | {p for low, high, _ in _class_marks() for p in (low, high + 1) if p > first})
    points = [p for p in points if p < CODE_SPACE]
    values = []
    for point in points:
        value = CHAR_CLASSES.index("other")
        for low, high, mark in _class_marks():
            if low <= point <= high:
                value = mark
        values.append(value)
    return np.array(points, dtype=np.int64), np.array(values, dtype=np.uint8)


@functools.cache
def isolating_bounds() -> np.ndarray:
    """Sorted bounds of the ranges of isolating code points (features/data/isolating.tsv:
    punctuation, symbols, pictographs): a code point is isolating where an odd number of bounds
    lie at or below it. What never shares a word with other text (model/constraints.py)."""
    rows = [line.split("\t") for line in (Path(__file__).parent / "data" / "isolating.tsv").read_text(
        encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return np.array([b for first, last in rows for b in (int(first, 16), int(last, 16) + 1)], dtype=np.int64)


def is_isolating(codes: np.ndarray) -> np.ndarray:
    """Per code point (unfolded): punctuation, a symbol or a pictograph?"""
    return (np.searchsorted(isolating_bounds(), codes, side="right") & 1).astype(bool)


def padded_layout(lengths: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Where each character of concatenated sequences goes in a padded array.

    Each sequence gets ``radius`` BOS slots before it and ``radius`` EOS slots after it. Returns
    the positions of the real characters, the positions of the EOS slots and the padded size.
    """
    n_seq = len(lengths)
    seq_of_char = np.repeat(np.arange(n_seq), lengths)
    shift = radius * (2 * np.arange(n_seq) + 1)
    char_positions = np.arange(int(lengths.sum())) + shift[seq_of_char]
    ends = np.cumsum(lengths) + shift
    eos_positions = (ends[:, None] + np.arange(radius)).ravel()
    return char_positions, eos_positions, int(lengths.sum()) + 2 * radius * n_seq


def padded_codepoints(sequences: Sequence[str], radius: int, fold: str = "basic") -> tuple[np.ndarray, np.ndarray]:
    """The folded code points of ``sequences`` (``fold``: see :func:`fold_table`) laid out as
    :func:`padded_layout` says, BOS and EOS in the padding; returns the positions of the real
    characters and the padded array."""
    folded = fold_table(fold).take(codepoints("".join(sequences)))
    if len(sequences) == 1:  # the per-call case: one concatenation, no layout bookkeeping
        bos, eos = _padding(radius)
        return np.arange(radius, radius + len(folded)), np.concatenate((bos, folded, eos))
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    pos, eos_pos, size = padded_layout(lengths, radius)
    padded = np.full(size, BOS, dtype=np.int64)
    padded[pos] = folded
    padded[eos_pos] = EOS
    return pos, padded


@functools.cache
def _padding(radius: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full(radius, BOS, dtype=np.int64), np.full(radius, EOS, dtype=np.int64)
