"""The endpoint adapters' pieces that need no server: generation settings as API fields (or
refused), Retry-After, error classification against the openai client's own exceptions, the
API key variable, and images as data URLs."""
import time

import pytest

from harness.errors import UsageError
from harness.models.base import ExampleError
from harness.models.openai_api import OpenAIChat, OpenAICompletions, retry_after, sampling_params
from harness.types import GenerateConfig, Request

pytest.importorskip("openai", reason="the endpoint adapters need `pip install 'harness[openai]'`")


def test_a_missing_key_variable_is_named_with_the_fix(monkeypatch):
    monkeypatch.delenv("HARNESS_UNSET_KEY", raising=False)
    model = OpenAICompletions("m", api_key_env="HARNESS_UNSET_KEY")
    with pytest.raises(UsageError, match="HARNESS_UNSET_KEY is not set; export HARNESS_UNSET_KEY="):
        model.client


@pytest.mark.parametrize("settings, fields", [  # the OpenAI API reference's field names
    (dict(max_new_tokens=7), {"max_tokens": 7, "n": 1, "temperature": 0.0}),
    (dict(do_sample=True, temperature=0.7, top_p=0.9, seed=5, stop=("\n",)),
     {"max_tokens": 64, "n": 1, "temperature": 0.7, "top_p": 0.9, "seed": 5, "stop": ["\n"]}),
])
def test_generation_settings_map_to_the_api(settings, fields):
    assert sampling_params(GenerateConfig(**settings), "m") == fields


@pytest.mark.parametrize("settings", [dict(num_beams=4), dict(min_new_tokens=5), dict(top_k=40),
                                      dict(repetition_penalty=1.2)])
def test_settings_the_api_has_no_field_for_are_refused(settings):
    name = next(iter(settings))
    with pytest.raises(UsageError, match=f"no field for {name}="):
        sampling_params(GenerateConfig(**settings), "m")


@pytest.mark.parametrize("headers, seconds", [  # RFC 9110 10.2.3: seconds or an HTTP date
    ({"retry-after": "2"}, 2.0), ({"retry-after-ms": "250"}, 0.25), ({}, None),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0), ({"retry-after": "soon"}, None)])
def test_retry_after_is_read_in_seconds(headers, seconds):
    assert retry_after(headers) == seconds


def test_a_retry_after_date_counts_from_now():
    import email.utils
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 < retry_after({"retry-after": in_ten}) <= 10


def test_chat_sends_an_image_as_a_data_url_after_the_instruction(tmp_path):
    from PIL import Image
    Image.new("RGB", (8, 8), (255, 0, 0)).save(tmp_path / "red.png")
    model = OpenAIChat("m", input="image", prompt="Caption it.")
    content = model.messages(Request("i", None, GenerateConfig(), image=str(tmp_path / "red.png")))[0]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,iVBOR")
    assert content[1] == {"type": "text", "text": "Caption it."}


def _http():
    """The HTTP library the installed openai client is built on: httpx2 from openai 3, httpx before."""
    try:
        import httpx2
        return httpx2
    except ImportError:
        import httpx
        return httpx


def _request():
    return _http().Request("POST", "http://127.0.0.1/v1/completions")


def _status_error(status: int, headers=None):
    import openai
    request = _request()
    response = _http().Response(status, headers=headers or {}, request=request)
    kinds = {429: openai.RateLimitError, 500: openai.InternalServerError, 401: openai.AuthenticationError}
    return kinds.get(status, openai.APIStatusError)(f"status {status}", response=response, body=None)


@pytest.mark.parametrize("make, action, after", [  # what the openai client itself retries
    (lambda: _status_error(429, {"retry-after": "3"}), "retry", 3.0),
    (lambda: _status_error(503), "retry", None), (lambda: _status_error(500), "retry", None),
    (lambda: _status_error(408), "retry", None), (lambda: _status_error(401), "fail", None),
    (lambda: _status_error(418), "fail", None),
    (lambda: __import__("openai").APITimeoutError(request=_request()), "retry", None),
    (lambda: ExampleError("ex1", "refused"), "skip", None),
])
def test_errors_are_classified_as_the_engine_needs(make, action, after):
    decision = OpenAICompletions("m").classify_error(make())
    assert (decision.action.value, decision.retry_after_s) == (action, after)
