#!/usr/bin/env python3
"""Check criteria version directories in data format 2, as the Rust loader will.

Usage:
    python3 tools/criteria/check_format2.py [--without-errata] DIR...

For each version directory: sets.csv (header, codes unique, sources, sheets exist) and
errata.csv (header; each row names an existing cell whose current value is its source_value),
then every sheet in sheets/, with the errata applied (unless --without-errata):
- the header is exact; cells are NFC and trimmed; kinds and the cells each kind may fill;
- order: dossier disqualifiers before the first part, parts A, B, C, sections in their part,
  criterion codes under their section's code, sub-criteria after their parent, criterion-level
  disqualifiers right after their criterion (or section), cases before the options, options after
  a criterion or an options-carrying section; codes unique;
- parts add up to 100 and are A 40 / B 25 / C 35 (1048: 35 / 25 / 40); a part title's "(N Điểm)"
  is its maximum; sections add up to their part; criteria (and sub-criteria into their parent) add
  up to their section; a parent criterion has no options; a criterion printed without options
  (`option` = none) has none, every other leaf has some;
- each leaf criterion's best option (per case when cases exist) equals its maximum;
- options are numbered 1..n consecutively within their criterion (within their case when cased),
  every option of a cased criterion has a case and every case is declared by a case row of it;
- points and maxima are whole numbers; star marks only on option rows (stars_min 3, 4 or 5; no
  `***` left in any name); applies_to tokens known; every entity type has an option on every
  criterion (through version.toml [entity_types] when present);
- mandatory is empty or `yes`, on criterion or section rows only.
Problems are printed as `FILE: ROW: what is wrong`; then, per sheet: criteria, options, marks per
star and disqualifier rows. Exit status 1 if there is any problem.
"""

import os
import re
import sys
import tomllib
import unicodedata
from collections import Counter, OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import format2  # noqa: E402

INTEGER = re.compile(r"^(0|[1-9]\d*)$")
TITLE_POINTS = re.compile(r"\((\d+) điểm\)", re.IGNORECASE)
EXPECTED_PARTS = {"1048": {"A": 35, "B": 25, "C": 40}}
DEFAULT_PARTS = {"A": 40, "B": 25, "C": 35}
ALLOWED = {  # cells each kind may fill, besides kind
    "disqualifier": {"code", "name_vi", "name_en"},
    "part": {"code", "name_vi", "name_en", "max", "note"},
    "section": {"code", "name_vi", "name_en", "max", "mandatory", "note"},
    "criterion": {"code", "option", "name_vi", "name_en", "max", "mandatory", "note"},
    "case": {"code", "name_vi", "name_en"},
    "option": {"option", "case", "name_vi", "name_en", "points", "stars_min", "applies_to", "note"},
}
REQUIRED = {
    "disqualifier": {"name_vi"},
    "part": {"code", "name_vi", "max"},
    "section": {"code", "name_vi", "max"},
    "criterion": {"code", "name_vi", "max"},
    "case": {"code", "name_vi"},
    "option": {"option", "name_vi", "points"},
}


class Report:
    def __init__(self):
        self.problems = []

    def __call__(self, path, where, message):
        self.problems.append(f"{path}: {where}: {message}")


def node_label(row):
    if row["kind"] == "option":
        return f"option {row['case'] + '.' if row['case'] else ''}{row['option']}"
    return f"{row['kind']} {row['code']}".rstrip()


