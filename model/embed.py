"""Install a trained model as the package's embedded default (``make default-model``).

    python -m zhseg.model.embed build/default-model model/default

The embedded copy is data only and leaves the crfsuite file out (the compiled and numpy backends do
not read it; the crfsuite backend then says it needs a model directory that has one). Its
``meta.json`` records where it came from. The lexicons' tables are laid out anew from their words
(the training vocabulary, and the word-list files ``meta.json`` records, where they are unchanged),
so a model trained by an older zhseg gets what this one stores, such as the 2-character pieces'
code points the compiled core reads (``Lexicon.pairs``); the features they give do not change.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from zhseg.errors import UserError
from zhseg.features.corpus import file_sha256, read_dictionary
from zhseg.features.lexicon import Lexicon
from zhseg.model import store
from zhseg.model.crf import word_list_lexicons


def same_tables(a: Lexicon, b: Lexicon) -> bool:
    """Whether two lexicons match alike: the same hashes and flags at every length."""
    x, y = a.read_tables(), b.read_tables()
    return x.keys() == y.keys() and all(np.array_equal(x[n][0], y[n][0]) and np.array_equal(x[n][1], y[n][1])
                                        for n in x)


def relay_lexicons(model: store.Model) -> list[str]:
    """The model's lexicons laid out anew from their words, where the words are at hand and give
    the very tables the model has (so its features stay what it was trained with): the
    vocabulary's, and each word-list group from the files ``meta.json`` records (by their sha256).
    What is left as stored, each with why."""
    config, left = model.config, []
    if config.dictionary and model.lexicon is not None:
        fresh = Lexicon(model.vocabulary, config.dictionary, fold=config.fold)
        if same_tables(fresh, model.lexicon):
            model.lexicon = fresh
        else:
            left.append("the dictionary tables (they differ from the vocabulary's)")
    sources = model.meta.get("training", {}).get("word_lists", [])
    groups: list[tuple[str, ...]] = []
    for source in sources:
        path = source.get("path", "")
        try:
            if file_sha256(path) != source.get("sha256"):
                raise OSError("changed since training")
            groups.extend(read_dictionary(path).by_frequency(int(source.get("frequency_bins", 1))))
        except (OSError, UserError) as error:
            left.append(f"the word lists ({path}: {error})")
            return left
    if config.word_list and len(groups) == len(model.word_lists):
        fresh_lists = word_list_lexicons(groups, config)
        if all(same_tables(a, b) for a, b in zip(fresh_lists, model.word_lists)):
            model.word_lists = fresh_lists
        else:
            left.append("the word lists (their files give other tables)")
    elif config.word_list:
        left.append("the word lists (meta.json does not record their files)")
    return left


def embed(source: str | Path, target: str | Path, compress: bool = False,
          default_standard: str | None = None) -> tuple[Path, list[str]]:
    """Copy the model at ``source`` to ``target`` without its crfsuite file, its lexicons laid out
    anew (:func:`relay_lexicons`; what was kept as stored is returned, each with why);
    ``default_standard`` names the standard decoding follows by default (MODEL_CARD.md says how it
    was chosen)."""
    model = store.load(source)
    model.crfsuite = None
    kept = relay_lexicons(model)
    if default_standard is not None:
        if default_standard not in model.standards:
            raise store.ModelError(f"--default {default_standard!r}: the model's standards are {', '.join(model.standards)}")
        model.meta["default_standard"] = default_standard
    # an embedded model embedded again (a new default standard) keeps where it was built
    origin = model.meta.get("embedded_from", {}).get("path", str(source))
    model.meta["embedded_from"] = {"path": origin, "crfsuite_file": "left out", "compressed": compress}
    return store.save(model, target, compress=compress), kept


if __name__ == "__main__":
    argv = sys.argv[1:]
    default = None
    if "--default" in argv:
        at = argv.index("--default")
        default = argv[at + 1] if at + 1 < len(argv) else None
        argv = argv[:at] + argv[at + 2 :]
    args = [a for a in argv if a != "--compress"]
    if len(args) != 2:
        sys.exit("usage: python -m zhseg.model.embed SOURCE_MODEL_DIR TARGET_DIR [--compress] [--default STANDARD]")
    target, kept = embed(args[0], args[1], compress="--compress" in argv, default_standard=default)
    for what in kept:
        print(f"{args[0]}: kept as stored: {what}", file=sys.stderr)
    size = sum(f.stat().st_size for f in target.iterdir())
    print(f"{target}: {size / 1e6:.1f} MB")
