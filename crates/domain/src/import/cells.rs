//! One cell's value as people type it in Excel, read strictly: what cannot be read for sure is
//! an error naming why, never a guess.

use chrono::{Days, NaiveDate};

use crate::text::fold;

/// Why a cell cannot be read (a message id of the UI, with the fix in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellError {
    Empty,
    /// Not a star rating at all.
    Stars,
    /// A star rating outside 3–5 (OCOP recognises 3★, 4★ and 5★).
    StarsRange,
    /// Not a date in a form we read for sure.
    Date,
    /// Not a product code of either form.
    ProductCode,
}

impl CellError {
    pub fn message_id(self) -> &'static str {
        match self {
            CellError::Empty => "import-error-empty",
            CellError::Stars => "import-error-stars",
            CellError::StarsRange => "import-error-stars-range",
            CellError::Date => "import-error-date",
            CellError::ProductCode => "import-error-product-code",
        }
    }
}

/// A star rating: `3`, `3 sao`, `3*`, `3★`, `★★★`, `ba sao`, `4.0` (Excel's number).
pub fn parse_stars(text: &str) -> Result<u8, CellError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CellError::Empty);
    }
    let stars_only = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>();
    if !stars_only.is_empty() && stars_only.chars().all(|c| c == '★' || c == '☆') {
        let filled = stars_only.chars().filter(|c| *c == '★').count();
        return in_range(filled);
    }
    let folded = fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || c == '*' || c == '★')
        .filter(|w| !w.is_empty())
        .collect();
    let (number, rest) = match words.as_slice() {
        [number, rest @ ..] => (*number, rest),
        [] => return Err(CellError::Stars),
    };
    if !rest
        .iter()
        .all(|w| *w == "sao" || *w == "star" || *w == "stars")
    {
        return Err(CellError::Stars);
    }
    let value = match number {
        "mot" => 1,
        "hai" => 2,
        "ba" => 3,
        "bon" | "tu" => 4,
        "nam" => 5,
        "sau" => 6,
        digits => {
            // Excel writes a whole number typed into a general cell as "4" or "4.0".
            let digits = digits.strip_suffix(".0").unwrap_or(digits);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 3
            {
                return Err(CellError::Stars);
            }
            digits.parse::<usize>().map_err(|_| CellError::Stars)?
        }
    };
    in_range(value)
}

fn in_range(stars: usize) -> Result<u8, CellError> {
    if (3..=5).contains(&stars) {
        Ok(stars as u8)
    } else {
        Err(CellError::StarsRange)
    }
}

/// A date typed as text: `15/03/2024`, `5/3/2024`, `15-03-2024`, `15.03.2024` (day first, as
/// Vietnamese paperwork writes it) or `2024-03-15`. Two-digit years are refused: `15/03/24` could
/// be 1924 or 2024.
pub fn parse_date_text(text: &str) -> Result<NaiveDate, CellError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CellError::Empty);
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let number = |s: &str, max_len: usize| -> Option<u32> {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let ymd = |y: &str, m: &str, d: &str| -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(number(y, 4)? as i32, number(m, 2)?, number(d, 2)?)
    };
    let date = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => ymd(y, m, d),
        [d, m, y] if y.len() == 4 => ymd(y, m, d),
        _ => None,
    };
    date.ok_or(CellError::Date)
}

/// Excel's day number (the 1900 date system) as a date: 1 is 1900-01-01, and Excel counts a
/// 29 February 1900 that never was, so numbers from 61 on are one day ahead. A fraction (a time
/// of day) is ignored; numbers before 1 March 1900 or past 9999 are refused.
pub fn excel_day(serial: f64) -> Result<NaiveDate, CellError> {
    if !serial.is_finite() || !(61.0..2_958_466.0).contains(&serial) {
        return Err(CellError::Date);
    }
    let days = serial.floor() as u64 - 1;
    NaiveDate::from_ymd_opt(1899, 12, 31)
        .and_then(|start| start.checked_add_days(Days::new(days)))
        .ok_or(CellError::Date)
}

/// A product code as the registry writes it: after the reform `{province}-{commune}-{seq}-{year}`
/// (`75-26068-3-2026`), before it `{province}-{district}-{commune}-{seq}-{year}`
/// (`83-832-28882-2-2022`). A legacy code is kept as it is, beside the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductCode {
    pub province: String,
    /// Only in codes of before the reform.
    pub district: Option<String>,
    pub commune: String,
    pub seq: u32,
    pub year: i32,
}

impl ProductCode {
    pub fn parse(text: &str) -> Result<ProductCode, CellError> {
        let parts: Vec<&str> = text.trim().split('-').collect();
        let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
            len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        let tail = |seq: &str, year: &str| -> Option<(u32, i32)> {
            (digits(seq, 1..=6) && digits(year, 4..=4))
                .then(|| Some((seq.parse().ok()?, year.parse().ok()?)))
                .flatten()
                .filter(|(seq, year)| *seq > 0 && (2018..=2100).contains(year))
        };
        let code = match parts.as_slice() {
            [province, commune, seq, year] if digits(province, 2..=2) && digits(commune, 5..=5) => {
                tail(seq, year).map(|(seq, year)| ProductCode {
                    province: province.to_string(),
                    district: None,
                    commune: commune.to_string(),
                    seq,
                    year,
                })
            }
            [province, district, commune, seq, year]
                if digits(province, 2..=2) && digits(district, 3..=3) && digits(commune, 5..=5) =>
            {
                tail(seq, year).map(|(seq, year)| ProductCode {
                    province: province.to_string(),
                    district: Some(district.to_string()),
                    commune: commune.to_string(),
                    seq,
                    year,
                })
            }
            _ => None,
        };
        code.ok_or(CellError::ProductCode)
    }

