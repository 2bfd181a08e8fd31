"""bertscore against bert-score 0.3.13's own ``bert_score.score`` on a tiny RoBERTa, over real
WMT systems (WMT21 de-en with both references where the shared data is, else the shipped
WMT17 subset): P, R and F per example to 1e-6, at batch sizes 1, 7 and auto."""
from __future__ import annotations

import os

import numpy as np
import pytest

from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric
from harness.testing.golden import wmt_cases
from harness.testing.tiny import build_bertscore

bert_score = pytest.importorskip("bert_score", reason="bert-score is the oracle: pip install 'harness[bertscore]'")
pytest.importorskip("torch")

N = 30  # segments: a few hundred distinct texts once both references count
LAYERS = 2  # of the tiny model's 3: bert-score cuts the layers above, as for layer 17 of 24


@pytest.fixture(scope="module")
def roberta(tmp_path_factory):
    return build_bertscore(tmp_path_factory.mktemp("models") / "roberta")


@pytest.fixture(scope="module")
def wmt():
    case = wmt_cases()[0]
    return list(case.predictions[:N]), [list(r) for r in case.references[:N]]


def reference(roberta, preds, refs, **options):
    """bert-score's own P, R, F as an (n, 3) matrix, and its hash text."""
    (p, r, f), text = bert_score.score(preds, refs, model_type=str(roberta), num_layers=LAYERS,
                                       batch_size=64, return_hash=True, **options)
    return np.stack([p.numpy(), r.numpy(), f.numpy()], axis=1), text


def test_per_example_p_r_f_equal_bert_score_at_any_batch_size(roberta, wmt):
    preds, refs = wmt
    expected, hash_text = reference(roberta, preds[1:], refs[1:])
    assert expected[:, 2].std() > 0.01  # distinct scores, not one value repeated
    corpus = Corpus(["", *preds[1:]], refs)  # an empty prediction scores 0 (bert-score's rule)
    for batch_size in (1, 7, 0):  # 0: auto
        metric = build_metric({"name": "bertscore", "model": str(roberta), "num_layers": LAYERS,
                               "batch_size": batch_size})
        stats = metric.statistics(corpus)
        assert stats[0].tolist() == [0.0, 0.0, 0.0]
        np.testing.assert_allclose(stats[1:], expected, atol=1e-6, rtol=0, err_msg=f"batch_size={batch_size}")
    signature = metric.signature(corpus)
    assert signature.get("hash") == hash_text and signature.get("rev") == "local"
    assert signature.get("nrefs") == str(len(refs[0])) and len(signature.get("weights")) == 12


# (options: ours, bert-score's); the baseline is the one bert-score ships for roberta-large
BASELINE = os.path.join(os.path.dirname(bert_score.__file__), "rescale_baseline", "en", "roberta-large.tsv")


def test_idf_and_baseline_rescaling_equal_bert_score(roberta, wmt):
    preds, refs = wmt
    expected, hash_text = reference(roberta, preds, refs, idf=True, rescale_with_baseline=True,
                                    lang="en", baseline_path=BASELINE)
    metric = build_metric({"name": "bertscore", "model": str(roberta), "num_layers": LAYERS,
                           "idf": "yes", "rescale_with_baseline": "yes", "baseline_path": BASELINE})
    np.testing.assert_allclose(metric.statistics(Corpus(preds, refs)), expected, atol=1e-6, rtol=0)
    assert metric.hash_text() == hash_text and "_idf_" in hash_text and hash_text.endswith("-custom-rescaled")
