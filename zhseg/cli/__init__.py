"""The ``zhseg`` command: one typer app, each subcommand a thin wrapper over an importable function.

    zhseg train|segment|evaluate|benchmark ...      (also: python -m zhseg ...)

The repository's ``train.py``, ``segment.py``, ``evaluate.py`` and ``benchmark.py`` call
:func:`main` with their subcommand's name.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

import typer

import zhseg
from zhseg.cli.benchmark import benchmark_command
from zhseg.cli.evaluate import evaluate_command
from zhseg.cli.segment import segment_command
from zhseg.cli.train import train_command

app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False,
                  help="zhseg: a trainable Chinese word segmenter (CRF).", no_args_is_help=True)


def _print_version(value: bool) -> None:
    if value:
        print(f"zhseg {zhseg.__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", metavar="", callback=_print_version, is_eager=True,
                                          help="Print zhseg's version and exit.")) -> None:
    """zhseg: a trainable Chinese word segmenter (CRF)."""


app.command("train")(train_command)
app.command("segment")(segment_command)
app.command("evaluate")(evaluate_command)
app.command("benchmark")(benchmark_command)


def main(command: Optional[str] = None, args: Optional[Sequence[str]] = None) -> None:
    """Run the app on ``args`` (default: the process's arguments), as subcommand ``command`` if given."""
    args = list(sys.argv[1:] if args is None else args)
    app(args=[command, *args] if command else args, prog_name="zhseg")
