"""The compiled core's stored tables (a model directory's core.tables): read back, they are the
tables the core builds, bit for bit; tables of anything else are not read; damaged ones are a
one-line error, and ones whose indices point out of bounds are refused even when their checksum
is right."""

import struct

import numpy as np
import pytest

from tests.conftest import CORPORA, NEWS_SEED, WEB_SEED
from tests.test_store import copy_model

pytest.importorskip("zhseg._core", reason="the compiled core was not built (no C compiler)")

from zhseg import Segmenter, _core  # noqa: E402
from zhseg.features.corpus import read_corpus  # noqa: E402
from zhseg.model import core, store  # noqa: E402

HEADER = 48  # magic, byte order, layout and tag length, payload length, checksum, reserved (zhseg/_core.c)
FNV_SEED, FNV_PRIME, FIB = 0xCBF29CE484222325, 0x100000001B3, 0x9E3779B97F4A7C15


def built_core(segmenter):
    """The core built from the model's arrays, as a model without stored tables gets it."""
    return core.build(segmenter._core_spec())


def read_without_building(directory, monkeypatch, **options):
    """A Segmenter of ``directory`` whose core must come from its stored tables (building fails)."""
    segmenter = Segmenter.load(directory, backend="compiled", **options)
    monkeypatch.setattr(core, "build", lambda spec: pytest.fail("the core was built, not read"))
    segmenter._compiled_core()
    monkeypatch.undo()
    return segmenter


def sample_lines():
    text = WEB_SEED.read_text(encoding="utf-8").replace("@@", "").split("\n")
    return text + [s.text for s in read_corpus(NEWS_SEED)]


def test_the_default_model_reads_the_tables_the_core_builds(monkeypatch):
    """The embedded model's core.tables are current: what today's core builds from its arrays, byte
    for byte (after a change to the core's layout, `make core-tables` writes them anew)."""
    import zhseg

    segmenter = read_without_building(zhseg.default_model_path(), monkeypatch)
    stored, built = segmenter._compiled_core(), built_core(segmenter)
    assert stored.tables(segmenter._tables_tag()) == built.tables(segmenter._tables_tag())
    assert stored.memory == built.memory
    lines = sample_lines()
    assert stored.words(lines, None, None, None, False) == built.words(lines, None, None, None, False)


def test_a_trained_model_carries_its_tables_and_reads_them(seed_model, monkeypatch):
    segmenter = read_without_building(seed_model, monkeypatch)
    reference = Segmenter.load(seed_model, backend="numpy")
    lines = sample_lines()
    assert list(segmenter.cut_lines(lines)) == list(reference.cut_lines(lines))
    tag = segmenter._tables_tag()
    assert segmenter._compiled_core().tables(tag) == built_core(segmenter).tables(tag)


def test_tables_of_another_standard_or_setting_are_not_read(seed_model):
    segmenter = Segmenter.load(seed_model, backend="compiled")
    tag = segmenter._tables_tag()
    data = segmenter._compiled_core().tables(tag)
    assert _core.load_tables(data, tag) is not None
    other = store.tables_tag(segmenter.model.meta, segmenter.standard, not segmenter.isolate)
    assert other != tag
    assert _core.load_tables(data, other) is None
    unconstrained = Segmenter.load(seed_model, backend="compiled", rules=False)  # isolate off: its own, built
    assert unconstrained._compiled_core() is not segmenter._compiled_core()
    assert unconstrained.lcut("今天，天气很好！") == Segmenter.load(seed_model, backend="numpy", rules=False).lcut("今天，天气很好！")
    layout = bytearray(data)
    layout[16] ^= 0xFF  # another layout of the core: built anew, not an error
    assert _core.load_tables(bytes(layout), tag) is None


