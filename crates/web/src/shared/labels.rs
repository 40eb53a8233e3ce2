//! Names of the domain's codes in the reader's language, where more than one capability shows
//! them (the registry's product page offers the evaluation types a dossier is opened for).

use ocop_domain::certificates::Status;
use ocop_domain::dossier::EvaluationType;
use ocop_domain::monitoring::promotion::{COUNTRIES, Platform};
use ocop_domain::sales_points::SalesPointKind;

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

/// A kind of sales point's name (showroom, point of sale, supermarket, e-commerce).
pub fn sales_point_label(kind: SalesPointKind, lang: Lang) -> String {
    lang.t(&format!("sales-kind-{}", kind.as_str().replace('_', "-")))
}

/// The kinds of sales point, for the product page's form.
pub fn sales_point_choices(lang: Lang) -> Vec<(&'static str, String)> {
    SalesPointKind::ALL
        .into_iter()
        .map(|kind| (kind.as_str(), sales_point_label(kind, lang)))
        .collect()
}

/// An e-commerce platform's name (a brand as it is, the two described ones in words).
pub fn platform_label(platform: Platform, lang: Lang) -> String {
    match platform.brand() {
        Some(brand) => brand.to_string(),
        None => lang.t(&format!("platform-{}", platform.as_str().replace('_', "-"))),
    }
}

/// The platforms, for the sales point form.
pub fn platform_choices(lang: Lang) -> Vec<(&'static str, String)> {
    Platform::ALL
        .into_iter()
        .map(|p| (p.as_str(), platform_label(p, lang)))
        .collect()
}

/// A country's name by its code (the code itself for one not in the list).
pub fn country_label(code: &str, lang: Lang) -> String {
    COUNTRIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, vi, en)| lang.pick(vi, en).to_string())
        .unwrap_or_else(|| code.to_string())
}

/// The countries OCOP products go to most, for the export market form.
pub fn country_choices(lang: Lang) -> Vec<(&'static str, String)> {
    COUNTRIES
        .iter()
        .map(|(code, vi, en)| (*code, lang.pick(vi, en).to_string()))
        .collect()
}
