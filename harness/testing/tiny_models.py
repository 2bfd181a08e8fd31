"""Small Hugging Face models built offline, for tests, the demo and the benchmarks.

Each ``build_*`` function trains a byte-level BPE tokenizer on the given texts, creates a
seeded random-init model (optionally trained for a few steps so outputs are not pure noise)
and writes both with ``save_pretrained``, so adapters load them through the ordinary
``from_pretrained`` path. Builds are deterministic for a given seed and idempotent: a
directory already holding the same build is returned as is.

Sizes: "tiny" (seconds to build, for tests), "small", and random-init configurations shaped
like public checkpoints for GPU benchmarks ("gpt2-medium-like", "t5-base-like"). The big
sizes keep the public vocabulary size; ids the local tokenizer lacks decode to nothing.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable, Optional, Sequence

from harness.errors import MissingDependency, UsageError, did_you_mean

OnStep = Optional[Callable[[], None]]  # called after every training step (progress)
BUILD_FILE = "harness_build.json"
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")  # ids 0..3 in that order
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2
CHAT_TEMPLATE = ("{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}assistant:{% endif %}")

CAUSAL_SIZES = {  # GPT-2 dimensions
    "tiny": dict(n_embd=64, n_layer=2, n_head=4, n_positions=1024),
    # tiny with 32-wide attention heads, the narrowest vLLM's CPU attention computes
    "tiny-h32": dict(n_embd=64, n_layer=2, n_head=2, n_positions=1024),
    "small": dict(n_embd=256, n_layer=4, n_head=4, n_positions=1024),
    "gpt2-medium-like": dict(n_embd=1024, n_layer=24, n_head=16, n_positions=1024, vocab_size=50257),
}
SEQ2SEQ_SIZES = {  # T5 dimensions
    "tiny": dict(d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4),
    "small": dict(d_model=256, d_kv=32, d_ff=1024, num_layers=4, num_heads=8),
    "t5-base-like": dict(d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12, vocab_size=32128),
}
VISION_SIZES = {  # ViT encoder + GPT-2 decoder
    "tiny": dict(image_size=32, patch_size=8, hidden=64, layers=2, heads=4),
    "small": dict(image_size=64, patch_size=8, hidden=256, layers=4, heads=4),
}

DEFAULT_TEXTS = (
    "The house is small.", "Das Haus ist klein.", "A man rides a bicycle down the street.",
    "Ein Mann fährt mit dem Fahrrad die Straße hinunter.", "Two dogs play in the snow.",
    "Zwei Hunde spielen im Schnee.", "The weather will be sunny tomorrow.",
    "Morgen wird das Wetter sonnig.", "A giraffe stands next to a tree.",
    "Eine Giraffe steht neben einem Baum.", "The council approved the new budget on Friday.",
    "Der Rat hat am Freitag den neuen Haushalt beschlossen.", "A plate of food on a table.",
    "Ein Teller mit Essen auf einem Tisch.", "Police are investigating the accident.",
    "Die Polizei ermittelt zu dem Unfall.", "Translate English to German: good morning",
    "summarize: The company reported higher profits this year than last year.",
)


def default_texts() -> list[str]:
    """A few sentences to train a tokenizer on when the caller has no corpus at hand."""
    return list(DEFAULT_TEXTS)


def import_libraries():
    try:
        import tokenizers  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise MissingDependency(exc.name or "transformers", extra="models",
                                why="to build tiny models") from exc


def build_tokenizer(texts: Sequence[str], *, vocab_size: int = 2000, append_eos: bool = False):
    """A byte-level BPE tokenizer trained on ``texts``, as a PreTrainedTokenizerFast.

    Causal models get ``<s>`` prepended to every input; seq2seq sources get ``</s>``
    appended, as T5's tokenizer does.
    """
    import_libraries()
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIALS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(list(texts), trainer)
    specials = [("<s>", BOS_ID), ("</s>", EOS_ID)]
    single = "$A </s>" if append_eos else "<s> $A"
    tok.post_processor = processors.TemplateProcessing(single=single, pair=f"{single} $B",
                                                       special_tokens=specials)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                      pad_token="<pad>", unk_token="<unk>", model_max_length=1024)
    return wrapped


def already_built(out_dir: Path, params: dict) -> bool:
    marker = out_dir / BUILD_FILE
    return marker.is_file() and json.loads(marker.read_text()) == params


def build_params(kind: str, texts: Sequence[str], **settings) -> dict:
    corpus = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    return {"kind": kind, "texts_sha256": corpus, **settings}


def save_model(model, tokenizer, out_dir: Path, params: dict, processor=None) -> None:
    """Write into a staging folder, then swap it in: a reader never sees half a model, and
    files of an earlier, different build do not linger."""
    import os
    import shutil

    from transformers.utils import logging as hf_logging
    staging = out_dir.with_name(f".{out_dir.name}.building-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if processor is not None:
            processor.save_pretrained(staging)
    finally:
        hf_logging.enable_progress_bar()
    (staging / BUILD_FILE).write_text(json.dumps(params, indent=1, sort_keys=True))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)


def build_causal(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0,
                 size: str = "tiny", train_steps: int = 0, on_step: OnStep = None) -> Path:
    """A GPT-2-architecture decoder-only model with a chat template, saved to ``out_dir``."""
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    dims = _size(CAUSAL_SIZES, size)
    params = build_params("causal", texts, seed=seed, size=size, train_steps=train_steps)
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = build_tokenizer(texts)
    tokenizer.chat_template = CHAT_TEMPLATE
    with OneThread():
        torch.manual_seed(seed)
        config = GPT2Config(**{"vocab_size": len(tokenizer), **dims}, bos_token_id=BOS_ID,
                            eos_token_id=EOS_ID, pad_token_id=PAD_ID)
        model = GPT2LMHeadModel(config)
        model.loss_type = "ForCausalLM"  # the class leaves it unset and warns at training
        set_generation_defaults(model)
        if train_steps:
            train_causal(model, tokenizer, texts, train_steps, seed, on_step)
    save_model(model.eval(), tokenizer, out_dir, params)
    return out_dir


def build_seq2seq(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0,
                  size: str = "tiny", train_steps: int = 0,
                  pairs: Sequence[tuple[str, str]] | None = None, on_step: OnStep = None) -> Path:
    """A T5-architecture encoder-decoder saved to ``out_dir``.

    With ``train_steps``, it is trained on ``pairs`` (source, target), or to copy ``texts``
    when no pairs are given.
    """
    out_dir = Path(out_dir)
    return build_seq2seq_run(out_dir.parent, texts, checkpoints=(train_steps,), seed=seed,
                             size=size, pairs=pairs, on_step=on_step,
                             name=lambda steps: out_dir.name)[0]


def build_seq2seq_run(run_dir: str | Path, texts: Sequence[str] | None = None, *,
                      checkpoints: Sequence[int], seed: int = 0, size: str = "tiny",
                      pairs: Sequence[tuple[str, str]] | None = None, on_step: OnStep = None,
                      name: Callable[[int], str] = "checkpoint-{}".format) -> list[Path]:
    """One training run of ``build_seq2seq``'s model, saved after each number of steps in
    ``checkpoints`` as ``run_dir/checkpoint-N``, the layout a trainer leaves.

    Trained once, to the last checkpoint; each folder equals ``build_seq2seq`` with
    ``train_steps=N`` (same files, same build record: training is seeded and one-threaded,
    and saving draws no random numbers), so either function reuses the other's builds.
    """
    run_dir, texts = Path(run_dir), list(texts or DEFAULT_TEXTS)
    dims = _size(SEQ2SEQ_SIZES, size)
    corpus = texts + [t for pair in pairs or () for t in pair]
    steps = sorted(set(checkpoints))
    folders = {n: run_dir / name(n) for n in steps}
    params = {n: build_params("seq2seq", corpus, seed=seed, size=size, train_steps=n) for n in steps}
    if all(already_built(folders[n], params[n]) for n in steps):
        return [folders[n] for n in steps]
    import_libraries()
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = build_tokenizer(corpus, append_eos=True)
    done = 0

    def after_step() -> None:
        nonlocal done
        done += 1
        if done in folders:
            save_model(model, tokenizer, folders[done], params[done])
        if on_step is not None:
            on_step()

    with OneThread():
        torch.manual_seed(seed)
        config = T5Config(**{"vocab_size": len(tokenizer), **dims}, decoder_start_token_id=PAD_ID,
                          pad_token_id=PAD_ID, eos_token_id=EOS_ID, bos_token_id=BOS_ID)
        model = T5ForConditionalGeneration(config)
        set_generation_defaults(model, decoder_start=PAD_ID)
        if 0 in folders:
            save_model(model.eval(), tokenizer, folders[0], params[0])
        if steps[-1]:
            train_seq2seq(model, tokenizer, list(pairs or zip(texts, texts)), steps[-1], seed,
                          after_step)
    return [folders[n] for n in steps]


def build_vision2seq(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0,
                     size: str = "tiny", train_steps: int = 0,
                     captions: Sequence[tuple[str, str]] = (), on_step: OnStep = None) -> Path:
    """A ViT encoder + GPT-2 decoder (VisionEncoderDecoderModel) with a ViTImageProcessor.

    With ``train_steps``, it is trained on ``captions``: (image path, caption) pairs.
    """
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    dims = _size(VISION_SIZES, size)
    params = build_params("vision2seq", texts + [f"{i}\t{c}" for i, c in captions], seed=seed,
                     size=size, train_steps=train_steps)
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import torch
    from transformers import (GPT2Config, GPT2LMHeadModel, VisionEncoderDecoderModel, ViTConfig,
                              ViTImageProcessorPil, ViTModel)

    tokenizer = build_tokenizer(texts)
    torch.manual_seed(seed)
    encoder = ViTModel(ViTConfig(image_size=dims["image_size"], patch_size=dims["patch_size"],
                                 hidden_size=dims["hidden"], num_hidden_layers=dims["layers"],
                                 num_attention_heads=dims["heads"],
                                 intermediate_size=4 * dims["hidden"]))
    decoder = GPT2LMHeadModel(GPT2Config(
        vocab_size=len(tokenizer), n_embd=dims["hidden"], n_layer=dims["layers"],
        n_head=dims["heads"], n_positions=256, add_cross_attention=True, is_decoder=True,
        bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID))
    model = VisionEncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config.decoder_start_token_id = BOS_ID
    model.config.pad_token_id = PAD_ID
    model.config.eos_token_id = EOS_ID
    set_generation_defaults(model, decoder_start=BOS_ID)
    side = dims["image_size"]
    processor = ViTImageProcessorPil(size={"height": side, "width": side})
    if train_steps and captions:
        with OneThread():
            train_vision2seq(model, tokenizer, processor, captions, train_steps, seed,
                             on_step=on_step)
    save_model(model.eval(), tokenizer, out_dir, params, processor)
    return out_dir


class OneThread:
    """Builds run single-threaded: the same floating-point sums on every machine (so the same
    files), and no stalls when other processes share the cores (measured: 3.6 s with one
    thread against 3.7-25 s with two on a busy 2-core machine)."""

    def __enter__(self):
        import torch
        self.before = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        import torch
        torch.set_num_threads(self.before)


def _size(table: dict, size: str) -> dict:
    if size not in table:
        raise UsageError(f"unknown model size {size!r}{did_you_mean(size, table)}; "
                         f"sizes: {', '.join(table)}")
    return dict(table[size])


def set_generation_defaults(model, decoder_start: int | None = None) -> None:
    # saved with the model so plain `model.generate` (the benchmark's baselines) behaves
    # like the harness: no sampling and no length limit beyond what the caller asks
    gen = model.generation_config
    gen.bos_token_id, gen.eos_token_id, gen.pad_token_id = BOS_ID, EOS_ID, PAD_ID
    if decoder_start is not None:
        gen.decoder_start_token_id = decoder_start


def train_causal(model, tokenizer, texts: Sequence[str], steps: int, seed: int,
                 on_step: OnStep = None) -> None:
    """A few AdamW steps of next-token prediction over ``texts``, so outputs look like words."""
    import torch

    # the end-of-sequence token is appended so the model learns to stop
    batches = _batches(tokenizer, [t + tokenizer.eos_token for t in texts], seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(steps):
        enc = batches[step % len(batches)]
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        loss = model(**enc, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if on_step is not None:
            on_step()


def train_seq2seq(model, tokenizer, pairs: Sequence[tuple[str, str]], steps: int, seed: int,
                  on_step: OnStep = None) -> None:
    """A few AdamW steps on (source, target) pairs."""
    import torch
    sources = _batches(tokenizer, [s for s, _ in pairs], seed)
    targets = _batches(tokenizer, [t for _, t in pairs], seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(steps):
        src, tgt = sources[step % len(sources)], targets[step % len(targets)]
        labels = tgt["input_ids"].masked_fill(tgt["attention_mask"] == 0, -100)
        loss = model(**src, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if on_step is not None:
            on_step()


def train_vision2seq(model, tokenizer, processor, captions: Sequence[tuple[str, str]],
                     steps: int, seed: int, batch_size: int = 16, on_step: OnStep = None) -> None:
    """A few AdamW steps on (image path, caption) pairs."""
    import random

    import torch
    from PIL import Image

    pixels = {path: processor(Image.open(path).convert("RGB"), return_tensors="pt")["pixel_values"][0]
              for path in sorted({p for p, _ in captions})}
    order = list(range(len(captions)))
    random.Random(seed).shuffle(order)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(steps):
        start = (step * batch_size) % len(order)
        chunk = [captions[i] for i in (order[start:] + order[:start])[:batch_size]]
        enc = tokenizer([c + tokenizer.eos_token for _, c in chunk], return_tensors="pt",
                        padding=True, truncation=True, max_length=32)
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        batch_pixels = torch.stack([pixels[p] for p, _ in chunk])
        loss = model(pixel_values=batch_pixels, labels=labels,
                     decoder_attention_mask=enc["attention_mask"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if on_step is not None:
            on_step()


def _batches(tokenizer, texts: Sequence[str], seed: int, batch_size: int = 16) -> list:
    import random
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)  # the same order for sources and targets: pairs stay aligned
    out = []
    for start in range(0, len(order), batch_size):
        chunk = [texts[i] for i in order[start:start + batch_size]]
        out.append(dict(tokenizer(chunk, return_tensors="pt", padding=True, truncation=True,
                                  max_length=64)))
    return out


def build_all(root: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0,
              train_steps: int = 150) -> dict[str, Path]:
    """The three tiny models under ``root`` (causal and seq2seq trained briefly on ``texts``,
    so they finish sentences and stop with an end-of-sequence token)."""
    root = Path(root)
    return {"causal": build_causal(root / "causal", texts, seed=seed, train_steps=train_steps // 2),
            "seq2seq": build_seq2seq(root / "seq2seq", texts, seed=seed, train_steps=train_steps),
            "vision2seq": build_vision2seq(root / "vision2seq", texts, seed=seed)}
