"""Issue 12's question: would a true partial-label objective beat filling in?

    python benchmarks/partial_objective.py --sentences 6000

crfsuite cannot train on partial labels, so this experiment carries its own small CRF trainer
(numba forward-backward, OWL-QN for crfsuite's c1/c2 objective; needs `pip install numba`) and trains one
model per treatment of the same data, the first ``--sentences`` of CTB6's train split plus as many
lines of Weibo's train split reduced to partial annotation (benchmarks/reduce_to_partial.py):

- **none**: the partial lines teach nothing (every label allowed everywhere): CTB6 alone.
- **filled in**: zhseg's method. The CTB6 model (bench-core's) fills in the unknown boundaries,
  keeping the known ones and the unbroken strings whole; the filled-in lines are full labels.
- **marginal**: the partial-label objective (Tsuboi et al. 2008; Liu et al. 2014). A partial
  line's likelihood is the probability of all the tag sequences that keep its known boundaries
  (and its unbroken strings whole), summed by a constrained forward-backward.

The three share the features (the ``accurate`` preset, one standard), the trainer and its
settings; only the labels of the partial lines differ. Scored on Weibo's dev and test splits.
This is an experiment, not a training path of zhseg: its trainer is not the library's.
"""

from __future__ import annotations

import time
from pathlib import Path

import numba
import numpy as np
import typer

from results import markdown_table, write_section
from zhseg import Segmenter
from zhseg.features.corpus import read_corpus, read_partial
from zhseg.features.lexicon import Lexicon
from zhseg.features.tags import WORD_END_TAGS, WORD_START_TAGS, words_to_tags
from zhseg.features.templates import feature_keys
from zhseg.metrics import score_sentences
from zhseg.model import store
from zhseg.model.adapt import DEFAULT_UNBROKEN_MIN, fill_in, known_share, partial_constraints, unbroken_strings
from zhseg.model.constraints import MUST, allowed_by_state
from zhseg.model.compiled import CompiledCRF
from zhseg.model.crf import TrainingData, TrainingOptions, training_keys

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
BUILD = ROOT / "build" / "partial-objective"
CTB6_MODEL = ROOT / "build" / "core" / "ctb6-accurate"
LABELS = ("B", "M", "E", "S")


# -- the trainer -----------------------------------------------------------------------------------
@numba.njit(cache=True)
def _forward_backward(P, expT, n, allowed, lo, use_allowed, alpha, beta, scale, Q):
    """Scaled forward-backward over the first n rows of P (exponentiated, centred state scores),
    labels outside ``allowed`` zeroed when ``use_allowed``. False when no sequence is left."""
    L = P.shape[1]
    for t in range(n):
        for y in range(L):
            Q[t, y] = P[t, y] if (not use_allowed or allowed[lo + t, y]) else 0.0
    for t in range(n):
        total = 0.0
        for y in range(L):
            if t == 0:
                alpha[t, y] = Q[t, y]
            else:
                acc = 0.0
                for p in range(L):
                    acc += alpha[t - 1, p] * expT[p, y]
                alpha[t, y] = acc * Q[t, y]
            total += alpha[t, y]
        if total <= 0.0:
            return False
        scale[t] = total
        for y in range(L):
            alpha[t, y] /= total
    beta[n - 1, :] = 1.0
    for t in range(n - 2, -1, -1):
        for p in range(L):
            acc = 0.0
            for y in range(L):
                acc += expT[p, y] * Q[t + 1, y] * beta[t + 1, y]
            beta[t, p] = acc / scale[t + 1]
    return True


@numba.njit(cache=True)
def loss_and_gradient(W, T, X, starts, allowed, GW, GT):
    """Sum over sentences of -log P(the tag sequences ``allowed`` lets through): log Z minus the
    constrained log Z. Its gradient (free minus constrained marginals) is added into GW and GT."""
    L, C = W.shape[1], X.shape[1]
    longest = 1
    for s in range(len(starts) - 1):
        longest = max(longest, starts[s + 1] - starts[s])
    P, Q = np.empty((longest, L)), np.empty((longest, L))
    a, b, sa = np.empty((longest, L)), np.empty((longest, L)), np.empty(longest)
    ac, bc, sc = np.empty((longest, L)), np.empty((longest, L)), np.empty(longest)
    E, D = np.empty(L), np.empty(L)
    expT = np.exp(T)
    total = 0.0
    for s in range(len(starts) - 1):
        lo, n = starts[s], starts[s + 1] - starts[s]
        if n == 0:
            continue
        for t in range(n):
            E[:] = 0.0
            for c in range(C):
                for y in range(L):
                    E[y] += W[X[lo + t, c], y]
            top = E.max()
            for y in range(L):
                P[t, y] = np.exp(E[y] - top)
        _forward_backward(P, expT, n, allowed, lo, False, a, b, sa, Q)
        if not _forward_backward(P, expT, n, allowed, lo, True, ac, bc, sc, Q):
            continue  # contradictory label sets: nothing to learn
        for t in range(n):
            total += np.log(sa[t]) - np.log(sc[t])
            for y in range(L):
                D[y] = a[t, y] * b[t, y] - ac[t, y] * bc[t, y]
            for c in range(C):
                for y in range(L):
                    GW[X[lo + t, c], y] += D[y]
            if t:
                for p in range(L):
                    for y in range(L):
                        kept = ac[t - 1, p] * bc[t, y] / sc[t] if allowed[lo + t, y] else 0.0
                        GT[p, y] += expT[p, y] * P[t, y] * (a[t - 1, p] * b[t, y] / sa[t] - kept)
    return total


