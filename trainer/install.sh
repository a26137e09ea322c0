#!/usr/bin/env bash
# Installs the r1ov trainer and its pinned requirements into trainer/.venv.
# Usage: bash trainer/install.sh            (idempotent: skips when up to date)
#        R1OV_TRAINER_PYTHON=python3.11 bash trainer/install.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${R1OV_TRAINER_PYTHON:-python3}"
stamp="$venv/.r1ov-installed"
want="$(cat "$here/requirements.txt" "$here/requirements-test.txt" "$here/constraints.txt" "$here/pyproject.toml" | sha256sum | cut -c1-16)"
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
echo "$want" > "$stamp"
echo "trainer: installed into $venv in $(( $(date +%s) - start ))s ($(du -sh "$venv" | cut -f1))" >&2
