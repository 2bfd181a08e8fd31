#!/usr/bin/env bash
# Install harness (editable) and what the tests need into the current Python environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# A bare `torch` requirement can pull a multi-GB CUDA build; keep an existing torch, else take
# the CPU-sized 2.13 wheel (GPU users install their own CUDA torch first).
"$PY" -c "import torch" 2>/dev/null || "$PY" -m pip install -q "torch==2.13.0"
"$PY" -m pip install -q -e ".[test]"
