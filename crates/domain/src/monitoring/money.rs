//! Money is integer đồng everywhere. People type it the Vietnamese way (`75.000.000`,
//! `75 000 000 ₫`) or as plain digits; anything that is not a whole, non-negative number of đồng
//! is refused rather than rounded.

/// The largest amount accepted: a thousand billion đồng, far above any OCOP budget line, and
/// far below where sums of many amounts could overflow an `i64`.
pub const MAX_DONG: i64 = 1_000_000_000_000_000;

/// Why an amount is refused (a message id of the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    Negative,
    /// A decimal part (`1,5`, `75.000.000,50`) or a group that is not three digits (`1.5`).
    Fractional,
    NotANumber,
    TooLarge,
}

impl MoneyError {
    pub fn message_id(self) -> &'static str {
        match self {
            MoneyError::Empty => "money-error-empty",
            MoneyError::Negative => "money-error-negative",
            MoneyError::Fractional => "money-error-fractional",
            MoneyError::NotANumber => "money-error-number",
            MoneyError::TooLarge => "money-error-large",
        }
    }
}

/// `75.000.000`, `75 000 000 ₫`, `75000000`, `75.000.000 đ`, `75,000,000 VND` → 75000000.
pub fn parse_dong(text: &str) -> Result<i64, MoneyError> {
    let mut text = text.trim();
    for suffix in ["₫", "VNĐ", "VND", "vnđ", "vnd", "đồng", "đ", "d"] {
        if let Some(rest) = text.strip_suffix(suffix) {
            text = rest.trim_end();
            break;
        }
    }
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    if text.starts_with('-') || text.starts_with('−') {
        return Err(MoneyError::Negative);
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let groups: Vec<&str> = text.split(['.', ',', ' ', '\u{a0}']).collect();
    if groups
        .iter()
        .any(|g| g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(MoneyError::NotANumber);
    }
    // Separators group thousands: every group after the first has exactly three digits.
    if groups.len() > 1 && (groups[1..].iter().any(|g| g.len() != 3) || groups[0].len() > 3) {
        return Err(MoneyError::Fractional);
    }
    let digits: String = groups.concat();
    let value: i64 = digits.parse().map_err(|_| MoneyError::TooLarge)?;
    if value > MAX_DONG {
        return Err(MoneyError::TooLarge);
    }
    Ok(value)
}

/// A share typed as a percentage (`40`, `40 %`, `12,5`, `12.5%`) → basis points (hundredths of
/// a percent), at most two decimals and at most 100 %.
pub fn parse_percent(text: &str) -> Result<u32, PercentError> {
    let text = text.trim().trim_end_matches('%').trim_end();
    if text.is_empty() {
        return Err(PercentError::NotANumber);
    }
    if text.starts_with('-') {
        return Err(PercentError::OutOfRange);
    }
    let (whole, fraction) = match text.split_once([',', '.']) {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
        return Err(PercentError::NotANumber);
    }
    if whole.len() > 3 {
        return Err(PercentError::OutOfRange);
    }
    let whole: u32 = whole.parse().map_err(|_| PercentError::NotANumber)?;
    let fraction: u32 = format!("{fraction:0<2}")
        .parse()
        .map_err(|_| PercentError::NotANumber)?;
    let points = whole * 100 + fraction;
    if points > 10_000 {
        return Err(PercentError::OutOfRange);
    }
    Ok(points)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PercentError {
    NotANumber,
    /// Below 0 % or above 100 %.
    OutOfRange,
}

impl PercentError {
    pub fn message_id(self) -> &'static str {
        match self {
            PercentError::NotANumber => "percent-error-number",
            PercentError::OutOfRange => "percent-error-range",
        }
    }
}

/// Basis points as people read them: 4000 → `40 %`, 1250 → `12,5 %`.
pub fn percent_text(points: u32) -> String {
    let whole = points / 100;
    let fraction = points % 100;
    if fraction == 0 {
        format!("{whole} %")
    } else if fraction.is_multiple_of(10) {
        format!("{whole},{} %", fraction / 10)
    } else {
        format!("{whole},{fraction:02} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_as_people_type_them() {
        assert_eq!(parse_dong("75.000.000"), Ok(75_000_000));
        assert_eq!(parse_dong("75 000 000 ₫"), Ok(75_000_000));
        assert_eq!(parse_dong("75,000,000 VND"), Ok(75_000_000));
        assert_eq!(parse_dong("75000000đ"), Ok(75_000_000));
        assert_eq!(parse_dong("0"), Ok(0));
        assert_eq!(parse_dong(""), Err(MoneyError::Empty));
        assert_eq!(parse_dong(" ₫ "), Err(MoneyError::Empty));
        assert_eq!(parse_dong("-5.000"), Err(MoneyError::Negative));
        assert_eq!(parse_dong("75.000.000,5"), Err(MoneyError::Fractional));
        assert_eq!(parse_dong("1,5"), Err(MoneyError::Fractional));
        assert_eq!(parse_dong("1.5"), Err(MoneyError::Fractional));
        assert_eq!(parse_dong("1234.567"), Err(MoneyError::Fractional));
        assert_eq!(parse_dong("75 triệu"), Err(MoneyError::NotANumber));
        assert_eq!(parse_dong("1e6"), Err(MoneyError::NotANumber));
        assert_eq!(parse_dong("1..000"), Err(MoneyError::NotANumber));
        assert_eq!(
            parse_dong("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn shares_are_basis_points_up_to_a_hundred_percent() {
        assert_eq!(parse_percent("40"), Ok(4000));
        assert_eq!(parse_percent("40 %"), Ok(4000));
        assert_eq!(parse_percent("12,5"), Ok(1250));
        assert_eq!(parse_percent("12.25%"), Ok(1225));
        assert_eq!(parse_percent("100"), Ok(10_000));
        assert_eq!(parse_percent("100,01"), Err(PercentError::OutOfRange));
        assert_eq!(parse_percent("247"), Err(PercentError::OutOfRange));
        assert_eq!(parse_percent("-1"), Err(PercentError::OutOfRange));
        assert_eq!(parse_percent("12,345"), Err(PercentError::NotANumber));
        assert_eq!(parse_percent("abc"), Err(PercentError::NotANumber));
        assert_eq!(percent_text(4000), "40 %");
        assert_eq!(percent_text(1250), "12,5 %");
        assert_eq!(percent_text(1225), "12,25 %");
    }

    proptest! {
        #[test]
        fn written_amounts_read_back(amount in 0i64..MAX_DONG) {
            let plain = amount.to_string();
            let mut grouped = String::new();
            for (i, c) in plain.chars().enumerate() {
                if i > 0 && (plain.len() - i) % 3 == 0 {
                    grouped.push('.');
                }
                grouped.push(c);
            }
            prop_assert_eq!(parse_dong(&plain), Ok(amount));
            prop_assert_eq!(parse_dong(&format!("{grouped} ₫")), Ok(amount));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = parse_dong(&text);
            let _ = parse_percent(&text);
        }
    }
}
