"""The embedded default model: zhseg segments out of the box."""

import json
import subprocess
import sys

import pytest

from tests.conftest import NEWS_SEED, ROOT
from tests.test_cli import assert_user_error, run


@pytest.fixture(scope="module")
def default_dir():
    import zhseg

    path = zhseg.default_model_path()
    assert (path / "meta.json").is_file(), f"{path}: the embedded model is missing (make default-model)"
    return path


def test_it_is_data_only_and_offers_its_standards(default_dir):
    import zhseg

    meta = json.loads((default_dir / "meta.json").read_text(encoding="utf-8"))
    names = sorted(p.name for p in default_dir.iterdir())
    assert names == sorted([*meta["files"], "meta.json"])  # every file recorded with its size and digest
    assert {"compiled.npz", "lexicon.npz", "vocab.txt", "wordlist.npz"} <= set(names)
    assert all(name.endswith((".npz", ".json", ".txt", ".tables")) for name in names)  # data only: no crfsuite file
    assert {"ctb6", "weibo", "sxu", "ud", "pku"} <= set(meta["standards"]) and meta["features"]["fold"] == "t2s"
    assert all(len(c["sha256"]) == 64 for c in meta["training"]["corpora"])
    assert zhseg.load(default_dir).standard == meta.get("default_standard", meta["standards"][0])
    with pytest.raises(Exception, match="needs a model directory with model.crfsuite"):
        zhseg.load(default_dir, backend="crfsuite", rules=False).lcut("你好")


def test_the_module_level_api_works_with_no_model_given(default_dir):
    probe = ("import zhseg; words = zhseg.lcut('阿里云总裁胡晓明接受专访'); "
             "print(' '.join(words)); print(''.join(words) == '阿里云总裁胡晓明接受专访')")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "True" and len(result.stdout.split()) >= 4


def test_commands_work_with_no_model_given(default_dir):
    segmented = run("-m", "zhseg", "segment", stdin="今天天气很好\n")
    assert segmented.returncode == 0, segmented.stderr
    assert segmented.stdout.replace(" ", "") == "今天天气很好\n" and " " in segmented.stdout
    scores = run("evaluate.py", NEWS_SEED, "--json")
    assert scores.returncode == 0 and json.loads(scores.stdout)["f1"] > 0.8, scores.stderr
    traditional = run("-m", "zhseg", "segment", stdin="我們在臺灣學習中文\n")
    assert traditional.stdout.replace(" ", "") == "我們在臺灣學習中文\n"  # output keeps the original characters
    assert_user_error(run("-m", "zhseg", "segment", "--standard", "msr", stdin="你好\n"), "unknown standard")
