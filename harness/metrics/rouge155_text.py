"""ROUGE-1.5.5's text handling, rule for rule: how the script reads a summary, cuts it to a
length limit, tokenizes, drops stop words and stems (its ``readText``, ``readText_LCS``,
``tokenizeText_LCS`` and ``MorphStem``).

* A summary is its lines; empty lines are skipped, a line of blanks is kept (an empty
  sentence). Letters are lower-cased (ASCII only: the script reads bytes).
* ``-l N`` keeps the first N words and ``-b N`` the first N bytes (words split on blanks,
  before punctuation goes). For the n-gram and skip-bigram counts the byte budget runs over
  the whole summary; for the LCS sentences the script never adds up the bytes, so each line
  is held to the budget on its own until one reaches it. Both are copied.
* Tokens: ``-`` splits words and every byte that is not ``[A-Za-z0-9-]`` is a blank, so any
  non-ASCII letter is deleted; the ``-`` tokens themselves are then dropped.
* ``-s`` removes the SMART stop words; ``-m`` stems tokens longer than 3 characters: the
  WordNet-2.0 exception list first, else the script's own Porter stemmer (Porter's Perl
  code with the script's 2004 change to step 4: ``-ement`` no longer falls through to
  ``-ment`` and ``-ent``), which neither of nltk's Porter modes reproduces.

``tokenizer=unicode|char`` swaps only the tokenization step for the harness's multilingual
tokenizers (rouge_tokenizers.py), so Chinese or Russian summaries score at all; stop words
and stemming (ASCII words only) stay as above.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from harness.metrics.rouge_tokenizers import make_tokenizer

DATA = Path(__file__).with_name("rouge155_data")
_BLANKS = re.compile(rb"[ \t\n\r\f\x0b]+")  # Perl's \s on bytes
_NOT_WORD = re.compile(rb"[^A-Za-z0-9\-]")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class TextRules:
    """How a summary becomes tokens: the script's options that touch the text."""

    stem: bool = True  # -m
    stopwords: bool = False  # -s
    max_words: int = 0  # -l (0: no limit)
    max_bytes: int = 0  # -b (0: no limit)
    tokenizer: str = "default"  # default (the script's) | unicode | char


@dataclass(frozen=True)
class Summary:
    """One summary as the script sees it: ``tokens`` for n-grams and skip-bigrams, and
    ``sentences`` (token lists, one per kept line) for ROUGE-L and ROUGE-W."""

    tokens: tuple[str, ...]
    sentences: tuple[tuple[str, ...], ...]


def read_summary(text: str, rules: TextRules) -> Summary:
    lines = [line.encode("utf-8").lower() for line in text.split("\n") if line]
    if not rules.max_words and not rules.max_bytes:
        sentences = tuple(_tokens(line, rules) for line in lines)
        return Summary(tuple(t for s in sentences for t in s), sentences)
    whole = _limit(lines, rules, per_line_bytes=False)
    by_line = _limit(lines, rules, per_line_bytes=True)
    return Summary(tuple(t for line in whole for t in _tokens(line, rules)),
                   tuple(_tokens(line, rules) for line in by_line))


def _limit(lines: list[bytes], rules: TextRules, per_line_bytes: bool) -> list[bytes]:
    """The lines ``readText`` (whole budget) or ``readText_LCS`` (per-line bytes) keeps."""
    kept, used = [], 0
    for line in lines:
        if rules.max_words:
            words = _perl_split(line)
            if used + len(words) < rules.max_words:
                kept.append(line)
                used += len(words)
                continue
            kept.append(b" ".join(words[:rules.max_words - used]))
            break
        if used + len(line) < rules.max_bytes:
            kept.append(line)
            used += 0 if per_line_bytes else len(line)
            continue
        kept.append(line[:rules.max_bytes - used])
        break
    return kept


def _perl_split(line: bytes) -> list[bytes]:
    """Perl's ``split(/\\s+/, $line)``: a leading blank gives an empty first word, trailing
    empty words are dropped."""
    words = _BLANKS.split(line)
    while words and not words[-1]:
        words.pop()
    return words


