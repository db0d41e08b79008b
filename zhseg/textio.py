"""Reading text files line by line with precise decode errors, and writing outputs atomically."""

from __future__ import annotations

import contextlib
import codecs
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from zhseg.errors import UserError

STDIN_NAME = "<stdin>"


def check_encoding(encoding: str) -> str:
    """Return the codec's canonical name, or raise UserError for an unknown encoding."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UserError(f"unknown encoding {encoding!r}") from None
    if name.startswith(("utf-16", "utf-32")):  # lines are found by their b"\n" bytes
        raise UserError(f"encoding {encoding!r} is not supported; convert the file to UTF-8")
    return name


BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class TextBlock:
    """Whole lines of one file, still undecoded, with where they came from.

    Blocks are what worker processes receive: each decodes its own, so the parent process only
    moves bytes, and an error still names the file, the line and the byte offset.
    """

    data: bytes
    name: str
    first_line: int
    offset: int  # of ``data`` in the file, in bytes
    encoding: str

    def lines(self) -> list[str]:
        """The block's lines without their line ends (and without a BOM at the file's start)."""
        try:
            text = self.data.decode(self.encoding)
        except UnicodeDecodeError:
            self._raise_decode_error()
        if self.offset == 0 and text.startswith("\ufeff"):
            text = text[1:]
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the newline ending the block's last line
        return [line.rstrip("\r") for line in lines]

    def _raise_decode_error(self) -> None:
        offset = self.offset
        parts = self.data.split(b"\n")
        raws = [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        for number, raw in enumerate(raws, start=self.first_line):
            try:
                raw.decode(self.encoding)
            except UnicodeDecodeError as error:
                raise UserError(
                    f"{self.name}:{number}: cannot decode byte 0x{raw[error.start]:02x} as {self.encoding} "
                    f"(byte offset {offset + error.start} in the file); try --encoding"
                ) from None
            offset += len(raw)
        raise UserError(f"{self.name}: cannot decode as {self.encoding}; try --encoding")


def _blocks_of(stream: BinaryIO, name: str, encoding: str, block_bytes: int) -> Iterator[TextBlock]:
    line, offset, carry = 1, 0, b""
    while True:
        chunk = stream.read(block_bytes)
        data = carry + chunk
        if not chunk:  # end of file: whatever is left is the last line
            if data:
                yield TextBlock(data, name, line, offset, encoding)
            return
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # no line end yet: keep reading (one very long line)
            carry = data
            continue
        block, carry = data[:cut], data[cut:]
        yield TextBlock(block, name, line, offset, encoding)
        line += block.count(b"\n")
        offset += len(block)


def read_blocks(path: str | Path, encoding: str = "utf-8", block_bytes: int = BLOCK_BYTES) -> Iterator[TextBlock]:
    """Yield ``path`` (``-`` for stdin) as blocks of whole lines of about ``block_bytes``."""
    encoding = check_encoding(encoding)
    if str(path) == "-":
        yield from _blocks_of(sys.stdin.buffer, STDIN_NAME, encoding, block_bytes)
        return
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a text file") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied") from None
    with stream:
        yield from _blocks_of(stream, str(path), encoding, block_bytes)


def read_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of ``path`` (``-`` for stdin).

    A leading BOM and CRLF or LF line ends are removed. Undecodable bytes raise UserError naming
    the file, the line and the byte offset.
    """
    for block in read_blocks(path, encoding):
        for number, text in enumerate(block.lines(), start=block.first_line):
            yield number, text


@contextlib.contextmanager
def atomic_output(path: str | Path, encoding: str = "utf-8") -> Iterator:
    """Open a text file for writing under a temporary name, renamed to ``path`` only on success."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"{path}: directory {directory} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="\n") as handle:
            yield handle
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