def owlqn(fg, x, c1, memory=6, max_iterations=200, period=10, delta=1e-5, report=None):
    """Minimise ``fg``'s function plus ``c1 * |x|_1`` by OWL-QN (Andrew and Gao 2007), which
    crfsuite's L-BFGS runs when c1 > 0, with crfsuite's defaults: 6 memories, and a stop when
    the objective improved by less than ``delta`` over ``period`` iterations."""
    f, g = fg(x)
    F = f + c1 * np.abs(x).sum()
    S, Y, history = [], [], [F]
    for k in range(1, max_iterations + 1):
        pg = g + c1 * np.sign(x)  # the pseudo-gradient
        zero = x == 0
        right, left = g[zero] + c1, g[zero] - c1
        pg[zero] = np.where(right < 0, right, np.where(left > 0, left, 0.0))
        d, alphas = -pg, []
        for s, y in zip(reversed(S), reversed(Y)):
            alphas.append(s.dot(d) / y.dot(s))
            d -= alphas[-1] * y
        if S:
            d *= S[-1].dot(Y[-1]) / Y[-1].dot(Y[-1])
        for s, y, alpha in zip(S, Y, reversed(alphas)):
            d += (alpha - y.dot(d) / y.dot(s)) * s
        d[d * pg >= 0] = 0.0
        orthant = np.where(zero, -np.sign(pg), np.sign(x))
        step = 1.0 if S else 1.0 / max(np.sqrt(pg.dot(pg)), 1e-12)
        for _ in range(30):  # backtracking, within the orthant
            xn = x + step * d
            xn[np.sign(xn) != orthant] = 0.0
            fn, gn = fg(xn)
            Fn = fn + c1 * np.abs(xn).sum()
            if Fn <= F + 1e-4 * pg.dot(xn - x):
                break
            step *= 0.5
        s, y = xn - x, gn - g
        if s.dot(y) > 1e-10:
            S, Y = (S + [s])[-memory:], (Y + [y])[-memory:]
        x, g, F = xn, gn, Fn
        history.append(F)
        if report:
            report(k, F, x)
        if len(history) > period and (history[-period - 1] - F) / F < delta:
            break
    return x


# -- the data --------------------------------------------------------------------------------------
def partial_label_sets(partials, unbroken) -> np.ndarray:
    """Per character of the partial lines, end to end: the labels its known boundaries and
    unbroken strings leave it, by the constraints filling in uses (each line also opens a word,
    and the last character ends one)."""
    constraints = partial_constraints(partials, unbroken)
    lengths = np.array([len(p.text) for p in partials])
    constraints.start[(np.cumsum(lengths) - lengths)[lengths > 0]] = MUST
    allowed = constraints.label_mask(allowed_by_state(np.isin(LABELS, list(WORD_START_TAGS)),
                                                      np.isin(LABELS, list(WORD_END_TAGS))))
    allowed[-1] &= np.isin(LABELS, list(WORD_END_TAGS))
    return allowed


