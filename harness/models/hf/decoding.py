"""Decoding pieces shared by the transformers adapters (imports torch and transformers).

- ``generation_config``: a GenerateConfig as a transformers GenerationConfig, every setting
  explicit so a checkpoint's own defaults (sampling, top_k=50...) never leak in.
- ``SeededSampling``: sampling whose random draws belong to each request, not to the batch:
  Gumbel-max over the warped logits with one generator per row, seeded by (seed, request).
  Argmax of logits + Gumbel noise is an exact sample of softmax(logits), so results match
  plain multinomial sampling in distribution while staying identical whatever the batch
  size, the batch's other rows, or a resume after a crash.
- ``StopOnStrings`` and ``finish``: stop sequences and finish reasons.
- ``run_generate``: one batch through ``network.generate`` with all of the above, timed.
"""
from __future__ import annotations

import copy
import hashlib
import time
from typing import Any, Sequence

import torch
from transformers import (LogitsProcessor, LogitsProcessorList, StoppingCriteria,
                          StoppingCriteriaList, TemperatureLogitsWarper, TopKLogitsWarper,
                          TopPLogitsWarper)

from harness.models.batched import BatchResult
from harness.models.hf.common import eos_ids, pad_id
from harness.types import GenerateConfig, Generation


def generation_config(model, config: GenerateConfig, pad_id: int, seeded_sampling: bool):
    """The transformers GenerationConfig for ``config`` (greedy when sampling is seeded here)."""
    gen = copy.deepcopy(model.generation_config)
    gen.max_new_tokens = config.max_new_tokens
    gen.max_length = None
    gen.min_new_tokens = config.min_new_tokens or None
    # 0 overrides a checkpoint's own minimum (BART-CNN sets 56); None avoids a clash warning
    gen.min_length = None if config.min_new_tokens else 0
    gen.num_beams = max(1, config.num_beams)
    gen.num_return_sequences = 1
    gen.repetition_penalty = config.repetition_penalty
    gen.pad_token_id = pad_id
    gen.do_sample = config.do_sample and not seeded_sampling
    gen.temperature = config.temperature if gen.do_sample else None
    gen.top_k = config.top_k if gen.do_sample else None
    gen.top_p = config.top_p if gen.do_sample else None
    gen.use_cache = True
    return gen


