//! The periodic report on OCOP results, in the layout officials send upwards: one sheet per
//! table — products by star and group, entities by type, targets and progress, support paid,
//! and the list of recognised products — as an XLSX workbook, and the same tables on a
//! printable page. Its tables are the dashboard's, so their totals are the dashboard's.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, Response};

use ocop_domain::criteria::EntityType;
use ocop_domain::monitoring::facts::{Area, Recognition};
use ocop_render::sheet::{Cell, Sheet};
use ocop_store::accounts::User;

use super::dashboard::{self, Dashboard};
use super::{Asked, Question, Table, Value, ask, may_read};
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{ApiQuery, AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, render};

/// The report: the dashboard's tables it carries, the entities by type, and the product list.
pub struct Report {
    pub dashboard: Dashboard,
    pub tables: Vec<Table>,
    /// One row per product holding a certificate at the period's end (or today).
    pub products: Vec<Vec<Cell>>,
    pub product_headers: Vec<String>,
}

pub async fn build(
    state: &AppState,
    user: &User,
    asked: &Asked,
    lang: Lang,
) -> Result<Report, AppError> {
    let dashboard = dashboard::build(state, user, asked, lang).await?;
    let facts = state
        .monitoring
        .get(&state.db, &state.revisions, &state.criteria)
        .await?;
    let today = ocop_store::clock::today();
    let day = asked.period.last_day().min(today);
    let pick = |key: &str| dashboard.tables.iter().find(|t| t.key == key).cloned();
    let mut tables: Vec<Table> = ["by_group", "by_entity_type"]
        .iter()
        .filter_map(|k| pick(k))
        .collect();

    // Entities by type: the OCOP entities of the period, women-led and ethnic-minority-led.
    let entities = facts.ocop_entities(&asked.area, asked.period);
    let mut by_type: BTreeMap<EntityType, [u64; 3]> = BTreeMap::new();
    for e in &entities {
        let row = by_type.entry(e.entity_type).or_default();
        row[0] += 1;
        row[1] += u64::from(e.women_led);
        row[2] += u64::from(e.ethnic_minority_led);
    }
    let mut rows: Vec<Vec<Value>> = by_type
        .iter()
        .map(|(kind, n)| {
            vec![
                Value::text(lang.t(&format!("entity-kind-{}", kind.as_str()))),
                Value::count(n[0]),
                Value::count(n[1]),
                Value::count(n[2]),
            ]
        })
        .collect();
    let totals = by_type
        .values()
        .fold([0u64; 3], |a, n| [a[0] + n[0], a[1] + n[1], a[2] + n[2]]);
    rows.push(vec![
        Value::text(lang.t("monitoring-total")),
        Value::count(totals[0]),
        Value::count(totals[1]),
        Value::count(totals[2]),
    ]);
    tables.push(Table {
        key: "entities",
        title: lang.t_with(
            "report-entities",
            &[("period", asked.period.to_string().into())],
        ),
        headers: vec![
            lang.t("entity-kind"),
            lang.t("monitoring-ocop-entities"),
            lang.t("indicator-women-led-share"),
            lang.t("indicator-ethnic-minority-led-share"),
        ],
        rows,
        note: None,
        chart: String::new(),
    });
    tables.extend(["targets", "support"].iter().filter_map(|k| pick(k)));

    // The products counted in "by group": each product's latest recognition on `day`, in force.
    let mut kept: Vec<&Recognition> = facts
        .latest_on(&asked.area, day)
        .filter(|r| r.in_force_on(day))
        .filter(|r| {
            asked
                .filters
                .group
                .as_deref()
                .is_none_or(|g| *r.group == *g)
        })
        .filter(|r| asked.filters.stars.is_none_or(|s| r.stars == s))
        .collect();
    kept.sort_by(|a, b| {
        (&a.place.province, &a.place.commune, &a.product_id).cmp(&(
            &b.place.province,
            &b.place.commune,
            &b.product_id,
        ))
    });
    let index = state
        .catalogue
        .index(&state.db, &state.revisions, &state.criteria)
        .await?;
    let products = kept
        .iter()
        .map(|r| {
            let listing = index.get(&r.product_id);
            let text = |f: &dyn Fn(&ocop_domain::catalogue::Listing) -> String| {
                listing.map(f).map(Cell::Text).unwrap_or(Cell::Empty)
            };
            vec![
                text(&|l| l.product_code.clone()),
                text(&|l| l.product_name.clone()),
                text(&|l| l.entity_name.clone()),
                text(&|l| lang.t(&format!("entity-kind-{}", l.entity_type.as_str()))),
                text(&|l| l.commune_name.to_string()),
                text(&|l| l.province_name.to_string()),
                Cell::Text(r.group.to_string()),
                Cell::Number(i64::from(r.stars)),
                Cell::Date(r.decided_on),
                Cell::Date(r.expires_on),
            ]
        })
        .collect();
    let product_headers = [
        "product-code",
        "report-product-name",
        "report-entity",
        "entity-kind",
        "monitoring-commune",
        "monitoring-province",
        "monitoring-group",
        "report-stars",
        "report-decided-on",
        "report-expires-on",
    ]
    .iter()
    .map(|k| lang.t(k))
    .collect();
    Ok(Report {
        dashboard,
        tables,
        products,
        product_headers,
    })
}

