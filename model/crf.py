"""Training a CRF segmenter through sklearn-crfsuite.

The path: sentences (word lists) -> characters and tags -> integer feature keys -> crfsuite
attribute strings -> L-BFGS training -> a :class:`zhseg.model.store.Model` in memory (the crfsuite
file's bytes, compiled arrays, vocabulary, meta). :func:`fit` does that; :func:`train_model` also
scores a dev set and saves the model directory.
"""

from __future__ import annotations

import math
import platform
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from zhseg.textio import remove_stale
from zhseg.features.corpus import Sentence
from zhseg.features.lexicon import Lexicon
from zhseg.errors import UserError
from zhseg.metrics import Scores, score_sentences
from zhseg.features.tags import TAG_SETS, words_to_tags
from zhseg.features.chars import FOLDINGS
from zhseg.features.templates import DEFAULT_PRESET, PRESETS, FeatureConfig, feature_keys
from zhseg.features.variety import AccessorVariety, variety_texts
from zhseg.model import store
from zhseg.model.adapt import Adaptation, adapt_data, fill_in, known_share, unbroken_strings
from zhseg.model.compiled import CompiledCRF, all_templates, standard_templates
from zhseg.model.crfsuite_file import attribute_strings, read_crfsuite_weights
from zhseg.model.segmenter import Segmenter

ProgressCallback = Callable[[str, dict], None]


@dataclass
class TrainingOptions:
    """Hyperparameters of one training run.

    c1: L1 regularisation strength; prunes features to zero, which keeps models small.
    c2: L2 regularisation strength.
    max_iterations: limit on L-BFGS iterations (training also stops when the loss settles).
    min_freq: attributes seen fewer times than this in training are dropped.
    folds: the training data is split into this many folds for the dictionary and accessor
        variety features: a sentence's features come from the other folds only.
    tag_set: ``bmes`` or ``6tag``.
    preset: a named feature configuration from :data:`features.templates.PRESETS`.
    fold: character folding for the features: ``t2s`` (traditional to simplified, besides width
        and case) or ``basic`` (width and case only; what models of zhseg 0.1 used).
    """

    c1: float = 0.05
    c2: float = 0.01
    max_iterations: int = 200
    min_freq: int = 1
    folds: int = 5
    tag_set: str = "bmes"
    preset: str = DEFAULT_PRESET
    fold: str = "t2s"

    def __post_init__(self):
        if self.tag_set not in TAG_SETS:
            raise ValueError(f"unknown tag set {self.tag_set!r}; expected one of {', '.join(TAG_SETS)}")
        if self.preset not in PRESETS:
            raise ValueError(f"unknown feature preset {self.preset!r}; expected one of {', '.join(PRESETS)}")
        if not (math.isfinite(self.c1) and math.isfinite(self.c2)) or self.c1 < 0 or self.c2 < 0:
            raise ValueError("c1 and c2 must be finite and non-negative")
        if self.min_freq < 0:
            raise ValueError("min_freq must be at least 0")
        if self.max_iterations < 1:
            raise ValueError("max_iterations must be at least 1")
        if self.folds < 2:
            raise ValueError("folds must be at least 2")
        if self.fold not in FOLDINGS:
            raise ValueError(f"unknown character folding {self.fold!r}; expected one of {', '.join(FOLDINGS)}")

    @property
    def features(self) -> FeatureConfig:
        return replace(PRESETS[self.preset], fold=self.fold)


WORD_LIST_LENGTH = 8  # the longest word-list word matched (longer ones are rare and left out)


