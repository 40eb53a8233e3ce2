//! Scoring: one member's scorecard, then the council's result: the exact mean of the members'
//! totals rounded half-up to two decimals once, banded into stars, with the flags and the
//! routing the version's rules give.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use super::explain::{Explanation, explain};
use super::minimums::{self, MinimumCheck};
use super::{
    Catalog, CouncilRules, Disqualifier, EntityType, Level, ProductSet, SheetSource, Version,
};

/// A score in hundredths of a point: exact, compared and banded without floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Score(i64);

impl Score {
    pub const fn from_centi(centi: i64) -> Score {
        Score(centi)
    }

    pub const fn from_points(points: u32) -> Score {
        Score(points as i64 * 100)
    }

    pub const fn centi(self) -> i64 {
        self.0
    }

    /// A score as people type it (`72.5`, `72,50`, `100`): 0 to 100, two decimals at most.
    pub fn parse(text: &str) -> Option<Score> {
        let text = text.trim().replace(',', ".");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || fraction.len() > 2 || !digits(whole) || !digits(fraction) {
            return None;
        }
        let centi =
            whole.parse::<i64>().ok()? * 100 + format!("{fraction:0<2}").parse::<i64>().ok()?;
        (0..=10_000).contains(&centi).then_some(Score(centi))
    }

    /// `numerator / denominator` points, rounded half-up to two decimals (69.995 → 70.00).
    /// The one place scores are rounded.
    pub fn round_ratio(numerator: i128, denominator: i128) -> Score {
        assert!(denominator > 0, "a mean needs at least one value");
        // floor(n * 100 / d + 1/2) = floor((200 n + d) / 2d), for any sign of n.
        let doubled = 200 * numerator + denominator;
        let twice = 2 * denominator;
        Score(doubled.div_euclid(twice) as i64)
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

impl Serialize for Score {
    /// As a JSON number with at most two decimals (`72.33`): every such value prints exactly.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0 as f64 / 100.0)
    }
}

/// One member's choices: criterion code → option number (1-based, in sheet order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scorecard {
    pub member: String,
    pub choices: BTreeMap<String, u32>,
}

/// What a council scored: the input of [`evaluate`] (and of `ocop score FILE`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouncilInput {
    pub version: String,
    pub product_set: String,
    pub entity_type: EntityType,
    /// The members assigned to the product; any without a scorecard makes the result incomplete.
    #[serde(default)]
    pub council: Vec<String>,
    #[serde(default)]
    pub scorecards: Vec<Scorecard>,
    /// Disqualifiers of the sheet found to apply: the dossier is rejected and not scored.
    #[serde(default)]
    pub disqualifications: Vec<Disqualification>,
}

/// A disqualifier found to apply, with what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disqualification {
    /// The sheet's disqualifier id (`D1` …).
    pub rule: String,
    #[serde(default)]
    pub note: String,
}

/// A disqualifier that applied, as the result shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedDisqualifier {
    #[serde(flatten)]
    pub rule: Disqualifier,
    pub note: String,
}

/// Why scoring could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    #[error("unknown criteria version `{0}`")]
    UnknownVersion(String),
    #[error("version {version} has no product set `{set}`")]
    UnknownSet { version: String, set: String },
    #[error("no scorecards")]
    NoScorecards,
    #[error("{0} has two scorecards")]
    DuplicateMember(String),
    #[error("{member}: criterion {criterion} is not on the sheet")]
    UnknownCriterion { member: String, criterion: String },
    #[error("{member}: criterion {criterion} has no option {option} (options 1 to {count})")]
    UnknownOption {
        member: String,
        criterion: String,
        option: u32,
        count: usize,
    },
    #[error("{member}: option {option} of criterion {criterion} does not apply to a {entity}")]
    NotApplicable {
        member: String,
        criterion: String,
        option: u32,
        entity: EntityType,
    },
    #[error("{member}: criterion {criterion} is not scored")]
    MissingCriterion { member: String, criterion: String },
    #[error(
        "criterion {criterion}: members scored it in different cases ({cases}); the council picks one case"
    )]
    CaseDisagreement { criterion: String, cases: String },
    #[error("the sheet has no disqualifier `{0}`")]
    UnknownDisqualifier(String),
}

/// One member's scorecard, checked and added up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardScore {
    pub member: String,
    pub total: u32,
    /// Part code → points.
    pub parts: BTreeMap<String, u32>,
    /// (option number, points) per criterion, in sheet order ([`super::Sheet::position`]).
    #[serde(skip)]
    pub choices: Vec<(u32, u32)>,
}

impl CardScore {
    /// Points given to the criterion at `position` (sheet order).
    pub fn points_at(&self, position: usize) -> u32 {
        self.choices[position].1
    }
}

