"""`python evaluate.py ...` is `zhseg evaluate ...` (zhseg/cli/evaluate.py)."""

from zhseg.cli import main

if __name__ == "__main__":
    main("evaluate")
