//! Imports (issue 13): a province's workbook brought in, dry or real. A run reads the file
//! (`ocop_domain::import::read`), finds its header, checks every row by the domain's rules,
//! decides per row against the database whether it creates, updates or leaves unchanged a record
//! found by its natural key, and, when it is real and nothing is wrong (or only the rows without
//! problems are asked for), writes everything in one transaction with one audit record that
//! names the file's SHA-256 and the counts; each created or updated record is listed with that
//! record in `audit_objects`, so its history shows the import. The run itself is a row of
//! `imports` with its progress (written outside the write transaction) and its report: a page
//! can follow it from any server, and a job that dies is run again from the start by the next
//! worker, since nothing of a run is written until its one commit.

mod certificates;
mod entities;
mod evaluations;
pub mod export;
mod products;

use chrono::NaiveDate;
use sqlx::Row;

use ocop_domain::audit::Changes;
use ocop_domain::criteria::Catalog;
use ocop_domain::import::columns::find_header;
use ocop_domain::import::places::{Gazetteer, PlaceUnit};
use ocop_domain::import::read::read;
use ocop_domain::import::{Kind, Report, RowError};
use ocop_domain::units::UnitKind;

use crate::bulk::{Rows, Value};
use crate::clock::{new_id, now_ms};
use crate::{Db, StoreError, Tx, audit, on_db, on_tx};

/// The job kind of an import run in the background.
pub const IMPORT_JOB: &str = "import";

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Queued,
    Reading,
    Checking,
    Writing,
    /// Finished: written (real) or reported (dry).
    Done,
    /// Finished without writing: the file or some rows have problems.
    Refused,
    /// Stopped by something other than the file (the database); may be run again.
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Reading => "reading",
            State::Checking => "checking",
            State::Writing => "writing",
            State::Done => "done",
            State::Refused => "refused",
            State::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        [
            State::Queued,
            State::Reading,
            State::Checking,
            State::Writing,
            State::Done,
            State::Refused,
            State::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, State::Done | State::Refused | State::Failed)
    }
}

/// What a run is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub kind: Kind,
    /// Today's province the records belong to.
    pub province_code: String,
    pub file_name: String,
    pub dry_run: bool,
    /// Write the rows without problems and skip the others (default: all or nothing).
    pub partial: bool,
    pub actor: String,
}

/// A run as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRun {
    pub id: String,
    pub kind: Kind,
    pub province_code: String,
    pub file_name: String,
    pub file_sha256: String,
    pub file_size: i64,
    pub dry_run: bool,
    pub partial: bool,
    pub state: State,
    pub total_rows: i64,
    pub done_rows: i64,
    pub report: Option<Report>,
    pub audit_seq: Option<i64>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// Progress of a run, as it goes.
pub trait Progress: Send {
    fn state(&mut self, state: State, done: usize, total: usize);
}

/// Progress nobody follows.
pub struct Quiet;

impl Progress for Quiet {
    fn state(&mut self, _: State, _: usize, _: usize) {}
}

pub use crate::files::sha256_hex;

/// Records a run about to start (queued for a worker, or started here).
pub async fn create(
    db: &Db,
    request: &Request,
    bytes: &[u8],
    state: State,
) -> Result<String, StoreError> {
    let mut tx = db.begin().await?;
    let id = create_in(&mut tx, request, bytes, state).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`create`] in the caller's transaction (an upload: the run, its job and its audit record
/// together).
pub async fn create_in(
    tx: &mut Tx,
    request: &Request,
    bytes: &[u8],
    state: State,
) -> Result<String, StoreError> {
    let id = new_id();
    let now = now_ms();
    on_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO imports (id, kind, province_code, file_name, file_sha256, file_size, dry_run, partial, \
         state, total_rows, done_rows, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, $10, $11, $11)"
    )
    .bind(&id)
    .bind(request.kind.as_str())
    .bind(&request.province_code)
    .bind(&request.file_name)
    .bind(sha256_hex(bytes))
    .bind(bytes.len() as i64)
    .bind(request.dry_run)
    .bind(request.partial)
    .bind(state.as_str())
    .bind(&request.actor)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(id)
}

