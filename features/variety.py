"""Accessor variety: how many different characters precede and follow each character n-gram.

A string that is a word turns up in many contexts, so many different characters stand before
and after it (Feng et al. 2004; Zhao and Kit 2008 use it as CRF features). Counted on unsegmented
text, that is evidence about boundaries the annotated corpus never saw: it helps most on words
outside the training vocabulary. The statistics come from the training text and from any raw
text the user adds (``train.py --raw``), and are stored with the model as arrays.

Each position gets, for every n-gram length ``n`` from 2 to ``max_length``, two small keys:
``av_begin{n}``, the left variety of the n-gram starting there (high: a word likely starts here),
and ``av_end{n}``, the right variety of the n-gram ending there (high: a word likely ends here).
Keys are ``floor(log2(variety))`` capped at :data:`MAX_BUCKET`, and 0 for a variety of at most 1
or an n-gram never seen: the tables keep only n-grams with some variety, which keeps them small.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from zhseg.features.chars import padded_codepoints
from zhseg.features.keyindex import KeyIndex
from zhseg.features.lexicon import ngram_hashes

MAX_BUCKET = 15
DOMAIN = MAX_BUCKET + 1


def bucket(variety: np.ndarray) -> np.ndarray:
    """``floor(log2(variety))`` capped at MAX_BUCKET, as uint8 (0 for a variety of 0 or 1)."""
    log2 = np.floor(np.log2(np.maximum(variety, 1))).astype(np.int64)
    return np.minimum(log2, MAX_BUCKET).astype(np.uint8)


def _distinct_contexts(grams: np.ndarray, contexts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct n-gram hashes (sorted) and, for each, how many distinct contexts it has."""
    order = np.lexsort((contexts, grams))
    grams, contexts = grams[order], contexts[order]
    new_gram = np.ones(len(grams), dtype=bool)
    new_gram[1:] = grams[1:] != grams[:-1]
    new_pair = new_gram.copy()
    new_pair[1:] |= contexts[1:] != contexts[:-1]
    return grams[new_gram], np.add.reduceat(new_pair.astype(np.int64), np.flatnonzero(new_gram))


class AccessorVariety:
    """Per n-gram length: the hashes of n-grams with variety above 1 and their two bucket keys."""

    def __init__(self, max_length: int, tables: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]):
        self.max_length = max_length
        self.tables = tables  # length -> (sorted hashes, left bucket, right bucket)
        self._indexes: dict[int, KeyIndex] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[str], max_length: int, fold: str = "basic") -> "AccessorVariety":
        """Count left and right contexts of every n-gram (2..max_length characters) in ``texts``.

        Each text is one sequence: the start and end of a text count as a context (one each).
        """
        texts = [t for t in texts if t]
        tables: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if not texts:
            return cls(max_length, tables)
        # one BOS before and one EOS after each text, as the contexts at its edges
        pos, padded = padded_codepoints(texts, 1, fold)
        is_char = np.zeros(len(padded), dtype=bool)
        is_char[pos] = True
        pads_before = np.concatenate(([0], np.cumsum(~is_char)))  # pads in padded[:i]
        for length, hashes in ngram_hashes(padded, max_length):
            starts = np.arange(1, len(hashes) - 1)  # windows with a context on both sides
            inside = pads_before[starts + length] == pads_before[starts]
            starts = starts[inside]
            grams = hashes[starts]
            keys, left = _distinct_contexts(grams, padded[starts - 1])
            _, right = _distinct_contexts(grams, padded[starts + length])
            left, right = bucket(left), bucket(right)
            keep = (left > 0) | (right > 0)
            tables[length] = (keys[keep], left[keep], right[keep])
        return cls(max_length, tables)

    def buckets(self, padded: np.ndarray) -> dict[str, np.ndarray]:
        """The ``av_begin{n}`` and ``av_end{n}`` key arrays over a padded folded code point array.

        N-grams that include padding are never in the tables, so they get 0.
        """
        n = len(padded)
        out = {}
        for length in range(2, self.max_length + 1):
            out[f"av_begin{length}"] = np.zeros(n, dtype=np.int64)
            out[f"av_end{length}"] = np.zeros(n, dtype=np.int64)
        for length, hashes in ngram_hashes(padded, self.max_length):
            if length not in self.tables:
                continue
            keys, left, right = self.tables[length]
            ids = self._index(length).lookup(hashes)
            known = np.flatnonzero(ids < len(keys))
            out[f"av_begin{length}"][known] = left[ids[known]]
            out[f"av_end{length}"][known + length - 1] = right[ids[known]]
        return out

    def _index(self, length: int) -> KeyIndex:
        if length not in self._indexes:
            self._indexes[length] = KeyIndex(self.tables[length][0], None)
        return self._indexes[length]

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {"max_length": np.array(self.max_length)}
        for length, (keys, left, right) in self.tables.items():
            arrays[f"keys{length}"], arrays[f"left{length}"], arrays[f"right{length}"] = keys, left, right
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "AccessorVariety":
        """Rebuild from :meth:`to_arrays`; raises ValueError on inconsistent arrays."""
        max_length = int(arrays["max_length"])
        tables = {}
        for length in range(2, max_length + 1):
            if f"keys{length}" not in arrays:
                continue
            keys, left, right = (arrays[f"{name}{length}"] for name in ("keys", "left", "right"))
            if not (len(keys) == len(left) == len(right)) or keys.dtype != np.int64:
                raise ValueError(f"accessor variety tables of length {length} are inconsistent")
            tables[length] = (keys, left, right)
        return cls(max_length, tables)


def variety_texts(texts: Sequence[str]) -> list[str]:
    """Whitespace-separated chunks of raw lines: whitespace is always a boundary, as when decoding."""
    return [chunk for text in texts for chunk in text.split()]
