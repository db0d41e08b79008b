"""An index from integer keys to dense ids, for whole arrays of queries at once.

Used for feature keys (model/decode.py) and for dictionary word hashes (features/lexicon.py).
"""

from __future__ import annotations

import numpy as np


class KeyIndex:
    """Maps sorted non-negative int64 keys to ids ``0..n-1``, and every other key to ``n``.

    Bounded bases (characters, classes) use a direct-index table. N-gram keys are sparse in a
    huge space, so they go through an open-addressing hash table with linear probing, probed for
    all queries at once: one or two vectorised rounds resolve almost every query, several times
    faster than a binary search over the sorted keys.
    """

    MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
    HASH_MIN_QUERIES = 256  # below this, a binary search costs fewer array operations

    def __init__(self, keys: np.ndarray, domain: int | None):
        self.keys = keys
        n = len(keys)
        if domain is not None:
            self.dense = np.full(domain, n, dtype=np.intp)
            self.dense[keys] = np.arange(n)
            return
        self.dense = None
        self.bits = max(4, int(n * 4 - 1).bit_length())  # load factor <= 1/4: short probe runs
        self.mask = (1 << self.bits) - 1
        self.slot_keys = np.full(1 << self.bits, -1, dtype=np.int64)  # keys are >= 0
        self.slot_ids = np.full(1 << self.bits, n, dtype=np.intp)
        pending = np.arange(n)
        slots = self._hash(keys)
        while len(pending):
            free = self.slot_keys[slots] == -1
            # of the pending keys that hash to the same free slot, the first takes it
            candidates = np.flatnonzero(free)
            _, first = np.unique(slots[candidates], return_index=True)
            placed = candidates[first]
            self.slot_keys[slots[placed]] = keys[pending[placed]]
            self.slot_ids[slots[placed]] = pending[placed]
            keep = np.ones(len(pending), dtype=bool)
            keep[placed] = False
            pending, slots = pending[keep], (slots[keep] + 1) & self.mask

    def _hash(self, keys: np.ndarray) -> np.ndarray:
        mixed = keys.astype(np.uint64) * self.MULTIPLIER
        return (mixed >> np.uint64(64 - self.bits)).astype(np.intp)

    def ids(self, query: np.ndarray) -> np.ndarray:
        if self.dense is not None:
            return self.dense.take(query)
        if len(query) < self.HASH_MIN_QUERIES:
            n = len(self.keys)
            ids = self.keys.searchsorted(query)
            if n:
                ids[self.keys.take(np.minimum(ids, n - 1)) != query] = n
            return ids
        slots = self._hash(query)
        found = self.slot_keys.take(slots)
        ids = self.slot_ids.take(slots)  # right where found == query; `n` where the slot is empty
        unresolved = np.flatnonzero((found != query) & (found != -1))
        while len(unresolved):  # collided: follow the probe sequence
            slots_next = (slots[unresolved] + 1) & self.mask
            slots[unresolved] = slots_next
            found_next = self.slot_keys[slots_next]
            ids[unresolved] = self.slot_ids[slots_next]
            unresolved = unresolved[(found_next != query[unresolved]) & (found_next != -1)]
        return ids
