"""PTB tokenization as COCO caption evaluation does it (pycocoevalcap's PTBTokenizer).

pycocoevalcap runs Stanford PTBTokenizer 3.4.1 (``-preserveLines -lowerCase``) over all
captions of one side (references or predictions) joined by newlines, then drops the
punctuation tokens in ``PUNCTUATION``. Two implementations give the same strings:

* ``ptb-java``: the Stanford jar shipped with pycocoevalcap (needs ``java`` on PATH);
* ``ptb-python``: a re-implementation of the lexer's rules (ptb_rules.py), no Java.

Both return one space-joined token string per input text, as pycocoevalcap does.
``none`` only strips the texts: for captions that are already tokenized (this is how
nlg-eval calls the same scorers).
Lower-casing happens after PTB escaping, so ``(`` becomes ``-lrb-``, which is not in
pycocoevalcap's punctuation list and therefore stays a token; we keep that quirk.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from typing import Sequence

from harness.errors import HarnessError, MissingDependency, UsageError, did_you_mean
from harness.metrics.ptb_rules import compile_rules

PUNCTUATION = frozenset(["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
                         ".", "?", "!", ",", ":", "-", "--", "...", ";"])
TOKENIZERS = ("auto", "ptb-java", "ptb-python", "none")

# Characters the lexer treats as line ends: inside one caption they would shift every
# later caption onto the wrong line, so both implementations read them as spaces.
_LINE_BREAKS = re.compile("[\r\n\u2028\u2029\u000B\u000C\u0085]")
_ASCII_WORD = re.compile(r"[A-Za-z]+(?=[ \n]|\Z)")
_SPLIT_WORDS = frozenset(["cannot", "gonna", "gotta", "lemme", "gimme", "wanna"])  # "can not", "gon na"


def java_available() -> bool:
    return shutil.which("java") is not None


def resolve(tokenizer: str) -> str:
    """``auto`` → ``ptb-java`` when Java is on PATH, else ``ptb-python``."""
    if tokenizer not in TOKENIZERS:
        raise UsageError(f"unknown COCO tokenizer {tokenizer!r}{did_you_mean(tokenizer, TOKENIZERS)}; "
                         f"choose one of {', '.join(TOKENIZERS)}")
    if tokenizer == "auto":
        return "ptb-java" if java_available() else "ptb-python"
    if tokenizer == "ptb-java" and not java_available():
        raise MissingDependency("java", why="for tokenizer 'ptb-java' (Stanford PTBTokenizer); "
                                "install a JRE or use tokenizer 'ptb-python'")
    return tokenizer


def tokenize(texts: Sequence[str], tokenizer: str = "auto") -> list[str]:
    """One lower-cased, punctuation-free token string per text."""
    resolved = resolve(tokenizer)
    if resolved == "none":
        return [t.strip() for t in texts]
    return list(_tokenize_cached(resolved, tuple(texts)))


@lru_cache(maxsize=4)
def _tokenize_cached(resolved: str, texts: tuple[str, ...]) -> tuple[str, ...]:
    # systems scored one after another share their references: tokenize those once
    return tuple(tokenize_java(texts) if resolved == "ptb-java" else tokenize_python(texts))


def _drop_punctuation(line: str) -> str:
    return " ".join(w for w in line.rstrip().split(" ") if w not in PUNCTUATION)


def tokenize_java(texts: Sequence[str]) -> list[str]:
    """Stanford PTBTokenizer 3.4.1 from pycocoevalcap's jar, exactly as COCOEvalCap calls it."""
    try:
        from pycocoevalcap.tokenizer import ptbtokenizer
    except ImportError as exc:
        raise MissingDependency("pycocoevalcap", why="for tokenizer 'ptb-java'") from exc
    jar = os.path.join(os.path.dirname(ptbtokenizer.__file__), ptbtokenizer.STANFORD_CORENLP_3_4_1_JAR)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "captions.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(_LINE_BREAKS.sub(" ", t) for t in texts))
        cmd = ["java", "-Dfile.encoding=UTF-8", "-cp", jar, "edu.stanford.nlp.process.PTBTokenizer",
               "-preserveLines", "-lowerCase", path]
        done = subprocess.run(cmd, capture_output=True)
    if done.returncode != 0:
        raise HarnessError(f"Stanford PTBTokenizer failed (exit {done.returncode}): "
                           f"{done.stderr.decode(errors='replace')[-500:]}; "
                           f"use tokenizer 'ptb-python' to avoid Java")
    lines = done.stdout.decode("utf-8").split("\n")
    lines += [""] * (len(texts) - len(lines))
    return [_drop_punctuation(line) for line in lines[:len(texts)]]


def tokenize_python(texts: Sequence[str]) -> list[str]:
    """The pure-Python lexer; equal to tokenize_java on all the COCO data we test on."""
    text = "\n".join(_LINE_BREAKS.sub(" ", t) for t in texts)
    lines: list[list[str]] = [[]]
    for token in _lex(text):
        if token is None:
            lines.append([])
        else:
            lines[-1].append(token.lower())
    lines += [[] for _ in range(len(texts) - len(lines))]
    return [" ".join(t for t in line if t not in PUNCTUATION) for line in lines[:len(texts)]]


