//! Administrative units: provinces, districts (until 2025-06-30) and communes, with validity dates
//! and the old → new successions of the 2025 reform.
//!
//! A unit is identified by its official code *and* its period: the reform re-used old codes for
//! new units (commune 26882 was Phường 14 before 2025-07-01 and is Phường An Hội Tây after), so
//! the code alone names only the unit in force on a given date.

mod file;

pub use file::{
    LoadPlan, ParentRef, PlannedSuccession, Skip, SkipReason, UnitIdentity, UnitsFile,
    UnitsFileError, parse_units_file,
};

use chrono::NaiveDate;
use serde::Serialize;

/// Whether `text` could be a unit code (official digits, or a derived district code such as
/// `79:quan-go-vap`). Anything else names no unit, and need not reach the database.
pub fn is_plausible_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.'))
}

/// The tier of a unit. Districts were abolished on 2025-07-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    Province,
    District,
    Commune,
}

impl UnitLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::Province => "province",
            UnitLevel::District => "district",
            UnitLevel::Commune => "commune",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [UnitLevel::Province, UnitLevel::District, UnitLevel::Commune]
            .into_iter()
            .find(|level| level.as_str() == text)
    }
}

/// The legal kind of a unit, which also fixes its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Tỉnh
    Tinh,
    /// Thành phố trực thuộc trung ương
    ThanhPhoTw,
    /// Huyện
    Huyen,
    /// Quận
    Quan,
    /// Thị xã
    ThiXa,
    /// Thành phố thuộc tỉnh (or thuộc thành phố trung ương)
    ThanhPho,
    /// Xã
    Xa,
    /// Phường
    Phuong,
    /// Thị trấn
    ThiTran,
    /// Đặc khu
    DacKhu,
}

impl UnitKind {
    pub const ALL: [UnitKind; 10] = [
        UnitKind::Tinh,
        UnitKind::ThanhPhoTw,
        UnitKind::Huyen,
        UnitKind::Quan,
        UnitKind::ThiXa,
        UnitKind::ThanhPho,
        UnitKind::Xa,
        UnitKind::Phuong,
        UnitKind::ThiTran,
        UnitKind::DacKhu,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Tinh => "tinh",
            UnitKind::ThanhPhoTw => "thanh_pho_tw",
            UnitKind::Huyen => "huyen",
            UnitKind::Quan => "quan",
            UnitKind::ThiXa => "thi_xa",
            UnitKind::ThanhPho => "thanh_pho",
            UnitKind::Xa => "xa",
            UnitKind::Phuong => "phuong",
            UnitKind::ThiTran => "thi_tran",
            UnitKind::DacKhu => "dac_khu",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn level(self) -> UnitLevel {
        match self {
            UnitKind::Tinh | UnitKind::ThanhPhoTw => UnitLevel::Province,
            UnitKind::Huyen | UnitKind::Quan | UnitKind::ThiXa | UnitKind::ThanhPho => {
                UnitLevel::District
            }
            UnitKind::Xa | UnitKind::Phuong | UnitKind::ThiTran | UnitKind::DacKhu => {
                UnitLevel::Commune
            }
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            UnitKind::Tinh => "Tỉnh",
            UnitKind::ThanhPhoTw => "Thành phố trực thuộc trung ương",
            UnitKind::Huyen => "Huyện",
            UnitKind::Quan => "Quận",
            UnitKind::ThiXa => "Thị xã",
            UnitKind::ThanhPho => "Thành phố",
            UnitKind::Xa => "Xã",
            UnitKind::Phuong => "Phường",
            UnitKind::ThiTran => "Thị trấn",
            UnitKind::DacKhu => "Đặc khu",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            UnitKind::Tinh => "province",
            UnitKind::ThanhPhoTw => "centrally-run city",
            UnitKind::Huyen => "rural district",
            UnitKind::Quan => "urban district",
            UnitKind::ThiXa => "town",
            UnitKind::ThanhPho => "city",
            UnitKind::Xa => "commune",
            UnitKind::Phuong => "ward",
            UnitKind::ThiTran => "township",
            UnitKind::DacKhu => "special zone",
        }
    }
}

/// A unit as a data file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRecord {
    /// 1-based line in the file, for reports.
    pub line: usize,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_code: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub decree: Option<String>,
}

impl UnitRecord {
    pub fn level(&self) -> UnitLevel {
        self.kind.level()
    }

    /// The day that places the unit in its period: its last day, else its first, else none
    /// (a unit in force with no known start).
    pub fn reference_date(&self) -> Option<NaiveDate> {
        self.valid_to.or(self.valid_from)
    }

    /// Whether the unit is in force on `date` (open ends are unbounded).
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// One old → new row of a data file, as written (either side may be missing in defective data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccessionRecord {
    /// 1-based line in the file, for reports.
    pub line: usize,
    pub level: UnitLevel,
    pub old_code: Option<String>,
    pub new_code: Option<String>,
    pub effective: NaiveDate,
    pub decree: Option<String>,
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_codes() {
        for code in ["01", "26882", "79:quan-go-vap", "01:huyen-ba-vi"] {
            assert!(is_plausible_code(code), "{code}");
        }
        for code in ["", "a b", "x\0", "../etc", "'; DROP", &"9".repeat(65)] {
            assert!(!is_plausible_code(code), "{code:?}");
        }
    }

    #[test]
    fn kinds_round_trip_and_fix_their_level() {
        for kind in UnitKind::ALL {
            assert_eq!(UnitKind::parse(kind.as_str()), Some(kind));
            assert!(!kind.label_vi().is_empty() && !kind.label_en().is_empty());
        }
        assert_eq!(UnitKind::DacKhu.level(), UnitLevel::Commune);
        assert_eq!(UnitKind::ThiXa.level(), UnitLevel::District);
        assert_eq!(UnitLevel::parse("district"), Some(UnitLevel::District));
        assert_eq!(UnitLevel::parse("hamlet"), None);
    }
}
