"""User words, rules and grapheme clusters: enforced in decoding, nothing else moved."""

import re
import threading

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.conftest import NEWS_SEED, WEB_SEED, fast_segmenter, single_code_point_clusters
from tests.test_cli import assert_user_error, run

ALPHABET = "阿里云总裁的科技局副局长今天天气很好中国人民银行，。 ab1"
lines = st.text(alphabet=ALPHABET, max_size=40)
user_word_lists = st.lists(st.text(alphabet=ALPHABET.replace(" ", ""), min_size=1, max_size=5), min_size=1, max_size=6)


def leftmost_longest(text: str, words) -> list[tuple[int, int]]:
    """The reference scan: from the left, the longest user word starting here, then past it."""
    spans, i = [], 0
    while i < len(text):
        length = max((len(w) for w in words if text.startswith(w, i)), default=0)
        if length:
            spans.append((i, i + length))
            i += length
        else:
            i += 1
    return spans


def with_words(directory, backend, words, rules=False):
    segmenter = fast_segmenter(directory, backend, rules=rules)
    for word in words:
        segmenter.add_word(word)
    return segmenter


@pytest.fixture(scope="module", params=["numpy", "compiled"])
def backend(request):
    return request.param


@settings(max_examples=120, deadline=None)
@given(lines, user_word_lists)
def test_every_occurrence_of_a_user_word_is_one_word(seed_model, backend, text, words):
    segmenter = with_words(seed_model, backend, words)
    tokens = {(start, end) for _, start, end in segmenter.tokenize(text)}
    for start, end in leftmost_longest(text, set(segmenter.user_words)):
        assert (start, end) in tokens, (text[start:end], list(segmenter.tokenize(text)))


@settings(max_examples=120, deadline=None)
@given(st.lists(lines, min_size=1, max_size=6), user_word_lists)
def test_lines_without_a_user_word_segment_as_without_the_dictionary(seed_model, backend, texts, words):
    plain = fast_segmenter(seed_model, backend, rules=False)
    segmenter = with_words(seed_model, backend, words)
    for text, cut in zip(texts, segmenter.cut_lines(texts)):
        if not any(word in text for word in words):
            assert cut == plain.lcut(text)
        assert "".join(cut) == re.sub(r"\s+", "", text)


@settings(max_examples=80, deadline=None)
@given(st.lists(lines, min_size=1, max_size=6), user_word_lists)
def test_numpy_and_compiled_agree_with_user_words(seed_model, texts, words):
    numpy_cuts = list(with_words(seed_model, "numpy", words, rules=True).cut_lines(texts))
    assert numpy_cuts == list(with_words(seed_model, "compiled", words, rules=True).cut_lines(texts))


text_chars = st.characters(codec="utf-8", categories=("Lo", "Ll", "Lu", "Nd", "Po", "Zs", "Sm", "Sc"))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from("阿里云总裁的科技局，。 ab1２.%@/:w"), text_chars), max_size=50))
def test_rules_change_nothing_on_a_line_without_a_rule_span(segmenter, text):
    from zhseg.features.chars import codepoints, is_isolating
    from zhseg.model.constraints import unit_spans

    plain = type(segmenter)(segmenter.model, segmenter.backend, rules=False)
    words = segmenter.lcut(text)
    assert "".join(words) == re.sub(r"\s+", "", text)
    if not unit_spans(text, rules=True) and not is_isolating(codepoints(text)).any():
        assert words == plain.lcut(text)
    for start, end in unit_spans(text, rules=True):  # every rule span stays inside one word
        tokens = list(segmenter.tokenize(text))
        assert any(a <= start and end <= b for _, a, b in tokens), (text[start:end], tokens)


