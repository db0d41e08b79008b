"""``zhseg standards``: the segmentation standards a model offers, a line on each."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from zhseg.errors import exit_on_user_error


def list_standards(model: Path | None = None) -> dict[str, str]:
    """The standards of ``model`` (default: the embedded model), each with a line on its corpus."""
    from zhseg.model import store

    return store.describe_standards(store.load(store.model_or_default(model)))


@exit_on_user_error
def standards_command(
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model directory (default: the embedded model)."),
) -> None:
    """List the segmentation standards a model offers (pick one with --standard, or zhseg.set_standard)."""
    found = list_standards(model)
    if not found:
        print("one standard: the model was trained on one corpus")
    for name, line in found.items():
        print(f"{name}\t{line}")
