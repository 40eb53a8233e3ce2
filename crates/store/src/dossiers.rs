//! Dossiers and their evidence, scoped like the registry. The rules (who may move a dossier,
//! what makes it complete) are `ocop_domain::dossier`'s; this module stores and audits.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::Row;

use ocop_domain::access::{Role, Scope};
use ocop_domain::audit::Changes;
use ocop_domain::dossier::{
    ChecklistItem, DossierAction, DossierState, EvaluationType, EvidenceType, TransitionError,
    transition,
};

use crate::clock::{new_id, now_ms};
use crate::files::StoredFile;
use crate::registry::scoped;
use crate::{Db, StoreError, audit, on_db, on_tx, registry};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dossier {
    pub id: String,
    pub product_id: String,
    pub entity_id: String,
    pub commune_code: String,
    pub province_code: String,
    pub evaluation_type: EvaluationType,
    pub state: DossierState,
    pub contact_phone: Option<String>,
    pub criteria_version: String,
    pub product_set: String,
    pub self_assessment: Option<BTreeMap<String, u32>>,
    pub self_assessment_total: Option<i64>,
    pub return_reason: Option<String>,
    /// When it was opened (ms): the filing date the transition rules look at.
    pub filed_at_ms: i64,
}

impl Dossier {
    /// The day it was filed (UTC).
    pub fn filed_on(&self) -> NaiveDate {
        chrono::DateTime::from_timestamp_millis(self.filed_at_ms)
            .map(|at| at.date_naive())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: String,
    pub evidence_type: EvidenceType,
    pub criterion_code: Option<String>,
    pub file_sha256: String,
    pub original_name: String,
    pub expires_on: Option<NaiveDate>,
}

/// Why a dossier change was refused.
#[derive(Debug, thiserror::Error)]
pub enum DossierError {
    #[error("no such dossier in your scope")]
    NotFound,
    #[error("a {0} dossier can no longer be changed by its producer")]
    NotEditable(&'static str),
    #[error("{0}")]
    Transition(TransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DossierError {
    fn from(error: sqlx::Error) -> DossierError {
        DossierError::Store(error.into())
    }
}

const DOSSIER_COLUMNS: &str = "id, product_id, entity_id, commune_code, province_code, evaluation_type, \
    state, contact_phone, criteria_version, product_set, self_assessment, self_assessment_total, return_reason, created_at";

fn dossier_from_row<R: Row>(row: &R) -> Result<Dossier, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let bad = |column: &str, text: String| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("unknown value {text}").into(),
    };
    let evaluation: String = row.try_get("evaluation_type")?;
    let state: String = row.try_get("state")?;
    let assessment: Option<String> = row.try_get("self_assessment")?;
    Ok(Dossier {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        entity_id: row.try_get("entity_id")?,
        commune_code: row.try_get("commune_code")?,
        province_code: row.try_get("province_code")?,
        evaluation_type: EvaluationType::parse(&evaluation)
            .ok_or_else(|| bad("evaluation_type", evaluation.clone()))?,
        state: DossierState::parse(&state).ok_or_else(|| bad("state", state.clone()))?,
        contact_phone: row.try_get("contact_phone")?,
        criteria_version: row.try_get("criteria_version")?,
        product_set: row.try_get("product_set")?,
        self_assessment: assessment
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|error| sqlx::Error::ColumnDecode {
                index: "self_assessment".into(),
                source: Box::new(error),
            })?,
        self_assessment_total: row.try_get("self_assessment_total")?,
        return_reason: row.try_get("return_reason")?,
        filed_at_ms: row.try_get("created_at")?,
    })
}

/// Dossiers within `scope`, optionally in one state, newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    state: Option<DossierState>,
) -> Result<Vec<Dossier>, StoreError> {
    Ok(scoped!(
        all,
        db,
        scope,
        format!("SELECT {DOSSIER_COLUMNS} FROM dossiers"),
        crate::registry::Scoped::Dossiers,
        "($3 = '' OR state = $3) ORDER BY updated_at DESC, id",
        state.map_or("", DossierState::as_str),
        dossier_from_row
    )?)
}

/// One dossier, if within `scope`.
pub async fn find(db: &Db, scope: &Scope, id: &str) -> Result<Option<Dossier>, StoreError> {
    Ok(scoped!(
        one,
        db,
        scope,
        format!("SELECT {DOSSIER_COLUMNS} FROM dossiers"),
        crate::registry::Scoped::Dossiers,
        "id = $3",
        id,
        dossier_from_row
    )?)
}

