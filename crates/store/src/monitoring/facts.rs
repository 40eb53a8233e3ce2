//! The facts indicators and dashboards are computed from, read from the records in a few
//! streamed queries and kept per revision: every server rebuilds its copy when the audit head
//! moved (any write, by any server, is audited), so no server reports stale figures.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::Row;

use ocop_domain::criteria::{Catalog, EntityType};
use ocop_domain::monitoring::facts::{
    CraftVillageFact, DossierFact, EntityFacts, Facts, Place, Recognition, SalesPointFact,
    TrainingFact,
};
use ocop_domain::text::fold;

use crate::catalogue::Shared;
use crate::certificates::REVOKED_ON;
use crate::revision::{self, Revision, RevisionWatch};
use crate::{Db, StoreError, on_db};

/// One server's facts, rebuilt when the records' revision moves.
#[derive(Default)]
pub struct MonitoringFacts {
    current: tokio::sync::RwLock<Option<(Revision, Arc<Facts>)>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl MonitoringFacts {
    /// The facts as of now: every write committed before this call is in them.
    pub async fn get(
        &self,
        db: &Db,
        watch: &RevisionWatch,
        criteria: &Catalog,
    ) -> Result<Arc<Facts>, StoreError> {
        let revision = watch.current(db).await?;
        if let Some(facts) = self.cached(&revision).await {
            return Ok(facts);
        }
        let _refresh = self.refreshing.lock().await;
        if let Some(facts) = self.cached(&revision).await {
            return Ok(facts);
        }
        let revision = revision::read(db).await?;
        let facts = Arc::new(load(db, criteria).await?);
        *self.current.write().await = Some((revision, facts.clone()));
        Ok(facts)
    }

    async fn cached(&self, revision: &Revision) -> Option<Arc<Facts>> {
        match &*self.current.read().await {
            Some((built, facts))
                if built.audit_seq >= revision.audit_seq && built.units == revision.units =>
            {
                Some(facts.clone())
            }
            _ => None,
        }
    }
}

/// (id, code, level, parent, valid to)
type UnitRow = (i64, String, String, Option<i64>, Option<NaiveDate>);

/// Today's communes → the province and district each lay in before the reform (the lowest code
/// when a new commune was made of communes of several: docs/monitoring.md). Worked out in memory
/// from the units and their successions: a five-way join is slow on SQLite.
async fn former_places(
    db: &Db,
    shared: &mut Shared,
) -> Result<HashMap<String, (Arc<str>, Arc<str>)>, StoreError> {
    let units: Vec<UnitRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, code, level, parent_id, valid_to FROM units"
    )
    .fetch_all(pool)
    .await)?;
    let links: Vec<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT predecessor_id, successor_id FROM unit_successions"
    )
    .fetch_all(pool)
    .await)?;
    let by_id: HashMap<i64, &UnitRow> = units.iter().map(|u| (u.0, u)).collect();
    // A former commune's province and district: its parent's parent, and its parent.
    let places_of = |id: i64| -> Option<(&str, &str)> {
        let commune = by_id.get(&id)?;
        let district = by_id.get(&commune.3?)?;
        let province = by_id.get(&district.3?)?;
        (commune.2 == "commune" && district.2 == "district" && province.2 == "province")
            .then_some((province.1.as_str(), district.1.as_str()))
    };
    let mut former: HashMap<String, (&str, &str)> = HashMap::new();
    for (old, new) in links {
        let Some(successor) = by_id.get(&new) else {
            continue;
        };
        if successor.2 != "commune" || successor.4.is_some() {
            continue;
        }
        if let Some(places) = places_of(old) {
            let kept = former.entry(successor.1.clone()).or_insert(places);
            if places < *kept {
                *kept = places;
            }
        }
    }
    Ok(former
        .into_iter()
        .map(|(commune, (province, district))| {
            let province = shared.get(province.to_string());
            let district = shared.get(district.to_string());
            (commune, (province, district))
        })
        .collect())
}

struct Placer {
    former: HashMap<String, (Arc<str>, Arc<str>)>,
    shared: Shared,
}

impl Placer {
    fn place(&mut self, province: String, commune: String) -> Place {
        let former = self.former.get(&commune);
        Place {
            former_province: former.map(|f| f.0.clone()),
            former_district: former.map(|f| f.1.clone()),
            province: self.shared.get(province),
            commune: self.shared.get(commune),
        }
    }
}

