"""`python benchmark.py ...` is `zhseg benchmark ...` (zhseg/cli/benchmark.py)."""

from zhseg.cli import main

if __name__ == "__main__":
    main("benchmark")
