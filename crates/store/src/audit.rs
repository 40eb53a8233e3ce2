//! The audit trail in the database: appended in the same transaction as the change it records,
//! read per object for history pages, and verified end to end by `ocop audit verify`.

use sqlx::Row;

use ocop_domain::audit::{AuditEntry, ChainBreak, ChainedEntry, Changes, entry_hash, verify_chain};

use crate::clock::now_ms;
use crate::{Db, StoreError, Tx, on_db, on_tx};

/// Appends a record to the chain, inside the caller's transaction. Returns its `seq`.
pub async fn append(
    tx: &mut Tx,
    actor: &str,
    action: &str,
    object_type: &str,
    object_id: &str,
    changes: &Changes,
) -> Result<i64, StoreError> {
    // Taking the head row first serialises writers (a row lock on PostgreSQL; SQLite's write
    // transaction is already exclusive).
    let (seq, prev_hash): (i64, String) = on_tx!(tx, |conn| sqlx::query_as(
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"
    )
    .fetch_one(&mut *conn)
    .await)?;
    let entry = AuditEntry {
        seq,
        at_ms: now_ms(),
        actor: actor.to_string(),
        action: action.to_string(),
        object_type: object_type.to_string(),
        object_id: object_id.to_string(),
        changes: changes.to_json(),
    };
    let hash = entry_hash(&prev_hash, &entry);
    on_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor, action, object_type, object_id, changes, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(entry.seq)
    .bind(entry.at_ms)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.object_type)
    .bind(&entry.object_id)
    .bind(&entry.changes)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    on_tx!(tx, |conn| sqlx::query(
        "UPDATE audit_head SET hash = $1 WHERE id = 1"
    )
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(seq)
}

/// One record, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub changes: String,
}

/// An object's history, oldest first: its own records, and the records of events that touched
/// it among many (an import), each with what it changed of this object.
pub async fn history(
    db: &Db,
    object_type: &str,
    object_id: &str,
) -> Result<Vec<AuditRecord>, StoreError> {
    let rows: Vec<(i64, i64, String, String, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT seq, at_ms, actor, action, changes FROM audit_log \
         WHERE object_type = $1 AND object_id = $2 \
         UNION ALL SELECT a.seq, a.at_ms, a.actor, a.action, o.changes FROM audit_objects o \
         JOIN audit_log a ON a.seq = o.audit_seq WHERE o.object_type = $1 AND o.object_id = $2 \
         ORDER BY 1"
    )
    .bind(object_type)
    .bind(object_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(seq, at_ms, actor, action, changes)| AuditRecord {
            seq,
            at_ms,
            actor,
            action,
            changes,
        })
        .collect())
}

/// The number of the newest record (0 before the first): how far the trail has grown.
pub async fn last_seq(db: &Db) -> Result<i64, StoreError> {
    Ok(on_db!(db, |pool| sqlx::query_scalar(
        "SELECT seq FROM audit_head WHERE id = 1"
    )
    .fetch_one(pool)
    .await)?)
}

/// The head: the newest record's number and hash (0 and zeros before the first).
pub async fn head(db: &Db) -> Result<(i64, String), StoreError> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    )
    .fetch_one(pool)
    .await)?)
}

/// Checks the whole chain against the head. `Ok(Ok(n))`: n records, intact.
pub async fn verify(db: &Db) -> Result<Result<i64, ChainBreak>, StoreError> {
    let last_seq = last_seq(db).await?;
    let entries: Vec<ChainedEntry> = on_db!(db, |pool| {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, object_type, object_id, changes, prev_hash, hash \
             FROM audit_log ORDER BY seq",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>(ChainedEntry {
                    entry: AuditEntry {
                        seq: row.try_get("seq")?,
                        at_ms: row.try_get("at_ms")?,
                        actor: row.try_get("actor")?,
                        action: row.try_get("action")?,
                        object_type: row.try_get("object_type")?,
                        object_id: row.try_get("object_id")?,
                        changes: row.try_get("changes")?,
                    },
                    prev_hash: row.try_get("prev_hash")?,
                    hash: row.try_get("hash")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(verify_chain(entries, last_seq))
}
