"""Compiled decoding, used when numba is installed (the ``fast`` extra).

One pass per batch does what :class:`model.decode.CompiledCRF` otherwise does in numpy and
plain Python: each position's state scores (its templates' weight rows, summed in template
order, from 0.0, as crfsuite sums them) and Viterbi with crfsuite's float operations and tie
rule. No ``(positions, labels)`` array and no per-step interpreter work: per-call segmentation
of a sentence spends most of its time there otherwise. Key lookups stay in numpy
(features.keyindex), so this module holds only the arithmetic. The labels are the numpy path's
and the crfsuite tagger's, which the tests check on every backend.

Importing this module imports numba (a few tenths of a second) and loads the compiled code from
numba's cache (compiling it the first time), so :mod:`model.decode` imports it on first use.
"""

from __future__ import annotations

import numpy as np

from zhseg.jit import jit


@jit
def decode(starts, template_start, template_slot, positions, lengths, weight_rows, transitions, allowed):  # pragma: no cover - compiled
    """Best label per position of consecutive sequences of ``lengths``.

    Template ``t``'s weight row at position ``positions[k]`` is
    ``weight_rows[starts[template_start[t] + positions[k]] + template_slot[t]]``. ``allowed``
    is ``(n positions, n labels)`` bool, a label scoring minus infinity where it is False
    (model/constraints.py), or has no rows: no constraints.
    """
    masked = allowed.shape[0] > 0
    n_labels = transitions.shape[0]
    n_templates = template_start.shape[0]
    best = np.zeros(positions.shape[0], dtype=np.int64)
    score = np.empty(n_labels)
    state = np.empty(n_labels)
    next_score = np.empty(n_labels)
    first = 0
    for length in lengths:
        if length == 0:
            continue
        pointers = np.empty((length, n_labels), dtype=np.int8)
        for t in range(length):
            state[:] = 0.0
            position = positions[first + t]
            for j in range(n_templates):
                row = starts[template_start[j] + position] + template_slot[j]
                for label in range(n_labels):
                    state[label] += weight_rows[row, label]
            if masked:
                for label in range(n_labels):
                    if not allowed[first + t, label]:
                        state[label] = -np.inf
            if t == 0:
                score[:] = state
                continue
            for label in range(n_labels):
                top = score[0] + transitions[0, label]
                arg = 0
                for previous in range(1, n_labels):
                    candidate = score[previous] + transitions[previous, label]
                    if candidate > top:  # strict: ties keep the lower label, as crfsuite
                        top = candidate
                        arg = previous
                next_score[label] = top + state[label]
                pointers[t, label] = arg
            score[:] = next_score
        current = 0
        for label in range(1, n_labels):
            if score[label] > score[current]:  # the first maximum
                current = label
        best[first + length - 1] = current
        for t in range(length - 1, 0, -1):
            current = pointers[t, current]
            best[first + t - 1] = current
        first += length
    return best
