#!/usr/bin/env bash
# Open data check: a first start of essor (demonstration data: a synthetic SIRENE stock and
# about 200 dossiers over five years), then `essor export subventions`, validated by
# frictionless with the official SCDL « subventions » 2.1.1 schema (`frictionless validate`)
# and by validate_scdl.py (the same, plus the schema's two custom checks).
#
# Usage: tests/opendata/run.sh [ESSOR_BIN]   (default target/release/essor)
# Prints `N passed, M failed` (the files validated); exit status 0 when all are valid.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ESSOR=${1:-${ESSOR_BIN:-$ROOT/target/release/essor}}
PY=${PYTHON:-python3}
[[ -x $ESSOR ]] || { echo "essor binary not found: $ESSOR (cargo build --release)" >&2; exit 2; }

if ! "$PY" -c 'import frictionless' 2>/dev/null; then
    "$PY" -m pip install --quiet --disable-pip-version-check frictionless
fi
echo "frictionless $("$PY" -c 'import frictionless; print(frictionless.__version__)')"

WORK=$(mktemp -d -t essor-opendata.XXXXXX)
SERVER=""
cleanup() {
    if [[ -n $SERVER ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# A free port on the loopback, then a first start, stopped once ready.
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u ESSOR_DATABASE_URL ESSOR_DEMO=true "$ESSOR" --data-dir "$WORK/data" --addr "127.0.0.1:$PORT" serve \
    >"$WORK/serve.log" 2>&1 &
SERVER=$!
start=$SECONDS
until grep -q "essor est prêt" "$WORK/serve.log" 2>/dev/null; do
    if ! kill -0 "$SERVER" 2>/dev/null || ((SECONDS - start > 120)); then
        echo "essor did not start:" >&2
        tail -n 20 "$WORK/serve.log" >&2
        exit 1
    fi
    sleep 0.5
done
echo "first start with demonstration data: $((SECONDS - start)) s"
grep -o "dossiers de démonstration chargés.*" "$WORK/serve.log" || true
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
SERVER=""

passed=0
failed=0
check() {
    local name=$1 file=$2
    local rows
    rows=$(($(wc -l <"$file") - 1))
    if ((rows < 1)); then
        echo "FAIL $name: no subsidy exported"
        failed=$((failed + 1))
        return
    fi
    cp "$ROOT/data/scdl-subventions-2.1.1.schema.json" "$WORK/out/"
    if (cd "$WORK/out" && frictionless validate --schema scdl-subventions-2.1.1.schema.json \
        "$(basename "$file")" >"$WORK/frictionless.log" 2>&1) &&
        "$PY" "$HERE/validate_scdl.py" "$file" >"$WORK/custom.log" 2>&1; then
        echo "ok   $name: $rows subsidies valid (frictionless validate and the custom checks)"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        cat "$WORK/frictionless.log" "$WORK/custom.log"
        failed=$((failed + 1))
    fi
}

mkdir -p "$WORK/out"
env -u ESSOR_DATABASE_URL ESSOR_DEMO=false "$ESSOR" --data-dir "$WORK/data" export subventions \
    --out "$WORK/out/subventions.csv"
check "essor export subventions" "$WORK/out/subventions.csv"
year=$(date +%Y)
env -u ESSOR_DATABASE_URL ESSOR_DEMO=false "$ESSOR" --data-dir "$WORK/data" export subventions \
    --year "$((year - 1))" >"$WORK/out/subventions-$((year - 1)).csv"
check "essor export subventions --year $((year - 1))" "$WORK/out/subventions-$((year - 1)).csv"

echo "$passed passed, $failed failed"
((failed == 0))