/// Checks one scorecard against the set's sheet for an entity type, and adds it up. Every
/// problem is reported.
pub fn score_card(
    version: &Version,
    set: &ProductSet,
    entity: EntityType,
    card: &Scorecard,
) -> Result<CardScore, Vec<ScoringError>> {
    let sheet = &set.sheet;
    let token = version.token_for(entity);
    let member = || card.member.clone();
    let mut errors = Vec::new();
    let mut chosen: Vec<Option<(u32, u32)>> = vec![None; sheet.criteria_count()];
    for (code, &option) in &card.choices {
        let Some(position) = sheet.position(code) else {
            errors.push(ScoringError::UnknownCriterion {
                member: member(),
                criterion: code.clone(),
            });
            continue;
        };
        let criterion = sheet.at(position);
        let Some(picked) = criterion.option(option) else {
            errors.push(ScoringError::UnknownOption {
                member: member(),
                criterion: code.clone(),
                option,
                count: criterion.options.len(),
            });
            continue;
        };
        if !picked.applies_to_token(token) {
            errors.push(ScoringError::NotApplicable {
                member: member(),
                criterion: code.clone(),
                option,
                entity,
            });
            continue;
        }
        chosen[position] = Some((option, picked.points));
    }
    let mut parts = BTreeMap::new();
    let mut total = 0;
    let mut position = 0;
    for part in &sheet.parts {
        let mut part_total = 0;
        for section in &part.sections {
            for criterion in &section.criteria {
                match chosen[position] {
                    Some((_, earned)) => part_total += earned,
                    None if card.choices.contains_key(&criterion.code) => {}
                    None => errors.push(ScoringError::MissingCriterion {
                        member: member(),
                        criterion: criterion.code.clone(),
                    }),
                }
                position += 1;
            }
        }
        parts.insert(part.code.clone(), part_total);
        total += part_total;
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CardScore {
        member: card.member.clone(),
        total,
        parts,
        choices: chosen.into_iter().flatten().collect(),
    })
}

/// What the council's result means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 3★ or more, complete, within the spread, no mandatory criterion failed.
    Recognised,
    /// Below the certifiable bands, or a mandatory criterion failed.
    NotRecognised,
    /// Members' totals differ by more than the version allows: discuss and re-score.
    NeedsDiscussion,
    /// Fewer scorecards than the quorum, or an assigned member has not scored.
    Incomplete,
    /// A disqualifier applies: the dossier is rejected and not scored.
    Disqualified,
}

/// Which level recognises the result, and whether it goes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Routing {
    pub recognised_by: Level,
    /// `None`: the level approves the result and forwards the dossier without recognising it
    /// (26/2026: ≥ 90 at the province).
    pub recognised_stars: Option<u8>,
    pub proposed_to: Option<Level>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Flags {
    pub needs_discussion: bool,
    pub incomplete: bool,
    pub below_quorum: bool,
    pub missing_members: Vec<String>,
    /// Mandatory criteria that most members scored at 0.
    pub mandatory_failed: Vec<String>,
}

/// A council's result on one product.
#[derive(Debug, Clone, Serialize)]
pub struct CouncilResult {
    pub version: String,
    pub decree: String,
    pub product_set: String,
    pub product_set_name: String,
    /// The sheet is derived, not the official text: show "provisional sheet" wherever used.
    pub provisional_sheet: bool,
    pub sheet_source: SheetSource,
    pub entity_type: EntityType,
    pub members: Vec<CardScore>,
    pub mean: Score,
    /// The star of the mean's band.
    pub band_stars: u8,
    /// The star the product is ranked: the band's, lowered by missed star minimums.
    pub stars: u8,
    /// The sheet's star minimums against the scorecards (absent when the sheet has no marks).
    pub minimums: Option<MinimumCheck>,
    /// The disqualifiers that applied (the outcome is then `disqualified`).
    pub disqualified: Vec<AppliedDisqualifier>,
    /// Highest minus lowest member total.
    pub spread: u32,
    pub spread_limit: u32,
    pub flags: Flags,
    pub outcome: Outcome,
    /// Why the outcome is what it is, in plain words.
    pub reasons: Vec<String>,
    pub routing: Option<Routing>,
    pub explanation: Explanation,
}

/// Scores a council: every scorecard is checked; the result follows the version's rules.
pub fn evaluate(
    catalog: &Catalog,
    input: &CouncilInput,
) -> Result<CouncilResult, Vec<ScoringError>> {
    let version = catalog
        .version(&input.version)
        .ok_or_else(|| vec![ScoringError::UnknownVersion(input.version.clone())])?;
    let set = version.set(&input.product_set).ok_or_else(|| {
        vec![ScoringError::UnknownSet {
            version: version.id.clone(),
            set: input.product_set.clone(),
        }]
    })?;
    evaluate_set(version, set, input)
}

