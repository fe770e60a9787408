#!/usr/bin/env bash
# Fresh virtual environment with the core and every plugin in this repo, editable.
# TORCH_SPEC picks the torch build: the default CPU pin installs in seconds here;
# set TORCH_SPEC="torch" on a GPU machine to get the CUDA build from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
"$VENV/bin/python" -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
plugins=()
for p in plugins/*/; do plugins+=(-e "$p"); done
# constraints.txt pins every other package to the versions README's benchmarks were measured with
"$VENV/bin/python" -m pip install -q -c constraints.txt -e ".[test]" "${plugins[@]}"
echo "ready: $VENV (activate with: source $VENV/bin/activate)"
