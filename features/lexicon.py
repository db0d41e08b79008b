"""Dictionary features: how long a known word starts, ends or runs through each character.

A lexicon is a set of words (normally the training vocabulary) of 2 to ``max_length``
characters. Words are matched by a polynomial hash of their folded code points, computed for
every n-gram of the padded text at once; training and decoding use the same function, so the
features are the same on both paths. Short texts (one sentence) are matched against a Python
dictionary of the folded words instead, which costs fewer operations. The two agree except on a hash
collision, which could add a spurious match in the array path with odds of about one in 10^14
per n-gram; that changes a feature, never the output's characters.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from features.chars import BOS, codepoints, fold_table
from features.keyindex import KeyIndex

PRIME = np.uint64(0x100000001B3)  # FNV-64 prime: odd, mixes the 21-bit code points well
SEED = np.uint64(0xCBF29CE484222325)
FILTER_BITS = 18  # 256 KB per word length
FILTER_SHIFT = np.uint64(64 - FILTER_BITS)  # the filter reads the top bits of the rolling hash
WORD, PREFIX = 1, 2  # flags of a piece of text in Lexicon.pieces()
PYTHON_MATCH_MAX = 256  # texts shorter than this (padded) are matched in plain Python


def finish_hash(prefix: np.ndarray, length: int) -> np.ndarray:
    """The hash of an n-gram from the FNV hash of its characters: the length is mixed in last, so
    the hashes of all lengths grow from one rolling prefix; the top bit is dropped to give
    non-negative int64 keys."""
    return (((prefix ^ np.uint64(length)) * PRIME) >> np.uint64(1)).astype(np.int64)


def ngram_prefixes(padded: np.ndarray, max_length: int) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(length, prefixes)`` for each n-gram length from 2 to ``max_length``:
    ``prefixes[i]`` is the rolling (unfinished, uint64) hash of the n-gram starting at position
    ``i`` of the folded code point array ``padded``, one per window. :func:`finish_hash` turns
    it into the n-gram's hash."""
    values = padded.astype(np.uint64)
    prefix = (SEED ^ values) * PRIME  # prefix[i]: the hash of the characters from i on, so far
    for length in range(2, min(max_length, len(padded)) + 1):
        prefix = (prefix[: len(padded) - length + 1] ^ values[length - 1 :]) * PRIME
        yield length, prefix


def ngram_hashes(padded: np.ndarray, max_length: int) -> Iterator[tuple[int, np.ndarray]]:
    """Like :func:`ngram_prefixes`, with finished hashes (non-negative int64 keys)."""
    for length, prefix in ngram_prefixes(padded, max_length):
        yield length, finish_hash(prefix, length)


class Lexicon:
    """Known words, as an index of their hashes per length (no strings needed when decoding)."""

    def __init__(self, words: Iterable[str], max_length: int):
        self.max_length = max_length
        by_length: dict[int, list[str]] = {}
        for word in words:
            if 2 <= len(word) <= max_length and "\x00" not in word:
                by_length.setdefault(len(word), []).append(word)
        self.indexes: dict[int, KeyIndex] = {}
        self.filters: dict[int, np.ndarray] = {}
        self._pieces: dict[str, int] | None = None  # built on first use
        self._folded: dict[int, np.ndarray] = {}
        for length in range(2, max_length + 1):
            group = by_length.get(length, [])
            if group:
                folded = fold_table().take(codepoints("".join(group))).reshape(len(group), length)
                self._folded[length] = folded
                # the rolling hash of the words' own windows, the same function text gets
                _, rolled = list(ngram_prefixes(folded.ravel(), length))[-1]
                prefixes = rolled[::length]
                self.indexes[length] = KeyIndex(np.unique(finish_hash(prefixes, length)), None)
                # Most n-grams of a text are not words: a bitmap of the top bits of the rolling
                # hash, small enough to stay in cache, rules nearly all of them out before their
                # hashes are finished and looked up.
                self.filters[length] = np.zeros(1 << FILTER_BITS, dtype=bool)
                self.filters[length][prefixes >> FILTER_SHIFT] = True

    def pieces(self) -> dict[str, int]:
        """Folded words (flag WORD) and the pieces of two or more characters that begin a longer
        word (flag PREFIX), for short texts; built on first use."""
        if self._pieces is None:
            pieces: dict[str, int] = {}
            for length, folded in self._folded.items():
                joined = folded.astype("<u4").tobytes().decode("utf-32-le")
                for word in (joined[k : k + length] for k in range(0, len(joined), length)):
                    pieces[word] = pieces.get(word, 0) | WORD
                    for cut in range(2, length):
                        pieces[word[:cut]] = pieces.get(word[:cut], 0) | PREFIX
            self._pieces = pieces
        return self._pieces

    def match_lengths(self, padded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each position of a padded folded code point array: the length of the longest known
        word starting there, ending there, and running through it (neither first nor last), or 0."""
        if len(padded) < PYTHON_MATCH_MAX:
            return self._match_lengths_loop(padded)
        n = len(padded)
        begin = np.zeros(n, dtype=np.int64)
        end = np.zeros(n, dtype=np.int64)
        middle = np.zeros(n, dtype=np.int64)
        for length, prefixes in ngram_prefixes(padded, self.max_length):
            known = self.indexes.get(length)
            if known is None:
                continue
            maybe = np.flatnonzero(self.filters[length].take(prefixes >> FILTER_SHIFT))
            starts = maybe[known.lookup(finish_hash(prefixes.take(maybe), length)) < len(known.keys)]
            if not len(starts):
                continue
            # lengths grow, so plain assignment keeps the longest match
            begin[starts] = length
            end[starts + length - 1] = length
            for inner in range(1, length - 1):
                middle[starts + inner] = length
        return begin, end, middle

    def _match_lengths_loop(self, padded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`match_lengths` for a short text, in plain Python: a single sentence needs a few
        dozen dictionary lookups, far fewer operations than the array path's hundred numpy calls.
        A piece is looked up at the next length only if it begins some longer word, so most
        positions cost one or two lookups. Padding becomes NUL, which no known word contains."""
        n = len(padded)
        text = np.where(padded < BOS, padded, 0).astype("<u4").tobytes().decode("utf-32-le")
        first, last = len(text) - len(text.lstrip("\x00")), len(text.rstrip("\x00"))  # the real text
        begin, end, middle = [0] * n, [0] * n, [0] * n
        kind_of = self.pieces().get
        alive = range(first, last - 1)  # where a known piece of the current length may start
        for length in range(2, self.max_length + 1):  # lengths grow: later matches are longer
            kinds = [(i, kind_of(text[i : i + length], 0)) for i in alive if i <= last - length]
            for i, kind in kinds:
                if kind & WORD:
                    begin[i] = length
                    end[i + length - 1] = length
                    for inner in range(i + 1, i + length - 1):
                        middle[inner] = length
            alive = [i for i, kind in kinds if kind & PREFIX]
            if not alive:
                break
        return tuple(np.array(x, dtype=np.int64) for x in (begin, end, middle))
