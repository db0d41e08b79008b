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

import copy
from itertools import compress, repeat
from operator import and_
from typing import Iterable, Iterator, Sequence

import numpy as np

from zhseg.features.chars import CODE_SPACE, codepoints, fold_table
from zhseg.features.keyindex import KeyIndex

PRIME = np.uint64(0x100000001B3)  # FNV-64 prime: odd, mixes the 21-bit code points well
SEED = np.uint64(0xCBF29CE484222325)
FILTER_BITS = 18  # 256 KB per word length
FILTER_SHIFT = np.uint64(64 - FILTER_BITS)  # the filter reads the top bits of the rolling hash
WORD, PREFIX = 1, 2  # flags of a piece of text in Lexicon.pieces()
PIECE_BITS = (CODE_SPACE - 1).bit_length()  # every folded code point and padding sentinel fits
PYTHON_MATCH_MAX = 256  # texts shorter than this (padded) are matched in plain Python


def finish_hash(prefix: np.ndarray, length: int) -> np.ndarray:
    """The hash of an n-gram from the FNV hash of its characters: the length is mixed in last, so
    the hashes of all lengths grow from one rolling prefix; the top bit is dropped to give
    non-negative int64 keys."""
    return (((prefix ^ np.uint64(length)) * PRIME) >> np.uint64(1)).astype(np.int64)


def sorted_unique(values: np.ndarray, presorted_runs: bool = False) -> np.ndarray:
    """The distinct values, sorted (by sorting: numpy's hash-based ``unique`` is several times
    slower on a million random 64-bit keys). ``presorted_runs``: ``values`` is a few sorted runs
    end to end, which a stable sort (timsort) merges in linear time."""
    values = np.sort(values, kind="stable" if presorted_runs else "quicksort")
    if len(values) > 1:
        values = values[np.concatenate(([True], values[1:] != values[:-1]))]
    return values


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


def word_prefixes(folded: np.ndarray) -> np.ndarray:
    """The rolling hash text gets (:func:`ngram_prefixes`) of each row of ``folded``, an
    ``(n, length)`` array of words' folded code points, column by column."""
    prefixes = (SEED ^ folded[:, 0].astype(np.uint64)) * PRIME
    for column in range(1, folded.shape[1]):
        prefixes = (prefixes ^ folded[:, column].astype(np.uint64)) * PRIME
    return prefixes


def ngram_hashes(padded: np.ndarray, max_length: int) -> Iterator[tuple[int, np.ndarray]]:
    """Like :func:`ngram_prefixes`, with finished hashes (non-negative int64 keys)."""
    for length, prefix in ngram_prefixes(padded, max_length):
        yield length, finish_hash(prefix, length)


