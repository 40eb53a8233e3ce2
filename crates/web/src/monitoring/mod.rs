//! Programme monitoring: the dashboards (`dashboard.rs`), plans and targets (`plans.rs`),
//! policies with their entitlements, disbursements and budgets (`policies.rs`), fairs,
//! courses and craft villages (`promotion.rs`) and the periodic report (`report.rs`).
//!
//! Every figure is computed from the records by `ocop_domain::monitoring` on the facts a server
//! keeps per revision; every chart is drawn by `ocop_render` beside a table of the same
//! figures ([`Table`]), and every table downloads as CSV and XLSX from the same rows.

pub mod dashboard;
pub mod plans;
pub mod policies;
pub mod promotion;
pub mod report;

use serde::{Deserialize, Serialize};

use ocop_domain::access::{Role, Scope};
use ocop_domain::monitoring::facts::{Area, Filters};
use ocop_domain::monitoring::money::percent_text;
use ocop_domain::monitoring::targets::Period;
use ocop_render::sheet::Cell;
use ocop_store::accounts::User;
use ocop_store::monitoring::MonitoringError;
use ocop_store::units;

use crate::AppState;
use crate::shared::error::AppError;
use crate::shared::format;
use crate::shared::i18n::Lang;

/// Officers of a commune, a province and the central office read the monitoring of their
/// scope; producers, council members and administrators do not.
pub fn may_read(user: &User) -> Result<(), AppError> {
    if user.role.reads_monitoring() {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            code: "role_forbidden",
            message: "this role does not read the programme's monitoring".into(),
        })
    }
}

/// Plans, fairs and courses are written by the central office (the nation's) and provincial
/// officers (their province's); policies, entitlements, budgets and craft villages by
/// provincial officers only — the province decides and pays them.
pub fn may_write(user: &User, central_too: bool) -> Result<(), AppError> {
    match user.role {
        Role::ProvincialOfficer => Ok(()),
        Role::CentralOfficer if central_too => Ok(()),
        _ => Err(AppError::Forbidden {
            code: "role_forbidden",
            message: "this role does not write the programme's plans and policies".into(),
        }),
    }
}

/// A monitoring write's refusal in the one error shape.
pub fn store_error(lang: Lang, error: MonitoringError, what: &'static str, key: &str) -> AppError {
    match error {
        MonitoringError::NotFound => AppError::NotFound {
            code: "not_found",
            what,
            key: key.to_string(),
        },
        MonitoringError::Invalid(field, message) => {
            AppError::invalid_fields(lang, [(field, message)])
        }
        MonitoringError::Store(error) => error.into(),
    }
}

/// A form's refusal as the messages to show beside each field (field → message); any other
/// error is passed on.
pub fn field_errors(
    error: AppError,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    match error {
        AppError::InvalidFields { fields } => {
            Ok(fields.into_iter().map(|f| (f.field, f.message)).collect())
        }
        other => Err(other),
    }
}

/// What a dashboard, a report or a table is asked for: `period=2024` or `2021-2025`,
/// `unit=<code>` (a province or commune of today's map, or a former province with
/// `map=period`), `group=<product group>`, `stars=3|4|5`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct Question {
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    /// `today` (default) or `period`: a former province or district on the map of its own time.
    #[serde(default)]
    pub map: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub stars: Option<String>,
}

/// A question checked against the asker's scope.
#[derive(Debug, Clone)]
pub struct Asked {
    pub area: Area,
    /// The area's name ("Tỉnh Đồng Nai"), the nation's in words.
    pub area_name: String,
    pub period: Period,
    pub filters: Filters,
    pub question: Question,
}

impl Asked {
    /// The query string that asks the same question (for links and downloads).
    pub fn query(&self) -> String {
        let mut parts = vec![format!("period={}", self.period.from)];
        if self.period.to != self.period.from {
            parts[0] = format!("period={}-{}", self.period.from, self.period.to);
        }
        let mut push = |key: &str, value: &Option<String>| {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{key}={}", url_encode(value)));
            }
        };
        push("unit", &self.question.unit);
        push("map", &self.question.map);
        push("group", &self.question.group);
        push("stars", &self.question.stars);
        parts.join("&")
    }
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn bad(field: &'static str, message: &'static str, lang: Lang) -> AppError {
    AppError::invalid_fields(lang, [(field, message)])
}