def test_damaged_tables_are_a_one_line_error_naming_the_file(seed_model, tmp_path):
    model = copy_model(seed_model, tmp_path)
    tables = model / store.TABLES_FILE
    data = bytearray(tables.read_bytes())
    data[len(data) // 2] ^= 0x10  # the size unchanged: only the checksum tells
    tables.write_bytes(bytes(data))
    with pytest.raises(store.ModelError) as error:
        Segmenter.load(model, backend="compiled").lcut("今天天气很好")
    assert str(tables) in str(error.value) and "damaged" in str(error.value) and "checksum" in str(error.value)
    assert "\n" not in str(error.value)
    tables.write_bytes(bytes(data[:-8]))  # truncated: the size meta.json recorded differs
    with pytest.raises(store.ModelError, match="truncated or changed"):
        Segmenter.load(model, backend="compiled")
    tables.unlink()  # as the error advises: the core then builds its own
    segmenter = Segmenter.load(model, backend="compiled")
    assert segmenter.model.tables is None
    assert segmenter.lcut("今天天气很好") == Segmenter.load(seed_model, backend="numpy").lcut("今天天气很好")


def checksum(payload: bytes) -> int:
    """zhseg/_core.c's tables_checksum: FNV-style over 64-bit words in four lanes."""
    words = np.frombuffer(payload, dtype="<u8")
    whole = len(words) // 4 * 4
    lanes = np.array([FNV_SEED, FNV_SEED ^ 1, FNV_SEED ^ 2, FNV_SEED ^ 3], dtype=np.uint64)
    prime = np.uint64(FNV_PRIME)
    with np.errstate(over="ignore"):
        for row in words[:whole].reshape(-1, 4):
            lanes = (lanes ^ row) * prime
        for word in words[whole:]:
            lanes[0] = (lanes[0] ^ word) * prime
    h = [int(x) for x in lanes]
    mask = (1 << 64) - 1
    return ((((h[0] * FIB) & mask ^ h[1]) * FIB) & mask ^ h[2]) * FIB & mask ^ h[3]


def resealed(data: bytearray) -> bytes:
    """``data`` with its checksum made right again for what it now holds."""
    tag_length = struct.unpack_from("<Q", data, 16)[0] >> 32
    head = HEADER + (tag_length + 7) // 8 * 8
    struct.pack_into("<Q", data, 32, checksum(bytes(data[head:])))
    return bytes(data)


def test_the_checksum_is_the_cores(seed_model):
    segmenter = Segmenter.load(seed_model, backend="compiled")
    data = segmenter._compiled_core().tables(segmenter._tables_tag())
    assert resealed(bytearray(data)) == data


def patched(data: bytes, pattern: bytes, new: bytes, at: int = 0, where=lambda data, k: True) -> bytearray:
    """``data`` with the bytes at ``at`` from the first occurrence of ``pattern`` (for which
    ``where`` holds) replaced by ``new``."""
    k = data.find(pattern)
    while k >= 0 and not where(data, k):
        k = data.find(pattern, k + 1)
    assert k >= 0, "pattern not found"
    out = bytearray(data)
    out[k + at:k + at + len(new)] = new
    return out


def test_tables_pointing_out_of_bounds_are_refused_even_with_a_right_checksum(seed_model):
    """What a crafted file could make the decoder read past its arrays: each is found and refused."""
    segmenter = Segmenter.load(seed_model, backend="compiled")
    tag = segmenter._tables_tag()
    data = segmenter._compiled_core().tables(tag)
    spec = segmenter._core_spec()
    templates = b"".join(struct.pack("<3i", *t) for t in spec["templates"])
    digits = struct.pack("<4I", *map(ord, "0123"))  # the folding of '0'..'3', themselves

    def is_record(data, k):  # a character's key followed by a record: row and mask in range
        row, mask = struct.unpack_from("<II", data, k + 12)[0], struct.unpack_from("<I", data, k + 8)[0]
        return k % 8 == 0 and 0 < mask < 1 << 8 and row < 1 << 24

    cases = {
        "a template": patched(data, templates, struct.pack("<i", 10 ** 6)),  # its base
        "a folded code point": patched(data, digits, struct.pack("<I", 0x7FFFFFFF)),
        "a record": patched(data, struct.pack("<q", ord("的")), struct.pack("<I", 0xFFFFFF00), at=12, where=is_record),
    }
    for problem, damaged in cases.items():
        with pytest.raises(ValueError, match=f"^{problem} out of range$"):
            _core.load_tables(resealed(damaged), tag)


def test_add_core_tables_writes_them_for_a_model_that_has_none(seed_model, tmp_path, monkeypatch):
    model = copy_model(seed_model, tmp_path)
    loaded = store.load(model)
    store.save(loaded, tmp_path / "bare", tables=False)
    assert not (tmp_path / "bare" / store.TABLES_FILE).exists() and store.load(tmp_path / "bare").tables is None
    assert store.add_core_tables(tmp_path / "bare") == tmp_path / "bare" / store.TABLES_FILE
    assert not [p for p in (tmp_path / "bare").iterdir() if p.name.startswith(".")]  # nothing left behind
    segmenter = read_without_building(tmp_path / "bare", monkeypatch)
    reference = Segmenter.load(seed_model, backend="numpy")
    lines = sample_lines()
    assert list(segmenter.cut_lines(lines)) == list(reference.cut_lines(lines))


@pytest.mark.skipif(not (CORPORA / "ctb6").is_dir(), reason="needs ../shared/corpora")
def test_stored_and_built_cores_give_the_same_words_on_a_test_split(monkeypatch):
    import zhseg

    segmenter = read_without_building(zhseg.default_model_path(), monkeypatch)
    lines = [s.text for s in read_corpus(CORPORA / "nlpcc2016-weibo" / "test.txt")]
    stored, built = segmenter._compiled_core(), built_core(segmenter)
    assert stored.words(lines, None, None, None, False) == built.words(lines, None, None, None, False)


def test_a_save_that_cannot_build_the_tables_keeps_the_model_without_them(seed_model, tmp_path, monkeypatch):
    """The tables are derived: memory running out building them never costs the model itself."""
    def out_of_memory(self):
        raise MemoryError

    loaded = store.load(seed_model)
    with monkeypatch.context() as patched_core:
        patched_core.setattr(Segmenter, "_compiled_core", out_of_memory)
        store.save(loaded, tmp_path / "saved")
    assert not (tmp_path / "saved" / store.TABLES_FILE).exists()
    assert store.TABLES_FILE not in store.load(tmp_path / "saved").meta["files"]
    assert (Segmenter.load(tmp_path / "saved", backend="compiled").lcut("今天天气很好")
            == Segmenter.load(seed_model, backend="numpy").lcut("今天天气很好"))
