//! The rounds calendar of QĐ 26/2026 Điều 5: at least two rounds a year at each level, each
//! held before a deadline, for dossiers proposed before a cut-off.
//!
//! - Province: round 1 before 30/6 (communes' proposals before 30/4), round 2 before 30/12
//!   (proposals before 30/10).
//! - Ministry: round 1 before 30/9 (provinces' proposals before 30/7), round 2 before 30/3 of the
//!   next year (proposals before 30/01 of that year: the decree does not give the year, this is
//!   the reading that keeps the rounds six months apart; docs/rounds.md).
//!
//! "Trước ngày" is read strictly: a round held on 30/6 is late for round 1. Extra rounds are
//! allowed only when the council's rules provide for them, so a third round in a year is
//! warned about, not refused.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::criteria::Level;

/// One of a level's two yearly rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// The programme year it belongs to.
    pub year: i32,
    /// 1 or 2.
    pub number: u8,
    /// The round must be held before this day.
    pub held_before: NaiveDate,
    /// For dossiers proposed before this day.
    pub proposed_before: NaiveDate,
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid calendar date")
}

/// The two windows of `year` at `level` (none for levels that hold no rounds since 2025).
pub fn windows(level: Level, year: i32) -> Vec<Window> {
    match level {
        Level::Province => vec![
            Window {
                year,
                number: 1,
                held_before: day(year, 6, 30),
                proposed_before: day(year, 4, 30),
            },
            Window {
                year,
                number: 2,
                held_before: day(year, 12, 30),
                proposed_before: day(year, 10, 30),
            },
        ],
        Level::Ministry => vec![
            Window {
                year,
                number: 1,
                held_before: day(year, 9, 30),
                proposed_before: day(year, 7, 30),
            },
            Window {
                year,
                number: 2,
                held_before: day(year + 1, 3, 30),
                proposed_before: day(year + 1, 1, 30),
            },
        ],
        Level::Commune | Level::District => Vec::new(),
    }
}

/// The window a round held on `date` counts for: the first whose deadline is after it.
pub fn window_for(level: Level, date: NaiveDate) -> Option<Window> {
    (date.year() - 1..=date.year() + 1)
        .flat_map(|year| windows(level, year))
        .find(|window| date < window.held_before)
}

/// Something about a round's timing the office should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable: `extra_round`, `proposed_after_cutoff`, `window_missed`, `window_due`.
    pub code: &'static str,
    pub message_vi: String,
    pub message_en: String,
}

