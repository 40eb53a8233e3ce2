//! Certificates (giấy chứng nhận sản phẩm OCOP): their numbers, validity, and a status that is
//! always derived from dates and events (never a stored flag), so every page, API answer and
//! sweep agrees on any given day.
//!
//! Readings of the decree (26/2026/QĐ-TTg), written down in `docs/certificates.md`:
//! - the issue date is the decision's date and the expiry is the issue date plus the version's
//!   validity in months, calendar-correct (31 January + 1 month is the last day of February);
//! - a certificate is valid up to and including its expiry date;
//! - Điều 12.3: a re-evaluation dossier filed after its window closed but before expiry keeps
//!   the certificate valid until the result, at most `pending_validity_days` past expiry (we give
//!   a dossier filed within the window whose result comes late the same protection);
//! - a newer certificate for the same product supersedes the older one on its decision date;
//! - a revocation takes effect on its decision date.

pub mod inspection;
pub mod lifecycle;
pub mod payload;
pub mod revocation;

use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::criteria::{Level, Procedure, Version};

/// A certificate number, unique in the country: `OCOP-<province>-<year>-<serial>`, e.g.
/// `OCOP-75-2026-00042`. The province is the product's (two digits, the 2025 codes), the year
/// the issue year, the serial counts certificates of that province and year from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CertificateNumber {
    pub province: u8,
    pub year: u16,
    pub serial: u32,
}

/// The largest serial a number (and the QR payload's 24 bits) can hold.
pub const MAX_SERIAL: u32 = 0x00FF_FFFF;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("a certificate number reads OCOP-<province>-<year>-<serial>, e.g. OCOP-75-2026-00042")]
    Malformed,
    #[error("the province code {0:?} is not a two-digit code")]
    Province(String),
    #[error("the year must lie between 2000 and 2255")]
    Year,
    #[error("the serial must lie between 1 and {MAX_SERIAL}")]
    Serial,
}

impl CertificateNumber {
    pub fn new(province_code: &str, year: i32, serial: u32) -> Result<Self, NumberError> {
        let province = parse_province(province_code)?;
        let year = u16::try_from(year)
            .ok()
            .filter(|y| (2000..=2255).contains(y))
            .ok_or(NumberError::Year)?;
        if serial == 0 || serial > MAX_SERIAL {
            return Err(NumberError::Serial);
        }
        Ok(CertificateNumber {
            province,
            year,
            serial,
        })
    }

    /// The province code as the units table writes it (`75`, `01`).
    pub fn province_code(&self) -> String {
        format!("{:02}", self.province)
    }
}

fn parse_province(code: &str) -> Result<u8, NumberError> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) {
        code.parse::<u8>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| NumberError::Province(code.to_string()))
    } else {
        Err(NumberError::Province(code.to_string()))
    }
}

impl fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OCOP-{:02}-{}-{:05}",
            self.province, self.year, self.serial
        )
    }
}

impl FromStr for CertificateNumber {
    type Err = NumberError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.trim().split('-');
        let (Some("OCOP"), Some(province), Some(year), Some(serial), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(NumberError::Malformed);
        };
        if year.len() != 4 || serial.len() < 5 || !serial.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberError::Malformed);
        }
        let year: i32 = year.parse().map_err(|_| NumberError::Malformed)?;
        let serial: u32 = serial.parse().map_err(|_| NumberError::Serial)?;
        CertificateNumber::new(province, year, serial)
    }
}

/// The expiry of a certificate issued on `issued_on` under a validity of `months`: the same day
/// `months` later, or the last day of that month when it has no such day.
pub fn expiry_of(issued_on: NaiveDate, months: u32) -> NaiveDate {
    issued_on
        .checked_add_months(Months::new(months))
        .expect("a certificate's expiry lies within chrono's calendar")
}

/// Who recognised a star, and so who revokes it (Điều 8.2): the province's chair for 3★/4★,
/// the minister for 5★ — read from the version's recognition table.
pub fn authority_for(version: &Version, stars: u8) -> Level {
    version
        .recognition
        .get(&stars)
        .copied()
        .unwrap_or(Level::Province)
}

/// Everything that decides a certificate's status on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeline {
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    /// The date of the revocation decision, once decided.
    pub revoked_on: Option<NaiveDate>,
    /// The decision date of the next certificate for the same product (by issue date).
    pub superseded_on: Option<NaiveDate>,
    /// When a re-evaluation dossier for the product was filed (submitted), if one was after
    /// this certificate's issue.
    pub reevaluation_filed_on: Option<NaiveDate>,
    /// When that re-evaluation ended without a new certificate (not recognised, disqualified).
    pub reevaluation_ended_on: Option<NaiveDate>,
}

