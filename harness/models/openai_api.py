"""Any OpenAI-compatible endpoint (vLLM, TGI, SGLang, ``transformers serve``, hosted APIs):
``openai-completions:MODEL`` (``/v1/completions``, the prompt as the task renders it) and
``openai-chat:MODEL`` (``/v1/chat/completions``; with ``input=image`` the image goes as a
base64 data URL in an ``image_url`` part, before the caption instruction).

The engine drives these adapters concurrently (``Driver.CONCURRENT``) and owns the retries,
so the client's own retries are off: every retry is counted in the run record, and a
request is never sent twice once it has succeeded. The API key is read from the environment
variable named by ``api_key_env`` when the client is made and lives only in the client: the
run record keeps the variable's name, never its value.
"""
from __future__ import annotations

import base64
import email.utils
import mimetypes
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping

from harness.errors import MissingDependency, UsageError
from harness.models.base import ConcurrentModel, ErrorAction, ErrorDecision, ExampleError, Model
from harness.options import option
from harness.registry import models
from harness.types import GenerateConfig, Generation, InputKind, Request

# Bumped when a change here can change an output for the same server and request.
ADAPTER_VERSION = 1
# /v1/models fields that describe the weights; others (created, status, permission) change
# with every server start and would empty the cache for nothing
MODEL_FIELDS = ("id", "owned_by", "root", "parent", "max_model_len")
DEFAULT_INSTRUCTION = "Describe the image in one sentence."
RETRY_STATUS = {408, 409, 429}  # and every 5xx: the statuses the openai client itself retries


@dataclass(frozen=True)
class EndpointOptions:
    """--model-args of the OpenAI-compatible adapters."""

    base_url: str = option("http://127.0.0.1:8000/v1", "the server's OpenAI API root, ending in /v1")
    api_key_env: str | None = option(None, "name of the environment variable holding the API key "
                                           "(the key itself is never recorded); none: no key")
    concurrency: int = option(8, "requests in flight at once")
    timeout: float = option(120.0, "seconds one request may take before it is retried")
    max_retries: int = option(6, "tries after the first for a rate limit (429), a server error "
                                 "(5xx), a timeout or a dropped connection")
    server_stop: bool = option(True, "send stop strings to the server (they are cut on the client "
                                     "too); off for servers that fail on them")


@dataclass(frozen=True)
class ChatOptions(EndpointOptions):
    """--model-args of openai-chat: the endpoint's, and what a message carries."""

    input: str = option("prompt", "what a request carries: prompt (the task's prompt template) or "
                                  "image (the image and a caption instruction)",
                        choices=("prompt", "image"))
    prompt: str | None = option(None, "the instruction sent with each image (input=image), as "
                                      "hf-vlm's prompt=; default: the task's image_prompt, else "
                                      f"'{DEFAULT_INSTRUCTION}'")