/// Reads a question: the unit must lie in the asker's scope (another's reads as absent).
pub async fn ask(
    state: &AppState,
    user: &User,
    question: &Question,
    lang: Lang,
) -> Result<Asked, AppError> {
    let this_year = chrono::Datelike::year(&ocop_store::clock::today());
    let period = match question
        .period
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(text) => {
            Period::parse(text).ok_or_else(|| bad("period", "monitoring-error-period", lang))?
        }
        None => Period::year(this_year),
    };
    let stars = match question
        .stars
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(text) => Some(
            text.parse::<u8>()
                .ok()
                .filter(|s| (3..=5).contains(s))
                .ok_or_else(|| bad("stars", "monitoring-error-stars", lang))?,
        ),
        None => None,
    };
    let group = question
        .group
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string);
    if group.as_ref().is_some_and(|g| g.chars().count() > 100) {
        return Err(bad("group", "monitoring-error-group", lang));
    }
    let scope = user.scope();
    let default_area = match &scope {
        Scope::National => Area::Nation,
        Scope::Province(code) => Area::Province(code.clone()),
        Scope::Commune(code) => Area::Commune(code.clone()),
        Scope::Entity(_) | Scope::Seats(_) => {
            return Err(AppError::Forbidden {
                code: "role_forbidden",
                message: "this role does not read the programme's monitoring".into(),
            });
        }
    };
    let unit = question
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let on_period_map = question.map.as_deref() == Some("period");
    let area = match unit {
        None => default_area,
        Some(code) => {
            let out_of_scope = || AppError::NotFound {
                code: "unit_not_found",
                what: "unit",
                key: code.to_string(),
            };
            if on_period_map {
                // A former province or district, read by its successor's officers or the
                // central office (a district's successor is its province's).
                let former = units::find_by_code(
                    &state.db,
                    code,
                    Some(period.first_day().min(reform_eve())),
                )
                .await?
                .filter(|u| !u.is_current() && u.level() != ocop_domain::units::UnitLevel::Commune)
                .ok_or_else(out_of_scope)?;
                let province = match former.level() {
                    ocop_domain::units::UnitLevel::District => match former.parent_id {
                        Some(parent) => units::find_by_id(&state.db, parent).await?,
                        None => None,
                    }
                    .ok_or_else(out_of_scope)?,
                    _ => former.clone(),
                };
                let successors = units::successors(&state.db, province.id).await?;
                let allowed = match &scope {
                    Scope::National => true,
                    Scope::Province(own) => successors.iter().any(|s| s.code == *own),
                    _ => false,
                };
                if !allowed {
                    return Err(out_of_scope());
                }
                match former.level() {
                    ocop_domain::units::UnitLevel::District => Area::FormerDistrict(former.code),
                    _ => Area::FormerProvince(former.code),
                }
            } else {
                let unit = units::find_by_code(&state.db, code, None)
                    .await?
                    .filter(|u| u.is_current())
                    .ok_or_else(out_of_scope)?;
                let area = match unit.level() {
                    ocop_domain::units::UnitLevel::Province => Area::Province(unit.code.clone()),
                    ocop_domain::units::UnitLevel::Commune => Area::Commune(unit.code.clone()),
                    ocop_domain::units::UnitLevel::District => return Err(out_of_scope()),
                };
                let province = match &area {
                    Area::Commune(c) => units::province_of(&state.db, c).await?,
                    Area::Province(p) => Some(p.clone()),
                    _ => None,
                };
                let commune = match &area {
                    Area::Commune(c) => Some(c.as_str()),
                    _ => None,
                };
                let allowed = match &scope {
                    Scope::National => true,
                    Scope::Province(own) => province.as_deref() == Some(own.as_str()),
                    Scope::Commune(own) => commune == Some(own.as_str()),
                    _ => false,
                };
                if !allowed {
                    return Err(out_of_scope());
                }
                area
            }
        }
    };
    let area_name = area_name(state, &area, lang).await?;
    Ok(Asked {
        area,
        area_name,
        period,
        filters: Filters { group, stars },
        question: question.clone(),
    })
}

/// The last day before the 2025 reform: a former unit is looked up as it stood then.
fn reform_eve() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 6, 30).expect("a real day")
}

