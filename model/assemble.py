"""From word starts to output: words sliced out of a text, or lines of spaced text built at once.

The decoder says, per character of the concatenated chunks of some lines, whether a word starts
there (:func:`zhseg.features.tags.word_start_flags`); this module turns that into what callers
want without a Python string per word where it can.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def slice_words(text: str, starts: np.ndarray) -> list[str]:
    """The words of ``text`` given a word-start flag per character (fewer operations than
    :func:`spaced_lines` for one sentence)."""
    bounds = np.flatnonzero(starts).tolist()
    bounds.append(len(text))
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


def spaced_lines(text: str, starts: np.ndarray, line_chars: np.ndarray, sep: str) -> str:
    """Lines of words joined by ``sep``, each line ended by a newline.

    ``text`` is the lines' characters end to end, ``starts`` a word-start flag per character of it,
    ``line_chars`` how many of its characters each line has (0 for a line with none). The output is
    assembled as one UTF-32 array: every character, separator and newline written at its final
    position by a few vectorised operations.
    """
    n = len(text)
    line_ends = np.cumsum(line_chars)
    # a separator before every word that does not open its line
    separated = np.array(starts, dtype=bool) if n else np.zeros(0, dtype=bool)
    separated[line_ends[line_chars > 0] - line_chars[line_chars > 0]] = False
    width = len(sep)
    seps_through = np.cumsum(separated)  # separators up to and including each character
    newlines_before = np.searchsorted(line_ends, np.arange(n), side="right")
    char_at = np.arange(n) + width * seps_through + newlines_before
    newline_at = line_ends + np.arange(len(line_chars))
    after_text = line_ends > 0  # lines with characters before their end, their own or earlier
    newline_at[after_text] += width * seps_through[line_ends[after_text] - 1]
    size = n + width * int(seps_through[-1] if n else 0) + len(line_chars)
    out = np.empty(size, dtype="<u4")
    out[char_at] = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    out[newline_at] = ord("\n")
    sep_starts = char_at[separated] - width
    for k, code in enumerate(np.frombuffer(sep.encode("utf-32-le", "surrogatepass"), dtype="<u4").tolist()):
        out[sep_starts + k] = code
    return out.tobytes().decode("utf-32-le", "surrogatepass")


def split_spaced(text: str) -> list[list[str]]:
    """The word lists of :func:`spaced_lines` output made with ``sep=" "``: ``str.split`` cuts the
    words out in C, twice as fast as slicing in Python (chunks hold no whitespace, so a space or
    newline there is only ever a separator)."""
    return [line.split(" ") if line else [] for line in text.split("\n")[:-1]]


def line_lengths(chunks_per_line: Sequence[Sequence[str]]) -> np.ndarray:
    """How many characters each line's chunks hold."""
    return np.fromiter((sum(map(len, c)) for c in chunks_per_line), dtype=np.int64, count=len(chunks_per_line))
