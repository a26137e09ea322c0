#!/usr/bin/env bash
# Reward benchmark: our verifier vs HF math-verify. Creates bench/out/venv (gitignored) on first use.
# Everything runs pinned to one core (taskset, where present), both verifiers and every child process.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=bench/out/venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q math-verify
fi
"$VENV/bin/python" -c 'import math_verify' || "$VENV/bin/pip" install -q math-verify
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c "${BENCH_CPU:-0}"); fi
exec "${PIN[@]}" node --import tsx bench/rewards/run.ts "$@"
