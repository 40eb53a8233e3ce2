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
use ocop_domain::registry::{EntityForm, EntityStatus, LEGAL_FORMS, check_entity};
use ocop_store::accounts::{self, AccountError, NewUser, SESSION_MS};
use ocop_store::clock::new_token;
use ocop_store::registry::{self, Entity, RegistryError};
use ocop_store::{audit, units};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Session, Viewer, check_csrf, check_login_csrf, clear_cookie,
    set_cookie,
};
use crate::error::{AppError, PageError, page_error};
use crate::i18n::Lang;

/// What a session may see of the registry.
pub fn scope_of(session: &Session) -> Scope {
    let user = &session.user;
    Scope::of(
        user.role,
        user.unit_code.as_deref(),
        user.entity_id.as_deref(),
    )
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
            kinds: EntityType::ALL
                .iter()
                .map(|k| (k.as_str(), kind_label(*k, lang)))
                .collect(),
            legal_forms: LEGAL_FORMS.to_vec(),
            form,
            account_email,
            errors,
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
            return redo(
                errors
                    .into_iter()
                    .map(|(field, key)| (field, lang.t(key)))
                    .collect(),
            );
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
        Err(RegistryError::Fields(errors)) => redo(
            errors
                .into_iter()
                .map(|(field, key)| (field, lang.t(key)))
                .collect(),
        ),
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
    pub changes: String,
}

#[derive(Template)]
#[template(path = "entity.html")]
struct EntityPage {
    chrome: Chrome,
    entity: EntityRow,
    facts: Vec<(String, String)>,
    confirm_csrf: Option<String>,
    message: Option<String>,
    history: Vec<HistoryRow>,
}

/// Officers of the entity's commune or province confirm it.
fn may_confirm(session: &Session) -> bool {
    matches!(
        session.user.role,
        Role::CommuneOfficer | Role::ProvincialOfficer
    )
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

async fn entity_page_with(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    message: Option<String>,
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
    let mut history = Vec::new();
    for record in audit::history(&state.db, "entity", &entity.id)
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
        history.push(HistoryRow {
            when: chrono::DateTime::from_timestamp_millis(record.at_ms)
                .map(|t| {
                    (t + chrono::Duration::hours(7))
                        .format("%d/%m/%Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            who,
            action: record.action,
            changes: record.changes,
        });
    }
    let confirm_csrf = (entity.status == EntityStatus::Pending && may_confirm(session))
        .then(|| session.csrf.clone());
    render(
        &EntityPage {
            chrome: Chrome::new(viewer, "entities"),
            entity: row(state, &entity, lang).await?,
            facts,
            confirm_csrf,
            message,
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

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
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
    if !may_confirm(session) {
        return Err(PageError::new(
            AppError::Forbidden {
                code: "forbidden",
                message: String::new(),
            },
            lang,
        ));
    }
    registry::confirm(&state.db, &scope_of(session), &id, &session.user.id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(&id, lang))?;
    entity_page_with(&state, &viewer, &id, Some(lang.t("entity-confirmed"))).await
}
