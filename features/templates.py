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
import functools
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from features.chars import CHAR_CLASSES, CODE_SPACE, EOS, class_table, padded_codepoints
from features.lexicon import Lexicon
from features.variety import DOMAIN as VARIETY_DOMAIN
from features.variety import AccessorVariety

N_CLASSES = len(CHAR_CLASSES)


@dataclass(frozen=True)
class Template:
    """One feature template: the key of base array ``base`` at ``offset`` from the character.

    Bases are per-position key arrays over the padded text: ``char`` (folded code point),
    ``bigram`` (this and the next character), ``trigram`` (this and the next two), ``skipD``
    (this character and the one D ahead), ``class`` (character class), ``class3`` (classes of the
    previous, this and the next), ``sameD`` (1 if this character equals the one D away, else 0),
    ``dict_*`` and ``av_*`` (features/lexicon.py, features/variety.py). Templates that share a base
    differ only by a shift, which the fast decoder exploits: one lookup per base, not per template.
    """

    name: str
    base: str
    offset: int

    @property
    def reach(self) -> int:
        """How far from the current character this template reads."""
        extra = 0
        if self.base == "bigram":
            extra = 1
        elif self.base == "trigram":
            extra = 2
        elif self.base.startswith(("skip", "same")):
            extra = int(self.base[4:])
        elif self.base == "class3":
            return abs(self.offset) + 1
        elif self.base.startswith(("dict_", "av_")):
            # n-grams that include padding never match, so one pad between sequences suffices
            return max(1, abs(self.offset))
        return max(abs(self.offset), abs(self.offset + extra))


@dataclass(frozen=True)
class FeatureConfig:
    """Which templates to extract. Offsets are relative to the current character.

    unigrams: offsets ``o`` of single characters ``c[o]``.
    bigrams: offsets ``o`` of adjacent pairs ``c[o] c[o+1]``.
    skip_bigrams: pairs of offsets ``(a, b)`` of non-adjacent characters ``c[a] c[b]``.
    trigrams: offsets ``o`` of three adjacent characters ``c[o] c[o+1] c[o+2]``.
    class_unigram: the class (digit, Latin, punctuation, Chinese numeral, date unit, Han, other)
        of the current character.
    class_trigram: the classes of the previous, current and next characters together.
    reduplication: offsets ``o`` where ``c[0] == c[o]`` is a feature (AA, ABAB patterns).
    dictionary: if > 0, dictionary features from a lexicon of words up to this long: the length
        of the longest known word starting at, ending at and running through this character,
        ending just before it and starting just after it.
    variety: if > 0, accessor variety features for n-grams of 2 up to this many characters
        (features/variety.py): the left variety of the n-gram starting here and just after, the
        right variety of the n-gram ending here and just before.
    """

    unigrams: tuple[int, ...] = (-2, -1, 0, 1, 2)
    bigrams: tuple[int, ...] = (-2, -1, 0, 1)
    skip_bigrams: tuple[tuple[int, int], ...] = ((-1, 1),)
    trigrams: tuple[int, ...] = ()
    class_unigram: bool = True
    class_trigram: bool = True
    reduplication: tuple[int, ...] = (-1, -2)
    dictionary: int = 0
    variety: int = 0

    @functools.cached_property
    def _templates(self) -> tuple["Template", ...]:
        found = [Template(f"U{o}", "char", o) for o in self.unigrams]
        found += [Template(f"B{o}", "bigram", o) for o in self.bigrams]
        found += [Template(f"S{a}{b:+d}", f"skip{b - a}", a) for a, b in self.skip_bigrams]
        found += [Template(f"T{o}", "trigram", o) for o in self.trigrams]
        found += [Template("K0", "class", 0)] if self.class_unigram else []
        found += [Template("K-1:1", "class3", 0)] if self.class_trigram else []
        if any(o >= 0 for o in self.reduplication):
            raise ValueError("reduplication offsets look back: they must be negative")
        found += [Template(f"R{o}", f"same{o}", 0) for o in self.reduplication]
        if self.dictionary:
            found += [Template("DB0", "dict_begin", 0), Template("DE0", "dict_end", 0),
                      Template("DM0", "dict_middle", 0), Template("DE-1", "dict_end", -1),
                      Template("DB1", "dict_begin", 1)]
        for n in range(2, self.variety + 1):
            found += [Template(f"AB{n}", f"av_begin{n}", 0), Template(f"AE{n}", f"av_end{n}", 0),
                      Template(f"AE{n}-1", f"av_end{n}", -1), Template(f"AB{n}+1", f"av_begin{n}", 1)]
        return tuple(found)

    def templates(self) -> tuple["Template", ...]:
        """The templates in their fixed order (the order their weights are summed in)."""
        return self._templates

    def template_names(self) -> list[str]:
        return [t.name for t in self._templates]

    @functools.cached_property
    def bases(self) -> tuple[str, ...]:
        """The distinct bases the templates read, grouped by :func:`key_space` (the rows of
        :class:`PaddedBases`)."""
        return order_bases(t.base for t in self._templates)

    @functools.cached_property
    def radius(self) -> int:
        """How far any template looks from the current character."""
        return max([t.reach for t in self._templates] + [0])

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
            trigrams=tuple(data.get("trigrams", ())),
            class_unigram=bool(data.get("class_unigram", False)),
            class_trigram=bool(data.get("class_trigram", False)),
            reduplication=tuple(data.get("reduplication", ())),
            dictionary=int(data.get("dictionary", 0)),
            variety=int(data.get("variety", 0)),
        )


