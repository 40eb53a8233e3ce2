//! Evaluation rounds, their councils, scorecards, conflicts, re-scores and decisions. The rules
//! are `ocop_domain::rounds`' (who moves a round, which card is valid, who is conflicted, what
//! an outcome means); this module stores them, every change audited in its own transaction.
//!
//! Who sees a round ([`RoundAccess`]): national roles all of them; a provincial officer the
//! province's rounds and the ministry's rounds holding a product of the province; anyone else
//! only the rounds they hold a seat on.
//!
//! - [`council`]: seats and conflicts of interest;
//! - [`scoring`]: products, cards and re-scores;
//! - [`decisions`]: decisions, the fallback on a central result, legacy results.

mod council;
mod decisions;
mod scoring;

pub use council::*;
pub use decisions::*;
pub use scoring::*;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::Row;

use ocop_domain::access::{Role, UnitBinding};
use ocop_domain::audit::Changes;
use ocop_domain::criteria::{Averaging, Disqualification, EntityType, Level};
use ocop_domain::dossier::{DossierState, EvaluationType};
use ocop_domain::rounds::conflicts::ConflictSource;
use ocop_domain::rounds::council::{Seat, Settings};
use ocop_domain::rounds::decision::ProductOutcome;
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
        level: Level::parse(&level).ok_or_else(|| decode("level", level.clone()))?,
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
    let mut tx = db.begin().await?;
    insert(&mut tx, &round, actor).await?;
    tx.commit().await?;
    Ok(round)
}

/// Writes a new round and its audit record in the caller's transaction.
pub(crate) async fn insert(tx: &mut Tx, round: &Round, actor: &str) -> Result<(), StoreError> {
    let state = round.state;
    let now = now_ms();
    on_tx!(&mut *tx, |conn| {
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
    audit::append(tx, actor, "round.create", "round", &round.id, &changes).await?;
    Ok(())
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
