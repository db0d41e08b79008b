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
import itertools
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Sequence

import numpy as np

from zhseg.errors import UserError
from zhseg.features.chars import codepoints, is_isolating
from zhseg.features.lexicon import Lexicon
from zhseg.model import core

MAX_USER_WORD = 64  # characters; longer user words are refused (the matcher keeps a filter per length)

_URL = r"(?:https?://|ftp://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*[A-Za-z0-9/#=_\-]"
_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_DIGITS = "[0-9０-９]"
_NUMBER = (rf"{_DIGITS}{{1,3}}(?:[,，]{_DIGITS}{{3}})+(?:[.．]{_DIGITS}+)?[%％]?"  # thousands separators
           rf"|{_DIGITS}+(?:[.．]{_DIGITS}+)?[%％]?")
_LATIN = r"[A-Za-zＡ-Ｚａ-ｚ\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F]+"
RULE_NAMES = ("url", "email", "number", "latin")


# Every rule match opens with a digit or a letter: the lookahead lets the scan skip all other
# characters at once (three times faster on Chinese text).
RULES = re.compile(f"(?=[0-9０-９A-Za-zＡ-Ｚａ-ｚ\u00C0-\u024F])"
                   f"(?:(?P<url>{_URL})|(?P<email>{_EMAIL})|(?P<number>{_NUMBER})|(?P<latin>{_LATIN}))")


PROBE_WINDOW = 64  # characters the exact probe reads after a fast scan's candidate


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


