//! Evaluation rounds on the web: HTML pages (`pages.rs`, the member's scoring sheet in
//! `sheet.rs`, analytics in `analytics.rs`), the council's documents as PDF (`documents.rs`:
//! minutes, a decision's annex, a member's sheet) and the JSON API (`api.rs`). What both need lives
//! here: a round loaded with everything on it ([`Loaded`]), who the viewer is on it, each
//! product's standing from the engine, and the operations, each returning [`AppError`] with a
//! stable code. The rules are `ocop_domain::rounds`'; the SQL is `ocop_store::rounds`'.
//!
//! Rounds may use the registry and dossiers (a round holds dossiers); neither imports rounds.
mod actions;
pub mod analytics;
pub mod api;
pub mod council;
pub mod documents;
pub mod overview;
pub mod pages;
pub mod sheet;

pub use actions::*;

use std::collections::HashMap;

use chrono::NaiveDate;

use ocop_domain::criteria::{CouncilRules, Level, ProductSet, Version};
use ocop_domain::rounds::conflicts::{self, Recorded};
use ocop_domain::rounds::council::{self as council_rules, Seat};
use ocop_domain::rounds::scoring::{self, CardError, Entry, Standing, Viewer, Visibility};
use ocop_domain::rounds::{Actor, RoundError, RoundKind, RoundState, calendar};
use ocop_store::accounts::User;
use ocop_store::rounds::{
    self as store, Decision, Rescore, Round, RoundAccess, RoundProduct, RoundStoreError,
    SeatHolder, StoredCard, StoredConflict,
};

use crate::AppState;
use crate::shared::error::AppError;
use crate::shared::i18n::Lang;

/// A round with everything on it, as the viewer may see it.
pub struct Loaded {
    pub round: Round,
    pub seats: Vec<SeatHolder>,
    pub products: Vec<RoundProduct>,
    /// Every card of every pass, by round product.
    pub cards: HashMap<String, Vec<StoredCard>>,
    pub conflicts: Vec<StoredConflict>,
    pub rescores: Vec<Rescore>,
    pub decisions: Vec<Decision>,
}

pub fn round_not_found(id: &str) -> AppError {
    AppError::NotFound {
        code: "round_not_found",
        what: "round",
        key: id.to_string(),
    }
}

pub fn product_not_found(id: &str) -> AppError {
    AppError::NotFound {
        code: "round_product_not_found",
        what: "product in this round",
        key: id.to_string(),
    }
}

fn forbidden(code: &'static str, message: &str) -> AppError {
    AppError::Forbidden {
        code,
        message: message.to_string(),
    }
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Unprocessable {
        code,
        message: message.into(),
        details: Vec::new(),
    }
}

/// A round error as the API's one shape.
pub fn round_error(error: RoundError) -> AppError {
    match error {
        RoundError::NotAllowed(who) => forbidden("not_allowed", &format!("only {who} may do this")),
        RoundError::Locked => unprocessable("round_locked", error.to_string()),
        RoundError::WrongState { .. } => unprocessable("wrong_state", error.to_string()),
        RoundError::ReasonRequired => unprocessable("reason_required", error.to_string()),
        RoundError::NoProducts => unprocessable("no_products", error.to_string()),
        RoundError::CouncilNotReady(_) => unprocessable("council_not_ready", error.to_string()),
        RoundError::NotFinal(ref codes) => AppError::Unprocessable {
            code: "not_final",
            message: "these products have no final result yet".into(),
            details: codes.clone(),
        },
    }
}

pub fn card_error(error: CardError) -> AppError {
    match error {
        CardError::NotAssigned => forbidden("not_assigned", &error.to_string()),
        CardError::Conflicted => forbidden("conflicted", &error.to_string()),
        CardError::NotScoring => unprocessable("round_not_scoring", error.to_string()),
        CardError::ProductNotScoring => unprocessable("product_not_scoring", error.to_string()),
        CardError::AlreadySubmitted => AppError::Unprocessable {
            code: "already_submitted",
            message: error.to_string(),
            details: Vec::new(),
        },
        CardError::Invalid(errors) => AppError::Unprocessable {
            code: "invalid_card",
            message: "the card does not fit the sheet".into(),
            details: errors.iter().map(ToString::to_string).collect(),
        },
    }
}

pub fn store_error(error: RoundStoreError) -> AppError {
    match error {
        RoundStoreError::NotFound => AppError::NotFound {
            code: "not_found",
            what: "round, product, member or dossier",
            key: String::new(),
        },
        RoundStoreError::Round(error) => round_error(error),
        RoundStoreError::Card(error) => card_error(error),
        RoundStoreError::Invalid(field, code) => AppError::Unprocessable {
            code,
            message: format!("{field}: {code}"),
            details: vec![field.to_string()],
        },
        RoundStoreError::Store(error) => error.into(),
    }
}

