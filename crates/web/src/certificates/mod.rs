//! Certificates: the list and a certificate's page with its history, the QR (SVG, PNG) and the
//! PDF, revocation and inspections, the re-evaluation a notice links to, and the public
//! verification of a scanned QR (online here, offline with `ocop verify` and the keys document).
//!
//! - [`signing`]: the keys a server signs and verifies with;
//! - [`pages`]: HTML; [`api`]: JSON; [`verify`]: the public verification and the keys document;
//! - this file: what people do to a certificate, for pages and API alike, each checked here
//!   (who may) and by the domain (whether it may happen today).

pub mod api;
pub mod documents;
pub mod pages;
pub mod signing;
pub mod verify;

use chrono::NaiveDate;
use serde::Deserialize;

use ocop_domain::access::Role;
use ocop_domain::certificates::CertificateError;
use ocop_domain::certificates::inspection::{self, Kind, Outcome, Report};
use ocop_domain::certificates::revocation::{self, Decision, Finding};
use ocop_domain::criteria::{Level, Procedure};
use ocop_store::accounts::User;
use ocop_store::certificates::{self as store, Certificate, CertificateStoreError};
use ocop_store::clock::today;

use crate::AppState;
use crate::shared::error::AppError;
use crate::shared::format::parse_date;
use crate::shared::i18n::Lang;
pub use crate::shared::labels::status_label;

/// The rules a certificate's lifecycle follows today: those of the version in force (the
/// revocation grounds, the window, Điều 12.3), whatever version it was evaluated under.
pub fn rules(state: &AppState) -> Procedure {
    state.procedure_in_force()
}

/// A certificate within the user's scope, or 404.
pub async fn load(state: &AppState, user: &User, id: &str) -> Result<Certificate, AppError> {
    store::find(&state.db, &user.scope(), id)
        .await?
        .ok_or_else(|| not_found(id))
}

pub fn not_found(key: &str) -> AppError {
    AppError::NotFound {
        code: "certificate_not_found",
        what: "certificate",
        key: key.to_string(),
    }
}

/// What the user may do to a certificate (it is in their scope).
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed {
    pub revoke: bool,
    pub inspect: bool,
    pub reevaluate: bool,
}

pub fn allowed(user: &User, certificate: &Certificate) -> Allowed {
    Allowed {
        revoke: revocation::may_decide(user.role, certificate.authority),
        inspect: inspection::may_inspect(user.role),
        reevaluate: user.role == Role::Producer,
    }
}

fn forbidden(message: &str) -> AppError {
    AppError::Forbidden {
        code: "not_allowed",
        message: message.to_string(),
    }
}

/// A rule's refusal: a field's problem where it names one, else the certificate's state.
fn refused(error: CertificateError, lang: Lang) -> AppError {
    let field = match &error {
        CertificateError::UnknownGround(_) => Some("ground"),
        CertificateError::DecisionBeforeFinding => Some("decided_on"),
        CertificateError::DeadlineBeforeInspection => Some("action_deadline"),
        CertificateError::Missing("the finding's reference") => Some("finding_ref"),
        CertificateError::Missing("the decision's number") => Some("decision_number"),
        CertificateError::Missing("the signer") => Some("signer"),
        CertificateError::Missing("the inspectors") => Some("inspectors"),
        CertificateError::Missing("the findings") => Some("findings"),
        CertificateError::Missing("the corrective action") => Some("action"),
        _ => None,
    };
    let key = format!("certificates-error-{}", error.code().replace('_', "-"));
    match field {
        Some(field) => AppError::invalid_fields(lang, [(field, key.as_str())]),
        None => AppError::Unprocessable {
            code: error.code(),
            message: lang.try_t(&key).unwrap_or_else(|| error.to_string()),
            details: Vec::new(),
        },
    }
}

fn store_error(error: CertificateStoreError, lang: Lang) -> AppError {
    match error {
        CertificateStoreError::Rule(rule) => refused(rule, lang),
        CertificateStoreError::Store(store) => store.into(),
    }
}

/// Reads a date field, or records its problem.
fn date_field<'a>(
    text: &str,
    field: &'a str,
    errors: &mut Vec<(&'a str, &'static str)>,
) -> Option<NaiveDate> {
    match text.trim() {
        "" => {
            errors.push((field, "certificates-error-required"));
            None
        }
        value => parse_date(value).or_else(|| {
            errors.push((field, "certificates-error-date"));
            None
        }),
    }
}

