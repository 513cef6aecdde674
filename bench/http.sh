#!/usr/bin/env bash
# HTTP throughput and latency of essor's public pages, measured with wrk on this machine.
#
# Builds the release binary, starts `essor serve` on a fresh data folder (SQLite, demo data),
# waits for /healthz, warms up, then measures in one run:
#   - /healthz, the trivial route (the ceiling of the HTTP stack);
#   - /, the home page (a real page: template, store reads);
#   - / again with `Accept-Encoding: br, gzip`, as a browser asks for it;
#   - any extra paths given in BENCH_PATHS (e.g. BENCH_PATHS="/plan /territoire").
# Prints requests/s and p99 latency of each, the home/trivial ratio, and the verdict against
# the targets of PRODUCT.md (any public page >= 5 000 req/s with p99 < 20 ms; home page at
# least half the trivial route's rate).
#
# Usage: bench/http.sh [--json | --markdown] [--no-build]
# Environment: BENCH_DURATION (default 15s), BENCH_THREADS (2), BENCH_CONNECTIONS (64),
#              BENCH_WARMUP (3s), ESSOR_BIN (default: target/release/essor),
#              ESSOR_DATABASE_URL (benchmark on PostgreSQL instead; the database must exist).
# Exit status: 0 when measured (whatever the verdict), non-zero when the run itself failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FORMAT=text
BUILD=1
for arg in "$@"; do
    case $arg in
    --json) FORMAT=json ;;
    --markdown) FORMAT=markdown ;;
    --no-build) BUILD=0 ;;
    -h | --help)
        sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "unknown argument: $arg" >&2
        exit 2
        ;;
    esac
done

DURATION=${BENCH_DURATION:-15s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WARMUP=${BENCH_WARMUP:-3s}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
ESSOR_BIN=${ESSOR_BIN:-$TARGET_DIR/release/essor}

# Progress goes to stderr so that --json and --markdown print only the result on stdout.
say() { echo "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
    say "installing wrk (Debian package)"
    apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2
fi

if [[ $BUILD -eq 1 ]]; then
    say "building the release binary"
    cargo build --release --locked >&2
fi
[[ -x $ESSOR_BIN ]] || { say "no binary at $ESSOR_BIN"; exit 1; }

DATA_DIR=$(mktemp -d -t essor-bench.XXXXXX)
LOG=$DATA_DIR.log
SERVER_PID=""
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA_DIR" "$LOG" "$DATA_DIR.wrk" "$DATA_DIR.time"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
"$ESSOR_BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$DATA_DIR" >"$LOG" 2>&1 &
SERVER_PID=$!

start=$(date +%s.%N)
deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null --max-time 2 "$BASE/healthz" 2>/dev/null; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        say "essor exited before answering /healthz; its log:"
        tail -n 40 "$LOG" >&2
        SERVER_PID=""
        exit 1
    fi
    if ((SECONDS > deadline)); then
        say "essor did not answer /healthz within 120 s; its log:"
        tail -n 40 "$LOG" >&2
        exit 1
    fi
    sleep 0.1
done
STARTUP=$(echo "$(date +%s.%N) - $start" | bc -l | xargs printf '%.2f')
say "essor ready on $BASE after ${STARTUP}s"

# Other work on the machine skews the figures. During each measurement the CPU time of the whole
# machine (/proc/stat), of essor (/proc/PID/stat) and of wrk (bash's `time`) is read; what is left
# is the share of the cores that other processes took, reported per route.
HZ=$(getconf CLK_TCK)
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
essor_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$SERVER_PID/stat"; }
BUSY_ROUTES=()

# run_wrk NAME PATH [HEADER]: measures one route; sets RPS_<NAME>, P99_<NAME> (ms), ERR_<NAME>.
run_wrk() {
    local name=$1 path=$2 header=${3:-}
    local args=(-t "$THREADS" -c "$CONNECTIONS" --latency)
    [[ -n $header ]] && args+=(-H "$header")
    say "warm-up $path ${header:+($header) }for $WARMUP"
    wrk "${args[@]}" -d "$WARMUP" "$BASE$path" >/dev/null
    say "measuring $path ${header:+($header) }for $DURATION"
    local out busy0 total0 essor0 busy1 total1 essor1 wrk_s other
    read -r busy0 total0 < <(machine_ticks)
    essor0=$(essor_ticks)
    local timing=$DATA_DIR.time
    { TIMEFORMAT='%U %S'; time wrk "${args[@]}" -d "$DURATION" "$BASE$path" >"$DATA_DIR.wrk"; } 2>"$timing"
    out=$(<"$DATA_DIR.wrk")
    read -r busy1 total1 < <(machine_ticks)
    essor1=$(essor_ticks)
    wrk_s=$(awk '{ print $1 + $2 }' "$timing")
    other=$(echo "100 * (($busy1 - $busy0) - ($essor1 - $essor0) - $wrk_s * $HZ) / ($total1 - $total0)" | bc -l)
    other=$(printf '%.0f' "$other")
    [[ $other != -* ]] || other=0 # accounting noise around zero
    say "    other processes took ${other}% of the machine's CPU during this measurement"
    ((other < 10)) || BUSY_ROUTES+=("$path${header:+ ($header)} (${other}%)")
    echo "$out" | sed 's/^/    /' >&2
    local rps p99 errors
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    # wrk prints latency percentiles with a unit: us, ms or s.
    p99=$(awk '$1 == "99%" {
        v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v);
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
        printf "%.2f", v }' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i + 0 } END { print n + 0 }' <<<"$out")
    printf -v "RPS_$name" '%s' "${rps:-0}"
    printf -v "P99_$name" '%s' "${p99:-0}"
    printf -v "ERR_$name" '%s' "$errors"
    NAMES+=("$name")
    PATHS+=("$path${header:+ ($header)}")
}

