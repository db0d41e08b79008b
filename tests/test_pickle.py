"""A Segmenter inside Python's tools: it pickles as a reference to its model, so worker processes
(multiprocessing's spawn, concurrent.futures) segment as the parent does."""

import concurrent.futures
import json
import multiprocessing
import pickle
import shutil

import pytest

from zhseg.model.store import ModelError

LINES = ["阿里云总裁胡晓明接受专访", "他主持召开了会议", "今天天气很好"]


@pytest.fixture
def with_word(seed_model):
    from zhseg import Segmenter

    segmenter = Segmenter.load(seed_model)
    segmenter.add_word("主持召开")
    return segmenter


def test_it_pickles_as_its_model_options_and_user_words(with_word):
    data = pickle.dumps(with_word)
    assert len(data) < 2_000  # a reference, no arrays
    copy = pickle.loads(data)
    assert copy.directory == with_word.directory and copy.rules == with_word.rules
    assert "主持召开" in copy.user_words
    assert [copy.lcut(x) for x in LINES] == [with_word.lcut(x) for x in LINES]


def test_a_spawned_pool_and_an_executor_give_the_parents_words(with_word):
    expected = [with_word.lcut(x) for x in LINES]
    assert ["主持召开" in words for words in expected] == [False, True, False]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert pool.map(with_word.lcut, LINES) == expected
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        assert list(executor.map(with_word.lcut, LINES)) == expected


def test_a_model_changed_since_pickling_is_refused(seed_model, tmp_path):
    from zhseg import Segmenter

    copy_dir = tmp_path / "model"
    shutil.copytree(seed_model, copy_dir)
    data = pickle.dumps(Segmenter.load(copy_dir))
    meta = json.loads((copy_dir / "meta.json").read_text(encoding="utf-8"))
    meta["files"]["vocab.txt"]["sha256"] = "0" * 64  # as a retrained model would differ
    (copy_dir / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="changed since this Segmenter was pickled"):
        pickle.loads(data)


def test_a_segmenter_without_a_directory_says_how_to_pickle_it(seed_model):
    from zhseg import Segmenter
    from zhseg.model import store

    segmenter = Segmenter(store.load(seed_model))
    with pytest.raises(TypeError, match="save it"):
        pickle.dumps(segmenter)


def test_scikit_learn_pipelines_carry_the_segmenter(with_word, tmp_path):
    sklearn = pytest.importorskip("sklearn")
    import subprocess
    import sys

    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    vectorizer = TfidfVectorizer(tokenizer=with_word.lcut, token_pattern=None, lowercase=False).fit(LINES)
    assert "主持召开" in vectorizer.vocabulary_
    joblib.dump(vectorizer, tmp_path / "v.joblib")
    probe = ("import sys, joblib; v = joblib.load(sys.argv[1]); "
             "print('|'.join(v.build_analyzer()('他主持召开了会议')))")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "v.joblib")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "|".join(vectorizer.build_analyzer()("他主持召开了会议"))
    # loky workers, as n_jobs uses them: the parent's words
    assert joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(with_word.lcut)(x) for x in LINES) == \
        [with_word.lcut(x) for x in LINES]
    texts, labels = LINES * 4, [0, 1, 0] * 4
    search = GridSearchCV(make_pipeline(TfidfVectorizer(tokenizer=with_word.lcut, token_pattern=None),
                                        LogisticRegression()), {"logisticregression__C": [0.5, 1.0]}, cv=2, n_jobs=2)
    search.fit(texts, labels)
    assert "主持召开" in search.best_estimator_[0].vocabulary_
