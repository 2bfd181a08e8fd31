"""The metric statistics cache, source texts on the corpus, and the accelerator convention."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from harness.errors import DataError
from harness.metrics.base import AcceleratorOptions, Corpus
from harness.metrics.common import MeanMetric
from harness.metrics.scoring import build_metric, score
from harness.metrics.stats_cache import StatsCache
from harness.options import option, parse_options
from harness.paths import cache_root

CORPUS = Corpus(["the cat sat on the mat", "a dog barks", "hello world"],
                [["the cat sat on a mat"], ["the dog barks"], ["hello there world"]])


def _counting(metric):
    """The metric, counting how often its statistics are computed."""
    calls = []
    compute = metric.statistics
    metric.statistics = lambda corpus: calls.append(1) or compute(corpus)
    return metric, calls


def _score(metric, corpus, cache, fingerprint="f" * 16):
    return score(metric, corpus, data_fingerprint=fingerprint, n_bootstrap=50, stats_cache=cache)


@pytest.mark.parametrize("name", ["bleu", "chrf", "ter", "rougeL", "coco_rougeL"])
def test_a_hit_returns_bit_identical_statistics_without_computing(tmp_path, name):
    cache = StatsCache(tmp_path)
    first, stats = _score(build_metric(name), CORPUS, cache)
    metric, calls = _counting(build_metric(name))
    again, cached = _score(metric, CORPUS, cache, fingerprint="other-examples")  # same texts
    assert calls == [] and cached.tobytes() == stats.tobytes() and cached.dtype == stats.dtype
    assert again.score == first.score and again.ci == first.ci and again.per_example == first.per_example


@pytest.mark.parametrize("spec, corpus", [
    ({"name": "bleu", "tokenize": "char"}, CORPUS),
    ({"name": "bleu", "smooth_method": "floor"}, CORPUS),
    ("bleu", Corpus(CORPUS.predictions, [["the cat sat on a mat"], ["the dog barks"], ["hello there"]])),
    ("bleu", Corpus(["the cat sat", *CORPUS.predictions[1:]], CORPUS.references)),
    ("bleu", Corpus(CORPUS.predictions, [[*refs, "another"] for refs in CORPUS.references])),
    ("chrf", CORPUS),
])
def test_another_option_or_text_is_a_miss(tmp_path, spec, corpus):
    cache = StatsCache(tmp_path)
    _score(build_metric("bleu"), CORPUS, cache)
    metric, calls = _counting(build_metric(spec))
    _score(metric, corpus, cache)
    assert calls == [1]


@pytest.mark.parametrize("damage", [b"", b"not a numpy file", "truncate", "wrong-shape"])
def test_a_damaged_file_is_recomputed_and_rewritten(tmp_path, damage):
    cache = StatsCache(tmp_path)
    _, stats = _score(build_metric("chrf"), CORPUS, cache)
    [path] = tmp_path.rglob("*.npy")
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-8])
    elif damage == "wrong-shape":
        np.save(path, stats[:2])
    else:
        path.write_bytes(damage)
    metric, calls = _counting(build_metric("chrf"))
    _, again = _score(metric, CORPUS, cache)
    assert calls == [1] and np.array_equal(again, stats)
    assert np.load(path).tobytes() == stats.tobytes()
    assert not list(tmp_path.rglob("*.tmp"))


def test_an_unwritable_cache_warns_and_still_scores(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    with pytest.warns(UserWarning, match="not cached"):
        result, _ = _score(build_metric("bleu"), CORPUS, StatsCache(blocker))
    assert result.score > 0


def test_cache_root_reads_the_environment_at_each_call(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "a"))
    assert cache_root() == tmp_path / "a" and StatsCache().folder == tmp_path / "a" / "metric-stats"
    monkeypatch.delenv("HARNESS_CACHE")
    assert cache_root() == Path.home() / ".cache" / "harness"


@dataclass(frozen=True)
class ToyModelOptions(AcceleratorOptions):
    scale: float = option(1.0, "multiplies the toy score")


class SourceLength(MeanMetric):
    """A stand-in for COMET: reads the sources, declares the accelerator options."""

    name = "source-length"
    Options = ToyModelOptions
    needs_accelerator = True
    reads_sources = True

    def statistics(self, corpus):
        return np.array([[len(p) / max(len(s), 1) * self.options.scale]
                         for p, s in zip(corpus.predictions, corpus.sources)])

    def signature(self, corpus):
        return "source-length|unit:char"


def test_metrics_that_read_sources_are_keyed_on_them(tmp_path):
    cache = StatsCache(tmp_path)
    with_sources = Corpus(CORPUS.predictions, CORPUS.references, sources=["a", "bb", "ccc"])
    _score(SourceLength(), with_sources, cache)
    metric, calls = _counting(SourceLength())
    _score(metric, Corpus(CORPUS.predictions, CORPUS.references, sources=["a", "bb", "cccc"]), cache)
    assert calls == [1]
    bleu, calls = _counting(build_metric("bleu"))
    _score(build_metric("bleu"), with_sources, cache)
    _score(bleu, Corpus(CORPUS.predictions, CORPUS.references, sources=["x", "y", "z"]), cache)
    assert calls == []  # BLEU does not read them


def test_sources_are_checked():
    with pytest.raises(DataError, match="reads the source texts; this corpus has none"):
        score(SourceLength(), CORPUS, data_fingerprint="f" * 8)
    with pytest.raises(DataError, match="3 predictions but 2 sources"):
        score(build_metric("bleu"), Corpus(CORPUS.predictions, CORPUS.references, sources=["a", "b"]),
              data_fingerprint="f" * 8)


def test_accelerator_options_parse_like_every_other_option():
    options = parse_options(SourceLength.Options, {"device": "cuda:1", "batch_size": "8", "scale": "2"},
                            "metric 'source-length'")
    # batch_size stays text: auto or a number, read by the learned metrics' Placement
    assert (options.device, options.batch_size, options.scale) == ("cuda:1", "8", 2.0)
    assert SourceLength.needs_accelerator and not build_metric("bleu").needs_accelerator
