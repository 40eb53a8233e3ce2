//! The dashboards of the central office, a province and a commune, each in its scope: certified
//! products over time and by star, group and entity type; target progress; units ranked; the
//! dossier pipeline; certificates expiring by month; support paid against budget. The page,
//! the API and the CSV/XLSX downloads are made from the same [`Dashboard`].

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use ocop_domain::dossier::DossierState;
use ocop_domain::monitoring::facts::{Area, Facts};
use ocop_domain::monitoring::policies::BudgetSource;
use ocop_domain::monitoring::targets::{
    Actual, Indicator, IndicatorKind, Progress, TargetValue, combine_shares,
};
use ocop_render::chart::{Bar, horizontal_bars, progress_bars, stacked_columns};
use ocop_store::accounts::User;
use ocop_store::monitoring::plans::{self as plan_store, Plan};
use ocop_store::monitoring::policies as policy_store;
use ocop_store::units;

use super::{Asked, Question, Table, Value, ask, may_read};
use crate::AppState;
use crate::shared::auth::{ApiCaller, Viewer};
use crate::shared::error::{ApiQuery, AppError, ErrorDoc, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::{ApiLang, Lang};
use crate::shared::page::{Chrome, render};

/// The headline figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Headline {
    /// Products holding a certificate on the period's last day (or today, if sooner).
    pub products_in_force: u64,
    /// Entities with a certificate in force on some day of the period.
    pub ocop_entities: u64,
    /// Products recognised for the first time in the period.
    pub new_products: u64,
    /// Support and rewards paid in the period's years, whole đồng.
    pub support_paid: i64,
}

/// A dashboard: what was asked, the headline, the tables (each with its chart).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// `nation`, `province`, `commune`, `former_province` or `former_district`.
    pub level: &'static str,
    pub unit: Option<String>,
    pub unit_name: String,
    /// `2024` or `2021–2025`.
    pub period: String,
    pub group: Option<String>,
    pub stars: Option<u8>,
    pub headline: Headline,
    pub tables: Vec<Table>,
    /// Product groups with recognitions, for the filter.
    #[serde(skip)]
    pub groups: Vec<String>,
    /// Units a reader may narrow to: (code, name).
    #[serde(skip)]
    pub units: Vec<(String, String)>,
}

fn star_headers(lang: Lang, first: &str) -> Vec<String> {
    vec![
        first.to_string(),
        "3★".into(),
        "4★".into(),
        "5★".into(),
        lang.t("monitoring-total"),
    ]
}

fn star_row(label: String, stars: [u64; 3]) -> Vec<Value> {
    vec![
        Value::text(label),
        Value::count(stars[0]),
        Value::count(stars[1]),
        Value::count(stars[2]),
        Value::count(stars.iter().sum::<u64>()),
    ]
}

fn star_series() -> Vec<String> {
    vec!["3★".into(), "4★".into(), "5★".into()]
}

fn bars_of(rows: &[Vec<Value>], label: usize, value: usize) -> Vec<Bar> {
    rows.iter()
        .map(|row| Bar {
            label: row[label].html(),
            value: match &row[value] {
                Value::Count(n) => *n,
                Value::Money(m) => m.0,
                _ => 0,
            },
            href: None,
        })
        .collect()
}

/// The targets of an area and period, rolled from every plan that lies on it, with progress:
/// counts add up; shares are weighted by each plan's own base (docs/monitoring.md).
pub fn target_rows(
    facts: &Facts,
    plans: &[Plan],
    asked: &Asked,
    lang: Lang,
) -> Vec<(Indicator, Vec<String>, TargetValue, Actual, Progress)> {
    let rolled = plan_store::rolling_onto(plans, &asked.area, asked.period);
    let mut indicators: BTreeMap<Indicator, Vec<&Plan>> = BTreeMap::new();
    for plan in &rolled {
        for indicator in plan.targets.keys() {
            indicators.entry(*indicator).or_default().push(plan);
        }
    }
    let _ = lang;
    let keys: Vec<Indicator> = indicators.keys().copied().collect();
    let actuals = facts.actuals(&keys, &asked.area, asked.period);
    // Each rolled plan's own figures, for weighting share targets by their bases.
    let own: Vec<(&Plan, Vec<Actual>)> = if rolled.len() > 1 {
        rolled
            .iter()
            .map(|p| (*p, facts.actuals(&keys, &p.area(), asked.period)))
            .collect()
    } else {
        Vec::new()
    };
    indicators
        .into_iter()
        .zip(actuals)
        .enumerate()
        .filter_map(|(position, ((indicator, plans), actual))| {
            let target = match indicator.kind() {
                IndicatorKind::Count => TargetValue::Count(
                    plans
                        .iter()
                        .filter_map(|p| match p.targets.get(&indicator) {
                            Some(TargetValue::Count(n)) => Some(*n),
                            _ => None,
                        })
                        .sum(),
                ),
                IndicatorKind::Share => {
                    let parts: Vec<(u32, u64)> = plans
                        .iter()
                        .filter_map(|p| match p.targets.get(&indicator) {
                            Some(TargetValue::Share(points)) => {
                                let base = own
                                    .iter()
                                    .find(|(plan, _)| plan.id == p.id)
                                    .and_then(|(_, figures)| figures[position].of)
                                    .unwrap_or(0);
                                Some((*points, base))
                            }
                            _ => None,
                        })
                        .collect();
                    TargetValue::Share(combine_shares(&parts)?)
                }
            };
            let references = plans.iter().map(|p| p.reference.clone()).collect();
            Some((
                indicator,
                references,
                target,
                actual,
                Progress::of(actual, target),
            ))
        })
        .collect()
}

