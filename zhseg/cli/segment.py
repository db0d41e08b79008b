"""``zhseg segment``: cut text into words with a trained model.

    zhseg segment --model MODEL_DIR [FILE ...] [-o OUT] [--sep ' ']

One output line per input line; whitespace in the input is a word boundary and is not printed.
:func:`segment_files` is the importable function; :func:`segment_command` its command-line wrapper.
"""

from __future__ import annotations

import collections
import os
import sys
from contextlib import closing, nullcontext
from pathlib import Path
from typing import List, Optional

import typer

from zhseg.cli.progress import ProgressPrinter
from zhseg.errors import UserError, exit_on_user_error, stop_if_signalled
from zhseg.model.segmenter import BACKENDS, DEFAULT_BACKEND, Segmenter, resolve_backend
from zhseg.model.store import model_or_default
from zhseg.textio import StdoutWriter, atomic_output, read_blocks

BLOCK_BYTES = 1 << 18  # read and segmented at a time: bounded memory, and every thread or worker busy to the end
PROGRESS_MIN_BYTES = 8 << 20  # smaller inputs take a few seconds: no progress shown


def segment_files(files: List[Path], model: Optional[Path] = None, output: Optional[Path] = None, sep: str = " ",
                  encoding: str = "utf-8", backend: str = DEFAULT_BACKEND, jobs: int = 1, rules: bool = True,
                  user_dicts: List[Path] = (), standard: Optional[str] = None, dask: Optional[str] = None,
                  progress=None) -> None:
    """Segment ``files`` (stdin for ``-``) with the model at ``model`` (the default model when
    None) into ``output`` (stdout when
    None; written atomically otherwise): a line per input line, words joined by ``sep``; a user
    word with whitespace inside is printed with it. ``standard``: a multi-corpus model's
    segmentation standard (default the model's default). ``dask``: a scheduler address, or ``local:N`` for a
    LocalCluster of N workers, to segment the files on (every worker must read the model's path)."""
    backend = check_backend(backend, rules, user_dicts)
    model = model_or_default(model)
    if not sep or "\n" in sep:
        raise UserError("--sep must be a non-empty string without line breaks")
    if jobs < 1:
        raise UserError("--jobs must be at least 1")
    cpus = os.cpu_count() or 1
    if jobs > cpus:
        print(f"zhseg: --jobs {jobs} capped at {cpus}, the number of CPUs", file=sys.stderr)
        jobs = cpus
    if dask is not None:
        _segment_on_dask(files, model, output, sep, encoding, backend, rules, user_dicts, standard, dask)
        return
    # a bad model, standard or user dictionary fails here, before any worker starts; with --jobs
    # this process segments too, with this Segmenter
    segmenter = load_segmenter(model, backend, rules, standard, user_dicts)
    sources = files or [Path("-")]
    total = sum(Path(p).stat().st_size for p in sources if str(p) != "-" and Path(p).is_file())
    report = progress if progress is not None and total >= PROGRESS_MIN_BYTES else (lambda event, info: None)
    with atomic_output(output, inputs=sources) if output else nullcontext(StdoutWriter()) as out:
        write_bytes = out.write_bytes if isinstance(out, StdoutWriter) else out.buffer.write
        from zhseg.model.pool import segment_parallel, segment_threads

        # the input bytes of the blocks handed out, in order: outputs come back in that order, so
        # each output's block is the oldest still counted here (output bytes, spaces added, would
        # read 100% well before the end)
        sizes: collections.deque[int] = collections.deque()

        def blocks():
            for path in sources:
                for block in read_blocks(path, encoding, BLOCK_BYTES):
                    sizes.append(len(block.data))
                    yield block

        done = 0
        # one job: this thread; more: threads where the compiled core decodes (it releases the
        # GIL), else worker processes; closed on the way out of an error or a signal: the workers
        # stop now, not at shutdown
        outputs = (segment_threads(segmenter, blocks(), jobs, sep) if jobs == 1 or segmenter.backend == "compiled" else
                   segment_parallel(model, blocks(), jobs, sep, backend, rules=rules, user_dicts=user_dicts,
                                    standard=standard, local=segmenter))
        with closing(outputs):
            for data in outputs:
                stop_if_signalled()
                write_bytes(data)
                done += sizes.popleft()
                report("count", {"what": "segmented", "done": done, "total": max(total, done), "unit": "bytes"})


