#!/usr/bin/env python3
"""Checks the checker: duckdb_panorama.py against hand-computed figures and a plain-Python twin.

1. Hand-written files with the tricky rows of DATA.md §1 (doubled quotes, backslashes before a
   quote and at the end of a field, quoted empty fields, `[ND]`, arrondissements, missing unit,
   old nomenclature, excluded activities, flag O on a non-family category…): the DuckDB
   panorama must give the figures worked out by hand below.
2. Files of gen_sirene.py (a few thousand rows): the DuckDB panorama must equal the one computed
   row by row in plain Python (csv module, RFC 4180, backslash ordinary) for each territory.

Usage: selftest.py [--establishments 20000] [--work DIR]
Exit status 0 when every check passes.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import duckdb_panorama as dp  # noqa: E402  (the rule tables, shared on purpose)
import gen_sirene  # noqa: E402

REF = HERE.parents[1] / "data" / "referential"


def run_duckdb(est: Path, units: Path, territory: str) -> dict:
    out = subprocess.run(
        [sys.executable, str(HERE / "duckdb_panorama.py"), "--establishments", str(est),
         "--units", str(units), "--territory", territory, "--threads", "2"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out, parse_float=Decimal)


# --- 1. Hand-written rows ---------------------------------------------------------------------

def write_hand_files(directory: Path) -> tuple[Path, Path]:
    est_cols = gen_sirene.ESTABLISHMENT_HEADER
    unit_cols = gen_sirene.UNIT_HEADER

    def line(cols, values: dict, raw: dict | None = None) -> str:
        cells = []
        for col in cols:
            if raw and col in raw:
                cells.append(raw[col])  # written exactly as given
                continue
            v = values.get(col, "")
            cells.append('"' + v.replace('"', '""') + '"' if any(ch in v for ch in ',"\n') else v)
        return ",".join(cells)

    def est(siren, commune, etat, employeur, tranche, activite, nomenclature="NAFRev2",
            creation="2020-05-01", debut="2021-01-01", raw=None):
        return line(est_cols, {
            "siren": siren, "nic": "00011", "siret": siren + "00011",
            "codeCommuneEtablissement": commune, "etatAdministratifEtablissement": etat,
            "caractereEmployeurEtablissement": employeur, "trancheEffectifsEtablissement": tranche,
            "activitePrincipaleEtablissement": activite,
            "nomenclatureActivitePrincipaleEtablissement": nomenclature,
            "dateCreationEtablissement": creation, "dateDebut": debut,
        }, raw)

    rows = [
        # 1 association, Grenoble, active employer band 11 (14.5), 88.10A: ESS, Q, no theme.
        #   Its sign is `A \"B\", C` and its street ends with a backslash.
        est("100000001", "38185", "A", "O", "11", "88.10A",
            raw={"enseigne1Etablissement": '"A \\""B\\"", C"',
                 "libelleVoieEtablissement": '"RUE DU PONT\\"'}),
        # 2 same association, Lyon 3e (69383), active non-employer band empty: ESS, jobs 0, vide.
        est("100000001", "69383", "A", "N", "", "94.99Z",
            raw={"denominationUsuelleEtablissement": '"C\\,D \\\\ ""E"""'}),
        # 3 same association, Grenoble, 94.91Z (religious, excluded), flag empty: non-ESS.
        est("100000001", "38185", "A", "O", "01", "94.91Z"),
        # 4 SAS with flag O, Grenoble, active employer band 02 (4), 38.11Z: ESS
        #   societe_commerciale_ess, E, dechets; created 1900-01-01 (skipped).
        est("200000002", "38185", "A", "O", "02", "38.11Z", creation="1900-01-01"),
        # 5 SAS with flag O, 84.11Z excluded but flag O admits it: ESS, O, band NN.
        est("200000002", "38185", "A", "", "NN", "84.11Z"),
        # 6 coop (5458), Lyon 1er, active employer band 53 (10000), NAFRev1 35.11Z: ESS,
        #   non_classee, no theme (old nomenclature).
        est("300000003", "69381", "A", "O", "53", "35.11Z", nomenclature="NAFRev1"),
        # 7 coop, Lyon 9e, closed (F) band 12 employer O: not active, jobs 0, closure 2021;
        #   quoted empty employer and quoted state.
        est("300000003", "69389", "F", "O", "12", "47.11B", debut="2021-06-30",
            raw={"etatAdministratifEtablissement": '"F"',
                 "caractereEmployeurEtablissement": '""'}),
        # 8 missing unit (not in the units file), Grenoble, active employer band 03 (7.5): not
        #   ESS, counted in all figures.
        est("400000004", "38185", "A", "O", "03", "56.10A"),
        # 9 mutuelle 8210 flag N, Vénissieux (69259), active band 01 (1.5), 65.12Z: ESS mutuelle K.
        est("500000005", "69259", "A", "O", "01", "65.12Z", creation=""),
        # 10 individual 1000 (P), Grenoble, active employer band 21 (74.5), 43.22B: non-ESS.
        est("600000006", "38185", "A", "O", "21", "43.22B",
            raw={"enseigne1Etablissement": "[ND]"}),
        # 11 association, commune outside the territory (Échirolles 38151): ignored.
        est("100000001", "38151", "A", "O", "11", "88.10A"),
        # 12 association, Lyon (69123 itself, a member commune): ESS, active, 00, 00.00Z
        #   non_classee; closure date ignored (active).
        est("100000001", "69123", "A", "N", "00", "00.00Z", debut="2019-01-01"),
        # 13 association closed in Grenoble, dateDebut 1900-01-01 (closure skipped), 2019 created.
        est("100000001", "38185", "F", "N", "NN", "94.99Z", creation="2019-03-03",
            debut="1900-01-01"),
        # 14 association, Grenoble, active employer 32 (374.5), 43.22B: ESS, F, habitat and
        #   transition_energetique (two themes).
        est("100000001", "38185", "A", "O", "32", "43.22B"),
    ]
    header = ",".join(est_cols)
    est_path = directory / "StockEtablissement_utf8.csv"
    est_path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")

    def unit(siren, cat, ess, raw=None):
        return line(unit_cols, {"siren": siren, "categorieJuridiqueUniteLegale": cat,
                                "economieSocialeSolidaireUniteLegale": ess,
                                "statutDiffusionUniteLegale": "O"}, raw)

    units = [
        unit("100000001", "9220", "", raw={"denominationUniteLegale": '"LES \\""AMIS\\""\\"'}),
        unit("200000002", "5710", "O", raw={"denominationUniteLegale": '"X, Y \\"'}),
        unit("300000003", "5458", "", raw={"economieSocialeSolidaireUniteLegale": '""'}),
        unit("500000005", "8210", "N"),
        unit("600000006", "1000", "", raw={"nomUniteLegale": "[ND]",
                                           "statutDiffusionUniteLegale": "P"}),
    ]
    unit_path = directory / "StockUniteLegale_utf8.csv"
    unit_path.write_text(",".join(unit_cols) + "\n" + "\n".join(units) + "\n", encoding="utf-8")
    return est_path, unit_path