@dataclass
class TrainingData:
    """What a model learns from.

    sentences: the segmented training sentences.
    standards: names of the segmentation standards, one per corpus, for multi-corpus training
        (every attribute is then given twice, shared and as its corpus's copy); () for one corpus.
    standard_of: per sentence, the index of its standard in ``standards``.
    raw_texts: unsegmented lines for accessor variety statistics (presets that use them).
    word_lists: groups of external words for the word-list features (``train --dict``): each
        group's matches are features of their own.
    sources: where it all came from, for ``meta.json`` (``corpora``, ``raw_files``, ``word_lists``).
    """

    sentences: Sequence[Sentence]
    standards: tuple[str, ...] = ()
    standard_of: Sequence[int] = ()
    raw_texts: Sequence[str] = ()
    word_lists: Sequence[Sequence[str]] = ()
    sources: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.standards and len(self.standard_of) != len(self.sentences):
            raise ValueError("standard_of needs one standard index per sentence")
        if len(set(self.standards)) != len(self.standards) or any(":" in s or not s for s in self.standards):
            raise ValueError("standards need distinct, non-empty names without ':'")


@dataclass
class CorpusRecord:
    """Where training data came from, for ``meta.json``."""

    path: str
    sha256: str
    sentences: int
    words: int
    chars: int


@dataclass
class TrainingResult:
    model_dir: Path
    meta: dict
    dev_scores: Scores | None = None


def _progress_trainer(report: ProgressCallback):
    """A factory sklearn-crfsuite calls as ``trainer_cls``; forwards each L-BFGS iteration."""
    import pycrfsuite

    class ProgressTrainer(pycrfsuite.Trainer):
        def message(self, message):
            # Parse crfsuite's log but print none of it: our caller decides what to show.
            if self.logparser.feed(message) == "iteration":
                report("iteration", self.logparser.last_iteration)

    def make(algorithm=None, params=None, verbose=False):
        return ProgressTrainer(algorithm=algorithm, params=params, verbose=True)

    return make


def training_keys(data: TrainingData, config: FeatureConfig, n_folds: int = 5,
                  word_lists: Sequence[Lexicon] = ()) -> list[tuple[np.ndarray, int]]:
    """Per sentence of ``data``: a key array (``feature_keys``) holding its rows, and its first
    row; ``word_lists``, the lexicons of ``data.word_lists``.

    Dictionary and accessor variety features are computed k-fold: a sentence's lexicon holds the
    words of the other folds only, and its variety is counted on the other folds' text (and the
    raw text). With the full vocabulary every training word would be "known", the CRF would learn
    to trust the dictionary blindly, and unknown words at test time would suffer; likewise every
    training n-gram would have been counted at least once. Word-list features come from lists
    the training text did not make, so nothing is held out for them.
    """
    sentences = data.sentences
    texts = [s.text for s in sentences]
    raw = variety_texts(data.raw_texts)
    held_out = config.dictionary or config.variety
    folds = [list(range(k, len(sentences), n_folds)) for k in range(n_folds)] if held_out else [list(range(len(sentences)))]
    located: list = [None] * len(sentences)  # per sentence: its fold's keys and its first row
    for k, members in enumerate(folds):
        others = [i for j, fold in enumerate(folds) if j != k for i in fold]
        lexicon = (Lexicon((w for i in others for w in sentences[i].words), config.dictionary, fold=config.fold)
                   if config.dictionary else None)
        variety = (AccessorVariety.from_texts([texts[i] for i in others] + raw, config.variety, config.fold)
                   if config.variety else None)
        keys = feature_keys([texts[i] for i in members], config, lexicon, variety, word_lists)
        offset = 0
        for i in members:
            located[i] = (keys, offset)
            offset += len(texts[i])
    return located


def crf_inputs(data: TrainingData, config: FeatureConfig, tag_set: str, n_folds: int = 5,
               progress: ProgressCallback | None = None, word_lists: Sequence[Lexicon] = ()):
    """Attribute-string sequences (an iterator, in sentence order) and tag sequences for
    sklearn-crfsuite, from :func:`training_keys`; ``word_lists``, the lexicons of
    ``data.word_lists`` (:func:`fit` builds them once, for this and for the model). In
    multi-corpus training each character's attributes are followed by their copies named after
    its corpus's standard.
    """
    sentences = data.sentences
    names = config.template_names()
    copies = {s: [t.name for t in standard_templates(config, s)] for s in data.standards}
    texts = [s.text for s in sentences]
    # Keys are small integer arrays; the attribute strings (tens of bytes each, tens per
    # character) are made one sentence at a time as crfsuite takes them, never all at once.
    located = training_keys(data, config, n_folds, word_lists)

    def attributes():
        for i, (keys, offset) in enumerate(located):
            if progress is not None and i % 2000 == 0:
                progress("count", {"what": "sentences given to crfsuite", "done": i, "total": len(located)})
            rows = keys[offset : offset + len(texts[i])]
            if data.standards:
                standard = data.standards[data.standard_of[i]]
                yield attribute_strings(np.hstack([rows, rows]), names + copies[standard])
            else:
                yield attribute_strings(rows, names)

    ys = [words_to_tags(s.words, tag_set) for s in sentences]
    return attributes(), ys


