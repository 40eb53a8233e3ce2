//! Who is asking: the session cookie (people) or a bearer token (machines), and the CSRF check
//! every state-changing form must pass.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Uri, header};
use axum_extra::extract::CookieJar;

use ocop_domain::access::Scope;
use ocop_store::accounts::{self, User};

use super::error::AppError;
use super::i18n::Lang;
use crate::AppState;

/// The session cookie: a random token whose hash finds the session in the database.
pub const SESSION_COOKIE: &str = "ocop_session";
/// A per-browser token for the login form (double-submit), before any session exists.
pub const LOGIN_CSRF_COOKIE: &str = "ocop_login_csrf";

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// Must come back with every state-changing form.
    pub csrf: String,
    /// The cookie's token (to end this session, or keep it on a password change).
    pub token: String,
    /// Notices not read yet.
    pub unread: i64,
}

impl Session {
    /// What this person may see: every read of the registry and of dossiers is filtered by it.
    pub fn scope(&self) -> Scope {
        self.user.scope()
    }
}

/// Whoever is looking at a page: language, address, and the session if any.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub lang: Lang,
    pub uri: Uri,
    pub session: Option<Session>,
}

impl Viewer {
    /// The session, or a redirect-worthy error for pages that need one.
    pub fn require(&self) -> Result<&Session, AppError> {
        self.session.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// The session, or the page that sends a stranger to sign in.
    pub fn page_session(&self) -> Result<&Session, super::error::PageError> {
        self.require()
            .map_err(|error| super::error::PageError::new(error, self.lang))
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let jar = CookieJar::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let session = match jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
            Some(token) if token.len() == 64 => {
                match accounts::session_user(&state.db, &token).await? {
                    Some((user, csrf)) => Some(Session {
                        unread: ocop_store::notices::unread(&state.db, &user.id).await?,
                        user,
                        csrf,
                        token,
                    }),
                    None => None,
                }
            }
            _ => None,
        };
        Ok(Viewer {
            lang,
            uri: parts.uri.clone(),
            session,
        })
    }
}

/// A machine (bearer token) or a person (session) calling the API.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub User);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(AppError::Unauthenticated)?;
            return accounts::api_token_user(&state.db, token.trim())
                .await?
                .map(ApiCaller)
                .ok_or(AppError::Unauthenticated);
        }
        let viewer = Viewer::from_request_parts(parts, state).await?;
        viewer
            .session
            .map(|session| ApiCaller(session.user))
            .ok_or(AppError::Unauthenticated)
    }
}

/// A caller allowed to change things through the API: a bearer token, or a session whose
/// request carries its CSRF token in `X-CSRF-Token` (so another site cannot post with the cookie).
#[derive(Debug, Clone)]
pub struct ApiWriter(pub User);

/// The header that carries the session's CSRF token on API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequestParts<AppState> for ApiWriter {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let ApiCaller(user) = ApiCaller::from_request_parts(parts, state).await?;
            return Ok(ApiWriter(user));
        }
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let session = viewer.session.ok_or(AppError::Unauthenticated)?;
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        check_csrf(&session, sent)?;
        Ok(ApiWriter(session.user))
    }
}

/// Compares tokens in constant time.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The form's CSRF token must be the session's.
pub fn check_csrf(session: &Session, submitted: &str) -> Result<(), AppError> {
    if same(&session.csrf, submitted) {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            code: "csrf_mismatch",
            message: "the form has expired or did not come from this site: reload it and try again"
                .into(),
        })
    }
}

/// The login form's token must match its cookie.
pub fn check_login_csrf(jar: &CookieJar, submitted: &str) -> Result<(), AppError> {
    match jar.get(LOGIN_CSRF_COOKIE) {
        Some(cookie) if !submitted.is_empty() && same(cookie.value(), submitted) => Ok(()),
        _ => Err(AppError::Forbidden {
            code: "csrf_mismatch",
            message: "the form has expired or did not come from this site: reload it and try again"
                .into(),
        }),
    }
}

/// `Set-Cookie` values. Cookies are HTTP-only, same-site and secure (browsers treat
/// `localhost`/`127.0.0.1` as secure, so this works without TLS on one machine too).
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Lax")
}

pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}