class OpenAIEndpoint(Model, ConcurrentModel):
    """What both endpoint kinds share: the client, settings, errors, fingerprint."""

    Options = EndpointOptions
    endpoint: str = ""

    def __init__(self, locator: str, **args: Any):
        super().__init__(locator, **args)
        s = self.options
        if s.concurrency < 1 or s.max_retries < 0 or s.timeout <= 0:
            raise UsageError(f"{self.locator}: concurrency must be >= 1, max_retries >= 0 and "
                             f"timeout > 0 (got {s.concurrency}, {s.max_retries}, {s.timeout})")
        self.concurrency, self.max_retries = s.concurrency, s.max_retries
        self._client = None
        self._lock = threading.Lock()
        self._fingerprint: dict[str, str] | None = None

    # --- the client -----------------------------------------------------------------------
    @property
    def client(self):
        with self._lock:  # generate_one runs in several threads
            if self._client is None:
                with self.load_timer.timed():
                    self._client = self._make_client()
            return self._client

    def _make_client(self):
        try:
            import openai
        except ImportError as exc:
            raise MissingDependency("openai", why="to evaluate OpenAI-compatible endpoints",
                                    extra="openai") from exc
        return openai.OpenAI(base_url=self.options.base_url, api_key=self._api_key(),
                             timeout=self.options.timeout, max_retries=0)

    def _api_key(self) -> str:
        name = self.options.api_key_env
        if not name:
            return "none"  # local servers take any key; the client insists on one
        key = os.environ.get(name)
        if not key:
            raise UsageError(f"{self.locator}: --model-args api_key_env={name}, but the environment "
                             f"variable {name} is not set; export {name}=<your key> and rerun")
        return key

    # --- identity -------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, str]:
        """The served model as the server describes it; remote weights cannot be hashed."""
        if self._fingerprint is None:
            entry = self._model_entry()
            described = ",".join(f"{k}={entry[k]}" for k in MODEL_FIELDS if entry.get(k) is not None)
            self._fingerprint = {"locator": self.locator, "served": described,
                                 "weights": "remote: not hashable from the client"}
        return self._fingerprint

    def _model_entry(self) -> dict[str, Any]:
        try:
            listed = [m.model_dump() for m in self.client.models.list()]
        except Exception as exc:
            raise UsageError(f"{self.locator}: cannot list the models of {self.options.base_url} "
                             f"({type(exc).__name__}: {exc}); is the server running, and does "
                             f"base_url end in /v1?") from exc
        for entry in listed:
            if entry.get("id") == self.locator:
                return entry
        names = ", ".join(str(m.get("id")) for m in listed) or "none"
        raise UsageError(f"{self.locator}: {self.options.base_url} does not serve this model "
                         f"(it serves: {names}); use one of those names after the colon")

    def output_settings(self) -> Mapping[str, Any]:
        s = self.options
        return {**super().output_settings(), "adapter_version": ADAPTER_VERSION,
                "server_stop": s.server_stop}

    def describe(self) -> dict[str, Any]:
        s = self.options
        return {"base_url": s.base_url, "endpoint": self.endpoint, "concurrency": s.concurrency,
                "max_retries": s.max_retries, "timeout_s": s.timeout}

    # --- generation -----------------------------------------------------------------------
    def generate_one(self, request: Request) -> Generation:
        import openai
        params = sampling_params(request.config, self.locator)
        if not self.options.server_stop:
            params.pop("stop", None)
        try:
            response = self._send(request, params)
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise UsageError(f"{self.options.base_url} refused the request ({exc.status_code}): "
                             f"check the key in ${self.options.api_key_env or '(none given)'} "
                             f"(--model-args api_key_env=NAME)") from exc
        except openai.NotFoundError as exc:
            raise UsageError(f"{self.options.base_url}{self.endpoint}: not found (404); check "
                             f"base_url and that the server offers this endpoint") from exc
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            # the server refuses this prompt (too long, bad image); the others may pass
            raise ExampleError(request.example_id, f"the server refused it: {exc}") from exc
        return self._generation(request, response)

    def _send(self, request: Request, params: dict) -> Any:
        raise NotImplementedError

    def _choice(self, response) -> tuple[str, str, str | None]:
        raise NotImplementedError  # (text, finish_reason, stop_reason)

    def _generation(self, request: Request, response) -> Generation:
        if not getattr(response, "choices", None):
            raise ExampleError(request.example_id, "the server answered without a choice")
        text, reason, stop_reason = self._choice(response)
        text, reason = finish(text or "", reason, stop_reason, request.config.stop)
        usage = getattr(response, "usage", None)
        return Generation(example_id=request.example_id, text=text, finish_reason=reason,
                          num_tokens=getattr(usage, "completion_tokens", 0) or 0,
                          prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0)

    def classify_error(self, exc: BaseException) -> ErrorDecision:
        try:
            import openai
        except ImportError:
            return super().classify_error(exc)
        if isinstance(exc, openai.APIConnectionError):  # refused, dropped, timed out
            return ErrorDecision(ErrorAction.RETRY)
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code in RETRY_STATUS or exc.status_code >= 500:
                return ErrorDecision(ErrorAction.RETRY, retry_after(exc.response.headers))
        return super().classify_error(exc)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def sampling_params(config: GenerateConfig, where: str) -> dict[str, Any]:
    """The API's fields for ``config``; settings it has no field for are refused, not ignored."""
    refused = [f"{name}={value}" for name, value, neutral in (
        ("num_beams", config.num_beams, 1), ("min_new_tokens", config.min_new_tokens, 0),
        ("top_k", config.top_k, 0), ("repetition_penalty", config.repetition_penalty, 1.0))
        if value != neutral and not (name == "num_beams" and value == 0)]
    if refused:
        raise UsageError(f"{where}: the OpenAI API has no field for {', '.join(refused)}; "
                         f"drop them with --gen-kwargs (e.g. num_beams=1,min_new_tokens=0), or "
                         f"use an in-process model kind (hf-causal, vllm)")
    params: dict[str, Any] = {"max_tokens": config.max_new_tokens, "n": 1}
    if config.do_sample:
        params.update(temperature=config.temperature, top_p=config.top_p, seed=config.seed)
    else:
        params["temperature"] = 0.0  # greedy: what every OpenAI-compatible server reads as argmax
    if config.stop:
        params["stop"] = list(config.stop)
    return params


