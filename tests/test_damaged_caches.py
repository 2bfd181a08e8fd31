"""A damaged cache file never stops a run: it is moved aside with a warning naming it, and
what it held is made again."""

import pytest

from harness.testing import tiny_models
from harness.engine import EngineSettings, generate
from harness.models.hf.seq2seq import HFSeq2Seq
from harness.types import GenerateConfig, Request
from test_engine_cache import Reverser


def damage(path, how):
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "garbage in the middle":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + b"\xde\xad\xbe\xef" * 1024 + data[middle + 4096:])
    elif how == "garbage over the header":
        path.write_bytes(b"\x00garbage" * 16 + data[128:])
    else:
        path.write_text("this is a text file now\n")


@pytest.mark.parametrize("how", ["truncated", "garbage in the middle", "garbage over the header",
                                 "replaced by text"])
def test_a_damaged_generation_cache_is_moved_aside_and_the_run_goes_on(tmp_path, capsys, how):
    settings = EngineSettings(cache_dir=tmp_path, progress=False)
    reqs = [Request(f"ex{i}", f"prompt {i} " + "x" * 3000, GenerateConfig()) for i in range(60)]
    first, _ = generate(Reverser(), reqs, settings)
    cache = tmp_path / "generations.sqlite"
    for suffix in ("-wal", "-shm"):  # as after a clean close: everything is in the main file
        (tmp_path / f"generations.sqlite{suffix}").unlink(missing_ok=True)
    damage(cache, how)
    again, accounting = generate(Reverser(), reqs, settings)
    assert [g.text for g in again] == [g.text for g in first]
    err = capsys.readouterr().err
    aside = [p for p in tmp_path.glob("generations.sqlite.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and str(cache) in err and "moved it to" in err
    assert accounting.n_cached == 0 and accounting.n_generated == len(reqs)
    _, accounting = generate(Reverser(), reqs, settings)
    assert accounting.n_cached == len(reqs)  # the fresh file works


def test_a_damaged_weights_hash_memo_does_not_block_a_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    folder = tiny_models.build_seq2seq(tmp_path / "model")
    first = HFSeq2Seq(str(folder)).fingerprint()
    (tmp_path / "cache" / "file-hashes.sqlite").write_text("not a database")
    for suffix in ("-wal", "-shm"):
        (tmp_path / "cache" / f"file-hashes.sqlite{suffix}").unlink(missing_ok=True)
    assert HFSeq2Seq(str(folder)).fingerprint() == first
    assert "file-hashes.sqlite" in capsys.readouterr().err
    assert list((tmp_path / "cache").glob("file-hashes.sqlite.corrupt-*"))
