"""``zhseg train``: learn a CRF segmenter from pre-segmented text.

    zhseg train CORPUS [CORPUS ...] -o MODEL_DIR [--dev DEV] [options]

:func:`train` is the importable function; :func:`train_command` its command-line wrapper.
"""

from __future__ import annotations

import re

from pathlib import Path
from typing import List, Optional, Sequence

import typer

from zhseg.cli.progress import ProgressPrinter

from zhseg.errors import UserError, exit_on_user_error
from zhseg.features.chars import FOLDINGS
from zhseg.features.corpus import FORMATS, file_sha256, read_corpus, read_dictionary, read_partial
from zhseg.model import store
from zhseg.model.adapt import DEFAULT_UNBROKEN_MIN, Adaptation
from zhseg.features.tags import TAG_SETS
from zhseg.features.templates import DEFAULT_PRESET, MAX_WORD_LIST_GROUPS, PRESETS
from zhseg.model.crf import CorpusRecord, ProgressCallback, TrainingData, TrainingOptions, TrainingResult, train_model
from zhseg.textio import read_lines

DEFAULTS = TrainingOptions()


def train(corpora: List[Path], output: Path, options: TrainingOptions, dev: Optional[Path] = None,
          raw: List[Path] = (), sep: Optional[str] = None, fmt: str = "text", encoding: str = "utf-8",
          progress: ProgressCallback | None = None, standards: Sequence[str] = (),
          dictionaries: List[Path] = (), partial_corpora: List[Path] = (), partial_sep: str = "@@",
          rounds: int = 1, base_model: Optional[Path] = None, unbroken_min: int = DEFAULT_UNBROKEN_MIN,
          partial_standard: Optional[str] = None, dict_bins: int = 1, force: bool = False) -> TrainingResult:
    """Read the corpus files (and ``dev``, ``raw``, the word lists ``dictionaries``), train, and
    write the model directory ``output``. With ``standards`` (a name per corpus file) the model
    learns each corpus's segmentation standard beside what they share; ``dev`` is scored with the
    first. ``partial_corpora`` (words separated by ``partial_sep`` or whitespace only where a
    boundary is known) adapt the model to their domain: ``rounds`` times a model fills in their
    unknown boundaries (``base_model`` first, if given) and the model is retrained with them
    (model/adapt.py: ``unbroken_min`` and ``partial_standard`` are its Adaptation's settings).
    Each word list is a group of word-list features of its own, or ``dict_bins`` groups by
    frequency where it has frequencies. A corpus that holds no segmentation (no line of two or
    more words, or ``word/TAG`` tokens throughout) is refused unless ``force``."""
    if standards and len(standards) != len(corpora):
        raise UserError(f"--standards names {len(standards)} standard(s) for {len(corpora)} corpus file(s); give one per file")
    report = progress or (lambda event, info: None)
    reading = {"sep": sep, "fmt": fmt, "encoding": encoding}
    check_trainable()
    store.check_output(output)  # before the training, not after
    report("phase", {"phase": f"reading {len(corpora)} corpus file(s)"})
    sentences, records, standard_of = [], [], []
    for k, path in enumerate(corpora):
        own = read_corpus(path, **reading)
        if not force:
            check_segmented(path, own)
        sentences.extend(own)
        standard_of.extend([k] * len(own))
        records.append(CorpusRecord(path=str(path), sha256=file_sha256(path), sentences=len(own),
                                    words=sum(len(s.words) for s in own), chars=sum(len(s.text) for s in own)))
    dev_sentences = read_corpus(dev, **reading) if dev else None
    raw_texts, raw_files = [], []
    for path in raw:
        own = [text for _, text in read_lines(path, encoding)]
        raw_texts.extend(own)
        raw_files.append({"path": str(path), "sha256": file_sha256(path), "lines": len(own)})
    if not 1 <= dict_bins <= 4:
        raise UserError("--dict-bins must be from 1 to 4")
    groups, word_lists = [], []
    for path in dictionaries:
        own = read_dictionary(path, encoding)
        bins = own.by_frequency(dict_bins)
        groups.extend(bins)
        word_lists.append({"path": str(path), "sha256": file_sha256(path), "words": len(own.words),
                           "frequency_bins": len(bins)})
    if len(groups) > MAX_WORD_LIST_GROUPS:
        raise UserError(f"--dict: {len(groups)} groups of words; at most {MAX_WORD_LIST_GROUPS}")
    try:
        data = TrainingData(sentences, tuple(standards), standard_of if standards else (), raw_texts, groups,
                            {"corpora": records, "raw_files": raw_files, "word_lists": word_lists})
    except ValueError as error:
        raise UserError(f"--standards: {error}") from None
    adaptation = None
    if partial_corpora:
        partials = [p for path in partial_corpora for p in read_partial(path, partial_sep, encoding)]
        if partial_standard is not None and partial_standard in standards:
            raise UserError(f"--partial-standard: {partial_standard!r} already names a corpus's standard")
        base = store.load(base_model) if base_model is not None else None
        try:
            adaptation = Adaptation(partials, rounds, base, unbroken_min, partial_standard)
        except ValueError as error:
            raise UserError(f"adaptation: {error}") from None
    return train_model(data, output, options, dev_sentences, progress, adaptation)


