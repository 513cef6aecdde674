#!/usr/bin/env bash
# SIRENE import benchmark: essor against DuckDB computing the same panorama, and against the
# physical floor (reading the files), on this machine, page cache warm, in one run.
#
# Generates synthetic stock files in INSEE's format with `essor generate sirene` at the stated
# scale (kept in BENCH_DIR and reused by later runs of the same scale and seed), then measures:
#   (a) floor: `cat` of the two CSV files to /dev/null;
#   (b) essor: `essor import sirene` of the CSV files into a fresh data folder (wall time and
#       max RSS; the folder is set up first, untimed, as a first start does: database created,
#       reference territory and plan loaded), then `essor panorama --territory epci:200040715 --format json` (the whole
#       command, process start included; median of BENCH_PANORAMA_RUNS runs), and the panorama
#       computed in process with the database kept open, as the server does (`essor panorama
#       --timing N`: median of BENCH_TIMING_RUNS computations) for an EPCI, a département and a
#       list of communes (PANORAMA_TERRITORIES);
#   (c) DuckDB: tests/crosscheck/duckdb_panorama.py on the same CSV files, DUCKDB_THREADS
#       threads (the same panorama of Grenoble-Alpes-Métropole, written independently from
#       DATA.md; Python start and `import duckdb` included, about 0.3 s);
#   (d) Parquet: the CSV files converted once with DuckDB (every column VARCHAR, DuckDB's
#       default compression; not timed), then DuckDB on Parquet, and essor on Parquet when
#       `essor import sirene` accepts .parquet files;
#   (e) zip, as INSEE publishes the files: `unzip -p` of both archives to /dev/null (floor),
#       essor importing the .zip files, and DuckDB on them (duckdb_panorama.py streams each
#       archive to a temporary CSV in BENCH_DIR first, since DuckDB cannot read inside a zip;
#       skipped, and said so, when the disk lacks room for the unzipped files).
# Prints a Markdown table: step, wall seconds, CPU seconds, max RSS MiB, ratio essor/DuckDB
# (at most 0.5 meets the target "at least twice as fast"), ratio essor/floor; then the verdicts
# against PRODUCT.md (import at least twice as fast as DuckDB on CSV, no slower on Parquet, RSS
# under 1 GiB; panorama under 50 ms) and whether essor and DuckDB gave the same figures.
#
# Usage: bench/sirene.sh [--no-build] [--results FILE]
#   --no-build       use the existing target/release/essor (default: cargo build --release)
#   --results FILE   also append a Markdown report (command, scale, machine, table) to FILE
# Environment: SCALE (establishments; default 4390000 = 10 % of the country; 43900000 = the
#   whole country), BENCH_SEED (7), BENCH_DIR (default target/bench-sirene; needs about
#   0.5 GB per million establishments for CSV + zip + Parquet + essor's data, plus 0.3 GB per
#   million while DuckDB reads the zip files), DUCKDB_THREADS (2),
#   BENCH_PANORAMA_RUNS (5), BENCH_TIMING_RUNS (21), PANORAMA_TERRITORIES (epci:200040715
#   departement:38 communes:69123,69259,38185), ESSOR_BIN (default target/release/essor), PYTHON (python3).
# Exit status: 0 when measured (whatever the verdict), non-zero when the run itself failed.
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
        echo "unknown argument: $1" >&2
        exit 2
        ;;
    esac
    shift
done

SCALE=${SCALE:-4390000}
SEED=${BENCH_SEED:-7}
DIR=${BENCH_DIR:-$ROOT/target/bench-sirene}
THREADS=${DUCKDB_THREADS:-2}
RUNS=${BENCH_PANORAMA_RUNS:-5}
TIMING_RUNS=${BENCH_TIMING_RUNS:-21}
read -r -a PANORAMA_TERRITORIES <<<"${PANORAMA_TERRITORIES:-epci:200040715 departement:38 communes:69123,69259,38185}"
ESSOR=${ESSOR_BIN:-$ROOT/target/release/essor}
PY=${PYTHON:-python3}
TERRITORY=epci:200040715

