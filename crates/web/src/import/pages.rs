//! The provincial office's import pages: the upload form with the templates and exports, the
//! recent runs, and one run's page: its progress while the worker reads and checks (the page
//! follows it and can be left and reopened), then the report — counts, each problem with its
//! row, column, value and fix, every row's outcome — and, after a clean dry run, the button
//! that writes the same file for real.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use ocop_domain::import::{Kind, Outcome, RowReport};
use ocop_store::import::{self as store, ImportRun, Request, State as RunState};

use super::{Refused, Upload, describe, file_problem, header, kind, kind_label, may_import};
use crate::AppState;
use crate::shared::assets::asset_url;
use crate::shared::auth::{Viewer, check_csrf};
use crate::shared::download;
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, render};

/// One recent run, as the list shows it.
pub struct RunLine {
    pub id: String,
    pub when: String,
    pub kind: String,
    pub file_name: String,
    pub dry_run: bool,
    pub state: String,
    pub counts: String,
}

#[derive(Template)]
#[template(path = "import/list.html")]
struct ImportsPage {
    chrome: Chrome,
    kinds: Vec<(&'static str, String)>,
    runs: Vec<RunLine>,
    error: Option<String>,
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|at| {
            // Vietnam's time (UTC+7), as officials read it.
            (at + chrono::Duration::hours(7))
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A run's counts in words ("3 created · 1 with problems").
pub fn counts_text(lang: Lang, run: &ImportRun) -> String {
    let Some(report) = &run.report else {
        return String::new();
    };
    if let Some(problem) = file_problem(lang, report) {
        return problem;
    }
    let c = report.counts;
    [
        ("import-count-created", c.created),
        ("import-count-updated", c.updated),
        ("import-count-unchanged", c.unchanged),
        ("import-count-errors", c.errors),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(key, n)| lang.t_with(key, &[("n", format::number(n as i64).into())]))
    .collect::<Vec<_>>()
    .join(" · ")
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let province = may_import(&session.user).map_err(page_error(lang))?;
    let runs = store::recent(&state.db, Some(&province), 30)
        .await
        .map_err(|e| PageError::new(e.into(), lang))?
        .into_iter()
        .map(|run| RunLine {
            when: when(run.created_at),
            kind: kind_label(lang, run.kind),
            state: lang.t(&format!("import-state-{}", run.state.as_str())),
            counts: counts_text(lang, &run),
            id: run.id,
            file_name: run.file_name,
            dry_run: run.dry_run,
        })
        .collect();
    render(
        &ImportsPage {
            chrome: Chrome::new(viewer, "imports"),
            kinds: Kind::ALL
                .into_iter()
                .map(|k| (k.as_str(), kind_label(lang, k)))
                .collect(),
            runs,
            error,
        },
        lang,
    )
}

/// `GET /imports`
pub async fn imports_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    list_page(&state, &viewer, None).await
}

/// Reads an upload's form: its fields and the file.
pub async fn read_upload(
    mut multipart: Multipart,
) -> Result<(String, Result<Upload, &'static str>), AppError> {
    let (mut csrf, mut kind_text, mut dry_run, mut partial, mut file) =
        (String::new(), String::new(), false, false, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| AppError::bad_request("invalid_upload", error.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("tep-nhap").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|error| AppError::bad_request("invalid_upload", error.body_text()))?;
            file = Some((file_name, bytes.to_vec()));
        } else {
            let text = field.text().await.unwrap_or_default();
            match name.as_str() {
                "csrf" => csrf = text,
                "kind" => kind_text = text,
                "dry_run" => dry_run = matches!(text.as_str(), "on" | "true" | "1"),
                "partial" => partial = matches!(text.as_str(), "on" | "true" | "1"),
                _ => {}
            }
        }
    }
    let upload = match (Kind::parse(&kind_text), file) {
        (None, _) => Err("kind"),
        (_, None) => Err("file"),
        (Some(kind), Some((file_name, bytes))) => Ok(Upload {
            kind,
            dry_run,
            partial,
            file_name,
            bytes,
        }),
    };
    Ok((csrf, upload))
}

/// `POST /imports`: the file is stored and its run queued; the run's page follows it.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let (csrf, upload) = read_upload(multipart).await.map_err(page_error(lang))?;
    check_csrf(session, &csrf).map_err(page_error(lang))?;
    let province = may_import(&session.user).map_err(page_error(lang))?;
    let refuse = |message: String| async {
        let page = list_page(&state, &viewer, Some(message)).await?;
        Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let upload = match upload {
        Ok(upload) => upload,
        Err(_) => return refuse(lang.t("import-error-upload")).await,
    };
    match super::start(&state, &session.user, &province, upload)
        .await
        .map_err(page_error(lang))?
    {
        Ok(id) => Ok(Redirect::to(&format!("/imports/{id}")).into_response()),
        Err(Refused(message, detail)) => {
            refuse(lang.t_with(message, &[("detail", detail.into())])).await
        }
    }
}

/// A problem as the page shows it.
pub struct ProblemLine {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "import/run.html")]
struct RunPage {
    chrome: Chrome,
    run: ImportRun,
    kind: String,
    state: String,
    finished: bool,
    /// Rows processed, in percent, while it runs.
    percent: i64,
    counts: String,
    file_problem: Option<String>,
    problems: Vec<ProblemLine>,
    more_problems: usize,
    rows: Vec<RowReport>,
    more_rows: usize,
    unknown_headers: String,
    can_apply: bool,
    script_url: String,
}

impl RunPage {
    fn state_label(&self, state: &str) -> String {
        self.chrome.lang.t(&format!("import-state-{state}"))
    }

    fn outcome(&self, outcome: &Outcome) -> String {
        self.chrome
            .lang
            .t(&format!("import-outcome-{}", outcome.as_str()))
    }
}

