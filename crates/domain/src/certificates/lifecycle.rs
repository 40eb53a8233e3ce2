//! The notices a certificate's approaching end calls for, and on which day.
//!
//! The decree sets no notice duty; these follow its re-evaluation window (Điều 7.6.a) and our
//! defaults in the version's data: when the window opens, `window_closing_reminder_days` before
//! it closes, `expiry_reminder_days` before expiry, and the day after the last valid day. A sweep
//! sends the latest milestone reached that has not been sent, so a sweep that missed days sends
//! one notice, not a burst; nothing goes out for a certificate that was revoked or superseded,
//! and the window reminders stop once a re-evaluation dossier is filed.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::Timeline;
use crate::criteria::Procedure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    WindowOpens,
    WindowClosing,
    ExpiresSoon,
    Expired,
}

impl Milestone {
    pub const ALL: [Milestone; 4] = [
        Milestone::WindowOpens,
        Milestone::WindowClosing,
        Milestone::ExpiresSoon,
        Milestone::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Milestone::WindowOpens => "window_opens",
            Milestone::WindowClosing => "window_closing",
            Milestone::ExpiresSoon => "expires_soon",
            Milestone::Expired => "expired",
        }
    }

    pub fn parse(code: &str) -> Option<Milestone> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// Whether a filed re-evaluation makes this notice pointless.
    fn asks_to_file(self) -> bool {
        matches!(self, Milestone::WindowOpens | Milestone::WindowClosing)
    }
}

/// The days each milestone falls on, in order (those the rules give).
pub fn schedule(timeline: &Timeline, procedure: &Procedure) -> Vec<(Milestone, NaiveDate)> {
    let mut days = Vec::new();
    if let Some((opens, closes)) = timeline.reevaluation_window(procedure) {
        days.push((Milestone::WindowOpens, opens));
        if let Some(before) = procedure.window_closing_reminder_days {
            days.push((
                Milestone::WindowClosing,
                closes - Days::new(u64::from(before)),
            ));
        }
    }
    if let Some(before) = procedure.expiry_reminder_days {
        days.push((
            Milestone::ExpiresSoon,
            timeline.expires_on - Days::new(u64::from(before)),
        ));
    }
    days.push((Milestone::Expired, timeline.expires_on + Days::new(1)));
    days.retain(|(_, day)| *day > timeline.issued_on);
    days.sort_by_key(|(milestone, day)| (*day, *milestone));
    days
}

/// The milestone a sweep on `today` should announce, if any: the latest reached, unless the
/// certificate ended otherwise or a filed re-evaluation makes it pointless. The caller sends it
/// only if it was not sent before.
pub fn due(timeline: &Timeline, procedure: &Procedure, today: NaiveDate) -> Option<Milestone> {
    if timeline.revoked_on.is_some_and(|d| d <= today)
        || timeline.superseded_on.is_some_and(|d| d <= today)
    {
        return None;
    }
    let (milestone, _) = schedule(timeline, procedure)
        .into_iter()
        .rev()
        .find(|(_, day)| *day <= today)?;
    let filed = timeline.reevaluation_filed_on.is_some_and(|d| d <= today);
    (!(filed && milestone.asks_to_file())).then_some(milestone)
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
            window_closing_reminder_days: Some(7),
            expiry_reminder_days: Some(30),
            pending_validity_days: Some(180),
            ..Procedure::default()
        }
    }

    fn timeline() -> Timeline {
        Timeline {
            issued_on: date(2026, 6, 15),
            expires_on: date(2029, 6, 15),
            ..Timeline::default()
        }
    }

    #[test]
    fn the_schedule_of_a_36_month_certificate() {
        assert_eq!(
            schedule(&timeline(), &rules()),
            vec![
                (Milestone::WindowOpens, date(2028, 12, 17)),
                (Milestone::WindowClosing, date(2029, 2, 8)),
                (Milestone::ExpiresSoon, date(2029, 5, 16)),
                (Milestone::Expired, date(2029, 6, 16)),
            ]
        );
    }

    #[test]
    fn each_milestone_is_due_from_its_day() {
        let rules = rules();
        let t = timeline();
        assert_eq!(due(&t, &rules, date(2028, 12, 16)), None);
        assert_eq!(
            due(&t, &rules, date(2028, 12, 17)),
            Some(Milestone::WindowOpens)
        );
        assert_eq!(
            due(&t, &rules, date(2029, 2, 8)),
            Some(Milestone::WindowClosing)
        );
        assert_eq!(
            due(&t, &rules, date(2029, 5, 15)),
            Some(Milestone::WindowClosing)
        );
        assert_eq!(
            due(&t, &rules, date(2029, 5, 16)),
            Some(Milestone::ExpiresSoon)
        );
        assert_eq!(
            due(&t, &rules, date(2029, 6, 15)),
            Some(Milestone::ExpiresSoon)
        );
        assert_eq!(due(&t, &rules, date(2029, 6, 16)), Some(Milestone::Expired));
        assert_eq!(due(&t, &rules, date(2031, 1, 1)), Some(Milestone::Expired));
    }

    #[test]
    fn nothing_is_due_for_a_revoked_or_superseded_certificate() {
        let rules = rules();
        let revoked = Timeline {
            revoked_on: Some(date(2028, 1, 1)),
            ..timeline()
        };
        assert_eq!(due(&revoked, &rules, date(2029, 6, 16)), None);
        let superseded = Timeline {
            superseded_on: Some(date(2029, 3, 1)),
            ..timeline()
        };
        assert_eq!(
            due(&superseded, &rules, date(2029, 2, 20)),
            Some(Milestone::WindowClosing)
        );
        assert_eq!(due(&superseded, &rules, date(2029, 3, 1)), None);
    }

    #[test]
    fn a_filed_reevaluation_stops_the_window_reminders_not_the_expiry_ones() {
        let rules = rules();
        let filed = Timeline {
            reevaluation_filed_on: Some(date(2029, 1, 5)),
            ..timeline()
        };
        assert_eq!(due(&filed, &rules, date(2029, 2, 8)), None);
        assert_eq!(
            due(&filed, &rules, date(2029, 5, 16)),
            Some(Milestone::ExpiresSoon)
        );
    }

    #[test]
    fn a_short_lived_certificate_skips_milestones_before_its_issue() {
        let t = Timeline {
            issued_on: date(2026, 6, 15),
            expires_on: date(2026, 9, 15),
            ..Timeline::default()
        };
        let codes: Vec<_> = schedule(&t, &rules()).into_iter().map(|(m, _)| m).collect();
        assert_eq!(codes, vec![Milestone::ExpiresSoon, Milestone::Expired]);
    }
}
