//! The registry in the web UI: a producer registers itself; officers see the entities of their
//! unit and confirm them; everyone sees an entity's history.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::EntityType;
use ocop_domain::registry::{
    CERTIFICATION_KINDS, CertificationForm, EntityForm, EntityStatus, LEGAL_FORMS, ProductForm,
    check_certification, check_entity, check_product,
};
use ocop_store::accounts::{self, AccountError, NewUser, SESSION_MS};
use ocop_store::clock::new_token;
use ocop_store::registry::{self, Entity, RegistryError};
use ocop_store::{audit, units};

use super::{Chrome, CsrfForm, WithCsrf, render};
use crate::AppState;
use crate::auth::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Session, Viewer, check_csrf, check_login_csrf, clear_cookie,
    set_cookie,
};
use crate::error::{AppError, PageError, page_error};
use crate::i18n::Lang;

/// What a session may see of the registry.
pub fn scope_of(session: &Session) -> Scope {
    session.user.scope()
}

fn kind_label(kind: EntityType, lang: Lang) -> String {
    lang.t(&format!("entity-kind-{}", kind.as_str()))
}

fn status_label(status: EntityStatus, lang: Lang) -> String {
    lang.t(&format!("entity-status-{}", status.as_str()))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    csrf: String,
    kinds: Vec<(&'static str, String)>,
    legal_forms: Vec<&'static str>,
    form: EntityForm,
    account_email: String,
    errors: HashMap<&'static str, String>,
    commune_fixed: Option<String>,
}

fn kind_choices(lang: Lang) -> Vec<(&'static str, String)> {
    EntityType::ALL
        .iter()
        .map(|k| (k.as_str(), kind_label(*k, lang)))
        .collect()
}

fn register_form(
    viewer: &Viewer,
    form: EntityForm,
    account_email: String,
    errors: HashMap<&'static str, String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let csrf = new_token();
    let page = render(
        &RegisterPage {
            chrome: Chrome::new(viewer, "register"),
            csrf: csrf.clone(),
            kinds: kind_choices(lang),
            legal_forms: LEGAL_FORMS.to_vec(),
            form,
            account_email,
            errors,
            commune_fixed: None,
        },
        lang,
    )?;
    Ok((
        status,
        [(
            header::SET_COOKIE,
            set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600),
        )],
        page,
    )
        .into_response())
}

pub async fn register_page(viewer: Viewer) -> Result<Response, PageError> {
    let form = EntityForm {
        kind: EntityType::Household.as_str().into(),
        ..EntityForm::default()
    };
    register_form(&viewer, form, String::new(), HashMap::new(), StatusCode::OK)
}

#[derive(Deserialize)]
pub struct RegisterForm {
    csrf: String,
    #[serde(flatten)]
    entity: EntityForm,
    #[serde(default)]
    account_email: String,
    #[serde(default)]
    account_password: String,
}

/// A producer registers its entity and its account; on success it is signed in.
pub async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    jar: CookieJar,
    Form(form): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    check_login_csrf(&jar, &form.csrf).map_err(page_error(lang))?;
    let today = chrono::Utc::now().date_naive();
    let redo = |errors: HashMap<&'static str, String>| {
        register_form(
            &viewer,
            form.entity.clone(),
            form.account_email.clone(),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let draft = match check_entity(&form.entity, today) {
        Ok(draft) => draft,
        Err(errors) => {
            return redo(lang.field_messages(errors));
        }
    };
    let account = NewUser {
        email: form.account_email.clone(),
        name: draft.representative.clone(),
        role: Role::Producer,
        unit_code: None,
        entity_id: None,
        password: form.account_password.clone(),
    };
    match registry::register_producer(&state.db, &draft, account).await {
        Ok((entity, user)) => {
            let (token, _) = accounts::create_session(&state.db, &user)
                .await
                .map_err(page_error(lang))?;
            Ok((
                AppendHeaders([
                    (
                        header::SET_COOKIE,
                        set_cookie(SESSION_COOKIE, &token, SESSION_MS / 1000),
                    ),
                    (header::SET_COOKIE, clear_cookie(LOGIN_CSRF_COOKIE)),
                ]),
                Redirect::to(&format!("/entities/{}", entity.id)),
            )
                .into_response())
        }
        Err(RegistryError::Fields(errors)) => redo(lang.field_messages(errors)),
        Err(RegistryError::Account(AccountError::Store(error)))
        | Err(RegistryError::Store(error)) => Err(PageError::new(error.into(), lang)),
        Err(RegistryError::Account(error)) => {
            let message = match &error {
                AccountError::InvalidEmail(_) => lang.t("field-email-invalid"),
                AccountError::DuplicateEmail(_) => lang.t("field-email-taken"),
                AccountError::WeakPassword(detail) => lang.t_with(
                    "field-password-weak",
                    &[(
                        "detail",
                        fluent_templates::fluent_bundle::FluentValue::from(detail.clone()),
                    )],
                ),
                other => other.to_string(),
            };
            let field = match error.field() {
                "email" => "account_email",
                "password" => "account_password",
                _ => "account_email",
            };
            redo(HashMap::from([(field, message)]))
        }
    }
}

