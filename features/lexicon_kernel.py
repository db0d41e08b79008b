"""Dictionary matching compiled with numba (the ``fast`` extra), for :class:`features.lexicon.Lexicon`.

The same matches as ``Lexicon.match_lengths``' array path, position by position: the rolling
hash of :func:`features.lexicon.ngram_prefixes`, the length's prefix filter, then the length's
:class:`features.keyindex.KeyIndex` hash table, probed as ``KeyIndex.lookup`` probes it. A
sentence costs microseconds instead of the dozens of dictionary lookups of the plain-Python path.
Imported on first use (it imports numba).
"""

from __future__ import annotations

import numpy as np

from zhseg.jit import jit
from zhseg.features.keyindex import KeyIndex
from zhseg.features.lexicon import FILTER_SHIFT, PRIME, SEED

MULTIPLIER = KeyIndex.MULTIPLIER


@jit
def match_lengths(padded, max_length, filters, slot_keys, slot_offset, slot_bits, begin, end, middle):  # pragma: no cover - compiled
    """Fill ``begin``, ``end`` and ``middle`` (zeros on entry) for the padded folded code points.

    ``filters[length]`` is the length's prefix bitmap; its hash table is
    ``slot_keys[slot_offset[length]:]`` with ``2 ** slot_bits[length]`` slots (``slot_bits`` 0:
    no words of that length).
    """
    n = padded.shape[0]
    for i in range(n):
        prefix = (SEED ^ np.uint64(padded[i])) * PRIME
        for length in range(2, max_length + 1):
            if i + length > n:
                break
            prefix = (prefix ^ np.uint64(padded[i + length - 1])) * PRIME
            bits = slot_bits[length]
            if bits == 0 or not filters[length, prefix >> FILTER_SHIFT]:
                continue
            key = np.int64(((prefix ^ np.uint64(length)) * PRIME) >> np.uint64(1))
            mask = (1 << bits) - 1
            slot = np.int64((np.uint64(key) * MULTIPLIER) >> np.uint64(64 - bits))
            offset = slot_offset[length]
            while slot_keys[offset + slot] != key:
                if slot_keys[offset + slot] == -1:
                    break
                slot = (slot + 1) & mask
            if slot_keys[offset + slot] != key:
                continue
            # lengths grow, so plain assignment keeps the longest word starting here
            begin[i] = length
            if end[i + length - 1] < length:
                end[i + length - 1] = length
            for inner in range(i + 1, i + length - 1):
                if middle[inner] < length:
                    middle[inner] = length
