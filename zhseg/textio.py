"""Reading text files line by line with precise decode errors, and writing outputs atomically."""

from __future__ import annotations

import contextlib
import codecs
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Sequence

from zhseg.errors import SystemFailure, UserError, os_failure

STDIN_NAME = "<stdin>"


def check_encoding(encoding: str) -> str:
    """Return the codec's canonical name, or raise UserError for an unknown encoding."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        raise UserError(f"unknown encoding {encoding!r}") from None
    name = info.name
    if not getattr(info, "_is_text_encoding", True):  # rot13, hex, base64, zlib: bytes or str transforms
        raise UserError(f"{encoding!r} is not a text encoding (it transforms bytes or text); give one such as "
                        "utf-8, gb18030 or big5")
    if name.startswith(("utf-16", "utf-32")):  # lines are found by their b"\n" bytes
        raise UserError(f"encoding {encoding!r} is not supported; convert the file to UTF-8")
    return name


BLOCK_BYTES = 1 << 18  # 256 KB read at a time: bounded memory, no slower


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

    def is_utf8(self) -> bool:
        """Whether the block is UTF-8 (without a signature codec): what the compiled core decodes."""
        return codecs.lookup(self.encoding).name == "utf-8"

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
        return [line.rstrip("\r") for line in lines] if "\r" in text else lines

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
        if sys.stdin is None:
            raise UserError("stdin is closed; give input files")
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


def check_output_path(path: str | Path) -> Path:
    """Fail now, not after the work, if ``path`` cannot be an output file."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a directory; give a file name")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"{path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise SystemFailure(f"{path}: directory {directory} is not writable")
    return path


def same_file(a: str | Path, b: str | Path) -> bool:
    """Do two paths name one existing file (links followed)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def remove_stale(directory: Path, pattern: str) -> None:
    """Remove what dead processes left in ``directory``: names matching ``pattern`` (a glob whose
    one ``*`` stands for ``PID-rest``) whose process no longer runs."""
    import shutil

    prefix, _, suffix = pattern.partition("*")
    for leftover in directory.glob(pattern):
        middle = leftover.name[len(prefix) : len(leftover.name) - len(suffix)]
        pid = middle.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    leftover.unlink()


@contextlib.contextmanager
def atomic_output(path: str | Path, encoding: str = "utf-8", inputs: Sequence[str | Path] = ()) -> Iterator:
    """Open a text file for writing; a regular file is written under a temporary name beside it
    and renamed over it only on success.

    - a device, FIFO or socket (``/dev/null``, a pipe) is written into directly, never replaced;
    - a symbolic link: its target is written (atomically, beside the target), the link kept;
    - an existing file keeps its permission bits; a new one gets the usual ``0666 & ~umask``;
    - ``path`` naming one of ``inputs`` is refused, as is a directory;
    - temporary files left by killed runs (``.NAME.PID-*.tmp`` whose process is gone) are removed.

    What the OS refuses (a full disk, a read-only folder) is a one-line SystemFailure.
    """
    path = Path(path)
    for source in inputs:
        if str(source) != "-" and same_file(path, source):
            raise UserError(f"{path}: is also an input file; writing it would destroy the input (choose another -o)")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.is_dir():
        raise UserError(f"{path}: is a directory; -o names a file")
    if target.exists() and not target.is_file():  # a device, a FIFO: write into it, never replace it
        try:
            with open(target, "w", encoding=encoding, errors="surrogatepass", newline="\n") as handle:
                yield handle
        except OSError as error:
            raise os_failure(error, str(path)) from None
        return
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"{path}: directory {directory} does not exist")
    remove_stale(directory, f".{target.name}.*.tmp")
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~current_umask()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp", dir=directory)
    except OSError as error:
        raise os_failure(error, str(path)) from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding=encoding, errors="surrogatepass", newline="\n") as handle:
            yield handle
        os.replace(tmp_name, target)
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise os_failure(error, str(path)) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


class StdoutWriter:
    """Text to standard output, encoded and written straight to its file descriptor with every
    byte checked: a full disk or a closed stdout is an error, never an output cut short with
    exit code 0 (a buffered text stream can lose a large write's failure)."""

    def __init__(self, encoding: str = "utf-8"):
        if sys.stdout is None:
            raise SystemFailure("stdout is closed; give -o FILE")
        try:
            sys.stdout.flush()
            self.fd = sys.stdout.fileno()
        except (OSError, ValueError):
            raise SystemFailure("stdout is closed; give -o FILE") from None
        self.encoding = encoding

    def write(self, text: str) -> None:
        self.write_bytes(text.encode(self.encoding, "surrogatepass"))

    def write_bytes(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except BrokenPipeError:
            raise SystemFailure("stdout: the reader closed the pipe") from None
        except OSError as error:
            raise os_failure(error, "stdout") from None
