//! What happens to a certificate after its issue: its signed QR payload, revocations and
//! inspections. Each change is checked by the domain's rules against the status on the day,
//! made in one transaction with its audit record and its notices.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::Row;

use ocop_domain::audit::Changes;
use ocop_domain::certificates::inspection::{self, Outcome, Report};
use ocop_domain::certificates::payload::Claims;
use ocop_domain::certificates::revocation::{self, Decision, Finding};
use ocop_domain::certificates::{CertificateError, CertificateNumber};
use ocop_domain::criteria::{Level, Procedure};

use super::Certificate;
use crate::clock::{new_id, now_ms};
use crate::notices::{self, Parties};
use crate::{Db, StoreError, Tx, audit, on_db, on_tx};

#[derive(Debug, thiserror::Error)]
pub enum CertificateStoreError {
    #[error("{0}")]
    Rule(#[from] CertificateError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CertificateStoreError {
    fn from(error: sqlx::Error) -> CertificateStoreError {
        CertificateStoreError::Store(error.into())
    }
}

impl Certificate {
    /// What its QR claims.
    pub fn claims(&self) -> Result<Claims, StoreError> {
        let number: CertificateNumber = self
            .number
            .parse()
            .map_err(|e| StoreError::Data(format!("certificate {}: {e}", self.number)))?;
        Ok(Claims {
            number,
            stars: self.stars,
            issued_on: self.timeline.issued_on,
            expires_on: self.timeline.expires_on,
            product_code: self.product_code.clone(),
            entity_code: self.entity_code.clone(),
        })
    }

    fn parties(&self) -> Parties<'_> {
        Parties {
            entity_id: &self.entity_id,
            commune_code: Some(&self.commune_code),
            province_code: Some(&self.province_code),
        }
    }
}

/// The certificate's signed QR payload: signed once, on first use, with the key active then,
/// and kept, so that what was printed keeps verifying after the key is rotated. Two servers
/// signing at once keep the first one written.
pub async fn ensure_payload<E>(
    db: &Db,
    certificate: &Certificate,
    sign: impl FnOnce(&Claims) -> Result<(u16, String), E>,
) -> Result<Result<String, E>, StoreError> {
    if let Some(payload) = &certificate.payload {
        return Ok(Ok(payload.clone()));
    }
    let (key_id, payload) = match sign(&certificate.claims()?) {
        Ok(signed) => signed,
        Err(error) => return Ok(Err(error)),
    };
    on_db!(db, |pool| sqlx::query(
        "UPDATE certificates SET payload = $1, key_id = $2 WHERE id = $3 AND payload IS NULL"
    )
    .bind(&payload)
    .bind(i64::from(key_id))
    .bind(&certificate.id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    let stored: Option<String> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT payload FROM certificates WHERE id = $1"
    )
    .bind(&certificate.id)
    .fetch_one(pool)
    .await)?;
    Ok(Ok(stored.unwrap_or(payload)))
}

/// A revocation, open or decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub id: String,
    pub certificate_id: String,
    pub ground: String,
    pub found_on: NaiveDate,
    pub finding_ref: String,
    pub deadline: Option<NaiveDate>,
    pub inspection_id: Option<String>,
    pub opened_by: String,
    pub decision_number: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub signer: Option<String>,
}

/// The certificate's revocation, if one was opened.
pub async fn revocation(db: &Db, certificate_id: &str) -> Result<Option<Revocation>, StoreError> {
    let row = on_db!(db, |pool| {
        let row = sqlx::query(
            "SELECT id, certificate_id, ground, found_on, finding_ref, deadline, inspection_id, opened_by, \
             decision_number, decided_on, signer FROM revocations WHERE certificate_id = $1",
        )
        .bind(certificate_id)
        .fetch_optional(pool)
        .await?;
        row.map(|row| -> Result<Revocation, sqlx::Error> {
            Ok(Revocation {
                id: row.try_get("id")?,
                certificate_id: row.try_get("certificate_id")?,
                ground: row.try_get("ground")?,
                found_on: row.try_get("found_on")?,
                finding_ref: row.try_get("finding_ref")?,
                deadline: row.try_get("deadline")?,
                inspection_id: row.try_get("inspection_id")?,
                opened_by: row.try_get("opened_by")?,
                decision_number: row.try_get("decision_number")?,
                decided_on: row.try_get("decided_on")?,
                signer: row.try_get("signer")?,
            })
        })
        .transpose()
    })?;
    Ok(row)
}