PRESETS: dict[str, FeatureConfig] = {
    # Character unigrams and bigrams in a window of two: the classic CRF segmenter.
    "fast": FeatureConfig(skip_bigrams=(), class_trigram=False, reduplication=()),
    # Adds a skip bigram, character classes and reduplication.
    "standard": FeatureConfig(),
    # Adds dictionary features from the training vocabulary (built k-fold in training): +0.5 F1
    # on CTB6 dev over "standard" (benchmarks/RESULTS.md, ablation), in about 1.5x the time.
    "accurate": FeatureConfig(dictionary=6),
    # Adds the trigram centred on the character.
    "trigram": FeatureConfig(dictionary=6, trigrams=(-1,)),
    # Adds accessor variety of 2- to 4-grams from the training text and --raw text.
    "variety": FeatureConfig(dictionary=6, variety=4),
}
DEFAULT_PRESET = "accurate"


def base_domain(base: str) -> int | None:
    """An exclusive upper bound on the keys of a base, or None where keys are too sparse for a
    direct-index table (the n-gram bases)."""
    if base == "char":
        return CODE_SPACE
    if base == "class":
        return N_CLASSES
    if base == "class3":
        return N_CLASSES**3
    if base.startswith("same"):
        return 2
    if base.startswith("dict_"):
        return 64  # word lengths; the lexicon caps them far below this
    if base.startswith("av_"):
        return VARIETY_DOMAIN
    return None


KEY_SPACES = ("bounded", "pair", "trigram")


def key_space(base: str) -> str:
    """Which lookup table the fast decoder reads a base's keys from: ``bounded`` (every base with
    a domain, each at its own offset in one direct-index table), ``pair`` (bigram and skip-bigram
    keys both encode two characters, so they share one index) or ``trigram``."""
    if base_domain(base) is not None:
        return "bounded"
    if base == "bigram" or base.startswith("skip"):
        return "pair"
    if base == "trigram":
        return "trigram"
    raise ValueError(f"unknown feature base {base!r}")


def order_bases(bases: Iterable[str]) -> tuple[str, ...]:
    """Distinct bases in order of first use within each key space, key spaces in
    :data:`KEY_SPACES` order: a key space's bases are consecutive rows, looked up in one call."""
    distinct = dict.fromkeys(bases)
    return tuple(sorted(distinct, key=lambda base: KEY_SPACES.index(key_space(base))))


@dataclass(frozen=True)
class PaddedBases:
    """Every base's keys over the padded concatenation of some sequences.

    positions: where the real characters are in the padded text.
    names: the bases, in :attr:`FeatureConfig.bases` order.
    keys: ``(len(names), padded size)`` int64, a row per base.
    """

    positions: np.ndarray
    names: tuple[str, ...]
    keys: np.ndarray

    def __getitem__(self, base: str) -> np.ndarray:
        return self.keys[self.names.index(base)]


