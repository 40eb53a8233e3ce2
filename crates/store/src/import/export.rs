//! A province's records in the import's own layout: one row per record, one cell per column of
//! the kind ([`Kind::columns`]), written as the template writes them, so that an export edited
//! in Excel and imported again changes only what was edited.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::Row as _;

use ocop_domain::criteria::{EntityType, Level};
use ocop_domain::import::Kind;
use ocop_domain::import::columns::{entity_type_label, legal_form_label, level_label};
use ocop_domain::import::read::Cell;

use crate::registry::{ENTITY_COLUMNS, PRODUCT_COLUMNS, entity_from_row, product_from_row};
use crate::{Db, StoreError, on_db};

fn text(value: impl Into<String>) -> Cell {
    let value = value.into();
    if value.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(value)
    }
}

fn optional(value: &Option<String>) -> Cell {
    value.clone().map_or(Cell::Empty, text)
}

fn yes_no(flag: bool) -> Cell {
    Cell::Text(if flag { "Có" } else { "Không" }.into())
}

fn date(day: Option<NaiveDate>) -> Cell {
    day.map_or(Cell::Empty, Cell::Date)
}

/// A row in the order of the kind's columns, from cells by column key.
fn in_order(kind: Kind, mut cells: HashMap<&'static str, Cell>) -> Vec<Cell> {
    kind.columns()
        .iter()
        .map(|column| cells.remove(column.key).unwrap_or(Cell::Empty))
        .collect()
}

/// The records of `kind` in `province` (every province's when `None`), in the kind's columns.
/// `sets` names the product sets (code, name) as the template's drop-down writes them.
pub async fn rows(
    db: &Db,
    kind: Kind,
    province: Option<&str>,
    sets: &[(&str, &str)],
) -> Result<Vec<Vec<Cell>>, StoreError> {
    let province = province.unwrap_or("");
    match kind {
        Kind::Entities => entities(db, province).await,
        Kind::Products => products(db, province, sets).await,
        Kind::Certificates => certificates(db, province).await,
        Kind::Evaluations => evaluations(db, province).await,
    }
}

async fn entities(db: &Db, province: &str) -> Result<Vec<Vec<Cell>>, StoreError> {
    let columns: Vec<String> = ENTITY_COLUMNS
        .split(',')
        .map(|c| format!("e.{}", c.trim()))
        .collect();
    let sql = format!(
        "SELECT {}, u.name AS commune_name, p.name AS province_name FROM entities e \
         LEFT JOIN units u ON u.code = e.commune_code AND u.valid_to IS NULL AND u.level = 'commune' \
         LEFT JOIN units p ON p.code = e.province_code AND p.valid_to IS NULL AND p.level = 'province' \
         WHERE ($1 = '' OR e.province_code = $1) ORDER BY e.province_code, e.name_folded, e.id",
        columns.join(", ")
    );
    let rows = on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(province)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((
                    entity_from_row(row)?,
                    row.try_get::<Option<String>, _>("commune_name")?,
                    row.try_get::<Option<String>, _>("province_name")?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(rows
        .into_iter()
        .map(|(e, commune, province)| {
            let cells = HashMap::from([
                ("registration_code", text(e.registration_code)),
                ("name", text(e.name)),
                ("kind", text(entity_type_label(e.kind))),
                (
                    "legal_form",
                    match (&e.legal_form, e.kind) {
                        (Some(form), EntityType::Company) => text(legal_form_label(form)),
                        _ => Cell::Empty,
                    },
                ),
                ("representative", text(e.representative)),
                ("address", text(e.address)),
                ("commune", optional(&commune)),
                ("province", optional(&province)),
                ("commune_code", text(e.commune_code)),
                ("phone", optional(&e.phone)),
                ("email", optional(&e.email)),
                ("women_led", yes_no(e.women_led)),
                ("ethnic_minority_led", yes_no(e.ethnic_minority_led)),
                (
                    "members",
                    e.members.map_or(Cell::Empty, |n| Cell::Number(n as f64)),
                ),
                (
                    "workers",
                    e.workers.map_or(Cell::Empty, |n| Cell::Number(n as f64)),
                ),
                ("founded_on", date(e.founded_on)),
            ]);
            in_order(Kind::Entities, cells)
        })
        .collect())
}

async fn products(
    db: &Db,
    province: &str,
    sets: &[(&str, &str)],
) -> Result<Vec<Vec<Cell>>, StoreError> {
    let columns: Vec<String> = PRODUCT_COLUMNS
        .split(',')
        .map(|c| format!("p.{}", c.trim()))
        .collect();
    let sql = format!(
        "SELECT {}, e.registration_code, e.name AS entity_name FROM products p \
         JOIN entities e ON e.id = p.entity_id \
         WHERE ($1 = '' OR p.province_code = $1) ORDER BY p.province_code, p.code",
        columns.join(", ")
    );
    let rows = on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(province)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((
                    product_from_row(row)?,
                    row.try_get::<String, _>("registration_code")?,
                    row.try_get::<String, _>("entity_name")?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let set_label = |code: &str| {
        sets.iter()
            .find(|(c, _)| *c == code)
            .map_or(code.to_string(), |(c, name)| format!("{c} – {name}"))
    };
    Ok(rows
        .into_iter()
        .map(|(p, registration_code, entity_name)| {
            let cells = HashMap::from([
                ("code", text(p.code)),
                ("name", text(p.name)),
                ("registration_code", text(registration_code)),
                ("entity_name", text(entity_name)),
                ("product_set", text(set_label(&p.product_set))),
                ("description", text(p.description)),
                ("raw_material_area", optional(&p.raw_material_area)),
                ("trademark", optional(&p.trademark)),
                ("gtin", optional(&p.gtin)),
                ("sales_channels", text(p.sales_channels.join("; "))),
                ("export_markets", text(p.export_markets.join("; "))),
            ]);
            in_order(Kind::Products, cells)
        })
        .collect())
}

/// A certificate as exported.
type CertificateRow = (
    String,
    String,
    String,
    i64,
    Option<i64>,
    String,
    NaiveDate,
    String,
    NaiveDate,
    Option<String>,
    String,
);

async fn certificates(db: &Db, province: &str) -> Result<Vec<Vec<Cell>>, StoreError> {
    let rows: Vec<CertificateRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT p.code, p.name, e.registration_code, c.stars, c.score, d.number, d.signed_on, \
         c.authority, c.expires_on, c.legacy_number, c.number FROM certificates c \
         JOIN products p ON p.id = c.product_id JOIN entities e ON e.id = c.entity_id \
         JOIN decisions d ON d.id = c.decision_id \
         WHERE ($1 = '' OR c.province_code = $1) ORDER BY c.province_code, c.issued_on, c.number"
    )
    .bind(province)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                code,
                name,
                registration,
                stars,
                score,
                decision,
                signed_on,
                authority,
                expires_on,
                legacy,
                number,
            )| {
                let score = score.map_or(Cell::Empty, |s| {
                    Cell::Text(format!("{}.{:02}", s / 100, s % 100))
                });
                let cells = HashMap::from([
                    ("product_code", text(code)),
                    ("product_name", text(name)),
                    ("registration_code", text(registration)),
                    ("stars", Cell::Number(stars as f64)),
                    ("score", score),
                    ("decision_number", text(decision)),
                    ("decision_date", Cell::Date(signed_on)),
                    (
                        "level",
                        text(level_label(
                            Level::parse(&authority).unwrap_or(Level::Province),
                        )),
                    ),
                    ("valid_until", Cell::Date(expires_on)),
                    ("certificate_number", text(legacy.unwrap_or(number))),
                ]);
                in_order(Kind::Certificates, cells)
            },
        )
        .collect())
}

