"""Per-character features, defined once as integer keys.

A feature template (``U-1``: the character before this one; ``B0``: this character and the next)
gives every character position one integer key. Training turns ``(template, key)`` pairs into the
attribute strings crfsuite wants (``U-1=20320``); the fast decoder looks the same integer keys up
in compiled arrays. Both paths therefore see exactly the same features.

The configuration is a small JSON-able dataclass saved in the model's ``meta.json`` and rebuilt
from it when segmenting, so a model always gets the features it was trained with.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from features.chars import BOS, CHAR_CLASSES, CODE_SPACE, EOS, class_table, codepoints, fold_table

N_CLASSES = len(CHAR_CLASSES)


@dataclass(frozen=True)
class FeatureConfig:
    """Which templates to extract. Offsets are relative to the current character.

    unigrams: offsets ``o`` of single characters ``c[o]``.
    bigrams: offsets ``o`` of adjacent pairs ``c[o] c[o+1]``.
    skip_bigrams: pairs of offsets ``(a, b)`` of non-adjacent characters ``c[a] c[b]``.
    class_unigram: the class (digit, Latin, punctuation, Chinese numeral, date unit, Han, other)
        of the current character.
    class_trigram: the classes of the previous, current and next characters together.
    reduplication: offsets ``o`` where ``c[0] == c[o]`` is a feature (AA, ABAB patterns).
    """

    unigrams: tuple[int, ...] = (-2, -1, 0, 1, 2)
    bigrams: tuple[int, ...] = (-2, -1, 0, 1)
    skip_bigrams: tuple[tuple[int, int], ...] = ((-1, 1),)
    class_unigram: bool = True
    class_trigram: bool = True
    reduplication: tuple[int, ...] = (-1, -2)

    def template_names(self) -> list[str]:
        names = [f"U{o}" for o in self.unigrams]
        names += [f"B{o}" for o in self.bigrams]
        names += [f"S{a}{b:+d}" for a, b in self.skip_bigrams]
        names += ["K0"] if self.class_unigram else []
        names += ["K-1:1"] if self.class_trigram else []
        names += [f"R{o}" for o in self.reduplication]
        return names

    @property
    def radius(self) -> int:
        """How far any template looks from the current character."""
        reach = [abs(o) for o in self.unigrams + self.reduplication]
        reach += [max(abs(o), abs(o + 1)) for o in self.bigrams]
        reach += [max(abs(a), abs(b)) for a, b in self.skip_bigrams]
        reach += [1] if self.class_trigram else []
        return max(reach + [0])

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "FeatureConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown feature settings: {', '.join(sorted(unknown))}")
        return cls(
            unigrams=tuple(data.get("unigrams", ())),
            bigrams=tuple(data.get("bigrams", ())),
            skip_bigrams=tuple(tuple(pair) for pair in data.get("skip_bigrams", ())),
            class_unigram=bool(data.get("class_unigram", False)),
            class_trigram=bool(data.get("class_trigram", False)),
            reduplication=tuple(data.get("reduplication", ())),
        )


PRESETS: dict[str, FeatureConfig] = {
    # Character unigrams and bigrams in a window of two: the classic CRF segmenter.
    "fast": FeatureConfig(skip_bigrams=(), class_trigram=False, reduplication=()),
    "default": FeatureConfig(),
}
DEFAULT_PRESET = "default"


def padded_layout(lengths: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Where each character of concatenated sequences goes in a padded array.

    Each sequence gets ``radius`` BOS slots before it and ``radius`` EOS slots after it. Returns
    the positions of the real characters, the positions of the EOS slots and the padded size.
    """
    n_seq = len(lengths)
    seq_of_char = np.repeat(np.arange(n_seq), lengths)
    shift = radius * (2 * np.arange(n_seq) + 1)
    char_positions = np.arange(int(lengths.sum())) + shift[seq_of_char]
    ends = np.cumsum(lengths) + shift
    eos_positions = (ends[:, None] + np.arange(radius)).ravel()
    return char_positions, eos_positions, int(lengths.sum()) + 2 * radius * n_seq


def feature_keys(sequences: Sequence[str], config: FeatureConfig) -> np.ndarray:
    """Integer feature keys for every character of ``sequences``.

    Returns an ``(n_chars, n_templates)`` int64 array, rows in the order of the concatenated
    sequences, columns in the order of ``config.template_names()``. Templates never look across
    sequences: positions beyond either end see BOS or EOS padding.
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    radius = config.radius
    pos, eos_pos, size = padded_layout(lengths, radius)
    padded = np.full(size, BOS, dtype=np.int64)
    padded[pos] = fold_table()[codepoints("".join(sequences))]
    padded[eos_pos] = EOS

    def at(offset: int) -> np.ndarray:
        return padded[pos + offset]

    columns = [at(o) for o in config.unigrams]
    columns += [at(o) * CODE_SPACE + at(o + 1) for o in config.bigrams]
    columns += [at(a) * CODE_SPACE + at(b) for a, b in config.skip_bigrams]
    if config.class_unigram or config.class_trigram:
        classes = class_table()[padded]
        if config.class_unigram:
            columns.append(classes[pos])
        if config.class_trigram:
            columns.append((classes[pos - 1] * N_CLASSES + classes[pos]) * N_CLASSES + classes[pos + 1])
    centre = at(0)
    columns += [(centre == at(o)).astype(np.int64) for o in config.reduplication]
    keys = np.empty((len(pos), len(columns)), dtype=np.int64)
    for j, column in enumerate(columns):
        keys[:, j] = column
    return keys


def attribute_strings(keys: np.ndarray, names: Sequence[str]) -> list[list[str]]:
    """crfsuite attributes (``name=key``) for each row of a key array from :func:`feature_keys`."""
    columns = [[f"{name}={k}" for k in keys[:, j].tolist()] for j, name in enumerate(names)]
    return [list(row) for row in zip(*columns)]


def parse_attribute(attribute: str) -> tuple[str, int]:
    """Inverse of the ``name=key`` naming in :func:`attribute_strings`."""
    name, _, key = attribute.partition("=")
    return name, int(key)
