//! Background work, one mechanism for every kind (the daily certificate sweep, e-mails, and
//! later PDF batches and imports): a row in `jobs`, claimed by one worker at a time under a
//! lease. On PostgreSQL the claim skips rows another server holds (`FOR UPDATE SKIP LOCKED`),
//! so several `ocop serve` on one database never run a job twice; SQLite has one writer at a
//! time, so the same `UPDATE` is atomic there. A failure is retried after an exponential
//! back-off until `max_attempts`; a worker that dies leaves its job to the next after its lease.

use serde_json::Value;
use sqlx::Row;

use crate::clock::{new_id, now_ms};
use crate::{Db, StoreError, Tx, on_db, on_tx};

/// How many times a job is tried before it is left as failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// A claimed job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub max_attempts: i64,
}

/// Queues a job in the caller's transaction; a `dedupe_key` already queued is not queued again.
/// Returns whether it was new.
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    dedupe_key: Option<&str>,
    payload: &Value,
    run_after_ms: i64,
) -> Result<bool, StoreError> {
    let inserted = on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO jobs (id, kind, dedupe_key, payload, run_after, attempts, max_attempts, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(new_id())
        .bind(kind)
        .bind(dedupe_key)
        .bind(payload.to_string())
        .bind(run_after_ms)
        .bind(MAX_ATTEMPTS)
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(inserted > 0)
}

/// Queues a job in a transaction of its own.
pub async fn enqueue_now(
    db: &Db,
    kind: &str,
    dedupe_key: Option<&str>,
    payload: &Value,
    run_after_ms: i64,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let new = enqueue(&mut tx, kind, dedupe_key, payload, run_after_ms).await?;
    tx.commit().await?;
    Ok(new)
}

const CLAIM_POSTGRES: &str = "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM jobs WHERE kind = $3 AND done_at IS NULL AND failed_at IS NULL \
       AND run_after <= $4 AND (locked_until IS NULL OR locked_until < $4) \
       ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, payload, attempts, max_attempts";

const CLAIM_SQLITE: &str = "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM jobs WHERE kind = $3 AND done_at IS NULL AND failed_at IS NULL \
       AND run_after <= $4 AND (locked_until IS NULL OR locked_until < $4) \
       ORDER BY run_after, id LIMIT 1) \
     RETURNING id, kind, payload, attempts, max_attempts";

/// Claims the next due job of `kind` for `worker`, holding it for `lease_ms`.
pub async fn claim(
    db: &Db,
    worker: &str,
    kind: &str,
    lease_ms: i64,
) -> Result<Option<Job>, StoreError> {
    let now = now_ms();
    let row = match db {
        Db::Sqlite(pool) => sqlx::query(CLAIM_SQLITE)
            .bind(worker)
            .bind(now + lease_ms)
            .bind(kind)
            .bind(now)
            .fetch_optional(pool)
            .await?
            .map(|row| job_from_row(&row)),
        Db::Postgres(pool) => sqlx::query(CLAIM_POSTGRES)
            .bind(worker)
            .bind(now + lease_ms)
            .bind(kind)
            .bind(now)
            .fetch_optional(pool)
            .await?
            .map(|row| job_from_row(&row)),
    };
    Ok(row.transpose()?)
}

fn job_from_row<R: Row>(row: &R) -> Result<Job, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let payload: String = row.try_get("payload")?;
    Ok(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
    })
}

/// Marks a job done (if `worker` still holds it).
pub async fn complete(db: &Db, job: &Job, worker: &str) -> Result<(), StoreError> {
    on_db!(db, |pool| {
        sqlx::query(
        "UPDATE jobs SET done_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2 AND locked_by = $3"
    )
    .bind(now_ms())
    .bind(&job.id)
    .bind(worker)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Extends a claimed job's lease while it runs (a long import), so that a worker that dies is
/// replaced within one lease, not after the longest a job could take. `false`: the job is no
/// longer this worker's.
pub async fn extend(db: &Db, job: &Job, worker: &str, lease_ms: i64) -> Result<bool, StoreError> {
    let extended = on_db!(db, |pool| sqlx::query(
        "UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND done_at IS NULL"
    )
    .bind(now_ms() + lease_ms)
    .bind(&job.id)
    .bind(worker)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(extended > 0)
}

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 7) - 1).unwrap_or(0);
    (30_000 * 2_i64.pow(exponent)).min(3_600_000)
}

/// Records a failed attempt: retried after the back-off, or left failed after the last one.
pub async fn fail(db: &Db, job: &Job, worker: &str, error: &str) -> Result<(), StoreError> {
    let now = now_ms();
    let give_up = job.attempts >= job.max_attempts;
    on_db!(db, |pool| sqlx::query(
        "UPDATE jobs SET locked_until = NULL, last_error = $1, run_after = $2, \
         failed_at = CASE WHEN $3 THEN $4 ELSE NULL END WHERE id = $5 AND locked_by = $6"
    )
    .bind(error)
    .bind(now + backoff_ms(job.attempts))
    .bind(give_up)
    .bind(now)
    .bind(&job.id)
    .bind(worker)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// A job as the outbox page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedJob {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    pub run_after: i64,
    pub attempts: i64,
    pub done_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// The latest jobs of `kind`, newest first.
pub async fn recent(db: &Db, kind: &str, limit: i64) -> Result<Vec<QueuedJob>, StoreError> {
    let rows: Result<Vec<QueuedJob>, sqlx::Error> = on_db!(db, |pool| {
        let rows = sqlx::query(
            "SELECT id, kind, payload, run_after, attempts, done_at, failed_at, last_error, created_at \
             FROM jobs WHERE kind = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(kind)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                let payload: String = row.try_get("payload")?;
                Ok(QueuedJob {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                    run_after: row.try_get("run_after")?,
                    attempts: row.try_get("attempts")?,
                    done_at: row.try_get("done_at")?,
                    failed_at: row.try_get("failed_at")?,
                    last_error: row.try_get("last_error")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    });
    Ok(rows?)
}

/// Counts of a kind's jobs: (waiting, done, failed).
pub async fn counts(db: &Db, kind: &str) -> Result<(i64, i64, i64), StoreError> {
    let row: (i64, i64, i64) = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN done_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM jobs WHERE kind = $1"
    )
    .bind(kind)
    .fetch_one(pool)
    .await
    })?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(3), 120_000);
        assert_eq!(backoff_ms(7), 1_920_000);
        assert_eq!(backoff_ms(20), 1_920_000);
    }
}
