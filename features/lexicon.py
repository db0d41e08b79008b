"""Dictionary features: how long a known word starts, ends or runs through each character.

A lexicon is a set of words (normally the training vocabulary) of 2 to ``max_length``
characters. Words are matched by a polynomial hash of their folded code points, computed for
every n-gram of the padded text at once; training and decoding use the same function, so the
features are the same on both paths. (A hash collision could add a spurious match, with odds of
about one in 10^10 per n-gram; that changes a feature, never the output's characters.)
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from features.chars import codepoints, fold_table
from features.keyindex import KeyIndex

PRIME = np.uint64(0x100000001B3)  # FNV-64 prime: odd, mixes the 21-bit code points well
SEED = np.uint64(0xCBF29CE484222325)


def _finish(prefix: np.ndarray, length: int) -> np.ndarray:
    """The hash of an n-gram from the FNV hash of its characters: the length is mixed in last, so
    the hashes of all lengths grow from one rolling prefix; the top bit is dropped to give
    non-negative int64 keys."""
    return (((prefix ^ np.uint64(length)) * PRIME) >> np.uint64(1)).astype(np.int64)


class Lexicon:
    """Known words, as an index of their hashes per length (no strings needed when decoding)."""

    def __init__(self, words: Iterable[str], max_length: int):
        self.max_length = max_length
        by_length: dict[int, list[str]] = {}
        for word in words:
            if 2 <= len(word) <= max_length:
                by_length.setdefault(len(word), []).append(word)
        self.indexes: dict[int, KeyIndex] = {}
        for length in range(2, max_length + 1):
            group = by_length.get(length, [])
            if group:
                folded = fold_table().take(codepoints("".join(group))).reshape(len(group), length)
                self.indexes[length] = KeyIndex(np.unique(self._fold_hash(folded)), None)

    @staticmethod
    def _fold_hash(columns: np.ndarray) -> np.ndarray:
        """Hash each row of an (n, length) code point array."""
        prefix = np.full(columns.shape[0], SEED, dtype=np.uint64)
        for k in range(columns.shape[1]):
            prefix = (prefix ^ columns[:, k].astype(np.uint64)) * PRIME
        return _finish(prefix, columns.shape[1])

    def match_lengths(self, padded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each position of a padded folded code point array: the length of the longest known
        word starting there, ending there, and running through it (neither first nor last), or 0."""
        n = len(padded)
        begin = np.zeros(n, dtype=np.int64)
        end = np.zeros(n, dtype=np.int64)
        middle = np.zeros(n, dtype=np.int64)
        values = padded.astype(np.uint64)
        prefix = (SEED ^ values) * PRIME  # prefix[i]: the hash of the characters from i on, so far
        for length in range(2, min(self.max_length, n) + 1):
            windows = n - length + 1
            prefix = (prefix[:windows] ^ values[length - 1 :]) * PRIME
            known = self.indexes.get(length)
            if known is None:
                continue
            starts = np.flatnonzero(known.ids(_finish(prefix, length)) < len(known.keys))
            if not len(starts):
                continue
            # lengths grow, so plain assignment keeps the longest match
            begin[starts] = length
            end[starts + length - 1] = length
            for inner in range(1, length - 1):
                middle[starts + inner] = length
        return begin, end, middle
