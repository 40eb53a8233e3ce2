//! Dossiers (hồ sơ): what a producer files for a product's evaluation, and who may move it from
//! one state to the next.
//!
//! ```text
//! draft ──submit (producer, complete)──► submitted ──accept (commune)──► accepted ──propose (commune)──► proposed
//!   ▲                                        │                               ▲                               │
//!   └──────── returned ◄──return with a reason (commune)                    └─return to the commune (province)┤
//!               └──submit again (producer)──► submitted                                                       │
//!                                                                            taken in ◄──take in (province)───┘
//!                                                                               │ added to a round
//!                                                                               ▼
//!      recognised / not recognised / awaiting the ministry / below the ministry's threshold ◄── in a round
//! ```
//!
//! The steps after "taken in" are taken by the round (`crate::rounds`): adding a dossier to a
//! round, and recording a decision on its result, move it ([`after_round`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::access::Role;

/// Why the product is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationType {
    /// Đánh giá lần đầu
    FirstTime,
    /// Nâng hạng sao
    Upgrade,
    /// Đánh giá lại (before a certificate expires)
    Reevaluation,
}

impl EvaluationType {
    pub const ALL: [EvaluationType; 3] = [
        EvaluationType::FirstTime,
        EvaluationType::Upgrade,
        EvaluationType::Reevaluation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvaluationType::FirstTime => "first_time",
            EvaluationType::Upgrade => "upgrade",
            EvaluationType::Reevaluation => "reevaluation",
        }
    }

    pub fn parse(text: &str) -> Option<EvaluationType> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierState {
    Draft,
    Submitted,
    Returned,
    Accepted,
    Proposed,
    /// Rejected outright by one of the sheet's disqualifiers ("Hồ sơ bị loại khi …"): not scored.
    Disqualified,
    /// The province's OCOP office took it in; its advisory group pre-assesses it.
    TakenIn,
    /// In an evaluation round (the province's, or the ministry's).
    InRound,
    /// A decision recognised it (the star is the decision's).
    Recognised,
    /// A round's result did not recognise it (below 50 points or the 3★ minimums, a mandatory
    /// criterion failed, or disqualified by the council).
    NotRecognised,
    /// Scored 90 or more at the province: approved (and under 148/1489 recognised 4★) and
    /// forwarded to the ministry's round.
    AwaitingMinistry,
    /// The ministry's council scored it below 90: the province recognises 3★/4★ on that result
    /// or re-evaluates it (26/2026 Điều 7.4.g).
    BelowMinistryThreshold,
}

impl DossierState {
    pub const ALL: [DossierState; 12] = [
        DossierState::Draft,
        DossierState::Submitted,
        DossierState::Returned,
        DossierState::Accepted,
        DossierState::Proposed,
        DossierState::Disqualified,
        DossierState::TakenIn,
        DossierState::InRound,
        DossierState::Recognised,
        DossierState::NotRecognised,
        DossierState::AwaitingMinistry,
        DossierState::BelowMinistryThreshold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DossierState::Draft => "draft",
            DossierState::Submitted => "submitted",
            DossierState::Returned => "returned",
            DossierState::Accepted => "accepted",
            DossierState::Proposed => "proposed",
            DossierState::Disqualified => "disqualified",
            DossierState::TakenIn => "taken_in",
            DossierState::InRound => "in_round",
            DossierState::Recognised => "recognised",
            DossierState::NotRecognised => "not_recognised",
            DossierState::AwaitingMinistry => "awaiting_ministry",
            DossierState::BelowMinistryThreshold => "below_ministry_threshold",
        }
    }

    pub fn parse(text: &str) -> Option<DossierState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the producer may still change the dossier's content.
    pub fn editable(self) -> bool {
        matches!(self, DossierState::Draft | DossierState::Returned)
    }
}