TAGGED = re.compile(r"^[^/\s]+/[A-Za-z]{1,5}$")


def check_segmented(path: Path, sentences) -> None:
    """UserError for a corpus that holds no segmentation a model could learn from, a warning for
    one where few lines are segmented."""
    if not sentences:
        return
    words = [w for s in sentences[:2000] for w in s.words]
    if words and sum(TAGGED.match(w) is not None for w in words) >= 0.9 * len(words):
        raise UserError(f"{path}: its tokens look like word/TAG (part-of-speech tagged text); strip the tags "
                        "(sed -E 's#/[A-Za-z]+( |$)#\\1#g') or pass --force")
    segmented = sum(len(s.words) > 1 for s in sentences)
    if not segmented:
        raise UserError(f"{path}: no line holds two or more words: this looks like unsegmented text (the training "
                        "format is words separated by whitespace); pass --force to train on it anyway")
    if segmented < 0.5 * len(sentences):
        error_line(f"zhseg: warning: {path}: only {segmented:,} of {len(sentences):,} lines hold two or more words; "
                   "is it segmented?")


def check_trainable() -> None:
    """UserError naming the extra to install when training's dependency is missing."""
    import importlib.util

    if importlib.util.find_spec("sklearn_crfsuite") is None:
        raise UserError("training needs sklearn-crfsuite: pip install 'zhseg[train]'")


