"""jieba's segmentation API over a zhseg Segmenter, so that ``import zhseg as jieba`` works.

:class:`Tokenizer` speaks jieba 0.42's language (``cut(s, cut_all, HMM)``, search mode,
``tokenize(mode=...)``, ``suggest_freq``, ``del_word``, ``set_dictionary``, ...) and translates it
to a :class:`zhseg.model.segmenter.Segmenter`, which keeps zhseg's own API. ``zhseg.dt`` is the
module's default Tokenizer (the embedded model, loaded on first use) and ``zhseg.cut`` and the
other module-level functions are its methods, as ``jieba.dt`` and ``jieba.cut`` are.

What each jieba notion means for a CRF:

- **default mode**: the model's words. Each line is decoded on its own (so parallel cut equals
  serial cut); whitespace is yielded as tokens, one per whitespace character (``\\r\\n`` as one), as
  jieba does.
- **HMM=False**: jieba then keeps only dictionary words together. Here: a word of two or more Han
  characters that no lexicon knows (the training vocabulary, the model's word lists, a
  ``set_dictionary`` list, user words) is split into its characters.
- **full mode** (``cut_all=True``): every word of those lexicons found in the text, plus the
  model's words, ordered by start, then end, as jieba's full mode orders them.
- **search mode** (``cut_for_search``, ``tokenize(mode="search")``): the model's words, each
  long word preceded by its sub-words of 2 (and, for words of four or more, 3) characters that a
  lexicon knows.
- **dictionary** (``Tokenizer(dictionary=PATH)``, ``set_dictionary``): a jieba-format word list
  that takes the place of the model's first word list (jieba's own dict.txt in the embedded
  model): its matches become that list's features, and full and search modes look words up in it.
- **suggest_freq(word, True)** keeps a string whole; ``suggest_freq(("中", "将"), True)`` makes
  every occurrence of 中将 the two words; ``del_word(w)`` and ``add_word(w, 0)`` keep ``w`` from
  coming out whole (split into the model's words of it, or in two halves): all through the
  decoding constraints. Frequencies mean nothing to a CRF: ``get_FREQ`` answers 1 for a word a
  lexicon knows, else None (or the default given).
- **enable_parallel(n)**: ``cut`` of a text of many lines spreads its lines over n processes.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from pathlib import Path
from typing import Iterable, Iterator

logger = logging.getLogger("zhseg")

PARALLEL_MIN_CHARS = 20_000  # shorter texts are cut here: starting workers would cost more
_WHITESPACE = re.compile(r"\r\n|\s")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def decode(sentence) -> str:
    """jieba's reading of its input: str as is, bytes as UTF-8, else GBK (what cannot be read dropped)."""
    if isinstance(sentence, str):
        return sentence
    if isinstance(sentence, (bytes, bytearray)):
        try:
            return bytes(sentence).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(sentence).decode("gbk", "ignore")
    raise TypeError(f"expected a str or bytes to segment, got {type(sentence).__name__}")


