#!/usr/bin/env bash
# Cross-check: essor's panorama against an independent DuckDB computation (DATA.md §2).
#
# For each data set below, imports the two SIRENE stock files with `essor import sirene` into a
# fresh data folder, then for each territory compares `essor panorama --format json` with
# tests/crosscheck/duckdb_panorama.py run on the same files (tests/crosscheck/compare.py: every
# key and number of DATA.md §2, exactly). Data sets:
#   essor-csv      essor generate sirene --establishments N --seed S            (essor's generator)
#   essor-zip      the same with --zip                                          (zipped as published)
#   own-csv        gen_sirene.py --seed S                                       (independent generator)
#   own-zip        gen_sirene.py --seed S+1 --zip --variant shuffled --crlf     (columns in another
#                  order + an unknown column, CRLF line ends, zipped)
#   own-old        gen_sirene.py --seed S+2 --variant old                       (no NAF 2025 columns)
#   own-newlines   gen_sirene.py --seed S+3 --newlines (line breaks inside quoted names, which
#                  RFC 4180 allows; INSEE's files are not known to hold any)
#   parquet-text   essor's generator, converted to Parquet by DuckDB with every column VARCHAR
#   parquet-typed  gen_sirene.py --seed S+4, converted to Parquet by DuckDB with typed columns
#                  (dates DATE, siren BIGINT, legal category INTEGER, etablissementSiege
#                  BOOLEAN, coordinates DOUBLE, as INSEE's Parquet files may type them), zstd
#   (DuckDB then computes the panorama from the same Parquet files.)
# Territories: epci:200040715 (Grenoble-Alpes-Métropole), departement:38,
#   communes:69123,69259,38185 (Lyon and its arrondissements 69381-69389), epci:200054781
#   (Métropole du Grand Paris, with Paris's arrondissements).
# Before that, selftest.py checks the checker (hand-computed rows, plain-Python twin).
#
# Usage: tests/crosscheck/run.sh [ESSOR_BIN] [WORK_DIR]
# Environment: ESSOR_BIN (default target/release/essor), CROSSCHECK_WORK (default: a new
#   temporary folder), CROSSCHECK_ESTABLISHMENTS (200000), CROSSCHECK_SEED (7),
#   CROSSCHECK_SETS (all eight, space-separated), CROSSCHECK_TERRITORIES (the four above),
#   DUCKDB_THREADS (2), DUCKDB_ARGS (extra arguments of duckdb_panorama.py, e.g.
#   --theme-form-only), CROSSCHECK_SELFTEST (1; 0 skips it), CROSSCHECK_KEEP (1 keeps the
#   data folders, 0 removes each after use; default 0).
# Output: one line per comparison, the differences with their JSON path, and last a line
#   `N passed, M failed` (N, M = comparisons of a territory on a data set). Exit status 0 when
#   M = 0, 1 otherwise.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ESSOR=${1:-${ESSOR_BIN:-$ROOT/target/release/essor}}
WORK=${2:-${CROSSCHECK_WORK:-$(mktemp -d -t essor-crosscheck.XXXXXX)}}
N=${CROSSCHECK_ESTABLISHMENTS:-200000}
SEED=${CROSSCHECK_SEED:-7}
SETS=${CROSSCHECK_SETS:-essor-csv essor-zip own-csv own-zip own-old own-newlines parquet-text parquet-typed}
TERRITORIES=${CROSSCHECK_TERRITORIES:-epci:200040715 departement:38 communes:69123,69259,38185 epci:200054781}
THREADS=${DUCKDB_THREADS:-2}
read -r -a DUCKDB_EXTRA <<<"${DUCKDB_ARGS:-}"
KEEP=${CROSSCHECK_KEEP:-0}
PY=${PYTHON:-python3}

