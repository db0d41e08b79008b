"""Viterbi: the best label sequence given state scores and label transitions.

Every path performs crfsuite's float operations in crfsuite's order (for each label ``j``,
``score[i] + transition[i][j]`` over previous labels ``i`` keeping the first maximum, then
``+ emission[j]``) and breaks ties towards the lower label index, so each gives the crfsuite
tagger's labels bit for bit. Which path runs:

=====================================  ==========================================================
path                                   runs when
=====================================  ==========================================================
:func:`viterbi_loop` (generated code,  at most ``PYTHON_VITERBI_MAX_SEQUENCES`` sequences (one
``_forward_pass``)                     sentence: per-step numpy overhead would dominate), and for
                                       each sequence longer than ``BATCHED_VITERBI_MAX_LENGTH``
:func:`viterbi_batched`                many sequences: one numpy step per position, all sequences
                                       at once
=====================================  ==========================================================

:func:`viterbi` picks between them (the compiled core, zhseg/_core.c, has its own, equal).
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

PYTHON_VITERBI_MAX_SEQUENCES = 2  # below this, a plain loop beats per-step numpy overhead
BATCHED_VITERBI_MAX_LENGTH = 4096  # longer sequences in a batch are decoded on their own


def viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Best label index per position for consecutive sequences of the given lengths."""
    rows = transitions.tolist()
    if len(lengths) <= PYTHON_VITERBI_MAX_SEQUENCES:
        return viterbi_loop(emissions, lengths, rows)
    lengths = np.asarray(lengths, dtype=np.int64)
    long = lengths > BATCHED_VITERBI_MAX_LENGTH
    if not long.any():
        return viterbi_batched(emissions, lengths, transitions)
    # A batch costs a step per position of its longest sequence: decode the few very long
    # ones on their own, so one huge line among short ones costs neither time nor memory.
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    best = viterbi_batched(emissions, np.where(long, 0, lengths), transitions, starts)
    for start, length in zip(starts[long].tolist(), lengths[long].tolist()):
        best[start : start + length] = viterbi_loop(emissions[start : start + length], [length], rows)
    return best


LOOP_BLOCK = 16_384  # positions converted to Python lists at a time: bounds a long text's memory


@functools.cache
def _forward_pass(n_labels: int):
    """Viterbi's forward pass over a block of positions, unrolled over the labels.

    Per-call segmentation of a short text is dominated by this loop, and spelling the label loops
    out (code generated once per label count) runs it over twice as fast as nested ``for`` loops.
    It performs crfsuite's float operations in crfsuite's order: for each target label ``j``,
    ``score[i] + transition[i][j]`` over ``i`` keeping the first maximum, then ``+ emission[j]``.
    ``forward(rows, score, columns, pointers)`` continues from ``score`` (the previous position's
    scores) through ``rows`` (emission rows), appends each position's best previous label per
    label to ``pointers``, and returns the last scores.
    """
    labels = range(n_labels)
    score = ", ".join(f"s{i}" for i in labels)
    code = [
        "def forward(rows, score, columns, pointers):",
        f"    {score}, = score",
        "    " + "".join(f"c{j}_{i}, " for j in labels for i in labels) + "= [w for column in columns for w in column]",
        "    append = pointers.append",
        "    for e in rows:",
    ]
    for j in labels:
        code.append(f"        top{j} = s0 + c{j}_0; arg{j} = 0")
        for i in labels[1:]:
            code.append(f"        x = s{i} + c{j}_{i}")
            code.append(f"        if x > top{j}: top{j} = x; arg{j} = {i}")
    code.append(f"        {score}, = " + "".join(f"top{j} + e[{j}], " for j in labels))
    code.append("        append((" + "".join(f"arg{j}, " for j in labels) + "))")
    code.append(f"    return [{score}]")
    namespace: dict = {}
    exec("\n".join(code), namespace)  # noqa: S102 - our own generated source, no user input
    return namespace["forward"]


