//! Dossier pages: a producer opens one for a product and submits it when complete; the commune
//! officer works an inbox and returns (with a reason), accepts, proposes or disqualifies;
//! evidence is uploaded and downloaded here.

use askama::Template;
use axum::Form;
use axum::extract::Multipart;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use fluent_templates::fluent_bundle::FluentValue;
use serde::Deserialize;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Disqualifier, Sheet};
use ocop_domain::dossier::{DossierAction, DossierState, EvaluationType, EvidenceType};
use ocop_store::dossiers::{self, Dossier, DossierError, Opening};
use ocop_store::files::FileError;
use ocop_store::registry;

use super::missing;
use super::review::{Review, forwards_to_ministry, missing_for, review};
use crate::AppState;
use crate::registry::product_pages::{ProductForms, product_page_with};
use crate::shared::auth::{Session, Viewer, check_csrf};
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::history::{HistoryRow, history_rows};
use crate::shared::i18n::Lang;
use crate::shared::labels::evaluation_label;
use crate::shared::page::{Chrome, render};

fn state_label(state: DossierState, lang: Lang) -> String {
    lang.t(&format!("dossier-state-{}", state.as_str()))
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf: String,
    evaluation_type: String,
    #[serde(default)]
    contact_phone: String,
}

/// A producer opens a dossier for one of its products.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(product_id): Path<String>,
    Form(form): Form<CreateForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    if session.user.role != Role::Producer {
        return Err(PageError::forbidden(lang));
    }
    let kind = EvaluationType::parse(&form.evaluation_type).ok_or_else(|| {
        PageError::new(
            AppError::bad_request("invalid_evaluation_type", "unknown evaluation type"),
            lang,
        )
    })?;
    let phone = match ocop_domain::registry::check_phone(&form.contact_phone) {
        Ok(phone) => phone,
        Err(key) => {
            // Shown beside the field on the product's page, with what was typed.
            let forms = ProductForms {
                contact_phone: form.contact_phone.clone(),
                contact_phone_error: Some(lang.t(key)),
                ..Default::default()
            };
            let page = product_page_with(&state, &viewer, &product_id, None, forms).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let scope = session.scope();
    let product = registry::product(&state.db, &scope, &product_id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&product_id, lang))?;
    let opening = Opening {
        evaluation_type: kind,
        contact_phone: phone,
        criteria_version: state.version_for_new_dossier(&product.product_set, kind),
        filed_at_ms: None,
    };
    match dossiers::create(&state.db, &scope, &product_id, opening, &session.user.id).await {
        Ok(dossier) => Ok(Redirect::to(&format!("/dossiers/{}", dossier.id)).into_response()),
        Err(DossierError::NotFound) => Err(not_found(&product_id, lang)),
        Err(error) => Err(PageError::new(store_error(error), lang)),
    }
}

fn store_error(error: DossierError) -> AppError {
    match error {
        DossierError::Store(error) => error.into(),
        other => AppError::bad_request("dossier", other.to_string()),
    }
}

pub(super) fn not_found(id: &str, lang: Lang) -> PageError {
    PageError::new(
        AppError::NotFound {
            code: "dossier_not_found",
            what: "dossier",
            key: id.to_string(),
        },
        lang,
    )
}

pub struct DossierRow {
    pub id: String,
    pub product: String,
    pub evaluation: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "dossiers/dossiers.html")]
struct DossiersPage {
    chrome: Chrome,
    filters: Vec<StateFilter>,
    dossiers: Vec<DossierRow>,
}

#[derive(Deserialize)]
pub struct InboxQuery {
    /// Only the dossiers in this state.
    state: Option<String>,
}

