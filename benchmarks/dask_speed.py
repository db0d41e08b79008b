"""Issue 14's measurements: segmenting a large file on Dask next to --jobs, in the same run.

    python benchmarks/dask_speed.py --megabytes 60     # writes the 'dask' section of RESULTS.md

Whole processes, timed in alternating rounds (best of --repeat): `segment.py --jobs 1`, `--jobs 2`,
`--dask local:1` and `--dask local:2` on the same input (the text of CTB6's test split repeated),
each output checked against --jobs 1. A LocalCluster's start-up is part of a --dask process; it
is also reported on its own, with the scheduler's overhead per block (the same input cut into
1 MB and into 8 MB blocks, on one running cluster).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import typer

from results import best_times, markdown_table, write_section
from zhseg.features.corpus import read_corpus

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"


def process(command: list[str], out: Path):
    def run():
        with open(out, "wb") as stream:
            subprocess.run(command, cwd=ROOT, check=True, stdout=stream, stderr=subprocess.DEVNULL)
    return run


def main(model: Path = typer.Option(ROOT / "build" / "core" / "ctb6-accurate", help="The model."),
         megabytes: float = typer.Option(60.0, help="Input size."),
         repeat: int = typer.Option(2, help="Alternating rounds; the best of each is kept."),
         out: Path = typer.Option(ROOT / "build" / "dask", help="Scratch folder.")):
    from zhseg.cluster import SegmenterSpec, connect, segment_files_on

    out.mkdir(parents=True, exist_ok=True)
    block = "".join(s.text + "\n" for s in read_corpus(CORPORA / "ctb6" / "test.txt"))
    copies = int(megabytes * 1e6 / len(block.encode("utf-8"))) + 1
    big = out / "input.txt"
    big.write_text(block * copies, encoding="utf-8")
    size = big.stat().st_size / 1e6
    segment = [sys.executable, "segment.py", "--model", str(model), str(big), "--quiet"]
    runs = {"--jobs 1": segment, "--jobs 2": segment + ["--jobs", "2"],
            "--dask local:1": segment + ["--dask", "local:1"], "--dask local:2": segment + ["--dask", "local:2"]}
    outputs = {name: out / f"{name.replace(' ', '').replace(':', '')}.txt" for name in runs}
    times = dict(zip(runs, best_times([process(command, outputs[name]) for name, command in runs.items()], repeat)))
    reference = outputs["--jobs 1"].read_bytes()
    same = {name: outputs[name].read_bytes() == reference for name in runs}
    rows = [[name, f"{times[name]:.1f}", f"{size / times[name]:.1f}", f"{times['--jobs 1'] / times[name]:.2f}",
             "yes" if same[name] else "NO"] for name in runs]
    # start-up and per-block overhead on one running cluster
    started = time.perf_counter()
    with connect("local:2") as client:
        startup = time.perf_counter() - started
        spec = SegmenterSpec.make(model)
        list(segment_files_on(client, [big], spec, block_bytes=8 << 20))  # warm: every worker loads the model
        timed = {}
        for block_bytes in (8 << 20, 1 << 20):
            begin = time.perf_counter()
            blocks = sum(1 for _ in segment_files_on(client, [big], spec, block_bytes=block_bytes))
            timed[block_bytes] = (time.perf_counter() - begin, blocks)
    (t_big, n_big), (t_small, n_small) = timed[8 << 20], timed[1 << 20]
    per_block = (t_small - t_big) / (n_small - n_big) if n_small > n_big else float("nan")
    ratio = times["--dask local:2"] / times["--jobs 2"]
    body = (f"## Dask (issue 14)\n\nInput: CTB6 test text repeated to {size:.0f} MB; model `{model.name}`, numpy backend; "
            f"whole processes, best of {repeat} alternating rounds.\n\n" +
            markdown_table(["command", "seconds", "MB/s", "speed-up over --jobs 1", "output = --jobs 1"], rows) +
            f"\n\n2 Dask workers take {ratio:.2f}x the time of `--jobs 2` (aim: within 1.10). A LocalCluster of 2 "
            f"workers starts in {startup:.1f} s; on a running cluster the input takes {t_big:.1f} s in {n_big} blocks of "
            f"8 MB and {t_small:.1f} s in {n_small} blocks of 1 MB: about {1000 * per_block:.0f} ms of scheduling "
            "per block.")
    write_section("dask", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
