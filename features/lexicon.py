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

PRIME = np.uint64(0x100000001B3)  # FNV-64 prime: odd, mixes the 21-bit code points well


def _hash_start(length: int) -> np.uint64:
    return np.uint64(0xCBF29CE484222325) ^ np.uint64(length)  # the length seeds the hash


class Lexicon:
    """Known words, stored as sorted hashes per length (no strings needed when decoding)."""

    def __init__(self, words: Iterable[str], max_length: int):
        self.max_length = max_length
        by_length: dict[int, list[str]] = {}
        for word in words:
            if 2 <= len(word) <= max_length:
                by_length.setdefault(len(word), []).append(word)
        self.hashes = {}
        for length in range(2, max_length + 1):
            group = by_length.get(length, [])
            if not group:
                self.hashes[length] = np.zeros(0, dtype=np.uint64)
                continue
            folded = fold_table().take(codepoints("".join(group))).reshape(len(group), length)
            self.hashes[length] = np.unique(self._fold_hash(folded))

    @staticmethod
    def _fold_hash(columns: np.ndarray) -> np.ndarray:
        """Hash each row of an (n, length) code point array."""
        length = columns.shape[1]
        value = np.full(columns.shape[0], _hash_start(length), dtype=np.uint64)
        for k in range(length):
            value = (value ^ columns[:, k].astype(np.uint64)) * PRIME
        return value

    def match_lengths(self, padded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each position of a padded folded code point array: the length of the longest known
        word starting there, ending there, and running through it (neither first nor last), or 0."""
        n = len(padded)
        begin = np.zeros(n, dtype=np.int64)
        end = np.zeros(n, dtype=np.int64)
        middle = np.zeros(n, dtype=np.int64)
        values = padded.astype(np.uint64)
        for length in range(2, self.max_length + 1):
            known = self.hashes[length]
            if n < length or not len(known):
                continue
            windows = n - length + 1
            value = np.full(windows, _hash_start(length), dtype=np.uint64)
            for k in range(length):
                value = (value ^ values[k : k + windows]) * PRIME
            index = np.minimum(known.searchsorted(value), len(known) - 1)
            starts = np.flatnonzero(known.take(index) == value)
            if not len(starts):
                continue
            # lengths grow, so plain assignment keeps the longest match
            begin[starts] = length
            end[starts + length - 1] = length
            for inner in range(1, length - 1):
                middle[starts + inner] = length
        return begin, end, middle