/// (province, commune, name, address, opened on)
type PointRow = (String, String, String, Option<String>, Option<NaiveDate>);

/// Reads every fact of the nation.
pub async fn load(db: &Db, criteria: &Catalog) -> Result<Facts, StoreError> {
    let mut shared = Shared::default();
    let former = former_places(db, &mut shared).await?;
    let mut placer = Placer { former, shared };
    let mut facts = Facts::default();
    let sql = format!(
        "SELECT c.product_id, c.entity_id, p.commune_code, p.province_code, p.product_set, \
         p.criteria_version, e.kind, c.stars, c.issued_on, c.expires_on, {REVOKED_ON} AS revoked_on, \
         EXISTS (SELECT 1 FROM round_products rp JOIN evidence ev ON ev.dossier_id = rp.dossier_id \
                 WHERE rp.id = c.round_product_id) AS digitised \
         FROM certificates c JOIN products p ON p.id = c.product_id JOIN entities e ON e.id = c.entity_id"
    );
    let streamed: Result<(), sqlx::Error> = on_db!(db, |pool| {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(pool);
        while let Some(row) = rows.try_next().await? {
            facts
                .recognitions
                .push(recognition(&row, criteria, &mut placer)?);
        }
        Ok(())
    });
    streamed?;
    facts.sort();

    let channels = "EXISTS (SELECT 1 FROM products sp_p JOIN sales_points sp ON sp.product_id = sp_p.id \
         WHERE sp_p.entity_id = e.id AND sp.kind IN ('supermarket', 'ecommerce'))";
    let since = "(SELECT MIN(sp.opened_on) FROM products sp_p JOIN sales_points sp ON sp.product_id = sp_p.id \
         WHERE sp_p.entity_id = e.id AND sp.kind IN ('supermarket', 'ecommerce'))";
    let sql = format!(
        "SELECT e.id, e.province_code, e.commune_code, e.kind, e.women_led, e.ethnic_minority_led, \
         e.value_chain, e.workers, {channels} AS modern, {since} AS modern_since FROM entities e \
         WHERE EXISTS (SELECT 1 FROM certificates c WHERE c.entity_id = e.id)"
    );
    let streamed: Result<(), sqlx::Error> = on_db!(db, |pool| {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(pool);
        while let Some(row) = rows.try_next().await? {
            let kind: String = row.try_get("kind")?;
            let id: Arc<str> = Arc::from(row.try_get::<String, _>("id")?.as_str());
            let modern: bool = row.try_get("modern")?;
            let since: Option<NaiveDate> = row.try_get("modern_since")?;
            let place = placer.place(row.try_get("province_code")?, row.try_get("commune_code")?);
            facts.entities.insert(
                id.clone(),
                EntityFacts {
                    id,
                    place,
                    entity_type: EntityType::parse(&kind).unwrap_or(EntityType::Household),
                    women_led: row.try_get("women_led")?,
                    ethnic_minority_led: row.try_get("ethnic_minority_led")?,
                    value_chain: row.try_get("value_chain")?,
                    workers: row
                        .try_get::<Option<i64>, _>("workers")?
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0),
                    modern_channel_since: modern.then_some(since),
                },
            );
        }
        Ok(())
    });
    streamed?;

    let points: Vec<PointRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT p.province_code, p.commune_code, sp.name, sp.address, sp.opened_on \
             FROM sales_points sp JOIN products p ON p.id = sp.product_id \
             WHERE sp.kind IN ('showroom', 'point_of_sale')"
    )
    .fetch_all(pool)
    .await)?;
    for (province, commune, name, address, opened_on) in points {
        let key = format!("{}|{}", fold(&name), fold(address.as_deref().unwrap_or("")));
        facts.sales_points.push(SalesPointFact {
            place: placer.place(province, commune),
            key: Arc::from(key.as_str()),
            opened_on,
        });
    }

    let training: Vec<(String, NaiveDate, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT a.entity_id, c.starts_on, a.people FROM course_attendees a \
         JOIN courses c ON c.id = a.course_id WHERE a.entity_id IS NOT NULL"
    )
    .fetch_all(pool)
    .await)?;
    facts.training = training
        .into_iter()
        .map(|(entity, held_on, people)| TrainingFact {
            entity_id: Arc::from(entity.as_str()),
            held_on,
            trained: u32::try_from(people).unwrap_or(0),
        })
        .collect();

    let villages: Vec<(String, String, String, Option<String>)> =
        on_db!(db, |pool| sqlx::query_as(
            "SELECT v.id, v.province_code, v.commune_code, vp.product_id FROM craft_villages v \
         LEFT JOIN craft_village_products vp ON vp.village_id = v.id ORDER BY v.id"
        )
        .fetch_all(pool)
        .await)?;
    let mut last: Option<String> = None;
    for (id, province, commune, product) in villages {
        if last.as_deref() != Some(id.as_str()) {
            facts.craft_villages.push(CraftVillageFact {
                place: placer.place(province, commune),
                product_ids: Vec::new(),
            });
            last = Some(id);
        }
        if let (Some(product), Some(village)) = (product, facts.craft_villages.last_mut()) {
            village.product_ids.push(Arc::from(product.as_str()));
        }
    }
    facts.dossiers = dossiers(db, &mut placer).await?;
    Ok(facts)
}

