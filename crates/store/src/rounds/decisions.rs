//! Decisions on a closed round's products and what follows them: the dossier's next state,
//! the province's step on a central result below 90, legacy rounds' results, the scores a
//! province and the ministry gave the same product.

use chrono::NaiveDate;

use ocop_domain::audit::Changes;
use ocop_domain::dossier::DossierState;
use ocop_domain::rounds::decision::{DecisionNumber, ProductOutcome};
use ocop_domain::rounds::{RoundError, RoundKind, RoundState};

use ocop_domain::criteria::Catalog;

use crate::certificates::{self, IssueError, Recognition};
use crate::clock::{new_id, now_ms};
use crate::{Db, StoreError, Tx, audit, on_db, on_tx};

use super::*;

/// The kept outcome of a round product.
pub fn outcome_of(product: &RoundProduct) -> Option<ProductOutcome> {
    product
        .outcome
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
}

/// A decision's head as signed: its number, date and signer.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub number: &'a DecisionNumber,
    pub signed_on: NaiveDate,
    pub signer: &'a str,
}

/// Records a recognition decision on products of a closed round (the caller checked the form
/// with `ocop_domain::rounds::decision::check`), and moves each dossier on
/// (`ocop_domain::dossier::after_round`). All or nothing.
pub async fn record_decision(
    db: &Db,
    catalog: &Catalog,
    round: &Round,
    signed: &Signed<'_>,
    products: &[RoundProduct],
    actor: &str,
) -> Result<Decision, RoundStoreError> {
    let Signed {
        number,
        signed_on,
        signer,
    } = *signed;
    if round.state != RoundState::Closed {
        return Err(RoundError::WrongState {
            state: round.state,
            action: "decided before it is closed",
        }
        .into());
    }
    let decision = Decision {
        id: new_id(),
        round_id: round.id.clone(),
        number: number.as_str().to_string(),
        signed_on,
        signer: signer.trim().to_string(),
        items: Vec::new(),
    };
    let mut tx = db.begin().await?;
    insert_decision(&mut tx, &decision, actor).await?;
    let mut items = Vec::new();
    for product in products {
        let outcome = outcome_of(product)
            .filter(|_| product.round_id == round.id)
            .ok_or(RoundStoreError::Invalid("products", "no_result"))?;
        let stars = outcome.recognised_stars();
        let decided: i64 = on_tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT COUNT(*) FROM decision_items WHERE round_product_id = $1")
                .bind(&product.id)
                .fetch_one(&mut *conn)
                .await
        })?;
        if decided > 0 {
            return Err(RoundStoreError::Invalid("products", "already_decided"));
        }
        insert_item(&mut tx, &decision.id, &product.id, outcome.as_str(), stars).await?;
        if let Some(stars) = stars {
            issue_certificate(
                &mut tx,
                catalog,
                &decision,
                product,
                stars,
                &certificates::IssueTerms::default(),
                actor,
            )
            .await?;
        }
        move_dossier(
            &mut tx,
            &product.dossier_id,
            DossierState::InRound,
            ocop_domain::dossier::after_round(outcome),
            actor,
            "dossier.decided",
        )
        .await?;
        items.push((product.id.clone(), outcome.as_str().to_string(), stars));
    }
    let changes = Changes::new()
        .created("number", &decision.number)
        .created("signed_on", signed_on)
        .created("signer", &decision.signer)
        .created(
            "products",
            items
                .iter()
                .map(|(id, outcome, _)| format!("{id}: {outcome}"))
                .collect::<Vec<_>>(),
        );
    audit::append(
        &mut tx,
        actor,
        "round.decision",
        "round",
        &round.id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Decision { items, ..decision })
}

