//! Revocation (thu hồi, Điều 8): on a ground the rules in force list, by the authority that
//! recognised the star (the province's chair for 3★/4★, the minister for 5★), within
//! `revocation_days` of the competent finding. A revocation is opened on a finding (by an
//! inspection that proposes it, or directly) and takes effect when its decision is recorded.

use chrono::{Days, NaiveDate};

use super::{CertificateError, Status, ensure_live};
use crate::access::Role;
use crate::criteria::{Level, Procedure};

/// The competent finding a revocation rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A ground's code from the rules in force (`a` … `e`, `dd` for đ).
    pub ground: String,
    /// The day of the finding (or the commune's confirmation that production stopped).
    pub found_on: NaiveDate,
    /// The finding's reference: an inspection's minutes, an authority's conclusion.
    pub reference: String,
}

/// The revocation decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub number: String,
    pub decided_on: NaiveDate,
    pub signer: String,
}

/// The day by which the certificate must be revoked (Điều 8.4), if the rules set one.
pub fn deadline(procedure: &Procedure, found_on: NaiveDate) -> Option<NaiveDate> {
    procedure
        .revocation_days
        .map(|days| found_on + Days::new(u64::from(days)))
}

/// Checks a finding before a revocation is opened on a certificate with `status` today.
pub fn check_finding(
    procedure: &Procedure,
    finding: &Finding,
    status: Status,
    issued_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), CertificateError> {
    ensure_live(status)?;
    if procedure.revocation_ground(&finding.ground).is_none() {
        return Err(CertificateError::UnknownGround(finding.ground.clone()));
    }
    if finding.reference.trim().is_empty() {
        return Err(CertificateError::Missing("the finding's reference"));
    }
    if finding.found_on > today {
        return Err(CertificateError::FutureDate(finding.found_on));
    }
    if finding.found_on < issued_on {
        return Err(CertificateError::BeforeIssue(finding.found_on));
    }
    Ok(())
}

/// Checks a revocation decision on an open revocation found on `found_on`.
pub fn check_decision(
    decision: &Decision,
    found_on: NaiveDate,
    status: Status,
    today: NaiveDate,
) -> Result<(), CertificateError> {
    ensure_live(status)?;
    if decision.number.trim().is_empty() {
        return Err(CertificateError::Missing("the decision's number"));
    }
    if decision.signer.trim().is_empty() {
        return Err(CertificateError::Missing("the signer"));
    }
    if decision.decided_on > today {
        return Err(CertificateError::FutureDate(decision.decided_on));
    }
    if decision.decided_on < found_on {
        return Err(CertificateError::DecisionBeforeFinding);
    }
    Ok(())
}

/// Whether an account of `role` acts for the authority that revokes a star recognised at
/// `authority`: the province's office prepares and records the chair's decisions for 3★/4★,
/// the ministry's office the minister's for 5★.
pub fn may_decide(role: Role, authority: Level) -> bool {
    match authority {
        Level::Ministry => role == Role::CentralOfficer,
        _ => role == Role::ProvincialOfficer,
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
                code: "dd".into(),
                clause: "đ".into(),
                text_vi: "Chủ thể OCOP không còn hoạt động sản xuất sản phẩm OCOP".into(),
                text_en: "Production stopped".into(),
            }],
            ..Procedure::default()
        }
    }

    fn finding() -> Finding {
        Finding {
            ground: "dd".into(),
            found_on: date(2027, 3, 1),
            reference: "Văn bản xác nhận số 12/UBND ngày 01/03/2027".into(),
        }
    }

    #[test]
    fn the_deadline_is_fifteen_days_from_the_finding() {
        assert_eq!(
            deadline(&rules(), date(2027, 3, 1)),
            Some(date(2027, 3, 16))
        );
        assert_eq!(deadline(&Procedure::default(), date(2027, 3, 1)), None);
    }

    #[test]
    fn a_finding_needs_a_known_ground_a_reference_and_a_live_certificate() {
        let today = date(2027, 3, 5);
        let issued = date(2026, 6, 15);
        let rules = rules();
        assert_eq!(
            check_finding(&rules, &finding(), Status::Active, issued, today),
            Ok(())
        );
        let unknown = Finding {
            ground: "z".into(),
            ..finding()
        };
        assert_eq!(
            check_finding(&rules, &unknown, Status::Active, issued, today),
            Err(CertificateError::UnknownGround("z".into()))
        );
        let blank = Finding {
            reference: "  ".into(),
            ..finding()
        };
        assert!(check_finding(&rules, &blank, Status::Active, issued, today).is_err());
        for (status, error) in [
            (Status::Revoked, CertificateError::AlreadyRevoked),
            (Status::Superseded, CertificateError::Superseded),
            (Status::Expired, CertificateError::Expired),
        ] {
            assert_eq!(
                check_finding(&rules, &finding(), status, issued, today),
                Err(error)
            );
        }
        assert_eq!(
            check_finding(&rules, &finding(), Status::Active, issued, date(2027, 2, 1)),
            Err(CertificateError::FutureDate(date(2027, 3, 1)))
        );
    }

    #[test]
    fn a_decision_comes_after_its_finding_and_not_in_the_future() {
        let decision = Decision {
            number: "123/QĐ-UBND".into(),
            decided_on: date(2027, 3, 10),
            signer: "Võ Tấn Đức".into(),
        };
        let found = date(2027, 3, 1);
        assert_eq!(
            check_decision(&decision, found, Status::Active, date(2027, 3, 10)),
            Ok(())
        );
        assert_eq!(
            check_decision(
                &decision,
                date(2027, 3, 11),
                Status::Active,
                date(2027, 3, 12)
            ),
            Err(CertificateError::DecisionBeforeFinding)
        );
        assert_eq!(
            check_decision(&decision, found, Status::Active, date(2027, 3, 9)),
            Err(CertificateError::FutureDate(date(2027, 3, 10)))
        );
        assert_eq!(
            check_decision(&decision, found, Status::Revoked, date(2027, 3, 10)),
            Err(CertificateError::AlreadyRevoked)
        );
    }

    #[test]
    fn the_minister_revokes_five_stars_the_province_the_rest() {
        assert!(may_decide(Role::ProvincialOfficer, Level::Province));
        assert!(!may_decide(Role::CentralOfficer, Level::Province));
        assert!(may_decide(Role::CentralOfficer, Level::Ministry));
        assert!(!may_decide(Role::ProvincialOfficer, Level::Ministry));
        assert!(!may_decide(Role::Producer, Level::Province));
    }
}