/// [`evaluate`] once the version and set are known, under the version's council rules.
pub fn evaluate_set(
    version: &Version,
    set: &ProductSet,
    input: &CouncilInput,
) -> Result<CouncilResult, Vec<ScoringError>> {
    evaluate_under(version, set, input, version.council)
}

/// [`evaluate_set`] under a council's own rules (quorum, spread limit, averaging), which
/// 26/2026 leaves to each council's quy chế.
pub fn evaluate_under(
    version: &Version,
    set: &ProductSet,
    input: &CouncilInput,
    rules: CouncilRules,
) -> Result<CouncilResult, Vec<ScoringError>> {
    if !input.disqualifications.is_empty() {
        return disqualified(version, set, input);
    }
    if input.scorecards.is_empty() {
        return Err(vec![ScoringError::NoScorecards]);
    }
    let mut errors = Vec::new();
    let mut members: Vec<CardScore> = Vec::with_capacity(input.scorecards.len());
    for card in &input.scorecards {
        if members.iter().any(|m| m.member == card.member) {
            errors.push(ScoringError::DuplicateMember(card.member.clone()));
            continue;
        }
        match score_card(version, set, input.entity_type, card) {
            Ok(score) => members.push(score),
            Err(mut found) => errors.append(&mut found),
        }
    }
    if errors.is_empty() {
        errors.extend(case_disagreements(set, &members));
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let totals: Vec<u32> = members.iter().map(|m| m.total).collect();
    let mean = rules.averaging.score(&totals);
    let band_stars = version.stars_for(mean);
    let minimums = minimums::check(version.minimums, &set.sheet, &members, band_stars);
    let stars = minimums.as_ref().map_or(band_stars, |m| m.ranked_stars);
    let highest = members.iter().map(|m| m.total).max().unwrap_or(0);
    let lowest = members.iter().map(|m| m.total).min().unwrap_or(0);
    let spread = highest - lowest;

    let missing_members: Vec<String> = input
        .council
        .iter()
        .filter(|name| !members.iter().any(|m| &m.member == *name))
        .cloned()
        .collect();
    let below_quorum = (members.len() as u32) < rules.quorum;
    let mandatory_failed: Vec<String> = set
        .sheet
        .criteria()
        .enumerate()
        .filter(|(_, (_, criterion))| criterion.mandatory)
        .filter(|(position, _)| {
            let failing = members
                .iter()
                .filter(|m| m.points_at(*position) == 0)
                .count();
            failing * 2 > members.len()
        })
        .map(|(_, (_, criterion))| criterion.code.clone())
        .collect();
    let flags = Flags {
        needs_discussion: spread > rules.spread_limit,
        incomplete: below_quorum || !missing_members.is_empty(),
        below_quorum,
        missing_members,
        mandatory_failed,
    };

    let mut reasons = Vec::new();
    if flags.below_quorum {
        reasons.push(format!(
            "{} scorecards, fewer than the quorum of {}",
            members.len(),
            rules.quorum
        ));
    }
    if !flags.missing_members.is_empty() {
        reasons.push(format!(
            "not scored yet by {}",
            flags.missing_members.join(", ")
        ));
    }
    if flags.needs_discussion {
        reasons.push(format!(
            "members' totals differ by {spread} points, more than the {} allowed: discuss and re-score",
            rules.spread_limit
        ));
    }
    for code in &flags.mandatory_failed {
        let name = set.sheet.criterion(code).map_or("", |c| c.name_vi.as_str());
        reasons.push(format!("mandatory criterion {code} ({name}) is not met"));
    }
    if let Some(lowered) = minimums
        .as_ref()
        .and_then(|check| minimums::explain_lowering(check, mean))
    {
        reasons.push(lowered);
    }
    if !version.certifiable(stars) {
        reasons.push(if stars < band_stars {
            format!("ranked {stars}★: below the certifiable stars")
        } else {
            format!("{mean} points is {stars}★: below the certifiable bands")
        });
    }
    let outcome = if flags.incomplete {
        Outcome::Incomplete
    } else if flags.needs_discussion {
        Outcome::NeedsDiscussion
    } else if !flags.mandatory_failed.is_empty() || !version.certifiable(stars) {
        Outcome::NotRecognised
    } else {
        Outcome::Recognised
    };
    let routing = (outcome == Outcome::Recognised).then(|| route(version, mean, band_stars, stars));
    if let Some(routing) = routing {
        reasons.push(match (routing.recognised_stars, routing.proposed_to) {
            (Some(recognised), Some(higher)) => format!(
                "recognised {recognised}★ at the {} level and proposed to the {} level",
                routing.recognised_by.as_str(),
                higher.as_str()
            ),
            (None, Some(higher)) => format!(
                "{mean} points: the {} level approves the result and forwards the dossier to the {} level, without a certificate until that level decides",
                routing.recognised_by.as_str(),
                higher.as_str()
            ),
            (Some(recognised), None) => format!(
                "recognised {recognised}★ at the {} level",
                routing.recognised_by.as_str()
            ),
            (None, None) => format!("approved at the {} level", routing.recognised_by.as_str()),
        });
    }
    let explanation = explain(
        version,
        set,
        input.entity_type,
        &members,
        stars,
        minimums.as_ref(),
    );
    Ok(CouncilResult {
        version: version.id.clone(),
        decree: version.decree.clone(),
        product_set: set.code.clone(),
        product_set_name: set.name_vi.clone(),
        provisional_sheet: set.provisional,
        sheet_source: set.source,
        entity_type: input.entity_type,
        members,
        mean,
        band_stars,
        stars,
        minimums,
        disqualified: Vec::new(),
        spread,
        spread_limit: rules.spread_limit,
        flags,
        outcome,
        reasons,
        routing,
        explanation,
    })
}

/// Who recognises a certifiable result, and whether it is proposed upwards. A product held
/// below its band by a star minimum is not escalated.
fn route(version: &Version, mean: Score, band_stars: u8, stars: u8) -> Routing {
    if let Some(escalation) = version.escalation
        && mean >= escalation.min_score
        && stars == band_stars
    {
        return Routing {
            recognised_by: escalation.level,
            recognised_stars: escalation.recognised_as,
            proposed_to: Some(escalation.proposes_to),
        };
    }
    Routing {
        recognised_by: version.recognition[&stars],
        recognised_stars: Some(stars),
        proposed_to: None,
    }
}

/// Members must score a criterion with cases in the same case (the product is one or the
/// other: a community's service or an organisation's).
fn case_disagreements(set: &ProductSet, members: &[CardScore]) -> Vec<ScoringError> {
    let mut errors = Vec::new();
    for (position, (_, criterion)) in set.sheet.criteria().enumerate() {
        if criterion.cases.is_empty() {
            continue;
        }
        let mut cases: Vec<u32> = members
            .iter()
            .filter_map(|m| criterion.option(m.choices[position].0).and_then(|o| o.case))
            .collect();
        cases.sort_unstable();
        cases.dedup();
        if cases.len() > 1 {
            errors.push(ScoringError::CaseDisagreement {
                criterion: criterion.code.clone(),
                cases: cases
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    errors
}

/// A dossier a disqualifier applies to: rejected, not scored, with the rule's text.
fn disqualified(
    version: &Version,
    set: &ProductSet,
    input: &CouncilInput,
) -> Result<CouncilResult, Vec<ScoringError>> {
    let mut applied = Vec::new();
    let mut errors = Vec::new();
    for found in &input.disqualifications {
        match set.sheet.disqualifier(found.rule.trim()) {
            Some(rule) => applied.push(AppliedDisqualifier {
                rule: rule.clone(),
                note: found.note.trim().to_string(),
            }),
            None => errors.push(ScoringError::UnknownDisqualifier(found.rule.clone())),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let reasons = applied
        .iter()
        .map(|a| {
            let place = a
                .rule
                .criterion
                .as_ref()
                .map_or(String::new(), |c| format!(" (criterion {c})"));
            let note = if a.note.is_empty() {
                String::new()
            } else {
                format!(": {}", a.note)
            };
            format!(
                "disqualified by {}{place}, '{}'{note}: the dossier is not scored",
                a.rule.id, a.rule.text
            )
        })
        .collect();
    Ok(CouncilResult {
        version: version.id.clone(),
        decree: version.decree.clone(),
        product_set: set.code.clone(),
        product_set_name: set.name_vi.clone(),
        provisional_sheet: set.provisional,
        sheet_source: set.source,
        entity_type: input.entity_type,
        members: Vec::new(),
        mean: Score::default(),
        band_stars: 0,
        stars: 0,
        minimums: None,
        disqualified: applied,
        spread: 0,
        spread_limit: version.council.spread_limit,
        flags: Flags::default(),
        outcome: Outcome::Disqualified,
        reasons,
        routing: None,
        explanation: Explanation::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::Score;

    #[test]
    fn scores_as_typed() {
        assert_eq!(Score::parse("72.5"), Some(Score::from_centi(7250)));
        assert_eq!(Score::parse("72,50"), Some(Score::from_centi(7250)));
        assert_eq!(Score::parse(" 100 "), Some(Score::from_centi(10_000)));
        for bad in ["", "100.01", "72.505", "-1", "abc", ".5", "7 2"] {
            assert_eq!(Score::parse(bad), None, "{bad}");
        }
    }
}