def _tokens(line: bytes, rules: TextRules) -> tuple[str, ...]:
    if rules.tokenizer == "default":
        words = _NOT_WORD.sub(b" ", line.replace(b"-", b" - ")).decode("ascii").split()
    else:
        words = make_tokenizer(rules.tokenizer, False).tokenize(line.decode("utf-8", "ignore"))
    stop = stopwords() if rules.stopwords else frozenset()
    kept = [w for w in words if w not in stop and w != "-"]
    if rules.stem:
        kept = [morph_stem(w) if len(w) > 3 and _ASCII_WORD.fullmatch(w) else w for w in kept]
    return tuple(kept)


@lru_cache(maxsize=None)
def stopwords() -> frozenset[str]:
    return frozenset((DATA / "smart_stopwords.txt").read_text(encoding="ascii").split("\n"))


@lru_cache(maxsize=None)
def exceptions() -> dict[str, str]:
    rows = (DATA / "wordnet2.0_exceptions.tsv").read_text(encoding="ascii").splitlines()
    return dict(row.split("\t") for row in rows)


@lru_cache(maxsize=1 << 16)
def morph_stem(word: str) -> str:
    """``MorphStem``: the WordNet-2.0 exception's base form, else the Porter stem."""
    base = exceptions().get(word)
    return base if base is not None else porter_stem(word)


# The script's Porter stemmer, its regular expressions as they are.
_C, _V = "[^aeiou][^aeiouy]*", "[aeiouy][aeiou]*"
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?$")
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")
_HAS_V = re.compile(f"^({_C})?[aeiouy]")
_CVC = re.compile(f"^{_C}[aeiouy][^aeiouwxy]$")
_STEP2 = {"ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize",
          "bli": "ble", "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize",
          "ation": "ate", "ator": "ate", "alism": "al", "iveness": "ive", "fulness": "ful",
          "ousness": "ous", "aliti": "al", "iviti": "ive", "biliti": "ble", "logi": "log"}
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}
_STEP2_END = re.compile("(" + "|".join(_STEP2) + ")$")
_STEP3_END = re.compile("(" + "|".join(_STEP3) + ")$")
_STEP4_END = re.compile("(al|ance|ence|er|ic|able|ible|ant|ement|ou|ism|ate|iti|ous|ive|ize)$")


def porter_stem(w: str) -> str:
    if len(w) < 3:
        return w
    initial_y = w[0] == "y"
    if initial_y:
        w = "Y" + w[1:]  # a leading y is a consonant
    if m := re.search("(ss|i)es$", w):
        w = w[:m.start()] + m[1]
    elif m := re.search("([^s])s$", w):
        w = w[:m.start()] + m[1]
    if m := re.search("eed$", w):
        if _MGR0.search(w[:m.start()]):
            w = w[:-1]
    elif (m := re.search("(ed|ing)$", w)) and _HAS_V.search(w[:m.start()]):
        w = w[:m.start()]
        if re.search("(at|bl|iz)$", w):
            w += "e"
        elif re.search(r"([^aeiouylsz])\1$", w):
            w = w[:-1]
        elif _CVC.search(w):
            w += "e"
    if (m := re.search("y$", w)) and _HAS_V.search(w[:m.start()]):
        w = w[:m.start()] + "i"
    if (m := _STEP2_END.search(w)) and _MGR0.search(w[:m.start()]):
        w = w[:m.start()] + _STEP2[m[1]]
    if (m := _STEP3_END.search(w)) and _MGR0.search(w[:m.start()]):
        w = w[:m.start()] + _STEP3[m[1]]
    w = _step4(w)
    if (m := re.search("e$", w)):
        stem = w[:m.start()]
        if _MGR1.search(stem) or (_MEQ1.search(stem) and not _CVC.search(stem)):
            w = stem
    if re.search("ll$", w) and _MGR1.search(w):
        w = w[:-1]
    return "y" + w[1:] if initial_y else w


def _step4(w: str) -> str:
    if (m := _STEP4_END.search(w)) and _MGR1.search(w[:m.start()]):
        w = w[:m.start()]
    if (m := re.search("ment$", w)) and _MGR1.search(w[:m.start()]):
        w = w[:m.start()]
    if m := re.search("ent$", w):
        if _MGR1.search(w[:m.start()]):
            w = w[:m.start()]
    elif (m := re.search("(s|t)(ion)$", w)) and _MGR1.search(w[:m.start()] + m[1]):
        w = w[:m.start()] + m[1]
    return w
