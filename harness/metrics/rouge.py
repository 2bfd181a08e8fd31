"""ROUGE-1/2/L/Lsum with rouge-score's semantics: its tokenizer, n-gram scoring, F-measure
and union-LCS rules; only its LCS table is computed faster (lcs.py, same integers).

Per example the statistic is rouge-score's F-measure; the corpus score is their mean
(x100). With several references an example takes the best F over them, per ROUGE type —
rouge-score's ``RougeScorer.score_multi`` rule. ``use_stemmer`` is on by default (as in
most papers' rouge-score calls). rougeLsum splits sentences on newlines (rouge-score's
rule), or with ``sentence_split=simple`` also after sentence punctuation; see
rouge_tokenizers.py for the tokenizers.

With ``impl=rouge155`` these four names are ROUGE-1.5.5's instead (rouge155.py: the numbers
papers report; docs/rouge155.md says how the two differ).

All four types are computed in one pass per option set and shared through
``Corpus.memo``, so scoring rouge1..rougeLsum tokenizes each text once. Large corpora are
scored in worker processes (``workers``; 0 = min(cpu count, 4) from 2,000 examples up),
chunked in order, so results are identical to one process.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from harness.errors import UsageError
from harness.machine import available_cpus
from harness.metrics.base import Corpus
from harness.metrics.common import (MeanMetric, check_corpus, chunk_bounds, gc_paused, nrefs,
                                    package_version, parallel_imap, present_refs)
from harness.metrics.lcs import lcs_length, lcs_table
from harness.metrics.rouge155 import EXACT, OWN_OPTIONS, Rouge155Options
from harness.metrics.rouge_tokenizers import (SENTENCE_SPLITS, TOKENIZERS, make_tokenizer,
                                              split_sentences)
from harness.options import option
from harness.registry import metrics
from harness.signature import Signature

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
PARALLEL_FROM = 2000  # below this, starting worker processes costs more than it saves
CHUNK = 5000  # examples per job: a job's rows are Python lists until it ends


def _f_scores(prediction: str, references: Sequence[str], tokenizer, split: str) -> list[float]:
    """Best F per ROUGE type over the references, as RougeScorer.score_multi picks it."""
    from rouge_score.rouge_scorer import _create_ngrams, _score_ngrams
    pred_tokens = tokenizer.tokenize(prediction)
    pred_sents = [tokenizer.tokenize(s) for s in split_sentences(prediction, split)]
    pred_ngrams = (_create_ngrams(pred_tokens, 1), _create_ngrams(pred_tokens, 2))
    best = [-1.0] * 4
    for reference in references:
        ref_tokens = tokenizer.tokenize(reference)
        ref_sents = [tokenizer.tokenize(s) for s in split_sentences(reference, split)]
        scores = (_score_ngrams(_create_ngrams(ref_tokens, 1), pred_ngrams[0]).fmeasure,
                  _score_ngrams(_create_ngrams(ref_tokens, 2), pred_ngrams[1]).fmeasure,
                  _lcs_f(ref_tokens, pred_tokens), _summary_level_f(ref_sents, pred_sents))
        best = [max(b, s) for b, s in zip(best, scores)]
    return best


def _lcs_f(ref: list[str], can: list[str]) -> float:
    """rouge-score's ``_score_lcs`` F; the LCS length from lcs.py (the same integer, faster)."""
    from rouge_score.scoring import fmeasure
    if not ref or not can:
        return 0.0
    lcs = lcs_length(ref, can)
    return fmeasure(lcs / len(can), lcs / len(ref))


def _summary_level_f(ref_sents: list[list[str]], can_sents: list[list[str]]) -> float:
    """rouge-score's ``_summary_level_lcs`` F (union LCS, no double counting), line for line,
    with its backtracking run on lcs.py's faster copy of its LCS table."""
    from rouge_score.rouge_scorer import _backtrack_norec, _find_union
    from rouge_score.scoring import fmeasure
    m, n = sum(map(len, ref_sents)), sum(map(len, can_sents))
    if not ref_sents or not can_sents or not m or not n:
        return 0.0
    ref_counts, can_counts = Counter(), Counter()
    for sent in ref_sents:
        ref_counts.update(sent)
    for sent in can_sents:
        can_counts.update(sent)
    hits = 0
    for ref in ref_sents:
        union = _find_union([_backtrack_norec(lcs_table(ref, can), ref, can) for can in can_sents])
        for token in (ref[i] for i in union):
            if can_counts[token] > 0 and ref_counts[token] > 0:
                hits += 1
                can_counts[token] -= 1
                ref_counts[token] -= 1
    return fmeasure(hits / n, hits / m)


