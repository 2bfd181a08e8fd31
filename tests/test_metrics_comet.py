"""COMET computed by the harness equals unbabel-comet 2.2.7's own ``predict``, per segment, on
tiny checkpoints of COMET's real format, over real WMT text; and runs through the CLI.

The oracle runs in the environment scripts/comet-env.sh builds; without it the equality tests
skip with the reason. Data: ``golden.wmt_with_sources``: WMT21 de-en with its two references where
the shared data is, else the shipped WMT17 subset.
"""
import json

import numpy as np
import pytest

from conftest import GOOD, REFS, run_main, write_jsonl
from harness.metrics import build_metric
from harness.metrics.base import Corpus
from harness.metrics.scoring import compute_statistics
from harness.testing import comet_oracle, golden
from harness.testing.tiny import main as tiny_cli
from harness.testing.tiny_metric_models import build_comet

N = 48  # segments: every length bucket of a news test set, in a few seconds
needs_comet = pytest.mark.skipif(comet_oracle.comet_python() is None, reason=comet_oracle.missing_reason())


@pytest.fixture(scope="module")
def wmt():
    sources, predictions, references = golden.wmt_with_sources(N)
    # and two rows the plain segments lack: one past the encoder's 510 tokens, cut as COMET
    # cuts it; one whose characters the tokenizer's NFKC normalizer changes and whose spacing
    # SentencePiece's pre-tokenizer collapses (transformers 5 rebuilds that pipeline; unbabel-comet reads it)
    sources += [" ".join(sources), sources[1]]
    predictions += [predictions[0], predictions[1] + "  (3½ Jahre,\tca. ﬁnal)"]
    references += [references[0], references[1]]
    return sources, predictions, references


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, wmt):
    root = tmp_path_factory.mktemp("comet")
    texts = [t for part in (wmt[0], wmt[1]) for t in part] + [r for refs in wmt[2] for r in refs]
    kinds = ("da", "qe", "kiwi", "kiwi-xl", "xcomet")
    return {kind: build_comet(root / kind, texts, kind=kind) for kind in kinds}


def harness_statistics(checkpoint, wmt, references=None, **options) -> np.ndarray:
    sources, predictions, refs = wmt
    metric = build_metric({"name": "comet", "model": str(checkpoint), "device": "cpu", **options})
    return compute_statistics(metric, Corpus(predictions, references or refs, sources=sources))


def harness_scores(checkpoint, wmt, references=None, **options) -> np.ndarray:
    return harness_statistics(checkpoint, wmt, references, **options)[:, 0]


@needs_comet
def test_per_segment_scores_equal_unbabel_comet(checkpoints, wmt):
    sources, predictions, refs = wmt
    width = min(len(r) for r in refs)
    with_reference = [[{"src": s, "mt": m, "ref": r[j]} for s, m, r in zip(sources, predictions, refs)]
                      for j in range(width)]
    without_references = [{"src": s, "mt": m} for s, m in zip(sources, predictions)]
    jobs = [comet_oracle.Job(checkpoints["da"], rows) for rows in with_reference]
    jobs += [comet_oracle.Job(checkpoints[kind], without_references) for kind in ("qe", "kiwi", "kiwi-xl")]
    jobs.append(comet_oracle.Job(checkpoints["xcomet"], with_reference[0]))
    *per_reference, qe, kiwi, kiwi_xl, xcomet = comet_oracle.comet_predict(jobs)
    first = harness_scores(checkpoints["da"], wmt, [[r[0]] for r in refs])
    np.testing.assert_allclose(first, per_reference[0].scores, rtol=0, atol=1e-6)
    for kind, reply in (("qe", qe), ("kiwi", kiwi), ("kiwi-xl", kiwi_xl)):
        np.testing.assert_allclose(harness_scores(checkpoints[kind], wmt), reply.scores, rtol=0, atol=1e-6)
    # xCOMET: its score, and its error spans counted by severity (the statistics' other columns)
    stats = harness_statistics(checkpoints["xcomet"], wmt, [[r[0]] for r in refs])
    np.testing.assert_allclose(stats[:, 0], xcomet.scores, rtol=0, atol=1e-6)
    counted = [[spans.count(s) for s in ("minor", "major", "critical")] for spans in xcomet.spans]
    np.testing.assert_array_equal(stats[:, 1:], counted)
    assert stats[:, 1:].sum() > 0  # the tiny network tags some spans: a real check
    # several references: the mean of COMET's score against each
    every = harness_scores(checkpoints["da"], wmt, [r[:width] for r in refs])
    np.testing.assert_allclose(every, np.mean([r.scores for r in per_reference], axis=0), rtol=0, atol=1e-6)
    assert np.ptp(first) > 0.01  # the tiny network tells segments apart: a real check


