//! Production batches: recorded by the producer (page form and API), and opened by anyone from
//! a package through GS1 Digital Link: `/01/{gtin}` → the product, `/01/{gtin}/10/{lot}` → the
//! batch with its certificate's status on the production day and today.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use ocop_domain::access::Scope;
use ocop_domain::batches::{BatchForm, check_batch, check_lot, gtin_forms};
use ocop_store::batches::{self as store, Batch, BatchError};
use ocop_store::certificates as certificate_store;
use ocop_store::clock::today;
use ocop_store::registry;

use super::{catalogue, product_href, star_marks};
use crate::AppState;
use crate::shared::auth::{ApiWriter, Viewer, check_csrf};
use crate::shared::error::{ApiJson, ApiPath, AppError, ErrorDoc, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::{ApiLang, Lang};
use crate::shared::labels::status_label;
use crate::shared::page::{Chrome, WithCsrf, render};

fn link_error(error: ocop_domain::batches::LinkError) -> AppError {
    AppError::NotFound {
        code: error.code(),
        what: "GTIN",
        key: error.to_string(),
    }
}

fn unknown_gtin(gtin: &str) -> AppError {
    AppError::NotFound {
        code: "unknown_gtin",
        what: "GTIN",
        key: gtin.to_string(),
    }
}

/// The product registered with this GTIN, checked (a wrong check digit is a 404 that says so).
async fn product_of(state: &AppState, gtin: &str) -> Result<String, AppError> {
    let forms = gtin_forms(gtin).map_err(link_error)?;
    store::product_by_gtin(&state.db, &forms)
        .await?
        .ok_or_else(|| unknown_gtin(gtin))
}

/// `GET /01/{gtin}`: 303 to the product's public page, or to its page saying it holds no
/// certificate.
pub async fn gtin_link(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(gtin): ApiPath<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let id = product_of(&state, &gtin).await.map_err(page_error(lang))?;
    let index = catalogue(&state).await.map_err(page_error(lang))?;
    match index.get(&id) {
        Some(listing) => Ok(Redirect::to(&product_href(&listing.product_code)).into_response()),
        None => uncertified(&state, &viewer, &id).await,
    }
}

#[derive(Template)]
#[template(path = "portal/uncertified.html")]
struct UncertifiedPage {
    chrome: Chrome,
    name: String,
}

/// A registered product that holds no OCOP certificate: said plainly (404: there is no
/// recognised product here).
async fn uncertified(
    state: &AppState,
    viewer: &Viewer,
    product_id: &str,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let product = registry::product(&state.db, &Scope::National, product_id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| PageError::new(unknown_gtin(product_id), lang))?;
    let html = render(
        &UncertifiedPage {
            chrome: Chrome::new(viewer, "catalogue"),
            name: product.name,
        },
        lang,
    )?;
    Ok((StatusCode::NOT_FOUND, html).into_response())
}

#[derive(Template)]
#[template(path = "portal/batch.html")]
struct BatchPage {
    chrome: Chrome,
    product: String,
    product_href: String,
    stars: String,
    facts: Vec<(String, String)>,
    /// The certificate in force on the production day, if any: (number, status code, words).
    at_production: Option<(String, &'static str, String)>,
    now: (String, &'static str, String),
    valid_now: bool,
}

/// `GET /01/{gtin}/10/{lot}`: a batch and its certificate's status then and now.
pub async fn batch_link(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath((gtin, lot)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    check_lot(&lot).map_err(|e| PageError::new(link_error(e), lang))?;
    let id = product_of(&state, &gtin).await.map_err(page_error(lang))?;
    let index = catalogue(&state).await.map_err(page_error(lang))?;
    let Some(listing) = index.get(&id) else {
        return uncertified(&state, &viewer, &id).await;
    };
    let batch = store::by_lot(&state.db, &id, &lot)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| {
            PageError::new(
                AppError::NotFound {
                    code: "unknown_lot",
                    what: "lot",
                    key: lot.clone(),
                },
                lang,
            )
        })?;
    let procedure = state.procedure_in_force();
    let now = listing.status(&procedure, today());
    let certificates = certificate_store::list(&state.db, &Scope::National, &id)
        .await
        .map_err(page_error(lang))?;
    // The certificate that covered the production day: issued by then and valid on that day.
    let at_production = certificates
        .iter()
        .filter(|c| c.timeline.issued_on <= batch.produced_on)
        .map(|c| (c, c.status(&procedure, batch.produced_on)))
        .find(|(_, status)| status.is_valid())
        .map(|(c, status)| (c.number.clone(), status.code(), status_label(status, lang)));
    let html = render(
        &BatchPage {
            chrome: Chrome::new(&viewer, "catalogue"),
            product: listing.product_name.clone(),
            product_href: product_href(&listing.product_code),
            stars: star_marks(listing.stars),
            facts: batch_facts(&batch, lang),
            at_production,
            now: (
                listing.certificate_number.clone(),
                now.code(),
                status_label(now, lang),
            ),
            valid_now: now.is_valid(),
        },
        lang,
    )?;
    Ok(html.into_response())
}

fn batch_facts(batch: &Batch, lang: Lang) -> Vec<(String, String)> {
    let mut facts = vec![
        (lang.t("batches-lot"), batch.lot.clone()),
        (
            lang.t("batches-produced-on"),
            format::date(batch.produced_on),
        ),
        (
            lang.t("batches-quantity"),
            format!("{} {}", format::number(batch.quantity), batch.unit),
        ),
    ];
    if let Some(area) = &batch.raw_material_area {
        facts.push((lang.t("batches-raw-material-area"), area.clone()));
    }
    if let Some(expires) = batch.expires_on {
        facts.push((lang.t("batches-expires-on"), format::date(expires)));
    }
    facts
}

/// What a refused batch looks like in the one error shape.
fn batch_problem(result: Result<Batch, BatchError>, lang: Lang) -> Result<Batch, AppError> {
    result.map_err(|error| match error {
        BatchError::DuplicateLot(_) => {
            AppError::invalid_fields(lang, [("lot", "batches-error-duplicate-lot")])
        }
    })
}

async fn record(
    state: &AppState,
    scope: &Scope,
    actor: &str,
    product_id: &str,
    form: &BatchForm,
    lang: Lang,
) -> Result<Batch, AppError> {
    let draft =
        check_batch(form, today()).map_err(|errors| AppError::invalid_fields(lang, errors))?;
    let result = store::add(&state.db, scope, product_id, &draft, actor)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "product_not_found",
            what: "product",
            key: product_id.to_string(),
        })?;
    batch_problem(result, lang)
}

/// `POST /products/{id}/batches`: the form on the product's page.
pub async fn add_batch(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    axum::Form(form): axum::Form<WithCsrf<BatchForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    // Batches are registry records: whoever keeps the product's records records them.
    if !session.user.role.maintains_registry() {
        return Err(PageError::forbidden(lang));
    }
    match record(
        &state,
        &session.scope(),
        &session.user.id,
        &id,
        &form.fields,
        lang,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/products/{id}#batches")).into_response()),
        Err(AppError::InvalidFields { fields }) => {
            let messages: Vec<String> = fields.into_iter().map(|f| f.message).collect();
            Err(PageError::new(
                AppError::BadRequest {
                    code: "invalid_batch",
                    message: messages.join(" "),
                },
                lang,
            ))
        }
        Err(error) => Err(PageError::new(error, lang)),
    }
}

/// A batch in the API.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchJson {
    pub id: String,
    pub lot: String,
    pub produced_on: String,
    pub quantity: i64,
    pub unit: String,
    pub raw_material_area: Option<String>,
    pub expires_on: Option<String>,
}

