"""Fast CRF decoding from compiled arrays.

A trained crfsuite model is compiled into, per feature template, a sorted array of integer keys
and a matrix of per-label weights, plus the label transition matrix (that is what the model
directory stores). At load time templates are grouped by the key space of the base array they
read (``U-2`` ... ``U2`` read characters; bigrams and skip bigrams are both character pairs), so
decoding does one lookup per key space over the padded text and each template is a shifted
gather. The weight rows are summed in template order, the order crfsuite sums them, so the state
scores are the same floats; Viterbi breaks ties towards the lower label index as crfsuite's does.
The output is therefore the crfsuite tagger's, bit for bit. With numba installed the same
arithmetic can run compiled (:meth:`CompiledCRF.decode`, model/kernels.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from features.keyindex import KeyIndex
from features.templates import PaddedBases, Template, base_domain, key_space, order_bases, parse_attribute

if TYPE_CHECKING:
    from model.crfsuite_file import CrfsuiteWeights

PYTHON_VITERBI_MAX_SEQUENCES = 2  # below this, a plain loop beats per-step numpy overhead
BATCHED_VITERBI_MAX_LENGTH = 4096  # longer sequences in a batch are decoded on their own


@dataclass
class CompiledCRF:
    """A linear-chain CRF as arrays.

    labels: label names; a label's index is its column in the weight matrices.
    templates: the feature templates, in the order their keys and weights are stored.
    keys: per template, the sorted int64 keys that have weights.
    weights: per template, a ``(len(keys) + 1, n_labels)`` float64 matrix; the last row is zeros,
        the row unknown keys get.
    transitions: ``(n_labels, n_labels)``, from-label by to-label.
    """

    labels: tuple[str, ...]
    templates: tuple[Template, ...]
    keys: list[np.ndarray]
    weights: list[np.ndarray]
    transitions: np.ndarray

    def __post_init__(self):
        # Decoding tables, derived at load time from the stored per-template arrays:
        # - one key lookup per key space (features.templates.key_space): its bases are
        #   consecutive rows of PaddedBases.keys, and templates sharing a base differ only by a
        #   shift; the bounded bases are offset into one direct-index table;
        # - per key space, a weight block per key: the rows of all the space's templates for that
        #   key, side by side (zeros where a template has no weight for it), every space's blocks
        #   in one matrix. A space's index answers with the key's first row, so a template's row
        #   is ``lookup(key at position + offset) + slot``, for all templates in one gather. The
        #   neighbouring positions that read one key through different templates (``B0`` here is
        #   ``B-1`` one to the right) find its rows together in memory.
        bases = order_bases(t.base for t in self.templates)  # the rows of PaddedBases.keys
        n_labels = len(self.labels)
        self._lookups: list[tuple[int, int, np.ndarray | None, KeyIndex]] = []  # rows, key offsets, index
        blocks = []
        n_rows = 0
        template_slot = np.zeros(len(self.templates), dtype=np.intp)
        for space in dict.fromkeys(map(key_space, bases)):
            space_bases = [b for b in bases if key_space(b) == space]
            members = [j for j, t in enumerate(self.templates) if t.base in space_bases]
            if space == "bounded":  # each base's keys moved past the previous bases' domains
                domains = [base_domain(b) for b in space_bases]
                base_offset = dict(zip(space_bases, np.cumsum([0] + domains[:-1]).tolist()))
                member_keys = [self.keys[j] + base_offset[self.templates[j].base] for j in members]
                offsets, domain = np.array(list(base_offset.values()))[:, None], sum(domains)
            else:
                member_keys, offsets, domain = [self.keys[j] for j in members], None, None
            # the stored keys are sorted and unique per template; merge them by sorting (numpy's
            # hash-based unique is several times slower here, and this runs at every load)
            union = np.sort(np.concatenate(member_keys))
            if len(members) > 1 and len(union) > 1:
                union = union[np.concatenate(([True], union[1:] != union[:-1]))]
            block = np.zeros((len(union) + 1, len(members), n_labels))  # the last: unknown keys
            for slot, (j, keys) in enumerate(zip(members, member_keys)):
                block[np.searchsorted(union, keys), slot] = self.weights[j][:-1]
                template_slot[j] = slot
            first_rows = n_rows + np.arange(len(union) + 1, dtype=np.intp) * len(members)
            first = bases.index(space_bases[0])
            self._lookups.append((first, first + len(space_bases), offsets, KeyIndex(union, domain, first_rows)))
            blocks.append(block.reshape(-1, n_labels))
            n_rows += len(blocks[-1])
        self._weight_rows = np.concatenate(blocks) if blocks else np.zeros((1, n_labels))
        self._template_row = np.array([bases.index(t.base) for t in self.templates], dtype=np.intp)
        self._template_offset = np.array([t.offset for t in self.templates], dtype=np.intp)
        self._template_slot = template_slot[:, None]
        self._transition_rows = self.transitions.tolist()

    @classmethod
    def from_crfsuite(cls, weights: "CrfsuiteWeights", templates: Sequence[Template]) -> "CompiledCRF":
        """Compile the exact weights read from a crfsuite model file."""
        n_labels = len(weights.labels)
        template_index = {t.name: i for i, t in enumerate(templates)}
        parsed = [parse_attribute(a) for a in weights.attributes]
        attr_template = np.array([template_index[name] for name, _ in parsed], dtype=np.int64)
        attr_key = np.array([key for _, key in parsed], dtype=np.int64)
        keys, matrices = [], []
        for j in range(len(templates)):
            mine = attr_template[weights.state_attr] == j
            feature_keys = attr_key[weights.state_attr[mine]]
            sorted_keys = np.unique(feature_keys)
            matrix = np.zeros((len(sorted_keys) + 1, n_labels))
            matrix[np.searchsorted(sorted_keys, feature_keys), weights.state_label[mine]] = weights.state_weight[mine]
            keys.append(sorted_keys)
            matrices.append(matrix)
        return cls(tuple(weights.labels), tuple(templates), keys, matrices, weights.transitions.copy())

    # -- storage: plain arrays, loaded with allow_pickle=False -------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {"transitions": self.transitions}
        for i, (k, w) in enumerate(zip(self.keys, self.weights)):
            arrays[f"keys_{i}"] = k
            arrays[f"weights_{i}"] = w
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], labels: Sequence[str],
                    templates: Sequence[Template]) -> "CompiledCRF":
        n = len(templates)
        keys = [np.asarray(arrays[f"keys_{i}"], dtype=np.int64) for i in range(n)]
        weights = [np.asarray(arrays[f"weights_{i}"], dtype=np.float64) for i in range(n)]
        transitions = np.asarray(arrays["transitions"], dtype=np.float64)
        for k, w in zip(keys, weights):
            if w.shape != (len(k) + 1, len(labels)):
                raise ValueError("weight matrix shape does not match its keys and labels")
            if len(k) > 1 and not np.all(k[1:] > k[:-1]):
                raise ValueError("feature keys are not sorted")
        if transitions.shape != (len(labels), len(labels)):
            raise ValueError("transition matrix shape does not match the labels")
        return cls(tuple(labels), tuple(templates), keys, weights, transitions)

    @property
    def n_features(self) -> int:
        return int(sum(np.count_nonzero(w) for w in self.weights) + np.count_nonzero(self.transitions))

    # -- decoding ----------------------------------------------------------------------------
    EMISSION_BLOCK = 8_192  # positions per block: its temporaries stay in cache (65,536 ran 20% slower)
    SUM_AT_ONCE = 1024  # up to this many positions, all templates' rows are gathered at once

    def emissions(self, bases: PaddedBases) -> np.ndarray:
        """State scores ``(n_chars, n_labels)`` from :func:`features.templates.padded_bases` output."""
        positions = bases.positions
        if not self.templates:
            return np.zeros((len(positions), len(self.labels)))
        starts, template_start = self._row_starts(bases)
        if len(positions) <= self.EMISSION_BLOCK:
            return self._emission_block(positions, starts, template_start)
        blocks = [self._emission_block(positions[a : a + self.EMISSION_BLOCK], starts, template_start)
                  for a in range(0, len(positions), self.EMISSION_BLOCK)]
        return np.concatenate(blocks)

    def decode(self, bases: PaddedBases, lengths: np.ndarray, compiled: bool = False) -> np.ndarray:
        """Best label index per character of consecutive sequences of ``lengths``: state scores,
        then Viterbi; in numpy, or with ``compiled`` in one numba pass (model/kernels.py)."""
        if not compiled or not self.templates:
            return self.viterbi(self.emissions(bases), lengths)
        from model import kernels  # imports numba: only when first needed

        starts, template_start = self._row_starts(bases)
        return kernels.decode(starts, template_start, self._template_slot.ravel(), bases.positions,
                              np.asarray(lengths, dtype=np.int64), self._weight_rows, self.transitions)

    def _row_starts(self, bases: PaddedBases) -> tuple[np.ndarray, np.ndarray]:
        """Every base row's first weight rows, end to end, and where each template's part of that
        array starts: template ``t`` at position ``p`` reads weight row
        ``starts[template_start[t] + p] + slot[t]``."""
        keys = bases.keys
        starts = [index.lookup((keys[first:stop] if offsets is None else keys[first:stop] + offsets).ravel())
                  for first, stop, offsets, index in self._lookups]
        starts = starts[0] if len(starts) == 1 else np.concatenate(starts)
        return starts, self._template_row * keys.shape[1] + self._template_offset

    def _emission_block(self, positions: np.ndarray, starts: np.ndarray, template_start: np.ndarray) -> np.ndarray:
        rows = starts.take(template_start[:, None] + positions) + self._template_slot
        if len(positions) <= self.SUM_AT_ONCE:
            # one gather and one reduction over the template axis: numpy adds along an outer axis
            # in order, so the floats are crfsuite's
            return self._weight_rows.take(rows, axis=0).sum(axis=0)
        # Template by template, in template order: the same float operations as crfsuite's, hence
        # the same scores (and no (templates, positions, labels) temporary).
        scores = self._weight_rows.take(rows[0], axis=0)
        for template_rows in rows[1:]:
            scores += self._weight_rows.take(template_rows, axis=0)
        return scores

    def viterbi(self, emissions: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Best label index per position for consecutive sequences of the given lengths."""
        if len(lengths) <= PYTHON_VITERBI_MAX_SEQUENCES:
            return viterbi_loop(emissions, lengths, self._transition_rows)
        lengths = np.asarray(lengths, dtype=np.int64)
        long = lengths > BATCHED_VITERBI_MAX_LENGTH
        if not long.any():
            return viterbi_batched(emissions, lengths, self.transitions)
        # A batch costs a step per position of its longest sequence: decode the few very long
        # ones on their own, so one huge line among short ones costs neither time nor memory.
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        best = viterbi_batched(emissions, np.where(long, 0, lengths), self.transitions, starts)
        for start, length in zip(starts[long].tolist(), lengths[long].tolist()):
            best[start : start + length] = viterbi_loop(emissions[start : start + length], [length],
                                                        self._transition_rows)
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