def check_sheet(path, rows, version_id, entity_tokens, report):
    """Returns the sheet's counts."""
    def bad(i, message):
        report(path, f"line {i + 2} ({node_label(rows[i])})", message)

    for i, row in enumerate(rows):
        kind = row["kind"]
        for column, value in row.items():
            if value is None:
                bad(i, "short row")
                continue
            if value != unicodedata.normalize("NFC", value).strip():
                bad(i, f"{column} is not NFC and trimmed")
        if kind not in format2.KINDS:
            bad(i, f"unknown kind {kind!r}")
            continue
        for column in format2.SHEET_HEADER[1:]:
            if row[column] and column not in ALLOWED[kind]:
                bad(i, f"{column} must be empty on a {kind} row (is {row[column]!r})")
        for column in REQUIRED[kind]:
            if not row[column]:
                bad(i, f"{column} is empty")
        if "***" in row["name_vi"] or "* * *" in row["name_vi"]:
            bad(i, "star mark left in name_vi (marks go to stars_min, on options only)")
        if kind == "option":
            if row["stars_min"] not in ("", "3", "4", "5"):
                bad(i, f"stars_min {row['stars_min']!r} is not 3, 4 or 5")
            for token in filter(None, row["applies_to"].split(";")):
                if token not in format2.TOKENS:
                    bad(i, f"unknown applies_to token {token!r}")
            if row["points"] and not INTEGER.match(row["points"]):
                bad(i, f"points {row['points']!r} is not a whole number")
            if row["case"] and not INTEGER.match(row["case"]):
                bad(i, f"case {row['case']!r} is not a number")
        if kind in ("part", "section", "criterion") and row["max"] and not INTEGER.match(row["max"]):
            bad(i, f"max {row['max']!r} is not a whole number")
        if kind == "criterion" and row["option"] not in ("", "none"):
            bad(i, f"option must be empty or none on a criterion, not {row['option']!r}")
        if row["mandatory"] not in ("", "yes"):
            bad(i, f"mandatory {row['mandatory']!r} is not yes or empty")

    def num(value):
        return int(value) if INTEGER.match(value or "") else None

    # structure
    parts = OrderedDict()      # code -> {"max", "sections": [codes]}
    sections = OrderedDict()   # code -> {"max", "part", "children": [criterion codes], "holder"}
    criteria = OrderedDict()   # code -> {"max", "section", "parent", "children", "none", "line"}
    holders = OrderedDict()    # code -> {"max", "cases": {}, "options": [rows+line], "line"}
    seen_part = False
    part = section = holder = None
    last_node_kind = None     # kind of the last non-disqualifier row
    codes = set()
    disq_dossier = disq_criteria = 0
    for i, row in enumerate(rows):
        kind = row["kind"]
        if kind == "disqualifier":
            if not row["code"]:
                disq_dossier += 1
                if seen_part:
                    bad(i, "dossier disqualifier after the first part")
            else:
                disq_criteria += 1
                if holder is None or row["code"] != holder or last_node_kind not in ("section", "criterion"):
                    bad(i, "criterion disqualifier not right after its criterion (or section) row")
            continue
        if kind == "part":
            seen_part = True
            expected = "ABC"[len(parts)] if len(parts) < 3 else None
            if row["code"] != expected:
                bad(i, f"part {row['code']!r} out of order (expected {expected})")
            parts[row["code"]] = {"max": num(row["max"]), "sections": [], "line": i}
            part, section, holder = row["code"], None, None
        elif kind == "section":
            if part is None:
                bad(i, "section before any part")
            if not re.fullmatch(r"\d+", row["code"]):
                bad(i, "section code is not a number")
            if row["code"] in codes:
                bad(i, "duplicate code")
            codes.add(row["code"])
            sections[row["code"]] = {"max": num(row["max"]), "part": part, "children": [], "line": i}
            if part in parts:
                parts[part]["sections"].append(row["code"])
            section = holder = row["code"]
            holders[holder] = {"max": num(row["max"]), "cases": {}, "options": [], "line": i,
                               "kind": "section", "none": False}
        elif kind == "criterion":
            code = row["code"]
            if section is None or code.split(".")[0] != section or "." not in code:
                bad(i, f"criterion code {code!r} not under section {section}")
            if code in codes:
                bad(i, "duplicate code")
            codes.add(code)
            parent = code.rsplit(".", 1)[0]
            if parent != section and parent not in criteria:
                bad(i, f"sub-criterion {code} without its parent {parent} before it")
            criteria[code] = {"max": num(row["max"]), "section": section, "parent": parent,
                              "children": [], "none": row["option"] == "none", "line": i}
            if parent in criteria:
                criteria[parent]["children"].append(code)
            elif section in sections:
                sections[section]["children"].append(code)
            holder = code
            holders[holder] = {"max": num(row["max"]), "cases": {}, "options": [], "line": i,
                               "kind": "criterion", "none": row["option"] == "none"}
        elif kind == "case":
            if holder is None:
                bad(i, "case outside a criterion")
            elif holders[holder]["options"]:
                bad(i, "case row after the criterion's options")
            else:
                cases = holders[holder]["cases"]
                if row["code"] in cases:
                    bad(i, "duplicate case")
                cases[row["code"]] = row["name_vi"]
        elif kind == "option":
            if holder is None:
                bad(i, "option outside a criterion")
            else:
                holders[holder]["options"].append((i, row))
        last_node_kind = kind

    # sums and options
    expected_parts = EXPECTED_PARTS.get(version_id, DEFAULT_PARTS)
    if sorted(parts) != ["A", "B", "C"]:
        report(path, "sheet", f"parts {list(parts)} are not A, B, C")
    total = sum(p["max"] or 0 for p in parts.values())
    if total != 100:
        report(path, "sheet", f"parts add up to {total}, not 100")
    for code, p in parts.items():
        i = p["line"]
        if p["max"] != expected_parts.get(code):
            bad(i, f"part maximum {p['max']} is not the version's {expected_parts.get(code)}")
        title = TITLE_POINTS.search(rows[i]["name_vi"])
        if title and int(title.group(1)) != p["max"]:
            bad(i, f"the title says {title.group(1)} points, the maximum is {p['max']}")
        sums = sum(sections[s]["max"] or 0 for s in p["sections"])
        if sums != p["max"]:
            bad(i, f"sections add up to {sums}, the part's maximum is {p['max']}")
    for code, s in sections.items():
        if s["children"]:
            sums = sum(criteria[c]["max"] or 0 for c in s["children"])
            if sums != s["max"]:
                bad(s["line"], f"criteria add up to {sums}, the section's maximum is {s['max']}")
            if holders[code]["options"] or holders[code]["cases"]:
                bad(s["line"], "a section with criteria carries options or cases itself")
    for code, c in criteria.items():
        if c["children"]:
            sums = sum(criteria[k]["max"] or 0 for k in c["children"])
            if sums != c["max"]:
                bad(c["line"], f"sub-criteria add up to {sums}, the criterion's maximum is {c['max']}")
            if holders[code]["options"] or holders[code]["cases"]:
                bad(c["line"], "a parent criterion carries options or cases")
            if c["none"]:
                bad(c["line"], "a parent criterion marked option=none")
    leaves = 0
    options = 0
    stars = Counter()
    for code, h in holders.items():
        is_leaf = (h["kind"] == "criterion" and not criteria[code]["children"]) or \
                  (h["kind"] == "section" and not sections[code]["children"])
        if not is_leaf:
            continue
        leaves += 1
        line = h["line"]
        if h["none"]:
            if h["options"] or h["cases"]:
                bad(line, "criterion marked option=none has options")
            continue
        if not h["options"]:
            bad(line, "no options (and not marked option=none)")
            continue
        if list(h["cases"]) != [str(n) for n in range(1, len(h["cases"]) + 1)]:
            bad(line, f"cases {list(h['cases'])} are not numbered 1..n")
        groups = OrderedDict()
        for i, row in h["options"]:
            options += 1
            if row["stars_min"]:
                stars[row["stars_min"]] += 1
            if h["cases"] and not row["case"]:
                bad(i, "option without a case in a criterion with cases")
            if row["case"] and row["case"] not in h["cases"]:
                bad(i, f"case {row['case']} is not declared by a case row of {code}")
            groups.setdefault(row["case"], []).append((i, row))
        for case, group in groups.items():
            numbers = [row["option"] for _, row in group]
            if numbers != [str(n) for n in range(1, len(group) + 1)]:
                bad(group[0][0], f"options{' of case ' + case if case else ''} numbered {numbers}, "
                                 "not 1..n")
            values = [num(row["points"]) for _, row in group]
            if None in values:
                continue
            best = max(values)
            if h["max"] is not None and best != h["max"]:
                bad(line, f"best option{' of case ' + case if case else ''} is worth {best}, "
                          f"the maximum is {h['max']}")
            for (i, row), value in zip(group, values):
                if h["max"] is not None and value > h["max"]:
                    bad(i, f"option worth {value} exceeds the maximum {h['max']}")
        if h["options"] and not any(num(r["points"]) is None for _, r in h["options"]):
            for entity, token in entity_tokens.items():
                if not any(not r["applies_to"] or token in r["applies_to"].split(";")
                           for _, r in h["options"]):
                    bad(line, f"no option applies to {entity} (token {token})")
    return {"criteria": len(criteria), "leaves": leaves, "options": options, "stars": stars,
            "disq_dossier": disq_dossier, "disq_criteria": disq_criteria}


