"""Tiny random-init vision-language models built offline, for the ``hf-vlm`` tests: BLIP and
BLIP-2 (image + text prefix) and LLaVA (a CLIP vision tower, a Llama decoder and a chat template with an
``<image>`` turn), each saved with its processor so ``AutoProcessor`` and
``AutoModelForImageTextToText`` load them as they load hub checkpoints. Builds share
``harness.testing.tiny_models``' tokenizer, staging and idempotence.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from harness.testing.tiny_models import (BOS_ID, DEFAULT_TEXTS, EOS_ID, PAD_ID, OneThread,
                                         already_built, build_params, build_tokenizer,
                                         import_libraries, save_model, set_generation_defaults)

VLM_CHAT_TEMPLATE = (  # content is a string or a list of {"type": "image"} / {"type": "text"} parts
    "{% for m in messages %}<s>{{ m['role'] }}: {% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>{% else %}"
    "{{ c['text'] }}{% endif %}{% endfor %}{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}")
BLIP_INIT = 0.5
VLM_DIMS = dict(image_size=32, patch_size=8, hidden=32, layers=2, heads=4)


def _vision_kwargs(**extra) -> dict:
    d = VLM_DIMS
    return dict(image_size=d["image_size"], patch_size=d["patch_size"], hidden_size=d["hidden"],
                num_hidden_layers=d["layers"], num_attention_heads=d["heads"],
                intermediate_size=2 * d["hidden"], **extra)


def build_blip(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0) -> Path:
    """A random-init BLIP captioner (BlipForConditionalGeneration + BlipProcessor): the image
    and an optional text prefix ("a picture of") the decoder continues."""
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    params = build_params("blip", texts, seed=seed, **VLM_DIMS)
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import torch
    from tokenizers import processors
    from transformers import (BlipConfig, BlipForConditionalGeneration, BlipImageProcessorPil,
                              BlipProcessor)

    tokenizer = build_tokenizer(texts)
    # BLIP's generate swaps the first token for its bos and drops the last (BERT's [SEP])
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", BOS_ID), ("</s>", EOS_ID)])
    d = VLM_DIMS
    with OneThread():
        torch.manual_seed(seed)
        config = BlipConfig(
            # at the usual 0.02 init a tiny decoder barely hears the image (one caption for
            # every picture): larger weights make captions differ, so tests can tell them apart
            vision_config=_vision_kwargs(initializer_range=BLIP_INIT),
            text_config=dict(vocab_size=len(tokenizer), hidden_size=d["hidden"],
                             initializer_range=BLIP_INIT,
                             num_hidden_layers=d["layers"], num_attention_heads=d["heads"],
                             intermediate_size=2 * d["hidden"], encoder_hidden_size=d["hidden"],
                             bos_token_id=BOS_ID, eos_token_id=EOS_ID, sep_token_id=EOS_ID,
                             pad_token_id=PAD_ID, max_position_embeddings=128),
            image_text_hidden_size=d["hidden"], projection_dim=d["hidden"], initializer_range=BLIP_INIT)
        model = BlipForConditionalGeneration(config)
        set_generation_defaults(model)
    side = d["image_size"]
    image_processor = BlipImageProcessorPil(size={"height": side, "width": side})
    processor = BlipProcessor(image_processor=image_processor, tokenizer=tokenizer)
    save_model(model.eval(), tokenizer, out_dir, params, processor)
    return out_dir


def build_llava(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0) -> Path:
    """A random-init LLaVA (CLIP vision tower + Llama decoder) with a LlavaProcessor whose
    chat template puts an ``<image>`` turn before the instruction."""
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    params = build_params("llava", texts, seed=seed, **VLM_DIMS)
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import torch
    from transformers import (CLIPImageProcessorPil, LlavaConfig, LlavaForConditionalGeneration,
                              LlavaProcessor)

    tokenizer = build_tokenizer(texts)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    tokenizer.chat_template = VLM_CHAT_TEMPLATE
    tokenizer.padding_side = "left"
    d = VLM_DIMS
    with OneThread():
        torch.manual_seed(seed)
        config = LlavaConfig(
            vision_config=dict(model_type="clip_vision_model", **_vision_kwargs(),
                               projection_dim=d["hidden"]),
            text_config=dict(model_type="llama", vocab_size=len(tokenizer), hidden_size=d["hidden"],
                             num_hidden_layers=d["layers"], num_attention_heads=d["heads"],
                             num_key_value_heads=d["heads"], intermediate_size=2 * d["hidden"],
                             max_position_embeddings=256, bos_token_id=BOS_ID,
                             eos_token_id=EOS_ID, pad_token_id=PAD_ID),
            image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
            vision_feature_layer=-1, vision_feature_select_strategy="default")
        model = LlavaForConditionalGeneration(config)
        set_generation_defaults(model)
    side = d["image_size"]
    image_processor = CLIPImageProcessorPil(size={"shortest_edge": side},
                                         crop_size={"height": side, "width": side})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer,
                               patch_size=d["patch_size"], vision_feature_select_strategy="default",
                               chat_template=VLM_CHAT_TEMPLATE, image_token="<image>",
                               num_additional_image_tokens=1)
    save_model(model.eval(), tokenizer, out_dir, params, processor)
    return out_dir


def build_blip2(out_dir: str | Path, texts: Sequence[str] | None = None, *, seed: int = 0) -> Path:
    """A random-init BLIP-2 (vision tower, Q-Former, OPT decoder) with a Blip2Processor: the
    image becomes ``num_query_tokens`` ``<image>`` tokens before the optional text prefix."""
    out_dir, texts = Path(out_dir), list(texts or DEFAULT_TEXTS)
    params = build_params("blip2", texts, seed=seed, **VLM_DIMS)
    if already_built(out_dir, params):
        return out_dir
    import_libraries()
    import torch
    from transformers import (Blip2Config, Blip2ForConditionalGeneration, Blip2Processor,
                              BlipImageProcessorPil)

    tokenizer = build_tokenizer(texts)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    d, queries = VLM_DIMS, 4
    with OneThread():
        torch.manual_seed(seed)
        config = Blip2Config(
            vision_config=_vision_kwargs(initializer_range=BLIP_INIT),
            qformer_config=dict(hidden_size=d["hidden"], num_hidden_layers=d["layers"],
                                num_attention_heads=d["heads"], intermediate_size=2 * d["hidden"],
                                encoder_hidden_size=d["hidden"], vocab_size=len(tokenizer),
                                initializer_range=BLIP_INIT),
            text_config=dict(model_type="opt", vocab_size=len(tokenizer), hidden_size=d["hidden"],
                             num_hidden_layers=d["layers"], ffn_dim=2 * d["hidden"],
                             num_attention_heads=d["heads"], word_embed_proj_dim=d["hidden"],
                             max_position_embeddings=128, init_std=BLIP_INIT, bos_token_id=BOS_ID,
                             eos_token_id=EOS_ID, pad_token_id=PAD_ID),
            num_query_tokens=queries, image_token_index=tokenizer.convert_tokens_to_ids("<image>"))
        model = Blip2ForConditionalGeneration(config)
        set_generation_defaults(model)
    side = d["image_size"]
    processor = Blip2Processor(image_processor=BlipImageProcessorPil(size={"height": side, "width": side}),
                               tokenizer=tokenizer, num_query_tokens=queries)
    save_model(model.eval(), tokenizer, out_dir, params, processor)
    return out_dir
