"""`bash trainer/install.sh --gpu` pins: vLLM is the version the pinned TRL supports (its `vllm` extra), and the
GPU additions never re-pin what requirements.txt pins (torch above all: vLLM wheels are built for one torch)."""
from __future__ import annotations

import os
import re
from importlib.metadata import requires, version

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pins(name: str) -> dict:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", open(os.path.join(HERE, name)).read(), re.M))


def test_vllm_pin_is_the_one_trl_supports():
    gpu = _pins("requirements-gpu.txt")
    extra = [r.split(";")[0].strip() for r in requires("trl") or [] if 'extra == "vllm"' in r and r.startswith("vllm")]
    assert extra, f"trl {version('trl')} has no vllm extra"
    assert f"vllm=={gpu['vllm']}" == extra[0], (gpu["vllm"], extra)
    assert _pins("requirements.txt")["trl"] == version("trl")


def test_gpu_additions_do_not_repin_the_base():
    base, gpu = _pins("requirements.txt"), _pins("requirements-gpu.txt")
    assert not set(base) & set(gpu), set(base) & set(gpu)
    assert {"vllm", "deepspeed"} <= set(gpu)
