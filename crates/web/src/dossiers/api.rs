//! Dossiers in the JSON API: the same operations as the pages, for machines (bearer tokens) and
//! scripts in a signed-in browser (session + `X-CSRF-Token`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use ocop_domain::access::Role;
use ocop_domain::criteria::{Scorecard, score_card};
use ocop_domain::dossier::{DossierAction, EvaluationType, EvidenceType, TransitionError};
use ocop_store::dossiers::{self, Dossier, DossierError, Evidence, Opening};
use ocop_store::files::FileError;
use ocop_store::registry;

use super::missing;
use crate::AppState;
use crate::shared::auth::{ApiCaller, ApiWriter};
use crate::shared::error::{ApiJson, ApiMultipart, ApiPath, AppError, ErrorDoc};
use crate::shared::i18n::ApiLang;

#[derive(Serialize, utoipa::ToSchema)]
pub struct DossierJson {
    pub id: String,
    pub product_id: String,
    pub entity_id: String,
    pub evaluation_type: &'static str,
    pub state: &'static str,
    pub contact_phone: Option<String>,
    pub criteria_version: String,
    pub product_set: String,
    pub self_assessment_total: Option<i64>,
    pub return_reason: Option<String>,
}

impl From<Dossier> for DossierJson {
    fn from(d: Dossier) -> DossierJson {
        DossierJson {
            id: d.id,
            product_id: d.product_id,
            entity_id: d.entity_id,
            evaluation_type: d.evaluation_type.as_str(),
            state: d.state.as_str(),
            contact_phone: d.contact_phone,
            criteria_version: d.criteria_version,
            product_set: d.product_set,
            self_assessment_total: d.self_assessment_total,
            return_reason: d.return_reason,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EvidenceJson {
    pub id: String,
    pub evidence_type: &'static str,
    pub criterion_code: Option<String>,
    pub file_sha256: String,
    pub original_name: String,
    pub expires_on: Option<NaiveDate>,
}

impl From<Evidence> for EvidenceJson {
    fn from(e: Evidence) -> EvidenceJson {
        EvidenceJson {
            id: e.id,
            evidence_type: e.evidence_type.as_str(),
            criterion_code: e.criterion_code,
            file_sha256: e.file_sha256,
            original_name: e.original_name,
            expires_on: e.expires_on,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DossierDetail {
    #[serde(flatten)]
    pub dossier: DossierJson,
    /// What the checklist still misses (keys such as `self_assessment`, `test_report`).
    pub missing: Vec<&'static str>,
    pub evidence: Vec<EvidenceJson>,
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound {
        code: "dossier_not_found",
        what: "dossier",
        key: id.to_string(),
    }
}

fn dossier_error(error: DossierError, id: &str) -> AppError {
    match error {
        DossierError::NotFound => not_found(id),
        DossierError::Store(error) => error.into(),
        DossierError::Transition(TransitionError::NotAllowed { role, action }) => {
            AppError::Forbidden {
                code: "not_allowed",
                message: format!("a {role} may not {action} a dossier"),
            }
        }
        DossierError::Transition(TransitionError::Incomplete(items)) => AppError::Unprocessable {
            code: "incomplete",
            message: "the dossier is incomplete".into(),
            details: items.iter().map(|i| i.key().to_string()).collect(),
        },
        other => AppError::Unprocessable {
            code: "not_possible",
            message: other.to_string(),
            details: Vec::new(),
        },
    }
}

/// `GET /api/v1/dossiers`: the dossiers in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/dossiers", tag = "dossiers", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<DossierJson>), (status = 401, body = ErrorDoc)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(user): ApiCaller,
) -> Result<Json<Vec<DossierJson>>, AppError> {
    let dossiers = dossiers::list(&state.db, &user.scope(), None).await?;
    Ok(Json(dossiers.into_iter().map(DossierJson::from).collect()))
}

/// `GET /api/v1/dossiers/{id}`: a dossier with its checklist and evidence.
#[utoipa::path(get, path = "/api/v1/dossiers/{id}", tag = "dossiers", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = DossierDetail), (status = 404, body = ErrorDoc)))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(user): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DossierDetail>, AppError> {
    let dossier = dossiers::find(&state.db, &user.scope(), &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    let missing = missing(&state, &dossier)
        .await?
        .iter()
        .map(|i| i.key())
        .collect();
    let evidence = dossiers::evidence(&state.db, &id)
        .await?
        .into_iter()
        .map(EvidenceJson::from)
        .collect();
    Ok(Json(DossierDetail {
        dossier: dossier.into(),
        missing,
        evidence,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewDossier {
    /// first_time, upgrade or reevaluation
    pub evaluation_type: String,
    pub contact_phone: Option<String>,
}

/// `POST /api/v1/products/{id}/dossiers`: a producer opens a dossier for its product.
#[utoipa::path(post, path = "/api/v1/products/{id}/dossiers", tag = "dossiers", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The product")),
    request_body = NewDossier,
    responses(
        (status = 201, body = DossierJson),
        (status = 400, body = ErrorDoc),
        (status = 403, description = "not a producer, or no CSRF token with a session", body = ErrorDoc),
        (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields (fields: contact_phone with its code and message)", body = ErrorDoc),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(product_id): ApiPath<String>,
    ApiJson(body): ApiJson<NewDossier>,
) -> Result<(StatusCode, Json<DossierJson>), AppError> {
    if user.role != Role::Producer {
        return Err(AppError::Forbidden {
            code: "not_allowed",
            message: "only producers open dossiers".into(),
        });
    }
    let kind = EvaluationType::parse(&body.evaluation_type).ok_or_else(|| {
        AppError::bad_request(
            "invalid_evaluation_type",
            "first_time, upgrade or reevaluation",
        )
    })?;
    let phone = ocop_domain::registry::check_phone(body.contact_phone.as_deref().unwrap_or(""))
        .map_err(|key| AppError::invalid_fields(lang, [("contact_phone", key)]))?;
    let product_not_found = || AppError::NotFound {
        code: "product_not_found",
        what: "product",
        key: product_id.clone(),
    };
    let product = registry::product(&state.db, &user.scope(), &product_id)
        .await?
        .ok_or_else(product_not_found)?;
    let opening = Opening {
        evaluation_type: kind,
        contact_phone: phone,
        criteria_version: state.version_for_new_dossier(&product.product_set, kind),
        filed_at_ms: None,
    };
    let dossier = dossiers::create(&state.db, &user.scope(), &product_id, opening, &user.id)
        .await
        .map_err(|e| match e {
            DossierError::NotFound => product_not_found(),
            other => dossier_error(other, &product_id),
        })?;
    Ok((StatusCode::CREATED, Json(dossier.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SelfAssessment {
    /// Criterion code → option number (1-based, in sheet order).
    pub choices: BTreeMap<String, u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfAssessmentResult {
    pub total: u32,
    pub parts: BTreeMap<String, u32>,
}

/// `PUT /api/v1/dossiers/{id}/self-assessment`: the producer's self-assessment, checked on the sheet.
#[utoipa::path(put, path = "/api/v1/dossiers/{id}/self-assessment", tag = "dossiers", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    request_body = SelfAssessment,
    responses(
        (status = 200, body = SelfAssessmentResult),
        (status = 422, description = "invalid_scorecards (details) or not_possible", body = ErrorDoc),
    ))]
pub async fn self_assess(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SelfAssessment>,
) -> Result<Json<SelfAssessmentResult>, AppError> {
    if user.role != Role::Producer {
        return Err(AppError::Forbidden {
            code: "not_allowed",
            message: "only producers self-assess".into(),
        });
    }
    let scope = user.scope();
    let dossier = dossiers::find(&state.db, &scope, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    let entity = registry::find(&state.db, &scope, &dossier.entity_id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    let version = state
        .criteria
        .version(&dossier.criteria_version)
        .ok_or_else(|| not_found(&id))?;
    let set = version
        .set(&dossier.product_set)
        .ok_or_else(|| not_found(&id))?;
    let card = Scorecard {
        member: user.name.clone(),
        choices: body.choices.clone(),
    };
    let scored =
        score_card(version, set, entity.kind, &card).map_err(|errors| AppError::Unprocessable {
            code: "invalid_scorecards",
            message: "the self-assessment does not fit the sheet".into(),
            details: errors.iter().map(|e| e.to_string()).collect(),
        })?;
    dossiers::save_self_assessment(
        &state.db,
        &scope,
        &id,
        &body.choices,
        scored.total,
        &user.id,
    )
    .await
    .map_err(|e| dossier_error(e, &id))?;
    Ok(Json(SelfAssessmentResult {
        total: scored.total,
        parts: scored.parts,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActionRequest {
    /// submit, return, accept, propose, disqualify (the commune's and the producer's steps);
    /// take_in, return_to_commune, forward_to_ministry (the province's; the last only for the
    /// re-evaluation of a 5★ product)
    pub action: String,
    /// Why, for `return`, `return_to_commune` and `disqualify` (at least 10 characters).
    pub reason: Option<String>,
    /// For `disqualify`: the id of one of the sheet's disqualifiers (`D1`, from
    /// `GET /api/v1/criteria/{version}/{set}`).
    pub rule: Option<String>,
}

/// `POST /api/v1/dossiers/{id}/actions`: move the dossier, by the domain's rules.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/actions", tag = "dossiers", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    request_body = ActionRequest,
    responses(
        (status = 200, body = DossierJson),
        (status = 403, description = "not_allowed for this role", body = ErrorDoc),
        (status = 404, body = ErrorDoc),
        (status = 422, description = "incomplete (details: missing items, commune_report for a proposal under 26/2026) or not_possible", body = ErrorDoc),
    ))]
pub async fn act(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Json<DossierJson>, AppError> {
    let action = match body.action.as_str() {
        "submit" => DossierAction::Submit,
        "return" => DossierAction::Return {
            reason: body.reason.unwrap_or_default(),
        },
        "accept" => DossierAction::Accept,
        "propose" => DossierAction::Propose,
        "disqualify" => DossierAction::Disqualify {
            rule: body.rule.clone().unwrap_or_default(),
            reason: body.reason.unwrap_or_default(),
        },
        "take_in" => DossierAction::TakeIn,
        "return_to_commune" => DossierAction::ReturnToCommune {
            reason: body.reason.unwrap_or_default(),
        },
        "forward_to_ministry" => DossierAction::ForwardToMinistry,
        other => {
            return Err(AppError::bad_request(
                "invalid_action",
                format!("unknown action `{other}`"),
            ));
        }
    };
    let scope = user.scope();
    let dossier = dossiers::find(&state.db, &scope, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    // A disqualification names one of the rules of the dossier's sheet.
    let action = match action {
        DossierAction::Disqualify { rule, reason } => {
            let statement = state
                .criteria
                .version(&dossier.criteria_version)
                .and_then(|v| v.set(&dossier.product_set))
                .and_then(|set| set.sheet.disqualifier(rule.trim()))
                .map(|d| d.statement())
                .ok_or_else(|| AppError::Unprocessable {
                    code: "unknown_disqualifier",
                    message: format!(
                        "`{rule}` is not one of the disqualifiers of the dossier's sheet"
                    ),
                    details: Vec::new(),
                })?;
            DossierAction::Disqualify {
                rule: statement,
                reason,
            }
        }
        other => other,
    };
    if action == DossierAction::ForwardToMinistry
        && user.role == Role::ProvincialOfficer
        && !super::review::forwards_to_ministry(&state, &dossier).await?
    {
        return Err(AppError::Unprocessable {
            code: "not_possible",
            message: "only a re-evaluation of a 5★ product goes to the ministry without a provincial council".into(),
            details: Vec::new(),
        });
    }
    let missing = super::review::missing_for(&state, &dossier, &action).await?;
    let moved = dossiers::apply(
        &state.db, &scope, &id, &action, user.role, &missing, &user.id,
    )
    .await
    .map_err(|e| dossier_error(e, &id))?;
    Ok(Json(moved.into()))
}

/// `POST /api/v1/dossiers/{id}/evidence` (multipart: `evidence_type`, optional `criterion` and
/// `expires_on` as YYYY-MM-DD, and `file`): attach a document.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/evidence", tag = "dossiers", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = String, description = "evidence_type, criterion?, expires_on?, file"),
    responses(
        (status = 201, body = EvidenceJson),
        (status = 422, description = "too_large, unsupported_type, empty_file, invalid_date or not_possible", body = ErrorDoc),
        (status = 400, description = "invalid_upload (not multipart/form-data, or a broken part)", body = ErrorDoc),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
    ApiMultipart(mut multipart): ApiMultipart,
) -> Result<(StatusCode, Json<EvidenceJson>), AppError> {
    if user.role != Role::Producer {
        return Err(AppError::Forbidden {
            code: "not_allowed",
            message: "only producers add evidence".into(),
        });
    }
    let (mut kind, mut criterion, mut expires, mut file) = (String::new(), None, None, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::bad_request("invalid_upload", e.body_text()))?
    {
        match field.name().unwrap_or_default() {
            "file" => {
                let name = field.file_name().unwrap_or("tai-lieu").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::bad_request("invalid_upload", e.body_text()))?;
                file = Some((name, bytes));
            }
            "evidence_type" => kind = field.text().await.unwrap_or_default(),
            "criterion" => {
                criterion =
                    Some(field.text().await.unwrap_or_default()).filter(|c| !c.trim().is_empty())
            }
            "expires_on" => {
                expires =
                    Some(field.text().await.unwrap_or_default()).filter(|c| !c.trim().is_empty())
            }
            _ => {}
        }
    }
    let unprocessable = |code: &'static str, message: String| AppError::Unprocessable {
        code,
        message,
        details: Vec::new(),
    };
    let evidence_type = EvidenceType::parse(&kind).ok_or_else(|| {
        unprocessable(
            "invalid_evidence_type",
            format!("unknown evidence type `{kind}`"),
        )
    })?;
    let expires_on = expires
        .map(|text| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d"))
        .transpose()
        .map_err(|_| unprocessable("invalid_date", "expires_on must be YYYY-MM-DD".into()))?;
    let (name, bytes) = file.ok_or_else(|| unprocessable("empty_file", "no file".into()))?;
    let scope = user.scope();
    dossiers::find(&state.db, &scope, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    let stored = state
        .files
        .put(&state.db, &bytes)
        .await
        .map_err(|error| match error {
            FileError::TooLarge { .. } => unprocessable("too_large", error.to_string()),
            FileError::UnsupportedType => unprocessable("unsupported_type", error.to_string()),
            FileError::Empty => unprocessable("empty_file", error.to_string()),
            other => other.into(),
        })?;
    let evidence = dossiers::add_evidence(
        &state.db,
        &scope,
        &id,
        evidence_type,
        criterion,
        &stored,
        &name,
        expires_on,
        &user.id,
    )
    .await
    .map_err(|e| dossier_error(e, &id))?;
    Ok((StatusCode::CREATED, Json(evidence.into())))
}

/// `PUT /api/v1/dossiers/{id}/report`: the commune's Mẫu 03 report on four points (commune
/// officers, while the dossier is submitted or accepted).
#[utoipa::path(put, path = "/api/v1/dossiers/{id}/report", tag = "dossiers", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    request_body(content = Object, description = "local_materials, local_labour, idea_origin, local_identity: each at least 10 characters"),
    responses(
        (status = 204),
        (status = 403, description = "not_allowed", body = ErrorDoc),
        (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields or not_possible (wrong state)", body = ErrorDoc),
    ))]
pub async fn report(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(report): ApiJson<ocop_domain::dossier::CommuneReport>,
) -> Result<StatusCode, AppError> {
    dossiers::find(&state.db, &user.scope(), &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    super::review::write_report(&state, &user, &id, &report, lang).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/dossiers/{id}/pre-assessment`: the province's advisory group pre-assesses a
/// dossier it took in: samples received, site visit, an optional preliminary card.
#[utoipa::path(put, path = "/api/v1/dossiers/{id}/pre-assessment", tag = "dossiers", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    request_body = super::review::PreAssessmentForm,
    responses(
        (status = 204),
        (status = 403, description = "not_allowed", body = ErrorDoc),
        (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields or not_possible (wrong state)", body = ErrorDoc),
    ))]
pub async fn pre_assessment(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<super::review::PreAssessmentForm>,
) -> Result<StatusCode, AppError> {
    super::review::pre_assess(&state, &user, &id, &form, lang).await?;
    Ok(StatusCode::NO_CONTENT)
}
