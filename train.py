"""`python train.py ...` is `zhseg train ...` (zhseg/cli/train.py)."""

from zhseg.cli import main

if __name__ == "__main__":
    main("train")
