"""harness/metrics/learned.py: the batches every learned metric runs in, and the tiny
checkpoints' command line."""
from __future__ import annotations

import pytest

from harness.errors import DataError, UsageError
from harness.metrics.learned import LearnedOptions, Placement
from harness.testing.tiny import main as tiny_main


def test_out_of_memory_halves_the_batch_and_names_an_input_that_fits_nowhere():
    # no accelerator runs out of memory on demand here: the forward pass refuses more than two
    # inputs, with the MemoryError CPU torch raises and with the message CUDA's error carries
    placement = Placement(LearnedOptions(device="cpu", batch_size="8"), "metric 'x'")
    lengths = [5, 40, 7, 30, 12, 3, 9, 22, 18, 1]
    for error in (MemoryError(), RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")):
        sizes = []

        def forward(batch):
            sizes.append(len(batch))
            if len(batch) > 2:
                raise error
            return [float(lengths[i]) for i in batch]

        assert placement.run(lengths, forward, str) == [float(n) for n in lengths]  # every input, in place
        assert sizes[:4] == [8, 4, 2, 2] and max(sizes[4:]) <= 2
    with pytest.raises(DataError, match="example 'c': out of memory on cpu even alone"):
        placement.run([3], lambda batch: forward([0, 1, 2]), lambda j: "example 'c'")
    with pytest.raises(ValueError):  # anything but out-of-memory is the caller's to see
        placement.run(lengths, lambda batch: int("x"), str)


def test_batch_size_is_auto_or_a_positive_number():
    def placed(size):
        return Placement(LearnedOptions(device="cpu", batch_size=size), "metric 'x'")
    # auto: batches of at most 8,192 padded tokens on a CPU, longest first
    assert list(placed("auto").batches([5000, 4000, 100, 100])) == [[0], [1, 2], [3]]
    assert placed("0").rows is None and placed(7).rows == 7  # 0: how auto was first written
    with pytest.raises(UsageError, match="batch_size=-1"):
        placed("-1")


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