/// Opens a draft dossier for a product within `scope`.
/// What opening a dossier needs besides the product.
#[derive(Debug, Clone)]
pub struct Opening {
    pub evaluation_type: EvaluationType,
    pub contact_phone: Option<String>,
    /// The criteria version it is evaluated under (the caller asks the catalogue, e.g.
    /// `Catalog::version_for_new_dossier`); `None` keeps the product's.
    pub criteria_version: Option<String>,
    /// When it was filed, if not now (records brought in from before).
    pub filed_at_ms: Option<i64>,
}

pub async fn create(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    opening: Opening,
    actor: &str,
) -> Result<Dossier, DossierError> {
    let dossier = draft(db, scope, product_id, opening).await?;
    let mut tx = db.begin().await?;
    insert(&mut tx, &dossier, actor).await?;
    tx.commit().await?;
    Ok(dossier)
}

/// A new draft dossier of a product in scope, not yet stored.
async fn draft(
    db: &Db,
    scope: &Scope,
    product_id: &str,
    opening: Opening,
) -> Result<Dossier, DossierError> {
    let Opening {
        evaluation_type,
        contact_phone,
        criteria_version,
        filed_at_ms,
    } = opening;
    let product = registry::product(db, scope, product_id)
        .await?
        .ok_or(DossierError::NotFound)?;
    Ok(Dossier {
        id: new_id(),
        product_id: product.id.clone(),
        entity_id: product.entity_id.clone(),
        commune_code: product.commune_code.clone(),
        province_code: product.province_code.clone(),
        evaluation_type,
        state: DossierState::Draft,
        contact_phone,
        criteria_version: criteria_version.unwrap_or_else(|| product.criteria_version.clone()),
        product_set: product.product_set.clone(),
        self_assessment: None,
        self_assessment_total: None,
        return_reason: None,
        filed_at_ms: filed_at_ms.unwrap_or_else(now_ms),
    })
}

