//! Recognitions of the past: each becomes what a legacy round's result with its decision
//! becomes today (`rounds::legacy_result_in`): a dossier in its final state, the round's result,
//! the decision and its certificate, whose status then follows from its dates and what happened
//! since. One legacy round per level, province and decision day holds them; a decision already
//! recorded keeps its round. A recognition is a legal fact: one already recorded is left as it
//! is, and a row that contradicts it is a problem, not an update.

use std::collections::HashMap;

use chrono::NaiveDate;

use ocop_domain::criteria::Level;
use ocop_domain::import::columns::{Header, Row, data_rows};
use ocop_domain::import::read::Table;
use ocop_domain::import::rows::CertificateRow;
use ocop_domain::import::{Outcome, Report, RowReport, rows};
use ocop_domain::rounds::council::Settings;
use ocop_domain::rounds::decision::ProductOutcome;
use ocop_domain::rounds::{RoundKind, RoundState};
use ocop_domain::text::fold;

use super::{Context, ImportRun, State, audit_run, duplicate, row_error, writes};
use crate::certificates::IssueTerms;
use crate::clock::new_id;
use crate::registry::{PRODUCT_COLUMNS, Product, product_from_row};
use crate::rounds::{LegacyDecision, LegacyResult, Round, RoundStoreError};
use crate::{StoreError, Tx, on_db, on_tx};

struct Planned {
    row: usize,
    product: Product,
    entity_type: String,
    read: CertificateRow,
}

/// The province's products as recognitions and council results name them: by code (today's or
/// legacy), else by name with the entity's registration code (when that names one product).
pub(super) struct KnownProducts {
    products: Vec<(Product, Option<String>, String, String)>,
    by_code: HashMap<String, usize>,
    by_name: HashMap<(String, String), Vec<usize>>,
}

impl KnownProducts {
    pub(super) async fn load(context: &Context<'_>) -> Result<KnownProducts, StoreError> {
        let products = products(context).await?;
        let mut by_code = HashMap::new();
        let mut by_name: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (index, (product, legacy, registration, _)) in products.iter().enumerate() {
            by_code.insert(product.code.clone(), index);
            if let Some(legacy) = legacy {
                by_code.insert(legacy.clone(), index);
            }
            by_name
                .entry((registration.clone(), fold(&product.name)))
                .or_default()
                .push(index);
        }
        Ok(KnownProducts {
            products,
            by_code,
            by_name,
        })
    }

    /// The product a row names and its entity's type, or the row's problem.
    pub(super) fn find(
        &self,
        row: &Row<'_>,
        by_code: bool,
        registration_code: &str,
        product_name: &str,
    ) -> Result<(&Product, &str), ocop_domain::import::RowError> {
        let found = if by_code {
            self.by_code.get(row.text("product_code").as_str()).copied()
        } else {
            match self
                .by_name
                .get(&(registration_code.to_string(), fold(product_name)))
                .map(Vec::as_slice)
            {
                Some([one]) => Some(*one),
                _ => None,
            }
        };
        let column = if by_code {
            "product_code"
        } else {
            "product_name"
        };
        found
            .map(|i| (&self.products[i].0, self.products[i].3.as_str()))
            .ok_or_else(|| row_error(row, column, "import-error-product-unknown", ""))
    }
}

