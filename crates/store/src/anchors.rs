//! The audit trail's daily anchors: the head signed with the installation's active certificate
//! key, kept in `audit_anchors` and published, and checked against the log as it is now.

use chrono::NaiveDate;

use ocop_domain::audit::{Anchor, AnchorBreak};

use crate::keys::{self, InstallationSecret, KeyError};
use crate::{Db, StoreError, audit, on_db};

const COLUMNS: &str = "day, seq, hash, key_id, signature";

type AnchorRow = (NaiveDate, i64, String, i64, String);

fn from_row((day, seq, hash, key_id, signature): AnchorRow) -> Result<Anchor, StoreError> {
    Ok(Anchor {
        day,
        seq,
        hash,
        key_id: u16::try_from(key_id).map_err(|_| StoreError::Data(format!("key id {key_id}")))?,
        signature,
    })
}

/// The anchor of `day`: made now from the head if that day has none (each day is anchored
/// once, whichever server gets there first), else the one made before.
pub async fn anchor(
    db: &Db,
    secret: &InstallationSecret,
    day: NaiveDate,
) -> Result<Anchor, KeyError> {
    if let Some(made) = of_day(db, day).await? {
        return Ok(made);
    }
    let (seq, hash) = audit::head(db).await?;
    let (key_id, key) = keys::active_signer(db, secret).await?;
    let anchor = Anchor::sign(&key, key_id, day, seq, &hash);
    on_db!(db, |pool| sqlx::query(
        "INSERT INTO audit_anchors (day, seq, hash, key_id, signature, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (day) DO NOTHING"
    )
    .bind(anchor.day)
    .bind(anchor.seq)
    .bind(&anchor.hash)
    .bind(i64::from(anchor.key_id))
    .bind(&anchor.signature)
    .bind(crate::clock::now_ms())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(of_day(db, day).await?.unwrap_or(anchor))
}

async fn of_day(db: &Db, day: NaiveDate) -> Result<Option<Anchor>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM audit_anchors WHERE day = $1");
    let row: Option<AnchorRow> = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(day)
        .fetch_optional(pool)
        .await)?;
    row.map(from_row).transpose()
}

/// The newest anchors first, at most `limit`.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Anchor>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM audit_anchors ORDER BY day DESC LIMIT $1");
    let rows: Vec<AnchorRow> = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(from_row).collect()
}

/// Checks `anchors` (the database's own, or copies kept elsewhere) against the log as it is
/// now, with the installation's public keys: the first that does not hold, if any.
pub async fn check(db: &Db, anchors: &[Anchor]) -> Result<Option<AnchorBreak>, StoreError> {
    let keys = keys::public_keys(db).await.map_err(|error| match error {
        KeyError::Store(error) => error,
        other => StoreError::Data(other.to_string()),
    })?;
    for anchor in anchors {
        let hash: Option<String> = on_db!(db, |pool| sqlx::query_scalar(
            "SELECT hash FROM audit_log WHERE seq = $1"
        )
        .bind(anchor.seq)
        .fetch_optional(pool)
        .await)?;
        if let Err(broken) = anchor.check(&keys, hash.as_deref()) {
            return Ok(Some(broken));
        }
    }
    Ok(None)
}
