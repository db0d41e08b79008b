"""`python segment.py ...` is `zhseg segment ...` (zhseg/cli/segment.py)."""

from zhseg.cli import main

if __name__ == "__main__":
    main("segment")
