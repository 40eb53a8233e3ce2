//! Notices: an in-app inbox per account, and for each notice one e-mail job in the outbox
//! (`jobs`, kind `email`), both written in the transaction of the event that calls for them.
//! A notice is kept once per account and `dedupe_key`, so a sweep that runs twice tells no one
//! twice.

use serde_json::Value;
use sqlx::Row;

use crate::clock::{new_id, now_ms};
use crate::{Db, StoreError, Tx, jobs, on_db, on_tx};

/// The kind of job that e-mails a notice.
pub const EMAIL_JOB: &str = "email";

/// Who is told of an event about a product: the producer's accounts, and where given the
/// commune's and the province's officers.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub entity_id: &'a str,
    pub commune_code: Option<&'a str>,
    pub province_code: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: String,
    pub account_id: String,
    pub kind: String,
    pub certificate_id: Option<String>,
    pub params: Value,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// Notifies every active account of `parties`; returns how many notices were new.
pub async fn notify_parties(
    tx: &mut Tx,
    parties: &Parties<'_>,
    kind: &str,
    certificate_id: Option<&str>,
    params: &Value,
    link: &str,
    dedupe_key: &str,
) -> Result<u64, StoreError> {
    let accounts: Vec<String> = on_tx!(&mut *tx, |conn| {
        sqlx::query_scalar(
            "SELECT id FROM users WHERE active AND ( \
               (role = 'producer' AND entity_id = $1) \
               OR (role = 'commune_officer' AND unit_code = $2) \
               OR (role = 'provincial_officer' AND unit_code = $3)) ORDER BY id",
        )
        .bind(parties.entity_id)
        .bind(parties.commune_code.unwrap_or(""))
        .bind(parties.province_code.unwrap_or(""))
        .fetch_all(&mut *conn)
        .await
    })?;
    let mut created = 0;
    for account in accounts {
        if notify(tx, &account, kind, certificate_id, params, link, dedupe_key).await? {
            created += 1;
        }
    }
    Ok(created)
}

/// Puts one notice in an account's inbox and its e-mail in the outbox, unless the account had
/// it already. Returns whether it was new.
pub async fn notify(
    tx: &mut Tx,
    account_id: &str,
    kind: &str,
    certificate_id: Option<&str>,
    params: &Value,
    link: &str,
    dedupe_key: &str,
) -> Result<bool, StoreError> {
    let id = new_id();
    let inserted = on_tx!(&mut *tx, |conn| {
        sqlx::query(
            "INSERT INTO notices (id, account_id, kind, certificate_id, params, link, dedupe_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id, dedupe_key) DO NOTHING",
        )
        .bind(&id)
        .bind(account_id)
        .bind(kind)
        .bind(certificate_id)
        .bind(params.to_string())
        .bind(link)
        .bind(dedupe_key)
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if inserted == 0 {
        return Ok(false);
    }
    jobs::enqueue(
        tx,
        EMAIL_JOB,
        Some(&format!("email:{id}")),
        &serde_json::json!({ "notice_id": id }),
        now_ms(),
    )
    .await?;
    Ok(true)
}

const NOTICE_COLUMNS: &str =
    "id, account_id, kind, certificate_id, params, link, created_at, read_at";

fn notice_from_row<R: Row>(row: &R) -> Result<Notice, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let params: String = row.try_get("params")?;
    Ok(Notice {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        kind: row.try_get("kind")?,
        certificate_id: row.try_get("certificate_id")?,
        params: serde_json::from_str(&params).unwrap_or(Value::Null),
        link: row.try_get("link")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

/// An account's notices, newest first (at most `limit`).
pub async fn inbox(db: &Db, account_id: &str, limit: i64) -> Result<Vec<Notice>, StoreError> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE account_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    );
    let notices: Result<Vec<Notice>, sqlx::Error> = on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account_id)
            .bind(limit)
            .fetch_all(pool)
            .await?;
        rows.iter().map(notice_from_row).collect()
    });
    Ok(notices?)
}

/// One notice of an account.
pub async fn find(db: &Db, account_id: &str, id: &str) -> Result<Option<Notice>, StoreError> {
    find_any(db, id)
        .await
        .map(|notice| notice.filter(|n| n.account_id == account_id))
}

/// One notice by id, whoever it is for (the e-mail sender).
pub async fn find_any(db: &Db, id: &str) -> Result<Option<Notice>, StoreError> {
    let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1");
    let notice: Result<Option<Notice>, sqlx::Error> = on_db!(db, |pool| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(notice_from_row).transpose()
    });
    Ok(notice?)
}

/// How many notices an account has not read (the header's badge).
pub async fn unread(db: &Db, account_id: &str) -> Result<i64, StoreError> {
    let count = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE account_id = $1 AND read_at IS NULL"
    )
    .bind(account_id)
    .fetch_one(pool)
    .await)?;
    Ok(count)
}

/// Marks an account's notices read: one (`Some(id)`) or all.
pub async fn mark_read(db: &Db, account_id: &str, id: Option<&str>) -> Result<u64, StoreError> {
    let done = on_db!(db, |pool| {
        sqlx::query(
        "UPDATE notices SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL AND ($3 = '' OR id = $3)"
    )
    .bind(now_ms())
    .bind(account_id)
    .bind(id.unwrap_or(""))
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(done)
}
