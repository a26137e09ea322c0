"""SFT (TRL SFTTrainer) and GRPO (TRL GRPOTrainer) for Qwen2.5-VL, with JSON-lines progress and checkpoints."""
from __future__ import annotations

import os
from typing import Optional

from .config import ConfigError, TrainerConfig
from .progress import ProgressCallback, emit


def _bf16(cfg: TrainerConfig) -> bool:
    import torch

    if cfg.bf16 is not None:
        if cfg.bf16 and not (torch.cuda.is_available() and torch.cuda.is_bf16_supported()):
            raise ConfigError("bf16: true needs a GPU with bfloat16 support")
        return cfg.bf16
    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def load_model_and_processor(cfg: TrainerConfig):
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    from .merge import resolve_model

    cfg.model = resolve_model(cfg.model, cfg.output_dir)  # a LoRA checkpoint (LoRA SFT → GRPO): merged into its base
    try:
        mcfg = AutoConfig.from_pretrained(cfg.model)
    except Exception as e:  # noqa: BLE001
        raise ConfigError(f"model: cannot load a model configuration from {cfg.model} ({str(e).splitlines()[0][:200]})") from None
    model_type = type(mcfg).model_type  # the instance attribute may be delegated to its text_config
    if model_type not in ("qwen2_5_vl", "qwen2_vl"):
        raise ConfigError(f"model: {cfg.model} is a {model_type!r} model; the trainer supports qwen2_5_vl and qwen2_vl")
    processor = AutoProcessor.from_pretrained(cfg.model, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels)
    # Keep both spellings of the pixel bounds in sync (transformers reads `size` in recent versions).
    ip = processor.image_processor
    ip.min_pixels, ip.max_pixels = cfg.min_pixels, cfg.max_pixels
    if isinstance(getattr(ip, "size", None), dict):
        ip.size = {"shortest_edge": cfg.min_pixels, "longest_edge": cfg.max_pixels}
    kwargs = {"torch_dtype": torch.bfloat16 if _bf16(cfg) else torch.float32}
    if cfg.attn_implementation:
        kwargs["attn_implementation"] = cfg.attn_implementation
    model = AutoModelForImageTextToText.from_pretrained(cfg.model, **kwargs)
    if cfg.freeze_vision and not cfg.lora.enabled:
        visual = getattr(model, "visual", None) or getattr(getattr(model, "model", None), "visual", None)
        if visual is not None:
            for p in visual.parameters():
                p.requires_grad_(False)
    return model, processor


def _peft_config(cfg: TrainerConfig):
    if not cfg.lora.enabled:
        return None
    from peft import LoraConfig

    return LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                      target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM")


def rollout_args(cfg: TrainerConfig) -> dict:
    """`rollout:` as TRL's GRPOConfig options. Server mode talks to the `trl vllm-serve` the activity started
    ($R1OV_VLLM_URL), or to `rollout.server_url`."""
    r = cfg.rollout
    if r.engine != "vllm":
        return {"use_vllm": False}
    args = {"use_vllm": True, "vllm_mode": r.mode, "vllm_enable_sleep_mode": r.enable_sleep_mode}
    if r.mode == "colocate":
        args.update(vllm_gpu_memory_utilization=r.gpu_memory_utilization, vllm_tensor_parallel_size=r.tensor_parallel_size)
    else:
        args.update(vllm_server_base_url=r.server_url or os.environ.get("R1OV_VLLM_URL") or f"http://127.0.0.1:{r.server_port}",
                    vllm_server_timeout=r.server_timeout_s)
    return args


def _common_args(cfg: TrainerConfig) -> dict:
    bf16 = _bf16(cfg)
    return dict(
        output_dir=cfg.output_dir,
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_ratio=cfg.warmup_ratio,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        seed=cfg.seed,
        bf16=bf16,
        gradient_checkpointing=cfg.gradient_checkpointing,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        logging_strategy="steps",
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=cfg.dataloader_num_workers,
        deepspeed=cfg.deepspeed,
        save_on_each_node=cfg.nodes > 1,  # no shared disk between nodes: each keeps (and uploads) a whole checkpoint
        remove_unused_columns=False,
        use_cpu=not __import__("torch").cuda.is_available(),
    )


