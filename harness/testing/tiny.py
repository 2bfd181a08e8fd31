"""Tiny random-init checkpoints of the learned metrics' real architectures, in their real formats.

    python -m harness.testing.tiny bertscore FOLDER   # a RoBERTa folder (bert-score's model_type)
    python -m harness.testing.tiny clip FOLDER        # a CLIPModel + CLIPProcessor folder
    python -m harness.testing.tiny comet FOLDER       # COMET's hparams.yaml + checkpoints/model.ckpt
    python -m harness.testing.tiny comet-qe FOLDER    # the reference-free COMET regression model
    python -m harness.testing.tiny cometkiwi FOLDER   # CometKiwi's shape (COMET's unified model)
    python -m harness.testing.tiny cometkiwi-xl FOLDER  # CometKiwi with an XLM-R XL encoder
    python -m harness.testing.tiny xcomet FOLDER      # xCOMET's: XL encoder, error-span head
    python -m harness.testing.tiny metricx FOLDER     # MetricX-24's mT5, a transformers folder

Each is written in the format its reference package loads (``save_pretrained`` with a
tokenizer trained offline on a few sentences; COMET's checkpoint files, see
``tiny_metric_models``), so the harness and the reference load it by path as they would load
``roberta-large``, ``openai/clip-vit-base-patch32`` or ``Unbabel/wmt22-comet-da``. The scores
mean nothing; they check that an installation computes what the reference computes.
``BUILDERS`` maps each name to its builder; a new learned metric adds its own.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

from harness.errors import UsageError, did_you_mean
from harness.testing.tiny_metric_models import build_comet, build_metricx
from harness.testing.tiny_models import (DEFAULT_TEXTS, OneThread, already_built, build_params,
                                         import_libraries, save_model)

ROBERTA_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # roberta-large's ids 0..4
CLIP_SPECIALS = ("<|startoftext|>", "<|endoftext|>")
DIMS = dict(hidden_size=32, num_attention_heads=4, intermediate_size=64)


def build_bertscore(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0,
                    layers: int = 3) -> Path:
    """A RoBERTa encoder with roberta-large's tokenizer format (byte-level BPE, vocab.json
    and merges.txt semantics, ``<s> ... </s>``), saved to ``out_dir``."""
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    params = build_params("bertscore-roberta", texts, seed=seed, layers=layers)
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import torch
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizer

    vocab, merges = _trained_bpe(texts, ROBERTA_SPECIALS)
    tokenizer = RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=512)
    with OneThread():
        torch.manual_seed(seed)
        config = RobertaConfig(vocab_size=len(tokenizer), num_hidden_layers=layers, **DIMS,
                               max_position_embeddings=514, type_vocab_size=1,
                               pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.cls_token_id,
                               eos_token_id=tokenizer.sep_token_id)
        model = RobertaModel(config).eval()
    save_model(model, tokenizer, out_dir, params)
    return out_dir


def build_clip(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0,
               image_size: int = 32) -> Path:
    """A CLIPModel (ViT image tower, text tower, projections) with a CLIPProcessor: CLIP's
    lower-casing BPE with ``</w>`` word ends, 77 text positions, resize and centre crop."""
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    params = build_params("clip", texts, seed=seed, image_size=image_size)
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import torch
    from transformers import (CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor,
                              CLIPTokenizer)

    vocab, merges = _clip_bpe(texts, CLIPTokenizer().backend_tokenizer)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)
    side = {"height": image_size, "width": image_size}
    processor = CLIPProcessor(image_processor=CLIPImageProcessorPil(
        size={"shortest_edge": image_size}, crop_size=side), tokenizer=tokenizer)
    with OneThread():
        torch.manual_seed(seed)
        config = CLIPConfig(
            text_config=dict(vocab_size=len(tokenizer), num_hidden_layers=2, **DIMS,
                             max_position_embeddings=77, bos_token_id=tokenizer.bos_token_id,
                             eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id),
            vision_config=dict(image_size=image_size, patch_size=8, num_hidden_layers=2, **DIMS),
            projection_dim=16)
        model = CLIPModel(config).eval()
    save_model(model, tokenizer, out_dir, params, processor)
    return out_dir


def _trained_bpe(texts: Sequence[str], specials: Sequence[str]):
    """(vocab, merges) of a byte-level BPE trained on ``texts``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=list(specials), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(texts), trainer)
    merges = json.loads(tok.to_str())["model"]["merges"]
    return tok.get_vocab(), [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]


def _clip_bpe(texts: Sequence[str], backend, n_merges: int = 300):
    """(vocab, merges) in CLIP's layout: the byte alphabet, the same with ``</w>``, the merges,
    then the two specials. Learned here because the tokenizers trainer numbers ``</w>``
    symbols in hash order (a different file each build); ties go to the smaller pair."""
    from tokenizers import pre_tokenizers
    words: Counter = Counter()
    for text in texts:
        for word, _ in backend.pre_tokenizer.pre_tokenize_str(backend.normalizer.normalize_str(text)):
            words[(*word[:-1], word[-1] + "</w>")] += 1
    merges = []
    for _ in range(n_merges):
        pairs: Counter = Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merges.append(best)
        words = Counter({_merged(word, best): count for word, count in words.items()})
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = [*alphabet, *(a + "</w>" for a in alphabet), *("".join(m) for m in merges), *CLIP_SPECIALS]
    return {token: i for i, token in enumerate(dict.fromkeys(tokens))}, merges


def _merged(word: tuple, pair: tuple) -> tuple:
    out, i = [], 0
    while i < len(word):
        if word[i:i + 2] == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


BUILDERS: dict[str, Callable[..., Path]] = {
    "bertscore": build_bertscore,
    "clip": build_clip,
    "comet": build_comet,
    "comet-qe": partial(build_comet, kind="qe"),
    "cometkiwi": partial(build_comet, kind="kiwi"),
    "cometkiwi-xl": partial(build_comet, kind="kiwi-xl"),
    "xcomet": partial(build_comet, kind="xcomet"),
    "metricx": build_metricx,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in BUILDERS:
        hint = did_you_mean(args[0], BUILDERS) if args else ""
        print(f"usage: python -m harness.testing.tiny NAME FOLDER{hint}; NAME is one of "
              f"{', '.join(BUILDERS)}", file=sys.stderr)
        return 2
    try:
        folder = BUILDERS[args[0]](args[1])
    except (UsageError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
