//! Production batches: recorded by the producer (within its scope), read by everyone through a
//! package's GS1 Digital Link.

use chrono::NaiveDate;
use sqlx::Row;

use ocop_domain::access::Scope;
use ocop_domain::audit::Changes;
use ocop_domain::batches::BatchDraft;

use crate::clock::{new_id, now_ms};
use crate::registry::product;
use crate::{Db, StoreError, audit, on_db, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: String,
    pub product_id: String,
    pub lot: String,
    pub produced_on: NaiveDate,
    pub quantity: i64,
    pub unit: String,
    pub raw_material_area: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub created_at: i64,
}

/// Why a batch was not recorded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchError {
    #[error("the product already has a batch with lot number {0}")]
    DuplicateLot(String),
}

const BATCH_SELECT: &str = "SELECT id, product_id, lot, produced_on, quantity, unit, raw_material_area, \
     expires_on, created_at FROM batches";

fn batch_from_row<R: Row>(row: &R) -> Result<Batch, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<NaiveDate>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Batch {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        lot: row.try_get("lot")?,
        produced_on: row.try_get("produced_on")?,
        quantity: row.try_get("quantity")?,
        unit: row.try_get("unit")?,
        raw_material_area: row.try_get("raw_material_area")?,
        expires_on: row.try_get("expires_on")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Records a batch of a product in `scope` (`None`: no such product there), audited on the
/// product's history.
pub async fn add(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    draft: &BatchDraft,
    actor: &str,
) -> Result<Option<Result<Batch, BatchError>>, StoreError> {
    if product(db, scope, product_id).await?.is_none() {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    let taken: Option<String> = on_tx!(&mut tx, |conn| sqlx::query_scalar(
        "SELECT id FROM batches WHERE product_id = $1 AND lot = $2"
    )
    .bind(product_id)
    .bind(&draft.lot)
    .fetch_optional(&mut *conn)
    .await)?;
    if taken.is_some() {
        return Ok(Some(Err(BatchError::DuplicateLot(draft.lot.clone()))));
    }
    let batch = Batch {
        id: new_id(),
        product_id: product_id.to_string(),
        lot: draft.lot.clone(),
        produced_on: draft.produced_on,
        quantity: draft.quantity,
        unit: draft.unit.clone(),
        raw_material_area: draft.raw_material_area.clone(),
        expires_on: draft.expires_on,
        created_at: now_ms(),
    };
    on_tx!(&mut tx, |conn| sqlx::query(
        "INSERT INTO batches (id, product_id, lot, produced_on, quantity, unit, raw_material_area, \
         expires_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(&batch.id)
    .bind(&batch.product_id)
    .bind(&batch.lot)
    .bind(batch.produced_on)
    .bind(batch.quantity)
    .bind(&batch.unit)
    .bind(&batch.raw_material_area)
    .bind(batch.expires_on)
    .bind(actor)
    .bind(batch.created_at)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = Changes::new()
        .created("lot", &batch.lot)
        .created("produced_on", batch.produced_on)
        .created("quantity", batch.quantity)
        .created("unit", &batch.unit)
        .created("raw_material_area", &batch.raw_material_area)
        .created("expires_on", batch.expires_on);
    audit::append(
        &mut tx,
        actor,
        "product.add_batch",
        "product",
        product_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Ok(batch)))
}

/// A product's batches, newest production first.
pub async fn of_product(db: &Db, product_id: &str) -> Result<Vec<Batch>, StoreError> {
    let sql = format!("{BATCH_SELECT} WHERE product_id = $1 ORDER BY produced_on DESC, lot DESC");
    let batches: Result<Vec<Batch>, sqlx::Error> = on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(product_id)
            .fetch_all(pool)
            .await?;
        rows.iter().map(batch_from_row).collect()
    });
    Ok(batches?)
}

/// One batch of a product by its lot number.
pub async fn by_lot(db: &Db, product_id: &str, lot: &str) -> Result<Option<Batch>, StoreError> {
    let sql = format!("{BATCH_SELECT} WHERE product_id = $1 AND lot = $2");
    let batch: Result<Option<Batch>, sqlx::Error> = on_db!(db, |pool| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(product_id)
            .bind(lot)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(batch_from_row).transpose()
    });
    Ok(batch?)
}

/// The product registered with one of the GTIN's `forms` (as [`ocop_domain::batches::gtin_forms`]
/// gives them), the oldest registration if several claim it.
pub async fn product_by_gtin(db: &Db, forms: &[String]) -> Result<Option<String>, StoreError> {
    if forms.is_empty() {
        return Ok(None);
    }
    let marks: Vec<String> = (1..=forms.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT id FROM products WHERE gtin IN ({}) ORDER BY created_at, id LIMIT 1",
        marks.join(",")
    );
    let id: Option<String> = on_db!(db, |pool| {
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        for form in forms {
            query = query.bind(form);
        }
        query.fetch_optional(pool).await
    })?;
    Ok(id)
}