HAND_EXPECTED = {
    # Rows of T (communes:38185,69123,69259): 1-10, 12-14.
    # active: 1,2,3,4,5,6,8,9,10,12,14 = 11; employer (active and O): 1,3,4,6,8,9,10,14 = 8.
    # ESS: 1,2,4,5,6,7,9,12,13,14 (not 3 excluded, 8 missing unit, 10 individual).
    # ess_active: 1,2,4,5,6,9,12,14 = 8; ess_employer: 1,4,6,9,14 = 5.
    # jobs: 14.5+0+1.5+4+0+10000+7.5+1.5+74.5+0+374.5 = 10478.0
    # ess jobs: 14.5+0+4+0+10000+1.5+0+374.5 = 10394.5
    "establishments": {"active": 11, "employer": 8, "ess_active": 8, "ess_employer": 5,
                       "ess_active_share_pct": Decimal("72.7"),   # 8/11 = 72.727…
                       "ess_employer_share_pct": Decimal("62.5")},  # 5/8
    "jobs": {"all_estimated": Decimal("10478.0"), "ess_estimated": Decimal("10394.5"),
             "ess_share_pct": Decimal("99.2"),  # 20789/20956 = 99.203…
             "ess_band_unknown": 1},
    "by_family": {"association": (4, 2, Decimal("389")),        # rows 1,2,12,14
                  "cooperative": (1, 1, Decimal("10000")),       # row 6
                  "mutuelle": (1, 1, Decimal("1.5")),             # row 9
                  "societe_commerciale_ess": (2, 1, Decimal("4"))},  # rows 4,5
    "by_naf_section": {"Q": (1, 1, Decimal("14.5")), "S": (1, 0, Decimal("0")),
                       "E": (1, 1, Decimal("4")), "O": (1, 0, Decimal("0")),
                       "non_classee": (2, 1, Decimal("10000")), "K": (1, 1, Decimal("1.5")),
                       "F": (1, 1, Decimal("374.5"))},
    "by_theme": {"dechets": (1, 1, Decimal("4")), "habitat": (1, 1, Decimal("374.5")),
                 "transition_energetique": (1, 1, Decimal("374.5"))},
    "by_band": {"11": (1, 1, Decimal("14.5")), "vide": (1, 0, Decimal("0")),
                "02": (1, 1, Decimal("4")), "NN": (1, 0, Decimal("0")),
                "53": (1, 1, Decimal("10000")), "01": (1, 1, Decimal("1.5")),
                "00": (1, 0, Decimal("0")), "32": (1, 1, Decimal("374.5"))},
    # creations: 2020 rows 1,2,3,5,6,7,8,10,12,14 (10; ESS 1,2,5,6,7,12,14 = 7); 2019 row 13
    #   (ESS); skipped: 4 (1900-01-01), 9 (empty).
    "creations_by_year": {2019: (1, 1), 2020: (7, 10)},
    # closures: row 7 (2021, ESS); row 13 skipped (1900-01-01).
    "closures_by_year": {2021: (1, 1)},
    "by_commune": {
        # code: active, employer, jobs, ess_active, ess_employer, ess_jobs
        "38185": (7, 6, Decimal("476.5"), 4, 3, Decimal("393")),   # rows 1,3,4,5,8,10,13,14
        "69123": (3, 1, Decimal("10000"), 3, 1, Decimal("10000")),  # rows 2,6,7,12
        "69259": (1, 1, Decimal("1.5"), 1, 1, Decimal("1.5")),      # row 9
    },
}


