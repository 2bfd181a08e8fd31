"""The transformers adapters: arguments, fingerprints, truncation policy, chat templates."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.testing import tiny_models
from harness.machine import WAIT_VARIABLES, available_cpus, wait_passively
from harness.engine import EngineSettings, generate
from harness.errors import UsageError
from harness.models.hf.causal import HFCausal
from harness.models.hf.common import default_threads
from harness.models.hf.seq2seq import HFSeq2Seq
from harness.registry import models
from harness.types import GenerateConfig, Request

REPO = Path(__file__).resolve().parents[1]
LONG = " ".join(tiny_models.default_texts())  # ~150 tokens


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")


def run(model, reqs):
    return generate(model, reqs, EngineSettings(use_cache=False, progress=False))


def test_registered_under_their_names():
    assert models.get("hf-causal") is HFCausal and models.get("hf-seq2seq") is HFSeq2Seq
    assert models.get("hf-vision2seq").input_kind == "image"
    assert HFCausal.input_kind == "prompt" and HFSeq2Seq.input_kind == "source"


@pytest.mark.parametrize("args, message", [
    ({"dtyp": "bf16"}, "did you mean 'dtype'"),
    ({"dtype": "int3"}, "dtype='int3'"),
    ({"trust_remote_code": "maybe"}, "trust_remote_code='maybe' is not a valid bool"),
    ({"max_length": "long"}, "max_length='long' is not a valid int"),
    ({"chat_template": "sometimes"}, "chat_template='sometimes' is not one of auto, on, off"),
])
def test_bad_model_args_are_usage_errors(tiny, args, message):
    with pytest.raises(UsageError, match=message):
        HFCausal(str(tiny["causal"]), **args)


def test_a_missing_folder_that_is_no_hub_id_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such folder"):
        HFCausal(str(tmp_path / "nope" / "deeper" / "model")).fingerprint()


def test_an_unreachable_hub_id_says_what_to_do(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UsageError, match="no-such-org/no-such-model.*local folder"):
        HFSeq2Seq("no-such-org/no-such-model").fingerprint()


def test_fingerprint_hashes_the_files_and_notices_changes(tiny, tmp_path):
    copy = shutil.copytree(tiny["seq2seq"], tmp_path / "model")
    first = HFSeq2Seq(str(copy)).fingerprint()
    assert set(first) >= {"locator", "revision", "weights"} and first["weights"].startswith("sha256:")
    assert HFSeq2Seq(str(copy)).fingerprint() == first
    config = copy / "generation_config.json"
    config.write_text(config.read_text().replace("}", ', "note": 1}', 1))
    assert HFSeq2Seq(str(copy)).fingerprint()["weights"] != first["weights"]
    assert HFSeq2Seq(str(copy), dtype="bfloat16").output_settings()["dtype"] == "bfloat16"


def test_causal_truncation_keeps_the_end_and_the_leading_special_token(tiny):
    model = HFCausal(str(tiny["causal"]), max_length=10)
    full = model.tokenizer(LONG)["input_ids"]
    request = Request(example_id="long", prompt=LONG, config=GenerateConfig(max_new_tokens=4))
    encoded = model.encode([request])[0]
    assert encoded.truncated and encoded.length == 10
    assert encoded.payload == full[:1] + full[-9:] and full[0] == model.tokenizer.bos_token_id
    out, acc = run(model, [request])
    assert out[0].truncated and out[0].prompt_tokens == 10 and acc.n_truncated == 1


def test_causal_default_limit_is_context_minus_new_tokens(tiny):
    model = HFCausal(str(tiny["causal"]))
    assert model.input_limit(24) == 1024 - 24
    with pytest.raises(UsageError, match="no room for the prompt"):
        model.input_limit(1024)


def test_seq2seq_truncation_keeps_the_start_and_the_closing_token(tiny):
    model = HFSeq2Seq(str(tiny["seq2seq"]), max_length=12)
    full = model.tokenizer(LONG)["input_ids"]
    encoded = model.encode([Request(example_id="long", prompt=LONG, config=GenerateConfig())])[0]
    assert encoded.truncated and encoded.payload == full[:11] + [model.tokenizer.eos_token_id]
    short = model.encode([Request(example_id="s", prompt="Das Haus", config=GenerateConfig())])[0]
    assert not short.truncated


def test_chat_requests_go_through_the_chat_template(tiny):
    model = HFCausal(str(tiny["causal"]))
    chat = Request(example_id="c", prompt="Hello", config=GenerateConfig(), chat=True)
    plain = Request(example_id="p", prompt="Hello", config=GenerateConfig(), chat=False)
    rendered, raw = model.encode([chat, plain])
    tokenizer = model.tokenizer
    assert tokenizer.decode(rendered.payload) == "<s>user: Hello\nassistant:"
    assert tokenizer.decode(raw.payload) == "<s>Hello"
    off = HFCausal(str(tiny["causal"]), chat_template="off").encode([chat])[0]
    assert off.payload == raw.payload
    forced = HFCausal(str(tiny["causal"]), chat_template="on").encode([plain])[0]
    assert forced.payload == rendered.payload


def test_chat_template_on_without_a_template_is_an_error(tiny, tmp_path):
    copy = shutil.copytree(tiny["causal"], tmp_path / "model")
    (copy / "chat_template.jinja").unlink()
    chat = Request(example_id="c", prompt="Hello", config=GenerateConfig(), chat=True)
    plain = Request(example_id="p", prompt="Hello", config=GenerateConfig())
    model = HFCausal(str(copy))
    assert model.encode([chat])[0].payload == model.encode([plain])[0].payload  # auto: no template
    with pytest.raises(UsageError, match="no chat template"):
        HFCausal(str(copy), chat_template="on").encode([chat])


def test_threads_setting_is_applied_and_recorded(tiny):
    import torch
    before = torch.get_num_threads()
    try:
        model = HFSeq2Seq(str(tiny["seq2seq"]), threads=1)
        _, acc = run(model, [Request(example_id="a", prompt="Das Haus", config=GenerateConfig(
            max_new_tokens=3))])
        assert acc.runtime['threads'] == 1
    finally:
        torch.set_num_threads(before)


DEFAULT_RUN = """
import json, sys
import harness
from harness.engine import EngineSettings, generate
from harness.models.hf.seq2seq import HFSeq2Seq
from harness.types import GenerateConfig, Request
request = Request(example_id="a", prompt="Das Haus", config=GenerateConfig(max_new_tokens=3))
_, acc = generate(HFSeq2Seq(sys.argv[1]), [request], EngineSettings(use_cache=False, progress=False))
print(json.dumps(acc.runtime))
"""


def test_a_fresh_process_gets_the_default_threads_and_sleeping_waits(tiny):
    # libgomp reads its wait policy once, when torch loads: only a fresh process shows it
    env = {k: v for k, v in os.environ.items() if k not in WAIT_VARIABLES}
    out = subprocess.run([sys.executable, "-c", DEFAULT_RUN, str(tiny["seq2seq"])], env=env,
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    runtime = json.loads(out.stdout.splitlines()[-1])
    assert runtime["threads"] == default_threads() == available_cpus()
    assert runtime["omp_wait_policy"] == "PASSIVE"


@pytest.mark.parametrize("env, torch_loaded, expected", [
    ({}, False, "PASSIVE"),
    ({"OMP_WAIT_POLICY": "ACTIVE"}, False, "ACTIVE"),  # the user's choice stands
    ({"GOMP_SPINCOUNT": "10000"}, False, None),  # so does a tuned spin
    ({"KMP_BLOCKTIME": "0"}, False, None),
    ({}, True, None),  # too late to matter: torch read the policy when it loaded
])
def test_the_wait_policy_is_set_only_when_nobody_chose_and_it_still_matters(
        monkeypatch, env, torch_loaded, expected):
    for name in WAIT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if not torch_loaded:
        monkeypatch.delitem(sys.modules, "torch", raising=False)
    else:
        monkeypatch.setitem(sys.modules, "torch", sys.modules.get("torch") or object())
    wait_passively()
    assert os.environ.get("OMP_WAIT_POLICY") == expected


def test_static_cache_gives_the_same_greedy_text(tiny):
    reqs = [Request(example_id=str(i), prompt=p, config=GenerateConfig(max_new_tokens=8))
            for i, p in enumerate(["Der Rat", "A man rides a", "Zwei"])]
    plain, _ = run(HFCausal(str(tiny["causal"])), reqs)
    static, acc = run(HFCausal(str(tiny["causal"]), static_cache="true"), reqs)
    assert acc.runtime["static_cache"] is True
    assert [g.text for g in static] == [g.text for g in plain]


def test_device_map_auto_loads_through_accelerate(tiny):
    reqs = [Request(example_id="a", prompt="Zwei Hunde spielen im Schnee.",
                    config=GenerateConfig(max_new_tokens=12))]
    plain, _ = run(HFSeq2Seq(str(tiny["seq2seq"])), reqs)
    model = HFSeq2Seq(str(tiny["seq2seq"]), device_map="auto")
    mapped, acc = run(model, reqs)
    assert acc.runtime["device_map"] == "auto" and acc.runtime['device'] == "cpu"
    assert mapped[0].text == plain[0].text == "Zwei Hunde spielen im Schnee."


def test_file_hashes_are_remembered_by_path_and_stat(tiny, tmp_path):
    import os
    import sqlite3

    from harness.models.hf import weights as hashes
    copy = shutil.copytree(tiny["causal"], tmp_path / "model")
    first = hashes.folder_sha256(copy)
    weights = (copy / "model.safetensors").resolve()
    db = sqlite3.connect(os.path.join(os.environ["HARNESS_CACHE"], "file-hashes.sqlite"))
    query = "SELECT stat FROM hashes_v2 WHERE path = ?"
    stat = weights.stat()
    assert db.execute(query, (str(weights),)).fetchone() == (
        f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}:{stat.st_ctime_ns}",)
    os.utime(weights, ns=(stat.st_mtime_ns + 10**9, stat.st_mtime_ns + 10**9))  # touched: hashed again
    assert hashes.folder_sha256(copy) == first
    assert str(stat.st_mtime_ns + 10**9) in db.execute(query, (str(weights),)).fetchone()[0]


def test_on_a_shared_cache_folder_each_host_keeps_its_own_hash_memo(tiny, tmp_path, monkeypatch):
    import socket
    import sqlite3

    from harness.models.hf import weights as hashes
    monkeypatch.setenv("HARNESS_CACHE_MODE", "shared")
    copy = shutil.copytree(tiny["causal"], tmp_path / "model")
    first = hashes.folder_sha256(copy)
    cache = Path(os.environ["HARNESS_CACHE"])
    memo = cache / f"file-hashes-{socket.gethostname()}.sqlite"
    assert not (cache / "file-hashes.sqlite").exists()
    db = sqlite3.connect(memo)  # a rollback journal: no -wal/-shm files for other hosts to trip on
    assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    weights = (copy / "model.safetensors").resolve()
    assert db.execute("SELECT sha256 FROM hashes_v2 WHERE path = ?", (str(weights),)).fetchone()
    assert hashes.folder_sha256(copy) == first


def test_a_hub_id_resolves_to_its_cached_snapshot_and_commit(tiny, tmp_path, monkeypatch):
    from huggingface_hub import constants
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--acme--tiny-s2s"
    shutil.copytree(tiny["seq2seq"], repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = HFSeq2Seq("acme/tiny-s2s")
    fingerprint = model.fingerprint()
    assert fingerprint["revision"] == commit and fingerprint["locator"] == "acme/tiny-s2s"
    assert fingerprint["weights"] == HFSeq2Seq(str(tiny["seq2seq"])).fingerprint()["weights"]
    out, _ = run(model, [Request(example_id="a", prompt="Das Haus ist klein.",
                                 config=GenerateConfig(max_new_tokens=10))])
    assert out[0].text == "Das Haus ist klein."


@pytest.mark.parametrize("cycle", [False, True])
def test_close_frees_the_network_before_the_next_model_loads(tiny, cycle):
    import weakref
    model = HFCausal(str(tiny["causal"]))
    run(model, [Request("a", "the cat", GenerateConfig(max_new_tokens=2))])
    network = weakref.ref(model.network)
    if cycle:  # as a forward hook's closure would: only a collection frees it
        model.network.__dict__["_pinned"] = [model.network]
    model.close()
    assert network() is None
