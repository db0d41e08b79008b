"""Domain adaptation from partially segmented text: known boundaries are never violated."""

import json

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
