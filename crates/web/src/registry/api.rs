//! The registry in the JSON API, scoped to the caller (session or bearer token).

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Serialize;

use ocop_store::registry::{self, Entity};

use crate::AppState;
use crate::shared::auth::ApiCaller;
use crate::shared::error::{ApiJson, ApiPath, AppError, ErrorDoc};
use crate::shared::i18n::ApiLang;

#[derive(Serialize, utoipa::ToSchema)]
pub struct EntityJson {
    pub id: String,
    pub kind: &'static str,
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
    pub status: &'static str,
}

impl From<Entity> for EntityJson {
    fn from(e: Entity) -> EntityJson {
        EntityJson {
            id: e.id,
            kind: e.kind.as_str(),
            legal_form: e.legal_form,
            registration_code: e.registration_code,
            name: e.name,
            representative: e.representative,
            address: e.address,
            commune_code: e.commune_code,
            province_code: e.province_code,
            phone: e.phone,
            email: e.email,
            women_led: e.women_led,
            ethnic_minority_led: e.ethnic_minority_led,
            members: e.members,
            workers: e.workers,
            founded_on: e.founded_on,
            status: e.status.as_str(),
        }
    }
}

/// `GET /api/v1/entities`: the entities in the caller's scope.
#[utoipa::path(get, path = "/api/v1/entities", tag = "registry", security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Entities in the caller's scope", body = Vec<EntityJson>),
        (status = 401, description = "unauthenticated", body = ErrorDoc),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<EntityJson>>, AppError> {
    let entities = registry::list(&state.db, &caller.0.scope(), None).await?;
    Ok(Json(entities.into_iter().map(EntityJson::from).collect()))
}

/// `GET /api/v1/entities/{id}`: one entity; outside the caller's scope it does not exist.
#[utoipa::path(get, path = "/api/v1/entities/{id}", tag = "registry", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = EntityJson),
        (status = 401, description = "unauthenticated", body = ErrorDoc),
        (status = 404, description = "entity_not_found (also outside the caller's scope)", body = ErrorDoc),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EntityJson>, AppError> {
    registry::find(&state.db, &caller.0.scope(), &id)
        .await?
        .map(|e| Json(EntityJson::from(e)))
        .ok_or(AppError::NotFound {
            code: "entity_not_found",
            what: "entity",
            key: id,
        })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductJson {
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

impl From<registry::Product> for ProductJson {
    fn from(p: registry::Product) -> ProductJson {
        ProductJson {
            id: p.id,
            entity_id: p.entity_id,
            code: p.code,
            name: p.name,
            criteria_version: p.criteria_version,
            product_set: p.product_set,
            description: p.description,
            raw_material_area: p.raw_material_area,
            trademark: p.trademark,
            gtin: p.gtin,
            sales_channels: p.sales_channels,
            export_markets: p.export_markets,
            commune_code: p.commune_code,
            province_code: p.province_code,
        }
    }
}

/// `GET /api/v1/products`: the products in the caller's scope.
#[utoipa::path(get, path = "/api/v1/products", tag = "registry", security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Products in the caller's scope", body = Vec<ProductJson>),
        (status = 401, description = "unauthenticated", body = ErrorDoc),
    ))]
pub async fn products(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<ProductJson>>, AppError> {
    let products = registry::products(&state.db, &caller.0.scope(), None).await?;
    Ok(Json(products.into_iter().map(ProductJson::from).collect()))
}

/// `GET /api/v1/products/{id}`: one product; outside the caller's scope it does not exist.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "registry", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = ProductJson),
        (status = 401, description = "unauthenticated", body = ErrorDoc),
        (status = 404, description = "product_not_found (also outside the caller's scope)", body = ErrorDoc),
    ))]