def rule_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of :data:`RULES`' matches of two or more characters, in order:
    found by the compiled core where it was built (the regular expression holds the GIL, which
    made it a tenth of ``zhseg segment``'s time and kept threads from scaling), else by the
    expression itself (:func:`regex_rule_spans`, the reference the core's are tested against)."""
    return core.rule_spans(text) if core.available() else regex_rule_spans(text)


def regex_rule_spans(text: str) -> list[tuple[int, int]]:
    """:func:`rule_spans` by the regular expression."""
    return [m.span() for m in RULES.finditer(text) if m.end() - m.start() > 1]


def unit_spans(text: str, rules: bool) -> list[tuple[int, int]]:
    """Spans of ``text`` that must not be cut: grapheme clusters of two or more code points, and
    with ``rules`` the rule matches of two or more characters."""
    spans = rule_spans(text) if rules else []

    def candidate(at: int):
        # concurrent: the scans release the GIL, as the core does, so threads decoding other
        # batches go on
        if not core.available():
            return _grapheme_patterns()[0].search(text, at, concurrent=True)
        # the core skips what surely holds no cluster; the expression reads a window from there
        # (not the rest of the text: most candidates are symbols, not clusters), so text without
        # one never imports the regex module (13 ms of a fresh process)
        while (at := core.grapheme_candidate(text, at)) >= 0:
            if found := _grapheme_patterns()[0].search(text, at, at + PROBE_WINDOW, concurrent=True):
                return found
            at += PROBE_WINDOW
        return None

    found = candidate(0)
    while found:
        # scan the line holding the candidate, so its clusters are read whole; a line break
        # always ends a cluster
        start = text.rfind("\n", 0, found.start()) + 1
        end = text.find("\n", found.end())
        end = len(text) if end < 0 else end
        # a cluster with whitespace in it (a space carrying a combining mark) cannot be kept
        # whole: whitespace is always a boundary
        spans += [m.span() for m in _grapheme_patterns()[1].finditer(text, start, end, concurrent=True)
                  if m.end() - m.start() > 1 and not any(c.isspace() for c in m.group())]
        found = candidate(end)
    return spans


class UserWords:
    """A user dictionary: words that always come out whole (see the module's docstring).

    Thread-safe: ``add`` and ``remove`` may run while other threads segment; every match that
    starts after ``add`` (``remove``) returned sees the change. The matcher is rebuilt on the
    first use after a change, from a snapshot of the words.
    """

    def __init__(self, words: Iterable[str] = ()):
        self._words: set[str] = set()
        self._splits: dict[str, tuple[int, ...]] = {}  # strings always split, into pieces of these lengths
        self._version = 0  # changes with every change of the words
        self._matcher: tuple | None = None  # (version, words, matchers, singles, splits)
        self._base: tuple | None = None  # (version, word count, matcher): the large matcher, rebuilt rarely
        self._added: set[str] = set()  # words added since the large matcher was built
        self._singles: set[str] = set()  # the one-character words
        self._words_and_splits: set[str] = set()  # what a match may be (membership only)
        self._lock = threading.Lock()
        for word in words:
            self.add(word)

    def __len__(self) -> int:
        return len(self._words) + len(self._splits)

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def __iter__(self):
        with self._lock:
            return iter(sorted(self._words))

    def add(self, word: str) -> None:
        """Add ``word`` (surrounding whitespace is ignored; a word may not contain a line break)."""
        word = check_user_word(word)
        with self._lock:
            if word not in self._words or word in self._splits:
                if self._splits.pop(word, None) is not None:
                    self._base = None
                self._words.add(word)
                self._added.add(word)
                self._words_and_splits.add(word)
                if len(word) == 1:
                    self._singles.add(word)
                self._version += 1

    def remove(self, word: str) -> None:
        """Remove ``word`` if it is there."""
        if not isinstance(word, str):
            raise TypeError(f"a user word is a str, not {type(word).__name__}")
        with self._lock:
            if word.strip() in self._words:
                self._words.discard(word.strip())
                self._forget(word.strip())

    def _forget(self, text: str) -> None:
        """After ``text`` stopped being a word or split (lock held): the large matcher is rebuilt."""
        if text not in self._words and text not in self._splits:
            self._words_and_splits.discard(text)
        if text not in self._words:
            self._singles.discard(text)
        self._base, self._added = None, set()
        self._version += 1

    @property
    def version(self) -> int:
        """Changes with every change of the words or splits."""
        return self._version

    @property
    def splits(self) -> dict[str, tuple[int, ...]]:
        """The strings always split (:meth:`split`), with their pieces' lengths."""
        with self._lock:
            return dict(self._splits)

    def split(self, text: str, pieces: Sequence[int]) -> None:
        """Every occurrence of ``text`` comes out as pieces of these lengths, each one word (matched
        as user words are, leftmost-longest among them); jieba's ``suggest_freq(("中", "将"))``."""
        text = check_user_word(text)
        pieces = tuple(int(n) for n in pieces)
        if sum(pieces) != len(text) or any(n < 1 for n in pieces):
            raise ValueError(f"pieces of {pieces} do not cut {text!r}")
        with self._lock:
            self._words.discard(text)
            self._forget(text)
            self._splits[text] = pieces
            self._words_and_splits.add(text)

    def unsplit(self, text: str) -> None:
        """Forget :meth:`split` for ``text``."""
        with self._lock:
            if self._splits.pop(text.strip(), None) is not None:
                self._forget(text.strip())

    def load(self, source: str | Path | IO[str]) -> int:
        """Add the words of a jieba-format dictionary: a path, or an open text file. Returns how
        many lines held a word."""
        count = 0
        for word in read_user_dict(source):
            self.add(word)
            count += 1
        return count

    OVERLAY_MAX = 2_000  # words added since the last full build that a small second matcher holds

    def _compiled(self) -> tuple[set[str], list, np.ndarray, dict]:
        """The words, their matchers (one for a large set, built rarely; one for the words added
        since, built cheaply, so that with 100,000 words each new one costs a small build), the
        one-character words' flags and the splits."""
        with self._lock:
            matcher = self._matcher
            if matcher is not None and matcher[0] == self._version:
                return matcher[1:]
            version, splits = self._version, dict(self._splits)
            base, added = self._base, frozenset(self._added)
            if base is None or len(added) > max(self.OVERLAY_MAX, base[1] // 10):
                base, added = None, frozenset()
                words_now = frozenset(self._words) | frozenset(splits)
            singles_now = [ord(w) for w in self._singles]
        # built outside the lock (it can take a while); kept only if no change came meanwhile
        if base is None:
            base = (version, len(words_now), _matcher_of(words_now))
        lexicons = [x for x in (base[2], _matcher_of(added) if added else None) if x is not None]
        singles = np.zeros(max(singles_now, default=-1) + 1, dtype=bool)
        singles[singles_now] = True
        with self._lock:
            if self._version == version:
                if self._base is None or self._base[0] < base[0]:
                    self._base, self._added = base, set(added)
                self._matcher = (version, self._words_and_splits, lexicons, singles, splits)
        return self._words_and_splits, lexicons, singles, splits

    def occurrences(self, text: str, codes: np.ndarray, cuttable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The spans of ``text`` that are occurrences of user words, leftmost-longest, among
        matches whose both ends are positions where ``cuttable`` (one flag per position 0..n)
        allows a boundary.

        Long texts are matched by hash (features/lexicon.py), which could take an n-gram for a
        user word on a hash collision, with odds of about one in 10^14 per n-gram; short texts
        (one sentence) are matched exactly.
        """
        words, lexicons, singles, splits = self._compiled()
        if not words:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        longest = np.zeros(len(codes), dtype=np.int64)
        for lexicon in lexicons:  # the longest word of the union starting here: the longer of each's
            np.maximum(longest, lexicon.longest_starting(codes), out=longest)
        if len(singles):
            single = singles.take(np.minimum(codes, len(singles) - 1)) & (codes < len(singles))
            longest[(longest == 0) & single] = 1
        starts = np.flatnonzero((longest > 0) & cuttable[:-1])
        lengths = longest.take(starts)
        misfits = np.flatnonzero(~cuttable.take(starts + lengths))
        if len(misfits):  # the longest match ends inside a unit: a shorter one may fit
            for k in misfits.tolist():
                start = int(starts[k])
                lengths[k] = next((j for j in range(int(lengths[k]) - 1, 0, -1)
                                   if cuttable[start + j] and text[start : start + j] in words), 0)
            keep = lengths > 0
            starts, lengths = starts[keep], lengths[keep]
        ends = starts + lengths
        chosen = leftmost_longest(starts, ends)
        starts, ends = starts[chosen], ends[chosen]
        if splits:  # an occurrence of a split string: its pieces, each a word (where all can be cut)
            out_starts, out_ends = [], []
            for a, b in zip(starts.tolist(), ends.tolist()):
                pieces = splits.get(text[a:b])
                cuts = np.cumsum((0,) + pieces)[1:-1] + a if pieces else ()
                if pieces is None:
                    out_starts.append(a), out_ends.append(b)
                elif all(cuttable[c] for c in cuts):
                    bounds = [a, *map(int, cuts), b]
                    out_starts += bounds[:-1]
                    out_ends += bounds[1:]
            starts, ends = np.array(out_starts, dtype=np.int64), np.array(out_ends, dtype=np.int64)
        return starts, ends


def _matcher_of(words) -> Lexicon | None:
    """A matcher of the words of two or more characters (exactly as written: no folding)."""
    longer = [w for w in words if len(w) > 1]
    return Lexicon(longer, max(map(len, longer)), fold=None) if longer else None


def leftmost_longest(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which of the candidate matches ``[starts[k], ends[k])`` (starts increasing, each the
    longest at its start) a left-to-right scan takes: the first, then the first starting at or
    after its end, and so on. Returns a boolean per candidate.

    Vectorised: a candidate that no earlier one reaches is taken for certain, and the scan from
    each such candidate runs in parallel with the others, one step per round, until it reaches
    the next such candidate.
    """
    taken = np.zeros(len(starts), dtype=bool)
    if not len(starts):
        return taken
    reach = np.maximum.accumulate(ends)
    free = np.ones(len(starts), dtype=bool)
    free[1:] = starts[1:] >= reach[:-1]
    free_at = np.flatnonzero(free)
    # the index of the next free candidate after each candidate: where its scan stops
    stop = np.append(free_at, len(starts)).take(np.searchsorted(free_at, np.arange(len(starts)), side="right"))
    heads = free_at
    while len(heads):
        taken[heads] = True
        following = np.searchsorted(starts, ends.take(heads), side="left")
        heads = following[following < stop.take(heads)]
    return taken


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
        content = source.read()
        if isinstance(content, bytes):  # a file opened in binary mode, as jieba allows
            try:
                content = content.decode("utf-8")
            except UnicodeDecodeError as error:
                raise UserError(f"{name}: not UTF-8 at byte {error.start}; user dictionaries are UTF-8") from None
        numbered = enumerate(content.lstrip("\ufeff").splitlines(), start=1)
    elif not isinstance(source, (str, Path)):
        raise TypeError(f"a user dictionary is a path or an open file, not {type(source).__name__}")
    else:
        name = str(source)
        numbered = read_lines(source, "utf-8")
    words = []
    try:
        lines = list(numbered)
    except UserError as error:  # user dictionaries have no --encoding: say how to convert instead
        message = str(error).replace("; try --encoding", "")
        raise UserError(f"{message}; user dictionaries are UTF-8: convert it first (iconv -f gb18030 -t utf-8)") from None
    for line_no, line in lines:
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


# Per character, what constraints say of a word starting there (0: nothing, 1: one must, 2: none
# may) and of one starting just after it; allowed_by_state says which labels satisfy each pair.
FREE, MUST, NEVER = 0, 1, 2


@dataclass
class Constraints:
    """Constraints over the characters of a text's chunks (whitespace removed).

    start: per character, FREE, MUST (a word starts here) or NEVER (no word starts here).
    glue: this character opens a chunk but continues the word before it (a user word with
        whitespace inside).
    """

    start: np.ndarray
    glue: np.ndarray

    def label_mask(self, table: np.ndarray) -> np.ndarray:
        """Allowed labels per character, ``(n, n_labels)`` bool, from a model's
        :func:`allowed_by_state` table."""
        state = self.start * 3
        state[:-1] += self.start[1:]  # what is asked of the next character, through this one's end
        return table.take(state, axis=0)


def with_boundaries(constraints: Constraints | None, n: int, boundaries: np.ndarray) -> Constraints:
    """``constraints`` (None: none) over ``n`` characters, plus "a word starts here" at each of
    ``boundaries`` (known boundaries: whitespace, or those of partially segmented text, which
    win over a rule span)."""
    start = np.zeros(n, dtype=np.int8) if constraints is None else constraints.start.copy()
    glue = np.zeros(n, dtype=bool) if constraints is None else constraints.glue
    start[boundaries] = MUST
    return Constraints(start=start, glue=glue)


def allowed_by_state(start_label: np.ndarray, end_label: np.ndarray) -> np.ndarray:
    """``(9, n_labels)``: the labels allowed at a character whose start constraint is ``state // 3``
    and whose next character's is ``state % 3``, for a model whose labels start a word where
    ``start_label`` and end one where ``end_label``. A word starts at a character exactly when its
    label is a start label or the previous one an end label, so "a word starts here" asks for
    both and "no word starts here" forbids both. Computed once per model, not per text."""
    table = np.ones((9, len(start_label)), dtype=bool)
    for here in (FREE, MUST, NEVER):
        for after in (FREE, MUST, NEVER):
            row = table[3 * here + after]
            if here == MUST:
                row &= start_label
            elif here == NEVER:
                row &= ~start_label
            if after == MUST:
                row &= end_label
            elif after == NEVER:
                row &= ~end_label
            # a model that never saw the label a combination needs (no 3-character words, say)
            # cannot enforce it: leave such a character free rather than unsatisfiable
            if not row.any():
                row[:] = True
    return table


def find_spans(text: str, rules: bool, user_words: UserWords | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The spans of ``text`` that constrain decoding, as ``(k, 2)`` int64 arrays of
    ``(start, end)`` offsets sorted by start: the units never cut inside (grapheme clusters and,
    with ``rules``, rule matches) and the user-word occurrences, each exactly one word. None when
    there are neither. Both decoders read these: the numpy path through :func:`find_constraints`,
    the compiled core directly."""
    units = unit_spans(text, rules)
    has_user_words = user_words is not None and len(user_words) > 0
    if not units and not has_user_words:
        return None
    # from a flat iterator: three times faster than from the list of pairs
    unit_pairs = np.fromiter(itertools.chain.from_iterable(sorted(units)), dtype=np.int64,
                             count=2 * len(units)).reshape(-1, 2)
    words = np.zeros((0, 2), dtype=np.int64)
    if has_user_words:
        codes = codepoints(text)
        inside_unit = interiors(unit_pairs[:, 0], unit_pairs[:, 1], len(codes))
        starts, ends = user_words.occurrences(text, codes, ~inside_unit)
        words = np.stack((starts, ends), axis=1).astype(np.int64)
    if not units and not len(words):
        return None
    return unit_pairs, words


def find_constraints(text: str, rules: bool, user_words: UserWords | None,
                     isolate: bool | None = None, cuts: Sequence[int] = ()) -> Constraints | None:
    """The constraints of ``text`` (lines joined by newlines), over its non-whitespace characters;
    None when nothing is constrained. With ``isolate`` (by default: with ``rules``), punctuation,
    symbols and pictographs (features/chars.py, ``is_isolating``) never share a word with other
    characters: a word starts wherever the text passes between the two, unless a unit or user
    word spans that place. ``cuts``: positions of ``text`` where a word must start, unless a unit or
    user word spans them."""
    spans = find_spans(text, rules, user_words)
    codes = codepoints(text)
    isolating = is_isolating(codes) if (rules if isolate is None else isolate) else None
    turns = np.zeros(0, dtype=np.int64)
    if isolating is not None and len(codes) > 1:
        turns = np.flatnonzero(isolating[1:] != isolating[:-1]) + 1
    if len(cuts):
        turns = np.union1d(turns, np.asarray(cuts, dtype=np.int64))
    if spans is None and not len(turns):
        return None
    units, words = spans if spans is not None else (np.zeros((0, 2), dtype=np.int64),) * 2
    n = len(codes)
    inside_unit = interiors(units[:, 0], units[:, 1], n)
    inside_word = interiors(words[:, 0], words[:, 1], n)
    space = is_whitespace(codes)
    kept = ~space
    chunk_start = kept.copy()
    chunk_start[1:] &= space[:-1]
    inner = kept & ~chunk_start  # a boundary here is not given by whitespace
    start = np.zeros(n + 1, dtype=np.int8)
    start[turns] = MUST
    start[inside_unit | inside_word] = NEVER
    start[words[:, 0]] = MUST
    start[words[:, 1]] = MUST
    start = start[:-1]
    start[~inner] = FREE
    return Constraints(start=start[kept], glue=(inside_word[:-1] & chunk_start)[kept])


def interiors(starts: np.ndarray, ends: np.ndarray, n: int) -> np.ndarray:
    """Flags over positions 0..n: is a boundary here strictly inside a span ``[starts[k], ends[k])``?"""
    if not len(starts):
        return np.zeros(n + 1, dtype=bool)
    depth = np.bincount(starts + 1, minlength=n + 2) - np.bincount(ends, minlength=n + 2)
    return np.cumsum(depth[: n + 1]) > 0
