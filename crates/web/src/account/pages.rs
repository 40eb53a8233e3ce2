//! Signing in and out, one's own account and password, and account administration.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::header;
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use fluent_templates::fluent_bundle::FluentValue;
use serde::Deserialize;

use ocop_domain::access::Role;
use ocop_store::accounts::{self, AccountError, Login, NewUser, SESSION_MS, User};
use ocop_store::clock::new_token;
use ocop_store::units;

use crate::AppState;
use crate::shared::auth::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Session, Viewer, check_csrf, check_login_csrf, clear_cookie,
    set_cookie,
};
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, CsrfForm, local_path, render};

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    email: String,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// The login form, with a fresh double-submit token in a cookie.
fn login_form(
    viewer: &Viewer,
    email: &str,
    next: &str,
    message: Option<String>,
) -> Result<Response, PageError> {
    let csrf = new_token();
    let page = render(
        &LoginPage {
            chrome: Chrome::new(viewer, "login"),
            csrf: csrf.clone(),
            next: next.to_string(),
            email: email.to_string(),
            message,
        },
        viewer.lang,
    )?;
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600),
        )],
        page,
    )
        .into_response())
}

pub async fn login_page(
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Result<Response, PageError> {
    if viewer.session.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    login_form(&viewer, "", local_path(query.next.as_deref()), None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    check_login_csrf(&jar, &form.csrf).map_err(page_error(lang))?;
    let next = local_path(Some(&form.next)).to_string();
    match accounts::authenticate(&state.db, &form.email, &form.password)
        .await
        .map_err(page_error(lang))?
    {
        Login::Success(user) => {
            let (token, _) = accounts::create_session(&state.db, &user)
                .await
                .map_err(page_error(lang))?;
            let target = if next == "/" {
                "/account".to_string()
            } else {
                next
            };
            // Two cookies: the headers must be appended, not inserted.
            Ok((
                AppendHeaders([
                    (
                        header::SET_COOKIE,
                        set_cookie(SESSION_COOKIE, &token, SESSION_MS / 1000),
                    ),
                    (header::SET_COOKIE, clear_cookie(LOGIN_CSRF_COOKIE)),
                ]),
                Redirect::to(&target),
            )
                .into_response())
        }
        // The same words whether the account exists or not.
        Login::Invalid => {
            let mut response =
                login_form(&viewer, &form.email, &next, Some(lang.t("login-invalid")))?;
            *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(response)
        }
        Login::Locked { until_ms } => {
            let time = chrono::DateTime::from_timestamp_millis(until_ms)
                .map(|t| {
                    (t + chrono::Duration::hours(7))
                        .format("%H:%M %d/%m/%Y")
                        .to_string()
                })
                .unwrap_or_default();
            let message = lang.t_with("login-locked", &[("time", FluentValue::from(time))]);
            let mut response = login_form(&viewer, &form.email, &next, Some(message))?;
            *response.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            Ok(response)
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    accounts::end_session(&state.db, &session.token, &session.user)
        .await
        .map_err(page_error(lang))?;
    Ok((
        [(header::SET_COOKIE, clear_cookie(SESSION_COOKIE))],
        Redirect::to("/"),
    )
        .into_response())
}

fn role_label(role: Role, lang: Lang) -> String {
    match lang {
        Lang::Vi => role.label_vi().to_string(),
        Lang::En => role.as_str().replace('_', " "),
    }
}

async fn unit_label(state: &AppState, user: &User, lang: Lang) -> Result<String, PageError> {
    Ok(match &user.unit_code {
        Some(code) => units::find_by_code(&state.db, code, None)
            .await
            .map_err(page_error(lang))?
            .map(|unit| format!("{} ({code})", unit.name))
            .unwrap_or_else(|| code.clone()),
        None => lang.t("account-national"),
    })
}

/// A form's problems, by field, in the reader's language.
fn field_errors(error: &AccountError, lang: Lang) -> HashMap<&'static str, String> {
    let detail = |text: &str| {
        text.split_once(": ")
            .map_or(text.to_string(), |(_, d)| d.to_string())
    };
    let message = match error {
        AccountError::InvalidEmail(_) => lang.t("field-email-invalid"),
        AccountError::DuplicateEmail(_) => lang.t("field-email-taken"),
        AccountError::WeakPassword(reason) => lang.t_with(
            "field-password-weak",
            &[("detail", FluentValue::from(reason.clone()))],
        ),
        AccountError::Unit(_) => lang.t_with(
            "field-unit-invalid",
            &[("detail", FluentValue::from(detail(&error.to_string())))],
        ),
        AccountError::MissingName => lang.t("field-name-missing"),
        AccountError::WrongPassword => lang.t("field-password-wrong"),
        AccountError::Store(_) => String::new(),
    };
    HashMap::from([(error.field(), message)])
}

#[derive(Template)]
#[template(path = "account/account.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    role: String,
    unit: String,
    csrf: String,
    message: Option<String>,
    errors: HashMap<&'static str, String>,
}

async fn account_page_with(
    state: &AppState,
    viewer: &Viewer,
    message: Option<String>,
    errors: HashMap<&'static str, String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    render(
        &AccountPage {
            chrome: Chrome::new(viewer, "account"),
            email: session.user.email.clone(),
            role: role_label(session.user.role, lang),
            unit: unit_label(state, &session.user, lang).await?,
            csrf: session.csrf.clone(),
            message,
            errors,
        },
        lang,
    )
}

pub async fn account_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    account_page_with(&state, &viewer, None, HashMap::new()).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    match accounts::change_password(
        &state.db,
        &session.user,
        &form.current_password,
        &form.new_password,
        &session.token,
    )
    .await
    {
        Ok(()) => Ok(account_page_with(
            &state,
            &viewer,
            Some(lang.t("password-changed")),
            HashMap::new(),
        )
        .await?
        .into_response()),
        Err(AccountError::Store(error)) => Err(PageError::new(error.into(), lang)),
        Err(error) => {
            let page = account_page_with(&state, &viewer, None, field_errors(&error, lang)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub struct UserRow {
    pub id: String,
    pub active: bool,
    /// The administrator's own row: it cannot switch itself off.
    pub is_self: bool,
    pub email: String,
    pub name: String,
    pub role: String,
    pub unit: String,
}

#[derive(Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "account/admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, String)>,
    form: NewUserForm,
    csrf: String,
    message: Option<String>,
    errors: HashMap<&'static str, String>,
}

/// Only administrators manage accounts.
fn require_admin(viewer: &Viewer) -> Result<&Session, PageError> {
    let session = viewer.require().map_err(page_error(viewer.lang))?;
    if session.user.role != Role::Administrator {
        return Err(PageError::forbidden(viewer.lang));
    }
    Ok(session)
}

async fn users_page_with(
    state: &AppState,
    viewer: &Viewer,
    form: NewUserForm,
    message: Option<String>,
    errors: HashMap<&'static str, String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = require_admin(viewer)?;
    let mut users = Vec::new();
    for user in accounts::list(&state.db).await.map_err(page_error(lang))? {
        users.push(UserRow {
            unit: unit_label(state, &user, lang).await?,
            id: user.id.clone(),
            active: user.active,
            is_self: user.id == session.user.id,
            email: user.email,
            name: user.name,
            role: role_label(user.role, lang),
        });
    }
    render(
        &UsersPage {
            chrome: Chrome::new(viewer, "admin"),
            users,
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), role_label(*r, lang)))
                .collect(),
            form,
            csrf: session.csrf.clone(),
            message,
            errors,
        },
        lang,
    )
}

