//! A round's products and the members' cards: adding a taken-in dossier, drafts and one
//! submission per member and pass, re-scores that keep every earlier pass.

use std::collections::BTreeMap;

use sqlx::Row;

use ocop_domain::audit::Changes;
use ocop_domain::criteria::{EntityType, Level};
use ocop_domain::dossier::{DossierState, EvaluationType};
use ocop_domain::rounds::scoring::CardError;
use ocop_domain::rounds::{RoundError, RoundState};

use crate::clock::{new_id, now_ms};
use crate::{Db, StoreError, audit, on_db, on_tx};

use super::*;

const PRODUCT_SELECT: &str = "SELECT rp.id, rp.round_id, rp.dossier_id, rp.product_id, p.code AS product_code, \
     p.name AS product_name, rp.entity_id, e.name AS entity_name, rp.entity_type, rp.commune_code, rp.province_code, \
     rp.criteria_version, rp.product_set, rp.pass, rp.disqualifications, rp.final_score, rp.final_stars, \
     rp.outcome, rp.source_id, d.evaluation_type, \
     (SELECT MAX(a.at_ms) FROM audit_log a WHERE a.object_type = 'dossier' AND a.object_id = rp.dossier_id \
      AND a.action = 'dossier.take_in') AS taken_in_at \
     FROM round_products rp JOIN products p ON p.id = rp.product_id JOIN entities e ON e.id = rp.entity_id \
     JOIN dossiers d ON d.id = rp.dossier_id";

fn product_from_row<R: Row>(row: &R) -> Result<RoundProduct, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let entity_type: String = row.try_get("entity_type")?;
    let disqualifications: String = row.try_get("disqualifications")?;
    let pass: i64 = row.try_get("pass")?;
    let stars: Option<i64> = row.try_get("final_stars")?;
    let evaluation_type: String = row.try_get("evaluation_type")?;
    Ok(RoundProduct {
        id: row.try_get("id")?,
        round_id: row.try_get("round_id")?,
        dossier_id: row.try_get("dossier_id")?,
        product_id: row.try_get("product_id")?,
        product_code: row.try_get("product_code")?,
        product_name: row.try_get("product_name")?,
        entity_id: row.try_get("entity_id")?,
        entity_name: row.try_get("entity_name")?,
        entity_type: EntityType::parse(&entity_type)
            .ok_or_else(|| decode("entity_type", entity_type.clone()))?,
        commune_code: row.try_get("commune_code")?,
        province_code: row.try_get("province_code")?,
        criteria_version: row.try_get("criteria_version")?,
        product_set: row.try_get("product_set")?,
        pass: pass as u32,
        disqualifications: serde_json::from_str(&disqualifications).map_err(|error| {
            sqlx::Error::ColumnDecode {
                index: "disqualifications".into(),
                source: Box::new(error),
            }
        })?,
        final_score: row.try_get("final_score")?,
        final_stars: stars.map(|s| s as u8),
        outcome: row.try_get("outcome")?,
        source_id: row.try_get("source_id")?,
        evaluation_type: EvaluationType::parse(&evaluation_type)
            .ok_or_else(|| decode("evaluation_type", evaluation_type.clone()))?,
        taken_in_at: row.try_get("taken_in_at")?,
    })
}

/// The round's products, by product code.
pub async fn products(db: &Db, round_id: &str) -> Result<Vec<RoundProduct>, StoreError> {
    let sql = format!("{PRODUCT_SELECT} WHERE rp.round_id = $1 ORDER BY p.code, rp.id");
    Ok(on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(round_id)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(product_from_row)
            .collect::<Result<Vec<_>, sqlx::Error>>()
    })?)
}

/// Every round a dossier was in, oldest first (its evaluation record).
pub async fn products_of_dossier(
    db: &Db,
    dossier_id: &str,
) -> Result<Vec<RoundProduct>, StoreError> {
    let sql = format!("{PRODUCT_SELECT} WHERE rp.dossier_id = $1 ORDER BY rp.added_at, rp.id");
    Ok(on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(product_from_row)
            .collect::<Result<Vec<_>, sqlx::Error>>()
    })?)
}