/// The certificate of a product the decision recognises, in the decision's transaction.
async fn issue_certificate(
    tx: &mut Tx,
    catalog: &Catalog,
    decision: &Decision,
    product: &RoundProduct,
    stars: u8,
    terms: &certificates::IssueTerms<'_>,
    actor: &str,
) -> Result<String, RoundStoreError> {
    let recognition = Recognition {
        decision_id: &decision.id,
        decided_on: decision.signed_on,
        round_product_id: &product.id,
        product_id: &product.product_id,
        product_code: &product.product_code,
        entity_id: &product.entity_id,
        commune_code: &product.commune_code,
        province_code: &product.province_code,
        criteria_version: &product.criteria_version,
        evaluation_type: product.evaluation_type,
        stars,
        score: product.final_score,
    };
    match certificates::issue_with(tx, catalog, &recognition, terms, actor).await {
        Ok(id) => Ok(id),
        Err(IssueError::SupersedesRevoked(_)) => {
            Err(RoundStoreError::Invalid("products", "supersedes_revoked"))
        }
        Err(IssueError::UnknownVersion(version)) => Err(RoundStoreError::Store(StoreError::Data(
            format!("unknown criteria version {version}"),
        ))),
        Err(IssueError::Store(error)) => Err(error.into()),
    }
}

async fn insert_item(
    tx: &mut Tx,
    decision_id: &str,
    round_product_id: &str,
    outcome: &str,
    stars: Option<u8>,
) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO decision_items (decision_id, round_product_id, outcome, stars) VALUES ($1, $2, $3, $4)",
        )
        .bind(decision_id)
        .bind(round_product_id)
        .bind(outcome)
        .bind(stars.map(i64::from))
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Inserts a decision's head, refusing a number already recorded with its date.
async fn insert_decision(
    tx: &mut Tx,
    decision: &Decision,
    actor: &str,
) -> Result<(), RoundStoreError> {
    let inserted = on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO decisions (id, round_id, number, signed_on, signer, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (number, signed_on) DO NOTHING",
        )
        .bind(&decision.id)
        .bind(&decision.round_id)
        .bind(&decision.number)
        .bind(decision.signed_on)
        .bind(&decision.signer)
        .bind(actor)
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if inserted == 0 {
        return Err(RoundStoreError::Invalid("number", "number_taken"));
    }
    Ok(())
}

/// What the province does with a product the ministry's council scored below 90 (26/2026 Điều
/// 7.4.g): recognise it on the central result (a decision of its own), or evaluate it again.
#[derive(Debug, Clone)]
pub enum Fallback {
    Recognise {
        number: DecisionNumber,
        signed_on: NaiveDate,
        signer: String,
        stars: u8,
    },
    Reevaluate {
        reason: String,
    },
}

/// The province's step on a central result below 90; the dossier moves from "below the
/// ministry's threshold" to recognised, or back to taken in for a new provincial round.
pub async fn fallback(
    db: &Db,
    catalog: &Catalog,
    round: &Round,
    product: &RoundProduct,
    step: &Fallback,
    actor: &str,
) -> Result<Option<Decision>, RoundStoreError> {
    let mut tx = db.begin().await?;
    let decision = match step {
        Fallback::Recognise {
            number,
            signed_on,
            signer,
            stars,
        } => {
            let decision = Decision {
                id: new_id(),
                round_id: round.id.clone(),
                number: number.as_str().to_string(),
                signed_on: *signed_on,
                signer: signer.trim().to_string(),
                items: vec![(product.id.clone(), "recognised".into(), Some(*stars))],
            };
            insert_decision(&mut tx, &decision, actor).await?;
            insert_item(
                &mut tx,
                &decision.id,
                &product.id,
                "recognised",
                Some(*stars),
            )
            .await?;
            issue_certificate(
                &mut tx,
                catalog,
                &decision,
                product,
                *stars,
                &certificates::IssueTerms::default(),
                actor,
            )
            .await?;
            move_dossier(
                &mut tx,
                &product.dossier_id,
                DossierState::BelowMinistryThreshold,
                DossierState::Recognised,
                actor,
                "dossier.recognised_on_central_result",
            )
            .await?;
            let changes = Changes::new()
                .created("number", &decision.number)
                .created("signed_on", signed_on)
                .created("stars", stars);
            audit::append(
                &mut tx,
                actor,
                "round.fallback_decision",
                "round_product",
                &product.id,
                &changes,
            )
            .await?;
            Some(decision)
        }
        Fallback::Reevaluate { reason } => {
            move_dossier(
                &mut tx,
                &product.dossier_id,
                DossierState::BelowMinistryThreshold,
                DossierState::TakenIn,
                actor,
                "dossier.reevaluate_at_province",
            )
            .await?;
            let changes = Changes::new().created("reason", reason.trim());
            audit::append(
                &mut tx,
                actor,
                "round.fallback_reevaluate",
                "round_product",
                &product.id,
                &changes,
            )
            .await?;
            None
        }
    };
    tx.commit().await?;
    Ok(decision)
}