/// (code, name, products in force, new products, new-products target, progress %)
type RankedUnit = (String, String, u64, u64, Option<u32>, Option<u64>);

/// Builds the dashboard of a question already checked against the asker's scope.
pub async fn build(
    state: &AppState,
    user: &User,
    asked: &Asked,
    lang: Lang,
) -> Result<Dashboard, AppError> {
    let facts = state
        .monitoring
        .get(&state.db, &state.revisions, &state.criteria)
        .await?;
    let today = ocop_store::clock::today();
    let day = asked.period.last_day().min(today);
    let area = &asked.area;
    let filters = &asked.filters;
    let mut tables = Vec::new();

    // Certified over time.
    let years = facts.by_year(area, asked.period, filters);
    let rows: Vec<Vec<Value>> = years
        .iter()
        .map(|(year, stars)| star_row(year.to_string(), *stars))
        .collect();
    let title = lang.t("monitoring-by-year");
    tables.push(Table {
        note: None,
        key: "by_year",
        chart: stacked_columns(
            "by-year",
            &title,
            &years.iter().map(|(y, _)| y.to_string()).collect::<Vec<_>>(),
            &star_series(),
            &years
                .iter()
                .map(|(_, s)| s.iter().map(|n| *n as i64).collect())
                .collect::<Vec<_>>(),
            format::number,
        ),
        title,
        headers: star_headers(lang, &lang.t("monitoring-year")),
        rows,
    });

    // In force by group and by entity type.
    let groups = facts.in_force_by(area, day, filters, |r| r.group.clone());
    let rows: Vec<Vec<Value>> = groups
        .iter()
        .map(|(group, stars)| {
            let name = if group.is_empty() {
                lang.t("monitoring-unknown")
            } else {
                group.to_string()
            };
            star_row(name, *stars)
        })
        .collect();
    let title = lang.t_with("monitoring-by-group", &[("day", format::date(day).into())]);
    tables.push(Table {
        note: None,
        key: "by_group",
        chart: horizontal_bars(&title, &bars_of(&rows, 0, 4), format::number),
        title,
        headers: star_headers(lang, &lang.t("monitoring-group")),
        rows,
    });
    let types = facts.in_force_by(area, day, filters, |r| r.entity_type);
    let rows: Vec<Vec<Value>> = types
        .iter()
        .map(|(kind, stars)| star_row(lang.t(&format!("entity-kind-{}", kind.as_str())), *stars))
        .collect();
    let title = lang.t_with(
        "monitoring-by-entity-type",
        &[("day", format::date(day).into())],
    );
    tables.push(Table {
        note: None,
        key: "by_entity_type",
        chart: horizontal_bars(&title, &bars_of(&rows, 0, 4), format::number),
        title,
        headers: star_headers(lang, &lang.t("entity-kind")),
        rows,
    });

    // Targets and progress.
    let plans = plan_store::plans(&state.db, &user.scope())
        .await
        .map_err(|e| super::store_error(lang, e, "plan", ""))?;
    let targets = target_rows(&facts, &plans, asked, lang);
    let rows: Vec<Vec<Value>> = targets
        .iter()
        .map(|(indicator, _, target, actual, progress)| {
            vec![
                Value::text(lang.t(&indicator.message_id())),
                Value::text(target.text()),
                Value::text(actual.text()),
                Value::text(progress.text()),
                Value::count(progress.percent.map(|p| p as i64).unwrap_or(0)),
            ]
        })
        .collect();
    let title = lang.t_with(
        "monitoring-targets-title",
        &[("period", asked.period.to_string().into())],
    );
    tables.push(Table {
        note: {
            let mut references: Vec<String> = targets
                .iter()
                .flat_map(|(_, references, _, _, _)| references.iter().cloned())
                .collect();
            references.sort();
            references.dedup();
            (!references.is_empty())
                .then(|| format!("{}: {}", lang.t("monitoring-plan"), references.join("; ")))
        },
        key: "targets",
        chart: progress_bars(
            "targets",
            &title,
            &targets
                .iter()
                .map(|(indicator, _, _, _, progress)| {
                    (lang.t(&indicator.message_id()), progress.percent)
                })
                .collect::<Vec<_>>(),
        ),
        title,
        headers: vec![
            lang.t("monitoring-indicator"),
            lang.t("monitoring-target"),
            lang.t("monitoring-actual"),
            lang.t("monitoring-progress"),
            "%".into(),
        ],
        rows,
    });

    // Units ranked: provinces for the nation, communes for a province.
    let unit_names: Vec<(String, String)> = match area {
        Area::Nation => units::current_provinces(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect(),
        Area::Province(code) => match units::find_by_code(&state.db, code, None).await? {
            Some(province) => units::children(&state.db, province.id)
                .await?
                .into_iter()
                .map(|u| (u.code, u.name))
                .collect(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    };
    if !unit_names.is_empty() {
        let by_province = matches!(area, Area::Nation);
        let counts = facts.per_unit(area, asked.period, day, filters, |p| {
            if by_province {
                p.province.clone()
            } else {
                p.commune.clone()
            }
        });
        let mut ranked: Vec<RankedUnit> = unit_names
            .iter()
            .map(|(code, name)| {
                let (in_force, new) = counts.get(code.as_str()).copied().unwrap_or((0, 0));
                let sub_area = if by_province {
                    Area::Province(code.clone())
                } else {
                    Area::Commune(code.clone())
                };
                let target: Option<u32> = {
                    let rolled = plan_store::rolling_onto(&plans, &sub_area, asked.period);
                    let sum: Option<u32> = rolled
                        .iter()
                        .filter_map(|p| match p.targets.get(&Indicator::NewProducts) {
                            Some(TargetValue::Count(n)) => Some(*n),
                            _ => None,
                        })
                        .reduce(|a, b| a + b);
                    sum
                };
                let progress = target
                    .and_then(|t| Progress::of(Actual::count(new), TargetValue::Count(t)).percent);
                (code.clone(), name.clone(), in_force, new, target, progress)
            })
            .filter(|row| row.2 > 0 || row.3 > 0 || row.4.is_some())
            .collect();
        ranked.sort_by(|a, b| {
            b.5.unwrap_or(0)
                .cmp(&a.5.unwrap_or(0))
                .then(b.2.cmp(&a.2))
                .then(a.1.cmp(&b.1))
        });
        let rows: Vec<Vec<Value>> = ranked
            .iter()
            .enumerate()
            .map(|(rank, (code, name, in_force, new, target, progress))| {
                vec![
                    Value::count(rank as i64 + 1),
                    Value::text(code.clone()),
                    Value::text(name.clone()),
                    Value::count(*in_force),
                    Value::count(*new),
                    target.map(Value::count).unwrap_or(Value::text("–")),
                    progress
                        .map(|p| Value::text(format!("{p} %")))
                        .unwrap_or(Value::text("–")),
                ]
            })
            .collect();
        let title = lang.t(if by_province {
            "monitoring-provinces-ranked"
        } else {
            "monitoring-communes-ranked"
        });
        tables.push(Table {
            note: None,
            key: "units",
            chart: horizontal_bars(
                &title,
                &bars_of(&rows.iter().take(20).cloned().collect::<Vec<_>>(), 2, 3),
                format::number,
            ),
            title,
            headers: vec![
                lang.t("monitoring-rank"),
                lang.t("monitoring-code"),
                lang.t(if by_province {
                    "monitoring-province"
                } else {
                    "monitoring-commune"
                }),
                lang.t("monitoring-in-force"),
                lang.t("monitoring-new"),
                lang.t("indicator-new-products"),
                lang.t("monitoring-progress"),
            ],
            rows,
        });
    }

    // The dossier pipeline.
    let states: Vec<&str> = DossierState::ALL.iter().map(|s| s.as_str()).collect();
    let pipeline = facts.pipeline(area, today, &states);
    let rows: Vec<Vec<Value>> = pipeline
        .iter()
        .filter(|row| row.now > 0 || row.left > 0)
        .map(|row| {
            let days = |d: Option<u64>| d.map(Value::count).unwrap_or(Value::text("–"));
            vec![
                Value::text(lang.t(&format!("dossier-state-{}", row.state))),
                Value::count(row.now),
                days(row.waiting_days),
                Value::count(row.left),
                days(row.stayed_days),
            ]
        })
        .collect();
    let title = lang.t("monitoring-pipeline");
    tables.push(Table {
        note: None,
        key: "pipeline",
        chart: horizontal_bars(&title, &bars_of(&rows, 0, 1), format::number),
        title,
        headers: vec![
            lang.t("monitoring-state"),
            lang.t("monitoring-now"),
            lang.t("monitoring-waiting-days"),
            lang.t("monitoring-left"),
            lang.t("monitoring-stayed-days"),
        ],
        rows,
    });

    // Certificates expiring in the next twelve months.
    let expiring = facts.expiring_by_month(area, today, 12, filters);
    let rows: Vec<Vec<Value>> = expiring
        .iter()
        .map(|((year, month), n)| vec![Value::text(format!("{month:02}/{year}")), Value::count(*n)])
        .collect();
    let title = lang.t("monitoring-expiring");
    tables.push(Table {
        note: None,
        key: "expiring",
        chart: stacked_columns(
            "expiring",
            &title,
            &expiring
                .iter()
                .map(|((y, m), _)| format!("{m:02}/{}", y % 100))
                .collect::<Vec<_>>(),
            &[lang.t("monitoring-certificates")],
            &expiring
                .iter()
                .map(|(_, n)| vec![*n as i64])
                .collect::<Vec<_>>(),
            format::number,
        ),
        title,
        headers: vec![
            lang.t("monitoring-month"),
            lang.t("monitoring-certificates"),
        ],
        rows,
    });

    // Support paid against budget, per year of the period.
    let lines = policy_store::budgets(&state.db, &user.scope(), None)
        .await
        .map_err(|e| super::store_error(lang, e, "budget", ""))?;
    let lines: Vec<_> = lines
        .into_iter()
        .filter(|l| (asked.period.from..=asked.period.to).contains(&l.year))
        .filter(|l| match area {
            Area::Nation => true,
            Area::Province(code) | Area::FormerProvince(code) => l.province_code == *code,
            // Budgets are the province's or a commune's today; a former district has none.
            Area::FormerDistrict(_) => false,
            Area::Commune(code) => l.unit_code == *code,
        })
        .collect();
    let names: HashMap<String, String> = {
        let mut names = HashMap::new();
        for line in &lines {
            if !names.contains_key(&line.unit_code) {
                let name = units::find_by_code(&state.db, &line.unit_code, None)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_else(|| line.unit_code.clone());
                names.insert(line.unit_code.clone(), name);
            }
        }
        names
    };
    let rows: Vec<Vec<Value>> = lines
        .iter()
        .map(|l| {
            let share = (l.amount > 0).then(|| {
                ((l.paid as i128 * 10_000 + l.amount as i128 / 2) / l.amount as i128) as u32
            });
            vec![
                Value::text(l.year.to_string()),
                Value::text(names.get(&l.unit_code).cloned().unwrap_or_default()),
                Value::text(source_label(l.source, lang)),
                Value::money(l.amount),
                Value::money(l.committed),
                Value::money(l.paid),
                Value::share(share),
            ]
        })
        .collect();
    let mut per_year: BTreeMap<i32, [i64; 3]> = (asked.period.from..=asked.period.to)
        .map(|y| (y, [0; 3]))
        .collect();
    for l in &lines {
        let row = per_year.entry(l.year).or_default();
        row[0] += l.paid;
        row[1] += (l.committed - l.paid).max(0);
        row[2] += (l.amount - l.committed).max(0);
    }
    let support_paid: i64 = lines.iter().map(|l| l.paid).sum();
    let title = lang.t("monitoring-support");
    tables.push(Table {
        note: None,
        key: "support",
        chart: stacked_columns(
            "support",
            &title,
            &per_year.keys().map(|y| y.to_string()).collect::<Vec<_>>(),
            &[
                lang.t("monitoring-paid"),
                lang.t("monitoring-committed"),
                lang.t("monitoring-remaining"),
            ],
            &per_year.values().map(|v| v.to_vec()).collect::<Vec<_>>(),
            format::vnd,
        ),
        title,
        headers: vec![
            lang.t("monitoring-year"),
            lang.t("monitoring-unit"),
            lang.t("monitoring-source"),
            lang.t("monitoring-budget"),
            lang.t("monitoring-committed"),
            lang.t("monitoring-paid"),
            lang.t("monitoring-paid-share"),
        ],
        rows,
    });

    let products_in_force = groups.iter().map(|(_, s)| s.iter().sum::<u64>()).sum();
    let new_products = facts
        .actual(Indicator::NewProducts, area, asked.period)
        .count;
    let group_names: Vec<String> = facts.groups().iter().map(|g| g.to_string()).collect();
    let (level, unit) = match area {
        Area::Nation => ("nation", None),
        Area::Province(code) => ("province", Some(code.clone())),
        Area::Commune(code) => ("commune", Some(code.clone())),
        Area::FormerProvince(code) => ("former_province", Some(code.clone())),
        Area::FormerDistrict(code) => ("former_district", Some(code.clone())),
    };
    Ok(Dashboard {
        level,
        unit,
        unit_name: asked.area_name.clone(),
        period: asked.period.to_string(),
        group: asked.filters.group.clone(),
        stars: asked.filters.stars,
        headline: Headline {
            products_in_force,
            ocop_entities: facts.ocop_entities(area, asked.period).len() as u64,
            new_products,
            support_paid,
        },
        tables,
        groups: group_names,
        units: unit_names,
    })
}

pub fn source_label(source: BudgetSource, lang: Lang) -> String {
    lang.t(&format!("budget-source-{}", source.as_str()))
}

/// The budget sources, for the forms that choose one.
pub fn source_choices(lang: Lang) -> Vec<(&'static str, String)> {
    BudgetSource::ALL
        .iter()
        .map(|s| (s.as_str(), source_label(*s, lang)))
        .collect()
}

#[derive(Template)]
#[template(path = "monitoring/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    dashboard: Dashboard,
    query: String,
    question: Question,
}

impl DashboardPage {
    fn star_selected(&self, stars: &u8) -> bool {
        self.dashboard.stars == Some(*stars)
    }
}

/// `GET /monitoring`: the dashboard of the reader's scope.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(question): ApiQuery<Question>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let asked = ask(&state, &session.user, &question, lang)
        .await
        .map_err(page_error(lang))?;
    let dashboard = build(&state, &session.user, &asked, lang)
        .await
        .map_err(page_error(lang))?;
    render(
        &DashboardPage {
            chrome: Chrome::new(&viewer, "monitoring"),
            query: asked.query(),
            question,
            dashboard,
        },
        lang,
    )
}

/// `GET /monitoring/tables/{file}`: one of the dashboard's tables as `<key>.csv` or
/// `<key>.xlsx`, for the same question.
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(file): Path<String>,
    ApiQuery(question): ApiQuery<Question>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let (key, extension) = file.rsplit_once('.').unwrap_or((file.as_str(), ""));
    let not_found = || AppError::NotFound {
        code: "table_not_found",
        what: "table",
        key: file.clone(),
    };
    if !matches!(extension, "csv" | "xlsx") {
        return Err(PageError::new(not_found(), lang));
    }
    let asked = ask(&state, &session.user, &question, lang)
        .await
        .map_err(page_error(lang))?;
    let dashboard = build(&state, &session.user, &asked, lang)
        .await
        .map_err(page_error(lang))?;
    let table = dashboard
        .tables
        .iter()
        .find(|t| t.key == key)
        .ok_or_else(|| PageError::new(not_found(), lang))?;
    let name = format!(
        "ocop-{}-{}.{extension}",
        table.key,
        dashboard.period.replace('–', "-")
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    if extension == "csv" {
        Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            table.csv(),
        )
            .into_response())
    } else {
        let bytes = ocop_render::sheet::workbook(&[table.sheet(table.key)])
            .map_err(|_| PageError::new(AppError::Internal, lang))?;
        Ok(crate::shared::download::xlsx(&name, bytes))
    }
}

/// The dashboard of the caller's scope (or of a unit in it) for a period, product group and star.
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/dashboard",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    params(Question),
    responses(
        (status = 200, description = "The dashboard's headline and tables", body = Dashboard),
        (status = 403, description = "The role does not read the monitoring", body = ErrorDoc),
        (status = 404, description = "No such unit in scope (`unit_not_found`)", body = ErrorDoc),
        (status = 422, description = "A wrong period, star or group", body = ErrorDoc)
    )
)]
pub async fn api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiCaller(user): ApiCaller,
    ApiQuery(question): ApiQuery<Question>,
) -> Result<Json<Dashboard>, AppError> {
    may_read(&user)?;
    let asked = ask(&state, &user, &question, lang).await?;
    Ok(Json(build(&state, &user, &asked, lang).await?))
}