@lru_cache(maxsize=1)
def _rules():
    return compile_rules()


def _lex(text: str):
    """Yield tokens (None for a newline), choosing the longest rule match at each point."""
    rules = _rules()
    pos, end = 0, len(text)
    while pos < end:
        ch = text[pos]
        if ch == " ":
            pos += 1
            continue
        if ch == "\n":
            yield None
            pos += 1
            continue
        simple = _ASCII_WORD.match(text, pos)
        if simple and simple.group().lower() not in _SPLIT_WORDS:
            # a run of ASCII letters ending at a space is one WORD under every rule
            yield simple.group()
            pos = simple.end()
            continue
        token, pos = _longest(rules, text, pos)
        if token is not None:
            yield None if token == "\n" else token


def _longest(rules, text: str, pos: int) -> tuple[str | None, int]:
    # POSIX matching costs grow with the string, so it sees the rest of this line and the
    # next (the furthest any trailing context looks), capped for pathological lines.
    nl = text.find("\n", pos)
    nl2 = -1 if nl < 0 else text.find("\n", nl + 1)
    window = text[pos:min(len(text) if nl2 < 0 else nl2, pos + _MAX_TOKEN)]
    best, best_len = None, 0
    for quick, exact, action in rules:
        if quick.match(window) is None:
            continue
        m = exact.match(window)
        length = m.end()
        if length > best_len:
            best, best_len = (m.group(1), action), length
    if best is None:  # untokenizable: PTBLexer deletes it (firstDelete)
        return None, pos + 1
    main, action = best
    return _apply(action, main, pos)


_MAX_TOKEN = 1000


_FRACTIONS = {"\u00BC": "1/4", "\u00BD": "1/2", "\u00BE": "3/4", "\u2153": "1/3", "\u2154": "2/3"}
_CURRENCY = {"\u00A2": "cents", "\u00A3": "#", "\u0080": "$", "\u00A4": "$", "\u20A0": "$",
             "\u20AC": "$", "\u20B9": "$"}
_CONSTANT = {"dash": "--", "lt": "<", "gt": ">", "ellipsis": "...", "lcb": "-LCB-", "rcb": "-RCB-",
             "lsb": "-LSB-", "rsb": "-RSB-", "lrb": "-LRB-", "rrb": "-RRB-"}
_AMP = re.compile("&amp;", re.IGNORECASE)


def _apply(action: str, main: str, pos: int) -> tuple[str | None, int]:
    """The token a rule emits and where scanning resumes (JFlex yypushback)."""
    after = pos + len(main)
    if action in _CONSTANT:
        return _CONSTANT[action], after
    if action in ("push3", "push2"):
        keep = len(main) - int(action[-1])
        return main[:keep], pos + keep
    if action == "acronym":  # "I." before "The": the letter alone; else the acronym and a "."
        return (main[:1], pos + 1) if len(main) == 2 else (main, after - 1)
    if action == "abbrev1":  # sentence-final "etc.": the abbreviation, then its period again
        return main, after - 1
    if action == "skip":
        return None, after
    if action == "newline":
        return "\n", after
    return _normalize(action, main), after


def _normalize(action: str, main: str) -> str:
    if action == "text":
        return main
    if action == "soft":  # soft hyphens only mark where a word may break
        return main.replace("\u00AD", "")
    if action == "amp":
        return _AMP.sub("&", main)
    if action in ("quote_left", "quote_right"):
        return latex_quotes(main, action == "quote_left")
    if action in ("sgml", "nbsp"):
        return re.sub("[ \r\n]", "\u00A0", main)
    if action == "phone":
        return main.replace(" ", "\u00A0").replace("(", "-LRB-").replace(")", "-RRB-")
    if action == "parens":
        return main.replace("(", "-LRB-").replace(")", "-RRB-")
    if action == "hyphens":
        return "--" if 3 <= len(main) <= 4 else main
    if action == "frac2":
        return _FRACTIONS.get(main, main)
    if action == "currency":
        return _CURRENCY.get(main, main)
    raise AssertionError(f"unknown PTB action {action!r}")


_SINGLE = re.compile("&apos;|'")
_DOUBLE = re.compile("\"|''|'`|`'|&quot;")
_LEFT_SINGLE = re.compile("[\u0082\u008B\u0091\u2018\u201A\u201B\u2039]")
_RIGHT_SINGLE = re.compile("[\u0092\u009B\u00B4\u2019\u203A]")
_LEFT_DOUBLE = re.compile("[\u0084\u0093\u201C\u201E\u00AB]|[\u0091\u2018]'")
_RIGHT_DOUBLE = re.compile("[\u0094\u201D\u00BB]|[\u0092\u2019]'")


def latex_quotes(token: str, probably_left: bool) -> str:
    """PTBLexer.latexQuotes: quotes become ` `` ' '' by their likely side."""
    token = _SINGLE.sub("`" if probably_left else "'", token)
    token = _DOUBLE.sub("``" if probably_left else "''", token)
    token = _LEFT_SINGLE.sub("`", token)
    token = _RIGHT_SINGLE.sub("'", token)
    token = _LEFT_DOUBLE.sub("``", token)
    return _RIGHT_DOUBLE.sub("''", token)
