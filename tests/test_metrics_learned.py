"""harness/metrics/learned.py: the batches every learned metric runs in, and the tiny
checkpoints' command line."""
from __future__ import annotations

import pytest

from harness.errors import HarnessError, UsageError
from harness.metrics.learned import batch_rows, in_batches
from harness.testing.tiny import main as tiny_main


def test_out_of_memory_halves_the_batch_and_keeps_every_result_in_order():
    # no accelerator runs out of memory on demand here: the forward pass refuses more than
    # three rows with the MemoryError CPU torch raises, and the back-off must settle at three
    lengths = [5, 1, 9, 3, 7, 2, 8]
    sizes = []

    def forward(rows):
        sizes.append(len(rows))
        if len(rows) > 3:
            raise MemoryError("out of memory")
        return [lengths[i] * 10 for i in rows]

    assert in_batches(lengths, 0, forward) == [x * 10 for x in lengths]
    assert sizes == [7, 3, 3, 1]  # all seven (auto starts at 64), then half of what failed
    with pytest.raises(HarnessError, match=r"text 'c' \(9 tokens\): out of memory even alone"):
        in_batches(lengths, 1, lambda rows: (_ for _ in ()).throw(MemoryError()),
                   label=lambda i: f"text {'abcdefg'[i]!r}")
    with pytest.raises(ValueError):  # anything but out-of-memory is the caller's to see
        in_batches(lengths, 2, lambda rows: int("x"))


def test_batch_size_zero_is_auto_and_negative_is_an_error():
    assert batch_rows(0) is None and batch_rows(7) == 7
    with pytest.raises(UsageError, match="batch_size=-1"):
        batch_rows(-1)


def test_the_tiny_command_names_its_choices(capsys):
    assert tiny_main(["bertscor", "x"]) == 2
    assert "did you mean 'bertscore'" in capsys.readouterr().err


def test_cached_statistics_are_keyed_on_the_images_bytes_not_their_paths(tmp_path, images):
    from harness.metrics.base import Corpus
    from harness.metrics.scoring import build_metric
    from harness.metrics.stats_cache import StatsCache
    from harness.signature import Signature
    cache, metric, signature = StatsCache(tmp_path / "cache"), build_metric("clipscore"), Signature("clipscore")
    first, moved = tmp_path / "a.jpg", tmp_path / "moved.jpg"
    first.write_bytes(images[0].read_bytes())
    moved.write_bytes(images[0].read_bytes())

    def key(path):
        return cache.key(metric, Corpus(["a dog"], [["a cat"]], images=[str(path)]), signature)
    assert key(first) == key(moved)
    moved.write_bytes(images[1].read_bytes())
    assert key(first) != key(moved)


def test_the_weights_hash_covers_what_transformers_loads_and_nothing_else(tmp_path):
    from harness.metrics.learned import Weights
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 32}')
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)

    def digest():
        return Weights("org/model", folder, "local").sha256
    before = digest()
    (folder / "tf_model.h5").write_bytes(b"another framework's copy")
    (folder / "README.md").write_text("a model card")
    assert digest() == before
    (folder / "config.json").write_text('{"hidden_size": 64}')
    assert digest() != before
