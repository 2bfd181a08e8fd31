#!/usr/bin/env bash
# Install, then run the offline demo: tiny local models and baselines on the three demo tasks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec "${PYTHON:-python3}" -m harness demo "$@"