async fn insert_revocation(
    tx: &mut Tx,
    procedure: &Procedure,
    certificate: &Certificate,
    finding: &Finding,
    inspection_id: Option<&str>,
    actor: &str,
) -> Result<String, CertificateStoreError> {
    let id = new_id();
    let deadline = revocation::deadline(procedure, finding.found_on);
    let inserted = on_tx!(&mut *tx, |conn| {
        sqlx::query(
        "INSERT INTO revocations (id, certificate_id, ground, found_on, finding_ref, deadline, inspection_id, \
         opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (certificate_id) DO NOTHING"
    )
    .bind(&id)
    .bind(&certificate.id)
    .bind(&finding.ground)
    .bind(finding.found_on)
    .bind(finding.reference.trim())
    .bind(deadline)
    .bind(inspection_id)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    if inserted == 0 {
        return Err(CertificateError::RevocationOpen.into());
    }
    let changes = Changes::new()
        .created("ground", &finding.ground)
        .created("found_on", finding.found_on)
        .created("finding_ref", finding.reference.trim())
        .created("deadline", deadline);
    audit::append(
        tx,
        actor,
        "certificate.revocation_opened",
        "certificate",
        &certificate.id,
        &changes,
    )
    .await?;
    Ok(id)
}

async fn decide(
    tx: &mut Tx,
    certificate: &Certificate,
    decision: &Decision,
    actor: &str,
) -> Result<(), CertificateStoreError> {
    let decided = on_tx!(&mut *tx, |conn| {
        sqlx::query(
        "UPDATE revocations SET decision_number = $1, decided_on = $2, signer = $3, decided_by = $4, decided_at = $5 \
         WHERE certificate_id = $6 AND decided_on IS NULL"
    )
    .bind(decision.number.trim())
    .bind(decision.decided_on)
    .bind(decision.signer.trim())
    .bind(actor)
    .bind(now_ms())
    .bind(&certificate.id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    if decided == 0 {
        return Err(CertificateError::AlreadyRevoked.into());
    }
    let changes = Changes::new()
        .created("decision_number", decision.number.trim())
        .created("decided_on", decision.decided_on)
        .created("signer", decision.signer.trim());
    audit::append(
        tx,
        actor,
        "certificate.revoked",
        "certificate",
        &certificate.id,
        &changes,
    )
    .await?;
    notices::notify_parties(
        tx,
        &certificate.parties(),
        "certificate_revoked",
        Some(&certificate.id),
        &json!({
            "number": certificate.number,
            "product": certificate.product_name,
            "decision": decision.number.trim(),
            "decided_on": decision.decided_on,
        }),
        &format!("/certificates/{}", certificate.id),
        &format!("certificate:{}:revoked", certificate.id),
    )
    .await?;
    Ok(())
}

/// Opens a revocation on a finding (the certificate stays valid until the decision).
pub async fn open_revocation(
    db: &Db,
    procedure: &Procedure,
    certificate: &Certificate,
    finding: &Finding,
    actor: &str,
    today: NaiveDate,
) -> Result<(), CertificateStoreError> {
    revocation::check_finding(
        procedure,
        finding,
        certificate.status(procedure, today),
        certificate.timeline.issued_on,
        today,
    )?;
    let mut tx = db.begin().await?;
    insert_revocation(&mut tx, procedure, certificate, finding, None, actor).await?;
    tx.commit().await?;
    Ok(())
}

/// Records the decision on the open revocation: the certificate is revoked from its date.
pub async fn decide_revocation(
    db: &Db,
    procedure: &Procedure,
    certificate: &Certificate,
    decision: &Decision,
    actor: &str,
    today: NaiveDate,
) -> Result<(), CertificateStoreError> {
    let open = revocation(db, &certificate.id)
        .await?
        .ok_or(CertificateError::NoOpenRevocation)?;
    if open.decided_on.is_some() {
        return Err(CertificateError::AlreadyRevoked.into());
    }
    revocation::check_decision(
        decision,
        open.found_on,
        certificate.status(procedure, today),
        today,
    )?;
    let mut tx = db.begin().await?;
    decide(&mut tx, certificate, decision, actor).await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes in one step: the finding and the decision together.
pub async fn revoke(
    db: &Db,
    procedure: &Procedure,
    certificate: &Certificate,
    finding: &Finding,
    decision: &Decision,
    actor: &str,
    today: NaiveDate,
) -> Result<(), CertificateStoreError> {
    let status = certificate.status(procedure, today);
    revocation::check_finding(
        procedure,
        finding,
        status,
        certificate.timeline.issued_on,
        today,
    )?;
    revocation::check_decision(decision, finding.found_on, status, today)?;
    let mut tx = db.begin().await?;
    insert_revocation(&mut tx, procedure, certificate, finding, None, actor).await?;
    decide(&mut tx, certificate, decision, actor).await?;
    tx.commit().await?;
    Ok(())
}

/// An inspection on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInspection {
    pub id: String,
    pub level: Level,
    pub report: Report,
    pub recorded_by: String,
}

/// Records a post-certification inspection by `level`; one that proposes revocation opens it.
pub async fn record_inspection(
    db: &Db,
    procedure: &Procedure,
    certificate: &Certificate,
    level: Level,
    report: &Report,
    actor: &str,
    today: NaiveDate,
) -> Result<String, CertificateStoreError> {
    let status_then = certificate.status(procedure, report.inspected_on);
    let status_now = certificate.status(procedure, today);
    ocop_domain::certificates::ensure_live(status_now)?;
    let finding = inspection::check(
        procedure,
        report,
        status_then,
        certificate.timeline.issued_on,
        today,
    )?;
    let id = new_id();
    let (action, deadline, ground) = match &report.outcome {
        Outcome::Passed => (None, None, None),
        Outcome::CorrectiveAction { action, deadline } => {
            (Some(action.trim().to_string()), Some(*deadline), None)
        }
        Outcome::RevocationProposed { ground } => (None, None, Some(ground.clone())),
    };
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO inspections (id, certificate_id, kind, level, inspected_on, inspectors, criteria_maintained, \
         mark_used_correctly, findings, outcome, action, action_deadline, ground, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    )
    .bind(&id)
    .bind(&certificate.id)
    .bind(report.kind.code())
    .bind(level.as_str())
    .bind(report.inspected_on)
    .bind(report.inspectors.trim())
    .bind(report.criteria_maintained)
    .bind(report.mark_used_correctly)
    .bind(report.findings.trim())
    .bind(report.outcome.code())
    .bind(&action)
    .bind(deadline)
    .bind(&ground)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("kind", report.kind.code())
        .created("level", level.as_str())
        .created("inspected_on", report.inspected_on)
        .created("outcome", report.outcome.code())
        .created("action", &action)
        .created("action_deadline", deadline)
        .created("ground", &ground);
    audit::append(
        &mut tx,
        actor,
        "certificate.inspected",
        "certificate",
        &certificate.id,
        &changes,
    )
    .await?;
    if let Some(finding) = finding {
        insert_revocation(&mut tx, procedure, certificate, &finding, Some(&id), actor).await?;
    }
    if !matches!(report.outcome, Outcome::Passed) {
        notices::notify_parties(
            &mut tx,
            &Parties {
                entity_id: &certificate.entity_id,
                commune_code: Some(&certificate.commune_code),
                province_code: None,
            },
            &format!("inspection_{}", report.outcome.code()),
            Some(&certificate.id),
            &json!({
                "number": certificate.number,
                "product": certificate.product_name,
                "inspected_on": report.inspected_on,
                "action": action,
                "deadline": deadline,
            }),
            &format!("/certificates/{}", certificate.id),
            &format!("inspection:{id}"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// A certificate's inspections, latest first.
pub async fn inspections(
    db: &Db,
    certificate_id: &str,
) -> Result<Vec<StoredInspection>, StoreError> {
    let rows = on_db!(db, |pool| {
        let rows = sqlx::query(
            "SELECT id, kind, level, inspected_on, inspectors, criteria_maintained, mark_used_correctly, findings, \
             outcome, action, action_deadline, ground, recorded_by FROM inspections \
             WHERE certificate_id = $1 ORDER BY inspected_on DESC, recorded_at DESC",
        )
        .bind(certificate_id)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| -> Result<StoredInspection, sqlx::Error> {
                let kind: String = row.try_get("kind")?;
                let level: String = row.try_get("level")?;
                let outcome: String = row.try_get("outcome")?;
                let action: Option<String> = row.try_get("action")?;
                let deadline: Option<NaiveDate> = row.try_get("action_deadline")?;
                let ground: Option<String> = row.try_get("ground")?;
                let outcome = match (outcome.as_str(), action, deadline, ground) {
                    ("corrective_action", Some(action), Some(deadline), _) => {
                        Outcome::CorrectiveAction { action, deadline }
                    }
                    ("revocation_proposed", _, _, Some(ground)) => {
                        Outcome::RevocationProposed { ground }
                    }
                    _ => Outcome::Passed,
                };
                Ok(StoredInspection {
                    id: row.try_get("id")?,
                    level: Level::parse(&level).unwrap_or(Level::Province),
                    report: Report {
                        kind: inspection::Kind::parse(&kind).unwrap_or(inspection::Kind::Periodic),
                        inspected_on: row.try_get("inspected_on")?,
                        inspectors: row.try_get("inspectors")?,
                        criteria_maintained: row.try_get("criteria_maintained")?,
                        mark_used_correctly: row.try_get("mark_used_correctly")?,
                        findings: row.try_get("findings")?,
                        outcome,
                    },
                    recorded_by: row.try_get("recorded_by")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(rows)
}
