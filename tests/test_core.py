"""The compiled core equals the numpy path: same words, same offsets, every option."""

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import corpus_file
from tests.test_knowledge import frequency_list, halves, multi_model, word_list  # noqa: F401 - fixtures

BLOCK = pytest.importorskip("zhseg._core", reason="the compiled core was not built (no C compiler)").BLOCK

# Han, Latin, digits, punctuation of both widths, whitespace of several kinds, emoji with
# modifiers and joiners, combining marks, a lone surrogate, characters above the BMP
ALPHABET = ("阿里云总裁的科技局副局长今天天气很好中国人民银行臺灣計程車，。！？、…—·「」 \t\u3000\u00a0"
            "abcXYZ019０１２.%,:@/#+-_'😀👍🏽✌️🔥👨\u200d👩\u200d👧🇨🇳1️⃣e\u0301\ud800𠀀𪚥")
texts = st.text(alphabet=st.sampled_from(ALPHABET), max_size=60)
user_words = st.lists(st.text(alphabet="阿里云总裁科技局今天中国人民银行ab1 ", min_size=1, max_size=5).filter(str.strip),
                      max_size=4)


def both(directory, rules=True, words=(), standard=None):
    from zhseg import Segmenter

    pair = [Segmenter.load(directory, backend=b, rules=rules, standard=standard) for b in ("numpy", "compiled")]
    for segmenter in pair:
        for word in words:
            segmenter.add_word(word)
    return pair


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8), user_words, st.booleans())
def test_the_core_gives_the_numpy_words_offsets_and_text(seed_model, lines, words, rules):
    reference, core = both(seed_model, rules, words)
    for line in lines:
        assert core.lcut(line) == reference.lcut(line)
        assert list(core.tokenize(line)) == list(reference.tokenize(line))
    assert list(core.cut_lines(lines)) == list(reference.cut_lines(lines))
    assert "".join(core.segment_lines(lines, " | ")) == "".join(reference.segment_lines(lines, " | "))


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_the_core_gives_the_numpy_words_with_dictionary_features(accurate_seed_model, lines):
    reference, core = both(accurate_seed_model)
    assert list(core.cut_lines(lines)) == list(reference.cut_lines(lines))


@settings(max_examples=40, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6), st.sampled_from(["first", "second"]))
def test_the_core_gives_the_numpy_words_in_every_standard(multi_model, lines, standard):
    reference, core = both(multi_model, standard=standard)
    assert list(core.cut_lines(lines)) == list(reference.cut_lines(lines))


def test_a_long_line_decodes_block_by_block_as_numpy_does(seed_model):
    from zhseg.features.corpus import read_corpus
    from tests.conftest import NEWS_SEED

    reference, core = both(seed_model)
    text = "".join(s.text for s in read_corpus(NEWS_SEED)) * 12  # many of the core's blocks in one sequence
    assert len(text) > 5 * BLOCK
    assert core.lcut(text) == reference.lcut(text)


def test_lines_of_every_length_around_a_pack_decode_as_numpy_does(seed_model):
    """The core decodes short lines a pack of up to BLOCK characters at a time and a longer one
    alone: lines that just fit, just do not, long ones between short ones, empty and blank ones."""
    from zhseg.features.corpus import read_corpus
    from tests.conftest import NEWS_SEED

    text = "".join(s.text for s in read_corpus(NEWS_SEED)) * 4
    lines = [text[:40], "", text[:BLOCK - 48], text[:BLOCK], "  ", text[:BLOCK + 1], text[:7], text[:BLOCK - 4] + "  \t",
             " " * 3000 + text[:30], text[:5000], text[:1], "\u3000", text[:3000].replace("，", " ")]
    reference, core = both(seed_model)
    assert list(core.cut_lines(lines, batch_chars=10**6)) == list(reference.cut_lines(lines, batch_chars=10**6))
    assert "".join(core.segment_lines(lines, "/")) == "".join(reference.segment_lines(lines, "/"))


def _without_pairs(spec):
    """The spec as a model whose lexicons do not store their 2-character pieces gives it."""
    def tables(made):
        return lambda: [entry[:3] for entry in (made() if callable(made) else made)]

    return dict(spec, lexicons=[(length, tables(made)) for length, made in spec["lexicons"]])


