"""Criteria data format 2: the shared vocabulary of the converters, derive_sheet.py and check_format2.py.

A version directory holds `version.toml`, `sets.csv`, `sheets/<name>.csv` and optionally `errata.csv`.
Every CSV is UTF-8, `\\n` line ends, a header row, RFC 4180 quoting; text is NFC and trimmed.

Sheet rows (one per node of the printed sheet, in the sheet's order), kinds:
`disqualifier`, `part`, `section`, `criterion`, `case`, `option`. Options belong to the nearest
preceding criterion row, or to a section row that has no criterion rows (the section is then its own
criterion). `errata.csv` names a cell of a sheet and the value to use instead of the source's.

This module also reads the transcription layout of the sources (`version, part, section,
criterion_code, criterion_name, option_number, option_text, points, applies_to, mandatory,
source_note`, as in ../shared/domain/criteria-26-2026/) and turns it into format-2 rows
(`convert_source`), used by convert_26_2026.py and convert_thaibinh_148.py.
"""

import csv
import io
import os
import re
import unicodedata

SHEET_HEADER = ["kind", "code", "option", "case", "name_vi", "name_en", "max", "points",
                "stars_min", "applies_to", "mandatory", "note"]
ERRATA_HEADER = ["sheet", "row", "column", "source_value", "value_used", "reason"]
SETS_HEADER = ["code", "group", "subgroup", "name_vi", "name_en", "lead_ministry", "sheet", "source",
               "note"]
FORMAT1_SETS_HEADER = ["code", "group", "subgroup", "name_vi", "name_en", "lead_ministry", "sheet",
                       "provisional", "note"]
FORMAT1_SHEET_HEADER = ["part", "section", "section_max", "criterion", "criterion_vi", "criterion_max",
                        "mandatory", "option_vi", "option_en", "points", "applies_to"]
SOURCE_HEADER = ["version", "part", "section", "criterion_code", "criterion_name", "option_number",
                 "option_text", "points", "applies_to", "mandatory", "source_note"]

KINDS = ("disqualifier", "part", "section", "criterion", "case", "option")
SOURCES = ("official", "legal-database", "third-party", "derived")
TOKENS = ("household", "company", "cooperative", "cooperative_group")
ERRATA_COLUMNS = ("name_vi", "max", "points")

# A trailing star mark: `***`, `****`, `*****`, also spaced out (`* * * *`), after optional blanks.
TRAILING_STARS = re.compile(r"(?:\s*\*){3,5}\s*$")


def clean(text):
    """NFC, trimmed."""
    return unicodedata.normalize("NFC", text or "").strip()


def split_stars(text):
    """(text without its trailing star mark, number of stars or None)."""
    text = clean(text)
    match = TRAILING_STARS.search(text)
    if not match:
        return text, None
    return text[:match.start()].rstrip(), match.group(0).count("*")


def read_csv(path):
    """(header, rows as dicts) of a UTF-8 CSV file."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def write_csv(path, header, rows):
    """Writes rows (dicts or lists) under `header`, creating the directory; returns the text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        values = [row.get(column, "") for column in header] if isinstance(row, dict) else row
        writer.writerow(["" if value is None else str(value) for value in values])
    text = buffer.getvalue()
    if path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    return text


def sheet_row(kind, **cells):
    row = {column: "" for column in SHEET_HEADER}
    row["kind"] = kind
    for column, value in cells.items():
        assert column in row, column
        row[column] = clean("" if value is None else str(value))
    return row


def read_sets(path):
    """sets.csv as format-2 dicts, whichever format it is in (format 1: provisional yes → derived,
    no → official)."""
    header, rows = read_csv(path)
    if header == SETS_HEADER:
        return rows
    if header != FORMAT1_SETS_HEADER:
        raise SystemExit(f"{path}: unknown sets.csv header {header}")
    out = []
    for row in rows:
        row = dict(row)
        provisional = row.pop("provisional")
        if provisional not in ("yes", "no"):
            raise SystemExit(f"{path}: {row['code']}: provisional must be yes or no, not {provisional!r}")
        row["source"] = "derived" if provisional == "yes" else "official"
        out.append({column: row[column] for column in SETS_HEADER})
    return out


