//! Evaluation rounds, their councils, scorecards, conflicts, re-scores and decisions. The rules
//! are `ocop_domain::rounds`' (who moves a round, which card is valid, who is conflicted, what
//! an outcome means); this module stores them, every change audited in its own transaction.
//!
//! Who sees a round ([`RoundAccess`]): national roles all of them; a provincial officer the
//! province's rounds and the ministry's rounds holding a product of the province; anyone else
//! only the rounds they hold a seat on.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::Row;

use ocop_domain::access::{Role, UnitBinding};
use ocop_domain::audit::Changes;
use ocop_domain::criteria::{Averaging, Disqualification, EntityType, Level};
use ocop_domain::dossier::{DossierState, EvaluationType};
use ocop_domain::rounds::conflicts::{self, ConflictSource, MemberFacts, ProductFacts};
use ocop_domain::rounds::council::{Seat, Settings};
use ocop_domain::rounds::decision::{DecisionNumber, ProductOutcome};
use ocop_domain::rounds::scoring::CardError;
use ocop_domain::rounds::{RoundError, RoundKind, RoundState};

use crate::accounts::User;
use crate::clock::{new_id, now_ms};
use crate::{Db, StoreError, Tx, audit, on_db, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub kind: RoundKind,
    pub province_code: Option<String>,
    pub meeting_on: NaiveDate,
    pub place: String,
    pub state: RoundState,
    pub settings: Settings,
}

/// What opening a round needs.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub name: String,
    pub level: Level,
    pub kind: RoundKind,
    pub province_code: Option<String>,
    pub meeting_on: NaiveDate,
    pub place: String,
}

/// A seat on a round's council, with who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatHolder {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub entity_id: Option<String>,
    pub seat: Seat,
    pub agency: String,
    pub position: String,
    pub organisation: String,
}

/// A seat to give.
#[derive(Debug, Clone)]
pub struct NewSeat {
    pub user_id: String,
    pub seat: Seat,
    pub agency: String,
    pub position: String,
    pub organisation: String,
}

/// A dossier in a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundProduct {
    pub id: String,
    pub round_id: String,
    pub dossier_id: String,
    pub product_id: String,
    pub product_code: String,
    pub product_name: String,
    pub entity_id: String,
    pub entity_name: String,
    pub entity_type: EntityType,
    pub commune_code: String,
    pub province_code: String,
    pub criteria_version: String,
    pub product_set: String,
    pub pass: u32,
    pub disqualifications: Vec<Disqualification>,
    /// Hundredths of a point, kept when the round closed (or entered for a legacy round).
    pub final_score: Option<i64>,
    pub final_stars: Option<u8>,
    pub outcome: Option<String>,
    pub source_id: Option<String>,
    /// Why the dossier is evaluated (a re-evaluation is scored by written opinions).
    pub evaluation_type: EvaluationType,
    /// When the province took the dossier in (ms): a re-evaluation's 45 days run from it.
    pub taken_in_at: Option<i64>,
}