/// Records an upload: the run, queued as a background job, audited — one transaction.
pub async fn queue(
    db: &Db,
    request: &Request,
    bytes: &[u8],
    stored_sha256: &str,
) -> Result<String, StoreError> {
    let mut tx = db.begin().await?;
    let id = create_in(&mut tx, request, bytes, State::Queued).await?;
    crate::jobs::enqueue(
        &mut tx,
        IMPORT_JOB,
        Some(&format!("import:{id}")),
        &serde_json::json!({ "import_id": id, "sha256": stored_sha256 }),
        now_ms(),
    )
    .await?;
    let changes = Changes::new()
        .created("kind", request.kind.as_str())
        .created("province_code", &request.province_code)
        .created("file_name", &request.file_name)
        .created("file_sha256", sha256_hex(bytes))
        .created("dry_run", request.dry_run)
        .created("partial", request.partial);
    audit::append(
        &mut tx,
        &request.actor,
        "import.queue",
        "import",
        &id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

const RUN_COLUMNS: &str = "id, kind, province_code, file_name, file_sha256, file_size, dry_run, partial, state, \
    total_rows, done_rows, report, audit_seq, error, created_by, created_at, updated_at, finished_at";

fn run_from_row<R: Row>(row: &R) -> Result<ImportRun, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let report: Option<String> = row.try_get("report")?;
    Ok(ImportRun {
        id: row.try_get("id")?,
        kind: Kind::parse(&kind).unwrap_or(Kind::Entities),
        province_code: row.try_get("province_code")?,
        file_name: row.try_get("file_name")?,
        file_sha256: row.try_get("file_sha256")?,
        file_size: row.try_get("file_size")?,
        dry_run: row.try_get("dry_run")?,
        partial: row.try_get("partial")?,
        state: State::parse(&state).unwrap_or(State::Failed),
        total_rows: row.try_get("total_rows")?,
        done_rows: row.try_get("done_rows")?,
        report: report.and_then(|r| serde_json::from_str(&r).ok()),
        audit_seq: row.try_get("audit_seq")?,
        error: row.try_get("error")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// One run, if it belongs to one of `provinces` (`None`: any).
pub async fn find(
    db: &Db,
    id: &str,
    provinces: Option<&str>,
) -> Result<Option<ImportRun>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM imports WHERE id = $1 AND ($2 = '' OR province_code = $2)"
    );
    Ok(on_db!(db, |pool| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(provinces.unwrap_or(""))
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(run_from_row).transpose()
    })?)
}

/// The latest runs of a province (`None`: of every province), newest first.
pub async fn recent(
    db: &Db,
    province: Option<&str>,
    limit: i64,
) -> Result<Vec<ImportRun>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM imports WHERE ($1 = '' OR province_code = $1) \
         ORDER BY created_at DESC, id LIMIT $2"
    );
    Ok(on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(province.unwrap_or(""))
            .bind(limit)
            .fetch_all(pool)
            .await?;
        rows.iter().map(run_from_row).collect::<Result<Vec<_>, _>>()
    })?)
}