/// The dossiers in the viewer's scope: a producer's own, a commune's inbox, a province's; with
/// a filter by state that shows how many are in each.
pub async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<InboxQuery>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let wanted = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(DossierState::parse(text).ok_or_else(|| {
            PageError::new(
                AppError::bad_request(
                    "invalid_state",
                    format!("unknown dossier state `{text}`: draft, submitted, returned, accepted or proposed"),
                ),
                lang,
            )
        })?),
    };
    let scope = session.scope();
    let all = dossiers::list(&state.db, &scope, None)
        .await
        .map_err(page_error(lang))?;
    let count = |state: Option<DossierState>| {
        all.iter()
            .filter(|d| state.is_none_or(|s| d.state == s))
            .count()
    };
    let filters = std::iter::once(None)
        .chain(DossierState::ALL.into_iter().map(Some))
        .map(|state| StateFilter {
            href: state.map_or("/dossiers".to_string(), |s| {
                format!("/dossiers?state={}", s.as_str())
            }),
            label: state.map_or(lang.t("dossiers-all"), |s| state_label(s, lang)),
            count: count(state),
            current: state == wanted,
        })
        .collect();
    let mut rows = Vec::new();
    for dossier in all
        .into_iter()
        .filter(|d| wanted.is_none_or(|s| d.state == s))
    {
        let product = registry::product(&state.db, &scope, &dossier.product_id)
            .await
            .map_err(page_error(lang))?
            .map(|p| format!("{} ({})", p.name, p.code))
            .unwrap_or_default();
        rows.push(DossierRow {
            id: dossier.id,
            product,
            evaluation: evaluation_label(dossier.evaluation_type, lang),
            state: state_label(dossier.state, lang),
        });
    }
    render(
        &DossiersPage {
            chrome: Chrome::new(&viewer, "dossiers"),
            filters,
            dossiers: rows,
        },
        lang,
    )
}

/// One choice of the inbox's state filter.
pub struct StateFilter {
    pub href: String,
    pub label: String,
    pub count: usize,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "dossiers/dossier.html")]
