//! The registry of entities. Every read takes a [`Scope`] and filters in SQL, so no list, count
//! or lookup can return another unit's records.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::Row;

use ocop_domain::access::Scope;
use ocop_domain::audit::{AuditedFields, Changes};
use ocop_domain::criteria::EntityType;
use ocop_domain::registry::{EntityDraft, EntityStatus, FieldErrors};
use ocop_domain::text::fold;

use crate::accounts::{self, AccountError, NewUser, User};
use crate::clock::{new_id, now_ms};
use crate::{Db, StoreError, Tx, audit, on_db, on_tx, units};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub id: String,
    pub kind: EntityType,
    pub legal_form: Option<String>,
    pub registration_code: String,
    pub name: String,
    pub representative: String,
    pub address: String,
    pub commune_code: String,
    pub province_code: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub women_led: bool,
    pub ethnic_minority_led: bool,
    pub members: Option<i64>,
    pub workers: Option<i64>,
    pub founded_on: Option<NaiveDate>,
    pub status: EntityStatus,
}

impl Entity {
    /// A new entity as a checked draft describes it.
    pub fn new(draft: &EntityDraft, province_code: &str, status: EntityStatus) -> Entity {
        Entity {
            id: new_id(),
            kind: draft.kind,
            legal_form: draft.legal_form.clone(),
            registration_code: draft.registration_code.clone(),
            name: draft.name.clone(),
            representative: draft.representative.clone(),
            address: draft.address.clone(),
            commune_code: draft.commune_code.clone(),
            province_code: province_code.to_string(),
            phone: draft.phone.clone(),
            email: draft.email.clone(),
            women_led: draft.women_led,
            ethnic_minority_led: draft.ethnic_minority_led,
            members: draft.members.map(i64::from),
            workers: draft.workers.map(i64::from),
            founded_on: draft.founded_on,
            status,
        }
    }
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("the registration has problems: {0:?}")]
    Fields(FieldErrors),
    #[error("account: {0}")]
    Account(AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RegistryError {
    fn from(error: sqlx::Error) -> RegistryError {
        RegistryError::Store(error.into())
    }
}

pub(crate) const ENTITY_COLUMNS: &str = "id, kind, legal_form, registration_code, name, representative, address, \
    commune_code, province_code, phone, email, women_led, ethnic_minority_led, members, workers, \
    founded_on, status";

/// What the audit trail records of an entity, field by field.
pub(crate) const ENTITY_FIELDS: &AuditedFields<Entity> = &[
    ("kind", |e| json!(e.kind.as_str())),
    ("legal_form", |e| json!(e.legal_form)),
    ("registration_code", |e| json!(e.registration_code)),
    ("name", |e| json!(e.name)),
    ("representative", |e| json!(e.representative)),
    ("address", |e| json!(e.address)),
    ("commune_code", |e| json!(e.commune_code)),
    ("phone", |e| json!(e.phone)),
    ("email", |e| json!(e.email)),
    ("women_led", |e| json!(e.women_led)),
    ("ethnic_minority_led", |e| json!(e.ethnic_minority_led)),
    ("members", |e| json!(e.members)),
    ("workers", |e| json!(e.workers)),
    ("founded_on", |e| json!(e.founded_on)),
    ("status", |e| json!(e.status.as_str())),
];

/// A registration code another entity has: the field's error; anything else as it is.
fn code_taken(error: sqlx::Error) -> RegistryError {
    if error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
    {
        RegistryError::Fields(FieldErrors::from([(
            "registration_code",
            "registry-error-registration-taken",
        )]))
    } else {
        error.into()
    }
}

pub(crate) fn entity_from_row<R: Row>(row: &R) -> Result<Entity, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let decode = |column: &str, text: String| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("unknown value {text}").into(),
    };
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(Entity {
        id: row.try_get("id")?,
        kind: EntityType::parse(&kind).ok_or_else(|| decode("kind", kind.clone()))?,
        legal_form: row.try_get("legal_form")?,
        registration_code: row.try_get("registration_code")?,
        name: row.try_get("name")?,
        representative: row.try_get("representative")?,
        address: row.try_get("address")?,
        commune_code: row.try_get("commune_code")?,
        province_code: row.try_get("province_code")?,
        phone: row.try_get("phone")?,
        email: row.try_get("email")?,
        women_led: row.try_get("women_led")?,
        ethnic_minority_led: row.try_get("ethnic_minority_led")?,
        members: row.try_get("members")?,
        workers: row.try_get("workers")?,
        founded_on: row.try_get("founded_on")?,
        status: EntityStatus::parse(&status).ok_or_else(|| decode("status", status.clone()))?,
    })
}

