//! Certificate pages: the list in scope (by status, with a chart), a certificate's page (its
//! facts and status today, QR, downloads, revocation, inspections, history), the QR as SVG and
//! PNG for packaging, and the re-evaluation dossier a notice links to.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use ocop_domain::certificates::Status;
use ocop_domain::certificates::inspection::Outcome;
use ocop_domain::criteria::Level;
use ocop_domain::dossier::EvaluationType;
use ocop_render::chart::{Bar, horizontal_bars};
use ocop_render::qr::Qr;
use ocop_store::certificates::{self as store, Certificate};
use ocop_store::clock::today;
use ocop_store::dossiers::{self, Opening};

use super::{
    Allowed, DecisionForm, InspectionForm, RevocationForm, allowed, load, payload_of, rules,
    status_label,
};
use crate::AppState;
use crate::shared::auth::{Session, Viewer, check_csrf};
use crate::shared::error::{ApiPath, AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::history::{HistoryRow, history_rows};
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, Notice, WithCsrf, failed, render};

fn stars(n: u8) -> String {
    "★".repeat(usize::from(n))
}

pub struct CertificateRow {
    pub id: String,
    pub number: String,
    pub product: String,
    pub entity: String,
    pub stars: String,
    pub issued_on: String,
    pub expires_on: String,
    pub status_code: &'static str,
    pub status: String,
}

#[derive(Template)]
#[template(path = "certificates/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<CertificateRow>,
    /// (status code, label, count)
    counts: Vec<(&'static str, String, usize)>,
    chart: String,
    filter: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
}

const STATUSES: [&str; 5] = [
    "active",
    "pending_reevaluation",
    "expired",
    "revoked",
    "superseded",
];

/// `GET /certificates`: the certificates in the viewer's scope, filtered by today's status.
pub async fn certificates_index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let all = store::list(&state.db, &session.scope(), "")
        .await
        .map_err(page_error(lang))?;
    let rules = rules(&state);
    let today = today();
    let with_status: Vec<(Certificate, Status)> = all
        .into_iter()
        .map(|c| {
            let status = c.status(&rules, today);
            (c, status)
        })
        .collect();
    let counts: Vec<(&'static str, String, usize)> = STATUSES
        .iter()
        .map(|code| {
            let label = lang.t(&format!("certificates-count-{}", code.replace('_', "-")));
            let count = with_status
                .iter()
                .filter(|(_, s)| s.code() == *code)
                .count();
            (*code, label, count)
        })
        .collect();
    let bars: Vec<Bar> = counts
        .iter()
        .map(|(code, label, count)| Bar {
            label: label.clone(),
            value: i64::try_from(*count).unwrap_or(0),
            href: Some(format!("/certificates?status={code}")),
        })
        .collect();
    let chart = horizontal_bars(&lang.t("certificates-chart-title"), &bars, format::number);
    let filter = query.status.trim().to_string();
    let rows = with_status
        .iter()
        .filter(|(_, s)| filter.is_empty() || s.code() == filter)
        .map(|(c, s)| CertificateRow {
            id: c.id.clone(),
            number: c.number.clone(),
            product: c.product_name.clone(),
            entity: c.entity_name.clone(),
            stars: stars(c.stars),
            issued_on: format::date(c.timeline.issued_on),
            expires_on: format::date(c.timeline.expires_on),
            status_code: s.code(),
            status: status_label(*s, lang),
        })
        .collect();
    render(
        &ListPage {
            chrome: Chrome::new(&viewer, "certificates"),
            rows,
            counts,
            chart,
            filter,
        },
        lang,
    )
}

pub struct InspectionRow {
    pub inspected_on: String,
    pub kind: String,
    pub level: String,
    pub inspectors: String,
    pub checks: String,
    pub findings: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "certificates/certificate.html")]
struct CertificatePage {
    chrome: Chrome,
    notice: Notice,
    csrf: String,
    id: String,
    number: String,
    product_id: String,
    product: String,
    stars: String,
    status_code: &'static str,
    status: String,
    facts: Vec<(String, String)>,
    verification_url: String,
    allowed: Allowed,
    live: bool,
    /// (the revocation's facts, decided)
    revocation: Option<(Vec<(String, String)>, bool)>,
    grounds: Vec<(String, String)>,
    inspections: Vec<InspectionRow>,
    history: Vec<HistoryRow>,
    reevaluate: bool,
    revocation_form: RevocationForm,
    decision_form: DecisionForm,
    inspection_form: InspectionForm,
}

