//! The catalogue in the JSON API: the same question as the page, the same answers.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use ocop_domain::catalogue::{CatalogueQuery, RawQuery};
use ocop_store::clock::today;

use super::{catalogue, product_href};
use crate::AppState;
use crate::shared::error::{ApiQuery, AppError, ErrorDoc};
use crate::shared::i18n::ApiLang;

/// A recognised product with its latest certificate.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ListingJson {
    pub product_code: String,
    pub product_name: String,
    pub product_set: String,
    pub entity_code: String,
    pub entity_name: String,
    pub entity_type: &'static str,
    pub commune_code: String,
    pub commune: String,
    pub province_code: String,
    pub province: String,
    pub stars: u8,
    pub certificate_number: String,
    /// Today: active, pending_reevaluation, expired, revoked.
    pub status: &'static str,
    pub issued_on: String,
    pub expires_on: String,
    pub gtin: Option<String>,
    /// The product's public page.
    pub url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CatalogueJson {
    /// Products answering the question in all.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<ListingJson>,
}

/// The catalogue's question, as the page's form sends it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CatalogueParams {
    /// Words to find in product, entity and place names, diacritics and case ignored (≤ 100 characters).
    q: Option<String>,
    /// A province's code.
    province: Option<String>,
    /// A commune's code.
    commune: Option<String>,
    /// A product group's name.
    group: Option<String>,
    /// A product set's code (P01…P26).
    set: Option<String>,
    /// 3, 4 or 5.
    stars: Option<String>,
    /// cooperative, company, household, cooperative_group.
    entity_type: Option<String>,
    /// in_force (default), active, pending_reevaluation, expired, revoked, all.
    status: Option<String>,
    /// 1: only women-led entities.
    women_led: Option<String>,
    /// 1: only ethnic-minority-led entities.
    ethnic_minority_led: Option<String>,
    /// relevance (default), newest, stars, name.
    sort: Option<String>,
    /// From 1 to 10,000.
    page: Option<String>,
    /// From 1 to 100 (default 24).
    per_page: Option<String>,
}

/// Searches the recognised products.
#[utoipa::path(
    get,
    path = "/api/v1/catalogue",
    tag = "portal",
    params(CatalogueParams),
    responses(
        (status = 200, description = "One page of answers", body = CatalogueJson),
        (status = 422, description = "A value no code can have: a star of 6, page 0, a query over 100 characters (`fields`)", body = ErrorDoc)
    )
)]
pub async fn search(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiQuery(raw): ApiQuery<RawQuery>,
) -> Result<Json<CatalogueJson>, AppError> {
    let query =
        CatalogueQuery::parse(&raw).map_err(|errors| AppError::invalid_fields(lang, errors))?;
    let index = catalogue(&state).await?;
    let procedure = state.procedure_in_force();
    let page = index.search(&query, &procedure, today());
    let base = &state.signing.base_url;
    Ok(Json(CatalogueJson {
        total: page.total,
        page: query.page,
        per_page: query.per_page,
        items: page
            .items
            .iter()
            .map(|(l, status)| ListingJson {
                product_code: l.product_code.clone(),
                product_name: l.product_name.clone(),
                product_set: l.product_set.to_string(),
                entity_code: l.entity_code.clone(),
                entity_name: l.entity_name.clone(),
                entity_type: l.entity_type.as_str(),
                commune_code: l.commune_code.to_string(),
                commune: l.commune_name.to_string(),
                province_code: l.province_code.to_string(),
                province: l.province_name.to_string(),
                stars: l.stars,
                certificate_number: l.certificate_number.clone(),
                status: status.code(),
                issued_on: l.timeline.issued_on.to_string(),
                expires_on: l.timeline.expires_on.to_string(),
                gtin: l.gtin.clone(),
                url: format!("{base}{}", product_href(&l.product_code)),
            })
            .collect(),
    }))
}
