//! Server-rendered pages (askama templates in `templates/`).

pub mod account;
pub mod criteria;
pub mod dossiers;
pub mod registry;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use fluent_templates::fluent_bundle::FluentValue;
use serde::Deserialize;

use ocop_render::chart::{Bar, horizontal_bars};
use ocop_store::units::{self, Unit};

use crate::AppState;
use crate::assets::asset_url;
use crate::auth::Viewer;
use crate::error::{AppError, PageError, page_error};
use crate::format;
use crate::i18n::{LANG_COOKIE, Lang};

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

/// What every page's layout needs.
pub struct Chrome {
    pub lang: Lang,
    /// The signed-in person's name and the CSRF token for the sign-out form.
    pub signed_in: Option<(String, String)>,
    pub is_admin: bool,
    /// The current path and query, for the language switch to come back to.
    pub path: String,
    /// Which navigation entry is current.
    pub section: &'static str,
    pub css_url: String,
    pub icon_url: String,
}

impl Chrome {
    fn new(viewer: &Viewer, section: &'static str) -> Chrome {
        let mut chrome = Chrome::anonymous(viewer.lang, &viewer.uri, section);
        if let Some(session) = &viewer.session {
            chrome.signed_in = Some((session.user.name.clone(), session.csrf.clone()));
            chrome.is_admin = session.user.role == ocop_domain::access::Role::Administrator;
        }
        chrome
    }

    fn anonymous(lang: Lang, uri: &Uri, section: &'static str) -> Chrome {
        Chrome {
            lang,
            signed_in: None,
            is_admin: false,
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

/// A unit as pages show it, labels in the reader's language.
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub href: String,
    pub current: bool,
    pub valid_from: String,
    pub valid_to: String,
    /// "… – 30/06/2025" for former units.
    pub period: String,
    pub parent_name: Option<String>,
}

impl UnitView {
    fn new(unit: &Unit, lang: Lang) -> UnitView {
        let day = |date: Option<NaiveDate>| {
            date.map(format::date)
                .unwrap_or_else(|| lang.t("unit-unknown"))
        };
        UnitView {
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: match lang {
                Lang::Vi => unit.kind.label_vi(),
                Lang::En => unit.kind.label_en(),
            },
            href: unit_href(unit),
            current: unit.is_current(),
            valid_from: day(unit.valid_from),
            valid_to: day(unit.valid_to),
            period: format!(
                "{} – {}",
                unit.valid_from
                    .map(format::date)
                    .unwrap_or_else(|| "…".into()),
                day(unit.valid_to)
            ),
            parent_name: None,
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

fn render(template: &impl Template, lang: Lang) -> Result<Html<String>, PageError> {
    template.render().map(Html).map_err(|error| {
        tracing::error!(%error, "template rendering failed");
        PageError {
            error: AppError::Internal,
            lang,
        }
    })
}

pub struct Figure {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    figures: Vec<Figure>,
    chart: String,
}

pub async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let counts = units::counts(&state.db).await.map_err(page_error(lang))?;
    let per_province = units::communes_per_province(&state.db)
        .await
        .map_err(page_error(lang))?;
    let figure = |value: i64, key: &str| Figure {
        value: format::number(value),
        label: lang.t(key),
    };
    let figures = vec![
        figure(counts.provinces, "fig-provinces"),
        figure(counts.communes, "fig-communes"),
        figure(counts.legacy_provinces, "fig-legacy-provinces"),
        figure(counts.legacy_districts, "fig-legacy-districts"),
        figure(counts.legacy_communes, "fig-legacy-communes"),
        figure(counts.successions, "fig-successions"),
    ];
    let mut bars: Vec<Bar> = per_province
        .iter()
        .map(|(province, communes)| Bar {
            label: province.name.clone(),
            value: *communes,
            href: Some(unit_href(province)),
        })
        .collect();
    bars.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
    let chart = horizontal_bars(
        &lang.t("chart-communes-per-province"),
        &bars,
        format::number,
    );
    render(
        &HomePage {
            chrome: Chrome::new(&viewer, "home"),
            figures,
            chart,
        },
        lang,
    )
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage {
    chrome: Chrome,
    query: String,
    results_heading: Option<String>,
    results: Vec<UnitView>,
    provinces: Vec<(UnitView, String)>,
}

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
}

pub async fn units_index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<SearchParams>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let query = params.q.unwrap_or_default().trim().to_string();
    let mut page = UnitsPage {
        chrome: Chrome::new(&viewer, "units"),
        query: query.clone(),
        results_heading: None,
        results: Vec::new(),
        provinces: Vec::new(),
    };
    if query.is_empty() {
        page.provinces = units::communes_per_province(&state.db)
            .await
            .map_err(page_error(lang))?
            .iter()
            .map(|(province, communes)| (UnitView::new(province, lang), format::number(*communes)))
            .collect();
    } else {
        let found = state
            .unit_search
            .search(&state.db, &query, None, 100)
            .await
            .map_err(page_error(lang))?;
        page.results_heading = Some(lang.t_with(
            "search-results",
            &[
                ("query", FluentValue::from(query.clone())),
                ("count", FluentValue::from(found.len())),
            ],
        ));
        page.results = found.iter().map(|unit| UnitView::new(unit, lang)).collect();
    }
    render(&page, lang)
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    chrome: Chrome,
    unit: UnitView,
    decree: Option<String>,
    parent: Option<UnitView>,
    predecessors: Vec<UnitView>,
    successors: Vec<UnitView>,
    communes: Vec<(UnitView, Vec<UnitView>)>,
    children: Vec<UnitView>,
}

#[derive(Deserialize)]
pub struct OnParams {
    on: Option<String>,
}

/// Parses the `on` query parameter (YYYY-MM-DD).
pub fn parse_on(on: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    match on.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                AppError::bad_request(
                    "invalid_date",
                    format!("`on` must be a date as YYYY-MM-DD, not `{text}`"),
                )
            }),
    }
}

