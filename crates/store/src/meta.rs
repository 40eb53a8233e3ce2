//! The `meta` table: small named values such as the checksum of the loaded units file.

use crate::{Db, StoreError, Tx, on_db, on_tx};

pub async fn get(db: &Db, key: &str) -> Result<Option<String>, StoreError> {
    let value = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT value FROM meta WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await)?;
    Ok(value)
}

pub async fn set(tx: &mut Tx, key: &str, value: &str) -> Result<(), StoreError> {
    on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