/// A result of a round held before the system (a legacy round), as it was decided.
#[derive(Debug, Clone)]
pub struct LegacyResult {
    pub product_id: String,
    pub criteria_version: String,
    /// Hundredths of a point (unknown for some recognitions brought in from old records).
    pub score: Option<i64>,
    pub stars: u8,
    pub outcome: ProductOutcome,
    /// The recognition decision, when it is known: a recognised product then gets its
    /// certificate in the register, issued on the decision's date.
    pub decision: Option<LegacyDecision>,
}

/// A legacy round's recognition decision.
#[derive(Debug, Clone)]
pub struct LegacyDecision {
    pub number: DecisionNumber,
    pub signed_on: NaiveDate,
    pub signer: String,
}

/// Records a legacy round's result for a product: a dossier in its final state, filed on the
/// meeting day under the version given, and the round product with the result kept. Audited.
pub async fn record_legacy_result(
    db: &Db,
    catalog: &Catalog,
    round: &Round,
    result: &LegacyResult,
    actor: &str,
) -> Result<RoundProduct, RoundStoreError> {
    let product = crate::registry::product(
        db,
        &ocop_domain::access::Scope::National,
        &result.product_id,
    )
    .await?
    .ok_or(RoundStoreError::NotFound)?;
    let entity_type: String = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT kind FROM entities WHERE id = $1")
            .bind(&product.entity_id)
            .fetch_one(pool)
            .await
    })?;
    let mut tx = db.begin().await?;
    let recorded = legacy_result_in(
        &mut tx,
        catalog,
        round,
        &product,
        &entity_type,
        result,
        &certificates::IssueTerms::default(),
        actor,
    )
    .await?;
    tx.commit().await?;
    self::product(db, &round.id, &recorded.round_product_id)
        .await?
        .ok_or(RoundStoreError::NotFound)
}

/// What recording a legacy result wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyRecorded {
    pub round_product_id: String,
    pub dossier_id: String,
    /// The certificate its decision issued, if it recognised the product.
    pub certificate_id: Option<String>,
}

