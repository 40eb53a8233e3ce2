//! How numbers, money and dates look to people: Vietnamese conventions in both languages
//! (`3.321`, `75.000.000 ₫`, `01/07/2025`), as officials expect on screen and on paper.

use chrono::NaiveDate;

/// `3321` → `3.321`.
pub fn number(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        grouped.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    grouped
}

/// Integer VND → `75.000.000 ₫`.
pub fn vnd(amount: i64) -> String {
    format!("{} ₫", number(amount))
}

/// `2025-07-01` → `01/07/2025`.
pub fn date(value: NaiveDate) -> String {
    value.format("%d/%m/%Y").to_string()
}

/// A date as people type it: `15/12/2026` or `2026-12-15`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// A score in hundredths of a point as the sheets print it: `7660` → `76.60`.
pub fn score(centi: i64) -> String {
    ocop_domain::criteria::Score::from_centi(centi).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_dates_and_scores() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 15);
        assert_eq!(parse_date(" 15/12/2026 "), day);
        assert_eq!(parse_date("2026-12-15"), day);
        assert_eq!(parse_date("31/02/2026"), None);
        assert_eq!(score(7660), "76.60");
        assert_eq!(score(9000), "90.00");
    }

    #[test]
    fn formats_like_vietnamese_paperwork() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(3321), "3.321");
        assert_eq!(number(-1234567), "-1.234.567");
        assert_eq!(vnd(75_000_000), "75.000.000 ₫");
        let day = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(date(day), "01/07/2025");
    }
}
