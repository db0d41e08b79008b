"""Reading gold-segmented corpora: whitespace-separated words, a custom separator, or CoNLL-U.

Every reader yields :class:`Sentence` objects carrying the line number they came from, so later
errors (a character mismatch in evaluation, say) can name the line.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from zhseg.errors import UserError
from zhseg.textio import read_lines

FORMATS = ("text", "conllu")


@dataclass(frozen=True)
class Sentence:
    """One unit of a corpus: a line of a text file, or one CoNLL-U sentence."""

    line_no: int
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(self.words)


@dataclass(frozen=True)
class PartialSentence:
    """A line of partially segmented text: ``chunks`` lie between known word boundaries (a
    separator such as ``@@``, or whitespace); inside a chunk the boundaries are unknown.
    ``marked`` flags, per chunk after the first, whether the boundary before it was marked by the
    separator alone (not also by whitespace, which is a boundary anyway)."""

    line_no: int
    chunks: tuple[str, ...]
    marked: tuple[bool, ...]

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def boundaries(self, marked_only: bool = False) -> list[int]:
        """Character offsets in :attr:`text` of the known boundaries between chunks."""
        offsets, position = [], 0
        for chunk, is_marked in zip(self.chunks, (False,) + self.marked):
            if position and (is_marked or not marked_only):
                offsets.append(position)
            position += len(chunk)
        return offsets


def split_partial(line: str, sep: str) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    """The chunks of a partially segmented line and, per chunk after the first, whether the
    separator alone marks the boundary before it (doubled separators and lines of whitespace
    are fine: empty pieces are dropped)."""
    chunks: list[str] = []
    marked: list[bool] = []
    pending_mark = False
    for k, piece in enumerate(line.split(sep)):
        if k:
            pending_mark = True
        words = piece.split()
        for j, word in enumerate(words):
            if chunks:
                marked.append(pending_mark and j == 0 and not piece[:1].isspace())
            chunks.append(word)
            pending_mark = False
        if words and piece[-1:].isspace():
            pending_mark = False
    return tuple(chunks), tuple(marked)


def read_partial(path: str | Path, sep: str = "@@", encoding: str = "utf-8") -> list[PartialSentence]:
    """Read partially segmented text (``--partial``): every separator and every run of
    whitespace is a known boundary; lines with no text are skipped."""
    if not sep:
        raise UserError("partially segmented text needs a separator (--sep or --partial-sep, e.g. '@@')")
    sentences = []
    for line_no, line in read_lines(path, encoding):
        chunks, marked = split_partial(line, sep)
        if chunks:
            sentences.append(PartialSentence(line_no, chunks, marked))
    if not sentences:
        raise UserError(f"{path}: no text found")
    return sentences


def split_words(line: str, sep: str | None = None) -> tuple[str, ...]:
    """Split one line into words.

    Whitespace (spaces, tabs, U+3000, non-breaking spaces, runs of them) always separates words;
    ``sep`` adds another separator (``@@``, say). Empty tokens from doubled separators are dropped.
    """
    if sep:
        return tuple(word for part in line.split(sep) for word in part.split())
    return tuple(line.split())


def _read_text(path: str | Path, sep: str | None, encoding: str) -> Iterator[Sentence]:
    for line_no, line in read_lines(path, encoding):
        yield Sentence(line_no, split_words(line, sep))


def _read_conllu(path: str | Path, encoding: str) -> Iterator[Sentence]:
    words: list[str] = []
    start = 0
    for line_no, line in read_lines(path, encoding):
        if not line.strip():
            if words:
                yield Sentence(start, tuple(words))
            words, start = [], 0
            continue
        if line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise UserError(f"{path}:{line_no}: not a CoNLL-U token line (expected tab-separated columns)")
        token_id = columns[0]
        if "-" in token_id or "." in token_id:  # multiword-token ranges and empty nodes
            continue
        if not token_id.isdigit():
            raise UserError(f"{path}:{line_no}: bad CoNLL-U token id {token_id!r}")
        if not words:
            start = line_no
        words.extend(columns[1].split())
    if words:
        yield Sentence(start, tuple(words))


def read_corpus(
    path: str | Path,
    *,
    sep: str | None = None,
    fmt: str = "text",
    encoding: str = "utf-8",
    keep_blank: bool = False,
) -> list[Sentence]:
    """Read a segmented corpus file into sentences.

    Parameters
    ----------
    path: the file (``-`` for stdin).
    sep: an extra word separator besides whitespace (text format only).
    fmt: ``text`` (one sentence or document per line) or ``conllu`` (the FORM column).
    encoding: the file's encoding (utf-8, gb18030, big5, ...).
    keep_blank: keep lines with no words (as empty sentences), so that line numbers of a
        prediction file and its gold file can be paired; otherwise they are dropped.

    Raises UserError for a missing or undecodable file, or for a corpus with no words at all.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown corpus format {fmt!r}; expected one of {', '.join(FORMATS)}")
    reader = _read_conllu(path, encoding) if fmt == "conllu" else _read_text(path, sep, encoding)
    sentences = [s for s in reader if keep_blank or s.words]
    if not any(s.words for s in sentences):
        raise UserError(f"{path}: no words found (is it a segmented corpus? check --sep and --format)")
    return sentences


def read_word_list(path: str | Path, encoding: str = "utf-8") -> frozenset[str]:
    """Words of a word list or a segmented corpus: every whitespace-separated token."""
    return frozenset(word for _, line in read_lines(path, encoding) for word in line.split())


@dataclass(frozen=True)
class WordList:
    """An external word list (``train --dict``).

    words: the words, in the file's order.
    frequencies: per word, its frequency (jieba's second column) when every line has a number
        there; None otherwise.
    """

    words: tuple[str, ...]
    frequencies: tuple[float, ...] | None = None

    def by_frequency(self, bins: int) -> list[tuple[str, ...]]:
        """The words in ``bins`` groups of about equal size, the most frequent first (binning by
        rank is binning by log frequency with equally full bins); one group for a list without
        frequencies."""
        if bins <= 1 or self.frequencies is None:
            return [self.words]
        order = sorted(range(len(self.words)), key=lambda i: -self.frequencies[i])
        size = -(-len(order) // bins)
        return [tuple(self.words[i] for i in order[k : k + size]) for k in range(0, len(order), size)]


def read_dictionary(path: str | Path, encoding: str = "utf-8") -> WordList:
    """A word list: the first whitespace-separated token of each non-blank line is a word, so
    jieba's ``word freq tag`` lines and plain one-word lines both work; the second token, where
    every line has a number there, its frequency. UserError for an empty list."""
    rows = [line.split() for _, line in read_lines(path, encoding) if line.strip()]
    if not rows:
        raise UserError(f"{path}: no words found (a word list has one word per line)")
    try:
        frequencies = tuple(float(row[1]) for row in rows)
        if not all(math.isfinite(f) and f >= 0 for f in frequencies):
            frequencies = None
    except (IndexError, ValueError):
        frequencies = None
    return WordList(tuple(row[0] for row in rows), frequencies)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
