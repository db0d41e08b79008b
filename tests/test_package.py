"""The installed package: one top-level name, a cheap import, the version in one place."""

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed: {result.stderr[-2000:]}")
    return next(out.glob("zhseg-*.whl"))


def test_the_wheel_installs_only_zhseg(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
        assert archive.read(top_level).decode().split() == ["zhseg"]
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"zhseg"}
    for module in ("zhseg/model/segmenter.py", "zhseg/features/templates.py", "zhseg/cli/segment.py",
                   "zhseg/features/data/t2s.tsv"):
        assert module in names
    shipped = sorted(n for n in names if n.startswith("zhseg/model/default/"))
    embedded = sorted(p.name for p in (ROOT / "model" / "default").iterdir())
    assert shipped == [f"zhseg/model/default/{name}" for name in embedded]  # the whole model, and data only:
    assert all(name.endswith((".npz", ".json", ".txt", ".tables")) for name in embedded)  # arrays, JSON, words, core tables


def test_import_zhseg_loads_no_numpy_and_no_model():
    probe = "import sys, zhseg; print(zhseg.__version__, 'numpy' in sys.modules, 'zhseg.model' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT.parent)
    assert result.returncode == 0, result.stderr
    import zhseg

    assert result.stdout.split() == [zhseg.__version__, "False", "False"]


def test_the_regex_module_loads_only_for_text_that_may_hold_a_grapheme_cluster():
    pytest.importorskip("zhseg._core", reason="the compiled core's scan decides (no C compiler)")
    probe = ("import sys, zhseg; zhseg.lcut('中国人民银行，今天↓①3.5%'); print('regex' in sys.modules); "
             "zhseg.lcut('cafe\\u0301'); print('regex' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_a_users_own_model_module_does_not_shadow_zhseg(tmp_path):
    (tmp_path / "model.py").write_text("raise ImportError('the user model.py')\n")
    (tmp_path / "features.py").write_text("raise ImportError('the user features.py')\n")
    result = subprocess.run([sys.executable, "-c", "from zhseg import Segmenter; print(Segmenter.__name__)"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Segmenter"