# what the rules' alternatives open with and are made of, both widths, and the characters around them
# (ɐ and ／ just past the ranges that may open a match, which the core's scan skips in one comparison)
RULE_PIECES = (list("0123456789０１２３４５６７８９,，.．%％@:/-_~?#[]!$&'()*+;= \nhtpsfwaeoxzAZÀÖ×ØÞ÷øɏɐŁ／Ａｚ中文")
               + ["https://", "http://", "ftp://", "www.", "ab.cd", "@ex.com", "1,234", "12，345.6", "x@y.zz", "\ud800", "𠀀"])


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(RULE_PIECES), max_size=30).map("".join))
def test_the_core_finds_the_rules_regular_expression_matches(text):
    from zhseg.model import constraints, core

    if not core.available():
        pytest.skip("the compiled core was not built (no C compiler)")
    assert core.rule_spans(text) == constraints.regex_rule_spans(text)


def test_rule_spans_come_out_whole(segmenter):
    text = "访问https://www.example.com/a?b=1或写信给zhang.san@example.org，增长12.5%，共1,000,000元，iPhone手机"
    words = segmenter.lcut(text)
    for unit in ("https://www.example.com/a?b=1", "zhang.san@example.org", "1,000,000", "iPhone"):
        assert any(unit in word for word in words), (unit, words)
        assert not any(word in unit and word != unit for word in words if len(word) > 1 and word.isascii()), words


def test_grapheme_clusters_are_never_cut(segmenter):
    text = "我爱👨\u200d👩\u200d👧\u200d👦家庭🇨🇳👍🏽和cafe\u0301"
    for rules in (True, False):
        seg = type(segmenter)(segmenter.model, segmenter.backend, rules=rules)
        tokens = list(seg.tokenize(text))
        cuts = {start for _, start, _ in tokens} | {end for _, _, end in tokens}
        import regex

        inside = {m.start() + k for m in regex.finditer(r"\X", text) for k in range(1, len(m.group()))}
        assert not cuts & inside, tokens


def test_user_words_with_spaces_and_punctuation(seed_model, backend):
    segmenter = with_words(seed_model, backend, ["OpenGL ES", "5w-30"], rules=True)
    text = "我用OpenGL ES开发，机油5w-30很好"
    assert "OpenGL ES" in segmenter.lcut(text) and "5w-30" in segmenter.lcut(text)
    assert ("OpenGL ES", 2, 11) in list(segmenter.tokenize(text))
    out = "".join(segmenter.segment_lines([text, "OpenGL ES"], sep="/"))
    assert "/OpenGL ES/" in out and out.endswith("\nOpenGL ES\n")
    assert list(segmenter.cut_lines([text])) == [segmenter.lcut(text)]


def test_user_words_do_not_cut_latin_words_or_urls(seed_model):
    segmenter = with_words(seed_model, "numpy", ["app", "baidu"], rules=True)
    assert "apple" in segmenter.lcut("我吃apple") and "app" in segmenter.lcut("下载app了")
    assert "www.baidu.com" in segmenter.lcut("访问www.baidu.com")
    assert "app" in with_words(seed_model, "numpy", ["app"], rules=False).lcut("我吃apple")


def test_del_word_restores_the_model(seed_model):
    segmenter = with_words(seed_model, "numpy", ["总裁的科"])
    text = "阿里云总裁的科技"
    assert "总裁的科" in segmenter.lcut(text)
    segmenter.del_word("总裁的科")
    assert segmenter.lcut(text) == fast_segmenter(seed_model, "numpy", rules=False).lcut(text)


def test_load_userdict_reads_jieba_format(seed_model, tmp_path):
    path = tmp_path / "user.txt"
    path.write_text("\ufeff云总裁 3 nz\n\n局副局 12\nOpenGL ES\n", encoding="utf-8")
    segmenter = fast_segmenter(seed_model, "numpy")
    segmenter.load_userdict(path)
    assert sorted(segmenter.user_words) == ["OpenGL ES", "云总裁", "局副局"]
    import io

    other = fast_segmenter(seed_model, "numpy")
    other.load_userdict(io.StringIO("云总裁 3 nz\n"))
    assert "云总裁" in other.lcut("阿里云总裁")
    bad = tmp_path / "bad.txt"
    bad.write_text("好词\n坏\t词 3\n", encoding="utf-8")
    from zhseg.errors import UserError

    with pytest.raises(UserError, match=r"bad.txt:2: a tab"):
        segmenter.load_userdict(bad)


