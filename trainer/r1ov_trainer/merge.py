"""A LoRA checkpoint as a full model: GRPO after LoRA SFT trains on the SFT adapter merged into its base.

Why merged rather than "the adapter on top of the base": vLLM (colocate or server) loads a plain model directory
and TRL syncs full weights into it; a merged start also lets GRPO choose freely between a new LoRA (`lora.enabled`)
and a full fine-tune, and its checkpoints then name one base (the merged directory) instead of a stack of two
adapters. The merge is deterministic, so a retry on another host re-merges the same SFT checkpoint.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
from typing import Optional

from .config import ConfigError

MARKER = "r1ov-merged.json"  # written last: a directory without it is an interrupted merge


def is_adapter(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "adapter_config.json"))


def adapter_base(adapter: str) -> str:
    with open(os.path.join(adapter, "adapter_config.json"), encoding="utf-8") as f:
        base = json.load(f).get("base_model_name_or_path") or ""
    if not base:
        raise ConfigError(f"model: {adapter} is a LoRA adapter without base_model_name_or_path")
    return base


def merged_dir_for(adapter: str, output_dir: str) -> str:
    return os.path.join(output_dir, f"merged-{os.path.basename(os.path.normpath(adapter))}")


def _done(out: str, adapter: str) -> bool:
    try:
        with open(os.path.join(out, MARKER), encoding="utf-8") as f:
            return json.load(f).get("adapter") == os.path.abspath(adapter)
    except (OSError, ValueError):
        return False


def merge_adapter(adapter: str, out: str) -> str:
    """Merge `adapter` into its base and save model + processor at `out` (idempotent; one merger at a time)."""
    if _done(out, adapter):
        return out
    base = adapter_base(adapter)
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    with open(f"{out}.lock", "w") as lock:  # every rank of a node calls this: the first merges, the rest wait
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _done(out, adapter):
            return out
        from peft import PeftModel
        from transformers import AutoModelForImageTextToText, AutoProcessor

        try:
            model = AutoModelForImageTextToText.from_pretrained(base, dtype="auto")
        except Exception as e:  # noqa: BLE001
            raise ConfigError(f"model: cannot load the base {base} of adapter {adapter} ({str(e).splitlines()[0][:200]})") from None
        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        # The Trainer saves the processor with each checkpoint; an adapter saved without one falls back to the base's.
        proc_src = adapter if os.path.isfile(os.path.join(adapter, "preprocessor_config.json")) else base
        processor = AutoProcessor.from_pretrained(proc_src)
        shutil.rmtree(out, ignore_errors=True)
        model.save_pretrained(out, safe_serialization=True)
        processor.save_pretrained(out)
        with open(os.path.join(out, MARKER), "w", encoding="utf-8") as f:
            json.dump({"adapter": os.path.abspath(adapter), "base": base}, f)
    return out


def resolve_model(model: str, output_dir: str) -> str:
    """The directory the stage loads: `model` itself, or the merge of a LoRA checkpoint into its base."""
    if os.path.isdir(model) and is_adapter(model):
        return merge_adapter(model, merged_dir_for(model, output_dir))
    return model


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m r1ov_trainer merge-adapter", description=__doc__)
    ap.add_argument("--adapter", required=True, help="a LoRA checkpoint directory (adapter_config.json)")
    ap.add_argument("--out", required=True, help="where the merged model goes")
    a = ap.parse_args(argv)
    if not is_adapter(a.adapter):
        raise ConfigError(f"--adapter: {a.adapter} has no adapter_config.json")
    print(json.dumps({"event": "merged", "model": merge_adapter(a.adapter, a.out)}), flush=True)
    return 0
