"""A run's config is validated twice: by zod before the workflow starts (schemas/train.ts via `r1ov train`'s
prepareTrain) and by the trainer (r1ov_trainer/config.py). Both must accept and refuse the same files, known traps
included: completion length against the SFT length, max_pixels against memory, group size against the batch,
multi-node rendezvous, vLLM rollout options, and unknown keys."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import REPO, node

CASES = [
    # (name, stage, config without model/data/output_dir, accepted)
    ("sft defaults", "sft", {}, True),
    ("unknown key", "sft", {"learning_rat": 1e-5}, False),
    ("unknown rollout key", "grpo", {"num_generations": 2, "per_device_batch_size": 2, "rollout": {"engine": "vllm", "gpu_mem": 0.3}}, False),
    ("use_vllm is gone", "grpo", {"num_generations": 2, "per_device_batch_size": 2, "use_vllm": True}, False),
    ("rollout engine", "grpo", {"num_generations": 2, "per_device_batch_size": 2, "rollout": {"engine": "sglang"}}, False),
    ("vllm colocate", "grpo", {"num_generations": 2, "per_device_batch_size": 2, "rollout": {"engine": "vllm", "mode": "colocate", "gpu_memory_utilization": 0.4}}, True),
    ("vllm tp must divide the GPUs", "grpo", {"num_generations": 8, "per_device_batch_size": 1, "num_processes": 8, "rollout": {"engine": "vllm", "tensor_parallel_size": 3}}, False),
    ("vllm memory fraction", "grpo", {"num_generations": 2, "per_device_batch_size": 2, "rollout": {"engine": "vllm", "gpu_memory_utilization": 1.5}}, False),
    ("group does not divide the batch", "grpo", {"num_generations": 8, "per_device_batch_size": 2, "gradient_accumulation_steps": 2}, False),
    ("group divides the batch", "grpo", {"num_generations": 4, "per_device_batch_size": 2, "gradient_accumulation_steps": 2}, True),
    ("group divides across nodes", "grpo", {"num_generations": 16, "per_device_batch_size": 1, "num_processes": 8, "nodes": 2, "rdzv_endpoint": "trainer-0.r1ov:29500"}, True),
    ("nodes without rendezvous", "sft", {"nodes": 2, "num_processes": 8}, False),
    ("node_rank out of range", "sft", {"nodes": 2, "node_rank": 2, "rdzv_endpoint": "h:29500"}, False),
    ("server mode on several nodes needs a shared server", "grpo", {"num_generations": 2, "per_device_batch_size": 2, "nodes": 2, "rdzv_endpoint": "h:29500", "rollout": {"engine": "vllm", "mode": "server"}}, False),
    ("max_pixels against memory", "sft", {"max_pixels": 12845056, "per_device_batch_size": 8}, False),
    ("max_length below one image", "sft", {"max_length": 256, "max_pixels": 401408}, False),
    ("prompt cap below one image", "grpo", {"num_generations": 2, "per_device_batch_size": 2, "max_prompt_length": 512, "max_pixels": 401408}, False),
    ("prompt cap above one image", "grpo", {"num_generations": 2, "per_device_batch_size": 2, "max_prompt_length": 1024, "max_pixels": 401408}, True),
    ("completion shorter than SFT traces", "pipeline", {"sft": {"max_length": 8192}, "grpo": {"model": "sft", "max_completion_length": 256, "num_generations": 2, "per_device_batch_size": 2}}, False),
    ("completion holds SFT traces", "pipeline", {"sft": {"max_length": 8192}, "grpo": {"model": "sft", "max_completion_length": 2048, "num_generations": 2, "per_device_batch_size": 2}}, True),
]


def _write(tmp_path, i: int, stage: str, body: dict, data: str, model: str) -> str:
    common = {"model": model, "data": data}
    if stage == "pipeline":
        doc = {"name": f"case{i}", **{s: {**common, "output_dir": str(tmp_path / s), **sec} for s, sec in body.items()}}
    else:
        doc = {**common, "output_dir": str(tmp_path / "out"), **body}
    path = str(tmp_path / f"case{i}.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def _python_verdict(path: str, stage: str) -> str | None:
    from r1ov_trainer.config import ConfigError, load_config

    try:
        for s in (["sft", "grpo"] if stage == "pipeline" else [stage]):
            load_config(path, s)
    except ConfigError as e:
        return str(e)
    return None


def _typescript_verdicts(items: list[tuple[str, str]]) -> list[str | None]:
    script = (
        "import {prepareTrain} from './cli/train.ts';"
        "const out = [];"
        "for (const [stage, file] of JSON.parse(process.argv[1])) {"
        "  try { prepareTrain(stage === 'pipeline' ? 'sft' : stage, file); out.push(null); }"
        "  catch (e) { out.push(String(e.message)); } }"
        "console.log(JSON.stringify(out));"
    )
    r = subprocess.run([node(), "--import", "tsx", "-e", script, json.dumps(items)], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_typescript_and_python_agree_on_every_case(tmp_path, exported, monkeypatch):
    monkeypatch.setenv("R1OV_REWARD_URL", "http://127.0.0.1:9")  # the activity provides one; validation only needs it set
    data = exported["trl"]["parquet"]
    files = [_write(tmp_path, i, stage, body, data, "Qwen/Qwen2.5-VL-7B-Instruct") for i, (_, stage, body, _) in enumerate(CASES)]
    ts = _typescript_verdicts([(stage, f) for (_, stage, _, _), f in zip(CASES, files)])
    for (name, stage, _, accepted), f, ts_error in zip(CASES, files, ts):
        py_error = _python_verdict(f, stage)
        assert (py_error is None) == accepted, f"{name}: python says {py_error!r}"
        assert (ts_error is None) == accepted, f"{name}: typescript says {ts_error!r}"


@pytest.mark.parametrize("field, needle", [("max_completion_length", "format reward collapses"), ("num_generations", "must divide")])
def test_trap_messages_name_the_field_and_the_reason(tmp_path, exported, monkeypatch, field, needle):
    monkeypatch.setenv("R1OV_REWARD_URL", "http://127.0.0.1:9")
    case = {"max_completion_length": CASES[-2], "num_generations": CASES[8]}[field]
    f = _write(tmp_path, 0, case[1], case[2], exported["trl"]["parquet"], "m")
    msg = _python_verdict(f, case[1])
    assert msg and msg.startswith(field) and needle in msg, msg
    (ts,) = _typescript_verdicts([(case[1], f)])
    assert ts and field in ts and needle in ts, ts


def test_examples_pass_both_validators(tmp_path, exported, monkeypatch):
    """The documented recipes (trainer/examples) are accepted by both sides once their data exists."""
    import glob

    import yaml

    monkeypatch.setenv("R1OV_REWARD_URL", "http://127.0.0.1:9")
    files = sorted(glob.glob(os.path.join(REPO, "trainer", "examples", "*.yaml")))
    items = []
    for src in files:
        doc = yaml.safe_load(open(src))
        for sec in [doc[s] for s in ("sft", "grpo") if s in doc] or [doc]:
            sec["data"] = exported["trl"]["parquet"]
            sec["output_dir"] = str(tmp_path / os.path.basename(src))
            sec.pop("deepspeed", None)
        doc.pop("eval", None)
        path = str(tmp_path / os.path.basename(src))
        with open(path, "w") as f:
            yaml.safe_dump(doc, f)
        stage = "pipeline" if ("sft" in doc or "grpo" in doc) else ("grpo" if "grpo" in os.path.basename(src) else "sft")
        if stage == "pipeline" and "sft" not in doc:
            stage = "grpo"
        items.append((stage, path))
        assert _python_verdict(path, stage) is None, src
    assert _typescript_verdicts(items) == [None] * len(items)
