import json
import shutil

import numpy as np
import pytest

from zhseg.features.corpus import read_corpus
from zhseg.errors import UserError
from zhseg import Segmenter
from zhseg.model import store
from zhseg.model.crf import TrainingOptions, train_model
from tests.conftest import NEWS_SEED


def copy_model(seed_model, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(seed_model, target)
    return target


def test_model_directory_is_data_only(seed_model):
    names = sorted(p.name for p in seed_model.iterdir())
    from zhseg.model import core

    assert names == sorted([store.META_FILE, store.CRFSUITE_FILE, store.COMPILED_FILE, store.VOCAB_FILE,
                            store.LEXICON_FILE]  # the accurate preset's dictionary tables
                           + ([store.TABLES_FILE] if core.available() else []))  # the core's, where it was built
    meta = json.loads((seed_model / store.META_FILE).read_text(encoding="utf-8"))
    assert meta["format_version"] == store.FORMAT_VERSION
    assert meta["labels"] and meta["features"] and meta["training"]["corpora"] == []
    for name in (store.COMPILED_FILE, store.LEXICON_FILE):
        with np.load(seed_model / name, allow_pickle=False) as arrays:
            assert all(arrays[key].dtype != object for key in arrays.files)


def test_unknown_format_version_is_refused(seed_model, tmp_path):
    model = copy_model(seed_model, tmp_path)
    meta = json.loads((model / store.META_FILE).read_text(encoding="utf-8"))
    meta["format_version"] = 999
    (model / store.META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(store.ModelError, match="format version 999 is not supported"):
        Segmenter.load(model)


def test_pickled_arrays_are_refused(seed_model, tmp_path):
    model = copy_model(seed_model, tmp_path)
    with np.load(model / store.COMPILED_FILE) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["keys_0"] = np.array([{"a": 1}], dtype=object)
    np.savez(model / store.COMPILED_FILE, **arrays)
    with pytest.raises(store.ModelError, match="truncated or changed"):  # the recorded size catches it first
        Segmenter.load(model)
    forget_file_records(model)  # as a zhseg 0.1 model, which recorded none: numpy's reader refuses it
    for backend in ("numpy", "compiled"):  # arrays are read on first use: the first words
        with pytest.raises(store.ModelError, match="unreadable") as refused:
            Segmenter.load(model, backend=backend).lcut("你好")
        assert "allow_pickle" not in str(refused.value)


def forget_file_records(model):
    meta = json.loads((model / store.META_FILE).read_text(encoding="utf-8"))
    del meta["files"]
    (model / store.META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def tamper(model, change):
    meta = json.loads((model / store.META_FILE).read_text(encoding="utf-8"))
    change(meta)
    (model / store.META_FILE).write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("setting, value", [("dictionary", -3), ("dictionary", 1e9), ("unigrams", [0, 99]),
                                            ("fold", "rot13"), ("class_unigram", "yes")])
def test_tampered_feature_settings_are_refused(seed_model, tmp_path, setting, value):
    model = copy_model(seed_model, tmp_path)
    tamper(model, lambda meta: meta["features"].__setitem__(setting, value))
    with pytest.raises(store.ModelError, match=f"inconsistent model files .*{setting}"):
        Segmenter.load(model)


def test_damaged_files_are_refused_before_any_code_reads_them(seed_model, tmp_path):
    model = copy_model(seed_model, tmp_path)
    crfsuite = model / store.CRFSUITE_FILE
    crfsuite.write_bytes(crfsuite.read_bytes()[:1000])  # truncated: crfsuite's C code would crash on it
    with pytest.raises(store.ModelError, match="truncated or changed"):
        Segmenter.load(model, backend="crfsuite", rules=False).lcut("你好")
    forget_file_records(model)
    with pytest.raises(store.ModelError, match="not a whole crfsuite model"):
        Segmenter.load(model, backend="crfsuite", rules=False).lcut("你好")
    vocab = model / store.VOCAB_FILE
    vocab.write_bytes(b"\xff\xfe bad\n")
    with pytest.raises(store.ModelError, match="not UTF-8"):
        Segmenter.load(model)
    (model / store.COMPILED_FILE).write_bytes(b"\x93NUMPY" + b"\x00" * 64)
    with pytest.raises(store.ModelError, match="unreadable"):
        Segmenter.load(model)


def test_non_finite_weights_are_refused(seed_model, tmp_path):
    model = copy_model(seed_model, tmp_path)
    with np.load(model / store.COMPILED_FILE) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["weights_0"] = arrays["weights_0"].copy()
    arrays["weights_0"][0, 0] = np.nan
    np.savez(model / store.COMPILED_FILE, **arrays)
    forget_file_records(model)
    for backend in ("numpy", "compiled"):  # a template's arrays are checked when first read
        with pytest.raises(store.ModelError, match="non-finite weights"):
            Segmenter.load(model, backend=backend).lcut("你好")


@pytest.mark.parametrize("options, message", [(["--c1", "nan"], "finite"), (["--c1", "inf"], "finite"),
                                              (["--min-freq", "-5"], "min_freq"),
                                              (["--min-freq", "1000000"], "no features")])
def test_bad_training_options_are_refused(tmp_path, options, message):
    from tests.test_cli import assert_user_error, run

    assert_user_error(run("train.py", NEWS_SEED, "-o", tmp_path / "m", "--max-iterations", "3", *options), message)
    assert not (tmp_path / "m").exists()


def test_missing_or_foreign_directories(tmp_path):
    with pytest.raises(store.ModelError, match="no such model directory"):
        Segmenter.load(tmp_path / "absent")
    with pytest.raises(store.ModelError, match="not a zhseg model directory"):
        Segmenter.load(tmp_path)


def test_training_never_overwrites_a_foreign_directory(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not a zhseg model directory"):
        train_model(read_corpus(NEWS_SEED), precious, TrainingOptions(max_iterations=2))
    assert (precious / "notes.txt").read_text() == "keep me"


def test_failed_training_leaves_nothing_behind(tmp_path, monkeypatch):
    import zhseg.model.crf as crf

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(crf, "read_crfsuite_weights", explode)
    with pytest.raises(RuntimeError):
        train_model(read_corpus(NEWS_SEED), tmp_path / "out", TrainingOptions(max_iterations=2))
    assert list(tmp_path.iterdir()) == []


def test_retraining_replaces_a_model(seed_model, tmp_path):
    model = copy_model(seed_model, tmp_path)
    train_model(read_corpus(NEWS_SEED), model, TrainingOptions(max_iterations=3, preset="fast"))
    assert Segmenter.load(model).meta["feature_preset"] == "fast"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