def check_hand(work: Path) -> list[str]:
    est, units = write_hand_files(work)
    got = run_duckdb(est, units, "communes:38185,69123,69259")
    errors = []
    # The fields themselves, read with the dialect of duckdb_panorama.py.
    import duckdb

    fields = duckdb.sql(
        f"SELECT enseigne1Etablissement, libelleVoieEtablissement, "
        f"denominationUsuelleEtablissement, etatAdministratifEtablissement "
        f"FROM {dp.source_sql(str(est))}"
    ).fetchall()
    for got_value, want in ((fields[0][0], 'A \\"B\\", C'), (fields[0][1], "RUE DU PONT\\"),
                            (fields[1][2], 'C\\,D \\\\ "E"'), (fields[6][3], "F")):
        if got_value != want:
            errors.append(f"CSV field read as {got_value!r}, expected {want!r}")
    units_read = duckdb.sql(
        f"SELECT denominationUniteLegale FROM {dp.source_sql(str(units))}").fetchall()
    for got_value, want in ((units_read[0][0], 'LES \\"AMIS\\"\\'), (units_read[1][0], "X, Y \\")):
        if got_value != want:
            errors.append(f"CSV field read as {got_value!r}, expected {want!r}")

    def expect(path, a, b):
        if not (a == b or (a is not None and b is not None and Decimal(a) == Decimal(b))):
            errors.append(f"{path}: got {a}, expected {b}")

    for section in ("establishments", "jobs"):
        for k, v in HAND_EXPECTED[section].items():
            expect(f"{section}.{k}", got[section][k], v)
    for name, key in (("by_family", "family"), ("by_naf_section", "section"),
                      ("by_theme", "theme"), ("by_band", "band")):
        rows = {r[key]: (r["ess_active"], r["ess_employer"], r["ess_jobs"]) for r in got[name]}
        if set(rows) != set(HAND_EXPECTED[name]):
            errors.append(f"{name}: keys {sorted(rows)} != {sorted(HAND_EXPECTED[name])}")
        for k, v in HAND_EXPECTED[name].items():
            for i, f in enumerate(("ess_active", "ess_employer", "ess_jobs")):
                if k in rows:
                    expect(f"{name}[{k}].{f}", rows[k][i], v[i])
    for name in ("creations_by_year", "closures_by_year"):
        rows = {r["year"]: (r["ess"], r["all"]) for r in got[name]}
        expect(name, rows, HAND_EXPECTED[name])
    rows = {r["code"]: (r["active"], r["employer"], r["jobs"], r["ess_active"], r["ess_employer"],
                        r["ess_jobs"]) for r in got["by_commune"]}
    if set(rows) != set(HAND_EXPECTED["by_commune"]):
        errors.append(f"by_commune keys {sorted(rows)}")
    for code, v in HAND_EXPECTED["by_commune"].items():
        for i in range(6):
            expect(f"by_commune[{code}][{i}]", rows.get(code, (None,) * 6)[i], v[i])
    expect("territory.communes", got["territory"]["communes"], 3)
    return errors


