"""JSON-lines progress on stdout: one object per line, read by the GPU activity and turned into heartbeats.

Events: {"event": "start", ...}, {"event": "log", step, epoch, loss, reward, reward_std, lr, tokens_per_s,
gpu_mem_gb, ...}, {"event": "checkpoint", step, checkpoint}, {"event": "end", step, checkpoint, ...}.
Everything else the libraries print goes to stderr.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import Any, Optional

from transformers import TrainerCallback

_out = sys.stdout


def redirect_stdout_to_stderr() -> None:
    """Keep stdout for progress lines only: libraries that print() land on stderr."""
    global _out
    _out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr


def _finite(v: Any) -> Any:
    """NaN/Infinity are not JSON: they become null (a reward that did not apply, a loss that blew up)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def _is_main_process() -> bool:
    """One progress stream per machine: its local rank 0 (rank 0 on one node). Each node's activity reads its own
    stream and uploads the checkpoint files its node wrote."""
    return os.environ.get("LOCAL_RANK", os.environ.get("RANK", "0")) == "0"


def emit(event: str, **fields: Any) -> None:
    if not _is_main_process():
        return
    clean = {k: _finite(v) for k, v in fields.items()}
    _out.write(json.dumps({"event": event, "time": round(time.time(), 3), **clean}) + "\n")
    _out.flush()


def gpu_memory_gb() -> Optional[float]:
    try:
        import torch

        if torch.cuda.is_available():
            return round(torch.cuda.max_memory_allocated() / 2**30, 3)
    except Exception:  # noqa: BLE001
        pass
    return None


class ProgressCallback(TrainerCallback):
    """Turns the Trainer's logs and saves into progress lines; optionally stops at an epoch boundary."""

    def __init__(self, stage: str, stop_after_epoch: Optional[int] = None):
        self.stage = stage
        self.stop_after_epoch = stop_after_epoch
        self.last_checkpoint: Optional[str] = None
        self._t0 = time.time()
        self._last_t = self._t0
        self._last_tokens: Optional[float] = None
        self.stopped_at_epoch = False

    def on_train_begin(self, args, state, control, **kwargs):
        emit("start", stage=self.stage, step=state.global_step, max_steps=state.max_steps,
             epochs=args.num_train_epochs, output_dir=args.output_dir)

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = dict(logs or {})
        if "train_loss" in logs and "loss" not in logs:  # the Trainer's closing summary, not a step
            emit("summary", stage=self.stage, step=state.global_step, train_loss=logs.get("train_loss"),
                 runtime_s=logs.get("train_runtime"), steps_per_s=logs.get("train_steps_per_second"))
            return
        now = time.time()
        tokens = logs.get("num_tokens", logs.get("num_input_tokens_seen", getattr(state, "num_input_tokens_seen", None)))
        tps = None
        if tokens is not None and self._last_tokens is not None and now > self._last_t:
            tps = (float(tokens) - self._last_tokens) / (now - self._last_t)
        if tokens is not None:
            self._last_tokens, self._last_t = float(tokens), now
        reward_parts = {k.split("/")[1]: v for k, v in logs.items() if k.startswith("rewards/") and k.endswith("/mean")}
        emit(
            "log",
            stage=self.stage,
            step=state.global_step,
            max_steps=state.max_steps,
            epoch=logs.get("epoch", state.epoch),
            loss=logs.get("loss", logs.get("train_loss")),
            reward=logs.get("reward"),
            reward_std=logs.get("reward_std"),
            rewards=reward_parts or None,
            lr=logs.get("learning_rate"),
            grad_norm=logs.get("grad_norm"),
            tokens_per_s=round(tps, 2) if tps is not None else None,
            gpu_mem_gb=gpu_memory_gb(),
            elapsed_s=round(now - self._t0, 2),
            checkpoint=self.last_checkpoint,
        )

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.stop_after_epoch is not None and state.epoch is not None and state.epoch >= self.stop_after_epoch - 1e-6:
            control.should_training_stop = True
            control.should_save = True
            self.stopped_at_epoch = True

    def on_step_end(self, args, state, control, **kwargs):
        # Always leave a checkpoint at the very end, so the next stage (or epoch) can resume from it.
        if state.max_steps and state.global_step >= state.max_steps:
            control.should_save = True

    def on_save(self, args, state, control, **kwargs):
        path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        self.last_checkpoint = path
        emit("checkpoint", stage=self.stage, step=state.global_step, epoch=state.epoch, checkpoint=path)