impl Loaded {
    /// The round `id` if `user` may see it, with its council, products, cards, conflicts,
    /// re-scores and decisions.
    pub async fn load(state: &AppState, user: &User, id: &str) -> Result<Loaded, AppError> {
        let round = store::find(&state.db, &RoundAccess::of(user), id)
            .await?
            .ok_or_else(|| round_not_found(id))?;
        let db = &state.db;
        let mut cards: HashMap<String, Vec<StoredCard>> = HashMap::new();
        for card in store::cards(db, &round.id).await? {
            cards
                .entry(card.round_product_id.clone())
                .or_default()
                .push(card);
        }
        Ok(Loaded {
            seats: store::seats(db, &round.id).await?,
            products: store::products(db, &round.id).await?,
            cards,
            conflicts: store::conflicts(db, &round.id).await?,
            rescores: store::rescores(db, &round.id).await?,
            decisions: store::decisions(db, &round.id).await?,
            round,
        })
    }

    /// The round with only what a card on one of its products needs (the council, the product,
    /// its conflicts): an autosave does not read the whole round.
    pub async fn load_for_card(
        state: &AppState,
        user: &User,
        id: &str,
        product_id: &str,
    ) -> Result<Loaded, AppError> {
        let round = store::find(&state.db, &RoundAccess::of(user), id)
            .await?
            .ok_or_else(|| round_not_found(id))?;
        let db = &state.db;
        let product = store::product(db, &round.id, product_id)
            .await?
            .ok_or_else(|| product_not_found(product_id))?;
        Ok(Loaded {
            seats: store::seats(db, &round.id).await?,
            conflicts: store::conflicts_of(db, &product.id).await?,
            products: vec![product],
            cards: HashMap::new(),
            rescores: Vec::new(),
            decisions: Vec::new(),
            round,
        })
    }

    /// The cards of a product, every pass.
    pub fn cards_of(&self, product_id: &str) -> &[StoredCard] {
        self.cards.get(product_id).map_or(&[], Vec::as_slice)
    }

    /// Every card of the round.
    pub fn all_cards(&self) -> impl Iterator<Item = &StoredCard> {
        self.cards.values().flatten()
    }

    pub fn seat_of(&self, user_id: &str) -> Option<Seat> {
        self.seats
            .iter()
            .find(|s| s.user_id == user_id)
            .map(|s| s.seat)
    }

    pub fn actor(&self, user: &User) -> Actor {
        Actor {
            role: user.role,
            seat: self.seat_of(&user.id),
        }
    }

    /// The level's OCOP office (of the round's province, for a provincial round).
    pub fn is_organiser(&self, user: &User) -> bool {
        ocop_domain::rounds::organiser(self.round.level) == Some(user.role)
            && (self.round.level == Level::Ministry
                || user.unit_code.is_some() && user.unit_code == self.round.province_code)
    }

