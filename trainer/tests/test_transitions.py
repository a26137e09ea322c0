"""Every stage transition a real run makes, on CPU with a tiny random Qwen2.5-VL: full SFT → GRPO, LoRA SFT → GRPO
(on the SFT adapter merged into its base, see r1ov_trainer/merge.py), GRPO killed after a checkpoint and resumed.
Each stage takes a real optimizer step (one, to keep CI short) and its saved model is loaded back.

GRPO on a random model: every completion of a group usually earns the same reward, so the advantages (and the
policy gradient) are zero; `weight_decay` makes AdamW's step move every trained weight anyway, so "the optimizer
stepped and the checkpoint holds the result" is checked by comparing weights, not only by reading step counters.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import TRAINER, run_trainer

PROBE = "model.language_model.layers.0.mlp.down_proj.weight"


def _cfg(tiny_model, exported, out, **over):
    base = dict(model=tiny_model, data=exported["trl"]["parquet"], output_dir=str(out), per_device_batch_size=2,
                learning_rate=1e-3, warmup_ratio=0.0, lr_scheduler="constant", save_steps=1, max_steps=1, min_pixels=3136,
                max_pixels=12544, seed=1, max_samples=8)
    base.update(over)
    return base


def _grpo(tiny_model, exported, out, reward_url, **over):
    return _cfg(tiny_model, exported, out, num_generations=2, max_completion_length=8, beta=0.0, weight_decay=0.1,
                reward_url=reward_url, reward_weights={"accuracy": 1.0, "format": 0.5}, **over)


def _weights(path: str) -> dict:
    from safetensors.torch import load_file

    out = {}
    for f in sorted(os.listdir(path)):
        if f.endswith(".safetensors"):
            out.update(load_file(os.path.join(path, f)))
    return out


def _probe(path: str):
    w = _weights(path)
    key = next(k for k in w if k.endswith(PROBE) or k == PROBE.replace("language_model.", ""))
    return w[key]


def _end(code, events, err):
    assert code == 0, err[-3000:]
    end = events[-1]
    assert end["event"] == "end", events[-3:]
    return end


def _optimizer_stepped(ckpt: str, steps: int) -> None:
    import torch

    state = json.load(open(os.path.join(ckpt, "trainer_state.json")))
    assert state["global_step"] == steps
    opt = torch.load(os.path.join(ckpt, "optimizer.pt"), map_location="cpu", weights_only=False)
    counts = {int(s["step"]) for s in opt["state"].values()}
    assert counts == {steps}, counts


def _reload(path: str):
    """Load a saved stage output the way the next stage (or serve) does, and run one forward pass."""
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from r1ov_trainer.merge import adapter_base, is_adapter

    base = adapter_base(path) if is_adapter(path) else path
    model = AutoModelForImageTextToText.from_pretrained(base)
    if is_adapter(path):
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, path)
    tok = AutoProcessor.from_pretrained(base).tokenizer
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([tok("The answer is").input_ids])).logits
    assert torch.isfinite(logits).all()
    return model, logits


def test_full_sft_then_grpo_from_its_checkpoint(tiny_model, exported, tmp_path, reward_service):
    end = _end(*run_trainer("sft", _cfg(tiny_model, exported, tmp_path / "sft"), tmp_path))
    sft = end["checkpoint"]
    _optimizer_stepped(sft, 1)
    assert not (_probe(sft) == _probe(tiny_model)).all(), "SFT saved unchanged weights"
    end = _end(*run_trainer("grpo", _grpo(sft, exported, tmp_path / "grpo", reward_service), tmp_path))
    grpo = end["checkpoint"]
    _optimizer_stepped(grpo, 1)
    assert not (_probe(grpo) == _probe(sft)).all(), "GRPO saved the SFT weights unchanged"
    _reload(grpo)


def test_lora_sft_then_grpo_on_the_merged_adapter(tiny_model, exported, tmp_path, reward_service):
    import torch

    lora = {"enabled": True, "r": 4, "alpha": 8, "dropout": 0.0}
    end = _end(*run_trainer("sft", _cfg(tiny_model, exported, tmp_path / "sft", lora=lora, learning_rate=1e-2), tmp_path))
    adapter = end["checkpoint"]
    assert os.path.isfile(os.path.join(adapter, "adapter_config.json")) and not os.path.isfile(os.path.join(adapter, "config.json"))
    # GRPO from the adapter checkpoint: its model is the adapter merged into the base, and GRPO trains a new LoRA on it.
    end = _end(*run_trainer("grpo", _grpo(adapter, exported, tmp_path / "grpo", reward_service, lora=lora), tmp_path))
    grpo = end["checkpoint"]
    _optimizer_stepped(grpo, 1)
    merged = os.path.join(str(tmp_path / "grpo"), "merged-checkpoint-1")
    assert json.load(open(os.path.join(grpo, "adapter_config.json")))["base_model_name_or_path"] == merged
    # The merged model is the SFT policy: the same logits as the adapter applied on its base.
    _, merged_logits = _reload(merged)
    _, stacked_logits = _reload(adapter)
    _, base_logits = _reload(tiny_model)
    assert torch.allclose(merged_logits, stacked_logits, atol=1e-4)
    assert not torch.allclose(merged_logits, base_logits, atol=1e-4), "the SFT adapter changed nothing"
    _reload(grpo)
    # The other direction: a full-parameter GRPO on the same merged start, which a LoRA SFT run can also choose.
    end = _end(*run_trainer("grpo", _grpo(adapter, exported, tmp_path / "grpo-full", reward_service), tmp_path))
    assert not (_probe(end["checkpoint"]) == _probe(merged)).all()


def test_grpo_killed_after_a_checkpoint_resumes_from_it(tiny_model, exported, tmp_path, reward_service):
    cfg = _grpo(tiny_model, exported, tmp_path / "grpo", reward_service, max_steps=2)
    path = tmp_path / "grpo.json"
    path.write_text(json.dumps(cfg))
    proc = subprocess.Popen([sys.executable, "-m", "r1ov_trainer", "grpo", "--config", str(path)], cwd=TRAINER,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stdout:
            if json.loads(line)["event"] == "checkpoint":
                proc.send_signal(signal.SIGKILL)  # the worker's host dies right after the first checkpoint
                break
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert sorted(d for d in os.listdir(tmp_path / "grpo") if d.startswith("checkpoint-")) == ["checkpoint-1"]
    code, events, err = run_trainer("grpo", cfg, tmp_path, "--resume-latest")
    end = _end(code, events, err)
    assert events[0]["event"] == "start" and events[0]["step"] == 1
    assert [e["step"] for e in events if e["event"] == "log" and e.get("loss") is not None] == [2]
    assert end["resumed_from"] == str(tmp_path / "grpo" / "checkpoint-1") and end["step"] == 2
    _optimizer_stepped(end["checkpoint"], 2)
    _reload(end["checkpoint"])


def test_rollout_maps_onto_trls_vllm_options(tmp_path, monkeypatch):
    from trl import GRPOConfig

    from r1ov_trainer.config import TrainerConfig, _build
    from r1ov_trainer.train import rollout_args

    def grpo_config(rollout: dict) -> GRPOConfig:
        cfg = _build(TrainerConfig, {"model": "m", "data": "d", "output_dir": str(tmp_path), "rollout": rollout})
        return GRPOConfig(output_dir=str(tmp_path), use_cpu=True, report_to=[], **rollout_args(cfg))

    assert grpo_config({}).use_vllm is False
    c = grpo_config({"engine": "vllm", "mode": "colocate", "gpu_memory_utilization": 0.45, "tensor_parallel_size": 2})
    assert (c.use_vllm, c.vllm_mode, c.vllm_gpu_memory_utilization, c.vllm_tensor_parallel_size) == (True, "colocate", 0.45, 2)
    monkeypatch.setenv("R1OV_VLLM_URL", "http://127.0.0.1:8123")
    c = grpo_config({"engine": "vllm", "mode": "server", "server_timeout_s": 600})
    assert (c.vllm_mode, c.vllm_server_base_url, c.vllm_server_timeout) == ("server", "http://127.0.0.1:8123", 600)
    c = grpo_config({"engine": "vllm", "mode": "server", "server_url": "http://vllm-0:8000"})
    assert c.vllm_server_base_url == "http://vllm-0:8000"


def test_grpo_vllm_colocate_5_steps_3b_on_gpu(request, tmp_path):
    """5 GRPO steps of a 3B-sized random Qwen2.5-VL with vLLM colocate: tokens/s, step time, peak memory."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: 5 GRPO steps of a 3B Qwen2.5-VL with vLLM colocate need one (and vLLM, from install.sh --gpu)")
    pytest.importorskip("vllm", reason="vLLM is not installed: run `bash trainer/install.sh --gpu`")
    exported = request.getfixturevalue("exported")
    reward_url = request.getfixturevalue("reward_service")
    from r1ov_trainer.tiny import build, corpus_from_data

    model = build(str(tmp_path / "qwen3b"), corpus_from_data(exported["trl"]["parquet"]), size="3b")
    cfg = dict(model=model, data=exported["trl"]["parquet"], output_dir=str(tmp_path / "grpo3b"), max_steps=5, save_steps=5,
               per_device_batch_size=8, num_generations=8, max_completion_length=256, learning_rate=1e-6, bf16=True,
               gradient_checkpointing=True, beta=0.0, reward_url=reward_url,
               rollout={"engine": "vllm", "mode": "colocate", "gpu_memory_utilization": 0.35})
    code, events, err = run_trainer("grpo", cfg, tmp_path, timeout=3000)
    assert code == 0, err[-3000:]
    logs = [e for e in events if e["event"] == "log" and e.get("loss") is not None]
    assert len(logs) == 5
    times = [b["elapsed_s"] - a["elapsed_s"] for a, b in zip(logs, logs[1:])]
    report = {"steps": len(logs), "step_time_s": round(sum(times) / len(times), 2),
              "tokens_per_s": logs[-1]["tokens_per_s"], "peak_gpu_mem_gb": max(e["gpu_mem_gb"] or 0 for e in logs)}
    print(json.dumps(report))