class Tokenizer:
    """jieba's ``Tokenizer``: a segmenter with its own user words, loaded on first use.

    dictionary: a jieba-format word list (``word [freq] [tag]`` lines) in place of the model's
        first word list; None keeps the model's.
    model: a model directory; None, the embedded default model.
    standard: the segmentation standard of a model of several (``zhseg.standards()``).
    """

    def __init__(self, dictionary=None, model=None, standard: str | None = None):
        self.dictionary = dictionary
        self.model = model
        self.standard = standard
        self.tmp_dir = None  # jieba's cache settings: accepted, unused (nothing is cached on disk)
        self.cache_file = None
        self._segmenter = None
        self._lexicons = None
        self._lock = threading.RLock()
        self._deleted: dict[str, int] = {}  # del_word: word -> where a boundary goes when it comes out whole
        self._parallel = 0
        self._pool = None
        self._pool_key = None

    def __reduce__(self):
        """A Tokenizer pickles as its settings and user words (never arrays); ``zhseg.dt`` as "the
        module's default" with its user words, which a worker process adds to its own ``zhseg.dt``:
        so ``zhseg.lcut`` reaches spawned workers (scikit-learn's n_jobs, multiprocessing) with
        the parent's words."""
        words = self._segmenter.user_words if self._segmenter is not None else None
        state = (tuple(words) if words is not None else (), words.splits if words is not None else {})
        import zhseg

        if self is zhseg.dt:
            return (_default_tokenizer, (self.dictionary, self.standard, *state))
        return (_restored_tokenizer, (self.dictionary, None if self.model is None else str(self.model), self.standard,
                                      *state))

    def __repr__(self) -> str:
        return f"<zhseg.Tokenizer dictionary={self.dictionary!r} model={self.model or 'default'}>"

    # -- loading -----------------------------------------------------------------------------
    @property
    def segmenter(self):
        """The Segmenter behind this Tokenizer (loaded on first use)."""
        if self._segmenter is None:
            self.initialize()
        return self._segmenter

    def initialize(self, dictionary=None) -> None:
        """Load now rather than on first use (``dictionary``: as :meth:`set_dictionary`)."""
        with self._lock:
            if dictionary is not None:
                self.dictionary, self._segmenter = dictionary, None
            if self._segmenter is None:
                self._segmenter, self._lexicons = _load(self.model, self.dictionary, self.standard)

    def set_dictionary(self, dictionary_path) -> None:
        """Use the jieba-format word list at ``dictionary_path`` in place of the model's first
        word list (user words added so far are kept)."""
        self._reload(dictionary=dictionary_path)

    def set_standard(self, standard: str | None) -> None:
        """Follow another standard of the model (None: its default); user words are kept."""
        self._reload(standard=standard)

    def _reload(self, **settings) -> None:
        """Load again with changed settings, keeping the user words (and deleted words)."""
        with self._lock:
            words = self._segmenter.user_words if self._segmenter is not None else None
            for name, value in settings.items():
                setattr(self, name, value)
            self._segmenter = None
            self.initialize()
            if words is not None:
                self._segmenter.user_words = words

    # -- segmenting --------------------------------------------------------------------------
    def cut(self, sentence, cut_all: bool = False, HMM: bool = True, use_paddle: bool = False) -> Iterator[str]:
        """Yield the words of ``sentence`` (str, or bytes: UTF-8, else GBK) in jieba's modes:
        default, full (``cut_all``), HMM off (see the module's docstring); whitespace as tokens.
        ``use_paddle`` is accepted and ignored (with a warning)."""
        if use_paddle:
            warnings.warn("zhseg has no paddle mode: use_paddle is ignored", stacklevel=2)
        text = decode(sentence)
        for word, _, _ in self._tokens(text, cut_all, HMM):
            yield word

    def lcut(self, sentence, cut_all: bool = False, HMM: bool = True, use_paddle: bool = False) -> list[str]:
        """:meth:`cut` as a list."""
        text = decode(sentence)
        if not cut_all and HMM and not use_paddle and not self._parallel and not self._deleted and not _has_whitespace(text):
            return self.segmenter.lcut(text)  # the common case: one call of the core
        return list(self.cut(text, cut_all, HMM, use_paddle))

    def cut_for_search(self, sentence, HMM: bool = True) -> Iterator[str]:
        """Search mode: each long word preceded by its known sub-words of 2 and 3 characters."""
        for word, _, _ in self._search_tokens(decode(sentence), HMM):
            yield word

    def lcut_for_search(self, sentence, HMM: bool = True) -> list[str]:
        return list(self.cut_for_search(sentence, HMM))

    def tokenize(self, unicode_sentence, mode: str = "default", HMM: bool = True) -> Iterator[tuple[str, int, int]]:
        """Yield ``(word, start, end)``, offsets into the sentence (a str, as jieba requires);
        ``mode`` "default" or "search"."""
        if not isinstance(unicode_sentence, str):
            raise ValueError("zhseg: the input parameter should be unicode (a str)")
        if mode not in ("default", "search"):
            raise ValueError(f"unknown tokenize mode {mode!r}: expected 'default' or 'search'")
        tokens = self._search_tokens(unicode_sentence, HMM) if mode == "search" else \
            self._tokens(unicode_sentence, False, HMM)
        yield from tokens

    # -- the dictionary ----------------------------------------------------------------------
    def load_userdict(self, f) -> None:
        """Add the words of a jieba-format user dictionary (a path, or a file open in text or
        binary mode): each always comes out whole."""
        self.segmenter.load_userdict(f)

    def add_word(self, word: str, freq=None, tag=None) -> None:
        """Keep ``word`` whole wherever it occurs; ``freq`` 0 is :meth:`del_word`, as in jieba."""
        if freq is not None and not isinstance(freq, bool) and freq == 0:
            self.del_word(word)
            return
        self.segmenter.user_words.unsplit(word)
        self._deleted.pop(word.strip() if isinstance(word, str) else word, None)
        self.segmenter.add_word(word)

    def del_word(self, word: str) -> None:
        """Keep ``word`` from ever coming out whole: where the model gives it whole, the line is
        decoded again with a boundary inside it (where the model splits the word alone, else in
        the middle); everything else is left as it was."""
        segmenter = self.segmenter
        segmenter.del_word(word)
        if not isinstance(word, str) or len(word.strip()) < 2:
            return
        word = word.strip()
        segmenter.user_words.unsplit(word)
        pieces = segmenter.lcut(word)
        with self._lock:
            self._deleted[word] = len(pieces[0]) if len(pieces) > 1 else len(word) // 2

    def suggest_freq(self, segment, tune: bool = False) -> int:
        """jieba's frequency tuning as constraints: a str ``segment`` is kept whole, a tuple of
        strings is split into them, wherever it occurs (only with ``tune``; jieba applies it only
        then too). Returns 1 for a string kept whole, 0 for a split (frequencies mean nothing to
        a CRF)."""
        if isinstance(segment, str):
            word = segment.strip()
            if tune:
                self.add_word(word)
            return 1
        pieces = [decode(p).strip() for p in segment]
        if not pieces or not all(pieces):
            raise ValueError("suggest_freq: a tuple of non-empty strings to split into")
        if tune:
            joined = "".join(pieces)
            self.segmenter.del_word(joined)
            if len(pieces) > 1:
                self.segmenter.user_words.split(joined, [len(p) for p in pieces])
        return 0

    def get_FREQ(self, k: str, d=None):
        """1 where a lexicon (training vocabulary, word lists, dictionary, user words) knows ``k``,
        else ``d``."""
        return 1 if self._known(k) else d

    def get_dict_file(self):
        """The dictionary given (a path), or None: the model's own lists."""
        return self.dictionary

    # -- parallel ----------------------------------------------------------------------------
    def enable_parallel(self, processnum: int | None = None) -> None:
        """``cut`` of long texts spreads their lines over ``processnum`` processes (default: one
        per CPU); the words are the same as without."""
        if processnum is not None and (not isinstance(processnum, int) or processnum < 1):
            raise ValueError(f"enable_parallel: a number of processes >= 1, not {processnum!r}")
        self.disable_parallel()
        self._parallel = processnum or os.cpu_count() or 1

    def disable_parallel(self) -> None:
        """Back to one process."""
        pool, self._pool, self._parallel = self._pool, None, 0
        if pool is not None:
            pool.terminate()

    # -- internals ---------------------------------------------------------------------------
    def _tokens(self, text: str, cut_all: bool, hmm: bool) -> Iterator[tuple[str, int, int]]:
        lines, starts = _lines(text)
        if self._parallel > 1 and len(lines) > 1 and len(text) >= PARALLEL_MIN_CHARS:
            bounds = self._parallel_bounds(lines)
        else:
            bounds = self.segmenter.line_bounds(lines)
        if self._deleted:
            bounds = self._without_deleted(lines, bounds)
        for line, start, spans in zip(lines, starts, bounds):
            if cut_all:
                spans = self._full(line, spans)
            elif not hmm:
                spans = self._without_unknown(line, spans)
            position = 0
            for a, b in spans:
                if a > position:
                    yield from _whitespace(text, start + position, start + a)
                yield line[a:b], start + a, start + b
                position = b
            end = start + len(line)
            crlf = end < len(text) and line.endswith("\r")  # "\r\n" is one token, as in jieba
            if position < len(line) - crlf:
                yield from _whitespace(text, start + position, end - crlf)
            if end < len(text):  # the line break
                yield text[end - crlf : end + 1], end - crlf, end + 1

    def _without_deleted(self, lines: list[str], bounds: list) -> list:
        """Lines where a deleted word came out whole, decoded again with a boundary inside each such
        occurrence (a few rounds: a new boundary can, rarely, make another deleted word whole)."""
        deleted = dict(self._deleted)
        cuts: dict[int, set[int]] = {}
        for _ in range(4):
            redo = {}
            for k, spans in enumerate(bounds):
                found = {a + deleted[lines[k][a:b]] for a, b in spans if lines[k][a:b] in deleted}
                if found - cuts.get(k, set()):
                    redo[k] = cuts.setdefault(k, set())
                    redo[k] |= found
            if not redo:
                break
            order = sorted(redo)
            again = self.segmenter.line_bounds([lines[k] for k in order], [sorted(redo[k]) for k in order])
            bounds = list(bounds)
            for k, spans in zip(order, again):
                bounds[k] = spans
        return bounds

    def _search_tokens(self, text: str, hmm: bool) -> Iterator[tuple[str, int, int]]:
        for word, start, end in self._tokens(text, False, hmm):
            if len(word) > 2:
                grams = [(word[i : i + 2], start + i) for i in range(len(word) - 1)]
                if len(word) > 3:
                    grams += [(word[i : i + 3], start + i) for i in range(len(word) - 2)]
                known = self._known_many([g for g, _ in grams])
                for (gram, at), ok in zip(grams, known):
                    if ok:
                        yield gram, at, at + len(gram)
            yield word, start, end

    def _full(self, line: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The model's words and every lexicon word of the line that cuts no rule span or grapheme
        cluster (as a user word would not: no ``on`` inside ``Python``)."""
        from zhseg.model.constraints import unit_spans

        units = unit_spans(line, self.segmenter.rules)
        inside = {k for a, b in units for k in range(a + 1, b)}
        found = set(spans)
        for lexicon in self._lexicon_list():
            found.update((a, b) for a, b in _matches(lexicon, line) if a not in inside and b not in inside)
        return sorted(found)

    def _without_unknown(self, line: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        candidates = [(a, b) for a, b in spans if b - a > 1 and _HAN.fullmatch(line, a, b)]
        known = dict(zip(candidates, self._known_many([line[a:b] for a, b in candidates])))
        out = []
        for a, b in spans:
            if known.get((a, b), True):
                out.append((a, b))
            else:
                out.extend((k, k + 1) for k in range(a, b))
        return out

    def _lexicon_list(self):
        if self._segmenter is None:
            self.initialize()
        return self._lexicons

    def _known(self, word: str) -> bool:
        return self._known_many([word])[0]

    def _known_many(self, words: list[str]) -> list[bool]:
        if not words:
            return []
        user = self.segmenter.user_words
        known = [w in user for w in words]
        for lexicon in self._lexicon_list():
            for k, hit in enumerate(lexicon.contains(words)):
                known[k] = known[k] or bool(hit)
        return known

    def _parallel_bounds(self, lines: list[str]) -> list[list[tuple[int, int]]]:
        segmenter = self.segmenter
        key = (id(segmenter), segmenter.user_words.version, self._parallel)
        with self._lock:
            if self._pool is None or self._pool_key != key:
                if self._pool is not None:
                    self._pool.terminate()
                import multiprocessing

                self._pool = multiprocessing.Pool(self._parallel, initializer=_start_worker, initargs=(segmenter,))
                self._pool_key = key
            pool = self._pool
        size = -(-len(lines) // self._parallel)
        parts = pool.map(_worker_bounds, [lines[i : i + size] for i in range(0, len(lines), size)])
        return [spans for part in parts for spans in part]


def _has_whitespace(text: str) -> bool:
    # every whitespace character but " " is unprintable to str.isprintable (a quick test, in C)
    return " " in text or not text.isprintable()


def _lines(text: str) -> tuple[list[str], list[int]]:
    """The lines of ``text`` (split at "\\n"; a "\\r" before it stays in its line, as whitespace)
    and where each starts."""
    lines = text.split("\n")
    starts, position = [], 0
    for line in lines:
        starts.append(position)
        position += len(line) + 1
    return lines, starts


def _whitespace(text: str, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """jieba's whitespace tokens between words: each character, ``\\r\\n`` as one."""
    for match in _WHITESPACE.finditer(text, start, end):
        yield match.group(), match.start(), match.end()


def _matches(lexicon, line: str) -> set[tuple[int, int]]:
    """Every (start, end) of ``line`` where a word of ``lexicon`` stands."""
    return {(a, a + n) for a, n in lexicon.all_matches(line)}


def _load(model, dictionary, standard):
    """A Segmenter (the default model, or ``model``) with ``dictionary`` as its first word list,
    and the lexicons full and search modes look words up in."""
    import dataclasses

    import zhseg
    from zhseg.features.corpus import read_dictionary
    from zhseg.features.lexicon import Lexicon
    from zhseg.model.segmenter import Segmenter

    path = zhseg.default_model_path() if model is None else Path(model)
    base = zhseg._model(path)
    if dictionary is not None:
        listed = read_dictionary(dictionary).words
        config = base.config
        extra = Lexicon(listed, config.word_list or 8, fold=config.fold, python_loop=False)
        if config.word_list:
            # another model as far as the core is concerned: cores of its own, never its files' tables
            base = dataclasses.replace(base, word_lists=(extra, *base.word_lists[1:]), tables=None, cores={},
                                       cores_lock=threading.Lock())
        lexicons_extra = (extra,)
    else:
        lexicons_extra = ()
    segmenter = Segmenter(base, standard=standard)
    segmenter.directory = path.resolve() if dictionary is None else None
    lexicons = tuple(x for x in ((base.lexicon,) if base.lexicon is not None else ()) + tuple(base.word_lists)
                     + lexicons_extra)
    return segmenter, tuple(dict.fromkeys(lexicons))


def _apply(tokenizer: Tokenizer, words, splits) -> Tokenizer:
    if words or splits:
        user = tokenizer.segmenter.user_words
        for word in words:
            user.add(word)
        for text, pieces in splits.items():
            user.split(text, pieces)
    return tokenizer


def _default_tokenizer(dictionary, standard, words, splits) -> Tokenizer:
    import zhseg

    if dictionary != zhseg.dt.dictionary:
        zhseg.dt.set_dictionary(dictionary)
    if standard != zhseg.dt.standard:
        zhseg.dt.set_standard(standard)
    return _apply(zhseg.dt, words, splits)


def _restored_tokenizer(dictionary, model, standard, words, splits) -> Tokenizer:
    return _apply(Tokenizer(dictionary, model, standard), words, splits)


_worker_segmenter = None


def _start_worker(segmenter) -> None:
    global _worker_segmenter
    _worker_segmenter = segmenter


def _worker_bounds(lines: list[str]) -> list[list[tuple[int, int]]]:
    return _worker_segmenter.line_bounds(lines)

