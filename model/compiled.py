"""The compiled model: a CRF's weights as arrays, laid out for fast scoring.

A trained crfsuite model is compiled into, per feature template, a sorted array of integer keys
and a matrix of per-label weights, plus the label transition matrix (that is what the model
directory stores). At load time templates are grouped by the key space of the base array they
read (``U-2`` ... ``U2`` read characters; bigrams and skip bigrams are both character pairs), so
decoding does one lookup per key space over the padded text and each template is a shifted
gather. The weight rows are summed in template order, the order crfsuite sums them, so the state
scores are the same floats; Viterbi breaks ties towards the lower label index as crfsuite's does.
The output is therefore the crfsuite tagger's, bit for bit. This is the numpy path, the reference
the compiled core (zhseg/_core.c, laid out by model/core.py) must equal; model/viterbi.py says
which Viterbi runs when.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from collections.abc import Sequence as SequenceABC
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

import numpy as np

from zhseg.features.keyindex import KeyIndex
from zhseg.features.templates import FeatureConfig, PaddedBases, Template, base_domain
from zhseg.model.crfsuite_file import parse_attribute
from zhseg.model.viterbi import viterbi

if TYPE_CHECKING:
    from zhseg.model.crfsuite_file import CrfsuiteWeights

KEY_SPACES = ("bounded", "pair")


def key_space(base: str) -> str:
    """Which lookup table the decoder reads a base's keys from: ``bounded`` (every base with a
    domain, each at its own offset in one direct-index table) or ``pair`` (bigram and skip-bigram
    keys both encode two characters, so they share one hash index)."""
    return "bounded" if base_domain(base) is not None else "pair"


def order_bases(bases: Iterable[str]) -> tuple[str, ...]:
    """Distinct bases in order of first use within each key space, key spaces in
    :data:`KEY_SPACES` order: a key space's bases are consecutive rows, looked up in one call."""
    distinct = dict.fromkeys(bases)
    return tuple(sorted(distinct, key=lambda base: KEY_SPACES.index(key_space(base))))