/// One member's card on one product and pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCard {
    pub round_product_id: String,
    pub member_id: String,
    pub pass: u32,
    pub choices: BTreeMap<String, u32>,
    pub total: Option<u32>,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConflict {
    pub id: String,
    pub round_product_id: String,
    pub member_id: String,
    pub source: ConflictSource,
    pub reason: String,
    pub cleared_by: Option<String>,
    pub cleared_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rescore {
    pub round_product_id: String,
    pub pass: u32,
    pub opened_by: String,
    pub reason: String,
    pub opened_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub id: String,
    pub round_id: String,
    pub number: String,
    pub signed_on: NaiveDate,
    pub signer: String,
    /// (round product id, outcome, recognised stars)
    pub items: Vec<(String, String, Option<u8>)>,
}

/// Why a round change was refused.
#[derive(Debug, thiserror::Error)]
pub enum RoundStoreError {
    #[error("no such round, product, member or dossier in your scope")]
    NotFound,
    #[error("{0}")]
    Round(#[from] RoundError),
    #[error("{0}")]
    Card(#[from] CardError),
    /// A field's value is refused: (field, stable code).
    #[error("{0}: {1}")]
    Invalid(&'static str, &'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RoundStoreError {
    fn from(error: sqlx::Error) -> RoundStoreError {
        RoundStoreError::Store(error.into())
    }
}

/// Which rounds an account sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundAccess {
    All,
    /// A province's officer: its rounds, ministry rounds with its products, and seats.
    Province {
        code: String,
        user_id: String,
    },
    /// Only rounds with a seat.
    Seated(String),
}

impl RoundAccess {
    pub fn of(user: &User) -> RoundAccess {
        match (user.role, user.role.unit_level()) {
            (_, UnitBinding::National) => RoundAccess::All,
            (Role::ProvincialOfficer, _) => RoundAccess::Province {
                code: user.unit_code.clone().unwrap_or_default(),
                user_id: user.id.clone(),
            },
            _ => RoundAccess::Seated(user.id.clone()),
        }
    }

    fn binds(&self) -> (&'static str, &str, &str) {
        match self {
            RoundAccess::All => ("all", "", ""),
            RoundAccess::Province { code, user_id } => ("province", code, user_id),
            RoundAccess::Seated(user_id) => ("seated", "", user_id),
        }
    }
}

/// The one filter every round read goes through ($1 kind, $2 province, $3 user).
const ACCESS: &str = "($1 = 'all' \
     OR ($1 = 'province' AND (province_code = $2 \
         OR (level = 'ministry' AND id IN (SELECT round_id FROM round_products WHERE province_code = $2)))) \
     OR id IN (SELECT round_id FROM council_seats WHERE user_id = $3))";

const ROUND_COLUMNS: &str = "id, name, level, kind, province_code, meeting_on, place, state, quorum, spread_limit, averaging";

fn decode(column: &str, text: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("unknown value {text}").into(),
    }
}

fn level_parse(text: &str) -> Option<Level> {
    [
        Level::Commune,
        Level::District,
        Level::Province,
        Level::Ministry,
    ]
    .into_iter()
    .find(|l| l.as_str() == text)
}

fn round_from_row<R: Row>(row: &R) -> Result<Round, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let level: String = row.try_get("level")?;
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let averaging: Option<String> = row.try_get("averaging")?;
    let quorum: Option<i64> = row.try_get("quorum")?;
    let spread: Option<i64> = row.try_get("spread_limit")?;
    Ok(Round {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        level: level_parse(&level).ok_or_else(|| decode("level", level.clone()))?,
        kind: RoundKind::parse(&kind).ok_or_else(|| decode("kind", kind.clone()))?,
        province_code: row.try_get("province_code")?,
        meeting_on: row.try_get("meeting_on")?,
        place: row.try_get("place")?,
        state: RoundState::parse(&state).ok_or_else(|| decode("state", state.clone()))?,
        settings: Settings {
            quorum: quorum.map(|q| q as u32),
            spread_limit: spread.map(|s| s as u32),
            averaging: averaging.as_deref().and_then(Averaging::parse),
        },
    })
}

/// Rounds the account may see, newest meeting first.
pub async fn list(db: &Db, access: &RoundAccess) -> Result<Vec<Round>, StoreError> {
    let (kind, province, user) = access.binds();
    let sql = format!(
        "SELECT {ROUND_COLUMNS} FROM rounds WHERE {ACCESS} ORDER BY meeting_on DESC, created_at DESC"
    );
    Ok(on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind)
            .bind(province)
            .bind(user)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(round_from_row)
            .collect::<Result<Vec<_>, sqlx::Error>>()
    })?)
}

/// One round, if the account may see it.
pub async fn find(db: &Db, access: &RoundAccess, id: &str) -> Result<Option<Round>, StoreError> {
    let (kind, province, user) = access.binds();
    let sql = format!("SELECT {ROUND_COLUMNS} FROM rounds WHERE {ACCESS} AND id = $4");
    Ok(on_db!(db, |pool| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind)
            .bind(province)
            .bind(user)
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(round_from_row).transpose()
    })?)
}