impl BatchJson {
    fn of(batch: &Batch) -> BatchJson {
        BatchJson {
            id: batch.id.clone(),
            lot: batch.lot.clone(),
            produced_on: batch.produced_on.to_string(),
            quantity: batch.quantity,
            unit: batch.unit.clone(),
            raw_material_area: batch.raw_material_area.clone(),
            expires_on: batch.expires_on.map(|d| d.to_string()),
        }
    }
}

/// Records a production batch of a product in the caller's scope.
#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/batches",
    tag = "portal",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The product's id")),
    request_body = inline(BatchFormDoc),
    responses(
        (status = 201, description = "Recorded", body = BatchJson),
        (status = 403, description = "The role may not record batches", body = ErrorDoc),
        (status = 404, description = "No such product in scope (`product_not_found`)", body = ErrorDoc),
        (status = 422, description = "A field is wrong (`lot`, `produced_on`, `quantity`, `unit`, `expires_on`; `duplicate_lot`)", body = ErrorDoc)
    )
)]
pub async fn add_batch_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<BatchForm>,
) -> Result<Response, AppError> {
    if !user.role.maintains_registry() {
        return Err(AppError::Forbidden {
            code: "role_forbidden",
            message: "this role does not record batches".into(),
        });
    }
    let batch = record(&state, &user.scope(), &user.id, &id, &form, lang).await?;
    Ok((StatusCode::CREATED, Json(BatchJson::of(&batch))).into_response())
}

/// The batch form's fields, for the API documentation.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BatchFormDoc {
    /// 1–20 of letters, digits, `-`, `.`, `_`.
    lot: String,
    /// YYYY-MM-DD, not in the future.
    produced_on: String,
    quantity: String,
    /// What the quantity counts: "chai 500 ml".
    unit: String,
    raw_material_area: Option<String>,
    /// YYYY-MM-DD, after the production day.
    expires_on: Option<String>,
}
