//! Where a product is sold: kept by whoever keeps the product's records (within scope), shown
//! to everyone on the product's public page. Each change is audited on the product's history.

use chrono::NaiveDate;
use ocop_domain::access::Scope;
use ocop_domain::audit::Changes;
use ocop_domain::monitoring::promotion::Platform;
use ocop_domain::sales_points::{SalesPointDraft, SalesPointKind};

use crate::clock::{new_id, now_ms};
use crate::registry::product;
use crate::{Db, StoreError, audit, on_db, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesPoint {
    pub id: String,
    pub product_id: String,
    pub kind: SalesPointKind,
    pub name: String,
    pub address: Option<String>,
    pub url: Option<String>,
    pub opened_on: Option<NaiveDate>,
    pub platform: Option<Platform>,
}

/// (id, kind, name, address, url, opened_on, platform)
type SalesPointRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
    Option<String>,
);

/// A product's sales points, physical places first, then by name.
pub async fn of_product(db: &Db, product_id: &str) -> Result<Vec<SalesPoint>, StoreError> {
    let rows: Vec<SalesPointRow> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT id, kind, name, address, url, opened_on, platform FROM sales_points WHERE product_id = $1 \
             ORDER BY CASE kind WHEN 'showroom' THEN 0 WHEN 'point_of_sale' THEN 1 \
             WHEN 'supermarket' THEN 2 ELSE 3 END, name, id"
    )
    .bind(product_id)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, name, address, url, opened_on, platform)| SalesPoint {
                id,
                product_id: product_id.to_string(),
                // Written only through SalesPointKind; an unknown kind reads as a shop.
                kind: SalesPointKind::parse(&kind).unwrap_or(SalesPointKind::PointOfSale),
                name,
                address,
                url,
                opened_on,
                platform: platform.as_deref().and_then(Platform::parse),
            },
        )
        .collect())
}

/// Adds a sales point to a product in `scope` (`None`: no such product there).
pub async fn add(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    draft: &SalesPointDraft,
    actor: &str,
) -> Result<Option<SalesPoint>, StoreError> {
    if product(db, scope, product_id).await?.is_none() {
        return Ok(None);
    }
    let point = SalesPoint {
        id: new_id(),
        product_id: product_id.to_string(),
        kind: draft.kind,
        name: draft.name.clone(),
        address: draft.address.clone(),
        url: draft.url.clone(),
        opened_on: draft.opened_on,
        platform: draft.platform,
    };
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO sales_points (id, product_id, kind, name, address, url, opened_on, platform, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(&point.id)
    .bind(&point.product_id)
    .bind(point.kind.as_str())
    .bind(&point.name)
    .bind(&point.address)
    .bind(&point.url)
    .bind(point.opened_on)
    .bind(point.platform.map(Platform::as_str))
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("sales_point", &point.id)
        .created("kind", point.kind.as_str())
        .created("name", &point.name)
        .created("address", &point.address)
        .created("url", &point.url)
        .created("opened_on", point.opened_on)
        .created("platform", point.platform.map(Platform::as_str));
    audit::append(
        &mut tx,
        actor,
        "product.add_sales_point",
        "product",
        product_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(point))
}

/// Removes one of a product's sales points (`false`: no such product in `scope`, or no such
/// point of it).
pub async fn remove(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    point_id: &str,
    actor: &str,
) -> Result<bool, StoreError> {
    if product(db, scope, product_id).await?.is_none() {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    let row: Option<(String, String, Option<String>, Option<String>)> =
        on_tx!(&mut tx, |conn| sqlx::query_as(
            "SELECT kind, name, address, url FROM sales_points WHERE id = $1 AND product_id = $2"
        )
        .bind(point_id)
        .bind(product_id)
        .fetch_optional(&mut *conn)
        .await)?;
    let Some((kind, name, address, url)) = row else {
        return Ok(false);
    };
    on_tx!(&mut tx, |conn| sqlx::query(
        "DELETE FROM sales_points WHERE id = $1"
    )
    .bind(point_id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = Changes::new()
        .field("sales_point", point_id, ())
        .field("kind", &kind, ())
        .field("name", &name, ())
        .field("address", &address, ())
        .field("url", &url, ());
    audit::append(
        &mut tx,
        actor,
        "product.remove_sales_point",
        "product",
        product_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
