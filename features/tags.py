"""Words to per-character tags and back.

Two tag sets: BMES (begin, middle, end, single) and the 6-tag set of Zhao et al. (2006), which
also marks the second and third characters of a word (B, B2, B3, M, E, S). In both, a word starts
at a B or S tag, so the inverse mapping only needs to know where words begin.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

TAG_SETS: dict[str, tuple[str, ...]] = {
    "bmes": ("B", "M", "E", "S"),
    "6tag": ("B", "B2", "B3", "M", "E", "S"),
}
WORD_START_TAGS = frozenset({"B", "S"})
WORD_END_TAGS = frozenset({"E", "S"})


def word_tags(length: int, tag_set: str = "bmes") -> list[str]:
    """The tags of one word of ``length`` characters."""
    if length < 1:
        raise ValueError("a word has at least one character")
    if length == 1:
        return ["S"]
    if tag_set == "bmes":
        return ["B"] + ["M"] * (length - 2) + ["E"]
    if tag_set == "6tag":
        inner = ["B2", "B3"][: length - 2] + ["M"] * max(0, length - 4)
        return ["B"] + inner + ["E"]
    raise ValueError(f"unknown tag set {tag_set!r}; expected one of {', '.join(TAG_SETS)}")


def words_to_tags(words: Iterable[str], tag_set: str = "bmes") -> list[str]:
    """One tag per character of the concatenated words."""
    tags: list[str] = []
    for word in words:
        tags.extend(word_tags(len(word), tag_set))
    return tags


def word_start_flags(is_start: np.ndarray, is_end: np.ndarray) -> np.ndarray:
    """The one rule from tags to words: a word starts at the first character, at a start tag
    (B, S) and after an end tag (E, S). Takes, per character, whether its tag is a start tag and
    whether it is an end tag; returns whether a word starts there. Any tag sequence is accepted:
    an ill-formed one (such as B B) still cuts the characters into words that join back."""
    starts = np.array(is_start, dtype=bool)
    if len(starts) > 1:
        starts[1:] |= np.asarray(is_end[:-1], dtype=bool)
    if len(starts):
        starts[0] = True
    return starts


def tags_to_words(chars: Sequence[str] | str, tags: Sequence[str]) -> list[str]:
    """Cut ``chars`` into words where :func:`word_start_flags` says a word starts."""
    if len(chars) != len(tags):
        raise ValueError(f"{len(chars)} characters but {len(tags)} tags")
    flags = word_start_flags(np.array([t in WORD_START_TAGS for t in tags], dtype=bool),
                             np.array([t in WORD_END_TAGS for t in tags], dtype=bool))
    bounds = np.flatnonzero(flags).tolist() + [len(chars)]
    return ["".join(chars[a:b]) for a, b in zip(bounds, bounds[1:])]


def word_spans(words: Iterable[str]) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of consecutive words, as offsets into their concatenation."""
    spans = []
    start = 0
    for word in words:
        end = start + len(word)
        spans.append((start, end))
        start = end
    return spans
