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

#[cfg(test)]
mod tests {
    use super::*;

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