struct DossierPage {
    chrome: Chrome,
    id: String,
    product_id: String,
    product: String,
    state: String,
    return_reason: Option<String>,
    disqualified: bool,
    /// The sheet's disqualifiers (id, text), for the commune's "disqualify" step.
    disqualifiers: Vec<(String, String)>,
    facts: Vec<(String, String)>,
    missing: Vec<String>,
    /// (evidence id, type label, file name)
    evidence: Vec<(String, String, String)>,
    evidence_types: Vec<(&'static str, String)>,
    upload_label: String,
    /// (action path, button label) the viewer may take now.
    actions: Vec<(&'static str, String)>,
    csrf: String,
    message: Option<String>,
    failed: bool,
    /// The producer may still change it.
    editable: bool,
    /// The commune's report, the pre-assessment, the evaluation record.
    review: Review,
    history: Vec<HistoryRow>,
}

/// The steps a session may take on a dossier in its state.
fn actions_for(session: &Session, state: DossierState, lang: Lang) -> Vec<(&'static str, String)> {
    let mut actions = Vec::new();
    match (session.user.role, state) {
        (Role::Producer, DossierState::Draft | DossierState::Returned) => {
            actions.push(("submit", lang.t("dossier-submit")));
        }
        (Role::CommuneOfficer, DossierState::Submitted) => {
            actions.push(("accept", lang.t("dossier-accept")));
            actions.push(("return", lang.t("dossier-return")));
            actions.push(("disqualify", lang.t("dossier-disqualify")));
        }
        (Role::CommuneOfficer, DossierState::Accepted) => {
            actions.push(("propose", lang.t("dossier-propose")));
            actions.push(("disqualify", lang.t("dossier-disqualify")));
        }
        (Role::ProvincialOfficer, DossierState::Proposed) => {
            actions.push(("take_in", lang.t("dossier-take-in")));
            actions.push(("return_to_commune", lang.t("dossier-return-to-commune")));
        }
        (Role::ProvincialOfficer, DossierState::TakenIn) => {
            actions.push(("return_to_commune", lang.t("dossier-return-to-commune")));
        }
        _ => {}
    }
    actions
}

pub(super) async fn dossier_page_with(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    message: Option<(String, bool)>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let scope = session.scope();
    let dossier = dossiers::find(&state.db, &scope, id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(id, lang))?;
    let product = registry::product(&state.db, &scope, &dossier.product_id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(id, lang))?;
    let missing = missing(state, &dossier)
        .await
        .map_err(|error| PageError::new(error, lang))?
        .iter()
        .map(|item| lang.t(&format!("checklist-{}", item.key())))
        .collect();
    let evidence = dossiers::evidence(&state.db, &dossier.id)
        .await
        .map_err(page_error(lang))?
        .into_iter()
        .map(|e| {
            (
                e.id,
                lang.t(&format!("checklist-{}", e.evidence_type.as_str())),
                e.original_name,
            )
        })
        .collect();
    let facts = vec![
        (lang.t("product-code"), product.code.clone()),
        (
            lang.t("dossier-evaluation"),
            evaluation_label(dossier.evaluation_type, lang),
        ),
        (
            lang.t("product-criteria"),
            format!("{} · {}", dossier.criteria_version, dossier.product_set),
        ),
        (
            lang.t("dossier-contact-phone"),
            dossier.contact_phone.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            lang.t("dossier-self-assessment-total"),
            dossier
                .self_assessment_total
                .map_or("—".into(), |t| t.to_string()),
        ),
    ];
    let (message, failed) = match message {
        Some((text, failed)) => (Some(text), failed),
        None => (None, false),
    };
    let disqualifiers = sheet_of(state, &dossier)
        .map(|sheet| {
            sheet
                .disqualifiers
                .iter()
                .map(|d| (d.id.clone(), d.statement()))
                .collect()
        })
        .unwrap_or_default();
    render(
        &DossierPage {
            chrome: Chrome::new(viewer, "dossiers"),
            id: dossier.id.clone(),
            product_id: product.id.clone(),
            product: product.name.clone(),
            state: state_label(dossier.state, lang),
            return_reason: dossier.return_reason.clone(),
            disqualified: dossier.state == DossierState::Disqualified,
            disqualifiers,
            facts,
            missing,
            evidence,
            evidence_types: EvidenceType::ALL
                .iter()
                .map(|t| (t.as_str(), lang.t(&format!("checklist-{}", t.as_str()))))
                .collect(),
            upload_label: lang.t_with(
                "evidence-file",
                &[(
                    "max",
                    FluentValue::from(state.files.max_bytes() / (1024 * 1024)),
                )],
            ),
            actions: {
                let mut actions = actions_for(session, dossier.state, lang);
                if session.user.role == Role::ProvincialOfficer
                    && dossier.state == DossierState::TakenIn
                    && forwards_to_ministry(state, &dossier)
                        .await
                        .map_err(|error| PageError::new(error, lang))?
                {
                    actions.push(("forward_to_ministry", lang.t("dossier-forward-to-ministry")));
                }
                actions
            },
            csrf: session.csrf.clone(),
            message,
            failed,
            editable: session.user.role == Role::Producer && dossier.state.editable(),
            review: review(state, session, &dossier, lang)
                .await
                .map_err(|error| PageError::new(error, lang))?,
            history: history_rows(state, "dossier", &dossier.id, lang).await?,
        },
        lang,
    )
}

pub async fn dossier_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    dossier_page_with(&state, &viewer, &id, None).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    /// The disqualifier's id (`D1`), for `disqualify`.
    #[serde(default)]
    rule: String,
}

/// The sheet a dossier is scored on.
fn sheet_of<'a>(state: &'a AppState, dossier: &Dossier) -> Option<&'a Sheet> {
    state
        .criteria
        .version(&dossier.criteria_version)?
        .set(&dossier.product_set)
        .map(|set| set.sheet.as_ref())
}

