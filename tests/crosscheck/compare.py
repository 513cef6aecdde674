#!/usr/bin/env python3
"""Compares two panorama JSON documents key by key, on the contract of DATA.md §2.

Usage: compare.py ESSOR.json DUCKDB.json [--names essor,duckdb] [--max-print 200]

Compared: `territory` (kind, code, communes; name too except for a list of communes, whose name
DATA.md does not define), `perimeter`, every figure of `establishments` and `jobs`, and every row
of `by_commune` (matched on code, name included), `by_family`, `by_naf_section`, `by_theme`,
`by_band` (matched on their key) and `creations_by_year`, `closures_by_year` (matched on year):
rows missing on either side, duplicated keys, and each contract field. Numbers are compared
exactly as decimals (jobs are multiples of 0.5, shares have one decimal; 14.0 equals 14);
`null` only equals `null`. Ignored: `source` and any field DATA.md does not name (labels). The
order of rows is not part of the contract: a different order is printed as a note, not counted.

Prints each difference with its JSON path; exits 0 when there is none, 1 otherwise, 2 when a
file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal

ESTABLISHMENT_FIELDS = ["active", "employer", "ess_active", "ess_employer",
                        "ess_active_share_pct", "ess_employer_share_pct"]
JOB_FIELDS = ["all_estimated", "ess_estimated", "ess_share_pct", "ess_band_unknown"]
COMMUNE_FIELDS = ["name", "active", "employer", "jobs", "ess_active", "ess_employer", "ess_jobs"]
GROUP_FIELDS = ["ess_active", "ess_employer", "ess_jobs"]
YEAR_FIELDS = ["ess", "all"]
LISTS = [
    ("by_commune", "code", COMMUNE_FIELDS),
    ("by_family", "family", GROUP_FIELDS),
    ("by_naf_section", "section", GROUP_FIELDS),
    ("by_theme", "theme", GROUP_FIELDS),
    ("by_band", "band", GROUP_FIELDS),
    ("creations_by_year", "year", YEAR_FIELDS),
    ("closures_by_year", "year", YEAR_FIELDS),
]
MISSING = object()


def load(path: str):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle, parse_float=Decimal)
    except (OSError, ValueError) as err:
        print(f"cannot read {path}: {err}", file=sys.stderr)
        sys.exit(2)


def same(a, b) -> bool:
    numeric = (int, Decimal)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, numeric) and isinstance(b, numeric):
        return Decimal(a) == Decimal(b)
    return a == b


def show(value) -> str:
    if value is MISSING:
        return "(missing)"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


class Comparison:
    def __init__(self, left_name: str, right_name: str):
        self.left_name = left_name
        self.right_name = right_name
        self.differences: list[str] = []
        self.notes: list[str] = []

    def diff(self, path: str, left, right) -> None:
        self.differences.append(
            f"{path}: {self.left_name} {show(left)}, {self.right_name} {show(right)}"
        )

    def field(self, path: str, left: dict, right: dict, key: str) -> None:
        a = left.get(key, MISSING) if isinstance(left, dict) else MISSING
        b = right.get(key, MISSING) if isinstance(right, dict) else MISSING
        if a is MISSING or b is MISSING or not same(a, b):
            self.diff(f"{path}.{key}", a, b)

    def rows(self, name: str, key: str, fields: list[str], left, right) -> None:
        path = f"$.{name}"
        if not isinstance(left, list) or not isinstance(right, list):
            self.diff(path, left if left is not None else MISSING,
                      right if right is not None else MISSING)
            return

        def index(rows, side):
            out = {}
            for i, row in enumerate(rows):
                k = row.get(key, MISSING) if isinstance(row, dict) else MISSING
                if k is MISSING:
                    self.differences.append(f"{path}[{i}]: {side} row without {key!r}")
                    continue
                k = str(k)
                if k in out:
                    self.differences.append(f"{path}[{key}={k}]: {side} lists it twice")
                out[k] = row
            return out

        a = index(left, self.left_name)
        b = index(right, self.right_name)
        for k in a.keys() - b.keys():
            self.diff(f"{path}[{key}={k}]", a[k], MISSING)
        for k in b.keys() - a.keys():
            self.diff(f"{path}[{key}={k}]", MISSING, b[k])
        common = [k for k in a if k in b]
        for k in common:
            for f in fields:
                self.field(f"{path}[{key}={k}]", a[k], b[k], f)
        order_a = [k for k in a if k in b]
        order_b = [k for k in b if k in a]
        if order_a != order_b:
            self.notes.append(f"{path}: rows in another order (not part of the contract)")


def compare(left: dict, right: dict, c: Comparison) -> None:
    lt, rt = left.get("territory", {}), right.get("territory", {})
    for key in ("kind", "code", "communes"):
        c.field("$.territory", lt, rt, key)
    if rt.get("kind") != "communes":
        c.field("$.territory", lt, rt, "name")
    c.field("$", left, right, "perimeter")
    for key in ESTABLISHMENT_FIELDS:
        c.field("$.establishments", left.get("establishments", {}),
                right.get("establishments", {}), key)
    for key in JOB_FIELDS:
        c.field("$.jobs", left.get("jobs", {}), right.get("jobs", {}), key)
    for name, key, fields in LISTS:
        c.rows(name, key, fields, left.get(name), right.get(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("left")
    parser.add_argument("right")
    parser.add_argument("--names", default="essor,duckdb")
    parser.add_argument("--max-print", type=int, default=200)
    args = parser.parse_args()
    left_name, right_name = args.names.split(",", 1)
    c = Comparison(left_name, right_name)
    compare(load(args.left), load(args.right), c)
    for line in c.differences[: args.max_print]:
        print(f"  DIFF {line}")
    if len(c.differences) > args.max_print:
        print(f"  … and {len(c.differences) - args.max_print} more differences")
    for line in c.notes:
        print(f"  note {line}")
    if c.differences:
        print(f"  {len(c.differences)} difference(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