/// [`record_legacy_result`] in the caller's transaction (an import records many), with the
/// terms of the certificate a recognition issues.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn legacy_result_in(
    tx: &mut Tx,
    catalog: &Catalog,
    round: &Round,
    product: &crate::registry::Product,
    entity_type: &str,
    result: &LegacyResult,
    terms: &certificates::IssueTerms<'_>,
    actor: &str,
) -> Result<LegacyRecorded, RoundStoreError> {
    if round.kind != RoundKind::Legacy {
        return Err(RoundStoreError::Invalid("round", "not_legacy"));
    }
    let filed_at = round
        .meeting_on
        .and_hms_opt(9, 0, 0)
        .map_or(0, |at| at.and_utc().timestamp_millis());
    let state = ocop_domain::dossier::after_round(result.outcome);
    let (dossier_id, id) = (new_id(), new_id());
    on_tx!(&mut *tx, |conn| {
        sqlx::query(
            "INSERT INTO dossiers (id, product_id, entity_id, commune_code, province_code, evaluation_type, state, \
             criteria_version, product_set, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'first_time', $6, $7, $8, $9, $9)",
        )
        .bind(&dossier_id)
        .bind(&product.id)
        .bind(&product.entity_id)
        .bind(&product.commune_code)
        .bind(&product.province_code)
        .bind(state.as_str())
        .bind(&result.criteria_version)
        .bind(&product.product_set)
        .bind(filed_at)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    on_tx!(&mut *tx, |conn| {
        sqlx::query(
            "INSERT INTO round_products (id, round_id, dossier_id, product_id, entity_id, commune_code, \
             province_code, criteria_version, product_set, entity_type, pass, disqualifications, \
             final_score, final_stars, outcome, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, '[]', $11, $12, $13, $14)",
        )
        .bind(&id)
        .bind(&round.id)
        .bind(&dossier_id)
        .bind(&product.id)
        .bind(&product.entity_id)
        .bind(&product.commune_code)
        .bind(&product.province_code)
        .bind(&result.criteria_version)
        .bind(&product.product_set)
        .bind(entity_type)
        .bind(result.score)
        .bind(i64::from(result.stars))
        .bind(serde_json::to_string(&result.outcome).unwrap_or_default())
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("product_id", &product.id)
        .created("criteria_version", &result.criteria_version)
        .created("score", result.score)
        .created("stars", result.stars)
        .created("outcome", result.outcome.as_str());
    audit::append(
        tx,
        actor,
        "round.legacy_result",
        "round",
        &round.id,
        &changes,
    )
    .await?;
    let changes = Changes::new()
        .created("state", state.as_str())
        .created("criteria_version", &result.criteria_version);
    audit::append(
        tx,
        actor,
        "dossier.legacy_result",
        "dossier",
        &dossier_id,
        &changes,
    )
    .await?;
    let mut certificate_id = None;
    if let Some(signed) = &result.decision {
        let decision = legacy_decision(tx, round, signed, actor).await?;
        let stars = result.outcome.recognised_stars();
        insert_item(tx, &decision.id, &id, result.outcome.as_str(), stars).await?;
        if let Some(stars) = stars {
            let recognised = RoundProduct {
                id: id.clone(),
                round_id: round.id.clone(),
                dossier_id: dossier_id.clone(),
                product_id: product.id.clone(),
                product_code: product.code.clone(),
                product_name: product.name.clone(),
                entity_id: product.entity_id.clone(),
                entity_name: String::new(),
                entity_type: ocop_domain::criteria::EntityType::parse(entity_type)
                    .unwrap_or(ocop_domain::criteria::EntityType::Cooperative),
                commune_code: product.commune_code.clone(),
                province_code: product.province_code.clone(),
                criteria_version: result.criteria_version.clone(),
                product_set: product.product_set.clone(),
                pass: 1,
                disqualifications: Vec::new(),
                final_score: result.score,
                final_stars: Some(result.stars),
                outcome: None,
                source_id: None,
                evaluation_type: ocop_domain::dossier::EvaluationType::FirstTime,
                taken_in_at: None,
            };
            certificate_id = Some(
                issue_certificate(tx, catalog, &decision, &recognised, stars, terms, actor).await?,
            );
        }
    }
    Ok(LegacyRecorded {
        round_product_id: id,
        dossier_id,
        certificate_id,
    })
}

/// The legacy round's decision with this number and date, recorded on first use (several
/// products recorded one by one share it).
async fn legacy_decision(
    tx: &mut Tx,
    round: &Round,
    signed: &LegacyDecision,
    actor: &str,
) -> Result<Decision, RoundStoreError> {
    let existing: Option<(String, String)> = on_tx!(&mut *tx, |conn| {
        sqlx::query_as("SELECT id, round_id FROM decisions WHERE number = $1 AND signed_on = $2")
            .bind(signed.number.as_str())
            .bind(signed.signed_on)
            .fetch_optional(&mut *conn)
            .await
    })?;
    let decision = Decision {
        id: new_id(),
        round_id: round.id.clone(),
        number: signed.number.as_str().to_string(),
        signed_on: signed.signed_on,
        signer: signed.signer.trim().to_string(),
        items: Vec::new(),
    };
    match existing {
        Some((id, round_id)) if round_id == round.id => Ok(Decision { id, ..decision }),
        Some(_) => Err(RoundStoreError::Invalid("decision_number", "number_taken")),
        None => {
            insert_decision(tx, &decision, actor).await?;
            Ok(decision)
        }
    }
}

/// The decisions recorded on a round.
pub async fn decisions(db: &Db, round_id: &str) -> Result<Vec<Decision>, StoreError> {
    let heads: Vec<(String, String, NaiveDate, String)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, number, signed_on, signer FROM decisions WHERE round_id = $1 ORDER BY signed_on, recorded_at",
        )
        .bind(round_id)
        .fetch_all(pool)
        .await
    })?;
    let mut decisions = Vec::new();
    for (id, number, signed_on, signer) in heads {
        let items: Vec<(String, String, Option<i64>)> = on_db!(db, |pool| {
            sqlx::query_as(
                "SELECT round_product_id, outcome, stars FROM decision_items WHERE decision_id = $1 ORDER BY round_product_id",
            )
            .bind(&id)
            .fetch_all(pool)
            .await
        })?;
        decisions.push(Decision {
            id,
            round_id: round_id.to_string(),
            number,
            signed_on,
            signer,
            items: items
                .into_iter()
                .map(|(rp, outcome, stars)| (rp, outcome, stars.map(|s| s as u8)))
                .collect(),
        });
    }
    Ok(decisions)
}

/// Scores of products that went from a province's round to the ministry's: (province code,
/// province's round product, province's score, ministry's round product, ministry's score), in
/// hundredths, for kept results only.
pub async fn province_and_central_scores(
    db: &Db,
) -> Result<Vec<(String, String, i64, String, i64)>, StoreError> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT p.province_code, p.id, p.final_score, c.id, c.final_score FROM round_products c \
             JOIN round_products p ON p.id = c.source_id \
             WHERE p.final_score IS NOT NULL AND c.final_score IS NOT NULL ORDER BY p.province_code, p.id",
        )
        .fetch_all(pool)
        .await
    })?)
}

