//! Trade promotion and training kept by officers: fairs and the products shown there with
//! their reported sales, courses and who attended, traditional craft villages and their
//! products. One page with the lists and forms; the lists as JSON.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use ocop_domain::monitoring::parse_dong;
use ocop_domain::monitoring::promotion::{
    CourseForm, FairForm, check_attendees, check_course, check_fair,
};
use ocop_store::accounts::User;
use ocop_store::monitoring::promotion::{self as store, Course, CraftVillage, Fair};
use ocop_store::registry;

use super::{field_errors, may_read, may_write, store_error};
use crate::AppState;
use crate::shared::auth::{ApiCaller, Viewer, check_csrf};
use crate::shared::error::{ApiPath, AppError, ErrorDoc, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::{ApiLang, Lang};
use crate::shared::page::{Chrome, form_field, render};

#[derive(Template)]
#[template(path = "monitoring/promotion.html")]
struct PromotionPage {
    chrome: Chrome,
    fairs: Vec<Fair>,
    courses: Vec<Course>,
    villages: Vec<CraftVillage>,
    /// Events and courses: the central office and provinces; villages: provinces.
    writes_events: bool,
    writes_villages: bool,
    /// Which form failed ("fair", "course", "village", "fair:<id>" …) and its problems.
    failed: Option<String>,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl PromotionPage {
    fn sales_total(&self, fair: &Fair) -> String {
        format::vnd(fair.reported_sales())
    }

    fn typed(&self, form: &str, field: &str) -> &str {
        if self.failed.as_deref() == Some(form) {
            self.typed.get(field).map(String::as_str).unwrap_or("")
        } else {
            ""
        }
    }

    fn error(&self, form: &str, field: &str) -> Option<&String> {
        if self.failed.as_deref() == Some(form) {
            self.errors.get(field)
        } else {
            None
        }
    }
}

/// A form that failed: its name, its problems by field, what was typed.
type Failed = (String, HashMap<String, String>, HashMap<String, String>);

async fn promotion_page(
    state: &AppState,
    viewer: &Viewer,
    failed: Option<Failed>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let scope = session.scope();
    let fairs = store::fairs(&state.db, &scope)
        .await
        .map_err(|e| PageError::new(AppError::from(e), lang))?;
    let courses = store::courses(&state.db, &scope)
        .await
        .map_err(|e| PageError::new(AppError::from(e), lang))?;
    let villages = store::craft_villages(&state.db, &scope)
        .await
        .map_err(|e| PageError::new(AppError::from(e), lang))?;
    let (failed, errors, typed) = match failed {
        Some((form, errors, typed)) => (Some(form), errors, typed),
        None => (None, HashMap::new(), HashMap::new()),
    };
    render(
        &PromotionPage {
            chrome: Chrome::new(viewer, "monitoring"),
            fairs,
            courses,
            villages,
            writes_events: may_write(&session.user, true).is_ok(),
            writes_villages: may_write(&session.user, false).is_ok(),
            failed,
            errors,
            typed,
        },
        lang,
    )
}

/// `GET /monitoring/promotion`
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    promotion_page(&state, &viewer, None).await
}

fn missing(what: &'static str, id: &str) -> AppError {
    AppError::NotFound {
        code: "not_found",
        what,
        key: id.to_string(),
    }
}

/// What one of the page's forms asks for, checked and written (the object asked about is
/// looked up in scope first, so that another province's reads as absent).
async fn act(
    state: &AppState,
    user: &User,
    action: &str,
    target: Option<&str>,
    fields: &[(String, String)],
    lang: Lang,
) -> Result<(), AppError> {
    let value = |name: &str| form_field(fields, name).to_string();
    let scope = user.scope();
    let invalid = |errors: std::collections::BTreeMap<&'static str, &'static str>| {
        AppError::invalid_fields(lang, errors)
    };
    match (action, target) {
        ("fair", None) => {
            may_write(user, true)?;
            let form = FairForm {
                name: value("name"),
                starts_on: value("starts_on"),
                ends_on: value("ends_on"),
                place: value("place"),
            };
            let draft = check_fair(&form, format::parse_date).map_err(invalid)?;
            store::create_fair(&state.db, &scope, &draft, &user.id)
                .await
                .map_err(|e| store_error(lang, e, "fair", ""))?;
        }
        ("fair", Some(id)) => {
            may_write(user, true)?;
            store::fair(&state.db, &scope, id)
                .await?
                .ok_or_else(|| missing("fair", id))?;
            let product = registry::product_by_code(&state.db, &scope, value("product").trim())
                .await?
                .ok_or_else(|| {
                    AppError::invalid_fields(lang, [("product", "fair-error-product")])
                })?;
            let sales = match value("sales").trim() {
                "" => None,
                typed => Some(
                    parse_dong(typed)
                        .map_err(|e| AppError::invalid_fields(lang, [("sales", e.message_id())]))?,
                ),
            };
            store::add_fair_product(&state.db, &scope, id, &product.id, sales, &user.id)
                .await
                .map_err(|e| store_error(lang, e, "fair", id))?;
        }
        ("course", None) => {
            may_write(user, true)?;
            let form = CourseForm {
                topic: value("topic"),
                starts_on: value("starts_on"),
                ends_on: value("ends_on"),
                organiser: value("organiser"),
                audience: value("audience"),
            };
            let draft = check_course(&form, format::parse_date).map_err(invalid)?;
            store::create_course(&state.db, &scope, &draft, &user.id)
                .await
                .map_err(|e| store_error(lang, e, "course", ""))?;
        }
        ("course", Some(id)) => {
            may_write(user, true)?;
            store::course(&state.db, &scope, id)
                .await?
                .ok_or_else(|| missing("course", id))?;
            let people = check_attendees(&value("people"))
                .map_err(|m| AppError::invalid_fields(lang, [("people", m)]))?;
            let entity = match value("entity").trim() {
                "" => None,
                code => Some(
                    registry::entity_by_code(&state.db, &scope, code)
                        .await?
                        .ok_or_else(|| {
                            AppError::invalid_fields(lang, [("entity", "course-error-entity")])
                        })?
                        .id,
                ),
            };
            store::add_attendee(
                &state.db,
                &scope,
                id,
                entity.as_deref(),
                &value("name"),
                people,
                &user.id,
            )
            .await
            .map_err(|e| store_error(lang, e, "course", id))?;
        }
        ("village", None) => {
            may_write(user, false)?;
            store::create_craft_village(
                &state.db,
                &scope,
                &value("name"),
                &value("commune"),
                &user.id,
            )
            .await
            .map_err(|e| store_error(lang, e, "craft village", ""))?;
        }
        ("village", Some(id)) => {
            may_write(user, false)?;
            if !store::craft_villages(&state.db, &scope)
                .await?
                .iter()
                .any(|v| v.id == id)
            {
                return Err(missing("craft village", id));
            }
            let product = registry::product_by_code(&state.db, &scope, value("product").trim())
                .await?
                .ok_or_else(|| {
                    AppError::invalid_fields(lang, [("product", "village-error-product")])
                })?;
            store::add_village_product(&state.db, &scope, id, &product.id, &user.id)
                .await
                .map_err(|e| store_error(lang, e, "craft village", id))?;
        }
        _ => {
            return Err(AppError::NotFound {
                code: "not_found",
                what: "form",
                key: action.to_string(),
            });
        }
    }
    Ok(())
}

async fn answer(
    state: &AppState,
    viewer: &Viewer,
    form: String,
    fields: Vec<(String, String)>,
    result: Result<(), AppError>,
    anchor: &str,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/monitoring/promotion#{anchor}")).into_response()),
        Err(error) => {
            let errors = field_errors(error).map_err(page_error(lang))?;
            let typed = fields.into_iter().filter(|(k, _)| k != "csrf").collect();
            let page = promotion_page(state, viewer, Some((form, errors, typed))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

macro_rules! form_handler {
    ($name:ident, $action:literal, $anchor:literal) => {
        #[doc = concat!("`POST` a new ", $action, " from the promotion page.")]
        pub async fn $name(
            State(state): State<AppState>,
            viewer: Viewer,
            axum::Form(fields): axum::Form<Vec<(String, String)>>,
        ) -> Result<Response, PageError> {
            let lang = viewer.lang;
            let session = viewer.page_session()?;
            check_csrf(session, form_field(&fields, "csrf")).map_err(page_error(lang))?;
            let result = act(&state, &session.user, $action, None, &fields, lang).await;
            answer(
                &state,
                &viewer,
                $action.to_string(),
                fields,
                result,
                $anchor,
            )
            .await
        }
    };
    ($name:ident, $action:literal, $anchor:literal, item) => {
        #[doc = concat!("`POST` to one ", $action, " from the promotion page.")]
        pub async fn $name(
            State(state): State<AppState>,
            viewer: Viewer,
            ApiPath(id): ApiPath<String>,
            axum::Form(fields): axum::Form<Vec<(String, String)>>,
        ) -> Result<Response, PageError> {
            let lang = viewer.lang;
            let session = viewer.page_session()?;
            check_csrf(session, form_field(&fields, "csrf")).map_err(page_error(lang))?;
            let result = act(&state, &session.user, $action, Some(&id), &fields, lang).await;
            answer(
                &state,
                &viewer,
                format!("{}:{id}", $action),
                fields,
                result,
                $anchor,
            )
            .await
        }
    };
}

form_handler!(fair_page, "fair", "fairs");
form_handler!(fair_product_page, "fair", "fairs", item);
form_handler!(course_page, "course", "courses");
form_handler!(attendee_page, "course", "courses", item);
form_handler!(village_page, "village", "villages");
form_handler!(village_product_page, "village", "villages", item);

/// A fair in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FairJson {
    pub id: String,
    pub name: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub place: String,
    /// The organising province's code; empty for a national event.
    pub province_code: String,
    /// Product codes shown there.
    pub products: Vec<String>,
    /// Reported sales, whole đồng.
    pub reported_sales: i64,
}

/// A course in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CourseJson {
    pub id: String,
    pub topic: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub organiser: String,
    /// `officials` or `entities`.
    pub audience: &'static str,
    pub people: i64,
}

/// A craft village in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CraftVillageJson {
    pub id: String,
    pub name: String,
    pub commune_code: String,
    /// Product codes made there.
    pub products: Vec<String>,
}

/// Fairs, courses and craft villages in the caller's scope.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PromotionJson {
    pub fairs: Vec<FairJson>,
    pub courses: Vec<CourseJson>,
    pub craft_villages: Vec<CraftVillageJson>,
}

