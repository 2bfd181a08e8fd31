"""A disk cache of metric statistics: rescoring the same outputs reads one ``.npy`` file.

Model-based metrics take minutes where the aggregation and the bootstrap take milliseconds,
so a second ``score`` of the same texts (another bootstrap, a compare, a report) should not
run the network again.

The key is everything the statistics are a function of: the metric's class, its signature
without the data fingerprint (the fingerprint names the examples, not the texts scored),
its options, the harness version and the source code of ``harness/metrics`` (an edited
checkout must not read statistics its old code made), and a hash of the predictions, the references and, for
metrics that read them, the sources or the images' contents. Files live under ``<cache root>/metric-stats`` and are
written to a temporary file and renamed, so a reader sees a whole file or none. A file that
does not load as the expected matrix is recomputed and rewritten.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from harness.metrics.base import Corpus, Metric
from harness.paths import cache_root
from harness.signature import Signature
from harness.types import Example


@lru_cache(maxsize=1)
def _metrics_code() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


class StatsCache:
    def __init__(self, folder: Path | str | None = None):
        self.folder = Path(folder) if folder is not None else cache_root() / "metric-stats"

    def key(self, metric: Metric, corpus: Corpus, signature: Signature) -> str:
        import harness
        header = [harness.__version__, _metrics_code(),
                  f"{type(metric).__module__}.{type(metric).__qualname__}",
                  signature.without("data").format(), repr(metric.options)]
        # hashed text by text: one JSON string of a million examples would be a gigabyte
        digest = hashlib.sha256(json.dumps(header, ensure_ascii=False).encode())
        columns = [corpus.predictions, corpus.references]
        if metric.reads_sources:
            columns.append(corpus.sources or ())
        if metric.reads_images:  # the bytes, not the paths: a moved file is the same image
            columns.append([Example.digest_image(path) for path in corpus.images or ()])
        for column in columns:
            digest.update(b"\x00column")
            for item in column:
                text = item if isinstance(item, str) else list(item)
                digest.update(json.dumps(text, ensure_ascii=False).encode() + b"\x00")
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npy"

    def get(self, key: str, n_rows: int) -> np.ndarray | None:
        """The cached matrix, or None when absent or unreadable."""
        try:
            stats = np.load(self.path(key), allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None  # absent, truncated or overwritten: recomputing (re)writes it
        if not isinstance(stats, np.ndarray) or stats.dtype != np.float64 or stats.ndim != 2 \
                or len(stats) != n_rows:
            return None
        return stats

    def put(self, key: str, stats: np.ndarray) -> None:
        """Write atomically; a cache that cannot be written costs a warning, not the score."""
        path, tmp = self.path(key), None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:16]}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, stats, allow_pickle=False)
            os.replace(tmp, path)
        except OSError as exc:
            warnings.warn(f"metric statistics not cached at {path}: {exc}")
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):  # after the rename there is nothing left
                    os.unlink(tmp)
