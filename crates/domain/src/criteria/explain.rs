//! Explanations for people: where the points came from, where members disagree, and what a
//! producer could improve to reach the next star.

use serde::Serialize;

use super::minimums::{self, MinimumCheck, case_of};
use super::score::{CardScore, Score};
use super::{EntityType, ProductSet, Version};

/// How many disagreements to list.
const DISAGREEMENTS_SHOWN: usize = 5;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Explanation {
    pub parts: Vec<PartResult>,
    pub criteria: Vec<CriterionResult>,
    /// The criteria where members' points differ most.
    pub disagreements: Vec<Disagreement>,
    /// The fewest criterion improvements that reach the next star (none at the top band).
    pub upgrade: Option<Upgrade>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartResult {
    pub code: String,
    pub name_vi: String,
    /// The members' mean.
    pub earned: Score,
    pub max: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CriterionResult {
    pub code: String,
    pub part: String,
    pub name_vi: String,
    pub earned: Score,
    pub max: u32,
    pub lowest: u32,
    pub highest: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub criterion: String,
    pub name_vi: String,
    pub lowest: u32,
    pub highest: u32,
    pub spread: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Upgrade {
    pub target_stars: u8,
    pub target_score: Score,
    /// Whether the steps reach the target (false: even the best options everywhere fall short).
    pub reachable: bool,
    /// The mean if every member scored the steps' options.
    pub resulting_score: Score,
    pub steps: Vec<UpgradeStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpgradeStep {
    pub criterion: String,
    pub name_vi: String,
    /// The members' mean on this criterion now.
    pub current: Score,
    /// The option to reach, and what it is worth.
    pub option: u32,
    pub option_vi: String,
    pub points: u32,
    /// What the mean gains.
    pub gain: Score,
    /// The star whose minimum this step meets (the step may be needed whatever the points).
    pub minimum: Option<u8>,
}

pub(crate) fn explain(
    version: &Version,
    set: &ProductSet,
    entity: EntityType,
    members: &[CardScore],
    stars: u8,
    minimums: Option<&MinimumCheck>,
) -> Explanation {
    let count = members.len() as i128;
    let parts = version
        .parts
        .iter()
        .map(|part| PartResult {
            code: part.code.clone(),
            name_vi: part.name_vi.clone(),
            earned: Score::round_ratio(
                members
                    .iter()
                    .map(|m| i128::from(m.parts.get(&part.code).copied().unwrap_or(0)))
                    .sum(),
                count,
            ),
            max: part.max,
        })
        .collect();
    let criteria: Vec<CriterionResult> = set
        .sheet
        .criteria()
        .enumerate()
        .map(|(position, (part, criterion))| {
            let (mut sum, mut lowest, mut highest) = (0i128, u32::MAX, 0);
            for member in members {
                let points = member.points_at(position);
                sum += i128::from(points);
                lowest = lowest.min(points);
                highest = highest.max(points);
            }
            CriterionResult {
                code: criterion.code.clone(),
                part: part.to_string(),
                name_vi: criterion.name_vi.clone(),
                earned: Score::round_ratio(sum, count),
                max: criterion.max,
                lowest,
                highest,
            }
        })
        .collect();
    let mut disagreements: Vec<Disagreement> = criteria
        .iter()
        .filter(|c| c.highest > c.lowest)
        .map(|c| Disagreement {
            criterion: c.code.clone(),
            name_vi: c.name_vi.clone(),
            lowest: c.lowest,
            highest: c.highest,
            spread: c.highest - c.lowest,
        })
        .collect();
    // Stable sort: equal spreads keep sheet order.
    disagreements.sort_by_key(|d| std::cmp::Reverse(d.spread));
    disagreements.truncate(DISAGREEMENTS_SHOWN);
    let upgrade = upgrade(version, set, entity, members, stars, minimums);
    Explanation {
        parts,
        criteria,
        disagreements,
        upgrade,
    }
}

/// One way to raise a criterion: every member choosing one of its better options.
struct Candidate {
    position: usize,
    /// Sum of members' points on the criterion now (after any minimum is met).
    current_sum: i128,
    /// Applicable options better than now, ascending by points: (number, points).
    options: Vec<(u32, u32)>,
}

impl Candidate {
    fn gain(&self, points: u32, count: i128) -> i128 {
        i128::from(points) * count - self.current_sum
    }

    fn best(&self) -> u32 {
        self.options.last().map_or(0, |o| o.1)
    }
}

/// A minimum the next star needs: every member below it raised to the marked option.
struct Forced {
    position: usize,
    stars: u8,
    option: u32,
    points: u32,
    before: i128,
    after: i128,
}

/// The cheapest way to the next star: first every star minimum it needs and the product
/// misses (each member below it raised to the lowest applicable option that meets it), then
/// the fewest criteria to improve so that the mean reaches the band (the criteria with the
/// largest possible gain first, which minimises their number), each chosen option then lowered
/// as far as the target allows.
fn upgrade(
    version: &Version,
    set: &ProductSet,
    entity: EntityType,
    members: &[CardScore],
    stars: u8,
    check: Option<&MinimumCheck>,
) -> Option<Upgrade> {
    let target = version.bands.iter().find(|band| band.stars > stars)?;
    let count = members.len() as i128;
    let token = version.token_for(entity);
    let sheet = &set.sheet;

    let mut forced: Vec<Forced> = Vec::new();
    let mut feasible = true;
    if let Some(check) = check {
        for (position, (_, criterion)) in sheet.criteria().enumerate() {
            let case = case_of(criterion, members, position);
            // The highest minimum up to the target star that the product misses here.
            let missed = check
                .stars
                .iter()
                .filter(|s| s.stars <= target.stars)
                .flat_map(|s| s.missing.iter())
                .filter(|m| m.criterion == criterion.code)
                .max_by_key(|m| (m.needed, m.stars));
            let Some(missed) = missed else { continue };
            let lowest = criterion
                .options
                .iter()
                .filter(|o| {
                    o.case == case && o.applies_to_token(token) && o.points >= missed.needed
                })
                .min_by_key(|o| (o.points, o.number));
            let Some(option) = lowest else {
                feasible = false;
                continue;
            };
            let points = members.iter().map(|m| m.points_at(position));
            forced.push(Forced {
                position,
                stars: missed.stars,
                option: option.number,
                points: option.points,
                before: points.clone().map(i128::from).sum(),
                after: points.map(|p| i128::from(p.max(option.points))).sum(),
            });
        }
    }

    let total: i128 = members.iter().map(|m| i128::from(m.total)).sum::<i128>()
        + forced.iter().map(|f| f.after - f.before).sum::<i128>();
    let mut candidates: Vec<Candidate> = sheet
        .criteria()
        .enumerate()
        .filter_map(|(position, (_, criterion))| {
            let case = case_of(criterion, members, position);
            let current_sum: i128 = match forced.iter().find(|f| f.position == position) {
                Some(f) => f.after,
                None => members
                    .iter()
                    .map(|m| i128::from(m.points_at(position)))
                    .sum(),
            };
            let mut options: Vec<(u32, u32)> = criterion
                .options
                .iter()
                .filter(|o| {
                    o.applies_to_token(token) && (criterion.cases.is_empty() || o.case == case)
                })
                .filter(|o| i128::from(o.points) * count > current_sum)
                .map(|o| (o.number, o.points))
                .collect();
            options.sort_by_key(|&(number, points)| (points, number));
            options.dedup_by_key(|o| o.1);
            (!options.is_empty()).then_some(Candidate {
                position,
                current_sum,
                options,
            })
        })
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.gain(c.best(), count)));

    let reaches = |sum: i128| Score::round_ratio(sum, count) >= target.from;
    let mut chosen: Vec<(usize, usize)> = Vec::new(); // (candidate, option index)
    let mut sum = total;
    for (index, candidate) in candidates.iter().enumerate() {
        if reaches(sum) {
            break;
        }
        sum += candidate.gain(candidate.best(), count);
        chosen.push((index, candidate.options.len() - 1));
    }
    let reachable = feasible && reaches(sum);
    if reaches(sum) {
        // Ask no more than needed: lower each chosen option while the target still holds.
        for slot in (0..chosen.len()).rev() {
            let (candidate_index, best_index) = chosen[slot];
            let candidate = &candidates[candidate_index];
            let without = sum - candidate.gain(candidate.options[best_index].1, count);
            if let Some(lowest) = (0..best_index).find(|&option| {
                reaches(without + candidate.gain(candidate.options[option].1, count))
            }) {
                sum = without + candidate.gain(candidate.options[lowest].1, count);
                chosen[slot].1 = lowest;
            }
        }
    }
    let step = |position: usize, option: u32, points: u32, before: i128, after: i128, minimum| {
        let criterion = sheet.at(position);
        UpgradeStep {
            criterion: criterion.code.clone(),
            name_vi: criterion.name_vi.clone(),
            current: Score::round_ratio(before, count),
            option,
            option_vi: minimums::shorten(&criterion.options[option as usize - 1].name_vi, 200),
            points,
            gain: Score::round_ratio(after - before, count),
            minimum,
        }
    };
    let mut steps: Vec<UpgradeStep> = Vec::new();
    for f in &forced {
        match chosen
            .iter()
            .find(|&&(index, _)| candidates[index].position == f.position)
        {
            // The minimum is met, and points ask for more on the same criterion.
            Some(&(index, option)) => {
                let (number, points) = candidates[index].options[option];
                steps.push(step(
                    f.position,
                    number,
                    points,
                    f.before,
                    i128::from(points) * count,
                    Some(f.stars),
                ));
            }
            None => steps.push(step(
                f.position,
                f.option,
                f.points,
                f.before,
                f.after,
                Some(f.stars),
            )),
        }
    }
    for &(index, option) in &chosen {
        let candidate = &candidates[index];
        if forced.iter().any(|f| f.position == candidate.position) {
            continue;
        }
        let (number, points) = candidate.options[option];
        steps.push(step(
            candidate.position,
            number,
            points,
            candidate.current_sum,
            i128::from(points) * count,
            None,
        ));
    }
    Some(Upgrade {
        target_stars: target.stars,
        target_score: target.from,
        reachable,
        resulting_score: Score::round_ratio(sum, count),
        steps,
    })
}
