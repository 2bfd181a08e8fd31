#!/usr/bin/env bash
# Install harness (editable) and what the tests need into the project's own virtual environment
# (.venv, reused when present). Prints the interpreter to use on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${HARNESS_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    echo "harness: creating the virtual environment $VENV" >&2
    if ! "${PYTHON:-python3}" -m venv "$VENV"; then
        rm -rf "$VENV"
        echo "harness: could not create $VENV with ${PYTHON:-python3}; on Debian or Ubuntu install" \
             "the venv module first (sudo apt install python3-venv), or point PYTHON at" \
             "another Python 3.10+" >&2
        exit 1
    fi
fi
PY="$VENV/bin/python"
stamp="$VENV/.harness-installed"
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ "$stamp" -nt constraints.txt ]; then
    echo "harness: $VENV is up to date (delete $stamp to reinstall)" >&2
    exit 0
fi
# A bare `torch` requirement can pull a multi-GB CUDA build; keep an existing torch, else take
# the CPU-sized 2.13 wheel (GPU users install their own CUDA torch into $VENV first).
if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "harness: installing torch 2.13.0 (CPU wheel) into $VENV" >&2
    "$PY" -m pip install -q --disable-pip-version-check "torch==2.13.0"
fi
# constraints.txt: the versions the suite last passed with, so a release made since cannot turn a
# fresh clone red; HARNESS_CONSTRAINTS=none installs the newest releases pyproject.toml admits.
constraints=(-c constraints.txt)
[ "${HARNESS_CONSTRAINTS:-}" = none ] && constraints=()
echo "harness: installing harness and its dependencies into $VENV (a first install takes a few minutes)" >&2
# every extra the tests use: the models and the hub data besides the light scoring install
"$PY" -m pip install -q --disable-pip-version-check "${constraints[@]}" -e ".[models,hub,test]"
touch "$stamp"
