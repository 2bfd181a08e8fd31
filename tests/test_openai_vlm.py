"""Captioning through openai-chat: `transformers serve` serving the tiny LLaVA gets each image
as a base64 data URL and answers what hf-vlm answers in-process."""
import json
from pathlib import Path

import pytest

from conftest import run_cli
from test_openai_endpoint import run, serve
from harness.testing import tiny_vlms
from harness.models.hf.vlm import HFVLM
from harness.models.openai_api import OpenAIChat
from harness.types import GenerateConfig, Request

pytest.importorskip("openai", reason="the endpoint adapters need `pip install 'harness[openai]'`")


@pytest.fixture(scope="module")
def llava(tmp_path_factory):
    return tiny_vlms.build_llava(tmp_path_factory.getbasetemp() / "tiny-vlms" / "llava")


def test_chat_captions_over_http_equal_hf_vlm(llava, images, tmp_path):
    # a stop string the captions contain, cut on the client: transformers serve 5.24 answers
    # 500 to stop strings with a VLM ('LlavaProcessor' object has no attribute 'get_vocab')
    config = GenerateConfig(max_new_tokens=6, stop=("e",))
    reqs = [Request(Path(p).stem, None, config, image=str(p)) for p in images]
    with serve(llava, tmp_path / "serve.log") as base_url:
        model = OpenAIChat(str(llava), base_url=base_url, input="image", server_stop=False)
        remote, accounting = run(model, reqs)
    local, _ = run(HFVLM(str(llava)), reqs)
    assert [g.text for g in remote] == [g.text for g in local]
    assert accounting.n_generated == len(reqs) and len({g.text for g in local}) > 1
    assert any(g.finish_reason == "stop" for g in remote)


def test_the_command_line_captions_through_openai_chat_with_input_image(llava, tmp_path):
    # the README's way of captioning through an endpoint; it once stopped before sending
    # anything, planning prompts from openai-chat's default input ("no 'source'")
    with serve(llava, tmp_path / "serve.log") as base_url:
        proc = run_cli("run", "--model", f"openai-chat:{llava}", "--tasks", "demo-captioning",
                       "--model-args", f"input=image,base_url={base_url},server_stop=false",
                       "--limit", "2", "--bootstrap", "0", "--json",
                       "--output", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"))
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["status"] == "complete" and record["n_scored"] == 2
    assert record["engine"]["n_generated"] == 2
    assert {"cider", "coco_bleu4", "coco_rougeL"} <= set(record["scores"])
    samples = [json.loads(line) for line in next((tmp_path / "out").rglob("samples.jsonl"))
               .read_text().splitlines()]
    assert all(s["input"].endswith(".png") and s["error"] is None for s in samples)