@pytest.mark.parametrize("model", ["accurate_seed_model", "multi_model"])
def test_lexicon_pieces_held_by_the_pair_records_give_the_numpy_words(model, request):
    """Where the lexicons hand in their 2-character pieces, the core keeps them in the adjacent-pair
    base's records: words equal numpy's on short lines, and on a long line whose blocks look back
    past their window; equal to a core built without them (the pieces' table alone)."""
    from zhseg.features.corpus import read_corpus
    from zhseg.model import core
    from tests.conftest import NEWS_SEED

    reference, compiled = both(request.getfixturevalue(model))
    spec = compiled._core_spec()
    assert any(len(entry) == 4 for _, made in spec["lexicons"] for entry in made()), "no lexicon handed pairs in"
    text = "".join(s.text for s in read_corpus(NEWS_SEED))
    lines = [text[:n] for n in (1, 2, 3, 40, 300)] + [text * 6]
    assert len(lines[-1]) > 2 * BLOCK
    assert list(compiled.cut_lines(lines)) == list(reference.cut_lines(lines))
    with_pairs, without = core.build(spec), core.build(_without_pairs(spec))
    assert with_pairs.segment(lines) == without.segment(lines)
    assert with_pairs.pairs_in_records and not without.pairs_in_records


def test_a_dictionary_in_the_first_word_lists_place_gives_the_numpy_words(tmp_path):
    """jieba's set_dictionary: the default model with a list of the user's in place of its first
    word list (a lexicon built from words, its pairs beside the stored lexicons' own)."""
    from zhseg import Tokenizer
    from zhseg.model.segmenter import Segmenter
    from tests.conftest import WEB_SEED

    words = tmp_path / "dict.txt"
    words.write_text("杭研大厦 3 n\n网易杭研 2 nz\n开发者 5\n云计算大会\n", encoding="utf-8")
    compiled = Tokenizer(str(words)).segmenter
    assert compiled.backend == "compiled"
    reference = Segmenter(compiled.model, backend="numpy", standard=compiled.standard)
    lines = ["他来到了网易杭研大厦参加云计算大会"] + WEB_SEED.read_text(encoding="utf-8").replace("@@", "").split("\n")
    assert list(compiled.cut_lines(lines)) == list(reference.cut_lines(lines))
    assert compiled._compiled_core().pairs_in_records


def test_pairs_that_do_not_hash_to_their_keys_are_refused(accurate_seed_model):
    import numpy as np

    from zhseg.model import core

    _, compiled = both(accurate_seed_model)
    spec = compiled._core_spec()
    length, made = spec["lexicons"][0]
    entries = made()
    two = next(k for k, entry in enumerate(entries) if entry[0] == 2)
    n, keys, flags, pairs = entries[two]
    for damaged in (pairs[::-1].copy(), pairs[:-1].copy(), np.full_like(pairs, -5)):
        broken = entries[:two] + [(n, keys, flags, damaged)] + entries[two + 1:]
        with pytest.raises(ValueError, match="2-character pieces do not match its keys|inconsistent"):
            core.build(dict(spec, lexicons=[(length, broken)] + spec["lexicons"][1:]))


def test_every_kind_of_whitespace_is_a_boundary_as_str_isspace_says(seed_model):
    # the core tests whitespace itself (Python's table only at or below U+3000): every code point
    # str.isspace accepts, and its neighbours, which it does not, between two words
    spaces = [c for c in map(chr, range(0x3100)) if c.isspace()]
    assert chr(0x3000) in spaces and all(not chr(c).isspace() for c in range(0x3001, 0x110000, 97))
    neighbours = sorted({chr(ord(c) + d) for c in spaces for d in (-1, 1)} - set(spaces))
    reference, core = both(seed_model)
    lines = [f"中国{c}人民{c}银行" for c in spaces + neighbours]
    assert list(core.cut_lines(lines)) == list(reference.cut_lines(lines))
    for line in lines[:len(spaces)]:  # dropped, as the numpy path drops them
        assert "".join(core.lcut(line)) == "中国人民银行"


def test_tokenize_offsets_index_the_input(seed_model):
    _, core = both(seed_model, words=["OpenGL ES"])
    text = " 阿里云 OpenGL ES总裁\t今天😀好 "
    tokens = list(core.tokenize(text))
    assert [w for w, _, _ in tokens] == core.lcut(text)
    assert all(text[a:b] == w for w, a, b in tokens)
    assert ("OpenGL ES", text.index("OpenGL"), text.index("OpenGL") + 9) in tokens


