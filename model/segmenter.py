"""The public segmenting API: ``Segmenter.load(model_dir).cut(text)``.

Text is split at whitespace into chunks (whitespace is always a word boundary and is never part
of a word); each chunk is one sequence for the CRF. The words of a text therefore join back to
exactly its non-whitespace characters.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from zhseg.features.corpus import Sentence
from zhseg.features.lexicon import Lexicon
from zhseg.features.tags import WORD_END_TAGS, WORD_START_TAGS, word_start_flags
from zhseg.features.templates import feature_keys, padded_bases
from zhseg.model import store
from zhseg.model.assemble import line_lengths, slice_words, spaced_lines, split_spaced
from zhseg.model.crfsuite_file import attribute_strings

CHUNK = re.compile(r"\S+")
BACKENDS = ("numpy", "numba", "auto", "crfsuite")
DEFAULT_BACKEND = "numpy"
BATCH_CHARS = 100_000  # characters decoded together in bulk mode; bounds memory
SPLIT_MIN_CHARS = 512  # cut() sends texts at least this long down the bulk path


class Segmenter:
    """A trained segmenter.

    Use :meth:`load`; then :meth:`cut` for one text, :meth:`cut_lines` for many lines at once (much
    faster per character), :meth:`tokenize` for words with their offsets.

    backend: the rule is the same for the Python API and the command lines: ``numpy`` (the
        default) decodes from the compiled arrays with numpy, and a fresh process has its first
        words soonest; ``numba`` does the dictionary matching, scoring and Viterbi compiled (the
        ``fast`` extra): about 1.3 times the speed per sentence, after about 0.9 s of start-up,
        so it pays for long-running processes and inputs of tens of MB; ``auto`` is ``numba``
        when numba is installed, else ``numpy``; ``crfsuite`` feeds the same features to
        python-crfsuite's tagger, the reference the others are checked against. All give the
        same words.
    """

    def __init__(self, model: store.Model, backend: str = DEFAULT_BACKEND):
        self.model = model
        self.backend = resolve_backend(backend)
        self.config = model.config
        self.crf = model.crf
        labels = self.crf.labels
        self._start_label = np.array([label in WORD_START_TAGS for label in labels])
        self._end_label = np.array([label in WORD_END_TAGS for label in labels])
        self._label_index = {label: i for i, label in enumerate(labels)}
        self._tagger = None
        self._tagger_lock = threading.Lock()  # one crfsuite tagger, not safe to share between threads
        # dictionary features match against the training vocabulary
        self.lexicon = (Lexicon(model.vocabulary, self.config.dictionary, compiled=self.backend == "numba")
                        if self.config.dictionary else None)

    @classmethod
    def load(cls, directory: str | Path, backend: str = DEFAULT_BACKEND) -> "Segmenter":
        """Load a model directory written by ``zhseg train``. Raises ModelError if it is not one."""
        return cls(store.load(directory), backend)

    def save(self, directory: str | Path) -> Path:
        """Write this segmenter's model as a model directory (atomically)."""
        return store.save(self.model, directory)

    @property
    def meta(self) -> dict:
        return self.model.meta

    @property
    def vocabulary(self) -> frozenset[str]:
        """The words seen in training."""
        return self.model.vocabulary

    # -- public API -------------------------------------------------------------------------
    def cut(self, text: str) -> list[str]:
        """Segment one text into a list of words (whitespace separates words and is dropped)."""
        chunks = CHUNK.findall(text)
        if sum(map(len, chunks)) >= SPLIT_MIN_CHARS:
            return self._cut_batch([text])[0]
        if not chunks:
            return []
        return slice_words("".join(chunks), self._word_starts(chunks, _lengths(chunks)))

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
    def _cut_batch(self, lines: Sequence[str]) -> list[list[str]]:
        return split_spaced(self._segment_batch(lines, " "))

    def _segment_batch(self, lines: Sequence[str], sep: str) -> str:
        chunks_per_line = [CHUNK.findall(line) for line in lines]
        chunks = [chunk for line_chunks in chunks_per_line for chunk in line_chunks]
        starts = self._word_starts(chunks, _lengths(chunks)) if chunks else np.zeros(0, dtype=bool)
        return spaced_lines("".join(chunks), starts, line_lengths(chunks_per_line), sep)

    def _word_starts(self, chunks: Sequence[str], lengths: np.ndarray) -> np.ndarray:
        """A boolean per character of the concatenated chunks: does a word start here?"""
        labels = self._label_indices(chunks, lengths)
        starts = word_start_flags(self._start_label[labels], self._end_label[labels])
        if len(lengths) > 1:
            starts[np.cumsum(lengths[:-1])] = True  # every chunk opens a word
        return starts

    def _label_indices(self, chunks: Sequence[str], lengths: np.ndarray) -> np.ndarray:
        """The decoded label index of every character of the concatenated chunks."""
        if self.backend != "crfsuite":
            bases = padded_bases(chunks, self.config, self.lexicon, self.model.variety, order=self.crf.bases)
            return self.crf.decode(bases, lengths, compiled=self.backend == "numba")
        keys = feature_keys(chunks, self.config, self.lexicon, self.model.variety)
        names = self.config.template_names()
        labels = np.empty(len(keys), dtype=np.int64)
        offset = 0
        with self._tagger_lock:
            tagger = self._crfsuite_tagger()
            for length in lengths.tolist():
                tags = tagger.tag(attribute_strings(keys[offset : offset + length], names))
                labels[offset : offset + length] = [self._label_index[t] for t in tags]
                offset += length
        return labels

    def _crfsuite_tagger(self):
        if self._tagger is None:
            import pycrfsuite  # only the reference path needs it

            source = self.model.crfsuite
            if source is None:
                raise store.ModelError("the crfsuite backend needs a model directory with model.crfsuite; "
                                       "this model has none (use the numpy or numba backend)")
            tagger = pycrfsuite.Tagger()
            if isinstance(source, bytes):
                tagger.open_inmemory(source)
            else:
                tagger.open(str(source))
            self._tagger = tagger
        return self._tagger


def _lengths(chunks: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks))


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
