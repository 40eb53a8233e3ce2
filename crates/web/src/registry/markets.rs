//! Trade promotion a product's keepers record: the export markets it reaches (a country and the
//! year it opened), and whether its entity works in a value chain or green production. They
//! feed the programme's indicators and the public product page.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use serde::Serialize;

use ocop_domain::monitoring::promotion::{ExportMarketForm, check_export_market};
use ocop_store::monitoring::MonitoringError;
use ocop_store::monitoring::promotion::{self as store, ExportMarket};

use super::product_pages::{ProductForms, product_page_with};
use super::sales_points::may_keep;
use crate::AppState;
use crate::shared::auth::{ApiWriter, Viewer, check_csrf};
use crate::shared::error::{ApiJson, ApiPath, AppError, ErrorDoc, PageError, page_error};
use crate::shared::i18n::ApiLang;
use crate::shared::page::{CsrfForm, WithCsrf};

fn not_found(error: MonitoringError, what: &'static str, key: &str) -> AppError {
    match error {
        MonitoringError::Store(error) => error.into(),
        _ => AppError::NotFound {
            code: "not_found",
            what,
            key: key.to_string(),
        },
    }
}

fn this_year() -> i32 {
    ocop_store::clock::today().year()
}

/// `POST /products/{id}/export-markets`: a wrong field comes back on the product's page.
pub async fn add_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    axum::Form(form): axum::Form<WithCsrf<ExportMarketForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    may_keep(&session.user).map_err(page_error(lang))?;
    let (country, since_year) = match check_export_market(&form.fields, this_year()) {
        Ok(market) => market,
        Err(errors) => {
            let forms = ProductForms {
                export_market: form.fields.clone(),
                export_market_errors: lang.field_messages(errors),
                ..ProductForms::default()
            };
            let page = product_page_with(&state, &viewer, &id, None, forms).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    store::set_export_market(
        &state.db,
        &session.scope(),
        &id,
        &ExportMarket {
            country,
            since_year,
        },
        &session.user.id,
    )
    .await
    .map_err(|e| PageError::new(not_found(e, "product", &id), lang))?;
    Ok(Redirect::to(&format!("/products/{id}#export-markets")).into_response())
}

/// `POST /products/{id}/export-markets/{country}/remove`
pub async fn remove_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath((id, country)): ApiPath<(String, String)>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    may_keep(&session.user).map_err(page_error(lang))?;
    store::remove_export_market(&state.db, &session.scope(), &id, &country, &session.user.id)
        .await
        .map_err(|e| PageError::new(not_found(e, "export market", &country), lang))?;
    Ok(Redirect::to(&format!("/products/{id}#export-markets")).into_response())
}

/// An export market in the API.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExportMarketJson {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub since_year: i32,
}

/// Records (or corrects the year of) a market a product in the caller's scope is exported to.
#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/export-markets",
    tag = "registry",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The product's id")),
    request_body = inline(ExportMarketFormDoc),
    responses(
        (status = 201, description = "Recorded", body = ExportMarketJson),
        (status = 403, description = "The role does not keep the registry", body = ErrorDoc),
        (status = 404, description = "No such product in scope", body = ErrorDoc),
        (status = 422, description = "A wrong field (`country`, `since_year`)", body = ErrorDoc)
    )
)]
pub async fn add_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<ExportMarketForm>,
) -> Result<Response, AppError> {
    may_keep(&user)?;
    let (country, since_year) = check_export_market(&form, this_year())
        .map_err(|errors| AppError::invalid_fields(lang, errors))?;
    let market = ExportMarket {
        country,
        since_year,
    };
    store::set_export_market(&state.db, &user.scope(), &id, &market, &user.id)
        .await
        .map_err(|e| not_found(e, "product", &id))?;
    Ok((
        StatusCode::CREATED,
        Json(ExportMarketJson {
            country: market.country,
            since_year: market.since_year,
        }),
    )
        .into_response())
}

/// Removes one of a product's export markets.
#[utoipa::path(
    delete,
    path = "/api/v1/products/{id}/export-markets/{country}",
    tag = "registry",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The product's id"), ("country" = String, Path, description = "The country's code")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "The role does not keep the registry", body = ErrorDoc),
        (status = 404, description = "No such product in scope, or no such market of it", body = ErrorDoc)
    )
)]
pub async fn remove_api(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath((id, country)): ApiPath<(String, String)>,
) -> Result<StatusCode, AppError> {
    may_keep(&user)?;
    store::remove_export_market(&state.db, &user.scope(), &id, &country, &user.id)
        .await
        .map_err(|e| not_found(e, "export market", &country))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The value-chain form: `value_chain=on` or absent.
#[derive(serde::Deserialize)]
pub struct ValueChainForm {
    pub csrf: String,
    #[serde(default)]
    pub value_chain: Option<String>,
}

/// `POST /entities/{id}/value-chain`: whether the entity works in a value chain or in green
/// (circular) production.
pub async fn value_chain_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    axum::Form(form): axum::Form<ValueChainForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    may_keep(&session.user).map_err(page_error(lang))?;
    let value_chain = matches!(form.value_chain.as_deref(), Some("on" | "true" | "1"));
    store::set_value_chain(
        &state.db,
        &session.scope(),
        &id,
        value_chain,
        &session.user.id,
    )
    .await
    .map_err(|e| PageError::new(not_found(e, "entity", &id), lang))?;
    Ok(Redirect::to(&format!("/entities/{id}")).into_response())
}

/// The export market's fields, for the API documentation.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ExportMarketFormDoc {
    /// ISO 3166-1 alpha-2: `JP`, `KR`, `US`.
    country: String,
    /// The first year of export, not in the future.
    since_year: String,
}
