//! The units data file (`data/units/vn-units.tsv`, format in `docs/units.md`): parsing and the
//! plan of what can be loaded.
//!
//! Two kinds of trouble are kept apart. A *malformed* file (bad line, unknown kind, a unit whose
//! parent is missing) is refused whole with the line and the problem, so nothing is written. A
//! *defective* succession row (its old or new unit is not in the file) is a fact about the source
//! data: the plan skips it and says why, and the loader prints that summary.

use std::collections::HashMap;
use std::fmt;

use chrono::{Days, NaiveDate};

use super::{SuccessionRecord, UnitKind, UnitLevel, UnitRecord};
use crate::text::normalize;

const MAGIC: &str = "# ocop-units 1";
const UNIT_COLUMNS: usize = 9;
const SUCCESSION_COLUMNS: usize = 7;

/// A parsed units file.
#[derive(Debug, Clone, Default)]
pub struct UnitsFile {
    pub units: Vec<UnitRecord>,
    pub successions: Vec<SuccessionRecord>,
}

/// Why a file was refused: the line (1-based) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct UnitsFileError {
    pub line: usize,
    pub message: String,
}

fn error(line: usize, message: impl Into<String>) -> UnitsFileError {
    UnitsFileError {
        line,
        message: message.into(),
    }
}

/// Parses the text of a units file. Any malformed line refuses the whole file.
pub fn parse_units_file(text: &str) -> Result<UnitsFile, UnitsFileError> {
    let mut file = UnitsFile::default();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line));
    match lines.next() {
        Some((_, first)) if first.trim_end() == MAGIC => {}
        _ => {
            return Err(error(
                1,
                format!("not a units file: the first line must be `{MAGIC}`"),
            ));
        }
    }
    for (number, line) in lines {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[0] {
            "unit" => file.units.push(parse_unit(number, &fields)?),
            "succession" => file.successions.push(parse_succession(number, &fields)?),
            other => {
                return Err(error(
                    number,
                    format!("unknown record `{other}` (expected `unit` or `succession`)"),
                ));
            }
        }
    }
    Ok(file)
}

fn expect_columns(line: usize, fields: &[&str], count: usize) -> Result<(), UnitsFileError> {
    if fields.len() == count {
        Ok(())
    } else {
        Err(error(
            line,
            format!(
                "`{}` needs {count} tab-separated columns, found {}",
                fields[0],
                fields.len()
            ),
        ))
    }
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| normalize(text))
}

fn required(line: usize, text: &str, what: &str) -> Result<String, UnitsFileError> {
    optional(text).ok_or_else(|| error(line, format!("{what} is empty")))
}

fn date(line: usize, text: &str, what: &str) -> Result<Option<NaiveDate>, UnitsFileError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| error(line, format!("{what} `{text}` is not a date (YYYY-MM-DD)")))
}

fn level(line: usize, text: &str) -> Result<UnitLevel, UnitsFileError> {
    UnitLevel::parse(text).ok_or_else(|| {
        error(
            line,
            format!("unknown level `{text}` (province, district or commune)"),
        )
    })
}

fn parse_unit(line: usize, fields: &[&str]) -> Result<UnitRecord, UnitsFileError> {
    expect_columns(line, fields, UNIT_COLUMNS)?;
    let level = level(line, fields[1])?;
    let code = required(line, fields[2], "code")?;
    let name = required(line, fields[3], "name")?;
    let kind = UnitKind::parse(fields[4])
        .ok_or_else(|| error(line, format!("unknown kind `{}`", fields[4])))?;
    if kind.level() != level {
        return Err(error(
            line,
            format!(
                "kind `{}` is a {} kind, not a {} one",
                kind.as_str(),
                kind.level().as_str(),
                level.as_str()
            ),
        ));
    }
    let parent_code = optional(fields[5]);
    if (level == UnitLevel::Province) != parent_code.is_none() {
        return Err(error(
            line,
            "a province has no parent; every other unit has one",
        ));
    }
    let valid_from = date(line, fields[6], "valid_from")?;
    let valid_to = date(line, fields[7], "valid_to")?;
    if let (Some(from), Some(to)) = (valid_from, valid_to)
        && to < from
    {
        return Err(error(line, "valid_to is before valid_from"));
    }
    Ok(UnitRecord {
        line,
        code,
        name,
        kind,
        parent_code,
        valid_from,
        valid_to,
        decree: optional(fields[8]),
    })
}

