//! The daily sweep: for each certificate, the lifecycle milestone due today (window opens,
//! window closing, expiry near, expired) goes to the producer, the commune and the province,
//! once (`notices` keeps one per account and milestone). Expiry itself needs no write: the
//! status is derived from the dates. The sweep runs as a job claimed in the database (one
//! server runs it) and by hand with `ocop certificates sweep`.

use chrono::{Days, NaiveDate};
use futures_util::TryStreamExt;
use serde_json::json;

use ocop_domain::certificates::lifecycle::{self, Milestone};
use ocop_domain::criteria::Catalog;

use super::{CERTIFICATE_SELECT, certificate_from_row};
use crate::notices::{self, Parties};
use crate::{Db, StoreError, on_db};

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub certificates: usize,
    /// Certificates with a milestone due.
    pub due: usize,
    /// Notices put in inboxes (each with its e-mail queued).
    pub notices: u64,
}

/// Sweeps on `today` under the rules in force that day.
pub async fn sweep(
    db: &Db,
    catalog: &Catalog,
    today: NaiveDate,
) -> Result<SweepReport, StoreError> {
    let Some(version) = catalog.in_force_on(today) else {
        return Ok(SweepReport::default());
    };
    let procedure = &version.procedure;
    // Certificates revoked before today or long expired have nothing left to announce.
    let horizon = today - Days::new(400);
    let sql = format!(
        "{} WHERE c.expires_on >= $1 ORDER BY c.expires_on, c.id",
        *CERTIFICATE_SELECT
    );
    // Streamed: of a national register only the certificates with a milestone today are kept.
    let mut seen = 0;
    let due: Result<Vec<_>, sqlx::Error> = on_db!(db, |pool| {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(horizon)
            .fetch(pool);
        let mut due = Vec::new();
        while let Some(row) = rows.try_next().await? {
            seen += 1;
            let certificate = certificate_from_row(&row)?;
            if let Some(milestone) = lifecycle::due(&certificate.timeline, procedure, today) {
                due.push((certificate, milestone));
            }
        }
        Ok(due)
    });
    let due = due?;
    let mut report = SweepReport {
        certificates: seen,
        ..SweepReport::default()
    };
    for (certificate, milestone) in due {
        report.due += 1;
        let window = certificate.timeline.reevaluation_window(procedure);
        let link = match milestone {
            Milestone::WindowOpens | Milestone::WindowClosing | Milestone::ExpiresSoon => {
                format!("/certificates/{}/reevaluate", certificate.id)
            }
            Milestone::Expired => format!("/certificates/{}", certificate.id),
        };
        let params = json!({
            "number": certificate.number,
            "product": certificate.product_name,
            "entity": certificate.entity_name,
            "expires_on": certificate.timeline.expires_on,
            "window_opens": window.map(|w| w.0),
            "window_closes": window.map(|w| w.1),
            "pending_until": certificate.timeline.pending_until(procedure),
        });
        let mut tx = db.begin().await?;
        report.notices += notices::notify_parties(
            &mut tx,
            &Parties {
                entity_id: &certificate.entity_id,
                commune_code: Some(&certificate.commune_code),
                province_code: Some(&certificate.province_code),
            },
            &format!("certificate_{}", milestone.code()),
            Some(&certificate.id),
            &params,
            &link,
            &format!("certificate:{}:{}", certificate.id, milestone.code()),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}
