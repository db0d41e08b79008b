"""Reduce a segmented corpus to partial annotation, as free annotation would give it.

    python benchmarks/reduce_to_partial.py GOLD OUT --keep 0.2 --seed 7

Kept: every boundary next to punctuation, digits or Latin letters (what any text marks by
itself), plus a random share ``--keep`` of the others (seeded); kept boundaries are written as
``@@``, the others vanish. Whitespace never appears in the output lines.
"""

from __future__ import annotations

import random
from pathlib import Path

import typer

from zhseg.features.chars import CHAR_CLASSES, class_table
from zhseg.features.corpus import read_corpus

MARKING = {CHAR_CLASSES.index(name) for name in ("punct", "digit", "latin")}


def marks_itself(char: str) -> bool:
    return int(class_table()[ord(char)]) in MARKING if ord(char) < len(class_table()) else False


def reduce_line(words: tuple[str, ...], keep: float, rng: random.Random) -> str:
    out = [words[0]] if words else []
    for before, after in zip(words, words[1:]):
        kept = marks_itself(before[-1]) or marks_itself(after[0]) or rng.random() < keep
        out.append(("@@" if kept else "") + after)
    return "".join(out)


def main(gold: Path, out: Path, keep: float = typer.Option(0.2, help="Share of the other boundaries kept."),
         seed: int = typer.Option(7, help="Random seed.")):
    rng = random.Random(seed)
    lines = [reduce_line(s.words, keep, rng) for s in read_corpus(gold)]
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
