"""What keeping punctuation, symbols and pictographs apart changes (model/constraints.py): F1 of
the embedded default model on every test set, the constraint on and off, each set with the
standard the default-model table gives it (the model's default standard where that is not one of
its own), and the Weibo sets with every standard.

    python benchmarks/isolation.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from default_model import CORPORA, TEST_SETS  # noqa: E402
from results import markdown_table, write_section  # noqa: E402
from zhseg import Segmenter, default_model_path  # noqa: E402
from zhseg.features.corpus import read_corpus, read_word_list  # noqa: E402
from zhseg.metrics import score_sentences  # noqa: E402


def f1(model, standard, isolate, gold, vocabulary) -> float:
    segmenter = Segmenter(model, standard=standard, isolate=isolate)
    return 100 * score_sentences(gold, segmenter.cut_sentences(gold), vocabulary).f1


def main() -> None:
    model = Segmenter.load(default_model_path()).model
    rows = []
    sets = list(TEST_SETS) + [(f"nlpcc2016-weibo {split}, {standard} standard", CORPORA / "nlpcc2016-weibo" / f"{split}.txt",
                               CORPORA / "nlpcc2016-weibo" / "train.txt", standard)
                              for split in ("dev", "test") for standard in model.standards]
    for name, gold_path, words_path, standard in sets:
        if not Path(gold_path).is_file():
            continue
        gold = read_corpus(gold_path)
        vocabulary = (read_word_list(words_path) if words_path and words_path.name.endswith(".utf8")
                      else frozenset(w for s in read_corpus(words_path) for w in s.words) if words_path else frozenset())
        standard = standard if standard in model.standards else model.default_standard
        on, off = (f1(model, standard, isolate, gold, vocabulary) for isolate in (True, False))
        rows.append([name, standard, f"{off:.2f}", f"{on:.2f}", f"{on - off:+.2f}"])
        print(rows[-1], file=sys.stderr)
    body = ("## Punctuation, symbols and pictographs apart\n\nThe embedded default model, rules on, the "
            "constraint that punctuation, symbols and pictographs never share a word with other text off and on "
            "(F1 %).\n\n" + markdown_table(["test set", "standard", "off", "on", "change"], rows))
    write_section("isolation", body)
    print(body)


if __name__ == "__main__":
    main()
