"""Domain adaptation from partially segmented text: known boundaries are never violated."""

import json
import math

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import NEWS_SEED, WEB_SEED
from tests.test_cli import run

chunks = st.lists(st.text(alphabet="阿里云总裁的科技局副局长今天天气很好ab1，。https:/.", min_size=1, max_size=8),
                  min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(st.lists(chunks, min_size=1, max_size=6))
def test_filled_in_text_keeps_every_known_boundary(segmenter, lines):
    from zhseg.features.corpus import PartialSentence
    from zhseg.model.adapt import fill_in

    partials = [PartialSentence(k, tuple(c), (True,) * (len(c) - 1)) for k, c in enumerate(lines)]
    for partial, sentence in zip(partials, fill_in(segmenter, partials)):
        assert sentence.text == partial.text
        ends = set()
        position = 0
        for word in sentence.words:
            position += len(word)
            ends.add(position)
        assert set(partial.boundaries()) <= ends


def test_seed_004_loads_as_it_is():
    from zhseg.features.corpus import read_partial

    partials = read_partial(WEB_SEED, "@@")
    assert len(partials) > 20 and not any("@@" in c or not c.strip() for p in partials for c in p.chunks)
    text = WEB_SEED.read_text(encoding="utf-8").replace("@@", "")
    assert "".join(p.text for p in partials) == "".join(text.split())
    assert any("app" in c for p in partials for c in p.chunks)  # "乐动安卓app 网": a space inside a chunk's line
    assert sum(len(p.boundaries(marked_only=True)) for p in partials) < sum(len(p.boundaries()) for p in partials)


def test_training_adapts_to_partial_text_and_records_it(seed_model, tmp_path):
    out = tmp_path / "adapted"
    result = run("train.py", NEWS_SEED, "--partial-corpus", WEB_SEED, "--base-model", seed_model, "-o", out,
                 "--max-iterations", "60", "-q")
    assert result.returncode == 0, result.stderr
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["adaptation"]["rounds"] == 1 and meta["adaptation"]["partial_lines"] > 20
    assert meta["training"]["sentences"] > 20  # the seed's one line and the filled-in web lines
    report = json.loads(run("evaluate.py", WEB_SEED, "--partial", "--model", out, "--json").stdout)
    assert set(report) == {"marked_boundaries", "kept", "boundary_recall", "words", "words_across_a_boundary"}
    assert report["marked_boundaries"] > 300 and 0 <= report["kept"] <= report["marked_boundaries"]
    assert 0 < report["words_across_a_boundary"] + report["words"] and report["words_across_a_boundary"] <= report["words"]
    base = json.loads(run("evaluate.py", WEB_SEED, "--partial", "--model", seed_model, "--json").stdout)
    assert report["boundary_recall"] >= base["boundary_recall"]  # it learnt from text that keeps them all


def _count(text: str, s: str) -> int:
    """Occurrences of ``s`` in ``text``, overlapping ones too (str.count skips them)."""
    return sum(text.startswith(s, i) for i in range(len(text)))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="甲乙丙丁", min_size=1, max_size=4), min_size=1, max_size=6),
                min_size=1, max_size=8), st.integers(1, 3), st.sampled_from([1.0, 0.75, 0.5]))
def test_unbroken_strings_are_the_frequent_ones_hardly_ever_across_a_known_boundary(lines, min_count, share):
    from zhseg.features.corpus import PartialSentence
    from zhseg.model.adapt import EXPECTED_MARKS, UNBROKEN_TOLERANCE, unbroken_strings

    partials = [PartialSentence(k, tuple(c), (True,) * (len(c) - 1)) for k, c in enumerate(lines)]
    texts = [p.text for p in partials]
    candidates = {t[i:i + n] for t in texts for n in range(2, 5) for i in range(len(t) - n + 1)}
    expected = set()
    for s in candidates:  # an independent count: every occurrence, and those inside one chunk
        anywhere = sum(_count(t, s) for t in texts)
        inside = sum(_count(c, s) for p in partials for c in p.chunks)
        enough = max(min_count, math.ceil(EXPECTED_MARKS / share))  # a split would have shown
        if inside >= enough and anywhere - inside <= UNBROKEN_TOLERANCE * anywhere:
            expected.add(s)
    assert unbroken_strings(partials, min_count, share) == expected
    assert unbroken_strings(partials, 0, share) == frozenset()
    assert unbroken_strings(partials, min_count, 0.0) == frozenset()  # no split ever marked: no evidence