def viterbi_loop(emissions: np.ndarray, lengths: Sequence[int], transitions: list[list[float]]) -> np.ndarray:
    """Viterbi one sequence at a time in plain Python: cheapest for one short text, and for one
    very long one (no per-step array overhead; pointers kept as int8 arrays block by block)."""
    best = np.zeros(len(emissions), dtype=np.int64)
    n_labels = len(transitions)
    forward = _forward_pass(n_labels)
    columns = [[transitions[i][j] for i in range(n_labels)] for j in range(n_labels)]
    start = 0
    for length in np.asarray(lengths).tolist():
        if length == 0:
            continue
        stop = start + length
        score = emissions[start].tolist()
        blocks: list = []
        for a in range(start + 1, stop, LOOP_BLOCK):
            pointers: list = []
            score = forward(emissions[a : min(a + LOOP_BLOCK, stop)].tolist(), score, columns, pointers)
            blocks.append(pointers)
            if len(blocks) > 1:  # a long text: keep finished blocks compact
                blocks[-2] = np.array(blocks[-2], dtype=np.int8)
        current = max(range(n_labels), key=lambda j: (score[j], -j))  # the first maximum, as crfsuite
        path = [current]
        for block in reversed(blocks):
            for pointer in reversed(block if isinstance(block, list) else block.tolist()):
                current = pointer[current]
                path.append(current)
        best[start:stop] = path[::-1]
        start = stop
    return best


def viterbi_batched(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                    starts: np.ndarray | None = None) -> np.ndarray:
    """Viterbi over many sequences at once: one step per position, longest sequences first, so
    the sequences still running at step ``t`` are a prefix of the order and nothing is padded.

    Sequences are consecutive in ``emissions`` unless ``starts`` gives where each begins (then
    only their positions of the result are filled). A step works on ``(label, sequence)`` arrays:
    for each previous label ``i``, ``score[i] + transition[i][:, None]`` against the running best,
    a handful of whole-array calls whatever the label count (reducing over the tiny label axis
    instead is several times slower). Floats go as in crfsuite: ``score[i] + transition[i][j]``,
    the first maximum over ``i`` (strictly greater replaces), then ``+ emission[j]``.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    best = np.zeros(len(emissions), dtype=np.int64)
    if starts is None:
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    order = np.argsort(-lengths, kind="stable")
    order = order[lengths[order] > 0]
    if len(order) == 0:
        return best
    n_labels = transitions.shape[0]
    sorted_lengths = lengths[order]
    sorted_starts = starts[order]
    longest = int(sorted_lengths[0])
    running = np.searchsorted(-sorted_lengths, -np.arange(longest), side="left")  # with a position t
    by_label = np.ascontiguousarray(emissions.T)  # (label, position): contiguous per label
    score = by_label.take(sorted_starts, axis=1)  # (label, sequence)
    from_label = [transitions[i][:, None] for i in range(n_labels)]  # (to, 1) per previous label
    backpointers = []
    for t in range(1, longest):
        n = running[t]
        previous = score[:, :n]
        top = previous[0] + from_label[0]  # (to, sequence)
        pointers = np.zeros((n_labels, n), dtype=np.int8)
        for i in range(1, n_labels):
            candidate = previous[i] + from_label[i]
            better = candidate > top  # strict: ties keep the lower label, as crfsuite
            np.maximum(top, candidate, out=top)
            np.copyto(pointers, i, where=better)
        np.add(top, by_label.take(sorted_starts[:n] + t, axis=1), out=previous)
        backpointers.append(pointers)
    current = score.argmax(axis=0)  # the first maximum
    for t in range(longest - 1, 0, -1):
        n = running[t]
        best[sorted_starts[:n] + t] = current[:n]
        current[:n] = backpointers[t - 1][current[:n], np.arange(n)]
    best[sorted_starts] = current
    return best
