"""Domain adaptation from partially segmented text (``train --partial-corpus``).

Text of the target domain often has some word boundaries for free: markup, punctuation, a
separator a user inserted (seed 004's ``@@``). crfsuite has no partial-label objective, so
zhseg takes the practical route of the literature (Liu et al. 2014, "Domain Adaptation for
CRF-based Chinese Word Segmentation using Free Annotations"): the current model fills in the
unknown boundaries by constrained Viterbi, consistent with every known one (the constraint
masks that keep user words whole), and a model is retrained on the annotated corpora plus the
filled-in text; a few rounds.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from zhseg.features.corpus import PartialSentence, Sentence
from zhseg.model.constraints import find_constraints, with_boundaries
from zhseg.model.segmenter import Segmenter

FILL_BATCH = 2000  # partial lines decoded together


def fill_in(segmenter: Segmenter, partials: Sequence[PartialSentence]) -> list[Sentence]:
    """Each partial line segmented into words with every known boundary kept (and the model's
    rules and grapheme clusters respected where no known boundary says otherwise)."""
    filled: list[Sentence] = []
    for start in range(0, len(partials), FILL_BATCH):
        batch = partials[start : start + FILL_BATCH]
        texts = [p.text for p in batch]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        known = np.array([offset + b for p, offset in zip(batch, offsets.tolist()) for b in p.boundaries()], dtype=np.int64)
        found = None if segmenter.backend == "crfsuite" else find_constraints("\n".join(texts), segmenter.rules, None)
        constraints = with_boundaries(found, int(lengths.sum()), known)
        starts = segmenter._word_starts(texts, lengths, constraints)
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


def adapt_data(data, filled: Sequence[Sentence]):
    """``data`` (a TrainingData) with the filled-in sentences added; in a multi-corpus model they
    follow the first (default) standard."""
    sentences = list(data.sentences) + list(filled)
    standard_of = list(data.standard_of) + [0] * len(filled) if data.standards else ()
    return replace(data, sentences=sentences, standard_of=standard_of)