@settings(max_examples=60, deadline=None)
@given(st.lists(chunks, min_size=1, max_size=6), st.integers(1, 3))
def test_filling_in_never_splits_an_unbroken_string(segmenter, lines, min_count):
    from zhseg.features.corpus import PartialSentence
    from zhseg.model.adapt import fill_in, unbroken_strings

    partials = [PartialSentence(k, tuple(c), (True,) * (len(c) - 1)) for k, c in enumerate(lines)]
    unbroken = unbroken_strings(partials, min_count, 1.0)
    for partial, sentence in zip(partials, fill_in(segmenter, partials, unbroken)):
        assert sentence.text == partial.text
        starts, position = set(), 0
        for word in sentence.words:
            starts.add(position)
            position += len(word)
        assert set(partial.boundaries()) <= starts | {len(partial.text)}
        # a known boundary wins, and so does a turn between punctuation and other text
        known = set(partial.boundaries()) | isolating_turns(partial.text, segmenter.rules)
        for s in unbroken:
            for i in range(len(partial.text)):
                inside = set(range(i + 1, i + len(s)))
                if partial.text.startswith(s, i) and not inside & known:  # a known boundary wins
                    assert not starts & inside, (s, sentence.words)


def isolating_turns(text: str, rules: bool) -> set[int]:
    """Where the text passes between punctuation (symbols, pictographs) and other characters,
    outside the spans the rules keep whole: boundaries the constraints always give."""
    from zhseg.features.chars import codepoints, is_isolating
    from zhseg.model.constraints import unit_spans

    if not rules:
        return set()
    flags = is_isolating(codepoints(text)).tolist()
    units = unit_spans(text, rules)
    return {i for i in range(1, len(text)) if flags[i] != flags[i - 1] and not any(a < i < b for a, b in units)}


def test_filled_in_text_as_a_standard_of_its_own_is_the_default():
    from zhseg.features.corpus import Sentence
    from zhseg.model.adapt import adapt_data
    from zhseg.model.crf import TrainingData

    corpus = [Sentence(1, ("今天", "天气")), Sentence(2, ("很", "好"))]
    filled = [Sentence(1, ("天气", "好"))]
    single = adapt_data(TrainingData(corpus), filled, "web")
    assert single.standards == ("web", "corpus") and list(single.standard_of) == [1, 1, 0]
    multi = adapt_data(TrainingData(corpus, ("ctb", "pku"), [0, 1]), filled, "web")
    assert multi.standards == ("web", "ctb", "pku") and list(multi.standard_of) == [1, 2, 0]
    plain = adapt_data(TrainingData(corpus, ("ctb", "pku"), [0, 1]), filled)
    assert plain.standards == ("ctb", "pku") and list(plain.standard_of) == [0, 1, 0]
    with pytest.raises(ValueError):
        adapt_data(TrainingData(corpus, ("ctb", "pku"), [0, 1]), filled, "pku")


def test_bad_adaptation_settings_are_one_line_errors(tmp_path):
    from tests.test_cli import assert_user_error

    common = ("train.py", NEWS_SEED, "--partial-corpus", WEB_SEED, "-o", tmp_path / "m")
    assert_user_error(run(*common, "--rounds", "0"), "rounds must be at least 1")
    assert_user_error(run(*common, "--unbroken-min", "-1"), "unbroken-string count")
    assert_user_error(run(*common, "--partial-standard", "a:b"), "without ':'")
    assert_user_error(run("train.py", NEWS_SEED, NEWS_SEED, "--standards", "news,web", "--partial-corpus", WEB_SEED,
                          "--partial-standard", "web", "-o", tmp_path / "m"), "'web' already names a corpus's standard")
    assert not (tmp_path / "m").exists()


def test_the_known_share_is_the_share_of_filled_in_chinese_splits_that_are_known():
    from zhseg.features.corpus import PartialSentence, Sentence
    from zhseg.model.adapt import known_share

    partials = [PartialSentence(1, ("今天", "天气很好", "，", "a"), (True, True, True))]
    filled = [Sentence(1, ("今天", "天气", "很", "好", "，", "a"))]
    # splits between two Chinese characters: 今天|天气 (known), 天气|很, 很|好; 好|， and ，|a do not count
    assert known_share(partials, filled) == 1 / 3
    only_punctuation = [PartialSentence(1, ("今天天气很好", "，"), (True,))]
    assert known_share(only_punctuation, [Sentence(1, ("今天", "天气", "很", "好", "，"))]) == 0.0