fn level_label(level: Level, lang: Lang) -> String {
    lang.t(&format!("certificates-authority-{}", level.as_str()))
}

async fn certificate_page_with(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    notice: Notice,
    forms: (RevocationForm, DecisionForm, InspectionForm),
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let user = &session.user;
    let certificate = load(state, user, id).await.map_err(page_error(lang))?;
    let rules = rules(state);
    let today = today();
    let status = certificate.status(&rules, today);
    let payload = payload_of(state, &certificate)
        .await
        .map_err(page_error(lang))?;
    let timeline = &certificate.timeline;
    let mut facts = vec![
        (lang.t("certificates-number"), certificate.number.clone()),
        (
            lang.t("certificates-product-code"),
            certificate.product_code.clone(),
        ),
        (
            lang.t("certificates-entity"),
            certificate.entity_name.clone(),
        ),
        (
            lang.t("certificates-entity-code"),
            certificate.entity_code.clone(),
        ),
        (
            lang.t("certificates-stars"),
            format!("{} ({} ★)", stars(certificate.stars), certificate.stars),
        ),
    ];
    if let Some(score) = certificate.score {
        facts.push((lang.t("certificates-score"), format::score(score)));
    }
    facts.extend([
        (
            lang.t("certificates-criteria-version"),
            certificate.criteria_version.clone(),
        ),
        (
            lang.t("certificates-decision"),
            format!(
                "{} — {}",
                certificate.decision_number, certificate.decision_signer
            ),
        ),
        (
            lang.t("certificates-authority"),
            level_label(certificate.authority, lang),
        ),
        (
            lang.t("certificates-issued-on"),
            format::date(timeline.issued_on),
        ),
        (
            lang.t("certificates-expires-on"),
            format::date(timeline.expires_on),
        ),
    ]);
    if let Some((opens, closes)) = timeline.reevaluation_window(&rules) {
        facts.push((
            lang.t("certificates-window"),
            format!("{} – {}", format::date(opens), format::date(closes)),
        ));
    }
    if let Some(by) = &certificate.superseded_by {
        facts.push((lang.t("certificates-superseded-by"), by.clone()));
    }
    let revocation = store::revocation(&state.db, &certificate.id)
        .await
        .map_err(page_error(lang))?
        .map(|r| {
            let ground = rules
                .revocation_ground(&r.ground)
                .map(|g| format!("{}) {}", g.clause, lang.pick(&g.text_vi, &g.text_en)))
                .unwrap_or_else(|| r.ground.clone());
            let mut rows = vec![
                (lang.t("certificates-ground"), ground),
                (
                    lang.t("certificates-finding"),
                    format!("{} ({})", r.finding_ref, format::date(r.found_on)),
                ),
            ];
            if let Some(deadline) = r.deadline {
                rows.push((lang.t("certificates-deadline"), format::date(deadline)));
            }
            if let (Some(number), Some(on)) = (&r.decision_number, r.decided_on) {
                rows.push((
                    lang.t("certificates-revocation-decision"),
                    format!(
                        "{number} — {} ({})",
                        format::date(on),
                        r.signer.clone().unwrap_or_default()
                    ),
                ));
            }
            (rows, r.decided_on.is_some())
        });
    let grounds = rules
        .revocation_grounds
        .iter()
        .map(|g| {
            (
                g.code.clone(),
                format!("{}) {}", g.clause, lang.pick(&g.text_vi, &g.text_en)),
            )
        })
        .collect();
    let inspections = store::inspections(&state.db, &certificate.id)
        .await
        .map_err(page_error(lang))?
        .into_iter()
        .map(|i| {
            let report = &i.report;
            let outcome = match &report.outcome {
                Outcome::Passed => lang.t("certificates-outcome-passed"),
                Outcome::CorrectiveAction { action, deadline } => format!(
                    "{}: {action} ({} {})",
                    lang.t("certificates-outcome-corrective-action"),
                    lang.t("certificates-by"),
                    format::date(*deadline)
                ),
                Outcome::RevocationProposed { ground } => format!(
                    "{} ({ground})",
                    lang.t("certificates-outcome-revocation-proposed")
                ),
            };
            let yes_no = |ok: bool| {
                lang.t(if ok {
                    "certificates-yes"
                } else {
                    "certificates-no"
                })
            };
            InspectionRow {
                inspected_on: format::date(report.inspected_on),
                kind: lang.t(&format!(
                    "certificates-kind-{}",
                    report.kind.code().replace('_', "-")
                )),
                level: level_label(i.level, lang),
                inspectors: report.inspectors.clone(),
                checks: format!(
                    "{}: {} · {}: {}",
                    lang.t("certificates-criteria-maintained"),
                    yes_no(report.criteria_maintained),
                    lang.t("certificates-mark-used"),
                    yes_no(report.mark_used_correctly)
                ),
                findings: report.findings.clone(),
                outcome,
            }
        })
        .collect();
    let allowed = allowed(user, &certificate);
    let reevaluate = allowed.reevaluate
        && status.is_valid()
        && timeline
            .reevaluation_window(&rules)
            .is_some_and(|(opens, _)| today >= opens);
    let (revocation_form, decision_form, inspection_form) = forms;
    render(
        &CertificatePage {
            chrome: Chrome::new(viewer, "certificates"),
            notice,
            csrf: session.csrf.clone(),
            id: certificate.id.clone(),
            number: certificate.number.clone(),
            product_id: certificate.product_id.clone(),
            product: certificate.product_name.clone(),
            stars: stars(certificate.stars),
            status_code: status.code(),
            status: status_label(status, lang),
            facts,
            verification_url: state.signing.url(&payload),
            allowed,
            live: status.is_valid(),
            revocation,
            grounds,
            inspections,
            history: history_rows(state, "certificate", &certificate.id, lang).await?,
            reevaluate,
            revocation_form,
            decision_form,
            inspection_form,
        },
        lang,
    )
}

