"""Constraints on decoding: what must come out as one word, and what must never be cut.

Three sources, one mechanism:

- **grapheme clusters** (Unicode's extended grapheme clusters, UAX #29, through the ``regex``
  module's ``\\X``): never cut, whatever the other settings;
- **rules** (on by default, ``rules=False`` / ``--no-rules`` to switch off): URLs, e-mail
  addresses, numbers (digits with their decimal point, thousands separators and percent sign,
  half- or full-width) and runs of Latin letters are never cut;
- **user words**: every occurrence comes out as exactly one word. Occurrences are chosen
  leftmost-longest: scanning from the left, the longest user word starting at a position is
  taken and the scan goes on after it. A match that would cut a grapheme cluster or (rules on) a
  rule span is not an occurrence, so the user word ``app`` is not found inside ``apple``, nor
  ``baidu`` inside ``www.baidu.com``. A user word may contain whitespace (``OpenGL ES``): it comes
  out whole, the whitespace inside it as written.

Each becomes, per character of the text's chunks (whitespace removed), "a word starts here" or
"no word starts here", and then a mask of the labels allowed at each character, applied to the
emission scores before Viterbi (a masked label scores minus infinity). Positions no constraint
touches keep every label, so a text without a constrained span decodes exactly as without them.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Sequence

import numpy as np

from zhseg.errors import UserError
from zhseg.features.chars import codepoints
from zhseg.features.lexicon import Lexicon

MAX_USER_WORD = 64  # characters; longer user words are refused (the matcher keeps a filter per length)

_URL = r"(?:https?://|ftp://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*[A-Za-z0-9/#=_\-]"
_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_DIGITS = "[0-9０-９]"
_NUMBER = (rf"{_DIGITS}{{1,3}}(?:[,，]{_DIGITS}{{3}})+(?:[.．]{_DIGITS}+)?[%％]?"  # thousands separators
           rf"|{_DIGITS}+(?:[.．]{_DIGITS}+)?[%％]?")
_LATIN = r"[A-Za-zＡ-Ｚａ-ｚ\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F]+"
RULE_NAMES = ("url", "email", "number", "latin")


@functools.cache
def _rules_pattern():
    import regex

    return regex.compile(f"(?P<url>{_URL})|(?P<email>{_EMAIL})|(?P<number>{_NUMBER})|(?P<latin>{_LATIN})")


@functools.cache
def _grapheme_patterns():
    import regex

    # Every cluster of two or more code points holds a character whose Grapheme_Cluster_Break
    # is not Other (an Extend, ZWJ, regional indicator, spacing mark, prepend or Hangul jamo):
    # only text with one needs the cluster scan.
    return regex.compile(r"[^\p{Grapheme_Cluster_Break=Other}\s]"), regex.compile(r"\X")


@functools.cache
def whitespace_table() -> np.ndarray:
    """Code point -> is it whitespace as ``re``'s ``\\s`` (``str.isspace``) sees it, for code
    points up to U+3000 (none above is whitespace)."""
    table = np.zeros(0x3001, dtype=bool)
    table[[c for c in range(0x3001) if chr(c).isspace()]] = True
    return table


def is_whitespace(codes: np.ndarray) -> np.ndarray:
    table = whitespace_table()
    return table.take(np.minimum(codes, len(table) - 1)) & (codes < len(table))


def unit_spans(text: str, rules: bool) -> list[tuple[int, int]]:
    """Spans of ``text`` that must not be cut: grapheme clusters of two or more code points, and
    with ``rules`` the rule matches of two or more characters."""
    spans = []
    if rules:
        spans += [m.span() for m in _rules_pattern().finditer(text) if m.end() - m.start() > 1]
    probe, cluster = _grapheme_patterns()
    found = probe.search(text)
    if found:
        # scan from the start of the line holding the first candidate, so clusters are read whole
        start = text.rfind("\n", 0, found.start()) + 1
        # a cluster with whitespace in it (a space carrying a combining mark) cannot be kept
        # whole: whitespace is always a boundary
        spans += [m.span() for m in cluster.finditer(text, start)
                  if m.end() - m.start() > 1 and not any(c.isspace() for c in m.group())]
    return spans


class UserWords:
    """A user dictionary: words that always come out whole (see the module's docstring).

    ``add`` and ``remove`` change it; the matcher is rebuilt on the next use. Reading while
    another thread changes it is not supported.
    """

    def __init__(self, words: Iterable[str] = ()):
        self._words: set[str] = set()
        self._matcher: tuple[Lexicon | None, np.ndarray] | None = None
        self._lock = threading.Lock()
        for word in words:
            self.add(word)

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def __iter__(self):
        return iter(sorted(self._words))

    def add(self, word: str) -> None:
        """Add ``word`` (surrounding whitespace is ignored; a word may not contain a line break)."""
        word = check_user_word(word)
        if word not in self._words:
            self._words.add(word)
            self._matcher = None

    def remove(self, word: str) -> None:
        """Remove ``word`` if it is there."""
        if word.strip() in self._words:
            self._words.discard(word.strip())
            self._matcher = None

    def load(self, source: str | Path | IO[str]) -> int:
        """Add the words of a jieba-format dictionary: a path, or an open text file. Returns how
        many lines held a word."""
        count = 0
        for word in read_user_dict(source):
            self.add(word)
            count += 1
        return count

    def _compiled(self) -> tuple[Lexicon | None, np.ndarray]:
        matcher = self._matcher
        if matcher is None:
            with self._lock:
                if self._matcher is None:
                    longer = [w for w in self._words if len(w) > 1]
                    lexicon = Lexicon(longer, max(map(len, longer)), fold=False) if longer else None
                    singles = np.array(sorted(ord(w) for w in self._words if len(w) == 1), dtype=np.int64)
                    self._matcher = (lexicon, singles)
                matcher = self._matcher
        return matcher

    def occurrences(self, text: str, codes: np.ndarray, cuttable: np.ndarray) -> list[tuple[int, int]]:
        """The spans of ``text`` that are occurrences of user words, leftmost-longest, among
        matches whose both ends are positions where ``cuttable`` (one flag per position 0..n)
        allows a boundary."""
        if not self._words:
            return []
        lexicon, singles = self._compiled()
        longest = lexicon.longest_starting(codes) if lexicon is not None else np.zeros(len(codes), dtype=np.int64)
        if len(singles):
            longest = np.where((longest == 0) & np.isin(codes, singles), 1, longest)
        candidates = np.flatnonzero((longest > 0) & cuttable[:-1])
        lengths = longest.take(candidates)
        fits = cuttable.take(candidates + lengths)
        spans = []
        last_end = 0
        words = self._words
        for start, length, fit in zip(candidates.tolist(), lengths.tolist(), fits.tolist()):
            if start < last_end:
                continue
            if not fit or text[start : start + length] not in words:  # misaligned end, or a hash collision
                length = next((k for k in range(length - 1, 0, -1)
                               if cuttable[start + k] and text[start : start + k] in words), 0)
                if not length:
                    continue
            spans.append((start, start + length))
            last_end = start + length
        return spans


def check_user_word(word: str) -> str:
    if not isinstance(word, str):
        raise TypeError(f"a user word is a str, not {type(word).__name__}")
    word = word.strip()
    if not word:
        raise ValueError("a user word cannot be empty")
    if "\n" in word or "\r" in word:
        raise ValueError(f"a user word cannot contain a line break: {word!r}")
    if len(word) > MAX_USER_WORD:
        raise ValueError(f"user words are at most {MAX_USER_WORD} characters: {word[:20]!r}...")
    return word


# jieba's user dictionary line: the word (which may contain spaces), then an optional frequency
# and an optional part-of-speech tag, as jieba's own re_userdict reads it
_USER_DICT_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")


def read_user_dict(source: str | Path | IO[str]) -> list[str]:
    """The words of a jieba-format user dictionary (``word [freq] [tag]`` per line; frequency and
    tag are accepted and ignored; UTF-8 with or without a BOM). A bad line is a UserError naming
    the file and the line."""
    from zhseg.textio import read_lines

    if hasattr(source, "read"):
        name = getattr(source, "name", "<user dictionary>")
        numbered = enumerate(source.read().lstrip("\ufeff").splitlines(), start=1)
    else:
        name = str(source)
        numbered = read_lines(source, "utf-8")
    words = []
    for line_no, line in numbered:
        line = line.strip()
        if not line:
            continue
        if "\t" in line:
            raise UserError(f"{name}:{line_no}: a tab in the line; the format is 'word [freq] [tag]' separated by spaces")
        match = _USER_DICT_LINE.match(line)
        try:
            words.append(check_user_word(match.group(1)))
        except ValueError as error:
            raise UserError(f"{name}:{line_no}: {error}") from None
    return words


@dataclass
class Constraints:
    """Constraints over the characters of a text's chunks (whitespace removed).

    must_start: a word must start at this character.
    no_start: no word may start at this character.
    glue: this character opens a chunk but continues the word before it (a user word with
        whitespace inside).
    """

    must_start: np.ndarray
    no_start: np.ndarray
    glue: np.ndarray

    def label_mask(self, start_label: np.ndarray, end_label: np.ndarray) -> np.ndarray:
        """Allowed labels per character, ``(n, n_labels)`` bool: a word starts at a character
        exactly when its label is a start label or the previous one an end label, so "a word
        starts here" asks for both and "no word starts here" forbids both."""
        n = len(self.must_start)
        allowed = np.ones((n, len(start_label)), dtype=bool)
        must = np.flatnonzero(self.must_start)
        never = np.flatnonzero(self.no_start)
        allowed[must] &= start_label
        allowed[never] &= ~start_label
        allowed[must[must > 0] - 1] &= end_label
        allowed[never[never > 0] - 1] &= ~end_label
        # a model that never saw the label a combination needs (no 3-character words, say)
        # cannot enforce it there: leave such positions free rather than unsatisfiable
        allowed[~allowed.any(axis=1)] = True
        return allowed


def find_constraints(text: str, rules: bool, user_words: UserWords | None) -> Constraints | None:
    """The constraints of ``text`` (lines joined by newlines), over its non-whitespace characters;
    None when nothing is constrained, the common case."""
    units = unit_spans(text, rules)
    has_user_words = user_words is not None and len(user_words) > 0
    if not units and not has_user_words:
        return None
    codes = codepoints(text)
    n = len(codes)
    inside_unit = _interiors(units, n)
    occurrences = []
    if has_user_words:
        occurrences = user_words.occurrences(text, codes, ~inside_unit)
    if not units and not occurrences:
        return None
    inside_word = _interiors(occurrences, n)
    word_edges = np.zeros(n + 1, dtype=bool)
    if occurrences:
        word_edges[np.array(occurrences, dtype=np.int64).ravel()] = True
    space = is_whitespace(codes)
    kept = ~space
    chunk_start = kept.copy()
    chunk_start[1:] &= space[:-1]
    inner = kept & ~chunk_start  # a boundary here is not given by whitespace
    return Constraints(must_start=(word_edges[:-1] & inner)[kept],
                       no_start=((inside_unit[:-1] | inside_word[:-1]) & inner)[kept],
                       glue=(inside_word[:-1] & chunk_start)[kept])


def _interiors(spans: Sequence[tuple[int, int]], n: int) -> np.ndarray:
    """Flags over positions 0..n: is a boundary here strictly inside one of ``spans``?"""
    depth = np.zeros(n + 2, dtype=np.int64)
    if spans:
        bounds = np.array(spans, dtype=np.int64)
        np.add.at(depth, bounds[:, 0] + 1, 1)
        np.add.at(depth, bounds[:, 1], -1)
    return np.cumsum(depth[: n + 1]) > 0
