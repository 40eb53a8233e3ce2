//! The public catalogue in memory ([`ocop_domain::catalogue::CatalogueIndex`]), kept current
//! with every server's writes.
//!
//! Every change of state is audited in its own transaction, so the audit trail's head is the
//! catalogue's revision ([`crate::revision`]): before answering, a server compares it with the
//! one its index was built at. When it moved, the server reads the audit records since
//! then, finds the products they touch (a product, its entity, a certificate, a dossier, a round)
//! and reloads just those; a bulk load, a change of units or a long gap rebuilds the whole
//! index. So a revocation made through any server is in every server's catalogue the next time
//! it is asked.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::Row;

use ocop_domain::catalogue::{CatalogueIndex, Listing};
use ocop_domain::certificates::Timeline;
use ocop_domain::criteria::{Catalog, EntityType};

use crate::certificates::{
    NEWER_CERTIFICATE, REEVALUATION_ENDED_ON, REEVALUATION_FILED_ON, REVOKED_ON,
};
use crate::revision::{self, Revision, RevisionWatch};
use crate::{Db, StoreError, on_db};

/// More audit records than this since the last look: rebuild rather than patch.
const PATCH_LIMIT: i64 = 500;
/// The audit object type of a bulk load (a national demo, an import): rebuild.
pub const BULK_OBJECT: &str = "bulk";

/// The shared, lazily built catalogue of one server.
#[derive(Default)]
pub struct Catalogue {
    current: tokio::sync::RwLock<Option<(Revision, Arc<CatalogueIndex>)>>,
    /// One refresh at a time; the others wait for it and use its result.
    refreshing: tokio::sync::Mutex<()>,
}

impl Catalogue {
    /// The catalogue as of now: every write committed before this call is in it.
    pub async fn index(
        &self,
        db: &Db,
        watch: &RevisionWatch,
        criteria: &Catalog,
    ) -> Result<Arc<CatalogueIndex>, StoreError> {
        let revision = watch.current(db).await?;
        if let Some(index) = self.cached(&revision).await {
            return Ok(index);
        }
        let _refresh = self.refreshing.lock().await;
        if let Some(index) = self.cached(&revision).await {
            return Ok(index);
        }
        let previous = self.current.read().await.clone();
        // Read the revision again under the lock: what we load is at least as new as it.
        let revision = revision::read(db).await?;
        let index = match previous {
            Some((old, index)) if old.units == revision.units => {
                match touched_products(db, old.audit_seq, revision.audit_seq).await? {
                    Some(products) if products.is_empty() => index,
                    Some(products) => {
                        let products: Vec<String> = products.into_iter().collect();
                        let fresh = load(db, criteria, Some(&products)).await?;
                        Arc::new(index.with_changes(&products, fresh))
                    }
                    None => Arc::new(CatalogueIndex::new(
                        load(db, criteria, None).await?.into_iter().map(Arc::new),
                    )),
                }
            }
            _ => Arc::new(CatalogueIndex::new(
                load(db, criteria, None).await?.into_iter().map(Arc::new),
            )),
        };
        *self.current.write().await = Some((revision, index.clone()));
        Ok(index)
    }

    async fn cached(&self, revision: &Revision) -> Option<Arc<CatalogueIndex>> {
        match &*self.current.read().await {
            Some((built, index))
                if built.audit_seq >= revision.audit_seq && built.units == revision.units =>
            {
                Some(index.clone())
            }
            _ => None,
        }
    }
}

/// The products the audit records after `since` (up to `until`) touch, or `None` when the
/// whole catalogue must be rebuilt.
async fn touched_products(
    db: &Db,
    since: i64,
    until: i64,
) -> Result<Option<BTreeSet<String>>, StoreError> {
    let records: Vec<(String, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT object_type, object_id FROM audit_log WHERE seq > $1 AND seq <= $2 \
         ORDER BY seq LIMIT $3"
    )
    .bind(since)
    .bind(until)
    .bind(PATCH_LIMIT + 1)
    .fetch_all(pool)
    .await)?;
    if records.len() as i64 > PATCH_LIMIT || records.iter().any(|(kind, _)| kind == BULK_OBJECT) {
        return Ok(None);
    }
    let mut products = BTreeSet::new();
    for (kind, id) in records {
        let sql = match kind.as_str() {
            "product" => {
                products.insert(id);
                continue;
            }
            "entity" => "SELECT id FROM products WHERE entity_id = $1",
            "certificate" => "SELECT product_id FROM certificates WHERE id = $1",
            "dossier" => "SELECT product_id FROM dossiers WHERE id = $1",
            "round" => "SELECT product_id FROM round_products WHERE round_id = $1",
            _ => continue,
        };
        let ids: Vec<String> = on_db!(db, |pool| sqlx::query_scalar(sql)
            .bind(&id)
            .fetch_all(pool)
            .await)?;
        products.extend(ids);
    }
    Ok(Some(products))
}