def entity_tokens_of(version_dir):
    path = os.path.join(version_dir, "version.toml")
    if os.path.exists(path):
        with open(path, "rb") as handle:
            mapping = tomllib.load(handle).get("entity_types")
        if mapping:
            return dict(mapping)
    return {t: t for t in format2.TOKENS}


def check_dir(version_dir, apply_errata, report):
    version_id = os.path.basename(os.path.normpath(version_dir))
    sheets_dir = os.path.join(version_dir, "sheets")
    sheets = {}
    for name in sorted(os.listdir(sheets_dir)):
        path = os.path.join(sheets_dir, name)
        header, rows = format2.read_csv(path)
        if header != format2.SHEET_HEADER:
            report(path, "header", f"is {header}")
            continue
        sheets[name] = (path, rows)

    sets_path = os.path.join(version_dir, "sets.csv")
    header, sets = format2.read_csv(sets_path)
    if header != format2.SETS_HEADER:
        report(sets_path, "header", f"is {header}")
    else:
        seen = set()
        for line, row in enumerate(sets, start=2):
            if row["code"] in seen:
                report(sets_path, f"line {line}", f"duplicate code {row['code']}")
            seen.add(row["code"])
            if row["source"] not in format2.SOURCES:
                report(sets_path, f"line {line}", f"unknown source {row['source']!r}")
            if row["sheet"] not in sheets:
                report(sets_path, f"line {line}", f"sheet {row['sheet']!r} not in sheets/ (or invalid)")
            for column, value in row.items():
                if value != unicodedata.normalize("NFC", value or "").strip():
                    report(sets_path, f"line {line}", f"{column} is not NFC and trimmed")

    errata_path = os.path.join(version_dir, "errata.csv")
    if os.path.exists(errata_path):
        header, errata = format2.read_csv(errata_path)
        if header != format2.ERRATA_HEADER:
            report(errata_path, "header", f"is {header}")
            errata = []
        seen = set()
        for line, e in enumerate(errata, start=2):
            where = f"line {line} ({e['sheet']} {e['row']} {e['column']})"
            key = (e["sheet"], e["row"], e["column"])
            if key in seen:
                report(errata_path, where, "duplicate erratum")
            seen.add(key)
            if e["column"] not in format2.ERRATA_COLUMNS:
                report(errata_path, where, f"column must be one of {format2.ERRATA_COLUMNS}")
                continue
            if not e["reason"]:
                report(errata_path, where, "no reason")
            if e["sheet"] not in sheets:
                report(errata_path, where, "no such sheet")
                continue
            rows = sheets[e["sheet"]][1]
            i = format2.find_cell(rows, e["row"], e["column"])
            if i is None:
                report(errata_path, where, "no such row")
                continue
            if e["column"] not in ALLOWED[rows[i]["kind"]]:
                report(errata_path, where, f"a {rows[i]['kind']} row has no {e['column']}")
                continue
            if rows[i][e["column"]] != e["source_value"]:
                report(errata_path, where, f"the cell holds {rows[i][e['column']]!r}, "
                                           f"not the source value {e['source_value']!r}")
                continue
            if apply_errata:
                rows[i] = dict(rows[i], **{e["column"]: e["value_used"]})

    tokens = entity_tokens_of(version_dir)
    return {name: check_sheet(path, rows, version_id, tokens, report)
            for name, (path, rows) in sheets.items()}


