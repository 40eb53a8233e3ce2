//! Evaluation rounds (đợt đánh giá, phân hạng): a province's or the ministry's council scores the
//! dossiers taken into a round online, blind and free of conflicts of interest; the results
//! become recognition decisions.
//!
//! ```text
//! preparing ──start scoring (organiser)──► scoring ──close (organiser; every product has a result)──► closed
//!                                             ▲                                                         │
//!                                             └──────────── re-score by the chair, with a reason ───────┘
//! ```
//!
//! The organiser is the level's OCOP office: a provincial officer of the round's province, or a
//! central officer for the ministry's rounds. Scores always go through the criteria engine
//! (`crate::criteria::evaluate_under`); nothing here scores a second time.

pub mod analytics;
pub mod calendar;
pub mod conflicts;
pub mod council;
pub mod decision;
pub mod scoring;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::criteria::Level;

/// Where a round is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    /// Products and the council are being put together.
    Preparing,
    /// Members score online.
    Scoring,
    /// Every product has a result; the round is locked.
    Closed,
}

impl RoundState {
    pub const ALL: [RoundState; 3] = [
        RoundState::Preparing,
        RoundState::Scoring,
        RoundState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoundState::Preparing => "preparing",
            RoundState::Scoring => "scoring",
            RoundState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<RoundState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A round scored online, or the record of a round held before the system (QĐ 1048 or 148,
/// district councils included) whose results are entered as they were decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    Online,
    Legacy,
}

impl RoundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundKind::Online => "online",
            RoundKind::Legacy => "legacy",
        }
    }

    pub fn parse(text: &str) -> Option<RoundKind> {
        [RoundKind::Online, RoundKind::Legacy]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// The date legacy rounds must precede: districts were abolished and QĐ 1489 took over on
/// 01/07/2025, so rounds before it are history to record, not to score.
pub fn legacy_before() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("a valid date")
}

/// The role that organises rounds at a level (opens them, takes products in, closes them).
pub fn organiser(level: Level) -> Option<Role> {
    match level {
        Level::Province => Some(Role::ProvincialOfficer),
        Level::Ministry => Some(Role::CentralOfficer),
        Level::Commune | Level::District => None,
    }
}

/// A step in a round's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundAction {
    StartScoring,
    Close,
    /// The chair re-opens a closed round to re-score a product (the reason is audited).
    Reopen {
        reason: String,
    },
}

impl RoundAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            RoundAction::StartScoring => "start",
            RoundAction::Close => "close",
            RoundAction::Reopen { .. } => "reopen",
        }
    }
}

/// The shortest reason accepted for a re-score, a cleared conflict or a return.
pub const MIN_REASON_CHARS: usize = 10;

/// Why a round operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundError {
    #[error("only {0} may do this")]
    NotAllowed(&'static str),
    #[error("a {} round cannot be {action}", state.as_str())]
    WrongState {
        state: RoundState,
        action: &'static str,
    },
    #[error("the round is closed and locked")]
    Locked,
    #[error("say why, in at least {MIN_REASON_CHARS} characters")]
    ReasonRequired,
    #[error("the round has no products")]
    NoProducts,
    #[error("the council is not ready: {0}")]
    CouncilNotReady(String),
    #[error("these products have no final result yet: {}", .0.join(", "))]
    NotFinal(Vec<String>),
}

/// What a round needs to be moved, besides its state.
#[derive(Debug, Clone, Default)]
pub struct RoundFacts {
    pub products: usize,
    /// Problems of the council (`council::check`), empty when it may score.
    pub council_problems: Vec<String>,
    /// Products (by code) without a final result.
    pub not_final: Vec<String>,
}

/// Who is acting on a round: their account role, and their seat on its council if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub seat: Option<council::Seat>,
}

/// The state after `action`, if `actor` may take it.
pub fn transition(
    level: Level,
    state: RoundState,
    action: &RoundAction,
    actor: Actor,
    facts: &RoundFacts,
) -> Result<RoundState, RoundError> {
    let organiser_role = organiser(level);
    match action {
        RoundAction::StartScoring => {
            if Some(actor.role) != organiser_role {
                return Err(RoundError::NotAllowed("the round's OCOP office"));
            }
            if state != RoundState::Preparing {
                return Err(RoundError::WrongState {
                    state,
                    action: "started",
                });
            }
            if facts.products == 0 {
                return Err(RoundError::NoProducts);
            }
            if !facts.council_problems.is_empty() {
                return Err(RoundError::CouncilNotReady(
                    facts.council_problems.join("; "),
                ));
            }
            Ok(RoundState::Scoring)
        }
        RoundAction::Close => {
            if Some(actor.role) != organiser_role {
                return Err(RoundError::NotAllowed("the round's OCOP office"));
            }
            if state != RoundState::Scoring {
                return Err(RoundError::WrongState {
                    state,
                    action: "closed",
                });
            }
            if !facts.not_final.is_empty() {
                return Err(RoundError::NotFinal(facts.not_final.clone()));
            }
            Ok(RoundState::Closed)
        }
        RoundAction::Reopen { reason } => {
            if actor.seat != Some(council::Seat::Chair) {
                return Err(RoundError::NotAllowed("the council's chair"));
            }
            if state != RoundState::Closed {
                return Err(RoundError::WrongState {
                    state,
                    action: "re-opened",
                });
            }
            if reason.trim().chars().count() < MIN_REASON_CHARS {
                return Err(RoundError::ReasonRequired);
            }
            Ok(RoundState::Scoring)
        }
    }
}

