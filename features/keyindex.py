"""An index from integer keys to dense ids, for whole arrays of queries at once.

Used for feature keys (model/decode.py) and for dictionary word hashes (features/lexicon.py).
"""

from __future__ import annotations

import numpy as np


class KeyIndex:
    """Maps sorted non-negative int64 keys to values: by default key ``i`` to its id ``i`` and
    every other key to ``n``; or to ``values[i]`` and ``values[n]`` (``values`` has ``n + 1``
    entries; the decoder stores row pointers there, saving a pass over every lookup's result).

    Bounded bases (characters, classes) use a direct-index table. N-gram keys are sparse in a
    huge space, so they go through an open-addressing hash table with linear probing, probed for
    all queries at once: one or two vectorised rounds resolve almost every query, several times
    faster than a binary search over the sorted keys.
    """

    MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
    HASH_MIN_QUERIES = 256  # below this, a binary search costs fewer array operations

    def __init__(self, keys: np.ndarray, domain: int | None, values: np.ndarray | None = None):
        self.keys = keys
        n = len(keys)
        self.values = np.arange(n + 1, dtype=np.intp) if values is None else np.asarray(values, dtype=np.intp)
        if len(self.values) != n + 1:
            raise ValueError("a key index needs one value per key and one for unknown keys")
        if domain is not None:
            self.dense = np.full(domain, self.values[n], dtype=np.intp)
            self.dense[keys] = self.values[:n]
            return
        self.dense = None
        self.bits = max(4, int(n * 4 - 1).bit_length())  # load factor <= 1/4: short probe runs
        self.mask = (1 << self.bits) - 1
        self._slots: tuple[np.ndarray, np.ndarray] | None = None  # the hash table, built on first need

    @property
    def slot_keys(self) -> np.ndarray:
        return self._table()[0]

    @property
    def slot_values(self) -> np.ndarray:
        return self._table()[1]

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """The open-addressing table, built on the first lookup that needs it: a model whose
        big indexes only ever answer short queries (one sentence) never pays for it."""
        if self._slots is None:
            keys, n = self.keys, len(self.keys)
            slot_keys = np.full(1 << self.bits, -1, dtype=np.int64)  # keys are >= 0
            slot_values = np.full(1 << self.bits, self.values[n], dtype=np.intp)
            pending = np.arange(n)
            slots = self._hash(keys)
            while len(pending):
                candidates = np.flatnonzero(slot_keys[slots] == -1)  # pending keys at a free slot
                # of several keys written to one free slot one stays; keys are unique, so reading
                # the slots back tells which
                slot_keys[slots[candidates]] = keys[pending[candidates]]
                placed = candidates[slot_keys[slots[candidates]] == keys[pending[candidates]]]
                slot_values[slots[placed]] = self.values[pending[placed]]
                keep = np.ones(len(pending), dtype=bool)
                keep[placed] = False
                pending, slots = pending[keep], (slots[keep] + 1) & self.mask
            self._slots = (slot_keys, slot_values)  # one assignment: threads see none or all
        return self._slots

    def _hash(self, keys: np.ndarray) -> np.ndarray:
        mixed = keys.astype(np.uint64) * self.MULTIPLIER
        return (mixed >> np.uint64(64 - self.bits)).astype(np.intp)

    def lookup(self, query: np.ndarray) -> np.ndarray:
        """The value of each key of ``query`` (the unknown-key value where it is not a key)."""
        if self.dense is not None:
            return self.dense.take(query)
        if len(query) < self.HASH_MIN_QUERIES:
            n = len(self.keys)
            ids = self.keys.searchsorted(query)
            if n:
                ids[self.keys.take(np.minimum(ids, n - 1)) != query] = n
            return self.values.take(ids)
        slot_keys, slot_values = self._table()
        slots = self._hash(query)
        found = slot_keys.take(slots)
        result = slot_values.take(slots)  # right where found == query or the slot is empty
        unresolved = np.flatnonzero((found != query) & (found != -1))
        while len(unresolved):  # collided: follow the probe sequence
            slots_next = (slots[unresolved] + 1) & self.mask
            slots[unresolved] = slots_next
            found_next = slot_keys[slots_next]
            result[unresolved] = slot_values[slots_next]
            unresolved = unresolved[(found_next != query[unresolved]) & (found_next != -1)]
        return result
