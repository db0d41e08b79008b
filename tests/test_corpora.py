"""Tests on the real corpora in ../shared/corpora; each skips when the folder is absent."""

import itertools

import pytest

from zhseg.features.corpus import read_corpus
from tests.conftest import CORPORA, corpus_file, fast_segmenter


@pytest.mark.parametrize("name, words, chars", [
    ("pku_test_gold.utf8", 104_372, 172_733),    # CRLF, two-space separators
    ("msr_test_gold.utf8", 106_873, 184_355),
    ("cityu_test_gold.utf8", 40_936, 67_689),    # BOM: SOURCE.md counts it as a character (67,690); we strip it
    ("as_testing_gold.utf8", 122_610, 197_681),  # U+3000 separators
])
def test_sighan_gold_files_read_with_their_published_counts(name, words, chars):
    path = CORPORA / "sighan2005" / "gold" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    sentences = read_corpus(path)
    assert sum(len(s.words) for s in sentences) == words
    assert sum(len(s.text) for s in sentences) == chars


@pytest.fixture(scope="module")
def ctb_slice_model(tmp_path_factory):
    from zhseg.model.crf import TrainingOptions, train_model

    train = read_corpus(corpus_file("ctb6", "train"))[:3000]
    directory = tmp_path_factory.mktemp("ctb") / "slice"
    train_model(train, directory, TrainingOptions(max_iterations=60))
    return directory


def test_a_ctb6_slice_learns_to_segment_held_out_text(ctb_slice_model):
    from zhseg.metrics import score_lines
    from zhseg import Segmenter

    segmenter = Segmenter.load(ctb_slice_model)
    dev = read_corpus(corpus_file("ctb6", "dev"))[:400]
    predicted = list(segmenter.cut_lines(s.text for s in dev))
    scores = score_lines([s.words for s in dev], predicted, segmenter.vocabulary)
    assert scores.f1 > 0.88, scores  # 3,000 training sentences, 60 iterations
    assert scores.iv_recall > scores.oov_recall > 0.3


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_fast_decoder_matches_crfsuite_on_a_ctb6_test_slice(ctb_slice_model, backend):
    from zhseg import Segmenter

    lines = [s.text for s in itertools.islice(read_corpus(corpus_file("ctb6", "test")), 800)]
    fast = list(fast_segmenter(ctb_slice_model, backend, rules=False).cut_lines(lines))
    reference = Segmenter.load(ctb_slice_model, backend="crfsuite", rules=False)
    assert fast == [reference.lcut(line) for line in lines]