def fit(data: TrainingData, options: TrainingOptions, progress: ProgressCallback | None = None) -> store.Model:
    """Train on ``data``; return the model in memory (nothing is written).

    ``progress(event, info)`` is called with ``phase`` events (``info['phase']`` names the step)
    and ``iteration`` events (crfsuite's per-iteration record: ``num``, ``loss``, ``time``, ...).
    """
    import sklearn_crfsuite

    report = progress or (lambda event, info: None)
    sentences = data.sentences
    started, cpu_started = time.perf_counter(), time.process_time()
    report("phase", {"phase": "extracting features"})
    config, word_lists = training_features(data, options)
    xs, ys = crf_inputs(data, config, options.tag_set, options.folds, progress, word_lists)
    iterations: list[dict] = []

    def record(event: str, info: dict) -> None:
        if event == "iteration":
            iterations.append(info)
        report(event, info)

    scratch_root = Path(tempfile.gettempdir())
    remove_stale(scratch_root, "zhseg-fit-*")  # what a training killed outright (SIGKILL) left
    with tempfile.TemporaryDirectory(prefix=f"zhseg-fit-{os.getpid()}-", dir=scratch_root) as scratch:
        crfsuite_file = Path(scratch) / store.CRFSUITE_FILE
        crf = sklearn_crfsuite.CRF(
            algorithm="lbfgs",
            c1=options.c1,
            c2=options.c2,
            max_iterations=options.max_iterations,
            min_freq=options.min_freq,
            model_filename=str(crfsuite_file),
            trainer_cls=_progress_trainer(record),
        )
        report("phase", {"phase": "training (crfsuite reads the sentences, then iterates)"})
        crf.fit(xs, ys)
        del xs, ys
        report("phase", {"phase": "compiling"})
        templates = all_templates(config, data.standards)
        compiled = CompiledCRF.from_crfsuite(read_crfsuite_weights(crfsuite_file), templates)
        if not sum(len(keys) for keys in compiled.keys):
            raise UserError(f"training produced a model with no features ({sum(len(s.text) for s in sentences)} "
                            "training characters): give a larger corpus, or a lower --min-freq or --c1")
        crfsuite_bytes = crfsuite_file.read_bytes()
    vocabulary = frozenset(w for s in sentences for w in s.words)
    variety = None
    if config.variety:  # for decoding: counted on all the training text and the raw text
        variety = AccessorVariety.from_texts([s.text for s in sentences] + variety_texts(data.raw_texts),
                                             config.variety, config.fold)
    sources = data.sources
    meta = {
        "zhseg_version": _version("zhseg"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "tag_set": options.tag_set,
        "labels": list(compiled.labels),
        "feature_preset": options.preset,
        "features": config.to_json(),
        "template_names": config.template_names(),
        "standards": list(data.standards),
        "training": {
            "options": asdict(options),
            "algorithm": "lbfgs",
            "iterations": len(iterations),
            "final_loss": iterations[-1]["loss"] if iterations else None,
            "seconds": round(time.perf_counter() - started, 2),
            # this process's CPU time (crfsuite trains in it, on one core): what the training costs
            # on a quiet machine, where wall time on a shared one is not
            "cpu_seconds": round(time.process_time() - cpu_started, 2),
            "sentences": len(sentences),
            "chars": sum(len(s.text) for s in sentences),
            "vocabulary": len(vocabulary),
            "raw_lines": len(data.raw_texts),
            "raw_files": list(sources.get("raw_files", [])),
            "word_lists": list(sources.get("word_lists", [])),
            "word_list_words": sum(map(len, data.word_lists)),
            "features": compiled.n_features,
            "corpora": [asdict(c) for c in sources.get("corpora", [])],
        },
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "sklearn-crfsuite": _version("sklearn-crfsuite"),
            "python-crfsuite": _version("python-crfsuite"),
        },
    }
    lexicon = Lexicon(vocabulary, config.dictionary, fold=config.fold) if config.dictionary else None
    return store.Model(meta, compiled, vocabulary, variety, crfsuite_bytes, word_lists, lexicon)