pub async fn users_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let form = NewUserForm {
        role: Role::CommuneOfficer.as_str().into(),
        ..NewUserForm::default()
    };
    users_page_with(&state, &viewer, form, None, HashMap::new()).await
}

pub async fn create_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewUserForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = require_admin(&viewer)?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    let Some(role) = Role::parse(&form.role) else {
        return Err(PageError::new(
            AppError::bad_request("invalid_role", format!("unknown role `{}`", form.role)),
            lang,
        ));
    };
    let unit = form.unit.trim();
    let new = NewUser {
        email: form.email.clone(),
        name: form.name.clone(),
        role,
        unit_code: (!unit.is_empty()).then(|| unit.to_string()),
        entity_id: None,
        password: form.password.clone(),
    };
    match accounts::create_user(&state.db, new, &session.user.id).await {
        Ok(user) => {
            let message = lang.t_with("users-created", &[("email", FluentValue::from(user.email))]);
            let blank = NewUserForm {
                role: form.role,
                ..NewUserForm::default()
            };
            Ok(
                users_page_with(&state, &viewer, blank, Some(message), HashMap::new())
                    .await?
                    .into_response(),
            )
        }
        Err(AccountError::Store(error)) => Err(PageError::new(error.into(), lang)),
        Err(error) => {
            // Keep what was typed (but never the password) and say what is wrong beside the field.
            let errors = field_errors(&error, lang);
            let kept = NewUserForm {
                password: String::new(),
                csrf: String::new(),
                ..form
            };
            let page = users_page_with(&state, &viewer, kept, None, errors).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    csrf: String,
    active: String,
}

/// An administrator switches an account on or off (never its own).
pub async fn set_active(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(form): Form<ActiveForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = require_admin(&viewer)?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    if id == session.user.id {
        return Err(PageError::forbidden(lang));
    }
    let active = form.active == "true";
    accounts::set_active(&state.db, &id, active, &session.user.id)
        .await
        .map_err(page_error(lang))?;
    Ok(Redirect::to("/admin/users").into_response())
}