fn parse_succession(line: usize, fields: &[&str]) -> Result<SuccessionRecord, UnitsFileError> {
    expect_columns(line, fields, SUCCESSION_COLUMNS)?;
    Ok(SuccessionRecord {
        line,
        level: level(line, fields[1])?,
        old_code: optional(fields[2]),
        new_code: optional(fields[3]),
        effective: date(line, fields[4], "effective date")?
            .ok_or_else(|| error(line, "effective date is empty"))?,
        decree: optional(fields[5]),
        note: optional(fields[6]),
    })
}

/// A succession whose two units were found, by index into [`LoadPlan::units`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSuccession {
    pub predecessor: usize,
    pub successor: usize,
    pub effective: NaiveDate,
    pub decree: Option<String>,
}

/// Why a succession row could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    SuccessorMissing,
    PredecessorWithoutCode,
    PredecessorMissing,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::SuccessorMissing => "the new unit's code is not among the units",
            SkipReason::PredecessorWithoutCode => "the old unit has no code",
            SkipReason::PredecessorMissing => "the old unit's code is not among the units",
        })
    }
}

/// A skipped succession row: where, why, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub line: usize,
    pub reason: SkipReason,
    pub detail: String,
}

/// What a loader should write: every unit with its parent resolved, the usable successions,
/// and the rows it must skip (with reasons).
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub units: Vec<UnitRecord>,
    /// `parents[i]` is where `units[i]`'s parent is (`None` for provinces).
    pub parents: Vec<Option<ParentRef>>,
    pub successions: Vec<PlannedSuccession>,
    pub skipped: Vec<Skip>,
}

/// Where a unit's parent is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentRef {
    /// Another unit of the same file, by index into [`LoadPlan::units`].
    InFile(usize),
    /// A unit not in the file: the one with this code in force on `on` (`None`: in force now),
    /// which must already be in the database.
    Stored { code: String, on: Option<NaiveDate> },
}

/// A unit's identity: its code and the last day it is in force (`None`: still in force).
pub type UnitIdentity = (String, Option<NaiveDate>);

impl UnitsFile {
    /// Resolves parents and successions. Fails on duplicate units or missing parents; skips
    /// (and lists) succession rows whose units are not in the file.
    pub fn plan(self) -> Result<LoadPlan, UnitsFileError> {
        let units = self.units;
        let mut by_code: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, unit) in units.iter().enumerate() {
            let same = by_code.entry(unit.code.as_str()).or_default();
            if same
                .iter()
                .any(|&other| units[other].valid_to == unit.valid_to)
            {
                return Err(error(
                    unit.line,
                    format!(
                        "unit {} ({}) appears twice for the same period",
                        unit.code, unit.name
                    ),
                ));
            }
            same.push(index);
        }
        let find = |code: &str, level: UnitLevel, date: Option<NaiveDate>| -> Option<usize> {
            by_code.get(code)?.iter().copied().find(|&index| {
                let unit = &units[index];
                unit.level() == level
                    && match date {
                        Some(date) => unit.valid_on(date),
                        None => unit.valid_to.is_none(),
                    }
            })
        };

        let mut parents = Vec::with_capacity(units.len());
        for unit in &units {
            let Some(parent_code) = &unit.parent_code else {
                parents.push(None);
                continue;
            };
            let on = unit.reference_date();
            let parent = [UnitLevel::District, UnitLevel::Province]
                .into_iter()
                .filter(|level| *level < unit.level())
                .find_map(|level| find(parent_code, level, on));
            // A parent outside the file must already be stored; the loader checks that.
            parents.push(Some(match parent {
                Some(index) => ParentRef::InFile(index),
                None => ParentRef::Stored {
                    code: parent_code.clone(),
                    on,
                },
            }));
        }

