"""``zhseg evaluate``: precision, recall, F1 and OOV/IV recall against gold segmentation.

    zhseg evaluate GOLD --model MODEL_DIR     # segment GOLD's text with a model, then score
    zhseg evaluate GOLD --pred PRED           # score an existing segmentation

:func:`evaluate` is the importable function; :func:`evaluate_command` its command-line wrapper.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from zhseg.errors import UserError, exit_on_user_error
from zhseg.features.corpus import FORMATS, read_corpus, read_partial, read_word_list
from zhseg.metrics import Scores, score_sentences
from zhseg.cli.segment import NO_RULES_HELP, STANDARD_HELP, USER_DICT_HELP, load_segmenter
from zhseg.model.store import model_or_default


def print_table(scores: Scores, has_vocabulary: bool) -> None:
    rows = [("precision", scores.precision), ("recall", scores.recall), ("F1", scores.f1)]
    if has_vocabulary:
        rows += [("OOV rate", scores.oov_rate), ("OOV recall", scores.oov_recall), ("IV recall", scores.iv_recall)]
    for name, value in rows:
        undefined = ((name == "OOV recall" and not scores.oov_words)  # no OOV word to recall
                     or (name == "IV recall" and scores.oov_words == scores.gold_words))  # nor IV word
        print(f"{name:>11}  {'-':>6}" if undefined else f"{name:>11}  {100 * value:6.2f}")
    print(f"{'gold words':>11}  {scores.gold_words}")
    print(f"{'pred words':>11}  {scores.pred_words}")
    if not has_vocabulary:
        print("(no vocabulary: pass --model or --words for OOV and IV recall)")


def evaluate(gold: Path, model: Optional[Path] = None, pred: Optional[Path] = None, words: Optional[Path] = None,
             sep: Optional[str] = None, fmt: str = "text", encoding: str = "utf-8", rules: bool = True,
             user_dicts: List[Path] = (), standard: Optional[str] = None) -> tuple[Scores, bool]:
    """Score ``pred`` (a segmentation of GOLD's text), or ``model``'s segmentation of it (with
    ``rules`` and the words of ``user_dicts``), against ``gold``. Returns the scores and whether
    OOV statistics apply (a vocabulary was known)."""
    if model is not None and pred is not None:
        raise UserError("give --model MODEL_DIR to segment GOLD, or --pred FILE to score a segmentation, not both")
    if pred is None:
        model = model_or_default(model)
    gold_sentences = read_corpus(gold, sep=sep, fmt=fmt, encoding=encoding, keep_blank=pred is not None)
    segmenter = load_segmenter(model, "auto", rules, standard, user_dicts) if model else None
    if pred is not None:
        predicted = read_corpus(pred, encoding=encoding, keep_blank=True)
        # a final newline or trailing blank lines on one side only are not misalignment
        while predicted and not predicted[-1].words:
            predicted.pop()
        while gold_sentences and not gold_sentences[-1].words:
            gold_sentences.pop()
    else:
        predicted = segmenter.cut_sentences(gold_sentences)
    vocabulary = read_word_list(words, encoding) if words else (segmenter.vocabulary if segmenter else None)
    scores = score_sentences(gold_sentences, predicted, vocabulary, gold_name=str(gold),
                             pred_name=str(pred) if pred else f"model {model}")
    return scores, vocabulary is not None


def evaluate_partial(gold: Path, model: Optional[Path], sep: str, encoding: str = "utf-8", rules: bool = True,
                     user_dicts: List[Path] = (), standard: Optional[str] = None) -> dict:
    """The boundary report of ``zhseg.model.adapt.boundary_report`` for a partially segmented file."""
    from zhseg.model.adapt import boundary_report

    partials = read_partial(gold, sep, encoding)
    segmenter = load_segmenter(model_or_default(model), "auto", rules, standard, user_dicts)
    return boundary_report(segmenter, partials)


@exit_on_user_error
def evaluate_command(
    gold: Path = typer.Argument(..., metavar="GOLD", help="Gold segmented file."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Segment GOLD's text with this model (default: the embedded model, unless --pred).", show_default=False),
    pred: Optional[Path] = typer.Option(None, "--pred", help="A segmentation of GOLD's text to score, line by line."),
    words: Optional[Path] = typer.Option(None, "--words", help="Vocabulary for OOV statistics (default: the model's training words)."),
    as_json: bool = typer.Option(False, "--json", metavar="", help="Print one JSON object instead of a table."),
    sep: Optional[str] = typer.Option(None, "--sep", help="Extra word separator in GOLD besides whitespace."),
    fmt: str = typer.Option("text", "--format", help=f"Format of GOLD: {', '.join(FORMATS)}."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of GOLD and PRED."),
    user_dicts: List[Path] = typer.Option([], "--user-dict", "-u", help=USER_DICT_HELP),
    no_rules: bool = typer.Option(False, "--no-rules", metavar="", help=NO_RULES_HELP),
    standard: Optional[str] = typer.Option(None, "--standard", help=STANDARD_HELP),
    partial: bool = typer.Option(False, "--partial", metavar="", help="GOLD is partially segmented (known boundaries "
                                 "marked by --sep, default '@@'): report how many the model keeps and how many of "
                                 "its words lie across one."),
) -> None:
    """Score a segmentation against GOLD, matching word spans as the SIGHAN scorer does."""
    if partial:
        report = evaluate_partial(gold, model, sep or "@@", encoding, not no_rules, user_dicts, standard)
        if as_json:
            print(json.dumps(report))
        else:
            recall = report["boundary_recall"]
            print(f"{'known boundaries':>24}  {report['marked_boundaries']}")
            print(f"{'kept (boundary recall)':>24}  {report['kept']}  ({'-' if recall is None else f'{100 * recall:.2f}'})")
            print(f"{'words across a boundary':>24}  {report['words_across_a_boundary']} of {report['words']}")
        return
    scores, has_vocabulary = evaluate(gold, model, pred, words, sep, fmt, encoding, not no_rules, user_dicts, standard)
    if as_json:
        result = scores.as_dict()
        if not has_vocabulary:
            result.update(oov_rate=None, oov_recall=None, iv_recall=None)
        print(json.dumps(result))
    else:
        print_table(scores, has_vocabulary)
