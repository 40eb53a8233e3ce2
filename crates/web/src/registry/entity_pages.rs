//! Entity pages: registration, the list of entities in the viewer's scope, an entity's page
//! (facts, products, history, confirmation, adding a product) and its edit form.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use fluent_templates::fluent_bundle::FluentValue;
use serde::Deserialize;

use ocop_domain::access::Role;
use ocop_domain::criteria::EntityType;
use ocop_domain::registry::{
    EntityForm, EntityStatus, LEGAL_FORMS, ProductForm, check_entity, check_product,
};
use ocop_store::accounts::{self, AccountError, NewUser, SESSION_MS};
use ocop_store::clock::new_token;
use ocop_store::registry::{self, Entity, RegistryError};
use ocop_store::units;

use super::{ProductFormView, not_found, set_choices};
use crate::AppState;
use crate::shared::auth::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Session, Viewer, check_csrf, check_login_csrf, clear_cookie,
    set_cookie,
};
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::history::{HistoryRow, history_rows};
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, CsrfForm, WithCsrf, render};

fn kind_label(kind: EntityType, lang: Lang) -> String {
    lang.t(&format!("entity-kind-{}", kind.as_str()))
}

fn status_label(status: EntityStatus, lang: Lang) -> String {
    lang.t(&format!("entity-status-{}", status.as_str()))
}

#[derive(Template)]
#[template(path = "registry/register.html")]
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
                    &[("detail", FluentValue::from(detail.clone()))],
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
#[template(path = "registry/entities.html")]
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
    for entity in registry::list(&state.db, &session.scope(), None)
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

#[derive(Template)]
#[template(path = "registry/entity.html")]
struct EntityPage {
    chrome: Chrome,
    entity: EntityRow,
    facts: Vec<(String, String)>,
    confirm_csrf: Option<String>,
    message: Option<String>,
    products: Vec<ProductRow>,
    product_form: Option<ProductFormView>,
    may_edit: bool,
    /// The value-chain form (whoever keeps the registry), and the current flag.
    value_chain_csrf: Option<String>,
    value_chain: bool,
    history: Vec<HistoryRow>,
}

pub struct ProductRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub set: String,
}

/// The product sets of the criteria version in force today.
fn sets_in_force(state: &AppState, lang: Lang) -> (String, Vec<(String, String)>) {
    let today = chrono::Utc::now().date_naive();
    match state.criteria.in_force_on(today) {
        Some(version) => (version.id.clone(), set_choices(version, lang)),
        None => (String::new(), Vec::new()),
    }
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
    let entity = registry::find(&state.db, &session.scope(), id)
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
            entity.founded_on.map_or("—".into(), format::date),
        ),
    ];
    let value_chain = ocop_store::monitoring::promotion::value_chain(&state.db, &entity.id)
        .await
        .map_err(page_error(lang))?;
    let mut facts = facts;
    facts.push((lang.t("entity-value-chain"), yes_no(value_chain)));
    let history = history_rows(state, "entity", &entity.id, lang).await?;
    let confirm_csrf = (entity.status == EntityStatus::Pending
        && session.user.role.confirms_entities())
    .then(|| session.csrf.clone());
    let products = registry::products(&state.db, &session.scope(), Some(&entity.id))
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
            value_chain_csrf: session
                .user
                .role
                .maintains_registry()
                .then(|| session.csrf.clone()),
            value_chain,
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
    registry::confirm(&state.db, &session.scope(), &id, &session.user.id)
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
    let product = registry::add_product(&state.db, &session.scope(), &id, &draft, &session.user.id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    let message = lang.t_with(
        "product-added",
        &[("code", FluentValue::from(product.code))],
    );
    Ok(entity_page_with(&state, &viewer, &id, Some(message))
        .await?
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
        founded_on: entity.founded_on.map(format::date).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "registry/entity_edit.html")]
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
    let entity = registry::find(&state.db, &session.scope(), id)
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
        &session.scope(),
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
