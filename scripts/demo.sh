#!/usr/bin/env bash
# Install into .venv, then run the offline demo: tiny local models and baselines on the three demo tasks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec "${HARNESS_VENV:-.venv}/bin/python" -m harness demo "$@"
