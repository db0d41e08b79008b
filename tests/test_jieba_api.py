"""``import zhseg as jieba``: jieba 0.42's segmentation calls, from its README and test scripts."""

import importlib
import multiprocessing
import pickle
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zhseg
from zhseg import Tokenizer

SENTENCES = ["我来到北京清华大学", "他来到了网易杭研大厦", "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
             "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作", "永和服装饰品有限公司",
             "「台中」正确应该不会被切开。如果放到post中将出错。", "AT&T是一件不错的公司，给你发offer了吗？"]
texts = st.text(alphabet=st.sampled_from("中华人民共和国北京清华大学科学院计算所台中将出错来到了 \t\r\n，。abc12"),
                max_size=40)


@pytest.fixture
def tokenizer():
    return Tokenizer()  # the embedded model, user words of its own


def test_the_calls_return_what_jiebas_return(tokenizer):
    for call in (tokenizer.cut, zhseg.cut, tokenizer.cut_for_search, zhseg.cut_for_search, tokenizer.tokenize):
        assert isinstance(call(SENTENCES[0]), types.GeneratorType)
    assert isinstance(zhseg.lcut(SENTENCES[0]), list) and isinstance(zhseg.lcut_for_search(SENTENCES[0]), list)
    assert zhseg.lcut(SENTENCES[0], False, False) == list(zhseg.cut(SENTENCES[0], cut_all=False, HMM=False))
    with pytest.warns(UserWarning, match="paddle"):
        assert zhseg.lcut(SENTENCES[0], use_paddle=True) == zhseg.lcut(SENTENCES[0])
    assert zhseg.dt.initialize() is None and zhseg.dt.segmenter is not None
    with pytest.raises(ValueError, match="unicode"):
        list(zhseg.tokenize(SENTENCES[0].encode("utf-8")))
    with pytest.raises(ImportError, match="part-of-speech"):
        importlib.import_module("zhseg.posseg")
    with pytest.raises(ImportError, match="keyword extraction"):
        importlib.import_module("zhseg.analyse")


@settings(max_examples=60, deadline=None)
@given(texts)
def test_tokens_tile_the_input_whitespace_included(text):
    tokens = list(zhseg.tokenize(text))
    assert "".join(w for w, _, _ in tokens) == text
    assert all(text[a:b] == w for w, a, b in tokens)
    assert [w for w, _, _ in tokens] == zhseg.lcut(text)


def test_whitespace_comes_out_as_jieba_gives_it():
    jieba = pytest.importorskip("jieba")
    text = "简单 的  空格\t和\r\n换行\n\n结束 "
    spaces = [w for w in zhseg.lcut(text) if w.isspace()]
    assert spaces == [w for w in jieba.lcut(text) if w.isspace()] == [" ", " ", " ", "\t", "\r\n", "\n", "\n", " "]


@settings(max_examples=40, deadline=None)
@given(texts)
def test_search_words_tile_their_parent_words_and_full_mode_holds_the_default(text):
    default = list(zhseg.tokenize(text))
    search = list(zhseg.tokenize(text, mode="search"))
    assert [t for t in search if t in default] == default  # every default word, in order
    parents = iter(default)
    parent = next(parents, None)
    for word, a, b in search:
        while parent is not None and parent[2] < b:
            parent = next(parents, None)
        assert parent is not None and parent[1] <= a and b <= parent[2] and text[a:b] == word
        assert (word, a, b) == parent or 2 <= len(word) <= 3
    full = zhseg.lcut(text, cut_all=True)
    words = [w for w in zhseg.lcut(text)]
    assert all(w in full for w in words)


def test_hmm_off_keeps_only_known_han_words_together(tokenizer):
    for sentence in SENTENCES:
        for word in tokenizer.lcut(sentence, HMM=False):
            if len(word) > 1 and all("\u4e00" <= c <= "\u9fff" for c in word):
                assert tokenizer.get_FREQ(word) == 1, word


def test_full_mode_is_jiebas_order():
    words = zhseg.lcut("我来到北京清华大学", cut_all=True)
    assert {"清华", "清华大学", "华大", "大学"} <= set(words)
    spans = []
    position = {}
    for word in words:  # start, then end, as jieba's full mode orders them
        start = "我来到北京清华大学".find(word, position.get(word, 0))
        spans.append((start, start + len(word)))
    assert spans == sorted(spans)