/// Writes a run's progress (its own short transaction, never the import's).
async fn set_state(
    db: &Db,
    id: &str,
    state: State,
    done: usize,
    total: usize,
) -> Result<(), StoreError> {
    on_db!(db, |pool| {
        sqlx::query(
        "UPDATE imports SET state = $1, done_rows = $2, total_rows = $3, updated_at = $4 WHERE id = $5"
    )
    .bind(state.as_str())
    .bind(done as i64)
    .bind(total as i64)
    .bind(now_ms())
    .bind(id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Records how a run ended.
async fn finish(
    db: &Db,
    id: &str,
    state: State,
    report: &Report,
    audit_seq: Option<i64>,
) -> Result<(), StoreError> {
    let now = now_ms();
    on_db!(db, |pool| {
        sqlx::query(
        "UPDATE imports SET state = $1, report = $2, audit_seq = $3, done_rows = $4, total_rows = $4, \
         updated_at = $5, finished_at = $5 WHERE id = $6"
    )
    .bind(state.as_str())
    .bind(serde_json::to_string(report).unwrap_or_default())
    .bind(audit_seq)
    .bind(report.counts.rows() as i64)
    .bind(now)
    .bind(id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Marks a run failed by something other than its file (it may be run again).
pub async fn fail(db: &Db, id: &str, error: &str) -> Result<(), StoreError> {
    let now = now_ms();
    on_db!(db, |pool| {
        sqlx::query(
        "UPDATE imports SET state = 'failed', error = $1, updated_at = $2, finished_at = $2 WHERE id = $3"
    )
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Progress written to the run's row, at most every half second, and passed on.
struct Recorded<'a> {
    db: &'a Db,
    id: &'a str,
    inner: &'a mut dyn Progress,
    last: (State, i64),
}

impl Recorded<'_> {
    /// Progress inside the write transaction: passed on, not written (on SQLite the run's row
    /// could not be written while the import holds the one write lock).
    fn tick(&mut self, state: State, done: usize, total: usize) {
        self.inner.state(state, done, total);
    }

    async fn note(&mut self, state: State, done: usize, total: usize) -> Result<(), StoreError> {
        self.inner.state(state, done, total);
        let now = now_ms();
        if state != self.last.0 || now - self.last.1 >= 500 || done == total {
            set_state(self.db, self.id, state, done, total).await?;
            self.last = (state, now);
        }
        Ok(())
    }
}

/// Runs a recorded import over `bytes`: reads, checks, and (real, clean or partial) writes.
/// Returns the report; the run's row has it too.
pub async fn execute(
    db: &Db,
    catalog: &Catalog,
    id: &str,
    bytes: &[u8],
    today: NaiveDate,
    progress: &mut dyn Progress,
) -> Result<Report, StoreError> {
    let run = find(db, id, None)
        .await?
        .ok_or_else(|| StoreError::Data(format!("no import {id}")))?;
    let mut progress = Recorded {
        db,
        id,
        inner: progress,
        last: (State::Queued, 0),
    };
    progress.note(State::Reading, 0, 0).await?;
    let table = match read(bytes, run.kind.sheet_name()) {
        Ok(table) => table,
        Err(error) => {
            let report = Report::of_file_error(error.message_id(), error.to_string());
            finish(db, id, State::Refused, &report, None).await?;
            return Ok(report);
        }
    };
    let header = match find_header(run.kind, &table) {
        Ok(header) => header,
        Err(missing) => {
            let report = Report::of_file_error("import-file-header", missing.missing.join(", "));
            finish(db, id, State::Refused, &report, None).await?;
            return Ok(report);
        }
    };
    let context = Context {
        db,
        catalog,
        province: &run.province_code,
        today,
    };
    let outcome = match run.kind {
        Kind::Entities => entities::run(&context, &run, &table, &header, &mut progress).await?,
        Kind::Products => products::run(&context, &run, &table, &header, &mut progress).await?,
        Kind::Certificates => {
            certificates::run(&context, &run, &table, &header, &mut progress).await?
        }
        Kind::Evaluations => {
            evaluations::run(&context, &run, &table, &header, &mut progress).await?
        }
    };
    let (mut report, audit_seq) = outcome;
    report.encoding = table.encoding.to_string();
    report.unknown_headers = header.unknown.clone();
    let state = if run.dry_run || report.is_clean() || (run.partial && report.file_error.is_none())
    {
        State::Done
    } else {
        State::Refused
    };
    finish(db, id, state, &report, audit_seq).await?;
    Ok(report)
}

/// What every kind's run needs.
pub(crate) struct Context<'a> {
    pub db: &'a Db,
    pub catalog: &'a Catalog,
    pub province: &'a str,
    pub today: NaiveDate,
}

/// Whether a run writes: a real run with something to write, and no problem (or partial).
pub(crate) fn writes(run: &ImportRun, report: &Report) -> bool {
    !run.dry_run
        && report.file_error.is_none()
        && (report.errors.is_empty() || run.partial)
        && report.counts.created + report.counts.updated > 0
}

/// A second row for a record the file already named: the error on the second.
pub(crate) fn duplicate(row: usize, column: &str, value: &str, first: usize) -> RowError {
    RowError {
        row,
        column: column.to_string(),
        value: value.to_string(),
        message: "import-error-duplicate".into(),
        detail: first.to_string(),
    }
}

/// A unit row: id, code, name, kind, parent, valid to.
type UnitRow = (i64, String, String, String, Option<i64>, Option<NaiveDate>);

/// Every unit of both maps and their successions, for resolving places.
pub async fn gazetteer(db: &Db) -> Result<Gazetteer, StoreError> {
    let units: Vec<UnitRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, code, name, kind, parent_id, valid_to FROM units"
    )
    .fetch_all(pool)
    .await)?;
    let successions: Vec<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT predecessor_id, successor_id FROM unit_successions"
    )
    .fetch_all(pool)
    .await)?;
    let units = units
        .into_iter()
        .filter_map(|(id, code, name, kind, parent, valid_to)| {
            Some(PlaceUnit {
                id,
                code,
                name,
                level: UnitKind::parse(&kind)?.level(),
                parent,
                current: valid_to.is_none(),
            })
        })
        .collect();
    Ok(Gazetteer::new(units, &successions))
}

/// The import's one audit record and the records it touched, in the write transaction.
pub(crate) async fn audit_run(
    tx: &mut Tx,
    run: &ImportRun,
    report: &Report,
    touched: &[(&'static str, String, &'static str, String)],
) -> Result<i64, StoreError> {
    let changes = Changes::new()
        .created("kind", run.kind.as_str())
        .created("province_code", &run.province_code)
        .created("file_name", &run.file_name)
        .created("file_sha256", &run.file_sha256)
        .created("created", report.counts.created)
        .created("updated", report.counts.updated)
        .created("unchanged", report.counts.unchanged)
        .created("skipped", report.counts.errors);
    let seq = audit::append(
        tx,
        &run.created_by,
        "import.applied",
        crate::catalogue::BULK_OBJECT,
        &run.id,
        &changes,
    )
    .await?;
    let mut rows = Rows::new(
        "audit_objects",
        &["audit_seq", "object_type", "object_id", "action", "changes"],
    );
    for (object_type, object_id, action, changes) in touched {
        rows.push([
            Value::from(seq),
            (*object_type).into(),
            object_id.clone().into(),
            (*action).into(),
            changes.clone().into(),
        ]);
    }
    rows.write(tx).await?;
    Ok(seq)
}

/// Runs a queued import of a background job: the file's bytes come from the caller.
pub async fn run_job(
    db: &Db,
    catalog: &Catalog,
    id: &str,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<Report, StoreError> {
    execute(db, catalog, id, bytes, today, &mut Quiet).await
}

/// Rows per `IN (…)` list.
pub(crate) const CHUNK: usize = 500;

/// `$1, $2, …, $n`.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The transaction of a write, on SQLite with a bulk load's page cache.
pub(crate) async fn begin(db: &Db) -> Result<Tx, StoreError> {
    crate::bulk::begin(db).await
}

pub(crate) async fn commit(tx: Tx) -> Result<(), StoreError> {
    crate::bulk::commit(tx).await
}

/// A row's problem found against the database.
pub(crate) fn row_error(
    row: &ocop_domain::import::columns::Row<'_>,
    column: &str,
    message: &str,
    detail: &str,
) -> RowError {
    RowError {
        row: row.number,
        column: column.to_string(),
        value: row.text(column),
        message: message.to_string(),
        detail: detail.to_string(),
    }
}

/// Adds each row with a problem to the report's rows (once), and orders rows and problems as
/// the file does.
pub(crate) fn count_errors(report: &mut Report) {
    report.errors.sort_by_key(|e| e.row);
    let mut rows: Vec<usize> = report.errors.iter().map(|e| e.row).collect();
    rows.dedup();
    for row in rows {
        report.push(ocop_domain::import::RowReport {
            row,
            outcome: ocop_domain::import::Outcome::Error,
            key: String::new(),
            changed: Vec::new(),
        });
    }
    report.rows.sort_by_key(|r| r.row);
}

/// Whether a record found again is updated or unchanged, and which audited fields differ.
pub(crate) fn compare<T>(
    fields: &ocop_domain::audit::AuditedFields<T>,
    before: &T,
    after: &T,
) -> (ocop_domain::import::Outcome, Vec<String>) {
    let changed: Vec<String> = fields
        .iter()
        .filter(|(_, get)| get(before) != get(after))
        .map(|(name, _)| (*name).to_string())
        .collect();
    let outcome = if changed.is_empty() {
        ocop_domain::import::Outcome::Unchanged
    } else {
        ocop_domain::import::Outcome::Updated
    };
    (outcome, changed)
}
