"""A tiny, randomly initialised Qwen2.5-VL (architecture of the real one, a few hundred thousand weights) and its
processor, built entirely offline: a byte-level BPE tokenizer trained on a corpus the caller gives, Qwen2-VL's
special tokens and chat template, the Qwen2-VL image/video processors. Used by CI (CPU) and the GPU smoke runs
(`--size 3b` builds a real-size 3B configuration, random weights, same tokenizer)."""
from __future__ import annotations

import argparse
import json
import os
from typing import Iterable

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
           "<|image_pad|>", "<|video_pad|>", "<|box_start|>", "<|box_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
           "<|quad_start|>", "<|quad_end|>"]
MARKUP = ["<think>", "</think>", "<answer>", "</answer>", "\\boxed"]

# Qwen2-VL's chat template (vision parts become <|vision_start|><|image_pad|><|vision_end|>).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

SIZES = {
    # hidden, layers, heads, kv heads, intermediate, vision depth, vision hidden, vision heads, vision intermediate
    "tiny": dict(hidden=64, layers=2, heads=4, kv=2, inter=128, vdepth=2, vhidden=32, vheads=2, vinter=64),
    "3b": dict(hidden=2048, layers=36, heads=16, kv=2, inter=11008, vdepth=32, vhidden=1280, vheads=16, vinter=3420),
}


def build_tokenizer(corpus: Iterable[str], vocab_size: int = 1024):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(list(corpus) + MARKUP * 20, trainer=trainer)
    fast = Qwen2TokenizerFast(tokenizer_object=tok, unk_token=None, bos_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   additional_special_tokens=SPECIAL[1:], model_max_length=32768)
    fast.padding_side = "left"
    return fast


def build(out_dir: str, corpus: Iterable[str], size: str = "tiny", seed: int = 0) -> str:
    import torch
    from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor,
                              Qwen2VLImageProcessor)
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    torch.manual_seed(seed)
    s = SIZES[size]
    tok = build_tokenizer(corpus)
    tok.chat_template = CHAT_TEMPLATE
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIAL}
    head_dim = s["hidden"] // s["heads"]
    half = head_dim // 2
    t = half // 4  # temporal / height / width rotary sections: Qwen2.5-VL's [16, 24, 24] for head_dim 128
    mrope = [t, (half - t) // 2, half - t - (half - t) // 2]
    cfg = Qwen2_5_VLConfig(
        text_config=dict(
            vocab_size=len(tok), hidden_size=s["hidden"], num_hidden_layers=s["layers"], num_attention_heads=s["heads"],
            num_key_value_heads=s["kv"], intermediate_size=s["inter"], max_position_embeddings=32768,
            rope_scaling={"type": "mrope", "mrope_section": mrope}, tie_word_embeddings=size == "tiny",
            bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"],
        ),
        vision_config=dict(
            depth=s["vdepth"], hidden_size=s["vhidden"], num_heads=s["vheads"], intermediate_size=s["vinter"],
            out_hidden_size=s["hidden"], patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
            window_size=112, fullatt_block_indexes=[s["vdepth"] - 1] if size == "tiny" else [7, 15, 23, 31],
        ),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"],
        tie_word_embeddings=size == "tiny",
    )
    model = Qwen2_5_VLForConditionalGeneration(cfg)
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    image_processor = Qwen2VLImageProcessor(min_pixels=3136, max_pixels=12845056, patch_size=14, merge_size=2, temporal_patch_size=2)
    video_processor = Qwen2VLVideoProcessor()
    processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tok, video_processor=video_processor,
                                    chat_template=CHAT_TEMPLATE)
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    processor.save_pretrained(out_dir)
    return out_dir


def corpus_from_data(path: str, limit: int = 2000) -> list[str]:
    from .data import load_dataset_file

    ds = load_dataset_file(path)
    texts: list[str] = []
    for row in ds.select(range(min(limit, len(ds)))):
        for col in ("prompt", "completion", "messages"):
            for m in row.get(col) or []:
                c = m["content"]
                texts.extend([p.get("text") or "" for p in c] if isinstance(c, list) else [c])
    return texts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m r1ov_trainer make-tiny", description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", help="an export whose texts train the tokenizer (default: a built-in sentence)")
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    a = ap.parse_args(argv)
    corpus = corpus_from_data(a.data) if a.data else ["The answer is \\boxed{42}. <think> reasoning </think> <answer> A </answer>"]
    build(a.out, corpus, a.size)
    print(json.dumps({"model": a.out, "size": a.size}))
