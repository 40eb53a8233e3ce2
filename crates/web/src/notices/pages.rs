//! The inbox page, marking notices read (one by following it, or all), and the
//! administrator's outbox.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use ocop_domain::access::Role;
use ocop_store::{jobs, notices};

use super::words;
use crate::AppState;
use crate::shared::auth::{Viewer, check_csrf};
use crate::shared::error::{ApiPath, PageError, page_error};
use crate::shared::page::{Chrome, CsrfForm, render};

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            (t + chrono::Duration::hours(7))
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub struct NoticeRow {
    pub id: String,
    pub when: String,
    pub subject: String,
    pub body: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notices/inbox.html")]
struct InboxPage {
    chrome: Chrome,
    csrf: String,
    rows: Vec<NoticeRow>,
}

/// `GET /notices`: the account's notices, newest first.
pub async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let rows = notices::inbox(&state.db, &session.user.id, 200)
        .await
        .map_err(page_error(lang))?
        .iter()
        .map(|notice| {
            let (subject, body) = words(notice, lang);
            NoticeRow {
                id: notice.id.clone(),
                when: when(notice.created_at),
                subject,
                body,
                unread: notice.read_at.is_none(),
            }
        })
        .collect();
    render(
        &InboxPage {
            chrome: Chrome::new(&viewer, "notices"),
            csrf: session.csrf.clone(),
            rows,
        },
        lang,
    )
}

/// `POST /notices/read`: marks every notice read.
pub async fn read_all(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    notices::mark_read(&state.db, &session.user.id, None)
        .await
        .map_err(page_error(lang))?;
    Ok(Redirect::to("/notices").into_response())
}

/// `POST /notices/{id}/open`: marks a notice read and follows its link.
pub async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    let notice = notices::find(&state.db, &session.user.id, &id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| {
            PageError::new(
                crate::shared::error::AppError::NotFound {
                    code: "notice_not_found",
                    what: "notice",
                    key: id.clone(),
                },
                lang,
            )
        })?;
    notices::mark_read(&state.db, &session.user.id, Some(&notice.id))
        .await
        .map_err(page_error(lang))?;
    Ok(Redirect::to(crate::shared::page::local_path(Some(&notice.link))).into_response())
}

pub struct OutboxRow {
    pub created: String,
    pub to: String,
    pub subject: String,
    /// queued, sent, retrying, failed
    pub state: &'static str,
    pub state_label: String,
    pub attempts: i64,
    pub error: String,
}

#[derive(Template)]
#[template(path = "notices/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    rows: Vec<OutboxRow>,
    waiting: i64,
    sent: i64,
    failed: i64,
}

/// `GET /admin/outbox`: the e-mails, sent, waiting, retrying or failed (administrators).
pub async fn outbox(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    if session.user.role != Role::Administrator {
        return Err(PageError::forbidden(lang));
    }
    let db = &state.db;
    let (waiting, sent, failed) = jobs::counts(db, notices::EMAIL_JOB)
        .await
        .map_err(page_error(lang))?;
    let mut rows = Vec::new();
    for job in jobs::recent(db, notices::EMAIL_JOB, 200)
        .await
        .map_err(page_error(lang))?
    {
        let notice_id = job.payload["notice_id"].as_str().unwrap_or_default();
        let notice = notices::find_any(db, notice_id)
            .await
            .map_err(page_error(lang))?;
        let to = match &notice {
            Some(n) => ocop_store::accounts::find_by_id(db, &n.account_id)
                .await
                .map_err(page_error(lang))?
                .map(|u| u.email)
                .unwrap_or_default(),
            None => String::new(),
        };
        let state_code = match (job.done_at, job.failed_at, job.attempts) {
            (Some(_), _, _) => "sent",
            (_, Some(_), _) => "failed",
            (_, _, 0) => "queued",
            _ => "retrying",
        };
        rows.push(OutboxRow {
            created: when(job.created_at),
            to,
            subject: notice
                .as_ref()
                .map(|n| words(n, lang).0)
                .unwrap_or_default(),
            state: state_code,
            state_label: lang.t(&format!("outbox-{state_code}")),
            attempts: job.attempts,
            error: job.last_error.unwrap_or_default(),
        });
    }
    render(
        &OutboxPage {
            chrome: Chrome::new(&viewer, "outbox"),
            rows,
            waiting,
            sent,
            failed,
        },
        lang,
    )
}
