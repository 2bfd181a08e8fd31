"""Tokenizers and sentence splitters for ROUGE, in rouge-score's Tokenizer interface.

* ``default``: rouge-score's own tokenizer (lower-case, keep ``[a-z0-9]`` runs, Porter-stem
  words longer than 3 letters). Identical tokens; stems are memoised, which is where
  rouge-score spends most of its time. It drops every non-ASCII letter, so Chinese,
  Japanese, Thai... score as empty strings with it.
* ``unicode``: NFKC, lower-case; words are runs of letters, marks and digits in any script;
  in scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar)
  every character (with its combining marks) is a token. The stemmer, when on, touches
  only ASCII words, as in ``default``.
* ``char``: NFKC, lower-case; every letter or digit grapheme is a token (character ROUGE).

Sentence splitting for rougeLsum: ``newline`` (rouge-score's rule: one sentence per line)
or ``simple``: lines, further split after ``. ! ?`` followed by whitespace and after
``。！？`` — for outputs that come without newlines. Neither needs nltk data.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TOKENIZERS = ("default", "unicode", "char")
SENTENCE_SPLITS = ("newline", "simple")

_NO_SPACE_SCRIPTS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[\u3002\uff01\uff1f])")


class CachedStemmer:
    """nltk's PorterStemmer (as rouge-score builds it) with a memo of stems."""

    def __init__(self):
        from nltk.stem import porter
        self._stemmer = porter.PorterStemmer()
        self._memo: dict[str, str] = {}

    def stem(self, word: str) -> str:
        stem = self._memo.get(word)
        if stem is None:
            stem = self._memo[word] = self._stemmer.stem(word)
        return stem


@lru_cache(maxsize=8)
def make_tokenizer(name: str, use_stemmer: bool):
    """A rouge-score Tokenizer (cached per process: its stem memo is worth keeping)."""
    import regex
    from rouge_score import tokenize as rouge_tokenize
    from rouge_score.tokenizers import Tokenizer
    stemmer = CachedStemmer() if use_stemmer else None
    words = regex.compile(rf"[{_NO_SPACE_SCRIPTS}]\p{{M}}*"
                          rf"|(?:(?![{_NO_SPACE_SCRIPTS}])[\p{{L}}\p{{M}}\p{{N}}])+")
    graphemes = regex.compile(r"\X")

    class Default(Tokenizer):
        def tokenize(self, text):
            return rouge_tokenize.tokenize(text, stemmer)

    class Unicode(Tokenizer):
        def tokenize(self, text):
            tokens = words.findall(unicodedata.normalize("NFKC", text).lower())
            if stemmer is None:
                return tokens
            return [stemmer.stem(t) if len(t) > 3 and _ASCII_WORD.match(t) else t for t in tokens]

    class Char(Tokenizer):
        def tokenize(self, text):
            text = unicodedata.normalize("NFKC", text).lower()
            return [g for g in graphemes.findall(text) if unicodedata.category(g[0])[0] in "LN"]

    return {"default": Default, "unicode": Unicode, "char": Char}[name]()


def split_sentences(text: str, mode: str) -> list[str]:
    """Sentences for rougeLsum; empty pieces dropped as rouge-score does."""
    lines = text.split("\n")
    if mode == "simple":
        lines = [piece for line in lines for piece in _SENTENCE_END.split(line)]
    return [s for s in lines if len(s)]
