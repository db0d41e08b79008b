"""The segmenters zhseg is compared with, and how each is run: one system per fresh subprocess
(``python -m zhseg.peers SPEC INPUT OUTPUT``), so one system's memory or caches do not affect
another; the parent scores the output with the same scorer as ``evaluate``.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from zhseg.errors import UserError
from zhseg.features.corpus import Sentence, split_words
from zhseg.metrics import score_sentences
from zhseg.textio import read_lines


@dataclass
class System:
    """One segmenter to run: ``kind`` picks the adapter in :func:`load_system`."""

    name: str
    kind: str
    path: str | None = None
    install: str | None = None
    user_dicts: tuple[str, ...] = ()  # given to every system that takes user words (zhseg, jieba)
    rules: bool = True  # zhseg's rules (model/constraints.py)
    standard: str | None = None  # a multi-corpus zhseg model's standard


@dataclass
class Row:
    system: str
    status: str
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    oov_recall: float | None = None
    iv_recall: float | None = None
    chars_per_second: float | None = None
    load_seconds: float | None = None
    peak_memory_mb: float | None = None


# -- running inside the worker subprocess ----------------------------------------------------------
def load_system(system: System):
    """Return a function from a list of lines to a list of word lists (each system's fastest
    documented way: zhseg's bulk ``cut_lines``, the others' per-line ``cut``)."""
    if system.kind == "zhseg":
        from zhseg.model.segmenter import Segmenter

        segmenter = Segmenter.load(system.path, rules=system.rules, user_dicts=system.user_dicts,
                                   standard=system.standard)
        segmenter.lcut("中国")  # load time includes what a first call builds (the core's tables), as jieba's its dictionary
        return lambda lines: list(segmenter.cut_lines(lines))
    per_line = _load_per_line(system)
    return lambda lines: [per_line(line) for line in lines]


def _load_per_line(system: System):
    if system.kind in ("jieba", "jieba-nohmm", "jieba-dict"):
        import jieba

        jieba.setLogLevel(60)
        tokenizer = jieba.Tokenizer(dictionary=system.path) if system.kind == "jieba-dict" else jieba.Tokenizer()
        tokenizer.initialize()
        for path in system.user_dicts:
            tokenizer.load_userdict(path)
        hmm = system.kind != "jieba-nohmm"
        return lambda text: tokenizer.lcut(text, HMM=hmm)
    if system.kind == "rjieba":
        import rjieba

        return rjieba.cut
    if system.kind == "pkuseg":
        import spacy_pkuseg

        # user_dict=None: the retrained model alone, as zhseg and published same-data figures are;
        # pkuseg's default dictionary follows another segmentation standard
        segmenter = spacy_pkuseg.pkuseg(model_name=system.path, user_dict=None)
        return segmenter.cut
    if system.kind == "thulac":
        import thulac

        segmenter = thulac.thulac(seg_only=True)
        return lambda text: [word for word, _ in segmenter.cut(text)]
    raise ValueError(f"unknown system kind {system.kind!r}")


def worker(spec: str, input_path: str, output_path: str) -> None:
    """Segment ``input_path`` line by line with one system; write words and a JSON timing line."""
    fields = json.loads(spec)
    system = System(**{**fields, "user_dicts": tuple(fields.get("user_dicts", ()))})
    started = time.perf_counter()
    cut = load_system(system)
    load_seconds = time.perf_counter() - started
    lines = Path(input_path).read_text(encoding="utf-8").split("\n")[:-1]
    started = time.perf_counter()
    results = cut(lines)
    seconds = time.perf_counter() - started
    with open(output_path, "w", encoding="utf-8") as out:
        for words in results:
            out.write(" ".join(w for word in words for w in word.split()) + "\n")
    print(json.dumps({"load_seconds": load_seconds, "seconds": seconds, "peak_memory_mb": peak_memory_mb()}))


def peak_memory_mb() -> float | None:
    """This process's peak resident memory in MB.

    Linux's VmHWM, because ru_maxrss survives exec: a child of a large parent would report the
    parent's size. Elsewhere ru_maxrss (bytes on macOS), or None on Windows.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# -- the parent: choosing systems, running and scoring them --------------------------------------------------------------------------------
def available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def choose_systems(models: list[Path], train_dict: Path | None, pkuseg_model: str | None,
                   user_dicts: tuple[str, ...] = (), rules: bool = True, standard: str | None = None) -> list[System]:
    systems = [System(f"zhseg ({m.name}{', ' + standard if standard else ''})", "zhseg", str(m), user_dicts=user_dicts,
                      rules=rules, standard=standard) for m in models]
    systems += [System("jieba (HMM on)", "jieba", install="pip install jieba", user_dicts=user_dicts),
                System("jieba (HMM off)", "jieba-nohmm", install="pip install jieba", user_dicts=user_dicts)]
    if train_dict:
        systems.append(System("jieba (train dict)", "jieba-dict", str(train_dict), install="pip install jieba",
                              user_dicts=user_dicts))
    systems.append(System("rjieba", "rjieba", install="pip install rjieba"))
    systems.append(System(f"pkuseg ({Path(pkuseg_model).name if pkuseg_model else 'no --pkuseg-model'})", "pkuseg", pkuseg_model,
                          install="pip install spacy-pkuseg, then pass --pkuseg-model DIR"))
    systems.append(System("thulac", "thulac", install="pip install thulac"))
    return systems


def skip_reason(system: System) -> str | None:
    module = {"zhseg": "numpy", "jieba": "jieba", "jieba-nohmm": "jieba", "jieba-dict": "jieba",
              "rjieba": "rjieba", "pkuseg": "spacy_pkuseg", "thulac": "thulac"}[system.kind]
    if not available(module):
        return f"skipped: not installed ({system.install})"
    if system.kind == "pkuseg" and not system.path:
        return "skipped: needs --pkuseg-model DIR (a model trained with spacy_pkuseg.train)"
    return None


def write_jieba_dictionary(train: list[Sentence], path: Path) -> None:
    counts = collections.Counter(w for s in train for w in s.words)
    with open(path, "w", encoding="utf-8") as out:
        for word, count in counts.most_common():
            if " " not in word:
                out.write(f"{word} {count}\n")


def run_system(system: System, input_path: Path, scratch: Path, gold: list[Sentence], vocabulary,
               chars: int) -> Row:
    output = scratch / f"{abs(hash(system.name))}.txt"
    result = subprocess.run([sys.executable, "-m", "zhseg.peers", json.dumps(asdict(system)),
                             str(input_path), str(output)], capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return Row(system.name, f"failed: {last[:120]}")
    timing = json.loads(result.stdout.strip().splitlines()[-1])
    predicted = [Sentence(s.line_no, split_words(line)) for s, (_, line) in zip(gold, read_lines(output))]
    try:
        scores = score_sentences(gold, predicted, vocabulary, gold_name="gold", pred_name=system.name)
    except UserError as error:
        return Row(system.name, f"failed: {error}")
    return Row(system.name, "ok", scores.precision, scores.recall, scores.f1, scores.oov_recall,
               scores.iv_recall, chars / timing["seconds"] if timing["seconds"] else None,
               timing["load_seconds"], timing["peak_memory_mb"])




if __name__ == "__main__":
    worker(*sys.argv[1:4])
