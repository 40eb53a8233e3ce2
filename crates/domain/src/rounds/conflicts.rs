//! Conflicts of interest (xung đột lợi ích): a member declares them per product, and the system
//! flags likely ones from the registry and the dossier's history. A conflicted member is
//! excluded from that product (not from the round); the chair may clear a flag the system
//! raised, with a written reason, but not a member's own declaration.

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::text::fold;

/// Where a conflict comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictSource {
    /// The member said so.
    Declared,
    /// The member's account is the producer's (acts for the entity).
    ProducerAccount,
    /// The member took a step on this dossier (as its commune officer, say).
    DossierStep,
    /// The organisation the member declared is the entity.
    Organisation,
}

impl ConflictSource {
    pub const ALL: [ConflictSource; 4] = [
        ConflictSource::Declared,
        ConflictSource::ProducerAccount,
        ConflictSource::DossierStep,
        ConflictSource::Organisation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictSource::Declared => "declared",
            ConflictSource::ProducerAccount => "producer_account",
            ConflictSource::DossierStep => "dossier_step",
            ConflictSource::Organisation => "organisation",
        }
    }

    pub fn parse(text: &str) -> Option<ConflictSource> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Flags the system raised may be cleared by the chair; a declaration stands.
    pub fn clearable(self) -> bool {
        self != ConflictSource::Declared
    }
}

/// A conflict found or declared, with its reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub source: ConflictSource,
    pub reason: String,
}

/// Who the member is.
#[derive(Debug, Clone)]
pub struct MemberFacts<'a> {
    pub user_id: &'a str,
    pub role: Role,
    /// The entity a producer account acts for.
    pub entity_id: Option<&'a str>,
    /// The agency or organisation the member declared (as the minutes list it).
    pub organisation: &'a str,
}

/// What is known of the product's side.
#[derive(Debug, Clone)]
pub struct ProductFacts<'a> {
    pub entity_id: &'a str,
    pub entity_name: &'a str,
    /// (account id, step) for each step taken on the dossier (from its audit trail).
    pub dossier_steps: &'a [(String, String)],
}

/// The dossier's steps at the commune (receiving, checking, reporting, proposing): a member who
/// took one judged the dossier before. The province office's own steps (taking it in, adding
/// it to the round) are its work, not a conflict.
pub const COMMUNE_STEPS: [&str; 5] = [
    "dossier.accept",
    "dossier.return",
    "dossier.propose",
    "dossier.disqualify",
    "dossier.commune_report",
];

/// The likely conflicts the registry and the dossier's history show.
pub fn detect(member: &MemberFacts, product: &ProductFacts) -> Vec<Conflict> {
    let mut found = Vec::new();
    if member.entity_id == Some(product.entity_id) {
        found.push(Conflict {
            source: ConflictSource::ProducerAccount,
            reason: format!("tài khoản của chủ thể {}", product.entity_name),
        });
    }
    let mut steps: Vec<&str> = product
        .dossier_steps
        .iter()
        .filter(|(actor, step)| actor == member.user_id && COMMUNE_STEPS.contains(&step.as_str()))
        .map(|(_, step)| step.as_str())
        .collect();
    steps.sort_unstable();
    steps.dedup();
    // A producer's own steps are the producer-account conflict already.
    if !steps.is_empty() && member.role != Role::Producer {
        found.push(Conflict {
            source: ConflictSource::DossierStep,
            reason: format!("đã xử lý hồ sơ này ({})", steps.join(", ")),
        });
    }
    if same_organisation(member.organisation, product.entity_name) {
        found.push(Conflict {
            source: ConflictSource::Organisation,
            reason: format!(
                "đơn vị công tác \"{}\" là chủ thể {}",
                member.organisation.trim(),
                product.entity_name
            ),
        });
    }
    found
}

