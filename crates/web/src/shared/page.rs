//! What every page shares: the layout's [`Chrome`], rendering, CSRF-carrying forms, safe
//! redirects, the language switch, the error page (how a [`PageError`] looks) and the 404 fallback.

use askama::Template;
use axum::extract::{Path, Query};
use std::collections::HashMap;

use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use ocop_store::units::Unit;

use super::assets::asset_url;
use super::auth::Viewer;
use super::error::{AppError, PageError};
use super::i18n::{LANG_COOKIE, Lang};

/// A form whose only field is the session's CSRF token (a button: confirm, sign out).
#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// A form's fields with the session's CSRF token beside them.
#[derive(Deserialize)]
pub struct WithCsrf<T> {
    pub csrf: String,
    #[serde(flatten)]
    pub fields: T,
}

/// The first value of `name` in a form read as pairs (forms with repeated or generated fields:
/// a sheet's `c:CODE` choices, a decision's products); empty when absent.
pub fn form_field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// What every page's layout needs.
pub struct Chrome {
    pub lang: Lang,
    /// The signed-in person's name and the CSRF token for the sign-out form.
    pub signed_in: Option<(String, String)>,
    pub is_admin: bool,
    /// Officers of a commune, a province or the central office: the monitoring link.
    pub monitors: bool,
    /// The provincial office: the import link.
    pub imports: bool,
    /// Notices the signed-in person has not read (the header's badge).
    pub unread: i64,
    /// The current path and query, for the language switch to come back to.
    pub path: String,
    /// Which navigation entry is current.
    pub section: &'static str,
    pub css_url: String,
    pub icon_url: String,
}

impl Chrome {
    pub fn new(viewer: &Viewer, section: &'static str) -> Chrome {
        let mut chrome = Chrome::anonymous(viewer.lang, &viewer.uri, section);
        if let Some(session) = &viewer.session {
            chrome.signed_in = Some((session.user.name.clone(), session.csrf.clone()));
            chrome.is_admin = session.user.role == ocop_domain::access::Role::Administrator;
            chrome.monitors = session.user.role.reads_monitoring();
            chrome.imports = session.user.role.imports_records();
            chrome.unread = session.unread;
        }
        chrome
    }

    pub fn anonymous(lang: Lang, uri: &Uri, section: &'static str) -> Chrome {
        Chrome {
            lang,
            signed_in: None,
            is_admin: false,
            monitors: false,
            imports: false,
            unread: 0,
            path: uri
                .path_and_query()
                .map(|pq| pq.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            section,
            css_url: asset_url("app.css"),
            icon_url: asset_url("favicon.svg"),
        }
    }
}

/// The page of a unit: a former unit's URL names the day it was last in force, because codes
/// were re-used by the reform.
pub fn unit_href(unit: &Unit) -> String {
    match unit.valid_to {
        None => format!("/units/{}", unit.code),
        Some(last_day) => format!("/units/{}?on={last_day}", unit.code),
    }
}

/// Renders a page's template; a failure is logged and shown as an internal error.
pub fn render(template: &impl Template, lang: Lang) -> Result<Html<String>, PageError> {
    template.render().map(Html).map_err(|error| {
        tracing::error!(%error, "template rendering failed");
        PageError {
            error: AppError::Internal,
            lang,
        }
    })
}

#[derive(Deserialize)]
pub struct NextParams {
    next: Option<String>,
}

/// Only a path on this site may be a redirect target (no `//host` or `scheme:`).
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path
        }
        _ => "/",
    }
}

/// Sets the language cookie (a year) and goes back where the reader was.
pub async fn set_lang(Path(code): Path<String>, Query(params): Query<NextParams>) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return PageError {
            error: AppError::NotFound {
                code: "language_not_found",
                what: "language",
                key: code,
            },
            lang: Lang::default(),
        }
        .into_response();
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        lang.code()
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(local_path(params.next.as_deref())),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "shared/error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    message: String,
    status: u16,
    code: &'a str,
}

/// Renders the error page for `error`.
fn error_page(lang: Lang, status: StatusCode, error: &AppError) -> askama::Result<String> {
    let key = match error {
        AppError::NotFound { .. } => "error-not-found",
        AppError::BadRequest { .. }
        | AppError::Unprocessable { .. }
        | AppError::InvalidFields { .. } => "error-bad-request",
        AppError::Unauthenticated | AppError::Forbidden { .. } => "error-forbidden",
        AppError::DatabaseUnavailable => "error-unavailable",
        AppError::FilesUnavailable => "error-files-unavailable",
        AppError::RateLimited { .. } => "error-rate-limited",
        AppError::Internal => "error-internal",
    };
    let message = match error {
        AppError::BadRequest { message, .. } | AppError::Forbidden { message, .. } => {
            format!("{} {message}", lang.t(key))
        }
        _ => lang.t(key),
    };
    ErrorPage {
        chrome: Chrome::anonymous(lang, &Uri::from_static("/"), ""),
        message,
        status: status.as_u16(),
        code: error.code(),
    }
    .render()
}

/// A [`PageError`] is shown as the error page in the reader's language; a page that needs a
/// session sends people to sign in instead.
impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Unauthenticated = self.error {
            return Redirect::to("/login").into_response();
        }
        let status = self.error.status();
        match error_page(self.lang, status, &self.error) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.error.to_string()).into_response(),
        }
    }
}

/// Any unknown path: a 404 page (or JSON under `/api`).
pub async fn not_found(lang: Lang, uri: Uri) -> Response {
    let error = AppError::NotFound {
        code: "route_not_found",
        what: "route",
        key: uri.path().to_string(),
    };
    if uri.path().starts_with("/api/") {
        return error.into_response();
    }
    let mut response = PageError { error, lang }.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(local_path(Some("/units?q=a")), "/units?q=a");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}

/// What comes back to a page after a form: a message, and problems beside fields.
#[derive(Default)]
pub struct Notice {
    pub message: Option<String>,
    pub failed: bool,
    pub fields: HashMap<String, String>,
}

impl Notice {
    pub fn done(message: String) -> Notice {
        Notice {
            message: Some(message),
            ..Notice::default()
        }
    }

    /// An error as a notice: field errors beside their fields, others as the message.
    pub fn from_error(error: &AppError, lang: Lang) -> Notice {
        match error {
            AppError::InvalidFields { fields } => Notice {
                message: Some(lang.t("form-problems")),
                failed: true,
                fields: fields
                    .iter()
                    .map(|f| (f.field.clone(), f.message.clone()))
                    .collect(),
            },
            other => Notice {
                message: Some(error_message(other, lang)),
                failed: true,
                fields: HashMap::new(),
            },
        }
    }

    pub fn field(&self, name: &str) -> Option<&String> {
        self.fields.get(name)
    }
}

/// A readable message for an error on a page: the code's translation when there is one.
pub fn error_message(error: &AppError, lang: Lang) -> String {
    let key = format!("error-code-{}", error.code().replace('_', "-"));
    let mut message = lang.try_t(&key).unwrap_or_else(|| error.to_string());
    if let AppError::Unprocessable { details, .. } = error
        && !details.is_empty()
    {
        message = format!("{message}: {}", details.join(", "));
    }
    message
}

/// A page answering a form that failed: the page with the problems, and the error's status.
pub fn failed(page: Html<String>, error: &AppError) -> Response {
    let status = match error.status() {
        StatusCode::FORBIDDEN => StatusCode::FORBIDDEN,
        StatusCode::NOT_FOUND => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    (status, page).into_response()
}