        let mut successions = Vec::new();
        let mut skipped = Vec::new();
        for row in self.successions {
            let day_before = row.effective.checked_sub_days(Days::new(1));
            let successor = row
                .new_code
                .as_deref()
                .and_then(|code| find(code, row.level, Some(row.effective)));
            let predecessor = row
                .old_code
                .as_deref()
                .and_then(|code| find(code, row.level, day_before));
            let reason = match (predecessor, successor) {
                (Some(predecessor), Some(successor)) => {
                    successions.push(PlannedSuccession {
                        predecessor,
                        successor,
                        effective: row.effective,
                        decree: row.decree,
                    });
                    continue;
                }
                (_, None) => SkipReason::SuccessorMissing,
                (None, _) if row.old_code.is_none() => SkipReason::PredecessorWithoutCode,
                (None, _) => SkipReason::PredecessorMissing,
            };
            let detail = row.note.unwrap_or_else(|| {
                format!(
                    "{} -> {}",
                    row.old_code.as_deref().unwrap_or("?"),
                    row.new_code.as_deref().unwrap_or("?")
                )
            });
            skipped.push(Skip {
                line: row.line,
                reason,
                detail,
            });
        }
        Ok(LoadPlan {
            units,
            parents,
            successions,
            skipped,
        })
    }
}

impl LoadPlan {
    /// Skipped rows grouped by reason: (reason, count, up to `examples` of them).
    pub fn skip_summary(&self, examples: usize) -> Vec<(SkipReason, usize, Vec<&Skip>)> {
        let mut groups: Vec<(SkipReason, usize, Vec<&Skip>)> = Vec::new();
        for skip in &self.skipped {
            match groups
                .iter_mut()
                .find(|(reason, ..)| *reason == skip.reason)
            {
                Some((_, count, shown)) => {
                    *count += 1;
                    if shown.len() < examples {
                        shown.push(skip);
                    }
                }
                None => groups.push((skip.reason, 1, vec![skip])),
            }
        }
        groups.sort_by_key(|(reason, ..)| *reason);
        groups
    }