/// A council result as exported: product code, name, registration code, meeting day, level,
/// total, stars, the totals' JSON.
type EvaluationRow = (
    String,
    String,
    String,
    NaiveDate,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn points(centi: i64) -> Cell {
    Cell::Text(format!("{}.{:02}", centi / 100, centi % 100))
}

async fn evaluations(db: &Db, province: &str) -> Result<Vec<Vec<Cell>>, StoreError> {
    let rows: Vec<EvaluationRow> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT p.code, p.name, e.registration_code, r.meeting_on, r.level, rp.final_score, \
         rp.final_stars, rp.legacy_totals FROM round_products rp JOIN rounds r ON r.id = rp.round_id \
         JOIN products p ON p.id = rp.product_id JOIN entities e ON e.id = rp.entity_id \
         WHERE r.kind = 'legacy' AND ($1 = '' OR rp.province_code = $1) \
         AND NOT EXISTS (SELECT 1 FROM decision_items i WHERE i.round_product_id = rp.id) \
         ORDER BY rp.province_code, r.meeting_on, p.code"
    )
    .bind(province)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(code, name, registration, day, level, score, stars, totals)| {
                let totals: serde_json::Value = totals
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
                let mut cells = HashMap::from([
                    ("product_code", text(code)),
                    ("product_name", text(name)),
                    ("registration_code", text(registration)),
                    ("meeting_date", Cell::Date(day)),
                    (
                        "level",
                        text(level_label(Level::parse(&level).unwrap_or(Level::Province))),
                    ),
                    ("score", score.map_or(Cell::Empty, points)),
                    (
                        "stars",
                        stars
                            .filter(|s| *s >= 3)
                            .map_or(Cell::Empty, |s| Cell::Number(s as f64)),
                    ),
                ]);
                if let Some(parts) = totals["parts"].as_array() {
                    for (key, part) in ["part_a", "part_b", "part_c"].into_iter().zip(parts) {
                        if let Some(centi) = part.as_i64() {
                            cells.insert(key, points(centi));
                        }
                    }
                }
                let members = [
                    "member_1", "member_2", "member_3", "member_4", "member_5", "member_6",
                    "member_7", "member_8", "member_9",
                ];
                if let Some(list) = totals["members"].as_array() {
                    for (key, member) in members.into_iter().zip(list) {
                        if let Some(centi) = member.as_i64() {
                            cells.insert(key, points(centi));
                        }
                    }
                }
                in_order(Kind::Evaluations, cells)
            },
        )
        .collect())
}
