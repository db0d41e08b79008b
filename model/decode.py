"""Fast CRF decoding from compiled arrays.

A trained crfsuite model is compiled into, per feature template, a sorted array of integer keys
and a matrix of per-label weights, plus the label transition matrix. Decoding looks every
position's keys up with ``np.searchsorted``, sums the weight rows in template order (the order
crfsuite sums them, so the scores are the same floats) and runs Viterbi over many sequences at
once, one vectorised step per character position. Ties break towards the lower label index, as in
crfsuite's own Viterbi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from features.templates import parse_attribute

if TYPE_CHECKING:
    from model.crfsuite_file import CrfsuiteWeights


@dataclass
class CompiledCRF:
    """A linear-chain CRF as arrays.

    labels: label names; a label's index is its row/column in the weight matrices.
    template_names: one per column of the key matrices fed to :meth:`emissions`.
    keys: per template, the sorted int64 keys that have weights.
    weights: per template, a ``(len(keys) + 1, n_labels)`` float64 matrix; the last row is zeros,
        the row that unknown keys look up.
    transitions: ``(n_labels, n_labels)``, from-label by to-label.
    """

    labels: tuple[str, ...]
    template_names: tuple[str, ...]
    keys: list[np.ndarray]
    weights: list[np.ndarray]
    transitions: np.ndarray

    @classmethod
    def from_crfsuite(cls, weights: "CrfsuiteWeights", template_names: Sequence[str]) -> "CompiledCRF":
        """Compile the exact weights read from a crfsuite model file."""
        n_labels = len(weights.labels)
        template_index = {name: i for i, name in enumerate(template_names)}
        parsed = [parse_attribute(a) for a in weights.attributes]
        attr_template = np.array([template_index[name] for name, _ in parsed], dtype=np.int64)
        attr_key = np.array([key for _, key in parsed], dtype=np.int64)
        keys, matrices = [], []
        for j in range(len(template_names)):
            mine = attr_template[weights.state_attr] == j
            feature_keys = attr_key[weights.state_attr[mine]]
            sorted_keys = np.unique(feature_keys)
            matrix = np.zeros((len(sorted_keys) + 1, n_labels))
            matrix[np.searchsorted(sorted_keys, feature_keys), weights.state_label[mine]] = weights.state_weight[mine]
            keys.append(sorted_keys)
            matrices.append(matrix)
        return cls(tuple(weights.labels), tuple(template_names), keys, matrices, weights.transitions.copy())

    # -- storage: plain arrays, loaded with allow_pickle=False -------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {"transitions": self.transitions}
        for i, (k, w) in enumerate(zip(self.keys, self.weights)):
            arrays[f"keys_{i}"] = k
            arrays[f"weights_{i}"] = w
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], labels: Sequence[str],
                    template_names: Sequence[str]) -> "CompiledCRF":
        n = len(template_names)
        keys = [np.asarray(arrays[f"keys_{i}"], dtype=np.int64) for i in range(n)]
        weights = [np.asarray(arrays[f"weights_{i}"], dtype=np.float64) for i in range(n)]
        transitions = np.asarray(arrays["transitions"], dtype=np.float64)
        for k, w in zip(keys, weights):
            if w.shape != (len(k) + 1, len(labels)):
                raise ValueError("weight matrix shape does not match its keys and labels")
        if transitions.shape != (len(labels), len(labels)):
            raise ValueError("transition matrix shape does not match the labels")
        return cls(tuple(labels), tuple(template_names), keys, weights, transitions)

    @property
    def n_features(self) -> int:
        return int(sum(np.count_nonzero(w) for w in self.weights) + np.count_nonzero(self.transitions))

    # -- decoding ----------------------------------------------------------------------------
    def emissions(self, feature_keys: np.ndarray) -> np.ndarray:
        """State scores ``(n_positions, n_labels)`` for an ``(n_positions, n_templates)`` key array."""
        scores = np.zeros((feature_keys.shape[0], len(self.labels)))
        for j, (keys, weights) in enumerate(zip(self.keys, self.weights)):
            query = feature_keys[:, j]
            rows = np.searchsorted(keys, query)
            if len(keys):
                found = keys[np.minimum(rows, len(keys) - 1)] == query
                rows[~found] = len(keys)
            scores += weights[rows]
        return scores

    def viterbi(self, emissions: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Best label index per position for consecutive sequences of the given lengths."""
        return viterbi(emissions, lengths, self.transitions)


def viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Batched Viterbi: one vectorised step per position over all sequences still running.

    Sequences are processed longest first, so at step ``t`` the running ones are a prefix of the
    order and no padding is needed.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    best = np.zeros(len(emissions), dtype=np.int64)
    if len(emissions) == 0:
        return best
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    order = np.argsort(-lengths, kind="stable")
    order = order[lengths[order] > 0]
    sorted_lengths = lengths[order]
    sorted_starts = starts[order]
    # running[t] = how many sequences have a position t
    running = np.searchsorted(-sorted_lengths, -np.arange(sorted_lengths[0]), side="left")
    score = emissions[sorted_starts].copy()
    backpointers = []
    for t in range(1, int(sorted_lengths[0])):
        n = running[t]
        candidates = score[:n, :, None] + transitions  # (n, from, to)
        pointer = candidates.argmax(axis=1)
        score[:n] = np.take_along_axis(candidates, pointer[:, None, :], axis=1)[:, 0, :]
        score[:n] += emissions[sorted_starts[:n] + t]
        backpointers.append(pointer)
    current = score.argmax(axis=1)
    for t in range(int(sorted_lengths[0]) - 1, 0, -1):
        n = running[t]
        best[sorted_starts[:n] + t] = current[:n]
        current[:n] = backpointers[t - 1][np.arange(n), current[:n]]
    best[sorted_starts] = current
    return best
