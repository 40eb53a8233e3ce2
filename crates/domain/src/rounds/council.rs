//! A round's council (hội đồng): who sits on it, in which seat, and its own rules (quy chế).
//!
//! QĐ 26/2026 Điều 7.3.b and 7.4.b fix who sits on a council (a chair from the People's
//! Committee or the ministry, members from the departments, the OCOP office) and leave quorum,
//! averaging and any spread limit to the council's rules: those are settings of the council,
//! each defaulting to the criteria version's data.
//!
//! A seat is a role an account holds on one round, on top of its own: a provincial officer may
//! be the secretary, a commune officer may be invited as a member, without a second account, so
//! that conflicts of interest see who a member really is.

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::criteria::{Averaging, CouncilRules, Level};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seat {
    /// Chủ tịch Hội đồng: opens re-scores, clears conflict flags.
    Chair,
    /// Phó Chủ tịch.
    ViceChair,
    /// Thành viên.
    Member,
    /// Thư ký: keeps the minutes and follows progress; does not score.
    Secretary,
}

impl Seat {
    pub const ALL: [Seat; 4] = [Seat::Chair, Seat::ViceChair, Seat::Member, Seat::Secretary];

    pub fn as_str(self) -> &'static str {
        match self {
            Seat::Chair => "chair",
            Seat::ViceChair => "vice_chair",
            Seat::Member => "member",
            Seat::Secretary => "secretary",
        }
    }

    pub fn parse(text: &str) -> Option<Seat> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Seat::Chair => "Chủ tịch Hội đồng",
            Seat::ViceChair => "Phó Chủ tịch Hội đồng",
            Seat::Member => "Thành viên",
            Seat::Secretary => "Thư ký",
        }
    }

    /// Whether the seat scores products.
    pub fn scores(self) -> bool {
        self != Seat::Secretary
    }
}

/// Which accounts may take a seat on a council of `level`. Producers never (they are the
/// evaluated), administrators never (they run the system, not the programme).
pub fn may_sit(role: Role, level: Level) -> bool {
    match role {
        Role::Producer | Role::Administrator => false,
        Role::CouncilMember | Role::ProvincialOfficer | Role::CommuneOfficer => {
            level == Level::Province || role == Role::CouncilMember
        }
        Role::CentralOfficer => level == Level::Ministry,
    }
}

/// A council's own rules; an unset value takes the version's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub quorum: Option<u32>,
    pub spread_limit: Option<u32>,
    pub averaging: Option<Averaging>,
}

impl Settings {
    /// The rules for a product scored under a version whose data give `defaults`.
    pub fn rules(&self, defaults: CouncilRules) -> CouncilRules {
        CouncilRules {
            quorum: self.quorum.unwrap_or(defaults.quorum),
            spread_limit: self.spread_limit.unwrap_or(defaults.spread_limit),
            averaging: self.averaging.unwrap_or(defaults.averaging),
        }
    }

    /// A quorum of 0 or a spread limit over 100 makes no sense.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.quorum == Some(0) {
            return Err("quorum");
        }
        if self.spread_limit.is_some_and(|limit| limit > 100) {
            return Err("spread_limit");
        }
        Ok(())
    }
}

/// Problems that keep a council from scoring: one chair, someone to score, enough scorers for
/// the quorum.
pub fn check(seats: &[Seat], quorum: u32) -> Vec<String> {
    let mut problems = Vec::new();
    let chairs = seats.iter().filter(|s| **s == Seat::Chair).count();
    if chairs == 0 {
        problems.push("no chair".to_string());
    }
    if chairs > 1 {
        problems.push(format!("{chairs} chairs"));
    }
    let scorers = seats.iter().filter(|s| s.scores()).count() as u32;
    if scorers < quorum {
        problems.push(format!(
            "{scorers} scoring members, fewer than the quorum of {quorum}"
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secretary_does_not_score() {
        assert!(!Seat::Secretary.scores());
        assert!(Seat::Chair.scores() && Seat::ViceChair.scores() && Seat::Member.scores());
        assert_eq!(Seat::parse("vice_chair"), Some(Seat::ViceChair));
    }

    #[test]
    fn who_may_sit() {
        assert!(may_sit(Role::CommuneOfficer, Level::Province));
        assert!(may_sit(Role::ProvincialOfficer, Level::Province));
        assert!(!may_sit(Role::ProvincialOfficer, Level::Ministry));
        assert!(may_sit(Role::CentralOfficer, Level::Ministry));
        assert!(may_sit(Role::CouncilMember, Level::Ministry));
        assert!(!may_sit(Role::Producer, Level::Province));
        assert!(!may_sit(Role::Administrator, Level::Province));
    }

    #[test]
    fn settings_default_to_the_versions_data() {
        let defaults = CouncilRules {
            quorum: 5,
            spread_limit: 10,
            averaging: Averaging::Mean,
        };
        assert_eq!(Settings::default().rules(defaults), defaults);
        let own = Settings {
            quorum: Some(7),
            spread_limit: None,
            averaging: Some(Averaging::TrimmedMean),
        };
        assert_eq!(
            own.rules(defaults),
            CouncilRules {
                quorum: 7,
                spread_limit: 10,
                averaging: Averaging::TrimmedMean
            }
        );
        assert_eq!(
            Settings {
                quorum: Some(0),
                ..own
            }
            .check(),
            Err("quorum")
        );
    }

    #[test]
    fn a_council_needs_one_chair_and_a_quorum_of_scorers() {
        use Seat::*;
        assert!(check(&[Chair, Member, Member, Secretary], 3).is_empty());
        assert_eq!(
            check(&[Member, Member, Secretary, Secretary], 3),
            ["no chair", "2 scoring members, fewer than the quorum of 3"]
        );
        assert_eq!(check(&[Chair, Chair, Member], 1), ["2 chairs"]);
    }
}
