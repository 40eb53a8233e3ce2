//! A round's council: seats (a role on top of an account's own) and conflicts of interest,
//! flagged from the dossier's commune steps in the same transaction as a seat or a product.

use ocop_domain::access::{Role, UnitBinding};
use ocop_domain::audit::Changes;
use ocop_domain::criteria::Level;
use ocop_domain::rounds::conflicts::{self, ConflictSource, MemberFacts, ProductFacts};
use ocop_domain::rounds::council::Seat;
use ocop_domain::rounds::{RoundError, RoundState};

use crate::clock::{new_id, now_ms};
use crate::{Db, StoreError, Tx, audit, on_db, on_tx};

use super::*;

/// The council, chair first.
pub async fn seats(db: &Db, round_id: &str) -> Result<Vec<SeatHolder>, StoreError> {
    let rows = on_db!(db, |pool| {
        sqlx::query_as::<_, (String, String, String, String, Option<String>, Option<String>, String, String, String, String)>(
            "SELECT s.user_id, u.name, u.email, u.role, u.unit_code, u.entity_id, s.seat, s.agency, s.position, s.organisation \
             FROM council_seats s JOIN users u ON u.id = s.user_id WHERE s.round_id = $1",
        )
        .bind(round_id)
        .fetch_all(pool)
        .await
    })?;
    let mut seats: Vec<SeatHolder> = rows
        .into_iter()
        .filter_map(
            |(
                user_id,
                name,
                email,
                role,
                unit_code,
                entity_id,
                seat,
                agency,
                position,
                organisation,
            )| {
                Some(SeatHolder {
                    user_id,
                    name,
                    email,
                    role: Role::parse(&role)?,
                    unit_code,
                    entity_id,
                    seat: Seat::parse(&seat)?,
                    agency,
                    position,
                    organisation,
                })
            },
        )
        .collect();
    seats.sort_by(|a, b| (a.seat, &a.name).cmp(&(b.seat, &b.name)));
    Ok(seats)
}

