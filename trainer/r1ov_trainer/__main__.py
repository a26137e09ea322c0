"""`python -m r1ov_trainer sft|grpo --config FILE [--resume-from CKPT] [--stop-after-epoch K]` and `make-tiny`.

Exit codes: 0 done, 2 bad configuration or data (one line on stderr), 1 any other failure.
"""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["make-tiny"]:
        from .tiny import main as tiny_main

        tiny_main(argv[1:])
        return 0
    ap = argparse.ArgumentParser(prog="python -m r1ov_trainer", description="SFT and GRPO for Qwen2.5-VL on TRL")
    ap.add_argument("stage", choices=["sft", "grpo"])
    ap.add_argument("--config", required=True, help="JSON or YAML trainer config")
    ap.add_argument("--resume-from", help="checkpoint directory to resume from")
    ap.add_argument("--resume-latest", action="store_true", help="resume from the newest checkpoint in output_dir, if any")
    ap.add_argument("--stop-after-epoch", type=int, help="stop (with a checkpoint) when this epoch ends")
    ap.add_argument("--max-steps", type=int, help="override max_steps")
    a = ap.parse_args(argv)
    from .config import ConfigError, load_config

    try:
        cfg = load_config(a.config, a.stage)
        if a.max_steps is not None:
            cfg.max_steps = a.max_steps
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from .progress import redirect_stdout_to_stderr

        redirect_stdout_to_stderr()
        from .train import latest_checkpoint, run

        resume = a.resume_from or (latest_checkpoint(cfg.output_dir) if a.resume_latest else None)
        run(cfg, a.stage, resume, a.stop_after_epoch)
        return 0
    except ConfigError as e:
        sys.stderr.write(f"r1ov-trainer: error: {e}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
