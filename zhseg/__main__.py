"""``python -m zhseg ...``: the zhseg command."""

from zhseg.cli import main

main()
