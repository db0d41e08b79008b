"""zhseg as spaCy's tokenizer (the ``spacy`` extra), registered through spaCy's entry points, so a
pipeline saved with it loads in a fresh process without importing zhseg first::

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "zhseg.Tokenizer.v1",
                                                           "model": None, "standard": "weibo",
                                                           "user_words": ["主持召开"]}}})

``model``: a model directory, or None for the embedded default model; ``standard``: one of its
standards (None: its default); ``user_words``: words that always come out whole. ``Doc.text`` is
the input exactly: a single space after a word is that token's trailing space, other whitespace a
token of its own, as spaCy expects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

SETTINGS_FILE = "zhseg.json"


def create_tokenizer(model: str | None = None, standard: str | None = None, user_words: Sequence[str] = ()):
    """spaCy's ``zhseg.Tokenizer.v1``: returns the function spaCy calls with the pipeline."""

    def make(nlp):
        return SpacyTokenizer(nlp.vocab, model, standard, tuple(user_words))

    return make


class SpacyTokenizer:
    """Text to a spaCy ``Doc`` of zhseg's words; saved and loaded with the pipeline as its settings
    (the model is referred to, never copied)."""

    def __init__(self, vocab, model: str | None = None, standard: str | None = None, user_words: Sequence[str] = ()):
        self.vocab = vocab
        self._configure(model, standard, tuple(user_words))

    def _configure(self, model, standard, user_words) -> None:
        from zhseg.tokenizer import Tokenizer

        self.model, self.standard, self.user_words = model, standard, tuple(user_words)
        self.tokenizer = Tokenizer(model=model, standard=standard)
        for word in self.user_words:
            self.tokenizer.add_word(word)

    def __call__(self, text: str):
        from spacy.tokens import Doc

        words: list[str] = []
        spaces: list[bool] = []
        for token, _, _ in self.tokenizer.tokenize(text):
            if token == " " and words and not spaces[-1] and not words[-1].isspace():
                spaces[-1] = True  # a word's one trailing space
            else:
                words.append(token)
                spaces.append(False)
        return Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts, batch_size: int = 1000):
        for text in texts:
            yield self(text)

    def __reduce__(self):
        return (SpacyTokenizer, (self.vocab, self.model, self.standard, self.user_words))

    # -- serialisation: the settings, as JSON ---------------------------------------------------
    def _settings(self) -> dict:
        return {"model": self.model, "standard": self.standard, "user_words": list(self.user_words)}

    def to_bytes(self, **kwargs) -> bytes:
        return json.dumps(self._settings(), ensure_ascii=False).encode("utf-8")

    def from_bytes(self, data: bytes, **kwargs) -> "SpacyTokenizer":
        settings = json.loads(data.decode("utf-8"))
        self._configure(settings.get("model"), settings.get("standard"), tuple(settings.get("user_words", ())))
        return self

    def to_disk(self, path, **kwargs) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / SETTINGS_FILE).write_bytes(self.to_bytes())

    def from_disk(self, path, **kwargs) -> "SpacyTokenizer":
        return self.from_bytes((Path(path) / SETTINGS_FILE).read_bytes())