/// `GET /certificates/{id}`
pub async fn certificate_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
) -> Result<Html<String>, PageError> {
    certificate_page_with(&state, &viewer, &id, Notice::default(), Default::default()).await
}

/// Runs a certificate form's operation (after its CSRF check), then shows the page with the
/// outcome; problems come back beside their fields, with what was typed.
async fn after_form<F>(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    csrf: &str,
    forms: (RevocationForm, DecisionForm, InspectionForm),
    operation: F,
) -> Result<Response, PageError>
where
    F: AsyncFnOnce(&Certificate, &ocop_store::accounts::User) -> Result<String, AppError>,
{
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, csrf).map_err(page_error(lang))?;
    let certificate = load(state, &session.user, id)
        .await
        .map_err(page_error(lang))?;
    match operation(&certificate, &session.user).await {
        Ok(message) => {
            Ok(
                certificate_page_with(state, viewer, id, Notice::done(message), Default::default())
                    .await?
                    .into_response(),
            )
        }
        Err(error @ AppError::NotFound { .. }) => Err(PageError::new(error, lang)),
        Err(error) => {
            let notice = Notice::from_error(&error, lang);
            let page = certificate_page_with(state, viewer, id, notice, forms).await?;
            Ok(failed(page, &error))
        }
    }
}

/// `POST /certificates/{id}/revocation`: opens a revocation (and decides it when the form
/// carries the decision).
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    Form(form): Form<WithCsrf<RevocationForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let fields = form.fields.clone();
    after_form(
        &state,
        &viewer,
        &id,
        &form.csrf,
        (fields, DecisionForm::default(), InspectionForm::default()),
        async |certificate, user| {
            super::revoke(&state, user, certificate, &form.fields, lang).await
        },
    )
    .await
}

/// `POST /certificates/{id}/revocation/decision`
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    Form(form): Form<WithCsrf<DecisionForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let fields = form.fields.clone();
    after_form(
        &state,
        &viewer,
        &id,
        &form.csrf,
        (RevocationForm::default(), fields, InspectionForm::default()),
        async |certificate, user| {
            super::decide(&state, user, certificate, &form.fields, lang).await
        },
    )
    .await
}

/// `POST /certificates/{id}/inspections`
pub async fn inspect(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    Form(form): Form<WithCsrf<InspectionForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let fields = form.fields.clone();
    after_form(
        &state,
        &viewer,
        &id,
        &form.csrf,
        (RevocationForm::default(), DecisionForm::default(), fields),
        async |certificate, user| {
            super::inspect(&state, user, certificate, &form.fields, lang).await
        },
    )
    .await
}

/// `GET /certificates/{id}/certificate.pdf`: the certificate as printed, with its signed QR.
pub async fn certificate_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let certificate = load(&state, &session.user, &id)
        .await
        .map_err(page_error(lang))?;
    super::documents::certificate_pdf(&state, &certificate)
        .await
        .map_err(page_error(lang))
}