if ((BUILD)); then
    cargo build --release --quiet
fi
[[ -x $ESSOR ]] || { echo "essor binary not found: $ESSOR" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
if ! "$PY" -c 'import duckdb' 2>/dev/null; then
    "$PY" -m pip install --quiet --disable-pip-version-check duckdb
fi
DUCKDB_VERSION=$("$PY" -c 'import duckdb; print(duckdb.__version__)')

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
CSV=$DIR/files-$SCALE-$SEED
PARQUET=$DIR/parquet-$SCALE-$SEED
LOGS=$DIR/logs
mkdir -p "$LOGS"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

stock_file() { # DIR PREFIX EXT
    local f
    for f in "$1/$2"*."$3"; do
        [[ -f $f ]] && { echo "$f"; return 0; }
    done
    echo "no $2*.$3 in $1" >&2
    return 1
}

# --- Files (not timed) -------------------------------------------------------------------------
if [[ ! -f $CSV/.complete ]]; then
    log "generating $SCALE establishments (seed $SEED), CSV and zip, into $CSV"
    rm -rf "$CSV"
    "$ESSOR" generate sirene --out "$CSV" --establishments "$SCALE" --seed "$SEED" --zip >"$LOGS/generate.log" 2>&1
    touch "$CSV/.complete"
fi
EST=$(stock_file "$CSV" StockEtablissement csv)
UNITS=$(stock_file "$CSV" StockUniteLegale csv)
EST_ZIP=$(stock_file "$CSV" StockEtablissement zip)
UNITS_ZIP=$(stock_file "$CSV" StockUniteLegale zip)
if [[ ! -f $PARQUET/.complete ]]; then
    log "converting the CSV files to Parquet with DuckDB into $PARQUET"
    rm -rf "$PARQUET"
    mkdir -p "$PARQUET"
    "$PY" - "$EST" "$UNITS" "$PARQUET" "$THREADS" <<'EOF'
import sys, duckdb
est, units, out, threads = sys.argv[1:]
con = duckdb.connect()
con.execute(f"SET threads = {int(threads)}")
for src, name in ((est, "StockEtablissement_utf8.parquet"), (units, "StockUniteLegale_utf8.parquet")):
    con.execute(
        f"COPY (SELECT * FROM read_csv('{src}', header=true, all_varchar=true, delim=',', "
        f"quote='\"', escape='\"')) TO '{out}/{name}' (FORMAT parquet)")
EOF
    touch "$PARQUET/.complete"
fi
EST_PQ=$PARQUET/StockEtablissement_utf8.parquet
UNITS_PQ=$PARQUET/StockUniteLegale_utf8.parquet

mib() { echo $(( $(stat -c %s "$1") / 1048576 )); }
EST_ROWS=$(($(wc -l <"$EST") - 1))
UNIT_ROWS=$(($(wc -l <"$UNITS") - 1))
log "files: $EST ($(mib "$EST") MiB, $EST_ROWS lines), $UNITS ($(mib "$UNITS") MiB, $UNIT_ROWS lines)"

# --- Measuring ---------------------------------------------------------------------------------
declare -A WALL RSS CPU STATUS
# measure KEY CMD...: wall seconds (ns clock) and max RSS (from /usr/bin/time -v) of CMD.
measure() {
    local key=$1
    shift
    local out=$LOGS/$key.out err=$LOGS/$key.time start end rc=0
    start=$(date +%s%N)
    /usr/bin/time -v -o "$err" "$@" >"$out" 2>"$LOGS/$key.err" || rc=$?
    end=$(date +%s%N)
    WALL[$key]=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')
    RSS[$key]=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$err")
    CPU[$key]=$(awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.2f", t }' "$err")
    STATUS[$key]=$rc
    log "$key: ${WALL[$key]} s, CPU ${CPU[$key]} s, ${RSS[$key]} MiB, exit $rc"
    return $rc
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before measuring: $LOAD_BEFORE"
# Page cache warm: the files of each step are read once, untimed, right before it (at the whole
# country's size all the files together do not fit in memory).
warm() { cat "$@" >/dev/null; }
# A fresh data folder as a deployment has it before its first import: the database created, the
# reference territory and its plan loaded (what the first start does, once; untimed).
fresh_data() {
    rm -rf "$1"
    "$ESSOR" --data-dir "$1" plan show >/dev/null 2>"$LOGS/fresh-data.err"
}

# (a) floor
warm "$EST" "$UNITS"
measure floor_csv cat "$EST" "$UNITS" || true

# (b) essor on CSV
fresh_data "$DIR/data-csv"
warm "$EST" "$UNITS"
measure essor_csv "$ESSOR" --data-dir "$DIR/data-csv" import sirene --establishments "$EST" --units "$UNITS" || true
declare -a PANO
for ((i = 0; i < RUNS; i++)); do
    measure "essor_panorama_$i" "$ESSOR" --data-dir "$DIR/data-csv" panorama --territory "$TERRITORY" --format json || true
    PANO+=("${WALL[essor_panorama_$i]}")
done
WALL[essor_panorama]=$(printf '%s\n' "${PANO[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
RSS[essor_panorama]=${RSS[essor_panorama_0]}
CPU[essor_panorama]=$(for ((i = 0; i < RUNS; i++)); do echo "${CPU[essor_panorama_$i]}"; done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
cp "$LOGS/essor_panorama_0.out" "$DIR/panorama-essor.json"
# In process: milliseconds per computation, the database open (what the server does).
declare -A PANO_MS
for territory in "${PANORAMA_TERRITORIES[@]}"; do
    "$ESSOR" --data-dir "$DIR/data-csv" panorama --territory "$territory" --format json \
        --timing "$TIMING_RUNS" >/dev/null 2>"$LOGS/timing.err" || true
    PANO_MS[$territory]=$(sed -n 's/.*médiane \([0-9.]*\) ms.*/\1/p' "$LOGS/timing.err" | tail -n 1)
    log "panorama in process $territory: ${PANO_MS[$territory]:-?} ms (median of $TIMING_RUNS)"
done

# (c) DuckDB on CSV
warm "$EST" "$UNITS"
measure duckdb_csv "$PY" tests/crosscheck/duckdb_panorama.py --threads "$THREADS" \
    --establishments "$EST" --units "$UNITS" --territory "$TERRITORY" --out "$DIR/panorama-duckdb-csv.json" || true

# (d) Parquet
warm "$EST_PQ" "$UNITS_PQ"
measure duckdb_parquet "$PY" tests/crosscheck/duckdb_panorama.py --threads "$THREADS" \
    --establishments "$EST_PQ" --units "$UNITS_PQ" --territory "$TERRITORY" --out "$DIR/panorama-duckdb-parquet.json" || true
fresh_data "$DIR/data-parquet"
PARQUET_SUPPORTED=1
warm "$EST_PQ" "$UNITS_PQ"
if ! measure essor_parquet "$ESSOR" --data-dir "$DIR/data-parquet" import sirene --establishments "$EST_PQ" --units "$UNITS_PQ"; then
    PARQUET_SUPPORTED=0
    echo "essor Parquet : non pris en charge ($(tail -n 1 "$LOGS/essor_parquet.err"))" >&2
fi
rm -rf "$DIR/data-parquet"

# (e) zip
warm "$EST_ZIP" "$UNITS_ZIP"
measure floor_zip sh -c 'unzip -p "$1" >/dev/null && unzip -p "$2" >/dev/null' sh "$EST_ZIP" "$UNITS_ZIP" || true
fresh_data "$DIR/data-zip"
warm "$EST_ZIP" "$UNITS_ZIP"
measure essor_zip "$ESSOR" --data-dir "$DIR/data-zip" import sirene --establishments "$EST_ZIP" --units "$UNITS_ZIP" || true
rm -rf "$DIR/data-zip"
# DuckDB needs the unzipped CSV on disk: skip when it would not fit with 2 GiB to spare.
UNZIPPED=$(( $(unzip -l "$EST_ZIP" | awk 'END { print $1 }') + $(unzip -l "$UNITS_ZIP" | awk 'END { print $1 }') ))
AVAIL=$(df --output=avail -B1 "$DIR" | tail -n 1)
DUCKDB_ZIP_SKIPPED=
if ((AVAIL < UNZIPPED + 2 * 1024 * 1024 * 1024)); then
    DUCKDB_ZIP_SKIPPED="not measured: $((UNZIPPED / 1073741824)) GiB to unzip, $((AVAIL / 1073741824)) GiB free"
    log "duckdb_zip skipped ($DUCKDB_ZIP_SKIPPED)"
else
    warm "$EST_ZIP" "$UNITS_ZIP"
    measure duckdb_zip "$PY" tests/crosscheck/duckdb_panorama.py --threads "$THREADS" --tmp-dir "$DIR" \
        --establishments "$EST_ZIP" --units "$UNITS_ZIP" --territory "$TERRITORY" --out "$DIR/panorama-duckdb-zip.json" || true
fi

# Same figures? (a benchmark of a wrong answer is worthless)
SAME=$("$PY" tests/crosscheck/compare.py "$DIR/panorama-essor.json" "$DIR/panorama-duckdb-csv.json" >"$LOGS/compare.txt" 2>&1 && echo yes || echo "NO (see $LOGS/compare.txt)")

# --- Report ------------------------------------------------------------------------------------
ratio() { # A B -> A/B with 2 decimals, or — when B is missing or 0
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "—"; else printf "%.2f", a / b }'
}
row() { # LABEL KEY DUCKDB_KEY FLOOR_KEY
    local label=$1 key=$2 dk=${3:-} fk=${4:-}
    local r1="—" r2="—"
    # No ratio against a step that failed or was not measured.
    [[ -n $dk && ${STATUS[$dk]:-x} == 0 ]] && r1=$(ratio "${WALL[$key]}" "${WALL[$dk]}")
    [[ -n $fk && ${STATUS[$fk]:-x} == 0 ]] && r2=$(ratio "${WALL[$key]}" "${WALL[$fk]}")
    local status=
    [[ ${STATUS[$key]:-0} != 0 ]] && status=" (FAILED, exit ${STATUS[$key]})"
    printf '| %s%s | %s | %s | %s | %s | %s |\n' "$label" "$status" "${WALL[$key]}" "${CPU[$key]}" "${RSS[$key]}" "$r1" "$r2"
}

table() {
    echo "| step | wall s | CPU s (user+sys) | max RSS MiB | essor / DuckDB (wall) | essor / floor (wall) |"
    echo "|---|---:|---:|---:|---:|---:|"
    row "(a) floor: cat of the 2 CSV files" floor_csv
    row "(b) essor import sirene, CSV" essor_csv duckdb_csv floor_csv
    row "(b) essor panorama $TERRITORY (median of $RUNS, whole command)" essor_panorama
    local territory
    for territory in "${PANORAMA_TERRITORIES[@]}"; do
        printf '| (b) essor panorama %s, in process (median of %s, ms) | %s ms | — | — | — | — |\n' \
            "$territory" "$TIMING_RUNS" "${PANO_MS[$territory]:-?}"
    done
    row "(c) DuckDB panorama, CSV, $THREADS threads" duckdb_csv
    row "(d) DuckDB panorama, Parquet, $THREADS threads" duckdb_parquet
    if ((PARQUET_SUPPORTED)); then
        row "(d) essor import sirene, Parquet" essor_parquet duckdb_parquet
    else
        echo "| (d) essor Parquet : non pris en charge | — | — | — | — | — |"
    fi
    row "(e) floor: unzip -p of the 2 zip files" floor_zip
    row "(e) essor import sirene, zip" essor_zip duckdb_zip floor_zip
    if [[ -n $DUCKDB_ZIP_SKIPPED ]]; then
        echo "| (e) DuckDB panorama, zip: $DUCKDB_ZIP_SKIPPED | — | — | — | — | — |"
    else
        row "(e) DuckDB panorama, zip (unzipped to a temporary file)" duckdb_zip
    fi
}

verdicts() {
    local r
    r=$(ratio "${WALL[essor_csv]}" "${WALL[duckdb_csv]}")
    echo "- CSV import at least twice as fast as DuckDB (ratio ≤ 0.50): ratio $r → $(awk -v r="$r" 'BEGIN { print (r != "—" && r <= 0.5) ? "met" : "MISSED" }')"
    if ((PARQUET_SUPPORTED)); then
        r=$(ratio "${WALL[essor_parquet]}" "${WALL[duckdb_parquet]}")
        echo "- Parquet import no slower than DuckDB (ratio ≤ 1): ratio $r → $(awk -v r="$r" 'BEGIN { print (r != "—" && r <= 1) ? "met" : "MISSED" }')"
    else
        echo "- Parquet import no slower than DuckDB: not measurable (essor Parquet : non pris en charge)"
    fi
    local max=0 k
    for k in essor_csv essor_zip essor_parquet; do
        [[ -n ${RSS[$k]:-} && ${STATUS[$k]:-1} == 0 ]] && ((RSS[$k] > max)) && max=${RSS[$k]}
    done
    echo "- import memory under 1 GiB: max RSS $max MiB → $( ((max < 1024)) && echo met || echo MISSED)"
    local ms worst=0 t all=""
    for t in "${PANORAMA_TERRITORIES[@]}"; do
        all+="${all:+, }$t ${PANO_MS[$t]:-?} ms"
        worst=$(awk -v a="$worst" -v b="${PANO_MS[$t]:-999999}" 'BEGIN { print (b > a) ? b : a }')
    done
    echo "- panorama under 50 ms, in process (median of $TIMING_RUNS): $all → $(awk -v w="$worst" 'BEGIN { print (w < 50) ? "met" : "MISSED" }')"
    ms=$(awk -v s="${WALL[essor_panorama]}" 'BEGIN { printf "%.0f", s * 1000 }')
    echo "- the whole \`essor panorama\` command (process start, opening the database, printing): ${ms} ms"
    echo "- same figures from essor and DuckDB (compare.py, $TERRITORY): $SAME"
}

machine() {
    echo "- machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB of memory"
    echo "- $(rustc --version 2>/dev/null || echo 'rustc ?'), $("$ESSOR" --version 2>/dev/null || echo 'essor ?'), DuckDB $DUCKDB_VERSION (Python $("$PY" -c 'import platform; print(platform.python_version())'))"
    echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (working tree modified)')"
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); load average before measuring: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- scale: SCALE=$SCALE establishments ($(awk -v s="$SCALE" 'BEGIN { printf "%.1f", 100 * s / 43900000 }') % of the country), $UNIT_ROWS legal units, seed $SEED (synthetic files of essor generate sirene)"
    echo "- files: establishments $(mib "$EST") MiB CSV / $(mib "$EST_ZIP") MiB zip / $(mib "$EST_PQ") MiB Parquet; units $(mib "$UNITS") MiB CSV / $(mib "$UNITS_ZIP") MiB zip / $(mib "$UNITS_PQ") MiB Parquet"
}

TABLE=$(table)
VERDICTS=$(verdicts)
echo
echo "$TABLE"
echo
echo "$VERDICTS"
if [[ -n $RESULTS ]]; then
    {
        echo "## SIRENE import, SCALE=$SCALE"
        echo
        echo "Command: \`SCALE=$SCALE BENCH_DIR=$DIR ESSOR_BIN=$ESSOR DUCKDB_THREADS=$THREADS bench/sirene.sh --no-build --results $RESULTS\` (page cache warm, one run; essor binary of $(date -u -r "$ESSOR" +%Y-%m-%dT%H:%MZ))."
        echo
        machine
        echo
        echo "$TABLE"
        echo
        echo "$VERDICTS"
        echo
    } >>"$RESULTS"
    log "report appended to $RESULTS"
fi