def training_features(data: TrainingData, options: TrainingOptions) -> tuple[FeatureConfig, tuple[Lexicon, ...]]:
    """What :func:`fit` featurizes ``data`` with: ``options``' features, with word-list features
    where ``data`` has word lists, and their lexicons (:func:`word_list_lexicons`)."""
    config = replace(options.features, word_list=WORD_LIST_LENGTH if data.word_lists else 0,
                     word_list_groups=max(1, len(data.word_lists)))
    return config, word_list_lexicons(data.word_lists, config) if config.word_list else ()


def word_list_lexicons(groups: Sequence[Sequence[str]], config: FeatureConfig) -> tuple[Lexicon, ...]:
    """One lexicon per group of word-list words, as ``config``'s word-list features match them
    (hundreds of thousands of words: no Python loop)."""
    return tuple(Lexicon(words, config.word_list, fold=config.fold, python_loop=False) for words in groups)


def train_model(data: TrainingData | Sequence[Sentence], model_dir: str | Path, options: TrainingOptions,
                dev: Sequence[Sentence] | None = None, progress: ProgressCallback | None = None,
                adaptation: Adaptation | None = None) -> TrainingResult:
    """:func:`fit` (``data`` may be a plain list of sentences), score ``dev`` with the default
    standard (its scores go into ``meta.json``), and save the model directory atomically: a
    failure at any step leaves whatever was at ``model_dir`` as it was.

    With an ``adaptation`` (partially segmented text of a target domain, model/adapt.py): its
    ``rounds`` times, the current model (its ``base`` at first, else one trained on ``data``)
    fills in their unknown boundaries and a model is trained on ``data`` plus the filled-in text.
    """
    if not isinstance(data, TrainingData):
        data = TrainingData(list(data))
    store.check_target(model_dir)  # before hours of training, not after
    report = progress or (lambda event, info: None)
    adapting = adaptation is not None and len(adaptation.partials) > 0
    model = adaptation.base if (adapting and adaptation.base is not None) else fit(data, options, progress)
    if adapting:
        unbroken = frozenset()
        if adaptation.unbroken_min:  # the share of splits the text marks, from a plain filling-in
            plain = fill_in(Segmenter(model, backend="numpy"), adaptation.partials)
            unbroken = unbroken_strings(adaptation.partials, adaptation.unbroken_min,
                                        known_share(adaptation.partials, plain))
        for round_no in range(1, adaptation.rounds + 1):
            report("phase", {"phase": f"adaptation round {round_no}/{adaptation.rounds}: filling in "
                                      f"{len(adaptation.partials)} partial lines ({len(unbroken)} unbroken strings)"})
            filled = fill_in(Segmenter(model, backend="numpy"), adaptation.partials, unbroken)
            model = fit(adapt_data(data, filled, adaptation.standard), options, progress)
        model.meta["adaptation"] = adaptation.describe() | {"unbroken_strings": len(unbroken)}
    dev_scores = None
    if dev:
        report("phase", {"phase": "scoring the dev set"})
        predicted = Segmenter(model, backend="numpy").cut_sentences(dev)
        dev_scores = score_sentences(dev, predicted, model.vocabulary)
        model.meta["dev"] = dev_scores.as_dict()
    store.save(model, model_dir)
    return TrainingResult(Path(model_dir), model.meta, dev_scores)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