# --- 2. Plain-Python twin ---------------------------------------------------------------------

def python_panorama(est: Path, units: Path, territory: str) -> dict:
    kind, code, listed = dp.parse_territory(territory)
    communes = {r["code"]: r for r in csv.DictReader(open(REF / "communes.csv", encoding="utf-8"))}
    if kind == "epci":
        members = {r["commune"] for r in csv.DictReader(open(REF / "epci_membres.csv"))
                   if r["epci"] == code}
        name = next(r["nom"] for r in csv.DictReader(open(REF / "epci.csv", encoding="utf-8"))
                    if r["code"] == code)
    elif kind == "departement":
        members = {c for c, r in communes.items()
                   if r["type"] == "commune" and r["departement"] == code}
        name = next(r["nom"] for r in csv.DictReader(open(REF / "departements.csv",
                                                          encoding="utf-8"))
                    if r["code"] == code)
    else:
        members = set(listed)
        name = None
    terr = {m: m for m in members}
    for c, r in communes.items():
        if r["type"] == "arrondissement" and r["commune"] in members:
            terr[c] = r["commune"]
    family_of = {c: fam for fam, codes in dp.FAMILIES.items() for c in codes.split()}
    unit_of = {}
    with open(units, newline="", encoding="utf-8") as h:
        for r in csv.DictReader(h):
            unit_of[r["siren"]] = (r["categorieJuridiqueUniteLegale"],
                                   r["economieSocialeSolidaireUniteLegale"])
    themes = {t: [p.strip() for p in ps.split(",")] for t, ps in dp.THEMES.items()}
    zero = lambda: [0, 0, 0, 0, 0, 0]  # noqa: E731  active employer jobs_x2 ess_a ess_e ess_j
    total, by_commune = zero(), {m: zero() for m in members}
    groups = {g: defaultdict(lambda: [0, 0, 0]) for g in ("family", "section", "theme", "band")}
    creations, closures = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    band_unknown = 0
    with open(est, newline="", encoding="utf-8") as h:
        for r in csv.DictReader(h):
            commune = terr.get(r["codeCommuneEtablissement"])
            if commune is None:
                continue
            unit = unit_of.get(r["siren"])
            act = r["activitePrincipaleEtablissement"]
            nom = r["nomenclatureActivitePrincipaleEtablissement"]
            active = r["etatAdministratifEtablissement"] == "A"
            employer = active and r["caractereEmployeurEtablissement"] == "O"
            family = family_of.get(unit[0]) if unit else None
            excluded = act.startswith("84.") or act in dp.EXCLUDED_EXACT
            ess = unit is not None and (unit[1] == "O" or (family is not None and not excluded))
            band = r["trancheEffectifsEtablissement"]
            jobs_x2 = dp.BANDS_X2.get(band, 0) if active else 0
            section = "non_classee"
            if nom == "NAFRev2" and re.fullmatch(r"[0-9]{2}\.[0-9]{2}[A-Z]", act):
                div = int(act[:2])
                for s, lo, hi in dp.SECTIONS:
                    if lo <= div <= hi:
                        section = s
            figures = [int(active), int(employer), jobs_x2, int(active and ess),
                       int(employer and ess), jobs_x2 if ess else 0]
            for target in (total, by_commune[commune]):
                for i, v in enumerate(figures):
                    target[i] += v
            if active and ess:
                keys = {"family": [family or "societe_commerciale_ess"], "section": [section],
                        "band": [band or "vide"], "theme": []}
                if nom == "NAFRev2":
                    keys["theme"] = [t for t, ps in themes.items() if any(
                        act.startswith(p[:-1]) if p.endswith("*") else act == p for p in ps)]
                for g, ks in keys.items():
                    for k in ks:
                        groups[g][k][0] += 1
                        groups[g][k][1] += int(employer)
                        groups[g][k][2] += jobs_x2
                band_unknown += band == ""
            d = r["dateCreationEtablissement"]
            if d not in ("", "1900-01-01"):
                creations[int(d[:4])][0] += int(ess)
                creations[int(d[:4])][1] += 1
            d = r["dateDebut"]
            if r["etatAdministratifEtablissement"] == "F" and d not in ("", "1900-01-01"):
                closures[int(d[:4])][0] += int(ess)
                closures[int(d[:4])][1] += 1

    def share(n, d):
        if d == 0:
            return None
        return (Decimal(100 * n) / Decimal(d)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    half = lambda x: Decimal(x) / 2  # noqa: E731
    return {
        "territory": {"kind": kind, "code": code, "name": name, "communes": len(members)},
        "perimeter": "essor-v1",
        "establishments": {"active": total[0], "employer": total[1], "ess_active": total[3],
                           "ess_employer": total[4],
                           "ess_active_share_pct": share(total[3], total[0]),
                           "ess_employer_share_pct": share(total[4], total[1])},
        "jobs": {"all_estimated": half(total[2]), "ess_estimated": half(total[5]),
                 "ess_share_pct": share(total[5], total[2]), "ess_band_unknown": band_unknown},
        "by_commune": [{"code": c, "name": communes[c]["nom"], "active": f[0], "employer": f[1],
                        "jobs": half(f[2]), "ess_active": f[3], "ess_employer": f[4],
                        "ess_jobs": half(f[5])} for c, f in sorted(by_commune.items())],
        **{f"by_{'naf_section' if g == 'section' else g}": [
            {g: k, "ess_active": v[0], "ess_employer": v[1], "ess_jobs": half(v[2])}
            for k, v in sorted(groups[g].items())] for g in groups},
        "creations_by_year": [{"year": y, "ess": v[0], "all": v[1]}
                              for y, v in sorted(creations.items())],
        "closures_by_year": [{"year": y, "ess": v[0], "all": v[1]}
                             for y, v in sorted(closures.items())],
    }


def check_twin(work: Path, establishments: int) -> list[str]:
    import compare

    gen = work / "gen"
    subprocess.run([sys.executable, str(HERE / "gen_sirene.py"), "--out", str(gen),
                    "--establishments", str(establishments), "--seed", "11", "--focus", "0.9"],
                   check=True, capture_output=True)
    est, units = gen / "StockEtablissement_utf8.csv", gen / "StockUniteLegale_utf8.csv"
    errors = []
    for territory in ("epci:200040715", "departement:38", "communes:69123,69259,38185",
                      "epci:200054781"):
        c = compare.Comparison("python", "duckdb")
        py = python_panorama(est, units, territory)
        compare.compare(py, run_duckdb(est, units, territory), c)
        errors += [f"{territory}: {d}" for d in c.differences]
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--establishments", type=int, default=20000)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="crosscheck-selftest-"))
    work.mkdir(parents=True, exist_ok=True)
    failed = False
    for name, errors in (("hand-written rows", check_hand(work)),
                         ("plain-Python twin", check_twin(work, args.establishments))):
        print(f"{name}: {'ok' if not errors else 'FAILED'}")
        for e in errors:
            print(f"  {e}")
        failed |= bool(errors)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