fn dmy(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// Warnings for a round held on `meeting` with products proposed on `proposed` (by code),
/// given the meeting dates of the level's other rounds in the same area.
pub fn round_warnings(
    level: Level,
    meeting: NaiveDate,
    other_meetings: &[NaiveDate],
    proposed: &[(String, NaiveDate)],
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let Some(window) = window_for(level, meeting) else {
        return warnings;
    };
    let same_window = other_meetings
        .iter()
        .filter(|other| window_for(level, **other) == Some(window))
        .count();
    if same_window > 0 {
        warnings.push(Warning {
            code: "extra_round",
            message_vi: format!(
                "Đợt bổ sung trong đợt {} năm {}: chỉ được tổ chức khi Quy chế của Hội đồng quy định và có kế hoạch (Điều 5)",
                window.number, window.year
            ),
            message_en: format!(
                "An extra round in window {} of {}: allowed only if the council's rules provide for it and there is a plan (Điều 5)",
                window.number, window.year
            ),
        });
    }
    for (code, date) in proposed {
        if *date >= window.proposed_before {
            warnings.push(Warning {
                code: "proposed_after_cutoff",
                message_vi: format!(
                    "{code} được đề nghị ngày {}, sau hạn {} của đợt {} (Điều 5): thuộc đợt sau",
                    dmy(*date),
                    dmy(window.proposed_before),
                    window.number
                ),
                message_en: format!(
                    "{code} was proposed on {}, after the {} cut-off of round {} (Điều 5): it belongs to the next round",
                    dmy(*date),
                    dmy(window.proposed_before),
                    window.number
                ),
            });
        }
    }
    warnings
}

/// A level's windows of `year` against the rounds held (meeting dates), as of `today`.
#[derive(Debug, Clone, Serialize)]
pub struct WindowStatus {
    pub window: Window,
    pub rounds: usize,
    pub warning: Option<Warning>,
}

pub fn year_status(
    level: Level,
    year: i32,
    meetings: &[NaiveDate],
    today: NaiveDate,
) -> Vec<WindowStatus> {
    windows(level, year)
        .into_iter()
        .map(|window| {
            let rounds = meetings
                .iter()
                .filter(|m| window_for(level, **m) == Some(window))
                .count();
            let warning = if rounds > 0 {
                None
            } else if today >= window.held_before {
                Some(Warning {
                    code: "window_missed",
                    message_vi: format!(
                        "Không có đợt {} năm {} trước ngày {} (Điều 5)",
                        window.number,
                        window.year,
                        dmy(window.held_before)
                    ),
                    message_en: format!(
                        "No round {} of {} was held before {} (Điều 5)",
                        window.number,
                        window.year,
                        dmy(window.held_before)
                    ),
                })
            } else if (window.held_before - today).num_days() <= 60 {
                Some(Warning {
                    code: "window_due",
                    message_vi: format!(
                        "Đợt {} năm {} phải tổ chức trước ngày {}: còn {} ngày",
                        window.number,
                        window.year,
                        dmy(window.held_before),
                        (window.held_before - today).num_days()
                    ),
                    message_en: format!(
                        "Round {} of {} must be held before {}: {} days left",
                        window.number,
                        window.year,
                        dmy(window.held_before),
                        (window.held_before - today).num_days()
                    ),
                })
            } else {
                None
            };
            WindowStatus {
                window,
                rounds,
                warning,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn province_windows_read_strictly() {
        let w = window_for(Level::Province, day(2026, 6, 29)).unwrap();
        assert_eq!((w.year, w.number), (2026, 1));
        // 30/6 is not "before 30/6": the meeting counts for round 2.
        let w = window_for(Level::Province, day(2026, 6, 30)).unwrap();
        assert_eq!((w.year, w.number), (2026, 2));
        let w = window_for(Level::Province, day(2026, 12, 31)).unwrap();
        assert_eq!((w.year, w.number), (2027, 1));
    }

    #[test]
    fn the_ministrys_second_round_is_in_march_of_the_next_year() {
        let w = window_for(Level::Ministry, day(2027, 3, 10)).unwrap();
        assert_eq!((w.year, w.number), (2026, 2));
        assert_eq!(w.proposed_before, day(2027, 1, 30));
        let w = window_for(Level::Ministry, day(2026, 9, 1)).unwrap();
        assert_eq!((w.year, w.number), (2026, 1));
        assert_eq!(w.proposed_before, day(2026, 7, 30));
        assert!(window_for(Level::District, day(2026, 9, 1)).is_none());
    }

    #[test]
    fn late_proposals_and_extra_rounds_are_warned_about() {
        let warnings = round_warnings(
            Level::Province,
            day(2026, 6, 20),
            &[day(2026, 3, 15)],
            &[
                ("75-1".into(), day(2026, 4, 29)),
                ("75-2".into(), day(2026, 4, 30)),
            ],
        );
        let codes: Vec<&str> = warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["extra_round", "proposed_after_cutoff"]);
        assert!(warnings[1].message_vi.contains("75-2"));
        assert!(warnings[1].message_vi.contains("30/04/2026"));
        // A round in the other window is not extra.
        let warnings = round_warnings(Level::Province, day(2026, 11, 20), &[day(2026, 3, 15)], &[]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn missed_and_due_windows() {
        let status = year_status(
            Level::Province,
            2026,
            &[day(2026, 11, 20)],
            day(2026, 12, 2),
        );
        assert_eq!(
            status[0].warning.as_ref().map(|w| w.code),
            Some("window_missed")
        );
        assert_eq!(status[1].rounds, 1);
        assert!(status[1].warning.is_none());
        let status = year_status(Level::Province, 2026, &[], day(2026, 12, 2));
        let due = status[1].warning.as_ref().unwrap();
        assert_eq!(due.code, "window_due");
        assert!(
            due.message_en.contains("28 days left"),
            "{}",
            due.message_en
        );
    }
}