/// The scope as the two bind values of [`scope_filter`].
pub(crate) fn scope_binds(scope: &Scope) -> (&'static str, String) {
    match scope {
        Scope::National => ("national", String::new()),
        Scope::Province(code) => ("province", code.clone()),
        Scope::Commune(code) => ("commune", code.clone()),
        Scope::Entity(id) => ("entity", id.clone()),
        Scope::Seats(user_id) => ("seats", user_id.clone()),
    }
}

/// The tables read within a scope, each with `province_code`, `commune_code`, the entity's id
/// and (for council members) the round products that put a row before them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scoped {
    Entities,
    Products,
    Dossiers,
    /// Read as `certificates c` joined with other tables: columns are qualified.
    Certificates,
}

impl Scoped {
    fn entity_column(self) -> &'static str {
        match self {
            Scoped::Entities => "id",
            Scoped::Products | Scoped::Dossiers => "entity_id",
            Scoped::Certificates => "c.entity_id",
        }
    }

    /// This table's column the round products' column is compared with.
    fn seats_column(self) -> &'static str {
        match self {
            Scoped::Certificates => "c.product_id",
            _ => "id",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Scoped::Certificates => "c.",
            _ => "",
        }
    }

    /// The round products' column naming this table's rows.
    fn round_column(self) -> &'static str {
        match self {
            Scoped::Entities => "entity_id",
            Scoped::Products | Scoped::Certificates => "product_id",
            Scoped::Dossiers => "dossier_id",
        }
    }
}

/// The one filter every registry read goes through ($1: scope kind, $2: its key). A council
/// member (`seats`) sees only the entities, products and dossiers of the rounds they sit on.
pub(crate) fn scope_filter(table: Scoped) -> String {
    let entity_column = table.entity_column();
    let round_column = table.round_column();
    let seats_column = table.seats_column();
    let prefix = table.prefix();
    format!(
        "($1 = 'national' OR ($1 = 'province' AND {prefix}province_code = $2) \
         OR ($1 = 'commune' AND {prefix}commune_code = $2) OR ($1 = 'entity' AND {entity_column} = $2) \
         OR ($1 = 'seats' AND {seats_column} IN (SELECT rp.{round_column} FROM round_products rp \
             JOIN council_seats cs ON cs.round_id = rp.round_id WHERE cs.user_id = $2)))"
    )
}

/// Reads rows within a scope: `SELECT … WHERE <scope filter> AND <rest>`, binding the scope as
/// $1, $2 and `third` as $3, mapping each row with `map`. `all` gives a `Vec`, `one` an `Option`.
/// Every scoped read goes through here, so none can forget the filter.
macro_rules! scoped {
    (all, $db:expr, $scope:expr, $select:expr, $table:expr, $rest:expr, $third:expr, $map:path) => {{
        let (kind, key) = $crate::registry::scope_binds($scope);
        let sql = format!(
            "{} WHERE {} AND {}",
            $select,
            $crate::registry::scope_filter($table),
            $rest
        );
        let rows: Result<Vec<_>, sqlx::Error> = $crate::on_db!($db, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(kind)
                .bind(&key)
                .bind($third)
                .fetch_all(pool)
                .await?;
            rows.iter().map($map).collect()
        });
        rows
    }};
    (one, $db:expr, $scope:expr, $select:expr, $table:expr, $rest:expr, $third:expr, $map:path) => {{
        let (kind, key) = $crate::registry::scope_binds($scope);
        let sql = format!(
            "{} WHERE {} AND {}",
            $select,
            $crate::registry::scope_filter($table),
            $rest
        );
        let row: Result<Option<_>, sqlx::Error> = $crate::on_db!($db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(kind)
                .bind(&key)
                .bind($third)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map($map).transpose()
        });
        row
    }};
}
pub(crate) use scoped;