/// Whether a declared organisation names the entity: the folded names are equal, or one
/// contains the other and the shorter has at least three words (so "HTX" alone matches nothing).
fn same_organisation(organisation: &str, entity_name: &str) -> bool {
    let organisation = fold(organisation);
    let entity = fold(entity_name);
    let (organisation, entity) = (organisation.trim(), entity.trim());
    if organisation.is_empty() || entity.is_empty() {
        return false;
    }
    if organisation == entity {
        return true;
    }
    let (short, long) = if organisation.len() < entity.len() {
        (organisation, entity)
    } else {
        (entity, organisation)
    };
    short.split_whitespace().count() >= 3 && long.contains(short)
}

/// A conflict as recorded on a member and product: cleared ones no longer exclude.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub source: ConflictSource,
    pub cleared: bool,
}

/// Whether the recorded conflicts exclude the member from the product.
pub fn excludes(conflicts: &[Recorded]) -> bool {
    conflicts
        .iter()
        .any(|c| !c.cleared || !c.source.clearable())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps() -> Vec<(String, String)> {
        vec![
            ("producer-1".into(), "dossier.submit".into()),
            ("xa-1".into(), "dossier.accept".into()),
            ("xa-1".into(), "dossier.propose".into()),
            ("tinh-1".into(), "dossier.take_in".into()),
        ]
    }

    fn product(steps: &[(String, String)]) -> ProductFacts<'_> {
        ProductFacts {
            entity_id: "E1",
            entity_name: "Hợp tác xã Nông nghiệp Sầu riêng Long Khánh",
            dossier_steps: steps,
        }
    }

    #[test]
    fn a_commune_officer_who_proposed_the_dossier_is_flagged() {
        let steps = steps();
        let member = MemberFacts {
            user_id: "xa-1",
            role: Role::CommuneOfficer,
            entity_id: None,
            organisation: "UBND xã Xuân Lập",
        };
        let found = detect(&member, &product(&steps));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].source, ConflictSource::DossierStep);
        assert!(found[0].reason.contains("dossier.accept, dossier.propose"));
    }

    #[test]
    fn the_province_offices_own_steps_are_not_a_conflict() {
        let steps = steps();
        let member = MemberFacts {
            user_id: "tinh-1",
            role: Role::ProvincialOfficer,
            entity_id: None,
            organisation: "Văn phòng điều phối nông thôn mới tỉnh",
        };
        assert!(detect(&member, &product(&steps)).is_empty());
    }

    #[test]
    fn the_producers_account_and_its_organisation_are_flagged() {
        let steps = steps();
        let member = MemberFacts {
            user_id: "producer-1",
            role: Role::Producer,
            entity_id: Some("E1"),
            organisation: "HTX Nông nghiệp Sầu riêng Long Khánh",
        };
        let sources: Vec<_> = detect(&member, &product(&steps))
            .into_iter()
            .map(|c| c.source)
            .collect();
        assert_eq!(sources, [ConflictSource::ProducerAccount]);
        let member = MemberFacts {
            user_id: "m-9",
            role: Role::CouncilMember,
            entity_id: None,
            organisation: "hop tac xa nong nghiep sau rieng long khanh",
        };
        let found = detect(&member, &product(&steps));
        assert_eq!(found[0].source, ConflictSource::Organisation);
    }

    #[test]
    fn unrelated_members_and_short_names_are_not_flagged() {
        let steps = steps();
        for organisation in ["Sở Công Thương", "HTX", "", "Nông nghiệp"] {
            let member = MemberFacts {
                user_id: "m-2",
                role: Role::CouncilMember,
                entity_id: None,
                organisation,
            };
            assert!(
                detect(&member, &product(&steps)).is_empty(),
                "{organisation}"
            );
        }
    }

    #[test]
    fn cleared_flags_stop_excluding_but_declarations_stand() {
        let flag = |source, cleared| Recorded { source, cleared };
        assert!(excludes(&[flag(ConflictSource::DossierStep, false)]));
        assert!(!excludes(&[flag(ConflictSource::DossierStep, true)]));
        assert!(excludes(&[flag(ConflictSource::Declared, true)]));
        assert!(!excludes(&[]));
    }
}
