"""Tiny random-initialized checkpoints of the learned translation metrics, in their real formats.

``build_comet`` writes what unbabel-comet's ``load_from_checkpoint`` reads: ``hparams.yaml``
and ``checkpoints/model.ckpt`` (a Lightning checkpoint whose state dict holds the encoder
under ``encoder.model.``, the layer mix and the estimator), with the encoder's config and an
XLM-R-format tokenizer in ``encoder/``, which ``pretrained_model`` names (COMET reads the
config and tokenizer from there, the weights from the checkpoint). ``build_metricx`` writes a
transformers folder of MetricX-24's architecture: an mT5 encoder-decoder whose first decoder
step's logit of one vocabulary entry is the score, its output layer untied from its input
embeddings as in Google's checkpoints.

The weights are seeded random, so scores mean nothing; they exist so that the harness and the
reference implementations can be run on the same model and compared number for number.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from harness.testing.tiny_models import (DEFAULT_TEXTS, OneThread, already_built, build_params,
                                         import_libraries)

# XLM-R's special tokens, in its vocabulary's order
XLMR_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
COMET_SIZES = {  # XLM-R encoder dimensions and the estimator's hidden sizes
    "tiny": (dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                  max_position_embeddings=514), [48, 16]),
    # wmt22-comet-da's own (xlm-roberta-large) but the vocabulary: for GPU timings
    "large-like": (dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                        intermediate_size=4096, max_position_embeddings=514), [3072, 1024]),
}
# wmt22-comet-da's head and layer mix
COMET_HPARAMS = dict(
    activations="Tanh", batch_size=16, class_identifier="regression_metric", dropout=0.1,
    encoder_learning_rate=1.0e-06, encoder_model="XLM-RoBERTa", final_activation=None,
    keep_embeddings_frozen=True, layer="mix", layer_norm=False,
    layer_transformation="sparsemax", layerwise_decay=0.95, learning_rate=1.5e-05,
    load_pretrained_weights=False, loss="mse", nr_frozen_epochs=0.3, optimizer="AdamW",
    pool="avg", train_data=[], validation_data=[], warmup_steps=0)
METRICX_SIZE = dict(d_model=16, d_kv=8, d_ff=32, num_layers=2, num_decoder_layers=1, num_heads=2)
METRICX_SCORE_ID = 250089  # <extra_id_10> of mT5's 250,112-entry vocabulary: the score's logit


def xlmr_tokenizer(texts: Sequence[str], vocab_size: int = 1000):
    """A SentencePiece-style Unigram tokenizer with XLM-R's specials, template and class."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import XLMRobertaTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=[*XLMR_SPECIALS],
                                      unk_token="<unk>", show_progress=False)
    tok.train_from_iterator(list(texts), trainer)
    tok.add_special_tokens(["<mask>"])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)])
    return XLMRobertaTokenizerFast(tokenizer_object=tok, model_max_length=512)


def _layer_weights(n: int, generator) -> list[float]:
    import torch
    # spread so that sparsemax keeps some layers and zeroes others, as trained mixes do
    return (torch.randn(n, generator=generator) * 0.6).tolist()


# the COMET model kinds: class_identifier, input width of the estimator in encoder widths,
# and what the hparams add
COMET_KINDS = {
    "da": ("regression_metric", 6, {}),  # wmt22-comet-da
    "qe": ("referenceless_regression_metric", 4, {}),  # wmt20/21-comet-qe-da
    # CometKiwi (wmt22-cometkiwi-da): translation and source read as one sequence, the first
    # token's mixed (and layer-normed) embedding scored
    "kiwi": ("unified_metric", 1, dict(input_segments=["mt", "src"], word_level_training=False,
                                       sent_layer="mix", layer_norm=True, word_layer=2,
                                       loss_lambda=0.65, error_labels=["minor", "major"])),
}
# the same with XLM-R XL's encoder (pre-layer-norm blocks): wmt23-cometkiwi-da-xl's shape
COMET_KINDS["kiwi-xl"] = ("unified_metric", 1, dict(COMET_KINDS["kiwi"][2], encoder_model="XLM-RoBERTa-XL"))
# xCOMET (XCOMET-XL's shape): mt+src, mt+ref and mt+src+ref regressions, and a word-level head
# tagging error spans by severity
COMET_KINDS["xcomet"] = ("xcomet_metric", 1, dict(
    encoder_model="XLM-RoBERTa-XL", sent_layer="mix", layer_norm=True, word_layer=2,
    word_level_training=True, error_labels=["minor", "major", "critical"], loss_lambda=0.055))