pub struct EntityRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub commune: String,
    pub status: String,
    pub pending: bool,
}

async fn commune_name(state: &AppState, code: &str, lang: Lang) -> Result<String, PageError> {
    Ok(units::find_by_code(&state.db, code, None)
        .await
        .map_err(page_error(lang))?
        .map(|unit| format!("{} ({code})", unit.name))
        .unwrap_or_else(|| code.to_string()))
}

async fn row(state: &AppState, entity: &Entity, lang: Lang) -> Result<EntityRow, PageError> {
    Ok(EntityRow {
        id: entity.id.clone(),
        name: entity.name.clone(),
        kind: kind_label(entity.kind, lang),
        commune: commune_name(state, &entity.commune_code, lang).await?,
        status: status_label(entity.status, lang),
        pending: entity.status == EntityStatus::Pending,
    })
}

#[derive(Template)]
#[template(path = "entities.html")]
struct EntitiesPage {
    chrome: Chrome,
    entities: Vec<EntityRow>,
}

pub async fn entities_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let mut rows = Vec::new();
    for entity in registry::list(&state.db, &scope_of(session), None)
        .await
        .map_err(page_error(lang))?
    {
        rows.push(row(&state, &entity, lang).await?);
    }
    render(
        &EntitiesPage {
            chrome: Chrome::new(&viewer, "entities"),
            entities: rows,
        },
        lang,
    )
}

pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub changes: Vec<FieldChange>,
}

/// One field of an audit record, for people: its label, and its value before (none for a new
/// object) and after.
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: String,
}

/// A recorded value for people: "—" for nothing, ✓ for yes, lists joined, known codes named
/// (`{object}-{field}-{value}` messages, such as an entity's kind or a dossier's state).
fn shown_value(object_type: &str, field: &str, value: &serde_json::Value, lang: Lang) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "—".into(),
        Value::Bool(true) => "✓".into(),
        Value::Bool(false) => "✗".into(),
        Value::String(text) => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) => crate::format::date(day),
            Err(_) => lang
                .try_t(&format!("{object_type}-{}-{text}", field.replace('_', "-")))
                .unwrap_or_else(|| text.clone()),
        },
        Value::Array(items) if items.is_empty() => "—".into(),
        Value::Array(items) => items
            .iter()
            .map(|item| shown_value(object_type, field, item, lang))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(items) => lang.t_with(
            "history-items",
            &[(
                "count",
                fluent_templates::fluent_bundle::FluentValue::from(items.len()),
            )],
        ),
        Value::Number(number) => number.to_string(),
    }
}

