//! Trade promotion and training in storage: a product's export markets, fairs and the products
//! shown there, courses and who attended, craft villages and their products, and whether an
//! entity works in a value chain. Each change is audited; each read and write is scoped.

use chrono::NaiveDate;

use ocop_domain::access::Scope;
use ocop_domain::audit::Changes;
use ocop_domain::monitoring::promotion::{Audience, CourseDraft, FairDraft};

use super::{MonitoringError, covers};
use crate::clock::{new_id, now_ms};
use crate::registry;
use crate::units;
use crate::{Db, StoreError, audit, on_db, on_tx};

/// A product's export market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportMarket {
    pub country: String,
    pub since_year: i32,
}

/// A product's export markets, oldest first.
pub async fn export_markets(db: &Db, product_id: &str) -> Result<Vec<ExportMarket>, StoreError> {
    let rows: Vec<(String, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT country, since_year FROM export_markets WHERE product_id = $1 ORDER BY since_year, country"
    )
    .bind(product_id)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(country, since_year)| ExportMarket {
            country,
            since_year: since_year as i32,
        })
        .collect())
}

/// Records (or corrects the year of) a product's export market, for a product in `scope`.
pub async fn set_export_market(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    market: &ExportMarket,
    actor: &str,
) -> Result<(), MonitoringError> {
    if registry::product(db, scope, product_id).await?.is_none() {
        return Err(MonitoringError::NotFound);
    }
    let mut tx = db.begin().await?;
    let before: Option<i64> = on_tx!(&mut tx, |conn| sqlx::query_scalar(
        "SELECT since_year FROM export_markets WHERE product_id = $1 AND country = $2"
    )
    .bind(product_id)
    .bind(&market.country)
    .fetch_optional(&mut *conn)
    .await)?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO export_markets (product_id, country, since_year, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (product_id, country) DO UPDATE SET since_year = $3"
    )
    .bind(product_id)
    .bind(&market.country)
    .bind(i64::from(market.since_year))
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new().created("country", &market.country).field(
        "since_year",
        before,
        market.since_year,
    );
    audit::append(
        &mut tx,
        actor,
        "product.set_export_market",
        "product",
        product_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a product's export market (`NotFound`: no such product in scope or no such market).
pub async fn remove_export_market(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    country: &str,
    actor: &str,
) -> Result<(), MonitoringError> {
    if registry::product(db, scope, product_id).await?.is_none() {
        return Err(MonitoringError::NotFound);
    }
    let mut tx = db.begin().await?;
    let removed = on_tx!(&mut tx, |conn| sqlx::query(
        "DELETE FROM export_markets WHERE product_id = $1 AND country = $2"
    )
    .bind(product_id)
    .bind(country)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    if removed == 0 {
        return Err(MonitoringError::NotFound);
    }
    let changes = Changes::new().field("country", country, ());
    audit::append(
        &mut tx,
        actor,
        "product.remove_export_market",
        "product",
        product_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The province a writer records events and courses for: a province officer's own; the
/// central office's is national (empty).
fn organiser_province(scope: &Scope) -> Result<String, MonitoringError> {
    match scope {
        Scope::National => Ok(String::new()),
        Scope::Province(code) => Ok(code.clone()),
        _ => Err(MonitoringError::NotFound),
    }
}

/// Fairs and courses a scope reads: the nation's and a province's own (a commune: its
/// province's and the nation's).
async fn event_filter(db: &Db, scope: &Scope) -> Result<Option<String>, StoreError> {
    Ok(match scope {
        Scope::National => None,
        Scope::Province(code) => Some(code.clone()),
        Scope::Commune(code) => Some(units::province_of(db, code).await?.unwrap_or_default()),
        Scope::Entity(_) | Scope::Seats(_) => Some("-".into()),
    })
}

/// A fair with the products shown there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fair {
    pub id: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub place: String,
    pub province_code: String,
    /// (product id, code, name, reported sales in đồng)
    pub products: Vec<(String, String, String, Option<i64>)>,
}

impl Fair {
    pub fn reported_sales(&self) -> i64 {
        self.products.iter().filter_map(|p| p.3).sum()
    }
}

pub async fn create_fair(
    db: &Db,
    scope: &Scope,
    draft: &FairDraft,
    actor: &str,
) -> Result<String, MonitoringError> {
    let province = organiser_province(scope)?;
    let id = new_id();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO fairs (id, name, starts_on, ends_on, place, province_code, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(&id)
    .bind(&draft.name)
    .bind(draft.starts_on)
    .bind(draft.ends_on)
    .bind(&draft.place)
    .bind(&province)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("name", &draft.name)
        .created("starts_on", draft.starts_on)
        .created("ends_on", draft.ends_on)
        .created("place", &draft.place)
        .created("province", &province);
    audit::append(&mut tx, actor, "fair.create", "fair", &id, &changes).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records a product shown at a fair (in the writer's scope), with its reported sales.
pub async fn add_fair_product(
    db: &Db,
    scope: &Scope,
    fair_id: &str,
    product_id: &str,
    sales: Option<i64>,
    actor: &str,
) -> Result<(), MonitoringError> {
    if fair(db, scope, fair_id).await?.is_none() || organiser_province(scope).is_err() {
        return Err(MonitoringError::NotFound);
    }
    if registry::product(db, scope, product_id).await?.is_none() {
        return Err(MonitoringError::Invalid("product", "fair-error-product"));
    }
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| sqlx::query(
        "INSERT INTO fair_products (fair_id, product_id, sales) VALUES ($1, $2, $3) \
         ON CONFLICT (fair_id, product_id) DO UPDATE SET sales = $3"
    )
    .bind(fair_id)
    .bind(product_id)
    .bind(sales)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = Changes::new()
        .created("product", product_id)
        .created("sales", sales);
    audit::append(
        &mut tx,
        actor,
        "fair.add_product",
        "fair",
        fair_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

type FairRow = (String, String, NaiveDate, NaiveDate, String, String);

async fn fairs_where(db: &Db, scope: &Scope, id: Option<&str>) -> Result<Vec<Fair>, StoreError> {
    let province = event_filter(db, scope).await?;
    let rows: Vec<FairRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, name, starts_on, ends_on, place, province_code FROM fairs \
         WHERE ($1 = '*' OR province_code = $1 OR province_code = '') AND ($2 = '' OR id = $2) \
         ORDER BY starts_on DESC, name"
    )
    .bind(province.as_deref().unwrap_or("*"))
    .bind(id.unwrap_or(""))
    .fetch_all(pool)
    .await)?;
    let mut fairs = Vec::with_capacity(rows.len());
    for (id, name, starts_on, ends_on, place, province_code) in rows {
        let products: Vec<(String, String, String, Option<i64>)> = on_db!(db, |pool| {
            sqlx::query_as(
            "SELECT p.id, p.code, p.name, fp.sales FROM fair_products fp JOIN products p ON p.id = fp.product_id \
             WHERE fp.fair_id = $1 ORDER BY p.name, p.code"
        )
        .bind(&id)
        .fetch_all(pool)
        .await
        })?;
        fairs.push(Fair {
            id,
            name,
            starts_on,
            ends_on,
            place,
            province_code,
            products,
        });
    }
    Ok(fairs)
}

pub async fn fairs(db: &Db, scope: &Scope) -> Result<Vec<Fair>, StoreError> {
    fairs_where(db, scope, None).await
}

pub async fn fair(db: &Db, scope: &Scope, id: &str) -> Result<Option<Fair>, StoreError> {
    Ok(fairs_where(db, scope, Some(id)).await?.into_iter().next())
}

/// The fairs a product was shown at, newest first: (name, first day, place) — public.
pub async fn fairs_of_product(
    db: &Db,
    product_id: &str,
) -> Result<Vec<(String, NaiveDate, String)>, StoreError> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT f.name, f.starts_on, f.place FROM fair_products fp JOIN fairs f ON f.id = fp.fair_id \
         WHERE fp.product_id = $1 ORDER BY f.starts_on DESC, f.name"
    )
    .bind(product_id)
    .fetch_all(pool)
    .await
    })?)
}

/// A course and who attended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    pub id: String,
    pub topic: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub organiser: String,
    pub audience: Audience,
    pub province_code: String,
    /// (entity id if an entity's people, name, how many people)
    pub attendees: Vec<(Option<String>, String, i64)>,
}

impl Course {
    pub fn people(&self) -> i64 {
        self.attendees.iter().map(|a| a.2).sum()
    }
}

pub async fn create_course(
    db: &Db,
    scope: &Scope,
    draft: &CourseDraft,
    actor: &str,
) -> Result<String, MonitoringError> {
    let province = organiser_province(scope)?;
    let id = new_id();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO courses (id, topic, starts_on, ends_on, organiser, audience, province_code, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(&id)
    .bind(&draft.topic)
    .bind(draft.starts_on)
    .bind(draft.ends_on)
    .bind(&draft.organiser)
    .bind(draft.audience.as_str())
    .bind(&province)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("topic", &draft.topic)
        .created("starts_on", draft.starts_on)
        .created("ends_on", draft.ends_on)
        .created("organiser", &draft.organiser)
        .created("audience", draft.audience.as_str());
    audit::append(&mut tx, actor, "course.create", "course", &id, &changes).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records who attended: an entity's people (an entity in the writer's scope; a course for
/// entities) or officials by name (a course for officials).
pub async fn add_attendee(
    db: &Db,
    scope: &Scope,
    course_id: &str,
    entity_id: Option<&str>,
    name: &str,
    people: u32,
    actor: &str,
) -> Result<(), MonitoringError> {
    let Some(course) = course(db, scope, course_id).await? else {
        return Err(MonitoringError::NotFound);
    };
    organiser_province(scope)?;
    let name = match entity_id {
        Some(entity_id) => {
            if course.audience != Audience::Entities {
                return Err(MonitoringError::Invalid(
                    "entity",
                    "course-error-audience-entity",
                ));
            }
            match registry::find(db, scope, entity_id).await? {
                Some(entity) => entity.name,
                None => return Err(MonitoringError::Invalid("entity", "course-error-entity")),
            }
        }
        None => {
            let name = ocop_domain::text::normalize(name);
            if name.is_empty() || name.chars().count() > 200 {
                return Err(MonitoringError::Invalid("name", "course-error-name"));
            }
            name
        }
    };
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO course_attendees (id, course_id, entity_id, name, people) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(new_id())
    .bind(course_id)
    .bind(entity_id)
    .bind(&name)
    .bind(i64::from(people))
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("entity", entity_id)
        .created("name", &name)
        .created("people", people);
    audit::append(
        &mut tx,
        actor,
        "course.add_attendee",
        "course",
        course_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

type CourseRow = (String, String, NaiveDate, NaiveDate, String, String, String);

async fn courses_where(
    db: &Db,
    scope: &Scope,
    id: Option<&str>,
) -> Result<Vec<Course>, StoreError> {
    let province = event_filter(db, scope).await?;
    let rows: Vec<CourseRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, topic, starts_on, ends_on, organiser, audience, province_code FROM courses \
         WHERE ($1 = '*' OR province_code = $1 OR province_code = '') AND ($2 = '' OR id = $2) \
         ORDER BY starts_on DESC, topic"
    )
    .bind(province.as_deref().unwrap_or("*"))
    .bind(id.unwrap_or(""))
    .fetch_all(pool)
    .await)?;
    let mut courses = Vec::with_capacity(rows.len());
    for (id, topic, starts_on, ends_on, organiser, audience, province_code) in rows {
        let attendees: Vec<(Option<String>, String, i64)> = on_db!(db, |pool| {
            sqlx::query_as(
            "SELECT entity_id, name, people FROM course_attendees WHERE course_id = $1 ORDER BY name, id"
        )
        .bind(&id)
        .fetch_all(pool)
        .await
        })?;
        courses.push(Course {
            id,
            topic,
            starts_on,
            ends_on,
            organiser,
            audience: Audience::parse(&audience).unwrap_or(Audience::Entities),
            province_code,
            attendees,
        });
    }
    Ok(courses)
}

pub async fn courses(db: &Db, scope: &Scope) -> Result<Vec<Course>, StoreError> {
    courses_where(db, scope, None).await
}

pub async fn course(db: &Db, scope: &Scope, id: &str) -> Result<Option<Course>, StoreError> {
    Ok(courses_where(db, scope, Some(id)).await?.into_iter().next())
}

/// A traditional craft village and the products made there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CraftVillage {
    pub id: String,
    pub name: String,
    pub commune_code: String,
    pub province_code: String,
    /// (product id, code, name)
    pub products: Vec<(String, String, String)>,
}

/// Records a craft village in a commune of the writer's province.
pub async fn create_craft_village(
    db: &Db,
    scope: &Scope,
    name: &str,
    commune_code: &str,
    actor: &str,
) -> Result<String, MonitoringError> {
    let name = ocop_domain::text::normalize(name);
    if name.is_empty() || name.chars().count() > 200 {
        return Err(MonitoringError::Invalid("name", "village-error-name"));
    }
    let province = units::province_of(db, commune_code.trim())
        .await?
        .ok_or(MonitoringError::Invalid("commune", "village-error-commune"))?;
    if !matches!(scope, Scope::Province(_)) || !covers(scope, Some(&province), Some(commune_code)) {
        return Err(MonitoringError::NotFound);
    }
    let id = new_id();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO craft_villages (id, name, commune_code, province_code, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(&id)
    .bind(&name)
    .bind(commune_code.trim())
    .bind(&province)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("name", &name)
        .created("commune", commune_code.trim());
    audit::append(
        &mut tx,
        actor,
        "craft_village.create",
        "craft_village",
        &id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Links a product (in the writer's scope) to a craft village of the writer's province.
pub async fn add_village_product(
    db: &Db,
    scope: &Scope,
    village_id: &str,
    product_id: &str,
    actor: &str,
) -> Result<(), MonitoringError> {
    if !matches!(scope, Scope::Province(_))
        || !craft_villages(db, scope)
            .await?
            .iter()
            .any(|v| v.id == village_id)
    {
        return Err(MonitoringError::NotFound);
    }
    if registry::product(db, scope, product_id).await?.is_none() {
        return Err(MonitoringError::Invalid("product", "village-error-product"));
    }
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| sqlx::query(
        "INSERT INTO craft_village_products (village_id, product_id) VALUES ($1, $2) \
         ON CONFLICT (village_id, product_id) DO NOTHING"
    )
    .bind(village_id)
    .bind(product_id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = Changes::new().created("product", product_id);
    audit::append(
        &mut tx,
        actor,
        "craft_village.add_product",
        "craft_village",
        village_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Craft villages in a scope, by province and name.
pub async fn craft_villages(db: &Db, scope: &Scope) -> Result<Vec<CraftVillage>, StoreError> {
    let (kind, key) = match scope {
        Scope::National => ("national", String::new()),
        Scope::Province(code) => ("province", code.clone()),
        Scope::Commune(code) => ("commune", code.clone()),
        Scope::Entity(_) | Scope::Seats(_) => return Ok(Vec::new()),
    };
    let rows: Vec<(String, String, String, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, name, commune_code, province_code FROM craft_villages \
         WHERE $1 = 'national' OR ($1 = 'province' AND province_code = $2) \
         OR ($1 = 'commune' AND commune_code = $2) ORDER BY province_code, name, id"
    )
    .bind(kind)
    .bind(&key)
    .fetch_all(pool)
    .await)?;
    let mut villages = Vec::with_capacity(rows.len());
    for (id, name, commune_code, province_code) in rows {
        let products: Vec<(String, String, String)> = on_db!(db, |pool| {
            sqlx::query_as(
            "SELECT p.id, p.code, p.name FROM craft_village_products vp JOIN products p ON p.id = vp.product_id \
             WHERE vp.village_id = $1 ORDER BY p.name, p.code"
        )
        .bind(&id)
        .fetch_all(pool)
        .await
        })?;
        villages.push(CraftVillage {
            id,
            name,
            commune_code,
            province_code,
            products,
        });
    }
    Ok(villages)
}

/// Marks whether an entity (in the writer's scope) works in a value chain or in green
/// (circular) production.
pub async fn set_value_chain(
    db: &Db,
    scope: &Scope,
    entity_id: &str,
    value_chain: bool,
    actor: &str,
) -> Result<(), MonitoringError> {
    if registry::find(db, scope, entity_id).await?.is_none() {
        return Err(MonitoringError::NotFound);
    }
    let mut tx = db.begin().await?;
    let before: bool = on_tx!(&mut tx, |conn| sqlx::query_scalar(
        "SELECT value_chain FROM entities WHERE id = $1"
    )
    .bind(entity_id)
    .fetch_one(&mut *conn)
    .await)?;
    if before == value_chain {
        return Ok(());
    }
    on_tx!(&mut tx, |conn| sqlx::query(
        "UPDATE entities SET value_chain = $2 WHERE id = $1"
    )
    .bind(entity_id)
    .bind(value_chain)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = Changes::new().field("value_chain", before, value_chain);
    audit::append(
        &mut tx,
        actor,
        "entity.set_value_chain",
        "entity",
        entity_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether an entity works in a value chain.
pub async fn value_chain(db: &Db, entity_id: &str) -> Result<bool, StoreError> {
    let flag: Option<bool> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT value_chain FROM entities WHERE id = $1"
    )
    .bind(entity_id)
    .fetch_optional(pool)
    .await)?;
    Ok(flag.unwrap_or(false))
}
