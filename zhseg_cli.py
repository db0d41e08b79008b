"""The ``zhseg`` console script: one command with the top-level scripts as subcommands."""

import typer

import benchmark
import evaluate
import segment
import train

app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False,
                  help="zhseg: a trainable Chinese word segmenter (CRF).", no_args_is_help=True)
app.command("train")(train.main)
app.command("segment")(segment.main)
app.command("evaluate")(evaluate.main)
app.command("benchmark")(benchmark.main)

if __name__ == "__main__":
    app()
