#!/usr/bin/env bash
# Install harness (editable) and what the tests need into the project's own virtual environment
# (.venv, reused when present), saying each phase on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${HARNESS_VENV:-.venv}
# a line as each phase starts (what, and roughly how long: measured on a 2-core machine, with
# pip's cache warm and, as the issue "The first hour, again" reported, downloading everything
# in 8.5 minutes) and as it ends; pip itself stays quiet (-q): its lines would be hundreds
phase() { echo "harness: $*" >&2; SECONDS=0; }
done_in() { echo "harness:   done in $((SECONDS / 60)) min $((SECONDS % 60)) s" >&2; }
if [ ! -x "$VENV/bin/python" ]; then
    phase "[1/3] creating the virtual environment $VENV (under half a minute)"
    if ! "${PYTHON:-python3}" -m venv "$VENV"; then
        rm -rf "$VENV"
        echo "harness: could not create $VENV with ${PYTHON:-python3}; on Debian or Ubuntu install" \
             "the venv module first (sudo apt install python3-venv), or point PYTHON at" \
             "another Python 3.10+" >&2
        exit 1
    fi
    done_in
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
    phase "[2/3] installing torch 2.13.0, the CPU wheel (750 MB installed; 20 s from pip's" \
          "cache, a few minutes when downloaded)"
    "$PY" -m pip install -q --disable-pip-version-check "torch==2.13.0"
    done_in
fi
# constraints.txt: the versions the suite last passed with, so a release made since cannot turn a
# fresh clone red; HARNESS_CONSTRAINTS=none installs the newest releases pyproject.toml admits.
constraints=(-c constraints.txt)
[ "${HARNESS_CONSTRAINTS:-}" = none ] && constraints=()
phase "[3/3] installing harness (editable) and the ~95 packages it and its tests use" \
      "(2.5 min from pip's cache, 5-8 min when downloaded; quiet meanwhile):"
echo "harness:   transformers, datasets, sacrebleu, rouge-score, pycocoevalcap, pandas, matplotlib," \
     "selenium, pytest and what they need" >&2
# every extra the tests use: the models, the hub data, other harnesses' files and the learned
# metrics besides the light scoring install
"$PY" -m pip install -q --disable-pip-version-check "${constraints[@]}" -e ".[models,hub,foreign,test,bertscore,comet,metricx]"
done_in
touch "$stamp"