/// Meeting dates of the other rounds of the same level and province (for the calendar).
pub async fn other_meetings(db: &Db, round: &Round) -> Result<Vec<NaiveDate>, StoreError> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT meeting_on FROM rounds WHERE level = $1 AND kind = 'online' \
             AND COALESCE(province_code, '') = $2 AND id <> $3",
        )
        .bind(round.level.as_str())
        .bind(round.province_code.clone().unwrap_or_default())
        .bind(&round.id)
        .fetch_all(pool)
        .await
    })?)
}

/// Opens a round (state `preparing`; a legacy round is recorded `closed`).
pub async fn create(db: &Db, new: NewRound, actor: &str) -> Result<Round, StoreError> {
    let state = match new.kind {
        RoundKind::Online => RoundState::Preparing,
        RoundKind::Legacy => RoundState::Closed,
    };
    let round = Round {
        id: new_id(),
        name: new.name.trim().to_string(),
        level: new.level,
        kind: new.kind,
        province_code: new.province_code,
        meeting_on: new.meeting_on,
        place: new.place.trim().to_string(),
        state,
        settings: Settings::default(),
    };
    let now = now_ms();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO rounds (id, name, level, kind, province_code, meeting_on, place, state, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&round.id)
        .bind(&round.name)
        .bind(round.level.as_str())
        .bind(round.kind.as_str())
        .bind(&round.province_code)
        .bind(round.meeting_on)
        .bind(&round.place)
        .bind(state.as_str())
        .bind(actor)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("name", &round.name)
        .created("level", round.level.as_str())
        .created("kind", round.kind.as_str())
        .created("province_code", &round.province_code)
        .created("meeting_on", round.meeting_on)
        .created("place", &round.place)
        .created("state", state.as_str());
    audit::append(&mut tx, actor, "round.create", "round", &round.id, &changes).await?;
    tx.commit().await?;
    Ok(round)
}