/// A round's changes (products, council, settings) are allowed while it is not closed.
pub fn editable(state: RoundState) -> Result<(), RoundError> {
    match state {
        RoundState::Closed => Err(RoundError::Locked),
        _ => Ok(()),
    }
}

impl fmt::Display for RoundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::council::Seat;
    use super::*;

    fn officer() -> Actor {
        Actor {
            role: Role::ProvincialOfficer,
            seat: None,
        }
    }

    fn ready() -> RoundFacts {
        RoundFacts {
            products: 3,
            ..RoundFacts::default()
        }
    }

    #[test]
    fn the_office_starts_and_closes_a_round() {
        let started = transition(
            Level::Province,
            RoundState::Preparing,
            &RoundAction::StartScoring,
            officer(),
            &ready(),
        );
        assert_eq!(started, Ok(RoundState::Scoring));
        let closed = transition(
            Level::Province,
            RoundState::Scoring,
            &RoundAction::Close,
            officer(),
            &ready(),
        );
        assert_eq!(closed, Ok(RoundState::Closed));
    }

    #[test]
    fn a_ministry_round_is_the_central_officers() {
        let refused = transition(
            Level::Ministry,
            RoundState::Preparing,
            &RoundAction::StartScoring,
            officer(),
            &ready(),
        );
        assert!(matches!(refused, Err(RoundError::NotAllowed(_))));
        let central = Actor {
            role: Role::CentralOfficer,
            seat: None,
        };
        let started = transition(
            Level::Ministry,
            RoundState::Preparing,
            &RoundAction::StartScoring,
            central,
            &ready(),
        );
        assert_eq!(started, Ok(RoundState::Scoring));
    }

    #[test]
    fn closing_needs_every_result_and_starting_a_ready_council() {
        let facts = RoundFacts {
            not_final: vec!["75-26734-1-2026".into()],
            ..ready()
        };
        let refused = transition(
            Level::Province,
            RoundState::Scoring,
            &RoundAction::Close,
            officer(),
            &facts,
        );
        assert_eq!(
            refused,
            Err(RoundError::NotFinal(vec!["75-26734-1-2026".into()]))
        );
        let facts = RoundFacts {
            council_problems: vec!["no chair".into()],
            ..ready()
        };
        let refused = transition(
            Level::Province,
            RoundState::Preparing,
            &RoundAction::StartScoring,
            officer(),
            &facts,
        );
        assert!(matches!(refused, Err(RoundError::CouncilNotReady(_))));
        let empty = transition(
            Level::Province,
            RoundState::Preparing,
            &RoundAction::StartScoring,
            officer(),
            &RoundFacts::default(),
        );
        assert_eq!(empty, Err(RoundError::NoProducts));
    }

    #[test]
    fn only_the_chair_reopens_a_closed_round_with_a_reason() {
        let chair = Actor {
            role: Role::CouncilMember,
            seat: Some(Seat::Chair),
        };
        let member = Actor {
            role: Role::CouncilMember,
            seat: Some(Seat::Member),
        };
        let reopen = |reason: &str| RoundAction::Reopen {
            reason: reason.into(),
        };
        let ok = reopen("Khiếu nại của chủ thể về tiêu chí 1.5");
        assert!(matches!(
            transition(Level::Province, RoundState::Closed, &ok, member, &ready()),
            Err(RoundError::NotAllowed(_))
        ));
        assert!(matches!(
            transition(
                Level::Province,
                RoundState::Closed,
                &ok,
                officer(),
                &ready()
            ),
            Err(RoundError::NotAllowed(_))
        ));
        assert_eq!(
            transition(
                Level::Province,
                RoundState::Closed,
                &reopen("vì"),
                chair,
                &ready()
            ),
            Err(RoundError::ReasonRequired)
        );
        assert_eq!(
            transition(Level::Province, RoundState::Closed, &ok, chair, &ready()),
            Ok(RoundState::Scoring)
        );
        assert!(matches!(
            transition(Level::Province, RoundState::Scoring, &ok, chair, &ready()),
            Err(RoundError::WrongState { .. })
        ));
        assert_eq!(editable(RoundState::Closed), Err(RoundError::Locked));
        assert_eq!(editable(RoundState::Scoring), Ok(()));
    }
}
