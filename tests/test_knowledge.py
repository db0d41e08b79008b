"""Word lists, several corpora with their standards, traditional characters folded for features."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import NEWS_SEED, WEB_SEED, chunk_lines, fast_segmenter
from tests.test_cli import assert_user_error, run


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """The news seed cut in two 'corpora' of 60-word lines."""
    from zhseg.features.corpus import read_corpus

    words = read_corpus(NEWS_SEED)[0].words
    folder = tmp_path_factory.mktemp("halves")
    paths = []
    for name, part in (("a", words[: len(words) // 2]), ("b", words[len(words) // 2 :])):
        path = folder / f"{name}.txt"
        path.write_text("".join(" ".join(part[i : i + 60]) + "\n" for i in range(0, len(part), 60)), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def word_list(tmp_path_factory):
    path = tmp_path_factory.mktemp("lists") / "list.txt"
    path.write_text("阿里云 10 nz\n云计算 3\n开发者大会\n杭州\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def frequency_list(tmp_path_factory):
    path = tmp_path_factory.mktemp("lists") / "frequencies.txt"
    path.write_text("新闻 50 n\n记者 40 n\n今天 30 t\n发展 20 v\n经济 10 n\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def multi_model(halves, word_list, frequency_list, tmp_path_factory):
    """Two standards and three groups of list words: the mixed list, and the list with
    frequencies in two bins."""
    out = tmp_path_factory.mktemp("models") / "multi"
    result = run("train.py", *halves, "--standards", "first,second", "--dict", word_list, "--dict", frequency_list,
                 "--dict-bins", "2", "-o", out, "--max-iterations", "30", "-q")
    assert result.returncode == 0, result.stderr
    return out


def web_lines():
    return [line for line in WEB_SEED.read_text(encoding="utf-8").replace("@@", "").split("\n") if line.strip()]


def test_word_lists_are_compiled_into_the_model(multi_model, word_list, tmp_path):
    import shutil

    meta = json.loads((multi_model / "meta.json").read_text(encoding="utf-8"))
    recorded = meta["training"]["word_lists"][0]
    assert recorded["words"] == 4 and len(recorded["sha256"]) == 64 and recorded["path"] == str(word_list)
    assert meta["features"]["word_list"] > 0 and "LB0" in meta["template_names"]
    assert meta["features"]["word_list_groups"] == 3 and "L2B0" in meta["template_names"]
    assert [r["frequency_bins"] for r in meta["training"]["word_lists"]] == [1, 2]
    assert {"wordlist.npz", "wordlist1.npz", "wordlist2.npz"} <= set(meta["files"])
    before = run("segment.py", "-m", multi_model, stdin="阿里云开发者大会在杭州\n").stdout
    moved = tmp_path / "gone.txt"
    shutil.move(word_list, moved)  # the list is gone: segmenting must not need it
    try:
        after = run("segment.py", "-m", multi_model, stdin="阿里云开发者大会在杭州\n")
        assert after.returncode == 0 and after.stdout == before, after.stderr
    finally:
        shutil.move(moved, word_list)


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_each_standard_decodes_as_the_crfsuite_tagger(multi_model, backend):
    from zhseg import Segmenter

    lines = chunk_lines(web_lines())
    fast_segmenter(multi_model, backend, rules=False)  # skips the compiled backend where it was not built
    for standard in ("first", "second"):
        fast = Segmenter.load(multi_model, backend=backend, rules=False, standard=standard)
        reference = Segmenter.load(multi_model, backend="crfsuite", rules=False, standard=standard)
        assert list(fast.cut_lines(lines)) == [reference.lcut(line) for line in lines]
    assert Segmenter.load(multi_model).standard == "first"  # the default: the first corpus's


def test_standards_are_recorded_and_checked(multi_model, halves, tmp_path):
    from zhseg import Segmenter

    assert Segmenter.load(multi_model).model.standards == ("first", "second")
    with pytest.raises(ValueError, match="unknown standard 'third'; this model's standards: first, second"):
        Segmenter.load(multi_model, standard="third")
    assert_user_error(run("segment.py", "-m", multi_model, "--standard", "third", stdin="你好\n"), "unknown standard")
    assert_user_error(run("train.py", *halves, "--standards", "one", "-o", tmp_path / "m"), "one per file")
    ok = run("evaluate.py", halves[1], "-m", multi_model, "--standard", "second", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["f1"] > 0.5, ok.stderr


def test_the_two_standards_are_different_models(multi_model):
    from zhseg import Segmenter

    first = Segmenter.load(multi_model, standard="first")
    second = Segmenter.load(multi_model, standard="second")
    # one template per shared one, its rows the shared rows plus the standard's copy's
    assert first.crf.templates == second.crf.templates == first.config.templates()
    full = first.model.crf
    names = [t.name for t in full.templates]
    for segmenter in (first, second):
        for j, template in enumerate(segmenter.crf.templates):
            keys, weights = segmenter.crf.keys[j], segmenter.crf.weights[j]
            for name in (template.name, f"{segmenter.standard}:{template.name}"):
                k = names.index(name)
                assert np.isin(full.keys[k], keys).all()
            shared, copy = names.index(template.name), names.index(f"{segmenter.standard}:{template.name}")
            expected = np.zeros_like(weights)
            expected[np.searchsorted(keys, full.keys[shared])] += full.weights[shared][:-1]
            expected[np.searchsorted(keys, full.keys[copy])] += full.weights[copy][:-1]
            assert np.array_equal(weights, expected)
    assert any(not np.array_equal(a, b) for a, b in zip(first.crf.weights, second.crf.weights))


def test_a_single_corpus_model_has_no_standards(seed_model):
    from zhseg import Segmenter

    segmenter = Segmenter.load(seed_model)
    assert segmenter.standard is None and segmenter.model.standards == ()
    with pytest.raises(ValueError, match="trained on one corpus"):
        Segmenter.load(seed_model, standard="ctb6")


def test_t2s_folding_maps_traditional_and_variant_characters():
    from zhseg.features.chars import fold_table

    t2s, basic = fold_table("t2s"), fold_table("basic")
    for traditional, simplified in (("說", "说"), ("們", "们"), ("裡", "里"), ("臺", "台"), ("Ａ", "a")):
        assert chr(t2s[ord(traditional)]) == simplified
    assert chr(basic[ord("說")]) == "說" and chr(t2s[ord("说")]) == "说"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="阿里雲總裁說們臺灣的開發者大會在杭州舉行，。云总裁说们台湾开发会举", max_size=40))
def test_traditional_text_segments_as_its_simplified_folding(seed_model, text):
    """A model folding t2s sees a traditional text and its character-by-character simplified
    form with the same features: the same word boundaries."""
    from zhseg import Segmenter
    from zhseg.features.chars import fold_table

    segmenter = Segmenter.load(seed_model)
    assert segmenter.config.fold == "t2s"
    table = fold_table("t2s")
    simplified = "".join(chr(table[ord(c)]) for c in text)
    spans = [(a, b) for _, a, b in segmenter.tokenize(text)]
    assert spans == [(a, b) for _, a, b in segmenter.tokenize(simplified)]


def test_models_of_zhseg_0_1_keep_their_basic_folding(seed_model, tmp_path):
    import shutil

    from zhseg import Segmenter

    old = tmp_path / "old"
    shutil.copytree(seed_model, old)
    meta = json.loads((old / "meta.json").read_text(encoding="utf-8"))
    del meta["features"]["fold"], meta["features"]["word_list"]
    meta["features"]["trigrams"] = []  # as 0.1 wrote it
    (old / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert Segmenter.load(old).config.fold == "basic"


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(alphabet="甲乙丙丁戊", min_size=1, max_size=3), st.integers(0, 1000), min_size=1),
       st.integers(1, 4))
def test_frequency_bins_split_a_list_by_frequency_into_equally_full_groups(frequencies, bins):
    from zhseg.features.corpus import WordList

    words = tuple(frequencies)
    groups = WordList(words, tuple(float(frequencies[w]) for w in words)).by_frequency(bins)
    assert sorted(w for g in groups for w in g) == sorted(words)  # a partition
    sizes = [len(g) for g in groups]
    assert len(groups) <= bins and all(s == sizes[0] for s in sizes[:-1]) and 0 < sizes[-1] <= sizes[0]
    for more, fewer in zip(groups, groups[1:]):
        assert min(frequencies[w] for w in more) >= max(frequencies[w] for w in fewer)
    assert WordList(words).by_frequency(bins) == [words]  # no frequencies: one group


def test_frequencies_are_read_only_when_every_line_has_one(word_list, frequency_list):
    from zhseg.features.corpus import read_dictionary

    assert read_dictionary(frequency_list).frequencies == (50.0, 40.0, 30.0, 20.0, 10.0)
    mixed = read_dictionary(word_list)
    assert mixed.words == ("阿里云", "云计算", "开发者大会", "杭州") and mixed.frequencies is None


def test_the_common_standard_decodes_with_the_shared_weights_alone(multi_model, seed_model):
    from zhseg import Segmenter
    from zhseg.model.compiled import decoding_names

    model = Segmenter.load(multi_model).model
    common = Segmenter(model, standard="common")
    assert common._template_names == model.config.template_names()  # no standard's copies
    assert len(decoding_names(model.config, model.standards, "first")) == 2 * len(common._template_names)
    words = common.lcut("他来到了网易杭研大厦")
    assert "".join(words) == "他来到了网易杭研大厦"
    with pytest.raises(ValueError, match="unknown standard"):
        Segmenter.load(seed_model, standard="common")  # one corpus: nothing is shared apart


def test_embedding_lays_a_models_lexicons_out_anew_from_their_words(multi_model, word_list, tmp_path):
    """embed rebuilds the word lists' tables from the files meta.json records, so a model stored
    without the 2-character pieces' code points gets them, with the same words; a list changed
    since training is kept as stored, and said so."""
    from zhseg import Segmenter
    from zhseg.features.lexicon import Lexicon
    from zhseg.model import store
    from zhseg.model.embed import embed

    model = store.load(multi_model)

    def without_pairs(lexicon):  # as zhseg 0.2 stored it
        return Lexicon.from_arrays({k: v for k, v in lexicon.to_arrays().items() if k != "pairs2"}, fold=model.config.fold)

    model.word_lists = tuple(map(without_pairs, model.word_lists))
    older = store.save(model, tmp_path / "older")
    lists = sorted(p.name for p in older.glob("wordlist*.npz"))
    assert len(lists) == 3 and not any("pairs2" in np.load(older / name).files for name in lists)
    embedded, kept = embed(older, tmp_path / "embedded")
    assert kept == []
    assert all("pairs2" in np.load(embedded / name).files for name in lists)
    lines = web_lines()[:20] + ["阿里云开发者大会在杭州", "新闻记者今天发展经济"]
    words = list(Segmenter.load(older, backend="numpy").cut_lines(lines))
    assert list(Segmenter.load(embedded, backend="compiled").cut_lines(lines)) == words
    assert list(Segmenter.load(embedded, backend="numpy").cut_lines(lines)) == words

    changed = tmp_path / "changed.txt"
    changed.write_text(word_list.read_text(encoding="utf-8") + "新词\n", encoding="utf-8")
    meta = json.loads((older / "meta.json").read_text(encoding="utf-8"))
    meta["training"]["word_lists"][0]["path"] = str(changed)
    (older / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    again, kept = embed(older, tmp_path / "again")
    assert len(kept) == 1 and str(changed) in kept[0] and "changed since training" in kept[0]
    assert not any("pairs2" in np.load(again / name).files for name in lists)
    assert list(Segmenter.load(again, backend="compiled").cut_lines(lines)) == words