/// The listings of `products` (all products with a certificate when `None`): each product with
/// its latest certificate.
pub async fn load(
    db: &Db,
    criteria: &Catalog,
    products: Option<&[String]>,
) -> Result<Vec<Listing>, StoreError> {
    let places: HashMap<String, Arc<str>> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT code, name FROM units WHERE valid_to IS NULL AND level IN ('province', 'commune')"
    )
    .fetch_all(pool)
    .await
    })?
    .into_iter()
    .map(|(code, name): (String, String)| (code, Arc::from(name)))
    .collect();
    let mut shared = Shared::default();
    let select = format!(
        "SELECT p.id, p.code, p.name, p.product_set, p.criteria_version, p.gtin, p.commune_code, \
         p.province_code, e.id AS entity_id, e.registration_code, e.name AS entity_name, e.kind, \
         e.women_led, e.ethnic_minority_led, c.number, c.stars, c.issued_on, c.expires_on, \
         {REVOKED_ON} AS revoked_on, {REEVALUATION_FILED_ON} AS reevaluation_filed_on, \
         {REEVALUATION_ENDED_ON} AS reevaluation_ended_on, \
         (SELECT ph.file_sha256 FROM product_photos ph WHERE ph.product_id = p.id \
            ORDER BY ph.created_at, ph.file_sha256 LIMIT 1) AS photo \
         FROM certificates c JOIN products p ON p.id = c.product_id \
         JOIN entities e ON e.id = p.entity_id \
         WHERE NOT EXISTS (SELECT 1 FROM certificates n WHERE {NEWER_CERTIFICATE})"
    );
    let mut listings = Vec::new();
    let chunks: Vec<&[String]> = match products {
        None => vec![&[]],
        Some(ids) => ids.chunks(500).collect(),
    };
    for chunk in chunks {
        let sql = if products.is_some() {
            let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            format!("{select} AND p.id IN ({})", marks.join(","))
        } else {
            select.clone()
        };
        // Streamed: a national catalogue never holds all its rows and its listings at once.
        let streamed: Result<(), sqlx::Error> = on_db!(db, |pool| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id);
            }
            let mut rows = query.fetch(pool);
            while let Some(row) = rows.try_next().await? {
                listings.push(listing_from_row(&row, criteria, &places, &mut shared)?);
            }
            Ok(())
        });
        streamed?;
    }
    Ok(listings)
}

/// Codes that thousands of listings repeat (sets, groups, communes, provinces), kept once.
#[derive(Default)]
pub(crate) struct Shared(HashMap<String, Arc<str>>);

impl Shared {
    pub(crate) fn get(&mut self, text: String) -> Arc<str> {
        match self.0.get(&text) {
            Some(kept) => kept.clone(),
            None => {
                let kept: Arc<str> = Arc::from(text.as_str());
                self.0.insert(text, kept.clone());
                kept
            }
        }
    }
}

fn listing_from_row<R: Row>(
    row: &R,
    criteria: &Catalog,
    places: &HashMap<String, Arc<str>>,
    shared: &mut Shared,
) -> Result<Listing, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<NaiveDate>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let version: String = row.try_get("criteria_version")?;
    let product_set: String = row.try_get("product_set")?;
    let group = criteria.group_of(&version, &product_set);
    let commune_code: String = row.try_get("commune_code")?;
    let province_code: String = row.try_get("province_code")?;
    let kind: String = row.try_get("kind")?;
    let stars: i64 = row.try_get("stars")?;
    Ok(Listing {
        product_id: row.try_get("id")?,
        product_code: row.try_get("code")?,
        product_name: row.try_get("name")?,
        product_set: shared.get(product_set),
        group: shared.get(group),
        gtin: row.try_get("gtin")?,
        entity_id: row.try_get("entity_id")?,
        entity_code: row.try_get("registration_code")?,
        entity_name: row.try_get("entity_name")?,
        entity_type: EntityType::parse(&kind).unwrap_or(EntityType::Household),
        women_led: row.try_get("women_led")?,
        ethnic_minority_led: row.try_get("ethnic_minority_led")?,
        commune_name: places
            .get(&commune_code)
            .cloned()
            .unwrap_or_else(|| "".into()),
        province_name: places
            .get(&province_code)
            .cloned()
            .unwrap_or_else(|| "".into()),
        commune_code: shared.get(commune_code),
        province_code: shared.get(province_code),
        certificate_number: row.try_get("number")?,
        stars: u8::try_from(stars).unwrap_or(0),
        timeline: Timeline {
            issued_on: row.try_get("issued_on")?,
            expires_on: row.try_get("expires_on")?,
            revoked_on: row.try_get("revoked_on")?,
            superseded_on: None,
            reevaluation_filed_on: row.try_get("reevaluation_filed_on")?,
            reevaluation_ended_on: row.try_get("reevaluation_ended_on")?,
        },
        photo: row.try_get("photo")?,
    })
}
