import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from features.chars import BOS, CHAR_CLASSES, EOS, class_table, fold_table
from features.templates import PRESETS, FeatureConfig, attribute_strings, feature_keys, parse_attribute

chunk = st.text(alphabet="中国人民abcＡＢ１2，。年三", min_size=1, max_size=12)


@settings(max_examples=50)
@given(st.lists(chunk, min_size=1, max_size=6), st.sampled_from(sorted(PRESETS)))
def test_batching_does_not_change_keys(chunks, preset):
    config = PRESETS[preset]
    together = feature_keys(chunks, config)
    alone = np.concatenate([feature_keys([c], config) for c in chunks])
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
    config = PRESETS["default"]
    assert np.array_equal(feature_keys(["ＡＰＰ１２"], config), feature_keys(["app12"], config))


def test_attribute_strings_round_trip():
    config = PRESETS["default"]
    keys = feature_keys(["中国人"], config)
    rows = attribute_strings(keys, config.template_names())
    assert [[parse_attribute(a)[1] for a in row] for row in rows] == keys.tolist()
    assert FeatureConfig.from_json(config.to_json()) == config