def test_words_shared_within_a_batch_are_the_numpy_words(seed_model):
    # the core makes one str per distinct short word (up to three characters) of a batch, in 2^14
    # slots: more distinct short words than slots, astral, NUL and lone surrogates among them, and
    # longer words beside them, each again later in the batch, must still come out as the numpy
    # path's words
    reference, core = both(seed_model, rules=False)
    singles = [chr(c) for c in range(0x4E00, 0x4E00 + 14000)] + ["\x00", "\ud800", "𠀀", "a"]
    few = singles[:64]  # every pair of a few neighbouring code points: keys that differ in few bits
    words = singles + [a + b for a in few for b in few] + ["𠀀\x00", "\x00𠀀", "中国人", "中国人民"]
    lines = [" ".join(words[i:i + 50]) for i in range(0, len(words), 50)]
    lines += lines[::-1]
    ours = list(core.cut_lines(lines, batch_chars=10**7))
    assert ours == list(reference.cut_lines(lines))
    assert len({w for line in ours for w in line if len(w) <= 3}) > 2 ** 14


def test_making_the_words_leaves_the_garbage_collector_as_it_found_it(seed_model):
    import gc

    _, core = both(seed_model)
    lines = ["中国人民银行今天", "阿里云总裁"] * 400  # lists enough for a collection on the way
    was = gc.isenabled()
    try:
        gc.disable()
        words = list(core.cut_lines(lines))
        assert not gc.isenabled()  # a caller's choice stays
        gc.enable()
        assert list(core.cut_lines(lines)) == words
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_what_the_fast_scan_skips_holds_no_grapheme_cluster_break_but_other():
    import regex
    from zhseg import _core

    every = "".join(map(chr, range(0x110000)))
    skipped, at = [], 0
    while at < len(every):  # the positions the scan passes over, run by run
        found = _core.grapheme_candidate(every, at)
        end = len(every) if found < 0 else found
        skipped.append((at, end))
        at = end + 1
    probe = regex.compile(r"[^\p{Grapheme_Cluster_Break=Other}\s]")
    for start, end in skipped:
        assert probe.search(every, start, end) is None, hex(probe.search(every, start, end).start())
    assert sum(end - start for start, end in skipped) > 90_000  # Han, kana, Latin, punctuation, emoji ...
    assert _core.grapheme_candidate("中国人", 0) == -1 and _core.grapheme_candidate("中e\u0301", 0) == 2
    assert _core.grapheme_candidate("\u0301中\u0301", 1) == 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["中国人民", "↓", "①", "e\u0301", "👍🏽", "🇨🇳", "\n", " ", "ab1", "中" * 70,
                                 "\u200d", "각", "\ufe0f"]), max_size=30))
def test_unit_spans_are_the_expressions_with_or_without_the_fast_scan(pieces):
    from unittest import mock
    from zhseg.model import constraints

    text = "".join(pieces)
    with mock.patch.object(constraints.core, "available", lambda: False):
        reference = constraints.unit_spans(text, True)
    assert constraints.unit_spans(text, True) == reference


LINE_ENDS = ["\n", "\r\n", "\r\r\n", "\r", ""]
SEPARATORS = [" ", " | ", "\n", "／", ""]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(texts, st.sampled_from(LINE_ENDS)), max_size=8), st.booleans(), st.booleans(),
       st.sampled_from(SEPARATORS), st.sampled_from([b"", b"\xff", b"\xe4\xb8", b"\xed\xa0\x80"]), st.booleans())
def test_a_file_block_read_by_the_core_gives_the_words_of_its_decoded_lines(seed_model, lines, bom, first, sep,
                                                                            junk, rules):
    from zhseg.errors import UserError
    from zhseg.textio import TextBlock

    text = ("\ufeff" if bom else "") + "".join(line + end for line, end in lines)
    data = text.encode("utf-8", "surrogatepass") + junk  # a lone surrogate, or junk: not UTF-8
    # first: the file's first block (a BOM there is dropped, elsewhere it is a character)
    block = TextBlock(data, "in.txt", first_line=3, offset=0 if first else 1000, encoding="utf-8")
    outcomes = []
    for segmenter in both(seed_model, rules):  # the numpy path decodes block.lines()
        try:
            outcomes.append(segmenter.segment_block(block, sep))
        except UserError as error:
            outcomes.append(str(error))
    assert outcomes[1] == outcomes[0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0x00, 0x0A, 0x0D, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                 0xDF, 0xE0, 0xE4, 0xED, 0xEE, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF]), max_size=12).map(bytes))
