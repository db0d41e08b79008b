"""Bulk segmentation on several cores (``segment --jobs N``): threads over the compiled core, which
releases the GIL while it reads a block and decodes it (one model in memory, no start-up), else
worker processes."""

from __future__ import annotations

import collections
import itertools
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from zhseg.model.segmenter import Segmenter, ordered_map
from zhseg.errors import signals_held
from zhseg.textio import TextBlock

_worker_segmenter: Segmenter | None = None  # set once in each worker process, never in the parent


def _load_worker(directory: str, backend: str, rules: bool, user_dicts: tuple[str, ...], standard: str | None) -> None:
    global _worker_segmenter
    _worker_segmenter = _load(directory, backend, rules, user_dicts, standard)


def _load(directory: str | Path, backend: str, rules: bool, user_dicts: Sequence[str], standard: str | None) -> Segmenter:
    return Segmenter.load(directory, backend=backend, rules=rules, user_dicts=user_dicts, standard=standard)


def _segment_block(block: TextBlock, sep: str, segmenter: Segmenter | None = None) -> bytes:
    return (segmenter or _worker_segmenter).segment_block(block, sep)


def segment_threads(segmenter: Segmenter, blocks: Iterable[TextBlock], jobs: int, sep: str = " ") -> Iterator[bytes]:
    """Segment blocks of lines on ``jobs`` threads sharing ``segmenter`` (compiled backend: its core
    decodes without the GIL); yield each block's output, UTF-8 encoded, in input order, with a
    bounded number of blocks in flight."""
    return ordered_map(lambda block: _segment_block(block, sep, segmenter), blocks, jobs)


def segment_parallel(directory: str | Path, blocks: Iterable[TextBlock], jobs: int, sep: str = " ",
                     backend: str = "auto", work_here: bool = True, rules: bool = True,
                     user_dicts: Sequence[str] = (), standard: str | None = None,
                     local: Segmenter | None = None) -> Iterator[bytes]:
    """Segment blocks of lines in ``jobs`` processes; yield each block's output, UTF-8 encoded
    (a line per input line, words joined by ``sep``), in input order.

    Workers receive undecoded bytes and return encoded bytes, so the parent does little more than
    move data; a bounded number of blocks is in flight, so memory stays bounded however large the
    input. Workers are started with the ``spawn`` method, which behaves the same on every OS, and
    each loads the model once. With ``work_here`` this process is one of the ``jobs``: it loads
    the model while the workers start, and segments a block itself whenever the workers have
    enough queued, which also covers the half second a fresh worker needs before its first block.
    ``rules``, ``user_dicts`` (jieba-format files) and ``standard`` configure every process's
    Segmenter alike; ``local``, a Segmenter of those settings already loaded here, saves loading
    another.
    """
    user_dicts = tuple(map(str, user_dicts))
    # never more workers than there are blocks to give them (a one-line file starts none)
    blocks = iter(blocks)
    head = list(itertools.islice(blocks, 2 * jobs))
    workers = min(jobs - 1 if work_here else jobs, len(head) - (1 if work_here else 0))
    if workers <= 0:
        local = local or _load(directory, backend, rules, user_dicts, standard)
        for block in head:
            yield _segment_block(block, sep, local)
        return
    blocks = itertools.chain(head, blocks)
    import multiprocessing  # here: `segment` on threads or in one thread does not pay its 8 ms import

    context = multiprocessing.get_context("spawn")
    pool = None
    try:
        with signals_held():  # a signal while a worker is handed its start-up data would crash it mid-read
            pool = context.Pool(workers, initializer=_load_worker,
                                initargs=(str(directory), backend, rules, user_dicts, standard))
        yield from _feed(pool, blocks, jobs, workers, sep, directory, backend, rules, user_dicts, standard,
                         work_here, local)
    finally:
        if pool is not None:
            with signals_held():  # no second signal while the workers are stopped
                pool.terminate()
                pool.join()


def _feed(pool, blocks, jobs, workers, sep, directory, backend, rules, user_dicts, standard, work_here, local):
    """:func:`segment_parallel`'s loop: blocks to the workers (or here), outputs in input order."""
    queued_per_worker = 2
    if work_here and local is None:
        local = _load(directory, backend, rules, user_dicts, standard)
    elif not work_here:
        local = None
    pending: collections.deque = collections.deque()  # bytes, or a worker's pending result
    for block in blocks:
        busy = sum(1 for item in pending if not _is_done(item))
        if local is not None and busy >= queued_per_worker * workers:
            pending.append(_segment_block(block, sep, local))
        else:
            pending.append(pool.apply_async(_segment_block, (block, sep)))
        while pending and (_is_done(pending[0]) or len(pending) > 4 * jobs):
            yield _output(pending.popleft())
    while pending:
        yield _output(pending.popleft())


def _is_done(item) -> bool:
    return isinstance(item, bytes) or item.ready()


def _output(item) -> bytes:
    """A block's output: segmented here already, or a worker's result (waited for)."""
    if isinstance(item, bytes):
        return item
    with signals_held():  # the wait takes the result's Event lock, which the pool's result thread needs: see ordered_map
        return item.get()