def check_resume(path: Optional[str]) -> Optional[str]:
    if path is None:
        return None
    if not os.path.isfile(os.path.join(path, "trainer_state.json")):
        raise ConfigError(f"--resume-from: {path} is not a checkpoint (no trainer_state.json)")
    return path


def latest_checkpoint(output_dir: str) -> Optional[str]:
    if not os.path.isdir(output_dir):
        return None
    cps = [d for d in os.listdir(output_dir) if d.startswith("checkpoint-") and d.split("-")[-1].isdigit()
           and os.path.isfile(os.path.join(output_dir, d, "trainer_state.json"))]
    return os.path.join(output_dir, max(cps, key=lambda d: int(d.split("-")[-1]))) if cps else None


def _vision_token_ids(processor) -> list[list[int]]:
    """Completions must never contain vision placeholders: one more <|image_pad|> than there are image features
    breaks the policy's forward pass ("Image features and image tokens do not match")."""
    tok = processor.tokenizer
    names = ["<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>"]
    ids = [tok.convert_tokens_to_ids(n) for n in names]
    return [[i] for i in ids if isinstance(i, int) and i != tok.unk_token_id and i >= 0]


def run(cfg: TrainerConfig, stage: str, resume_from: Optional[str], stop_after_epoch: Optional[int]) -> dict:
    from .data import load_training_data

    resume = check_resume(resume_from)
    dataset = load_training_data(cfg, stage)
    model, processor = load_model_and_processor(cfg)
    cb = ProgressCallback(stage, stop_after_epoch)
    if stage == "sft":
        from trl import SFTConfig, SFTTrainer

        args = SFTConfig(**_common_args(cfg), max_length=cfg.max_length, completion_only_loss=cfg.completion_only_loss,
                         include_num_input_tokens_seen=True)
        trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=processor,
                             peft_config=_peft_config(cfg), callbacks=[cb])
    else:
        from trl import GRPOConfig, GRPOTrainer

        from .rewards import RewardClient, make_reward_funcs

        client = RewardClient(cfg.reward_url or "", timeout_s=cfg.reward_timeout_s)
        client.health()
        funcs, weights = make_reward_funcs(client, cfg.reward_weights)
        rollout = rollout_args(cfg)
        args = GRPOConfig(
            **_common_args(cfg), num_generations=cfg.num_generations, max_completion_length=cfg.max_completion_length,
            max_prompt_length=cfg.max_prompt_length,
            temperature=cfg.temperature, beta=cfg.beta, epsilon=cfg.epsilon, loss_type=cfg.loss_type,
            num_iterations=cfg.num_iterations, scale_rewards=cfg.scale_rewards,
            mask_truncated_completions=cfg.mask_truncated_completions, reward_weights=weights, **rollout,
            generation_kwargs=None if rollout["use_vllm"] else {"bad_words_ids": _vision_token_ids(processor)},
        )
        trainer = GRPOTrainer(model=model, args=args, train_dataset=dataset, processing_class=processor,
                              reward_funcs=funcs, peft_config=_peft_config(cfg), callbacks=[cb])
    result = trainer.train(resume_from_checkpoint=resume)
    final = cb.last_checkpoint or latest_checkpoint(cfg.output_dir)
    summary = dict(stage=stage, step=trainer.state.global_step, epoch=trainer.state.epoch, checkpoint=final,
                   train_loss=getattr(result, "training_loss", None), resumed_from=resume,
                   stopped_at_epoch=stop_after_epoch if cb.stopped_at_epoch else None)
    if stage == "grpo":
        summary["reward_calls"] = client.calls
    emit("end", **summary)
    return summary
