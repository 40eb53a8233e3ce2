//! A round's council page: its seats as the minutes list them, the office's form to seat an
//! account, and the conflicts of interest with the chair's form to clear a flag.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use ocop_domain::rounds::RoundState;
use ocop_domain::rounds::council::Seat;

use super::{Loaded, SeatForm, seat_label};
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{AppError, PageError};
use crate::shared::page::{Chrome, WithCsrf, render};

use super::pages::load_for_form;
use crate::shared::page::{Notice, failed};

pub struct SeatRow {
    pub name: String,
    pub email: String,
    pub role: String,
    pub seat: String,
    pub agency: String,
    pub position: String,
    pub organisation: String,
}

pub struct ConflictRow {
    pub id: String,
    pub product: String,
    pub member: String,
    pub source: String,
    pub reason: String,
    pub cleared: Option<String>,
    pub clearable: bool,
}

#[derive(Template)]
#[template(path = "rounds/council.html")]
struct CouncilPage {
    chrome: Chrome,
    id: String,
    name: String,
    seats: Vec<SeatRow>,
    conflicts: Vec<ConflictRow>,
    seat_choices: Vec<(&'static str, String)>,
    organiser: bool,
    editable: bool,
    form: SeatForm,
    csrf: String,
    notice: Notice,
}

async fn council_page_with(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: SeatForm,
    notice: Notice,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let user = &session.user;
    let loaded = Loaded::load(state, user, id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let chair = loaded.seat_of(&user.id) == Some(Seat::Chair);
    let editable = loaded.round.state != RoundState::Closed;
    let seats = loaded
        .seats
        .iter()
        .map(|s| SeatRow {
            name: s.name.clone(),
            email: s.email.clone(),
            role: s.role.label_vi().to_string(),
            seat: seat_label(s.seat, lang),
            agency: s.agency.clone(),
            position: s.position.clone(),
            organisation: s.organisation.clone(),
        })
        .collect();
    let conflicts = loaded
        .conflicts
        .iter()
        .map(|c| ConflictRow {
            id: c.id.clone(),
            product: loaded
                .products
                .iter()
                .find(|p| p.id == c.round_product_id)
                .map(|p| format!("{} — {}", p.product_code, p.product_name))
                .unwrap_or_default(),
            member: loaded.member_name(&c.member_id),
            source: lang.t(&format!(
                "rounds-conflict-{}",
                c.source.as_str().replace('_', "-")
            )),
            reason: c.reason.clone(),
            cleared: c.cleared_reason.clone(),
            clearable: chair && editable && c.cleared_by.is_none() && c.source.clearable(),
        })
        .collect();
    render(
        &CouncilPage {
            chrome: Chrome::new(viewer, "rounds"),
            id: loaded.round.id.clone(),
            name: loaded.round.name.clone(),
            seats,
            conflicts,
            seat_choices: Seat::ALL
                .into_iter()
                .map(|s| (s.as_str(), seat_label(s, lang)))
                .collect(),
            organiser: loaded.is_organiser(user),
            editable,
            form,
            csrf: session.csrf.clone(),
            notice,
        },
        lang,
    )
}

/// `GET /rounds/{id}/council`
pub async fn council_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    council_page_with(&state, &viewer, &id, SeatForm::default(), Notice::default()).await
}

/// `POST /rounds/{id}/council`: seats an account.
pub async fn add_seat(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithCsrf<SeatForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let loaded = load_for_form(&state, &viewer, &id, &form.csrf).await?;
    let user = &viewer.page_session()?.user;
    match super::seat(&state, user, &loaded, &form.fields, lang).await {
        Ok(()) => Ok(council_page_with(
            &state,
            &viewer,
            &id,
            SeatForm::default(),
            Notice::done(lang.t("rounds-seat-added")),
        )
        .await?
        .into_response()),
        Err(error) => {
            let notice = Notice::from_error(&error, lang);
            let page = council_page_with(&state, &viewer, &id, form.fields, notice).await?;
            Ok(failed(page, &error))
        }
    }
}

#[derive(Deserialize)]
pub struct ReasonField {
    #[serde(default)]
    reason: String,
}

/// `POST /rounds/{id}/conflicts/{conflict}/clear`: the chair clears a flag.
pub async fn clear_conflict(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, conflict)): Path<(String, String)>,
    Form(form): Form<WithCsrf<ReasonField>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let loaded = load_for_form(&state, &viewer, &id, &form.csrf).await?;
    let user = &viewer.page_session()?.user;
    if !loaded.conflicts.iter().any(|c| c.id == conflict) {
        return Err(PageError::new(super::product_not_found(&conflict), lang));
    }
    let notice = match super::clear(&state, user, &loaded, &conflict, &form.fields.reason).await {
        Ok(()) => Notice::done(lang.t("rounds-conflict-cleared")),
        Err(AppError::Forbidden { .. }) => return Err(PageError::forbidden(lang)),
        Err(error) => Notice::from_error(&error, lang),
    };
    let status = if notice.failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = council_page_with(&state, &viewer, &id, SeatForm::default(), notice).await?;
    Ok((status, page).into_response())
}