case $ESSOR in /*) ;; *) ESSOR=$PWD/$ESSOR ;; esac
[[ -x $ESSOR ]] || { echo "essor binary not found: $ESSOR (cargo build --release)" >&2; exit 2; }
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
echo "essor: $ESSOR"
echo "work:  $WORK"

if ! "$PY" -c 'import duckdb' 2>/dev/null; then
    "$PY" -m pip install --quiet --disable-pip-version-check duckdb >/dev/null 2>&1 ||
        "$PY" -m pip install --quiet duckdb
fi
echo "duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)'), $N establishments, seed $SEED"

if [[ ${CROSSCHECK_SELFTEST:-1} == 1 ]]; then
    echo "== selftest of the checker"
    "$PY" "$HERE/selftest.py" --work "$WORK/selftest"
fi

# The file of DIR whose name starts with PREFIX: the .zip for the *-zip data sets (essor's
# generator writes the CSV and, with --zip, the archive too), else the .csv.
stock_file() {
    local dir=$1 prefix=$2 ext=csv f
    [[ $set == *-zip ]] && ext=zip
    [[ $set == parquet-* ]] && ext=parquet
    for f in "$dir/$prefix"*."$ext"; do
        [[ -f $f ]] && { echo "$f"; return 0; }
    done
    echo "no $prefix*.$ext file in $dir" >&2
    return 1
}

generate() {
    local set=$1 out=$2
    case $set in
    essor-csv) "$ESSOR" generate sirene --out "$out" --establishments "$N" --seed "$SEED" ;;
    essor-zip) "$ESSOR" generate sirene --out "$out" --establishments "$N" --seed "$SEED" --zip ;;
    own-csv) "$PY" "$HERE/gen_sirene.py" --out "$out" --establishments "$N" --seed "$SEED" ;;
    own-zip)
        "$PY" "$HERE/gen_sirene.py" --out "$out" --establishments "$N" --seed $((SEED + 1)) \
            --zip --variant shuffled --crlf
        ;;
    own-old)
        "$PY" "$HERE/gen_sirene.py" --out "$out" --establishments "$N" --seed $((SEED + 2)) \
            --variant old
        ;;
    own-newlines)
        "$PY" "$HERE/gen_sirene.py" --out "$out" --establishments "$N" --seed $((SEED + 3)) \
            --newlines
        ;;
    parquet-text)
        "$ESSOR" generate sirene --out "$out/csv" --establishments "$N" --seed "$SEED" &&
            to_parquet "$out/csv" "$out" text
        ;;
    parquet-typed)
        "$PY" "$HERE/gen_sirene.py" --out "$out/csv" --establishments "$N" --seed $((SEED + 4)) &&
            to_parquet "$out/csv" "$out" typed
        ;;
    *) echo "unknown data set $set" >&2; return 1 ;;
    esac
}

# Converts the two CSV files of FROM to Parquet in TO with DuckDB: every column VARCHAR
# (`text`), or with the types INSEE's Parquet files may use (`typed`); then removes FROM.
to_parquet() {
    "$PY" - "$1" "$2" "$3" "$THREADS" <<'PYEOF'
import glob, shutil, sys, duckdb
src, out, mode, threads = sys.argv[1:]
con = duckdb.connect()
con.execute(f"SET threads = {int(threads)}")
types = {
    "siren": "BIGINT", "dateCreationEtablissement": "DATE", "dateDebut": "DATE",
    "dateCreationUniteLegale": "DATE", "categorieJuridiqueUniteLegale": "INTEGER",
    "etablissementSiege": "BOOLEAN", "nombrePeriodesEtablissement": "INTEGER",
    "coordonneeLambertAbscisseEtablissement": "DOUBLE",
    "coordonneeLambertOrdonneeEtablissement": "DOUBLE",
}
for prefix in ("StockEtablissement", "StockUniteLegale"):
    [csv] = glob.glob(f"{src}/{prefix}*.csv")
    read = (f"read_csv('{csv}', header=true, all_varchar=true, delim=',', quote='\"', "
            f"escape='\"')")
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()]
    select = ", ".join(
        f'TRY_CAST(NULLIF("{c}", \'[ND]\') AS {types[c]}) AS "{c}"'
        if mode == "typed" and c in types else f'"{c}"'
        for c in columns)
    codec = "zstd" if mode == "typed" else "snappy"
    con.execute(f"COPY (SELECT {select} FROM {read}) TO '{out}/{prefix}_utf8.parquet' "
                f"(FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 50000)")
shutil.rmtree(src)
PYEOF
}

passed=0
failed=0
read -r -a territories <<<"$TERRITORIES"
for set in $SETS; do
    echo "== $set"
    files=$WORK/$set/files
    data=$WORK/$set/data
    out=$WORK/$set/out
    rm -rf "$data" "$out"
    mkdir -p "$files" "$out"
    ok=1
    if ! est=$(stock_file "$files" StockEtablissement 2>/dev/null) ||
        ! units=$(stock_file "$files" StockUniteLegale 2>/dev/null); then
        if ! generate "$set" "$files" >"$WORK/$set/generate.log" 2>&1; then
            echo "  generation failed (see $WORK/$set/generate.log):"
            tail -n 5 "$WORK/$set/generate.log" | sed 's/^/    /'
            ok=0
        fi
    fi
    if ((ok)); then
        est=$(stock_file "$files" StockEtablissement)
        units=$(stock_file "$files" StockUniteLegale)
        start=$(date +%s%N)
        if "$ESSOR" --data-dir "$data" import sirene --establishments "$est" --units "$units" \
            >"$WORK/$set/import.log" 2>&1; then
            echo "  import: $(( ($(date +%s%N) - start) / 1000000 )) ms (report in $WORK/$set/import.log)"
        else
            echo "  essor import failed (see $WORK/$set/import.log):"
            tail -n 8 "$WORK/$set/import.log" | sed 's/^/    /'
            ok=0
        fi
    fi
    for territory in "${territories[@]}"; do
        name=${territory//[:,]/_}
        if ((!ok)); then
            echo "  FAIL $set $territory (no data: generation or import failed)"
            failed=$((failed + 1))
            continue
        fi
        if ! "$ESSOR" --data-dir "$data" panorama --territory "$territory" --format json \
            >"$out/essor-$name.json" 2>"$out/essor-$name.log"; then
            echo "  FAIL $set $territory: essor panorama failed:"
            tail -n 5 "$out/essor-$name.log" | sed 's/^/    /'
            failed=$((failed + 1))
            continue
        fi
        if ! "$PY" "$HERE/duckdb_panorama.py" --establishments "$est" --units "$units" \
            --territory "$territory" --referential "$ROOT/data/referential" \
            --threads "$THREADS" --tmp-dir "$WORK" ${DUCKDB_EXTRA[@]+"${DUCKDB_EXTRA[@]}"} \
            --out "$out/duckdb-$name.json" 2>"$out/duckdb-$name.log"; then
            echo "  FAIL $set $territory: duckdb_panorama.py failed:"
            tail -n 5 "$out/duckdb-$name.log" | sed 's/^/    /'
            failed=$((failed + 1))
            continue
        fi
        if report=$("$PY" "$HERE/compare.py" "$out/essor-$name.json" "$out/duckdb-$name.json"); then
            echo "  ok   $set $territory"
            [[ -n $report ]] && echo "$report"
            passed=$((passed + 1))
        else
            echo "  FAIL $set $territory"
            echo "$report"
            failed=$((failed + 1))
        fi
    done
    if [[ $KEEP != 1 ]]; then
        rm -rf "$data"
    fi
done

echo "$passed passed, $failed failed"
((failed == 0))