    /// The identity of unit `index`.
    pub fn identity(&self, index: usize) -> UnitIdentity {
        let unit = &self.units[index];
        (unit.code.clone(), unit.valid_to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# ocop-units 1\n\
# a comment\n\
unit\tprovince\t75\tTỉnh Đồng Nai\ttinh\t\t2025-07-01\t\t202/2025/QH15\n\
unit\tcommune\t26041\tPhường Trấn Biên\tphuong\t75\t2025-07-01\t\t202/2025/QH15\n\
unit\tprovince\t75\tTỉnh Đồng Nai\ttinh\t\t\t2025-06-30\t\n\
unit\tdistrict\t75:thanh-pho-bien-hoa\tThành phố Biên Hòa\tthanh_pho\t75\t\t2025-06-30\t\n\
unit\tcommune\t26041\tPhường Trảng Dài\tphuong\t75:thanh-pho-bien-hoa\t\t2025-06-30\t\n\
succession\tprovince\t75\t75\t2025-07-01\t202/2025/QH15\t\n\
succession\tcommune\t26041\t26041\t2025-07-01\t202/2025/QH15\t\n\
succession\tcommune\t\t26041\t2025-07-01\t202/2025/QH15\trow 9: Xã X (Huyện Y) -> Phường Trấn Biên\n\
succession\tcommune\t\t99999\t2025-07-01\t202/2025/QH15\trow 10: Xã Z (Huyện Y) -> Phường W\n\
succession\tcommune\t11111\t26041\t2025-07-01\t\t\n";

    #[test]
    fn parses_and_plans_the_sample() {
        let plan = parse_units_file(SAMPLE).unwrap().plan().unwrap();
        assert_eq!(plan.units.len(), 5);
        // The new ward's parent is the new province; the old ward's is the old district.
        assert_eq!(plan.parents[0], None);
        assert_eq!(plan.parents[1], Some(ParentRef::InFile(0)));
        assert_eq!(plan.parents[3], Some(ParentRef::InFile(2)));
        assert_eq!(plan.parents[4], Some(ParentRef::InFile(3)));
        assert_eq!(plan.successions.len(), 2);
        assert_eq!(plan.successions[1].predecessor, 4);
        assert_eq!(plan.successions[1].successor, 1);
        let reasons: Vec<_> = plan.skipped.iter().map(|s| (s.line, s.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                (10, SkipReason::PredecessorWithoutCode),
                (11, SkipReason::SuccessorMissing),
                (12, SkipReason::PredecessorMissing),
            ]
        );
        let summary = plan.skip_summary(3);
        assert_eq!(summary.len(), 3);
        assert!(summary[0].2[0].detail.contains("Phường W"));
    }

    #[test]
    fn names_are_normalized() {
        let file = parse_units_file(SAMPLE).unwrap();
        assert_eq!(file.units[0].name, "Tỉnh Đồng Nai");
        assert_eq!(file.units[0].kind, UnitKind::Tinh);
        assert_eq!(file.units[3].kind.level(), UnitLevel::District);
    }

    fn refused(text: &str) -> UnitsFileError {
        parse_units_file(text)
            .and_then(UnitsFile::plan)
            .expect_err("the file should be refused")
    }

    #[test]
    fn refuses_malformed_files_with_the_line() {
        assert_eq!(refused("hello\n").line, 1);
        let bad_kind = "# ocop-units 1\nunit\tprovince\t75\tX\tcity\t\t\t\t\n";
        assert_eq!(
            refused(bad_kind),
            error(2, "unknown kind `city`"),
            "unknown kind"
        );
        let short = "# ocop-units 1\n\nunit\tprovince\t75\tX\n";
        assert_eq!(refused(short).line, 3);
        assert!(refused(short).message.contains("9 tab-separated columns"));
        let bad_date = "# ocop-units 1\nunit\tprovince\t75\tX\ttinh\t\t2025-13-01\t\t\n";
        assert!(refused(bad_date).message.contains("not a date"));
        let wrong_level = "# ocop-units 1\nunit\tcommune\t75\tX\ttinh\t\t\t\t\n";
        assert!(refused(wrong_level).message.contains("province kind"));
        let outside = "# ocop-units 1\nunit\tcommune\t1\tXã A\txa\t99\t2026-01-01\t\t\n";
        let plan = parse_units_file(outside).unwrap().plan().unwrap();
        let on = NaiveDate::from_ymd_opt(2026, 1, 1);
        assert_eq!(
            plan.parents[0],
            Some(ParentRef::Stored {
                code: "99".into(),
                on
            })
        );
        let twice = "# ocop-units 1\nunit\tprovince\t75\tX\ttinh\t\t\t\t\nunit\tprovince\t75\tY\ttinh\t\t\t\t\n";
        assert!(refused(twice).message.contains("appears twice"));
        assert_eq!(refused(twice).line, 3);
        let unknown = "# ocop-units 1\nward\t1\n";
        assert!(refused(unknown).message.contains("unknown record `ward`"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text handed in as a units file is parsed or refused with a reason, never a panic,
        /// and what parses also plans or is refused.
        #[test]
        fn any_text_is_parsed_or_refused(text in "(.{0,60}\n){0,30}") {
            if let Ok(file) = parse_units_file(&text) {
                let _ = file.plan();
            }
        }

        /// Lines shaped like the format's own (tab-separated fields) are no different.
        #[test]
        fn tab_separated_noise_is_parsed_or_refused(
            lines in proptest::collection::vec(
                proptest::collection::vec("[a-zA-Z0-9 đĐơ-]{0,12}", 0..10), 0..20)
        ) {
            let text: String = lines.iter().map(|fields| fields.join("\t") + "\n").collect();
            if let Ok(file) = parse_units_file(&text) {
                let _ = file.plan();
            }
        }
    }
}
