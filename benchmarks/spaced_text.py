"""Text with spaces between some words: decode each line whole, or each chunk on its own?

    python benchmarks/spaced_text.py

Web text often puts spaces between words or phrases. Whitespace is always a word boundary; the
question is whether the characters either side of it should still see each other. The test
splits of CTB6 and Weibo get a space at a share of their gold word boundaries (seeded), and the
embedded default model segments them (with the corpus's standard) two ways:

- **each chunk alone**: every whitespace-separated chunk a sequence of its own (zhseg before
  this benchmark; the crfsuite reference tagger still does this);
- **each line whole**: the line one sequence, its whitespace removed and kept as a known boundary
  (the constraint that keeps user words whole), what ``Segmenter`` does now.

Also the text without spaces, and each way's time relative to the other in the same run.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import typer

from results import markdown_table, write_section
from zhseg import Segmenter
from zhseg.features.corpus import Sentence, read_corpus
from zhseg.metrics import score_sentences

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
STANDARDS = {"ctb6": "ctb6", "nlpcc2016-weibo": "weibo"}  # the default model's names for them


def spaced(sentence: Sentence, share: float, rng: random.Random) -> str:
    """The sentence's text with a space at about ``share`` of its word boundaries."""
    return "".join(w if not k or rng.random() >= share else " " + w for k, w in enumerate(sentence.words))


def main(shares: list[float] = typer.Option([0.1, 0.3], "--share", help="Shares of word boundaries given a space."),
         seed: int = typer.Option(7, help="Seed of the random spaces.")):
    rows = []
    for corpus, standard in STANDARDS.items():
        segmenter = Segmenter.load(ROOT / "model" / "default", standard=standard)
        gold = read_corpus(CORPORA / corpus / "test.txt")
        plain = score_sentences(gold, segmenter.cut_sentences(gold), segmenter.vocabulary)
        rows.append([corpus, "none", f"{100 * plain.f1:.2f}", "-", "-"])
        for share in shares:
            rng = random.Random(seed)
            lines = [spaced(s, share, rng) for s in gold]
            started = time.perf_counter()
            whole = list(segmenter.cut_lines(lines))
            whole_seconds = time.perf_counter() - started
            started = time.perf_counter()
            chunks = iter(segmenter.cut_lines(chunk for line in lines for chunk in line.split()))
            alone = [[w for _ in line.split() for w in next(chunks)] for line in lines]
            alone_seconds = time.perf_counter() - started
            scores = [score_sentences(gold, [Sentence(g.line_no, tuple(words)) for g, words in zip(gold, cut)],
                                      segmenter.vocabulary) for cut in (alone, whole)]
            rows.append([corpus, f"{100 * share:.0f}%", f"{100 * scores[0].f1:.2f}", f"{100 * scores[1].f1:.2f}",
                         f"{whole_seconds / alone_seconds:.2f}"])
    body = ("## Text with spaces: each line whole or each chunk alone\n\n"
            "The embedded default model on test splits given a space at a share of their gold word boundaries "
            f"(seed {seed}); F1 against the gold words.\n\n"
            + markdown_table(["test set", "boundaries spaced", "each chunk alone F1", "each line whole F1 (now)",
                              "time, whole / alone"], rows))
    write_section("spaced-text", body)
    print(body)


if __name__ == "__main__":
    typer.run(main)