def main(argv):
    apply_errata = "--without-errata" not in argv
    dirs = [a for a in argv if not a.startswith("--")]
    if not dirs:
        raise SystemExit(__doc__)
    report = Report()
    for version_dir in dirs:
        counts = check_dir(version_dir, apply_errata, report)
        totals = Counter()
        print(f"== {version_dir} ({'errata applied' if apply_errata else 'WITHOUT errata'})")
        print(f"   {'sheet':<22} {'criteria':>8} {'scored':>6} {'options':>7} {'***':>4} {'****':>5} "
              f"{'*****':>5} {'disq(dossier+criterion)':>24}")
        for name, c in counts.items():
            print(f"   {name:<22} {c['criteria']:>8} {c['leaves']:>6} {c['options']:>7} "
                  f"{c['stars']['3']:>4} {c['stars']['4']:>5} {c['stars']['5']:>5} "
                  f"{c['disq_dossier'] + c['disq_criteria']:>10} ({c['disq_dossier']}+{c['disq_criteria']})")
            totals.update({k: v for k, v in c.items() if isinstance(v, int)})
            totals.update({"s" + k: v for k, v in c["stars"].items()})
        print(f"   {'total':<22} {totals['criteria']:>8} {totals['leaves']:>6} {totals['options']:>7} "
              f"{totals['s3']:>4} {totals['s4']:>5} {totals['s5']:>5} "
              f"{totals['disq_dossier'] + totals['disq_criteria']:>10} "
              f"({totals['disq_dossier']}+{totals['disq_criteria']})")
    for problem in report.problems:
        print(problem)
    print(f"{len(report.problems)} problem(s)")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
