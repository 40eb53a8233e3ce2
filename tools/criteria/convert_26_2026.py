#!/usr/bin/env python3
"""Convert the 26 scoring sheets of QĐ 26/2026/QĐ-TTg (Phụ lục II) to criteria data format 2.

Usage (from anywhere):
    python3 tools/criteria/convert_26_2026.py [SOURCE_DIR] [OUT_DIR]

SOURCE_DIR defaults to ../shared/domain/criteria-26-2026 (relative to the repository root): 26 CSV
files `qd26-2026_NN_<slug>.csv` in the transcription layout its README.md describes. OUT_DIR defaults
to data/criteria/26-2026. Written: sheets/P01.csv … sheets/P26.csv (file NN → set PNN), errata.csv and
sets.csv. version.toml is not written.

What the conversion does (see format2.py for the row kinds):
- The sheets keep the SOURCE's values, defects included; errata.csv carries the fixes of the README's
  "Defects of the source" table (each is checked against the source cell and its ANOMALY marker).
- Star marks (`***`, `****`, `*****`, also spaced `* * * *` as in set 3's 5.1) are taken off the end
  of the option text into `stars_min`.
- Notes: the `MAX:`, `NO OPTIONS LISTED`, `ANOMALY:` and `DISQUALIFIER` segments are dropped. A
  knock-out sentence ("Bị loại nếu…", "…sẽ bị loại bỏ", "…không đánh giá các bước tiếp theo…",
  "Không xem xét các chỉ tiêu khác nếu…", "Không đánh giá những sản phẩm có tính phổ biến…") becomes
  a `disqualifier` row of the criterion (or section) it is printed under, without its "Ghi chú:" /
  "Chú ý:" prefix, and leaves the note. In sets 21–22 the IP knock-out is printed on the last option
  of 6.2: it is attached to criterion 6.2.
- The tourism set's cases (sections 8, 9, 15): "a./b. Trường hợp N: …" becomes a case row; the
  section's note is "Lựa chọn một trong hai trường hợp".
- `applies_to` only on 3.1 (Loại hình tổ chức sản xuất - kinh doanh): 1 → household;cooperative_group,
  2 → company, 3 → cooperative;company. Everything else (3.4 included) → every type.
- sets.csv: group, subgroup, name_en and lead ministry from data/criteria/148-1489/sets.csv (the same
  26 sets in the same order); name_vi from there unless the source file's slug names the set
  differently, in which case the name is written from the slug (and reported).
"""

import os
import re
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import format2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SOURCE = os.path.join(ROOT, "..", "shared", "domain", "criteria-26-2026")
DEFAULT_OUT = os.path.join(ROOT, "data", "criteria", "26-2026")
SETS_148 = os.path.join(ROOT, "data", "criteria", "148-1489", "sets.csv")

NOTE = ("QĐ 26/2026/QĐ-TTg, Phụ lục II, bộ số {n} — chép từ bản của cơ sở dữ liệu pháp luật (TVPL), "
        "chưa đối chiếu Công báo")

# Set names of 26/2026 where the source file's slug differs from the 148 name (diacritics and
# punctuation restored by hand; the slug is checked against them).
NAMES_FROM_SLUG = {
    "P08": "Chế biến từ thịt, thủy sản, trứng, sữa, các sản phẩm từ mật ong",
    "P10": "Gia vị khác",
    "P12": "Sản phẩm trà từ thực vật khác",
    "P13": "Sản phẩm cà phê, ca cao",
}

TYPE_OF_ORGANISATION = "Loại hình tổ chức sản xuất - kinh doanh"
TOKENS_31 = {
    "1": ("Hộ sản xuất/hộ gia đình", "household;cooperative_group"),
    "2": ("Công ty TNHH", "company"),
    "3": ("HTX", "cooperative;company"),
}
KNOWN_APPLIES_TO = ("Hợp tác xã | các loại hình khác (mỗi loại một điều kiện riêng trong cùng phương án)",)

# The README's "Defects of the source": (sheet, row, column, source value, value used, reason).
ERRATA = [
    ("P04.csv", "1.2/1", "points", "", "0",
     "The source leaves the points of 'Không được cấp giấy chứng nhận chất lượng' empty; the other "
     "sets give this option 0 (README, Defects of the source)."),
    ("P04.csv", "7/3", "points", "13", "3",
     "The source gives 13 in a section whose maximum is 3 and every other set gives this option 3: "
     "a probable typo for 3 (README, Defects of the source)."),
    ("P07.csv", "1.2/1", "points", "", "0",
     "The source leaves the points of 'Không được cấp giấy chứng nhận chất lượng' empty; the other "
     "sets give this option 0 (README, Defects of the source)."),
    ("P07.csv", "3.1/2", "points", "1", "2",
     "The source gives the company option 1 point where every other set gives 2: possibly a typo; "
     "the criterion's maximum is unaffected (README, Defects of the source)."),
    ("P10.csv", "1.2/1", "points", "", "0",
     "The source leaves the points of 'Không được cấp giấy chứng nhận chất lượng' empty; the other "
     "sets give this option 0 (README, Defects of the source)."),
    ("P11.csv", "1.2/1", "points", "", "0",
     "The source leaves the points of 'Không được cấp giấy chứng nhận chất lượng' empty; the other "
     "sets give this option 0 (README, Defects of the source)."),
    ("P11.csv", "6.1.1/2", "points", "11", "1",
     "The source gives 11 in a criterion whose maximum is 2 (options 0, 11, 2): a probable typo for "
     "1 (README, Defects of the source)."),
    ("P23.csv", "9", "max", "4 1", "4",
     "The source's maximum cell holds '4' and '1' on two lines; Part C adds up to 35 only with 4 "
     "(README, Defects of the source)."),
    ("P26.csv", "A", "name_vi",
     "Phần A SẢN PHẨM VÀ SỨC MẠNH CỘNG ĐỒNG (35 Điểm)",
     "Phần A SẢN PHẨM VÀ SỨC MẠNH CỘNG ĐỒNG (40 Điểm)",
     "The Part A title reads '(35 Điểm)' beside a points cell of 40, and its sections add up to 40 "
     "(README, Defects of the source)."),
]


