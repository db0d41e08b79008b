import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhseg.features.chars import BOS, CHAR_CLASSES, EOS, class_table, fold_table
from zhseg.features.templates import PRESETS, FeatureConfig, feature_keys
from zhseg.model.crfsuite_file import attribute_strings, parse_attribute

chunk = st.text(alphabet="中国人民abcＡＢ１2，。年三", min_size=1, max_size=12)


@settings(max_examples=50)
@given(st.lists(chunk, min_size=1, max_size=6), st.sampled_from(sorted(PRESETS)))
def test_batching_does_not_change_keys(chunks, preset):
    from zhseg.features.lexicon import Lexicon
    from zhseg.features.variety import AccessorVariety

    config = PRESETS[preset]
    lexicon = Lexicon(["中国", "人民", "ab", "国人民", "2，"], max_length=6)
    variety = AccessorVariety.from_texts(["中国人民", "人民中国", "a中国b", "三中国年", "中国", "ab，ab。"], 4)
    together = feature_keys(chunks, config, lexicon, variety)
    alone = np.concatenate([feature_keys([c], config, lexicon, variety) for c in chunks])
    assert together.shape == (sum(map(len, chunks)), len(config.template_names()))
    assert np.array_equal(together, alone)


def test_window_sees_padding_at_the_edges():
    config = FeatureConfig(unigrams=(-1, 0, 1), bigrams=(), skip_bigrams=(), class_unigram=False,
                           class_trigram=False, reduplication=())
    keys = feature_keys(["ab"], config)
    assert keys.tolist() == [[BOS, ord("a"), ord("b")], [ord("a"), ord("b"), EOS]]


def test_folding_and_classes():
    fold = fold_table()
    assert fold[ord("Ａ")] == ord("a") and fold[ord("１")] == ord("1") and fold[ord("，")] == ord(",")
    classes = class_table()
    name = {c: CHAR_CLASSES[classes[fold[ord(c)]]] for c in "7x，三年中"}
    assert name == {"7": "digit", "x": "latin", "，": "punct", "三": "cn_numeral", "年": "date_unit", "中": "han"}
    assert CHAR_CLASSES[classes[BOS]] == "pad"


def test_full_width_text_gets_the_same_features_as_half_width():
    config = PRESETS["standard"]
    assert np.array_equal(feature_keys(["ＡＰＰ１２"], config), feature_keys(["app12"], config))


def test_attribute_strings_round_trip():
    config = PRESETS["standard"]
    keys = feature_keys(["中国人"], config)
    rows = attribute_strings(keys, config.template_names())
    assert [[parse_attribute(a)[1] for a in row] for row in rows] == keys.tolist()
    assert FeatureConfig.from_json(config.to_json()) == config


def test_lexicon_match_lengths():
    from zhseg.features.lexicon import Lexicon

    lexicon = Lexicon(["中国", "中国人", "人民", "银行家", "x"], max_length=4)
    padded = fold_table()[np.array([BOS] + [ord(c) for c in "中国人民银行"] + [EOS])]
    begin, end, middle = lexicon.match_lengths(padded)
    # positions: 0 BOS, 1 中, 2 国, 3 人, 4 民, 5 银, 6 行, 7 EOS
    assert list(begin) == [0, 3, 0, 2, 0, 0, 0, 0]
    assert list(end) == [0, 0, 2, 3, 2, 0, 0, 0]
    assert list(middle) == [0, 0, 3, 0, 0, 0, 0, 0]


def test_dictionary_features_never_span_two_sequences():
    from zhseg.features.lexicon import Lexicon

    config = FeatureConfig(unigrams=(0,), bigrams=(), skip_bigrams=(), class_unigram=False,
                           class_trigram=False, reduplication=(), dictionary=4)
    lexicon = Lexicon(["国人"], max_length=4)
    names = config.template_names()
    apart = feature_keys(["中国", "人民"], config, lexicon)
    assert apart[:, names.index("DB0")].tolist() == [0, 0, 0, 0]
    joined = feature_keys(["中国人民"], config, lexicon)
    assert joined[:, names.index("DB0")].tolist() == [0, 2, 0, 0]