/// Entities within `scope`, optionally of one status, by name.
pub async fn list(
    db: &Db,
    scope: &Scope,
    status: Option<EntityStatus>,
) -> Result<Vec<Entity>, StoreError> {
    Ok(scoped!(
        all,
        db,
        scope,
        format!("SELECT {ENTITY_COLUMNS} FROM entities"),
        crate::registry::Scoped::Entities,
        "($3 = '' OR status = $3) ORDER BY name_folded, id",
        status.map_or("", EntityStatus::as_str),
        entity_from_row
    )?)
}

/// One entity by its registration code, if within `scope`.
pub async fn entity_by_code(
    db: &Db,
    scope: &Scope,
    registration_code: &str,
) -> Result<Option<Entity>, StoreError> {
    Ok(scoped!(
        one,
        db,
        scope,
        format!("SELECT {ENTITY_COLUMNS} FROM entities"),
        crate::registry::Scoped::Entities,
        "registration_code = $3",
        registration_code,
        entity_from_row
    )?)
}

/// One entity, if it exists within `scope` (out of scope reads as absent).
pub async fn find(db: &Db, scope: &Scope, id: &str) -> Result<Option<Entity>, StoreError> {
    Ok(scoped!(
        one,
        db,
        scope,
        format!("SELECT {ENTITY_COLUMNS} FROM entities"),
        crate::registry::Scoped::Entities,
        "id = $3",
        id,
        entity_from_row
    )?)
}

/// The province of a commune in force, or the field error.
async fn locate(db: &Db, commune_code: &str) -> Result<String, RegistryError> {
    units::province_of(db, commune_code).await?.ok_or_else(|| {
        RegistryError::Fields(FieldErrors::from([(
            "commune_code",
            "registry-error-commune",
        )]))
    })
}

async fn insert(
    tx: &mut Tx,
    draft: &EntityDraft,
    province_code: &str,
    status: EntityStatus,
    actor: &str,
) -> Result<Entity, RegistryError> {
    let entity = Entity::new(draft, province_code, status);
    let now = now_ms();
    let inserted = on_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO entities (id, kind, legal_form, registration_code, name, name_folded, representative, \
         address, commune_code, province_code, phone, email, women_led, ethnic_minority_led, members, \
         workers, founded_on, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)"
    )
    .bind(&entity.id)
    .bind(entity.kind.as_str())
    .bind(&entity.legal_form)
    .bind(&entity.registration_code)
    .bind(&entity.name)
    .bind(fold(&entity.name))
    .bind(&entity.representative)
    .bind(&entity.address)
    .bind(&entity.commune_code)
    .bind(&entity.province_code)
    .bind(&entity.phone)
    .bind(&entity.email)
    .bind(entity.women_led)
    .bind(entity.ethnic_minority_led)
    .bind(entity.members)
    .bind(entity.workers)
    .bind(entity.founded_on)
    .bind(status.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    });
    inserted.map_err(code_taken)?;
    let changes = Changes::between(None, &entity, ENTITY_FIELDS);
    audit::append(tx, actor, "entity.create", "entity", &entity.id, &changes).await?;
    Ok(entity)
}

/// Registers an entity (e.g. by an officer), in one transaction.
pub async fn create(
    db: &Db,
    draft: &EntityDraft,
    status: EntityStatus,
    actor: &str,
) -> Result<Entity, RegistryError> {
    let province = locate(db, &draft.commune_code).await?;
    let mut tx = db.begin().await?;
    let entity = insert(&mut tx, draft, &province, status, actor).await?;
    tx.commit().await?;
    Ok(entity)
}

