"""The trainer on CPU: a tiny randomly initialised Qwen2.5-VL, built offline, trained for a few steps.

SFT: loss finite and falling, checkpoints every N steps, resume continues the step count. GRPO: rewards come from
the r1ov reward service over HTTP and are logged. Bad config or data: exit 2 with one line. The real-size run
needs a GPU and skips here, saying so.
"""
from __future__ import annotations

import json
import math
import os

import pytest

from conftest import run_trainer


def _cfg(tiny_model, exported, out, **over):
    base = dict(model=tiny_model, data=exported["trl"]["parquet"], output_dir=str(out), per_device_batch_size=2,
                learning_rate=3e-3, warmup_ratio=0.0, lr_scheduler="constant", save_steps=4, min_pixels=3136,
                max_pixels=12544, seed=1)
    base.update(over)
    return base


def _logs(events, stage):
    return [e for e in events if e["event"] == "log" and e["stage"] == stage]


def test_sft_loss_falls_and_checkpoints(tiny_model, exported, tmp_path):
    code, events, err = run_trainer("sft", _cfg(tiny_model, exported, tmp_path / "sft", max_steps=8), tmp_path)
    assert code == 0, err[-3000:]
    logs = _logs(events, "sft")
    losses = [e["loss"] for e in logs]
    assert len(losses) == 8 and all(math.isfinite(x) for x in losses), losses
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3, f"loss did not fall: {losses}"
    assert [e["step"] for e in logs] == list(range(1, 9))
    for key in ("epoch", "lr", "tokens_per_s", "gpu_mem_gb", "checkpoint"):
        assert key in logs[-1]
    cps = [e["checkpoint"] for e in events if e["event"] == "checkpoint"]
    assert cps == [str(tmp_path / "sft" / "checkpoint-4"), str(tmp_path / "sft" / "checkpoint-8")]
    assert all(os.path.isfile(os.path.join(c, "trainer_state.json")) for c in cps)
    end = events[-1]
    assert end["event"] == "end" and end["step"] == 8 and end["checkpoint"] == cps[-1]


def test_sft_resume_continues_the_step_count(tiny_model, exported, tmp_path):
    cfg = _cfg(tiny_model, exported, tmp_path / "sft", max_steps=4, save_steps=2)
    code, events, err = run_trainer("sft", cfg, tmp_path)
    assert code == 0, err[-3000:]
    code, events, err = run_trainer("sft", {**cfg, "max_steps": 6}, tmp_path, "--resume-from", str(tmp_path / "sft" / "checkpoint-4"))
    assert code == 0, err[-3000:]
    steps = [e["step"] for e in _logs(events, "sft")]
    assert steps == [5, 6], steps
    assert events[0]["event"] == "start" and events[0]["step"] == 4
    assert events[-1]["resumed_from"] == str(tmp_path / "sft" / "checkpoint-4")


def test_grpo_scores_through_the_reward_service(tiny_model, exported, tmp_path, reward_service):
    cfg = _cfg(tiny_model, exported, tmp_path / "grpo", max_steps=3, save_steps=2, num_generations=2, max_completion_length=16,
               beta=0.0, learning_rate=1e-3, reward_url=reward_service, reward_weights={"accuracy": 1.0, "format": 0.5, "iou": 1.0})
    code, events, err = run_trainer("grpo", cfg, tmp_path)
    assert code == 0, err[-3000:]
    logs = _logs(events, "grpo")
    assert [e["step"] for e in logs] == [1, 2, 3]
    for e in logs:
        assert e["reward"] is not None and math.isfinite(e["reward"]) and e["reward_std"] is not None
        assert set(e["rewards"]) == {"accuracy", "format", "iou"}
    end = events[-1]
    assert end["event"] == "end" and end["reward_calls"] >= 3 and end["checkpoint"] == str(tmp_path / "grpo" / "checkpoint-3")
    assert os.path.isfile(os.path.join(end["checkpoint"], "trainer_state.json"))


@pytest.mark.parametrize("over, needle", [
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"per_device_batch_sise": 2}, "per_device_batch_sise: unknown key"),
    ({"data": "/nonexistent/x.parquet"}, "data: no such file"),
    ({"min_pixels": 99999, "max_pixels": 100}, "min_pixels"),
])
def test_bad_config_is_one_line_and_exit_2(tiny_model, exported, tmp_path, over, needle):
    code, events, err = run_trainer("sft", _cfg(tiny_model, exported, tmp_path / "bad", **over), tmp_path)
    assert code == 2 and events == []
    lines = [x for x in err.splitlines() if x.strip()]
    assert lines and lines[-1].startswith("r1ov-trainer: error: ") and needle in lines[-1], err[-2000:]


def test_bad_data_is_one_line_and_exit_2(tiny_model, exported, tmp_path):
    code, _, err = run_trainer("sft", _cfg(tiny_model, exported, tmp_path / "bad", data=exported["sharegpt"]["parquet"]), tmp_path)
    assert code == 2 and "lacks column 'prompt'" in err.splitlines()[-1], err[-2000:]


def test_grpo_without_reward_service_is_a_config_error(tiny_model, exported, tmp_path):
    cfg = _cfg(tiny_model, exported, tmp_path / "g", num_generations=2, reward_url="http://127.0.0.1:9")
    code, _, err = run_trainer("grpo", cfg, tmp_path)
    assert code == 2 and "reward service" in err.splitlines()[-1]


def test_real_size_qwen2_5_vl_3b_on_gpu(request, tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: the real-size Qwen2.5-VL-3B (random weights) SFT/GRPO run needs one")
    exported = request.getfixturevalue("exported")
    from r1ov_trainer.tiny import build, corpus_from_data

    model = build(str(tmp_path / "qwen3b"), corpus_from_data(exported["trl"]["parquet"]), size="3b")
    cfg = dict(model=model, data=exported["trl"]["parquet"], output_dir=str(tmp_path / "sft3b"), max_steps=4,
               per_device_batch_size=4, save_steps=4, gradient_checkpointing=True, learning_rate=1e-5)
    code, events, err = run_trainer("sft", cfg, tmp_path, timeout=3000)
    assert code == 0, err[-3000:]
    last = _logs(events, "sft")[-1]
    print(json.dumps({"tokens_per_s": last["tokens_per_s"], "gpu_mem_gb": last["gpu_mem_gb"]}))


def test_examples_match_the_python_config():
    """The documented examples (validated by zod on the TypeScript side) use only keys the trainer knows."""
    import glob

    import yaml

    from r1ov_trainer.config import TrainerConfig, _build

    files = glob.glob(os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples", "*.yaml"))
    assert len(files) >= 3
    for f in files:
        raw = yaml.safe_load(open(f))
        sections = [raw[s] for s in ("sft", "grpo") if s in raw] or [raw]
        for sec in sections:
            cfg = _build(TrainerConfig, {"output_dir": "unset: the worker's home", **sec})  # optional in a workflow
            assert cfg.max_pixels == 401408, f