    pub fn is_legacy(&self) -> bool {
        self.district.is_some()
    }
}

/// A column header as compared: folded (no marks, `đ` → `d`, lower case), punctuation and
/// runs of spaces dropped — "Tên sản phẩm (*)" and "TEN SAN PHAM" both read `ten san pham`.
pub fn header_key(text: &str) -> String {
    let folded = fold(text);
    let kept: String = folded
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn stars_as_people_write_them() {
        for (text, stars) in [
            ("3", 3),
            ("3 sao", 3),
            ("3*", 3),
            ("3★", 3),
            ("★★★", 3),
            ("★★★★☆", 4),
            ("4 SAO", 4),
            ("4.0", 4),
            ("ba sao", 3),
            ("Năm sao", 5),
            (" 5 stars ", 5),
        ] {
            assert_eq!(parse_stars(text), Ok(stars), "{text}");
        }
        assert_eq!(parse_stars("6"), Err(CellError::StarsRange));
        assert_eq!(parse_stars("★★"), Err(CellError::StarsRange));
        assert_eq!(parse_stars("sáu sao"), Err(CellError::StarsRange));
        assert_eq!(parse_stars("3,5"), Err(CellError::Stars));
        assert_eq!(parse_stars("3 sao tiềm năng"), Err(CellError::Stars));
        assert_eq!(parse_stars("=A1"), Err(CellError::Stars));
        assert_eq!(parse_stars(""), Err(CellError::Empty));
    }

    #[test]
    fn dates_as_text_and_as_excel_numbers() {
        assert_eq!(parse_date_text("15/03/2024"), Ok(day(2024, 3, 15)));
        assert_eq!(parse_date_text("5/3/2024"), Ok(day(2024, 3, 5)));
        assert_eq!(parse_date_text("15-03-2024"), Ok(day(2024, 3, 15)));
        assert_eq!(parse_date_text("15.03.2024"), Ok(day(2024, 3, 15)));
        assert_eq!(parse_date_text("2024-03-15"), Ok(day(2024, 3, 15)));
        assert_eq!(parse_date_text("31/02/2024"), Err(CellError::Date));
        assert_eq!(parse_date_text("15/03/24"), Err(CellError::Date));
        assert_eq!(parse_date_text("tháng 3/2024"), Err(CellError::Date));
        // Excel: 45366 is 15/03/2024, 61 is 01/03/1900; 60 is the 29/02/1900 that never was.
        assert_eq!(excel_day(45366.0), Ok(day(2024, 3, 15)));
        assert_eq!(excel_day(45366.75), Ok(day(2024, 3, 15)));
        assert_eq!(excel_day(61.0), Ok(day(1900, 3, 1)));
        assert_eq!(excel_day(60.0), Err(CellError::Date));
        assert_eq!(excel_day(f64::NAN), Err(CellError::Date));
        assert_eq!(excel_day(-3.0), Err(CellError::Date));
    }

    #[test]
    fn product_codes_of_both_maps() {
        let legacy = ProductCode::parse("83-832-28882-2-2022").unwrap();
        assert!(legacy.is_legacy());
        assert_eq!(
            (legacy.district.as_deref(), legacy.seq, legacy.year),
            (Some("832"), 2, 2022)
        );
        let new = ProductCode::parse("75-26068-3-2026").unwrap();
        assert!(!new.is_legacy());
        for bad in [
            "83-832-28882-0-2022",
            "83-8322-28882-2-2022",
            "75-26068-3-26",
            "75-26068-x-2026",
            "",
        ] {
            assert_eq!(
                ProductCode::parse(bad),
                Err(CellError::ProductCode),
                "{bad}"
            );
        }
    }

    #[test]
    fn headers_match_after_folding() {
        assert_eq!(header_key("Tên sản phẩm (*)"), "ten san pham");
        assert_eq!(header_key("TÊN  SẢN PHẨM"), "ten san pham");
        assert_eq!(header_key("Số QĐ công nhận"), "so qd cong nhan");
        assert_eq!(header_key("Hạng sao\n(3-5)"), "hang sao 3 5");
    }

    proptest! {
        #[test]
        fn no_cell_text_panics(text in ".{0,40}", serial in proptest::num::f64::ANY) {
            let _ = parse_stars(&text);
            let _ = parse_date_text(&text);
            let _ = ProductCode::parse(&text);
            let _ = header_key(&text);
            let _ = excel_day(serial);
        }

        #[test]
        fn excel_days_and_dates_agree(days in 0u64..2_900_000) {
            let date = NaiveDate::from_ymd_opt(1900, 3, 1).unwrap().checked_add_days(Days::new(days));
            if let Some(date) = date {
                prop_assert_eq!(excel_day(61.0 + days as f64), Ok(date));
            }
        }
    }
}