fn required<'a>(text: &str, field: &'a str, errors: &mut Vec<(&'a str, &'static str)>) {
    if text.trim().is_empty() {
        errors.push((field, "certificates-error-required"));
    }
}

/// Revoking, as typed: the finding, and the decision when it is recorded at once.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RevocationForm {
    /// A ground of the rules in force: `a`, `b`, `c`, `d`, `dd` (đ), `e`.
    pub ground: String,
    /// The day of the competent finding (yyyy-mm-dd or dd/mm/yyyy).
    pub found_on: String,
    /// The finding's reference (an inspection's minutes, a conclusion).
    pub finding_ref: String,
    /// With the decision's number, date and signer, the certificate is revoked at once.
    #[serde(default)]
    pub decision_number: String,
    #[serde(default)]
    pub decided_on: String,
    #[serde(default)]
    pub signer: String,
}

/// The decision on an open revocation.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DecisionForm {
    pub decision_number: String,
    /// yyyy-mm-dd or dd/mm/yyyy
    pub decided_on: String,
    pub signer: String,
}

/// Reads a decision's fields, recording their problems beside the caller's.
fn decision_of(
    number: &str,
    decided_on: &str,
    signer: &str,
    errors: &mut Vec<(&'static str, &'static str)>,
) -> Option<Decision> {
    required(number, "decision_number", errors);
    required(signer, "signer", errors);
    let decided_on = date_field(decided_on, "decided_on", errors)?;
    Some(Decision {
        number: number.trim().to_string(),
        decided_on,
        signer: signer.trim().to_string(),
    })
}

/// Opens a revocation (and decides it, when the form carries the decision). Returns the
/// message for the page.
pub async fn revoke(
    state: &AppState,
    user: &User,
    certificate: &Certificate,
    form: &RevocationForm,
    lang: Lang,
) -> Result<String, AppError> {
    if !allowed(user, certificate).revoke {
        return Err(forbidden(match certificate.authority {
            Level::Ministry => "the minister revokes a 5-star certificate",
            _ => "the province revokes its 3- and 4-star certificates",
        }));
    }
    let mut errors = Vec::new();
    required(&form.ground, "ground", &mut errors);
    required(&form.finding_ref, "finding_ref", &mut errors);
    let found_on = date_field(&form.found_on, "found_on", &mut errors);
    let deciding = [&form.decision_number, &form.decided_on, &form.signer]
        .iter()
        .any(|text| !text.trim().is_empty());
    let decision = deciding
        .then(|| {
            decision_of(
                &form.decision_number,
                &form.decided_on,
                &form.signer,
                &mut errors,
            )
        })
        .flatten();
    let Some(found_on) = found_on.filter(|_| errors.is_empty()) else {
        return Err(AppError::invalid_fields(lang, errors));
    };
    let finding = Finding {
        ground: form.ground.trim().to_string(),
        found_on,
        reference: form.finding_ref.trim().to_string(),
    };
    let rules = rules(state);
    match &decision {
        Some(decision) => store::revoke(
            &state.db,
            &rules,
            certificate,
            &finding,
            decision,
            &user.id,
            today(),
        )
        .await
        .map_err(|e| store_error(e, lang))?,
        None => store::open_revocation(&state.db, &rules, certificate, &finding, &user.id, today())
            .await
            .map_err(|e| store_error(e, lang))?,
    }
    Ok(lang.t(if decision.is_some() {
        "certificates-done-revoked"
    } else {
        "certificates-done-revocation-opened"
    }))
}

/// Records the decision on the open revocation.
pub async fn decide(
    state: &AppState,
    user: &User,
    certificate: &Certificate,
    form: &DecisionForm,
    lang: Lang,
) -> Result<String, AppError> {
    if !allowed(user, certificate).revoke {
        return Err(forbidden("only the recognising authority revokes"));
    }
    let mut errors = Vec::new();
    let decision = decision_of(
        &form.decision_number,
        &form.decided_on,
        &form.signer,
        &mut errors,
    );
    let Some(decision) = decision.filter(|_| errors.is_empty()) else {
        return Err(AppError::invalid_fields(lang, errors));
    };
    store::decide_revocation(
        &state.db,
        &rules(state),
        certificate,
        &decision,
        &user.id,
        today(),
    )
    .await
    .map_err(|e| store_error(e, lang))?;
    Ok(lang.t("certificates-done-revoked"))
}

