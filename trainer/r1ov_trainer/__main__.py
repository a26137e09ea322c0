"""`python -m r1ov_trainer sft|grpo --config FILE [--resume-from CKPT] [--stop-after-epoch K]`, `serve`, `merge-adapter`,
`make-tiny` and `perception serve|make-tiny` (the detection server, r1ov_trainer/perception.py).

Exit codes: 0 done, 2 bad configuration or data (one line on stderr), 1 any other failure.
"""
from __future__ import annotations

import argparse
import os
import sys


def die_with_parent() -> None:
    """When started by the GPU activity: exit if the worker dies (SIGKILL included), so a retry on a new worker never
    races an orphaned trainer writing the same checkpoints. The whole process group goes (under torch.distributed.run
    every rank shares the group the activity made). Linux fast path: PR_SET_PDEATHSIG; always: a watchdog thread."""
    want = os.environ.get("R1OV_TRAINER_PARENT_PID")
    if not want or not want.isdigit():
        return
    import signal
    import threading
    import time

    watched = int(want)

    def alive() -> bool:
        try:
            os.kill(watched, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def die() -> None:
        try:
            os.killpg(os.getpgrp(), signal.SIGKILL)
        finally:
            os._exit(137)

    if os.getppid() == watched:
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:  # noqa: BLE001 - not Linux: the watchdog covers it
            pass
    if not alive():
        die()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if not alive():
                die()

    threading.Thread(target=watch, name="r1ov-parent-watchdog", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        from .serve import main as serve_main

        return serve_main(argv[1:])
    if argv[:1] == ["vllm-serve"]:
        # TRL's policy server for GRPO's server mode, dying with the worker like the trainer (same options as
        # `trl vllm-serve`; vLLM comes from `bash trainer/install.sh --gpu`).
        die_with_parent()
        from trl.scripts.vllm_serve import main as vllm_main, make_parser

        (script_args,) = make_parser().parse_args_and_config(argv[1:])
        vllm_main(script_args)
        return 0
    if argv[:1] == ["perception"]:
        from .perception import main as perception_main

        return perception_main(argv[1:])
    if argv[:1] == ["merge-adapter"]:
        from .config import ConfigError
        from .merge import main as merge_main

        try:
            return merge_main(argv[1:])
        except ConfigError as e:
            sys.stderr.write(f"r1ov-trainer: error: {e}\n")
            return 2
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
    ap.add_argument("--check", action="store_true", help="validate the config and the data, then exit (no model is loaded)")
    a = ap.parse_args(argv)
    die_with_parent()
    from .config import ConfigError, load_config

    try:
        cfg = load_config(a.config, a.stage)
        if a.max_steps is not None:
            cfg.max_steps = a.max_steps
        if a.check:
            from .data import load_training_data
            from .progress import emit

            ds = load_training_data(cfg, a.stage)
            emit("check", stage=a.stage, rows=len(ds), columns=ds.column_names)
            return 0
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
