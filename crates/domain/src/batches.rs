//! Production batches and GS1 Digital Link: what a batch must contain, and how a package's
//! link (`/01/{gtin}/10/{lot}`) names a product and a batch.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::registry::valid_gtin;
use crate::text::normalize;

/// The longest lot number GS1 allows (application identifier 10).
pub const MAX_LOT_CHARS: usize = 20;

/// A batch as a form submits it (all text, as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct BatchForm {
    #[serde(default)]
    pub lot: String,
    #[serde(default)]
    pub produced_on: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub raw_material_area: String,
    #[serde(default)]
    pub expires_on: String,
}

/// A checked batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchDraft {
    pub lot: String,
    pub produced_on: NaiveDate,
    pub quantity: i64,
    pub unit: String,
    pub raw_material_area: Option<String>,
    pub expires_on: Option<NaiveDate>,
}

/// Field → message id.
pub type BatchErrors = BTreeMap<&'static str, &'static str>;

/// A lot number as GS1 Digital Link carries it: 1–20 of letters, digits, `-`, `.`, `_`, `/`
/// (a subset of GS1's character set 82 that needs no escaping in a URL path but `/`).
pub fn valid_lot(lot: &str) -> bool {
    (1..=MAX_LOT_CHARS).contains(&lot.len())
        && lot
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// Checks a batch on `today`: a production date in the future, or an expiry before it, is
/// refused.
pub fn check_batch(form: &BatchForm, today: NaiveDate) -> Result<BatchDraft, BatchErrors> {
    let mut errors = BatchErrors::new();
    let lot = form.lot.trim().to_string();
    if !valid_lot(&lot) {
        errors.insert("lot", "batches-error-lot");
    }
    let date = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    let produced_on = date(&form.produced_on);
    match produced_on {
        None => {
            errors.insert("produced_on", "batches-error-produced-on");
        }
        Some(day) if day > today => {
            errors.insert("produced_on", "batches-error-produced-in-future");
        }
        Some(_) => {}
    }
    let expires_on = if form.expires_on.trim().is_empty() {
        None
    } else {
        let parsed = date(&form.expires_on);
        match (parsed, produced_on) {
            (None, _) => {
                errors.insert("expires_on", "batches-error-expires-on");
            }
            (Some(expiry), Some(produced)) if expiry <= produced => {
                errors.insert("expires_on", "batches-error-expires-before");
            }
            _ => {}
        }
        parsed
    };
    let quantity = form.quantity.trim().replace('.', "").parse::<i64>().ok();
    if !quantity.is_some_and(|q| (1..=1_000_000_000_000).contains(&q)) {
        errors.insert("quantity", "batches-error-quantity");
    }
    let unit = normalize(&form.unit);
    if unit.is_empty() || unit.chars().count() > 40 {
        errors.insert("unit", "batches-error-unit");
    }
    let area = normalize(&form.raw_material_area);
    if area.chars().count() > 300 {
        errors.insert("raw_material_area", "batches-error-area");
    }
    match (errors.is_empty(), produced_on, quantity) {
        (true, Some(produced_on), Some(quantity)) => Ok(BatchDraft {
            lot,
            produced_on,
            quantity,
            unit,
            raw_material_area: (!area.is_empty()).then_some(area),
            expires_on,
        }),
        _ => Err(errors),
    }
}

/// Why a GS1 Digital Link path names nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("a GTIN has 8, 12, 13 or 14 digits")]
    GtinLength,
    #[error("the GTIN's check digit is wrong")]
    GtinCheckDigit,
    #[error("a lot number has 1 to 20 letters, digits, '-', '.' or '_'")]
    Lot,
}

impl LinkError {
    pub fn code(self) -> &'static str {
        match self {
            LinkError::GtinLength => "gtin_length",
            LinkError::GtinCheckDigit => "gtin_check_digit",
            LinkError::Lot => "bad_lot",
        }
    }
}

/// A GTIN as a link gives it, checked, with the forms a register may hold it in: the GTIN-14
/// and, without its leading zeros, the GTIN-13, -12 and -8 it may have been written as.
pub fn gtin_forms(gtin: &str) -> Result<Vec<String>, LinkError> {
    if !matches!(gtin.len(), 8 | 12 | 13 | 14) || !gtin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LinkError::GtinLength);
    }
    if !valid_gtin(gtin) {
        return Err(LinkError::GtinCheckDigit);
    }
    let gtin14 = format!("{gtin:0>14}");
    Ok([14, 13, 12, 8]
        .into_iter()
        .filter(|&len| gtin14[..14 - len].bytes().all(|b| b == b'0'))
        .map(|len| gtin14[14 - len..].to_string())
        .collect())
}

/// A lot number as a link gives it.
pub fn check_lot(lot: &str) -> Result<(), LinkError> {
    if valid_lot(lot) {
        Ok(())
    } else {
        Err(LinkError::Lot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    fn form() -> BatchForm {
        BatchForm {
            lot: "L2026-11A".into(),
            produced_on: "2026-11-20".into(),
            quantity: "1.200".into(),
            unit: " chai  500 ml ".into(),
            raw_material_area: "Vùng nguyên liệu cá cơm Phan Thiết".into(),
            expires_on: "2028-11-20".into(),
        }
    }

    #[test]
    fn a_good_batch_is_normalised() {
        let batch = check_batch(&form(), today()).unwrap();
        assert_eq!(batch.quantity, 1200);
        assert_eq!(batch.unit, "chai 500 ml");
        assert_eq!(batch.expires_on, NaiveDate::from_ymd_opt(2028, 11, 20));
    }

    #[test]
    fn bad_batches_name_their_fields() {
        let bad = BatchForm {
            lot: "lot with spaces".into(),
            produced_on: "2026-12-04".into(),
            quantity: "-3".into(),
            unit: String::new(),
            raw_material_area: String::new(),
            expires_on: "2026-01-01".into(),
        };
        let errors = check_batch(&bad, today()).unwrap_err();
        assert_eq!(errors["lot"], "batches-error-lot");
        assert_eq!(errors["produced_on"], "batches-error-produced-in-future");
        assert_eq!(errors["quantity"], "batches-error-quantity");
        assert_eq!(errors["unit"], "batches-error-unit");
        assert_eq!(errors["expires_on"], "batches-error-expires-before");
        let long = BatchForm {
            lot: "A".repeat(21),
            ..form()
        };
        assert_eq!(
            check_batch(&long, today()).unwrap_err()["lot"],
            "batches-error-lot"
        );
    }

    #[test]
    fn gtins_are_checked_and_given_in_every_form() {
        assert_eq!(
            gtin_forms("08934567890120").unwrap(),
            ["08934567890120", "8934567890120"]
        );
        assert_eq!(gtin_forms("8934567890120").unwrap()[0], "08934567890120");
        assert_eq!(
            gtin_forms("893456789014").unwrap(),
            ["00893456789014", "0893456789014", "893456789014"]
        );
        assert_eq!(gtin_forms("8934567890129"), Err(LinkError::GtinCheckDigit));
        assert_eq!(gtin_forms("893456789012"), Err(LinkError::GtinCheckDigit));
        assert_eq!(gtin_forms("12345"), Err(LinkError::GtinLength));
        assert_eq!(gtin_forms("89345678901x8"), Err(LinkError::GtinLength));
        assert_eq!(check_lot("../etc"), Err(LinkError::Lot));
        assert_eq!(check_lot("L2026-11A"), Ok(()));
    }
}
