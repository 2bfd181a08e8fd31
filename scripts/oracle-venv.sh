# Sourced by the scripts that build an oracle's environment of its own (vllm-env.sh,
# comet-env.sh), after they set VENV, PY, stamp (the file written when a build completes) and
# want (what the build is for, the stamp's content).

# Exit printing the interpreter when the environment was built for $want already.
exit_if_current() {
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "harness: $VENV is up to date (delete $stamp to reinstall)" >&2
        echo "$PY"
        exit 0
    fi
}

# Create the environment where there is none, and mark it unfinished until the build ends.
start_build() {
    started=$(date +%s)
    if [ ! -x "$PY" ]; then
        echo "harness: creating $VENV" >&2
        mkdir -p "$(dirname "$VENV")"
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    rm -f "$stamp"
}
