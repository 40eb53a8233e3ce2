//! Star minimums: the sheets' `***` / `****` / `*****` marks. To be ranked N★ a product must
//! reach, on every marked criterion, at least the option marked for N★ and for every star below
//! N. The star is the band's star lowered to the highest star whose minimums are all met; a
//! product missing a 3★ minimum is not an OCOP product. How a council meets a minimum is the
//! version's [`MinimumRule`].

use serde::Serialize;

use super::score::{CardScore, Score};
use super::{Criterion, CriterionOption, MinimumRule, Sheet};

/// One minimum a product does not meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissedMinimum {
    pub stars: u8,
    pub criterion: String,
    pub name_vi: String,
    /// The marked option (scorecard number) and its printed number and text.
    pub option: u32,
    pub option_label: u32,
    pub option_vi: String,
    /// The marked option's points: what "at least this option" means.
    pub needed: u32,
    /// The members' mean on the criterion.
    pub earned: Score,
    /// How many members chose an option below it.
    pub below: u32,
}

/// The minimums of one star.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StarMinimums {
    pub stars: u8,
    /// Criteria with a mark for this star (in the members' case).
    pub marked: u32,
    pub missing: Vec<MissedMinimum>,
}

impl StarMinimums {
    pub fn met(&self) -> bool {
        self.missing.is_empty()
    }
}

/// A council's (or one producer's) standing against the sheet's minimums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinimumCheck {
    pub judged_by: MinimumRule,
    /// The star the mean's band gives.
    pub band_stars: u8,
    /// The band's star lowered to the highest star whose minimums are all met.
    pub ranked_stars: u8,
    /// Per marked star, ascending.
    pub stars: Vec<StarMinimums>,
}

impl MinimumCheck {
    /// The lowest star whose minimums are missed, if any.
    pub fn first_missed(&self) -> Option<&StarMinimums> {
        self.stars.iter().find(|s| !s.met())
    }

    /// Whether every minimum of `stars` and below is met.
    pub fn meets(&self, stars: u8) -> bool {
        self.stars
            .iter()
            .filter(|s| s.stars <= stars)
            .all(StarMinimums::met)
    }
}

/// The option marked `stars` with the fewest points, in a case: "at least this option".
pub(crate) fn requirement(
    criterion: &Criterion,
    stars: u8,
    case: Option<u32>,
) -> Option<&CriterionOption> {
    criterion
        .options
        .iter()
        .filter(|o| o.stars_min == Some(stars) && o.case == case)
        .min_by_key(|o| (o.points, o.number))
}

/// The case the members scored a criterion in (they agree: see scoring).
pub(crate) fn case_of(
    criterion: &Criterion,
    members: &[CardScore],
    position: usize,
) -> Option<u32> {
    members
        .first()
        .and_then(|m| criterion.option(m.choices[position].0))
        .and_then(|o| o.case)
}

/// Whether members' points on a criterion meet `needed` under `rule`.
pub(crate) fn met(
    rule: MinimumRule,
    points: impl Iterator<Item = u32> + Clone,
    needed: u32,
) -> bool {
    let count = points.clone().count() as u64;
    match rule {
        MinimumRule::Majority => points.filter(|&p| p < needed).count() as u64 * 2 <= count,
        MinimumRule::Mean => points.map(u64::from).sum::<u64>() >= u64::from(needed) * count,
    }
}

/// Checks scorecards against the sheet's minimums; `None` when the sheet has no marks.
pub(crate) fn check(
    rule: MinimumRule,
    sheet: &Sheet,
    members: &[CardScore],
    band_stars: u8,
) -> Option<MinimumCheck> {
    if members.is_empty() || !sheet.has_minimums() {
        return None;
    }
    let count = members.len() as i128;
    let mut stars: Vec<StarMinimums> = Vec::new();
    for (position, (_, criterion)) in sheet.criteria().enumerate() {
        if !criterion.has_minimums() {
            continue;
        }
        let case = case_of(criterion, members, position);
        let points = members.iter().map(|m| m.points_at(position));
        let mut marks: Vec<u8> = criterion
            .options
            .iter()
            .filter(|o| o.case == case)
            .filter_map(|o| o.stars_min)
            .collect();
        marks.sort_unstable();
        marks.dedup();
        for star in marks {
            let Some(option) = requirement(criterion, star, case) else {
                continue;
            };
            let entry = match stars.iter_mut().position(|s| s.stars == star) {
                Some(index) => &mut stars[index],
                None => {
                    stars.push(StarMinimums {
                        stars: star,
                        marked: 0,
                        missing: Vec::new(),
                    });
                    stars.last_mut().expect("just pushed")
                }
            };
            entry.marked += 1;
            if !met(rule, points.clone(), option.points) {
                entry.missing.push(MissedMinimum {
                    stars: star,
                    criterion: criterion.code.clone(),
                    name_vi: criterion.name_vi.clone(),
                    option: option.number,
                    option_label: option.label,
                    option_vi: option.name_vi.clone(),
                    needed: option.points,
                    earned: Score::round_ratio(points.clone().map(i128::from).sum(), count),
                    below: points.clone().filter(|&p| p < option.points).count() as u32,
                });
            }
        }
    }
    stars.sort_by_key(|s| s.stars);
    let mut check = MinimumCheck {
        judged_by: rule,
        band_stars,
        ranked_stars: band_stars,
        stars,
    };
    check.ranked_stars = (0..=band_stars)
        .rev()
        .find(|&s| check.meets(s))
        .unwrap_or(0);
    Some(check)
}

/// "76.00 is in the 4★ band; criterion 1.5 Liên kết sản xuất is below the 4★ minimum (needs
/// 'Có hợp đồng liên kết trên 75%…'): ranked 3★".
pub(crate) fn explain_lowering(check: &MinimumCheck, mean: Score) -> Option<String> {
    if check.ranked_stars >= check.band_stars {
        return None;
    }
    let missed = check.first_missed()?;
    let which: Vec<String> = missed
        .missing
        .iter()
        .map(|m| {
            format!(
                "criterion {} {} is below the {}★ minimum (needs '{}')",
                m.criterion,
                m.name_vi,
                m.stars,
                shorten(&m.option_vi, 60)
            )
        })
        .collect();
    Some(format!(
        "{mean} is in the {}★ band; {}: ranked {}★",
        check.band_stars,
        which.join("; "),
        check.ranked_stars
    ))
}

/// At most `chars` characters, with an ellipsis when cut.
pub fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(chars).collect();
    format!("{}…", cut.trim_end())
}
