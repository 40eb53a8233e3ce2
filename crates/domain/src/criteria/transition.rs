//! Which version a dossier is evaluated under: the version in force on the evaluation date,
//! unless that version's transition rules (data, e.g. 26/2026 Điều 12) let a dossier filed
//! before it finish under an earlier one.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Catalog, Version};

/// The registration form's type (Mẫu 01: Lần đầu / Nâng hạng / Đánh giá lại).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationKind {
    /// Lần đầu: a first ranking.
    First,
    /// Nâng hạng: an upgrade of a recognised product.
    Upgrade,
    /// Đánh giá lại / phân hạng lại: the re-ranking before a certificate expires.
    Reevaluation,
}

impl EvaluationKind {
    pub const ALL: [EvaluationKind; 3] = [
        EvaluationKind::First,
        EvaluationKind::Upgrade,
        EvaluationKind::Reevaluation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvaluationKind::First => "first",
            EvaluationKind::Upgrade => "upgrade",
            EvaluationKind::Reevaluation => "reevaluation",
        }
    }

    pub fn parse(text: &str) -> Option<EvaluationKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The message id of its label (`evaluation-first` …).
    pub fn message_id(self) -> &'static str {
        match self {
            EvaluationKind::First => "evaluation-first",
            EvaluationKind::Upgrade => "evaluation-upgrade",
            EvaluationKind::Reevaluation => "evaluation-reevaluation",
        }
    }
}

/// A dossier of one of `kinds` filed before `filed_before` and evaluated by `evaluated_by`
/// finishes under version `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: String,
    pub filed_before: NaiveDate,
    pub kinds: Vec<EvaluationKind>,
    /// Counted from the version's `effective_from`, the first day not counted (60 days from
    /// 22/05/2026 end on 21/07/2026).
    pub within_days: u32,
    /// The last evaluation date the rule covers.
    pub evaluated_by: NaiveDate,
}

impl Transition {
    pub(crate) fn new(
        from: String,
        filed_before: NaiveDate,
        kinds: Vec<EvaluationKind>,
        within_days: u32,
        counted_from: NaiveDate,
    ) -> Transition {
        let evaluated_by = counted_from
            .checked_add_days(Days::new(u64::from(within_days)))
            .unwrap_or(NaiveDate::MAX);
        Transition {
            from,
            filed_before,
            kinds,
            within_days,
            evaluated_by,
        }
    }

    pub fn covers(
        &self,
        filed_on: NaiveDate,
        kind: EvaluationKind,
        evaluated_on: NaiveDate,
    ) -> bool {
        filed_on < self.filed_before
            && self.kinds.contains(&kind)
            && evaluated_on <= self.evaluated_by
    }
}

impl Catalog {
    /// The version a dossier filed on `filed_on` is evaluated under on `evaluated_on`.
    pub fn version_for_evaluation(
        &self,
        filed_on: NaiveDate,
        kind: EvaluationKind,
        evaluated_on: NaiveDate,
    ) -> Option<&Version> {
        let current = self.in_force_on(evaluated_on)?;
        current
            .transitions
            .iter()
            .find(|t| t.covers(filed_on, kind, evaluated_on))
            .and_then(|t| self.version(&t.from))
            .or(Some(current))
    }
}