/// The QR of a certificate in scope.
async fn qr_of(state: &AppState, viewer: &Viewer, id: &str) -> Result<Qr, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let certificate = load(state, &session.user, id)
        .await
        .map_err(page_error(lang))?;
    let payload = payload_of(state, &certificate)
        .await
        .map_err(page_error(lang))?;
    Qr::new(&state.signing.url(&payload)).map_err(|error| {
        tracing::error!(%error, "the verification URL does not fit a QR code");
        PageError::new(AppError::Internal, lang)
    })
}

/// `GET /certificates/{id}/qr.svg`: for printing on a package (it scales to any size).
pub async fn qr_svg(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, PageError> {
    let qr = qr_of(&state, &viewer, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        qr.svg(),
    )
        .into_response())
}

/// `GET /certificates/{id}/qr.png`: 10 pixels a module (about 2 cm at 600 dpi for version 8).
pub async fn qr_png(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, PageError> {
    let qr = qr_of(&state, &viewer, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        qr.png(10),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "certificates/reevaluate.html")]
struct ReevaluatePage {
    chrome: Chrome,
    csrf: String,
    id: String,
    number: String,
    product: String,
    window: String,
    expires_on: String,
    source: Option<String>,
}

/// The producer's last dossier of the certificate's product (the one it was recognised on).
async fn last_dossier(
    state: &AppState,
    session: &Session,
    certificate: &Certificate,
) -> Result<Option<String>, AppError> {
    let dossiers = dossiers::list(&state.db, &session.scope(), None).await?;
    Ok(dossiers
        .into_iter()
        .filter(|d| d.product_id == certificate.product_id)
        .max_by_key(|d| d.filed_at_ms)
        .map(|d| d.id))
}

/// `GET /certificates/{id}/reevaluate`: what a re-evaluation dossier will hold, and the button.
pub async fn reevaluate_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let certificate = load(&state, &session.user, &id)
        .await
        .map_err(page_error(lang))?;
    if !allowed(&session.user, &certificate).reevaluate {
        return Err(PageError::forbidden(lang));
    }
    let rules = rules(&state);
    let window = certificate
        .timeline
        .reevaluation_window(&rules)
        .map(|(opens, closes)| format!("{} – {}", format::date(opens), format::date(closes)))
        .unwrap_or_default();
    let source = last_dossier(&state, session, &certificate)
        .await
        .map_err(page_error(lang))?;
    render(
        &ReevaluatePage {
            chrome: Chrome::new(&viewer, "certificates"),
            csrf: session.csrf.clone(),
            id: certificate.id.clone(),
            number: certificate.number.clone(),
            product: certificate.product_name.clone(),
            window,
            expires_on: format::date(certificate.timeline.expires_on),
            source,
        },
        lang,
    )
}

/// `POST /certificates/{id}/reevaluate`: opens the re-evaluation dossier, pre-filled from the
/// last one, and goes to it.
pub async fn reevaluate(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    Form(form): Form<crate::shared::page::CsrfForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    let certificate = load(&state, &session.user, &id)
        .await
        .map_err(page_error(lang))?;
    if !allowed(&session.user, &certificate).reevaluate {
        return Err(PageError::forbidden(lang));
    }
    let status = certificate.status(&rules(&state), today());
    if !status.is_valid() {
        return Err(PageError::new(
            AppError::Unprocessable {
                code: status.code(),
                message: status_label(status, lang),
                details: Vec::new(),
            },
            lang,
        ));
    }
    let scope = session.scope();
    let product = ocop_store::registry::product(&state.db, &scope, &certificate.product_id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| PageError::new(super::not_found(&id), lang))?;
    let opening = Opening {
        evaluation_type: EvaluationType::Reevaluation,
        contact_phone: None,
        criteria_version: state
            .version_for_new_dossier(&product.product_set, EvaluationType::Reevaluation),
        filed_at_ms: None,
    };
    let dossier = match last_dossier(&state, session, &certificate)
        .await
        .map_err(page_error(lang))?
    {
        Some(source) => {
            dossiers::create_from(&state.db, &scope, &source, opening, &session.user.id).await
        }
        None => {
            dossiers::create(
                &state.db,
                &scope,
                &certificate.product_id,
                opening,
                &session.user.id,
            )
            .await
        }
    }
    .map_err(|error| {
        let error = match error {
            dossiers::DossierError::Store(store) => AppError::from(store),
            dossiers::DossierError::NotFound => super::not_found(&id),
            other => AppError::Unprocessable {
                code: "not_possible",
                message: other.to_string(),
                details: Vec::new(),
            },
        };
        PageError::new(error, lang)
    })?;
    Ok(Redirect::to(&format!("/dossiers/{}", dossier.id)).into_response())
}
