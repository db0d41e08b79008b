"""The ``zhseg`` command: one typer app, each subcommand a thin wrapper over an importable function.

    zhseg train|segment|evaluate|benchmark|standards ...      (also: python -m zhseg ...)

The repository's ``train.py``, ``segment.py``, ``evaluate.py`` and ``benchmark.py`` call
:func:`main` with their subcommand's name. A subcommand imports only its own module: ``segment``
does not load what training or benchmarking need.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Optional, Sequence

import typer

import zhseg
from zhseg.errors import stop_cleanly_on_signals

# name -> (module, function)
COMMANDS = {
    "train": ("zhseg.cli.train", "train_command"),
    "segment": ("zhseg.cli.segment", "segment_command"),
    "evaluate": ("zhseg.cli.evaluate", "evaluate_command"),
    "benchmark": ("zhseg.cli.benchmark", "benchmark_command"),
    "standards": ("zhseg.cli.standards", "standards_command"),
}


def _print_version(value: bool) -> None:
    if value:
        print(f"zhseg {zhseg.__version__}")
        raise typer.Exit()


def make_app(only: Sequence[str] | None = None) -> typer.Typer:
    """The app with every subcommand, or only those named (what one run needs)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, rich_markup_mode=None,
                      help="zhseg: a trainable Chinese word segmenter (CRF).", no_args_is_help=True)

    @app.callback()
    def _options(version: bool = typer.Option(False, "--version", metavar="", callback=_print_version, is_eager=True,
                                              help="Print zhseg's version and exit.")) -> None:
        """zhseg: a trainable Chinese word segmenter (CRF)."""

    for name, (module, function) in COMMANDS.items():
        if only is None or name in only:
            app.command(name)(getattr(importlib.import_module(module), function))
    return app


def _plain_metavars(group) -> None:
    """Option values named as click names them (PATH, TEXT, INTEGER), not as typer 0.16+ prints
    Python annotations (``<list[Path]>``): help that reads like the rest of the command line."""
    names = {"path": "PATH", "str": "TEXT", "text": "TEXT", "int": "INTEGER", "integer": "INTEGER", "float": "FLOAT"}
    for command in group.commands.values():
        for param in command.params:
            if param.param_type_name == "option" and param.metavar is None and not param.is_flag:
                # typer 0.29 reads the annotation (bare_type); before it, the click type's name
                bare = param.bare_type() if hasattr(param, "bare_type") else param.type.name
                bare = bare[len("list["):-1] if bare.startswith("list[") else bare
                param.metavar = names.get(bare.lower(), bare.upper())
            elif param.param_type_name == "argument":  # its name says what it is
                param.display_type_rich = lambda ctx=None: None


def main(command: Optional[str] = None, args: Optional[Sequence[str]] = None) -> None:
    """Run the app on ``args`` (default: the process's arguments), as subcommand ``command`` if given."""
    args = list(sys.argv[1:] if args is None else args)
    # zhseg does no linear algebra, but numpy's OpenBLAS starts a thread per core that spins at
    # start-up: CPU taken from --jobs. The command's own process only (the library leaves it alone).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    stop_cleanly_on_signals()
    args = [command, *args] if command else args
    named = args[0] if args and args[0] in COMMANDS else None
    group = typer.main.get_command(make_app([named] if named else None))
    _plain_metavars(group)
    group(args=args, prog_name="zhseg")
