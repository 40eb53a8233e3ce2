//! One error type for the web layer, with a stable machine-readable code per case.
//!
//! API handlers return `AppError` (rendered as JSON); page handlers wrap it in [`PageError`]
//! (rendered as an HTML page in the reader's language by [`super::page`], which owns the error
//! page's template). Storage errors become `internal` or `database_unavailable` and are logged,
//! never shown in detail.
//!
//! Every API error has one shape:
//!
//! ```json
//! {"error": {"code": "invalid_fields", "message": "some fields are not valid",
//!            "details": ["name: Cần nhập thông tin này."],
//!            "fields": [{"field": "name", "code": "required", "message": "Cần nhập thông tin này."}]}}
//! ```
//!
//! `code` is stable; `message` is English, for developers; `details` lists every problem where
//! there are several (`invalid_scorecards`, `incomplete`, `invalid_fields`); `fields` (only for
//! `invalid_fields`) names each field with a stable code (the message id without its
//! `…-error-` prefix, `_` for `-`) and a message in the request's language (see
//! [`super::i18n::ApiLang`]). Requests the API cannot read are refused in the same shape by its
//! extractors: [`ApiJson`] (`invalid_json`), [`ApiQuery`] (`invalid_query`), [`ApiPath`]
//! (`invalid_path`) and [`ApiMultipart`] (`invalid_upload`).

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use ocop_store::StoreError;
use ocop_store::files::FileError;

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
    /// A form's fields break the rules: each with its stable code and a readable message.
    #[error("some fields are not valid")]
    InvalidFields { fields: Vec<FieldError> },
    #[error("sign in first")]
    Unauthenticated,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    /// The file storage (directory or object store) cannot be written or read right now.
    #[error("the file storage is unavailable")]
    FilesUnavailable,
    /// Too many requests from one address (`limits`): try again after `retry_after` seconds.
    #[error("too many requests from your address; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("internal error")]
    Internal,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unprocessable { .. } | AppError::InvalidFields { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::DatabaseUnavailable | AppError::FilesUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
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
            AppError::InvalidFields { .. } => "invalid_fields",
            AppError::Unauthenticated => "unauthenticated",
            AppError::DatabaseUnavailable => "database_unavailable",
            AppError::FilesUnavailable => "files_unavailable",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Internal => "internal",
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// `invalid_fields` for a form's problems (field → message id, as the domain reports them),
    /// each with its stable code and its message in `lang`.
    pub fn invalid_fields<'a>(
        lang: Lang,
        errors: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> AppError {
        AppError::InvalidFields {
            fields: errors
                .into_iter()
                .map(|(field, key)| FieldError {
                    field: field.to_string(),
                    code: field_code(key),
                    message: lang.t(key),
                })
                .collect(),
        }
    }
}

/// One field's problem in an `invalid_fields` answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field as the request names it: `name`, `commune_code`, `contact_phone`, …
    pub field: String,
    /// Stable, machine-readable: `required`, `commune`, `commune_fixed`, `phone`,
    /// `product_set_locked`, …
    pub code: String,
    /// For people, in the request's language (`lang` cookie, then `Accept-Language`, then
    /// Vietnamese).
    pub message: String,
}

/// The stable code of a message id: its `…-error-` prefix dropped, `-` written `_`
/// (`registry-error-commune-fixed` → `commune_fixed`).
pub fn field_code(key: &str) -> String {
    key.split_once("-error-")
        .map_or(key, |(_, rest)| rest)
        .replace('-', "_")
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

/// A file that could not be stored or read. The caller answers a refused upload (too large,
/// empty, of a refused type) in its own words first; what reaches here is the storage's fault.
impl From<FileError> for AppError {
    fn from(error: FileError) -> AppError {
        match error {
            FileError::Store(error) => error.into(),
            FileError::Unavailable(_) | FileError::Missing(_) => {
                tracing::error!(%error, "file storage");
                AppError::FilesUnavailable
            }
            FileError::TooLarge { .. } | FileError::Empty | FileError::UnsupportedType => {
                tracing::error!(%error, "a refused file reached the storage's error");
                AppError::Internal
            }
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<String>,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (details, fields) = match &self {
            AppError::Unprocessable { details, .. } => (details.clone(), &[][..]),
            // `details` keeps a readable line per field for clients that read only it.
            AppError::InvalidFields { fields } => (
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect(),
                fields.as_slice(),
            ),
            _ => (Vec::new(), &[][..]),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                details,
                fields,
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
    /// Stable, machine-readable. Requests: invalid_json, invalid_query, invalid_path,
    /// invalid_upload, invalid_date, missing_query, invalid_level, invalid_limit,
    /// invalid_evaluation_type, invalid_action, invalid_evidence_type. Rules: invalid_fields,
    /// invalid_account, invalid_scorecards, incomplete, not_possible, unknown_disqualifier,
    /// too_large, unsupported_type, empty_file. Access: unauthenticated, not_allowed,
    /// csrf_mismatch. Absent: unit_not_found, criteria_not_found, entity_not_found,
    /// product_not_found, dossier_not_found, route_not_found. Server: database_unavailable,
    /// internal.
    pub code: String,
    /// For developers, in English.
    pub message: String,
    /// Every problem, for `invalid_scorecards`, `incomplete` and `invalid_fields` (there
    /// `field: message`).
    pub details: Option<Vec<String>>,
    /// For `invalid_fields`: each field with its stable code and a message in the request's
    /// language.
    pub fields: Option<Vec<FieldError>>,
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

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| ApiJson(value))
            .map_err(|rejection| AppError::bad_request("invalid_json", rejection.body_text()))
    }
}

/// A query string whose rejection (a parameter of the wrong type, such as `limit=abc`) is
/// `invalid_query` in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection| AppError::bad_request("invalid_query", rejection.body_text()))
    }
}

/// Path parameters whose rejection (say, a segment that is not valid UTF-8) is `invalid_path`
/// in the API's error shape; a route that does not match its handler is a bug (`internal`).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection| {
                if rejection.status().is_server_error() {
                    tracing::error!(rejection = rejection.body_text(), "path parameters");
                    AppError::Internal
                } else {
                    AppError::bad_request("invalid_path", rejection.body_text())
                }
            })
    }
}

/// A multipart body whose rejection (not `multipart/form-data`, no boundary) is
/// `invalid_upload` in the API's error shape, like a broken part read later.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S> FromRequest<S> for ApiMultipart
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        axum::extract::Multipart::from_request(request, state)
            .await
            .map(ApiMultipart)
            .map_err(|rejection| AppError::bad_request("invalid_upload", rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_codes_are_message_ids_without_their_prefix() {
        assert_eq!(field_code("registry-error-required"), "required");
        assert_eq!(field_code("registry-error-commune-fixed"), "commune_fixed");
        assert_eq!(
            field_code("registry-error-product-set-locked"),
            "product_set_locked"
        );
        assert_eq!(field_code("evidence-error-too-large"), "too_large");
        assert_eq!(field_code("plain-id"), "plain_id");
    }

    #[test]
    fn field_messages_follow_the_language() {
        let AppError::InvalidFields { fields } =
            AppError::invalid_fields(Lang::En, [("name", "registry-error-required")])
        else {
            panic!("not invalid_fields");
        };
        assert_eq!(fields[0].field, "name");
        assert_eq!(fields[0].code, "required");
        assert_eq!(fields[0].message, Lang::En.t("registry-error-required"));
        assert_ne!(fields[0].message, Lang::Vi.t("registry-error-required"));
    }
}