    pub fn product(&self, id: &str) -> Result<&RoundProduct, AppError> {
        self.products
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| product_not_found(id))
    }

    pub fn member_name(&self, user_id: &str) -> String {
        self.seats
            .iter()
            .find(|s| s.user_id == user_id)
            .map_or_else(|| user_id.to_string(), |s| s.name.clone())
    }

    /// The council's rules for a product scored under `version`.
    pub fn rules(&self, version: &Version) -> CouncilRules {
        self.round.settings.rules(version.council)
    }

    /// Whether the member's recorded conflicts exclude them from the product.
    pub fn excluded(&self, product_id: &str, member: &str) -> bool {
        let recorded: Vec<Recorded> = self
            .conflicts
            .iter()
            .filter(|c| c.round_product_id == product_id && c.member_id == member)
            .map(|c| Recorded {
                source: c.source,
                cleared: c.cleared_by.is_some(),
            })
            .collect();
        conflicts::excludes(&recorded)
    }

    /// Scoring members not excluded from the product.
    pub fn eligible(&self, product_id: &str) -> Vec<String> {
        self.seats
            .iter()
            .filter(|s| s.seat.scores() && !self.excluded(product_id, &s.user_id))
            .map(|s| s.user_id.clone())
            .collect()
    }

    /// The product's version and set, from the catalogue.
    pub fn sheet_of<'c>(
        state: &'c AppState,
        product: &RoundProduct,
    ) -> Option<(&'c Version, &'c ProductSet)> {
        let version = state.criteria.version(&product.criteria_version)?;
        Some((version, version.set(&product.product_set)?))
    }

    /// What the engine says of the product now (its current pass).
    pub fn standing(&self, state: &AppState, product: &RoundProduct) -> Option<Standing> {
        let (version, set) = Self::sheet_of(state, product)?;
        let entry = Entry {
            version,
            set,
            entity_type: product.entity_type,
            rules: self.rules(version),
            pass: product.pass,
            eligible: self.eligible(&product.id),
            cards: self
                .cards_of(&product.id)
                .iter()
                .map(|c| scoring::Card {
                    member: c.member_id.clone(),
                    pass: c.pass,
                    choices: c.choices.clone(),
                    submitted: c.submitted_at.is_some(),
                })
                .collect(),
            disqualifications: product.disqualifications.clone(),
        };
        Some(entry.standing())
    }

    /// The viewer's card on the product's current pass.
    pub fn card_of(&self, product: &RoundProduct, member: &str) -> Option<&StoredCard> {
        self.cards_of(&product.id)
            .iter()
            .find(|c| c.member_id == member && c.pass == product.pass)
    }

    /// Who the viewer is for the product's scores (blindness).
    pub fn viewer(&self, product: &RoundProduct, user: &User) -> Viewer {
        match self.seat_of(&user.id) {
            Some(seat) if seat.scores() => {
                if self.excluded(&product.id, &user.id) {
                    Viewer::Excluded
                } else {
                    Viewer::Member {
                        submitted: self
                            .card_of(product, &user.id)
                            .is_some_and(|c| c.submitted_at.is_some()),
                    }
                }
            }
            _ => Viewer::Observer,
        }
    }

    /// What the viewer may see of the product now.
    pub fn visibility(&self, state: &AppState, product: &RoundProduct, user: &User) -> Visibility {
        let quorum_reached = Self::sheet_of(state, product).is_some_and(|(version, _)| {
            let submitted = self
                .cards_of(&product.id)
                .iter()
                .filter(|c| c.pass == product.pass && c.submitted_at.is_some())
                .count() as u32;
            submitted >= self.rules(version).quorum
        });
        scoring::visibility(self.viewer(product, user), quorum_reached)
    }

    /// Problems that keep the council from scoring (one chair, a quorum of scorers under the
    /// strictest version on the round).
    pub fn council_problems(&self, state: &AppState) -> Vec<String> {
        let quorum = self
            .products
            .iter()
            .filter_map(|p| state.criteria.version(&p.criteria_version))
            .map(|v| self.rules(v).quorum)
            .max()
            .unwrap_or_else(|| self.round.settings.quorum.unwrap_or(1));
        let seats: Vec<Seat> = self.seats.iter().map(|s| s.seat).collect();
        council_rules::check(&seats, quorum)
    }

    /// Calendar warnings of the round (Điều 5), in `lang`, while it can still act on them (a
    /// closed or legacy round is history).
    pub async fn calendar_warnings(
        &self,
        state: &AppState,
        lang: Lang,
    ) -> Result<Vec<String>, AppError> {
        if self.round.kind == RoundKind::Legacy || self.round.state == RoundState::Closed {
            return Ok(Vec::new());
        }
        let others = store::other_meetings(&state.db, &self.round).await?;
        let mut proposed = Vec::new();
        for product in &self.products {
            if let Some(on) = proposed_on(state, &product.dossier_id, self.round.level).await? {
                proposed.push((product.product_code.clone(), on));
            }
        }
        Ok(
            calendar::round_warnings(self.round.level, self.round.meeting_on, &others, &proposed)
                .into_iter()
                .map(|w| match lang {
                    Lang::Vi => w.message_vi,
                    Lang::En => w.message_en,
                })
                .collect(),
        )
    }
}

/// When the dossier was proposed to the round's level (the commune's proposal for a provincial
/// round; the province's decision for the ministry's), from its audit trail.
async fn proposed_on(
    state: &AppState,
    dossier_id: &str,
    level: Level,
) -> Result<Option<NaiveDate>, AppError> {
    let wanted = match level {
        Level::Ministry => "dossier.decided",
        _ => "dossier.propose",
    };
    let history = ocop_store::audit::history(&state.db, "dossier", dossier_id).await?;
    Ok(history
        .iter()
        .rev()
        .find(|entry| entry.action == wanted)
        .and_then(|entry| chrono::DateTime::from_timestamp_millis(entry.at_ms))
        .map(|at| at.date_naive()))
}

/// Label of a seat in `lang`.
pub fn seat_label(seat: Seat, lang: Lang) -> String {
    lang.t(&format!("rounds-seat-{}", seat.as_str()))
}

/// Label of a product's status in `lang`.
pub fn status_label(status: scoring::Status, lang: Lang) -> String {
    lang.t(&format!("rounds-status-{}", status.as_str()))
}

/// The day a re-evaluation must be done by: 45 days (the version's) from the province taking
/// the dossier in (26/2026 Điều 7.6.g).
pub fn reevaluation_due(state: &AppState, product: &RoundProduct) -> Option<NaiveDate> {
    if product.evaluation_type != ocop_domain::dossier::EvaluationType::Reevaluation {
        return None;
    }
    let days = state
        .criteria
        .version(&product.criteria_version)?
        .procedure
        .reevaluation_days?;
    let taken_in = chrono::DateTime::from_timestamp_millis(product.taken_in_at?)?.date_naive();
    Some(taken_in + chrono::Days::new(u64::from(days)))
}
