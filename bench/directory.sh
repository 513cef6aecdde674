#!/usr/bin/env bash
# Directory search benchmark: essor's search against SQLite FTS5 on the same generated actors
# (250 000 ESS establishments, the whole country as default territory), in one run.
#
# Builds the release binary of crates/essor-bench-directory, prepares the data once (kept in
# BENCH_DIR and reused while the scale and seed stay the same), then:
#   (1) latency in process: `essor-bench-directory latency`, each query of the set answered by
#       essor's API handler (the router through oneshot, JSON included), by essor's index
#       alone, and by FTS5 (the same answer in SQL, written as the same JSON); p50 and p99 per
#       query and over all;
#   (2) over HTTP: `essor-bench-directory serve` (essor's router, plus the FTS5 baseline at
#       /bench/fts5 in the same process), then wrk on /api/v1/acteurs and on /bench/fts5, each
#       rotating over the same query strings (bench/directory.lua); requests/s, p50, p99.
# While measuring, the CPU time of the whole machine, of the benchmark's process and of wrk is
# read, and the share the *other* processes took is printed (above 10 %, the figures are low).
# Prints a Markdown report on stdout (progress and wrk's full output on stderr) with the
# verdicts against the targets: p99 under 10 ms in the server, at least 2 000 searches/s over
# HTTP on 2 cores, and ahead of FTS5.
#
# Usage: bench/directory.sh [--no-build] [--results FILE]
#   --no-build       use the existing binary (default: cargo build --release)
#   --results FILE   also append the report to FILE
# Environment: BENCH_DIR (default target/bench-directory; about 0.6 GB), BENCH_ACTORS (250000),
#   BENCH_SEED (7), BENCH_RUNS (rounds over the query set in process; default: enough for
#   2 000 searches per engine), BENCH_DURATION (15s), BENCH_WARMUP (3s), BENCH_THREADS (2),
#   BENCH_CONNECTIONS (64), BENCH_TIMEOUT (10s: wrk's timeout per request; its default of 2 s
#   would cut the latency distribution of a slow route), BENCH_FTS5_CONNECTIONS (4, SQLite
#   connections of the baseline),
#   BENCH_BIN (default: $CARGO_TARGET_DIR/release/essor-bench-directory).
# Exit status: 0 when measured (whatever the verdict), non-zero when the run itself failed.
# RPS_essor, P99_fts5… are set through `printf -v` in run_wrk, which shellcheck cannot follow.
# shellcheck disable=SC2154
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

BUILD=1
RESULTS=
while (($#)); do
    case $1 in
    --no-build) BUILD=0 ;;
    --results)
        RESULTS=$2
        shift
        ;;
    -h | --help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
        exit 0
        ;;
    *)
        echo "argument inconnu : $1" >&2
        exit 2
        ;;
    esac
    shift
done

