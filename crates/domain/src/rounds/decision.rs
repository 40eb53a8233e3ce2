//! Recognition decisions (quyết định công nhận) and where each product goes after a round.
//!
//! The outcome of a product follows the engine's result and routing, never a rule of its own:
//! recognised 3★/4★ by the province; not recognised (below 50 points, below the 3★ minimums, a
//! mandatory criterion failed, or disqualified); or, at 90 points or more, what the version's
//! data say: under 148/1489 recognised 4★ and proposed to the ministry, under 26/2026 approved
//! and forwarded with no certificate (Điều 7.3.e). In the ministry's round 90 or more is 5★;
//! below it the province may recognise 3★/4★ on the central result or re-evaluate (Điều 7.4.g).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::criteria::{CouncilResult, Level, Outcome};

/// What a round's result means for one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ProductOutcome {
    /// Recognised at the round's level with this star.
    Recognised {
        stars: u8,
    },
    /// Recognised (4★ under 148/1489) and proposed to the ministry.
    RecognisedAndProposed {
        stars: u8,
    },
    /// 26/2026 ≥ 90: the result is approved and the dossier forwarded, no certificate yet.
    ApprovedForMinistry,
    /// The ministry's council scored it below 90: the province decides on this result (3★/4★)
    /// or re-evaluates.
    BelowMinistryThreshold {
        stars: u8,
    },
    NotRecognised,
    Disqualified,
}

impl ProductOutcome {
    /// The outcome of a final result in a round of `level`. The engine routes a result as the
    /// province would; in the ministry's round, the escalation threshold is the 5★ bar itself.
    pub fn of(result: &CouncilResult, level: Level) -> ProductOutcome {
        let routing = match (result.outcome, result.routing) {
            (Outcome::Disqualified, _) => return ProductOutcome::Disqualified,
            (Outcome::Recognised, Some(routing)) => routing,
            _ => return ProductOutcome::NotRecognised,
        };
        if level == Level::Ministry {
            return if routing.recognised_by == Level::Ministry
                || routing.proposed_to == Some(Level::Ministry)
            {
                ProductOutcome::Recognised {
                    stars: result.stars,
                }
            } else {
                ProductOutcome::BelowMinistryThreshold {
                    stars: result.stars,
                }
            };
        }
        match (routing.recognised_stars, routing.proposed_to) {
            (Some(stars), Some(_)) => ProductOutcome::RecognisedAndProposed { stars },
            (None, Some(_)) => ProductOutcome::ApprovedForMinistry,
            // A star only a higher level recognises: that level decides.
            (Some(_), None) if routing.recognised_by > level => ProductOutcome::ApprovedForMinistry,
            (Some(stars), None) => ProductOutcome::Recognised { stars },
            (None, None) => ProductOutcome::NotRecognised,
        }
    }

    /// A legacy round's result as it was decided: the star of the score's band under its
    /// version, recognised when that version certifies the star (no star minimums were judged
    /// then).
    pub fn of_legacy(
        version: &crate::criteria::Version,
        score: crate::criteria::Score,
    ) -> (u8, ProductOutcome) {
        let stars = version.stars_for(score);
        let outcome = if version.certifiable(stars) {
            ProductOutcome::Recognised { stars }
        } else {
            ProductOutcome::NotRecognised
        };
        (stars, outcome)
    }

    /// What the province may recognise on a central result below 90 (Điều 7.4.g): the central
    /// council's star, if the province recognises it.
    pub fn fallback_stars(self, version: &crate::criteria::Version) -> Option<u8> {
        match self {
            ProductOutcome::BelowMinistryThreshold { stars }
                if version.recognition.get(&stars) == Some(&Level::Province) =>
            {
                Some(stars)
            }
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProductOutcome::Recognised { .. } => "recognised",
            ProductOutcome::RecognisedAndProposed { .. } => "recognised_and_proposed",
            ProductOutcome::ApprovedForMinistry => "approved_for_ministry",
            ProductOutcome::BelowMinistryThreshold { .. } => "below_ministry_threshold",
            ProductOutcome::NotRecognised => "not_recognised",
            ProductOutcome::Disqualified => "disqualified",
        }
    }

    /// The star a decision recognises, if any.
    pub fn recognised_stars(self) -> Option<u8> {
        match self {
            ProductOutcome::Recognised { stars }
            | ProductOutcome::RecognisedAndProposed { stars } => Some(stars),
            _ => None,
        }
    }

    /// Whether the product goes on to the ministry's round.
    pub fn goes_to_ministry(self) -> bool {
        matches!(
            self,
            ProductOutcome::ApprovedForMinistry | ProductOutcome::RecognisedAndProposed { .. }
        )
    }
}

/// A decision number in the administrative form `1898/QĐ-UBND`, `2361/QĐ-BNNMT`: a number, a
/// slash, `QĐ`, then dash-separated upper-case issuer parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionNumber(String);

