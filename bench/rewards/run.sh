#!/usr/bin/env bash
# Reward benchmark: our verifier vs HF math-verify. Creates bench/out/venv (gitignored) on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=bench/out/venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q math-verify
fi
"$VENV/bin/python" -c 'import math_verify' || "$VENV/bin/pip" install -q math-verify
exec node --import tsx bench/rewards/run.ts "$@"
