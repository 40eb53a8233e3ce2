//! The open data register: recognised products, their entities and every certificate with its
//! status today, as CSV, JSON and XLSX under `/opendata/`, with the schema and licence on
//! `/opendata`. The columns are defined once ([`Column`]) and the page documents them.
//!
//! Files are built from the current records and kept per revision of the records (any audited
//! write) and day (statuses change with the date), so they are always current and a
//! thousand downloads cost one build.

use std::collections::HashMap;
use std::sync::Mutex;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use ocop_domain::access::Scope;
use ocop_domain::catalogue::Listing;
use ocop_render::sheet::{Cell, xlsx};
use ocop_store::clock::today;

use super::{catalogue, entity_type_label, product_href};
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{ApiPath, AppError, PageError};
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, render};

/// The licence the register is published under.
pub const LICENCE: &str = "CC-BY-4.0";
pub const LICENCE_URL: &str = "https://creativecommons.org/licenses/by/4.0/";

/// A column: its name in the files, its type and what it holds (message id).
pub struct Column {
    pub name: &'static str,
    pub kind: &'static str,
}

const fn column(name: &'static str, kind: &'static str) -> Column {
    Column { name, kind }
}

/// The datasets and their columns.
pub const DATASETS: [(&str, &[Column]); 3] = [
    (
        "products",
        &[
            column("product_code", "text"),
            column("product_name", "text"),
            column("product_set", "text"),
            column("product_group", "text"),
            column("gtin", "text"),
            column("entity_code", "text"),
            column("entity_name", "text"),
            column("commune_code", "text"),
            column("commune", "text"),
            column("province_code", "text"),
            column("province", "text"),
            column("stars", "integer"),
            column("certificate_number", "text"),
            column("certificate_status", "text"),
            column("issued_on", "date"),
            column("expires_on", "date"),
            column("url", "text"),
        ],
    ),
    (
        "entities",
        &[
            column("entity_code", "text"),
            column("entity_name", "text"),
            column("entity_type", "text"),
            column("women_led", "boolean"),
            column("ethnic_minority_led", "boolean"),
            column("commune_code", "text"),
            column("commune", "text"),
            column("province_code", "text"),
            column("province", "text"),
            column("products", "integer"),
            column("products_in_force", "integer"),
        ],
    ),
    (
        "certificates",
        &[
            column("certificate_number", "text"),
            column("product_code", "text"),
            column("product_name", "text"),
            column("entity_code", "text"),
            column("entity_name", "text"),
            column("province_code", "text"),
            column("stars", "integer"),
            column("criteria_version", "text"),
            column("decision_number", "text"),
            column("authority", "text"),
            column("issued_on", "date"),
            column("expires_on", "date"),
            column("status", "text"),
            column("valid_until", "date"),
            column("superseded_by", "text"),
            column("revoked_on", "date"),
        ],
    ),
];

/// Built files, per (dataset, format), with the revision they were built at.
#[derive(Default)]
pub struct OpenDataCache {
    files: Mutex<HashMap<String, (String, Bytes)>>,
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn optional(value: Option<String>) -> Cell {
    value.map_or(Cell::Empty, Cell::Text)
}

async fn rows(state: &AppState, dataset: &str) -> Result<Vec<Vec<Cell>>, AppError> {
    let procedure = state.procedure_in_force();
    let today = today();
    let base = &state.signing.base_url;
    match dataset {
        "products" => {
            let index = catalogue(state).await?;
            let mut listings: Vec<&Listing> = index.listings().collect();
            listings.sort_by(|a, b| a.product_code.cmp(&b.product_code));
            Ok(listings
                .into_iter()
                .map(|l| {
                    vec![
                        text(&l.product_code),
                        text(&l.product_name),
                        text(&*l.product_set),
                        text(&*l.group),
                        optional(l.gtin.clone()),
                        text(&l.entity_code),
                        text(&l.entity_name),
                        text(&*l.commune_code),
                        text(&*l.commune_name),
                        text(&*l.province_code),
                        text(&*l.province_name),
                        Cell::Number(i64::from(l.stars)),
                        text(&l.certificate_number),
                        text(l.status(&procedure, today).code()),
                        Cell::Date(l.timeline.issued_on),
                        Cell::Date(l.timeline.expires_on),
                        text(format!("{base}{}", product_href(&l.product_code))),
                    ]
                })
                .collect())
        }
        "entities" => {
            let index = catalogue(state).await?;
            let mut entities: std::collections::BTreeMap<&str, (&Listing, i64, i64)> =
                Default::default();
            for listing in index.listings() {
                let entry = entities
                    .entry(&listing.entity_code)
                    .or_insert((listing, 0, 0));
                entry.1 += 1;
                if listing.status(&procedure, today).is_valid() {
                    entry.2 += 1;
                }
            }
            Ok(entities
                .into_values()
                .map(|(l, products, in_force)| {
                    vec![
                        text(&l.entity_code),
                        text(&l.entity_name),
                        text(l.entity_type.as_str()),
                        text(l.women_led.to_string()),
                        text(l.ethnic_minority_led.to_string()),
                        text(&*l.commune_code),
                        text(&*l.commune_name),
                        text(&*l.province_code),
                        text(&*l.province_name),
                        Cell::Number(products),
                        Cell::Number(in_force),
                    ]
                })
                .collect())
        }
        _ => {
            let certificates =
                ocop_store::certificates::list(&state.read_db, &Scope::National, "").await?;
            Ok(certificates
                .into_iter()
                .rev()
                .map(|c| {
                    let status = c.status(&procedure, today);
                    let until = match status {
                        ocop_domain::certificates::Status::PendingReevaluation { until } => {
                            Cell::Date(until)
                        }
                        _ => Cell::Empty,
                    };
                    vec![
                        text(&c.number),
                        text(&c.product_code),
                        text(&c.product_name),
                        text(&c.entity_code),
                        text(&c.entity_name),
                        text(&c.province_code),
                        Cell::Number(i64::from(c.stars)),
                        text(&c.criteria_version),
                        text(&c.decision_number),
                        text(c.authority.as_str()),
                        Cell::Date(c.timeline.issued_on),
                        Cell::Date(c.timeline.expires_on),
                        text(status.code()),
                        until,
                        optional(c.superseded_by.clone()),
                        c.timeline.revoked_on.map_or(Cell::Empty, Cell::Date),
                    ]
                })
                .collect())
        }
    }
}

fn csv_bytes(columns: &[Column], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let internal = |_| AppError::Internal;
    writer
        .write_record(columns.iter().map(|c| c.name))
        .map_err(internal)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| match cell {
                Cell::Text(t) => t.clone(),
                Cell::Number(n) => n.to_string(),
                Cell::Date(d) => d.to_string(),
                Cell::Empty => String::new(),
            }))
            .map_err(internal)?;
    }
    writer.into_inner().map_err(|_| AppError::Internal)
}

