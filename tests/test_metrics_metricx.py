"""MetricX-24 as Google's predict code computes it, pinned on a tiny checkpoint of its
architecture over real WMT text (google-research/metricx is not on PyPI and pins an old
transformers, so its steps are restated here, one example at a time, unpadded):

1. input text ``source: S candidate: C reference: R`` (QE: without `` reference: R``);
2. mT5's tokenizer, cut at 1,536 tokens, then the last token dropped;
3. the decoder's first step from token 0; the logit of entry 250089 of ``lm_head.weight``
   (untied from the input embeddings in MetricX's checkpoints);
4. clipped to [0, 25].
"""
import numpy as np
import pytest
import torch
import transformers
from safetensors.torch import load_file
from transformers import MT5Model, PreTrainedTokenizerFast

from harness.metrics import build_metric
from harness.metrics.base import Corpus
from harness.metrics.metricx import metricx_input
from harness.metrics.scoring import compute_statistics
from harness.testing import golden
from harness.testing.tiny_metric_models import build_metricx

N = 24


@pytest.fixture(scope="module")
def wmt():
    return golden.wmt_with_sources(N)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, wmt):
    # its tokenizer and the spread of its scores fitted to the inputs it will score
    texts = [metricx_input(s, p, r) for s, p, refs in zip(*wmt) for r in (refs[0], None)]
    return build_metricx(tmp_path_factory.mktemp("metricx") / "tiny-metricx", texts)


def google_predict(folder, texts) -> np.ndarray:
    transformers.logging.set_verbosity_error()  # the output layer MT5Model leaves unread is reported
    transformers.logging.disable_progress_bar()
    # transformers 4 read the tokenizer file as it is (transformers 5's T5Tokenizer rebuilds it)
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    model = MT5Model.from_pretrained(folder).eval()
    row = load_file(folder / "model.safetensors")["lm_head.weight"][250089]
    scores = []
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(text, max_length=1536, truncation=True)["input_ids"][:-1]
            out = model(input_ids=torch.tensor([ids]), decoder_input_ids=torch.tensor([[0]]))
            scores.append(float(torch.clamp(out.last_hidden_state[0, 0] @ row, 0, 25)))
    return np.array(scores)


def harness_scores(folder, wmt, **options) -> np.ndarray:
    sources, predictions, references = wmt
    metric = build_metric({"name": "metricx", "model": str(folder), "tokenizer": "model", "device": "cpu",
                           **options})
    return compute_statistics(metric, Corpus(predictions, [r[:1] for r in references], sources=sources))[:, 0]


@pytest.mark.parametrize("reference, expected", [
    ("Das Haus ist klein.", "source: The house is small. candidate: Das Haus ist klein reference: Das Haus ist klein."),
    (None, "source: The house is small. candidate: Das Haus ist klein"),
])
def test_input_text(reference, expected):
    assert metricx_input("The house is small.", "Das Haus ist klein", reference) == expected


def test_scores_follow_googles_predict_in_both_modes_and_any_batch(tiny, wmt):
    sources, predictions, references = wmt
    inputs = {"reference": [metricx_input(s, p, r[0]) for s, p, r in zip(sources, predictions, references)],
              "qe": [metricx_input(s, p, None) for s, p in zip(sources, predictions)]}
    expected = {mode: google_predict(tiny, texts) for mode, texts in inputs.items()}
    for mode, batch_size in (("reference", "1"), ("reference", "auto"), ("qe", "7")):
        got = harness_scores(tiny, wmt, mode=mode, batch_size=batch_size)
        # on the 0-25 scale: float32 sums over padded batches move the 5th decimal
        np.testing.assert_allclose(got, expected[mode], rtol=0, atol=1e-4, err_msg=f"{mode}, batch {batch_size}")
    # the clip is exercised at both ends and most scores lie between
    every = np.concatenate(list(expected.values()))
    assert (every == 0).any() and (every == 25).any() and ((every > 0) & (every < 25)).mean() > 0.5


def test_long_inputs_keep_their_first_1535_tokens(tiny, wmt):
    sources, predictions, _ = wmt
    long_source = " ".join(sources) * 3
    metric = build_metric({"name": "metricx", "model": str(tiny), "tokenizer": "model", "device": "cpu"})
    corpus = Corpus([predictions[0], predictions[1]], [["a"], ["b"]], sources=[long_source, long_source + " x"])
    expected = google_predict(tiny, [metricx_input(s, p, r) for s, p, r in
                                     zip(corpus.sources, corpus.predictions, ["a", "b"])])
    np.testing.assert_allclose(compute_statistics(metric, corpus)[:, 0], expected, rtol=0, atol=1e-4)
    # both cut inside the shared long source: the candidates no longer reach the network
    assert expected[0] == pytest.approx(expected[1], abs=1e-6)


def test_signature_and_direction(tiny, wmt):
    metric = build_metric({"name": "metricx", "model": str(tiny), "tokenizer": "model", "mode": "qe"})
    fields = dict(metric.signature(Corpus(wmt[1], wmt[2], sources=wmt[0])).fields)
    assert fields["nrefs"] == "0" and fields["model"] == "tiny-metricx" and fields["dtype"] == "float32"
    assert metric.higher_is_better is False