impl DecisionNumber {
    pub fn parse(text: &str) -> Option<DecisionNumber> {
        let text = crate::text::normalize(text.trim());
        let (number, rest) = text.split_once('/')?;
        if number.is_empty() || number.len() > 7 || !number.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut parts = rest.split('-');
        if parts.next()? != "QĐ" {
            return None;
        }
        let mut issuers = 0;
        for part in parts {
            let valid = !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == 'Đ' || c == '&');
            if !valid {
                return None;
            }
            issuers += 1;
        }
        (issuers > 0).then_some(DecisionNumber(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product a decision names, with what the decision says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionItem {
    pub product_code: String,
    /// The product's outcome in the round, if it is in the round and has one.
    pub outcome: Option<ProductOutcome>,
}

/// A decision's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct DecisionForm {
    pub number: String,
    pub signed_on: Option<NaiveDate>,
    pub signer: String,
}

/// Why a decision is refused; every problem, by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionProblem {
    pub field: &'static str,
    /// Stable: `required`, `invalid_number`, `not_in_round`, `no_result`, `nothing_to_decide`,
    /// `future_date`.
    pub code: &'static str,
    pub detail: String,
}

/// Checks a decision on the products it names. A product outside the round, or with no final
/// result, is refused by name; so is a decision that names none.
pub fn check(
    form: &DecisionForm,
    items: &[DecisionItem],
    today: NaiveDate,
) -> Result<DecisionNumber, Vec<DecisionProblem>> {
    let mut problems = Vec::new();
    let problem = |field, code, detail: String| DecisionProblem {
        field,
        code,
        detail,
    };
    let number = if form.number.trim().is_empty() {
        problems.push(problem("number", "required", String::new()));
        None
    } else {
        let parsed = DecisionNumber::parse(&form.number);
        if parsed.is_none() {
            problems.push(problem(
                "number",
                "invalid_number",
                form.number.trim().into(),
            ));
        }
        parsed
    };
    match form.signed_on {
        None => problems.push(problem("signed_on", "required", String::new())),
        Some(date) if date > today => {
            problems.push(problem("signed_on", "future_date", date.to_string()))
        }
        Some(_) => {}
    }
    if form.signer.trim().chars().count() < 3 {
        problems.push(problem("signer", "required", String::new()));
    }
    if items.is_empty() {
        problems.push(problem("products", "nothing_to_decide", String::new()));
    }
    for item in items {
        if item.outcome.is_none() {
            problems.push(problem("products", "no_result", item.product_code.clone()));
        }
    }
    match number {
        Some(number) if problems.is_empty() => Ok(number),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_results_and_the_provinces_fallback_follow_the_versions_data() {
        use crate::criteria::{Catalog, Score, bundled_sources};
        let catalog = Catalog::load(&bundled_sources()).unwrap();
        let v148 = catalog.version("148").unwrap();
        assert_eq!(
            ProductOutcome::of_legacy(v148, Score::from_centi(7250)),
            (4, ProductOutcome::Recognised { stars: 4 })
        );
        assert_eq!(
            ProductOutcome::of_legacy(v148, Score::from_centi(4999)),
            (2, ProductOutcome::NotRecognised)
        );
        let v26 = catalog.version("26-2026").unwrap();
        assert_eq!(
            ProductOutcome::BelowMinistryThreshold { stars: 4 }.fallback_stars(v26),
            Some(4)
        );
        assert_eq!(
            ProductOutcome::Recognised { stars: 5 }.fallback_stars(v26),
            None
        );
        assert_eq!(
            ProductOutcome::BelowMinistryThreshold { stars: 2 }.fallback_stars(v26),
            None
        );
    }

    #[test]
    fn decision_numbers_in_the_administrative_form() {
        for good in [
            "1898/QĐ-UBND",
            "2361/QĐ-BNNMT",
            " 12/QĐ-UBND-NN ",
            "5/QĐ-VPĐP",
        ] {
            assert!(DecisionNumber::parse(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "QĐ-UBND",
            "1898",
            "1898/QD-UBND",
            "1898/QĐ",
            "1898/QĐ-ubnd",
            "x/QĐ-UBND",
        ] {
            assert!(DecisionNumber::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_decision_needs_its_fields_and_results_for_every_product() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let form = DecisionForm {
            number: "1898/QĐ-UBND".into(),
            signed_on: NaiveDate::from_ymd_opt(2026, 11, 30),
            signer: "Võ Tấn Đức".into(),
        };
        let item = |code: &str, outcome| DecisionItem {
            product_code: code.into(),
            outcome,
        };
        let ok = [item("75-1", Some(ProductOutcome::Recognised { stars: 4 }))];
        assert_eq!(check(&form, &ok, today).unwrap().as_str(), "1898/QĐ-UBND");
        let problems = check(&DecisionForm::default(), &[item("75-2", None)], today).unwrap_err();
        let codes: Vec<(&str, &str)> = problems.iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            codes,
            [
                ("number", "required"),
                ("signed_on", "required"),
                ("signer", "required"),
                ("products", "no_result")
            ]
        );
        let late = DecisionForm {
            signed_on: NaiveDate::from_ymd_opt(2026, 12, 3),
            ..form.clone()
        };
        assert_eq!(check(&late, &ok, today).unwrap_err()[0].code, "future_date");
        assert_eq!(
            check(&form, &[], today).unwrap_err()[0].code,
            "nothing_to_decide"
        );
    }
}
