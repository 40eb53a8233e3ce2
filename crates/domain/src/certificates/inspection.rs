//! Post-certification inspections (hậu kiểm, Điều 9): periodic or ad hoc, by the province for
//! every product in it and by the ministry for 5★ (and 3★/4★ when it sees a need). They check
//! that the product still meets the criteria of its evaluated dossier and that the mark is used
//! correctly; the outcome is a pass, a corrective action with a deadline, or a proposal to
//! revoke, which opens the revocation on its ground.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::revocation::{self, Finding};
use super::{CertificateError, Status, ensure_live};
use crate::access::Role;
use crate::criteria::Procedure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Periodic,
    AdHoc,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Periodic, Kind::AdHoc];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Periodic => "periodic",
            Kind::AdHoc => "ad_hoc",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    Passed,
    CorrectiveAction { action: String, deadline: NaiveDate },
    RevocationProposed { ground: String },
}

impl Outcome {
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::CorrectiveAction { .. } => "corrective_action",
            Outcome::RevocationProposed { .. } => "revocation_proposed",
        }
    }
}

/// An inspection's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: Kind,
    pub inspected_on: NaiveDate,
    pub inspectors: String,
    /// Điều 9.3.a: the criteria of the evaluated dossier are kept.
    pub criteria_maintained: bool,
    /// Điều 9.3.b: the mark, the information and the promotion are used correctly.
    pub mark_used_correctly: bool,
    pub findings: String,
    pub outcome: Outcome,
}

/// Which accounts inspect a certificate of `stars`: the province's office any product of its
/// province, the ministry's office any (5★ as its duty, others when needed).
pub fn may_inspect(role: Role) -> bool {
    matches!(role, Role::ProvincialOfficer | Role::CentralOfficer)
}

/// Checks an inspection's record against a certificate whose status on the inspection day is
/// `status_then` (an inspection of an expired, revoked or superseded certificate is refused).
/// Returns the finding a proposed revocation opens with.
pub fn check(
    procedure: &Procedure,
    report: &Report,
    status_then: Status,
    issued_on: NaiveDate,
    today: NaiveDate,
) -> Result<Option<Finding>, CertificateError> {
    ensure_live(status_then)?;
    if report.inspected_on > today {
        return Err(CertificateError::FutureDate(report.inspected_on));
    }
    if report.inspected_on < issued_on {
        return Err(CertificateError::BeforeIssue(report.inspected_on));
    }
    if report.inspectors.trim().is_empty() {
        return Err(CertificateError::Missing("the inspectors"));
    }
    if report.findings.trim().is_empty() {
        return Err(CertificateError::Missing("the findings"));
    }
    match &report.outcome {
        Outcome::Passed => Ok(None),
        Outcome::CorrectiveAction { action, deadline } => {
            if action.trim().is_empty() {
                return Err(CertificateError::Missing("the corrective action"));
            }
            if *deadline <= report.inspected_on {
                return Err(CertificateError::DeadlineBeforeInspection);
            }
            Ok(None)
        }
        Outcome::RevocationProposed { ground } => {
            let finding = Finding {
                ground: ground.clone(),
                found_on: report.inspected_on,
                reference: format!(
                    "Biên bản kiểm tra ngày {}",
                    report.inspected_on.format("%d/%m/%Y")
                ),
            };
            revocation::check_finding(procedure, &finding, status_then, issued_on, today)?;
            Ok(Some(finding))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::criteria::RevocationGround;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rules() -> Procedure {
        Procedure {
            revocation_days: Some(15),
            revocation_grounds: vec![RevocationGround {
                code: "b".into(),
                clause: "b".into(),
                text_vi: "Không còn đáp ứng tiêu chí".into(),
                text_en: "No longer meets the criteria".into(),
            }],
            ..Procedure::default()
        }
    }

    fn report(outcome: Outcome) -> Report {
        Report {
            kind: Kind::Periodic,
            inspected_on: date(2027, 5, 4),
            inspectors: "Trần Văn Bình; Lê Thị Mai".into(),
            criteria_maintained: true,
            mark_used_correctly: false,
            findings: "Nhãn in sai số sao.".into(),
            outcome,
        }
    }

    #[test]
    fn outcomes_are_checked() {
        let (rules, issued, today) = (rules(), date(2026, 6, 15), date(2027, 5, 10));
        assert_eq!(
            check(
                &rules,
                &report(Outcome::Passed),
                Status::Active,
                issued,
                today
            ),
            Ok(None)
        );
        let action = Outcome::CorrectiveAction {
            action: "In lại nhãn".into(),
            deadline: date(2027, 6, 4),
        };
        assert_eq!(
            check(&rules, &report(action), Status::Active, issued, today),
            Ok(None)
        );
        let late = Outcome::CorrectiveAction {
            action: "In lại nhãn".into(),
            deadline: date(2027, 5, 4),
        };
        assert_eq!(
            check(&rules, &report(late), Status::Active, issued, today),
            Err(CertificateError::DeadlineBeforeInspection)
        );
        let proposed = Outcome::RevocationProposed { ground: "b".into() };
        let finding = check(&rules, &report(proposed), Status::Active, issued, today)
            .unwrap()
            .unwrap();
        assert_eq!(finding.found_on, date(2027, 5, 4));
        assert_eq!(finding.reference, "Biên bản kiểm tra ngày 04/05/2027");
        let unknown = Outcome::RevocationProposed { ground: "x".into() };
        assert_eq!(
            check(&rules, &report(unknown), Status::Active, issued, today),
            Err(CertificateError::UnknownGround("x".into()))
        );
    }

    #[test]
    fn an_expired_certificate_is_not_inspected() {
        assert_eq!(
            check(
                &rules(),
                &report(Outcome::Passed),
                Status::Expired,
                date(2026, 6, 15),
                date(2027, 5, 10)
            ),
            Err(CertificateError::Expired)
        );
        assert!(may_inspect(Role::ProvincialOfficer));
        assert!(!may_inspect(Role::CommuneOfficer));
    }
}