def test_scores_do_not_depend_on_the_batch(checkpoints, wmt):
    """Length-sorted batches pad differently at each size; float32 scores stay put."""
    one, seven, auto = (harness_scores(checkpoints["da"], wmt, batch_size=b) for b in ("1", "7", "auto"))
    np.testing.assert_allclose(seven, one, rtol=0, atol=1e-6)
    np.testing.assert_allclose(auto, one, rtol=0, atol=1e-6)


def test_signature_names_the_network(checkpoints, wmt):
    metric = build_metric({"name": "comet", "model": str(checkpoints["da"]), "device": "cpu"})
    fields = dict(metric.signature(Corpus(wmt[1], wmt[2], sources=wmt[0])).fields)
    assert fields["model"] == "da" and fields["rev"] == "local" and len(fields["weights"]) == 12
    assert fields["dtype"] == "float32" and "bs" not in fields and fields["refs"] == "mean"
    assert fields["nrefs"] == str(len(wmt[2][0]))
    qe = build_metric({"name": "comet", "model": str(checkpoints["qe"]), "device": "cpu"})
    assert dict(qe.signature(Corpus(wmt[1], wmt[2], sources=wmt[0])).fields)["nrefs"] == "0"


WEAK = ["A house.", "Dog.", "Coffee I.", "Rain.", "Home.", "Cat.", "Car.", "Book."] * 4


def test_score_and_compare_through_the_cli(tmp_path, capsys):
    """What a user checking an installation runs: a tiny checkpoint, two systems scored by
    `harness score` with COMET among the metrics, then `harness compare` on their records (the
    CLI in-process: the subprocess would import torch and transformers again)."""
    tiny = tmp_path / "tiny-comet"
    assert tiny_cli(["comet", str(tiny)]) == 0
    files = {name: tmp_path / f"{name}.txt" for name in ("src", "ref", "good", "weak")}
    for name, lines in (("src", [r["source"] for r in REFS]), ("ref", [r["references"][0] for r in REFS]),
                        ("good", GOOD), ("weak", WEAK)):
        files[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, _, err = run_main(capsys, "score", "-r", str(files["ref"]), "-s", str(files["src"]), "-i",
                          str(files["weak"]), str(files["good"]), "-m", f"comet:model={tiny}:batch_size=7",
                          "bleu", "--output", str(tmp_path / "out"), "--json")
    assert rc == 0, err
    runs = sorted(p for p in (tmp_path / "out").rglob("run.json"))
    assert len(runs) == 2
    comet = json.loads(runs[0].read_text())["scores"]["comet"]
    assert comet["signature"].startswith("comet|nrefs:1|refs:mean|model:tiny-comet|rev:local|weights:")
    assert comet["ci95"] is not None
    rc, out, err = run_main(capsys, "compare", *(str(r.parent) for r in runs), "--json")
    assert rc == 0, err
    assert {c["metric"] for c in json.loads(out)["comparisons"]} == {"comet", "bleu"}


def test_offline_without_weights_stops_before_the_run_naming_the_download(tmp_path, capsys, monkeypatch):
    from huggingface_hub import constants
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))  # an empty cache
    data = write_jsonl(tmp_path / "refs.jsonl", REFS[:2])
    preds = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "prediction": "x"} for r in REFS[:2]])
    rc, _, err = run_main(capsys, "run", "--model", f"predictions:{preds}", "--tasks", "demo-translation",
                          "--data", str(data), "--metrics", "comet", "--output", str(tmp_path / "out"))
    assert rc != 0 and "Traceback" not in err
    assert "'Unbabel/wmt22-comet-da' is not in the local Hugging Face cache" in err
    assert "hf download Unbabel/wmt22-comet-da" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_harness_metrics_lists_them_with_their_options_and_licences(capsys):
    rc, out, _ = run_main(capsys, "metrics")
    assert rc == 0
    comet = out[out.index("\ncomet  ("):out.index("\n\n", out.index("\ncomet  ("))]
    assert ("licence: per model, in the signature: wmt22-comet-da apache-2.0, CometKiwi and xCOMET "
            "cc-by-nc-sa-4.0") in comet
    for option in ("model", "device", "batch_size", "dtype"):
        assert f"\n    {option} " in comet
    assert "default Unbabel/wmt22-comet-da" in comet
    assert "metricx  (better: lower, licence: apache-2.0" in out
