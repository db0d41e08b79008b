"""Domain adaptation from partially segmented text (``train --partial-corpus``).

Text of the target domain often has some word boundaries for free: markup, punctuation, a
separator a user inserted (seed 004's ``@@``). zhseg takes the practical route of the
literature (Liu et al. 2014, "Domain Adaptation for CRF-based Chinese Word Segmentation using
Free Annotations"): the current model fills in the unknown boundaries by constrained Viterbi,
consistent with every known one (the constraint masks that keep user words whole), and a model
is retrained on the annotated corpora plus the filled-in text; a few rounds.

Not a partial-label objective (the likelihood of all the tag sequences that keep the known
boundaries), which crfsuite lacks anyway: known boundaries never say where a word goes on, so
splitting every character satisfies them all, and that objective pulls the model towards
splitting (benchmarks/partial_objective.py: 0.1 F1 above ignoring the partial text, where
filling in gains 3.5). Filling in keeps the base model's decisions not to split.

Two refinements, both measured on Weibo (benchmarks/adaptation.py):

- **unbroken strings.** Known boundaries say where a word ends, never where one does not. But a
  string seen many times in the partial text and (almost) never with a known boundary inside
  is, with a known boundary falling inside a real split at some rate, very likely not split
  there; a base model from another domain splits such strings all the time (CTB splits 全国,
  每天 and 各种, Weibo keeps them whole). Filling in keeps their insides unsplit, except where a
  known boundary says otherwise. Annotation is never perfectly consistent (Weibo's gold splits
  全国 in 10 of its 181 occurrences), so one occurrence in 50 may be broken.
- **a standard of its own.** The filled-in text may be learned as its own standard (the
  multi-corpus mechanism), which becomes the model's default: the shared weights learn from
  both, and the target domain's copies follow its known boundaries wherever the corpora's
  conventions differ.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from zhseg.features.chars import CHAR_CLASSES, class_table, codepoints
from zhseg.features.corpus import PartialSentence, Sentence
from zhseg.features.lexicon import Lexicon
from zhseg.model.store import Model
from zhseg.model.constraints import NEVER, Constraints, find_constraints, interiors, with_boundaries
from zhseg.model.segmenter import Segmenter

FILL_BATCH = 2000  # partial lines decoded together
DEFAULT_UNBROKEN_MIN = 20  # with a fifth of the real splits known, 0.8**20: about 1% of split strings slip through
UNBROKEN_TOLERANCE = 0.02  # the share of a string's occurrences that may hold a known boundary
# A string split in all its occurrences shows, on average, this many known boundaries inside if it
# occurs as often as unbroken_strings asks: e**-3, about 5% of such strings, slip through unseen.
EXPECTED_MARKS = 3
UNBROKEN_LENGTHS = range(2, 5)  # the lengths of the strings looked for: most words, and cheap to count


@dataclass(frozen=True)
class Adaptation:
    """How to adapt a model to partially segmented text (``train --partial-corpus``).

    partials: the partially segmented lines of the target domain.
    rounds: how many times to fill them in with the current model and retrain.
    base: the model that fills them in first (None: one trained on the corpora first).
    unbroken_min: strings seen at least this often, never with a known boundary inside, stay
        unsplit when filling in (:func:`unbroken_strings`); 0 switches it off.
    standard: learn the filled-in text as a standard of this name, the model's default (None:
        as part of the corpora's default standard).
    """

    partials: Sequence[PartialSentence]
    rounds: int = 1
    base: Model | None = None
    unbroken_min: int = DEFAULT_UNBROKEN_MIN
    standard: str | None = None

    def __post_init__(self):
        if self.rounds < 1:
            raise ValueError("rounds must be at least 1")
        if self.unbroken_min < 0:
            raise ValueError("the unbroken-string count must be 0 (off) or more")
        if self.standard is not None and (not self.standard or ":" in self.standard):
            raise ValueError("a standard needs a non-empty name without ':'")

    def describe(self) -> dict:
        """What ``meta.json`` records."""
        return {"partial_lines": len(self.partials), "rounds": self.rounds,
                "known_boundaries": sum(len(p.boundaries()) for p in self.partials),
                "unbroken_min": self.unbroken_min, "standard": self.standard,
                "base_model": self.base.meta.get("training", {}).get("corpora") if self.base is not None else None}


def known_share(partials: Sequence[PartialSentence], filled: Sequence[Sentence]) -> float:
    """How often the partial text marks a real split inside running Chinese text: the share of
    the boundaries a model filled in between two Chinese characters that are known ones (0 when
    only punctuation and the like mark boundaries)."""
    classes = class_table()
    chinese = np.zeros(len(CHAR_CLASSES), dtype=bool)
    chinese[[CHAR_CLASSES.index(name) for name in ("han", "cn_numeral", "date_unit")]] = True
    known = found = 0
    for partial, sentence in zip(partials, filled):
        text, marked, position = partial.text, set(partial.boundaries()), 0
        for word in sentence.words[:-1]:
            position += len(word)
            before, after = ord(text[position - 1]), ord(text[position])
            if before < len(classes) and after < len(classes) and chinese[classes[before]] and chinese[classes[after]]:
                found += 1
                known += position in marked
    return known / found if found else 0.0


def unbroken_strings(partials: Sequence[PartialSentence], min_count: int, share: float) -> frozenset[str]:
    """The strings of 2 to 4 characters occurring inside the chunks of ``partials`` at least
    ``min_count`` times, and often enough that a split inside would have been seen
    :data:`EXPECTED_MARKS` times given the ``share`` of splits the text marks (:func:`known_share`),
    yet with a known boundary inside at most :data:`UNBROKEN_TOLERANCE` of their occurrences.
    None when ``min_count`` is 0 or the text marks no splits (``share`` 0): absent marks then
    say nothing."""
    if min_count <= 0 or share <= 0:
        return frozenset()
    min_count = max(min_count, math.ceil(EXPECTED_MARKS / share))
    inside_chunks: Counter[str] = Counter()
    for p in partials:
        for chunk in p.chunks:
            for n in UNBROKEN_LENGTHS:
                inside_chunks.update(chunk[i : i + n] for i in range(len(chunk) - n + 1))
    frequent = {s for s, count in inside_chunks.items() if count >= min_count}
    anywhere: Counter[str] = Counter()  # occurrences inside a chunk or across a known boundary
    for p in partials:
        text = p.text
        for n in UNBROKEN_LENGTHS:
            anywhere.update(s for s in (text[i : i + n] for i in range(len(text) - n + 1)) if s in frequent)
    return frozenset(s for s in frequent if anywhere[s] - inside_chunks[s] <= UNBROKEN_TOLERANCE * anywhere[s])


def _unbroken_insides(texts: Sequence[str], unbroken: frozenset[str]) -> np.ndarray:
    """Per character of the joined ``texts``: does it lie inside (not first in) an occurrence of
    an unbroken string? The longest occurrence starting at each character covers the shorter
    ones; the texts are matched joined by newlines, which no unbroken string holds."""
    codes = codepoints("\n".join(texts))
    longest = Lexicon(unbroken, UNBROKEN_LENGTHS[-1], fold=None).longest_starting(codes)
    starts = np.flatnonzero(longest)
    inside = interiors(starts, starts + longest.take(starts), len(codes))[:-1]
    return inside[codes != ord("\n")]


def partial_constraints(partials: Sequence[PartialSentence], unbroken: frozenset[str] = frozenset(),
                        found: Constraints | None = None) -> Constraints:
    """Over the characters of ``partials`` end to end: a word starts at each known boundary
    (which wins over ``found``, the model's rule and grapheme constraints), and none inside an
    ``unbroken`` string where no other constraint says otherwise."""
    texts = [p.text for p in partials]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    known = np.array([offset + b for p, offset in zip(partials, offsets.tolist()) for b in p.boundaries()], dtype=np.int64)
    constraints = with_boundaries(found, int(lengths.sum()), known)  # a copy: changed in place below
    if unbroken:
        constraints.start[_unbroken_insides(texts, unbroken) & (constraints.start == 0)] = NEVER
    return constraints


def fill_in(segmenter: Segmenter, partials: Sequence[PartialSentence],
            unbroken: frozenset[str] = frozenset()) -> list[Sentence]:
    """Each partial line segmented into words with every known boundary kept (and the model's
    rules and grapheme clusters respected where no known boundary says otherwise), and the
    ``unbroken`` strings (:func:`unbroken_strings`) not split where no constraint says otherwise."""
    filled: list[Sentence] = []
    for start in range(0, len(partials), FILL_BATCH):
        batch = partials[start : start + FILL_BATCH]
        texts = [p.text for p in batch]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        found = None if segmenter.backend == "crfsuite" else find_constraints("\n".join(texts), segmenter.rules, None)
        starts = segmenter._word_starts(texts, lengths, partial_constraints(batch, unbroken, found))
        for p, text, offset, length in zip(batch, texts, offsets.tolist(), lengths.tolist()):
            bounds = np.flatnonzero(starts[offset : offset + length]).tolist() + [length]
            filled.append(Sentence(p.line_no, tuple(text[a:b] for a, b in zip(bounds, bounds[1:]))))
    return filled


def boundary_report(segmenter: Segmenter, partials: Sequence[PartialSentence]) -> dict:
    """How many separator-marked boundaries the model keeps when it segments the text freely, and
    how many of its words lie across one: ``evaluate --partial``."""
    marked = kept = across = words = 0
    # the text as a user has it: separators gone, whitespace kept
    lines = ("".join((" " if k and not p.marked[k - 1] else "") + chunk for k, chunk in enumerate(p.chunks))
             for p in partials)
    for p, cut in zip(partials, segmenter.cut_lines(lines)):
        ends = np.cumsum([len(w) for w in cut]).tolist()
        boundaries = set(ends[:-1])
        known = p.boundaries(marked_only=True)
        marked += len(known)
        kept += sum(b in boundaries for b in known)
        starts = [0] + ends[:-1]
        known_array = np.array(known, dtype=np.int64)
        for a, b in zip(starts, ends):
            words += 1
            across += bool(((known_array > a) & (known_array < b)).any()) if len(known_array) else 0
    return {"marked_boundaries": marked, "kept": kept, "boundary_recall": kept / marked if marked else None,
            "words": words, "words_across_a_boundary": across}


def adapt_data(data, filled: Sequence[Sentence], standard: str | None = None):
    """``data`` (a TrainingData) with the filled-in sentences added. They follow the first
    (default) standard of a multi-corpus model; with ``standard`` they are a standard of their
    own, put first, so that it is the adapted model's default (the corpora of a single-corpus
    ``data`` then become the standard ``corpus``)."""
    sentences = list(data.sentences) + list(filled)
    if standard is None:
        standard_of = list(data.standard_of) + [0] * len(filled) if data.standards else ()
        return replace(data, sentences=sentences, standard_of=standard_of)
    own = data.standards or ("corpus",)
    if standard in own:
        raise ValueError(f"the partial text's standard {standard!r} is already a corpus's")
    standard_of = ([k + 1 for k in data.standard_of] if data.standards else [1] * len(data.sentences)) + [0] * len(filled)
    return replace(data, sentences=sentences, standards=(standard, *own), standard_of=standard_of)
