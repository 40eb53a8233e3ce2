#!/usr/bin/env python3
"""Derive a provisional scoring sheet for another legal version by re-weighting a real one.

Usage:
    python3 tools/criteria/derive_sheet.py SOURCE.csv A=40 B=25 C=35 > TARGET.csv

Where no official sheet text is available to us, ocop ships a sheet derived from the nearest real
one and marks it provisional (docs/criteria.md). Re-weighting keeps integer points:
- each part's criterion maxima are scaled to the new part maximum and rounded by the largest
  remainder, so that they add up exactly (and every criterion keeps at least 1 point);
- each option's points are scaled by its criterion's factor and rounded half up; the best option
  of a criterion gets exactly the new maximum, and the order of options is kept;
- section maxima are the sums of their criteria.
"""

import csv
import sys
from collections import OrderedDict
from fractions import Fraction


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


def main(source, targets):
    rows = list(csv.DictReader(open(source, encoding="utf-8")))
    criteria = OrderedDict()
    for row in rows:
        criteria.setdefault(row["criterion"], (row["part"], int(row["criterion_max"])))
    new_max = {}
    for part, target in targets.items():
        codes = [code for code, (p, _) in criteria.items() if p == part]
        scaled = largest_remainder([criteria[c][1] for c in codes], target)
        new_max.update(zip(codes, scaled))
    sections = OrderedDict()
    for code, (part, _) in criteria.items():
        section = next(r["section"] for r in rows if r["criterion"] == code)
        sections[section] = sections.get(section, 0) + new_max[code]

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(list(rows[0].keys()))
    for row in rows:
        old_max = int(row["criterion_max"])
        factor = Fraction(new_max[row["criterion"]], old_max)
        points = int(row["points"])
        new_points = new_max[row["criterion"]] if points == old_max else half_up(points * factor)
        out = dict(row)
        out["criterion_max"] = new_max[row["criterion"]]
        out["section_max"] = sections[row["section"]]
        out["points"] = min(new_points, new_max[row["criterion"]])
        writer.writerow(list(out.values()))


if __name__ == "__main__":
    targets = OrderedDict((arg.split("=")[0], int(arg.split("=")[1])) for arg in sys.argv[2:])
    main(sys.argv[1], targets)
