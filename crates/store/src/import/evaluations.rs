//! Council results of before the system: each becomes a legacy round's result
//! (`rounds::legacy_result_in`, without a decision), in one legacy round per level, province and
//! meeting day, with the parts' and members' totals the file gives kept beside it. A result
//! already recorded for the product on that day is left as it is; one with another total is a
//! problem, not an update.

use std::collections::HashMap;

use chrono::NaiveDate;

use ocop_domain::import::columns::{Header, Row, data_rows};
use ocop_domain::import::read::Table;
use ocop_domain::import::rows::EvaluationRow;
use ocop_domain::import::{Outcome, Report, RowReport, rows};
use ocop_domain::rounds::council::Settings;
use ocop_domain::rounds::{RoundKind, RoundState};

use super::{Context, ImportRun, State, audit_run, duplicate, row_error, writes};
use crate::certificates::IssueTerms;
use crate::clock::new_id;
use crate::rounds::{LegacyResult, Round, RoundStoreError};
use crate::{StoreError, on_db, on_tx};

struct Planned {
    row: usize,
    product: crate::registry::Product,
    entity_type: String,
    read: EvaluationRow,
}

pub(crate) async fn run(
    context: &Context<'_>,
    run: &ImportRun,
    table: &Table,
    header: &Header,
    progress: &mut super::Recorded<'_>,
) -> Result<(Report, Option<i64>), StoreError> {
    let products = super::certificates::KnownProducts::load(context).await?;
    // Results already recorded: (product, meeting day) → total.
    let recorded: Vec<(String, NaiveDate, Option<i64>)> =
        on_db!(context.db, |pool| sqlx::query_as(
            "SELECT p.product_id, r.meeting_on, p.final_score FROM round_products p \
         JOIN rounds r ON r.id = p.round_id WHERE r.kind = 'legacy' AND p.province_code = $1"
        )
        .bind(context.province)
        .fetch_all(pool)
        .await)?;
    let recorded: HashMap<(String, NaiveDate), Option<i64>> = recorded
        .into_iter()
        .map(|(product, day, score)| ((product, day), score))
        .collect();
    let rows: Vec<Row> = data_rows(table, header).collect();
    let total = rows.len();
    let mut report = Report::default();
    let mut planned = Vec::new();
    let mut first_row: HashMap<(String, NaiveDate), usize> = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        if index % 1000 == 0 {
            progress.note(State::Checking, index, total).await?;
        }
        let read = match rows::evaluation(row, context.catalog, context.today) {
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
        let key = (product.id.clone(), read.meeting_date);
        let shown = format!("{} {}", product.code, read.meeting_date.format("%d/%m/%Y"));
        if let Some(first) = first_row.get(&key) {
            report
                .errors
                .push(duplicate(row.number, "meeting_date", &shown, *first));
            continue;
        }
        first_row.insert(key.clone(), row.number);
        match recorded.get(&key) {
            Some(score) if *score == Some(read.score.centi()) => report.push(RowReport {
                row: row.number,
                outcome: Outcome::Unchanged,
                key: shown,
                changed: Vec::new(),
            }),
            Some(_) => report.errors.push(row_error(
                row,
                "score",
                "import-error-evaluation-differs",
                "",
            )),
            None => {
                report.push(RowReport {
                    row: row.number,
                    outcome: Outcome::Created,
                    key: shown,
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
    progress.note(State::Writing, 0, planned.len()).await?;
    let mut tx = super::begin(context.db).await?;
    let mut rounds: HashMap<(ocop_domain::criteria::Level, NaiveDate), Round> = HashMap::new();
    let mut touched = Vec::with_capacity(planned.len());
    for (done, item) in planned.iter().enumerate() {
        if done % 100 == 0 {
            progress.tick(State::Writing, done, planned.len());
        }
        let read = &item.read;
        let round = match rounds.get(&(read.level, read.meeting_date)) {
            Some(round) => round.clone(),
            None => {
                let province_code = (read.level != ocop_domain::criteria::Level::Ministry)
                    .then(|| context.province.to_string());
                let existing: Option<String> = on_tx!(&mut tx, |conn| sqlx::query_scalar(
                    "SELECT id FROM rounds WHERE kind = 'legacy' AND level = $1 \
                     AND COALESCE(province_code, '') = $2 AND meeting_on = $3 \
                     ORDER BY created_at, id LIMIT 1"
                )
                .bind(read.level.as_str())
                .bind(province_code.clone().unwrap_or_default())
                .bind(read.meeting_date)
                .fetch_optional(&mut *conn)
                .await)?;
                let round = Round {
                    id: existing.clone().unwrap_or_else(new_id),
                    name: format!(
                        "Hội đồng OCOP ngày {} (nhập từ hồ sơ)",
                        read.meeting_date.format("%d/%m/%Y")
                    ),
                    level: read.level,
                    kind: RoundKind::Legacy,
                    province_code,
                    meeting_on: read.meeting_date,
                    place: String::new(),
                    state: RoundState::Closed,
                    settings: Settings::default(),
                };
                if existing.is_none() {
                    crate::rounds::insert(&mut tx, &round, &run.created_by).await?;
                }
                rounds.insert((read.level, read.meeting_date), round.clone());
                round
            }
        };
        let result = LegacyResult {
            product_id: item.product.id.clone(),
            criteria_version: read.criteria_version.clone(),
            score: Some(read.score.centi()),
            stars: read.stars,
            outcome: read.outcome,
            decision: None,
        };
        let recorded = crate::rounds::legacy_result_in(
            &mut tx,
            context.catalog,
            &round,
            &item.product,
            &item.entity_type,
            &result,
            &IssueTerms::default(),
            &run.created_by,
        )
        .await
        .map_err(|error| match error {
            RoundStoreError::Store(error) => error,
            other => StoreError::Data(format!("row {}: {other}", item.row)),
        })?;
        let totals = serde_json::json!({
            "parts": read.parts.map(|p| p.map(|s| s.centi())),
            "members": read.members.iter().map(|s| s.centi()).collect::<Vec<_>>(),
        })
        .to_string();
        on_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE round_products SET legacy_totals = $1 WHERE id = $2"
        )
        .bind(&totals)
        .bind(&recorded.round_product_id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
        let changes = ocop_domain::audit::Changes::new()
            .created("product_id", &item.product.id)
            .created("meeting_on", read.meeting_date)
            .created("score", read.score.centi())
            .created("stars", read.stars)
            .created("totals", &totals);
        touched.push(("dossier", recorded.dossier_id, "created", changes.to_json()));
    }
    let seq = audit_run(&mut tx, run, &report, &touched).await?;
    super::commit(tx).await?;
    Ok((report, Some(seq)))
}
