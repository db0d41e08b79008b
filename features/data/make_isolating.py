"""Regenerate isolating.tsv: the code points that never share a word with other text (model/constraints.py):
punctuation (Unicode's P categories), symbols (S: currency, maths, modifiers, other symbols,
emoji among them) and Extended_Pictographic, as ranges ``first<TAB>last`` in hexadecimal.

    python features/data/make_isolating.py > features/data/isolating.tsv

Read from the ``regex`` module's Unicode tables (a dependency already), so the ranges follow one
Unicode version whatever Python's own is.
"""

import regex


def main() -> None:
    pattern = regex.compile(r"[\p{P}\p{S}\p{Extended_Pictographic}]")
    print(f"# isolating code points: P, S, Extended_Pictographic (from regex {regex.__version__})")
    first = None
    for code in range(0x110001):
        hit = code < 0x110000 and not 0xD800 <= code <= 0xDFFF and pattern.match(chr(code)) is not None
        if hit and first is None:
            first = code
        elif not hit and first is not None:
            print(f"{first:X}\t{code - 1:X}")
            first = None


if __name__ == "__main__":
    main()
