"""Where the default model's training spends its time outside crfsuite's iterations (issue 25:
should training featurization go through the compiled core?).

    python benchmarks/featurization.py     # writes the 'featurization' section of RESULTS.md

Reads the corpora, word lists, standards and options the embedded default model records in its
meta.json, and times what ``fit`` does before crfsuite iterates, phase by phase: the word-list
lexicons, the feature keys (numpy, k-fold lexicons), the attribute strings python-crfsuite takes,
and python-crfsuite's reading of them (``Trainer.append``, fed in chunks so memory stays bounded).
Beside them: the compiled core segmenting the same characters with the default model (every
feature key, weight lookup and Viterbi), a bound on what keys made by the core would take, and
the training time the model records.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from results import markdown_table, write_section
from zhseg import default_model_path, load
from zhseg.features.corpus import read_corpus, read_dictionary
from zhseg.model import store
from zhseg.model.crf import TrainingData, TrainingOptions, crf_inputs, training_features

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5_000  # sentences per python-crfsuite Trainer: its reading is timed, its memory let go


def _path(recorded: str) -> Path:
    """A path meta.json recorded (relative to the repository, or absolute on the machine that
    trained); jieba's dict.txt where this machine's jieba has it."""
    path = Path(recorded)
    path = path if path.is_absolute() else ROOT / path
    if not path.exists() and path.name == "dict.txt":
        import jieba

        path = Path(jieba.__file__).parent / "dict.txt"
    if not path.exists():
        raise typer.BadParameter(f"{recorded}: not found (the default model's training input)")
    return path


def training_data(meta: dict, limit: int | None) -> TrainingData:
    """The default model's training sentences (the first ``limit`` of each corpus) and word lists."""
    training = meta["training"]
    sentences, standard_of = [], []
    for k, corpus in enumerate(training["corpora"]):
        own = read_corpus(_path(corpus["path"]))[:limit]
        sentences += own
        standard_of += [k] * len(own)
    groups = [group for entry in training["word_lists"]
              for group in read_dictionary(_path(entry["path"])).by_frequency(entry["frequency_bins"])]
    return TrainingData(sentences, tuple(meta["standards"]), standard_of, (), groups)


def main(sentences: int = typer.Option(None, help="Use the first this many sentences of each corpus (default: all)."),
         write: bool = typer.Option(True, help="Write the section of RESULTS.md.")):
    meta = store.read_meta(default_model_path())
    options = TrainingOptions(**meta["training"]["options"])
    data = training_data(meta, sentences)
    chars = sum(len(s.text) for s in data.sentences)
    started = time.perf_counter()
    config, word_lists = training_features(data, options)
    lexicons = time.perf_counter() - started

    started = time.perf_counter()
    xs, ys = crf_inputs(data, config, options.tag_set, options.folds, None, word_lists)
    keys = time.perf_counter() - started

    import pycrfsuite

    strings = reading = 0.0
    attributes = 0
    xs = iter(xs)
    for first in range(0, len(ys), CHUNK):
        started = time.perf_counter()
        chunk = [next(xs) for _ in ys[first : first + CHUNK]]
        strings += time.perf_counter() - started
        attributes += sum(len(item) for x in chunk for item in x)
        trainer = pycrfsuite.Trainer(verbose=False)
        started = time.perf_counter()
        for x, y in zip(chunk, ys[first : first + CHUNK]):
            trainer.append(x, y)
        reading += time.perf_counter() - started
        del trainer, chunk

    texts = [s.text for s in data.sentences]
    segmenter = load(default_model_path())
    segmenter.lcut("中国")  # the core built: its time is not the text's
    started = time.perf_counter()
    list(segmenter.cut_lines(texts))
    core = time.perf_counter() - started

    recorded = meta["training"]
    total = recorded["seconds"] if sentences is None else None
    share = (lambda s: f"{100 * s / total:.1f}%") if total else (lambda s: "-")
    per_char = lambda s: f"{s / chars * 1e6:,.0f}" if s / chars * 1e6 >= 100 else f"{s / chars * 1e6:.3g}"
    rows = [["word-list lexicons (numpy)", f"{lexicons:.1f}", "-", share(lexicons)],
            [f"feature keys, {options.folds}-fold lexicons (numpy: `training_keys`), and the tags", f"{keys:.1f}", per_char(keys), share(keys)],
            [f"attribute strings for python-crfsuite ({attributes / chars:.0f} a character)", f"{strings:.1f}",
             per_char(strings), share(strings)],
            ["python-crfsuite reads them (`Trainer.append`)", f"{reading:.1f}", per_char(reading), share(reading)],
            ["for scale: the compiled core segments the same text with the default model (`cut_lines`)",
             f"{core:.1f}", per_char(core), "-"]]
    if total:
        rows.append(["the default model's training, as its meta.json records it (all phases, 200 crfsuite iterations)",
                     f"{total:.0f}", per_char(total), "100%"])
    table = markdown_table(["phase", "seconds", "µs a character", "share of the training"], rows)
    scope = "all of them" if sentences is None else f"the first {sentences:,} of each corpus"
    body = (f"## Training featurization: the default model's inputs\n\n"
            f"The corpora, word lists, standards and options of the embedded default model (its meta.json): "
            f"{len(data.sentences):,} sentences ({scope}), {chars:,} characters.\n\n{table}\n\n"
            "The phases' seconds are this run's; the training time is the one the model recorded when it was "
            "built, on another day under another load (these machines are shared: the same training can take "
            "three times as long on a busy day), so the shares are indicative.\n")
    print(body)
    if write:
        write_section("featurization", body)


if __name__ == "__main__":
    typer.run(main)
