"""Reading gold-segmented corpora: whitespace-separated words, a custom separator, or CoNLL-U.

Every reader yields :class:`Sentence` objects carrying the line number they came from, so later
errors (a character mismatch in evaluation, say) can name the line.
"""

from __future__ import annotations

import hashlib
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


def read_dictionary(path: str | Path, encoding: str = "utf-8") -> list[str]:
    """The words of a word list: the first whitespace-separated token of each non-blank line, so
    jieba's ``word freq tag`` lines and plain one-word lines both work. UserError for an empty list."""
    words = [line.split()[0] for _, line in read_lines(path, encoding) if line.strip()]
    if not words:
        raise UserError(f"{path}: no words found (a word list has one word per line)")
    return words


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