def row_seed(seed: int, request_key: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{request_key}".encode()).digest()[:8], "little") >> 1


class SeededSampling(LogitsProcessor):
    """Temperature, top-k, top-p, then per-row Gumbel noise; use with greedy selection."""

    def __init__(self, config: GenerateConfig, seeds: Sequence[int], device):
        self.warpers = []
        if config.temperature != 1.0:
            self.warpers.append(TemperatureLogitsWarper(config.temperature))
        if config.top_k:
            self.warpers.append(TopKLogitsWarper(config.top_k))
        if config.top_p < 1.0:
            self.warpers.append(TopPLogitsWarper(config.top_p))
        self.generators = []
        for seed in seeds:
            generator = torch.Generator(device=device)
            generator.manual_seed(seed)
            self.generators.append(generator)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for warper in self.warpers:
            scores = warper(input_ids, scores)
        uniform = torch.stack([
            torch.rand(scores.shape[1], generator=g, device=scores.device, dtype=torch.float32)
            for g in self.generators])
        tiny = torch.finfo(torch.float32).tiny  # keeps log() finite at u = 0
        exponential = (-torch.log(uniform.clamp_min(tiny))).clamp_min(tiny)
        gumbel = -torch.log(exponential)
        return scores.float() + gumbel


class StopOnStrings(StoppingCriteria):
    """Stops a row once its generated text (not the prompt) contains a stop string."""

    def __init__(self, tokenizer, stops: Sequence[str], start: int, min_new_tokens: int, rows: int):
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        self.start = start  # first generated position in each row
        self.min_new_tokens = min_new_tokens
        # a stop string of n characters spans at most 4n byte-level tokens
        self.window = 4 * max(len(s) for s in self.stops) + 2
        self.stopped_at = [-1] * rows  # generated tokens when the stop string completed

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        generated = input_ids.shape[1] - self.start
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        if generated < max(1, self.min_new_tokens):
            return done
        tails = input_ids[:, max(self.start, input_ids.shape[1] - self.window):].tolist()
        for row, tail in enumerate(tails):
            if self.stopped_at[row] >= 0:
                done[row] = True
            elif any(s in self.tokenizer.decode(tail, skip_special_tokens=True) for s in self.stops):
                self.stopped_at[row] = generated
                done[row] = True
        return done


def finish(tokenizer, generated: torch.Tensor, eos_ids: set[int], stops: Sequence[str],
           stopped_at: Sequence[int] | None = None) -> list[tuple[str, int, str]]:
    """(text, generated tokens, finish reason) per row of generated token ids.

    A row ends at its first end-of-sequence token ("eos"), where a stop string completed
    ("stop"; the text is cut before the first stop string), or at max_new_tokens ("length").
    """
    rows = generated.tolist()
    ends, reasons = [], []
    for row, tokens in enumerate(rows):
        end, reason = len(tokens), "length"
        for position, token in enumerate(tokens):
            if token in eos_ids:
                end, reason = position + 1, "eos"
                break
        if stopped_at is not None and 0 <= stopped_at[row] < end:
            end, reason = stopped_at[row], "stop"
        ends.append(end)
        reasons.append(reason)
    texts = tokenizer.batch_decode([t[:e] for t, e in zip(rows, ends)], skip_special_tokens=True)
    out = []
    for text, end, reason in zip(texts, ends, reasons):
        cuts = [text.find(s) for s in stops if s and s in text]
        if cuts:
            text, reason = text[:min(cuts)], "stop"
        out.append((text, end, reason))
    return out


def run_generate(model, batch, inputs: dict, start: int) -> BatchResult:
    """``network.generate`` on one batch's tensors; rows' generated tokens begin at ``start``.
    The model time is that call alone, synchronized: not moving inputs, nor decoding text."""
    network, config = model.network, batch.config
    seeded = config.do_sample and config.num_beams <= 1
    gen_config = generation_config(network, config, pad_id(model.tokenizer), seeded)
    extra: dict[str, Any] = {}
    if seeded:
        seeds = [row_seed(config.seed, r.key()) for r in batch.requests]
        extra["logits_processor"] = LogitsProcessorList(
            [SeededSampling(config, seeds, network.device)])
    elif config.do_sample:  # beam sampling keeps transformers' sampler: draws depend on the batch
        torch.manual_seed(config.seed)
    stopper = None
    if config.stop and config.num_beams <= 1:
        stopper = StopOnStrings(model.tokenizer, config.stop, start, config.min_new_tokens,
                                len(batch.requests))
        extra["stopping_criteria"] = StoppingCriteriaList([stopper])
    inputs = {k: v.to(network.device, dtype=network.dtype) if v.is_floating_point()
              else v.to(network.device) for k, v in inputs.items()}
    started = time.perf_counter()
    with torch.inference_mode():
        output = network.generate(**inputs, generation_config=gen_config, **extra)
    if network.device.type == "cuda":
        torch.cuda.synchronize(network.device)
    model_s = time.perf_counter() - started
    rows = finish(model.tokenizer, output[:, start:].cpu(), eos_ids(network, model.tokenizer),
                  config.stop, stopper.stopped_at if stopper else None)
    return BatchResult([Generation(example_id=request.example_id, text=text, num_tokens=n,
                                   finish_reason=reason, prompt_tokens=encoded.length,
                                   truncated=encoded.truncated)
                        for request, encoded, (text, n, reason)
                        in zip(batch.requests, batch.encoded, rows)], model_s)
