//! Imports as JSON: upload a file (a run queued for the worker), follow a run, list recent
//! runs, write a clean dry run for real.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use ocop_domain::import::Counts;
use ocop_store::import::{self as store, ImportRun};

use super::{Refused, describe, file_problem, header, may_import};
use crate::AppState;
use crate::shared::auth::{ApiCaller, ApiWriter};
use crate::shared::error::{ApiMultipart, ApiPath, AppError, ErrorDoc};
use crate::shared::i18n::{ApiLang, Lang};

/// A run's counts by outcome.
#[derive(Serialize, ToSchema)]
pub struct CountsJson {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows with at least one problem.
    pub errors: usize,
}

impl From<Counts> for CountsJson {
    fn from(c: Counts) -> CountsJson {
        CountsJson {
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            errors: c.errors,
        }
    }
}

/// One problem of one row.
#[derive(Serialize, ToSchema)]
pub struct ProblemJson {
    /// The row's number in the file, as Excel shows it.
    pub row: usize,
    /// The column's key (`registration_code`, `stars` …).
    pub column: String,
    /// The template's header of the column.
    pub header: String,
    pub value: String,
    /// A stable code: the message id (`import-error-place-ambiguous` …).
    pub code: String,
    /// What is wrong and how to fix it, in the caller's language.
    pub message: String,
}

/// One row's outcome.
#[derive(Serialize, ToSchema)]
pub struct RowJson {
    pub row: usize,
    /// `created`, `updated`, `unchanged` or `error`.
    pub outcome: String,
    pub key: String,
    pub changed: Vec<String>,
}

/// An import run: its progress, then its report.
#[derive(Serialize, ToSchema)]
pub struct ImportJson {
    pub id: String,
    /// `entities`, `products`, `certificates` or `evaluations`.
    pub kind: String,
    pub province_code: String,
    pub file_name: String,
    pub file_sha256: String,
    pub dry_run: bool,
    pub partial: bool,
    /// `queued`, `reading`, `checking`, `writing`, `done`, `refused` or `failed`.
    pub state: String,
    pub finished: bool,
    pub total_rows: i64,
    pub done_rows: i64,
    pub counts: Option<CountsJson>,
    /// The file's own problem, when it could not be read (in the caller's language).
    pub file_error: Option<String>,
    pub problems: Vec<ProblemJson>,
    pub rows: Vec<RowJson>,
    /// The audit record of a run that wrote.
    pub audit_seq: Option<i64>,
    pub error: Option<String>,
}

impl ImportJson {
    pub fn of(run: &ImportRun, lang: Lang, with_rows: bool) -> ImportJson {
        let report = run.report.clone();
        ImportJson {
            id: run.id.clone(),
            kind: run.kind.as_str().into(),
            province_code: run.province_code.clone(),
            file_name: run.file_name.clone(),
            file_sha256: run.file_sha256.clone(),
            dry_run: run.dry_run,
            partial: run.partial,
            state: run.state.as_str().into(),
            finished: run.state.is_finished(),
            total_rows: run.total_rows,
            done_rows: run.done_rows,
            counts: report.as_ref().map(|r| r.counts.into()),
            file_error: report.as_ref().and_then(|r| file_problem(lang, r)),
            problems: report
                .iter()
                .flat_map(|r| r.errors.iter())
                .map(|e| ProblemJson {
                    row: e.row,
                    column: e.column.clone(),
                    header: header(run.kind, &e.column).into(),
                    value: e.value.clone(),
                    code: e.message.clone(),
                    message: describe(lang, e),
                })
                .collect(),
            rows: report
                .iter()
                .filter(|_| with_rows)
                .flat_map(|r| r.rows.iter())
                .map(|r| RowJson {
                    row: r.row,
                    outcome: r.outcome.as_str().into(),
                    key: r.key.clone(),
                    changed: r.changed.clone(),
                })
                .collect(),
            audit_seq: run.audit_seq,
            error: run.error.clone(),
        }
    }
}

/// `POST /api/v1/imports` (multipart: `kind`, `dry_run`, `partial`, `file`): queue a run.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports", security(("bearer" = []), ("session" = [])),
    request_body(content_type = "multipart/form-data", content = String, description = "kind (entities, products, certificates, evaluations), dry_run (true), partial, file (.xlsx or .csv)"),
    responses(
        (status = 202, description = "Queued; follow it at /api/v1/imports/{id}", body = ImportJson),
        (status = 422, description = "invalid_upload: no file, no kind, or too large", body = ErrorDoc),
        (status = 403, description = "Only a provincial office imports", body = ErrorDoc),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<ImportJson>), AppError> {
    let province = may_import(&user)?;
    let (_, upload) = super::pages::read_upload(multipart).await?;
    let upload = upload.map_err(|field| AppError::Unprocessable {
        code: "invalid_upload",
        message: format!("the form needs `{field}`"),
        details: Vec::new(),
    })?;
    match super::start(&state, &user, &province, upload).await? {
        Ok(id) => {
            let run = store::find(&state.db, &id, Some(&province))
                .await?
                .ok_or(AppError::Internal)?;
            Ok((
                StatusCode::ACCEPTED,
                Json(ImportJson::of(&run, lang, false)),
            ))
        }
        Err(Refused(message, detail)) => Err(AppError::Unprocessable {
            code: "invalid_upload",
            message: lang.t_with(message, &[("detail", detail.into())]),
            details: Vec::new(),
        }),
    }
}

/// `GET /api/v1/imports`: the province's recent runs, newest first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = [ImportJson]),
        (status = 403, description = "Only a provincial office imports", body = ErrorDoc),
    ))]
pub async fn list(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiCaller(user): ApiCaller,
) -> Result<Json<Vec<ImportJson>>, AppError> {
    let province = may_import(&user)?;
    let runs = store::recent(&state.db, Some(&province), 50).await?;
    Ok(Json(
        runs.iter()
            .map(|run| ImportJson::of(run, lang, false))
            .collect(),
    ))
}

/// `GET /api/v1/imports/{id}`: a run's progress, then its whole report.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = ImportJson),
        (status = 404, description = "No such run in the caller's province", body = ErrorDoc),
    ))]
pub async fn get(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiCaller(user): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ImportJson>, AppError> {
    let province = may_import(&user)?;
    let run = store::find(&state.db, &id, Some(&province))
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "not_found",
            what: "import",
            key: id.clone(),
        })?;
    Ok(Json(ImportJson::of(&run, lang, true)))
}

/// `POST /api/v1/imports/{id}/apply`: write a clean dry run's file for real (a new run).
#[utoipa::path(post, path = "/api/v1/imports/{id}/apply", tag = "imports", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 202, description = "The real run, queued", body = ImportJson),
        (status = 422, description = "not_a_clean_dry_run or file_gone", body = ErrorDoc),
        (status = 404, description = "No such run in the caller's province", body = ErrorDoc),
    ))]
pub async fn apply(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<ImportJson>), AppError> {
    let province = may_import(&user)?;
    let new_id = super::pages::apply_run(&state, &user, &province, &id).await?;
    let run = store::find(&state.db, &new_id, Some(&province))
        .await?
        .ok_or(AppError::Internal)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ImportJson::of(&run, lang, false)),
    ))
}