/// Each dossier's current state and stays, from the audit records of its state changes (a
/// dossier loaded in bulk, with none, has been in its state since it was last written).
async fn dossiers(db: &Db, placer: &mut Placer) -> Result<Vec<DossierFact>, StoreError> {
    let mut changes: HashMap<String, Vec<(i64, String, String)>> = HashMap::new();
    let records: Vec<(String, i64, String)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT object_id, at_ms, changes FROM audit_log WHERE object_type = 'dossier'          AND changes LIKE '%\"state\"%' ORDER BY seq"
    )
    .fetch_all(pool)
    .await
    })?;
    for (dossier, at_ms, json) in records {
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let state = &value["state"];
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        if let Some(after) = text(&state["after"]) {
            let before = text(&state["before"]).unwrap_or_default();
            changes
                .entry(dossier)
                .or_default()
                .push((at_ms, before, after));
        }
    }
    let rows: Vec<(String, String, String, String, i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, province_code, commune_code, state, created_at, updated_at FROM dossiers"
    )
    .fetch_all(pool)
    .await)?;
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.date_naive())
            .unwrap_or_default()
    };
    let mut facts = Vec::with_capacity(rows.len());
    for (id, province, commune, state, created_at, updated_at) in rows {
        let mut stays = Vec::new();
        let since = match changes.get(&id) {
            Some(history) => {
                let mut entered = created_at;
                for (at_ms, before, _) in history {
                    if !before.is_empty() {
                        let days = day(*at_ms) - day(entered);
                        stays.push((
                            placer.shared.get(before.clone()),
                            u32::try_from(days.num_days().max(0)).unwrap_or(0),
                        ));
                    }
                    entered = *at_ms;
                }
                day(entered)
            }
            None => day(updated_at.max(created_at)),
        };
        facts.push(DossierFact {
            place: placer.place(province, commune),
            state: placer.shared.get(state),
            since,
            stays,
        });
    }
    Ok(facts)
}

fn recognition<R: Row>(
    row: &R,
    criteria: &Catalog,
    placer: &mut Placer,
) -> Result<Recognition, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<NaiveDate>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let version: String = row.try_get("criteria_version")?;
    let product_set: String = row.try_get("product_set")?;
    let group = criteria.group_of(&version, &product_set);
    let kind: String = row.try_get("kind")?;
    let stars: i64 = row.try_get("stars")?;
    let product: String = row.try_get("product_id")?;
    let entity: String = row.try_get("entity_id")?;
    Ok(Recognition {
        product_id: Arc::from(product.as_str()),
        entity_id: placer.shared.get(entity),
        place: placer.place(row.try_get("province_code")?, row.try_get("commune_code")?),
        group: placer.shared.get(group),
        entity_type: EntityType::parse(&kind).unwrap_or(EntityType::Household),
        stars: u8::try_from(stars).unwrap_or(0),
        decided_on: row.try_get("issued_on")?,
        expires_on: row.try_get("expires_on")?,
        revoked_on: row.try_get("revoked_on")?,
        digitised: row.try_get("digitised")?,
    })
}