/// A post-certification inspection, as typed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct InspectionForm {
    /// `periodic` or `ad_hoc`
    pub kind: String,
    /// yyyy-mm-dd or dd/mm/yyyy
    pub inspected_on: String,
    pub inspectors: String,
    /// The criteria of the evaluated dossier are kept (Điều 9.3.a): `yes`/`no`.
    #[serde(default)]
    pub criteria_maintained: String,
    /// The mark is used correctly (Điều 9.3.b): `yes`/`no`.
    #[serde(default)]
    pub mark_used_correctly: String,
    pub findings: String,
    /// `passed`, `corrective_action` or `revocation_proposed`
    pub outcome: String,
    /// The corrective action and its deadline (`corrective_action`).
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub action_deadline: String,
    /// The ground proposed (`revocation_proposed`).
    #[serde(default)]
    pub ground: String,
}

fn yes(text: &str) -> bool {
    matches!(text.trim(), "yes" | "on" | "true" | "1")
}

/// Records an inspection: the province's office for its products, the ministry's for any.
pub async fn inspect(
    state: &AppState,
    user: &User,
    certificate: &Certificate,
    form: &InspectionForm,
    lang: Lang,
) -> Result<String, AppError> {
    if !allowed(user, certificate).inspect {
        return Err(forbidden(
            "the province's or the ministry's OCOP office inspects",
        ));
    }
    let level = if user.role == Role::CentralOfficer {
        Level::Ministry
    } else {
        Level::Province
    };
    let mut errors = Vec::new();
    let kind = Kind::parse(form.kind.trim());
    if kind.is_none() {
        errors.push(("kind", "certificates-error-kind"));
    }
    let inspected_on = date_field(&form.inspected_on, "inspected_on", &mut errors);
    required(&form.inspectors, "inspectors", &mut errors);
    required(&form.findings, "findings", &mut errors);
    let outcome = match form.outcome.trim() {
        "passed" => Some(Outcome::Passed),
        "corrective_action" => {
            required(&form.action, "action", &mut errors);
            date_field(&form.action_deadline, "action_deadline", &mut errors).map(|deadline| {
                Outcome::CorrectiveAction {
                    action: form.action.trim().to_string(),
                    deadline,
                }
            })
        }
        "revocation_proposed" => {
            required(&form.ground, "ground", &mut errors);
            Some(Outcome::RevocationProposed {
                ground: form.ground.trim().to_string(),
            })
        }
        _ => {
            errors.push(("outcome", "certificates-error-outcome"));
            None
        }
    };
    let (Some(kind), Some(inspected_on), Some(outcome), true) =
        (kind, inspected_on, outcome, errors.is_empty())
    else {
        return Err(AppError::invalid_fields(lang, errors));
    };
    let report = Report {
        kind,
        inspected_on,
        inspectors: form.inspectors.trim().to_string(),
        criteria_maintained: yes(&form.criteria_maintained),
        mark_used_correctly: yes(&form.mark_used_correctly),
        findings: form.findings.trim().to_string(),
        outcome,
    };
    store::record_inspection(
        &state.db,
        &rules(state),
        certificate,
        level,
        &report,
        &user.id,
        today(),
    )
    .await
    .map_err(|e| store_error(e, lang))?;
    Ok(lang.t("certificates-done-inspected"))
}

/// The signed payload of a certificate (signed on first use, with the key active then).
pub async fn payload_of(state: &AppState, certificate: &Certificate) -> Result<String, AppError> {
    if let Some(payload) = &certificate.payload {
        return Ok(payload.clone());
    }
    let ring = state.signing.keyring(&state.db).await.map_err(key_error)?;
    store::ensure_payload(&state.db, certificate, |claims| ring.sign(claims))
        .await?
        .map_err(key_error)
}

/// A key problem while serving: the installation is misconfigured, never the caller's fault.
pub fn key_error(error: ocop_store::keys::KeyError) -> AppError {
    match error {
        ocop_store::keys::KeyError::Store(store) => store.into(),
        other => {
            tracing::error!(error = %other, "signing keys unavailable");
            AppError::Internal
        }
    }
}