def _score_chunk(args: tuple) -> np.ndarray:
    predictions, references, tokenizer_name, use_stemmer, split = args
    tokenizer = make_tokenizer(tokenizer_name, use_stemmer)
    with gc_paused():
        scores = [_f_scores(p, r, tokenizer, split) for p, r in zip(predictions, references)]
    return np.array(scores, dtype=np.float64).reshape(len(predictions), 4)


def default_workers(n_examples: int) -> int:
    return min(available_cpus(), 4) if n_examples >= PARALLEL_FROM else 1


def rouge_table(predictions: Sequence[str], references: Sequence[Sequence[str]], *, tokenizer: str,
                use_stemmer: bool, sentence_split: str, workers: int = 0) -> np.ndarray:
    """(n, 4) F-measures (0-1) for rouge1, rouge2, rougeL, rougeLsum."""
    workers = workers or default_workers(len(predictions))
    jobs = [(predictions[a:b], [present_refs(r) for r in references[a:b]], tokenizer, use_stemmer, sentence_split)
            for a, b in chunk_bounds(len(predictions), workers, CHUNK)]
    out = np.empty((len(predictions), 4))
    if workers > 1 and len(predictions) >= 2:
        make_tokenizer(tokenizer, use_stemmer)  # imported once here, inherited by forked workers
        parts = parallel_imap(_score_chunk, jobs, workers)
    else:
        parts = map(_score_chunk, jobs)
    at = 0
    for part in parts:
        out[at:at + len(part)] = part
        at += len(part)
    return out


@dataclass(frozen=True)
class RougeOptions(Rouge155Options):
    # the options of impl=rouge155 are declared there (rouge155.py) and refused here without it
    impl: str = option("rouge-score", "rouge-score | rouge155: ROUGE-1.5.5 exact, as papers report "
                                      "it (docs/rouge155.md)", choices=("rouge-score", "rouge155"))
    use_stemmer: bool = option(True, "Porter stemming as rouge-score; with impl=rouge155 ROUGE-1.5.5's "
                                     "-m (WordNet-2.0 exceptions, then its Porter)")
    tokenizer: str = option("default", "default (rouge-score's, or with impl=rouge155 ROUGE-1.5.5's: "
                                       "a-z0-9 only) | unicode (any script) | char", choices=TOKENIZERS)
    sentence_split: str = option("newline", "rougeLsum sentences: newline | simple (also after . ! ?)",
                                 choices=SENTENCE_SPLITS)


class Rouge(MeanMetric):
    rouge_type: ClassVar[str] = ""
    Options = RougeOptions

    def __new__(cls, **options: Any):
        # impl=rouge155 is another metric class under the same name: the spec, the record and
        # `harness metrics` keep saying rouge1, the statistics and signature are ROUGE-1.5.5's
        if options.get("impl") == "rouge155":
            return EXACT[cls.rouge_type](**options)
        return super().__new__(cls)

    def __init__(self, **options: Any):
        super().__init__(**options)
        given = sorted(set(options) & set(OWN_OPTIONS))
        if given:
            raise UsageError(f"metric {self.name!r}: option {given[0]!r} belongs to ROUGE-1.5.5; "
                             f"add impl=rouge155 to use it, or drop it")

    def statistics(self, corpus: Corpus) -> np.ndarray:
        check_corpus(corpus)
        o = self.options
        key = ("rouge-f", o.tokenizer, o.use_stemmer, o.sentence_split)
        table = corpus.memo(key, lambda: rouge_table(
            corpus.predictions, corpus.references, tokenizer=o.tokenizer, use_stemmer=o.use_stemmer,
            sentence_split=o.sentence_split, workers=o.workers))
        return table[:, [ROUGE_TYPES.index(self.rouge_type)]]

    def signature(self, corpus: Corpus) -> Signature:
        o = self.options
        split = [("split", o.sentence_split)] if self.rouge_type == "rougeLsum" else []
        return Signature.of(self.name, ("stem", o.use_stemmer), ("tok", o.tokenizer), *split,
                            ("nrefs", nrefs(corpus.references)), ("multiref", "max-f"),
                            ("version", f"rouge-score-{package_version('rouge-score')}"))


def _register(rouge_type: str, text: str) -> type:
    cls = type(f"Rouge_{rouge_type}", (Rouge,), {
        "name": rouge_type, "rouge_type": rouge_type, "__doc__": text, "__module__": __name__,
        "description": f"{text} via rouge-score, or ROUGE-1.5.5 with impl=rouge155 (mean F, 0-100)"})
    return metrics.register(rouge_type)(cls)


Rouge1 = _register("rouge1", "ROUGE-1 (unigram overlap)")
Rouge2 = _register("rouge2", "ROUGE-2 (bigram overlap)")
RougeL = _register("rougeL", "ROUGE-L (longest common subsequence, sentence level)")
RougeLsum = _register("rougeLsum", "ROUGE-Lsum (union LCS over sentences, summary level)")
