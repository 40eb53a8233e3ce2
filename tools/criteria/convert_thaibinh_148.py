#!/usr/bin/env python3
"""Convert the Thái Bình scoring app's QĐ 148 sheet for fresh produce (P01) to criteria data format 2.

Usage (from anywhere):
    python3 tools/criteria/convert_thaibinh_148.py [SOURCE.csv]

SOURCE.csv defaults to ../shared/domain/sheet-148-P01-thaibinh-app.csv (relative to the repository
root), in the same transcription layout as the 26/2026 sheets (see convert_26_2026.py). It is a third
party's transcription — the provincial OCOP scoring app of Thái Bình, June 2024 — not the decree.

Written, for each of data/criteria/148 and data/criteria/148-1489:
- sheets/thaibinh-P01.csv (the same file in both; the source's values, defects included);
- errata.csv: the erratum of this sheet (other sheets' errata are kept);
- sets.csv: P01 points at thaibinh-P01.csv, source `third-party` (the other sets are unchanged;
  a format-1 sets.csv is converted on the way).

The conversion rules are those of convert_26_2026.py (format2.convert_source), and:
- criterion codes are the app's (`1.a`, `1.đ`, …); section names are the transcription's name
  column (`TỔ CHỨC SẢN XUẤT`), without the "(18 điểm)" the printed title adds (max carries it);
- 3.e "Sở hữu trí tuệ****" prints the 4★ mark on the criterion's name: the mark is taken off the
  name (marks are kept only on options) — nothing is lost, both of its options carry **** too;
- the transcriber's English comments in source_note are not the sheet's text and are dropped;
- applies_to on 3.a (Loại hình tổ chức sản xuất - kinh doanh), following the 148 wording: option 1
  (hộ gia đình, trang trại, tổ hợp tác, công ty TNHH 1 thành viên, DNTN) → household;
  cooperative_group;company, option 2 (công ty TNHH 2 thành viên trở lên, công ty cổ phần) → company,
  option 3 (HTX, công ty cổ phần ≥ 51%) → cooperative;company. Everything else → every type.

The app's two defects:
- 3.a option 2 lacks "<51 %" in this (DOCX) export, while all 13 PDF exports of the same app print
  "…của cộng đồng địa phương <51 %": that fix is certain and ships as an erratum (name_vi).
- 3.e option 2 is cut off in the app's rendering ("…nhãn hiệu chứng nhận, nhãn hiệu tập ****"); the
  rest of the sentence is not in any copy we have, so the fix is NOT certain: the text is kept as the
  app prints it (without the trailing mark) and no erratum is written. (It presumably continues
  "…nhãn hiệu tập thể thì phải có …", as in the 26/2026 wording, but the exact 148 words are unknown.)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import format2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SOURCE = os.path.join(ROOT, "..", "shared", "domain", "sheet-148-P01-thaibinh-app.csv")
VERSIONS = [os.path.join(ROOT, "data", "criteria", v) for v in ("148", "148-1489")]
SHEET = "thaibinh-P01.csv"
SET_NOTE = "bản chép của phần mềm chấm điểm OCOP tỉnh Thái Bình (06/2024), không phải văn bản Quyết định"

TRANSCRIBER_COMMENTS = (
    "DOCX export",
    "option text is cut off",
    "the stars '****' are printed on the criterion name",
)
TYPE_OF_ORGANISATION = "Loại hình tổ chức sản xuất - kinh doanh"
TOKENS_3A = {
    "1": ("Hộ gia đình có đăng ký kinh doanh", "household;company"),  # 148 scores cooperative groups with the household token (version.toml)
    "2": ("Công ty TNHH hai thành viên trở lên", "company"),
    "3": ("HTX", "cooperative;company"),
}
KNOWN_APPLIES_TO = ("Hợp tác xã | các loại hình khác (mỗi loại một điều kiện riêng trong cùng phương án)",)

OPTION_3A2 = "Công ty TNHH hai thành viên trở lên, công ty cổ phần có vốn góp của cộng đồng địa phương"
ERRATA = [
    dict(sheet=SHEET, row="3.a/2", column="name_vi", source_value=OPTION_3A2,
         value_used=OPTION_3A2 + " <51 %",
         reason="This DOCX export of the app omits '<51 %', which all 13 PDF exports of the same app "
                "print (and option 3 is the ≥ 51% case)."),
]


def applies_to(code, name, number, text, source):
    if code == "3.a" and name == TYPE_OF_ORGANISATION:
        start, tokens = TOKENS_3A[number]
        if not text.startswith(start) or not source.startswith("loại hình chủ thể:"):
            raise format2.SourceError(f"3.a option {number} is not the expected type: {text[:40]!r}")
        return tokens
    if source and source not in KNOWN_APPLIES_TO:
        raise format2.SourceError(f"{code}/{number}: applies_to {source!r} not understood")
    return ""


def main(source):
    rows = format2.source_rows(source)
    if {r["version"] for r in rows} != {"148/QĐ-TTg"}:
        raise SystemExit(f"{source}: not a 148 sheet")
    try:
        out = format2.convert_source(rows, applies_to, TRANSCRIBER_COMMENTS)
    except format2.SourceError as error:
        raise SystemExit(f"{source}: {error}")
    for erratum in ERRATA:
        i = format2.find_cell(out, erratum["row"], erratum["column"])
        if i is None or out[i][erratum["column"]] != erratum["source_value"]:
            raise SystemExit(f"erratum {erratum['row']}: the sheet does not hold {erratum['source_value']!r}")
    for version_dir in VERSIONS:
        format2.write_csv(os.path.join(version_dir, "sheets", SHEET), format2.SHEET_HEADER, out)
        format2.write_errata(os.path.join(version_dir, "errata.csv"), SHEET, ERRATA)
        sets_path = os.path.join(version_dir, "sets.csv")
        sets = format2.read_sets(sets_path)
        for row in sets:
            if row["code"] == "P01":
                row.update(sheet=SHEET, source="third-party", note=SET_NOTE)
        format2.write_csv(sets_path, format2.SETS_HEADER, sets)
        print(f"{version_dir}: wrote sheets/{SHEET}, errata.csv, sets.csv (P01)", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 2:
        raise SystemExit(__doc__)
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE)