def finish(text: str, reason: str | None, stop_reason: Any, stops) -> tuple[str, str]:
    """The harness's finish reason (eos, stop, length) and the text cut at the first stop
    string: servers differ on whether they keep it (``transformers serve`` does)."""
    cuts = [text.find(s) for s in stops if s and s in text]
    if cuts:
        return text[:min(cuts)], "stop"
    if reason == "stop":
        # "stop" means end-of-sequence or a stop string; vLLM says which in stop_reason
        return text, "stop" if isinstance(stop_reason, str) else "eos"
    return text, reason or ""


def retry_after(headers) -> float | None:
    """A server's Retry-After (seconds or an HTTP date), or retry-after-ms, in seconds."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: the engine's own back-off applies
    return max(0.0, when.timestamp() - time.time())


def data_url(example_id: str, location: str | None) -> str:
    """An image file as a base64 data URL; a URL is passed on as it is."""
    if not location:
        raise ExampleError(example_id, "no image to caption")
    if location.startswith(("http://", "https://", "data:")):
        return location
    try:
        with open(location, "rb") as f:
            blob = f.read()
    except OSError as exc:
        raise ExampleError(example_id, f"cannot read image {location}: {exc}") from exc
    mime = mimetypes.guess_type(location)[0] or "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(blob).decode('ascii')}"


@models.register("openai-completions")
class OpenAICompletions(OpenAIEndpoint):
    description = "an OpenAI-compatible /v1/completions endpoint: the served model's name"
    input_kind = InputKind.PROMPT
    endpoint = "/completions"

    @classmethod
    def parse_args(cls, args: Mapping[str, Any]) -> Any:
        if "input" in args:  # the option people bring over from openai-chat
            raise UsageError("model 'openai-completions' --model-args option: unknown 'input'; "
                             "/v1/completions sends text only: caption with openai-chat:MODEL "
                             "--model-args input=image")
        return super().parse_args(args)

    def _send(self, request: Request, params: dict) -> Any:
        return self.client.completions.create(model=self.locator, prompt=request.prompt or "",
                                              **params)

    def _choice(self, response) -> tuple[str, str, str | None]:
        choice = response.choices[0]
        return choice.text, choice.finish_reason, getattr(choice, "stop_reason", None)


@models.register("openai-chat")
class OpenAIChat(OpenAIEndpoint):
    description = ("an OpenAI-compatible /v1/chat/completions endpoint: the served model's name; "
                   "input=image for captioning")
    input_kind = InputKind.PROMPT  # the default; input=image reads images
    endpoint = "/chat/completions"
    Options = ChatOptions

    @classmethod
    def input_kind_for(cls, options: ChatOptions) -> InputKind:
        return InputKind.IMAGE if options.input == "image" else InputKind.PROMPT

    def output_settings(self) -> Mapping[str, Any]:
        s = self.options
        return {**super().output_settings(), "input": s.input, "prompt": s.prompt}

    def _send(self, request: Request, params: dict) -> Any:
        return self.client.chat.completions.create(model=self.locator,
                                                   messages=self.messages(request), **params)

    def messages(self, request: Request) -> list[dict]:
        if self.input_kind != InputKind.IMAGE:
            return [{"role": "user", "content": request.prompt or ""}]
        instruction = self.options.prompt or request.prompt or DEFAULT_INSTRUCTION
        # the image first, as hf-vlm and most VLM chat templates put it
        return [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": data_url(request.example_id, request.image)}},
            {"type": "text", "text": instruction},
        ]}]

    def _choice(self, response) -> tuple[str, str, str | None]:
        choice = response.choices[0]
        return (choice.message.content or "", choice.finish_reason,
                getattr(choice, "stop_reason", None))
