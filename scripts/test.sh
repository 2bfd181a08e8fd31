#!/usr/bin/env bash
# Install into .venv, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec "${HARNESS_VENV:-.venv}/bin/python" -m pytest -q "$@"