/// A producer registers itself: the entity (pending until the commune confirms it) and its
/// producer account, both or neither.
pub async fn register_producer(
    db: &Db,
    draft: &EntityDraft,
    account: NewUser,
) -> Result<(Entity, User), RegistryError> {
    let province = locate(db, &draft.commune_code).await?;
    let prepared = accounts::prepare_user(db, account)
        .await
        .map_err(RegistryError::Account)?;
    let mut tx = db.begin().await?;
    let entity = insert(
        &mut tx,
        draft,
        &province,
        EntityStatus::Pending,
        "self-registration",
    )
    .await?;
    let prepared = prepared.with_entity(&entity.id);
    let user = accounts::insert_user(&mut tx, prepared, "self-registration")
        .await
        .map_err(RegistryError::Account)?;
    tx.commit().await?;
    Ok((entity, user))
}

/// A commune or provincial officer confirms a pending entity within its scope. `None`: no such
/// pending entity in scope.
pub async fn confirm(
    db: &Db,
    scope: &Scope,
    id: &str,
    actor: &str,
) -> Result<Option<Entity>, StoreError> {
    let Some(entity) = find(db, scope, id).await? else {
        return Ok(None);
    };
    if entity.status != EntityStatus::Pending {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    let updated = on_tx!(&mut tx, |conn| {
        sqlx::query(
        "UPDATE entities SET status = 'confirmed', updated_at = $1 WHERE id = $2 AND status = 'pending'"
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    if updated == 0 {
        return Ok(None);
    }
    let changes = Changes::new().field("status", "pending", "confirmed");
    audit::append(&mut tx, actor, "entity.confirm", "entity", id, &changes).await?;
    tx.commit().await?;
    Ok(Some(Entity {
        status: EntityStatus::Confirmed,
        ..entity
    }))
}

/// Edits an entity within `scope` by someone of role `editor`: every changed field is audited
/// with its value before and after, and a producer who changes what identifies a confirmed
/// entity sends it back for confirmation. Nothing changed: nothing written. `None`: no such
/// entity in scope.
pub async fn update(
    db: &Db,
    scope: &Scope,
    id: &str,
    draft: &EntityDraft,
    editor: ocop_domain::access::Role,
    actor: &str,
) -> Result<Option<Entity>, RegistryError> {
    let Some(before) = find(db, scope, id).await? else {
        return Ok(None);
    };
    let mut after = Entity {
        kind: draft.kind,
        legal_form: draft.legal_form.clone(),
        registration_code: draft.registration_code.clone(),
        name: draft.name.clone(),
        representative: draft.representative.clone(),
        address: draft.address.clone(),
        phone: draft.phone.clone(),
        email: draft.email.clone(),
        women_led: draft.women_led,
        ethnic_minority_led: draft.ethnic_minority_led,
        members: draft.members.map(i64::from),
        workers: draft.workers.map(i64::from),
        founded_on: draft.founded_on,
        ..before.clone()
    };
    let changes = Changes::between(Some(&before), &after, ENTITY_FIELDS);
    if changes.is_empty() {
        return Ok(Some(before));
    }
    after.status =
        ocop_domain::registry::status_after_edit(before.status, editor, changes.fields());
    let changes = changes.field("status", before.status.as_str(), after.status.as_str());
    let mut tx = db.begin().await?;
    let updated = write_entity(&mut tx, &after).await;
    updated.map_err(code_taken)?;
    audit::append(&mut tx, actor, "entity.update", "entity", id, &changes).await?;
    tx.commit().await?;
    Ok(Some(after))
}

/// Writes an entity's fields over its row, in the caller's transaction (an edit, an import).
pub(crate) async fn write_entity(tx: &mut Tx, after: &Entity) -> Result<u64, sqlx::Error> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE entities SET kind = $1, legal_form = $2, registration_code = $3, name = $4, \
             name_folded = $5, representative = $6, address = $7, phone = $8, email = $9, \
             women_led = $10, ethnic_minority_led = $11, members = $12, workers = $13, \
             founded_on = $14, status = $15, updated_at = $16 WHERE id = $17",
        )
        .bind(after.kind.as_str())
        .bind(&after.legal_form)
        .bind(&after.registration_code)
        .bind(&after.name)
        .bind(fold(&after.name))
        .bind(&after.representative)
        .bind(&after.address)
        .bind(&after.phone)
        .bind(&after.email)
        .bind(after.women_led)
        .bind(after.ethnic_minority_led)
        .bind(after.members)
        .bind(after.workers)
        .bind(after.founded_on)
        .bind(after.status.as_str())
        .bind(now_ms())
        .bind(&after.id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })
}

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub entity_id: String,
    pub code: String,
    pub name: String,
    pub criteria_version: String,
    pub product_set: String,
    pub description: String,
    pub raw_material_area: Option<String>,
    pub trademark: Option<String>,
    pub gtin: Option<String>,
    pub sales_channels: Vec<String>,
    pub export_markets: Vec<String>,
    pub commune_code: String,
    pub province_code: String,
}