const SHOWN_PROBLEMS: usize = 1_000;
const SHOWN_ROWS: usize = 300;

/// A run of the viewer's province, or absent.
async fn own_run(state: &AppState, province: &str, id: &str) -> Result<ImportRun, AppError> {
    store::find(&state.db, id, Some(province))
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "not_found",
            what: "import",
            key: id.to_string(),
        })
}

/// `GET /imports/{id}`
pub async fn run_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let province = may_import(&session.user).map_err(page_error(lang))?;
    let run = own_run(&state, &province, &id)
        .await
        .map_err(page_error(lang))?;
    let report = run.report.clone().unwrap_or_default();
    let problems: Vec<ProblemLine> = report
        .errors
        .iter()
        .take(SHOWN_PROBLEMS)
        .map(|error| ProblemLine {
            row: error.row,
            column: header(run.kind, &error.column).to_string(),
            value: error.value.clone(),
            message: describe(lang, error),
        })
        .collect();
    let rows: Vec<RowReport> = report
        .rows
        .iter()
        .filter(|r| r.outcome != Outcome::Error)
        .take(SHOWN_ROWS)
        .cloned()
        .collect();
    let listed = report
        .rows
        .iter()
        .filter(|r| r.outcome != Outcome::Error)
        .count();
    let finished = run.state.is_finished();
    let can_apply = run.dry_run
        && run.state == RunState::Done
        && report.is_clean()
        && report.counts.created + report.counts.updated > 0;
    let percent = if run.total_rows > 0 {
        (run.done_rows * 100 / run.total_rows).clamp(0, 100)
    } else {
        0
    };
    render(
        &RunPage {
            chrome: Chrome::new(&viewer, "imports"),
            kind: kind_label(lang, run.kind),
            state: lang.t(&format!("import-state-{}", run.state.as_str())),
            finished,
            percent,
            counts: counts_text(lang, &run),
            file_problem: file_problem(lang, &report),
            more_problems: report.errors.len().saturating_sub(SHOWN_PROBLEMS),
            problems,
            more_rows: listed.saturating_sub(SHOWN_ROWS),
            rows,
            unknown_headers: report.unknown_headers.join(", "),
            can_apply,
            script_url: asset_url("import.js"),
            run,
        },
        lang,
    )
}

/// `POST /imports/{id}/apply`: the dry run's file, written for real (a run of its own).
pub async fn apply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, crate::shared::page::form_field(&fields, "csrf"))
        .map_err(page_error(lang))?;
    let province = may_import(&session.user).map_err(page_error(lang))?;
    let new_id = apply_run(&state, &session.user, &province, &id)
        .await
        .map_err(page_error(lang))?;
    Ok(Redirect::to(&format!("/imports/{new_id}")).into_response())
}

/// Queues the real run of a clean dry run's file.
pub async fn apply_run(
    state: &AppState,
    user: &ocop_store::accounts::User,
    province: &str,
    id: &str,
) -> Result<String, AppError> {
    let run = own_run(state, province, id).await?;
    let clean = run.report.as_ref().is_some_and(|r| r.is_clean());
    if !run.dry_run || run.state != RunState::Done || !clean {
        return Err(AppError::Unprocessable {
            code: "not_a_clean_dry_run",
            message: "only a finished dry run without problems is written for real".into(),
            details: Vec::new(),
        });
    }
    let Some((_, bytes)) = state.files.get(&state.db, &run.file_sha256).await? else {
        return Err(AppError::Unprocessable {
            code: "file_gone",
            message: "the dry run's file is no longer stored; upload it again".into(),
            details: Vec::new(),
        });
    };
    let request = Request {
        kind: run.kind,
        province_code: run.province_code.clone(),
        file_name: run.file_name.clone(),
        dry_run: false,
        partial: run.partial,
        actor: user.id.clone(),
    };
    super::queue(state, &request, &bytes, &run.file_sha256).await
}

/// `GET /imports/{id}/report.csv`
pub async fn report_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let province = may_import(&session.user).map_err(page_error(lang))?;
    let id = id.strip_suffix("/report.csv").unwrap_or(&id).to_string();
    let run = own_run(&state, &province, &id)
        .await
        .map_err(page_error(lang))?;
    let report = run.report.clone().unwrap_or_default();
    let text = super::report_csv(lang, run.kind, &report);
    Ok(download::attachment(
        &format!("bao-cao-nhap-{}.csv", run.kind.as_str()),
        "text/csv; charset=utf-8",
        text.into_bytes(),
    ))
}

/// `{kind}.xlsx` of a download's path.
fn kind_of_file(file: &str) -> Result<Kind, AppError> {
    kind(file.strip_suffix(".xlsx").unwrap_or("?"))
}

/// `GET /imports/templates/{file}`: a kind's blank template (`entities.xlsx` …).
pub async fn template(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_import(&session.user).map_err(page_error(lang))?;
    let kind = kind_of_file(&file).map_err(page_error(lang))?;
    let bytes = super::workbook(kind, &state.criteria, &[]).map_err(page_error(lang))?;
    Ok(download::xlsx(
        &format!("mau-{}.xlsx", kind.as_str()),
        bytes,
    ))
}

/// `GET /imports/export/{file}`: the province's records of a kind in the template's layout.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let province = may_import(&session.user).map_err(page_error(lang))?;
    let kind = kind_of_file(&file).map_err(page_error(lang))?;
    let bytes = super::export_workbook(&state.db, &state.criteria, kind, Some(&province))
        .await
        .map_err(page_error(lang))?;
    Ok(download::xlsx(
        &format!("{}-{}.xlsx", kind.as_str(), province),
        bytes,
    ))
}
