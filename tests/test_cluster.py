"""Segmenting on Dask: a LocalCluster of two worker processes on loopback gives, line for line,
what one process gives. Skipped without the dask extra."""

import pytest

from tests.conftest import WEB_SEED
from tests.test_cli import assert_user_error, run

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install 'zhseg[dask]')")


@pytest.fixture(scope="module")
def client():
    from zhseg.cluster import connect

    with connect("local:2") as client:
        yield client


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask")
    web = WEB_SEED.read_text(encoding="utf-8").replace("@@", "")
    regular = folder / "web.txt"
    regular.write_text(web * 30, encoding="utf-8")
    long_line = folder / "long.txt"  # one very long line between short ones
    long_line.write_text("阿里云总裁\n" + web.replace("\n", "") * 20 + "\n今天天气很好\n", encoding="utf-8")
    unterminated = folder / "no-final-newline.txt"
    unterminated.write_text("第一行\n阿里云总裁", encoding="utf-8")
    return [regular, long_line, unterminated]


def test_files_on_two_workers_equal_one_process(seed_model, client, inputs):
    from zhseg.cluster import SegmenterSpec, segment_files_on
    from zhseg.model.segmenter import Segmenter
    from zhseg.textio import read_lines

    local = Segmenter.load(seed_model)
    spec = SegmenterSpec.make(seed_model)
    for path in inputs:
        expected = "".join(local.segment_lines(text for _, text in read_lines(path)))
        got = b"".join(segment_files_on(client, [path], spec, block_bytes=4096)).decode("utf-8")
        assert got == expected, path.name
    assert len(client.scheduler_info()["workers"]) == 2


def test_bags_and_dataframes_keep_partition_order(seed_model, client, inputs):
    import dask.bag as db
    import pandas as pd

    from zhseg.cluster import segment_bag, segment_dataframe
    from zhseg.model.segmenter import Segmenter

    local = Segmenter.load(seed_model)
    lines = inputs[0].read_text(encoding="utf-8").split("\n")[:400]
    bag = db.from_sequence(lines, npartitions=7)
    assert segment_bag(bag, seed_model).compute() == list(local.cut_lines(lines))
    assert segment_bag(bag, seed_model, sep="/").compute() == ["/".join(w) for w in local.cut_lines(lines)]
    dd = pytest.importorskip("dask.dataframe")
    frame = dd.from_pandas(pd.DataFrame({"text": lines, "n": range(len(lines))}), npartitions=5)
    out = segment_dataframe(frame, "text", seed_model, out_column="seg", sep=" ").compute()
    assert out["n"].tolist() == list(range(len(lines)))
    assert out["seg"].tolist() == [" ".join(w) for w in local.cut_lines(lines)]


def test_segment_command_on_a_local_cluster(seed_model, inputs, tmp_path):
    user = tmp_path / "user.txt"
    user.write_text("云总裁\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    result = run("segment.py", "-m", seed_model, *inputs, "-o", out, "--dask", "local:2", "--user-dict", user,
                 "--sep", "|")
    assert result.returncode == 0, result.stderr
    single = run("segment.py", "-m", seed_model, *inputs, "--user-dict", user, "--sep", "|")
    assert out.read_text(encoding="utf-8") == single.stdout
    assert_user_error(run("segment.py", "-m", seed_model, "--dask", "local:0", inputs[2]), "local:N")
    assert_user_error(run("segment.py", "-m", seed_model, "--dask", "local:2", stdin="x\n"), "stdin is not read")
