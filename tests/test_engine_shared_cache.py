"""The per-writer generation cache, for a folder several nodes share on a network filesystem:
each process appends to its own log, every run reads all of them, a damaged log of another
writer is skipped and left in place, and a killed writer's rerun makes only what is missing."""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.testing import tiny_models
from harness.engine import EngineSettings, cache_logs, cache_mode, generate
from harness.errors import UsageError
from harness.models.hf.causal import HFCausal
from harness.testing import REPO_ROOT
from harness.types import GenerateConfig, Request
from conftest import run_main
from test_engine_cache import Reverser, requests

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(REPO_ROOT), str(REPO_ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from harness.engine import EngineSettings, generate
    from test_engine_cache import Reverser, requests
    cache, first, last = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    generate(Reverser(), requests(last)[first:], EngineSettings(
        cache_dir=cache, progress=False, cache_mode="shared"))
""")


def shared(tmp_path, **kw):
    return EngineSettings(cache_dir=tmp_path / "cache", progress=False, cache_mode="shared", **kw)


def logs(cache_dir):
    return sorted((cache_dir / cache_logs.FOLDER).glob(f"*/*{cache_logs.SUFFIX}"))


def records(path) -> int:
    """Whole, checksummed records in a log."""
    found = {}
    keys = [line.split(b"\t")[0].decode() for line in path.read_bytes().split(b"\n")[:-1]]
    cache_logs.read_log(path, {k.encode(): k for k in keys}, found)
    return len(found)


def test_two_writers_keep_their_own_logs_and_a_third_run_reads_both(tmp_path):
    cache = tmp_path / "cache"
    for first, last in ((0, 5), (5, 10)):
        subprocess.run([sys.executable, "-c", WRITER, str(cache), str(first), str(last)],
                       env=ENV, check=True)
    assert [records(p) for p in logs(cache)] == [5, 5]
    assert not (cache / "generations.sqlite").exists()

    model = Reverser()
    out, acc = generate(model, requests(10), shared(tmp_path))
    assert model.calls == 0 and acc.n_cached == 10 and acc.n_generated == 0
    assert [g.text for g in out] == [f"prompt number {i}"[::-1] for i in range(10)]
    # a run in the single-file mode on this folder reads them too
    local = Reverser()
    _, acc = generate(local, requests(12), EngineSettings(cache_dir=cache, progress=False,
                                                          cache_mode="local"))
    assert local.calls == 2 and acc.n_cached == 10


def test_a_run_in_shared_mode_reads_the_single_file_cache_without_writing_it(tmp_path):
    generate(Reverser(), requests(3), EngineSettings(cache_dir=tmp_path / "cache", progress=False,
                                                     cache_mode="local"))
    file = tmp_path / "cache" / "generations.sqlite"
    before = file.read_bytes()
    model = Reverser()
    _, acc = generate(model, requests(6), shared(tmp_path))
    assert model.calls == 3 and acc.n_cached == 3
    assert file.read_bytes() == before


def _cut(data: bytes) -> bytes:
    return data[:-10]


def _garbage(data: bytes) -> bytes:
    return random.Random(0).randbytes(len(data))


def _flipped(data: bytes) -> bytes:
    second = data.index(b"\n") + 1 + data[data.index(b"\n") + 1:].index(b'"text":"') + 9
    return data[:second] + bytes([data[second] ^ 1]) + data[second + 1:]


def _zeros(data: bytes) -> bytes:  # NFS: the size grew before the data reached the server
    return data + b"\0" * 100


@pytest.mark.parametrize("damage, remade, problem", [
    (_cut, 1, "an unfinished last record"),
    (_garbage, 6, "damaged record"),
    (_flipped, 1, "1 damaged record(s)"),
    (_zeros, 0, "zeros at its end"),
])
def test_a_damaged_log_of_another_writer_is_skipped_and_left_in_place(tmp_path, capsys, damage,
                                                                      remade, problem):
    generate(Reverser(), requests(6), shared(tmp_path))
    [own] = logs(tmp_path / "cache")
    other = own.with_name(f"node7-4242-0badc0de{cache_logs.SUFFIX}")
    other.write_bytes(damage(own.read_bytes()))
    own.unlink()
    damaged = other.read_bytes()
    capsys.readouterr()

    model = Reverser()
    out, acc = generate(model, requests(6), shared(tmp_path))
    assert model.calls == remade and acc.n_cached == 6 - remade
    assert [g.text for g in out] == [f"prompt number {i}"[::-1] for i in range(6)]
    warning = capsys.readouterr().err
    assert str(other) in warning and problem in warning and "left the file in place" in warning
    assert other.read_bytes() == damaged


SLOW_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    from test_engine_shared_cache import sampled
    generate(HFCausal(sys.argv[1]), sampled(), EngineSettings(
        batch_size=2, cache_dir=Path(sys.argv[2]), progress=False, cache_mode="shared"))
""")
N_SAMPLED = 12


def sampled():
    config = GenerateConfig(max_new_tokens=8, do_sample=True, temperature=1.3, seed=5)
    return [Request(example_id=f"ex{i}", prompt=" ".join(["word"] * (i % 5 + 1)) + f" {i}",
                    config=config) for i in range(N_SAMPLED)]


