//! Plans and targets: a unit's plan for a period, each target with its progress measured on the
//! plan's own territory, a province's targets checked against its communes' parts. One page
//! (list and form) and the API.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use ocop_domain::monitoring::targets::{Indicator, Period, Progress, SplitCheck, TargetValue};
use ocop_store::accounts::User;
use ocop_store::monitoring::plans::{self as store, Plan, PlanDraft};
use ocop_store::units;

use super::{field_errors, may_read, may_write, store_error};
use crate::AppState;
use crate::shared::auth::{ApiCaller, ApiWriter, Viewer, check_csrf};
use crate::shared::error::{ApiJson, AppError, ErrorDoc, PageError, page_error};
use crate::shared::i18n::{ApiLang, Lang};
use crate::shared::page::{Chrome, form_field, render};

/// A plan as typed: a unit's code (empty: the nation), a period, the plan's reference and a
/// value per indicator (blank: no target).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlanInput {
    #[serde(default)]
    pub unit: String,
    /// `2025` or `2021-2025`.
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub reference: String,
    /// Indicator code → value: a whole number for counts, a percentage for shares.
    #[serde(default)]
    pub targets: BTreeMap<String, String>,
}

/// Checks a typed plan: the unit is the one bearing the code on the period's first day (a
/// former province for a plan of its time), else the one in force.
async fn check(state: &AppState, input: &PlanInput, lang: Lang) -> Result<PlanDraft, AppError> {
    let mut errors: Vec<(&'static str, &'static str)> = Vec::new();
    let period = Period::parse(&input.period);
    if period.is_none() {
        errors.push(("period", "monitoring-error-period"));
    }
    let unit_id = match (input.unit.trim(), period) {
        ("", _) => None,
        (code, Some(period)) => {
            let unit = match units::find_by_code(&state.db, code, Some(period.first_day())).await? {
                Some(unit) => Some(unit),
                None => units::find_by_code(&state.db, code, None).await?,
            };
            match unit {
                Some(unit) => Some(unit.id),
                None => {
                    errors.push(("unit", "plan-error-unit"));
                    None
                }
            }
        }
        (_, None) => None,
    };
    let mut targets = Vec::new();
    for (code, value) in &input.targets {
        if value.trim().is_empty() {
            continue;
        }
        match Indicator::parse(code) {
            Some(indicator) => match TargetValue::parse(indicator, value) {
                Ok(value) => targets.push((indicator, value)),
                Err(message) => errors.push((indicator.as_str(), message)),
            },
            None => errors.push(("targets", "plan-error-indicator")),
        }
    }
    if targets.is_empty() && errors.is_empty() {
        errors.push(("targets", "plan-error-targets"));
    }
    match (errors.is_empty(), period) {
        (true, Some(period)) => Ok(PlanDraft {
            unit_id,
            period,
            reference: input.reference.clone(),
            targets,
        }),
        _ => Err(AppError::invalid_fields(lang, errors)),
    }
}

async fn save(
    state: &AppState,
    user: &User,
    input: &PlanInput,
    lang: Lang,
) -> Result<Plan, AppError> {
    may_write(user, true)?;
    let draft = check(state, input, lang).await?;
    store::save(&state.db, &user.scope(), &draft, &user.id)
        .await
        .map_err(|e| store_error(lang, e, "unit", &input.unit))
}

/// A target with its progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetJson {
    pub indicator: &'static str,
    /// `count` or `share`.
    pub kind: &'static str,
    /// A count, or basis points (4000 = 40 %).
    pub target: i64,
    pub actual: u64,
    /// For a share: the whole the actual is a part of.
    pub actual_of: Option<u64>,
    /// actual ÷ target in percent (`null` when there is nothing to divide).
    pub percent: Option<u64>,
    /// `79 / 32 — 247 %`
    pub text: String,
    /// A province's count target against its communes' parts: `matches`, `short` or `over`.
    pub split: Option<String>,
}

/// A plan with its targets' progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanJson {
    pub id: String,
    /// `null` for the nation's plan.
    pub unit_code: Option<String>,
    pub unit_name: String,
    /// The plan's unit no longer exists: it lies on today's map in `province_code`.
    pub former: bool,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub period: String,
    pub reference: String,
    pub targets: Vec<TargetJson>,
}

