"""The public segmenting API: ``Segmenter.load(model_dir).cut(text)``.

Text is split at whitespace into chunks (whitespace is always a word boundary and is never part
of a word); each chunk is one sequence for the CRF. The words of a text therefore join back to
exactly its non-whitespace characters.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from features.corpus import Sentence
from features.fileio import TextBlock
from features.lexicon import Lexicon
from features.tags import WORD_END_TAGS, WORD_START_TAGS
from features.templates import FeatureConfig, attribute_strings, feature_keys, padded_bases
from features.variety import AccessorVariety
from model import store
from model.decode import CompiledCRF

CHUNK = re.compile(r"\S+")
BACKENDS = ("auto", "numpy", "numba", "crfsuite")
BATCH_CHARS = 100_000  # characters decoded together in bulk mode; bounds memory
SPLIT_MIN_CHARS = 512  # cut() sends texts at least this long down the bulk path


class Segmenter:
    """A trained segmenter.

    Use :meth:`load`; then :meth:`cut` for one text, :meth:`cut_lines` for many lines at once (much
    faster per character), :meth:`tokenize` for words with their offsets.

    backend: ``numpy`` decodes from the compiled arrays with numpy; ``numba`` does the dictionary
        matching, scoring and Viterbi compiled (the ``fast`` extra: about 1.3 times the speed per
        sentence); ``auto`` (the default) is ``numba`` when numba is installed, else ``numpy``;
        ``crfsuite`` feeds the same features to python-crfsuite's tagger, the reference the others
        are checked against. All give the same words.
    """

    def __init__(self, directory: Path, meta: dict, crf: CompiledCRF, backend: str = "auto"):
        self.directory = directory
        self.meta = meta
        self.crf = crf
        self.backend = resolve_backend(backend)
        self.config = FeatureConfig.from_json(meta["features"])
        self.template_names = tuple(meta["template_names"])
        labels = crf.labels
        self._start_label = np.array([label in WORD_START_TAGS for label in labels])
        self._end_label = np.array([label in WORD_END_TAGS for label in labels])
        self._label_index = {label: i for i, label in enumerate(labels)}
        self._tagger = None
        self._vocabulary: frozenset[str] | None = None
        # dictionary features match against the training vocabulary
        self.lexicon = (Lexicon(self.vocabulary, self.config.dictionary, compiled=self.backend == "numba")
                        if self.config.dictionary else None)
        self.variety = self._read_variety() if self.config.variety else None

    @classmethod
    def load(cls, directory: str | Path, backend: str = "auto") -> "Segmenter":
        """Load a model directory written by ``zhseg train``. Raises ModelError if it is not one."""
        directory = Path(directory)
        meta = store.read_meta(directory)
        try:
            config = FeatureConfig.from_json(meta["features"])
            if config.template_names() != list(meta["template_names"]):
                raise ValueError("the feature configuration does not match its templates")
            crf = CompiledCRF.from_arrays(store.read_arrays(directory), meta["labels"], config.templates())
        except (KeyError, ValueError, TypeError) as error:
            raise store.ModelError(f"{directory}: inconsistent model files ({error})") from None
        return cls(directory, meta, crf, backend)

    @property
    def vocabulary(self) -> frozenset[str]:
        """The words seen in training (loaded on first use)."""
        if self._vocabulary is None:
            self._vocabulary = store.read_vocab(self.directory)
        return self._vocabulary

    # -- public API -------------------------------------------------------------------------
    def cut(self, text: str) -> list[str]:
        """Segment one text into a list of words (whitespace separates words and is dropped)."""
        chunks = CHUNK.findall(text)
        if sum(map(len, chunks)) >= SPLIT_MIN_CHARS:
            return self._cut_batch([text])[0]
        return self._words(chunks)

    def cut_lines(self, lines: Iterable[str], batch_chars: int = BATCH_CHARS) -> Iterator[list[str]]:
        """Segment many lines, yielding one word list per line, in order.

        Lines are decoded in batches of about ``batch_chars`` characters, which is what makes bulk
        segmentation fast; memory stays bounded by the batch size (and the longest line).
        """
        for batch in _batches(lines, batch_chars):
            yield from self._cut_batch(batch)

    def segment_lines(self, lines: Iterable[str], sep: str = " ", batch_chars: int = BATCH_CHARS) -> Iterator[str]:
        """Segment many lines into text: each line's words joined by ``sep``, then a newline.

        Yields one string per batch of lines. The same words as :meth:`cut_lines`, without making
        a string per word: the command line's bulk path, where that saves a sixth of the time.
        """
        for batch in _batches(lines, batch_chars):
            yield self._segment_batch(batch, sep)

    def cut_sentences(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        """Segment the text of (gold) sentences, keeping their line numbers, ready for scoring."""
        cuts = self.cut_lines(s.text for s in sentences)
        return [Sentence(s.line_no, tuple(words)) for s, words in zip(sentences, cuts)]

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """Words with their ``(start, end)`` character offsets in ``text``: ``text[start:end] == word``."""
        tokens = []
        words = self.cut(text)
        chunk_iter = CHUNK.finditer(text)
        pos = end = 0
        for word in words:
            if pos >= end:  # the next word opens the next chunk
                chunk = next(chunk_iter)
                pos, end = chunk.start(), chunk.end()
            tokens.append((word, pos, pos + len(word)))
            pos += len(word)
        return tokens

    # -- internals --------------------------------------------------------------------------
    def _read_variety(self) -> AccessorVariety:
        try:
            variety = AccessorVariety.from_arrays(store.read_arrays(self.directory, store.VARIETY_FILE))
        except (KeyError, ValueError, TypeError) as error:
            raise store.ModelError(f"{self.directory}: inconsistent accessor variety tables ({error})") from None
        if variety.max_length != self.config.variety:
            raise store.ModelError(f"{self.directory}: accessor variety tables do not match the features")
        return variety

    def _cut_batch(self, lines: Sequence[str]) -> list[list[str]]:
        # The batch's text with one space between words and a newline after each line: str.split
        # then cuts the words out in C, twice as fast as slicing in Python. Chunks hold no
        # whitespace, so a space or newline is only ever a separator.
        text = self._segment_batch(lines, " ")
        return [line.split(" ") if line else [] for line in text.split("\n")[:-1]]

    def _segment_batch(self, lines: Sequence[str], sep: str) -> str:
        chunks_per_line = [CHUNK.findall(line) for line in lines]
        chunks = [chunk for line_chunks in chunks_per_line for chunk in line_chunks]
        lengths = np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks))
        text = "".join(chunks)
        n = len(text)
        line_chars = np.fromiter((sum(map(len, c)) for c in chunks_per_line), dtype=np.int64, count=len(lines))
        line_ends = np.cumsum(line_chars)
        # a separator before every word that does not open its line
        separated = self.word_starts(chunks, lengths) if n else np.zeros(0, dtype=bool)
        separated[line_ends[line_chars > 0] - line_chars[line_chars > 0]] = False
        width = len(sep)
        seps_through = np.cumsum(separated)  # separators up to and including each character
        newlines_before = np.searchsorted(line_ends, np.arange(n), side="right")
        char_at = np.arange(n) + width * seps_through + newlines_before
        newline_at = line_ends + np.arange(len(lines))
        after_text = line_ends > 0  # lines with characters before their end, their own or earlier
        newline_at[after_text] += width * seps_through[line_ends[after_text] - 1]
        size = n + width * int(seps_through[-1] if n else 0) + len(lines)
        out = np.empty(size, dtype="<u4")
        out[char_at] = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        out[newline_at] = ord("\n")
        sep_starts = char_at[separated] - width
        for k, code in enumerate(np.frombuffer(sep.encode("utf-32-le"), dtype="<u4").tolist()):
            out[sep_starts + k] = code
        return out.tobytes().decode("utf-32-le")

    def _words(self, chunks: list[str]) -> list[str]:
        """The words of the concatenated chunks of one short text, sliced out one by one (fewer
        operations than :meth:`_cut_batch` for a sentence)."""
        if not chunks:
            return []
        starts = self.word_starts(chunks, np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks)))
        text = "".join(chunks)
        bounds = np.flatnonzero(starts).tolist()
        bounds.append(len(text))
        return [text[a:b] for a, b in zip(bounds, bounds[1:])]

    def word_starts(self, chunks: Sequence[str], lengths: np.ndarray) -> np.ndarray:
        """A boolean per character of the concatenated chunks: does a word start here?"""
        labels = self.label_indices(chunks, lengths)
        starts = self._start_label[labels]
        if len(labels) > 1:
            starts[1:] |= self._end_label[labels[:-1]]
        if len(lengths) > 1:
            starts[np.cumsum(lengths[:-1])] = True  # every chunk opens a word
        if len(labels):
            starts[0] = True
        return starts

    def label_indices(self, chunks: Sequence[str], lengths: np.ndarray) -> np.ndarray:
        """The decoded label index of every character of the concatenated chunks."""
        if self.backend != "crfsuite":
            bases = padded_bases(chunks, self.config, self.lexicon, self.variety)
            return self.crf.decode(bases, lengths, compiled=self.backend == "numba")
        keys = feature_keys(chunks, self.config, self.lexicon, self.variety)
        tagger = self._crfsuite_tagger()
        labels = np.empty(len(keys), dtype=np.int64)
        offset = 0
        for length in lengths.tolist():
            rows = keys[offset : offset + length]
            tags = tagger.tag(attribute_strings(rows, self.template_names))
            labels[offset : offset + length] = [self._label_index[t] for t in tags]
            offset += length
        return labels

    def _crfsuite_tagger(self):
        if self._tagger is None:
            import pycrfsuite  # only the reference path needs it

            self._tagger = pycrfsuite.Tagger()
            self._tagger.open(str(store.crfsuite_path(self.directory)))
        return self._tagger


def resolve_backend(backend: str) -> str:
    """The backend ``backend`` names (``auto`` resolved); ValueError if unknown or not installed."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    numba_installed = importlib.util.find_spec("numba") is not None  # without importing it
    if backend == "auto":
        return "numba" if numba_installed else "numpy"
    if backend == "numba" and not numba_installed:
        raise ValueError("the numba backend needs numba: pip install 'zhseg[fast]'")
    return backend


