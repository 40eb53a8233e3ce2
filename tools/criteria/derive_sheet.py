#!/usr/bin/env python3
"""Derive a provisional scoring sheet for another legal version by re-weighting a real one.

Usage:
    python3 tools/criteria/derive_sheet.py SOURCE.csv A=40 B=25 C=35 > TARGET.csv

SOURCE.csv and the output are sheets in criteria data format 2 (tools/criteria/format2.py). Where
no official sheet text is available to us, ocop ships a sheet derived from the nearest real one and
marks it `derived` in sets.csv. Re-weighting keeps integer points:
- the scored criteria (leaf criteria, and sections carrying options directly) of each part have
  their maxima scaled to the new part maximum and rounded by the largest remainder, in sheet order,
  so that they add up exactly (and every criterion keeps at least 1 point);
- each option's points are scaled by its criterion's factor and rounded half up; an option worth
  the old maximum gets exactly the new maximum (per case, as every case's best option does), no
  option exceeds it, and the order of options is kept;
- parent criteria are the sums of their sub-criteria, sections the sums of their criteria, parts
  the given maxima (a "(N Điểm)" in a part's title is rewritten to the new maximum).
Every other cell (names, notes, star marks, applies_to, cases, disqualifiers) is copied. The source
is read as written: errata are not applied, so its points must all be whole numbers.
"""

import os
import re
import sys
from collections import OrderedDict
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import format2  # noqa: E402

POINTS_IN_TITLE = re.compile(r"\((\d+) (điểm|Điểm|ĐIỂM)\)")


def largest_remainder(weights, total):
    """Integers proportional to `weights`, each >= 1, adding up to `total`."""
    whole = sum(weights)
    exact = [Fraction(w * total, whole) for w in weights]
    result = [max(1, int(e)) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    i = 0
    while sum(result) < total:
        result[order[i % len(order)]] += 1
        i += 1
    while sum(result) > total:
        j = max(range(len(result)), key=lambda k: (result[k] - exact[k], result[k]))
        result[j] -= 1
    return result


def half_up(value):
    """Rounds a non-negative Fraction half up: floor(value + 1/2)."""
    return int(value + Fraction(1, 2))


def structure(rows):
    """(row index -> part, row index -> scored holder code or None, holder codes with options,
    criterion codes with sub-criteria)."""
    part_of, holder_of = {}, {}
    part = holder = None
    with_options, parents = set(), set()
    codes = []
    for i, row in enumerate(rows):
        kind = row["kind"]
        if kind == "part":
            part, holder = row["code"], None
        elif kind in ("section", "criterion"):
            holder = row["code"]
            if kind == "criterion":
                parent = row["code"].rsplit(".", 1)[0]
                if parent in codes:
                    parents.add(parent)
            codes.append(row["code"])
        elif kind == "option":
            with_options.add(holder)
        part_of[i], holder_of[i] = part, holder
    return part_of, holder_of, with_options, parents


def derive(rows, targets):
    part_of, holder_of, with_options, parents = structure(rows)
    scored = OrderedDict()  # code -> (part, old max), in sheet order
    for i, row in enumerate(rows):
        if row["kind"] == "criterion" and row["code"] not in parents or \
                row["kind"] == "section" and row["code"] in with_options:
            scored[row["code"]] = (part_of[i], int(row["max"]))
    new_max = {}
    for part, target in targets.items():
        codes = [code for code, (p, _) in scored.items() if p == part]
        new_max.update(zip(codes, largest_remainder([scored[c][1] for c in codes], target)))
    # parents and sections: sums of their children, deepest first
    kinds = {row["code"]: row["kind"] for row in rows if row["kind"] in ("section", "criterion")}
    for code in sorted(kinds, key=lambda c: -c.count(".")):
        if code in new_max:
            continue
        children = [c for c in kinds if kinds[c] == "criterion" and c.rsplit(".", 1)[0] == code
                    and c != code]
        new_max[code] = sum(new_max[c] for c in children)

    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        kind = row["kind"]
        if kind == "part":
            row["max"] = str(targets[row["code"]])
            row["name_vi"] = POINTS_IN_TITLE.sub(lambda m: f"({targets[row['code']]} {m.group(2)})",
                                                 row["name_vi"])
        elif kind in ("section", "criterion"):
            row["max"] = str(new_max[row["code"]])
        elif kind == "option":
            code = holder_of[i]
            old_max, new = scored[code][1], new_max[code]
            if not row["points"].isdigit():
                raise SystemExit(f"{holder_of[i]}/{row['option']}: points {row['points']!r} are not a "
                                 "whole number (fix the source sheet first)")
            points = int(row["points"])
            new_points = new if points == old_max else half_up(points * Fraction(new, old_max))
            row["points"] = str(min(new_points, new))
        out.append(row)
    return out


def main(source, targets):
    header, rows = format2.read_csv(source)
    if header != format2.SHEET_HEADER:
        raise SystemExit(f"{source}: not a format-2 sheet (header {header})")
    parts = [row["code"] for row in rows if row["kind"] == "part"]
    if sorted(parts) != sorted(targets):
        raise SystemExit(f"{source}: parts {parts}, targets {list(targets)}")
    sys.stdout.write(format2.write_csv(None, format2.SHEET_HEADER, derive(rows, targets)))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    targets = OrderedDict((arg.split("=")[0], int(arg.split("=")[1])) for arg in sys.argv[2:])
    main(sys.argv[1], targets)