def build_comet(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0,
                kind: str = "da", size: str = "tiny") -> Path:
    """A COMET checkpoint of one of ``COMET_KINDS`` with a tiny XLM-R encoder, loadable by
    unbabel-comet and the harness."""
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    params = build_params("comet", texts, seed=seed, comet_kind=kind, size=size)
    class_identifier, width, extra = COMET_KINDS[kind]
    dims, hidden_sizes = COMET_SIZES[size]
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import torch
    import yaml
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaXLConfig, XLMRobertaXLModel

    encoder_dir = (out_dir / "encoder").resolve()
    tokenizer = xlmr_tokenizer(texts)
    with OneThread():
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        xl = extra.get("encoder_model") == "XLM-RoBERTa-XL"
        config = (XLMRobertaXLConfig if xl else XLMRobertaConfig)(
            vocab_size=len(tokenizer), pad_token_id=1, bos_token_id=0, eos_token_id=2, **dims)
        encoder = (XLMRobertaXLModel if xl else XLMRobertaModel)(config, add_pooling_layer=False)
        state = {f"encoder.model.{k}": v for k, v in encoder.state_dict().items()}
        n_layers = config.num_hidden_layers + 1  # the embeddings count as a layer
        for i, w in enumerate(_layer_weights(n_layers, generator)):
            state[f"layerwise_attention.scalar_parameters.{i}"] = torch.tensor([w])
        gamma = 1.0 + 0.1 * torch.randn(1, generator=generator).item()
        state["layerwise_attention.gamma"] = torch.tensor([gamma])
        hparams = dict(COMET_HPARAMS, pretrained_model=str(encoder_dir), hidden_sizes=hidden_sizes)
        hparams.update(extra, class_identifier=class_identifier)
        if class_identifier != "regression_metric" and "sent_layer" in extra:
            del hparams["layer"], hparams["pool"]  # named sent_layer; the first token is pooled
        sizes = [config.hidden_size * width, *hparams["hidden_sizes"], 1]
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layer = torch.nn.Linear(fan_in, fan_out)
            state[f"estimator.ff.{3 * i}.weight"] = layer.weight.detach().clone()
            state[f"estimator.ff.{3 * i}.bias"] = layer.bias.detach().clone()
        if extra.get("word_level_training"):  # O and one I-<severity> label per error label
            tagger = torch.nn.Linear(config.hidden_size, 1 + len(extra["error_labels"]))
            state["hidden2tag.weight"] = tagger.weight.detach()
            state["hidden2tag.bias"] = tagger.bias.detach()
    out_dir.mkdir(parents=True, exist_ok=True)
    encoder_dir.mkdir(exist_ok=True)
    config.save_pretrained(encoder_dir)
    tokenizer.save_pretrained(encoder_dir)
    (out_dir / "checkpoints").mkdir(exist_ok=True)
    # the keys Lightning's load_from_checkpoint reads (it migrates a checkpoint by its version)
    torch.save({"state_dict": state, "hyper_parameters": hparams, "epoch": 0, "global_step": 0,
                "pytorch-lightning_version": "1.9.5"}, out_dir / "checkpoints" / "model.ckpt")
    (out_dir / "hparams.yaml").write_text(yaml.safe_dump(hparams, sort_keys=True))
    (out_dir / "harness_build.json").write_text(json.dumps(params, indent=1, sort_keys=True))
    return out_dir


def build_metricx(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0) -> Path:
    """A MetricX-24-architecture checkpoint: mT5 weights with an output layer of their own
    (``lm_head.weight``, untied from the input embeddings, as Google's checkpoints have it) and
    a tiny mT5-format tokenizer."""
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    params = build_params("metricx", texts, seed=seed)
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import shutil

    import torch
    from safetensors.torch import load_file, save_file
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import MT5Config, MT5Model, T5TokenizerFast

    # mT5's vocabulary starts <pad>, </s>, <unk>; its tokenizer appends </s> to every input
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(texts, trainers.UnigramTrainer(
        vocab_size=1000, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>",
        show_progress=False))
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", 1)])
    tokenizer = T5TokenizerFast(tokenizer_object=tok, extra_ids=0, model_max_length=1536)
    with OneThread():
        torch.manual_seed(seed)
        # the vocabulary keeps a real checkpoint's size, so the score's logit is where MetricX
        # reads it; the tokenizer uses only its first entries
        config = MT5Config(vocab_size=250112, decoder_start_token_id=0, pad_token_id=0,
                           eos_token_id=1, **METRICX_SIZE)
        model = MT5Model(config).eval()
        lm_head = torch.randn(config.vocab_size, config.d_model) * config.d_model ** -0.5
        lm_head[METRICX_SCORE_ID] = _spread_scores(model, tokenizer, texts)
    staging = out_dir.with_name(f".{out_dir.name}.building")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    weights = load_file(staging / "model.safetensors")
    weights["lm_head.weight"] = lm_head.contiguous()
    save_file(weights, staging / "model.safetensors", metadata={"format": "pt"})
    config_file = staging / "config.json"
    saved = json.loads(config_file.read_text())
    # as Google's checkpoints declare it (transformers 5 writes true for every mT5)
    saved.update(tie_word_embeddings=False, architectures=["MT5ForConditionalGeneration"])
    config_file.write_text(json.dumps(saved, indent=2, sort_keys=True))
    (staging / "harness_build.json").write_text(json.dumps(params, indent=1, sort_keys=True))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    return out_dir


def _spread_scores(model, tokenizer, texts: Sequence[str]):
    """The score's row of the output layer, set so that the texts' raw scores spread over about
    -10..35: some clipped at 0, some at 25, most between, as a test of MetricX needs."""
    import torch
    enc = tokenizer(list(texts), return_tensors="pt", padding=True)
    with torch.no_grad():
        start = torch.zeros((len(texts), 1), dtype=torch.long)
        hidden = model(**enc, decoder_input_ids=start).last_hidden_state[:, 0]
        mean = hidden.mean(0)
        _, _, directions = torch.linalg.svd(hidden - mean, full_matrices=False)
        spread = (hidden - mean) @ directions[0]
        return 12 * mean / mean.dot(mean) + 12 * directions[0] / spread.std()