pub(crate) const PRODUCT_COLUMNS: &str = "id, entity_id, code, name, criteria_version, product_set, description, \
    raw_material_area, trademark, gtin, sales_channels, export_markets, commune_code, province_code";

/// What the audit trail records of a product, field by field.
pub(crate) const PRODUCT_FIELDS: &AuditedFields<Product> = &[
    ("entity_id", |p| json!(p.entity_id)),
    ("code", |p| json!(p.code)),
    ("name", |p| json!(p.name)),
    ("criteria_version", |p| json!(p.criteria_version)),
    ("product_set", |p| json!(p.product_set)),
    ("description", |p| json!(p.description)),
    ("raw_material_area", |p| json!(p.raw_material_area)),
    ("trademark", |p| json!(p.trademark)),
    ("gtin", |p| json!(p.gtin)),
    ("sales_channels", |p| json!(p.sales_channels)),
    ("export_markets", |p| json!(p.export_markets)),
];

/// A list column's stored form (JSON text).
pub(crate) fn list_json(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn product_from_row<R: Row>(row: &R) -> Result<Product, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let list = |column: &str| -> Result<Vec<String>, sqlx::Error> {
        let text: String = row.try_get(column)?;
        serde_json::from_str(&text).map_err(|error| sqlx::Error::ColumnDecode {
            index: column.into(),
            source: Box::new(error),
        })
    };
    Ok(Product {
        id: row.try_get("id")?,
        entity_id: row.try_get("entity_id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        criteria_version: row.try_get("criteria_version")?,
        product_set: row.try_get("product_set")?,
        description: row.try_get("description")?,
        raw_material_area: row.try_get("raw_material_area")?,
        trademark: row.try_get("trademark")?,
        gtin: row.try_get("gtin")?,
        sales_channels: list("sales_channels")?,
        export_markets: list("export_markets")?,
        commune_code: row.try_get("commune_code")?,
        province_code: row.try_get("province_code")?,
    })
}

/// Products within `scope`, optionally of one entity, by name.
pub async fn products(
    db: &Db,
    scope: &Scope,
    entity_id: Option<&str>,
) -> Result<Vec<Product>, StoreError> {
    Ok(scoped!(
        all,
        db,
        scope,
        format!("SELECT {PRODUCT_COLUMNS} FROM products"),
        crate::registry::Scoped::Products,
        "($3 = '' OR entity_id = $3) ORDER BY name_folded, id",
        entity_id.unwrap_or(""),
        product_from_row
    )?)
}

/// One product by its code, if within `scope`.
pub async fn product_by_code(
    db: &Db,
    scope: &Scope,
    code: &str,
) -> Result<Option<Product>, StoreError> {
    Ok(scoped!(
        one,
        db,
        scope,
        format!("SELECT {PRODUCT_COLUMNS} FROM products"),
        crate::registry::Scoped::Products,
        "code = $3",
        code,
        product_from_row
    )?)
}

/// One product, if within `scope`.
pub async fn product(db: &Db, scope: &Scope, id: &str) -> Result<Option<Product>, StoreError> {
    Ok(scoped!(
        one,
        db,
        scope,
        format!("SELECT {PRODUCT_COLUMNS} FROM products"),
        crate::registry::Scoped::Products,
        "id = $3",
        id,
        product_from_row
    )?)
}

/// Registers a product of an entity within `scope`, with the next code of its commune and
/// year. `None`: no such entity in scope.
pub async fn add_product(
    db: &Db,
    scope: &Scope,
    entity_id: &str,
    draft: &ocop_domain::registry::ProductDraft,
    actor: &str,
) -> Result<Option<Product>, StoreError> {
    let Some(entity) = find(db, scope, entity_id).await? else {
        return Ok(None);
    };
    let year = i64::from(chrono::Datelike::year(&chrono::Utc::now().date_naive()));
    let mut tx = db.begin().await?;
    // Inside the write transaction: SQLite writers are serialised; on PostgreSQL a concurrent
    // insert of the same code fails on the unique index and the whole registration rolls back.
    let taken: i64 = on_tx!(&mut tx, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM products WHERE commune_code = $1 AND code_year = $2"
    )
    .bind(&entity.commune_code)
    .bind(year)
    .fetch_one(&mut *conn)
    .await)?;
    let code = ocop_domain::registry::product_code(
        &entity.province_code,
        &entity.commune_code,
        u32::try_from(taken + 1).unwrap_or(u32::MAX),
        i32::try_from(year).unwrap_or_default(),
    );
    let product = Product {
        id: new_id(),
        entity_id: entity.id.clone(),
        code,
        name: draft.name.clone(),
        criteria_version: draft.criteria_version.clone(),
        product_set: draft.product_set.clone(),
        description: draft.description.clone(),
        raw_material_area: draft.raw_material_area.clone(),
        trademark: draft.trademark.clone(),
        gtin: draft.gtin.clone(),
        sales_channels: draft.sales_channels.clone(),
        export_markets: draft.export_markets.clone(),
        commune_code: entity.commune_code.clone(),
        province_code: entity.province_code.clone(),
    };
    let now = now_ms();
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO products (id, entity_id, code, code_year, name, name_folded, criteria_version, \
         product_set, description, raw_material_area, trademark, gtin, sales_channels, export_markets, \
         commune_code, province_code, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)"
    )
    .bind(&product.id)
    .bind(&product.entity_id)
    .bind(&product.code)
    .bind(year)
    .bind(&product.name)
    .bind(fold(&product.name))
    .bind(&product.criteria_version)
    .bind(&product.product_set)
    .bind(&product.description)
    .bind(&product.raw_material_area)
    .bind(&product.trademark)
    .bind(&product.gtin)
    .bind(list_json(&product.sales_channels))
    .bind(list_json(&product.export_markets))
    .bind(&product.commune_code)
    .bind(&product.province_code)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::between(None, &product, PRODUCT_FIELDS);
    audit::append(
        &mut tx,
        actor,
        "product.create",
        "product",
        &product.id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(product))
}