/// A step in a dossier's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DossierAction {
    Submit,
    /// The commune sends it back; the reason is shown to the producer.
    Return {
        reason: String,
    },
    Accept,
    /// The commune proposes it to the province.
    Propose,
    /// The commune rejects it by one of the sheet's disqualifiers: `rule` is the rule as the
    /// sheet states it (`D1: Hồ sơ bị loại khi …`), `reason` what was found.
    Disqualify {
        rule: String,
        reason: String,
    },
    /// The province's OCOP office takes a proposed dossier in.
    TakeIn,
    /// The province's OCOP office sends a proposed or taken-in dossier back to the commune to be
    /// completed (Điều 7.3.a), with a reason; the commune may propose it again.
    ReturnToCommune {
        reason: String,
    },
    /// A 5★ product's re-evaluation goes from the province's office straight to the ministry,
    /// with no provincial council (26/2026 Điều 6.3.b, 7.6.e); the caller checks that the
    /// dossier is such a re-evaluation.
    ForwardToMinistry,
}

impl DossierAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            DossierAction::Submit => "submit",
            DossierAction::Return { .. } => "return",
            DossierAction::Accept => "accept",
            DossierAction::Propose => "propose",
            DossierAction::Disqualify { .. } => "disqualify",
            DossierAction::TakeIn => "take_in",
            DossierAction::ReturnToCommune { .. } => "return_to_commune",
            DossierAction::ForwardToMinistry => "forward_to_ministry",
        }
    }

    /// The step in the past tense, for messages.
    pub fn past(&self) -> &'static str {
        match self {
            DossierAction::Submit => "submitted",
            DossierAction::Return { .. } => "returned",
            DossierAction::Accept => "accepted",
            DossierAction::Propose => "proposed",
            DossierAction::Disqualify { .. } => "disqualified",
            DossierAction::TakeIn => "taken in",
            DossierAction::ReturnToCommune { .. } => "returned to the commune",
            DossierAction::ForwardToMinistry => "forwarded to the ministry",
        }
    }

    /// What the dossier records as the reason: a return's, or the rule and the finding.
    pub fn reason(&self) -> Option<String> {
        match self {
            DossierAction::Return { reason } | DossierAction::ReturnToCommune { reason } => {
                Some(reason.trim().to_string())
            }
            DossierAction::Disqualify { rule, reason } => {
                Some(format!("{} — {}", rule.trim(), reason.trim()))
            }
            _ => None,
        }
    }
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    /// This role may not take this step.
    NotAllowed { role: Role, action: &'static str },
    /// Not from this state (`action` in the past tense).
    WrongState {
        state: DossierState,
        action: &'static str,
    },
    /// A return needs a reason the producer can act on.
    ReasonRequired,
    /// Submitting needs a complete dossier: these items are missing.
    Incomplete(Vec<ChecklistItem>),
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransitionError::NotAllowed { role, action } => {
                write!(f, "a {role} may not {action} a dossier")
            }
            TransitionError::WrongState { state, action } => {
                write!(f, "a {} dossier cannot be {action}", state.as_str())
            }
            TransitionError::ReasonRequired => {
                f.write_str("say why the dossier is returned or disqualified")
            }
            TransitionError::Incomplete(missing) => {
                let keys: Vec<&str> = missing.iter().map(|item| item.key()).collect();
                write!(f, "the dossier is incomplete: {}", keys.join(", "))
            }
        }
    }
}

/// The shortest reason accepted for returning a dossier.
pub const MIN_REASON_CHARS: usize = 10;

