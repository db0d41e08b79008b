import json

import pytest

from tests.conftest import NEWS_SEED
from tests.test_cli import run


def test_benchmark_compares_systems_and_writes_reports(seed_model, tmp_path):
    pytest.importorskip("jieba")
    gold = tmp_path / "gold.txt"
    words = NEWS_SEED.read_text(encoding="utf-8").split()
    gold.write_text("\n".join(" ".join(words[i:i + 40]) for i in range(0, len(words), 40)) + "\n", encoding="utf-8")
    result = run("benchmark.py", "--test", gold, "--train", NEWS_SEED, "--model", seed_model,
                 "--json", tmp_path / "b.json", "--markdown", tmp_path / "b.md")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    rows = {r["system"]: r for r in report["rows"]}
    assert rows["zhseg (seed000)"]["status"] == "ok" and rows["zhseg (seed000)"]["f1"] > 0.9
    jieba_rows = [r for name, r in rows.items() if name.startswith("jieba")]
    assert len(jieba_rows) == 3 and all(r["status"] == "ok" and 0 < r["f1"] < 1 for r in jieba_rows)
    # trained on the same text, jieba's dictionary from --train must beat its default dictionary
    assert rows["jieba (train dict)"]["f1"] > rows["jieba (HMM on)"]["f1"]
    assert all(r["chars_per_second"] > 0 for r in rows.values() if r["status"] == "ok")
    assert rows["thulac"]["status"].startswith("skipped") or rows["thulac"]["status"] == "ok"
    assert "| zhseg (seed000) |" in (tmp_path / "b.md").read_text(encoding="utf-8")


def test_benchmark_without_a_model_runs_the_embedded_one_beside_jieba(tmp_path):
    pytest.importorskip("jieba")
    result = run("benchmark.py", "--test", NEWS_SEED, "--json", tmp_path / "b.json")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    rows = {r["system"]: r for r in json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["rows"]}
    ours = next(r for name, r in rows.items() if name.startswith("zhseg"))
    assert ours["status"] == "ok" and ours["f1"] > rows["jieba (HMM on)"]["f1"]
