from hypothesis import given
from hypothesis import strategies as st

from zhseg.features.tags import TAG_SETS, tags_to_words, word_spans, word_tags, words_to_tags

word = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=" \n"), min_size=1, max_size=8)
words = st.lists(word, max_size=30)


@given(words, st.sampled_from(sorted(TAG_SETS)))
def test_words_tags_words_round_trip(ws, tag_set):
    text = "".join(ws)
    tags = words_to_tags(ws, tag_set)
    assert len(tags) == len(text)
    assert set(tags) <= set(TAG_SETS[tag_set])
    assert tags_to_words(text, tags) == ws


@given(st.lists(st.sampled_from(["B", "M", "E", "S"]), max_size=40))
def test_any_tag_sequence_yields_words_that_join_back(tags):
    chars = "".join(chr(0x4E00 + i) for i in range(len(tags)))
    result = tags_to_words(chars, tags)
    assert "".join(result) == chars
    assert all(result)


def test_six_tag_shapes():
    assert word_tags(1, "6tag") == ["S"]
    assert word_tags(2, "6tag") == ["B", "E"]
    assert word_tags(4, "6tag") == ["B", "B2", "B3", "E"]
    assert word_tags(6, "6tag") == ["B", "B2", "B3", "M", "M", "E"]
    assert word_tags(4, "bmes") == ["B", "M", "M", "E"]


@given(words)
def test_spans_index_the_concatenation(ws):
    text = "".join(ws)
    spans = word_spans(ws)
    assert [text[a:b] for a, b in spans] == ws