/// Adds a dossier to a round under `criteria_version` (the caller asks the catalogue's
/// transition rules). A provincial round takes dossiers the province has taken in; the
/// ministry's takes dossiers awaiting it, with the province's round product as their source.
pub async fn add_product(
    db: &Db,
    round: &Round,
    dossier_id: &str,
    criteria_version: &str,
    actor: &str,
) -> Result<RoundProduct, RoundStoreError> {
    ocop_domain::rounds::editable(round.state)?;
    let dossier = crate::dossiers::find(db, &ocop_domain::access::Scope::National, dossier_id)
        .await?
        .ok_or(RoundStoreError::NotFound)?;
    let wanted = match round.level {
        Level::Ministry => DossierState::AwaitingMinistry,
        _ => DossierState::TakenIn,
    };
    if round.level == Level::Province
        && round.province_code.as_deref() != Some(&dossier.province_code)
    {
        return Err(RoundStoreError::NotFound);
    }
    if dossier.state != wanted {
        return Err(RoundStoreError::Invalid(
            "dossier_id",
            "not_ready_for_round",
        ));
    }
    let entity_type: String = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT kind FROM entities WHERE id = $1")
            .bind(&dossier.entity_id)
            .fetch_one(pool)
            .await
    })?;
    // In the ministry's round, the province's result travels with the product.
    let source_id: Option<String> = if round.level == Level::Ministry {
        on_db!(db, |pool| {
            sqlx::query_scalar(
                "SELECT rp.id FROM round_products rp JOIN rounds r ON r.id = rp.round_id \
                 WHERE rp.dossier_id = $1 AND r.level = 'province' ORDER BY rp.added_at DESC",
            )
            .bind(dossier_id)
            .fetch_optional(pool)
            .await
        })?
    } else {
        None
    };
    let id = new_id();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO round_products (id, round_id, dossier_id, product_id, entity_id, commune_code, \
             province_code, criteria_version, product_set, entity_type, pass, disqualifications, source_id, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, '[]', $11, $12)",
        )
        .bind(&id)
        .bind(&round.id)
        .bind(dossier_id)
        .bind(&dossier.product_id)
        .bind(&dossier.entity_id)
        .bind(&dossier.commune_code)
        .bind(&dossier.province_code)
        .bind(criteria_version)
        .bind(&dossier.product_set)
        .bind(&entity_type)
        .bind(&source_id)
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    move_dossier(
        &mut tx,
        dossier_id,
        wanted,
        DossierState::InRound,
        actor,
        "dossier.add_to_round",
    )
    .await?;
    let changes = Changes::new()
        .created("dossier_id", dossier_id)
        .created("criteria_version", criteria_version);
    audit::append(
        &mut tx,
        actor,
        "round.add_product",
        "round",
        &round.id,
        &changes,
    )
    .await?;
    super::council::flag_conflicts(&mut tx, &round.id, actor).await?;
    tx.commit().await?;
    products(db, &round.id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(RoundStoreError::NotFound)
}

fn card_from_row(
    (round_product_id, member_id, pass, choices, total, submitted_at, updated_at): (
        String,
        String,
        i64,
        String,
        Option<i64>,
        Option<i64>,
        i64,
    ),
) -> Result<StoredCard, StoreError> {
    Ok(StoredCard {
        round_product_id,
        member_id,
        pass: pass as u32,
        choices: serde_json::from_str(&choices).map_err(|error| {
            StoreError::from(sqlx::Error::ColumnDecode {
                index: "choices".into(),
                source: Box::new(error),
            })
        })?,
        total: total.map(|t| t as u32),
        submitted_at,
        updated_at,
    })
}

/// Every card of every pass of a round's products.
pub async fn cards(db: &Db, round_id: &str) -> Result<Vec<StoredCard>, StoreError> {
    let rows = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT c.round_product_id, c.member_id, c.pass, c.choices, c.total, c.submitted_at, c.updated_at \
             FROM scorecards c JOIN round_products rp ON rp.id = c.round_product_id \
             WHERE rp.round_id = $1 ORDER BY c.round_product_id, c.pass, c.member_id",
        )
        .bind(round_id)
        .fetch_all(pool)
        .await
    })?;
    rows.into_iter().map(card_from_row).collect()
}

/// Saves a member's draft for the current pass. A submitted card is never overwritten (a second
/// tab's late autosave is refused, the card kept). Drafts are working copies: not audited.
pub async fn save_draft(
    db: &Db,
    round_product_id: &str,
    member_id: &str,
    pass: u32,
    choices: &BTreeMap<String, u32>,
) -> Result<(), RoundStoreError> {
    let json = serde_json::to_string(choices).unwrap_or_else(|_| "{}".into());
    let written = on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO scorecards (round_product_id, member_id, pass, choices, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (round_product_id, member_id, pass) DO UPDATE \
             SET choices = excluded.choices, updated_at = excluded.updated_at \
             WHERE scorecards.submitted_at IS NULL",
        )
        .bind(round_product_id)
        .bind(member_id)
        .bind(i64::from(pass))
        .bind(&json)
        .bind(now_ms())
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    if written == 0 {
        return Err(CardError::AlreadySubmitted.into());
    }
    Ok(())
}

