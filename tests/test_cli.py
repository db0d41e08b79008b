"""The command-line scripts as a user runs them: exit codes, output shape, one-line errors."""

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import NEWS_SEED, ROOT, WEB_SEED


def run(*args, stdin: str | None = None):
    return subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def assert_user_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("zhseg: error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1] == errors[0]  # progress lines may precede it
    for fragment in fragments:
        assert fragment in errors[0]


def test_train_reports_progress_and_dev_scores(tmp_path):
    out = tmp_path / "model"
    result = run("train.py", NEWS_SEED, "-o", out, "--dev", NEWS_SEED, "--max-iterations", "15")
    assert result.returncode == 0, result.stderr
    assert "iteration 10/15" in result.stderr and "training" in result.stderr
    assert re.search(r"dev .*F1 \d+\.\d\d", result.stdout)
    assert (out / "meta.json").is_file()
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    corpus = meta["training"]["corpora"][0]
    assert corpus["sentences"] == 1 and len(corpus["sha256"]) == 64 and corpus["words"] > 1000


def test_segment_stdin_keeps_lines_and_characters(seed_model):
    text = WEB_SEED.read_text(encoding="utf-8").replace("@@", "")
    result = run("segment.py", "--model", seed_model, stdin=text)
    assert result.returncode == 0, result.stderr
    out_lines = result.stdout.split("\n")[:-1]
    in_lines = text.split("\n")
    if in_lines[-1] == "":
        in_lines.pop()
    assert len(out_lines) == len(in_lines)
    for given, got in zip(in_lines, out_lines):
        assert got.replace(" ", "") == re.sub(r"\s+", "", given)


def test_segment_files_to_output_with_separator(seed_model, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("阿里云总裁\n\n今天正式开幕\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    result = run("segment.py", "-m", seed_model, source, source, "-o", out, "--sep", "|")
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 7 and lines[1] == "" and "|" in lines[0]
    assert lines[0].replace("|", "") == "阿里云总裁"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_evaluate_json_contract(seed_model):
    result = run("evaluate.py", NEWS_SEED, "--model", seed_model, "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert set(scores) == {"precision", "recall", "f1", "oov_rate", "oov_recall", "iv_recall", "gold_words", "pred_words"}
    assert all(0 <= scores[k] <= 1 for k in ("precision", "recall", "f1", "oov_rate", "iv_recall"))
    assert scores["f1"] > 0.9 and isinstance(scores["gold_words"], int)


def test_evaluate_a_prediction_file(seed_model, tmp_path):
    gold = tmp_path / "gold.txt"
    gold.write_text("中国 人民 银行\n\n你好 世界\n", encoding="utf-8")
    pred = tmp_path / "pred.txt"
    pred.write_text("中国 人 民 银行\n\n你好 世界", encoding="utf-8")
    result = run("evaluate.py", gold, "--pred", pred, "--json")
    scores = json.loads(result.stdout)
    assert (scores["gold_words"], scores["pred_words"]) == (5, 6)
    assert scores["recall"] == pytest.approx(4 / 5) and scores["oov_recall"] is None
    table = run("evaluate.py", gold, "--pred", pred, "--words", gold)
    assert "OOV recall" in table.stdout and "F1" in table.stdout
    pred.write_text("中国 人民 银行\n\n你好 世届\n", encoding="utf-8")
    assert_user_error(run("evaluate.py", gold, "--pred", pred), "pred.txt:3", "gold.txt:3", "characters differ")


def test_user_mistakes_get_one_line_and_exit_2(seed_model, tmp_path):
    assert_user_error(run("train.py", tmp_path / "nope.txt", "-o", tmp_path / "m"), "nope.txt", "no such file")
    bad = tmp_path / "bad.txt"
    bad.write_bytes("好 的\n".encode() + b"\xfe\xfe\n")
    assert_user_error(run("train.py", bad, "-o", tmp_path / "m"), "bad.txt:2", "byte offset 8")
    assert_user_error(run("segment.py", "--model", tmp_path / "nomodel", stdin="你好\n"), "no such model directory")
    assert_user_error(run("segment.py", "--model", seed_model, bad), "bad.txt:2")
    assert_user_error(run("segment.py", "--model", seed_model, bad, "--jobs", "2", "-o", tmp_path / "o.txt"),
                      "bad.txt:2", "byte offset 8")
    assert not (tmp_path / "o.txt").exists()
    assert_user_error(run("evaluate.py", NEWS_SEED, "--model", tmp_path / "nomodel"), "no such model directory")
    assert_user_error(run("train.py", NEWS_SEED, "-o", tmp_path / "m", "--features", "huge"), "unknown feature preset")
    assert not (tmp_path / "m").exists()


def test_zhseg_command_has_the_subcommands_and_a_version():
    import zhseg

    result = run("-m", "zhseg", "--help")
    assert result.returncode == 0, result.stderr
    for command in ("train", "segment", "evaluate", "benchmark"):
        assert command in result.stdout
    version = run("-m", "zhseg", "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"zhseg {zhseg.__version__}"


def test_python_m_zhseg_segments_like_the_root_script(seed_model):
    via_module = run("-m", "zhseg", "segment", "--model", seed_model, stdin="阿里云总裁\n")
    via_script = run("segment.py", "--model", seed_model, stdin="阿里云总裁\n")
    assert via_module.returncode == 0, via_module.stderr
    assert via_module.stdout == via_script.stdout and via_module.stdout.replace(" ", "") == "阿里云总裁\n"


def test_parallel_jobs_give_the_same_output_in_order(seed_model, tmp_path):
    text = WEB_SEED.read_text(encoding="utf-8").replace("@@", "") * 30  # > one block of lines
    source = tmp_path / "in.txt"
    source.write_text(text, encoding="utf-8")
    one = run("segment.py", "-m", seed_model, source)
    lines_in = text.count("\n") + (0 if text.endswith("\n") else 1)
    from zhseg.model import core

    for backend in ("compiled", "numpy") if core.available() else ("numpy",):  # threads over the core; processes on numpy
        two = run("segment.py", "-m", seed_model, source, "--jobs", "2", "--backend", backend)
        assert one.returncode == two.returncode == 0, two.stderr
        assert two.stdout == one.stdout and two.stdout.count("\n") == lines_in


def test_parallel_blocks_keep_their_order_when_this_process_helps(seed_model, tmp_path):
    from zhseg.textio import read_blocks
    from zhseg.model.pool import segment_parallel
    from zhseg.model.segmenter import Segmenter

    source = tmp_path / "in.txt"
    source.write_text(WEB_SEED.read_text(encoding="utf-8").replace("@@", "") * 8, encoding="utf-8")
    lines = source.read_text(encoding="utf-8").split("\n")
    expected = "".join(" ".join(words) + "\n" for words in Segmenter.load(seed_model).cut_lines(lines))
    # small blocks: the worker's queue fills at once and this process segments many blocks itself
    got = b"".join(segment_parallel(seed_model, read_blocks(source, "utf-8", 2048), 2))
    assert got.decode("utf-8") == expected


def test_raw_text_feeds_the_variety_preset_and_is_recorded(tmp_path):
    import json

    raw = tmp_path / "raw.txt"
    raw.write_text(WEB_SEED.read_text(encoding="utf-8").replace("@@", ""), encoding="utf-8")
    model = tmp_path / "m"
    assert_user_error(run("train.py", NEWS_SEED, "-o", model, "--features", "variety", "--raw", tmp_path / "nope.txt"),
                      "nope.txt", "no such file")
    result = run("train.py", NEWS_SEED, "-o", model, "--features", "variety", "--raw", raw, "--max-iterations", "20")
    assert result.returncode == 0, result.stderr
    training = json.loads((model / "meta.json").read_text(encoding="utf-8"))["training"]
    assert [f["path"] for f in training["raw_files"]] == [str(raw)] and training["raw_lines"] > 1
    assert (model / "variety.npz").is_file()
    segmented = run("segment.py", "-m", model, raw)
    assert segmented.returncode == 0 and segmented.stdout.count("\n") == len(raw.read_text(encoding="utf-8").split("\n"))


def test_jobs_are_capped_at_the_cpus_and_the_blocks(seed_model, tmp_path, monkeypatch):
    import os

    from zhseg.model import pool
    from zhseg.textio import read_blocks

    source = tmp_path / "one.txt"
    source.write_text("阿里云总裁\n", encoding="utf-8")
    result = run("segment.py", "-m", seed_model, source, "--jobs", "64")
    assert result.returncode == 0 and f"capped at {os.cpu_count()}" in result.stderr
    assert result.stdout.replace(" ", "") == "阿里云总裁\n"
    started = []
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: started.append(method))
    got = b"".join(pool.segment_parallel(seed_model, read_blocks(source, "utf-8"), 2))
    assert started == [] and got.decode("utf-8").replace(" ", "") == "阿里云总裁\n"  # one block: no pool


def test_segment_and_train_show_progress_in_a_log(seed_model, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("阿里云总裁今天天气很好。\n" * 300_000, encoding="utf-8")  # about 11 MB
    result = run("segment.py", "-m", seed_model, big, "-o", tmp_path / "out.txt")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "segmented:" in line]
    assert 5 <= len(lines) <= 12 and lines[-1].endswith("(100%)")  # every tenth, not a flood
    quiet = run("segment.py", "-m", seed_model, big, "-o", tmp_path / "out2.txt", "--quiet")
    assert "segmented" not in quiet.stderr and (tmp_path / "out2.txt").read_bytes() == (tmp_path / "out.txt").read_bytes()
    trained = run("train.py", NEWS_SEED, "-o", tmp_path / "m", "--max-iterations", "3")
    assert "sentences given to crfsuite" in trained.stderr


def test_segment_progress_counts_input_bytes_to_the_end(seed_model, tmp_path, monkeypatch):
    # the output is larger than the input (a space between words): progress measured on it would
    # read done before the last blocks are
    from zhseg.cli import segment as command

    monkeypatch.setattr(command, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(command, "BLOCK_BYTES", 1 << 12)
    source = tmp_path / "in.txt"
    source.write_text("阿里云总裁今天天气很好。\n" * 2_000, encoding="utf-8")
    for jobs in (1, 2):
        events = []
        command.segment_files([source], seed_model, tmp_path / "out.txt", jobs=jobs,
                              progress=lambda event, info: events.append((info["done"], info["total"])))
        dones = [done for done, _ in events]
        assert len(events) > 10 and dones == sorted(set(dones))
        assert {total for _, total in events} == {source.stat().st_size} and dones[-1] == source.stat().st_size


def test_help_reads_cleanly():
    for command in ("", "train", "segment", "evaluate", "benchmark", "standards"):
        result = subprocess.run([sys.executable, "-m", "zhseg", *([command] if command else []), "--help"],
                                capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        text = result.stdout
        assert "<" not in text and "[[" not in text and "]]" not in text, text
    segment = subprocess.run([sys.executable, "-m", "zhseg", "segment", "--help"], capture_output=True, text=True,
                             cwd=ROOT).stdout
    assert "'word [freq] [tag]'" in " ".join(segment.split())


def test_standards_lists_the_embedded_models():
    result = subprocess.run([sys.executable, "-m", "zhseg", "standards"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    import zhseg

    assert names == list(zhseg.standards()) and len(names) >= 2
    defaults = [line.split("\t")[0] for line in result.stdout.splitlines() if "(the default)" in line]
    assert defaults == [zhseg.load(zhseg.default_model_path()).standard]


@pytest.mark.parametrize("content, problem", [("阿里云总裁胡晓明接受专访\n今天天气很好\n", "unsegmented"),
                                              ("阿里云/nt 总裁/n 胡晓明/nr\n今天/t 天气/n 很/d 好/a\n", "word/TAG")])
def test_training_refuses_a_corpus_without_segmentation(tmp_path, content, problem):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(content, encoding="utf-8")
    result = run("train.py", corpus, "-o", tmp_path / "model", "--max-iterations", "5", "-q")
    assert_user_error(result, str(corpus), problem)
    assert not (tmp_path / "model").exists()
    forced = run("train.py", corpus, "-o", tmp_path / "model", "--max-iterations", "5", "-q", "--force")
    assert forced.returncode == 0, forced.stderr


def test_an_unwritable_or_too_long_output_fails_before_training(tmp_path):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        result = run("train.py", NEWS_SEED, "-o", locked / "sub" / "model", "-q")
        if os.geteuid() != 0:  # root writes anywhere: only the name check applies to it
            assert_user_error(result, "cannot write")
            assert "iteration" not in result.stderr
    finally:
        os.chmod(locked, 0o755)
    assert_user_error(run("train.py", NEWS_SEED, "-o", tmp_path / ("m" * 256), "-q"), "255 bytes")
    legal = tmp_path / ("m" * 254)
    result = run("train.py", NEWS_SEED, "-o", legal, "--max-iterations", "5", "-q")
    assert result.returncode == 0 and (legal / "meta.json").is_file(), result.stderr
