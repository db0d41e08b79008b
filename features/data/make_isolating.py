"""Regenerate isolating.tsv: the code points that never share a word with other text (model/constraints.py),
as ranges ``first<TAB>last`` in hexadecimal:

- pictographs: Extended_Pictographic, emoji modifiers, regional indicators, other symbols (So);
- punctuation that stands between words: brackets and quotes (Ps, Pe, Pi, Pf) and the other
  punctuation (Po) but the connectors below.

Left out, because the segmentation standards keep them inside words (measured on the corpora's
gold: times 19：25, names 马·莫林, decimals 一．五, F-16, 1/4, 八十七％, C.I.T., 10%~30%, 二○○五年):
dashes and connectors (Pd, Pc), maths, currency and modifier symbols (Sm, Sc, Sk), and the
connecting Po marks listed in CONNECTORS, and the white circle used as a Chinese zero.

    python features/data/make_isolating.py > features/data/isolating.tsv

Read from the ``regex`` module's Unicode tables (a dependency already), so the ranges follow one
Unicode version whatever Python's own is.
"""

import regex


CONNECTORS = ".．﹒‧·・•:：/／%％‰'＇’&＆#＃*＊\\＼"
ZEROS = "○◯"


def main() -> None:
    pattern = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\p{So}"
                            r"\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}]")
    left_out = set(CONNECTORS) | set(ZEROS)
    print(f"# isolating code points: pictographs, So, Ps Pe Pi Pf, Po but connectors (from regex {regex.__version__})")
    first = None
    for code in range(0x110001):
        hit = (code < 0x110000 and not 0xD800 <= code <= 0xDFFF and pattern.match(chr(code)) is not None
               and chr(code) not in left_out)
        if hit and first is None:
            first = code
        elif not hit and first is not None:
            print(f"{first:X}\t{code - 1:X}")
            first = None


if __name__ == "__main__":
    main()