/// A certificate's status on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    Active,
    /// Past expiry, valid until the re-evaluation's result, at most until `until` (Điều 12.3).
    PendingReevaluation {
        until: NaiveDate,
    },
    Expired,
    Revoked,
    Superseded,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::PendingReevaluation { .. } => "pending_reevaluation",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Superseded => "superseded",
        }
    }

    /// Whether the certificate is in force: the product may carry the mark.
    pub fn is_valid(self) -> bool {
        matches!(self, Status::Active | Status::PendingReevaluation { .. })
    }
}

impl Timeline {
    /// The status on `today` under the rules `procedure` gives (those in force).
    pub fn status(&self, procedure: &Procedure, today: NaiveDate) -> Status {
        if self.revoked_on.is_some_and(|d| d <= today) {
            return Status::Revoked;
        }
        if self.superseded_on.is_some_and(|d| d <= today) {
            return Status::Superseded;
        }
        if today <= self.expires_on {
            return Status::Active;
        }
        if let Some(until) = self.pending_until(procedure)
            && today <= until
            && self.reevaluation_ended_on.is_none_or(|d| d > today)
        {
            return Status::PendingReevaluation { until };
        }
        Status::Expired
    }

    /// The last day a re-evaluation filed in time to count keeps the certificate valid
    /// (Điều 12.3), if one was filed before expiry.
    pub fn pending_until(&self, procedure: &Procedure) -> Option<NaiveDate> {
        let days = procedure.pending_validity_days?;
        let filed = self.reevaluation_filed_on?;
        (filed >= self.issued_on && filed <= self.expires_on)
            .then(|| self.expires_on + Days::new(u64::from(days)))
    }

    /// The re-evaluation window `[opens, closes]` (Điều 7.6.a), if the rules give one.
    pub fn reevaluation_window(&self, procedure: &Procedure) -> Option<(NaiveDate, NaiveDate)> {
        let [opens, closes] = procedure.reevaluation_window_days?;
        Some((
            self.expires_on - Days::new(u64::from(opens)),
            self.expires_on - Days::new(u64::from(closes)),
        ))
    }
}

/// Why a change to a certificate is refused. Each carries a stable code for the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("the certificate is already revoked")]
    AlreadyRevoked,
    #[error("a revocation is already open on this certificate")]
    RevocationOpen,
    #[error("no revocation is open on this certificate")]
    NoOpenRevocation,
    #[error("the certificate was superseded by a newer one")]
    Superseded,
    #[error("the certificate has expired")]
    Expired,
    #[error("the ground {0:?} is not one the rules in force list")]
    UnknownGround(String),
    #[error("the date {0} lies in the future")]
    FutureDate(NaiveDate),
    #[error("the decision cannot come before the finding")]
    DecisionBeforeFinding,
    #[error("the date {0} lies before the certificate was issued")]
    BeforeIssue(NaiveDate),
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("a corrective action's deadline must come after the inspection")]
    DeadlineBeforeInspection,
}

impl CertificateError {
    /// The stable code (API `error.code` or a form field's code).
    pub fn code(&self) -> &'static str {
        match self {
            CertificateError::AlreadyRevoked => "already_revoked",
            CertificateError::RevocationOpen => "revocation_open",
            CertificateError::NoOpenRevocation => "no_open_revocation",
            CertificateError::Superseded => "superseded",
            CertificateError::Expired => "expired",
            CertificateError::UnknownGround(_) => "unknown_ground",
            CertificateError::FutureDate(_) => "future_date",
            CertificateError::DecisionBeforeFinding => "decision_before_finding",
            CertificateError::BeforeIssue(_) => "before_issue",
            CertificateError::Missing(_) => "required",
            CertificateError::DeadlineBeforeInspection => "deadline_before_inspection",
        }
    }
}

/// Refuses a change to a certificate that is no longer in force on `today`.
pub fn ensure_live(status: Status) -> Result<(), CertificateError> {
    match status {
        Status::Active | Status::PendingReevaluation { .. } => Ok(()),
        Status::Revoked => Err(CertificateError::AlreadyRevoked),
        Status::Superseded => Err(CertificateError::Superseded),
        Status::Expired => Err(CertificateError::Expired),
    }
}

/// Days since 2000-01-01, as the QR payload stores dates.
pub(crate) fn day_number(date: NaiveDate) -> Option<u16> {
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1)?;
    u16::try_from((date - epoch).num_days()).ok()
}

