"""Segmenting on Dask (the ``dask`` extra: ``pip install 'zhseg[dask]'``), for corpora beyond one
machine.

    import dask.bag as db
    from zhseg.cluster import segment_bag
    words = segment_bag(db.read_text("corpus/*.txt"), model="/shared/models/my-model")

    import dask.dataframe as dd
    from zhseg.cluster import segment_dataframe
    df = segment_dataframe(dd.read_parquet("docs/"), "text", model="/shared/models/my-model")

Every worker loads the model once, from a path it can read (shared storage; the embedded default
model when ``model`` is None), and keeps it for later tasks; only the path and the settings
travel to the workers, never a model or code of ours in a pickle (the task functions are this
module's, imported by name). Partitions keep their order.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from zhseg.errors import UserError

_segmenters: dict = {}  # per worker process: one Segmenter per settings
_segmenters_lock = threading.Lock()


@dataclass(frozen=True)
class SegmenterSpec:
    """What a worker needs to build the Segmenter: plain data (paths and settings)."""

    model: str | None = None
    rules: bool = True
    user_dicts: tuple[str, ...] = ()
    standard: str | None = None
    backend: str = "auto"

    @classmethod
    def make(cls, model, rules: bool = True, user_dicts: Sequence = (), standard: str | None = None,
             backend: str = "auto") -> "SegmenterSpec":
        """Absolute paths, so that workers started elsewhere find the same files."""
        return cls(str(Path(model).resolve()) if model is not None else None, rules,
                   tuple(str(Path(p).resolve()) for p in user_dicts), standard, backend)

    def segmenter(self):
        """This process's Segmenter for these settings, loaded on first use."""
        with _segmenters_lock:
            segmenter = _segmenters.get(self)
            if segmenter is None:
                from zhseg.model.segmenter import Segmenter
                from zhseg.model.store import model_or_default

                segmenter = Segmenter.load(model_or_default(self.model), backend=self.backend, rules=self.rules,
                                           user_dicts=self.user_dicts, standard=self.standard)
                _segmenters[self] = segmenter
        return segmenter


def _cut_partition(lines, spec: SegmenterSpec, sep: str | None):
    segmenter = spec.segmenter()
    lines = [line.rstrip("\r\n") for line in lines]
    if sep is None:
        return list(segmenter.cut_lines(lines))
    return "".join(segmenter.segment_lines(lines, sep)).split("\n")[:-1]


def segment_bag(bag, model=None, *, sep: str | None = None, rules: bool = True, user_dicts: Sequence = (),
                standard: str | None = None, backend: str = "auto"):
    """A bag of lines (``db.read_text``'s line ends are dropped) to a bag of word lists, or, with
    ``sep``, of lines of words joined by ``sep``. ``model``: a model directory every worker can
    read (default: the embedded model); the other settings as for :class:`Segmenter`."""
    spec = SegmenterSpec.make(model, rules, user_dicts, standard, backend)
    return bag.map_partitions(_cut_partition, spec, sep)


def _cut_frame(frame, column: str, out_column: str, spec: SegmenterSpec, sep: str | None):
    words = _cut_partition(frame[column].fillna("").astype(str).tolist(), spec, sep)
    return frame.assign(**{out_column: words})


def segment_dataframe(df, column: str, model=None, *, out_column: str = "words", sep: str | None = None,
                      rules: bool = True, user_dicts: Sequence = (), standard: str | None = None,
                      backend: str = "auto"):
    """``df`` with ``out_column`` added: the words of ``column``'s text (a list per row, or with
    ``sep`` one string). Missing text segments as empty."""
    spec = SegmenterSpec.make(model, rules, user_dicts, standard, backend)
    meta = df._meta.assign(**{out_column: df._meta[column].astype(object)})
    return df.map_partitions(_cut_frame, column, out_column, spec, sep, meta=meta)


# -- files: the ``segment --dask`` path --------------------------------------------------------------
MAX_BLOCK_BYTES = 64 << 20  # a task's share of a file at most; whole lines (split at line ends)
MIN_BLOCK_BYTES = 1 << 20  # below this the scheduler's overhead per block starts to show


def _segment_block(data: bytes, name: str, offset: int, encoding: str, spec: SegmenterSpec, sep: str) -> bytes:
    from zhseg.textio import TextBlock

    block = TextBlock(data, name, first_line=0, offset=offset, encoding=encoding)
    segmenter = spec.segmenter()
    try:
        return segmenter.segment_block(block, sep)
    except UserError:  # a worker does not know the line number; the byte offset says where
        raise UserError(f"{name}: cannot decode the block starting near byte offset {offset} as {encoding}; "
                        "try --encoding") from None


def dask_settings_for_workers():
    """Dask settings under which workers segment as fast as one process does (measured: a block
    took 2.5 times as long with Dask's defaults). Dask's nanny starts workers with
    ``MALLOC_TRIM_THRESHOLD_=65536``, so every large temporary numpy array decoding frees goes back
    to the OS and the next is page-faulted in again; and the workers' statistical profiler samples
    every thread's stack each 10 ms, holding the GIL. Both are switched off for the workers started
    here; README.md says how to start a cluster's workers the same way."""
    import dask

    environ = {key: value for key, value in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
               if key != "MALLOC_TRIM_THRESHOLD_"}
    return dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                            "distributed.worker.profile.enabled": False})


@contextlib.contextmanager
def connect(address: str):
    """A distributed Client, closed on exit: ``local:N`` starts (and stops) a LocalCluster of N
    worker processes on loopback; anything else is a scheduler address (``tcp://host:8786``)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserError("--dask needs the dask extra: pip install 'zhseg[dask]'") from None
    if address.startswith("local:"):
        count = address.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise UserError(f"--dask {address}: expected local:N with N >= 1 workers")
        with dask_settings_for_workers(), LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                                                        host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout="30s")
    except OSError as error:
        raise UserError(f"--dask {address}: cannot reach the scheduler ({error})") from None
    with client:
        yield client


def segment_files_on(client, paths: Sequence[Path], spec: SegmenterSpec, sep: str = " ", encoding: str = "utf-8",
                     block_bytes: int | None = None, in_flight: int | None = None) -> Iterator[bytes]:
    """Yield the segmented output of ``paths`` block by block, in input order, computed on
    ``client``'s workers; at most ``in_flight`` blocks (default: two per worker) are pending,
    so the client's memory stays bounded however large the input. ``block_bytes`` defaults to
    a quarter of a file's share per worker, between 1 and 64 MB."""
    from collections import deque

    from dask.bytes import read_bytes

    from zhseg.textio import check_encoding

    encoding = check_encoding(encoding)
    for path in paths:
        if not Path(path).is_file():
            raise UserError(f"{path}: no such file")
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    in_flight = in_flight or 2 * workers
    pending: deque = deque()
    for path in paths:
        size = Path(path).stat().st_size
        chosen = block_bytes or min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, size // (4 * workers) + 1))
        _, blocks = read_bytes(str(path), delimiter=b"\n", blocksize=chosen, sample=False)
        offset = 0
        for block in blocks[0]:
            # each block's byte offset, for error messages: dask splits at blocksize multiples,
            # moved to the next line end
            pending.append(client.compute(_delayed_segment(block, str(path), offset, encoding, spec, sep)))
            offset += chosen
            while len(pending) >= in_flight:
                yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _delayed_segment(block, name, offset, encoding, spec, sep):
    from dask import delayed

    return delayed(_segment_block, pure=True)(block, name, offset, encoding, spec, sep)