@exit_on_user_error
def train_command(
    corpora: List[Path] = typer.Argument(..., metavar="CORPUS", help="Segmented training files: words separated by whitespace (or --sep)."),
    output: Path = typer.Option(..., "-o", "--output", help="Model directory to write (replaced atomically)."),
    dev: Optional[Path] = typer.Option(None, "--dev", help="Held-out segmented file; its F1 is reported at the end."),
    raw: List[Path] = typer.Option([], "--raw", help="Unsegmented text (one or more files) for the accessor "
                                   "variety statistics of the 'variety' preset; ignored by other presets."),
    features: str = typer.Option(DEFAULT_PRESET, "--features", help=f"Feature preset: {', '.join(PRESETS)}."),
    tag_set: str = typer.Option(DEFAULTS.tag_set, "--tag-set", help=f"Tag set: {', '.join(TAG_SETS)}."),
    c1: float = typer.Option(DEFAULTS.c1, "--c1", help="L1 regularisation (prunes features; smaller models)."),
    c2: float = typer.Option(DEFAULTS.c2, "--c2", help="L2 regularisation."),
    max_iterations: int = typer.Option(DEFAULTS.max_iterations, "--max-iterations", help="L-BFGS iteration limit."),
    min_freq: int = typer.Option(DEFAULTS.min_freq, "--min-freq", help="Drop features seen fewer times than this."),
    folds: int = typer.Option(DEFAULTS.folds, "--folds", help="Folds for the dictionary (and variety) features: "
                              "each sentence's come from the other folds."),
    sep: Optional[str] = typer.Option(None, "--sep", help="Extra word separator besides whitespace, e.g. '@@'."),
    fmt: str = typer.Option("text", "--format", help=f"Corpus format: {', '.join(FORMATS)}."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of the corpus files (utf-8, gb18030, big5, ...)."),
    dictionaries: List[Path] = typer.Option([], "--dict", help="Word list (repeatable; one word per line, jieba's "
                                            "'word freq tag' accepted): its matches become features of their own, "
                                            "compiled into the model; each list's are its own."),
    dict_bins: int = typer.Option(1, "--dict-bins", help="Split each --dict list that has frequencies into this "
                                  "many equally full frequency bins, each with features of its own (1-4)."),
    standards: Optional[str] = typer.Option(None, "--standards", help="Multi-corpus training: a name per corpus file, "
                                            "comma-separated (e.g. ctb6,weibo,sxu); the model offers each corpus's "
                                            "segmentation standard, the first by default (python -m zhseg.model.embed --default picks another)."),
    partial_corpora: List[Path] = typer.Option([], "--partial-corpus", help="Partially segmented text of the domain to "
                                               "adapt to (repeatable): boundaries known only where --partial-sep or "
                                               "whitespace stands; the model fills in the rest and learns from it."),
    partial_sep: str = typer.Option("@@", "--partial-sep", help="The separator marking known boundaries in --partial-corpus."),
    rounds: int = typer.Option(1, "--rounds", help="Adaptation rounds: fill in with the current model, then retrain."),
    base_model: Optional[Path] = typer.Option(None, "--base-model", help="A model to fill in --partial-corpus with "
                                              "first, instead of training one on CORPUS first (saves a training)."),
    unbroken_min: int = typer.Option(DEFAULT_UNBROKEN_MIN, "--unbroken-min", help="Adaptation: a string of 2-4 "
                                     "characters seen this often in --partial-corpus and hardly ever (1 in 50) with a "
                                     "known boundary inside is not split when filling in (0: off)."),
    partial_standard: Optional[str] = typer.Option(None, "--partial-standard", help="Adaptation: learn the filled-in "
                                                   "text as a standard of this name, the model's default (the corpora "
                                                   "keep theirs; a single corpus's is 'corpus')."),
    fold: str = typer.Option(DEFAULTS.fold, "--fold", help=f"Character folding for the features: {', '.join(FOLDINGS)} "
                             "(t2s also reads traditional characters as simplified)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", metavar="", help="No progress output."),
    force: bool = typer.Option(False, "--force", metavar="", help="Train even on a corpus that looks unsegmented or "
                               "tagged."),
) -> None:
    """Train a CRF word segmenter on pre-segmented text and write the model directory -o."""
    try:
        options = TrainingOptions(c1=c1, c2=c2, max_iterations=max_iterations, min_freq=min_freq, folds=folds,
                                  tag_set=tag_set, preset=features, fold=fold)
    except ValueError as error:
        raise UserError(str(error)) from None
    names = [name.strip() for name in standards.split(",")] if standards else []
    result = train(corpora, output, options, dev, raw, sep, fmt, encoding, ProgressPrinter(max_iterations, quiet),
                   names, dictionaries, partial_corpora, partial_sep, rounds, base_model, unbroken_min,
                   partial_standard, dict_bins, force)
    training = result.meta["training"]
    size = sum(f.stat().st_size for f in result.model_dir.iterdir())
    print(f"model: {result.model_dir}  ({size / 1e6:.1f} MB, {training['features']} features)")
    print(f"trained on {training['sentences']} sentences, {training['chars']} characters, "
          f"{training['iterations']} iterations in {training['seconds']:.1f} s ({training['cpu_seconds']:.1f} s of CPU)")
    if result.dev_scores:
        s = result.dev_scores
        print(f"dev {dev}: P {100 * s.precision:.2f}  R {100 * s.recall:.2f}  F1 {100 * s.f1:.2f}  "
              f"OOV recall {100 * s.oov_recall:.2f}  IV recall {100 * s.iv_recall:.2f}")