/// Seats an account (or changes its seat). The account must be active, of a role that may sit
/// on the round's level, and of the round's province for a provincial round. Conflicts with the
/// round's products are flagged in the same transaction.
pub async fn set_seat(
    db: &Db,
    round: &Round,
    new: NewSeat,
    actor: &str,
) -> Result<(), RoundStoreError> {
    ocop_domain::rounds::editable(round.state)?;
    let user = crate::accounts::find_by_id(db, &new.user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(RoundStoreError::Invalid("user_id", "unknown_user"))?;
    if !ocop_domain::rounds::council::may_sit(user.role, round.level) {
        return Err(RoundStoreError::Invalid("user_id", "role_cannot_sit"));
    }
    if let (Level::Province, Some(province)) = (round.level, &round.province_code) {
        let in_province = match user.role.unit_level() {
            UnitBinding::Province => user.unit_code.as_deref() == Some(province.as_str()),
            UnitBinding::Commune => {
                crate::units::province_of(db, user.unit_code.as_deref().unwrap_or_default())
                    .await?
                    .as_deref()
                    == Some(province.as_str())
            }
            _ => true,
        };
        if !in_province {
            return Err(RoundStoreError::Invalid("user_id", "other_province"));
        }
    }
    let mut tx = db.begin().await?;
    let before: Option<String> = on_tx!(&mut tx, |conn| {
        sqlx::query_scalar("SELECT seat FROM council_seats WHERE round_id = $1 AND user_id = $2")
            .bind(&round.id)
            .bind(&user.id)
            .fetch_optional(&mut *conn)
            .await
    })?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO council_seats (round_id, user_id, seat, agency, position, organisation) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (round_id, user_id) DO UPDATE SET \
             seat = excluded.seat, agency = excluded.agency, position = excluded.position, \
             organisation = excluded.organisation",
        )
        .bind(&round.id)
        .bind(&user.id)
        .bind(new.seat.as_str())
        .bind(new.agency.trim())
        .bind(new.position.trim())
        .bind(new.organisation.trim())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .field("member", Option::<&str>::None, &user.id)
        .field("seat", before, new.seat.as_str())
        .created("agency", new.agency.trim())
        .created("position", new.position.trim())
        .created("organisation", new.organisation.trim());
    audit::append(&mut tx, actor, "round.seat", "round", &round.id, &changes).await?;
    flag_conflicts(&mut tx, &round.id, actor).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a seat (not once the round scores: cards would lose their member).
pub async fn remove_seat(
    db: &Db,
    round: &Round,
    user_id: &str,
    actor: &str,
) -> Result<(), RoundStoreError> {
    if round.state != RoundState::Preparing {
        return Err(RoundError::WrongState {
            state: round.state,
            action: "changed by removing a seat",
        }
        .into());
    }
    let mut tx = db.begin().await?;
    let removed = on_tx!(&mut tx, |conn| {
        sqlx::query("DELETE FROM council_seats WHERE round_id = $1 AND user_id = $2")
            .bind(&round.id)
            .bind(user_id)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
    })?;
    if removed == 0 {
        return Err(RoundStoreError::NotFound);
    }
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "DELETE FROM conflicts WHERE member_id = $1 AND round_product_id IN \
             (SELECT id FROM round_products WHERE round_id = $2)",
        )
        .bind(user_id)
        .bind(&round.id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new().field("member", user_id, Option::<&str>::None);
    audit::append(&mut tx, actor, "round.unseat", "round", &round.id, &changes).await?;
    tx.commit().await?;
    Ok(())
}

/// Flags the likely conflicts between the round's members and products that are not yet
/// recorded (`ocop_domain::rounds::conflicts::detect`), inside the caller's transaction.
pub(super) async fn flag_conflicts(
    tx: &mut Tx,
    round_id: &str,
    actor: &str,
) -> Result<(), StoreError> {
    // Secretaries do not score, so nothing of theirs can be conflicted.
    let members: Vec<(String, String, Option<String>, String)> = on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT s.user_id, u.role, u.entity_id, s.organisation FROM council_seats s \
             JOIN users u ON u.id = s.user_id WHERE s.round_id = $1 AND s.seat <> 'secretary'",
        )
        .bind(round_id)
        .fetch_all(&mut *conn)
        .await
    })?;
    let products: Vec<(String, String, String, String)> = on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT rp.id, rp.dossier_id, rp.entity_id, e.name FROM round_products rp \
             JOIN entities e ON e.id = rp.entity_id WHERE rp.round_id = $1",
        )
        .bind(round_id)
        .fetch_all(&mut *conn)
        .await
    })?;
    for (round_product_id, dossier_id, entity_id, entity_name) in &products {
        let steps: Vec<(String, String)> = on_tx!(tx, |conn| {
            sqlx::query_as(
                "SELECT actor, action FROM audit_log WHERE object_type = 'dossier' AND object_id = $1",
            )
            .bind(dossier_id)
            .fetch_all(&mut *conn)
            .await
        })?;
        let product = ProductFacts {
            entity_id,
            entity_name,
            dossier_steps: &steps,
        };
        for (user_id, role, member_entity, organisation) in &members {
            let Some(role) = Role::parse(role) else {
                continue;
            };
            let member = MemberFacts {
                user_id,
                role,
                entity_id: member_entity.as_deref(),
                organisation,
            };
            for conflict in conflicts::detect(&member, &product) {
                let inserted = on_tx!(tx, |conn| {
                    sqlx::query(
                        "INSERT INTO conflicts (id, round_product_id, member_id, source, reason, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (round_product_id, member_id, source) DO NOTHING",
                    )
                    .bind(new_id())
                    .bind(round_product_id)
                    .bind(user_id)
                    .bind(conflict.source.as_str())
                    .bind(&conflict.reason)
                    .bind(now_ms())
                    .execute(&mut *conn)
                    .await
                    .map(|done| done.rows_affected())
                })?;
                if inserted > 0 {
                    let changes = Changes::new()
                        .created("member", user_id)
                        .created("source", conflict.source.as_str())
                        .created("reason", &conflict.reason);
                    audit::append(
                        tx,
                        actor,
                        "round.conflict_flagged",
                        "round_product",
                        round_product_id,
                        &changes,
                    )
                    .await?;
                }
            }
        }
    }
    Ok(())
}

type ConflictRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn conflict_from_row(row: ConflictRow) -> Option<StoredConflict> {
    let (id, round_product_id, member_id, source, reason, cleared_by, cleared_reason) = row;
    Some(StoredConflict {
        id,
        round_product_id,
        member_id,
        source: ConflictSource::parse(&source)?,
        reason,
        cleared_by,
        cleared_reason,
    })
}

/// The conflicts recorded on a round's products.
pub async fn conflicts(db: &Db, round_id: &str) -> Result<Vec<StoredConflict>, StoreError> {
    let rows: Vec<ConflictRow> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.round_product_id, c.member_id, c.source, c.reason, c.cleared_by, c.cleared_reason \
             FROM conflicts c JOIN round_products rp ON rp.id = c.round_product_id \
             WHERE rp.round_id = $1 ORDER BY c.created_at, c.id",
        )
        .bind(round_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows.into_iter().filter_map(conflict_from_row).collect())
}

/// A member declares a conflict on a product, with a reason.
pub async fn declare_conflict(
    db: &Db,
    round: &Round,
    round_product_id: &str,
    member_id: &str,
    reason: &str,
) -> Result<(), RoundStoreError> {
    ocop_domain::rounds::editable(round.state)?;
    if reason.trim().chars().count() < ocop_domain::rounds::MIN_REASON_CHARS {
        return Err(RoundError::ReasonRequired.into());
    }
    let mut tx = db.begin().await?;
    let inserted = on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO conflicts (id, round_product_id, member_id, source, reason, created_at) \
             SELECT $1, rp.id, $3, 'declared', $4, $5 FROM round_products rp WHERE rp.id = $2 AND rp.round_id = $6 \
             ON CONFLICT (round_product_id, member_id, source) DO UPDATE SET reason = excluded.reason",
        )
        .bind(new_id())
        .bind(round_product_id)
        .bind(member_id)
        .bind(reason.trim())
        .bind(now_ms())
        .bind(&round.id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if inserted == 0 {
        return Err(RoundStoreError::NotFound);
    }
    let changes = Changes::new()
        .created("member", member_id)
        .created("source", "declared")
        .created("reason", reason.trim());
    audit::append(
        &mut tx,
        member_id,
        "round.conflict_declared",
        "round_product",
        round_product_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The chair clears a flag the system raised, with a written reason (a declaration stands).
pub async fn clear_conflict(
    db: &Db,
    round: &Round,
    conflict_id: &str,
    reason: &str,
    actor: &str,
) -> Result<(), RoundStoreError> {
    ocop_domain::rounds::editable(round.state)?;
    if reason.trim().chars().count() < ocop_domain::rounds::MIN_REASON_CHARS {
        return Err(RoundError::ReasonRequired.into());
    }
    let mut tx = db.begin().await?;
    let cleared = on_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE conflicts SET cleared_by = $1, cleared_reason = $2, cleared_at = $3 \
             WHERE id = $4 AND source <> 'declared' AND cleared_by IS NULL \
             AND round_product_id IN (SELECT id FROM round_products WHERE round_id = $5)",
        )
        .bind(actor)
        .bind(reason.trim())
        .bind(now_ms())
        .bind(conflict_id)
        .bind(&round.id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if cleared == 0 {
        return Err(RoundStoreError::Invalid("conflict", "not_clearable"));
    }
    let changes = Changes::new()
        .field("cleared", false, true)
        .created("reason", reason.trim());
    audit::append(
        &mut tx,
        actor,
        "round.conflict_cleared",
        "conflict",
        conflict_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The conflicts recorded on one round product.
pub async fn conflicts_of(
    db: &Db,
    round_product_id: &str,
) -> Result<Vec<StoredConflict>, StoreError> {
    let rows: Vec<ConflictRow> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, round_product_id, member_id, source, reason, cleared_by, cleared_reason \
             FROM conflicts WHERE round_product_id = $1 ORDER BY created_at, id",
        )
        .bind(round_product_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows.into_iter().filter_map(conflict_from_row).collect())
}
