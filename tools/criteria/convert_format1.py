#!/usr/bin/env python3
"""Convert format-1 criteria data (sheets and sets.csv) to format 2, in place.

Usage (from anywhere):
    python3 tools/criteria/convert_format1.py [VERSION_DIR...]

VERSION_DIR defaults to data/criteria/1048, data/criteria/148 and data/criteria/148-1489. In each,
every sheet still in format 1 and sets.csv (if still in format 1) are rewritten in format 2; files
already in format 2 are left alone, so running it twice changes nothing.

Format-1 sheet: `part,section,section_max,criterion,criterion_vi,criterion_max,mandatory,option_vi,
option_en,points,applies_to`, one row per option. Conversion:
- parts: format 1 has no part row; the part row's max is the sum of its sections' maxima, its
  name_vi/name_en are the part names of the version.toml of the version the sheet's text belongs to
  (`derived-<id>-….csv` → <id>; otherwise the sheet's own version), so a derived sheet carries the
  same part names as the sheet it was derived from (derive_sheet.py copies them);
- sections: `1. Tổ chức sản xuất` → code `1`, name `Tổ chức sản xuất`; a section whose only
  criterion has the section's own code (e.g. `7`) becomes a section row carrying the options, and
  when that criterion's name differs from the section's it is kept as the section's note;
- criteria: code, criterion_vi → name_vi, criterion_max → max, mandatory;
- options: numbered 1..n within their criterion in file order; option_vi → name_vi, option_en →
  name_en, points and applies_to unchanged.
sets.csv: `provisional` yes → source `derived`, no → `official`.
"""

import os
import re
import sys
import tomllib
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import format2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DIRS = [os.path.join(ROOT, "data", "criteria", v) for v in ("1048", "148", "148-1489")]
SECTION = re.compile(r"^(\d+)\. (.+)$")


def part_names(version_dir, sheet_name):
    derived = re.match(r"derived-(.+)-P\d\d\.csv$", sheet_name)
    text_dir = os.path.join(os.path.dirname(version_dir), derived.group(1)) if derived else version_dir
    with open(os.path.join(text_dir, "version.toml"), "rb") as handle:
        return {p["code"]: p for p in tomllib.load(handle)["parts"]}


def convert_sheet(rows, parts):
    tree = OrderedDict()  # part -> section -> criterion -> [rows]
    for line, row in enumerate(rows, start=2):
        sections = tree.setdefault(row["part"], OrderedDict())
        criteria = sections.setdefault(row["section"], OrderedDict())
        criteria.setdefault(row["criterion"], []).append(row)
    out = []
    for part, sections in tree.items():
        section_max = {s: int(next(iter(c.values()))[0]["section_max"]) for s, c in sections.items()}
        info = parts[part]
        out.append(format2.sheet_row("part", code=part, name_vi=info["name_vi"],
                                     name_en=info.get("name_en", ""), max=sum(section_max.values())))
        for section, criteria in sections.items():
            match = SECTION.match(section)
            if not match:
                raise SystemExit(f"section {section!r} is not 'N. name'")
            code, name = match.groups()
            for options in criteria.values():
                for key in ("section_max", "criterion_vi", "criterion_max", "mandatory"):
                    if len({r[key] for r in options}) != 1:
                        raise SystemExit(f"{options[0]['criterion']}: {key} differs between rows")
            if list(criteria) == [code]:
                options = criteria[code]
                first = options[0]
                if int(first["criterion_max"]) != section_max[section]:
                    raise SystemExit(f"section {code}: its criterion's max differs from the section's")
                note = first["criterion_vi"] if format2.clean(first["criterion_vi"]) != name else ""
                out.append(format2.sheet_row("section", code=code, name_vi=name, max=section_max[section],
                                             mandatory=first["mandatory"], note=note))
                out += options_of(options)
                continue
            out.append(format2.sheet_row("section", code=code, name_vi=name, max=section_max[section]))
            for criterion, options in criteria.items():
                if criterion.split(".")[0] != code or criterion == code:
                    raise SystemExit(f"criterion {criterion} in section {code}")
                first = options[0]
                out.append(format2.sheet_row("criterion", code=criterion, name_vi=first["criterion_vi"],
                                             max=first["criterion_max"], mandatory=first["mandatory"]))
                out += options_of(options)
    return out


def options_of(rows):
    return [format2.sheet_row("option", option=n, name_vi=r["option_vi"], name_en=r["option_en"],
                              points=r["points"], applies_to=r["applies_to"])
            for n, r in enumerate(rows, start=1)]


def convert_dir(version_dir):
    sheets_dir = os.path.join(version_dir, "sheets")
    for name in sorted(os.listdir(sheets_dir)):
        path = os.path.join(sheets_dir, name)
        header, rows = format2.read_csv(path)
        if header == format2.SHEET_HEADER:
            print(f"{path}: already format 2", file=sys.stderr)
            continue
        if header != format2.FORMAT1_SHEET_HEADER:
            raise SystemExit(f"{path}: unknown header {header}")
        out = convert_sheet(rows, part_names(version_dir, name))
        format2.write_csv(path, format2.SHEET_HEADER, out)
        print(f"{path}: {len(rows)} options converted", file=sys.stderr)
    sets_path = os.path.join(version_dir, "sets.csv")
    header, _ = format2.read_csv(sets_path)
    if header == format2.SETS_HEADER:
        print(f"{sets_path}: already format 2", file=sys.stderr)
    else:
        format2.write_csv(sets_path, format2.SETS_HEADER, format2.read_sets(sets_path))
        print(f"{sets_path}: converted", file=sys.stderr)


if __name__ == "__main__":
    for directory in sys.argv[1:] or DEFAULT_DIRS:
        convert_dir(directory)