pub async fn area_name(state: &AppState, area: &Area, lang: Lang) -> Result<String, AppError> {
    Ok(match area {
        Area::Nation => lang.t("monitoring-nation"),
        Area::Province(code) | Area::Commune(code) => units::find_by_code(&state.db, code, None)
            .await?
            .map(|u| u.name)
            .unwrap_or_else(|| code.clone()),
        Area::FormerProvince(code) | Area::FormerDistrict(code) => {
            let name = units::find_by_code(&state.db, code, Some(reform_eve()))
                .await?
                .map(|u| u.name)
                .unwrap_or_else(|| code.clone());
            format!("{name} ({})", lang.t("monitoring-before-reform"))
        }
    })
}

/// One value of a table: shown formatted, downloaded as its number.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Count(i64),
    /// Whole đồng.
    #[schema(value_type = i64)]
    Money(Money),
    /// Basis points (4000 = 40 %), or nothing to divide by.
    #[schema(value_type = Option<u32>)]
    Share(Share),
}

/// Whole đồng (a distinct type so that tables format it as money).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Money(pub i64);

/// Basis points, or nothing to divide by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Share(pub Option<u32>);

impl Value {
    pub fn text(text: impl Into<String>) -> Value {
        Value::Text(text.into())
    }

    pub fn count(n: impl TryInto<i64>) -> Value {
        Value::Count(n.try_into().unwrap_or(i64::MAX))
    }

    pub fn money(amount: i64) -> Value {
        Value::Money(Money(amount))
    }

    pub fn share(points: Option<u32>) -> Value {
        Value::Share(Share(points))
    }

    /// As shown on a page: `3.321`, `75.000.000 ₫`, `40 %`.
    pub fn html(&self) -> String {
        match self {
            Value::Text(text) => text.clone(),
            Value::Count(n) => format::number(*n),
            Value::Money(Money(amount)) => format::vnd(*amount),
            Value::Share(Share(Some(points))) => percent_text(*points),
            Value::Share(Share(None)) => "–".into(),
        }
    }

    /// As written to CSV: plain numbers, shares in percent with a point.
    pub fn csv(&self) -> String {
        match self {
            Value::Text(text) => text.clone(),
            Value::Count(n) | Value::Money(Money(n)) => n.to_string(),
            Value::Share(Share(Some(points))) => format!("{:.2}", f64::from(*points) / 100.0),
            Value::Share(Share(None)) => String::new(),
        }
    }

    pub fn cell(&self) -> Cell {
        match self {
            Value::Text(text) => Cell::Text(text.clone()),
            Value::Count(n) | Value::Money(Money(n)) => Cell::Number(*n),
            Value::Share(Share(Some(points))) => Cell::Text(percent_text(*points)),
            Value::Share(Share(None)) => Cell::Empty,
        }
    }

    pub fn is_number(&self) -> bool {
        !matches!(self, Value::Text(_))
    }
}

/// A table of figures with the chart drawn from them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Table {
    /// Stable key: `by_year`, `by_group`, `by_entity_type`, `targets`, `units`, `pipeline`,
    /// `expiring`, `support`.
    pub key: &'static str,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// What the figures rest on (the plans a target comes from), shown under the title.
    pub note: Option<String>,
    /// The chart (SVG) of the same figures.
    #[serde(skip)]
    pub chart: String,
}

impl Table {
    pub fn csv(&self) -> String {
        crate::shared::download::csv_text(
            &self.headers,
            self.rows.iter().map(|row| row.iter().map(Value::csv)),
        )
    }

    pub fn sheet(&self, name: &str) -> ocop_render::sheet::Sheet {
        ocop_render::sheet::Sheet {
            name: name.chars().take(31).collect(),
            title: Some(self.title.clone()),
            headers: self.headers.clone(),
            rows: self
                .rows
                .iter()
                .map(|row| row.iter().map(Value::cell).collect())
                .collect(),
        }
    }
}

// What templates call to show figures (askama passes arguments by reference).

/// `75.000.000 ₫`
pub fn vnd(amount: &i64) -> String {
    format::vnd(*amount)
}

/// `01/07/2025`
pub fn date(day: &chrono::NaiveDate) -> String {
    format::date(*day)
}

/// `3.321`
pub fn count<T: Copy + TryInto<i64>>(n: &T) -> String {
    format::number((*n).try_into().unwrap_or(i64::MAX))
}
