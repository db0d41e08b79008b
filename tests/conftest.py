from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SEEDS = ROOT / "seeds"
NEWS_SEED = next(SEEDS.glob("000_*.txt"))
WEB_SEED = next(SEEDS.glob("004_*.txt"))
CORPORA = ROOT.parent / "shared" / "corpora"


def corpus_file(name: str, split: str) -> Path:
    path = CORPORA / name / f"{split}.txt"
    if not path.is_file():
        pytest.skip(f"{path} is absent (the research corpora live beside the repo in ../shared)")
    return path


@pytest.fixture(scope="session")
def seed_model(tmp_path_factory):
    """A small model trained on the news seed; shared by the tests that need a model."""
    from zhseg.features.corpus import read_corpus
    from zhseg.model.crf import TrainingOptions, train_model

    directory = tmp_path_factory.mktemp("models") / "seed000"
    train_model(read_corpus(NEWS_SEED), directory, TrainingOptions(max_iterations=60))
    return directory


def fast_segmenter(directory, backend, rules=True):
    """The model at ``directory`` on one of the fast backends (the compiled one skipped where it
    was not built)."""
    from zhseg import Segmenter
    from zhseg.model import core

    if backend == "compiled" and not core.available():
        pytest.skip("the compiled core was not built (no C compiler)")
    return Segmenter.load(directory, backend=backend, rules=rules)


@pytest.fixture(scope="session", params=["numpy", "compiled"])
def segmenter(seed_model, request):
    """The seed model as users get it: rules on."""
    return fast_segmenter(seed_model, request.param)


@pytest.fixture(scope="session", params=["numpy", "compiled"])
def unconstrained(seed_model, request):
    """The seed model with rules off: its words must equal the crfsuite tagger's."""
    return fast_segmenter(seed_model, request.param, rules=False)


@pytest.fixture(scope="session")
def reference_segmenter(seed_model):
    from zhseg import Segmenter

    return Segmenter.load(seed_model, backend="crfsuite", rules=False)


def chunk_lines(lines):
    """Every whitespace-separated chunk of ``lines`` as a line of its own: the unit the crfsuite
    reference decodes (the fast backends decode a line whole, its whitespace a known boundary)."""
    return [chunk for line in lines for chunk in line.split()]


def single_code_point_clusters(text: str) -> bool:
    """Is every grapheme cluster of ``text`` one code point (where decoding is unconstrained)?"""
    import regex

    return all(len(cluster) == 1 for cluster in regex.findall(r"\X", text))


@pytest.fixture(scope="session")
def accurate_seed_model(tmp_path_factory):
    """The richest configuration: dictionary features (k-fold in training), accessor variety with
    raw text, and the 6-tag set."""
    from zhseg.features.corpus import read_corpus
    from zhseg.model.crf import TrainingData, TrainingOptions, train_model

    directory = tmp_path_factory.mktemp("models") / "seed000-accurate"
    sentence = read_corpus(NEWS_SEED)[0]
    # several sentences, so that the k-fold lexicons differ from the full vocabulary
    pieces = [type(sentence)(i, sentence.words[i * 100 : (i + 1) * 100]) for i in range(11)]
    raw = WEB_SEED.read_text(encoding="utf-8").replace("@@", "").split("\n")
    train_model(TrainingData(pieces, raw_texts=raw), directory,
                TrainingOptions(max_iterations=60, preset="variety", tag_set="6tag"))
    return directory