def write_errata(path, sheet, rows):
    """Replaces the errata of `sheet` in the version's errata.csv by `rows` (others are kept)."""
    kept = []
    if os.path.exists(path):
        header, existing = read_csv(path)
        if header != ERRATA_HEADER:
            raise SystemExit(f"{path}: unexpected header {header}")
        kept = [row for row in existing if row["sheet"] != sheet]
    write_csv(path, ERRATA_HEADER, kept + rows)


# --- the transcription layout of the sources -------------------------------------------------------

DOSSIER_SECTIONS = ("Hồ sơ bị loại khi", "Bị loại khi")
CASE_LABEL = re.compile(r"^([a-z])\. Trường hợp (\d+): (.+)$")
CASE_INTRO = "Lựa chọn một trong hai trường hợp sau:"
CASE_NOTE = "Lựa chọn một trong hai trường hợp"
MARKERS = ("MAX:", "NO OPTIONS LISTED", "ANOMALY:", "DISQUALIFIER")
NOTE_PREFIX = re.compile(r"^(Ghi chú|Chú ý)\s*:\s*")
KNOCK_OUTS = (
    re.compile(r"\bBị loại nếu\b"),
    re.compile(r"\bsẽ bị loại bỏ\b"),
    re.compile(r"không đánh giá các bước tiếp theo", re.IGNORECASE),
    re.compile(r"\bKhông xem xét các chỉ tiêu khác nếu\b"),
    re.compile(r"\bKhông đánh giá những sản phẩm có tính phổ biến\b"),
)
PART_CODES = ("A", "B", "C")
MARK_COLUMN = re.compile(r"^(\*{3,5}) \((\d) sao\)$")


def is_knock_out(segment):
    return any(pattern.search(segment) for pattern in KNOCK_OUTS)


def split_note(source_note, drop_prefixes=()):
    """(note segments kept, knock-out sentences, case segments seen) of a source_note."""
    kept, knock_outs, cases = [], [], False
    for segment in (clean(s) for s in (source_note or "").split(" | ")):
        if not segment or segment.startswith(MARKERS) or segment.startswith(tuple(drop_prefixes)):
            continue
        if segment == CASE_INTRO or CASE_LABEL.match(segment):
            cases = True
            continue
        if is_knock_out(segment):
            knock_outs.append(NOTE_PREFIX.sub("", segment))
            continue
        kept.append(segment)
    return kept, knock_outs, cases


class SourceError(Exception):
    pass