impl Report {
    /// The workbook: one sheet per table, then the product list.
    pub fn xlsx(&self, lang: Lang, title: &str) -> Result<Vec<u8>, AppError> {
        let names = [
            "1 SP theo nhóm",
            "2 SP theo loại hình",
            "3 Chủ thể",
            "4 Chỉ tiêu",
            "5 Hỗ trợ",
        ];
        let names_en = [
            "1 Products by group",
            "2 Products by type",
            "3 Entities",
            "4 Targets",
            "5 Support",
        ];
        let mut sheets: Vec<Sheet> = self
            .tables
            .iter()
            .enumerate()
            .map(|(i, table)| {
                let name = match lang {
                    Lang::Vi => names.get(i),
                    Lang::En => names_en.get(i),
                }
                .copied()
                .unwrap_or(table.key);
                let mut sheet = table.sheet(name);
                sheet.title = Some(format!("{title} — {}", table.title));
                sheet
            })
            .collect();
        sheets.push(Sheet {
            name: lang.t("report-products-sheet").chars().take(31).collect(),
            title: Some(format!("{title} — {}", lang.t("report-products"))),
            headers: self.product_headers.clone(),
            rows: self.products.clone(),
        });
        ocop_render::sheet::workbook(&sheets).map_err(|error| {
            tracing::error!(%error, "report workbook");
            AppError::Internal
        })
    }
}

fn title_of(asked: &Asked, lang: Lang) -> String {
    lang.t_with(
        "results-report-title",
        &[
            ("unit", asked.area_name.clone().into()),
            ("period", asked.period.to_string().into()),
        ],
    )
}

#[derive(Template)]
#[template(path = "monitoring/report.html")]
struct ReportPage {
    chrome: Chrome,
    title: String,
    report: Report,
    query: String,
    shown: usize,
    today: String,
}

/// The product list's first rows on the page; the workbook has them all.
const PRODUCTS_ON_PAGE: usize = 300;

/// `GET /monitoring/report`: the report as a printable page.
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
    let report = build(&state, &session.user, &asked, lang)
        .await
        .map_err(page_error(lang))?;
    render(
        &ReportPage {
            chrome: Chrome::new(&viewer, "monitoring"),
            title: title_of(&asked, lang),
            shown: report.products.len().min(PRODUCTS_ON_PAGE),
            report,
            query: asked.query(),
            today: format::date(ocop_store::clock::today()),
        },
        lang,
    )
}

/// `GET /monitoring/report.xlsx`: the report as a workbook.
pub async fn xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(question): ApiQuery<Question>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let asked = ask(&state, &session.user, &question, lang)
        .await
        .map_err(page_error(lang))?;
    let report = build(&state, &session.user, &asked, lang)
        .await
        .map_err(page_error(lang))?;
    let bytes = report
        .xlsx(lang, &title_of(&asked, lang))
        .map_err(page_error(lang))?;
    let unit = match &asked.area {
        Area::Nation => "vn".to_string(),
        Area::Province(c) | Area::Commune(c) | Area::FormerProvince(c) => c.clone(),
        Area::FormerDistrict(c) => c.replace(':', "-"),
    };
    let name = format!(
        "bao-cao-ocop-{unit}-{}.xlsx",
        asked.period.to_string().replace('–', "-")
    );
    Ok(crate::shared::download::xlsx(&name, bytes))
}

impl ReportPage {
    fn shown_products(&self) -> &[Vec<Cell>] {
        &self.report.products[..self.shown]
    }

    fn product_count(&self) -> String {
        format::number(self.report.products.len() as i64)
    }

    fn cell(&self, cell: &Cell) -> String {
        match cell {
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => format::number(*n),
            Cell::Date(d) => format::date(*d),
            Cell::Empty => String::new(),
        }
    }
}
