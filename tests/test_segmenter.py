import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhseg.features.corpus import read_corpus
from tests.conftest import NEWS_SEED, WEB_SEED, chunk_lines, fast_segmenter, single_code_point_clusters

# Han, Latin, digits, punctuation, full-width forms, and several kinds of whitespace
text_chars = st.characters(codec="utf-8", categories=("Lo", "Ll", "Lu", "Nd", "Po", "Zs", "Cc"))
texts = st.text(alphabet=st.one_of(st.sampled_from("阿里云总裁的科技局副局长，。、 \t\u00a0\u3000ａＢ１2x"), text_chars), max_size=60)


def web_seed_lines():
    return [line.replace("@@", "") for line in WEB_SEED.read_text(encoding="utf-8").split("\n")]


@settings(max_examples=150, deadline=None)
@given(texts)
def test_words_join_back_to_the_non_whitespace_characters(segmenter, text):
    words = segmenter.lcut(text)
    assert "".join(words) == re.sub(r"\s+", "", text)
    assert all(words) and not any(c.isspace() for w in words for c in w)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_tokenize_offsets_index_the_input(segmenter, text):
    tokens = list(segmenter.tokenize(text))
    assert all(text[start:end] == word for word, start, end in tokens)
    assert [w for w, _, _ in tokens] == segmenter.lcut(text)
    assert all(a[2] <= b[1] for a, b in zip(tokens, tokens[1:]))


@settings(max_examples=40, deadline=None)
@given(st.lists(texts, max_size=12), st.integers(min_value=1, max_value=50))
def test_bulk_equals_one_by_one_whatever_the_batch_size(segmenter, lines, batch_chars):
    assert list(segmenter.cut_lines(lines, batch_chars=batch_chars)) == [segmenter.lcut(x) for x in lines]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab", max_size=6), max_size=20), st.integers(min_value=0, max_value=12))
def test_a_list_is_cut_into_the_batches_a_stream_of_lines_gives(lines, batch_chars):
    from zhseg.model.segmenter import _batches

    from_list = list(_batches(lines, batch_chars))
    assert from_list == list(_batches(iter(lines), batch_chars))
    assert all(batch is not lines for batch in from_list)  # copies: the caller may change its list


def test_fast_decoder_matches_crfsuite_on_the_seeds(unconstrained, reference_segmenter):
    lines = chunk_lines(web_seed_lines() + [read_corpus(NEWS_SEED)[0].text])
    fast = list(unconstrained.cut_lines(lines))
    assert fast == [reference_segmenter.lcut(line) for line in lines]
    assert sum(len(words) for words in fast) > 2500  # words compared, not a trivial input


@settings(max_examples=60, deadline=None)
@given(texts)
def test_fast_decoder_matches_crfsuite_on_arbitrary_text(unconstrained, reference_segmenter, text):
    assume(single_code_point_clusters(text))
    chunks = text.split()
    assert [unconstrained.lcut(c) for c in chunks] == [reference_segmenter.lcut(c) for c in chunks]


def test_whitespace_is_a_known_boundary_inside_one_sequence(unconstrained):
    from zhseg.features.corpus import PartialSentence
    from zhseg.model.adapt import fill_in

    lines = [line for line in web_seed_lines() if len(line.split()) > 1]
    partials = [PartialSentence(k, tuple(line.split()), (False,) * (len(line.split()) - 1)) for k, line in enumerate(lines)]
    whole = list(unconstrained.cut_lines(lines))
    # segmenting spaced text is filling in its chunks as partially segmented text...
    assert whole == [list(s.words) for s in fill_in(unconstrained, partials)]
    # ...where the characters either side of the whitespace see each other: decoded apart, some differ
    apart = [[w for chunk in line.split() for w in unconstrained.lcut(chunk)] for line in lines]
    assert sum(len(words) for words in whole) > 500 and whole != apart


def test_learns_the_training_text(segmenter):
    sentence = read_corpus(NEWS_SEED)[0]
    predicted = segmenter.lcut(sentence.text)
    gold = set(sentence.words)
    # a model fit on its own training text should recover most of its words
    assert len([w for w in predicted if w in gold]) / len(predicted) > 0.9


def test_a_line_longer_than_a_decoding_block_matches_crfsuite(unconstrained, reference_segmenter):
    from zhseg.model.viterbi import LOOP_BLOCK

    line = re.sub(r"\s+", "", "".join(web_seed_lines())) * 12
    assert len(line) > 2 * LOOP_BLOCK
    assert unconstrained.lcut(line) == reference_segmenter.lcut(line)


def test_a_long_line_among_short_ones_matches_crfsuite(unconstrained, reference_segmenter):
    from zhseg.model.viterbi import BATCHED_VITERBI_MAX_LENGTH

    short = chunk_lines(web_seed_lines())[:20]
    long = re.sub(r"\s+", "", "".join(web_seed_lines())) * 2
    assert len(long) > BATCHED_VITERBI_MAX_LENGTH  # decoded apart from the batch
    lines = short[:10] + [long] + short[10:]
    assert list(unconstrained.cut_lines(lines)) == [reference_segmenter.lcut(line) for line in lines]


def test_one_long_line_is_segmented_whole(segmenter):
    line = "".join(web_seed_lines()).replace(" ", "") * 40  # ~150,000 characters, no whitespace
    words = segmenter.lcut(line)
    assert "".join(words) == re.sub(r"\s+", "", line)
    assert len(words) > len(line) / 4