/// An audit record's changes (`{"field": {"before": …, "after": …}}`) for people.
fn field_changes(object_type: &str, changes: &str, lang: Lang) -> Vec<FieldChange> {
    let parsed: std::collections::BTreeMap<String, ocop_domain::audit::Change> =
        serde_json::from_str(changes).unwrap_or_default();
    parsed
        .into_iter()
        .map(|(field, change)| FieldChange {
            field: lang
                .try_t(&format!("{object_type}-{}", field.replace('_', "-")))
                .unwrap_or_else(|| field.clone()),
            before: (!change.before.is_null())
                .then(|| shown_value(object_type, &field, &change.before, lang)),
            after: shown_value(object_type, &field, &change.after, lang),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "entity.html")]
struct EntityPage {
    chrome: Chrome,
    entity: EntityRow,
    facts: Vec<(String, String)>,
    confirm_csrf: Option<String>,
    message: Option<String>,
    products: Vec<ProductRow>,
    product_form: Option<ProductFormView>,
    may_edit: bool,
    history: Vec<HistoryRow>,
}

fn not_found(id: &str, lang: Lang) -> PageError {
    PageError::new(
        AppError::NotFound {
            code: "entity_not_found",
            what: "entity",
            key: id.to_string(),
        },
        lang,
    )
}

/// An object's audit trail for people: when (Vietnam time), who (by name), what.
pub(crate) async fn history_rows(
    state: &AppState,
    object_type: &str,
    id: &str,
    lang: Lang,
) -> Result<Vec<HistoryRow>, PageError> {
    let mut rows = Vec::new();
    for record in audit::history(&state.db, object_type, id)
        .await
        .map_err(page_error(lang))?
    {
        let who = match accounts::find_by_id(&state.db, &record.actor)
            .await
            .map_err(page_error(lang))?
        {
            Some(user) => user.name,
            None => record.actor.clone(),
        };
        rows.push(HistoryRow {
            when: chrono::DateTime::from_timestamp_millis(record.at_ms)
                .map(|t| {
                    (t + chrono::Duration::hours(7))
                        .format("%d/%m/%Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            who,
            action: lang
                .try_t(&format!("audit-{}", record.action.replace(['.', '_'], "-")))
                .unwrap_or(record.action),
            changes: field_changes(object_type, &record.changes, lang),
        });
    }
    Ok(rows)
}

pub struct ProductRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub set: String,
}

/// The add-product form: its values, problems and choices.
pub struct ProductFormView {
    pub csrf: String,
    pub values: ProductForm,
    pub errors: HashMap<&'static str, String>,
    pub sets: Vec<(String, String)>,
}

/// The product sets of the criteria version in force today.
fn sets_in_force(state: &AppState, lang: Lang) -> (String, Vec<(String, String)>) {
    let today = chrono::Utc::now().date_naive();
    match state.criteria.in_force_on(today) {
        Some(version) => (version.id.clone(), set_choices(version, lang)),
        None => (String::new(), Vec::new()),
    }
}

/// A criteria version's product sets: (code, "code — name").
fn set_choices(version: &ocop_domain::criteria::Version, lang: Lang) -> Vec<(String, String)> {
    version
        .sets
        .iter()
        .map(|set| {
            let name = match lang {
                Lang::Vi => &set.name_vi,
                Lang::En => &set.name_en,
            };
            (set.code.clone(), format!("{} — {name}", set.code))
        })
        .collect()
}

async fn entity_page_with(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    message: Option<String>,
) -> Result<Html<String>, PageError> {
    entity_page_full(state, viewer, id, message, None).await
}

async fn entity_page_full(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    message: Option<String>,
    product_form: Option<(ProductForm, HashMap<&'static str, String>)>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let entity = registry::find(&state.db, &scope_of(session), id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(id, lang))?;
    let yes_no = |value: bool| {
        if value {
            "✓".to_string()
        } else {
            "—".to_string()
        }
    };
    let optional = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".into());
    let facts = vec![
        (lang.t("entity-kind"), kind_label(entity.kind, lang)),
        (
            lang.t("entity-registration-code"),
            entity.registration_code.clone(),
        ),
        (
            lang.t("entity-representative"),
            entity.representative.clone(),
        ),
        (lang.t("entity-address"), entity.address.clone()),
        (
            lang.t("entity-commune"),
            commune_name(state, &entity.commune_code, lang).await?,
        ),
        (lang.t("entity-phone"), optional(&entity.phone)),
        (lang.t("entity-email"), optional(&entity.email)),
        (lang.t("entity-women-led"), yes_no(entity.women_led)),
        (
            lang.t("entity-ethnic-minority-led"),
            yes_no(entity.ethnic_minority_led),
        ),
        (
            lang.t("entity-members"),
            entity.members.map_or("—".into(), |n| n.to_string()),
        ),
        (
            lang.t("entity-workers"),
            entity.workers.map_or("—".into(), |n| n.to_string()),
        ),
        (
            lang.t("entity-founded-on"),
            entity.founded_on.map_or("—".into(), crate::format::date),
        ),
    ];
    let history = history_rows(state, "entity", &entity.id, lang).await?;
    let confirm_csrf = (entity.status == EntityStatus::Pending
        && session.user.role.confirms_entities())
    .then(|| session.csrf.clone());
    let products = registry::products(&state.db, &scope_of(session), Some(&entity.id))
        .await
        .map_err(page_error(lang))?
        .into_iter()
        .map(|p| ProductRow {
            id: p.id,
            code: p.code,
            name: p.name,
            set: format!("{} · {}", p.criteria_version, p.product_set),
        })
        .collect();
    let product_form = session.user.role.maintains_registry().then(|| {
        let (values, errors) = product_form.unwrap_or_default();
        ProductFormView {
            csrf: session.csrf.clone(),
            values,
            errors,
            sets: sets_in_force(state, lang).1,
        }
    });
    render(
        &EntityPage {
            chrome: Chrome::new(viewer, "entities"),
            entity: row(state, &entity, lang).await?,
            facts,
            confirm_csrf,
            message,
            products,
            product_form,
            may_edit: session.user.role.maintains_registry(),
            history,
        },
        lang,
    )
}

pub async fn entity_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    entity_page_with(&state, &viewer, &id, None).await
}

pub async fn confirm_entity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    if !session.user.role.confirms_entities() {
        return Err(PageError::forbidden(lang));
    }
    registry::confirm(&state.db, &scope_of(session), &id, &session.user.id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    entity_page_with(&state, &viewer, &id, Some(lang.t("entity-confirmed"))).await
}

pub async fn add_product(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithCsrf<ProductForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    if !session.user.role.maintains_registry() {
        return Err(PageError::forbidden(lang));
    }
    let (version, sets) = sets_in_force(&state, lang);
    let codes: Vec<&str> = sets.iter().map(|(code, _)| code.as_str()).collect();
    let draft = match check_product(&form.fields, &version, &codes) {
        Ok(draft) => draft,
        Err(errors) => {
            let errors = lang.field_messages(errors);
            let page = entity_page_full(
                &state,
                &viewer,
                &id,
                None,
                Some((form.fields.clone(), errors)),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let product =
        registry::add_product(&state.db, &scope_of(session), &id, &draft, &session.user.id)
            .await
            .map_err(page_error(lang))?
            .ok_or_else(|| not_found(&id, lang))?;
    let message = lang.t_with(
        "product-added",
        &[(
            "code",
            fluent_templates::fluent_bundle::FluentValue::from(product.code),
        )],
    );
    Ok(entity_page_with(&state, &viewer, &id, Some(message))
        .await?
        .into_response())
}

#[derive(Template)]
#[template(path = "product.html")]
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
    let scope = scope_of(session);
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
                    crate::format::date(c.valid_from),
                    crate::format::date(c.valid_to)
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
            create_csrf: (session.user.role == Role::Producer).then(|| session.csrf.clone()),
            evaluation_types: super::dossiers::evaluation_choices(lang),
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
    registry::add_certification(&state.db, &scope_of(session), &id, &draft, &session.user.id)
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
    let scope = scope_of(session);
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
        Some(bytes) if is_image => state.files.put(&state.db, &bytes).await.ok(),
        _ => None,
    };
    let Some(stored) = stored else {
        let message = lang.t_with(
            "photo-error",
            &[(
                "max",
                fluent_templates::fluent_bundle::FluentValue::from(
                    state.files.max_bytes() / (1024 * 1024),
                ),
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
    registry::product(&state.db, &scope_of(session), &id)
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
        _ => return Err(not_found(&sha, lang)),
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

/// An entity as its edit form shows it.
fn entity_form_of(entity: &Entity) -> EntityForm {
    let checked = |value: bool| value.then(|| "on".to_string());
    let count = |value: Option<i64>| value.map(|n| n.to_string()).unwrap_or_default();
    EntityForm {
        kind: entity.kind.as_str().into(),
        legal_form: entity.legal_form.clone().unwrap_or_default(),
        registration_code: entity.registration_code.clone(),
        name: entity.name.clone(),
        representative: entity.representative.clone(),
        address: entity.address.clone(),
        commune_code: entity.commune_code.clone(),
        phone: entity.phone.clone().unwrap_or_default(),
        email: entity.email.clone().unwrap_or_default(),
        women_led: checked(entity.women_led),
        ethnic_minority_led: checked(entity.ethnic_minority_led),
        members: count(entity.members),
        workers: count(entity.workers),
        founded_on: entity
            .founded_on
            .map(crate::format::date)
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "entity_edit.html")]
struct EntityEditPage {
    chrome: Chrome,
    id: String,
    name: String,
    csrf: String,
    kinds: Vec<(&'static str, String)>,
    legal_forms: Vec<&'static str>,
    form: EntityForm,
    errors: HashMap<&'static str, String>,
    commune_fixed: Option<String>,
}

/// The entity an editor may change: signed in, of a role that maintains the registry, in scope.
async fn editable_entity<'v>(
    state: &AppState,
    viewer: &'v Viewer,
    id: &str,
) -> Result<(&'v Session, Entity), PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    if !session.user.role.maintains_registry() {
        return Err(PageError::forbidden(lang));
    }
    let entity = registry::find(&state.db, &scope_of(session), id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(id, lang))?;
    Ok((session, entity))
}

async fn entity_edit_form(
    state: &AppState,
    viewer: &Viewer,
    session: &Session,
    entity: &Entity,
    form: EntityForm,
    errors: HashMap<&'static str, String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let page = render(
        &EntityEditPage {
            chrome: Chrome::new(viewer, "entities"),
            id: entity.id.clone(),
            name: entity.name.clone(),
            csrf: session.csrf.clone(),
            kinds: kind_choices(lang),
            legal_forms: LEGAL_FORMS.to_vec(),
            form,
            errors,
            commune_fixed: Some(commune_name(state, &entity.commune_code, lang).await?),
        },
        lang,
    )?;
    Ok((status, page).into_response())
}

/// `GET /entities/{id}/edit`: the entity's details in a form.
pub async fn edit_entity_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (session, entity) = editable_entity(&state, &viewer, &id).await?;
    let form = entity_form_of(&entity);
    entity_edit_form(
        &state,
        &viewer,
        session,
        &entity,
        form,
        HashMap::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /entities/{id}/edit`: saves the changes (each audited with before and after); problems
/// are shown beside their fields with what was typed.
pub async fn edit_entity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithCsrf<EntityForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    let (session, entity) = editable_entity(&state, &viewer, &id).await?;
    let redo = |errors: ocop_domain::registry::FieldErrors| {
        let errors = lang.field_messages(errors);
        entity_edit_form(
            &state,
            &viewer,
            session,
            &entity,
            form.fields.clone(),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let today = chrono::Utc::now().date_naive();
    let draft =
        match ocop_domain::registry::check_entity_edit(&form.fields, &entity.commune_code, today) {
            Ok(draft) => draft,
            Err(errors) => return redo(errors).await,
        };
    let updated = match registry::update(
        &state.db,
        &scope_of(session),
        &id,
        &draft,
        session.user.role,
        &session.user.id,
    )
    .await
    {
        Ok(Some(updated)) => updated,
        Ok(None) => return Err(not_found(&id, lang)),
        Err(RegistryError::Fields(errors)) => return redo(errors).await,
        Err(RegistryError::Store(error)) => return Err(PageError::new(error.into(), lang)),
        Err(RegistryError::Account(error)) => {
            // An edit touches no account; this would be a bug.
            tracing::error!(%error, "entity edit");
            return Err(PageError::new(AppError::Internal, lang));
        }
    };
    let message = if updated.status != entity.status {
        lang.t("entity-updated-reconfirm")
    } else {
        lang.t("entity-updated")
    };
    Ok(entity_page_with(&state, &viewer, &id, Some(message))
        .await?
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
#[template(path = "product_edit.html")]
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
    let scope = scope_of(session);
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
    registry::update_product(&state.db, &scope_of(session), &id, &draft, &session.user.id)
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
