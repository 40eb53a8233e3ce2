//! Which version a dossier is evaluated under: the version in force on the evaluation date,
//! unless that version's transition rules (data, e.g. 26/2026 Điều 12) let a dossier filed
//! before it finish under an earlier one.

use super::{Catalog, Version};
use crate::dossier::EvaluationType;
use chrono::{Days, NaiveDate};

/// A dossier of one of `kinds` filed before `filed_before` and evaluated by `evaluated_by`
/// finishes under version `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: String,
    pub filed_before: NaiveDate,
    pub kinds: Vec<EvaluationType>,
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
        kinds: Vec<EvaluationType>,
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
        kind: EvaluationType,
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
        kind: EvaluationType,
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

    /// The version a dossier opened on `today` for a product of `product_set` is evaluated
    /// under, if that version has the set.
    pub fn version_for_new_dossier(
        &self,
        product_set: &str,
        kind: EvaluationType,
        today: NaiveDate,
    ) -> Option<&Version> {
        self.version_for_evaluation(today, kind, today)
            .filter(|version| version.set(product_set).is_some())
    }
}
