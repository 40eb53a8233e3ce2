//! Units in the JSON API: search, the provinces in force, one unit with its relations.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use ocop_domain::units::UnitLevel;
use ocop_store::units::{self, Unit};

use super::parse_on;
use crate::AppState;
use crate::shared::error::{ApiPath, ApiQuery, AppError, ErrorDoc};

/// A unit in API answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitSummary {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub level: &'static str,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl From<&Unit> for UnitSummary {
    fn from(unit: &Unit) -> UnitSummary {
        UnitSummary {
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind.as_str(),
            level: unit.level().as_str(),
            valid_from: unit.valid_from,
            valid_to: unit.valid_to,
        }
    }
}

fn summaries(units: &[Unit]) -> Vec<UnitSummary> {
    units.iter().map(UnitSummary::from).collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitList {
    pub count: usize,
    pub units: Vec<UnitSummary>,
}

impl UnitList {
    fn new(units: &[Unit]) -> UnitList {
        UnitList {
            count: units.len(),
            units: summaries(units),
        }
    }
}

/// `GET /api/v1/units/provinces`: the provinces in force.
#[utoipa::path(get, path = "/api/v1/units/provinces", tag = "units",
    responses((status = 200, description = "The 34 provinces in force, by code", body = UnitList)))]
pub async fn provinces(State(state): State<AppState>) -> Result<Json<UnitList>, AppError> {
    let provinces = units::current_provinces(&state.db).await?;
    Ok(Json(UnitList::new(&provinces)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: UnitSummary,
    pub decree: Option<String>,
    pub parent: Option<UnitSummary>,
    pub children: Vec<UnitSummary>,
    pub predecessors: Vec<UnitSummary>,
    pub successors: Vec<UnitSummary>,
}

#[derive(Deserialize)]
pub struct UnitParams {
    on: Option<String>,
}

/// `GET /api/v1/units/{code}?on=YYYY-MM-DD`: a unit with its parent, children, predecessors
/// and successors. Without `on`, the unit in force (or the last that carried the code).
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units",
    params(
        ("code" = String, Path, description = "Official code (e.g. 79, 26882) or derived district code (79:quan-go-vap)"),
        ("on" = Option<String>, Query, description = "A date (YYYY-MM-DD): the unit with this code in force that day"),
    ),
    responses(
        (status = 200, body = UnitDetail),
        (status = 400, description = "`on` is not a date (invalid_date)", body = ErrorDoc),
        (status = 404, description = "No such unit (unit_not_found)", body = ErrorDoc),
    ))]
pub async fn unit(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(params): ApiQuery<UnitParams>,
) -> Result<Json<UnitDetail>, AppError> {
    let on = parse_on(params.on.as_deref())?;
    let db = &state.db;
    let unit = units::find_by_code(db, &code, on)
        .await?
        .ok_or(AppError::NotFound {
            code: "unit_not_found",
            what: "unit",
            key: code,
        })?;
    let parent = match unit.parent_id {
        Some(id) => units::find_by_id(db, id).await?,
        None => None,
    };
    Ok(Json(UnitDetail {
        unit: UnitSummary::from(&unit),
        decree: unit.decree.clone(),
        parent: parent.as_ref().map(UnitSummary::from),
        children: summaries(&units::children(db, unit.id).await?),
        predecessors: summaries(&units::predecessors(db, unit.id).await?),
        successors: summaries(&units::successors(db, unit.id).await?),
    }))
}

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    level: Option<String>,
    limit: Option<i64>,
}

const MAX_LIMIT: i64 = 100;

/// `GET /api/v1/units?q=…&level=…&limit=…`: units whose name matches, diacritics ignored.
#[utoipa::path(get, path = "/api/v1/units", tag = "units",
    params(
        ("q" = String, Query, description = "Part of a name, with or without diacritics"),
        ("level" = Option<String>, Query, description = "province, district or commune"),
        ("limit" = Option<i64>, Query, description = "1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "Units in force first, then provinces, districts, communes", body = UnitList),
        (status = 400, description = "missing_query, invalid_level, invalid_limit, or invalid_query (a parameter of the wrong type)", body = ErrorDoc),
    ))]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<UnitList>, AppError> {
    let query = params.q.unwrap_or_default();
    if query.trim().is_empty() {
        return Err(AppError::bad_request(
            "missing_query",
            "give a name to look for in `q`",
        ));
    }
    let level = match params.level.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(text) => Some(UnitLevel::parse(text).ok_or_else(|| {
            AppError::bad_request(
                "invalid_level",
                format!("`level` must be province, district or commune, not `{text}`"),
            )
        })?),
    };
    let limit = params.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            format!("`limit` must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let found = state
        .unit_search
        .search(&state.db, &query, level, limit as usize)
        .await?;
    Ok(Json(UnitList::new(&found)))
}
