//! The registry in the JSON API, scoped to the caller (session or bearer token).

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use serde::Serialize;

use ocop_domain::access::Scope;
use ocop_store::registry::{self, Entity};

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::AppError;

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
            women_led: e.women_led,
            ethnic_minority_led: e.ethnic_minority_led,
            members: e.members,
            workers: e.workers,
            founded_on: e.founded_on,
            status: e.status.as_str(),
        }
    }
}

fn scope(caller: &ApiCaller) -> Scope {
    let user = &caller.0;
    Scope::of(
        user.role,
        user.unit_code.as_deref(),
        user.entity_id.as_deref(),
    )
}

/// `GET /api/v1/entities`: the entities in the caller's scope.
#[utoipa::path(get, path = "/api/v1/entities", tag = "registry", security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Entities in the caller's scope", body = Vec<EntityJson>),
        (status = 401, description = "unauthenticated", body = crate::error::ErrorDoc),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<EntityJson>>, AppError> {
    let entities = registry::list(&state.db, &scope(&caller), None).await?;
    Ok(Json(entities.into_iter().map(EntityJson::from).collect()))
}

/// `GET /api/v1/entities/{id}`: one entity; outside the caller's scope it does not exist.
#[utoipa::path(get, path = "/api/v1/entities/{id}", tag = "registry", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = EntityJson),
        (status = 401, description = "unauthenticated", body = crate::error::ErrorDoc),
        (status = 404, description = "entity_not_found (also outside the caller's scope)", body = crate::error::ErrorDoc),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<EntityJson>, AppError> {
    registry::find(&state.db, &scope(&caller), &id)
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
        (status = 401, description = "unauthenticated", body = crate::error::ErrorDoc),
    ))]
pub async fn products(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<ProductJson>>, AppError> {
    let products = registry::products(&state.db, &scope(&caller), None).await?;
    Ok(Json(products.into_iter().map(ProductJson::from).collect()))
}

/// `GET /api/v1/products/{id}`: one product; outside the caller's scope it does not exist.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "registry", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = ProductJson),
        (status = 401, description = "unauthenticated", body = crate::error::ErrorDoc),
        (status = 404, description = "product_not_found (also outside the caller's scope)", body = crate::error::ErrorDoc),
    ))]
pub async fn product(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ProductJson>, AppError> {
    registry::product(&state.db, &scope(&caller), &id)
        .await?
        .map(|p| Json(ProductJson::from(p)))
        .ok_or(AppError::NotFound {
            code: "product_not_found",
            what: "product",
            key: id,
        })
}
