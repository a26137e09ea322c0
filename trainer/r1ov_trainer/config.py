"""Trainer configuration: one JSON or YAML file per stage, validated before anything heavy is imported.

The same fields are validated on the TypeScript side by `schemas/train.ts` (the activity hands this file over
unchanged). Unknown keys are errors, so a typo never silently falls back to a default.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field, fields
from typing import Any, Optional


class ConfigError(Exception):
    """Bad configuration or data: the CLI prints one line and exits 2 (the activity fails non-retryably)."""


STAGES = ("sft", "grpo")
LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo")
REWARDS = ("accuracy", "format", "iou")
ENGINES = ("transformers", "vllm")
VLLM_MODES = ("colocate", "server")
# Qwen2.5-VL: one visual token per 28 × 28 pixels (14-pixel patches, 2 × 2 merged).
PIXELS_PER_VISUAL_TOKEN = 28 * 28
# Visual tokens a device may hold in one step (per_device_batch_size × max_pixels / 784): above this the vision
# tower's activations alone outgrow an 80 GB GPU for a 7B model (a guard against a max_pixels typo, not a fit).
MAX_VISUAL_TOKENS_PER_DEVICE = 65536
# GRPO after SFT: completions shorter than this fraction of the SFT length cut the traces SFT taught mid-way, the
# <answer> never arrives and the format reward collapses.
MIN_COMPLETION_FRACTION_OF_SFT_LENGTH = 0.25


@dataclass
class LoraConfig:
    enabled: bool = False
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])


@dataclass
class RolloutConfig:
    """How GRPO generates its completions: `transformers` (model.generate, the slow path) or vLLM, inside the
    training processes (`colocate`) or as a `trl vllm-serve` server the GPU activity starts (`server`)."""
    engine: str = "transformers"
    mode: str = "colocate"
    gpu_memory_utilization: float = 0.3
    tensor_parallel_size: int = 1
    # server mode: the activity starts the server here and sets R1OV_VLLM_URL; server_url points at one already up
    server_url: Optional[str] = None
    server_port: int = 8000
    server_timeout_s: float = 240.0
    enable_sleep_mode: bool = False


@dataclass
class TrainerConfig:
    model: str
    data: str
    output_dir: str
    stage: Optional[str] = None
    name: Optional[str] = None
    # schedule
    epochs: float = 1.0
    max_steps: int = -1
    per_device_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    learning_rate: float = 1e-5
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.05
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    max_samples: Optional[int] = None
    # precision and memory
    bf16: Optional[bool] = None  # None: bf16 when a GPU supports it
    gradient_checkpointing: bool = False
    freeze_vision: bool = True
    attn_implementation: Optional[str] = None  # e.g. "flash_attention_2" on GPUs
    deepspeed: Optional[str] = None
    num_processes: int = 1  # > 1: the activity launches torch.distributed.run with this many processes (GPUs)
    # several machines: nodes × num_processes ranks, rendezvous at rdzv_endpoint (host:port of node 0)
    nodes: int = 1
    node_rank: Optional[int] = None  # None: the worker's $R1OV_NODE_RANK (an indexed Job's completion index)
    rdzv_endpoint: Optional[str] = None
    lora: LoraConfig = field(default_factory=LoraConfig)
    # images (Qwen2.5-VL processor bounds)
    min_pixels: int = 3136
    max_pixels: int = 401408
    # checkpoints and logs
    save_steps: int = 100
    save_total_limit: Optional[int] = 3
    logging_steps: int = 1
    dataloader_num_workers: int = 0
    # SFT
    max_length: Optional[int] = None  # None: never truncate (image tokens must not be cut)
    completion_only_loss: bool = True
    # GRPO
    # None: prompts are never truncated. TRL's default (512) cuts <|image_pad|> tokens out of any prompt whose image
    # has more visual tokens than that (401,408 pixels = 512), and the forward pass then fails.
    max_prompt_length: Optional[int] = None
    num_generations: int = 8
    max_completion_length: int = 256
    temperature: float = 1.0
    beta: float = 0.04
    epsilon: float = 0.2
    loss_type: str = "grpo"
    num_iterations: int = 1
    scale_rewards: bool = True
    mask_truncated_completions: bool = False
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    reward_url: Optional[str] = None  # default $R1OV_REWARD_URL
    reward_weights: dict[str, float] = field(default_factory=lambda: {"accuracy": 1.0, "format": 1.0, "iou": 1.0})
    reward_timeout_s: float = 60.0


def _host_port(endpoint: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9.\-_\[\]:]+:[0-9]{1,5}", endpoint) is not None


def _check_type(name: str, value: Any, default: Any) -> None:
    if value is None or default is None:
        return
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:
        ok = True
    if not ok:
        raise ConfigError(f"{name}: expected {type(default).__name__}, got {json.dumps(value)}")


def _build(cls, raw: dict, prefix: str = ""):
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix or 'config'}: expected a mapping")
    known = {f.name: f for f in fields(cls)}
    if cls is TrainerConfig and "use_vllm" in raw:
        raise ConfigError("use_vllm: replaced by rollout: {engine: vllm, mode: colocate|server}")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}: unknown key (known: {', '.join(sorted(known))})")
    kwargs = {}
    for name, f in known.items():
        if name not in raw:
            continue
        value = raw[name]
        if name == "lora":
            value = _build(LoraConfig, value or {}, prefix=f"{prefix}lora.")
        elif name == "rollout":
            value = _build(RolloutConfig, value or {}, prefix=f"{prefix}rollout.")
        else:
            from dataclasses import MISSING

            default = None if f.default is MISSING else f.default
            if isinstance(default, float) and isinstance(value, str):  # YAML 1.1 reads "1e-5" as a string
                try:
                    value = float(value)
                except ValueError:
                    pass
            _check_type(prefix + name, value, default)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"{prefix or 'config'}: {e}") from None


def _read(path: str) -> dict:
    if not os.path.isfile(path):
        raise ConfigError(f"config: no such file: {path}")
    text = open(path, encoding="utf-8").read()
    try:
        if path.endswith((".yaml", ".yml")):
            import yaml

            raw = yaml.safe_load(text)
        else:
            raw = json.loads(text)
    except Exception as e:  # noqa: BLE001 - any parse error is a config error
        raise ConfigError(f"config: {path}: not valid {'YAML' if path.endswith(('.yaml', '.yml')) else 'JSON'} ({str(e).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config: {path}: expected a mapping at the top level")
    return raw


def load_config(path: str, stage: str) -> TrainerConfig:
    raw = _read(path)
    # A pipeline file (`sft:` / `grpo:` sections) is accepted too: take this stage's section.
    sft_section = raw.get("sft") if isinstance(raw.get("sft"), dict) else None
    if stage in raw and isinstance(raw[stage], dict):
        raw = {**raw[stage], **({"name": raw["name"]} if "name" in raw and "name" not in raw[stage] else {})}
    for required in ("model", "data", "output_dir"):
        if required not in raw:
            raise ConfigError(f"{required}: required")
    cfg = _build(TrainerConfig, raw)
    validate(cfg, stage)
    if stage == "grpo" and sft_section is not None:
        check_completion_length(cfg, sft_section.get("max_length"))
    return cfg


def check_completion_length(grpo: TrainerConfig, sft_max_length: Optional[int]) -> None:
    """GRPO after SFT: the completion budget must hold the traces SFT taught (schemas/train.ts checks the same)."""
    if not sft_max_length:
        return
    need = math.ceil(sft_max_length * MIN_COMPLETION_FRACTION_OF_SFT_LENGTH)
    if grpo.max_completion_length < need:
        raise ConfigError(
            f"max_completion_length ({grpo.max_completion_length}) is below {MIN_COMPLETION_FRACTION_OF_SFT_LENGTH:g} × the SFT max_length "
            f"({sft_max_length}) = {need}: completions would be cut before the answer and the format reward collapses")


def world_size(cfg: TrainerConfig) -> int:
    return cfg.num_processes * cfg.nodes


def validate(cfg: TrainerConfig, stage: str) -> None:
    if stage not in STAGES:
        raise ConfigError(f"stage: expected one of {', '.join(STAGES)}, got {stage!r}")
    if cfg.stage is not None and cfg.stage != stage:
        raise ConfigError(f"stage: the config says {cfg.stage!r} but the command is {stage!r}")
    cfg.stage = stage
    positive = ["num_processes", "nodes", "per_device_batch_size", "gradient_accumulation_steps", "save_steps", "logging_steps", "min_pixels", "max_pixels",
                "num_generations", "max_completion_length", "num_iterations"]
    for name in positive:
        if getattr(cfg, name) <= 0:
            raise ConfigError(f"{name}: must be > 0, got {getattr(cfg, name)}")
    if cfg.epochs <= 0:
        raise ConfigError(f"epochs: must be > 0, got {cfg.epochs}")
    if cfg.learning_rate <= 0:
        raise ConfigError(f"learning_rate: must be > 0, got {cfg.learning_rate}")
    if cfg.min_pixels > cfg.max_pixels:
        raise ConfigError(f"min_pixels ({cfg.min_pixels}) is above max_pixels ({cfg.max_pixels})")
    visual = cfg.max_pixels // PIXELS_PER_VISUAL_TOKEN
    if visual * cfg.per_device_batch_size > MAX_VISUAL_TOKENS_PER_DEVICE:
        raise ConfigError(
            f"max_pixels ({cfg.max_pixels}) × per_device_batch_size ({cfg.per_device_batch_size}) is {visual * cfg.per_device_batch_size} visual "
            f"tokens per device step, above {MAX_VISUAL_TOKENS_PER_DEVICE}: lower max_pixels or the batch")
    for name in ("max_length", "max_prompt_length"):
        limit = getattr(cfg, name)
        if limit is not None and limit <= visual:
            raise ConfigError(f"{name} ({limit}) does not hold one image at max_pixels ({visual} visual tokens): image tokens would be cut")
    if cfg.nodes > 1:
        if not cfg.rdzv_endpoint or not _host_port(cfg.rdzv_endpoint):
            raise ConfigError(f"rdzv_endpoint: nodes {cfg.nodes} needs the rendezvous host:port of node 0, got {cfg.rdzv_endpoint!r}")
        if cfg.node_rank is not None and not 0 <= cfg.node_rank < cfg.nodes:
            raise ConfigError(f"node_rank: must be in [0, {cfg.nodes}), got {cfg.node_rank}")
    elif cfg.node_rank not in (None, 0):
        raise ConfigError(f"node_rank: {cfg.node_rank} needs nodes > {cfg.node_rank}")
    r = cfg.rollout
    if r.engine not in ENGINES:
        raise ConfigError(f"rollout.engine: expected one of {', '.join(ENGINES)}, got {r.engine!r}")
    if r.mode not in VLLM_MODES:
        raise ConfigError(f"rollout.mode: expected one of {', '.join(VLLM_MODES)}, got {r.mode!r}")
    if not 0 < r.gpu_memory_utilization < 1:
        raise ConfigError(f"rollout.gpu_memory_utilization: must be in (0, 1), got {r.gpu_memory_utilization}")
    if r.tensor_parallel_size <= 0:
        raise ConfigError(f"rollout.tensor_parallel_size: must be > 0, got {r.tensor_parallel_size}")
    if r.engine == "vllm" and r.mode == "colocate" and cfg.num_processes % r.tensor_parallel_size != 0:
        raise ConfigError(f"rollout.tensor_parallel_size ({r.tensor_parallel_size}) must divide num_processes ({cfg.num_processes}) in colocate mode")
    if r.engine == "vllm" and r.mode == "server" and cfg.nodes > 1 and not r.server_url:
        raise ConfigError("rollout.server_url: with several nodes, server mode needs the URL of one vLLM server every node reaches")
    if cfg.max_samples is not None and cfg.max_samples <= 0:
        raise ConfigError("max_samples: must be > 0")
    if not os.path.exists(cfg.data):
        raise ConfigError(f"data: no such file: {cfg.data} (write one with `r1ov export RUN --format trl --out FILE`)")
    if cfg.lora.enabled and cfg.lora.r <= 0:
        raise ConfigError("lora.r: must be > 0")
    if stage == "grpo":
        if cfg.loss_type not in LOSS_TYPES:
            raise ConfigError(f"loss_type: expected one of {', '.join(LOSS_TYPES)}, got {cfg.loss_type!r}")
        if cfg.num_generations < 2:
            raise ConfigError("num_generations: GRPO needs at least 2 completions per prompt")
        batch = cfg.per_device_batch_size * cfg.gradient_accumulation_steps * world_size(cfg)
        if batch % cfg.num_generations != 0:
            raise ConfigError(
                f"num_generations ({cfg.num_generations}) must divide per_device_batch_size × gradient_accumulation_steps × num_processes × nodes ({batch})")
        bad = sorted(set(cfg.reward_weights) - set(REWARDS))
        if bad:
            raise ConfigError(f"reward_weights.{bad[0]}: unknown reward (known: {', '.join(REWARDS)})")
        if not any(w != 0 for w in cfg.reward_weights.values()):
            raise ConfigError("reward_weights: every weight is 0")
        cfg.reward_url = cfg.reward_url or os.environ.get("R1OV_REWARD_URL")
        if not cfg.reward_url:
            raise ConfigError("reward_url: required for grpo (or set R1OV_REWARD_URL; start one with `r1ov rewards serve --port P`)")
