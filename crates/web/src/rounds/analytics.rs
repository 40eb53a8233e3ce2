//! Rater analytics of a round (`ocop_domain::rounds::analytics` computes; this assembles the
//! ratings from the engine's results and lays them out): spread per criterion and product,
//! members' leniency with outliers, Krippendorff's α, and each province's scores beside the
//! ministry's for the same products.
//!
//! A member who scores in the round sees analytics only once it is closed: before, they would
//! show other members' totals (blindness).

use std::collections::BTreeMap;

use serde::Serialize;

use ocop_domain::rounds::RoundState;
use ocop_domain::rounds::analytics::{self as stats, Rating};
use ocop_store::accounts::User;
use ocop_store::rounds as store;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use ocop_render::chart::{Bar, diverging_bars, horizontal_bars};

use super::Loaded;
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{AppError, PageError};
use crate::shared::page::{Chrome, render};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberRow {
    pub member_id: String,
    pub name: String,
    pub products: usize,
    pub mean_total: f64,
    /// Mean of (their total − the council's score) over the products they scored.
    pub leniency: f64,
    pub modified_z: Option<f64>,
    /// |modified z| > 3.5
    pub outlier: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SpreadRow {
    pub product_code: String,
    pub criterion: String,
    pub lowest: u32,
    pub highest: u32,
    pub spread: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductRow {
    pub round_product_id: String,
    pub product_code: String,
    pub product_name: String,
    pub cards: usize,
    /// The council's score on the current pass.
    pub council_score: f64,
    /// Highest minus lowest total.
    pub spread: u32,
    /// In a province's round: the ministry's score of the same product; in the ministry's: the
    /// province's.
    pub other_level_score: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProvinceRow {
    pub province_code: String,
    pub products: usize,
    /// Mean of (province's score − ministry's score): above 0, the province scores higher.
    pub leniency_index: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoundAnalytics {
    pub round_id: String,
    /// Krippendorff's α (interval metric) on members' totals; `null` when undefined.
    pub alpha: Option<f64>,
    pub members: Vec<MemberRow>,
    pub products: Vec<ProductRow>,
    pub spreads: Vec<SpreadRow>,
    /// Every province whose products went to the ministry, over all rounds.
    pub provinces: Vec<ProvinceRow>,
    pub method: &'static str,
}

pub const METHOD: &str = "Leniency: mean of (member's total − council's score). Outliers: modified z-score \
    0.6745·(x − median)/MAD, |M| > 3.5 (Iglewicz–Hoaglin). Agreement: Krippendorff's α, interval metric, \
    on members' totals. Province index: mean of (province's score − ministry's score). See docs/rounds.md.";

/// The round's analytics for `user` (refused to a scoring member before the round closes).
pub async fn of(
    state: &AppState,
    loaded: &Loaded,
    user: &User,
) -> Result<RoundAnalytics, AppError> {
    let scoring_member = loaded.seat_of(&user.id).is_some_and(|seat| seat.scores());
    if scoring_member && loaded.round.state != RoundState::Closed {
        return Err(AppError::Forbidden {
            code: "blind",
            message: "members see the round's analytics once it is closed".into(),
        });
    }
    let mut ratings = Vec::new();
    let mut council = BTreeMap::new();
    let mut products = Vec::new();
    let mut code_of = BTreeMap::new();
    for product in &loaded.products {
        code_of.insert(product.id.clone(), product.product_code.clone());
        let Some((_, set)) = Loaded::sheet_of(state, product) else {
            continue;
        };
        let Some(result) = loaded.standing(state, product).and_then(|s| s.result) else {
            continue;
        };
        if result.members.is_empty() {
            continue;
        }
        let score = result.mean.centi() as f64 / 100.0;
        council.insert(product.id.clone(), score);
        for member in &result.members {
            let points = set
                .sheet
                .criteria()
                .enumerate()
                .map(|(position, (_, criterion))| {
                    (criterion.code.clone(), member.points_at(position))
                })
                .collect();
            ratings.push(Rating {
                product: product.id.clone(),
                member: member.member.clone(),
                total: f64::from(member.total),
                points,
            });
        }
        products.push(ProductRow {
            round_product_id: product.id.clone(),
            product_code: product.product_code.clone(),
            product_name: product.product_name.clone(),
            cards: result.members.len(),
            council_score: score,
            spread: result.spread,
            other_level_score: None,
        });
    }
    let linked = store::province_and_central_scores(&state.db).await?;
    for row in &mut products {
        row.other_level_score = linked
            .iter()
            .find_map(|(_, province_id, p, central_id, c)| {
                if *province_id == row.round_product_id {
                    Some(*c as f64 / 100.0)
                } else if *central_id == row.round_product_id {
                    Some(*p as f64 / 100.0)
                } else {
                    None
                }
            });
    }
    let mut by_province: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for (province, _, p, _, c) in &linked {
        by_province
            .entry(province.as_str())
            .or_default()
            .push((*p as f64 / 100.0, *c as f64 / 100.0));
    }
    let provinces = by_province
        .into_iter()
        .filter_map(|(code, pairs)| {
            Some(ProvinceRow {
                province_code: code.to_string(),
                products: pairs.len(),
                leniency_index: stats::province_gap(&pairs)?,
            })
        })
        .collect();
    let members = stats::leniency(&ratings, &council)
        .into_iter()
        .map(|row| MemberRow {
            name: loaded.member_name(&row.member),
            member_id: row.member,
            products: row.products,
            mean_total: row.mean_total,
            leniency: row.leniency,
            modified_z: row.modified_z,
            outlier: row.outlier,
        })
        .collect();
    let spreads = stats::criterion_spreads(&ratings)
        .into_iter()
        .map(|row| SpreadRow {
            product_code: code_of.get(&row.product).cloned().unwrap_or(row.product),
            criterion: row.criterion,
            lowest: row.lowest,
            highest: row.highest,
            spread: row.spread,
        })
        .collect();
    Ok(RoundAnalytics {
        round_id: loaded.round.id.clone(),
        alpha: stats::krippendorff_alpha_interval(&stats::units_of(&ratings)),
        members,
        products,
        spreads,
        provinces,
        method: METHOD,
    })
}

/// One of the analytics' tables as CSV (`members`, `products`, `spreads`, `provinces`), with a
/// header row; numbers with a decimal point. `None`: no such table.
pub fn csv(analytics: &RoundAnalytics, table: &str) -> Option<String> {
    let float = |value: f64| format!("{value:.2}");
    let option = |value: Option<f64>| value.map(float).unwrap_or_default();
    let (header, rows): (&[&str], Vec<Vec<String>>) = match table {
        "members" => (
            &[
                "member_id",
                "name",
                "products",
                "mean_total",
                "leniency",
                "modified_z",
                "outlier",
            ],
            analytics
                .members
                .iter()
                .map(|row| {
                    vec![
                        row.member_id.clone(),
                        row.name.clone(),
                        row.products.to_string(),
                        float(row.mean_total),
                        float(row.leniency),
                        option(row.modified_z),
                        row.outlier.to_string(),
                    ]
                })
                .collect(),
        ),
        "products" => (
            &[
                "product_code",
                "product_name",
                "cards",
                "council_score",
                "spread",
                "other_level_score",
            ],
            analytics
                .products
                .iter()
                .map(|row| {
                    vec![
                        row.product_code.clone(),
                        row.product_name.clone(),
                        row.cards.to_string(),
                        float(row.council_score),
                        row.spread.to_string(),
                        option(row.other_level_score),
                    ]
                })
                .collect(),
        ),
        "spreads" => (
            &["product_code", "criterion", "lowest", "highest", "spread"],
            analytics
                .spreads
                .iter()
                .map(|row| {
                    vec![
                        row.product_code.clone(),
                        row.criterion.clone(),
                        row.lowest.to_string(),
                        row.highest.to_string(),
                        row.spread.to_string(),
                    ]
                })
                .collect(),
        ),
        "provinces" => (
            &["province_code", "products", "leniency_index"],
            analytics
                .provinces
                .iter()
                .map(|row| {
                    vec![
                        row.province_code.clone(),
                        row.products.to_string(),
                        float(row.leniency_index),
                    ]
                })
                .collect(),
        ),
        _ => return None,
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(header).ok()?;
    for row in rows {
        writer.write_record(&row).ok()?;
    }
    String::from_utf8(writer.into_inner().ok()?).ok()
}

// The analytics page and its CSV download.

#[derive(Template)]
#[template(path = "rounds/analytics.html")]
struct AnalyticsPage {
    chrome: Chrome,
    id: String,
    name: String,
    alpha: String,
    members: Vec<MemberRow>,
    products: Vec<ProductRow>,
    spreads: Vec<SpreadRow>,
    provinces: Vec<ProvinceRow>,
    leniency_chart: String,
    spread_chart: String,
    method: &'static str,
}

fn decimal(value: f64) -> String {
    let text = format!("{value:.2}");
    text.replace('.', ",")
}

/// `GET /rounds/{id}/analytics`: tables with charts beside them.
pub async fn analytics_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let loaded = Loaded::load(&state, &session.user, &id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let data = of(&state, &loaded, &session.user)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let leniency_bars: Vec<Bar> = data
        .members
        .iter()
        .map(|m| Bar {
            label: m.name.clone(),
            value: (m.leniency * 100.0).round() as i64,
            href: None,
        })
        .collect();
    let spread_bars: Vec<Bar> = data
        .products
        .iter()
        .map(|p| Bar {
            label: p.product_code.clone(),
            value: i64::from(p.spread),
            href: None,
        })
        .collect();
    let mut spreads = data.spreads;
    spreads.retain(|s| s.spread > 0);
    spreads.sort_by(|a, b| {
        b.spread
            .cmp(&a.spread)
            .then(a.product_code.cmp(&b.product_code))
    });
    render(
        &AnalyticsPage {
            chrome: Chrome::new(&viewer, "rounds"),
            id: loaded.round.id.clone(),
            name: loaded.round.name.clone(),
            alpha: data
                .alpha
                .map_or_else(|| "—".into(), |a| format!("{a:.3}").replace('.', ",")),
            leniency_chart: diverging_bars(&lang.t("rounds-leniency-chart"), &leniency_bars, |v| {
                decimal(v as f64 / 100.0)
            }),
            spread_chart: horizontal_bars(&lang.t("rounds-spread-chart"), &spread_bars, |v| {
                v.to_string()
            }),
            members: data.members,
            products: data.products,
            spreads: spreads.into_iter().take(30).collect(),
            provinces: data.provinces,
            method: METHOD,
        },
        lang,
    )
}

#[derive(Deserialize)]
pub struct TableQuery {
    table: Option<String>,
}

/// `GET /rounds/{id}/analytics.csv?table=members|products|spreads|provinces`
pub async fn analytics_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<TableQuery>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let loaded = Loaded::load(&state, &session.user, &id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let data = of(&state, &loaded, &session.user)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let table = query.table.unwrap_or_else(|| "members".into());
    let body = csv(&data, &table).ok_or_else(|| {
        PageError::new(
            AppError::bad_request(
                "invalid_table",
                "table: members, products, spreads or provinces",
            ),
            lang,
        )
    })?;
    let disposition = format!("attachment; filename=\"round-{id}-{table}.csv\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response())
}
