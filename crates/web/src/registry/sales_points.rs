//! Where a product is sold: the producer keeps the list on the product's page and through the
//! API; the public product page shows it under "where to buy".

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use ocop_domain::sales_points::{SalesPointForm, check_sales_point};
use ocop_store::accounts::User;
use ocop_store::sales_points::{self as store, SalesPoint};

use super::product_pages::{ProductForms, product_page_with};
use crate::AppState;
use crate::shared::auth::{ApiWriter, Viewer, check_csrf};
use crate::shared::error::{ApiJson, ApiPath, AppError, ErrorDoc, PageError, page_error};
use crate::shared::i18n::ApiLang;
use crate::shared::page::{CsrfForm, WithCsrf};

fn product_not_found(id: &str) -> AppError {
    AppError::NotFound {
        code: "product_not_found",
        what: "product",
        key: id.to_string(),
    }
}

/// Where a product is sold and where it is exported are registry records: whoever keeps the
/// product's records keeps them.
pub(super) fn may_keep(user: &User) -> Result<(), AppError> {
    if user.role.maintains_registry() {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            code: "role_forbidden",
            message: "this role does not keep the registry".into(),
        })
    }
}

/// `POST /products/{id}/sales-points`: the form on the product's page; a wrong field comes
/// back on the page with what was typed.
pub async fn add_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    axum::Form(form): axum::Form<WithCsrf<SalesPointForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    may_keep(&session.user).map_err(page_error(lang))?;
    let draft = match check_sales_point(&form.fields) {
        Ok(draft) => draft,
        Err(errors) => {
            let forms = ProductForms {
                sales_point: form.fields.clone(),
                sales_point_errors: lang.field_messages(errors),
                ..ProductForms::default()
            };
            let page = product_page_with(&state, &viewer, &id, None, forms).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    store::add(&state.db, &session.scope(), &id, &draft, &session.user.id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| PageError::new(product_not_found(&id), lang))?;
    Ok(Redirect::to(&format!("/products/{id}#sales-points")).into_response())
}

/// `POST /products/{id}/sales-points/{point}/remove`
pub async fn remove_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath((id, point)): ApiPath<(String, String)>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    may_keep(&session.user).map_err(page_error(lang))?;
    remove(&state, &session.user, &id, &point)
        .await
        .map_err(page_error(lang))?;
    Ok(Redirect::to(&format!("/products/{id}#sales-points")).into_response())
}

async fn remove(state: &AppState, user: &User, id: &str, point: &str) -> Result<(), AppError> {
    if store::remove(&state.db, &user.scope(), id, point, &user.id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound {
            code: "sales_point_not_found",
            what: "sales point",
            key: point.to_string(),
        })
    }
}

/// A sales point in the API.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SalesPointJson {
    pub id: String,
    /// `showroom`, `point_of_sale`, `supermarket` or `ecommerce`.
    pub kind: &'static str,
    pub name: String,
    pub address: Option<String>,
    pub url: Option<String>,
}

impl SalesPointJson {
    fn of(point: &SalesPoint) -> SalesPointJson {
        SalesPointJson {
            id: point.id.clone(),
            kind: point.kind.as_str(),
            name: point.name.clone(),
            address: point.address.clone(),
            url: point.url.clone(),
        }
    }
}

/// Adds a place where a product in the caller's scope is sold.
#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/sales-points",
    tag = "registry",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The product's id")),
    request_body = inline(SalesPointFormDoc),
    responses(
        (status = 201, description = "Added", body = SalesPointJson),
        (status = 403, description = "The role may not keep sales points", body = ErrorDoc),
        (status = 404, description = "No such product in scope (`product_not_found`)", body = ErrorDoc),
        (status = 422, description = "A field is wrong (`kind`, `name`, `address`, `url`)", body = ErrorDoc)
    )
)]
pub async fn add_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<SalesPointForm>,
) -> Result<Response, AppError> {
    may_keep(&user)?;
    let draft =
        check_sales_point(&form).map_err(|errors| AppError::invalid_fields(lang, errors))?;
    let point = store::add(&state.db, &user.scope(), &id, &draft, &user.id)
        .await?
        .ok_or_else(|| product_not_found(&id))?;
    Ok((StatusCode::CREATED, Json(SalesPointJson::of(&point))).into_response())
}

/// Removes one of a product's sales points.
#[utoipa::path(
    delete,
    path = "/api/v1/products/{id}/sales-points/{point}",
    tag = "registry",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The product's id"), ("point" = String, Path, description = "The sales point's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "The role may not keep sales points", body = ErrorDoc),
        (status = 404, description = "No such product in scope, or no such sales point of it (`sales_point_not_found`)", body = ErrorDoc)
    )
)]
pub async fn remove_api(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath((id, point)): ApiPath<(String, String)>,
) -> Result<StatusCode, AppError> {
    may_keep(&user)?;
    remove(&state, &user, &id, &point).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The sales point form's fields, for the API documentation.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SalesPointFormDoc {
    /// `showroom`, `point_of_sale`, `supermarket` or `ecommerce`.
    kind: String,
    /// Up to 200 characters.
    name: String,
    /// Required for a showroom or point of sale.
    address: Option<String>,
    /// An http(s) address; required for `ecommerce`.
    url: Option<String>,
}
