"""openai-completions / openai-chat against a real `transformers serve` on 127.0.0.1, serving a
tiny local model, directly and through a proxy that injects 429s with Retry-After, 500s,
slow answers, timeouts and dropped connections."""
import contextlib
import hashlib
import http.client
import importlib.util
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from harness.testing import tiny_models
from harness.engine import EngineSettings, generate
from harness.errors import UsageError
from harness.models.hf.causal import HFCausal
from harness.models.openai_api import OpenAIChat, OpenAICompletions
from harness.types import GenerateConfig, Request

pytest.importorskip("openai", reason="the endpoint adapters need `pip install 'harness[openai]'`")
SERVER_START_S = 120
SERVER_LIFETIME_S = 600  # the server stops by itself even if teardown never runs
CLIENT_TIMEOUT_S = 4.0  # the proxy's "slow" fault outlasts it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base_url, model name) of `transformers serve` serving the tiny causal model."""
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    with serve(folder, tmp_path_factory.mktemp("serve") / "serve.log") as base_url:
        yield base_url, str(folder)


@contextlib.contextmanager
def serve(folder: Path, log: Path):
    """`transformers serve` on a free port of 127.0.0.1, stopped on exit (or by `timeout`)."""
    cli = Path(sys.executable).with_name("transformers")
    if not all(importlib.util.find_spec(m) for m in ("fastapi", "uvicorn")):
        pytest.skip("`transformers serve` needs `pip install 'transformers[serving]'`")
    port = free_port()
    command = [str(cli), "serve", str(folder), "--host", "127.0.0.1", "--port", str(port),
               "--device", "cpu", "--dtype", "float32"]
    if shutil.which("timeout"):
        command = ["timeout", str(SERVER_LIFETIME_S), *command]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    with open(log, "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(base_url, server, log)
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _wait_until_up(base_url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"transformers serve exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"transformers serve did not answer in {SERVER_START_S}s: {log.read_text()[-2000:]}")


class FaultProxy:
    """Forwards to ``upstream``; each request's first tries may fail in one of the ways
    servers fail, drawn from a seeded generator by (request body, try number)."""

    KINDS = ("429", "500", "timeout", "drop", "drop-after-upstream", "slow-ok")

    def __init__(self, upstream: str, rate: float = 0.5, seed: int = 0, delay_s: float = 0.0):
        self.upstream = upstream.split("//", 1)[1].split("/", 1)[0]
        self.rate, self.seed, self.delay_s = rate, seed, delay_s
        self.lock = threading.Lock()
        self.tries: dict[str, int] = {}
        self.delivered: dict[str, int] = {}  # bodies answered 200 to the client
        self.faults: dict[str, int] = {k: 0 for k in self.KINDS}
        self.waited_after_429: list[float] = []
        self.last_429: dict[str, float] = {}
        self.authorization: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fault(self, key: str) -> str | None:
        with self.lock:
            attempt = self.tries[key] = self.tries.get(key, 0) + 1
            if key in self.last_429:
                self.waited_after_429.append(time.monotonic() - self.last_429.pop(key))
        rng = random.Random(f"{self.seed}:{key}:{attempt}")
        if attempt > 3 or rng.random() >= self.rate / attempt:
            return None
        kind = rng.choice(self.KINDS)
        with self.lock:
            self.faults[kind] += 1
        return kind

    def forward(self, method: str, path: str, body: bytes, headers) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        conn.request(method, path, body=body or None,
                     headers={k: v for k, v in headers.items() if k.lower() != "host"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._reply(*proxy.forward("GET", self.path, b"", self.headers))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with proxy.lock:
                    proxy.authorization.add(self.headers.get("authorization", ""))
                # keyed without the model name (a temporary path) so the draw repeats across runs
                fields = {k: v for k, v in json.loads(body).items() if k != "model"}
                key = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
                kind = proxy.fault(key)
                if kind == "429":
                    with proxy.lock:
                        proxy.last_429[key] = time.monotonic()
                    return self._reply(429, {"Retry-After": "1"}, b'{"error": "slow down"}')
                if kind == "500":
                    return self._reply(500, {}, b'{"error": "internal"}')
                if kind == "drop":
                    return  # the connection closes with no answer
                if kind in ("timeout", "slow-ok") or proxy.delay_s:
                    time.sleep(CLIENT_TIMEOUT_S + 0.5 if kind == "timeout" else
                               0.3 if kind == "slow-ok" else proxy.delay_s)
                status, headers, answer = proxy.forward("POST", self.path, body, self.headers)
                if kind in ("drop-after-upstream", "timeout"):
                    return  # the server did the work; the answer is lost on the way
                if status == 200:
                    with proxy.lock:
                        proxy.delivered[key] = proxy.delivered.get(key, 0) + 1
                self._reply(status, headers, answer)

            def _reply(self, status, headers, body):
                try:
                    self.send_response(status)
                    for name in ("Retry-After", "Content-Type"):
                        value = headers.get(name) or headers.get(name.lower())
                        if value:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timed out, or was killed)

        return Handler

    def close(self):
        self.server.shutdown()
        self.server.server_close()


PROMPTS = [t.split(" ")[0] + " " + " ".join(t.split(" ")[1:2]) for t in tiny_models.default_texts()]


def requests(n, config=GenerateConfig(max_new_tokens=8)):
    return [Request(f"ex{i}", PROMPTS[i % len(PROMPTS)] + " " * (i // len(PROMPTS)), config)
            for i in range(n)]


def run(model, reqs, tmp_path=None, **kw):
    cache = {"cache_dir": tmp_path / "cache"} if tmp_path else {"use_cache": False}
    return generate(model, reqs, EngineSettings(progress=False, **cache, **kw))


def test_greedy_completions_equal_hf_causal_on_the_same_model(served):
    base_url, name = served
    config = GenerateConfig(max_new_tokens=8)
    reqs = requests(len(PROMPTS), config) + [Request("stop", "A man", replace_stop(config))]
    remote, acc = run(OpenAICompletions(name, base_url=base_url), reqs)
    local, _ = run(HFCausal(name, chat_template="off"), reqs)
    assert [g.text for g in remote] == [g.text for g in local]
    # an end-of-sequence as the last allowed token: the server says length, the harness eos
    assert all(r.finish_reason == l.finish_reason or (r.finish_reason, l.finish_reason, l.num_tokens)
               == ("length", "eos", 8) for r, l in zip(remote, local))
    assert remote[-1].finish_reason == "stop" and "." not in remote[-1].text
    assert acc.n_generated == len(reqs) and acc.retries == 0


def replace_stop(config):
    return GenerateConfig(max_new_tokens=config.max_new_tokens, stop=(".",))


def test_chat_completions_equal_hf_causal_through_its_chat_template(served):
    base_url, name = served
    reqs = [Request(f"c{i}", p, GenerateConfig(max_new_tokens=6), chat=True)
            for i, p in enumerate(PROMPTS[:6])]
    remote, _ = run(OpenAIChat(name, base_url=base_url), reqs)
    local, _ = run(HFCausal(name, chat_template="on"), reqs)
    assert [g.text for g in remote] == [g.text for g in local]


def test_the_fingerprint_is_the_served_model_and_says_weights_are_remote(served):
    base_url, name = served
    fingerprint = OpenAICompletions(name, base_url=base_url).fingerprint()
    assert fingerprint["served"] == f"id={name},owned_by=local"
    assert fingerprint["weights"].startswith("remote")
    with pytest.raises(UsageError, match="does not serve this model.*it serves: " + name):
        OpenAICompletions("gpt-nonexistent", base_url=base_url).fingerprint()


def test_faults_lose_nothing_duplicate_nothing_and_the_retries_are_counted(served, tmp_path):
    base_url, name = served
    reqs = requests(200, GenerateConfig(max_new_tokens=4))
    clean, _ = run(OpenAICompletions(name, base_url=base_url, concurrency=8), reqs)
    proxy = FaultProxy(base_url)
    try:
        model = OpenAICompletions(name, base_url=proxy.url, concurrency=16, max_retries=6,
                                  timeout=CLIENT_TIMEOUT_S)
        faulty, acc = run(model, reqs, tmp_path)
    finally:
        proxy.close()
    injected = sum(n for kind, n in proxy.faults.items() if kind != "slow-ok")
    print(f"\nrequests={len(reqs)} faults={proxy.faults} retries={acc.retries}")
    assert injected >= 60 and all(proxy.faults.values())
    assert [g.example_id for g in faulty] == [r.example_id for r in reqs]  # none lost or repeated
    assert [g.text for g in faulty] == [g.text for g in clean] and acc.n_errors == 0
    assert acc.retries == injected and acc.n_generated == 200
    assert sorted(set(proxy.delivered.values())) == [1]  # none asked again once answered
    assert proxy.waited_after_429 and min(proxy.waited_after_429) >= 0.95  # Retry-After: 1
    again, acc = run(model, reqs, tmp_path)  # everything was committed as it came
    assert acc.n_cached == 200 and [g.text for g in again] == [g.text for g in clean]


def test_a_request_still_failing_after_its_retries_is_recorded_and_rerun(served, tmp_path):
    base_url, name = served
    proxy = FaultProxy(base_url, rate=1.0, seed=3)  # every request fails its first tries
    try:
        model = OpenAICompletions(name, base_url=proxy.url, max_retries=0, timeout=CLIENT_TIMEOUT_S)
        out, acc = run(model, requests(12), tmp_path, on_error="skip")
        failed = [g.example_id for g in out if g.error]
        assert failed and acc.n_errors == len(failed) and acc.n_generated == 12 - len(failed)
        patient = OpenAICompletions(name, base_url=proxy.url, max_retries=6, timeout=CLIENT_TIMEOUT_S)
        again, acc = run(patient, requests(12), tmp_path)
    finally:
        proxy.close()
    assert acc.n_cached == 12 - len(failed) and not any(g.error for g in again)


def test_the_api_key_is_sent_but_never_written(served, tmp_path):
    base_url, name = served
    secret = "sk-test-" + hashlib.sha256(str(time.time()).encode()).hexdigest()[:24]
    proxy = FaultProxy(base_url, seed=1)
    args = f"base_url={proxy.url},api_key_env=HARNESS_TEST_KEY,timeout={CLIENT_TIMEOUT_S}"
    try:
        result = run_cli("run", "--model", f"openai-completions:{name}", "--tasks", "demo-translation",
                         "--limit", "12", "--model-args", args,
                         "--output", str(tmp_path / "results"), "--cache-dir", str(tmp_path / "cache"),
                         "--bootstrap", "0", env={"HARNESS_TEST_KEY": secret})
    finally:
        proxy.close()
    assert result.returncode == 0, result.stderr
    assert f"Bearer {secret}" in proxy.authorization
    assert secret not in result.stdout + result.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "run.json" for p in written)
    assert not [p for p in written if secret.encode() in p.read_bytes()]
    record = json.loads(next(p for p in written if p.name == "run.json").read_text())
    assert record["model"]["args"]["api_key_env"] == "HARNESS_TEST_KEY"
    injected = sum(n for kind, n in proxy.faults.items() if kind != "slow-ok")
    assert injected and record["engine"]["retries"] == injected  # the record counts the retries


def test_a_killed_run_resumes_with_what_was_answered(served, tmp_path):
    base_url, name = served
    run_args = ["--tasks", "demo-translation", "--limit", "40", "--bootstrap", "0", "--json",
                "--cache-dir", str(tmp_path / "cache")]

    def command(url, output):
        return ["run", "--model", f"openai-completions:{name}", "--model-args",
                f"base_url={url},concurrency=2", "--output", str(tmp_path / output), *run_args]

    proxy = FaultProxy(base_url, rate=0.0, delay_s=0.2)  # ~4 s for the whole run
    try:
        killed = subprocess.Popen([sys.executable, "-m", "harness", *command(proxy.url, "killed")],
                                  cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while sum(proxy.delivered.values()) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.2)  # the engine commits answers at least every second
        killed.kill()
        killed.wait()
    finally:
        proxy.close()
    resumed = run_cli(*command(base_url, "resumed"))
    assert resumed.returncode == 0, resumed.stderr
    engine = json.loads(resumed.stdout)["engine"]
    assert 12 <= engine["n_cached"] < 40 and engine["n_generated"] == 40 - engine["n_cached"]
    whole = run_cli(*command(base_url, "whole")[:-2], "--cache-dir", str(tmp_path / "other"))
    assert whole.returncode == 0, whole.stderr
    assert _predictions(tmp_path / "resumed") == _predictions(tmp_path / "whole")


def _predictions(output: Path) -> list[str]:
    samples = next(output.rglob("samples.jsonl")).read_text().splitlines()
    return [json.loads(line)["prediction"] for line in samples]
