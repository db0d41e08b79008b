"""The public segmenting API: ``Segmenter.load(model_dir).cut(text)``.

Whitespace is always a word boundary and never part of a word (except inside a user word that
holds it), so the words of a text join back to exactly its non-whitespace characters. Each line
(``cut``'s whole text) is one sequence for the CRF, its whitespace removed and each boundary it
gave kept by a constraint, so that the characters on either side still see each other: decoding
every whitespace-separated chunk on its own scored 0.1 to 0.3 F1 lower on text with spaces
between words (benchmarks/spaced_text.py). The crfsuite reference tagger cannot be constrained:
it decodes each chunk on its own.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import threading
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from zhseg.errors import os_failure
from zhseg.features.corpus import Sentence
from zhseg.features.lexicon import Lexicon
from zhseg.features.tags import WORD_END_TAGS, WORD_START_TAGS, word_start_flags
from zhseg.features.templates import feature_keys, padded_bases
from zhseg.model import store
from zhseg.model.assemble import line_lengths, slice_words, spaced_lines, split_spaced
from zhseg.model.compiled import COMMON, decoding_names, standard_groups
from zhseg.model import core
from zhseg.model.constraints import (NEVER, Constraints, UserWords, allowed_by_state, find_constraints, find_spans,
                                     with_boundaries)
from zhseg.model.crfsuite_file import attribute_strings, check_crfsuite_file
from zhseg.textio import TextBlock

CHUNK = re.compile(r"\S+")
BACKENDS = ("compiled", "numpy", "auto", "crfsuite")
DEFAULT_BACKEND = "auto"
BATCH_CHARS = 100_000  # characters decoded together in bulk mode; bounds memory
SPLIT_MIN_CHARS = 512  # cut() sends texts at least this long down the bulk path
PYTHON_LOOP_MAX_WORDS = 60_000  # vocabularies up to this match sentences in plain Python


class Segmenter:
    """A trained segmenter.

    Use :meth:`load`; then :meth:`cut` for one text, :meth:`cut_lines` for many lines at once (much
    faster per character), :meth:`tokenize` for words with their offsets.

    backend: the same for the Python API and the command lines: ``compiled`` decodes in zhseg's
        C core (zhseg/_core.c, built at install time with the machine's C compiler): several
        times jieba's speed; ``numpy`` decodes from the same arrays step by step with numpy, the
        reference the core must equal; ``auto`` (the default) is ``compiled`` where it was built,
        else ``numpy`` (with a one-line notice); ``crfsuite`` feeds the same features to
        python-crfsuite's tagger, the reference the others are checked against without
        constraints. All give the same words. The crfsuite tagger cannot be constrained: it needs
        ``rules=False`` and refuses user words, and it does not keep grapheme clusters whole.
    rules: keep URLs, e-mail addresses, numbers and Latin words whole, and never let punctuation,
        symbols or pictographs share a word with other text (model/constraints.py).
    standard: for a multi-corpus model, the segmentation standard to follow (one of
        ``model.standards``, or ``common``: the weights all corpora share; default the model's
        default standard).
    user_words: words that always come out whole (:meth:`add_word`, :meth:`load_userdict`).
    isolate: punctuation, symbols and pictographs never share a word with other text (default: as
        ``rules``; False measures what the constraint changes).

    Grapheme clusters always stay whole. A Segmenter may be shared by threads, its user words
    changed while others segment included: a call that starts after ``add_word`` returned sees
    the word (model/constraints.py, ``UserWords``).
    """

    def __init__(self, model: store.Model, backend: str = DEFAULT_BACKEND, rules: bool = True,
                 user_words: UserWords | None = None, standard: str | None = None, isolate: bool | None = None):
        self.model = model
        self.directory: Path | None = None  # set by load(): what a pickled Segmenter refers to
        self._backend_asked = backend
        self.backend = resolve_backend(backend)
        if standard is not None and standard not in model.standards and not (standard == COMMON and model.standards):
            offered = ", ".join(model.standards + (COMMON,)) if model.standards else "none: it was trained on one corpus"
            raise ValueError(f"unknown standard {standard!r}; this model's standards: {offered}")
        self.standard = standard if standard is not None else model.default_standard
        if self.backend == "crfsuite" and rules:
            raise ValueError("the crfsuite backend is the unconstrained reference: it cannot apply the rules; "
                             "pass rules=False (--no-rules)")
        self.rules = rules
        self.isolate = rules if isolate is None else isolate
        self.user_words = user_words if user_words is not None else UserWords()
        self.config = model.config
        self._template_names = decoding_names(self.config, model.standards, self.standard)
        self.crf = model.crf
        if model.standards:  # one standard's templates, each shared one summed with its copy
            selected = model.crf.select(self._template_names)
            self.crf = selected.summed(*standard_groups(selected.templates, self.standard))
        labels = self.crf.labels
        self._start_label = np.array([label in WORD_START_TAGS for label in labels])
        self._end_label = np.array([label in WORD_END_TAGS for label in labels])
        self._allowed_by_state = allowed_by_state(self._start_label, self._end_label)
        self._label_index = {label: i for i, label in enumerate(labels)}
        self._tagger = None
        self._tagger_lock = threading.Lock()  # one crfsuite tagger, not safe to share between threads
        # dictionary features match against the training vocabulary
        small = model.meta.get("training", {}).get("vocabulary", 0) <= PYTHON_LOOP_MAX_WORDS
        if self.config.dictionary and (model.lexicon is None or (small and not model.lexicon.python_loop)):
            # built from the words, with the plain-Python matcher for sentences (faster per call);
            # past PYTHON_LOOP_MAX_WORDS its first use costs more than a fresh process should
            # wait, and the stored tables (numpy matching) serve instead
            model.lexicon = Lexicon(model.vocabulary, self.config.dictionary, fold=self.config.fold)
        self.lexicon = model.lexicon
        self.word_lists = model.word_lists
        self._core = None  # the compiled core's tables, built on first use
        self._local = threading.local()

    @classmethod
    def load(cls, directory: str | Path, backend: str = DEFAULT_BACKEND, rules: bool = True,
             user_dicts: Sequence[str | Path] = (), standard: str | None = None) -> "Segmenter":
        """Load a model directory written by ``zhseg train`` (ModelError if it is not one), with
        the user words of the jieba-format files ``user_dicts``."""
        if isinstance(user_dicts, (str, Path)):  # one path, not a sequence of one-character paths
            user_dicts = (user_dicts,)
        segmenter = cls(store.load(directory), backend, rules, standard=standard)
        segmenter.directory = Path(directory).resolve()
        for path in user_dicts:
            segmenter.load_userdict(path)
        return segmenter

    def __reduce__(self):
        """A Segmenter pickles as what it is made of: its model directory (or "the embedded default
        model"), backend, rules, standard and user words; never arrays or code. Unpickled, it
        loads the model again and refuses one whose files changed meanwhile."""
        if self.directory is None:
            raise TypeError("a Segmenter pickles as a reference to its model directory, and this one was not loaded "
                            "from one: save it (Segmenter.save) and load that")
        import zhseg

        where = DEFAULT_MODEL if self.directory == zhseg.default_model_path().resolve() else str(self.directory)
        return (_unpickle, (where, self._backend_asked, self.rules, self.standard, tuple(self.user_words),
                            self.meta.get("files"), self.isolate, self.user_words.splits))

    def save(self, directory: str | Path) -> Path:
        """Write this segmenter's model as a model directory (atomically)."""
        return store.save(self.model, directory)

    @property
    def meta(self) -> dict:
        return self.model.meta

    @property
    def vocabulary(self) -> frozenset[str]:
        """The words seen in training."""
        return self.model.vocabulary

    # -- user words -------------------------------------------------------------------------
    def load_userdict(self, source) -> None:
        """Add the words of a jieba-format user dictionary (``word [freq] [tag]`` per line, freq
        and tag ignored; a path or an open text file)."""
        self._check_constrainable()
        self.user_words.load(source)

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        """Add a user word: every occurrence comes out as one word (``freq`` and ``tag`` are
        accepted for jieba compatibility and ignored)."""
        self._check_constrainable()
        self.user_words.add(word)

    def del_word(self, word: str) -> None:
        """Remove a user word (nothing happens if it is not one)."""
        self.user_words.remove(word)

    # -- public API -------------------------------------------------------------------------
    def cut(self, text: str) -> Iterator[str]:
        """Segment one text; yield its words (whitespace separates words and is dropped, except
        inside a user word that contains it)."""
        return iter(self.lcut(text))

    def lcut(self, text: str) -> list[str]:
        """:meth:`cut` as a list."""
        _check_text(text)
        if self.backend == "compiled":
            return self._core_words([text])[0]
        chunks = CHUNK.findall(text)
        if sum(map(len, chunks)) >= SPLIT_MIN_CHARS:
            return self._cut_batch([text])[0]
        if not chunks:
            return []
        constraints = self._constraints(text)
        starts = self._word_starts(*self._sequences([chunks], constraints))
        if constraints is not None and constraints.glue.any():
            return _glued_words([text], starts)[0]
        return slice_words("".join(chunks), starts)

    def cut_lines(self, lines: Iterable[str], batch_chars: int = BATCH_CHARS, threads: int = 1) -> Iterator[list[str]]:
        """Segment many lines, yielding one word list per line, in order.

        Lines are decoded in batches of about ``batch_chars`` characters, which is what makes bulk
        segmentation fast; memory stays bounded by the batch size (and the longest line).
        ``threads``: batches decoded on this many threads at once (the compiled core decodes
        without the GIL; on the other backends threads only take turns).
        """
        # chained in C, not by a generator: a Python frame resumed per line costs 2% of bulk work
        return itertools.chain.from_iterable(self._in_batches(lines, batch_chars, threads, None))

    def segment_lines(self, lines: Iterable[str], sep: str = " ", batch_chars: int = BATCH_CHARS,
                      threads: int = 1, utf8: bool = False) -> Iterator[str] | Iterator[bytes]:
        """Segment many lines into text: each line's words joined by ``sep``, then a newline.

        Yields one string per batch of lines (``utf8``: its UTF-8 bytes, lone surrogates as
        ``surrogatepass`` writes them; the compiled core writes them without the GIL). The same
        words as :meth:`cut_lines`, without making a string per word: the command line's bulk
        path, where that saves a sixth of the time.
        """
        return self._in_batches(lines, batch_chars, threads, sep, utf8)

    def segment_block(self, block: TextBlock, sep: str = " ") -> bytes:
        """The lines of ``block`` (a file's, undecoded) as :meth:`segment_lines` makes them, as
        UTF-8 bytes; a :class:`~zhseg.errors.UserError` naming the file and line where it cannot
        be decoded.

        A UTF-8 block on the compiled core without user words is decoded by the core itself,
        without the GIL, so that threads segment blocks side by side (``segment --jobs``); the
        lines that may hold a grapheme cluster go through :meth:`cut_lines`.
        """
        if self.backend == "compiled" and not len(self.user_words) and block.is_utf8():
            done = self._compiled_core().text_from_utf8(block.data, sep, block.offset == 0, self.rules)
            if done is not None:  # else not UTF-8: lines() below says where
                text, places, spans = done
                if not places:
                    return text
                return self._fill_holes(block.data, text, memoryview(places).cast("q"), memoryview(spans).cast("q"),
                                        sep)
        return b"".join(self.segment_lines(block.lines(), sep, utf8=True))

    def _fill_holes(self, data: bytes, text: bytes, places: Sequence[int], spans: Sequence[int], sep: str) -> bytes:
        """``text`` with the lines the core left out (``places``: where each belongs in it;
        ``spans``: its bytes' start and end in ``data``, in pairs) segmented here and put there."""
        lines = [data[start:end].decode("utf-8") for start, end in zip(spans[0::2], spans[1::2])]
        pieces, last = [], 0
        for place, words in zip(places, self.cut_lines(lines)):
            pieces += [text[last:place], (sep.join(words) + "\n").encode("utf-8")]
            last = place
        pieces.append(text[last:])
        return b"".join(pieces)

    def _in_batches(self, lines: Iterable[str], batch_chars: int, threads: int, sep: str | None,
                    utf8: bool = False) -> Iterator:
        """Each batch's words (``sep`` None) or text (``utf8``: encoded), in order, decoded on
        ``threads`` threads."""
        if self.backend == "compiled":
            decode = functools.partial(self._core_words, sep=sep, utf8=utf8)
        elif sep is None:
            decode = self._cut_batch
        else:
            decode = functools.partial(self._segment_batch, sep=sep, utf8=utf8)
        return ordered_map(decode, _batches(lines, batch_chars), threads)

    def cut_sentences(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        """Segment the text of (gold) sentences, keeping their line numbers, ready for scoring."""
        cuts = self.cut_lines(s.text for s in sentences)
        return [Sentence(s.line_no, tuple(words)) for s, words in zip(sentences, cuts)]

    def _tokenize_numpy(self, text: str, cuts: Sequence[int]) -> Iterator[tuple[str, int, int]]:
        """:meth:`tokenize` on the numpy path, with forced word starts at ``cuts``."""
        self._local.cuts = tuple(cuts)  # per thread: read by _constraints
        try:
            yield from self.tokenize(text)
        finally:
            self._local.cuts = ()

    def tokenize(self, text: str) -> Iterator[tuple[str, int, int]]:
        """Yield the words of :meth:`cut` with their ``(start, end)`` character offsets in
        ``text``: ``text[start:end] == word``."""
        if self.backend == "compiled":
            _check_text(text)
            bounds = np.frombuffer(self._core_call([text], "segment", None)[0], dtype=np.int32).tolist()
            for start, end in zip(bounds[0::2], bounds[1::2]):
                yield text[start:end], start, end
            return
        pos = 0
        for word in self.lcut(text):
            pos = CHUNK.search(text, pos).start()  # words open at the next non-whitespace character
            yield word, pos, pos + len(word)
            pos += len(word)

    # -- internals --------------------------------------------------------------------------
    def _check_constrainable(self) -> None:
        if self.backend == "crfsuite":
            raise ValueError("the crfsuite backend is the unconstrained reference: it cannot keep user words; "
                             "use the compiled or numpy backend")

    def _compiled_core(self):
        """The compiled core's tables: once per model, standard and isolation setting, read from the
        model's ``core.tables`` where they are of them, else built; shared by every Segmenter of
        that model (the core keeps no state of its own)."""
        if self._core is None:
            cores = self.model.cores
            key = (self.standard, self.isolate)
            with self.model.cores_lock:
                if key not in cores:
                    cores[key] = self._stored_core()
                if cores[key] is None:
                    try:
                        cores[key] = core.build(self._core_spec())
                    except (ValueError, TypeError, KeyError, IndexError) as error:  # what the checks before let through
                        where = self.directory or "the model"
                        raise store.ModelError(f"{where}: inconsistent model tables ({error}); retrain the model or "
                                               "restore its files") from None
                self._core = cores[key]
        return self._core

    def _core_spec(self) -> dict:
        """What the compiled core of this model, standard and setting is built from
        (``core.build_spec``)."""
        return core.build_spec(self.crf, self.config, self.lexicon, self.word_lists, self.model.variety,
                               self._allowed_by_state, self._start_label, self._end_label, isolate=self.isolate)

    def _tables_tag(self) -> bytes:
        """The tag of this model, standard and setting's core tables (``store.tables_tag``), which
        stored tables must carry to be read."""
        return store.tables_tag(self.model.meta, self.standard, self.isolate)

    def _stored_core(self):
        """The core of the model directory's ``core.tables``, where they are of this standard and
        setting and of this core's layout (one copy, nothing built), else None."""
        if self.model.tables is None:
            return None
        try:
            return core.load_tables(self.model.tables, self._tables_tag())
        except ValueError as error:
            raise store.ModelError(f"{self.model.tables}: damaged compiled-core tables ({error}); delete the file "
                                   "(zhseg then builds the tables at load) or restore it") from None
        except OSError as error:
            raise os_failure(error, str(self.model.tables)) from None

    def line_bounds(self, lines: Sequence[str], cuts: Sequence[Sequence[int]] | None = None
                    ) -> list[list[tuple[int, int]]]:
        """Each line's words as ``(start, end)`` offsets into the line, each line decoded on its own
        (a word spanning whitespace, a user word, keeps it). ``cuts``: per line, offsets where a
        word must start (unless a rule span, grapheme cluster or user word spans them)."""
        lines = list(lines)
        if not lines:
            return []
        for line in lines:
            _check_text(line)
        if self.backend == "compiled":
            joined = None
            if cuts is not None:
                offsets = np.cumsum([0] + [len(line) + 1 for line in lines[:-1]])
                joined = np.array(sorted(int(o) + c for o, line_cuts in zip(offsets.tolist(), cuts) for c in line_cuts),
                                  dtype=np.int64)
            out = []
            for raw in self._core_call(lines, "segment", joined):
                flat = np.frombuffer(raw, dtype=np.int32).tolist()
                out.append(list(zip(flat[0::2], flat[1::2])))
            return out
        out = []
        for k, line in enumerate(lines):
            line_cuts = cuts[k] if cuts is not None else ()
            out.append([(a, b) for _, a, b in self._tokenize_numpy(line, line_cuts)])
        return out

    def _core_call(self, lines: list[str], method: str, *extra):
        """``method`` of the compiled core over ``lines``, with their constraining spans (``extra``:
        the method's arguments after them, all given)."""
        # without user words the core finds the rule matches itself, line by line, and no span of
        # them is made here; user words need the matches first (none is found inside one)
        rules_in_core = self.rules and not len(self.user_words)
        try:
            spans = find_spans("\n".join(lines) if len(lines) > 1 else lines[0], self.rules and not rules_in_core,
                               self.user_words)
        except TypeError:  # not all str: say which type, as the other paths do (no check per line otherwise)
            for line in lines:
                _check_text(line)
            raise
        units, words = (None, None) if spans is None else (spans[0] if len(spans[0]) else None,
                                                           spans[1] if len(spans[1]) else None)
        return getattr(self._compiled_core(), method)(lines, units, words, *extra, rules_in_core)

    def _core_words(self, lines: Sequence[str], sep: str | None = None, utf8: bool = False):
        """Each line's words (or with ``sep`` the lines as text, ``utf8``: encoded), decoded by the
        compiled core."""
        lines = lines if isinstance(lines, list) else list(lines)
        if not lines:
            return (b"" if utf8 else "") if sep is not None else []
        return self._core_call(lines, "words", sep, utf8)

    def _constraints(self, text: str) -> Constraints | None:
        if self.backend == "crfsuite":
            return None
        return find_constraints(text, self.rules, self.user_words, self.isolate, getattr(self._local, "cuts", ()))

    def _cut_batch(self, lines: Sequence[str]) -> list[list[str]]:
        chunks, starts, line_chars, glued = self._decode_batch(lines)
        if glued:
            return _glued_words(lines, starts)
        return split_spaced(spaced_lines("".join(chunks), starts, line_chars, " "))

    def _segment_batch(self, lines: Sequence[str], sep: str, utf8: bool = False) -> str | bytes:
        chunks, starts, line_chars, glued = self._decode_batch(lines)
        if glued:
            text = "".join(sep.join(words) + "\n" for words in _glued_words(lines, starts))
        else:
            text = spaced_lines("".join(chunks), starts, line_chars, sep)
        return text.encode("utf-8", "surrogatepass") if utf8 else text

    def _decode_batch(self, lines: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray, bool]:
        """The chunks of ``lines``, a word-start flag per chunk character, the characters per line,
        and whether a user word spans whitespace somewhere (its words then need the original text)."""
        for line in lines:
            _check_text(line)
        chunks_per_line = [CHUNK.findall(line) for line in lines]
        chunks = [chunk for line_chunks in chunks_per_line for chunk in line_chunks]
        line_chars = line_lengths(chunks_per_line)
        if not chunks:
            return chunks, np.zeros(0, dtype=bool), line_chars, False
        constraints = self._constraints("\n".join(lines))
        starts = self._word_starts(*self._sequences(chunks_per_line, constraints))
        return chunks, starts, line_chars, constraints is not None and bool(constraints.glue.any())

    def _sequences(self, chunks_per_unit: Sequence[Sequence[str]], constraints: Constraints | None
                   ) -> tuple[Sequence[str], np.ndarray, Constraints | None]:
        """The sequences the CRF decodes, their lengths and their constraints, from the
        whitespace-separated chunks of each unit (a line): one sequence per unit, a word starting
        at each of its chunks but the first (none inside a user word that spans the whitespace).
        The crfsuite reference decodes the chunks themselves."""
        chunks = [chunk for unit in chunks_per_unit for chunk in unit]
        if self.backend == "crfsuite" or all(len(unit) <= 1 for unit in chunks_per_unit):
            return chunks, _lengths(chunks), constraints  # the chunks are the sequences
        chunk_lengths = _lengths(chunks)
        inner = np.ones(len(chunks), dtype=bool)  # chunks that do not open their unit
        inner[np.cumsum([0] + [len(unit) for unit in chunks_per_unit if unit][:-1])] = False
        constraints = with_boundaries(constraints, int(chunk_lengths.sum()), (np.cumsum(chunk_lengths) - chunk_lengths)[inner])
        constraints.start[constraints.glue] = NEVER  # a user word goes on across the whitespace
        units = ["".join(unit) for unit in chunks_per_unit if unit]
        return units, _lengths(units), constraints

    def _word_starts(self, chunks: Sequence[str], lengths: np.ndarray, constraints: Constraints | None = None) -> np.ndarray:
        """A boolean per character of the concatenated chunks: does a word start here?"""
        allowed = None if constraints is None else constraints.label_mask(self._allowed_by_state)
        labels = self._label_indices(chunks, lengths, allowed)
        starts = word_start_flags(self._start_label[labels], self._end_label[labels])
        if len(lengths) > 1:
            starts[np.cumsum(lengths[:-1])] = True  # every chunk opens a word...
        if constraints is not None:
            starts[constraints.glue] = False  # ...but one inside a user word
        return starts

    def _label_indices(self, chunks: Sequence[str], lengths: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
        """The decoded label index of every character of the concatenated chunks."""
        if self.backend != "crfsuite":
            bases = padded_bases(chunks, self.config, self.lexicon, self.model.variety, order=self.crf.bases,
                                 word_lists=self.word_lists)
            return self.crf.decode(bases, lengths, allowed=allowed)
        if len(self.user_words):
            self._check_constrainable()
        keys = feature_keys(chunks, self.config, self.lexicon, self.model.variety, self.word_lists)
        if self.standard is not None:  # the standard's copies read the same keys
            keys = np.hstack([keys, keys])
        names = self._template_names
        labels = np.empty(len(keys), dtype=np.int64)
        offset = 0
        with self._tagger_lock:
            tagger = self._crfsuite_tagger()
            for length in lengths.tolist():
                tags = tagger.tag(attribute_strings(keys[offset : offset + length], names))
                labels[offset : offset + length] = [self._label_index[t] for t in tags]
                offset += length
        return labels

    def _crfsuite_tagger(self):
        if self._tagger is None:
            try:
                import pycrfsuite  # only the reference path needs it
            except ImportError:
                raise store.ModelError("the crfsuite backend needs python-crfsuite: pip install 'zhseg[train]'") from None

            source = self.model.crfsuite
            if source is None:
                raise store.ModelError("the crfsuite backend needs a model directory with model.crfsuite; "
                                       "this model has none (use the compiled or numpy backend)")
            tagger = pycrfsuite.Tagger()
            if isinstance(source, bytes):
                tagger.open_inmemory(source)
            else:
                # checked before crfsuite's C code reads it: a damaged file would crash the process
                path = store.check_file(source.parent, self.model.meta, source.name, digest=True)
                check_crfsuite_file(path)
                tagger.open(str(path))
            self._tagger = tagger
        return self._tagger


DEFAULT_MODEL = "<the embedded default model>"


def _unpickle(directory: str, backend: str, rules: bool, standard: str | None, words: tuple[str, ...],
              files: dict | None, isolate: bool = True, splits: dict | None = None) -> "Segmenter":
    import zhseg

    path = zhseg.default_model_path() if directory == DEFAULT_MODEL else Path(directory)
    segmenter = Segmenter.load(path, backend=backend, rules=rules, standard=standard)
    if segmenter.meta.get("files") != files:
        raise store.ModelError(f"{path}: the model changed since this Segmenter was pickled (its files' recorded "
                               "sizes and digests differ); pickle it again")
    segmenter.isolate = isolate  # before the first call builds the constraints
    for word in words:
        segmenter.add_word(word)
    for text, pieces in (splits or {}).items():
        segmenter.user_words.split(text, pieces)
    return segmenter


def _check_text(text) -> None:
    if not isinstance(text, str):
        raise TypeError(f"expected a str to segment, got {type(text).__name__}")


def _glued_words(lines: Sequence[str], starts: np.ndarray) -> list[list[str]]:
    """Each line's words, cut out of the original line so that a word spanning whitespace (a
    user word) keeps it: a word runs from its first character to the last one before the next
    word's first (the slow path, for batches holding such a word)."""
    result = []
    offset = 0
    for line in lines:
        positions = [k for m in CHUNK.finditer(line) for k in range(m.start(), m.end())]
        flags = starts[offset : offset + len(positions)]
        offset += len(positions)
        firsts = np.flatnonzero(flags).tolist()
        lasts = [p - 1 for p in firsts[1:]] + [len(positions) - 1]
        result.append([line[positions[a] : positions[b] + 1] for a, b in zip(firsts, lasts)])
    return result


def _lengths(chunks: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks))


def resolve_backend(backend: str) -> str:
    """The backend ``backend`` names (``auto`` resolved); ValueError if unknown or not installed."""
    if backend == "numba":
        raise ValueError("the numba backend was replaced by the compiled core: use 'compiled' (or 'auto', the default)")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "compiled" if core.available() else _numpy_with_notice()
    if backend == "compiled" and not core.available():
        raise ValueError("the compiled backend was not built (no C compiler when zhseg was installed); "
                         "reinstall with a C compiler, or use backend 'numpy'")
    return backend


@functools.cache
def _numpy_with_notice() -> str:
    import sys

    print("zhseg: the compiled core was not built (no C compiler at install time); decoding with numpy, "
          "the same words, slower", file=sys.stderr)
    return "numpy"


def ordered_map(function, items: Iterable, threads: int) -> Iterator:
    """``map(function, items)`` on ``threads`` threads (the compiled core decodes without the
    GIL), results in input order, at most ``2 * threads`` items in flight; in this thread for one.

    This thread and the workers share nothing but two ``queue.SimpleQueue``s, whose put and get
    are each one C call, and the workers are started by ``_thread`` (no Event to wait on). A
    signal's exception (Ctrl-C, SIGTERM) is raised in this thread between bytecodes, and in the
    Python-level locks of concurrent.futures and threading.Thread it can land just after one is
    taken: the lock stays held, the worker that needs it next waits forever, and so does whatever
    waits for that worker (tests/test_hardening.py makes it happen). Stopped early (an error, a
    signal, the generator closed), the workers skip what is queued and end, without being waited
    for: like daemon threads, one still finishing its item never holds up the process's exit.
    """
    if threads <= 1:
        yield from map(function, items)
        return
    import _thread
    import queue

    tasks: queue.SimpleQueue = queue.SimpleQueue()  # (index, item), then a None per worker
    results: queue.SimpleQueue = queue.SimpleQueue()  # (index, raised, result or exception); a None per worker that ended
    stopped: list[bool] = []  # appended to when the caller stops: what is queued is skipped
    for _ in range(threads):
        _thread.start_new_thread(_serve, (function, tasks, results, stopped))
    items = iter(items)
    sent = given = 0
    arrived: dict[int, tuple[bool, object]] = {}
    finished = False
    try:
        while True:
            while sent - given < 2 * threads:
                item = next(items, _END)
                if item is _END:
                    break
                tasks.put((sent, item))
                sent += 1
            if given == sent:
                break
            while given not in arrived:
                index, raised, value = results.get()
                arrived[index] = raised, value
            raised, value = arrived.pop(given)
            given += 1
            if raised:
                raise value  # type: ignore[misc]
            yield value
        finished = True
    finally:
        if not finished:
            stopped.append(True)
        for _ in range(threads):
            tasks.put(None)
    for _ in range(threads):  # all done: none of the workers outlives the call
        results.get()


_END = object()  # the end of ordered_map's items


def _serve(function, tasks, results, stopped: list) -> None:
    """An :func:`ordered_map` worker: each task's result (or the exception it raised) to
    ``results``, until a None, then a None; once ``stopped``, the tasks left are skipped."""
    while (task := tasks.get()) is not None:
        index, item = task
        if stopped:
            continue
        try:
            results.put((index, False, function(item)))
        except BaseException as error:  # the caller's thread raises it
            results.put((index, True, error))
    results.put(None)


def _batches(lines: Iterable[str], batch_chars: int) -> Iterator[list[str]]:
    """Consecutive lists of lines of at least ``batch_chars`` characters (the last may be short)."""
    if isinstance(lines, list):  # a block of a file, or a caller's list: cut where the running sizes say
        try:
            ends = list(itertools.accumulate(map(len, lines)))
        except TypeError:  # not all str: the loop below says which
            pass
        else:
            start, done = 0, 0
            while start < len(lines):
                # the batch ends at the first line that brings it to batch_chars, as the loop below
                stop = bisect.bisect_left(ends, done + batch_chars, lo=start) + 1
                yield lines[start:stop]  # our own list: the core reads its lines while the caller's may change
                start, done = stop, ends[min(stop, len(ends)) - 1]
            return
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        try:
            size += len(line)
        except TypeError:  # not a str: the usual message
            _check_text(line)
            raise
        if size >= batch_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