/// The state after `action` by `role`; `missing` is what the step still needs (the producer's
/// checklist for a submission, the commune's report for a proposal).
pub fn transition(
    state: DossierState,
    action: &DossierAction,
    role: Role,
    missing: &[ChecklistItem],
) -> Result<DossierState, TransitionError> {
    let name = action.as_str();
    let (allowed_role, from, to): (Role, &[DossierState], DossierState) = match action {
        DossierAction::Submit => (
            Role::Producer,
            &[DossierState::Draft, DossierState::Returned],
            DossierState::Submitted,
        ),
        DossierAction::Return { .. } => (
            Role::CommuneOfficer,
            &[DossierState::Submitted],
            DossierState::Returned,
        ),
        DossierAction::Accept => (
            Role::CommuneOfficer,
            &[DossierState::Submitted],
            DossierState::Accepted,
        ),
        DossierAction::Propose => (
            Role::CommuneOfficer,
            &[DossierState::Accepted],
            DossierState::Proposed,
        ),
        // The commune checks the dossier (26/2026 Điều 7.2): a disqualifier found then ends it.
        DossierAction::Disqualify { .. } => (
            Role::CommuneOfficer,
            &[DossierState::Submitted, DossierState::Accepted],
            DossierState::Disqualified,
        ),
        DossierAction::TakeIn => (
            Role::ProvincialOfficer,
            &[DossierState::Proposed],
            DossierState::TakenIn,
        ),
        DossierAction::ReturnToCommune { .. } => (
            Role::ProvincialOfficer,
            &[DossierState::Proposed, DossierState::TakenIn],
            DossierState::Accepted,
        ),
        DossierAction::ForwardToMinistry => (
            Role::ProvincialOfficer,
            &[DossierState::TakenIn],
            DossierState::AwaitingMinistry,
        ),
    };
    if role != allowed_role {
        return Err(TransitionError::NotAllowed { role, action: name });
    }
    if !from.contains(&state) {
        return Err(TransitionError::WrongState {
            state,
            action: action.past(),
        });
    }
    match action {
        DossierAction::Return { reason }
        | DossierAction::ReturnToCommune { reason }
        | DossierAction::Disqualify { reason, .. }
            if reason.trim().chars().count() < MIN_REASON_CHARS =>
        {
            Err(TransitionError::ReasonRequired)
        }
        DossierAction::Submit | DossierAction::Propose if !missing.is_empty() => {
            Err(TransitionError::Incomplete(missing.to_vec()))
        }
        _ => Ok(to),
    }
}

/// Where a dossier stands after its round's result is decided (`outcome` from
/// `crate::rounds::decision::ProductOutcome::as_str`).
pub fn after_round(outcome: crate::rounds::decision::ProductOutcome) -> DossierState {
    use crate::rounds::decision::ProductOutcome;
    match outcome {
        ProductOutcome::Recognised { .. } => DossierState::Recognised,
        ProductOutcome::RecognisedAndProposed { .. } | ProductOutcome::ApprovedForMinistry => {
            DossierState::AwaitingMinistry
        }
        ProductOutcome::BelowMinistryThreshold { .. } => DossierState::BelowMinistryThreshold,
        ProductOutcome::NotRecognised | ProductOutcome::Disqualified => DossierState::NotRecognised,
    }
}

/// The Mẫu 03 report the commune writes on four points of the dossier (26/2026 Điều 7.2.a).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommuneReport {
    /// Sử dụng nguyên liệu địa phương.
    pub local_materials: String,
    /// Sử dụng lao động địa phương.
    pub local_labour: String,
    /// Nguồn gốc ý tưởng sản phẩm.
    pub idea_origin: String,
    /// Bản sắc, trí tuệ địa phương.
    pub local_identity: String,
}

impl CommuneReport {
    pub const FIELDS: [&'static str; 4] = [
        "local_materials",
        "local_labour",
        "idea_origin",
        "local_identity",
    ];

