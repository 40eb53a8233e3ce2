//! Names of the domain's codes in the reader's language, where more than one capability shows
//! them (the registry's product page offers the evaluation types a dossier is opened for).

use ocop_domain::certificates::Status;
use ocop_domain::dossier::EvaluationType;

use super::i18n::Lang;

/// An evaluation type's name (first time, upgrade, re-evaluation).
pub fn evaluation_label(kind: EvaluationType, lang: Lang) -> String {
    lang.t(&format!("dossier-evaluation-{}", kind.as_str()))
}

/// The evaluation types, for the form that opens a dossier.
pub fn evaluation_choices(lang: Lang) -> Vec<(&'static str, String)> {
    EvaluationType::ALL
        .iter()
        .map(|kind| (kind.as_str(), evaluation_label(*kind, lang)))
        .collect()
}

/// The certificate's status today, as a code and a label (with the pending date).
pub fn status_label(status: Status, lang: Lang) -> String {
    match status {
        Status::PendingReevaluation { until } => lang.t_with(
            "certificates-status-pending-reevaluation",
            &[("until", super::format::date(until).into())],
        ),
        other => lang.t(&format!(
            "certificates-status-{}",
            other.code().replace('_', "-")
        )),
    }
}