def test_empty_and_blank_input(segmenter):
    assert segmenter.lcut("") == []
    assert segmenter.lcut(" \u3000\t") == []
    assert list(segmenter.cut_lines(["", "你好", " "])) == [[], segmenter.lcut("你好"), []]


def test_viterbi_breaks_ties_towards_the_lower_label():
    from zhseg.model.viterbi import viterbi_batched, viterbi_loop

    assert viterbi_batched(np.zeros((3, 4)), np.array([3]), np.zeros((4, 4))).tolist() == [0, 0, 0]
    assert viterbi_loop(np.zeros((3, 4)), [3], np.zeros((4, 4)).tolist()).tolist() == [0, 0, 0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 12), max_size=8), st.integers(0, 2**32 - 1), st.booleans())
def test_loop_and_batched_viterbi_agree(lengths, seed, coarse):
    from zhseg.model import viterbi

    rng = np.random.default_rng(seed)
    draw = (lambda *shape: rng.integers(-2, 3, shape).astype(float)) if coarse else (lambda *shape: rng.normal(size=shape))
    emissions, transitions = draw(sum(lengths), 4), draw(4, 4)  # coarse values force ties
    lengths = np.array(lengths, dtype=np.int64)
    expected = viterbi.viterbi_loop(emissions, lengths, transitions.tolist()).tolist()
    assert viterbi.viterbi_batched(emissions, lengths, transitions).tolist() == expected
    # the dispatcher, with sequences over 5 characters counted as long: those go to the loop
    original = viterbi.BATCHED_VITERBI_MAX_LENGTH
    try:
        viterbi.BATCHED_VITERBI_MAX_LENGTH = 5
        assert viterbi.viterbi(emissions, lengths, transitions).tolist() == expected
    finally:
        viterbi.BATCHED_VITERBI_MAX_LENGTH = original


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(0, 2**50), max_size=300), st.lists(st.integers(0, 2**50), max_size=100),
       st.one_of(st.none(), st.just(2**50 + 1)))
def test_base_lookup_finds_exactly_the_known_keys(keys, others, domain):
    from zhseg.features.keyindex import KeyIndex

    keys = np.array(sorted(keys), dtype=np.int64)
    if domain is not None:  # the direct-index table needs a small domain
        keys, others, domain = keys % 1000, [o % 1000 for o in others], 1000
        keys = np.unique(keys)
    lookup = KeyIndex(keys, domain)
    query = np.array(list(keys) + others, dtype=np.int64)
    position = {int(k): i for i, k in enumerate(keys)}
    expected = [position.get(int(q), len(keys)) for q in query]
    assert lookup.lookup(query).tolist() == expected  # few queries: binary search
    repeats = KeyIndex.HASH_MIN_QUERIES // max(1, len(query)) + 1
    assert lookup.lookup(np.tile(query, repeats)).tolist() == expected * repeats  # many: the hash table


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_dictionary_and_six_tag_model_matches_crfsuite(accurate_seed_model, backend):
    from zhseg import Segmenter

    fast = fast_segmenter(accurate_seed_model, backend, rules=False)
    reference = Segmenter.load(accurate_seed_model, backend="crfsuite", rules=False)
    assert fast.meta["labels"] and set(fast.meta["labels"]) == {"B", "B2", "B3", "M", "E", "S"}
    lines = chunk_lines(web_seed_lines() + [read_corpus(NEWS_SEED)[0].text])
    got = list(fast.cut_lines(lines))
    assert got == [reference.lcut(line) for line in lines]
    assert all("".join(words) == re.sub(r"\s+", "", line) for words, line in zip(got, lines))


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, max_size=12), st.sampled_from([" ", "/", " | ", "\t"]), st.integers(min_value=1, max_value=50))
def test_segment_lines_is_cut_lines_joined(segmenter, lines, sep, batch_chars):
    expected = "".join(sep.join(words) + "\n" for words in segmenter.cut_lines(lines))
    assert "".join(segmenter.segment_lines(lines, sep, batch_chars=batch_chars)) == expected


def test_auto_backend_falls_back_to_numpy_without_the_core(monkeypatch, capsys):
    from zhseg.model import core, segmenter

    monkeypatch.setattr(core, "_core", None)
    segmenter._numpy_with_notice.cache_clear()
    assert segmenter.resolve_backend("auto") == "numpy"
    assert segmenter.resolve_backend("auto") == "numpy"
    assert capsys.readouterr().err.count("compiled core was not built") == 1  # one notice, not one per load
    with pytest.raises(ValueError, match="not built"):
        segmenter.resolve_backend("compiled")
    with pytest.raises(ValueError, match="replaced by the compiled core"):
        segmenter.resolve_backend("numba")
    with pytest.raises(ValueError, match="unknown backend"):
        segmenter.resolve_backend("gpu")




@settings(max_examples=20, deadline=None)
@given(st.lists(texts, max_size=30), st.integers(min_value=1, max_value=40))
def test_threads_give_the_same_words_in_order(segmenter, lines, batch_chars):
    assert list(segmenter.cut_lines(lines, batch_chars, threads=3)) == list(segmenter.cut_lines(lines, batch_chars))
    assert "".join(segmenter.segment_lines(lines, "|", batch_chars, threads=2)) == \
        "".join(segmenter.segment_lines(lines, "|", batch_chars))