/// The star a product holds by its latest decision, if any.
pub async fn recognised_stars(db: &Db, product_id: &str) -> Result<Option<u8>, StoreError> {
    let stars: Option<Option<i64>> = on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT i.stars FROM decision_items i JOIN decisions d ON d.id = i.decision_id \
             JOIN round_products rp ON rp.id = i.round_product_id \
             WHERE rp.product_id = $1 AND i.stars IS NOT NULL ORDER BY d.signed_on DESC, d.recorded_at DESC",
        )
        .bind(product_id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(stars.flatten().map(|s| s as u8))
}

/// A province's result on a product that went to the ministry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceResult {
    pub round: String,
    /// Hundredths of a point, as kept when the round closed.
    pub score: i64,
    pub stars: u8,
    /// The decision that approved it.
    pub decision: Option<String>,
}

/// The province's result on a product that went to the ministry: its round's name, the kept
/// score and star, and the decision that approved it.
pub async fn source_summary(
    db: &Db,
    round_product_id: &str,
) -> Result<Option<SourceResult>, StoreError> {
    type Row = (String, Option<i64>, Option<i64>, Option<String>);
    let row: Option<Row> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT r.name, rp.final_score, rp.final_stars, \
             (SELECT d.number FROM decision_items i JOIN decisions d ON d.id = i.decision_id \
              WHERE i.round_product_id = rp.id ORDER BY d.signed_on LIMIT 1) \
             FROM round_products rp JOIN rounds r ON r.id = rp.round_id WHERE rp.id = $1",
        )
        .bind(round_product_id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.and_then(|(round, score, stars, decision)| {
        Some(SourceResult {
            round,
            score: score?,
            stars: stars? as u8,
            decision,
        })
    }))
}