@settings(max_examples=30, deadline=None)
@given(st.lists(texts, min_size=1, max_size=5))
def test_suggest_freq_and_del_word_change_only_the_spans_they_name(lines):
    plain, tuned = Tokenizer(), Tokenizer()
    tuned.suggest_freq(("中", "将"), True)
    tuned.suggest_freq("台中", True)
    tuned.del_word("北京")
    tuned.del_word("天气很好的")  # never a word of the model: deleting it changes nothing
    for line in lines:
        words = tuned.lcut(line)
        assert "".join(words) == line
        assert "北京" not in words and "中将" not in words
        if "中将" in line and "台中将" not in line:
            assert "中" in words and "将" in words
        if "台中" in line and "台中将" not in line:
            assert "台中" in words
        if not any(s in line for s in ("中将", "台中", "北京")):
            assert words == plain.lcut(line)
        if "北京" in line and not any(s in line for s in ("中将", "台中")) and "北京" not in plain.lcut(line):
            assert words == plain.lcut(line)  # where the model never gave it whole, nothing moves
    tuned.add_word("北京")  # add_word undoes del_word
    assert "北京" in tuned.lcut("我爱北京")
    tuned.add_word("北京", 0)  # freq 0: jieba's del_word
    assert "北京" not in tuned.lcut("我爱北京")


def test_tokenizers_are_independent(tokenizer):
    other = Tokenizer()
    tokenizer.add_word("学毕业于中")
    assert "学毕业于中" in tokenizer.lcut("小明大学毕业于中国")
    assert "学毕业于中" not in other.lcut("小明大学毕业于中国")
    assert "学毕业于中" not in zhseg.lcut("小明大学毕业于中国")


def test_a_dictionary_takes_the_first_word_lists_place(tmp_path):
    words = tmp_path / "dict.txt"
    words.write_text("杭研大厦 3 n\n网易杭研 2 nz\n", encoding="utf-8")
    tokenizer = Tokenizer(str(words))
    assert tokenizer.get_FREQ("杭研大厦") == 1 and Tokenizer().get_FREQ("杭研大厦") is None
    assert "杭研大厦" in tokenizer.lcut("他来到了网易杭研大厦", cut_all=True)
    tokenizer.set_dictionary(str(words))
    assert "".join(tokenizer.lcut("他来到了网易杭研大厦")) == "他来到了网易杭研大厦"
    with pytest.raises(Exception, match="dict-missing.txt"):
        Tokenizer(str(tmp_path / "dict-missing.txt")).initialize()


def test_bytes_decode_as_jieba_decodes_them():
    jieba = pytest.importorskip("jieba")
    text = "我来到北京清华大学，在一九九八年。"
    for data in (text.encode("utf-8"), text.encode("gbk"), b"\xff\xfe" + text.encode("gbk")):
        assert "".join(zhseg.cut(data)) == "".join(jieba.cut(data))


def test_load_userdict_takes_a_binary_file(tmp_path, tokenizer):
    path = tmp_path / "user.txt"
    path.write_text("杭研大厦 3 n\n", encoding="utf-8")
    with open(path, "rb") as f:
        tokenizer.load_userdict(f)
    assert "杭研大厦" in tokenizer.lcut("他来到了网易杭研大厦")


def test_parallel_cut_equals_serial_cut(tokenizer, monkeypatch):
    import zhseg.tokenizer as module

    monkeypatch.setattr(module, "PARALLEL_MIN_CHARS", 10)
    tokenizer.add_word("杭研大厦")
    text = "\n".join(SENTENCES * 3)
    serial = tokenizer.lcut(text)
    tokenizer.enable_parallel(2)
    try:
        assert tokenizer.lcut(text) == serial
    finally:
        tokenizer.disable_parallel()
    assert tokenizer.lcut(text) == serial
    with pytest.raises(ValueError, match="processes"):
        tokenizer.enable_parallel(0)


def _in_worker(line):
    return zhseg.lcut(line)


def test_the_module_default_reaches_spawned_workers_with_its_user_words():
    zhseg.add_word("主持召开")
    try:
        expected = zhseg.lcut("他主持召开了会议")
        assert "主持召开" in expected
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            assert pool.map(zhseg.lcut, ["他主持召开了会议"]) == [expected]
        assert pickle.loads(pickle.dumps(zhseg.lcut))("他主持召开了会议") == expected
    finally:
        zhseg.del_word("主持召开")


def test_a_standard_is_picked_at_module_level_and_listed(tokenizer):
    offered = zhseg.standards()
    assert len(offered) >= 2 and sum("(the default)" in line for line in offered.values()) == 1
    other = next(name for name, line in offered.items() if "(the default)" not in line)
    tokenizer.add_word("学毕业于中")
    tokenizer.set_standard(other)
    assert tokenizer.segmenter.standard == other
    assert "学毕业于中" in tokenizer.lcut("小明大学毕业于中国")  # user words kept
    with pytest.raises(ValueError, match="unknown standard"):
        Tokenizer(standard="no-such").initialize()