def padded_bases(sequences: Sequence[str], config: FeatureConfig, lexicon: Lexicon | None = None,
                 variety: AccessorVariety | None = None) -> PaddedBases:
    """The base key arrays over the padded concatenation of ``sequences``.

    Each sequence is padded with ``config.radius`` BOS before and EOS after, so no template ever
    sees a neighbouring sequence. Dictionary features need the ``lexicon``, accessor variety
    features the ``variety`` tables.
    """
    if config.dictionary and lexicon is None:
        raise ValueError("this feature configuration needs a lexicon")
    if config.variety and variety is None:
        raise ValueError("this feature configuration needs accessor variety tables")
    pos, padded = padded_codepoints(sequences, config.radius)
    keys = np.empty((len(config.bases), len(padded)), dtype=np.int64)
    row = dict(zip(config.bases, keys))  # each a view of its row of keys
    # Each base is computed over the whole padded array with slices, written into its row. Past
    # the array's ends a neighbour counts as padding: EOS for n-grams, class "pad" (0) for
    # classes, "different" for reduplication. Those values are valid keys but never read: real
    # characters are at least `radius` slots from either end.
    classes = None
    filled: set[str] = set()
    for base, out in row.items():
        if base in filled:
            continue
        if base == "char":
            out[:] = padded
        elif base == "bigram" or base.startswith("skip"):
            distance = 1 if base == "bigram" else int(base[4:])
            np.multiply(padded, CODE_SPACE, out=out)
            out[:-distance] += padded[distance:]
            out[-distance:] += EOS
        elif base == "trigram":  # 3 x 21 bits: still a non-negative int64
            np.multiply(padded, CODE_SPACE, out=out)
            out[:-1] += padded[1:]
            out[-1] += EOS
            out *= CODE_SPACE
            out[:-2] += padded[2:]
            out[-2:] += EOS
        elif base in ("class", "class3"):
            if classes is None:
                classes = class_table().take(padded)
            if base == "class":
                out[:] = classes
            else:  # previous * N^2 + current * N + next
                np.multiply(classes, N_CLASSES, out=out)
                out[1:] += classes[:-1] * (N_CLASSES * N_CLASSES)
                out[:-1] += classes[1:]
        elif base.startswith("same"):
            distance = -int(base[4:])  # how far back the earlier character is
            out[:distance] = 0
            np.equal(padded[distance:], padded[:-distance], out=out[distance:], casting="unsafe")
        elif base.startswith(("dict_", "av_")):  # computed together: fill every row of the kind
            computed = (zip(("dict_begin", "dict_end", "dict_middle"), lexicon.match_lengths(padded))
                        if base.startswith("dict_") else variety.buckets(padded).items())
            for name, values in computed:
                if name in row:
                    row[name][:] = values
                    filled.add(name)
        else:
            raise ValueError(f"unknown feature base {base!r}")
    return PaddedBases(pos, config.bases, keys)


def feature_keys(sequences: Sequence[str], config: FeatureConfig, lexicon: Lexicon | None = None,
                 variety: AccessorVariety | None = None) -> np.ndarray:
    """Integer feature keys for every character of ``sequences``.

    Returns an ``(n_chars, n_templates)`` int64 array, rows in the order of the concatenated
    sequences, columns in the order of ``config.templates()``.
    """
    bases = padded_bases(sequences, config, lexicon, variety)
    templates = config.templates()
    keys = np.empty((len(bases.positions), len(templates)), dtype=np.int64)
    for j, template in enumerate(templates):
        keys[:, j] = bases[template.base][bases.positions + template.offset]
    return keys


def attribute_strings(keys: np.ndarray, names: Sequence[str]) -> list[list[str]]:
    """crfsuite attributes (``name=key``) for each row of a key array from :func:`feature_keys`."""
    columns = [[f"{name}={k}" for k in keys[:, j].tolist()] for j, name in enumerate(names)]
    return [list(row) for row in zip(*columns)]


def parse_attribute(attribute: str) -> tuple[str, int]:
    """Inverse of the ``name=key`` naming in :func:`attribute_strings`."""
    name, _, key = attribute.partition("=")
    return name, int(key)