def train(ctb6, partial_texts, partial_allowed, iterations, log):
    """A model from CTB6's sentences (full labels) and the partial lines (``partial_allowed``)."""
    options = TrainingOptions()
    config = options.features
    rows = [keys[offset : offset + len(s.text)]  # k-fold dictionary features, as crfsuite gets them
            for s, (keys, offset) in zip(ctb6, training_keys(TrainingData(ctb6), config, options.folds))]
    vocabulary = frozenset(w for s in ctb6 for w in s.words)
    lexicon = Lexicon(vocabulary, config.dictionary, fold=config.fold)
    keys = np.vstack(rows + [feature_keys(partial_texts, config, lexicon)])
    uniques = [np.unique(column) for column in keys.T]
    offsets = np.cumsum([0] + [len(u) for u in uniques])
    X = np.stack([offsets[j] + np.searchsorted(u, keys[:, j]) for j, u in enumerate(uniques)], axis=1)
    counts = np.bincount(X.ravel(), minlength=offsets[-1])
    rank = np.empty(offsets[-1], dtype=np.int32)  # frequent attributes first: their rows share cache lines
    rank[np.argsort(-counts, kind="stable")] = np.arange(offsets[-1], dtype=np.int32)
    X = rank[X]
    gold = np.zeros((sum(len(s.text) for s in ctb6), len(LABELS)), dtype=bool)
    gold[np.arange(len(gold)), [LABELS.index(t) for s in ctb6 for t in words_to_tags(s.words, "bmes")]] = True
    allowed = np.vstack([gold, partial_allowed])
    starts = np.cumsum([0] + [len(s.text) for s in ctb6] + [len(t) for t in partial_texts]).astype(np.int64)
    A, L = offsets[-1], len(LABELS)
    GW, GT = np.zeros((A, L)), np.zeros((L, L))

    def fg(w):
        GW[:], GT[:] = 0.0, 0.0
        f = loss_and_gradient(w[: A * L].reshape(A, L), w[A * L :].reshape(L, L), X, starts, allowed, GW, GT)
        return f + options.c2 * w.dot(w), np.concatenate([GW.ravel(), GT.ravel()]) + 2 * options.c2 * w

    def report(k, F, w):
        if k % 20 == 0:
            log(f"iteration {k}: loss {F:.1f}, {np.count_nonzero(w):,} weights")

    w = owlqn(fg, np.zeros(A * L + L * L), options.c1, max_iterations=iterations, report=report)
    W = w[: A * L].reshape(A, L)[rank]
    keys_out, weights_out = [], []
    for j, u in enumerate(uniques):
        block = W[offsets[j] : offsets[j + 1]]
        kept = np.flatnonzero(block.any(axis=1))
        keys_out.append(u[kept].astype(np.int64))
        weights_out.append(np.vstack([block[kept], np.zeros((1, L))]))
    crf = CompiledCRF(LABELS, config.templates(), keys_out, weights_out, w[A * L :].reshape(L, L).copy())
    meta = {"tag_set": "bmes", "labels": list(LABELS), "feature_preset": options.preset, "features": config.to_json(),
            "template_names": config.template_names(), "standards": [], "training": {"options": {}}}
    return store.Model(meta, crf, vocabulary, None, None, (), lexicon)


def main(sentences: int = typer.Option(6000, help="CTB6 sentences and partial Weibo lines, each."),
         share: int = typer.Option(20, help="The share of the other boundaries kept (its reduced file must exist: "
                                            "benchmarks/adaptation.py makes them)."),
         iterations: int = typer.Option(150, help="OWL-QN iterations at most.")):
    started = time.perf_counter()

    def log(message):
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)

    BUILD.mkdir(parents=True, exist_ok=True)
    ctb6 = read_corpus(CORPORA / "ctb6" / "train.txt")[:sentences]
    partials = read_partial(ROOT / "build" / "adaptation" / f"weibo-partial-{share}.txt")[:sentences]
    base = Segmenter.load(CTB6_MODEL, backend="numpy")
    unbroken = unbroken_strings(partials, DEFAULT_UNBROKEN_MIN, known_share(partials, fill_in(base, partials)))
    texts = [p.text for p in partials]
    filled = np.vstack([np.eye(len(LABELS), dtype=bool)[[LABELS.index(t) for t in words_to_tags(s.words, "bmes")]]
                        for s in fill_in(base, partials, unbroken)])
    treatments = {
        "none": ("the partial lines teach nothing: CTB6 alone", np.ones((len(filled), len(LABELS)), dtype=bool)),
        "filled in": ("filled in by the CTB6 model, unbroken strings kept whole (zhseg's method)", filled),
        "marginal": ("the partial-label objective: every tag sequence keeping the known boundaries and "
                     "unbroken strings", partial_label_sets(partials, unbroken)),
    }
    rows = []
    for name, (description, allowed) in treatments.items():
        log(f"training: {name}")
        segmenter = Segmenter(train(ctb6, texts, allowed, iterations, log), backend="numpy")
        cells = []
        for split in ("dev", "test"):
            gold = read_corpus(CORPORA / "nlpcc2016-weibo" / f"{split}.txt")
            s = score_sentences(gold, segmenter.cut_sentences(gold), segmenter.vocabulary)
            cells.append(f"{100 * s.f1:.2f} (P {100 * s.precision:.2f}, R {100 * s.recall:.2f})")
        log(f"{name}: dev {cells[0]}, test {cells[1]}")
        rows.append([name, description, *cells])
    body = (f"## A partial-label objective against filling in (issue 12)\n\n"
            f"One trainer (benchmarks/partial_objective.py: numba forward-backward, OWL-QN, c1 0.05, c2 0.01, at most "
            f"{iterations} iterations), the `accurate` features, the first {sentences:,} sentences of CTB6's train split "
            f"plus the first {sentences:,} lines of Weibo's train split reduced to {share}% "
            f"({len(unbroken):,} unbroken strings); only the partial lines' labels differ.\n\n"
            + markdown_table(["partial lines", "their labels", "Weibo dev F1", "Weibo test F1"], rows))
    write_section("partial-objective", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
