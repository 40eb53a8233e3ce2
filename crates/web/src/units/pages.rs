//! Unit pages: the provinces in force (or search results), and a unit's page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use chrono::NaiveDate;
use fluent_templates::fluent_bundle::FluentValue;
use serde::Deserialize;

use ocop_render::chart::{Bar, horizontal_bars};
use ocop_store::units::{self, Unit};

use super::parse_on;
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, render, unit_href};

/// A unit as pages show it, labels in the reader's language.
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub href: String,
    pub current: bool,
    pub valid_from: String,
    pub valid_to: String,
    /// "… – 30/06/2025" for former units.
    pub period: String,
    pub parent_name: Option<String>,
}

impl UnitView {
    fn new(unit: &Unit, lang: Lang) -> UnitView {
        let day = |date: Option<NaiveDate>| {
            date.map(format::date)
                .unwrap_or_else(|| lang.t("unit-unknown"))
        };
        UnitView {
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: match lang {
                Lang::Vi => unit.kind.label_vi(),
                Lang::En => unit.kind.label_en(),
            },
            href: unit_href(unit),
            current: unit.is_current(),
            valid_from: day(unit.valid_from),
            valid_to: day(unit.valid_to),
            period: format!(
                "{} – {}",
                unit.valid_from
                    .map(format::date)
                    .unwrap_or_else(|| "…".into()),
                day(unit.valid_to)
            ),
            parent_name: None,
        }
    }
}

#[derive(Template)]
#[template(path = "units/units.html")]
struct UnitsPage {
    chrome: Chrome,
    query: String,
    results_heading: Option<String>,
    results: Vec<UnitView>,
    provinces: Vec<(UnitView, String)>,
    /// The units before and after the reform, in figures, and communes per province as a chart.
    figures: Vec<(String, String)>,
    chart: String,
}

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
}

pub async fn units_index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<SearchParams>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let query = params.q.unwrap_or_default().trim().to_string();
    let mut page = UnitsPage {
        chrome: Chrome::new(&viewer, "units"),
        query: query.clone(),
        results_heading: None,
        results: Vec::new(),
        provinces: Vec::new(),
        figures: Vec::new(),
        chart: String::new(),
    };
    if query.is_empty() {
        let per_province = units::communes_per_province(&state.db)
            .await
            .map_err(page_error(lang))?;
        page.provinces = per_province
            .iter()
            .map(|(province, communes)| (UnitView::new(province, lang), format::number(*communes)))
            .collect();
        let counts = units::counts(&state.db).await.map_err(page_error(lang))?;
        page.figures = [
            (counts.provinces, "fig-provinces"),
            (counts.communes, "fig-communes"),
            (counts.legacy_provinces, "fig-legacy-provinces"),
            (counts.legacy_districts, "fig-legacy-districts"),
            (counts.legacy_communes, "fig-legacy-communes"),
            (counts.successions, "fig-successions"),
        ]
        .into_iter()
        .map(|(value, key)| (format::number(value), lang.t(key)))
        .collect();
        let mut bars: Vec<Bar> = per_province
            .iter()
            .map(|(province, communes)| Bar {
                label: province.name.clone(),
                value: *communes,
                href: Some(unit_href(province)),
            })
            .collect();
        bars.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
        page.chart = horizontal_bars(
            &lang.t("chart-communes-per-province"),
            &bars,
            format::number,
        );
    } else {
        let found = state
            .unit_search
            .search(&state.db, &query, None, 100)
            .await
            .map_err(page_error(lang))?;
        page.results_heading = Some(lang.t_with(
            "search-results",
            &[
                ("query", FluentValue::from(query.clone())),
                ("count", FluentValue::from(found.len())),
            ],
        ));
        page.results = found.iter().map(|unit| UnitView::new(unit, lang)).collect();
    }
    render(&page, lang)
}

#[derive(Template)]
#[template(path = "units/unit.html")]
struct UnitPage {
    chrome: Chrome,
    unit: UnitView,
    decree: Option<String>,
    parent: Option<UnitView>,
    predecessors: Vec<UnitView>,
    successors: Vec<UnitView>,
    communes: Vec<(UnitView, Vec<UnitView>)>,
    children: Vec<UnitView>,
}

#[derive(Deserialize)]
pub struct OnParams {
    on: Option<String>,
}

pub async fn unit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(params): Query<OnParams>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let on = parse_on(params.on.as_deref()).map_err(page_error(lang))?;
    let db = &state.db;
    let unit = units::find_by_code(db, &code, on)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| PageError {
            error: AppError::NotFound {
                code: "unit_not_found",
                what: "unit",
                key: code.clone(),
            },
            lang,
        })?;
    let view = |unit: &Unit| UnitView::new(unit, lang);
    let parent = match unit.parent_id {
        Some(id) => units::find_by_id(db, id).await.map_err(page_error(lang))?,
        None => None,
    };
    let mut predecessors = Vec::new();
    for old in units::predecessors(db, unit.id)
        .await
        .map_err(page_error(lang))?
    {
        let mut old_view = view(&old);
        if let Some(parent_id) = old.parent_id {
            old_view.parent_name = units::find_by_id(db, parent_id)
                .await
                .map_err(page_error(lang))?
                .map(|district| district.name);
        }
        predecessors.push(old_view);
    }
    let successors = units::successors(db, unit.id)
        .await
        .map_err(page_error(lang))?;
    // A province in force lists its communes with what they absorbed; other units list children.
    let (communes, children) = if unit.is_current() && unit.parent_id.is_none() {
        let communes = units::communes_with_predecessors(db, unit.id)
            .await
            .map_err(page_error(lang))?
            .iter()
            .map(|row| {
                (
                    view(&row.commune),
                    row.predecessors.iter().map(view).collect(),
                )
            })
            .collect();
        (communes, Vec::new())
    } else {
        let children = units::children(db, unit.id)
            .await
            .map_err(page_error(lang))?;
        (Vec::new(), children.iter().map(view).collect())
    };
    render(
        &UnitPage {
            chrome: Chrome::new(&viewer, "units"),
            decree: unit.decree.clone(),
            unit: view(&unit),
            parent: parent.as_ref().map(view),
            predecessors,
            successors: successors.iter().map(view).collect(),
            communes,
            children,
        },
        lang,
    )
}