ACTORS=${BENCH_ACTORS:-250000}
SEED=${BENCH_SEED:-7}
DIR=${BENCH_DIR:-$ROOT/target/bench-directory}
DURATION=${BENCH_DURATION:-15s}
WARMUP=${BENCH_WARMUP:-3s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
TIMEOUT=${BENCH_TIMEOUT:-10s}
FTS5_CONNECTIONS=${BENCH_FTS5_CONNECTIONS:-4}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${BENCH_BIN:-$TARGET_DIR/release/essor-bench-directory}

say() { echo "$*" >&2; }
# The commands timed with bash's `time` keep their own errors on stderr, through fd 3.
exec 3>&2

if ! command -v wrk >/dev/null 2>&1; then
    say "installation de wrk (paquet Debian)"
    apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2
fi

if ((BUILD)); then
    say "compilation du banc d’essai (release)"
    cargo build --release --locked -p essor-bench-directory >&2
fi
[[ -x $BIN ]] || { say "binaire introuvable : $BIN"; exit 1; }

WORK=$(mktemp -d -t essor-bench-directory.XXXXXX)
SERVER_PID=""
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# The data, once per scale and seed.
if [[ "$(cat "$DIR/prepared.txt" 2>/dev/null)" != "$("$BIN" marker --actors "$ACTORS" --seed "$SEED")" ]]; then
    say "préparation des données dans $DIR ($ACTORS établissements, graine $SEED)"
    "$BIN" prepare --dir "$DIR" --actors "$ACTORS" --seed "$SEED" >&2
else
    say "données déjà prêtes dans $DIR"
fi
"$BIN" queries >"$WORK/queries.txt"
QUERY_COUNT=$(wc -l <"$WORK/queries.txt")

# Other work on the machine skews the figures: the CPU time of the whole machine (/proc/stat)
# minus the benchmark's own (its process, and wrk) is the share other processes took.
HZ=$(getconf CLK_TCK)
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
process_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# other_share BUSY0 TOTAL0 BUSY1 TOTAL1 OWN_TICKS: the others' share, in percent.
other_share() {
    local share
    share=$(echo "100 * (($3 - $1) - $5) / ($4 - $2)" | bc -l)
    share=$(printf '%.0f' "$share")
    [[ $share != -* ]] || share=0 # accounting noise around zero
    echo "$share"
}
BUSY_NOTES=()
LOAD_BEFORE=$(cut -d ' ' -f 1-3 /proc/loadavg)

# (1) Latency in process.
say "latence en processus (API essor, index essor, FTS5)"
read -r busy0 total0 < <(machine_ticks)
{ TIMEFORMAT='%U %S'; time "$BIN" latency --dir "$DIR" ${BENCH_RUNS:+--runs "$BENCH_RUNS"} >"$WORK/latency.md" 2>&3; } 2>"$WORK/latency.time"
read -r busy1 total1 < <(machine_ticks)
own=$(tail -n 1 "$WORK/latency.time" | awk -v hz="$HZ" '{ print ($1 + $2) * hz }')
LATENCY_OTHER=$(other_share "$busy0" "$total0" "$busy1" "$total1" "$own")
((LATENCY_OTHER < 10)) || BUSY_NOTES+=("latence en processus (${LATENCY_OTHER} %)")
say "    les autres processus ont pris ${LATENCY_OTHER} % du processeur pendant cette mesure"

# (2) Over HTTP.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
say "démarrage du serveur sur $BASE"
"$BIN" serve --dir "$DIR" --addr "127.0.0.1:$PORT" --connections "$FTS5_CONNECTIONS" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
started=$(date +%s.%N)
deadline=$((SECONDS + 600))
until curl -fsS -o /dev/null --max-time 2 "$BASE/healthz" 2>/dev/null; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        say "le serveur s’est arrêté avant de répondre ; son journal :"
        tail -n 40 "$WORK/serve.log" >&2
        SERVER_PID=""
        exit 1
    fi
    if ((SECONDS > deadline)); then
        say "le serveur n’a pas répondu en 600 s ; son journal :"
        tail -n 40 "$WORK/serve.log" >&2
        exit 1
    fi
    sleep 0.2
done
STARTUP=$(echo "$(date +%s.%N) - $started" | bc -l | xargs printf '%.1f')
say "$(head -n 1 "$WORK/serve.log") ; prêt après ${STARTUP} s"

# Every query must be answered by both routes before anything is measured.
while read -r query; do
    for route in /api/v1/acteurs /bench/fts5; do
        status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$BASE$route?$query")
        [[ $status == 200 ]] || { say "$route?$query : statut $status"; exit 1; }
    done
done <"$WORK/queries.txt"

# run_wrk NAME ROUTE: sets RPS_, P50_, P99_, ERR_, TIMEOUTS_, TRANSFER_, OTHER_ of NAME.
run_wrk() {
    local name=$1 route=$2
    local args=(-t "$THREADS" -c "$CONNECTIONS" --timeout "$TIMEOUT" --latency -s bench/directory.lua)
    say "échauffement de $route pendant $WARMUP"
    wrk "${args[@]}" -d "$WARMUP" "$BASE" -- "$WORK/queries.txt" "$route" >/dev/null
    say "mesure de $route pendant $DURATION"
    local busy0 total0 server0 busy1 total1 server1 wrk_s out other
    read -r busy0 total0 < <(machine_ticks)
    server0=$(process_ticks "$SERVER_PID")
    { TIMEFORMAT='%U %S'; time wrk "${args[@]}" -d "$DURATION" "$BASE" -- "$WORK/queries.txt" "$route" >"$WORK/wrk.out" 2>&3; } 2>"$WORK/wrk.time"
    read -r busy1 total1 < <(machine_ticks)
    server1=$(process_ticks "$SERVER_PID")
    wrk_s=$(awk '{ print $1 + $2 }' "$WORK/wrk.time")
    other=$(other_share "$busy0" "$total0" "$busy1" "$total1" "$(echo "$server1 - $server0 + $wrk_s * $HZ" | bc -l)")
    say "    les autres processus ont pris ${other} % du processeur pendant cette mesure"
    ((other < 10)) || BUSY_NOTES+=("$route (${other} %)")
    out=$(<"$WORK/wrk.out")
    sed 's/^/    /' "$WORK/wrk.out" >&2
    # wrk prints latency percentiles with a unit: us, ms or s.
    percentile() {
        awk -v p="$1" '$1 == p {
            v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v);
            if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
            printf "%.2f", v }' <<<"$out"
    }
    printf -v "RPS_$name" '%s' "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")"
    printf -v "P50_$name" '%s' "$(percentile 50%)"
    printf -v "P99_$name" '%s' "$(percentile 99%)"
    printf -v "TRANSFER_$name" '%s' "$(awk '/^Transfer\/sec:/ { print $2 }' <<<"$out")"
    # Errors: answers other than 2xx/3xx and connect, read or write errors; timeouts apart.
    printf -v "ERR_$name" '%s' "$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { for (i = 3; i < NF - 1; i++) if ($i ~ /^[0-9]+,?$/) n += $i + 0 } END { print n + 0 }' <<<"$out")"
    printf -v "TIMEOUTS_$name" '%s' "$(awk '/Socket errors:/ { n += $NF } END { print n + 0 }' <<<"$out")"
    printf -v "OTHER_$name" '%s' "$other"
}
run_wrk essor /api/v1/acteurs
run_wrk fts5 /bench/fts5

