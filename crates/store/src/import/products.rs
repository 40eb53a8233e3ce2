//! Products by their code (today's, or the legacy code kept beside it), else by name within their
//! entity. A new product gets the next code of its entity's commune, in the year of its legacy
//! code when it has one; its legacy code is kept as it was.

use std::collections::{HashMap, HashSet};

use chrono::Datelike;
use sqlx::Row as _;

use ocop_domain::audit::Changes;
use ocop_domain::import::columns::{Header, Row, data_rows};
use ocop_domain::import::read::Table;
use ocop_domain::import::rows::ProductRow;
use ocop_domain::import::{Outcome, Report, RowReport, rows};
use ocop_domain::registry::product_code;
use ocop_domain::text::fold;

use super::{Context, ImportRun, State, audit_run, duplicate, row_error, writes};
use crate::bulk::{Rows, Value};
use crate::clock::{new_id, now_ms};
use crate::registry::{PRODUCT_COLUMNS, PRODUCT_FIELDS, Product, list_json, product_from_row};
use crate::{StoreError, on_db};

/// A record to write: new (with its code's year and legacy code) when nothing is before it.
struct Write {
    before: Option<Product>,
    after: Product,
    year: i32,
    legacy_code: Option<String>,
}

/// An entity of the province, as products name it.
struct EntityRef {
    id: String,
    commune_code: String,
}

/// The province's products as an import looks them up.
#[derive(Default)]
struct Known {
    by_code: HashMap<String, usize>,
    by_legacy: HashMap<String, usize>,
    by_name: HashMap<(String, String), usize>,
    products: Vec<Product>,
    /// Codes taken, by anyone (the new ones of this run too).
    codes: HashSet<String>,
    /// The last sequence number given per (commune, year).
    last_seq: HashMap<(String, i32), u32>,
}

impl Known {
    fn add(&mut self, product: Product, legacy_code: Option<String>, year: i32) {
        let index = self.products.len();
        if let Some(seq) = product
            .code
            .rsplit('-')
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok())
        {
            let last = self
                .last_seq
                .entry((product.commune_code.clone(), year))
                .or_default();
            *last = (*last).max(seq);
        }
        self.by_code.insert(product.code.clone(), index);
        self.codes.insert(product.code.clone());
        if let Some(legacy) = legacy_code {
            self.by_legacy.insert(legacy, index);
        }
        self.by_name
            .insert((product.entity_id.clone(), fold(&product.name)), index);
        self.products.push(product);
    }

    /// The next free code of a commune and year.
    fn next_code(&mut self, province: &str, commune: &str, year: i32) -> String {
        let last = self
            .last_seq
            .entry((commune.to_string(), year))
            .or_default();
        loop {
            *last += 1;
            let code = product_code(province, commune, *last, year);
            if self.codes.insert(code.clone()) {
                return code;
            }
        }
    }
}

