"""An adapter declares the --model-args its own code reads, and only those: `harness models`
once listed max_length for hf-vision2seq and hf-vlm, which never cut an input, and since it
entered their cache key, setting it only regenerated the same captions."""
import ast
import inspect
import textwrap
from dataclasses import fields

import pytest

from conftest import run_cli
from harness.testing import tiny_vlms
from harness.registry import models

# these record a setting (the cache key, the run record); they do not act on it
RECORDING_ONLY = frozenset({"output_settings", "describe"})


def option_reads(cls: type, skip: frozenset = frozenset()) -> set[str]:
    """Names read off the parsed options in the methods of ``cls`` and of the classes it
    inherits from, and in their modules' functions that take ``options``, except those in
    ``skip``: ``self.options.x``, ``options.x`` (a parameter, as in ``input_kind_for``) and
    ``s.x`` after ``s = self.options``."""
    found: set[str] = set()
    for klass in cls.__mro__[:-1]:  # not object
        class_def = ast.parse(textwrap.dedent(inspect.getsource(klass))).body[0]
        for node in class_def.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in skip:
                found |= _reads(node)
        # and the module's own functions the adapter hands its options to (vllm's llm_kwargs)
        for node in ast.parse(inspect.getsource(inspect.getmodule(klass))).body:
            if isinstance(node, ast.FunctionDef) and node.name not in skip \
                    and any(a.arg == "options" for a in node.args.args + node.args.kwonlyargs):
                found |= _reads(node)
    return {name for name in found if not name.startswith("__")}


def _reads(function: ast.FunctionDef) -> set[str]:
    names = {a.arg for a in function.args.args + function.args.kwonlyargs if a.arg == "options"}

    def is_options(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "options") or (
            isinstance(node, ast.Name) and node.id in names)

    for node in ast.walk(function):  # s = self.options; s, t0 = self.options, time()
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple) \
                and isinstance(node.value, ast.Tuple) else [(target, node.value)]
            names |= {t.id for t, value in pairs if isinstance(t, ast.Name) and is_options(value)}
    return {node.attr for node in ast.walk(function)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
            and is_options(node.value)}


def declared(cls: type) -> set[str]:
    return {f.name for f in fields(cls.Options)}


@pytest.mark.parametrize("kind", models.names())
def test_every_declared_option_is_read_by_the_adapters_own_code(kind):
    cls = models.get(kind)
    unread = declared(cls) - option_reads(cls, skip=RECORDING_ONLY)
    assert not unread, (f"{kind}: {cls.Options.__name__} declares {sorted(unread)}, but no method "
                        f"of {cls.__name__} or its bases reads them (output_settings and describe "
                        f"only record): drop them from its Options, or make the code use them")


@pytest.mark.parametrize("kind", models.names())
def test_every_option_the_adapter_reads_is_declared(kind):
    cls = models.get(kind)
    undeclared = option_reads(cls) - declared(cls)
    assert not undeclared, f"{kind}: reads {sorted(undeclared)}, not in {cls.Options.__name__}"


def test_the_checker_sees_reads_through_an_alias_and_a_parameter_and_skips_recording():
    class Probe:
        def act(self):
            s = self.options
            o, _ = self.options, None
            return s.alias, o.unpacked, self.options.direct

        @classmethod
        def input_kind_for(cls, options):
            return options.parameter

        def output_settings(self):
            return {"recorded": self.options.recorded}

    assert option_reads(Probe, RECORDING_ONLY) == {"alias", "unpacked", "direct", "parameter"}
    assert "recorded" in option_reads(Probe)


@pytest.fixture(scope="module")
def llava(tmp_path_factory):
    return tiny_vlms.build_llava(tmp_path_factory.getbasetemp() / "tiny-vlms" / "llava")


def test_max_length_on_an_image_model_is_an_unknown_option_naming_the_known_ones(llava, tmp_path):
    proc = run_cli("run", "--model", f"hf-vlm:{llava}", "--model-args", "max_length=8",
                   "--tasks", "demo-captioning", "--limit", "2", "--output", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "model 'hf-vlm' --model-args option: unknown 'max_length'" in proc.stderr
    known = proc.stderr.split("known: ")[1].splitlines()[0].split(", ")
    assert set(known) == declared(models.get("hf-vlm")) and "style" in known
    assert not list(tmp_path.rglob("run.json"))


def test_the_listing_shows_max_length_only_for_models_that_cut_text():
    import json
    proc = run_cli("models", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {m["name"]: {o["name"] for o in m["options"]} for m in json.loads(proc.stdout)}
    assert {k for k, names in listed.items() if "max_length" in names} == {"hf-causal", "hf-seq2seq"}
    assert {"input", "prompt"} <= listed["openai-chat"]
    assert not {"input", "prompt"} & listed["openai-completions"]