@dataclass
class CompiledCRF:
    """A linear-chain CRF as arrays.

    labels: label names; a label's index is its column in the weight matrices.
    templates: the feature templates, in the order their keys and weights are stored.
    keys: per template, the sorted int64 keys that have weights.
    weights: per template, a ``(len(keys) + 1, n_labels)`` float64 matrix; the last row is zeros,
        the row unknown keys get.
    transitions: ``(n_labels, n_labels)``, from-label by to-label.
    """

    labels: tuple[str, ...]
    templates: tuple[Template, ...]
    keys: list[np.ndarray]
    weights: list[np.ndarray]
    transitions: np.ndarray

    def __post_init__(self):
        self.bases = order_bases(t.base for t in self.templates)  # the rows of PaddedBases.keys
        self._built = False
        self._build_lock = threading.Lock()

    def _build(self) -> None:
        """The decoding tables, on first use (a model holding several standards' templates only
        decodes the selection for one, :meth:`select`)."""
        with self._build_lock:
            if not self._built:
                self._build_tables()
                self._built = True

    def _build_tables(self) -> None:
        # Decoding tables, derived from the stored per-template arrays:
        # - one key lookup per key space (features.templates.key_space): its bases are
        #   consecutive rows of PaddedBases.keys, and templates sharing a base differ only by a
        #   shift; the bounded bases are offset into one direct-index table;
        # - per key space, a weight block per key: the rows of all the space's templates for that
        #   key, side by side (zeros where a template has no weight for it), every space's blocks
        #   in one matrix. A space's index answers with the key's first row, so a template's row
        #   is ``lookup(key at position + offset) + slot``, for all templates in one gather. The
        #   neighbouring positions that read one key through different templates (``B0`` here is
        #   ``B-1`` one to the right) find its rows together in memory.
        bases = self.bases
        n_labels = len(self.labels)
        self._lookups: list[tuple[int, int, np.ndarray | None, KeyIndex]] = []  # rows, key offsets, index
        spaces = []
        template_slot = np.zeros(len(self.templates), dtype=np.intp)
        for space in dict.fromkeys(map(key_space, bases)):
            space_bases = [b for b in bases if key_space(b) == space]
            members = [j for j, t in enumerate(self.templates) if t.base in space_bases]
            if space == "bounded":  # each base's keys moved past the previous bases' domains
                domains = [base_domain(b) for b in space_bases]
                base_offset = dict(zip(space_bases, np.cumsum([0] + domains[:-1]).tolist()))
                member_keys = [self.keys[j] + base_offset[self.templates[j].base] for j in members]
                offsets, domain = np.array(list(base_offset.values()))[:, None], sum(domains)
            else:
                member_keys, offsets, domain = [self.keys[j] for j in members], None, None
            # the stored keys are sorted and unique per template; merge them by sorting (numpy's
            # hash-based unique is several times slower here, and this runs at every load)
            union = np.sort(np.concatenate(member_keys))
            if len(members) > 1 and len(union) > 1:
                union = union[np.concatenate(([True], union[1:] != union[:-1]))]
            spaces.append((space_bases, members, member_keys, union, offsets, domain))
        # every space's block in one matrix, written in place (a model of several standards has
        # tens of MB of them: no second copy)
        sizes = [(len(union) + 1) * len(members) for _, members, _, union, _, _ in spaces]
        self._weight_rows = np.zeros((max(1, sum(sizes)), n_labels))
        n_rows = 0
        for (space_bases, members, member_keys, union, offsets, domain), size in zip(spaces, sizes):
            block = self._weight_rows[n_rows : n_rows + size].reshape(len(union) + 1, len(members), n_labels)
            for slot, (j, keys) in enumerate(zip(members, member_keys)):  # the last row: unknown keys
                block[np.searchsorted(union, keys), slot] = self.weights[j][:-1]
                template_slot[j] = slot
            first_rows = n_rows + np.arange(len(union) + 1, dtype=np.intp) * len(members)
            first = bases.index(space_bases[0])
            self._lookups.append((first, first + len(space_bases), offsets, KeyIndex(union, domain, first_rows)))
            n_rows += size
        self._template_row = np.array([bases.index(t.base) for t in self.templates], dtype=np.intp)
        self._template_offset = np.array([t.offset for t in self.templates], dtype=np.intp)
        self._template_slot = template_slot[:, None]

    def select(self, names: Sequence[str]) -> "CompiledCRF":
        """The model restricted to the named templates, in that order (one standard's, say);
        templates read lazily stay so."""
        index = {t.name: j for j, t in enumerate(self.templates)}
        chosen = [index[name] for name in names]
        pick = (lambda column: column.subset(chosen)) if isinstance(self.keys, _Column) else \
            (lambda column: [column[j] for j in chosen])
        return CompiledCRF(self.labels, tuple(self.templates[j] for j in chosen), pick(self.keys), pick(self.weights),
                           self.transitions)

    def summed(self, groups: Sequence[Sequence[int]], templates: Sequence[Template]) -> "CompiledCRF":
        """A model of ``templates``, template ``k``'s row for a key the sum of the rows of the
        templates ``groups[k]`` (which read one base at one offset) for it, taken on first use.
        Used to decode a standard: each shared template with its standard's copy, half the rows to
        read (:func:`standard_groups`)."""
        sums = _SummedTables(self, groups)
        every = range(len(groups))
        return CompiledCRF(self.labels, tuple(templates), _Column(sums, 0, every), _Column(sums, 1, every),
                           self.transitions)

    @classmethod
    def from_crfsuite(cls, weights: "CrfsuiteWeights", templates: Sequence[Template]) -> "CompiledCRF":
        """Compile the exact weights read from a crfsuite model file."""
        n_labels = len(weights.labels)
        template_index = {t.name: i for i, t in enumerate(templates)}
        parsed = [parse_attribute(a) for a in weights.attributes]
        attr_template = np.array([template_index[name] for name, _ in parsed], dtype=np.int64)
        attr_key = np.array([key for _, key in parsed], dtype=np.int64)
        keys, matrices = [], []
        for j in range(len(templates)):
            mine = attr_template[weights.state_attr] == j
            feature_keys = attr_key[weights.state_attr[mine]]
            sorted_keys = np.unique(feature_keys)
            matrix = np.zeros((len(sorted_keys) + 1, n_labels))
            matrix[np.searchsorted(sorted_keys, feature_keys), weights.state_label[mine]] = weights.state_weight[mine]
            keys.append(sorted_keys)
            matrices.append(matrix)
        return cls(tuple(weights.labels), tuple(templates), keys, matrices, weights.transitions.copy())

    # -- storage: plain arrays, loaded with allow_pickle=False -------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {"transitions": self.transitions}
        for i, (k, w) in enumerate(zip(self.keys, self.weights)):
            arrays[f"keys_{i}"] = k
            arrays[f"weights_{i}"] = w
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], labels: Sequence[str],
                    templates: Sequence[Template], on_error: Callable[[str], Exception] = ValueError) -> "CompiledCRF":
        """The model from :meth:`to_arrays`' arrays. Each template's keys and weights are read
        (from a lazily read ``arrays``, such as an ``.npz`` file) and checked on first use, so
        decoding one standard of a model of several reads only that standard's; a damaged template
        raises ``on_error(message)`` then."""
        transitions = np.asarray(arrays["transitions"], dtype=np.float64)
        if transitions.shape != (len(labels), len(labels)):
            raise ValueError("transition matrix shape does not match the labels")
        if not np.isfinite(transitions).all():
            raise ValueError("non-finite weights")
        tables = _TemplateTables(arrays, len(templates), len(labels), on_error, [base_domain(t.base) for t in templates])
        every = range(len(templates))
        return cls(tuple(labels), tuple(templates), _Column(tables, 0, every), _Column(tables, 1, every), transitions)

    @property
    def n_features(self) -> int:
        return int(sum(np.count_nonzero(w) for w in self.weights) + np.count_nonzero(self.transitions))

    # -- decoding ----------------------------------------------------------------------------
    EMISSION_BLOCK = 8_192  # positions per block: its temporaries stay in cache (65,536 ran 20% slower)
    SUM_AT_ONCE = 1024  # up to this many positions, all templates' rows are gathered at once

    def emissions(self, bases: PaddedBases) -> np.ndarray:
        """State scores ``(n_chars, n_labels)`` from ``padded_bases(..., order=self.bases)``."""
        positions = bases.positions
        if not self.templates:
            return np.zeros((len(positions), len(self.labels)))
        self._build()
        starts, template_start = self._row_starts(bases)
        if len(positions) <= self.EMISSION_BLOCK:
            return self._emission_block(positions, starts, template_start)
        blocks = [self._emission_block(positions[a : a + self.EMISSION_BLOCK], starts, template_start)
                  for a in range(0, len(positions), self.EMISSION_BLOCK)]
        return np.concatenate(blocks)

    def decode(self, bases: PaddedBases, lengths: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
        """Best label index per character of consecutive sequences of ``lengths``: state scores,
        then Viterbi. ``allowed`` (``(n_chars, n_labels)`` bool) masks labels out: they score
        minus infinity."""
        emissions = self.emissions(bases)
        if allowed is not None:
            emissions[~allowed] = -np.inf
        return viterbi(emissions, lengths, self.transitions)

    def _row_starts(self, bases: PaddedBases) -> tuple[np.ndarray, np.ndarray]:
        """Every base row's first weight rows, end to end, and where each template's part of that
        array starts: template ``t`` at position ``p`` reads weight row
        ``starts[template_start[t] + p] + slot[t]``."""
        if bases.names != self.bases:
            raise ValueError("base rows are not laid out as this model reads them (padded_bases(order=crf.bases))")
        keys = bases.keys
        starts = [index.lookup((keys[first:stop] if offsets is None else keys[first:stop] + offsets).ravel())
                  for first, stop, offsets, index in self._lookups]
        starts = starts[0] if len(starts) == 1 else np.concatenate(starts)
        return starts, self._template_row * keys.shape[1] + self._template_offset

    def _emission_block(self, positions: np.ndarray, starts: np.ndarray, template_start: np.ndarray) -> np.ndarray:
        rows = starts.take(template_start[:, None] + positions) + self._template_slot
        if len(positions) <= self.SUM_AT_ONCE:
            # one gather and one reduction over the template axis: numpy adds along an outer axis
            # in order, so the floats are crfsuite's
            return self._weight_rows.take(rows, axis=0).sum(axis=0)
        # Template by template, in template order: the same float operations as crfsuite's, hence
        # the same scores (and no (templates, positions, labels) temporary).
        scores = self._weight_rows.take(rows[0], axis=0)
        for template_rows in rows[1:]:
            scores += self._weight_rows.take(template_rows, axis=0)
        return scores


class _TemplateTables:
    """Each template's keys and weights, read from ``arrays`` and checked on first use (thread-safe:
    an ``.npz`` file is one zip file, read by one thread at a time)."""

    def __init__(self, arrays, n: int, n_labels: int, on_error: Callable[[str], Exception],
                 domains: Sequence[int | None] = ()):
        self._arrays, self._n_labels, self._on_error = arrays, n_labels, on_error
        self._domains = list(domains) or [None] * n
        self._loaded: list[tuple[np.ndarray, np.ndarray] | None] = [None] * n
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._loaded)

    def pair(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Template ``j``'s keys and weights, kept once read."""
        found = self._loaded[j]
        if found is None:
            with self._lock:
                found = self._loaded[j]
                if found is None:
                    found = self._loaded[j] = self._read(j)
        return found

    def part(self, j: int, name: str) -> np.ndarray:
        """Template ``j``'s keys or (``name`` "weights") weights alone, checked, not kept once read
        unless they were already: the compiled core reads a base's keys, then one template's
        weights at a time."""
        with self._lock:
            found = self._loaded[j]
            if found is not None:
                return found[name == "weights"]
            return self._read_keys(j) if name == "keys" else self._read_weights(j)

    def _array(self, j: int, name: str) -> np.ndarray:
        try:
            return np.asarray(self._arrays[f"{name}_{j}"])
        except KeyError:
            raise self._on_error(f"template {j}'s keys or weights are missing") from None

    def _read(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        keys = self._read_keys(j)
        weights = self._read_weights(j)
        if weights.shape[0] != len(keys) + 1:
            raise self._on_error(f"template {j}'s weight matrix shape does not match its keys and labels")
        return keys, weights

    def _read_keys(self, j: int) -> np.ndarray:
        keys = self._array(j, "keys")
        if keys.dtype != np.int64 or keys.ndim != 1:
            raise self._on_error(f"template {j}'s keys or weights are not int64 and float64 arrays")
        if len(keys) > 1 and not np.all(keys[1:] > keys[:-1]):
            raise self._on_error(f"template {j}'s feature keys are not sorted")
        if len(keys) and keys[0] < 0:
            raise self._on_error(f"template {j}'s feature keys are negative")
        if len(keys) and self._domains[j] is not None and keys[-1] >= self._domains[j]:
            raise self._on_error(f"template {j}'s feature keys lie outside its base's range")
        return keys

    def _read_weights(self, j: int) -> np.ndarray:
        weights = self._array(j, "weights")
        if weights.dtype != np.float64:
            raise self._on_error(f"template {j}'s keys or weights are not int64 and float64 arrays")
        if weights.ndim != 2 or weights.shape[1] != self._n_labels or len(weights) < 1:
            raise self._on_error(f"template {j}'s weight matrix shape does not match its keys and labels")
        # NaN or infinite weights would decode silently wrong (crfsuite copes, numpy would not)
        if not np.isfinite(weights).all():
            raise self._on_error(f"template {j} has non-finite weights")
        return weights


def template_parts(crf: CompiledCRF, j: int) -> list[tuple[CompiledCRF, int]]:
    """The stored templates whose rows template ``j``'s rows are the sums of, as ``(model, index)``
    pairs, without reading them (:meth:`CompiledCRF.summed`; a plain template: itself). The
    compiled core adds them up itself, so no summed copy is made for it."""
    keys = crf.keys
    if isinstance(keys, _Column) and isinstance(keys._tables, _SummedTables):
        tables = keys._tables
        return [part for i in tables.groups[keys._chosen[j]] for part in template_parts(tables.source, i)]
    return [(crf, j)]


def read_template(crf: CompiledCRF, j: int, name: str) -> np.ndarray:
    """Template ``j``'s keys (``name`` "keys") or weights ("weights"), not kept once read unless
    they were already."""
    if isinstance(crf.keys, _Column):
        return crf.keys.read_part(j, name)
    return (crf.weights if name == "weights" else crf.keys)[j]


class _SummedTables:
    """Each group's templates of ``source`` as one: the union of their keys, and per key the sum of
    their rows in group order (0.0 plus each, as the compiled core adds them), made on first use."""

    def __init__(self, source: CompiledCRF, groups: Sequence[Sequence[int]]):
        self.source, self.groups = source, [tuple(g) for g in groups]
        self._made: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(self.groups)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.groups)

    def pair(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            found = self._made[k]
            if found is None:
                found = self._made[k] = self._sum(self.groups[k])
        return found

    def part(self, k: int, name: str) -> np.ndarray:
        """Group ``k``'s summed keys or weights (the compiled core reads the stored templates instead:
        ``template_parts``)."""
        return self.pair(k)[name == "weights"]

    def _sum(self, group: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        pairs = [(self.source.keys[j], self.source.weights[j]) for j in group]
        keys = np.unique(np.concatenate([k for k, _ in pairs])) if len(pairs) > 1 else pairs[0][0]
        weights = np.zeros((len(keys) + 1, len(self.source.labels)))
        for member_keys, member_weights in pairs:
            weights[np.searchsorted(keys, member_keys)] += member_weights[:-1]
        return keys, weights


class _Column(SequenceABC):
    """The keys (``part`` 0) or weights (1) of some templates of a :class:`_TemplateTables` (or
    :class:`_SummedTables`)."""

    def __init__(self, tables: "_TemplateTables | _SummedTables", part: int, chosen: Sequence[int]):
        self._tables, self._part, self._chosen = tables, part, list(chosen)

    def __len__(self) -> int:
        return len(self._chosen)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        return self._tables.pair(self._chosen[k])[self._part]

    def read_part(self, k: int, name: str) -> np.ndarray:
        """Template ``k``'s keys or weights, not kept once read unless they were already."""
        return self._tables.part(self._chosen[k], name)

    def subset(self, chosen: Sequence[int]) -> "_Column":
        return _Column(self._tables, self._part, [self._chosen[k] for k in chosen])


# -- several segmentation standards in one model ---------------------------------------------------
# A multi-corpus model (Daume's "frustratingly easy" domain adaptation) gives every attribute twice:
# shared by all corpora, and as the copy of the sentence's own corpus, named ``STANDARD:TEMPLATE``.
# Decoding with a standard adds each shared template's row and its copy's for the same key first
# (standard_groups: one row per template, half the rows to read), then the templates in order.
# crfsuite adds the item's attributes one by one, so the scores equal its scores up to rounding
# (the last bit or so of a sum); tests/test_knowledge.py checks the words are crfsuite's.

def standard_templates(config: FeatureConfig, standard: str) -> tuple[Template, ...]:
    """The copies of ``config``'s templates that belong to ``standard``."""
    return tuple(Template(f"{standard}:{t.name}", t.base, t.offset) for t in config.templates())


def standard_groups(templates: Sequence[Template], standard: str) -> tuple[list[tuple[int, ...]], tuple[Template, ...]]:
    """How :meth:`CompiledCRF.summed` decodes a selection of shared templates and ``standard``'s
    copies (:func:`decoding_names`): each shared template with its copy, when it has one."""
    prefix = f"{standard}:"
    index = {t.name: j for j, t in enumerate(templates)}
    shared = [j for j, t in enumerate(templates) if not t.name.startswith(prefix)]
    copy_of = {index[t.name[len(prefix):]]: j for j, t in enumerate(templates)
               if t.name.startswith(prefix) and t.name[len(prefix):] in index}
    if len(shared) + len(copy_of) != len(templates):
        raise ValueError(f"standard {standard!r}'s templates without their shared templates")
    groups = [(j, copy_of[j]) if j in copy_of else (j,) for j in shared]
    return groups, tuple(templates[j] for j in shared)


def all_templates(config: FeatureConfig, standards: Sequence[str]) -> tuple[Template, ...]:
    """Every template of a model: the shared ones, then each standard's copies."""
    return config.templates() + tuple(t for s in standards for t in standard_templates(config, s))


COMMON = "common"  # the standard of a multi-corpus model's shared weights alone


def decoding_names(config: FeatureConfig, standards: Sequence[str], standard: str | None) -> list[str]:
    """The templates decoding sums, in order: the shared ones, then ``standard``'s copies (none for
    :data:`COMMON`: what the corpora share, learnt from all of them together)."""
    names = config.template_names()
    if not standards or standard == COMMON:
        return names
    return names + [t.name for t in standard_templates(config, standard)]
