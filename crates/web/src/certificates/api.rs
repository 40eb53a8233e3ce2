//! Certificates in the JSON API: the list and one certificate with its status today, revocation
//! and inspections, and the same changes as the pages.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use ocop_domain::certificates::Status;
use ocop_domain::certificates::inspection::Outcome;
use ocop_store::accounts::User;
use ocop_store::certificates::{self as store, Certificate};
use ocop_store::clock::today;

use super::{DecisionForm, InspectionForm, RevocationForm, load, payload_of, rules};
use crate::AppState;
use crate::shared::auth::{ApiCaller, ApiWriter};
use crate::shared::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorDoc};
use crate::shared::i18n::ApiLang;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CertificateJson {
    pub id: String,
    pub number: String,
    pub product_id: String,
    pub product_code: String,
    pub product_name: String,
    pub entity_id: String,
    pub entity_name: String,
    pub stars: u8,
    /// The council's mean, two decimals.
    pub score: Option<String>,
    pub criteria_version: String,
    pub decision_number: String,
    /// province or ministry: who recognised the star and revokes it.
    pub authority: &'static str,
    pub issued_on: String,
    pub expires_on: String,
    /// Today: active, pending_reevaluation, expired, revoked, superseded.
    pub status: &'static str,
    /// Pending re-evaluation: valid until this day at most (Điều 12.3).
    pub valid_until: Option<String>,
    pub superseded_by: Option<String>,
    pub revoked_on: Option<String>,
}

