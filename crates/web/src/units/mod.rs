//! Administrative units before and after the 2025 reform: search, provinces, a unit with its
//! parent, children, predecessors and successors.
//!
//! - [`pages`]: the units index with search, a unit's page;
//! - [`api`]: the same in JSON under `/api/v1/units`.

pub mod api;
pub mod pages;

use chrono::NaiveDate;

use crate::shared::error::AppError;

/// Parses the `on` query parameter (YYYY-MM-DD).
pub fn parse_on(on: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    match on.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                AppError::bad_request(
                    "invalid_date",
                    format!("`on` must be a date as YYYY-MM-DD, not `{text}`"),
                )
            }),
    }
}