fn json_bytes(dataset: &str, columns: &[Column], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    let records: Vec<serde_json::Map<String, serde_json::Value>> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .zip(row)
                .map(|(column, cell)| {
                    let value = match (cell, column.kind) {
                        (Cell::Text(t), "boolean") => serde_json::Value::Bool(t == "true"),
                        (Cell::Text(t), _) => serde_json::Value::String(t.clone()),
                        (Cell::Number(n), _) => serde_json::Value::from(*n),
                        (Cell::Date(d), _) => serde_json::Value::String(d.to_string()),
                        (Cell::Empty, _) => serde_json::Value::Null,
                    };
                    (column.name.to_string(), value)
                })
                .collect()
        })
        .collect();
    let document = serde_json::json!({
        "dataset": dataset,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "as_of": today().to_string(),
        "count": records.len(),
        "records": records,
    });
    serde_json::to_vec(&document).map_err(|_| AppError::Internal)
}

/// `GET /opendata/{file}`: `products.csv`, `entities.json`, `certificates.xlsx`, …
pub async fn file(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound {
        code: "dataset_not_found",
        what: "dataset",
        key: file.clone(),
    };
    let (dataset, format) = file.rsplit_once('.').ok_or_else(not_found)?;
    let (name, columns) = DATASETS
        .iter()
        .find(|(name, _)| *name == dataset)
        .ok_or_else(not_found)?;
    let content_type = match format {
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => return Err(not_found()),
    };
    let revision = format!(
        "{}:{}",
        state.read_revisions.current(&state.read_db).await?.key(),
        today()
    );
    let cached = state.open_data.files.lock().ok().and_then(|files| {
        files
            .get(&file)
            .filter(|(r, _)| *r == revision)
            .map(|(_, b)| b.clone())
    });
    let bytes = match cached {
        Some(bytes) => bytes,
        None => {
            let rows = rows(&state, name).await?;
            let bytes = Bytes::from(match format {
                "csv" => csv_bytes(columns, &rows)?,
                "json" => json_bytes(name, columns, &rows)?,
                _ => {
                    let headers: Vec<&str> = columns.iter().map(|c| c.name).collect();
                    xlsx(name, &headers, &rows).map_err(|_| AppError::Internal)?
                }
            });
            if let Ok(mut files) = state.open_data.files.lock() {
                files.insert(file.clone(), (revision, bytes.clone()));
            }
            bytes
        }
    };
    let disposition = format!("attachment; filename=\"ocop-{file}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// A dataset on the page: its file name, title and columns (name, type, meaning).
type DatasetView = (String, String, Vec<(String, &'static str, String)>);

#[derive(Template)]
#[template(path = "portal/opendata.html")]
struct OpenDataPage {
    chrome: Chrome,
    datasets: Vec<DatasetView>,
    entity_types: Vec<(String, String)>,
    licence_url: &'static str,
}

/// `GET /opendata`: what the files hold, column by column, and the licence.
pub async fn index(viewer: Viewer) -> Result<Html<String>, PageError> {
    let lang: Lang = viewer.lang;
    let datasets = DATASETS
        .iter()
        .map(|(name, columns)| {
            (
                name.to_string(),
                lang.t(&format!("opendata-{name}")),
                columns
                    .iter()
                    .map(|c| {
                        (
                            c.name.to_string(),
                            c.kind,
                            lang.t(&format!("opendata-column-{}", c.name.replace('_', "-"))),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    render(
        &OpenDataPage {
            chrome: Chrome::new(&viewer, "opendata"),
            datasets,
            entity_types: entity_types(lang),
            licence_url: LICENCE_URL,
        },
        lang,
    )
}

/// The values of `entity_type` and their names.
fn entity_types(lang: Lang) -> Vec<(String, String)> {
    ocop_domain::criteria::EntityType::ALL
        .into_iter()
        .map(|t| (t.as_str().to_string(), entity_type_label(t, lang)))
        .collect()
}