NAMES=()
PATHS=()
run_wrk trivial /healthz
run_wrk home /
run_wrk home_compressed / 'Accept-Encoding: br, gzip'
i=0
for extra in ${BENCH_PATHS:-}; do
    run_wrk "extra$i" "$extra"
    i=$((i + 1))
done

CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
MEMORY=$(free -h | awk '/^Mem:/ { print $2 }')
OS=$(. /etc/os-release && echo "$PRETTY_NAME")
RUSTC=$(rustc --version 2>/dev/null || echo unknown)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo none)

RATIO=$(echo "$RPS_home / $RPS_trivial" | bc -l | xargs printf '%.2f')
verdict() { # NAME -> "ok" or the broken target
    local rps_var=RPS_$1 p99_var=P99_$1 err_var=ERR_$1
    local broken=()
    ((${!err_var} == 0)) || broken+=("${!err_var} errors")
    ((${!rps_var} >= 5000)) || broken+=("< 5000 req/s")
    (($(echo "${!p99_var} < 20" | bc -l))) || broken+=("p99 >= 20 ms")
    if ((${#broken[@]})); then
        local joined
        printf -v joined '%s; ' "${broken[@]}"
        echo "MISSED: ${joined%; }"
    else
        echo ok
    fi
}
RATIO_VERDICT=$( (($(echo "$RATIO >= 0.5" | bc -l))) && echo ok || echo "MISSED: < 0.5")

BUSY_NOTE=""
if ((${#BUSY_ROUTES[@]})); then
    printf -v BUSY_NOTE '%s, ' "${BUSY_ROUTES[@]}"
    BUSY_NOTE="WARNING: other processes took 10 % or more of the CPU while measuring ${BUSY_NOTE%, }: those figures are low"
    say "$BUSY_NOTE"
fi

case $FORMAT in
json)
    {
        printf '{"date":"%s","commit":"%s","nproc":%s,"cpu":"%s","memory":"%s","os":"%s","rustc":"%s",' \
            "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$COMMIT" "$(nproc)" "$CPU" "$MEMORY" "$OS" "$RUSTC"
        printf '"threads":%s,"connections":%s,"duration":"%s","startup_s":%s,"routes":[' \
            "$THREADS" "$CONNECTIONS" "$DURATION" "$STARTUP"
        sep=""
        for idx in "${!NAMES[@]}"; do
            n=${NAMES[$idx]}
            rps=RPS_$n p99=P99_$n err=ERR_$n
            printf '%s{"name":"%s","path":"%s","requests_per_s":%s,"p99_ms":%s,"errors":%s}' \
                "$sep" "$n" "${PATHS[$idx]}" "${!rps}" "${!p99}" "${!err}"
            sep=","
        done
        printf '],"home_to_trivial_ratio":%s,"busy_during":%s}\n' "$RATIO" \
            "$(printf '%s\n' "${BUSY_ROUTES[@]}" | jq -R . | jq -sc 'map(select(. != ""))')"
    } | jq .
    ;;
markdown)
    echo "| route | requests/s | p99 latency | target (≥ 5 000 req/s, p99 < 20 ms) |"
    echo "|---|---:|---:|---|"
    for idx in "${!NAMES[@]}"; do
        n=${NAMES[$idx]}
        rps=RPS_$n p99=P99_$n
        echo "| \`${PATHS[$idx]}\` | ${!rps} | ${!p99} ms | $(verdict "$n") |"
    done
    echo
    echo "Home page / trivial route: **$RATIO** (target ≥ 0.5: $RATIO_VERDICT)."
    echo
    [[ -z $BUSY_NOTE ]] || echo "$BUSY_NOTE."
    echo
    echo "Machine: $(nproc) × $CPU, $MEMORY, $OS, $RUSTC; commit $COMMIT; $(date -u +%Y-%m-%d)."
    ;;
*)
    echo
    printf '%-44s %12s %12s  %s\n' route 'requests/s' 'p99 (ms)' verdict
    for idx in "${!NAMES[@]}"; do
        n=${NAMES[$idx]}
        rps=RPS_$n p99=P99_$n
        printf '%-44s %12s %12s  %s\n' "${PATHS[$idx]}" "${!rps}" "${!p99}" "$(verdict "$n")"
    done
    echo "home / trivial ratio: $RATIO ($RATIO_VERDICT; target >= 0.5)"
    echo "($THREADS wrk threads, $CONNECTIONS connections, $DURATION per route, client and server on the same $(nproc) cores)"
    [[ -z $BUSY_NOTE ]] || echo "$BUSY_NOTE"
    echo "machine: $(nproc) × $CPU, $MEMORY, $OS, $RUSTC; commit $COMMIT; $(date -u +%Y-%m-%dT%H:%MZ); first start ${STARTUP}s"
    ;;
esac