async fn known(context: &Context<'_>) -> Result<Known, StoreError> {
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS}, legacy_code, code_year FROM products WHERE province_code = $1"
    );
    let rows: Vec<(Product, Option<String>, i64)> = on_db!(context.db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(context.province)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((
                    product_from_row(row)?,
                    row.try_get("legacy_code")?,
                    row.try_get("code_year")?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut known = Known::default();
    for (product, legacy, year) in rows {
        known.add(product, legacy, i32::try_from(year).unwrap_or_default());
    }
    Ok(known)
}

async fn entities(
    context: &Context<'_>,
) -> Result<(HashMap<String, EntityRef>, HashMap<String, Vec<String>>), StoreError> {
    let rows: Vec<(String, String, String, String)> = on_db!(context.db, |pool| {
        sqlx::query_as(
        "SELECT id, registration_code, name_folded, commune_code FROM entities WHERE province_code = $1"
    )
    .bind(context.province)
    .fetch_all(pool)
    .await
    })?;
    let mut by_code = HashMap::new();
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    for (id, code, name, commune_code) in rows {
        by_name.entry(name).or_default().push(code.clone());
        by_code.insert(code, EntityRef { id, commune_code });
    }
    Ok((by_code, by_name))
}

/// The existing product with the fields the file has columns for taken from the row.
fn merged(before: &Product, read: &ProductRow, row: &Row<'_>) -> Product {
    let has = |column: &str| row.has_column(column);
    let draft = &read.draft;
    let mut after = before.clone();
    after.name = draft.name.clone();
    after.product_set = draft.product_set.clone();
    if has("description") && !draft.description.is_empty() {
        after.description = draft.description.clone();
    }
    if has("raw_material_area") {
        after.raw_material_area = draft.raw_material_area.clone();
    }
    if has("trademark") {
        after.trademark = draft.trademark.clone();
    }
    if has("gtin") {
        after.gtin = draft.gtin.clone();
    }
    if has("sales_channels") {
        after.sales_channels = draft.sales_channels.clone();
    }
    if has("export_markets") {
        after.export_markets = draft.export_markets.clone();
    }
    after
}

pub(crate) async fn run(
    context: &Context<'_>,
    run: &ImportRun,
    table: &Table,
    header: &Header,
    progress: &mut super::Recorded<'_>,
) -> Result<(Report, Option<i64>), StoreError> {
    let version = context
        .catalog
        .in_force_on(context.today)
        .ok_or_else(|| StoreError::Data("no criteria version is in force".into()))?;
    let sets: Vec<(&str, &str)> = version
        .sets
        .iter()
        .map(|s| (s.code.as_str(), s.name_vi.as_str()))
        .collect();
    let (entities_by_code, entities_by_name) = entities(context).await?;
    let mut known = known(context).await?;
    let rows: Vec<Row> = data_rows(table, header).collect();
    let total = rows.len();
    let mut report = Report::default();
    let mut planned: Vec<Write> = Vec::new();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    let mut outside: Vec<(usize, String)> = Vec::new();
    let today_year = context.today.year();
    for (index, row) in rows.iter().enumerate() {
        if index % 2000 == 0 {
            progress.note(State::Checking, index, total).await?;
        }
        let read = match rows::product(row, context.province, &version.id, &sets) {
            Ok(read) => read,
            Err(errors) => {
                report.errors.extend(errors);
                continue;
            }
        };
        // Its entity: by registration code, else by its name in the province.
        let entity = if !read.registration_code.is_empty() {
            match entities_by_code.get(&read.registration_code) {
                Some(entity) => entity,
                None => {
                    outside.push((index, read.registration_code.clone()));
                    continue;
                }
            }
        } else {
            match entities_by_name
                .get(&fold(&read.entity_name))
                .map(Vec::as_slice)
            {
                Some([code]) => &entities_by_code[code],
                Some(many) => {
                    report.errors.push(row_error(
                        row,
                        "entity_name",
                        "import-error-entity-ambiguous",
                        &many.join(", "),
                    ));
                    continue;
                }
                None => {
                    report.errors.push(row_error(
                        row,
                        "entity_name",
                        "import-error-entity-unknown",
                        "",
                    ));
                    continue;
                }
            }
        };
        let code_text = read.code.as_ref().map(|_| row.text("code"));
        let key = code_text.clone().unwrap_or_else(|| {
            let entity_key = if read.registration_code.is_empty() {
                &read.entity_name
            } else {
                &read.registration_code
            };
            format!("{entity_key} / {}", read.draft.name)
        });
        let dedupe = code_text
            .clone()
            .unwrap_or_else(|| format!("{}\u{1f}{}", entity.id, fold(&read.draft.name)));
        if let Some(first) = first_row.get(&dedupe) {
            report.errors.push(duplicate(
                row.number,
                if code_text.is_some() { "code" } else { "name" },
                &key,
                *first,
            ));
            continue;
        }
        first_row.insert(dedupe, row.number);
        let found = match &read.code {
            Some(code) if code.is_legacy() => known.by_legacy.get(&row.text("code")),
            Some(_) => known.by_code.get(&row.text("code")),
            None => None,
        }
        .or_else(|| {
            known
                .by_name
                .get(&(entity.id.clone(), fold(&read.draft.name)))
        })
        .copied();
        match found {
            Some(index) => {
                let before = &known.products[index];
                if before.entity_id != entity.id {
                    report
                        .errors
                        .push(row_error(row, "code", "import-error-product-entity", ""));
                    continue;
                }
                let after = merged(before, &read, row);
                if after.product_set != before.product_set
                    && crate::registry::has_dossiers(context.db, &before.id).await?
                {
                    report.errors.push(row_error(
                        row,
                        "product_set",
                        "registry-error-product-set-locked",
                        "",
                    ));
                    continue;
                }
                let (outcome, changed) = super::compare(PRODUCT_FIELDS, before, &after);
                report.push(RowReport {
                    row: row.number,
                    outcome,
                    key,
                    changed,
                });
                if outcome == Outcome::Updated {
                    planned.push(Write {
                        before: Some(before.clone()),
                        after,
                        year: 0,
                        legacy_code: None,
                    });
                }
            }
            None => {
                let (code, year, legacy_code) = match &read.code {
                    Some(code) if code.is_legacy() => (
                        known.next_code(context.province, &entity.commune_code, code.year),
                        code.year,
                        Some(row.text("code")),
                    ),
                    Some(code) => {
                        let text = row.text("code");
                        if !known.codes.insert(text.clone()) {
                            report.errors.push(row_error(
                                row,
                                "code",
                                "import-error-code-taken",
                                "",
                            ));
                            continue;
                        }
                        (text, code.year, None)
                    }
                    None => (
                        known.next_code(context.province, &entity.commune_code, today_year),
                        today_year,
                        None,
                    ),
                };
                let draft = &read.draft;
                let product = Product {
                    id: new_id(),
                    entity_id: entity.id.clone(),
                    code,
                    name: draft.name.clone(),
                    criteria_version: draft.criteria_version.clone(),
                    product_set: draft.product_set.clone(),
                    description: draft.description.clone(),
                    raw_material_area: draft.raw_material_area.clone(),
                    trademark: draft.trademark.clone(),
                    gtin: draft.gtin.clone(),
                    sales_channels: draft.sales_channels.clone(),
                    export_markets: draft.export_markets.clone(),
                    commune_code: entity.commune_code.clone(),
                    province_code: context.province.to_string(),
                };
                report.push(RowReport {
                    row: row.number,
                    outcome: Outcome::Created,
                    key,
                    changed: Vec::new(),
                });
                planned.push(Write {
                    before: None,
                    after: product,
                    year,
                    legacy_code,
                });
            }
        }
    }
    // Registration codes not of the province: of another, or of nobody.
    if !outside.is_empty() {
        let codes: Vec<String> = outside.iter().map(|(_, c)| c.clone()).collect();
        let elsewhere = super::entities::by_registration_code(context.db, &codes).await?;
        for (index, code) in outside {
            let (message, detail) = match elsewhere.get(&code) {
                Some(entity) => (
                    "import-error-entity-other-province",
                    entity.province_code.clone(),
                ),
                None => ("import-error-entity-unknown", String::new()),
            };
            report.errors.push(row_error(
                &rows[index],
                "registration_code",
                message,
                &detail,
            ));
        }
    }
    super::count_errors(&mut report);
    if !writes(run, &report) {
        return Ok((report, None));
    }
    progress.note(State::Writing, 0, planned.len()).await?;
    // In the order of their ids (random): each index then takes its new keys in one pass
    // instead of jumping about its pages.
    planned.sort_by(|a, b| a.after.id.cmp(&b.after.id));
    let started = std::time::Instant::now();
    let mut tx = super::begin(context.db).await?;
    let now = now_ms();
    let mut inserts = Rows::new(
        "products",
        &[
            "id",
            "entity_id",
            "code",
            "code_year",
            "name",
            "name_folded",
            "criteria_version",
            "product_set",
            "description",
            "raw_material_area",
            "trademark",
            "gtin",
            "sales_channels",
            "export_markets",
            "commune_code",
            "province_code",
            "created_at",
            "updated_at",
            "legacy_code",
        ],
    );
    let mut touched = Vec::with_capacity(planned.len());
    for write in &planned {
        let (year, legacy_code) = (&write.year, &write.legacy_code);
        match &write.before {
            None => {
                let p = &write.after;
                inserts.push([
                    Value::from(p.id.clone()),
                    p.entity_id.clone().into(),
                    p.code.clone().into(),
                    i64::from(*year).into(),
                    p.name.clone().into(),
                    fold(&p.name).into(),
                    p.criteria_version.clone().into(),
                    p.product_set.clone().into(),
                    p.description.clone().into(),
                    p.raw_material_area.clone().into(),
                    p.trademark.clone().into(),
                    p.gtin.clone().into(),
                    list_json(&p.sales_channels).into(),
                    list_json(&p.export_markets).into(),
                    p.commune_code.clone().into(),
                    p.province_code.clone().into(),
                    now.into(),
                    now.into(),
                    legacy_code.clone().into(),
                ]);
                // What names the record; its other fields are its own row as created.
                let changes = Changes::new()
                    .created("code", &p.code)
                    .created("legacy_code", legacy_code)
                    .created("name", &p.name)
                    .created("entity_id", &p.entity_id);
                touched.push(("product", p.id.clone(), "created", changes.to_json()));
                if inserts.len() >= 5000 {
                    inserts.write(&mut tx).await?;
                }
            }
            Some(before) => {
                let after = &write.after;
                crate::registry::write_product(&mut tx, after).await?;
                let changes = Changes::between(Some(before), after, PRODUCT_FIELDS);
                touched.push(("product", after.id.clone(), "updated", changes.to_json()));
            }
        }
    }
    inserts.write(&mut tx).await?;
    let records = started.elapsed();
    let seq = audit_run(&mut tx, run, &report, &touched).await?;
    let audited = started.elapsed();
    super::commit(tx).await?;
    tracing::info!(
        records_ms = records.as_millis() as u64,
        audit_ms = (audited - records).as_millis() as u64,
        commit_ms = (started.elapsed() - audited).as_millis() as u64,
        "products written"
    );
    Ok((report, Some(seq)))
}
