"""Reading text files line by line with precise decode errors, and writing outputs atomically."""

from __future__ import annotations

import contextlib
import codecs
import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from features.errors import UserError

STDIN_NAME = "<stdin>"


def check_encoding(encoding: str) -> str:
    """Return the codec's canonical name, or raise UserError for an unknown encoding."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UserError(f"unknown encoding {encoding!r}") from None


def _decoded_lines(stream: BinaryIO, name: str, encoding: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line_no, raw in enumerate(stream, start=1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as error:
            raise UserError(
                f"{name}:{line_no}: cannot decode byte 0x{raw[error.start]:02x} as {encoding} "
                f"(byte offset {offset + error.start} in the file); try --encoding"
            ) from None
        offset += len(raw)
        if line_no == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield line_no, text.rstrip("\r\n")


def read_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of ``path`` (``-`` for stdin).

    A leading BOM and CRLF or LF line ends are removed. Undecodable bytes raise UserError naming
    the file, the line and the byte offset.
    """
    encoding = check_encoding(encoding)
    if str(path) == "-":
        yield from _decoded_lines(sys.stdin.buffer, STDIN_NAME, encoding)
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
        yield from _decoded_lines(stream, str(path), encoding)


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
