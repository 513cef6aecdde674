#!/usr/bin/env python3
"""An independent generator of SIRENE stock files in INSEE's format (DATA.md §1).

Written for the cross-check, apart from essor's own generator (`essor generate sirene`), so that
essor's importer and panorama are also tested on files it did not write. Rows are random but
valid, with the quirks of the real files:

- exact INSEE headers (54 and 35 columns), optionally in another order with an unknown extra
  column (--variant shuffled) or without the NAF 2025 columns (--variant old);
- RFC 4180 quoting with doubled quotes, backslashes as ordinary characters (`A \\"B\\", C`,
  `ÉCHOPPE\\`, `C\\,D`), fields quoted without need, quoted empty fields;
- `[ND]` masks of `P` (partially public) units and establishments, individual entrepreneurs
  (category 1000), closed establishments and ceased units, old nomenclatures (NAFRev1, NAF1993,
  NAP), `00.00Z`, malformed and empty activities, every size band and empty band, employer flag
  O/N/empty in every combination, `1900-01-01` and empty dates, `dateDernierTraitement` with and
  without milliseconds;
- ESS flag O/N/empty on every kind of category, excluded activities (84.*, 94.11Z…94.92Z) in ESS
  families, legal units missing from the units file;
- communes spread by population, with a large share in the cross-check's territories (Isère,
  Lyon's arrondissements, Vénissieux, the Métropole du Grand Paris), municipal arrondissements
  for Paris, Lyon and Marseille, a few establishments coded with the commune 75056/69123/13055
  itself, former commune codes and empty codes (addresses abroad).

Usage:
    gen_sirene.py --out DIR [--establishments 200000] [--seed 7] [--zip]
                  [--variant current|shuffled|old] [--newlines] [--crlf]
                  [--referential data/referential]
Writes DIR/StockEtablissement_utf8.csv and DIR/StockUniteLegale_utf8.csv (or, with --zip, the
.zip archives holding them, as INSEE publishes them).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import random
import zipfile
from pathlib import Path

ESTABLISHMENT_HEADER = (
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,"
    "trancheEffectifsEtablissement,anneeEffectifsEtablissement,"
    "activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,"
    "etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,"
    "numeroVoieEtablissement,indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,"
    "indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,"
    "libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,"
    "libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,"
    "codeCommuneEtablissement,codeCedexEtablissement,libelleCedexEtablissement,"
    "codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,"
    "identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,"
    "coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,"
    "numeroVoie2Etablissement,indiceRepetition2Etablissement,typeVoie2Etablissement,"
    "libelleVoie2Etablissement,codePostal2Etablissement,libelleCommune2Etablissement,"
    "libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,"
    "codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,"
    "codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,"
    "etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,"
    "enseigne3Etablissement,denominationUsuelleEtablissement,activitePrincipaleEtablissement,"
    "nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement,"
    "activitePrincipaleNAF25Etablissement"
).split(",")

UNIT_HEADER = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,"
    "sigleUniteLegale,sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,"
    "prenom4UniteLegale,prenomUsuelUniteLegale,pseudonymeUniteLegale,"
    "identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,"
    "dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,categorieEntreprise,"
    "anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,"
    "nomUsageUniteLegale,denominationUniteLegale,denominationUsuelle1UniteLegale,"
    "denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,"
    "categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,"
    "nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,"
    "economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,"
    "caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale"
).split(",")

assert len(ESTABLISHMENT_HEADER) == 54 and len(UNIT_HEADER) == 35

COOPERATIVES = (
    "5191 5192 5193 5194 5195 5196 6100 6595 6596 5203 5307 5309 5432 5443 5451 5453 5454 5455 "
    "5458 5459 5460 5532 5543 5547 5551 5552 5553 5554 5555 5558 5559 5560 5632 5643 5647 5651 "
    "5652 5653 5654 5655 5658 5659 5660 6316 6317 6318 6532 6543 6551 6554 6558 6560"
).split()
ASSOCIATIONS = "9210 9220 9221 9222 9223 9230 9240 9260".split()
MUTUELLES = "8210 8250 8290 6411".split()

# (category or list of categories, weight, kind)
CATEGORIES = [
    ("1000", 38.0, "individual"),
    ("5499", 11.0, "company"), ("5710", 12.0, "company"), ("5720", 6.0, "company"),
    ("5599", 1.0, "company"), ("5202", 0.5, "company"), ("6540", 5.0, "company"),
    ("6533", 0.3, "company"), ("5498", 1.0, "company"),
    ("9220", 9.0, "association"), ("9210", 0.6, "association"),
    (ASSOCIATIONS[2:], 1.0, "association"),
    ("9300", 0.25, "fondation"), ("9110", 2.0, "other"), ("9150", 0.2, "other"),
    ("9260", 0.2, "association"), ("9900", 0.2, "other"),
    (MUTUELLES, 0.4, "mutuelle"), (COOPERATIVES, 2.0, "cooperative"),
    ("7210", 0.6, "public"), ("7220", 0.1, "public"), ("7389", 0.3, "public"),
    ("7490", 0.1, "public"), ("4110", 0.1, "public"), ("7344", 0.2, "public"),
    ("", 0.05, "other"),
]

BANDS_ACTIVE = [
    ("", 25), ("NN", 35), ("00", 6), ("01", 12), ("02", 8), ("03", 5), ("11", 4), ("12", 3),
    ("21", 1), ("22", 0.5), ("31", 0.15), ("32", 0.15), ("41", 0.06), ("42", 0.03),
    ("51", 0.015), ("52", 0.006), ("53", 0.003),
]
BANDS_CLOSED = [("", 55), ("NN", 35), ("00", 3), ("01", 4), ("02", 2), ("03", 1), ("11", 0.5),
                ("12", 0.3), ("21", 0.1), ("53", 0.001)]

ACTIVITIES_BY_KIND = {
    "association": [("94.99Z", 40), ("88.99B", 10), ("93.12Z", 8), ("85.59A", 5),
                    ("88.10A", 3), ("94.91Z", 3), ("94.92Z", 1), ("94.20Z", 1), ("94.11Z", 0.5),
                    ("94.12Z", 0.5), ("84.11Z", 0.5), ("84.13Z", 0.3), ("56.10A", 1),
                    ("38.11Z", 1), ("49.39A", 0.5), ("87.30A", 2), ("90.01Z", 3), ("01.13Z", 0.5),
                    ("47.11F", 0.3), ("95.29Z", 0.5), ("81.10Z", 0.3), ("55.90Z", 0.3)],
    "fondation": [("94.99Z", 5), ("72.19Z", 2), ("86.10Z", 2), ("87.10A", 2), ("84.11Z", 0.3)],
    "mutuelle": [("65.12Z", 6), ("65.11Z", 2), ("86.22C", 1), ("94.11Z", 0.3)],
    "cooperative": [("01.11Z", 3), ("10.51A", 2), ("46.31Z", 2), ("47.11B", 2), ("64.19Z", 4),
                    ("35.14Z", 1), ("43.22B", 1), ("71.12B", 1), ("49.41A", 1), ("68.20B", 1),
                    ("52.21Z", 0.5), ("84.21Z", 0.2), ("94.12Z", 0.2), ("11.02B", 1)],
    "public": [("84.11Z", 60), ("84.12Z", 5), ("84.13Z", 3), ("38.11Z", 3), ("49.31Z", 2),
               ("91.01Z", 2), ("85.20Z", 3), ("88.91A", 2)],
}
THEME_CODES = ("35.11Z 35.14Z 39.00Z 02.10Z 71.12B 74.90B 43.22B 43.29A 81.30Z 38.11Z 38.32Z "
               "37.00Z 47.79Z 95.11Z 95.29Z 33.12Z 33.17Z 01.13Z 01.50Z 03.11Z 10.71C 11.02B "
               "46.31Z 46.39B 47.11B 47.11F 47.21Z 47.29Z 56.10A 56.30Z 47.81Z 49.10Z 49.39A "
               "77.11A 77.11B 77.21Z 45.20A 45.20B 45.40Z 52.21Z 41.20A 42.11Z 43.21A 68.20A "
               "55.90Z 87.10A 81.10Z 47.11A 33.20A 47.30Z 46.20Z 52.10A").split()
OLD_CODES = {
    "NAFRev1": ["74.1A", "85.3K", "91.3E", "52.1D", "70.2C", "55.3A", "35.11Z", "84.11Z",
                "94.11Z", "91.1A", "01.1A", "45.2B", "93.0K"],
    "NAF1993": ["52.1D", "91.3E", "85.3K", "74.1G", "55.3A", "84.1A", "45.2B"],
    "NAP": ["7711", "8401", "6407", "9501", "0101", "5511", "8911"],
}

NAMES = [
    "LES AMIS DU QUARTIER", "BOULANGERIE DU MARCHÉ", "COOPÉRATIVE ALPINE", "ATELIER VÉLO",
    "ASSOCIATION \"LES AMIS\", DU QUARTIER", "A \\\"B\\\", C", "L'ÉCHOPPE\\", "C\\,D",
    "\\", "\\\\SERVEUR\\PARTAGE", "SCOP \"LE \"\"VRAI\"\" PAIN\"", "MAISON, JARDIN & CO",
    "CAFÉ ; BAR", "ÉPICERIE SOLIDAIRE \"L'ÉPI\"", "RESSOURCERIE, RECYCLERIE\\",
    "'QUOTED' NAME", " ESPACE AVANT", "ESPACE APRÈS ", "NAÏVE ŒUVRE — ÇA", "\"\"",
    "\"DÉBUT", "FIN\"", "TAB\tULATION", "ÉNERGIES CITOYENNES", "MOBILITÉ DOUCE",
    "HABITAT PARTAGÉ", "LA RECYCLERIE", "AMAP DES ALPES", "GARAGE SOLIDAIRE",
]
FIRST_NAMES = ["MARIE", "JEAN", "CAMILLE", "NOÉ", "ZOÉ", "JEAN-PIERRE", "ANNE-SOPHIE"]
STREETS = ["DE LA REPUBLIQUE", "JEAN JAURES", "DES \"ALPES\"", "DU 8 MAI 1945",
           "VICTOR HUGO, PROLONGÉE", "DU PONT\\NEUF", "DES ÉCOLES"]
STREET_TYPES = ["RUE", "AV", "BD", "PL", "CHE", "IMP", "RTE", "ALL", ""]


def luhn_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


class Weighted:
    def __init__(self, items):
        self.values = [v for v, _ in items]
        self.cum = list(itertools.accumulate(w for _, w in items))

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def csv_field(value: str, rng: random.Random) -> str:
    if value == "":
        return '""' if rng.random() < 0.01 else ""
    if any(c in value for c in ',"\r\n') or rng.random() < 0.02:
        return '"' + value.replace('"', '""') + '"'
    return value


def date(rng: random.Random, lo: int, hi: int) -> str:
    return f"{rng.randint(lo, hi):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def processed(rng: random.Random) -> str:
    stamp = f"{date(rng, 2015, 2026)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:" \
            f"{rng.randint(0, 59):02d}"
    return stamp + (f".{rng.randint(0, 999):03d}" if rng.random() < 0.5 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--establishments", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--zip", action="store_true")
    parser.add_argument("--variant", choices=["current", "shuffled", "old"], default="current")
    parser.add_argument("--newlines", action="store_true",
                        help="put line breaks inside some quoted names (RFC 4180 allows them)")
    parser.add_argument("--crlf", action="store_true", help="end lines with CRLF")
    parser.add_argument("--focus", type=float, default=0.6,
                        help="share of establishments in the cross-check's territories")
    default_ref = Path(__file__).resolve().parents[2] / "data" / "referential"
    parser.add_argument("--referential", default=str(default_ref))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ref = Path(args.referential)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    eol = "\r\n" if args.crlf else "\n"

    # --- Communes --------------------------------------------------------------------------
    communes = list(csv.DictReader(open(ref / "communes.csv", encoding="utf-8")))
    known = {c["code"] for c in communes}
    plm = {"75056", "69123", "13055"}
    placeable = [c for c in communes if c["code"] not in plm and int(c["population"] or 0) > 0]
    grand_paris = {r["commune"] for r in csv.DictReader(open(ref / "epci_membres.csv"))
                   if r["epci"] == "200054781"}
    focus = [c for c in placeable
             if c["departement"] == "38" or c["commune"] == "69123" or c["code"] == "69259"
             or c["code"] in grand_paris or c["commune"] == "75056"]
    national = Weighted([(c, int(c["population"])) for c in placeable])
    focused = Weighted([(c, int(c["population"])) for c in focus])
    former = [f"{d}{n:03d}" for d in ("38", "69", "75", "01") for n in range(1, 1000)
              if f"{d}{n:03d}" not in known]

    def pick_commune() -> tuple[str, str, str]:
        """(code, postal code, name) of an establishment's commune, quirks included."""
        r = rng.random()
        if r < 0.003:
            return "", "", ""  # abroad
        if r < 0.006:
            code = rng.choice(former)
            return code, code[:2] + "000", "ANCIENNE COMMUNE"
        if r < 0.007:
            code = rng.choice(sorted(plm))
            return code, code[:2] + "000", "COMMUNE PLM"
        c = (focused if rng.random() < args.focus else national).pick(rng)
        return c["code"], c["code"][:2] + "0" + c["code"][-2:], c["nom"].upper()

    # --- Activities -------------------------------------------------------------------------
    naf = [r["code"] for r in csv.DictReader(open(ref / "naf.csv", encoding="utf-8"))
           if r["niveau"] == "sous-classe"]
    by_kind = {k: Weighted(v) for k, v in ACTIVITIES_BY_KIND.items()}
    categories = Weighted([(c, w) for c, w, _ in CATEGORIES])
    bands_active = Weighted(BANDS_ACTIVE)
    bands_closed = Weighted(BANDS_CLOSED)
    kind_of = {}
    for c, _, k in CATEGORIES:
        for code in ([c] if isinstance(c, str) else c):
            kind_of[code] = k

    def pick_activity(kind: str) -> tuple[str, str]:
        r = rng.random()
        if r < 0.06:
            return rng.choice(OLD_CODES["NAFRev1"]), "NAFRev1"
        if r < 0.09:
            return rng.choice(OLD_CODES["NAF1993"]), "NAF1993"
        if r < 0.11:
            return rng.choice(OLD_CODES["NAP"]), "NAP"
        if r < 0.115:
            return "", ""
        if r < 0.118:
            return "00.00Z", "NAFRev2"
        if r < 0.119:
            return rng.choice(["9499Z", "35.1", "47.11", "84"]), "NAFRev2"
        if r < 0.1195:
            return rng.choice(["94.99Z", "35.11Z", "84.11Z"]), ""
        if kind in by_kind and rng.random() < 0.7:
            return by_kind[kind].pick(rng), "NAFRev2"
        if rng.random() < 0.25:
            return rng.choice(THEME_CODES), "NAFRev2"
        return rng.choice(naf), "NAFRev2"

    def pick_name(plain: str) -> str:
        if rng.random() < 0.25:
            name = rng.choice(NAMES)
        else:
            name = f"{plain} {rng.randint(1, 99999)}"
        if args.newlines and rng.random() < 0.01:
            name = name + "\nSUITE"
        return name

    # --- Generation -------------------------------------------------------------------------
    est_header = list(ESTABLISHMENT_HEADER)
    unit_header = list(UNIT_HEADER)
    if args.variant == "old":
        est_header.remove("activitePrincipaleNAF25Etablissement")
        unit_header.remove("activitePrincipaleNAF25UniteLegale")
    if args.variant == "shuffled":
        est_header.append("colonneInconnueEtablissement")
        unit_header.append("colonneInconnueUniteLegale")
        rng.shuffle(est_header)
        rng.shuffle(unit_header)

    est_path = out / "StockEtablissement_utf8.csv"
    unit_path = out / "StockUniteLegale_utf8.csv"
    est_file = open(est_path, "w", encoding="utf-8", newline="")
    unit_file = open(unit_path, "w", encoding="utf-8", newline="")
    est_file.write(",".join(est_header) + eol)
    unit_file.write(",".join(unit_header) + eol)

    def write(handle, header, row: dict) -> None:
        handle.write(",".join(csv_field(row.get(col, ""), rng) for col in header) + eol)

    expected_units = max(1, int(args.establishments / 1.45))
    gap = max(2, int(89_000_000 / expected_units))
    payload = 10_000_000
    written = 0
    stats = {"units": 0, "missing_units": 0, "establishments": 0}
    while written < args.establishments:
        payload += rng.randint(1, 2 * gap - 1)
        if payload > 99_999_999:
            payload = 10_000_000 + rng.randint(0, 999)  # wrap (tiny runs only)
        siren = f"{payload:08d}" + luhn_digit(f"{payload:08d}")
        category = categories.pick(rng)
        if isinstance(category, list):
            category = rng.choice(category)
        kind = kind_of[category]
        r = rng.random()
        if rng.random() < 0.05:
            count = 0
        elif r < 0.8:
            count = 1
        elif r < 0.97:
            count = rng.randint(2, 5)
        else:
            count = rng.randint(6, 40)
        count = min(count, args.establishments - written)
        partial = rng.random() < (0.12 if kind == "individual" else 0.01)
        diffusion = "P" if partial else "O"
        family_kind = kind in ("association", "fondation", "mutuelle", "cooperative")
        f = rng.random()
        if family_kind:
            ess_flag = "O" if f < 0.6 else "N" if f < 0.65 else ""
        elif kind == "company":
            ess_flag = "O" if f < 0.03 else "N" if f < 0.25 else ""
        else:
            ess_flag = "O" if f < 0.004 else "N" if f < 0.1 else ""
        created = date(rng, 1950, 2026) if rng.random() > 0.02 else "1900-01-01"
        states = []
        nic_used = set()
        siege_nic = ""
        for i in range(count):
            while True:
                nic4 = f"{rng.randint(1, 9999):04d}"
                nic = nic4 + luhn_digit(siren + nic4)
                if nic not in nic_used:
                    nic_used.add(nic)
                    break
            if i == 0:
                siege_nic = nic
            active = rng.random() < 0.42
            states.append(active)
            band = (bands_active if active else bands_closed).pick(rng)
            e = rng.random()
            if not active:
                employer = "N" if e < 0.7 else "" if e < 0.95 else "O"
            elif band in ("", "NN"):
                employer = "N" if e < 0.6 else "" if e < 0.85 else "O"
            elif band == "00":
                employer = "N" if e < 0.6 else "O" if e < 0.9 else ""
            else:
                employer = "O" if e < 0.85 else "N" if e < 0.95 else ""
            activity, nomenclature = pick_activity(kind)
            code, postal, commune_name = pick_commune()
            d = rng.random()
            creation = (date(rng, 1960, 2026) if d > 0.03
                        else "1900-01-01" if d > 0.01 else "")
            d = rng.random()
            if d < 0.02:
                debut = "1900-01-01"
            elif d < 0.03:
                debut = ""
            else:
                lo = int(creation[:4]) if creation and creation != "1900-01-01" else 1970
                debut = date(rng, lo, 2026)
            est_partial = partial or rng.random() < 0.005
            nd = "[ND]"
            row = {
                "siren": siren, "nic": nic, "siret": siren + nic,
                "statutDiffusionEtablissement": "P" if est_partial else "O",
                "dateCreationEtablissement": creation,
                "trancheEffectifsEtablissement": band,
                "anneeEffectifsEtablissement": str(rng.randint(2018, 2024)) if band else "",
                "activitePrincipaleRegistreMetiersEtablissement":
                    rng.choice(["", "", "", "1013ZZ", "4322AB"]),
                "dateDernierTraitementEtablissement": processed(rng),
                "etablissementSiege": "true" if i == 0 else "false",
                "nombrePeriodesEtablissement": str(rng.randint(1, 6)),
                "complementAdresseEtablissement": "BATIMENT \"B\", 2E ETAGE" if rng.random() < 0.05 else "",
                "numeroVoieEtablissement": str(rng.randint(1, 200)),
                "indiceRepetitionEtablissement": rng.choice(["", "", "", "B", "T"]),
                "typeVoieEtablissement": rng.choice(STREET_TYPES),
                "libelleVoieEtablissement": rng.choice(STREETS),
                "codePostalEtablissement": postal,
                "libelleCommuneEtablissement": commune_name,
                "codeCommuneEtablissement": code,
                "identifiantAdresseEtablissement": "",
                "coordonneeLambertAbscisseEtablissement": f"{rng.uniform(100000, 1200000):.1f}",
                "coordonneeLambertOrdonneeEtablissement": f"{rng.uniform(6000000, 7100000):.1f}",
                "dateDebut": debut,
                "etatAdministratifEtablissement": "A" if active else "F",
                "enseigne1Etablissement": pick_name("ENSEIGNE") if rng.random() < 0.3 else "",
                "denominationUsuelleEtablissement": pick_name("USUEL") if rng.random() < 0.1 else "",
                "activitePrincipaleEtablissement": activity,
                "nomenclatureActivitePrincipaleEtablissement": nomenclature,
                "caractereEmployeurEtablissement": employer,
                "activitePrincipaleNAF25Etablissement":
                    (activity if nomenclature == "NAFRev2" and rng.random() < 0.3 else ""),
                "colonneInconnueEtablissement": "X, \"Y\"",
            }
            if code == "":
                row.update({"libelleCommuneEtrangerEtablissement": "GENEVE",
                            "codePaysEtrangerEtablissement": "99140",
                            "libellePaysEtrangerEtablissement": "SUISSE",
                            "codePostalEtablissement": "", "libelleCommuneEtablissement": ""})
            if est_partial:
                for col in ("complementAdresseEtablissement", "numeroVoieEtablissement",
                            "indiceRepetitionEtablissement", "typeVoieEtablissement",
                            "libelleVoieEtablissement", "codePostalEtablissement",
                            "coordonneeLambertAbscisseEtablissement",
                            "coordonneeLambertOrdonneeEtablissement",
                            "enseigne1Etablissement", "denominationUsuelleEtablissement"):
                    row[col] = nd
            write(est_file, est_header, row)
            written += 1
        stats["establishments"] += count
        # ~1.5 % of units with establishments are missing from the units file.
        if count and rng.random() < 0.015:
            stats["missing_units"] += 1
            continue
        ceased = count > 0 and not any(states) and rng.random() < 0.9
        individual = category == "1000"
        unit = {
            "siren": siren,
            "statutDiffusionUniteLegale": diffusion,
            "unitePurgeeUniteLegale": "true" if ceased and rng.random() < 0.1 else "",
            "dateCreationUniteLegale": created,
            "sigleUniteLegale": rng.choice(["", "", "", "ADS", "S.C.O.P."]) if not individual else "",
            "sexeUniteLegale": rng.choice(["M", "F"]) if individual else "",
            "prenom1UniteLegale": rng.choice(FIRST_NAMES) if individual else "",
            "prenomUsuelUniteLegale": rng.choice(FIRST_NAMES) if individual else "",
            "pseudonymeUniteLegale": "",
            "identifiantAssociationUniteLegale":
                f"W{rng.randint(0, 999999999):09d}" if kind == "association" and rng.random() < 0.7 else "",
            "trancheEffectifsUniteLegale": bands_active.pick(rng),
            "anneeEffectifsUniteLegale": str(rng.randint(2018, 2024)),
            "dateDernierTraitementUniteLegale": processed(rng),
            "nombrePeriodesUniteLegale": str(rng.randint(1, 9)),
            "categorieEntreprise": rng.choice(["", "PME", "PME", "ETI", "GE"]),
            "anneeCategorieEntreprise": "2022",
            "dateDebut": date(rng, 1990, 2026) if rng.random() > 0.02 else "1900-01-01",
            "etatAdministratifUniteLegale": "C" if ceased else "A",
            "nomUniteLegale": rng.choice(["MARTIN", "DURAND", "O'NEIL", "D\\ANGELO"]) if individual else "",
            "denominationUniteLegale": "" if individual else pick_name("STRUCTURE"),
            "categorieJuridiqueUniteLegale": category,
            "activitePrincipaleUniteLegale": pick_activity(kind)[0],
            "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
            "nicSiegeUniteLegale": siege_nic,
            "economieSocialeSolidaireUniteLegale": ess_flag,
            "societeMissionUniteLegale": rng.choice(["", "", "N", "O"]),
            "caractereEmployeurUniteLegale": "",
            "activitePrincipaleNAF25UniteLegale": "",
            "colonneInconnueUniteLegale": "\\",
        }
        if partial and individual:
            for col in ("sexeUniteLegale", "prenom1UniteLegale", "prenomUsuelUniteLegale",
                        "nomUniteLegale"):
                unit[col] = "[ND]"
        write(unit_file, unit_header, unit)
        stats["units"] += 1
    est_file.close()
    unit_file.close()

    if args.zip:
        for path in (est_path, unit_path):
            with zipfile.ZipFile(path.with_suffix(".zip"), "w", zipfile.ZIP_DEFLATED) as z:
                z.write(path, path.name)
            path.unlink()
    print(f"{stats['establishments']} establishments, {stats['units']} units "
          f"({stats['missing_units']} units missing on purpose) in {out}")


if __name__ == "__main__":
    main()