# the edges of each length: overlong forms, surrogates, past U+10FFFF, cut short
@example(b"\xc1\xbf")
@example(b"\xc2\x80")
@example(b"\xe0\x9f\xbf")
@example(b"\xe0\xa0\x80")
@example(b"\xed\x9f\xbf")
@example(b"\xed\xa0\x80")
@example(b"\xf0\x8f\xbf\xbf")
@example(b"\xf0\x90\x80\x80")
@example(b"\xf4\x8f\xbf\xbf")
@example(b"\xf4\x90\x80\x80")
@example(b"\xe4\xb8")
@example(b"\xf0\x90\x80")
def test_the_core_takes_as_utf8_exactly_what_python_decodes(seed_model, data):
    from zhseg import Segmenter

    core = Segmenter.load(seed_model, backend="compiled")._compiled_core()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert core.text_from_utf8(data, " ") is None
    else:
        assert core.text_from_utf8(data, " ") is not None


def test_lines_that_may_hold_a_cluster_are_left_to_the_caller(seed_model):
    import array
    from zhseg import Segmenter

    core = Segmenter.load(seed_model, backend="compiled")._compiled_core()
    data = "中国\r\ne\u0301x\n人民\n\u0301\r\n".encode("utf-8")
    text, places, spans = core.text_from_utf8(data, " ")
    assert text.decode("utf-8").replace(" ", "") == "中国\n人民\n"  # the other two lines are not written
    # each left-out line: where its text belongs (after the first line's, at the end), its bytes
    # without the line end
    assert array.array("q", places).tolist() == [text.index(b"\n") + 1, len(text)]
    assert array.array("q", spans).tolist() == [8, 12, 20, 22]
    text, places, spans = core.text_from_utf8(("e\u0301\n中国\n" * 40).encode("utf-8"), " ")  # more than it first holds
    assert array.array("q", spans).tolist()[0::2] == [k * 11 for k in range(40)]
    assert text.replace(b" ", b"") == "中国\n".encode("utf-8") * 40


def test_a_damaged_spec_is_refused_not_crashed(seed_model):
    from zhseg.model import core

    reference, compiled = both(seed_model)
    spec = compiled._core_spec()
    kind, param, part, dense, members, slots = spec["bases"][0]
    members = members() if callable(members) else members  # the spec may make a base's arrays on demand
    keys, weights = members[0]
    weights = weights() if callable(weights) else weights  # read when the core comes to it

    def with_first(member, first_slots=slots):
        return dict(spec, bases=[(kind, param, part, dense, [member] + members[1:], first_slots)] + spec["bases"][1:])

    with pytest.raises(ValueError, match="unsorted"):
        core.build(with_first((keys[::-1].copy(), weights)))
    with pytest.raises(ValueError, match="do not match its weights"):
        core.build(with_first((keys, weights[:-1].copy())))
    with pytest.raises(ValueError, match="slots do not match its members"):
        core.build(with_first((keys, weights), list(slots) + [0]))
    with pytest.raises(ValueError, match="slot out of range"):
        core.build(with_first((keys, weights), [40] + list(slots[1:])))
    broken = dict(spec, templates=[(99, 0, 0)] + spec["templates"][1:])
    with pytest.raises(ValueError, match="template out of range"):
        core.build(broken)
    with pytest.raises(TypeError, match="expected a str"):
        core.build(spec).segment([b"bytes"])


@pytest.mark.parametrize("corpus", ["ctb6", "nlpcc2016-weibo", "sxu-sighan2008", "udc-ud1.4-hankcs", "pku-pfr1998"])
def test_the_default_model_gives_the_numpy_words_on_every_test_split(corpus):
    import zhseg

    split = "dev" if corpus == "pku-pfr1998" else "test"  # its test set is SIGHAN 2005's PKU gold
    lines = [re.sub(" ", "", line) for line in corpus_file(corpus, split).read_text(encoding="utf-8").splitlines()]
    reference, core = both(zhseg.default_model_path())
    assert list(core.cut_lines(lines)) == list(reference.cut_lines(lines))


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=5), st.data())
def test_forced_word_starts_give_the_numpy_words(seed_model, lines, data):
    reference, core = both(seed_model)
    cuts = [sorted(data.draw(st.sets(st.integers(1, max(1, len(line) - 1)), max_size=4))) for line in lines]
    expected = reference.line_bounds(lines, cuts)
    assert core.line_bounds(lines, cuts) == expected
    for line, line_cuts, spans in zip(lines, cuts, expected):
        starts = {a for a, _ in spans}
        for c in line_cuts:  # each cut is a word start, unless whitespace or a unit or word holds it
            if c < len(line) and not line[c].isspace() and not line[c - 1].isspace():
                from zhseg.model.constraints import unit_spans

                if not any(a < c < b for a, b in unit_spans(line, True)):
                    assert c in starts, (line, c, spans)
