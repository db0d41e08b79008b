"""Decoding a standard with each shared template's row and its standard copy's added first
(model/compiled.py, ``CompiledCRF.summed``): are the words those of the template-by-template sum
(crfsuite's order)? On the numpy path (the reference the compiled core equals), every standard of
the model, every test split of its corpora and the SIGHAN 2005 test sets.

    python benchmarks/summed_rows.py                 # the embedded default model
    python benchmarks/summed_rows.py --model build/default-model
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from default_model import DEV_SETS, TEST_SETS  # noqa: E402
from results import markdown_table, write_section  # noqa: E402
from zhseg import Segmenter, default_model_path  # noqa: E402
from zhseg.features.corpus import read_corpus  # noqa: E402


def main(model: Path = typer.Option(None, help="Model directory (default: the embedded default model).")):
    directory = model or default_model_path()
    loaded = Segmenter.load(directory).model
    sets = [(name, path) for name, path, _, _ in TEST_SETS] + [(name, path) for name, path, _ in DEV_SETS]
    texts = {name: [s.text for s in read_corpus(path)] for name, path in sets if Path(path).is_file()}
    rows, total, same = [], 0, 0
    started = time.perf_counter()
    for standard in loaded.standards:
        summed = Segmenter(loaded, backend="numpy", standard=standard)
        in_order = Segmenter(loaded, backend="numpy", standard=standard)
        in_order.crf = loaded.crf.select(in_order._template_names)  # shared templates, then the copies, one by one
        for name, lines in texts.items():
            equal = sum(a == b for a, b in zip(summed.cut_lines(lines), in_order.cut_lines(lines)))
            rows.append([standard, name, f"{equal:,} of {len(lines):,}"])
            total, same = total + len(lines), same + equal
    root = Path(__file__).resolve().parent.parent
    shown = directory.resolve().relative_to(root) if directory.resolve().is_relative_to(root) else directory
    body = ("## A standard's rows summed first\n\n"
            f"Model `{shown}`. Lines whose words are the same when each shared template's row and its "
            "standard's copy are added first (how zhseg decodes) as when every template's row is added in turn "
            f"(numpy path, rules on): **{same:,} of {total:,}**.\n\n"
            + markdown_table(["standard", "text", "same words"], rows)
            + f"\n\n(took {time.perf_counter() - started:.0f} s)")
    write_section("summed-rows", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
