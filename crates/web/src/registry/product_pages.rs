//! Product pages: a product's page (facts, certifications, photos, dossiers, history, and the
//! producer's form to open a dossier), adding certifications and photos, and the edit form.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use fluent_templates::fluent_bundle::FluentValue;

use ocop_domain::access::Role;
use ocop_domain::monitoring::promotion::ExportMarketForm;
use ocop_domain::registry::{
    CERTIFICATION_KINDS, CertificationForm, ProductForm, check_certification,
};
use ocop_domain::sales_points::SalesPointForm;
use ocop_store::registry::{self, Entity};

use super::{ProductFormView, not_found, set_choices};
use crate::AppState;
use crate::shared::auth::{Session, Viewer, check_csrf};
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::history::{HistoryRow, history_rows};
use crate::shared::i18n::Lang;
use crate::shared::labels::{
    country_choices, country_label, evaluation_choices, platform_choices, platform_label,
    sales_point_choices, sales_point_label,
};
use crate::shared::page::{Chrome, WithCsrf, render};

#[derive(Template)]
#[template(path = "registry/product.html")]
struct ProductPage {
    chrome: Chrome,
    id: String,
    message: Option<String>,
    photos: Vec<String>,
    /// (description, expired)
    certifications: Vec<(String, bool)>,
    certification_csrf: Option<String>,
    certification_kinds: Vec<&'static str>,
    certification_form: CertificationForm,
    certification_errors: HashMap<&'static str, String>,
    contact_phone: String,
    contact_phone_error: Option<String>,
    dossiers: Vec<(String, String)>,
    /// Production batches: (lot, produced on, quantity); recorded with the certification's
    /// CSRF (the same people keep both).
    batches: Vec<(String, String, String)>,
    /// Where it is sold: (id, kind, name, address, url).
    sales_points: Vec<(String, String, String, String, String)>,
    sales_point_kinds: Vec<(&'static str, String)>,
    sales_point_form: SalesPointForm,
    sales_point_errors: HashMap<&'static str, String>,
    platforms: Vec<(&'static str, String)>,
    /// Export markets: (country code, country's name, since year).
    export_markets: Vec<(String, String, i32)>,
    export_market_form: ExportMarketForm,
    export_market_errors: HashMap<&'static str, String>,
    countries: Vec<(&'static str, String)>,
    create_csrf: Option<String>,
    evaluation_types: Vec<(&'static str, String)>,
    name: String,
    code: String,
    entity_id: String,
    entity_name: String,
    facts: Vec<(String, String)>,
    history: Vec<HistoryRow>,
}

pub async fn product_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    product_page_with(&state, &viewer, &id, None, ProductForms::default()).await
}

/// The forms on a product's page, with what was typed and its problems.
#[derive(Default)]
pub(crate) struct ProductForms {
    pub certification: CertificationForm,
    pub certification_errors: HashMap<&'static str, String>,
    /// The new dossier's contact phone, and its problem.
    pub contact_phone: String,
    pub contact_phone_error: Option<String>,
    /// A new sales point, and its problems.
    pub sales_point: SalesPointForm,
    pub sales_point_errors: HashMap<&'static str, String>,
    /// A new export market, and its problems.
    pub export_market: ExportMarketForm,
    pub export_market_errors: HashMap<&'static str, String>,
}

pub(crate) async fn product_page_with(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    message: Option<String>,
    forms: ProductForms,
) -> Result<Html<String>, PageError> {
    let id = id.to_string();
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let scope = session.scope();
    let missing = || {
        PageError::new(
            AppError::NotFound {
                code: "product_not_found",
                what: "product",
                key: id.clone(),
            },
            lang,
        )
    };
    let product = registry::product(&state.db, &scope, &id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(missing)?;
    let entity = registry::find(&state.db, &scope, &product.entity_id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(missing)?;
    let optional = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".into());
    let joined = |items: &[String]| {
        if items.is_empty() {
            "—".to_string()
        } else {
            items.join(", ")
        }
    };
    let set_name = state
        .criteria
        .version(&product.criteria_version)
        .and_then(|v| v.set(&product.product_set))
        .map(|set| format!("{} — {}", set.code, set.name_vi))
        .unwrap_or_else(|| product.product_set.clone());
    let facts = vec![
        (lang.t("product-code"), product.code.clone()),
        (lang.t("product-criteria"), product.criteria_version.clone()),
        (lang.t("product-set"), set_name),
        (lang.t("product-description"), product.description.clone()),
        (
            lang.t("product-raw-material-area"),
            optional(&product.raw_material_area),
        ),
        (lang.t("product-trademark"), optional(&product.trademark)),
        (lang.t("product-gtin"), optional(&product.gtin)),
        (
            lang.t("product-sales-channels"),
            joined(&product.sales_channels),
        ),
        (
            lang.t("product-export-markets"),
            joined(&product.export_markets),
        ),
    ];
    let dossiers = ocop_store::dossiers::list(&state.db, &scope, None)
        .await
        .map_err(page_error(lang))?
        .into_iter()
        .filter(|d| d.product_id == product.id)
        .map(|d| {
            let label = format!(
                "{} — {}",
                lang.t(&format!(
                    "dossier-evaluation-{}",
                    d.evaluation_type.as_str()
                )),
                lang.t(&format!("dossier-state-{}", d.state.as_str()))
            );
            (d.id, label)
        })
        .collect();
    let today = chrono::Utc::now().date_naive();
    let certifications = registry::certifications(&state.db, &product.id)
        .await
        .map_err(page_error(lang))?
        .into_iter()
        .map(|c| {
            (
                format!(
                    "{} {} — {} ({} – {})",
                    c.kind,
                    c.number,
                    c.issuer,
                    format::date(c.valid_from),
                    format::date(c.valid_to)
                ),
                c.valid_to < today,
            )
        })
        .collect();
    render(
        &ProductPage {
            chrome: Chrome::new(viewer, "entities"),
            id: product.id.clone(),
            message,
            photos: registry::photos(&state.db, &product.id)
                .await
                .map_err(page_error(lang))?,
            certifications,
            certification_csrf: session
                .user
                .role
                .maintains_registry()
                .then(|| session.csrf.clone()),
            certification_kinds: CERTIFICATION_KINDS.to_vec(),
            certification_form: forms.certification,
            certification_errors: forms.certification_errors,
            contact_phone: forms.contact_phone,
            contact_phone_error: forms.contact_phone_error,
            dossiers,
            batches: ocop_store::batches::of_product(&state.db, &product.id)
                .await
                .map_err(page_error(lang))?
                .into_iter()
                .map(|b| {
                    (
                        b.lot,
                        format::date(b.produced_on),
                        format!("{} {}", format::number(b.quantity), b.unit),
                    )
                })
                .collect(),
            sales_points: ocop_store::sales_points::of_product(&state.db, &product.id)
                .await
                .map_err(page_error(lang))?
                .into_iter()
                .map(|p| {
                    let mut kind = sales_point_label(p.kind, lang);
                    if let Some(platform) = p.platform {
                        kind = format!("{kind} · {}", platform_label(platform, lang));
                    }
                    if let Some(day) = p.opened_on {
                        kind = format!("{kind} · {}", format::date(day));
                    }
                    (
                        p.id,
                        kind,
                        p.name,
                        p.address.unwrap_or_default(),
                        p.url.unwrap_or_default(),
                    )
                })
                .collect(),
            sales_point_kinds: sales_point_choices(lang),
            sales_point_form: forms.sales_point,
            sales_point_errors: forms.sales_point_errors,
            platforms: platform_choices(lang),
            export_markets: ocop_store::monitoring::promotion::export_markets(
                &state.db,
                &product.id,
            )
            .await
            .map_err(page_error(lang))?
            .into_iter()
            .map(|m| {
                (
                    m.country.clone(),
                    country_label(&m.country, lang),
                    m.since_year,
                )
            })
            .collect(),
            export_market_form: forms.export_market,
            export_market_errors: forms.export_market_errors,
            countries: country_choices(lang),
            create_csrf: (session.user.role == Role::Producer).then(|| session.csrf.clone()),
            evaluation_types: evaluation_choices(lang),
            name: product.name.clone(),
            code: product.code.clone(),
            entity_id: entity.id.clone(),
            entity_name: entity.name.clone(),
            facts,
            history: history_rows(state, "product", &product.id, lang).await?,
        },
        lang,
    )
}

pub async fn add_certification(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithCsrf<CertificationForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    if !session.user.role.maintains_registry() {
        return Err(PageError::forbidden(lang));
    }
    let draft = match check_certification(&form.fields) {
        Ok(draft) => draft,
        Err(errors) => {
            let errors = lang.field_messages(errors);
            let forms = ProductForms {
                certification: form.fields.clone(),
                certification_errors: errors,
                ..ProductForms::default()
            };
            let page = product_page_with(&state, &viewer, &id, None, forms).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    registry::add_certification(&state.db, &session.scope(), &id, &draft, &session.user.id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    Ok(product_page_with(
        &state,
        &viewer,
        &id,
        Some(lang.t("certification-added")),
        ProductForms::default(),
    )
    .await?
    .into_response())
}

/// Adds a photo to a product: JPEG or PNG only (by content), size-limited, stored once.
pub async fn add_photo(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let (mut csrf, mut bytes) = (String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|error| {
        PageError::new(
            AppError::bad_request("invalid_upload", error.body_text()),
            lang,
        )
    })? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "file" => {
                bytes = Some(field.bytes().await.map_err(|error| {
                    PageError::new(
                        AppError::bad_request("invalid_upload", error.body_text()),
                        lang,
                    )
                })?)
            }
            _ => {}
        }
    }
    check_csrf(session, &csrf).map_err(page_error(lang))?;
    if !session.user.role.maintains_registry() {
        return Err(PageError::forbidden(lang));
    }
    let scope = session.scope();
    if registry::product(&state.db, &scope, &id)
        .await
        .map_err(page_error(lang))?
        .is_none()
    {
        return Err(not_found(&id, lang));
    }
    let is_image = bytes
        .as_deref()
        .and_then(ocop_domain::files::sniff)
        .is_some_and(|kind| {
            matches!(
                kind,
                ocop_domain::files::FileKind::Jpeg | ocop_domain::files::FileKind::Png
            )
        });
    let stored = match bytes {
        Some(bytes) if is_image => match state.files.put(&state.db, &bytes).await {
            Ok(stored) => Some(stored),
            // The storage's fault is not the photo's: said as such, with a 503.
            Err(
                error @ (ocop_store::files::FileError::Unavailable(_)
                | ocop_store::files::FileError::Missing(_)
                | ocop_store::files::FileError::Store(_)),
            ) => return Err(PageError::new(error.into(), lang)),
            Err(_) => None,
        },
        _ => None,
    };
    let Some(stored) = stored else {
        let message = lang.t_with(
            "photo-error",
            &[(
                "max",
                FluentValue::from(state.files.max_bytes() / (1024 * 1024)),
            )],
        );
        let page =
            product_page_with(&state, &viewer, &id, Some(message), ProductForms::default()).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    registry::add_photo(&state.db, &scope, &id, &stored, &session.user.id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    Ok(product_page_with(
        &state,
        &viewer,
        &id,
        Some(lang.t("photo-added")),
        ProductForms::default(),
    )
    .await?
    .into_response())
}

/// A product's photo, for those who can see the product.
pub async fn photo(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    registry::product(&state.db, &session.scope(), &id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    let photos = registry::photos(&state.db, &id)
        .await
        .map_err(page_error(lang))?;
    if !photos.contains(&sha) {
        return Err(not_found(&sha, lang));
    }
    let (stored, bytes) = match state.files.get(&state.db, &sha).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(not_found(&sha, lang)),
        Err(error) => return Err(PageError::new(error.into(), lang)),
    };
    Ok((
        [
            (header::CONTENT_TYPE, stored.kind.content_type()),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// A product as its edit form shows it.
fn product_form_of(product: &registry::Product) -> ProductForm {
    ProductForm {
        name: product.name.clone(),
        product_set: product.product_set.clone(),
        description: product.description.clone(),
        raw_material_area: product.raw_material_area.clone().unwrap_or_default(),
        trademark: product.trademark.clone().unwrap_or_default(),
        gtin: product.gtin.clone().unwrap_or_default(),
        sales_channels: product.sales_channels.join(", "),
        export_markets: product.export_markets.join(", "),
    }
}

#[derive(Template)]
#[template(path = "registry/product_edit.html")]
struct ProductEditPage {
    chrome: Chrome,
    id: String,
    name: String,
    code: String,
    entity_id: String,
    entity_name: String,
    form: ProductFormView,
}

/// The product an editor may change: signed in, of a role that maintains the registry, in scope;
/// with its entity.
async fn editable_product<'v>(
    state: &AppState,
    viewer: &'v Viewer,
    id: &str,
) -> Result<(&'v Session, registry::Product, Entity), PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    if !session.user.role.maintains_registry() {
        return Err(PageError::forbidden(lang));
    }
    let scope = session.scope();
    let missing = || {
        PageError::new(
            AppError::NotFound {
                code: "product_not_found",
                what: "product",
                key: id.to_string(),
            },
            lang,
        )
    };
    let product = registry::product(&state.db, &scope, id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(missing)?;
    let entity = registry::find(&state.db, &scope, &product.entity_id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(missing)?;
    Ok((session, product, entity))
}

/// The product sets of the product's own criteria version.
fn product_sets(
    state: &AppState,
    product: &registry::Product,
    lang: Lang,
) -> Vec<(String, String)> {
    state
        .criteria
        .version(&product.criteria_version)
        .map(|version| set_choices(version, lang))
        .unwrap_or_default()
}

fn product_edit_form(
    state: &AppState,
    viewer: &Viewer,
    session: &Session,
    (product, entity): (&registry::Product, &Entity),
    values: ProductForm,
    errors: HashMap<&'static str, String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let page = render(
        &ProductEditPage {
            chrome: Chrome::new(viewer, "entities"),
            id: product.id.clone(),
            name: product.name.clone(),
            code: product.code.clone(),
            entity_id: entity.id.clone(),
            entity_name: entity.name.clone(),
            form: ProductFormView {
                csrf: session.csrf.clone(),
                values,
                errors,
                sets: product_sets(state, product, lang),
            },
        },
        lang,
    )?;
    Ok((status, page).into_response())
}

/// `GET /products/{id}/edit`: the product's details in a form.
pub async fn edit_product_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (session, product, entity) = editable_product(&state, &viewer, &id).await?;
    let values = product_form_of(&product);
    product_edit_form(
        &state,
        &viewer,
        session,
        (&product, &entity),
        values,
        HashMap::new(),
        StatusCode::OK,
    )
}

/// `POST /products/{id}/edit`: saves the changes (each audited with before and after); its code,
/// entity and criteria version stay.
pub async fn edit_product(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithCsrf<ProductForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    let (session, product, entity) = editable_product(&state, &viewer, &id).await?;
    let sets = product_sets(&state, &product, lang);
    let codes: Vec<&str> = sets.iter().map(|(code, _)| code.as_str()).collect();
    let has_dossiers = registry::has_dossiers(&state.db, &product.id)
        .await
        .map_err(page_error(lang))?;
    let draft = match ocop_domain::registry::check_product_edit(
        &form.fields,
        &product.criteria_version,
        &codes,
        &product.product_set,
        has_dossiers,
    ) {
        Ok(draft) => draft,
        Err(errors) => {
            let errors = lang.field_messages(errors);
            return product_edit_form(
                &state,
                &viewer,
                session,
                (&product, &entity),
                form.fields.clone(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    registry::update_product(&state.db, &session.scope(), &id, &draft, &session.user.id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    Ok(product_page_with(
        &state,
        &viewer,
        &id,
        Some(lang.t("product-updated")),
        ProductForms::default(),
    )
    .await?
    .into_response())
}
