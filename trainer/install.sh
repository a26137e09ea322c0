#!/usr/bin/env bash
# Installs the r1ov trainer and its pinned requirements into trainer/.venv.
# Usage: bash trainer/install.sh            (idempotent: skips when up to date)
#        bash trainer/install.sh --gpu      (+ requirements-gpu.txt: vLLM for GRPO rollouts, DeepSpeed; GPU machines)
#        R1OV_TRAINER_PYTHON=python3.11 bash trainer/install.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${R1OV_TRAINER_PYTHON:-python3}"
gpu=0
for arg in "$@"; do
  case "$arg" in
    --gpu) gpu=1 ;;
    *) echo "trainer/install.sh: unknown option $arg (known: --gpu)" >&2; exit 2 ;;
  esac
done
stamp="$venv/.r1ov-installed"
inputs=("$here/requirements.txt" "$here/requirements-test.txt" "$here/constraints.txt" "$here/pyproject.toml")
suffix=""
if ((gpu)); then inputs+=("$here/requirements-gpu.txt"); suffix="-gpu"; fi
want="$(cat "${inputs[@]}" | sha256sum | cut -c1-16)$suffix"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "trainer: $venv is up to date" >&2
  exit 0
fi
start=$(date +%s)
[[ -x "$venv/bin/python" ]] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip==25.2
"$venv/bin/python" -m pip install --quiet --progress-bar off \
  -r "$here/requirements.txt" -r "$here/requirements-test.txt" -c "$here/constraints.txt"
"$venv/bin/python" -m pip install --quiet --no-deps -e "$here"
if ((gpu)); then
  # The vLLM pin must be the one the pinned TRL supports (its `vllm` extra): checked before anything is fetched.
  "$venv/bin/python" - "$here/requirements-gpu.txt" <<'PY'
import re, sys
from importlib.metadata import requires, version
pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", open(sys.argv[1]).read(), re.M))
trl_wants = [r.split(";")[0].strip() for r in requires("trl") or [] if 'extra == "vllm"' in r and r.startswith("vllm")]
if not trl_wants:
    sys.exit(f"trainer/install.sh --gpu: trl {version('trl')} declares no vllm extra")
want = trl_wants[0].split("==")[-1]
if pins.get("vllm") != want:
    sys.exit(f"trainer/install.sh --gpu: requirements-gpu.txt pins vllm=={pins.get('vllm')}, but trl {version('trl')} supports vllm=={want}")
print(f"trainer: vllm=={want} matches trl {version('trl')}'s vllm extra", file=sys.stderr)
PY
  # torch stays the pinned one (vLLM's wheel is built for it); the constraints file holds it there.
  "$venv/bin/python" -m pip install --quiet --progress-bar off \
    -r "$here/requirements.txt" -r "$here/requirements-gpu.txt" -c "$here/constraints.txt"
fi
echo "$want" > "$stamp"
echo "trainer: installed into $venv in $(( $(date +%s) - start ))s ($(du -sh "$venv" | cut -f1))" >&2