    /// Each point needs an assessment of at least [`MIN_REASON_CHARS`] characters; the
    /// problems are (field, message id).
    pub fn check(&self) -> Result<(), Vec<(&'static str, &'static str)>> {
        let values = [
            &self.local_materials,
            &self.local_labour,
            &self.idea_origin,
            &self.local_identity,
        ];
        let problems: Vec<_> = Self::FIELDS
            .into_iter()
            .zip(values)
            .filter(|(_, value)| value.trim().chars().count() < MIN_REASON_CHARS)
            .map(|(field, _)| (field, "dossier-error-report-point"))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Working days the commune has to check a dossier and write its report (Điều 7.2).
pub const COMMUNE_WORKING_DAYS: u32 = 15;

/// `days` working days after `from` (Monday to Friday; public holidays are not known to the
/// system and are not skipped, so the deadline shown is never later than the law's).
pub fn add_working_days(from: chrono::NaiveDate, days: u32) -> chrono::NaiveDate {
    use chrono::Datelike;
    let mut date = from;
    let mut left = days;
    while left > 0 {
        date = date.succ_opt().expect("a date within range");
        if date.weekday().num_days_from_monday() < 5 {
            left -= 1;
        }
    }
    date
}

/// Kinds of evidence documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceType {
    /// Giấy chứng nhận đăng ký kinh doanh
    BusinessRegistration,
    /// Bản công bố chất lượng / tiêu chuẩn cơ sở
    QualityDeclaration,
    /// Phiếu kết quả kiểm nghiệm
    TestReport,
    /// Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm
    FoodSafetyCertificate,
    /// Giấy chứng nhận nhãn hiệu
    Trademark,
    /// Kế hoạch / cam kết bảo vệ môi trường
    EnvironmentalPlan,
    /// Ảnh sản phẩm, bao bì, nhãn
    ProductPhoto,
    Other,
}

impl EvidenceType {
    pub const ALL: [EvidenceType; 8] = [
        EvidenceType::BusinessRegistration,
        EvidenceType::QualityDeclaration,
        EvidenceType::TestReport,
        EvidenceType::FoodSafetyCertificate,
        EvidenceType::Trademark,
        EvidenceType::EnvironmentalPlan,
        EvidenceType::ProductPhoto,
        EvidenceType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceType::BusinessRegistration => "business_registration",
            EvidenceType::QualityDeclaration => "quality_declaration",
            EvidenceType::TestReport => "test_report",
            EvidenceType::FoodSafetyCertificate => "food_safety_certificate",
            EvidenceType::Trademark => "trademark",
            EvidenceType::EnvironmentalPlan => "environmental_plan",
            EvidenceType::ProductPhoto => "product_photo",
            EvidenceType::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<EvidenceType> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// One thing a complete dossier has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "item", content = "of")]
pub enum ChecklistItem {
    /// The registration form's contact phone.
    ContactPhone,
    /// The producer's self-assessment on the sheet, every criterion scored.
    SelfAssessment,
    /// A document of this type, not expired.
    Evidence(EvidenceType),
    /// The commune's Mẫu 03 report, before it proposes the dossier (when the version asks).
    CommuneReport,
}

impl ChecklistItem {
    pub fn key(&self) -> &'static str {
        match self {
            ChecklistItem::ContactPhone => "contact_phone",
            ChecklistItem::SelfAssessment => "self_assessment",
            ChecklistItem::Evidence(kind) => kind.as_str(),
            ChecklistItem::CommuneReport => "commune_report",
        }
    }
}

/// What a dossier holds, as far as completeness goes.
#[derive(Debug, Clone, Default)]
pub struct DossierFacts {
    pub contact_phone: bool,
    pub self_assessment_complete: bool,
    /// Evidence documents not expired on the day of the check.
    pub evidence: Vec<EvidenceType>,
    /// Food and drinks need a food-safety certificate (product groups "Thực phẩm", "Đồ uống").
    pub food_or_drink: bool,
}

/// The documents every dossier needs, and those for food and drinks.
pub fn required_evidence(food_or_drink: bool) -> Vec<EvidenceType> {
    let mut required = vec![
        EvidenceType::BusinessRegistration,
        EvidenceType::QualityDeclaration,
        EvidenceType::TestReport,
        EvidenceType::ProductPhoto,
    ];
    if food_or_drink {
        required.push(EvidenceType::FoodSafetyCertificate);
    }
    required
}

/// What is still missing, in the order a producer would gather it.
pub fn missing_items(facts: &DossierFacts) -> Vec<ChecklistItem> {
    let mut missing = Vec::new();
    if !facts.contact_phone {
        missing.push(ChecklistItem::ContactPhone);
    }
    if !facts.self_assessment_complete {
        missing.push(ChecklistItem::SelfAssessment);
    }
    for kind in required_evidence(facts.food_or_drink) {
        if !facts.evidence.contains(&kind) {
            missing.push(ChecklistItem::Evidence(kind));
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_commune_disqualifies_a_checked_dossier_naming_the_rule() {
        let disqualify = |reason: &str| DossierAction::Disqualify {
            rule: "D1: Hồ sơ bị loại khi: Giả mạo hồ sơ".into(),
            reason: reason.into(),
        };
        let found = disqualify("Giấy chứng nhận ATTP bị tẩy xóa");
        for from in [DossierState::Submitted, DossierState::Accepted] {
            assert_eq!(
                transition(from, &found, Role::CommuneOfficer, &[]),
                Ok(DossierState::Disqualified)
            );
        }
        assert_eq!(
            found.reason().unwrap(),
            "D1: Hồ sơ bị loại khi: Giả mạo hồ sơ — Giấy chứng nhận ATTP bị tẩy xóa"
        );
        assert_eq!(
            transition(
                DossierState::Submitted,
                &disqualify("giả"),
                Role::CommuneOfficer,
                &[]
            ),
            Err(TransitionError::ReasonRequired)
        );
        assert!(matches!(
            transition(DossierState::Submitted, &found, Role::Producer, &[]),
            Err(TransitionError::NotAllowed { .. })
        ));
        let late =
            transition(DossierState::Proposed, &found, Role::CommuneOfficer, &[]).unwrap_err();
        assert_eq!(
            late.to_string(),
            "a proposed dossier cannot be disqualified"
        );
        assert!(!DossierState::Disqualified.editable());
    }

    use super::*;

    fn actions() -> Vec<DossierAction> {
        vec![
            DossierAction::Submit,
            DossierAction::Return {
                reason: "Thiếu phiếu kiểm nghiệm còn hiệu lực".into(),
            },
            DossierAction::Accept,
            DossierAction::Propose,
            DossierAction::TakeIn,
            DossierAction::ReturnToCommune {
                reason: "Thiếu báo cáo Mẫu 03 của xã".into(),
            },
            DossierAction::ForwardToMinistry,
        ]
    }

    /// The whole table: every state × action × role, against the diagram in the module doc.
    #[test]
    fn only_the_drawn_transitions_exist() {
        let mut allowed = Vec::new();
        for state in DossierState::ALL {
            for action in actions() {
                for role in Role::ALL {
                    if let Ok(next) = transition(state, &action, role, &[]) {
                        allowed.push((state, action.as_str(), role, next));
                    }
                }
            }
        }
        use DossierState::*;
        assert_eq!(
            allowed,
            vec![
                (Draft, "submit", Role::Producer, Submitted),
                (Submitted, "return", Role::CommuneOfficer, Returned),
                (Submitted, "accept", Role::CommuneOfficer, Accepted),
                (Returned, "submit", Role::Producer, Submitted),
                (Accepted, "propose", Role::CommuneOfficer, Proposed),
                (Proposed, "take_in", Role::ProvincialOfficer, TakenIn),
                (
                    Proposed,
                    "return_to_commune",
                    Role::ProvincialOfficer,
                    Accepted
                ),
                (
                    TakenIn,
                    "return_to_commune",
                    Role::ProvincialOfficer,
                    Accepted
                ),
                (
                    TakenIn,
                    "forward_to_ministry",
                    Role::ProvincialOfficer,
                    AwaitingMinistry
                ),
            ]
        );
    }

    #[test]
    fn a_proposal_needs_the_communes_report_when_asked() {
        let missing = [ChecklistItem::CommuneReport];
        assert_eq!(
            transition(
                DossierState::Accepted,
                &DossierAction::Propose,
                Role::CommuneOfficer,
                &missing
            ),
            Err(TransitionError::Incomplete(missing.to_vec()))
        );
        assert_eq!(
            TransitionError::Incomplete(missing.to_vec()).to_string(),
            "the dossier is incomplete: commune_report"
        );
    }

    #[test]
    fn round_outcomes_move_the_dossier_on() {
        use crate::rounds::decision::ProductOutcome::*;
        assert_eq!(
            after_round(Recognised { stars: 4 }),
            DossierState::Recognised
        );
        assert_eq!(
            after_round(ApprovedForMinistry),
            DossierState::AwaitingMinistry
        );
        assert_eq!(
            after_round(RecognisedAndProposed { stars: 4 }),
            DossierState::AwaitingMinistry
        );
        assert_eq!(
            after_round(BelowMinistryThreshold { stars: 4 }),
            DossierState::BelowMinistryThreshold
        );
        assert_eq!(after_round(Disqualified), DossierState::NotRecognised);
        for state in DossierState::ALL {
            assert_eq!(DossierState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn the_commune_has_fifteen_working_days_and_four_points_to_report() {
        let date = |d| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        // Wednesday 02/12/2026 + 15 working days = Wednesday 23/12/2026.
        assert_eq!(add_working_days(date(2), COMMUNE_WORKING_DAYS), date(23));
        // From a Friday, one working day is the Monday.
        assert_eq!(add_working_days(date(4), 1), date(7));
        let mut report = CommuneReport {
            local_materials: "Sầu riêng trồng tại xã, 100 % nguyên liệu địa phương".into(),
            local_labour: "12 lao động thường trú tại xã".into(),
            idea_origin: "Truyền thống".into(),
            local_identity: "ngắn".into(),
        };
        assert_eq!(
            report.check(),
            Err(vec![("local_identity", "dossier-error-report-point")])
        );
        report.local_identity = "Giống sầu riêng Ri6 của vùng đất đỏ Long Khánh".into();
        assert_eq!(report.check(), Ok(()));
    }

    #[test]
    fn refusals_say_why() {
        let short = DossierAction::Return {
            reason: "thiếu".into(),
        };
        assert_eq!(
            transition(DossierState::Submitted, &short, Role::CommuneOfficer, &[]),
            Err(TransitionError::ReasonRequired)
        );
        let error = transition(
            DossierState::Draft,
            &DossierAction::Accept,
            Role::ProvincialOfficer,
            &[],
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "a provincial_officer may not accept a dossier"
        );
        let error = transition(
            DossierState::Proposed,
            &DossierAction::Accept,
            Role::CommuneOfficer,
            &[],
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "a proposed dossier cannot be accepted");
        let missing = missing_items(&DossierFacts::default());
        let error = transition(
            DossierState::Draft,
            &DossierAction::Submit,
            Role::Producer,
            &missing,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the dossier is incomplete: contact_phone, self_assessment, business_registration, quality_declaration, test_report, product_photo"
        );
    }

    #[test]
    fn the_checklist_follows_the_product() {
        let mut facts = DossierFacts {
            contact_phone: true,
            self_assessment_complete: true,
            evidence: vec![
                EvidenceType::BusinessRegistration,
                EvidenceType::QualityDeclaration,
                EvidenceType::TestReport,
                EvidenceType::ProductPhoto,
            ],
            food_or_drink: false,
        };
        assert!(missing_items(&facts).is_empty());
        facts.food_or_drink = true;
        assert_eq!(
            missing_items(&facts),
            vec![ChecklistItem::Evidence(EvidenceType::FoodSafetyCertificate)]
        );
        assert!(DossierState::Returned.editable() && !DossierState::Submitted.editable());
        for kind in EvidenceType::ALL {
            assert_eq!(EvidenceType::parse(kind.as_str()), Some(kind));
        }
    }
}
