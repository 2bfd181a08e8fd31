"""ROUGE-1.5.5 exact, in Python: the scores summarization papers report.

The ROUGE types rouge-score lacks are registered here: ``rouge3``, ``rouge4``, ``rougeW``
(``-w 1.2``), ``rougeS4``/``rougeSU4`` (``-2 4 -U``) and ``rougeS``/``rougeSU`` (any
``skip``; -1, the default, is ROUGE-S*/SU*, ``-2 -1 -U``). ``rouge1``, ``rouge2``, ``rougeL``
and ``rougeLsum`` take ``impl=rouge155`` to switch to this implementation (rouge.py):
``rougeLsum`` is the script's ROUGE-L on the summary's lines (union LCS), ``rougeL`` the
same with each summary on one line.

Per example the statistics are the script's rounded recall, precision and F (columns
0-2); the corpus score is the plain mean of one of them (``score``, F by default) x100, so
the harness's bootstrap and paired tests work as for any mean. The script's own bootstrap
(its printed average and interval, 0-1 as it prints them) is kept in the details, for
documents in corpus order, i.e. as the script orders them when their evaluation ids sort
as the corpus does. Text handling is in rouge155_text.py, the scoring in rouge155_scores.py;
the Perl script itself is the test oracle (harness/testing/rouge155_oracle.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from harness.errors import UsageError
from harness.machine import available_cpus
from harness.metrics.base import Corpus
from harness.metrics.common import (SummableMetric, check_corpus, chunk_bounds, nrefs, package_version,
                                    parallel_map, present_refs)
from harness.metrics.rouge155_scores import Measure, document_scores, script_bootstrap
from harness.metrics.rouge155_text import TextRules, read_summary
from harness.metrics.rouge_tokenizers import SENTENCE_SPLITS, TOKENIZERS, split_sentences
from harness.options import option
from harness.registry import metrics
from harness.signature import Signature

SCORES = ("f", "r", "p")
PARALLEL_FROM = 2000  # as rouge.py: below this, starting worker processes costs more than it saves
# the options only this implementation has (rouge.py refuses them with impl=rouge-score)
OWN_OPTIONS = ("stopwords", "max_words", "max_bytes", "multiref", "alpha", "score",
               "script_resamples", "script_confidence")


@dataclass(frozen=True)
class Rouge155Options:
    impl: str = option("rouge155", "implementation: rouge155 (ROUGE-1.5.5 exact) is the only one "
                                   "with this ROUGE type", choices=("rouge155",))
    use_stemmer: bool = option(True, "-m: WordNet-2.0 exceptions, then ROUGE-1.5.5's Porter stemmer")
    tokenizer: str = option("default", "default (ROUGE-1.5.5's: a-z0-9, other letters deleted) | "
                                       "unicode (any script) | char", choices=TOKENIZERS)
    sentence_split: str = option("newline", "the sentences of ROUGE-L/W: newline (one per line, as "
                                            "the script reads them) | simple (also after . ! ?)",
                                 choices=SENTENCE_SPLITS)
    stopwords: bool = option(False, "-s: remove the SMART stop words")
    max_words: int = option(0, "-l: score the first N words of each summary (0: all)")
    max_bytes: int = option(0, "-b: score the first N bytes of each summary (0: all)")
    multiref: str = option("A", "-f with several references: A pools the counts, B takes the "
                                "reference with the best recall", choices=("A", "B"))
    alpha: float = option(0.5, "-p: F = PR/((1-alpha)P + alpha R); 1 gives precision, 0 recall")
    score: str = option("f", "the corpus score: mean f, r (recall) or p (precision); all three "
                             "are kept per example", choices=SCORES)
    script_resamples: int = option(1000, "-r: resamples of ROUGE-1.5.5's own bootstrap, reported "
                                         "in the details (0: none)")
    script_confidence: float = option(95.0, "-c: the confidence of that interval, in percent")
    workers: int = option(0, "scoring processes; 0 = min(cpus, 4) from 2000 examples")


@dataclass(frozen=True)
class RougeWOptions(Rouge155Options):
    weight: float = option(1.2, "-w: a run of k matches weighs k^weight")


@dataclass(frozen=True)
class RougeSOptions(Rouge155Options):
    skip: int = option(-1, "-2: most words skipped inside a pair; -1: any (ROUGE-S*, SU*)")


class Rouge155(SummableMetric):
    """One ROUGE type computed as ROUGE-1.5.5 computes it (see the module's docstring)."""

    kind: ClassVar[str] = "N"  # N, L, W, S, SU (rouge155_scores.Measure)
    n: ClassVar[int] = 1  # for N; for S/SU a fixed skip distance where the name says it
    one_line: ClassVar[bool] = False  # rougeL: each summary read as one line
    Options = Rouge155Options

    def __init__(self, **options: Any):
        super().__init__(**options)
        o = self.options
        if o.max_words and o.max_bytes:
            raise UsageError(f"metric {self.name!r}: give max_words or max_bytes, not both "
                             f"(ROUGE-1.5.5 takes -l or -b)")
        if min(o.max_words, o.max_bytes, o.script_resamples) < 0:
            raise UsageError(f"metric {self.name!r}: max_words, max_bytes and script_resamples "
                             f"must be 0 or more")
        if not 0 <= o.alpha <= 1 or not 0 < o.script_confidence < 100:
            raise UsageError(f"metric {self.name!r}: alpha must be within 0..1 and "
                             f"script_confidence within 0..100 (exclusive)")
        if self.kind == "W" and o.weight <= 0:
            raise UsageError(f"metric {self.name!r}: weight must be above 0 (ROUGE-1.5.5's -w)")

    def measure(self) -> Measure:
        if self.kind == "W":
            return "W", self.options.weight
        if self.kind in ("S", "SU"):
            return self.kind, getattr(self.options, "skip", self.n)
        return self.kind, self.n

    def rules(self) -> TextRules:
        o = self.options
        return TextRules(stem=o.use_stemmer, stopwords=o.stopwords, max_words=o.max_words,
                         max_bytes=o.max_bytes, tokenizer=o.tokenizer)

    def workers_for(self, n_examples: int) -> int:
        return self.options.workers or (min(available_cpus(), 4) if n_examples >= PARALLEL_FROM else 1)

    def statistics(self, corpus: Corpus) -> np.ndarray:
        check_corpus(corpus)
        workers = self.workers_for(len(corpus))
        if workers == 1 or len(corpus) < 2:
            return self.rows(corpus)
        o = self.options
        # plain values, not the metric: a spawned worker gets them pickled
        jobs = [(self.measure(), self.rules(), o.sentence_split, self.one_line, o.multiref, o.alpha,
                 corpus.predictions[a:b], corpus.references[a:b]) for a, b in chunk_bounds(len(corpus), workers)]
        return np.concatenate(parallel_map(_rows_of_chunk, jobs, workers))

    def rows(self, corpus: Corpus) -> np.ndarray:
        """The statistics in this process; texts read once per corpus for every type that
        reads them with the same rules."""
        o = self.options
        read = corpus.memo(("rouge155-text", self.rules(), o.sentence_split, self.one_line),
                           lambda: read_corpus(corpus, self.rules(), o.sentence_split, self.one_line))
        return score_rows(read, self.measure(), o.multiref, o.alpha)

    def n_columns(self) -> int:
        return 3

    def score_totals(self, totals: np.ndarray, n_rows: int) -> np.ndarray:
        return 100.0 * totals[:, SCORES.index(self.options.score)] / max(n_rows, 1)

    def per_example(self, stats: np.ndarray) -> np.ndarray:
        return 100.0 * stats[:, SCORES.index(self.options.score)]

    def details(self, stats: np.ndarray) -> dict:
        o = self.options
        means = 100.0 * stats.mean(axis=0) if len(stats) else np.zeros(3)
        out: dict = {"f": float(means[0]), "r": float(means[1]), "p": float(means[2])}
        if o.script_resamples and len(stats):
            # as the script prints them: 0-1, (average of the resamples, lower, upper)
            printed = script_bootstrap(stats, o.script_resamples, o.script_confidence)
            out["script_bootstrap"] = {"resamples": o.script_resamples, "confidence": o.script_confidence,
                                       **{s: printed[:, i].tolist() for i, s in enumerate(SCORES)}}
        return out

    def signature(self, corpus: Corpus) -> Signature:
        o = self.options
        kind, arg = self.measure()
        limit = f"{o.max_words}w" if o.max_words else f"{o.max_bytes}b" if o.max_bytes else "none"
        split = [("split", o.sentence_split)] if kind in ("L", "W") and not self.one_line else []
        own = [("weight", arg)] if kind == "W" else [("skip", arg)] if kind in ("S", "SU") else []
        return Signature.of(
            self.name, ("impl", "rouge155"), *own,
            ("stem", "wordnet2.0+porter" if o.use_stemmer else "none"),
            ("stop", "smart" if o.stopwords else "none"), ("limit", limit),
            ("tok", "rouge155" if o.tokenizer == "default" else o.tokenizer), *split,
            ("nrefs", nrefs(corpus.references)), ("multiref", o.multiref), ("alpha", o.alpha),
            ("score", o.score), ("version", f"harness-{package_version('harness')}"))


def _rows_of_chunk(job: tuple) -> np.ndarray:
    measure, rules, split, one_line, multiref, alpha, predictions, references = job
    return score_rows(read_corpus(Corpus(predictions, references), rules, split, one_line), measure, multiref, alpha)


def score_rows(read: list, measure: Measure, multiref: str, alpha: float) -> np.ndarray:
    """(n, 3) statistics, columns f, r, p (SCORES): the script computes recall, precision and
    F; F leads here, as the usual score."""
    rows = [document_scores(measure, peer, models, multiref=multiref, alpha=alpha) for peer, models in read]
    return np.array([(f, r, p) for r, p, f in rows], dtype=np.float64).reshape(len(read), 3)


def read_corpus(corpus: Corpus, rules: TextRules, split: str, one_line: bool) -> list:
    """[(prediction, [references])] as ``Summary`` records, each text read once."""
    def read(text: str):
        lines = [" ".join(split_sentences(text, split))] if one_line else split_sentences(text, split)
        return read_summary("\n".join(lines), rules)
    return [(read(p), [read(r) for r in present_refs(refs)])
            for p, refs in zip(corpus.predictions, corpus.references)]


def _register(name: str, kind: str, n: int, text: str, options: type = Rouge155Options) -> type:
    cls = type(f"Rouge155_{name}", (Rouge155,), {
        "name": name, "kind": kind, "n": n, "Options": options, "__doc__": text,
        "__module__": __name__, "description": f"{text}, ROUGE-1.5.5 exact (mean F, 0-100)"})
    return metrics.register(name)(cls)


Rouge3 = _register("rouge3", "N", 3, "ROUGE-3 (trigram overlap)")
Rouge4 = _register("rouge4", "N", 4, "ROUGE-4 (4-gram overlap)")
RougeW = _register("rougeW", "W", 0, "ROUGE-W (weighted LCS over sentences)", RougeWOptions)
RougeS4 = _register("rougeS4", "S", 4, "ROUGE-S4 (skip-bigrams, at most 4 words skipped)")
RougeSU4 = _register("rougeSU4", "SU", 4, "ROUGE-SU4 (skip-bigrams and unigrams, at most 4 skipped)")
RougeS = _register("rougeS", "S", -1, "ROUGE-S (skip-bigrams; skip=-1: ROUGE-S*)", RougeSOptions)
RougeSU = _register("rougeSU", "SU", -1, "ROUGE-SU (skip-bigrams and unigrams; skip=-1: SU*)", RougeSOptions)

# rouge1..rougeLsum with impl=rouge155 (rouge.py builds them): not registered, rouge.py's
# classes hold those names
EXACT = {name: type(f"Rouge155_{name}", (Rouge155,), {
    "name": name, "kind": kind, "n": n, "one_line": one_line, "__module__": __name__})
    for name, kind, n, one_line in (("rouge1", "N", 1, False), ("rouge2", "N", 2, False),
                                    ("rougeL", "L", 0, True), ("rougeLsum", "L", 0, False))}
