#!/usr/bin/env python3
"""Independent computation of essor's panorama (DATA.md §2, perimeter essor-v1) with DuckDB.

Written from /work/shared/DATA.md alone, without reading essor's Rust code, so that it can check
essor's figures. Every rule is a SQL statement below; Python only resolves arguments, unzips,
and assembles the JSON from the query results.

Usage:
    duckdb_panorama.py --establishments StockEtablissement_utf8.csv[.zip]
                       --units StockUniteLegale_utf8.csv[.zip]
                       --territory epci:200040715 | departement:38 | communes:38185,69123
                       [--referential data/referential] [--threads 2] [--tmp-dir DIR]
                       [--out FILE] [--memory-limit 4GB]

Zip files: DuckDB cannot read a CSV inside a zip archive. A `.zip` argument (INSEE publishes one
CSV per archive) is streamed by Python's zipfile module into a temporary file (in --tmp-dir, or
$TMPDIR) that is deleted at exit; the disk needs room for the unzipped CSV, and the unzip time
counts in the run time.

CSV dialect: header row, every column read as VARCHAR, `,` separator, RFC 4180 quoting with
doubled quotes (quote='"', escape='"'), so a backslash is an ordinary character. Empty field and
quoted empty field are both treated as "empty" (coalesced to '').
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import sys
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb

REQUIRED_ESTABLISHMENT_COLUMNS = [
    "siren",
    "codeCommuneEtablissement",
    "etatAdministratifEtablissement",
    "caractereEmployeurEtablissement",
    "trancheEffectifsEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "dateCreationEtablissement",
    "dateDebut",
]
REQUIRED_UNIT_COLUMNS = [
    "siren",
    "categorieJuridiqueUniteLegale",
    "economieSocialeSolidaireUniteLegale",
]

FAMILIES = {
    "association": "9210 9220 9221 9222 9223 9230 9240 9260",
    "fondation": "9300",
    "mutuelle": "8210 8250 8290 6411",
    "cooperative": (
        "5191 5192 5193 5194 5195 5196 6100 6595 6596 5203 5307 5309 5432 5443 5451 5453 5454 "
        "5455 5458 5459 5460 5532 5543 5547 5551 5552 5553 5554 5555 5558 5559 5560 5632 5643 "
        "5647 5651 5652 5653 5654 5655 5658 5659 5660 6316 6317 6318 6532 6543 6551 6554 6558 "
        "6560"
    ),
}

# Band -> midpoint × 2 (integers, so that half jobs stay exact). NN, 00, empty and any other
# value: 0.
BANDS_X2 = {
    "01": 3,
    "02": 8,
    "03": 15,
    "11": 29,
    "12": 69,
    "21": 149,
    "22": 299,
    "31": 449,
    "32": 749,
    "41": 1499,
    "42": 2999,
    "51": 6999,
    "52": 14999,
    "53": 20000,
}

EXCLUDED_EXACT = ["94.11Z", "94.12Z", "94.20Z", "94.91Z", "94.92Z"]

# (section, first division, last division)
SECTIONS = [
    ("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43),
    ("G", 45, 47), ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68),
    ("M", 69, 75), ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93),
    ("S", 94, 96), ("T", 97, 98), ("U", 99, 99),
]

THEMES = {
    "transition_energetique": "35.*, 39.00Z, 02.*, 71.12B, 74.90B, 43.22B, 43.29A, 81.30Z",
    "dechets": "38.*, 37.00Z, 47.79Z, 95.*, 33.1*",
    "circuits_courts": "01.*, 03.*, 10.*, 11.*, 46.3*, 47.11*, 47.2*, 56.*, 47.81Z",
    "mobilites": "49.*, 77.11A, 77.11B, 77.21Z, 45.20A, 45.20B, 45.40Z, 52.21Z",
    "habitat": "41.*, 42.*, 43.*, 68.*, 55.90Z, 87.*, 81.10Z",
}

ARRONDISSEMENT_PARENTS = ("75056", "69123", "13055")


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def source_sql(path: str) -> str:
    """The table function reading a stock file: Parquet by extension, else CSV."""
    if path.lower().endswith(".parquet"):
        return f"read_parquet({sql_str(path)})"
    # RFC 4180: quote and escape are both '"'; a backslash is an ordinary character.
    return (
        f"read_csv({sql_str(path)}, header=true, all_varchar=true, delim=',', quote='\"', "
        f"escape='\"')"
    )


def unzip_if_needed(path: str, tmp_dir: str) -> str:
    """Returns a path DuckDB can read: the file itself, or the CSV of a zip streamed to tmp_dir."""
    if not path.lower().endswith(".zip"):
        return path
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            sys.exit(f"{path}: the archive must hold exactly one CSV file, it holds {len(members)}")
        member = members[0]
        target = Path(tmp_dir) / Path(member.filename).name
        with archive.open(member) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 4 * 1024 * 1024)
    return str(target)


def check_header(path: str, required: list[str], what: str) -> None:
    if path.lower().endswith(".parquet"):
        header = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM {source_sql(path)}").fetchall()]
    else:
        with open(path, newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), [])
    header = [h.lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        sys.exit(f"{path}: the {what} file lacks the column(s) {', '.join(missing)}")


def parse_territory(raw: str) -> tuple[str, str, list[str]]:
    kind, sep, value = raw.partition(":")
    kind = kind.strip().lower()
    if not sep or not value.strip():
        sys.exit(f"territory {raw!r}: expected epci:CODE, departement:CODE or communes:C1,C2")
    if kind in ("epci", "departement"):
        return kind, value.strip(), []
    if kind == "communes":
        codes = [c.strip() for c in value.split(",") if c.strip()]
        return kind, value.strip(), codes
    sys.exit(f"territory {raw!r}: unknown kind {kind!r}")


def build(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> dict:
    ref = Path(args.referential)
    kind, code, listed = parse_territory(args.territory)

    def ref_csv(name: str) -> str:
        return f"read_csv({sql_str(str(ref / name))}, header=true, all_varchar=true)"

    con.execute(f"CREATE TEMP TABLE communes AS SELECT * FROM {ref_csv('communes.csv')}")

    # --- Territory membership -------------------------------------------------------------
    if kind == "epci":
        row = con.execute(
            f"SELECT nom FROM {ref_csv('epci.csv')} WHERE code = ?", [code]
        ).fetchone()
        if row is None:
            sys.exit(f"unknown EPCI {code}")
        name = row[0]
        con.execute(
            f"CREATE TEMP TABLE members AS SELECT DISTINCT commune AS code "
            f"FROM {ref_csv('epci_membres.csv')} WHERE epci = ?",
            [code],
        )
    elif kind == "departement":
        row = con.execute(
            f"SELECT nom FROM {ref_csv('departements.csv')} WHERE code = ?", [code]
        ).fetchone()
        if row is None:
            sys.exit(f"unknown département {code}")
        name = row[0]
        con.execute(
            "CREATE TEMP TABLE members AS SELECT code FROM communes "
            "WHERE type = 'commune' AND departement = ?",
            [code],
        )
    else:
        con.execute("CREATE TEMP TABLE listed(code VARCHAR, pos INTEGER)")
        con.executemany("INSERT INTO listed VALUES (?, ?)", [(c, i) for i, c in enumerate(listed)])
        unknown = con.execute(
            "SELECT l.code FROM listed l LEFT JOIN communes c "
            "ON c.code = l.code AND c.type = 'commune' WHERE c.code IS NULL ORDER BY l.pos"
        ).fetchall()
        if unknown:
            sys.exit("not a current commune: " + ", ".join(r[0] for r in unknown))
        con.execute("CREATE TEMP TABLE members AS SELECT DISTINCT code FROM listed")
        name = ", ".join(
            r[0]
            for r in con.execute(
                "SELECT c.nom FROM listed l JOIN communes c ON c.code = l.code ORDER BY l.pos"
            ).fetchall()
        )

    # Establishment commune code -> member commune: the members themselves, plus the municipal
    # arrondissements (communes.csv parent column) of 75056, 69123, 13055 when they are members.
    con.execute(
        f"""
        CREATE TEMP TABLE terr AS
        SELECT code, code AS commune FROM members
        UNION ALL
        SELECT c.code, c.commune FROM communes c JOIN members m ON c.commune = m.code
        WHERE c.type = 'arrondissement' AND m.code IN {ARRONDISSEMENT_PARENTS}
        """
    )

    # --- Rule tables ----------------------------------------------------------------------
    con.execute("CREATE TEMP TABLE families(cat VARCHAR, family VARCHAR)")
    con.executemany(
        "INSERT INTO families VALUES (?, ?)",
        [(c, fam) for fam, codes in FAMILIES.items() for c in codes.split()],
    )
    con.execute("CREATE TEMP TABLE bands(band VARCHAR, x2 INTEGER)")
    con.executemany("INSERT INTO bands VALUES (?, ?)", list(BANDS_X2.items()))
    con.execute("CREATE TEMP TABLE sections(section VARCHAR, lo INTEGER, hi INTEGER)")
    con.executemany("INSERT INTO sections VALUES (?, ?, ?)", SECTIONS)
    con.execute("CREATE TEMP TABLE theme_patterns(theme VARCHAR, pattern VARCHAR)")
    con.executemany(
        "INSERT INTO theme_patterns VALUES (?, ?)",
        [(t, p.strip()) for t, ps in THEMES.items() for p in ps.split(",")],
    )
    excluded_list = ", ".join(sql_str(c) for c in EXCLUDED_EXACT)

    # --- Establishments of T (one streaming pass over the establishments file) ------------
    con.execute(
        f"""
        CREATE TEMP TABLE e AS
        SELECT t.commune,
               CAST(x.siren AS VARCHAR) AS siren,
               coalesce(CAST(x.etatAdministratifEtablissement AS VARCHAR), '') AS etat,
               coalesce(CAST(x.caractereEmployeurEtablissement AS VARCHAR), '') AS employeur,
               coalesce(CAST(x.trancheEffectifsEtablissement AS VARCHAR), '') AS tranche,
               coalesce(CAST(x.activitePrincipaleEtablissement AS VARCHAR), '') AS activite,
               coalesce(CAST(x.nomenclatureActivitePrincipaleEtablissement AS VARCHAR), '') AS nomenclature,
               coalesce(CAST(x.dateCreationEtablissement AS VARCHAR), '') AS date_creation,
               coalesce(CAST(x.dateDebut AS VARCHAR), '') AS date_debut
        FROM {source_sql(args.establishments_csv)} x
        JOIN terr t ON t.code = CAST(x.codeCommuneEtablissement AS VARCHAR)
        """
    )
    # Legal units of those establishments only (semi-join while streaming the units file).
    con.execute(
        f"""
        CREATE TEMP TABLE u AS
        SELECT CAST(y.siren AS VARCHAR) AS siren,
               coalesce(CAST(y.categorieJuridiqueUniteLegale AS VARCHAR), '') AS cat,
               coalesce(CAST(y.economieSocialeSolidaireUniteLegale AS VARCHAR), '') AS ess_flag
        FROM {source_sql(args.units_csv)} y
        WHERE CAST(y.siren AS VARCHAR) IN (SELECT siren FROM e)
        """
    )
    dup = con.execute("SELECT count(*) - count(DISTINCT siren) FROM u").fetchone()[0]
    if dup:
        print(f"warning: {dup} duplicate siren(s) in the units file", file=sys.stderr)

    # --- Classification of each establishment of T ----------------------------------------
    con.execute(
        f"""
        CREATE TEMP TABLE f AS
        WITH k AS (
            SELECT e.*,
                   u.siren IS NOT NULL AS unit_found,
                   coalesce(u.ess_flag, '') AS ess_flag,
                   fam.family,
                   (starts_with(e.activite, '84.') OR e.activite IN ({excluded_list})) AS excluded,
                   e.nomenclature = 'NAFRev2' AS rev2,
                   e.nomenclature = 'NAFRev2'
                       AND regexp_full_match(e.activite, '[0-9]{{2}}\\.[0-9]{{2}}[A-Z]')
                       AS rev2_form
            FROM e
            LEFT JOIN u ON u.siren = e.siren
            LEFT JOIN families fam ON fam.cat = u.cat
        )
        SELECT row_number() OVER () AS id,
               k.commune,
               k.etat = 'A' AS active,
               k.etat = 'A' AND k.employeur = 'O' AS employer,
               k.unit_found AND (k.ess_flag = 'O' OR (k.family IS NOT NULL AND NOT k.excluded))
                   AS ess,
               coalesce(k.family, 'societe_commerciale_ess') AS family,
               CASE WHEN k.etat = 'A' THEN coalesce(b.x2, 0) ELSE 0 END AS jobs_x2,
               CASE WHEN k.tranche = '' THEN 'vide' ELSE k.tranche END AS band,
               coalesce(s.section, 'non_classee') AS section,
               k.rev2,
               k.activite,
               k.etat,
               CASE WHEN k.date_creation IN ('', '1900-01-01') THEN NULL
                    ELSE CAST(substr(k.date_creation, 1, 4) AS INTEGER) END AS creation_year,
               CASE WHEN k.etat <> 'F' OR k.date_debut IN ('', '1900-01-01') THEN NULL
                    ELSE CAST(substr(k.date_debut, 1, 4) AS INTEGER) END AS closure_year
        FROM k
        LEFT JOIN bands b ON b.band = k.tranche
        LEFT JOIN sections s
          ON k.rev2_form AND CAST(substr(k.activite, 1, 2) AS INTEGER) BETWEEN s.lo AND s.hi
        """
    )

    # share(n, d): 100 n / d rounded half up to one decimal on the exact ratio, in integers:
    # tenths = floor((2000 n + d) / (2 d)); the result is an exact DECIMAL with one decimal.
    con.execute(
        """
        CREATE TEMP MACRO share(n, d) AS
            CASE WHEN d = 0 THEN NULL
                 ELSE CAST((CAST(n AS HUGEINT) * 2000 + d) // (CAST(d AS HUGEINT) * 2)
                           AS DECIMAL(38, 0)) * CAST(0.1 AS DECIMAL(2, 1)) END
        """
    )

    totals = con.execute(
        """
        WITH t AS (
            SELECT count(*) FILTER (WHERE active) AS active,
                   count(*) FILTER (WHERE employer) AS employer,
                   coalesce(sum(jobs_x2), 0) AS jobs_x2,
                   count(*) FILTER (WHERE active AND ess) AS ess_active,
                   count(*) FILTER (WHERE employer AND ess) AS ess_employer,
                   coalesce(sum(jobs_x2) FILTER (WHERE ess), 0) AS ess_jobs_x2,
                   count(*) FILTER (WHERE active AND ess AND band = 'vide') AS ess_band_unknown
            FROM f
        )
        SELECT active, employer, ess_active, ess_employer,
               share(ess_active, active), share(ess_employer, employer),
               jobs_x2, ess_jobs_x2, share(ess_jobs_x2, jobs_x2), ess_band_unknown
        FROM t
        """
    ).fetchone()

    by_commune = con.execute(
        """
        SELECT m.code, c.nom,
               count(*) FILTER (WHERE f.active),
               count(*) FILTER (WHERE f.employer),
               coalesce(sum(f.jobs_x2), 0),
               count(*) FILTER (WHERE f.active AND f.ess),
               count(*) FILTER (WHERE f.employer AND f.ess),
               coalesce(sum(f.jobs_x2) FILTER (WHERE f.ess), 0)
        FROM members m
        JOIN communes c ON c.code = m.code AND c.type = 'commune'
        LEFT JOIN f ON f.commune = m.code
        GROUP BY m.code, c.nom
        ORDER BY m.code
        """
    ).fetchall()

    def groups(key_expr: str, source: str = "f") -> list[tuple]:
        return con.execute(
            f"""
            SELECT {key_expr} AS key,
                   count(*) AS ess_active,
                   count(*) FILTER (WHERE employer) AS ess_employer,
                   coalesce(sum(jobs_x2), 0) AS ess_jobs_x2
            FROM {source}
            WHERE active AND ess
            GROUP BY key
            HAVING count(*) > 0
            ORDER BY key
            """
        ).fetchall()

    themed = f"""(
        SELECT f.*, th.theme
        FROM f JOIN (
            SELECT DISTINCT f.id, p.theme
            FROM f JOIN theme_patterns p
              ON CASE WHEN ends_with(p.pattern, '*')
                      THEN starts_with(f.activite, rtrim(p.pattern, '*'))
                      ELSE f.activite = p.pattern END
            WHERE f.rev2 {"AND f.section <> 'non_classee'" if args.theme_form_only else ""}
        ) th ON th.id = f.id
    )"""

    def years(column: str, extra: str) -> list[tuple]:
        return con.execute(
            f"""
            SELECT {column}, count(*) FILTER (WHERE ess), count(*)
            FROM f WHERE {column} IS NOT NULL {extra}
            GROUP BY {column} ORDER BY {column}
            """
        ).fetchall()

    def jobs(x2: int) -> float:
        return x2 / 2

    def pct(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    def group_json(label: str, rows: list[tuple]) -> list[dict]:
        return [
            {label: k, "ess_active": a, "ess_employer": e, "ess_jobs": jobs(j)}
            for k, a, e, j in rows
        ]

    (active, employer, ess_active, ess_employer, share_a, share_e,
     jobs_x2, ess_jobs_x2, share_j, ess_band_unknown) = totals
    return {
        "territory": {
            "kind": kind,
            "code": code,
            "name": name,
            "communes": len(by_commune),
        },
        "source": {
            "establishments_file": args.establishments,
            "units_file": args.units,
            "imported_at": None,
            "engine": f"duckdb {duckdb.__version__}",
        },
        "perimeter": "essor-v1",
        "establishments": {
            "active": active,
            "employer": employer,
            "ess_active": ess_active,
            "ess_employer": ess_employer,
            "ess_active_share_pct": pct(share_a),
            "ess_employer_share_pct": pct(share_e),
        },
        "jobs": {
            "all_estimated": jobs(jobs_x2),
            "ess_estimated": jobs(ess_jobs_x2),
            "ess_share_pct": pct(share_j),
            "ess_band_unknown": ess_band_unknown,
        },
        "by_commune": [
            {
                "code": c, "name": n, "active": a, "employer": em, "jobs": jobs(j),
                "ess_active": ea, "ess_employer": ee, "ess_jobs": jobs(ej),
            }
            for c, n, a, em, j, ea, ee, ej in by_commune
        ],
        "by_family": group_json("family", groups("family")),
        "by_naf_section": group_json("section", groups("section")),
        "by_theme": group_json("theme", groups("theme", themed)),
        "by_band": group_json("band", groups("band")),
        "creations_by_year": [
            {"year": y, "ess": e, "all": a} for y, e, a in years("creation_year", "")
        ],
        "closures_by_year": [
            {"year": y, "ess": e, "all": a}
            for y, e, a in years("closure_year", "AND etat = 'F'")
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--establishments", required=True, help="StockEtablissement CSV or zip")
    parser.add_argument("--units", required=True, help="StockUniteLegale CSV or zip")
    parser.add_argument("--territory", required=True)
    default_ref = Path(__file__).resolve().parents[2] / "data" / "referential"
    parser.add_argument("--referential", default=str(default_ref))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 4GB")
    parser.add_argument("--tmp-dir", default=None, help="where zip members are unzipped")
    parser.add_argument("--out", default="-")
    parser.add_argument(
        "--theme-form-only", action="store_true",
        help="give themes only to NAFRev2 codes of the form NN.NNL of a known division (the "
             "section rule's condition); by default DATA.md's theme rule is read literally: "
             "any NAFRev2-labelled code that starts with the pattern, e.g. '35.1' matches 35.*")
    args = parser.parse_args()

    # A kill (SIGTERM) still removes the temporary folder (unzipped CSV files can be large).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp_dir = tempfile.mkdtemp(prefix="duckdb-panorama-", dir=args.tmp_dir)
    try:
        args.establishments_csv = unzip_if_needed(args.establishments, tmp_dir)
        args.units_csv = unzip_if_needed(args.units, tmp_dir)
        check_header(args.establishments_csv, REQUIRED_ESTABLISHMENT_COLUMNS, "establishments")
        check_header(args.units_csv, REQUIRED_UNIT_COLUMNS, "units")
        con = duckdb.connect(":memory:")
        con.execute(f"SET threads = {int(args.threads)}")
        con.execute(f"SET temp_directory = {sql_str(tmp_dir)}")
        if args.memory_limit:
            con.execute(f"SET memory_limit = {sql_str(args.memory_limit)}")
        panorama = build(con, args)
        con.close()
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)

    text = json.dumps(panorama, ensure_ascii=False, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