/// Changes the council's own rules (quorum, spread limit, averaging); not once closed.
pub async fn set_settings(
    db: &Db,
    round: &Round,
    settings: Settings,
    actor: &str,
) -> Result<(), RoundStoreError> {
    ocop_domain::rounds::editable(round.state)?;
    settings
        .check()
        .map_err(|field| RoundStoreError::Invalid(field, "out_of_range"))?;
    let mut tx = db.begin().await?;
    let changed = on_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE rounds SET quorum = $1, spread_limit = $2, averaging = $3, updated_at = $4 \
             WHERE id = $5 AND state <> 'closed'",
        )
        .bind(settings.quorum.map(i64::from))
        .bind(settings.spread_limit.map(i64::from))
        .bind(settings.averaging.map(Averaging::as_str))
        .bind(now_ms())
        .bind(&round.id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if changed == 0 {
        return Err(RoundError::Locked.into());
    }
    let changes = Changes::new()
        .field("quorum", round.settings.quorum, settings.quorum)
        .field(
            "spread_limit",
            round.settings.spread_limit,
            settings.spread_limit,
        )
        .field(
            "averaging",
            round.settings.averaging.map(Averaging::as_str),
            settings.averaging.map(Averaging::as_str),
        );
    audit::append(
        &mut tx,
        actor,
        "round.settings",
        "round",
        &round.id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

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
async fn flag_conflicts(tx: &mut Tx, round_id: &str, actor: &str) -> Result<(), StoreError> {
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
    flag_conflicts(&mut tx, &round.id, actor).await?;
    tx.commit().await?;
    products(db, &round.id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(RoundStoreError::NotFound)
}

/// Moves a dossier from `from` to `to` inside the caller's transaction, audited on the dossier.
async fn move_dossier(
    tx: &mut Tx,
    dossier_id: &str,
    from: DossierState,
    to: DossierState,
    actor: &str,
    action: &str,
) -> Result<(), RoundStoreError> {
    let moved = on_tx!(tx, |conn| {
        sqlx::query("UPDATE dossiers SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(to.as_str())
            .bind(now_ms())
            .bind(dossier_id)
            .bind(from.as_str())
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
    })?;
    if moved == 0 {
        return Err(RoundStoreError::Invalid(
            "dossier_id",
            "not_ready_for_round",
        ));
    }
    let changes = Changes::new().field("state", from.as_str(), to.as_str());
    audit::append(tx, actor, action, "dossier", dossier_id, &changes).await?;
    Ok(())
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

/// A product's result as kept when the round closes.
#[derive(Debug, Clone)]
pub struct FinalResult {
    pub round_product_id: String,
    pub score: i64,
    pub stars: u8,
    pub outcome: ProductOutcome,
    /// The engine's result as JSON.
    pub result: String,
}

/// Moves a round from `round.state` to `to` (the caller asked `ocop_domain::rounds::transition`),
/// keeping each product's final result when it closes. The state in the WHERE clause: two
/// officers acting at once cannot both move it.
pub async fn set_state(
    db: &Db,
    round: &Round,
    to: RoundState,
    action: &str,
    finals: &[FinalResult],
    actor: &str,
) -> Result<(), RoundStoreError> {
    let mut tx = db.begin().await?;
    let moved = on_tx!(&mut tx, |conn| {
        sqlx::query("UPDATE rounds SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(to.as_str())
            .bind(now_ms())
            .bind(&round.id)
            .bind(round.state.as_str())
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
    })?;
    if moved == 0 {
        return Err(RoundError::WrongState {
            state: round.state,
            action: "moved by two people at once",
        }
        .into());
    }
    for result in finals {
        on_tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE round_products SET final_score = $1, final_stars = $2, outcome = $3, result = $4 \
                 WHERE id = $5 AND round_id = $6",
            )
            .bind(result.score)
            .bind(i64::from(result.stars))
            .bind(serde_json::to_string(&result.outcome).unwrap_or_default())
            .bind(&result.result)
            .bind(&result.round_product_id)
            .bind(&round.id)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
        })?;
    }
    let changes = Changes::new().field("state", round.state.as_str(), to.as_str());
    audit::append(
        &mut tx,
        actor,
        &format!("round.{action}"),
        "round",
        &round.id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The kept outcome of a round product.
pub fn outcome_of(product: &RoundProduct) -> Option<ProductOutcome> {
    product
        .outcome
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
}

/// Records a recognition decision on products of a closed round (the caller checked the form
/// with `ocop_domain::rounds::decision::check`), and moves each dossier on
/// (`ocop_domain::dossier::after_round`). All or nothing.
pub async fn record_decision(
    db: &Db,
    round: &Round,
    number: &DecisionNumber,
    signed_on: NaiveDate,
    signer: &str,
    products: &[RoundProduct],
    actor: &str,
) -> Result<Decision, RoundStoreError> {
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
    /// Hundredths of a point.
    pub score: i64,
    pub stars: u8,
    pub outcome: ProductOutcome,
}

/// Records a legacy round's result for a product: a dossier in its final state, filed on the
/// meeting day under the version given, and the round product with the result kept. Audited.
pub async fn record_legacy_result(
    db: &Db,
    round: &Round,
    result: &LegacyResult,
    actor: &str,
) -> Result<RoundProduct, RoundStoreError> {
    if round.kind != RoundKind::Legacy {
        return Err(RoundStoreError::Invalid("round", "not_legacy"));
    }
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
    let filed_at = round
        .meeting_on
        .and_hms_opt(9, 0, 0)
        .map_or(0, |at| at.and_utc().timestamp_millis());
    let state = ocop_domain::dossier::after_round(result.outcome);
    let (dossier_id, id) = (new_id(), new_id());
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
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
    on_tx!(&mut tx, |conn| {
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
        .bind(&entity_type)
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
        &mut tx,
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
        &mut tx,
        actor,
        "dossier.legacy_result",
        "dossier",
        &dossier_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    self::product(db, &round.id, &id)
        .await?
        .ok_or(RoundStoreError::NotFound)
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