/// Whether a product has any dossier (its product set is then fixed).
pub async fn has_dossiers(db: &Db, product_id: &str) -> Result<bool, StoreError> {
    let count: i64 = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM dossiers WHERE product_id = $1"
    )
    .bind(product_id)
    .fetch_one(pool)
    .await)?;
    Ok(count > 0)
}

/// Edits a product within `scope`: its code, entity and criteria version stay; every changed
/// field is audited with its value before and after. Nothing changed: nothing written. `None`:
/// no such product in scope.
pub async fn update_product(
    db: &Db,
    scope: &Scope,
    id: &str,
    draft: &ocop_domain::registry::ProductDraft,
    actor: &str,
) -> Result<Option<Product>, StoreError> {
    let Some(before) = product(db, scope, id).await? else {
        return Ok(None);
    };
    let after = Product {
        name: draft.name.clone(),
        product_set: draft.product_set.clone(),
        description: draft.description.clone(),
        raw_material_area: draft.raw_material_area.clone(),
        trademark: draft.trademark.clone(),
        gtin: draft.gtin.clone(),
        sales_channels: draft.sales_channels.clone(),
        export_markets: draft.export_markets.clone(),
        ..before.clone()
    };
    let changes = Changes::between(Some(&before), &after, PRODUCT_FIELDS);
    if changes.is_empty() {
        return Ok(Some(before));
    }
    let mut tx = db.begin().await?;
    write_product(&mut tx, &after).await?;
    audit::append(&mut tx, actor, "product.update", "product", id, &changes).await?;
    tx.commit().await?;
    Ok(Some(after))
}

