//! Online scoring of one product in a round: each eligible member's card per pass (the first
//! scoring is pass 1; each re-score opens the next), blindness, and the product's status. The
//! result is always the criteria engine's (`evaluate_under`) on the current pass's submitted
//! cards; earlier passes stay as history.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::criteria::{
    CouncilInput, CouncilResult, CouncilRules, Disqualification, EntityType, Outcome, ProductSet,
    Scorecard, ScoringError, Version, evaluate_under, score_card,
};

/// One member's card on one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub member: String,
    pub pass: u32,
    pub choices: BTreeMap<String, u32>,
    pub submitted: bool,
}

/// Where a product of a round stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fewer eligible members than the quorum: seat more members or clear a flag.
    BelowQuorum,
    /// Waiting for cards.
    Scoring,
    /// The totals are further apart than the council allows: the chair opens a re-score.
    Discussion,
    /// The engine gives a result (recognised, not recognised or disqualified).
    Result,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::BelowQuorum => "below_quorum",
            Status::Scoring => "scoring",
            Status::Discussion => "discussion",
            Status::Result => "result",
        }
    }

    /// A round closes only when every product has a result.
    pub fn is_final(self) -> bool {
        self == Status::Result
    }
}

/// Everything needed to judge one product of a round.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub version: &'a Version,
    pub set: &'a ProductSet,
    pub entity_type: EntityType,
    pub rules: CouncilRules,
    /// The current pass (1 for the first scoring).
    pub pass: u32,
    /// Members who score this product: scoring seats less the conflicted.
    pub eligible: Vec<String>,
    /// Cards of every pass.
    pub cards: Vec<Card>,
    /// Disqualifiers the council found to apply.
    pub disqualifications: Vec<Disqualification>,
}

/// A product's standing: status, how many of the eligible have submitted, and the result once
/// the quorum has.
#[derive(Debug, Clone)]
pub struct Standing {
    pub status: Status,
    pub submitted: Vec<String>,
    pub result: Option<CouncilResult>,
}

impl Entry<'_> {
    /// The current pass's submitted cards of eligible members.
    pub fn submitted(&self) -> Vec<&Card> {
        self.cards
            .iter()
            .filter(|c| c.pass == self.pass && c.submitted && self.eligible.contains(&c.member))
            .collect()
    }

    pub fn standing(&self) -> Standing {
        let submitted = self.submitted();
        let names: Vec<String> = submitted.iter().map(|c| c.member.clone()).collect();
        if !self.disqualifications.is_empty() {
            let input = self.input(&[]);
            let result = evaluate_under(self.version, self.set, &input, self.rules).ok();
            return Standing {
                status: Status::Result,
                submitted: names,
                result,
            };
        }
        if (self.eligible.len() as u32) < self.rules.quorum {
            return Standing {
                status: Status::BelowQuorum,
                submitted: names,
                result: None,
            };
        }
        if (submitted.len() as u32) < self.rules.quorum {
            return Standing {
                status: Status::Scoring,
                submitted: names,
                result: None,
            };
        }
        // Submitted cards were checked on submission; a card that no longer checks (data
        // changed under it) keeps the product scoring rather than inventing a result.
        let input = self.input(&submitted);
        let Ok(result) = evaluate_under(self.version, self.set, &input, self.rules) else {
            return Standing {
                status: Status::Scoring,
                submitted: names,
                result: None,
            };
        };
        let status = match result.outcome {
            Outcome::NeedsDiscussion => Status::Discussion,
            Outcome::Incomplete => Status::Scoring,
            _ => Status::Result,
        };
        Standing {
            status,
            submitted: names,
            result: Some(result),
        }
    }

    fn input(&self, cards: &[&Card]) -> CouncilInput {
        CouncilInput {
            version: self.version.id.clone(),
            product_set: self.set.code.clone(),
            entity_type: self.entity_type,
            council: cards.iter().map(|c| c.member.clone()).collect(),
            scorecards: cards
                .iter()
                .map(|c| Scorecard {
                    member: c.member.clone(),
                    choices: c.choices.clone(),
                })
                .collect(),
            disqualifications: self.disqualifications.clone(),
        }
    }
}

/// Why a member's card is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("you are not on this round's council, or your seat does not score")]
    NotAssigned,
    #[error("you are excluded from this product by a conflict of interest")]
    Conflicted,
    #[error("the round is not scoring")]
    NotScoring,
    #[error("this product is not being scored (it has a result or awaits a re-score)")]
    ProductNotScoring,
    #[error("your card for this pass is already submitted")]
    AlreadySubmitted,
    #[error("the card does not fit the sheet")]
    Invalid(Vec<ScoringError>),
}

/// Checks a draft: every choice must exist and apply to the entity type; criteria may be left
/// for later.
pub fn check_draft(
    version: &Version,
    set: &ProductSet,
    entity: EntityType,
    choices: &BTreeMap<String, u32>,
) -> Result<(), CardError> {
    let card = Scorecard {
        member: String::new(),
        choices: choices.clone(),
    };
    match score_card(version, set, entity, &card) {
        Ok(_) => Ok(()),
        Err(errors) => {
            let errors: Vec<ScoringError> = errors
                .into_iter()
                .filter(|e| !matches!(e, ScoringError::MissingCriterion { .. }))
                .collect();
            if errors.is_empty() {
                Ok(())
            } else {
                Err(CardError::Invalid(errors))
            }
        }
    }
}

/// Checks a card for submission: every criterion scored, every choice applies. Returns its total.
pub fn check_submission(
    version: &Version,
    set: &ProductSet,
    entity: EntityType,
    choices: &BTreeMap<String, u32>,
) -> Result<u32, CardError> {
    let card = Scorecard {
        member: String::new(),
        choices: choices.clone(),
    };
    score_card(version, set, entity, &card)
        .map(|scored| scored.total)
        .map_err(CardError::Invalid)
}

/// Who is looking at a product's scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// An eligible member; whether they have submitted their card for the current pass.
    Member { submitted: bool },
    /// A member excluded by a conflict.
    Excluded,
    /// Secretary, the OCOP office, the ministry: they follow progress and do not score.
    Observer,
}

/// What a viewer may see of a product's cards and result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Visibility {
    /// Who has submitted (names only).
    pub progress: bool,
    /// Other members' cards and totals of the current pass, and the result.
    pub current_pass: bool,
    /// Cards of earlier passes (the history of re-scores).
    pub earlier_passes: bool,
}

/// Blindness: a member sees no other card, total or mean of the current pass until their own
/// card is submitted; an excluded member sees no scores at all; observers see cards and the
/// result once the quorum has submitted.
pub fn visibility(viewer: Viewer, quorum_reached: bool) -> Visibility {
    match viewer {
        Viewer::Member { submitted } => Visibility {
            progress: true,
            current_pass: submitted,
            earlier_passes: true,
        },
        Viewer::Excluded => Visibility {
            progress: true,
            current_pass: false,
            earlier_passes: false,
        },
        Viewer::Observer => Visibility {
            progress: true,
            current_pass: quorum_reached,
            earlier_passes: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_is_blind_until_their_own_card_is_in() {
        let before = visibility(Viewer::Member { submitted: false }, true);
        assert!(!before.current_pass && before.progress);
        assert!(visibility(Viewer::Member { submitted: true }, false).current_pass);
        assert!(!visibility(Viewer::Excluded, true).current_pass);
        assert!(!visibility(Viewer::Excluded, true).earlier_passes);
        assert!(!visibility(Viewer::Observer, false).current_pass);
        assert!(visibility(Viewer::Observer, true).current_pass);
    }
}