/// Submits a member's card for the pass (checked by the caller: `check_submission`), once.
pub async fn submit_card(
    db: &Db,
    round_product_id: &str,
    member_id: &str,
    pass: u32,
    choices: &BTreeMap<String, u32>,
    total: u32,
) -> Result<(), RoundStoreError> {
    let json = serde_json::to_string(choices).unwrap_or_else(|_| "{}".into());
    let now = now_ms();
    let mut tx = db.begin().await?;
    let written = on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO scorecards (round_product_id, member_id, pass, choices, total, submitted_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (round_product_id, member_id, pass) DO UPDATE \
             SET choices = excluded.choices, total = excluded.total, submitted_at = excluded.submitted_at, \
             updated_at = excluded.updated_at WHERE scorecards.submitted_at IS NULL",
        )
        .bind(round_product_id)
        .bind(member_id)
        .bind(i64::from(pass))
        .bind(&json)
        .bind(i64::from(total))
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if written == 0 {
        return Err(CardError::AlreadySubmitted.into());
    }
    let changes = Changes::new()
        .created("pass", pass)
        .created("choices", choices)
        .created("total", total);
    audit::append(
        &mut tx,
        member_id,
        "round.submit_card",
        "round_product",
        round_product_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Re-scores opened on a round's products.
pub async fn rescores(db: &Db, round_id: &str) -> Result<Vec<Rescore>, StoreError> {
    let rows: Vec<(String, i64, String, String, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT r.round_product_id, r.pass, r.opened_by, r.reason, r.opened_at FROM rescores r \
             JOIN round_products rp ON rp.id = r.round_product_id WHERE rp.round_id = $1 \
             ORDER BY r.opened_at, r.pass",
        )
        .bind(round_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(round_product_id, pass, opened_by, reason, opened_at)| Rescore {
                round_product_id,
                pass: pass as u32,
                opened_by,
                reason,
                opened_at,
            },
        )
        .collect())
}

/// The chair opens the next pass of a product (the caller checked the seat). On a closed
/// round this re-opens the round to scoring and forgets the kept result until it closes again.
pub async fn open_rescore(
    db: &Db,
    round: &Round,
    product: &RoundProduct,
    reason: &str,
    actor: &str,
) -> Result<u32, RoundStoreError> {
    if round.state == RoundState::Preparing {
        return Err(RoundError::WrongState {
            state: round.state,
            action: "re-scored",
        }
        .into());
    }
    if reason.trim().chars().count() < ocop_domain::rounds::MIN_REASON_CHARS {
        return Err(RoundError::ReasonRequired.into());
    }
    let decided: i64 = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM decision_items WHERE round_product_id = $1")
            .bind(&product.id)
            .fetch_one(pool)
            .await
    })?;
    if decided > 0 {
        return Err(RoundStoreError::Invalid("product", "already_decided"));
    }
    let next = product.pass + 1;
    let mut tx = db.begin().await?;
    let moved = on_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE round_products SET pass = $1, final_score = NULL, final_stars = NULL, outcome = NULL, \
             result = NULL WHERE id = $2 AND pass = $3",
        )
        .bind(i64::from(next))
        .bind(&product.id)
        .bind(i64::from(product.pass))
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if moved == 0 {
        return Err(RoundStoreError::Invalid(
            "product",
            "rescore_already_opened",
        ));
    }
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO rescores (round_product_id, pass, opened_by, reason, opened_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&product.id)
        .bind(i64::from(next))
        .bind(actor)
        .bind(reason.trim())
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if round.state == RoundState::Closed {
        on_tx!(&mut tx, |conn| {
            sqlx::query("UPDATE rounds SET state = 'scoring', updated_at = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(&round.id)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        let changes = Changes::new()
            .field("state", "closed", "scoring")
            .created("reason", reason.trim());
        audit::append(&mut tx, actor, "round.reopen", "round", &round.id, &changes).await?;
    }
    let changes = Changes::new()
        .field("pass", product.pass, next)
        .created("reason", reason.trim());
    audit::append(
        &mut tx,
        actor,
        "round.rescore",
        "round_product",
        &product.id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// The engine's result kept when the round closed (JSON), if any.
pub async fn kept_result(db: &Db, round_product_id: &str) -> Result<Option<String>, StoreError> {
    let row: Option<Option<String>> = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT result FROM round_products WHERE id = $1")
            .bind(round_product_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.flatten())
}

/// One product of a round.
pub async fn product(
    db: &Db,
    round_id: &str,
    product_id: &str,
) -> Result<Option<RoundProduct>, StoreError> {
    let sql = format!("{PRODUCT_SELECT} WHERE rp.round_id = $1 AND rp.id = $2");
    Ok(on_db!(db, |pool| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(round_id)
            .bind(product_id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(product_from_row).transpose()
    })?)
}