class Lexicon:
    """Known words, as an index of their hashes per length (no strings needed when decoding).

    fold: the folding of :func:`zhseg.features.chars.fold_table` applied to the words, which the
        text must have too (as the features see it); None matches words and text exactly as
        written (user words).
    python_loop: match short texts in plain Python against a dictionary of word pieces, built
        on first use; off for lists of hundreds of thousands of words, where building that
        dictionary costs more (about a second) than it ever saves.
    """

    def __init__(self, words: Iterable[str], max_length: int, fold: str | None = "basic",
                 python_loop: bool = True):
        self.max_length = max_length
        self.python_loop = python_loop
        self._fold = fold
        # every word's code points, grouped by length without a Python step per word
        words = words if isinstance(words, (list, tuple)) else list(words)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        all_codes = codepoints("".join(words))
        word_starts = np.cumsum(lengths) - lengths
        # Most n-grams of a text are not words: per length, a bitmap of the top bits of the
        # rolling hash, small enough to stay in cache, rules nearly all of them out before their
        # hashes are finished and looked up (the numpy path's; stored for older readers).
        filters = np.zeros((max_length + 1, 1 << FILTER_BITS), dtype=bool)
        self._pieces: dict[int, int] | None = None  # built on first use
        self._folded: dict[int, np.ndarray] = {}
        word_hashes_by_length: dict[int, np.ndarray] = {}
        for length in range(2, max_length + 1):
            folded = all_codes.take(word_starts[lengths == length][:, None] + np.arange(length))
            folded = folded[(folded != 0).all(axis=1)]  # NUL never occurs in text a lexicon matches
            if len(folded):
                if fold is not None:
                    folded = fold_table(fold).take(folded)
                self._folded[length] = folded
                prefixes = word_prefixes(folded)
                word_hashes_by_length[length] = sorted_unique(finish_hash(prefixes, length))
                filters[length, prefixes >> FILTER_SHIFT] = True
        # Per length, the words and the pieces that begin a longer word, with WORD and PREFIX
        # flags: a position goes on to the next length only while its piece begins some longer
        # word, so the work shrinks with length.
        self._tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # length -> (sorted hashes, uint8 flags)
        scan_filters = np.zeros_like(filters)
        pieces_by_length: dict[int, list[np.ndarray]] = {}
        for length, folded in self._folded.items():
            prefix = (SEED ^ folded[:, 0].astype(np.uint64)) * PRIME
            for cut in range(2, length):
                prefix = (prefix ^ folded[:, cut - 1].astype(np.uint64)) * PRIME
                pieces_by_length.setdefault(cut, []).append(prefix)
        for length in range(2, max_length + 1):
            word_hashes = word_hashes_by_length.get(length, np.zeros(0, dtype=np.int64))
            pieces = np.concatenate(pieces_by_length.get(length, [np.zeros(0, dtype=np.uint64)]))
            piece_hashes = sorted_unique(finish_hash(pieces, length))
            keys = sorted_unique(np.concatenate((word_hashes, piece_hashes)), presorted_runs=True)
            if not len(keys):
                continue
            flags = np.zeros(len(keys), dtype=np.uint8)
            flags[np.searchsorted(keys, word_hashes)] |= WORD
            flags[np.searchsorted(keys, piece_hashes)] |= PREFIX
            scan_filters[length] = filters[length]
            scan_filters[length, pieces >> FILTER_SHIFT] = True
            self._tables[length] = (keys, flags)
        self._packed = (np.packbits(filters, axis=1), np.packbits(scan_filters, axis=1))
        self._pairs: np.ndarray | None = self._pairs_of_pieces()
        self._scan: dict[int, tuple[np.ndarray, KeyIndex]] | None = None  # the numpy path's, built on first use

    def _pairs_of_pieces(self) -> np.ndarray | None:
        """The folded code points of each 2-character piece of :attr:`tables` (``pairs[i]`` is
        the piece whose hash is ``keys2[i]``), packed as ``first * CODE_SPACE + second``: the key
        the adjacent-pair bigrams have, under which the compiled core keeps these flags."""
        if 2 not in self._tables:
            return None
        firsts = np.concatenate([folded[:, :2] for folded in self._folded.values()])
        keys = self._tables[2][0]
        pairs = np.empty(len(keys), dtype=np.int64)
        pairs[np.searchsorted(keys, finish_hash(word_prefixes(firsts), 2))] = \
            firsts[:, 0].astype(np.int64) * CODE_SPACE + firsts[:, 1]
        return pairs

    def pairs(self) -> np.ndarray | None:
        """:meth:`_pairs_of_pieces`, as built or as a model directory stores it (read each time,
        not kept: the compiled core checks them against the keys); None for a lexicon without
        2-character pieces or stored by a zhseg that did not keep them."""
        if self._pairs is not None or not hasattr(self, "_arrays") or "pairs2" not in self._arrays:
            return self._pairs
        pairs = np.asarray(self._arrays["pairs2"])
        if pairs.dtype != np.int64 or pairs.ndim != 1:
            raise self._on_error("lexicon pairs are not an int64 array")
        return pairs

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The tables matching needs (not the words), for a model directory: per length the sorted
        hashes of words and word-beginning pieces with their flags, and both filters as bits; and
        the 2-character pieces' code points (:meth:`pairs`). The words themselves are not kept, so
        a lexicon from arrays matches by hash only."""
        filters, scan_filters = self._packed_filters
        arrays = {"max_length": np.array(self.max_length), "filters": filters, "scan_filters": scan_filters}
        for length, (keys, flags) in self.tables.items():
            arrays[f"keys{length}"], arrays[f"flags{length}"] = keys, flags
        pairs = self.pairs()
        if pairs is not None:
            arrays["pairs2"] = pairs
        return arrays

    @classmethod
    def from_arrays(cls, arrays, on_error=ValueError, fold: str | None = "basic") -> "Lexicon":
        """Rebuild from :meth:`to_arrays` (a mapping, or a lazily read ``.npz``): the tables are read
        and checked on first use, and nothing is unpacked until the numpy path first matches.
        ValueError on inconsistent arrays."""
        lexicon = cls.__new__(cls)
        lexicon.max_length = int(arrays["max_length"])
        if not 2 <= lexicon.max_length <= 64:
            raise ValueError("lexicon length out of range")
        lexicon._arrays, lexicon._on_error = arrays, on_error
        lexicon._fold = fold
        lexicon._packed = None
        lexicon.python_loop = False
        lexicon._pieces, lexicon._folded, lexicon._scan = None, {}, None
        lexicon._tables, lexicon._pairs = None, None
        return lexicon

    @property
    def _packed_filters(self) -> tuple[np.ndarray, np.ndarray]:
        if self._packed is None:
            shape = (self.max_length + 1, (1 << FILTER_BITS) // 8)
            filters, scan_filters = np.asarray(self._arrays["filters"]), np.asarray(self._arrays["scan_filters"])
            if any(f.shape != shape or f.dtype != np.uint8 for f in (filters, scan_filters)):
                raise self._on_error("lexicon filters have the wrong shape")
            self._packed = (filters, scan_filters)
        return self._packed

    @property
    def tables(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per length, the sorted hashes of the words and word-beginning pieces and their uint8
        WORD / PREFIX flags."""
        if self._tables is None:
            self._tables = self.read_tables()
        return self._tables

    def read_tables(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """:attr:`tables`, read (and checked) without keeping them where they are not kept yet."""
        if self._tables is not None:
            return self._tables
        tables = {}
        for length in range(2, self.max_length + 1):
            if f"keys{length}" not in self._arrays:
                continue
            keys = np.asarray(self._arrays[f"keys{length}"])
            flags = np.asarray(self._arrays[f"flags{length}"])
            if keys.dtype != np.int64 or flags.dtype != np.uint8 or keys.ndim != 1 or len(keys) != len(flags) \
                    or (len(keys) > 1 and not (keys[1:] > keys[:-1]).all()):
                raise self._on_error("lexicon keys are not sorted or do not match their flags")
            tables[length] = (keys, flags)
        return tables

    def _scan_tables(self) -> dict[int, tuple[np.ndarray, KeyIndex]]:
        """Per length the numpy path's prefix filter and index of :attr:`tables` (built once)."""
        if self._scan is None:
            scan_filters = np.unpackbits(self._packed_filters[1], axis=1, count=1 << FILTER_BITS).astype(bool)
            self._scan = {length: (scan_filters[length], KeyIndex(keys, None, np.append(flags, 0).astype(np.intp)))
                          for length, (keys, flags) in self.tables.items()}
        return self._scan

    def contains(self, words: Sequence[str]) -> list[bool]:
        """Whether each of ``words`` is a word of the lexicon (folded as the lexicon's words are;
        by hash, like matching)."""
        out = []
        for word in words:
            if not 2 <= len(word) <= self.max_length or len(word) not in self.tables:
                out.append(False)
                continue
            keys, flags = self.tables[len(word)]
            codes = codepoints(word)[None, :]
            if self._fold is not None:
                codes = fold_table(self._fold).take(codes)
            key = finish_hash(word_prefixes(codes), len(word))[0]
            at = np.searchsorted(keys, key)
            out.append(bool(at < len(keys) and keys[at] == key and flags[at] & WORD))
        return out

    def all_matches(self, text: str) -> list[tuple[int, int]]:
        """Every ``(start, length)`` where a word of the lexicon stands in ``text`` (of every
        length, not only the longest)."""
        codes = codepoints(text)
        if self._fold is not None:
            codes = fold_table(self._fold).take(codes)
        if len(codes) < 2:
            return []
        return [(int(a), length) for length, starts in self._array_matches(codes) for a in starts]

    def pieces(self) -> dict[int, int]:
        """Known words (flag WORD) and the pieces of two or more characters that begin a longer
        word (flag PREFIX), keyed by their folded code points packed :data:`PIECE_BITS` apart
        (a word's first character is never NUL, so keys of different lengths differ); for short
        texts, built on first use."""
        if self._pieces is None:
            pieces: dict[int, int] = {}
            for length, folded in self._folded.items():
                for word in folded.tolist():
                    key = word[0]
                    for cut in range(1, length):
                        key = key << PIECE_BITS | word[cut]
                        pieces[key] = pieces.get(key, 0) | (WORD if cut == length - 1 else PREFIX)
            self._pieces = pieces
        return self._pieces

    def match_lengths(self, padded: np.ndarray) -> tuple[Sequence[int], Sequence[int], Sequence[int]]:
        """For each position of a padded folded code point array: the length of the longest known
        word starting there, ending there, and running through it (neither first nor last), or 0.
        Arrays; lists for a short text, which its caller copies into an array anyway."""
        if len(padded) < PYTHON_MATCH_MAX and self.python_loop:
            return self._match_lengths_loop(padded)
        n = len(padded)
        begin = np.zeros(n, dtype=np.int64)
        end = np.zeros(n, dtype=np.int64)
        middle = np.zeros(n, dtype=np.int64)
        for length, starts in self._array_matches(padded):
            # lengths grow, so plain assignment keeps the longest match
            begin[starts] = length
            end[starts + length - 1] = length
            for inner in range(1, length - 1):
                middle[starts + inner] = length
        return begin, end, middle

    def longest_starting(self, codes: np.ndarray) -> np.ndarray:
        """The length of the longest known word starting at each position of ``codes`` (code
        points, folded or not as the lexicon was built), or 0; numpy and plain Python only."""
        if len(codes) < PYTHON_MATCH_MAX and self.python_loop:
            return np.array(self._match_lengths_loop(codes)[0], dtype=np.int64)
        begin = np.zeros(len(codes), dtype=np.int64)
        for length, starts in self._array_matches(codes):
            begin[starts] = length
        return begin

    def _array_matches(self, padded: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """``(length, starts)`` for each length with matches, lengths growing: where a known word
        of that length starts, by the rolling hash of :func:`ngram_prefixes` (a filter, then an
        index of words and word-beginning pieces). Only positions whose piece so far begins some
        longer word go on to the next length (no match is lost: every piece of a word is in the
        index), so the work shrinks with the length."""
        n = len(padded)
        values = padded.astype(np.uint64)
        alive = np.arange(n)
        prefix = (SEED ^ values) * PRIME
        for length in range(2, min(self.max_length, n) + 1):
            if alive[-1] + length > n:  # alive is increasing: drop windows past the end
                cut = np.searchsorted(alive, n - length, side="right")
                alive, prefix = alive[:cut], prefix[:cut]
                if not cut:
                    return
            prefix = (prefix ^ values.take(alive + (length - 1))) * PRIME
            scan = self._scan_tables().get(length)
            if scan is None:
                return
            scan_filter, index = scan
            maybe = np.flatnonzero(scan_filter.take(prefix >> FILTER_SHIFT))
            flags = index.lookup(finish_hash(prefix.take(maybe), length))
            words = maybe[(flags & WORD) > 0]
            if len(words):
                yield length, alive.take(words)
            growing = maybe[(flags & PREFIX) > 0]
            if not len(growing):
                return
            alive, prefix = alive.take(growing), prefix.take(growing)

    def _match_lengths_loop(self, padded: np.ndarray) -> tuple[list[int], list[int], list[int]]:
        """:meth:`match_lengths` for a short text, in plain Python: a single sentence needs a few
        dozen dictionary lookups, far fewer operations than the array path's hundred numpy calls.
        Pieces are integer keys (:meth:`pieces`), which cost less to make and hash than strings.
        A piece grows to the next length only if it begins some longer word, so most positions
        cost one lookup. No piece contains padding, so none runs past the text's last character."""
        n = len(padded)
        codes = padded.tolist()
        begin, end, middle = [0] * n, [0] * n, [0] * n
        kind_of = self.pieces().get
        starts: Sequence[int] = range(n - 1)
        keys = (padded[:-1] << PIECE_BITS | padded[1:]).tolist()  # every two-character piece
        for length in range(2, self.max_length + 1):  # lengths grow: later matches are longer
            kinds = list(map(kind_of, keys, repeat(0)))
            for i in compress(starts, map(and_, kinds, repeat(WORD))):
                begin[i] = length
                end[i + length - 1] = length
                for inner in range(i + 1, i + length - 1):
                    middle[inner] = length
            growing = [(i, key) for i, key, kind in zip(starts, keys, kinds) if kind & PREFIX and i + length < n]
            if not growing:
                break
            starts = [i for i, _ in growing]
            keys = [key << PIECE_BITS | codes[i + length] for i, key in growing]
        return begin, end, middle