def _batches(lines: Iterable[str], batch_chars: int) -> Iterator[list[str]]:
    """Consecutive lists of lines of at least ``batch_chars`` characters (the last may be short)."""
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= batch_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


# -- worker processes for bulk segmentation ------------------------------------------------------
_worker_segmenter: Segmenter | None = None  # set once in each worker process, never in the parent


def _load_worker(directory: str, backend: str) -> None:
    global _worker_segmenter
    _worker_segmenter = Segmenter.load(directory, backend=backend)


def _segment_block(block: TextBlock, sep: str, segmenter: Segmenter | None = None) -> bytes:
    return "".join((segmenter or _worker_segmenter).segment_lines(block.lines(), sep)).encode("utf-8")


def segment_parallel(directory: str | Path, blocks: Iterable[TextBlock], jobs: int, sep: str = " ",
                     backend: str = "auto", work_here: bool = True) -> Iterator[bytes]:
    """Segment blocks of lines in ``jobs`` processes; yield each block's output, UTF-8 encoded
    (a line per input line, words joined by ``sep``), in input order.

    Workers receive undecoded bytes and return encoded bytes, so the parent does little more than
    move data; a bounded number of blocks is in flight, so memory stays bounded however large the
    input. Workers are started with the ``spawn`` method, which behaves the same on every OS, and
    each loads the model once. With ``work_here`` this process is one of the ``jobs``: it loads
    the model while the workers start, and segments a block itself whenever the workers have
    enough queued, which also covers the half second a fresh worker needs before its first block.
    """
    import collections
    import multiprocessing

    workers = jobs - 1 if work_here else jobs
    queued_per_worker = 2
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_load_worker, initargs=(str(directory), backend)) as pool:
        local = Segmenter.load(directory, backend=backend) if work_here else None
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
    return item if isinstance(item, bytes) else item.get()