/// The province's products with their entity's registration code and type.
async fn products(
    context: &Context<'_>,
) -> Result<Vec<(Product, Option<String>, String, String)>, StoreError> {
    let columns: Vec<String> = PRODUCT_COLUMNS
        .split(',')
        .map(|c| format!("p.{}", c.trim()))
        .collect();
    let sql = format!(
        "SELECT {}, p.legacy_code, e.registration_code, e.kind AS entity_kind FROM products p \
         JOIN entities e ON e.id = p.entity_id WHERE p.province_code = $1",
        columns.join(", ")
    );
    Ok(on_db!(context.db, |pool| {
        use sqlx::Row as _;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(context.province)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((
                    product_from_row(row)?,
                    row.try_get("legacy_code")?,
                    row.try_get("registration_code")?,
                    row.try_get("entity_kind")?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
    })?)
}

/// The province's certificates: (id, product, stars, legacy number, decision number, date).
type Existing = (String, String, i64, Option<String>, String, NaiveDate);

async fn existing(context: &Context<'_>) -> Result<Vec<Existing>, StoreError> {
    Ok(on_db!(context.db, |pool| {
        sqlx::query_as(
        "SELECT c.id, c.product_id, c.stars, c.legacy_number, d.number, d.signed_on FROM certificates c \
         JOIN decisions d ON d.id = c.decision_id WHERE c.province_code = $1"
    )
    .bind(context.province)
    .fetch_all(pool)
    .await
    })?)
}

pub(crate) async fn run(
    context: &Context<'_>,
    run: &ImportRun,
    table: &Table,
    header: &Header,
    progress: &mut super::Recorded<'_>,
) -> Result<(Report, Option<i64>), StoreError> {
    let products = KnownProducts::load(context).await?;
    let certificates = existing(context).await?;
    let mut by_legacy: HashMap<&str, &Existing> = HashMap::new();
    let mut by_decision: HashMap<(&str, &str, NaiveDate), &Existing> = HashMap::new();
    for certificate in &certificates {
        if let Some(legacy) = &certificate.3 {
            by_legacy.insert(legacy.as_str(), certificate);
        }
        by_decision.insert(
            (
                certificate.1.as_str(),
                certificate.4.as_str(),
                certificate.5,
            ),
            certificate,
        );
    }
    let rows: Vec<Row> = data_rows(table, header).collect();
    let total = rows.len();
    let mut report = Report::default();
    let mut planned = Vec::new();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        if index % 1000 == 0 {
            progress.note(State::Checking, index, total).await?;
        }
        let read = match rows::certificate(row, context.catalog, context.today) {
            Ok(read) => read,
            Err(errors) => {
                report.errors.extend(errors);
                continue;
            }
        };
        let (product, entity_type) = match products.find(
            row,
            read.product_code.is_some(),
            &read.registration_code,
            &read.product_name,
        ) {
            Ok(found) => found,
            Err(error) => {
                report.errors.push(error);
                continue;
            }
        };
        let key = match &read.certificate_number {
            Some(number) => number.clone(),
            None => format!(
                "{} {} {}",
                read.decision_number.as_str(),
                read.decision_date.format("%d/%m/%Y"),
                product.code
            ),
        };
        let dedupe = read.certificate_number.clone().unwrap_or_else(|| {
            format!(
                "{}\u{1f}{}\u{1f}{}",
                product.id,
                read.decision_number.as_str(),
                read.decision_date
            )
        });
        if let Some(first) = first_row.get(&dedupe) {
            report.errors.push(duplicate(
                row.number,
                if read.certificate_number.is_some() {
                    "certificate_number"
                } else {
                    "decision_number"
                },
                &key,
                *first,
            ));
            continue;
        }
        first_row.insert(dedupe, row.number);
        let recorded = read
            .certificate_number
            .as_deref()
            .and_then(|n| by_legacy.get(n))
            .or_else(|| {
                by_decision.get(&(
                    product.id.as_str(),
                    read.decision_number.as_str(),
                    read.decision_date,
                ))
            });
        match recorded {
            Some(existing) if existing.1 == product.id && existing.2 == i64::from(read.stars) => {
                report.push(RowReport {
                    row: row.number,
                    outcome: Outcome::Unchanged,
                    key,
                    changed: Vec::new(),
                });
            }
            Some(_) => report.errors.push(row_error(
                row,
                "stars",
                "import-error-certificate-differs",
                "",
            )),
            None => {
                report.push(RowReport {
                    row: row.number,
                    outcome: Outcome::Created,
                    key,
                    changed: Vec::new(),
                });
                planned.push(Planned {
                    row: row.number,
                    product: product.clone(),
                    entity_type: entity_type.to_string(),
                    read,
                });
            }
        }
    }
    super::count_errors(&mut report);
    if !writes(run, &report) {
        return Ok((report, None));
    }
    // In the order they were decided, so a later recognition supersedes an earlier one.
    planned.sort_by_key(|p| (p.read.decision_date, p.row));
    progress.note(State::Writing, 0, planned.len()).await?;
    let mut tx = super::begin(context.db).await?;
    let mut rounds: HashMap<(Level, String, NaiveDate), Round> = HashMap::new();
    let mut touched = Vec::with_capacity(planned.len());
    for (done, item) in planned.iter().enumerate() {
        if done % 100 == 0 {
            progress.tick(State::Writing, done, planned.len());
        }
        let round = legacy_round(
            &mut tx,
            &mut rounds,
            context.province,
            &item.read,
            &run.created_by,
        )
        .await?;
        let result = LegacyResult {
            product_id: item.product.id.clone(),
            criteria_version: item.read.criteria_version.clone(),
            score: item.read.score.map(|s| s.centi()),
            stars: item.read.stars,
            outcome: ProductOutcome::Recognised {
                stars: item.read.stars,
            },
            decision: Some(LegacyDecision {
                number: item.read.decision_number.clone(),
                signed_on: item.read.decision_date,
                signer: String::new(),
            }),
        };
        let terms = IssueTerms {
            expires_on: Some(item.read.expires_on),
            legacy_number: item.read.certificate_number.as_deref(),
            quiet: true,
        };
        let recorded = crate::rounds::legacy_result_in(
            &mut tx,
            context.catalog,
            &round,
            &item.product,
            &item.entity_type,
            &result,
            &terms,
            &run.created_by,
        )
        .await
        .map_err(|error| match error {
            RoundStoreError::Store(error) => error,
            other => StoreError::Data(format!("row {}: {other}", item.row)),
        })?;
        if let Some(id) = recorded.certificate_id {
            let changes = ocop_domain::audit::Changes::new()
                .created("product_id", &item.product.id)
                .created("stars", item.read.stars)
                .created("issued_on", item.read.decision_date)
                .created("expires_on", item.read.expires_on)
                .created("legacy_number", &item.read.certificate_number);
            touched.push(("certificate", id, "created", changes.to_json()));
        }
    }
    let seq = audit_run(&mut tx, run, &report, &touched).await?;
    super::commit(tx).await?;
    Ok((report, Some(seq)))
}

/// The legacy round a recognition belongs to: the round of its decision if that is recorded,
/// else the round of its level, province and day, recorded on first use.
async fn legacy_round(
    tx: &mut Tx,
    rounds: &mut HashMap<(Level, String, NaiveDate), Round>,
    province: &str,
    read: &CertificateRow,
    actor: &str,
) -> Result<Round, StoreError> {
    let province_code = (read.level != Level::Ministry).then(|| province.to_string());
    let key = (
        read.level,
        province_code.clone().unwrap_or_default(),
        read.decision_date,
    );
    if let Some(round) = rounds.get(&key) {
        return Ok(round.clone());
    }
    let of_decision: Option<String> = on_tx!(&mut *tx, |conn| sqlx::query_scalar(
        "SELECT round_id FROM decisions WHERE number = $1 AND signed_on = $2"
    )
    .bind(read.decision_number.as_str())
    .bind(read.decision_date)
    .fetch_optional(&mut *conn)
    .await)?;
    let of_day: Option<String> = match of_decision {
        Some(id) => Some(id),
        None => on_tx!(&mut *tx, |conn| {
            sqlx::query_scalar(
            "SELECT id FROM rounds WHERE kind = 'legacy' AND level = $1 \
             AND COALESCE(province_code, '') = $2 AND meeting_on = $3 ORDER BY created_at, id LIMIT 1"
        )
        .bind(read.level.as_str())
        .bind(province_code.clone().unwrap_or_default())
        .bind(read.decision_date)
        .fetch_optional(&mut *conn)
        .await
        })?,
    };
    let round = Round {
        id: of_day.clone().unwrap_or_else(new_id),
        name: format!(
            "Công nhận OCOP ngày {} (nhập từ hồ sơ)",
            read.decision_date.format("%d/%m/%Y")
        ),
        level: read.level,
        kind: RoundKind::Legacy,
        province_code,
        meeting_on: read.decision_date,
        place: String::new(),
        state: RoundState::Closed,
        settings: Settings::default(),
    };
    if of_day.is_none() {
        crate::rounds::insert(tx, &round, actor).await?;
    }
    rounds.insert(key, round.clone());
    Ok(round)
}