impl CertificateJson {
    pub fn of(certificate: &Certificate, status: Status) -> CertificateJson {
        let t = &certificate.timeline;
        CertificateJson {
            id: certificate.id.clone(),
            number: certificate.number.clone(),
            product_id: certificate.product_id.clone(),
            product_code: certificate.product_code.clone(),
            product_name: certificate.product_name.clone(),
            entity_id: certificate.entity_id.clone(),
            entity_name: certificate.entity_name.clone(),
            stars: certificate.stars,
            score: certificate
                .score
                .map(|s| format!("{}.{:02}", s / 100, s % 100)),
            criteria_version: certificate.criteria_version.clone(),
            decision_number: certificate.decision_number.clone(),
            authority: certificate.authority.as_str(),
            issued_on: t.issued_on.to_string(),
            expires_on: t.expires_on.to_string(),
            status: status.code(),
            valid_until: match status {
                Status::PendingReevaluation { until } => Some(until.to_string()),
                _ => None,
            },
            superseded_by: certificate.superseded_by.clone(),
            revoked_on: t.revoked_on.map(|d| d.to_string()),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevocationJson {
    pub ground: String,
    pub found_on: String,
    pub finding_ref: String,
    /// The 15-day deadline from the finding (Điều 8.4).
    pub deadline: Option<String>,
    pub decision_number: Option<String>,
    pub decided_on: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InspectionJson {
    pub kind: &'static str,
    /// province or ministry
    pub level: &'static str,
    pub inspected_on: String,
    pub inspectors: String,
    pub criteria_maintained: bool,
    pub mark_used_correctly: bool,
    pub findings: String,
    /// passed, corrective_action, revocation_proposed
    pub outcome: &'static str,
    pub action: Option<String>,
    pub action_deadline: Option<String>,
    pub ground: Option<String>,
}

impl RevocationJson {
    fn of(r: store::Revocation) -> RevocationJson {
        RevocationJson {
            ground: r.ground,
            found_on: r.found_on.to_string(),
            finding_ref: r.finding_ref,
            deadline: r.deadline.map(|d| d.to_string()),
            decision_number: r.decision_number,
            decided_on: r.decided_on.map(|d| d.to_string()),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CertificateDetail {
    #[serde(flatten)]
    pub certificate: CertificateJson,
    /// The QR's verification URL (its signed payload after `/v/`).
    pub verification_url: String,
    pub revocation: Option<RevocationJson>,
    pub inspections: Vec<InspectionJson>,
}

async fn detail(state: &AppState, user: &User, id: &str) -> Result<CertificateDetail, AppError> {
    let certificate = load(state, user, id).await?;
    let status = certificate.status(&rules(state), today());
    let payload = payload_of(state, &certificate).await?;
    let revocation = store::revocation(&state.db, &certificate.id)
        .await?
        .map(RevocationJson::of);
    let inspections = store::inspections(&state.db, &certificate.id)
        .await?
        .into_iter()
        .map(|i| {
            let r = i.report;
            let (action, action_deadline, ground) = match &r.outcome {
                Outcome::Passed => (None, None, None),
                Outcome::CorrectiveAction { action, deadline } => {
                    (Some(action.clone()), Some(deadline.to_string()), None)
                }
                Outcome::RevocationProposed { ground } => (None, None, Some(ground.clone())),
            };
            InspectionJson {
                kind: r.kind.code(),
                level: i.level.as_str(),
                inspected_on: r.inspected_on.to_string(),
                inspectors: r.inspectors,
                criteria_maintained: r.criteria_maintained,
                mark_used_correctly: r.mark_used_correctly,
                findings: r.findings,
                outcome: r.outcome.code(),
                action,
                action_deadline,
                ground,
            }
        })
        .collect();
    Ok(CertificateDetail {
        certificate: CertificateJson::of(&certificate, status),
        verification_url: state.signing.url(&payload),
        revocation,
        inspections,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only certificates with this status today.
    #[serde(default)]
    pub status: Option<String>,
    /// Only this product's certificates.
    #[serde(default)]
    pub product_id: Option<String>,
}

/// `GET /api/v1/certificates`: certificates in the caller's scope with their status today.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates", security(("bearer" = []), ("session" = [])),
    params(ListQuery), responses((status = 200, body = [CertificateJson]), (status = 401, body = ErrorDoc)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(user): ApiCaller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<CertificateJson>>, AppError> {
    let rules = rules(&state);
    let today = today();
    let all = store::list(
        &state.db,
        &user.scope(),
        query.product_id.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(
        all.iter()
            .map(|c| CertificateJson::of(c, c.status(&rules, today)))
            .filter(|c| query.status.as_deref().is_none_or(|s| s == c.status))
            .collect(),
    ))
}

/// `GET /api/v1/certificates/{id}`: by its number (`OCOP-75-2026-00012`) for everyone, as
/// printed on packages; by its id within the caller's scope, with the findings of inspections.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates", security((), ("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "A certificate number (public: status and facts, no inspections) or a certificate id (in scope)")),
    responses((status = 200, description = "The certificate with its status today", body = CertificateDetail),
        (status = 401, description = "An id without a sign-in", body = ErrorDoc),
        (status = 404, description = "No such certificate (`certificate_not_found`)", body = ErrorDoc)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Result<ApiCaller, AppError>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CertificateDetail>, AppError> {
    if id
        .parse::<ocop_domain::certificates::CertificateNumber>()
        .is_ok()
    {
        return Ok(Json(public_detail(&state, &id).await?));
    }
    let ApiCaller(user) = caller?;
    Ok(Json(detail(&state, &user, &id).await?))
}

/// What anyone may know of a certificate from its number: the facts, the status today and a
/// decided revocation (a public decision); not the inspections' findings.
async fn public_detail(state: &AppState, number: &str) -> Result<CertificateDetail, AppError> {
    let published = state
        .published
        .by_number(&state.read_db, &state.read_revisions, number)
        .await?
        .ok_or_else(|| super::not_found(number))?;
    let certificate = &published.certificate;
    let status = certificate.status(&rules(state), today());
    let revocation = published.revocation.clone().map(RevocationJson::of);
    Ok(CertificateDetail {
        verification_url: format!("{}/v/{}", state.signing.base_url, certificate.number),
        certificate: CertificateJson::of(certificate, status),
        revocation,
        inspections: Vec::new(),
    })
}

/// `POST /api/v1/certificates/{id}/revocation`: opens a revocation on a finding; with the
/// decision's number, date and signer the certificate is revoked at once, everywhere.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/revocation", tag = "certificates", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = RevocationForm,
    responses((status = 200, body = CertificateDetail), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields (ground, found_on, finding_ref, decision_number, decided_on, signer), already_revoked, revocation_open, superseded, expired, future_date, before_issue", body = ErrorDoc)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<RevocationForm>,
) -> Result<Json<CertificateDetail>, AppError> {
    let certificate = load(&state, &user, &id).await?;
    super::revoke(&state, &user, &certificate, &form, lang).await?;
    Ok(Json(detail(&state, &user, &id).await?))
}

/// `POST /api/v1/certificates/{id}/revocation/decision`: the decision on the open revocation.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/revocation/decision", tag = "certificates", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = DecisionForm,
    responses((status = 200, body = CertificateDetail), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields (decision_number, decided_on, signer), no_open_revocation, already_revoked", body = ErrorDoc)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<DecisionForm>,
) -> Result<Json<CertificateDetail>, AppError> {
    let certificate = load(&state, &user, &id).await?;
    super::decide(&state, &user, &certificate, &form, lang).await?;
    Ok(Json(detail(&state, &user, &id).await?))
}

/// `POST /api/v1/certificates/{id}/inspections`: a post-certification inspection (Điều 9).
#[utoipa::path(post, path = "/api/v1/certificates/{id}/inspections", tag = "certificates", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = InspectionForm,
    responses((status = 200, body = CertificateDetail), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields (kind, inspected_on, inspectors, findings, outcome, action, action_deadline, ground), expired, superseded, already_revoked", body = ErrorDoc)))]
pub async fn inspect(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<InspectionForm>,
) -> Result<Json<CertificateDetail>, AppError> {
    let certificate = load(&state, &user, &id).await?;
    super::inspect(&state, &user, &certificate, &form, lang).await?;
    Ok(Json(detail(&state, &user, &id).await?))
}