/// Submit, return, accept or propose: the domain's rules decide; refusals say why.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    let action = match action.as_str() {
        "submit" => DossierAction::Submit,
        "return" => DossierAction::Return {
            reason: form.reason.clone(),
        },
        "accept" => DossierAction::Accept,
        "propose" => DossierAction::Propose,
        "disqualify" => DossierAction::Disqualify {
            rule: String::new(),
            reason: form.reason.clone(),
        },
        "take_in" => DossierAction::TakeIn,
        "return_to_commune" => DossierAction::ReturnToCommune {
            reason: form.reason.clone(),
        },
        "forward_to_ministry" => DossierAction::ForwardToMinistry,
        _ => return Err(not_found(&id, lang)),
    };
    let scope = session.scope();
    let dossier = dossiers::find(&state.db, &scope, &id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    // A disqualification names one of the sheet's rules.
    let action = match action {
        DossierAction::Disqualify { reason, .. } => {
            let rule = sheet_of(&state, &dossier)
                .and_then(|sheet| sheet.disqualifier(form.rule.trim()))
                .map(Disqualifier::statement);
            let Some(rule) = rule else {
                let message = lang.t_with(
                    "dossier-error-transition",
                    &[(
                        "detail",
                        FluentValue::from(lang.t("dossier-disqualify-rule-unknown")),
                    )],
                );
                let page = dossier_page_with(&state, &viewer, &id, Some((message, true))).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            };
            DossierAction::Disqualify { rule, reason }
        }
        other => other,
    };
    if action == DossierAction::ForwardToMinistry
        && !forwards_to_ministry(&state, &dossier)
            .await
            .map_err(|error| PageError::new(error, lang))?
    {
        let message = lang.t("dossier-forward-refused");
        let page = dossier_page_with(&state, &viewer, &id, Some((message, true))).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let missing = missing_for(&state, &dossier, &action)
        .await
        .map_err(|error| PageError::new(error, lang))?;
    match dossiers::apply(
        &state.db,
        &scope,
        &id,
        &action,
        session.user.role,
        &missing,
        &session.user.id,
    )
    .await
    {
        Ok(_) => {
            Ok(
                dossier_page_with(&state, &viewer, &id, Some((lang.t("dossier-moved"), false)))
                    .await?
                    .into_response(),
            )
        }
        Err(DossierError::NotFound) => Err(not_found(&id, lang)),
        Err(DossierError::Store(error)) => Err(PageError::new(error.into(), lang)),
        Err(refused) => {
            let detail = match &refused {
                DossierError::Transition(ocop_domain::dossier::TransitionError::Incomplete(
                    items,
                )) => items
                    .iter()
                    .map(|item| lang.t(&format!("checklist-{}", item.key())))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            let message = lang.t_with(
                "dossier-error-transition",
                &[("detail", FluentValue::from(detail))],
            );
            let forbidden = matches!(
                refused,
                DossierError::Transition(ocop_domain::dossier::TransitionError::NotAllowed { .. })
            );
            let page = dossier_page_with(&state, &viewer, &id, Some((message, true))).await?;
            let status = if forbidden {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok((status, page).into_response())
        }
    }
}

/// Uploads a document to a dossier: the content decides its type, identical files are stored
/// once, and problems are shown on the dossier page without losing anything.
pub async fn upload_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let (mut csrf, mut kind, mut criterion, mut expires, mut file) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        None,
    );
    while let Some(field) = multipart.next_field().await.map_err(|error| {
        PageError::new(
            AppError::bad_request("invalid_upload", error.body_text()),
            lang,
        )
    })? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("tai-lieu").to_string();
            let bytes = field.bytes().await.map_err(|error| {
                PageError::new(
                    AppError::bad_request("invalid_upload", error.body_text()),
                    lang,
                )
            })?;
            file = Some((file_name, bytes));
        } else {
            let text = field.text().await.unwrap_or_default();
            match name.as_str() {
                "csrf" => csrf = text,
                "evidence_type" => kind = text,
                "criterion" => criterion = text.trim().to_string(),
                "expires_on" => expires = text.trim().to_string(),
                _ => {}
            }
        }
    }
    check_csrf(session, &csrf).map_err(page_error(lang))?;
    if session.user.role != Role::Producer {
        return Err(PageError::forbidden(lang));
    }
    let refuse = |key: &str, state: &AppState, viewer: &Viewer| {
        let message = lang.t_with(
            key,
            &[(
                "max",
                FluentValue::from(state.files.max_bytes() / (1024 * 1024)),
            )],
        );
        let (state, viewer, id) = (state.clone(), viewer.clone(), id.clone());
        async move {
            let page = dossier_page_with(&state, &viewer, &id, Some((message, true))).await?;
            Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    };
    let evidence_type = EvidenceType::parse(&kind).unwrap_or(EvidenceType::Other);
    let expires_on = match expires.as_str() {
        "" => None,
        text => match chrono::NaiveDate::parse_from_str(text, "%d/%m/%Y")
            .or_else(|_| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        {
            Ok(day) => Some(day),
            Err(_) => return refuse("evidence-error-date", &state, &viewer).await,
        },
    };
    let Some((file_name, bytes)) = file else {
        return refuse("evidence-error-empty", &state, &viewer).await;
    };
    // Only the dossier's own producer, in scope, while it can still be changed.
    let scope = session.scope();
    if dossiers::find(&state.db, &scope, &id)
        .await
        .map_err(page_error(lang))?
        .is_none()
    {
        return Err(not_found(&id, lang));
    }
    let stored = match state.files.put(&state.db, &bytes).await {
        Ok(stored) => stored,
        Err(FileError::TooLarge { .. }) => {
            return refuse("evidence-error-too-large", &state, &viewer).await;
        }
        Err(FileError::UnsupportedType) => {
            return refuse("evidence-error-type", &state, &viewer).await;
        }
        Err(FileError::Empty) => return refuse("evidence-error-empty", &state, &viewer).await,
        Err(other) => return Err(PageError::new(other.into(), lang)),
    };
    let criterion = Some(criterion).filter(|c| !c.is_empty());
    match dossiers::add_evidence(
        &state.db,
        &scope,
        &id,
        evidence_type,
        criterion,
        &stored,
        &file_name,
        expires_on,
        &session.user.id,
    )
    .await
    {
        Ok(evidence) => {
            let message = lang.t_with(
                "evidence-added",
                &[("name", FluentValue::from(evidence.original_name))],
            );
            Ok(
                dossier_page_with(&state, &viewer, &id, Some((message, false)))
                    .await?
                    .into_response(),
            )
        }
        Err(DossierError::NotFound) => Err(not_found(&id, lang)),
        Err(DossierError::Store(error)) => Err(PageError::new(error.into(), lang)),
        Err(other) => {
            let message = lang.t_with(
                "dossier-error-transition",
                &[("detail", FluentValue::from(other.to_string()))],
            );
            let page = dossier_page_with(&state, &viewer, &id, Some((message, true))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Downloads a dossier's document, only for someone who can see the dossier.
pub async fn download_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, evidence_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    dossiers::find(&state.db, &session.scope(), &id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    let evidence = dossiers::evidence(&state.db, &id)
        .await
        .map_err(page_error(lang))?
        .into_iter()
        .find(|e| e.id == evidence_id)
        .ok_or_else(|| not_found(&evidence_id, lang))?;
    let (stored, bytes) = match state.files.get(&state.db, &evidence.file_sha256).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(not_found(&evidence_id, lang)),
        Err(error) => return Err(PageError::new(error.into(), lang)),
    };
    // A name safe in a header: letters, digits, dot, dash, underscore; the type's extension.
    let stem: String = evidence
        .original_name
        .rsplit_once('.')
        .map_or(evidence.original_name.as_str(), |(stem, _)| stem)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let disposition = format!(
        "attachment; filename=\"{stem}.{}\"",
        stored.kind.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, stored.kind.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
