#!/usr/bin/env python3
"""Validates an SCDL « subventions » 2.1.1 CSV file as the national validator does.

1. frictionless (the Table Schema validator) with the official schema: field names and order,
   types, formats, patterns, enums, required cells;
2. the schema's two `custom_checks`, which frictionless does not run by itself:
   `french-siret-value` (idAttribuant and idBeneficiaire are SIRETs with a valid checksum:
   Luhn over the 14 digits, or for La Poste, SIREN 356000000, a digit sum that is a multiple
   of 5) and `one-of-required` (idBeneficiaire or rnaBeneficiaire is filled).

Usage: validate_scdl.py FILE.csv [--schema SCHEMA.json]
(the schema defaults to data/scdl-subventions-2.1.1.schema.json of this repository).
Prints every error with its row and field, then `N passed, M failed` (files); exit status 0
when the file is valid, 1 otherwise, 2 when frictionless is missing.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterable

try:
    import attrs
    from frictionless import Check, Checklist, Resource, Schema, errors
except ImportError:  # pragma: no cover - reported to the caller
    print("frictionless n’est pas installé : pip install frictionless", file=sys.stderr)
    sys.exit(2)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMA = ROOT / "data" / "scdl-subventions-2.1.1.schema.json"
SIREN_LA_POSTE = "356000000"


def siret_valid(value: str) -> bool:
    """14 digits with a valid checksum (Luhn, or La Poste's rule)."""
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith(SIREN_LA_POSTE) and sum(int(c) for c in value) % 5 == 0:
        return True
    total = 0
    for i, c in enumerate(reversed(value)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@attrs.define(kw_only=True, repr=False)
class FrenchSiretValue(Check):
    """`french-siret-value`: a filled cell of `column` is a valid SIRET."""

    type = "french-siret-value"
    Errors = [errors.CellError]
    column: str

    def validate_row(self, row) -> Iterable[errors.Error]:
        cell = row[self.column]
        if cell in (None, ""):
            return
        if not siret_valid(str(cell)):
            yield errors.CellError.from_row(
                row,
                note=f"« {cell} » n’est pas un SIRET valide (somme de contrôle)",
                field_name=self.column,
            )


@attrs.define(kw_only=True, repr=False)
class OneOfRequired(Check):
    """`one-of-required`: `column1` or `column2` is filled on every row."""

    type = "one-of-required"
    Errors = [errors.RowError]
    column1: str
    column2: str

    def validate_row(self, row) -> Iterable[errors.Error]:
        if row[self.column1] in (None, "") and row[self.column2] in (None, ""):
            yield errors.RowError.from_row(
                row,
                note=f"{self.column1} ou {self.column2} doit être renseigné",
            )


CUSTOM = {"french-siret-value": FrenchSiretValue, "one-of-required": OneOfRequired}


def validate(csv_path: Path, schema_path: Path) -> list[str]:
    """Every problem of the file, one line each; empty when it is valid."""
    descriptor = json.loads(schema_path.read_text(encoding="utf-8"))
    checks = []
    for custom in descriptor.get("custom_checks", []):
        kind = CUSTOM.get(custom["name"])
        if kind is None:
            return [f"contrôle personnalisé inconnu : {custom['name']}"]
        checks.append(kind(**custom["params"]))
    # frictionless reads only files under its working folder (unless trusted): both files are
    # copied into a temporary one, the schema without the keys it does not know.
    table_schema = {k: v for k, v in descriptor.items() if k != "custom_checks"}
    problems = []
    with tempfile.TemporaryDirectory() as work:
        data = Path(work) / "subventions.csv"
        shutil.copyfile(csv_path, data)
        schema = Schema.from_descriptor({"fields": table_schema["fields"]})
        cwd = os.getcwd()
        os.chdir(work)
        try:
            resource = Resource(path="subventions.csv", schema=schema)
            report = resource.validate(checklist=Checklist(checks=checks))
        finally:
            os.chdir(cwd)
    for task in report.tasks:
        for error in task.errors:
            where = []
            if getattr(error, "row_number", None):
                where.append(f"ligne {error.row_number}")
            if getattr(error, "field_name", None):
                where.append(f"champ {error.field_name}")
            prefix = f"{', '.join(where)} : " if where else ""
            note = getattr(error, "note", "") or ""
            detail = note if note and note not in error.message else ""
            message = f"{error.message} ({detail})" if detail else error.message
            problems.append(f"{prefix}{error.type} : {message}")
    if not report.tasks:
        problems.append("aucune table validée")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    args = parser.parse_args()
    problems = validate(args.csv, args.schema)
    for problem in problems:
        print(problem)
    rows = max(0, len(args.csv.read_text(encoding="utf-8").splitlines()) - 1)
    if problems:
        print(f"{args.csv} : {len(problems)} erreur(s), {rows} ligne(s)")
        print("0 passed, 1 failed")
        return 1
    print(f"{args.csv} : valide (SCDL « subventions » 2.1.1), {rows} ligne(s)")
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