def test_crfsuite_refuses_constraints(seed_model):
    from zhseg import Segmenter

    with pytest.raises(ValueError, match="rules=False"):
        Segmenter.load(seed_model, backend="crfsuite")
    reference = Segmenter.load(seed_model, backend="crfsuite", rules=False)
    with pytest.raises(ValueError, match="cannot keep user words"):
        reference.add_word("总裁")


def test_a_segmenter_shared_by_eight_threads(seed_model):
    segmenter = with_words(seed_model, "numpy", ["科技局"], rules=True)
    texts = [line for line in WEB_SEED.read_text(encoding="utf-8").replace("@@", "").split("\n") if line.strip()]
    texts += [NEWS_SEED.read_text(encoding="utf-8")[:400].replace("\t", "")]
    expected = [segmenter.lcut(t) for t in texts]
    results: dict = {}

    def work(k):
        results[k] = [segmenter.lcut(t) for t in texts] + [list(segmenter.cut_lines(texts))]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[k] == expected + [expected] for k in range(8))


def test_crfsuite_backend_is_thread_safe(seed_model):
    from zhseg import Segmenter

    reference = Segmenter.load(seed_model, backend="crfsuite", rules=False)
    texts = [line for line in WEB_SEED.read_text(encoding="utf-8").replace("@@", "").split("\n") if line.strip()]
    errors = []

    def work():
        try:
            list(reference.cut_lines(texts))
        except Exception as error:  # noqa: BLE001 - the test reports whatever a thread raised
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_non_str_input_is_a_type_error(segmenter):
    for value in (None, b"\xe4\xbd\xa0"):
        with pytest.raises(TypeError, match="expected a str"):
            segmenter.lcut(value)
    for lines in (["你好", 3], ["你好", b"x"], [None]):  # in bulk too, whatever comes first
        with pytest.raises(TypeError, match=f"expected a str to segment, got {type(lines[-1]).__name__}"):
            list(segmenter.cut_lines(lines))


def test_module_level_api_without_a_default_model(monkeypatch, tmp_path):
    import zhseg
    from zhseg.model.store import ModelError

    monkeypatch.setattr(zhseg, "default_model_path", lambda: tmp_path / "absent")
    monkeypatch.setattr(zhseg.dt, "_segmenter", None)
    monkeypatch.setattr(zhseg, "_models", {})
    with pytest.raises(ModelError, match="no default model"):
        zhseg.lcut("今天天气很好")


