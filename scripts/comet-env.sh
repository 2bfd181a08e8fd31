#!/usr/bin/env bash
# Build the COMET oracle environment: unbabel-comet 2.2.7 in a virtual environment of its own,
# outside the repository. unbabel-comet pins transformers<5, numpy<2, huggingface-hub<1.0 and
# jsonargparse==3.13.1, which the project's environment does not keep; the harness computes
# COMET itself, and tests/test_metrics_comet.py and bench/metrics.py run unbabel-comet here to
# check it, number for number, on the same checkpoint.
#
#   bash scripts/comet-env.sh            # builds (or finds up to date) and prints its python
#   HARNESS_COMET_VENV=/path bash scripts/comet-env.sh
#
# Default place: ${XDG_CACHE_HOME:-~/.cache}/harness/comet-env. The last line on stdout is the
# interpreter; everything else goes to stderr. About a minute from a warm pip cache.
set -euo pipefail
source "$(dirname "$0")/oracle-venv.sh"
COMET_VERSION=${HARNESS_COMET_VERSION:-2.2.7}
VENV=${HARNESS_COMET_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/harness/comet-env}
PY="$VENV/bin/python"
stamp="$VENV/.harness-comet-installed"
want="unbabel-comet==$COMET_VERSION torch==2.13.0"
exit_if_current
start_build
pip=("$PY" -m pip install -q --disable-pip-version-check)
# torch first, at the project's version: unbabel-comet would otherwise pull a CUDA build (GBs)
"${pip[@]}" torch==2.13.0 >&2
# torchmetrics 0.10, which COMET pins, imports pkg_resources: setuptools dropped it in 81
"${pip[@]}" "unbabel-comet==$COMET_VERSION" "setuptools<81" >&2
"$PY" -c "import comet, torch, transformers; print('harness: unbabel-comet', '$COMET_VERSION', \
'torch', torch.__version__, 'transformers', transformers.__version__)" >&2
echo "$want" > "$stamp"
echo "harness: $VENV ready in $(( $(date +%s) - started )) s" >&2
echo "$PY"
