//! One error type for the web layer, with a stable machine-readable code per case.
//!
//! API handlers return `AppError` (rendered as JSON); page handlers wrap it in [`PageError`]
//! (rendered as an HTML page in the reader's language by [`super::page`], which owns the error
//! page's template). Storage errors become `internal` or `database_unavailable` and are logged,
//! never shown in detail.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use ocop_store::StoreError;

use super::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{what} not found: {key}")]
    NotFound {
        code: &'static str,
        what: &'static str,
        key: String,
    },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// Well-formed input that breaks the rules; `details` lists every problem.
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        details: Vec<String>,
    },
    #[error("sign in first")]
    Unauthenticated,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    #[error("internal error")]
    Internal,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients can rely on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { code, .. }
            | AppError::BadRequest { code, .. }
            | AppError::Unprocessable { code, .. }
            | AppError::Forbidden { code, .. } => code,
            AppError::Unauthenticated => "unauthenticated",
            AppError::DatabaseUnavailable => "database_unavailable",
            AppError::Internal => "internal",
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        tracing::error!(%error, "storage error");
        if error.is_unavailable() {
            AppError::DatabaseUnavailable
        } else {
            AppError::Internal
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    details: &'a [String],
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let details = match &self {
            AppError::Unprocessable { details, .. } => details.as_slice(),
            _ => &[],
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                details,
            },
        };
        (self.status(), Json(body)).into_response()
    }
}

/// The error body, as the OpenAPI document describes it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDoc {
    pub error: ErrorDocDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDocDetail {
    /// Stable, machine-readable: unit_not_found, invalid_date, unauthenticated, …
    pub code: String,
    pub message: String,
    /// Every problem, for `invalid_scorecards`.
    pub details: Option<Vec<String>>,
}

/// An [`AppError`] shown as a page.
#[derive(Debug)]
pub struct PageError {
    pub error: AppError,
    pub lang: Lang,
}

impl PageError {
    pub fn new(error: AppError, lang: Lang) -> PageError {
        PageError { error, lang }
    }

    /// The viewer's role may not do this.
    pub fn forbidden(lang: Lang) -> PageError {
        PageError::new(
            AppError::Forbidden {
                code: "forbidden",
                message: String::new(),
            },
            lang,
        )
    }
}

/// Lets page handlers use `?` on storage calls: `.map_err(page_error(lang))`.
pub fn page_error<E: Into<AppError>>(lang: Lang) -> impl Fn(E) -> PageError {
    move |error| PageError {
        error: error.into(),
        lang,
    }
}

/// A JSON request body whose rejection (malformed JSON, wrong fields, wrong content type) is the
/// API's one error shape, `invalid_json`, not axum's plain text.
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(|rejection| AppError::bad_request("invalid_json", rejection.body_text()))
    }
}