pub(crate) fn from_day_number(days: u16) -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("2000-01-01") + Days::new(u64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rules() -> Procedure {
        Procedure {
            reevaluation_window_days: Some([180, 120]),
            pending_validity_days: Some(180),
            ..Procedure::default()
        }
    }

    #[test]
    fn expiry_is_calendar_correct() {
        assert_eq!(expiry_of(date(2026, 6, 15), 36), date(2029, 6, 15));
        assert_eq!(expiry_of(date(2026, 1, 31), 1), date(2026, 2, 28));
        assert_eq!(expiry_of(date(2028, 1, 31), 1), date(2028, 2, 29));
        // 29 February: three years on there is none, so the last day of February.
        assert_eq!(expiry_of(date(2028, 2, 29), 36), date(2031, 2, 28));
        // … but four years on there is.
        assert_eq!(expiry_of(date(2028, 2, 29), 48), date(2032, 2, 29));
        assert_eq!(expiry_of(date(2026, 8, 31), 36), date(2029, 8, 31));
        assert_eq!(expiry_of(date(2026, 5, 31), 1), date(2026, 6, 30));
    }

    #[test]
    fn numbers_print_and_parse() {
        let number = CertificateNumber::new("75", 2026, 42).unwrap();
        assert_eq!(number.to_string(), "OCOP-75-2026-00042");
        assert_eq!("OCOP-75-2026-00042".parse(), Ok(number));
        assert_eq!(
            "OCOP-01-2030-123456"
                .parse::<CertificateNumber>()
                .unwrap()
                .serial,
            123_456
        );
        for bad in [
            "",
            "OCOP-75-2026",
            "OCOP-7-2026-00001",
            "OCOP-75-26-00001",
            "OCOP-75-2026-0001",
            "OCOP-75-2026-00000",
            "XXXX-75-2026-00001",
            "OCOP-75-2026-00001-1",
            "OCOP-AB-2026-00001",
            "OCOP-00-2026-00001",
        ] {
            assert!(bad.parse::<CertificateNumber>().is_err(), "{bad}");
        }
        assert_eq!(
            CertificateNumber::new("75", 2026, MAX_SERIAL + 1),
            Err(NumberError::Serial)
        );
    }

    #[test]
    fn status_follows_dates_and_events() {
        let timeline = Timeline {
            issued_on: date(2026, 6, 15),
            expires_on: date(2029, 6, 15),
            ..Timeline::default()
        };
        let rules = rules();
        assert_eq!(timeline.status(&rules, date(2026, 6, 15)), Status::Active);
        assert_eq!(timeline.status(&rules, date(2029, 6, 15)), Status::Active);
        assert_eq!(timeline.status(&rules, date(2029, 6, 16)), Status::Expired);

        let revoked = Timeline {
            revoked_on: Some(date(2027, 3, 1)),
            ..timeline
        };
        assert_eq!(revoked.status(&rules, date(2027, 2, 28)), Status::Active);
        assert_eq!(revoked.status(&rules, date(2027, 3, 1)), Status::Revoked);

        let superseded = Timeline {
            superseded_on: Some(date(2028, 1, 10)),
            ..timeline
        };
        assert_eq!(
            superseded.status(&rules, date(2028, 1, 10)),
            Status::Superseded
        );
    }

    #[test]
    fn a_late_reevaluation_keeps_the_certificate_valid_pending_its_result() {
        let rules = rules();
        let base = Timeline {
            issued_on: date(2026, 6, 15),
            expires_on: date(2029, 6, 15),
            ..Timeline::default()
        };
        // Filed after the window closed (15/02/2029), before expiry.
        let late = Timeline {
            reevaluation_filed_on: Some(date(2029, 4, 1)),
            ..base
        };
        let until = date(2029, 12, 12);
        assert_eq!(
            late.status(&rules, date(2029, 6, 16)),
            Status::PendingReevaluation { until }
        );
        assert_eq!(
            late.status(&rules, until),
            Status::PendingReevaluation { until }
        );
        assert_eq!(late.status(&rules, date(2029, 12, 13)), Status::Expired);
        // The result came: not recognised.
        let ended = Timeline {
            reevaluation_ended_on: Some(date(2029, 8, 1)),
            ..late
        };
        assert_eq!(ended.status(&rules, date(2029, 8, 1)), Status::Expired);
        // Recognised again: the new certificate supersedes it.
        let renewed = Timeline {
            superseded_on: Some(date(2029, 8, 1)),
            ..late
        };
        assert_eq!(renewed.status(&rules, date(2029, 8, 2)), Status::Superseded);
        // Filed after expiry: no protection.
        let after = Timeline {
            reevaluation_filed_on: Some(date(2029, 6, 20)),
            ..base
        };
        assert_eq!(after.status(&rules, date(2029, 6, 21)), Status::Expired);
        // Rules without Điều 12.3: none either.
        assert_eq!(
            late.status(&Procedure::default(), date(2029, 6, 16)),
            Status::Expired
        );
    }

    #[test]
    fn the_window_runs_from_180_to_120_days_before_expiry() {
        let timeline = Timeline {
            issued_on: date(2026, 6, 15),
            expires_on: date(2029, 6, 15),
            ..Timeline::default()
        };
        assert_eq!(
            timeline.reevaluation_window(&rules()),
            Some((date(2028, 12, 17), date(2029, 2, 15)))
        );
    }

    #[test]
    fn day_numbers_round_trip() {
        for d in [date(2000, 1, 1), date(2026, 2, 28), date(2179, 6, 6)] {
            assert_eq!(from_day_number(day_number(d).unwrap()), d);
        }
        assert_eq!(day_number(date(1999, 12, 31)), None);
    }
}