def convert_source(rows, applies_to=None, drop_note_prefixes=()):
    """Format-2 rows of a sheet in the transcription layout.

    `applies_to(criterion_code, criterion_name, option_number, option_text, source_applies_to)`
    returns the option's tokens ("" = every type) or raises SourceError for a value it does not know.
    `drop_note_prefixes`: further note segments (transcriber's comments) that are not the sheet's text.
    Points and maxima are copied as the source gives them, defects included (errata fix them).
    """
    dossier = []      # dossier-level disqualifier rows
    nodes = []        # [{"row": …, "disqualifiers": […], "cases": {n: label}, "options": […]}]
    holder = None     # the node options attach to
    for line, src in enumerate(rows, start=2):
        code = clean(src["criterion_code"])
        number = clean(src["option_number"])
        name = clean(src["criterion_name"])
        where = f"line {line} ({code or src['section']})"
        if clean(src["mandatory"]) == "loại hồ sơ" or clean(src["section"]) in DOSSIER_SECTIONS:
            if nodes:
                raise SourceError(f"{where}: dossier disqualifier after the first part")
            dossier.append(sheet_row("disqualifier", name_vi=src["option_text"]))
            continue
        if name == "TỔNG CỘNG":
            continue
        kept, knock_outs, has_cases = split_note(src["source_note"], drop_note_prefixes)
        if not number:
            if code in PART_CODES:
                kind = "part"
            elif re.fullmatch(r"\d+", code):
                kind = "section"
            elif re.fullmatch(r"\d+(\.[0-9a-zđ]+)+", code):
                kind = "criterion"
            else:
                raise SourceError(f"{where}: cannot tell the kind of code {code!r}")
            name_vi, stars = split_stars(name)   # a mark printed on a criterion's name is dropped:
            if stars and kind != "criterion":     # marks live on options (see the converter)
                raise SourceError(f"{where}: star mark on a {kind}")
            note = kept
            if has_cases:
                note = [CASE_NOTE] + kept
            cells = dict(code=code, name_vi=name_vi, max=clean(src["points"]), note=" | ".join(note))
            if kind == "criterion" and "NO OPTIONS LISTED" in src["source_note"]:
                cells["option"] = "none"
            node = {"row": sheet_row(kind, **cells), "disqualifiers": [], "cases": {}, "options": []}
            node["disqualifiers"] = [sheet_row("disqualifier", code=code, name_vi=text)
                                     for text in knock_outs]
            if knock_outs and kind == "part":
                raise SourceError(f"{where}: knock-out note on a part")
            nodes.append(node)
            holder = node if kind in ("section", "criterion") else None
            continue
        # an option
        if holder is None or holder["row"]["code"] != code:
            raise SourceError(f"{where}: option outside its criterion")
        text, stars = split_stars(src["option_text"])
        mark = MARK_COLUMN.match(clean(src["mandatory"]))
        if clean(src["mandatory"]) and not mark:
            raise SourceError(f"{where}: unknown mandatory value {src['mandatory']!r}")
        if (mark and int(mark.group(2))) != stars or (mark and len(mark.group(1)) != stars):
            raise SourceError(f"{where}: star mark in the text ({stars}) and the column disagree")
        case = ""
        label = CASE_LABEL.match(clean(src["applies_to"]))
        if label:
            case = label.group(2)
            holder["cases"].setdefault(case, label.group(3))
            tokens = ""
        else:
            tokens = applies_to(code, holder["row"]["name_vi"], number, text, clean(src["applies_to"])) \
                if applies_to else ""
            if clean(src["applies_to"]) and applies_to is None:
                raise SourceError(f"{where}: applies_to {src['applies_to']!r} not understood")
        holder["disqualifiers"] += [sheet_row("disqualifier", code=code, name_vi=t) for t in knock_outs]
        holder["options"].append(sheet_row(
            "option", option=number, case=case, name_vi=text, points=clean(src["points"]),
            stars_min=stars or "", applies_to=tokens, note=" | ".join(kept)))
    out = list(dossier)
    for node in nodes:
        out.append(node["row"])
        out += node["disqualifiers"]
        out += [sheet_row("case", code=n, name_vi=label) for n, label in node["cases"].items()]
        out += node["options"]
    return out


def source_rows(path):
    header, rows = read_csv(path)
    if header != SOURCE_HEADER:
        raise SystemExit(f"{path}: unexpected header {header}")
    return rows


def find_cell(rows, address, column):
    """Index of the row an errata address names (`A`, `7`, `1.2`, `1.2/1`, `8/2.1`), or None."""
    holder, _, option = address.partition("/")
    case, _, number = option.rpartition(".") if "." in option else ("", "", option)
    current = None
    for i, row in enumerate(rows):
        if row["kind"] in ("part", "section", "criterion"):
            current = row["code"]
            if not option and row["code"] == holder:
                return i
        elif row["kind"] == "option" and option and current == holder:
            if row["option"] == number and row["case"] == case:
                return i
    return None