def test_module_level_api_loads_the_default_once(monkeypatch, seed_model):
    import zhseg
    import zhseg.model.store as store

    monkeypatch.setattr(zhseg, "default_model_path", lambda: seed_model)
    monkeypatch.setattr(zhseg.dt, "_segmenter", None)
    monkeypatch.setattr(zhseg, "_models", {})
    loads = []
    original = store.load
    monkeypatch.setattr(store, "load", lambda directory: loads.append(directory) or original(directory))
    results = []
    threads = [threading.Thread(target=lambda: results.append(zhseg.lcut("阿里云总裁"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1 and len(results) == 8 and len(set(map(tuple, results))) == 1
    assert list(zhseg.cut("阿里云总裁")) == results[0]
    zhseg.add_word("里云总")
    assert "里云总" in zhseg.lcut("阿里云总裁")
    assert [w for w, _, _ in zhseg.tokenize("阿 里云总裁")] == zhseg.lcut("阿 里云总裁")
    zhseg.del_word("里云总")
    assert zhseg.lcut("阿里云总裁") == results[0]


def test_segment_command_takes_user_dicts_and_no_rules(seed_model, tmp_path):
    user = tmp_path / "user.txt"
    user.write_text("OpenGL ES 5\n云总裁\n", encoding="utf-8")
    result = run("segment.py", "-m", seed_model, "--user-dict", user, "--sep", "|", stdin="阿里云总裁用OpenGL ES\n")
    assert result.returncode == 0, result.stderr
    assert "云总裁|" in result.stdout and result.stdout.endswith("|OpenGL ES\n"), result.stdout
    two = run("segment.py", "-m", seed_model, "--user-dict", user, "--sep", "|", "--jobs", "2",
              stdin="阿里云总裁用OpenGL ES\n")
    assert two.stdout == result.stdout, two.stderr
    assert_user_error(run("segment.py", "-m", seed_model, "--backend", "crfsuite"), "--no-rules")
    plain = run("segment.py", "-m", seed_model, "--backend", "crfsuite", "--no-rules", stdin="阿里云总裁\n")
    assert plain.returncode == 0, plain.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("a\tb\n", encoding="utf-8")
    assert_user_error(run("segment.py", "-m", seed_model, "--user-dict", bad, stdin="x\n"), "bad.txt:1")


def test_evaluate_with_a_user_dict_recalls_its_words(seed_model, tmp_path):
    import json

    gold = tmp_path / "gold.txt"
    gold.write_text("阿里云总裁 今天 正式 开幕\n", encoding="utf-8")
    user = tmp_path / "user.txt"
    user.write_text("阿里云总裁\n", encoding="utf-8")
    result = run("evaluate.py", gold, "--model", seed_model, "--user-dict", user, "--json")
    assert result.returncode == 0, result.stderr
    with_dict = json.loads(result.stdout)
    assert with_dict["pred_words"] >= 1 and with_dict["recall"] >= 0.25
    tokens = run("segment.py", "-m", seed_model, "--user-dict", user, stdin="阿里云总裁今天正式开幕\n").stdout.split()
    assert tokens[0] == "阿里云总裁"
    assert_user_error(run("evaluate.py", gold, "--model", seed_model, "--pred", gold), "not both")


def test_unconstrained_text_has_single_code_point_clusters_helper():
    assert single_code_point_clusters("今天abc") and not single_code_point_clusters("e\u0301")


def test_lone_surrogates_are_characters_like_any_other(segmenter):
    text = "今天\udc80天气很好"
    words = segmenter.lcut(text)
    assert "".join(words) == text
    assert ["".join(w) for w in segmenter.cut_lines([text * 40])] == [text * 40]
    assert "".join(segmenter.segment_lines([text], sep="|")).replace("|", "") == text + "\n"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("阿里云总裁的科技局今天天气很好ab1２。，！？、“”（）《》😀🔥👍🏽✌️🇨🇳★ .%:·"),
               max_size=40), user_word_lists)
def test_punctuation_and_pictographs_never_share_a_word_with_other_text(segmenter, text, words):
    from zhseg.features.chars import codepoints, is_isolating
    from zhseg.model.constraints import unit_spans

    for word in words:
        segmenter.add_word(word)
    try:
        kept = unit_spans(text, True)
        for word, start, end in segmenter.tokenize(text):
            flags = is_isolating(codepoints(word))
            if flags.any() and not flags.all():  # mixed: only where a unit or a user word holds it
                assert word in segmenter.user_words or any(a < b and start <= a and b <= end and
                                                           is_isolating(codepoints(text[a:b])).any() for a, b in kept), \
                    (word, list(segmenter.tokenize(text)))
    finally:
        for word in words:
            segmenter.del_word(word)


def test_the_web_examples_come_apart():
    import zhseg

    for text, apart in (("yyds！！绝绝子🔥🔥 这波操作", ["yyds", "！", "绝绝子"]), ("今天心情超好😊😊😊我们去吃火锅吧", ["😊😊😊"]),
                        ("小明👍🏽说OK✌️然后走了。", ["小明", "👍🏽", "OK", "✌️"]),
                        ("臺灣的計程車司機😀👨‍👩‍👧‍👦好", ["好"])):
        words = zhseg.lcut(text)
        assert all(piece in words for piece in apart), words
    zhseg.add_word("C++")
    try:
        assert "C++" in zhseg.lcut("我爱C++和3.5%")
        assert "3.5%" in zhseg.lcut("我爱C++和3.5%")
    finally:
        zhseg.del_word("C++")