verdict() { if (("$1")); then echo "atteinte"; else echo "**MANQUÉE**"; fi; }
RATE_OK=$(((RPS_essor >= 2000) && (ERR_essor + TIMEOUTS_essor == 0)))
# Ahead: more searches a second, and a lower p99 (a route with timeouts has a p99 that
# understates its latency: essor is then ahead if it had none).
P99_AHEAD=$(echo "$P99_essor < $P99_fts5" | bc -l)
((TIMEOUTS_fts5 == 0 || TIMEOUTS_essor > 0)) || P99_AHEAD=1
AHEAD_OK=$(((RPS_essor > RPS_fts5) && (ERR_essor == 0) && P99_AHEAD))
CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
MEMORY=$(free -h | awk '/^Mem:/ { print $2 }')
OS=$(. /etc/os-release && echo "$PRETTY_NAME")
RUSTC=$(rustc --version 2>/dev/null || echo inconnu)
# `wrk -v` prints its version and exits with status 1.
WRK_VERSION=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo aucun)
DIRTY=""
if git status --porcelain 2>/dev/null | grep -q .; then
    DIRTY=" (avec des modifications non validées)"
fi
LOAD_AFTER=$(cut -d ' ' -f 1-3 /proc/loadavg)

{
    echo "# Annuaire : recherche d’essor contre SQLite FTS5, $(date -u '+%Y-%m-%d %H:%M') UTC"
    echo
    echo "$ACTORS établissements générés (graine $SEED), la France entière comme territoire par défaut ;"
    echo "$QUERY_COUNT requêtes. Machine : $(nproc) cœurs, $CPU, $MEMORY, $OS ; $RUSTC ; wrk $WRK_VERSION ;"
    echo "commit $COMMIT$DIRTY. Charge moyenne avant : $LOAD_BEFORE ; après : $LOAD_AFTER."
    echo
    cat "$WORK/latency.md"
    echo "- les autres processus ont pris ${LATENCY_OTHER} % du processeur pendant cette mesure."
    echo
    echo "## Débit par HTTP (wrk)"
    echo
    echo "Un seul processus sert les deux routes ; wrk $THREADS fils, $CONNECTIONS connexions, $DURATION après"
    echo "$WARMUP d’échauffement, délai maximal $TIMEOUT par requête, chaque requête de l’ensemble tour à"
    echo "tour ; client et serveur sur les mêmes $(nproc) cœurs. Serveur prêt ${STARTUP} s après son lancement"
    echo "(annuaire construit au démarrage)."
    echo
    echo "| route | requêtes/s | p50 (ms) | p99 (ms) | débit | erreurs | délais dépassés | autres processus |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    echo "| essor \`/api/v1/acteurs\` | $RPS_essor | $P50_essor | $P99_essor | $TRANSFER_essor/s | $ERR_essor | $TIMEOUTS_essor | $OTHER_essor % |"
    echo "| FTS5 \`/bench/fts5\` | $RPS_fts5 | $P50_fts5 | $P99_fts5 | $TRANSFER_fts5/s | $ERR_fts5 | $TIMEOUTS_fts5 | $OTHER_fts5 % |"
    echo
    echo "- au moins 2 000 recherches/s par HTTP : $(verdict "$RATE_OK") ($RPS_essor/s)."
    echo "- devant FTS5 par HTTP (plus de requêtes/s, p99 plus bas) : $(verdict "$AHEAD_OK")."
    if ((${#BUSY_NOTES[@]})); then
        printf -v joined '%s, ' "${BUSY_NOTES[@]}"
        echo "- **ATTENTION** : d’autres processus ont pris 10 % ou plus du processeur pendant ${joined%, } : ces chiffres sont bas."
    fi
} >"$WORK/report.md"

cat "$WORK/report.md"
if [[ -n $RESULTS ]]; then
    { echo; cat "$WORK/report.md"; } >>"$RESULTS"
    say "rapport ajouté à $RESULTS"
fi
