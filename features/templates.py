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
from typing import Callable, Sequence

import numpy as np

from zhseg.features.chars import CHAR_CLASSES, CODE_SPACE, EOS, FOLDINGS, class_table, padded_codepoints
from zhseg.features.lexicon import Lexicon
from zhseg.features.variety import DOMAIN as VARIETY_DOMAIN
from zhseg.features.variety import AccessorVariety

N_CLASSES = len(CHAR_CLASSES)
MAX_OFFSET = 8  # how far a saved template may look; more is a damaged or foreign meta.json
MAX_LENGTH_SETTING = 16  # the longest dictionary, variety or word-list n-gram a saved model may ask for
MAX_WORD_LIST_GROUPS = 16


@dataclass(frozen=True)
class Template:
    """One feature template: the key of base array ``base`` at ``offset`` from the character.

    Bases are per-position key arrays over the padded text; :data:`BASE_KINDS` defines every kind
    of base. Templates that share a base differ only by a shift, which the fast decoder exploits:
    one lookup per base, not per template.
    """

    name: str
    base: str
    offset: int

    @property
    def reach(self) -> int:
        """How far from the current character this template reads."""
        kind, param = base_kind(self.base)
        return kind.reach(self.offset, param)


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
    dictionary: if > 0, dictionary features from a lexicon of words up to this long: the length
        of the longest known word starting at, ending at and running through this character,
        ending just before it and starting just after it.
    variety: if > 0, accessor variety features for n-grams of 2 up to this many characters
        (features/variety.py): the left variety of the n-gram starting here and just after, the
        right variety of the n-gram ending here and just before.
    word_list: if > 0, the same five features as ``dictionary`` from external word lists
        (``train --dict``; words up to this long), features of their own beside the training
        vocabulary's. The lists do not come from the training text, so nothing is held out.
    word_list_groups: how many groups of external words have five features of their own (one
        per list, or per frequency bin of a list), so that the CRF learns how far to trust each.
    fold: the character folding the features see (features/chars.py): ``basic`` (full-width to
        half-width, case) or ``t2s`` (also traditional characters to simplified).
    """

    unigrams: tuple[int, ...] = (-2, -1, 0, 1, 2)
    bigrams: tuple[int, ...] = (-2, -1, 0, 1)
    skip_bigrams: tuple[tuple[int, int], ...] = ((-1, 1),)
    class_unigram: bool = True
    class_trigram: bool = True
    reduplication: tuple[int, ...] = (-1, -2)
    dictionary: int = 0
    variety: int = 0
    word_list: int = 0
    word_list_groups: int = 1
    fold: str = "basic"

    @functools.cached_property
    def _templates(self) -> tuple["Template", ...]:
        found = [Template(f"U{o}", "char", o) for o in self.unigrams]
        found += [Template(f"B{o}", "bigram", o) for o in self.bigrams]
        found += [Template(f"S{a}{b:+d}", f"skip{b - a}", a) for a, b in self.skip_bigrams]
        found += [Template("K0", "class", 0)] if self.class_unigram else []
        found += [Template("K-1:1", "class3", 0)] if self.class_trigram else []
        if any(o >= 0 for o in self.reduplication):
            raise ValueError("reduplication offsets look back: they must be negative")
        found += [Template(f"R{o}", f"same{o}", 0) for o in self.reduplication]
        if self.dictionary:
            found += [Template("DB0", "dict_begin", 0), Template("DE0", "dict_end", 0),
                      Template("DM0", "dict_middle", 0), Template("DE-1", "dict_end", -1),
                      Template("DB1", "dict_begin", 1)]
        for group in range(self.word_list_groups if self.word_list else 0):
            g = str(group) if group else ""  # the first group keeps the names of one-list models
            found += [Template(f"L{g}B0", f"list{g}_begin", 0), Template(f"L{g}E0", f"list{g}_end", 0),
                      Template(f"L{g}M0", f"list{g}_middle", 0), Template(f"L{g}E-1", f"list{g}_end", -1),
                      Template(f"L{g}B1", f"list{g}_begin", 1)]
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
        """The distinct bases the templates read, in order of first use (the default rows of
        :class:`PaddedBases`)."""
        return tuple(dict.fromkeys(t.base for t in self._templates))

    @functools.cached_property
    def radius(self) -> int:
        """How far any template looks from the current character."""
        return max([t.reach for t in self._templates] + [0])

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "FeatureConfig":
        data = dict(data)
        if data.pop("trigrams", []):  # an empty list is what models of zhseg 0.1 wrote
            raise ValueError("trigram features were removed in zhseg 0.2 (no gain measured); retrain the model")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown feature settings: {', '.join(sorted(unknown))}")
        # a tampered meta.json must not reach the arrays: every value checked for type and range
        def offsets(name: str, pairs: bool = False) -> tuple:
            value = data.get(name, ())
            items = ([tuple(v) if pairs and isinstance(v, (list, tuple)) else v for v in value]
                     if isinstance(value, (list, tuple)) else None)
            flat = [x for item in items for x in (item if pairs else (item,))] if items is not None else None
            if flat is None or (pairs and any(not isinstance(i, tuple) or len(i) != 2 for i in items)) or \
                    any(type(x) is not int or abs(x) > MAX_OFFSET for x in flat):
                raise ValueError(f"feature setting {name!r} is not a list of offsets within +-{MAX_OFFSET}")
            return tuple(items)

        def length(name: str) -> int:
            value = data.get(name, 0)
            if type(value) is not int or not 0 <= value <= MAX_LENGTH_SETTING:
                raise ValueError(f"feature setting {name!r} is {value!r}: expected a whole number from 0 to {MAX_LENGTH_SETTING}")
            return value

        def flag(name: str) -> bool:
            value = data.get(name, False)
            if type(value) is not bool:
                raise ValueError(f"feature setting {name!r} is {value!r}: expected true or false")
            return value

        groups = data.get("word_list_groups", 1)
        if type(groups) is not int or not 1 <= groups <= MAX_WORD_LIST_GROUPS:
            raise ValueError(f"feature setting 'word_list_groups' is {groups!r}: expected a whole number from 1 "
                             f"to {MAX_WORD_LIST_GROUPS}")
        fold = data.get("fold", "basic")
        if fold not in FOLDINGS:
            raise ValueError(f"feature setting 'fold' is {fold!r}: expected one of {', '.join(FOLDINGS)}")
        return cls(unigrams=offsets("unigrams"), bigrams=offsets("bigrams"), skip_bigrams=offsets("skip_bigrams", True),
                   class_unigram=flag("class_unigram"), class_trigram=flag("class_trigram"),
                   reduplication=offsets("reduplication"), dictionary=length("dictionary"), variety=length("variety"),
                   word_list=length("word_list"), word_list_groups=groups, fold=fold)


PRESETS: dict[str, FeatureConfig] = {
    # Character unigrams and bigrams in a window of two: the classic CRF segmenter.
    "fast": FeatureConfig(skip_bigrams=(), class_trigram=False, reduplication=()),
    # Adds a skip bigram, character classes and reduplication.
    "standard": FeatureConfig(),
    # Adds dictionary features from the training vocabulary (built k-fold in training): +0.5 F1
    # on CTB6 dev over "standard" (benchmarks/RESULTS.md, ablation), in about 1.5x the time.
    "accurate": FeatureConfig(dictionary=6),
    # Adds accessor variety of 2- to 4-grams from the training text and --raw text.
    "variety": FeatureConfig(dictionary=6, variety=4),
}
DEFAULT_PRESET = "accurate"


@dataclass(frozen=True)
class BaseKind:
    """One kind of base key array, defined once: every other module asks this registry.

    prefix: base names of this kind start with it; the rest of the name is its parameter
        (``skip2``: distance 2; ``same-1``: the character 1 back; ``dict_begin``: ``begin``).
    domain: an exclusive upper bound on its keys given the parameter, or None where keys are too
        sparse for a direct-index table (character pairs).
    reach: how far from the current character a template with this base at ``offset`` reads.
    fill: writes the keys of the named base over the padded folded code points into ``out``
        (``fill(out, param, padded, context)``); kinds computed together (dictionary, accessor
        variety) fill all of their bases listed in ``context.rows`` at once.
    """

    prefix: str
    domain: Callable[[str], int | None]
    reach: Callable[[int, str], int]
    fill: Callable[[np.ndarray, str, np.ndarray, "_FillContext"], None]


@dataclass
class _FillContext:
    rows: dict[str, np.ndarray]
    lexicon: Lexicon | None
    variety: AccessorVariety | None
    word_lists: Sequence[Lexicon]
    filled: set[str]
    classes: np.ndarray | None = None

    def class_keys(self, padded: np.ndarray) -> np.ndarray:
        if self.classes is None:
            self.classes = class_table().take(padded)
        return self.classes


# Past the array's ends a neighbour counts as padding: EOS for pairs, class "pad" (0) for classes,
# "different" for reduplication. Those values are valid keys but never read: real characters are
# at least `radius` slots from either end.
def _fill_char(out, param, padded, context):
    out[:] = padded


def _fill_pair(out, param, padded, context):
    distance = int(param or 1)
    np.multiply(padded, CODE_SPACE, out=out)
    out[:-distance] += padded[distance:]
    out[-distance:] += EOS


def _fill_class(out, param, padded, context):
    out[:] = context.class_keys(padded)


def _fill_class3(out, param, padded, context):  # previous * N^2 + current * N + next
    classes = context.class_keys(padded)
    np.multiply(classes, N_CLASSES, out=out)
    out[1:] += classes[:-1] * (N_CLASSES * N_CLASSES)
    out[:-1] += classes[1:]


def _fill_same(out, param, padded, context):
    distance = -int(param)  # how far back the earlier character is
    out[:distance] = 0
    np.equal(padded[distance:], padded[:-distance], out=out[distance:], casting="unsafe")


def _fill_group(computed, prefix, context):
    for name, values in computed:
        if prefix + name in context.rows:
            context.rows[prefix + name][:] = values
            context.filled.add(prefix + name)


def _fill_dictionary(out, param, padded, context):
    if context.lexicon is None:
        raise ValueError("this feature configuration needs a lexicon")
    _fill_group(zip(("begin", "end", "middle"), context.lexicon.match_lengths(padded)), "dict_", context)


def _fill_word_list(out, param, padded, context):
    g = param[: param.index("_")]  # "list1_begin": group 1; "list_begin": group 0
    group = int(g or 0)
    if group >= len(context.word_lists):
        raise ValueError("this feature configuration needs its word lists")
    matches = context.word_lists[group].match_lengths(padded)
    _fill_group(zip(("begin", "end", "middle"), matches), f"list{g}_", context)


def _fill_variety(out, param, padded, context):
    if context.variety is None:
        raise ValueError("this feature configuration needs accessor variety tables")
    _fill_group(((name[3:], values) for name, values in context.variety.buckets(padded).items()), "av_", context)


def _window(offset: int, param: str, extra: int) -> int:
    return max(abs(offset), abs(offset + extra))


# Order matters where one prefix begins another: "class3" is tried before "class".
BASE_KINDS: tuple[BaseKind, ...] = (
    BaseKind("char", lambda p: CODE_SPACE, lambda o, p: abs(o), _fill_char),
    BaseKind("bigram", lambda p: None, lambda o, p: _window(o, p, 1), _fill_pair),
    BaseKind("skip", lambda p: None, lambda o, p: _window(o, p, int(p)), _fill_pair),
    BaseKind("class3", lambda p: N_CLASSES**3, lambda o, p: abs(o) + 1, _fill_class3),
    BaseKind("class", lambda p: N_CLASSES, lambda o, p: abs(o), _fill_class),
    BaseKind("same", lambda p: 2, lambda o, p: _window(o, p, int(p)), _fill_same),
    # word lengths; the lexicon caps them far below this. N-grams that include padding never
    # match, so one pad between sequences suffices for these two.
    BaseKind("dict_", lambda p: 64, lambda o, p: max(1, abs(o)), _fill_dictionary),
    BaseKind("list", lambda p: 64, lambda o, p: max(1, abs(o)), _fill_word_list),
    BaseKind("av_", lambda p: VARIETY_DOMAIN, lambda o, p: max(1, abs(o)), _fill_variety),
)


@functools.cache
def base_kind(base: str) -> tuple[BaseKind, str]:
    """The kind of a base name and its parameter; ValueError for an unknown base."""
    for kind in BASE_KINDS:
        if base.startswith(kind.prefix):
            return kind, base[len(kind.prefix):]
    raise ValueError(f"unknown feature base {base!r}")


def base_domain(base: str) -> int | None:
    """An exclusive upper bound on the keys of a base, or None where keys are too sparse for a
    direct-index table (the character pairs)."""
    kind, param = base_kind(base)
    return kind.domain(param)


@dataclass(frozen=True)
class PaddedBases:
    """Every base's keys over the padded concatenation of some sequences.

    positions: where the real characters are in the padded text.
    names: the bases, one per row of ``keys``.
    keys: ``(len(names), padded size)`` int64, a row per base.
    """

    positions: np.ndarray
    names: tuple[str, ...]
    keys: np.ndarray

    def __getitem__(self, base: str) -> np.ndarray:
        return self.keys[self.names.index(base)]


def padded_bases(sequences: Sequence[str], config: FeatureConfig, lexicon: Lexicon | None = None,
                 variety: AccessorVariety | None = None, order: Sequence[str] | None = None,
                 word_lists: Sequence[Lexicon] = ()) -> PaddedBases:
    """The base key arrays over the padded concatenation of ``sequences``.

    Each sequence is padded with ``config.radius`` BOS before and EOS after, so no template ever
    sees a neighbouring sequence. Dictionary features need the ``lexicon``, accessor variety
    features the ``variety`` tables, word-list features the ``word_lists`` lexicons (one per group). ``order`` lays the rows out as a reader wants them (the
    decoder groups them by lookup table); by default, :attr:`FeatureConfig.bases`.
    """
    names = tuple(order) if order is not None else config.bases
    if config.dictionary and lexicon is None:
        raise ValueError("this feature configuration needs a lexicon")
    if config.variety and variety is None:
        raise ValueError("this feature configuration needs accessor variety tables")
    if config.word_list and len(word_lists) != config.word_list_groups:
        raise ValueError(f"this feature configuration needs {config.word_list_groups} word list(s), "
                         f"{len(word_lists)} given")
    pos, padded = padded_codepoints(sequences, config.radius, config.fold)
    keys = np.empty((len(names), len(padded)), dtype=np.int64)
    context = _FillContext(dict(zip(names, keys)), lexicon, variety, word_lists, set())  # rows are views of keys
    for base, out in context.rows.items():
        if base not in context.filled:
            kind, param = base_kind(base)
            kind.fill(out, param, padded, context)
    return PaddedBases(pos, names, keys)


def feature_keys(sequences: Sequence[str], config: FeatureConfig, lexicon: Lexicon | None = None,
                 variety: AccessorVariety | None = None, word_lists: Sequence[Lexicon] = ()) -> np.ndarray:
    """Integer feature keys for every character of ``sequences``.

    Returns an ``(n_chars, n_templates)`` int64 array, rows in the order of the concatenated
    sequences, columns in the order of ``config.templates()``.
    """
    bases = padded_bases(sequences, config, lexicon, variety, word_lists=word_lists)
    templates = config.templates()
    keys = np.empty((len(bases.positions), len(templates)), dtype=np.int64)
    for j, template in enumerate(templates):
        keys[:, j] = bases[template.base][bases.positions + template.offset]
    return keys