pub async fn product(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProductJson>, AppError> {
    registry::product(&state.db, &caller.0.scope(), &id)
        .await?
        .map(|p| Json(ProductJson::from(p)))
        .ok_or(AppError::NotFound {
            code: "product_not_found",
            what: "product",
            key: id,
        })
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct Registration {
    /// The entity, as the registration form has it (kind, registration_code, name, …).
    #[schema(value_type = Object)]
    pub entity: ocop_domain::registry::EntityForm,
    pub account_email: String,
    pub account_password: String,
}

/// `POST /api/v1/register`: a producer registers its entity and account (pending until the
/// commune confirms it). No sign-in needed.
#[utoipa::path(post, path = "/api/v1/register", tag = "registry",
    request_body = Registration,
    responses(
        (status = 201, body = EntityJson),
        (status = 422, description = "invalid_fields (fields: each field with its code and message) or invalid_account", body = ErrorDoc),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiJson(body): ApiJson<Registration>,
) -> Result<(axum::http::StatusCode, Json<EntityJson>), AppError> {
    let today = chrono::Utc::now().date_naive();
    let draft = ocop_domain::registry::check_entity(&body.entity, today)
        .map_err(|errors| AppError::invalid_fields(lang, errors))?;
    let account = ocop_store::accounts::NewUser {
        email: body.account_email,
        name: draft.representative.clone(),
        role: ocop_domain::access::Role::Producer,
        unit_code: None,
        entity_id: None,
        password: body.account_password,
    };
    match registry::register_producer(&state.db, &draft, account).await {
        Ok((entity, _)) => Ok((axum::http::StatusCode::CREATED, Json(entity.into()))),
        Err(registry::RegistryError::Fields(errors)) => Err(AppError::invalid_fields(lang, errors)),
        Err(registry::RegistryError::Account(ocop_store::accounts::AccountError::Store(error)))
        | Err(registry::RegistryError::Store(error)) => Err(error.into()),
        Err(registry::RegistryError::Account(error)) => Err(AppError::Unprocessable {
            code: "invalid_account",
            message: error.to_string(),
            details: Vec::new(),
        }),
    }
}

/// `POST /api/v1/entities/{id}/confirm`: a commune or provincial officer confirms a pending entity.
#[utoipa::path(post, path = "/api/v1/entities/{id}/confirm", tag = "registry", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = EntityJson),
        (status = 403, body = ErrorDoc),
        (status = 404, description = "no pending entity with this id in scope", body = ErrorDoc),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    crate::shared::auth::ApiWriter(user): crate::shared::auth::ApiWriter,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EntityJson>, AppError> {
    if !user.role.confirms_entities() {
        return Err(AppError::Forbidden {
            code: "not_allowed",
            message: "only commune or provincial officers confirm".into(),
        });
    }
    let scope = user.scope();
    registry::confirm(&state.db, &scope, &id, &user.id)
        .await?
        .map(|e| Json(EntityJson::from(e)))
        .ok_or(AppError::NotFound {
            code: "entity_not_found",
            what: "pending entity",
            key: id,
        })
}

/// `POST /api/v1/entities/{id}/products`: add a product (producers, and officers of its unit).
#[utoipa::path(post, path = "/api/v1/entities/{id}/products", tag = "registry", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    request_body(content = Object, description = "name, product_set, description, raw_material_area?, trademark?, gtin?, sales_channels?, export_markets? (comma-separated)"),
    responses(
        (status = 201, body = ProductJson),
        (status = 403, body = ErrorDoc),
        (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields (fields: each field with its code and message)", body = ErrorDoc),
    ))]
pub async fn add_product(
    State(state): State<AppState>,
    crate::shared::auth::ApiWriter(user): crate::shared::auth::ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<ocop_domain::registry::ProductForm>,
) -> Result<(axum::http::StatusCode, Json<ProductJson>), AppError> {
    may_maintain(&user)?;
    let today = chrono::Utc::now().date_naive();
    let version = state
        .criteria
        .in_force_on(today)
        .ok_or(AppError::Internal)?;
    let codes: Vec<&str> = version.sets.iter().map(|s| s.code.as_str()).collect();
    let draft = ocop_domain::registry::check_product(&form, &version.id, &codes)
        .map_err(|errors| AppError::invalid_fields(lang, errors))?;
    let scope = user.scope();
    registry::add_product(&state.db, &scope, &id, &draft, &user.id)
        .await?
        .map(|p| (axum::http::StatusCode::CREATED, Json(ProductJson::from(p))))
        .ok_or(AppError::NotFound {
            code: "entity_not_found",
            what: "entity",
            key: id,
        })
}

/// Producers keep their registry records; officers of the entity's unit may do it for them.
fn may_maintain(user: &ocop_store::accounts::User) -> Result<(), AppError> {
    if user.role.maintains_registry() {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            code: "not_allowed",
            message:
                "only producers and the officers of their commune or province change the registry"
                    .into(),
        })
    }
}