async fn json_of(state: &AppState, plans: &[Plan], lang: Lang) -> Result<Vec<PlanJson>, AppError> {
    let facts = state
        .monitoring
        .get(&state.db, &state.revisions, &state.criteria)
        .await?;
    Ok(plans
        .iter()
        .map(|plan| {
            let area = plan.area();
            let split: HashMap<Indicator, (u64, SplitCheck)> = store::split(plans, plan)
                .into_iter()
                .map(|(indicator, _, sum, check)| (indicator, (sum, check)))
                .collect();
            PlanJson {
                id: plan.id.clone(),
                unit_code: plan.unit.as_ref().map(|u| u.code.clone()),
                unit_name: plan
                    .unit
                    .as_ref()
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| lang.t("monitoring-nation")),
                former: plan.is_former(),
                province_code: plan.province_code.clone(),
                commune_code: plan.commune_code.clone(),
                period: plan.period.to_string(),
                reference: plan.reference.clone(),
                targets: plan
                    .targets
                    .iter()
                    .map(|(indicator, target)| {
                        let actual = facts.actual(*indicator, &area, plan.period);
                        let progress = Progress::of(actual, *target);
                        TargetJson {
                            indicator: indicator.as_str(),
                            kind: match target {
                                TargetValue::Count(_) => "count",
                                TargetValue::Share(_) => "share",
                            },
                            target: target.raw(),
                            actual: actual.count,
                            actual_of: actual.of,
                            percent: progress.percent,
                            text: progress.text(),
                            split: split.get(indicator).map(|(sum, check)| match check {
                                SplitCheck::Matches => lang
                                    .t_with("plan-split-matches", &[("sum", (*sum as i64).into())]),
                                SplitCheck::Short(n) => lang.t_with(
                                    "plan-split-short",
                                    &[("sum", (*sum as i64).into()), ("by", (*n as i64).into())],
                                ),
                                SplitCheck::Over(n) => lang.t_with(
                                    "plan-split-over",
                                    &[("sum", (*sum as i64).into()), ("by", (*n as i64).into())],
                                ),
                            }),
                        }
                    })
                    .collect(),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "monitoring/plans.html")]
struct PlansPage {
    chrome: Chrome,
    plans: Vec<PlanJson>,
    writes: bool,
    indicators: Vec<(&'static str, String, bool)>,
    input: PlanInput,
    errors: HashMap<String, String>,
}

impl PlansPage {
    fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn typed(&self, indicator: &str) -> &str {
        self.input
            .targets
            .get(indicator)
            .map(String::as_str)
            .unwrap_or("")
    }
}

async fn plans_page(
    state: &AppState,
    viewer: &Viewer,
    input: PlanInput,
    errors: HashMap<String, String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let plans = store::plans(&state.db, &session.scope())
        .await
        .map_err(|e| PageError::new(store_error(lang, e, "plan", ""), lang))?;
    let plans = json_of(state, &plans, lang)
        .await
        .map_err(page_error(lang))?;
    render(
        &PlansPage {
            chrome: Chrome::new(viewer, "monitoring"),
            plans,
            writes: may_write(&session.user, true).is_ok(),
            indicators: Indicator::ALL
                .iter()
                .map(|i| {
                    (
                        i.as_str(),
                        lang.t(&i.message_id()),
                        i.kind() == ocop_domain::monitoring::targets::IndicatorKind::Share,
                    )
                })
                .collect(),
            input,
            errors,
        },
        lang,
    )
}

/// `GET /monitoring/plans`
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    plans_page(&state, &viewer, PlanInput::default(), HashMap::new()).await
}

/// `POST /monitoring/plans`: a wrong field comes back beside it with what was typed.
pub async fn submit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, form_field(&fields, "csrf")).map_err(page_error(lang))?;
    may_write(&session.user, true).map_err(page_error(lang))?;
    let input = PlanInput {
        unit: form_field(&fields, "unit").to_string(),
        period: form_field(&fields, "period").to_string(),
        reference: form_field(&fields, "reference").to_string(),
        targets: fields
            .iter()
            .filter_map(|(key, value)| Some((key.strip_prefix("t_")?.to_string(), value.clone())))
            .collect(),
    };
    match save(&state, &session.user, &input, lang).await {
        Ok(_) => Ok(Redirect::to("/monitoring/plans#plans").into_response()),
        Err(error) => {
            let errors = field_errors(error).map_err(page_error(lang))?;
            let page = plans_page(&state, &viewer, input, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The plans in the caller's scope, each target with its progress.
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/plans",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Plans with progress", body = [PlanJson]),
        (status = 403, description = "The role does not read the monitoring", body = ErrorDoc)
    )
)]
pub async fn list_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiCaller(user): ApiCaller,
) -> Result<Json<Vec<PlanJson>>, AppError> {
    may_read(&user)?;
    let plans = store::plans(&state.db, &user.scope())
        .await
        .map_err(|e| store_error(lang, e, "plan", ""))?;
    Ok(Json(json_of(&state, &plans, lang).await?))
}

/// Records a plan (or replaces the targets of the same unit's plan for the same period).
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/plans",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    request_body = PlanInput,
    responses(
        (status = 201, description = "Recorded", body = PlanJson),
        (status = 403, description = "The role does not write plans", body = ErrorDoc),
        (status = 404, description = "The unit is not in the caller's scope", body = ErrorDoc),
        (status = 422, description = "A wrong field (`unit`, `period`, `reference`, an indicator)", body = ErrorDoc)
    )
)]
pub async fn create_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<Response, AppError> {
    let plan = save(&state, &user, &input, lang).await?;
    let json = json_of(&state, std::slice::from_ref(&plan), lang).await?;
    Ok((StatusCode::CREATED, Json(json.into_iter().next())).into_response())
}
