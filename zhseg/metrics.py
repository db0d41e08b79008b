"""Word-level precision, recall and F1 as the SIGHAN bakeoff scorer computes them.

A predicted word is correct when its character span (start, end) in the line is also a gold
word's span. OOV words are gold words not in a given vocabulary (normally the training words);
OOV recall is the share of them found, IV recall the same for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Iterable, Sequence

from zhseg.errors import UserError
from zhseg.features.tags import word_spans


@dataclass
class Scores:
    """Counts accumulated over lines; the rates are derived properties."""

    gold_words: int = 0
    pred_words: int = 0
    correct: int = 0
    oov_words: int = 0
    oov_correct: int = 0
    iv_correct: int = 0

    def add(self, gold: Sequence[str], pred: Sequence[str], vocabulary: Collection[str] | None = None) -> None:
        """Score one line. The caller guarantees both join to the same characters."""
        pred_spans = set(word_spans(pred))
        self.gold_words += len(gold)
        self.pred_words += len(pred)
        for word, span in zip(gold, word_spans(gold)):
            hit = span in pred_spans
            self.correct += hit
            if vocabulary is not None and word not in vocabulary:
                self.oov_words += 1
                self.oov_correct += hit
            else:
                self.iv_correct += hit

    @property
    def precision(self) -> float:
        return self.correct / self.pred_words if self.pred_words else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold_words if self.gold_words else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def oov_rate(self) -> float:
        return self.oov_words / self.gold_words if self.gold_words else 0.0

    @property
    def oov_recall(self) -> float:
        return self.oov_correct / self.oov_words if self.oov_words else 0.0

    @property
    def iv_recall(self) -> float:
        iv = self.gold_words - self.oov_words
        return self.iv_correct / iv if iv else 0.0

    def as_dict(self) -> dict:
        """The JSON contract of ``evaluate --json``: rates as fractions (null where undefined),
        counts as integers."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "oov_rate": self.oov_rate,
            # undefined (null) where there is no OOV word, or no IV word, to recall
            "oov_recall": self.oov_recall if self.oov_words else None,
            "iv_recall": self.iv_recall if self.gold_words - self.oov_words else None,
            "gold_words": self.gold_words,
            "pred_words": self.pred_words,
        }


def score_lines(
    gold: Iterable[Sequence[str]],
    pred: Iterable[Sequence[str]],
    vocabulary: Collection[str] | None = None,
) -> Scores:
    scores = Scores()
    for gold_words, pred_words in zip(gold, pred):
        scores.add(gold_words, pred_words, vocabulary)
    return scores


def score_sentences(gold, pred, vocabulary: Collection[str] | None = None, *, gold_name: str = "gold",
                    pred_name: str = "prediction") -> Scores:
    """Score paired :class:`~features.corpus.Sentence` lists, checking that each pair has the same
    characters; a mismatch raises UserError naming both lines."""
    gold, pred = list(gold), list(pred)
    if len(gold) != len(pred):
        raise UserError(f"{pred_name}: {len(pred)} lines but {gold_name} has {len(gold)}; the files must be line-aligned")
    scores = Scores()
    for g, p in zip(gold, pred):
        if g.text != p.text:
            raise UserError(
                f"{pred_name}:{p.line_no}: characters differ from {gold_name}:{g.line_no} "
                f"({_first_difference(g.text, p.text)})"
            )
        scores.add(g.words, p.words, vocabulary)
    return scores


def _first_difference(a: str, b: str) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"first difference at character {i + 1}: {a[i:i + 8]!r} vs {b[i:i + 8]!r}"
