"""Issue 11's measurements: user words and rules, enforced in decoding.

    python benchmarks/userwords.py      # writes the 'userwords' section of RESULTS.md

Models come from benchmarks/core.py (build/core/CORPUS-accurate). Four tables:
1. rules on and off on each corpus's test split (F1 must not drop);
2. CTB6 test with its OOV words (gold words absent from the training words) loaded as a user
   dictionary: F1, OOV recall, and how many words outside the user words changed;
3. loading 100,000 user words (a seeded sample of jieba's MIT-licensed dict.txt) and bulk speed
   with 0 and with them, timed in alternating rounds (same run, ratio reported);
4. a few lines of seed 004 with rules off and on.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import typer

from results import best_times, markdown_table, write_section
from zhseg import Segmenter
from zhseg.features.corpus import read_corpus
from zhseg.features.tags import word_spans
from zhseg.metrics import score_sentences

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
MODELS = ROOT / "build" / "core"


def rules_table() -> str:
    rows = []
    for corpus in ("ctb6", "nlpcc2016-weibo", "sxu-sighan2008"):
        gold = read_corpus(CORPORA / corpus / "test.txt")
        scores = {}
        changed_lines = 0
        cuts = {}
        for rules in (False, True):
            segmenter = Segmenter.load(MODELS / f"{corpus}-accurate", rules=rules)
            predicted = segmenter.cut_sentences(gold)
            cuts[rules] = predicted
            scores[rules] = score_sentences(gold, predicted, segmenter.vocabulary)
        changed_lines = sum(a.words != b.words for a, b in zip(cuts[False], cuts[True]))
        off, on = scores[False], scores[True]
        rows.append([corpus, f"{100 * off.f1:.2f}", f"{100 * on.f1:.2f}", f"{100 * (on.f1 - off.f1):+.2f}",
                     f"{100 * off.oov_recall:.2f}", f"{100 * on.oov_recall:.2f}", f"{changed_lines} of {len(gold)}"])
    return markdown_table(["test set (own model)", "F1 rules off", "F1 rules on", "change", "OOV R off",
                           "OOV R on", "lines whose words changed"], rows)


def oov_user_dict_table() -> str:
    model = MODELS / "ctb6-accurate"
    gold = read_corpus(CORPORA / "ctb6" / "test.txt")
    plain = Segmenter.load(model)
    oov = sorted({w for s in gold for w in s.words} - plain.vocabulary)
    with_words = Segmenter.load(model)
    for word in oov:
        with_words.add_word(word)
    before = plain.cut_sentences(gold)
    after = with_words.cut_sentences(gold)
    s0, s1 = score_sentences(gold, before, plain.vocabulary), score_sentences(gold, after, plain.vocabulary)
    # words outside the user words: spans of the plain output that overlap no user-word occurrence
    changed = outside = 0
    for sentence_before, sentence_after in zip(before, after):
        occurrences = [span for span, word in zip(word_spans(sentence_after.words), sentence_after.words)
                       if word in with_words.user_words]
        after_spans = set(word_spans(sentence_after.words))
        for span in word_spans(sentence_before.words):
            if any(span[0] < end and start < span[1] for start, end in occurrences):
                continue
            outside += 1
            changed += span not in after_spans
    rows = [["none", f"{100 * s0.f1:.2f}", f"{100 * s0.oov_recall:.2f}", f"{100 * s0.iv_recall:.2f}", "-"],
            [f"the test set's {len(oov):,} OOV words", f"{100 * s1.f1:.2f}", f"{100 * s1.oov_recall:.2f}",
             f"{100 * s1.iv_recall:.2f}", f"{changed} of {outside:,}"]]
    return markdown_table(["user dictionary", "F1", "OOV R", "IV R", "words outside user-word occurrences that changed"],
                          rows)


def speed_table(megabytes: float, repeat: int) -> tuple[str, str]:
    import jieba

    model = MODELS / "ctb6-accurate"
    sentences = [s.text for s in read_corpus(CORPORA / "ctb6" / "test.txt")]
    block_chars = sum(map(len, sentences))
    copies = max(1, int(megabytes * 1e6 / (3 * block_chars)))
    lines = sentences * copies
    chars = sum(map(len, lines))
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    entries = [line.split(" ")[0] for line in dictionary.read_text(encoding="utf-8").splitlines() if line]
    sample = random.Random(11).sample(entries, 100_000)
    with tempfile.TemporaryDirectory() as scratch:
        user_dict = Path(scratch) / "user.txt"
        user_dict.write_text("".join(f"{w} 1\n" for w in sample), encoding="utf-8")
        plain = Segmenter.load(model)
        loaded = Segmenter.load(model)
        started = time.perf_counter()
        loaded.load_userdict(user_dict)
        loaded.lcut("预热")  # builds the matcher
        load_seconds = time.perf_counter() - started
    no_rules = Segmenter.load(model, rules=False)
    runs = [lambda s=s: sum(1 for _ in s.segment_lines(lines)) for s in (no_rules, plain, loaded)]
    t_off, t_plain, t_words = best_times(runs, repeat)
    few = sentences[:2000]
    c_plain, c_words = best_times([lambda: [plain.lcut(x) for x in few], lambda: [loaded.lcut(x) for x in few]], repeat)
    rows = [["bulk `segment_lines`, rules off (chars/s)", f"{chars / t_off:,.0f}", "-"],
            ["bulk, rules on (the default) (chars/s)", f"{chars / t_plain:,.0f}", f"{t_plain / t_off:.2f}x the time of rules off"],
            ["bulk, rules on + 100,000 user words (chars/s)", f"{chars / t_words:,.0f}",
             f"{t_words / t_plain:.2f}x the time without user words (target <= 1.20)"],
            [f"per-call `lcut`, {len(few)} sentences, rules on (chars/s)", f"{sum(map(len, few)) / c_plain:,.0f}", "-"],
            ["per-call `lcut` + 100,000 user words (chars/s)", f"{sum(map(len, few)) / c_words:,.0f}",
             f"{c_words / c_plain:.2f}x the time"],
            ["loading 100,000 user words, matcher built (s)", f"{load_seconds:.2f}", "target < 1"]]
    note = f"Input: CTB6 test text repeated to {chars:,} characters ({len(lines):,} lines); best of {repeat} alternating rounds."
    return markdown_table(["measure", "value", "ratio"], rows), note


def seed_lines() -> str:
    """Seed 004's lines that hold a rule span or a grapheme cluster, segmented with rules off and on."""
    from zhseg.model.constraints import unit_spans

    model = MODELS / "ctb6-accurate"
    web = next((ROOT / "seeds").glob("004_*.txt")).read_text(encoding="utf-8").replace("@@", "")
    off, on = Segmenter.load(model, rules=False), Segmenter.load(model)
    shown = []
    for line in web.split("\n"):
        spans = unit_spans(line, rules=True)
        if not spans:
            continue
        a, b = " ".join(off.lcut(line)), " ".join(on.lcut(line))
        units = ", ".join(f"`{line[s:e]}`" for s, e in spans[:4])
        shown.append(f"- spans {units}; {'changed' if a != b else 'unchanged'}\n  - off: `{a[:150]}`\n  - on:  `{b[:150]}`")
        if len(shown) == 4:
            break
    return "\n".join(shown)


def main(megabytes: float = typer.Option(5.0, help="Size of the speed input."),
         repeat: int = typer.Option(3, help="Timings are the best of this many alternating rounds.")):
    rules = rules_table()
    oov = oov_user_dict_table()
    speed, note = speed_table(megabytes, repeat)
    body = ("## User words and rules (issue 11)\n\nRules (URLs, e-mail addresses, numbers, Latin words kept whole) "
            "on and off, each corpus's own `accurate` model on its test split:\n\n" + rules +
            "\n\nCTB6 test, the CTB6 model, with the test set's OOV words (gold words not among the training words) "
            "loaded as user words; OOV against the training words:\n\n" + oov +
            "\n\nSpeed and loading, the CTB6 model, numpy backend. " + note + "\n\n" + speed +
            "\n\nSeed 004 (the web seed), the first lines holding a rule span, rules off and on:\n\n" + seed_lines())
    write_section("userwords", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
