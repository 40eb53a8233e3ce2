//! The forms of a dossier's review on its page: the commune's Mẫu 03 report and the advisory
//! group's pre-assessment (the rules and data are in `review.rs`).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use ocop_domain::dossier::CommuneReport;
use ocop_store::dossiers;

use super::pages::{dossier_page_with, not_found};
use super::review::{PreAssessmentForm, pre_assess, write_report};
use crate::AppState;
use crate::shared::auth::{Viewer, check_csrf};
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::page::form_field;

/// Shows the dossier page after one of its forms.
async fn after_form(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    outcome: Result<String, AppError>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    match outcome {
        Ok(message) => Ok(dossier_page_with(state, viewer, id, Some((message, false)))
            .await?
            .into_response()),
        Err(AppError::Forbidden { .. }) => Err(PageError::forbidden(lang)),
        Err(error @ AppError::NotFound { .. }) => Err(PageError::new(error, lang)),
        Err(AppError::InvalidFields { fields }) => {
            let message = fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}",
                        lang.t(&format!("field-label-{}", f.field)),
                        f.message
                    )
                })
                .collect::<Vec<_>>()
                .join(" · ");
            let page = dossier_page_with(state, viewer, id, Some((message, true))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(error) => {
            let page =
                dossier_page_with(state, viewer, id, Some((error.to_string(), true))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /dossiers/{id}/report`: the commune's Mẫu 03 report.
pub async fn save_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, form_field(&fields, "csrf")).map_err(page_error(lang))?;
    if dossiers::find(&state.db, &session.scope(), &id)
        .await
        .map_err(page_error(lang))?
        .is_none()
    {
        return Err(not_found(&id, lang));
    }
    let report = CommuneReport {
        local_materials: form_field(&fields, "local_materials").to_string(),
        local_labour: form_field(&fields, "local_labour").to_string(),
        idea_origin: form_field(&fields, "idea_origin").to_string(),
        local_identity: form_field(&fields, "local_identity").to_string(),
    };
    let outcome = write_report(&state, &session.user, &id, &report, lang)
        .await
        .map(|()| lang.t("report-saved"));
    after_form(&state, &viewer, &id, outcome).await
}

/// `POST /dossiers/{id}/pre-assessment`: the advisory group's pre-assessment.
pub async fn save_pre_assessment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, form_field(&fields, "csrf")).map_err(page_error(lang))?;
    let samples = form_field(&fields, "samples_received").trim();
    let samples_received = if samples.is_empty() {
        None
    } else {
        match samples.parse() {
            Ok(count) => Some(count),
            Err(_) => {
                let error =
                    AppError::invalid_fields(lang, [("samples_received", "rounds-error-number")]);
                return after_form(&state, &viewer, &id, Err(error)).await;
            }
        }
    };
    let form = PreAssessmentForm {
        samples_received,
        samples_received_on: Some(form_field(&fields, "samples_received_on").to_string()),
        site_visit_note: form_field(&fields, "site_visit_note").to_string(),
        preliminary_card: None,
    };
    let outcome = pre_assess(&state, &session.user, &id, &form, lang)
        .await
        .map(|()| lang.t("pre-saved"));
    after_form(&state, &viewer, &id, outcome).await
}