/// `PUT /api/v1/entities/{id}`: edits an entity (the commune stays). Each changed field is
/// audited; a producer changing a confirmed entity's name, code, kind or representative sends it
/// back for confirmation.
#[utoipa::path(put, path = "/api/v1/entities/{id}", tag = "registry", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    request_body(content = Object, description = "the entity's fields as the registration has them (kind, registration_code, name, …); commune_code may be left out or repeat the current one"),
    responses(
        (status = 200, body = EntityJson),
        (status = 403, body = ErrorDoc),
        (status = 404, description = "entity_not_found (also outside the caller's scope)", body = ErrorDoc),
        (status = 422, description = "invalid_fields (fields: each field with its code and message)", body = ErrorDoc),
    ))]
pub async fn update(
    State(state): State<AppState>,
    crate::shared::auth::ApiWriter(user): crate::shared::auth::ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<ocop_domain::registry::EntityForm>,
) -> Result<Json<EntityJson>, AppError> {
    may_maintain(&user)?;
    let scope = user.scope();
    let missing = || AppError::NotFound {
        code: "entity_not_found",
        what: "entity",
        key: id.clone(),
    };
    let entity = registry::find(&state.db, &scope, &id)
        .await?
        .ok_or_else(missing)?;
    let today = chrono::Utc::now().date_naive();
    let draft = ocop_domain::registry::check_entity_edit(&form, &entity.commune_code, today)
        .map_err(|errors| AppError::invalid_fields(lang, errors))?;
    match registry::update(&state.db, &scope, &id, &draft, user.role, &user.id).await {
        Ok(Some(updated)) => Ok(Json(updated.into())),
        Ok(None) => Err(missing()),
        Err(registry::RegistryError::Fields(errors)) => Err(AppError::invalid_fields(lang, errors)),
        Err(registry::RegistryError::Store(error)) => Err(error.into()),
        Err(registry::RegistryError::Account(error)) => {
            tracing::error!(%error, "entity edit");
            Err(AppError::Internal)
        }
    }
}

/// `PUT /api/v1/products/{id}`: edits a product (its code, entity and criteria version stay;
/// the product set stays once a dossier exists). Each changed field is audited.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "registry", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    request_body(content = Object, description = "name, product_set, description, raw_material_area?, trademark?, gtin?, sales_channels?, export_markets? (comma-separated)"),
    responses(
        (status = 200, body = ProductJson),
        (status = 403, body = ErrorDoc),
        (status = 404, description = "product_not_found (also outside the caller's scope)", body = ErrorDoc),
        (status = 422, description = "invalid_fields (fields: each field with its code and message)", body = ErrorDoc),
    ))]
pub async fn update_product(
    State(state): State<AppState>,
    crate::shared::auth::ApiWriter(user): crate::shared::auth::ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<ocop_domain::registry::ProductForm>,
) -> Result<Json<ProductJson>, AppError> {
    may_maintain(&user)?;
    let scope = user.scope();
    let missing = || AppError::NotFound {
        code: "product_not_found",
        what: "product",
        key: id.clone(),
    };
    let product = registry::product(&state.db, &scope, &id)
        .await?
        .ok_or_else(missing)?;
    let codes: Vec<&str> = state
        .criteria
        .version(&product.criteria_version)
        .map(|version| version.sets.iter().map(|s| s.code.as_str()).collect())
        .unwrap_or_default();
    let has_dossiers = registry::has_dossiers(&state.db, &product.id).await?;
    let draft = ocop_domain::registry::check_product_edit(
        &form,
        &product.criteria_version,
        &codes,
        &product.product_set,
        has_dossiers,
    )
    .map_err(|errors| AppError::invalid_fields(lang, errors))?;
    registry::update_product(&state.db, &scope, &id, &draft, &user.id)
        .await?
        .map(|p| Json(ProductJson::from(p)))
        .ok_or_else(missing)
}
