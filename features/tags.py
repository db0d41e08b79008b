"""Words to per-character tags and back.

Two tag sets: BMES (begin, middle, end, single) and the 6-tag set of Zhao et al. (2006), which
also marks the second and third characters of a word (B, B2, B3, M, E, S). In both, a word starts
at a B or S tag, so the inverse mapping only needs to know where words begin.
"""

from __future__ import annotations

from typing import Iterable, Sequence

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


def tags_to_words(chars: Sequence[str] | str, tags: Sequence[str]) -> list[str]:
    """Cut ``chars`` into words where the tags say a word starts.

    Any tag sequence is accepted: a word also starts after an E or S, so an ill-formed sequence
    (such as B B) still yields words that join back to ``chars``.
    """
    if len(chars) != len(tags):
        raise ValueError(f"{len(chars)} characters but {len(tags)} tags")
    words: list[str] = []
    start = 0
    previous = "S"
    for i, tag in enumerate(tags):
        if i > 0 and (tag in WORD_START_TAGS or previous in WORD_END_TAGS):
            words.append("".join(chars[start:i]))
            start = i
        previous = tag
    if len(chars):
        words.append("".join(chars[start:]))
    return words


def word_spans(words: Iterable[str]) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of consecutive words, as offsets into their concatenation."""
    spans = []
    start = 0
    for word in words:
        end = start + len(word)
        spans.append((start, end))
        start = end
    return spans