/// Fairs with their products and reported sales, courses with how many attended, and craft
/// villages with their products, in the caller's scope.
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/promotion",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Trade promotion and training", body = PromotionJson),
        (status = 403, description = "The role does not read the monitoring", body = ErrorDoc)
    )
)]
pub async fn api(
    State(state): State<AppState>,
    ApiLang(_lang): ApiLang,
    ApiCaller(user): ApiCaller,
) -> Result<Json<PromotionJson>, AppError> {
    may_read(&user)?;
    let scope = user.scope();
    Ok(Json(PromotionJson {
        fairs: store::fairs(&state.db, &scope)
            .await?
            .into_iter()
            .map(|f| FairJson {
                reported_sales: f.reported_sales(),
                products: f.products.iter().map(|p| p.1.clone()).collect(),
                id: f.id,
                name: f.name,
                starts_on: f.starts_on,
                ends_on: f.ends_on,
                place: f.place,
                province_code: f.province_code,
            })
            .collect(),
        courses: store::courses(&state.db, &scope)
            .await?
            .into_iter()
            .map(|c| CourseJson {
                people: c.people(),
                audience: c.audience.as_str(),
                id: c.id,
                topic: c.topic,
                starts_on: c.starts_on,
                ends_on: c.ends_on,
                organiser: c.organiser,
            })
            .collect(),
        craft_villages: store::craft_villages(&state.db, &scope)
            .await?
            .into_iter()
            .map(|v| CraftVillageJson {
                products: v.products.iter().map(|p| p.1.clone()).collect(),
                id: v.id,
                name: v.name,
                commune_code: v.commune_code,
            })
            .collect(),
    }))
}