def test_accessor_variety_counts_distinct_neighbours():
    from zhseg.features.chars import codepoints
    from zhseg.features.variety import AccessorVariety

    # "ab": left neighbours {start, c, x} (3: bucket 1), right {end, d} (2: bucket 1).
    # "ca", "bd", "xa" have one neighbour on each side: not kept.
    variety = AccessorVariety.from_texts(["ab", "cab", "abd", "xab"], max_length=3)
    keys, left, right = variety.tables[2]
    assert len(keys) == 1 and left.tolist() == [1] and right.tolist() == [1]
    assert len(variety.tables[3][0]) == 0
    padded = np.concatenate(([BOS], codepoints("zabab"), [EOS]))
    buckets = variety.buckets(padded)
    assert buckets["av_begin2"].tolist() == [0, 0, 1, 0, 1, 0, 0]
    assert buckets["av_end2"].tolist() == [0, 0, 0, 1, 0, 1, 0]
    rebuilt = AccessorVariety.from_arrays(variety.to_arrays())
    assert all(np.array_equal(rebuilt.buckets(padded)[k], v) for k, v in buckets.items())


def test_accessor_variety_buckets_are_log2():
    from zhseg.features.variety import MAX_BUCKET, bucket

    assert bucket(np.array([0, 1, 2, 3, 4, 7, 8, 1 << 20])).tolist() == [0, 0, 1, 1, 2, 2, 3, MAX_BUCKET]


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="中国人民银行家ab，", max_size=40))
def test_lexicon_loop_and_array_matching_agree(text):
    from zhseg.features.chars import codepoints
    from zhseg.features.lexicon import Lexicon

    lexicon = Lexicon(["中国", "中国人", "人民", "人民银行", "银行家", "ab", "国人民银", "b，"], max_length=5)
    padded = np.concatenate(([BOS] * 3, fold_table().take(codepoints(text)), [EOS] * 3))
    loop = lexicon._match_lengths_loop(padded)
    arrays = lexicon.match_lengths(np.concatenate((padded, [EOS] * 300)))  # long: the array path
    assert all(np.array_equal(a[: len(padded)], b) for a, b in zip(arrays, loop))




@settings(max_examples=60)
@given(st.lists(st.text(alphabet="中国人民银行家臺灣ａＢ１x", min_size=1, max_size=5), min_size=1, max_size=12))
def test_a_lexicons_pairs_are_the_two_character_pieces_its_keys_hash(words):
    """Lexicon.pairs: the folded code points of each 2-character key, packed as the adjacent-pair
    bigrams' keys; kept through a model directory's arrays."""
    from zhseg.features.chars import CODE_SPACE
    from zhseg.features.lexicon import Lexicon, finish_hash, word_prefixes

    lexicon = Lexicon(words, max_length=5, fold="t2s")
    pairs = lexicon.pairs()
    folded = fold_table("t2s")
    expected = {folded[ord(w[0])] * CODE_SPACE + folded[ord(w[1])] for w in words if len(w) >= 2}
    if not expected:
        assert pairs is None
        return
    assert set(pairs.tolist()) == expected
    codes = np.stack([pairs // CODE_SPACE, pairs % CODE_SPACE], axis=1)
    assert np.array_equal(finish_hash(word_prefixes(codes), 2), lexicon.tables[2][0])
    stored = Lexicon.from_arrays(lexicon.to_arrays(), fold="t2s")
    assert np.array_equal(stored.pairs(), pairs)
    older = {k: v for k, v in lexicon.to_arrays().items() if k != "pairs2"}  # as zhseg 0.2 stored it
    assert Lexicon.from_arrays(older, fold="t2s").pairs() is None