def _segment_on_dask(files, model, output, sep, encoding, backend, rules, user_dicts, standard, address) -> None:
    from zhseg.cluster import SegmenterSpec, connect, segment_files_on

    if not files:
        raise UserError("--dask segments files: give FILE arguments (stdin is not read)")
    load_segmenter(model, backend, rules, standard, user_dicts)  # a bad model or setting fails here, not on every worker
    spec = SegmenterSpec.make(model, rules, user_dicts, standard, backend)
    with connect(address) as client, (atomic_output(output, inputs=files) if output else
                                      nullcontext(StdoutWriter())) as out:
        write_bytes = out.write_bytes if isinstance(out, StdoutWriter) else out.buffer.write
        for data in segment_files_on(client, files, spec, sep, encoding):
            write_bytes(data)


def load_segmenter(model: Path, backend: str, rules: bool, standard: Optional[str],
                   user_dicts: List[Path] = ()) -> Segmenter:
    """``Segmenter.load`` for the command lines: an unknown standard is a user's mistake."""
    try:
        return Segmenter.load(model, backend=backend, rules=rules, user_dicts=user_dicts, standard=standard)
    except ValueError as error:
        raise UserError(f"{model}: {error}") from None


def check_backend(backend: str, rules: bool, user_dicts) -> str:
    """The backend to use; UserError for an unknown one, or for constraints the crfsuite tagger cannot apply."""
    try:
        backend = resolve_backend(backend)
    except ValueError as error:
        raise UserError(str(error)) from None
    if backend == "crfsuite" and (rules or user_dicts):
        raise UserError("--backend crfsuite is the unconstrained reference: it takes --no-rules and no --user-dict")
    return backend


USER_DICT_HELP = ("User dictionary (repeatable; jieba's 'word [freq] [tag]' lines): each of its words always "
                  "comes out as one word, overlaps resolved leftmost-longest.")
STANDARD_HELP = "A multi-corpus model's segmentation standard (its corpus name, or common); default: the model's default (zhseg standards lists them)."
NO_RULES_HELP = "Do not keep URLs, e-mail addresses, numbers and Latin words whole (grapheme clusters always are)."


@exit_on_user_error
def segment_command(
    files: Optional[List[Path]] = typer.Argument(None, metavar="FILE", help="Text files to segment (stdin when none)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model directory written by zhseg train (default: the embedded model).", show_default=False),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here (atomically) instead of stdout."),
    sep: str = typer.Option(" ", "--sep", help="String printed between words.", show_default="one space"),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of the input files; output is UTF-8."),
    backend: str = typer.Option(DEFAULT_BACKEND, "--backend", help="Decoder: compiled (zhseg's C core), numpy (the reference path, the same words), auto (compiled where it was built, else numpy) or crfsuite (python-crfsuite's tagger; needs --no-rules)."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Cores to use: N threads over the compiled core (one model in memory), N processes on the numpy backend; output stays in input order."),
    user_dicts: List[Path] = typer.Option([], "--user-dict", "-u", help=USER_DICT_HELP),
    no_rules: bool = typer.Option(False, "--no-rules", metavar="", help=NO_RULES_HELP),
    standard: Optional[str] = typer.Option(None, "--standard", help=STANDARD_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", metavar="", help="No progress on stderr (shown for inputs over 8 MB)."),
    dask: Optional[str] = typer.Option(None, "--dask", metavar="ADDRESS", help="Segment the files on a Dask cluster: "
                                       "a scheduler address (tcp://host:8786), or local:N to start N local workers. "
                                       "Needs the dask extra; the model path must be readable by every worker."),
) -> None:
    """Segment text files (or stdin) into words, one output line per input line."""
    segment_files(list(files or []), model, output, sep, encoding, backend, jobs, not no_rules, user_dicts, standard,
                  dask, ProgressPrinter(quiet=quiet))
