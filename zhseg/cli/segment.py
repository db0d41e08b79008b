"""``zhseg segment``: cut text into words with a trained model.

    zhseg segment --model MODEL_DIR [FILE ...] [-o OUT] [--sep ' ']

One output line per input line; whitespace in the input is a word boundary and is not printed.
:func:`segment_files` is the importable function; :func:`segment_command` its command-line wrapper.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import List, Optional

import typer

from zhseg.errors import UserError, exit_on_user_error
from zhseg.model.segmenter import BACKENDS, DEFAULT_BACKEND, Segmenter, resolve_backend
from zhseg.model.store import read_meta
from zhseg.textio import atomic_output, read_blocks, read_lines

PARALLEL_BLOCK_BYTES = 1 << 18  # small enough to keep every worker busy to the end


def segment_files(files: List[Path], model: Path, output: Optional[Path] = None, sep: str = " ",
                  encoding: str = "utf-8", backend: str = DEFAULT_BACKEND, jobs: int = 1) -> None:
    """Segment ``files`` (stdin for ``-``) with the model at ``model`` into ``output`` (stdout when
    None; written atomically otherwise): a line per input line, words joined by ``sep``."""
    try:
        backend = resolve_backend(backend)
    except ValueError as error:
        raise UserError(str(error)) from None
    if not sep or "\n" in sep:
        raise UserError("--sep must be a non-empty string without line breaks")
    if jobs < 1:
        raise UserError("--jobs must be at least 1")
    if jobs == 1:
        segmenter = Segmenter.load(model, backend=backend)
    else:
        read_meta(model)  # a bad model path fails here, before workers start
    sources = files or [Path("-")]
    with atomic_output(output) if output else nullcontext(sys.stdout) as out:
        if jobs == 1:
            lines = (text for path in sources for _, text in read_lines(path, encoding))
            for text in segmenter.segment_lines(lines, sep):
                out.write(text)
        else:
            from zhseg.model.pool import segment_parallel

            blocks = (b for path in sources for b in read_blocks(path, encoding, PARALLEL_BLOCK_BYTES))
            out.flush()
            for data in segment_parallel(model, blocks, jobs, sep, backend):
                out.buffer.write(data)


@exit_on_user_error
def segment_command(
    files: Optional[List[Path]] = typer.Argument(None, help="Text files to segment (stdin when none)."),
    model: Path = typer.Option(..., "--model", "-m", help="Model directory written by zhseg train."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here (atomically) instead of stdout."),
    sep: str = typer.Option(" ", "--sep", help="String printed between words.", show_default="one space"),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of the input files; output is UTF-8."),
    backend: str = typer.Option(DEFAULT_BACKEND, "--backend", help=f"Decoder: {', '.join(BACKENDS)} (the reference). numba (the fast extra) takes about 0.9 s more to start and pays on inputs of tens of MB; auto is numba when installed."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Processes for large inputs: this one and N-1 workers (output stays in input order)."),
) -> None:
    """Segment text files (or stdin) into words, one output line per input line."""
    segment_files(list(files or []), model, output, sep, encoding, backend, jobs)