/// Writes a product's editable fields over its row, in the caller's transaction (an edit, an
/// import); its code, entity and criteria version stay.
pub(crate) async fn write_product(tx: &mut Tx, after: &Product) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE products SET name = $1, name_folded = $2, product_set = $3, description = $4, \
             raw_material_area = $5, trademark = $6, gtin = $7, sales_channels = $8, \
             export_markets = $9, updated_at = $10 WHERE id = $11",
        )
        .bind(&after.name)
        .bind(fold(&after.name))
        .bind(&after.product_set)
        .bind(&after.description)
        .bind(&after.raw_material_area)
        .bind(&after.trademark)
        .bind(&after.gtin)
        .bind(list_json(&after.sales_channels))
        .bind(list_json(&after.export_markets))
        .bind(now_ms())
        .bind(&after.id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// A certification a product holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    pub id: String,
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
}

/// Records a certification of a product within `scope`. `None`: no such product in scope.
pub async fn add_certification(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    draft: &ocop_domain::registry::CertificationDraft,
    actor: &str,
) -> Result<Option<Certification>, StoreError> {
    if product(db, scope, product_id).await?.is_none() {
        return Ok(None);
    }
    let certification = Certification {
        id: new_id(),
        kind: draft.kind.clone(),
        number: draft.number.clone(),
        issuer: draft.issuer.clone(),
        valid_from: draft.valid_from,
        valid_to: draft.valid_to,
    };
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO product_certifications (id, product_id, kind, number, issuer, valid_from, valid_to, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(&certification.id)
    .bind(product_id)
    .bind(&certification.kind)
    .bind(&certification.number)
    .bind(&certification.issuer)
    .bind(certification.valid_from)
    .bind(certification.valid_to)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new().created(
        "certification",
        serde_json::json!({
            "kind": certification.kind,
            "number": certification.number,
            "issuer": certification.issuer,
            "valid_from": certification.valid_from,
            "valid_to": certification.valid_to,
        }),
    );
    audit::append(
        &mut tx,
        actor,
        "product.add_certification",
        "product",
        product_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(certification))
}

/// A product's certifications, those ending last first. The caller has found the product in scope.
pub async fn certifications(db: &Db, product_id: &str) -> Result<Vec<Certification>, StoreError> {
    let rows: Vec<(String, String, String, String, NaiveDate, NaiveDate)> =
        on_db!(db, |pool| sqlx::query_as(
            "SELECT id, kind, number, issuer, valid_from, valid_to FROM product_certifications \
         WHERE product_id = $1 ORDER BY valid_to DESC, id"
        )
        .bind(product_id)
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, number, issuer, valid_from, valid_to)| Certification {
                id,
                kind,
                number,
                issuer,
                valid_from,
                valid_to,
            },
        )
        .collect())
}

/// Adds a photo (a stored JPEG or PNG) to a product within `scope`; the same photo twice is
/// kept once. `None`: no such product in scope.
pub async fn add_photo(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    file: &crate::files::StoredFile,
    actor: &str,
) -> Result<Option<()>, StoreError> {
    if product(db, scope, product_id).await?.is_none() {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    let added = on_tx!(&mut tx, |conn| sqlx::query(
        "INSERT INTO product_photos (product_id, file_sha256, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (product_id, file_sha256) DO NOTHING"
    )
    .bind(product_id)
    .bind(&file.sha256)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    if added > 0 {
        let changes = Changes::new().created("photo", &file.sha256);
        audit::append(
            &mut tx,
            actor,
            "product.add_photo",
            "product",
            product_id,
            &changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Some(()))
}

/// A product's photos (file hashes), oldest first. The caller has found the product in scope.
pub async fn photos(db: &Db, product_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
        "SELECT file_sha256 FROM product_photos WHERE product_id = $1 ORDER BY created_at, file_sha256"
    )
    .bind(product_id)
    .fetch_all(pool)
    .await
    })?)
}
