"""A model's input kind comes from its class and its parsed --model-args, before any weights
load (``Model.input_kind_for``); planning and the instance use that one answer. `harness run
--model openai-chat:M --model-args input=image` once planned prompts from the class's default
and stopped on "no 'source'" before contacting the server."""
from dataclasses import fields

import pytest

from conftest import run_cli, run_main
from harness.engine import EngineSettings
from harness.run import RunOptions
from harness.run.plan import model_input_kind, plan_run
from harness.registry import models
from harness.types import InputKind

TASK_FOR = {InputKind.IMAGE: "demo-captioning", InputKind.PROMPT: "demo-translation",
            InputKind.SOURCE: "demo-translation"}


def kinds_changed_by_options() -> list:
    """(model kind, --model-args, input kind) for each option choice of each registered model
    that gives another input than the model's defaults."""
    cases = []
    for name, cls in models.items():
        default = cls.input_kind_for(cls.parse_args({}))
        for f in fields(cls.Options):
            for choice in f.metadata.get("choices") or ():
                kind = cls.input_kind_for(cls.parse_args({f.name: choice}))
                if kind != default:
                    cases.append(pytest.param(name, {f.name: choice}, kind,
                                              id=f"{name}:{f.name}={choice}"))
    return cases


CHANGED = kinds_changed_by_options()


def test_the_options_that_change_an_input_are_found():
    assert ("openai-chat", {"input": "image"}, InputKind.IMAGE) in [c.values for c in CHANGED]


@pytest.mark.parametrize("kind, args, input_kind", CHANGED)
def test_planning_and_the_instance_read_the_input_the_options_ask_for(kind, args, input_kind):
    assert model_input_kind(f"{kind}:m", args) == input_kind
    assert models.get(kind)("m", **args).input_kind == input_kind
    [plan] = plan_run([TASK_FOR[input_kind]], RunOptions(limit=2, write=False), input_kind,
                      EngineSettings(use_cache=False, progress=False))
    assert plan.input_kind == input_kind and len(plan.requests) == 2
    if input_kind == InputKind.IMAGE:
        assert all(r.image for r in plan.requests)
    else:
        assert all(r.prompt and r.image is None for r in plan.requests)


def served(kind: str) -> bool:
    """An endpoint kind: one that answers through a server at ``base_url``."""
    return "base_url" in {f.name for f in fields(models.get(kind).Options)}


@pytest.mark.parametrize("kind, args, input_kind", [c for c in CHANGED if served(c.values[0])])
def test_a_run_with_no_server_fails_on_the_connection_not_on_planning(kind, args, input_kind, tmp_path):
    from test_openai_endpoint import free_port  # a port nothing listens on
    given = ",".join(f"{k}={v}" for k, v in args.items())
    proc = run_cli("run", "--model", f"{kind}:m", "--tasks", TASK_FOR[input_kind], "--limit", "2",
                   "--model-args", f"{given},base_url=http://127.0.0.1:{free_port()}/v1,max_retries=0",
                   "--output", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"))
    assert proc.returncode != 0
    assert "Connection error" in proc.stderr and "is the server running" in proc.stderr
    assert "no 'source'" not in proc.stderr and "nothing was run" not in proc.stderr


def test_completions_refuses_images_naming_the_chat_kind(capsys, tmp_path):
    rc, _, err = run_main(capsys, "run", "--model", "openai-completions:m", "--model-args",
                          "input=image", "--tasks", "demo-captioning", "--output", str(tmp_path))
    assert rc == 2
    assert "/v1/completions sends text only: caption with openai-chat:MODEL" in err