pub async fn unit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(params): Query<OnParams>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let on = parse_on(params.on.as_deref()).map_err(page_error(lang))?;
    let db = &state.db;
    let unit = units::find_by_code(db, &code, on)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| PageError {
            error: AppError::NotFound {
                code: "unit_not_found",
                what: "unit",
                key: code.clone(),
            },
            lang,
        })?;
    let view = |unit: &Unit| UnitView::new(unit, lang);
    let parent = match unit.parent_id {
        Some(id) => units::find_by_id(db, id).await.map_err(page_error(lang))?,
        None => None,
    };
    let mut predecessors = Vec::new();
    for old in units::predecessors(db, unit.id)
        .await
        .map_err(page_error(lang))?
    {
        let mut old_view = view(&old);
        if let Some(parent_id) = old.parent_id {
            old_view.parent_name = units::find_by_id(db, parent_id)
                .await
                .map_err(page_error(lang))?
                .map(|district| district.name);
        }
        predecessors.push(old_view);
    }
    let successors = units::successors(db, unit.id)
        .await
        .map_err(page_error(lang))?;
    // A province in force lists its communes with what they absorbed; other units list children.
    let (communes, children) = if unit.is_current() && unit.parent_id.is_none() {
        let communes = units::communes_with_predecessors(db, unit.id)
            .await
            .map_err(page_error(lang))?
            .iter()
            .map(|row| {
                (
                    view(&row.commune),
                    row.predecessors.iter().map(view).collect(),
                )
            })
            .collect();
        (communes, Vec::new())
    } else {
        let children = units::children(db, unit.id)
            .await
            .map_err(page_error(lang))?;
        (Vec::new(), children.iter().map(view).collect())
    };
    render(
        &UnitPage {
            chrome: Chrome::new(&viewer, "units"),
            decree: unit.decree.clone(),
            unit: view(&unit),
            parent: parent.as_ref().map(view),
            predecessors,
            successors: successors.iter().map(view).collect(),
            communes,
            children,
        },
        lang,
    )
}

#[derive(Deserialize)]
pub struct NextParams {
    next: Option<String>,
}

/// Only a path on this site may be a redirect target (no `//host` or `scheme:`).
fn local_path(next: Option<&str>) -> &str {
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
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    message: String,
    status: u16,
    code: &'a str,
}

/// Renders the error page for `error` (used by [`PageError`]).
pub fn error_page(lang: Lang, status: StatusCode, error: &AppError) -> askama::Result<String> {
    let key = match error {
        AppError::NotFound { .. } => "error-not-found",
        AppError::BadRequest { .. } | AppError::Unprocessable { .. } => "error-bad-request",
        AppError::Unauthenticated | AppError::Forbidden { .. } => "error-forbidden",
        AppError::DatabaseUnavailable => "error-unavailable",
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
