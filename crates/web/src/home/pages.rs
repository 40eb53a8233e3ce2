//! The home page: figures of the units before and after the reform, and communes per province.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use ocop_render::chart::{Bar, horizontal_bars};
use ocop_store::units;

use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{PageError, page_error};
use crate::shared::format;
use crate::shared::page::{Chrome, render, unit_href};

pub struct Figure {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    chrome: Chrome,
    figures: Vec<Figure>,
    chart: String,
}

pub async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let counts = units::counts(&state.db).await.map_err(page_error(lang))?;
    let per_province = units::communes_per_province(&state.db)
        .await
        .map_err(page_error(lang))?;
    let figure = |value: i64, key: &str| Figure {
        value: format::number(value),
        label: lang.t(key),
    };
    let figures = vec![
        figure(counts.provinces, "fig-provinces"),
        figure(counts.communes, "fig-communes"),
        figure(counts.legacy_provinces, "fig-legacy-provinces"),
        figure(counts.legacy_districts, "fig-legacy-districts"),
        figure(counts.legacy_communes, "fig-legacy-communes"),
        figure(counts.successions, "fig-successions"),
    ];
    let mut bars: Vec<Bar> = per_province
        .iter()
        .map(|(province, communes)| Bar {
            label: province.name.clone(),
            value: *communes,
            href: Some(unit_href(province)),
        })
        .collect();
    bars.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
    let chart = horizontal_bars(
        &lang.t("chart-communes-per-province"),
        &bars,
        format::number,
    );
    render(
        &HomePage {
            chrome: Chrome::new(&viewer, "home"),
            figures,
            chart,
        },
        lang,
    )
}