def slug(text):
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def applies_to(code, name, number, text, source):
    if code == "3.1" and name == TYPE_OF_ORGANISATION:
        start, tokens = TOKENS_31[number]
        if not text.startswith(start) or not source.startswith("loại hình chủ thể:"):
            raise format2.SourceError(f"3.1 option {number} is not the expected type: {text[:40]!r}")
        return tokens
    if source and source not in KNOWN_APPLIES_TO:
        raise format2.SourceError(f"{code}/{number}: applies_to {source!r} not understood")
    return ""


def main(source_dir, out_dir):
    files = sorted(f for f in os.listdir(source_dir) if re.fullmatch(r"qd26-2026_\d\d_.+\.csv", f))
    numbers = [int(f[10:12]) for f in files]
    if numbers != list(range(1, 27)):
        raise SystemExit(f"{source_dir}: expected files 01…26, found {numbers}")
    sets_148 = format2.read_sets(SETS_148)
    if [s["code"] for s in sets_148] != [f"P{n:02d}" for n in range(1, 27)]:
        raise SystemExit(f"{SETS_148}: expected P01…P26 in order")

    sheets = {}
    anomalies = []
    for number, name in zip(numbers, files):
        rows = format2.source_rows(os.path.join(source_dir, name))
        if {r["version"] for r in rows} != {"26/2026/QĐ-TTg"}:
            raise SystemExit(f"{name}: not a 26/2026 sheet")
        try:
            out = format2.convert_source(rows, applies_to)
        except format2.SourceError as error:
            raise SystemExit(f"{name}: {error}")
        sheet = f"P{number:02d}.csv"
        sheets[sheet] = out
        anomalies += [(sheet, r["criterion_code"], r["option_number"]) for r in rows
                      if "ANOMALY:" in r["source_note"]]
        format2.write_csv(os.path.join(out_dir, "sheets", sheet), format2.SHEET_HEADER, out)

    # errata: each names an existing cell holding the source value, and they cover every ANOMALY
    errata = []
    for sheet, address, column, source_value, value_used, reason in ERRATA:
        i = format2.find_cell(sheets[sheet], address, column)
        if i is None or sheets[sheet][i][column] != source_value:
            raise SystemExit(f"erratum {sheet} {address} {column}: the sheet does not hold {source_value!r}")
        errata.append(dict(sheet=sheet, row=address, column=column, source_value=source_value,
                           value_used=value_used, reason=reason))
    flagged = {(s, c + ("/" + o if o else "")) for s, c, o in anomalies}
    fixed = {(e["sheet"], e["row"]) for e in errata}
    if flagged != fixed:
        raise SystemExit(f"ANOMALY markers {sorted(flagged - fixed)} without erratum, "
                         f"errata {sorted(fixed - flagged)} without marker")
    format2.write_csv(os.path.join(out_dir, "errata.csv"), format2.ERRATA_HEADER, errata)

    sets = []
    for number, name, base in zip(numbers, files, sets_148):
        file_slug = name[len("qd26-2026_NN_"):-len(".csv")]
        name_vi = base["name_vi"]
        if slug(name_vi) != file_slug:
            if base["code"] not in NAMES_FROM_SLUG or slug(NAMES_FROM_SLUG[base["code"]]) != file_slug:
                raise SystemExit(f"{name}: slug {file_slug!r} differs from 148's {name_vi!r}; add the name")
            print(f"{base['code']}: name from the file slug {file_slug!r}: "
                  f"{NAMES_FROM_SLUG[base['code']]!r} (148: {name_vi!r})", file=sys.stderr)
            name_vi = NAMES_FROM_SLUG[base["code"]]
        sets.append(dict(code=base["code"], group=base["group"], subgroup=base["subgroup"],
                         name_vi=name_vi, name_en=base["name_en"], lead_ministry=base["lead_ministry"],
                         sheet=f"P{number:02d}.csv", source="legal-database", note=NOTE.format(n=number)))
    format2.write_csv(os.path.join(out_dir, "sets.csv"), format2.SETS_HEADER, sets)
    print(f"wrote {len(sheets)} sheets, {len(errata)} errata, {len(sets)} sets to {out_dir}",
          file=sys.stderr)


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) > 2 or any(a.startswith("-") for a in args):
        raise SystemExit(__doc__)
    main(args[0] if args else DEFAULT_SOURCE, args[1] if len(args) > 1 else DEFAULT_OUT)