async fn insert(tx: &mut crate::Tx, dossier: &Dossier, actor: &str) -> Result<(), DossierError> {
    let evaluation_type = dossier.evaluation_type;
    let now = dossier.filed_at_ms;
    on_tx!(&mut *tx, |conn| {
        sqlx::query(
        "INSERT INTO dossiers (id, product_id, entity_id, commune_code, province_code, evaluation_type, state, \
         contact_phone, criteria_version, product_set, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
    )
    .bind(&dossier.id)
    .bind(&dossier.product_id)
    .bind(&dossier.entity_id)
    .bind(&dossier.commune_code)
    .bind(&dossier.province_code)
    .bind(evaluation_type.as_str())
    .bind(DossierState::Draft.as_str())
    .bind(&dossier.contact_phone)
    .bind(&dossier.criteria_version)
    .bind(&dossier.product_set)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("product_id", &dossier.product_id)
        .created("evaluation_type", evaluation_type.as_str())
        .created("state", DossierState::Draft.as_str())
        .created("contact_phone", &dossier.contact_phone)
        .created("criteria_version", &dossier.criteria_version);
    audit::append(
        tx,
        actor,
        "dossier.create",
        "dossier",
        &dossier.id,
        &changes,
    )
    .await?;
    Ok(())
}

/// An evidence row as copied: (id, type, criterion, file, original name, expiry).
type EvidenceRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<NaiveDate>,
);

/// Opens a dossier pre-filled from an earlier one of the same product (a re-evaluation from the
/// last evaluation): the contact, the self-assessment and every evidence document (files are
/// content-addressed, so nothing is copied on disk). The producer then updates what changed.
pub async fn create_from(
    db: &Db,
    scope: &Scope,
    source_id: &str,
    opening: Opening,
    actor: &str,
) -> Result<Dossier, DossierError> {
    let source = find(db, scope, source_id)
        .await?
        .ok_or(DossierError::NotFound)?;
    let opening = Opening {
        contact_phone: opening.contact_phone.or(source.contact_phone.clone()),
        ..opening
    };
    let dossier = draft(db, scope, &source.product_id, opening).await?;
    let mut tx = db.begin().await?;
    insert(&mut tx, &dossier, actor).await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE dossiers SET self_assessment = $1, self_assessment_total = $2 WHERE id = $3",
        )
        .bind(
            source
                .self_assessment
                .as_ref()
                .and_then(|c| serde_json::to_string(c).ok()),
        )
        .bind(source.self_assessment_total)
        .bind(&dossier.id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    let copied: Vec<EvidenceRow> = on_tx!(&mut tx, |conn| {
        sqlx::query_as(
            "SELECT id, evidence_type, criterion_code, file_sha256, original_name, expires_on \
                 FROM evidence WHERE dossier_id = $1 ORDER BY created_at, id",
        )
        .bind(source_id)
        .fetch_all(&mut *conn)
        .await
    })?;
    for (_, evidence_type, criterion, sha, name, expires_on) in &copied {
        on_tx!(&mut tx, |conn| {
            sqlx::query(
                "INSERT INTO evidence (id, dossier_id, evidence_type, criterion_code, file_sha256, original_name, \
                 expires_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(new_id())
            .bind(&dossier.id)
            .bind(evidence_type)
            .bind(criterion)
            .bind(sha)
            .bind(name)
            .bind(expires_on)
            .bind(now_ms())
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
        })?;
    }
    let changes = Changes::new()
        .created("prefilled_from", source_id)
        .created("evidence", copied.len())
        .created("self_assessment_total", source.self_assessment_total);
    audit::append(
        &mut tx,
        actor,
        "dossier.prefill",
        "dossier",
        &dossier.id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Dossier {
        self_assessment: source.self_assessment,
        self_assessment_total: source.self_assessment_total,
        ..dossier
    })
}

/// The dossier, in scope and still editable by its producer.
async fn editable(db: &Db, scope: &Scope, id: &str) -> Result<Dossier, DossierError> {
    let dossier = find(db, scope, id).await?.ok_or(DossierError::NotFound)?;
    if !dossier.state.editable() {
        return Err(DossierError::NotEditable(dossier.state.as_str()));
    }
    Ok(dossier)
}

/// Saves the producer's self-assessment, already checked against the sheet by the caller
/// (`ocop_domain::criteria::score_card`), with its total.
pub async fn save_self_assessment(
    db: &Db,
    scope: &Scope,
    id: &str,
    choices: &BTreeMap<String, u32>,
    total: u32,
    actor: &str,
) -> Result<(), DossierError> {
    let dossier = editable(db, scope, id).await?;
    let json = serde_json::to_string(choices).unwrap_or_else(|_| "{}".into());
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "UPDATE dossiers SET self_assessment = $1, self_assessment_total = $2, updated_at = $3 WHERE id = $4"
    )
    .bind(&json)
    .bind(i64::from(total))
    .bind(now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .field("self_assessment", &dossier.self_assessment, choices)
        .field(
            "self_assessment_total",
            dossier.self_assessment_total,
            total,
        );
    audit::append(
        &mut tx,
        actor,
        "dossier.self_assess",
        "dossier",
        id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Attaches a stored file as evidence of a type (optionally for one criterion).
#[allow(clippy::too_many_arguments)]
pub async fn add_evidence(
    db: &Db,
    scope: &Scope,
    id: &str,
    evidence_type: EvidenceType,
    criterion_code: Option<String>,
    file: &StoredFile,
    original_name: &str,
    expires_on: Option<NaiveDate>,
    actor: &str,
) -> Result<Evidence, DossierError> {
    editable(db, scope, id).await?;
    let evidence = Evidence {
        id: new_id(),
        evidence_type,
        criterion_code,
        file_sha256: file.sha256.clone(),
        original_name: original_name.chars().take(200).collect(),
        expires_on,
    };
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO evidence (id, dossier_id, evidence_type, criterion_code, file_sha256, original_name, expires_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(&evidence.id)
    .bind(id)
    .bind(evidence_type.as_str())
    .bind(&evidence.criterion_code)
    .bind(&evidence.file_sha256)
    .bind(&evidence.original_name)
    .bind(evidence.expires_on)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("evidence_type", evidence_type.as_str())
        .created("criterion_code", &evidence.criterion_code)
        .created("file_sha256", &evidence.file_sha256)
        .created("original_name", &evidence.original_name)
        .created("expires_on", evidence.expires_on);
    audit::append(
        &mut tx,
        actor,
        "dossier.add_evidence",
        "dossier",
        id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(evidence)
}

/// A dossier's evidence, oldest first. The caller has found the dossier in scope.
pub async fn evidence(db: &Db, dossier_id: &str) -> Result<Vec<Evidence>, StoreError> {
    let rows = on_db!(db, |pool| {
        let rows = sqlx::query(
            "SELECT id, evidence_type, criterion_code, file_sha256, original_name, expires_on \
             FROM evidence WHERE dossier_id = $1 ORDER BY created_at, id",
        )
        .bind(dossier_id)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("evidence_type")?;
                Ok::<_, sqlx::Error>(Evidence {
                    id: row.try_get("id")?,
                    evidence_type: EvidenceType::parse(&kind).unwrap_or(EvidenceType::Other),
                    criterion_code: row.try_get("criterion_code")?,
                    file_sha256: row.try_get("file_sha256")?,
                    original_name: row.try_get("original_name")?,
                    expires_on: row.try_get("expires_on")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(rows)
}

/// Moves a dossier by `action`, if `role` may and the state allows; `missing` is the checklist's
/// missing items (submissions need none). Audited with the state before and after.
pub async fn apply(
    db: &Db,
    scope: &Scope,
    id: &str,
    action: &DossierAction,
    role: Role,
    missing: &[ChecklistItem],
    actor: &str,
) -> Result<Dossier, DossierError> {
    let dossier = find(db, scope, id).await?.ok_or(DossierError::NotFound)?;
    let next =
        transition(dossier.state, action, role, missing).map_err(DossierError::Transition)?;
    let reason = action.reason();
    let mut tx = db.begin().await?;
    // The state in the WHERE clause: two officers acting at once cannot both move it.
    let moved = on_tx!(&mut tx, |conn| {
        sqlx::query(
        "UPDATE dossiers SET state = $1, return_reason = $2, updated_at = $3 WHERE id = $4 AND state = $5"
    )
    .bind(next.as_str())
    .bind(&reason)
    .bind(now_ms())
    .bind(id)
    .bind(dossier.state.as_str())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    if moved == 0 {
        return Err(DossierError::Transition(TransitionError::WrongState {
            state: dossier.state,
            action: action.past(),
        }));
    }
    if next == DossierState::Submitted {
        // The first filing counts (Điều 12.3 looks at when a re-evaluation was filed).
        on_tx!(&mut tx, |conn| {
            sqlx::query("UPDATE dossiers SET filed_on = $1 WHERE id = $2 AND filed_on IS NULL")
                .bind(crate::clock::today())
                .bind(id)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())
        })?;
    }
    let changes = Changes::new()
        .field("state", dossier.state.as_str(), next.as_str())
        .field("return_reason", &dossier.return_reason, &reason);
    audit::append(
        &mut tx,
        actor,
        &format!("dossier.{}", action.as_str()),
        "dossier",
        id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Dossier {
        state: next,
        return_reason: reason,
        ..dossier
    })
}

/// The commune's Mẫu 03 report on a dossier, with who wrote it and when (ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub report: ocop_domain::dossier::CommuneReport,
    pub written_by: String,
    pub written_at: i64,
}

/// The commune's report, if written. The caller has found the dossier in scope.
pub async fn commune_report(db: &Db, dossier_id: &str) -> Result<Option<StoredReport>, StoreError> {
    let row: Option<(String, String, String, String, String, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT local_materials, local_labour, idea_origin, local_identity, written_by, written_at \
             FROM commune_reports WHERE dossier_id = $1",
        )
        .bind(dossier_id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.map(
        |(local_materials, local_labour, idea_origin, local_identity, written_by, written_at)| {
            StoredReport {
                report: ocop_domain::dossier::CommuneReport {
                    local_materials,
                    local_labour,
                    idea_origin,
                    local_identity,
                },
                written_by,
                written_at,
            }
        },
    ))
}

/// Writes (or rewrites) the commune's Mẫu 03 report on a dossier it is checking (submitted or
/// accepted), already checked by the caller (`CommuneReport::check`). Audited field by field.
pub async fn save_commune_report(
    db: &Db,
    scope: &Scope,
    id: &str,
    report: &ocop_domain::dossier::CommuneReport,
    actor: &str,
) -> Result<(), DossierError> {
    let dossier = find(db, scope, id).await?.ok_or(DossierError::NotFound)?;
    if !matches!(
        dossier.state,
        DossierState::Submitted | DossierState::Accepted
    ) {
        return Err(DossierError::Transition(TransitionError::WrongState {
            state: dossier.state,
            action: "reported on",
        }));
    }
    let before = commune_report(db, id).await?.map(|stored| stored.report);
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO commune_reports (dossier_id, local_materials, local_labour, idea_origin, local_identity, \
             written_by, written_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dossier_id) DO UPDATE SET \
             local_materials = excluded.local_materials, local_labour = excluded.local_labour, \
             idea_origin = excluded.idea_origin, local_identity = excluded.local_identity, \
             written_by = excluded.written_by, written_at = excluded.written_at",
        )
        .bind(id)
        .bind(report.local_materials.trim())
        .bind(report.local_labour.trim())
        .bind(report.idea_origin.trim())
        .bind(report.local_identity.trim())
        .bind(actor)
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    let old = |pick: fn(&ocop_domain::dossier::CommuneReport) -> &String| {
        before.as_ref().map(|r| pick(r).clone())
    };
    let changes = Changes::new()
        .field(
            "local_materials",
            old(|r| &r.local_materials),
            report.local_materials.trim(),
        )
        .field(
            "local_labour",
            old(|r| &r.local_labour),
            report.local_labour.trim(),
        )
        .field(
            "idea_origin",
            old(|r| &r.idea_origin),
            report.idea_origin.trim(),
        )
        .field(
            "local_identity",
            old(|r| &r.local_identity),
            report.local_identity.trim(),
        );
    audit::append(
        &mut tx,
        actor,
        "dossier.commune_report",
        "dossier",
        id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The advisory group's pre-assessment of a dossier (tổ tư vấn, Điều 7.3.c).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreAssessment {
    pub samples_received: Option<u32>,
    pub samples_received_on: Option<NaiveDate>,
    pub site_visit_note: String,
    /// A preliminary card on the same sheet, and its total.
    pub preliminary_card: Option<BTreeMap<String, u32>>,
    pub preliminary_total: Option<u32>,
}

/// The pre-assessment, if recorded. The caller has found the dossier in scope.
pub async fn pre_assessment(
    db: &Db,
    dossier_id: &str,
) -> Result<Option<PreAssessment>, StoreError> {
    type Row = (
        Option<i64>,
        Option<NaiveDate>,
        String,
        Option<String>,
        Option<i64>,
    );
    let row: Option<Row> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT samples_received, samples_received_on, site_visit_note, preliminary_card, preliminary_total \
             FROM pre_assessments WHERE dossier_id = $1",
        )
        .bind(dossier_id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.map(|(samples, on, note, card, total)| PreAssessment {
        samples_received: samples.map(|s| s as u32),
        samples_received_on: on,
        site_visit_note: note,
        preliminary_card: card.and_then(|text| serde_json::from_str(&text).ok()),
        preliminary_total: total.map(|t| t as u32),
    }))
}

/// Records the advisory group's pre-assessment of a dossier the province has taken in (or that
/// is in a round), already checked by the caller. Audited.
pub async fn save_pre_assessment(
    db: &Db,
    scope: &Scope,
    id: &str,
    assessment: &PreAssessment,
    actor: &str,
) -> Result<(), DossierError> {
    let dossier = find(db, scope, id).await?.ok_or(DossierError::NotFound)?;
    if !matches!(dossier.state, DossierState::TakenIn | DossierState::InRound) {
        return Err(DossierError::Transition(TransitionError::WrongState {
            state: dossier.state,
            action: "pre-assessed",
        }));
    }
    let card = assessment
        .preliminary_card
        .as_ref()
        .map(|card| serde_json::to_string(card).unwrap_or_else(|_| "{}".into()));
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO pre_assessments (dossier_id, samples_received, samples_received_on, site_visit_note, \
             preliminary_card, preliminary_total, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (dossier_id) DO UPDATE SET samples_received = excluded.samples_received, \
             samples_received_on = excluded.samples_received_on, site_visit_note = excluded.site_visit_note, \
             preliminary_card = excluded.preliminary_card, preliminary_total = excluded.preliminary_total, \
             recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
        )
        .bind(id)
        .bind(assessment.samples_received.map(i64::from))
        .bind(assessment.samples_received_on)
        .bind(assessment.site_visit_note.trim())
        .bind(&card)
        .bind(assessment.preliminary_total.map(i64::from))
        .bind(actor)
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("samples_received", assessment.samples_received)
        .created("samples_received_on", assessment.samples_received_on)
        .created("site_visit_note", assessment.site_visit_note.trim())
        .created("preliminary_total", assessment.preliminary_total);
    audit::append(
        &mut tx,
        actor,
        "dossier.pre_assess",
        "dossier",
        id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
