import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhseg.features.corpus import Sentence
from zhseg.errors import UserError
from zhseg.metrics import Scores, score_lines, score_sentences


def test_counts_spans_like_the_bakeoff_scorer():
    gold = [["中国", "人民", "银行"]]
    pred = [["中国", "人", "民", "银行"]]
    scores = score_lines(gold, pred, vocabulary={"中国", "银行"})
    assert (scores.gold_words, scores.pred_words, scores.correct) == (3, 4, 2)
    assert scores.precision == pytest.approx(2 / 4)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert scores.oov_rate == pytest.approx(1 / 3)
    assert scores.oov_recall == 0.0
    assert scores.iv_recall == 1.0


def test_same_word_elsewhere_is_not_a_match():
    scores = score_lines([["ab", "c", "ab"]], [["a", "bc", "ab"]])
    assert scores.correct == 1


@given(st.lists(st.lists(st.text(alphabet="甲乙丙丁", min_size=1, max_size=4), min_size=1, max_size=10), min_size=1, max_size=5))
def test_perfect_prediction_scores_one(lines):
    scores = score_lines(lines, lines, vocabulary=set())
    assert scores.f1 == 1.0 and scores.oov_recall == 1.0
    assert set(Scores().as_dict()) == {"precision", "recall", "f1", "oov_rate", "oov_recall", "iv_recall",
                                       "gold_words", "pred_words"}


def test_character_mismatch_names_the_lines():
    gold = [Sentence(1, ("你好",)), Sentence(2, ("世界",))]
    pred = [Sentence(1, ("你", "好")), Sentence(2, ("世", "届"))]
    with pytest.raises(UserError, match=r"pred.txt:2: characters differ from gold.txt:2"):
        score_sentences(gold, pred, gold_name="gold.txt", pred_name="pred.txt")