def test_a_killed_writer_is_resumed_by_another_writer(tmp_path_factory, tmp_path):
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    cache = tmp_path / "cache"
    child = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(folder), str(cache)],
                             env={**ENV, "HARNESS_FAULT_BATCH_DELAY_S": "0.4"},
                             stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while (sum(map(records, logs(cache))) < 4 and child.poll() is None
           and time.monotonic() < deadline):
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()[-2000:]
    survived = sum(map(records, logs(cache)))
    assert 4 <= survived < N_SAMPLED

    model = HFCausal(str(folder))
    resumed, acc = generate(model, sampled(), EngineSettings(
        batch_size=4, cache_dir=cache, progress=False, cache_mode="shared"))
    assert acc.n_cached == survived and acc.n_generated == N_SAMPLED - survived
    assert len(logs(cache)) == 2  # the killed writer's, left as it was, and this one's
    fresh, _ = generate(model, sampled(), EngineSettings(use_cache=False, progress=False))
    assert [(g.example_id, g.text, g.num_tokens) for g in resumed] == \
        [(g.example_id, g.text, g.num_tokens) for g in fresh]
    model.close()


MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
tmpfs /tmp tmpfs rw 0 0
fs1:/export/home /home nfs4 rw,vers=4.2 0 0
10.0.0.1@tcp:/scratch /lustre lustre rw 0 0
/dev/nvme0n1 /lustre/local-ssd xfs rw 0 0
gpfs0 /gpfs gpfs rw 0 0
user@host:/data /mnt/my\\040data fuse.sshfs rw 0 0
"""


@pytest.mark.parametrize("path, mode, environ, expected", [
    ("/home/ana/.cache/harness", "auto", {}, "shared"),  # NFS home directories
    ("/lustre/proj/cache", "auto", {}, "shared"),
    ("/lustre/local-ssd/cache", "auto", {}, "local"),  # a local disk mounted inside Lustre
    ("/gpfs/cache", "auto", {}, "shared"),
    ("/mnt/my data/cache", "auto", {}, "shared"),  # \040: a space in a mount point
    ("/tmp/cache", "auto", {}, "local"),
    ("/var/cache/harness", "auto", {}, "local"),
    ("/home/ana/cache", "local", {}, "local"),  # the option overrides the detection
    ("/tmp/cache", "shared", {}, "shared"),
    # torchrun on 2 nodes of 8 processes, even where the filesystem does not tell
    ("/tmp/cache", "auto", {"WORLD_SIZE": "16", "LOCAL_WORLD_SIZE": "8"}, "shared"),
    ("/tmp/cache", "auto", {"WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "8"}, "local"),  # one node
])
def test_the_cache_mode_follows_the_filesystem_and_the_job(path, mode, environ, expected):
    assert cache_mode.choose(mode, Path(path), environ, MOUNTS).mode == expected


def test_a_multi_node_job_writes_logs_and_says_so_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    settings = EngineSettings(cache_dir=tmp_path / "cache", progress=False, cache_mode="auto")
    generate(Reverser(), requests(3), settings)
    generate(Reverser(), requests(4), settings)
    assert [records(p) for p in logs(tmp_path / "cache")] == [4]
    assert not (tmp_path / "cache" / "generations.sqlite").exists()
    notice = capsys.readouterr().err
    assert notice.count("one file per writer") == 1 and "--cache-mode local" in notice


def test_an_unknown_cache_mode_names_the_option_and_the_choices(monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_MODE", "nfs")
    with pytest.raises(UsageError, match=r"--cache-mode \(or \$HARNESS_CACHE_MODE\).*auto, local, shared"):
        EngineSettings()


def test_the_command_line_option_chooses_the_logs(tmp_path_factory, tmp_path, capsys):
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    rc, _, err = run_main(capsys, "run", "--model", f"hf-causal:{folder}", "--tasks",
                          "demo-translation", "--limit", "3", "--metrics", "bleu", "--bootstrap",
                          "0", "--no-progress", "--gen-kwargs", "max_new_tokens=4", "--output",
                          str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"),
                          "--cache-mode", "shared")
    assert rc == 0, err
    assert [records(p) for p in logs(tmp_path / "cache")] == [3]
    assert not (tmp_path / "cache" / "generations.sqlite").exists()


def test_a_forked_child_appends_to_a_log_of_its_own():
    parent = cache_logs.writer_id()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # never back into pytest, whatever happens
        try:
            os.write(write, cache_logs.writer_id().encode())
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 1000).decode() not in ("", parent)


APPENDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from harness.engine.cache import SharedCache
    from harness.types import Generation
    cache = SharedCache(Path(sys.argv[1]), {"locator": "appender"})
    for start in range(0, 6000, 30):
        cache.put_many([(f"key{i}", Generation("", f"text {i} " * 40, num_tokens=i,
                                               finish_reason="eos")) for i in range(start, start + 30)])
""")


def test_a_log_read_while_its_writer_appends_gives_whole_records_only(tmp_path, capsys):
    from harness.engine.cache import SharedCache
    writer = subprocess.Popen([sys.executable, "-c", APPENDER, str(tmp_path)], env=ENV)
    reader, keys, seen = SharedCache(tmp_path, {"locator": "appender"}), \
        [f"key{i}" for i in range(6000)], 0
    deadline = time.monotonic() + 120
    while writer.poll() is None or seen < len(keys):
        assert time.monotonic() < deadline, f"{seen} of {len(keys)} records readable"
        found = reader.get_many(keys)
        assert all(g.text == f"text {g.num_tokens} " * 40 and k == f"key{g.num_tokens}"
                   for k, g in found.items())
        assert len(found) >= seen  # what was seen stays
        seen = len(found)
        assert writer.poll() in (None, 0)
