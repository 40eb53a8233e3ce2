//! Plans and their targets: a unit (nation, province or commune, of any period) plans for a
//! period of whole years, each target an indicator with a number or a share; progress is what
//! the records give divided by the target.

use chrono::{Datelike, NaiveDate};

/// Whole calendar years, `from..=to` (2024, or the 2021–2025 plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub from: i32,
    pub to: i32,
}

/// The earliest and latest years a plan may cover.
pub const FIRST_YEAR: i32 = 2018;
pub const LAST_YEAR: i32 = 2100;

impl Period {
    pub fn year(year: i32) -> Period {
        Period {
            from: year,
            to: year,
        }
    }

    /// A period of whole years within the programme's lifetime, at most ten years long.
    pub fn new(from: i32, to: i32) -> Option<Period> {
        (FIRST_YEAR..=LAST_YEAR)
            .contains(&from)
            .then_some(())
            .filter(|_| (from..=from + 9).contains(&to) && to <= LAST_YEAR)
            .map(|_| Period { from, to })
    }

    /// `2024` or `2021-2025`.
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        match text.split_once(['-', '–']) {
            Some((from, to)) => Period::new(from.trim().parse().ok()?, to.trim().parse().ok()?),
            None => Period::new(text.parse().ok()?, text.parse().ok()?),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.from, 1, 1).expect("1 January exists")
    }

    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.to, 12, 31).expect("31 December exists")
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        (self.from..=self.to).contains(&day.year())
    }

    /// Whether a unit valid over `valid_from..=valid_to` (open ends unknown or in force) was in
    /// force on some day of the period.
    pub fn overlaps(self, valid_from: Option<NaiveDate>, valid_to: Option<NaiveDate>) -> bool {
        valid_from.is_none_or(|from| from <= self.last_day())
            && valid_to.is_none_or(|to| to >= self.first_day())
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}–{}", self.from, self.to)
        }
    }
}

/// Whether an indicator counts or measures a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndicatorKind {
    Count,
    Share,
}

/// What a province plans and reports (OCOP.md, targets and monitoring). Recognitions count by
/// their decision date within the period; entity shares are among the OCOP entities of the
/// period (an entity with a certificate in force on some day of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    /// Products recognised 3★ or more for the first time.
    NewProducts,
    NewProducts3,
    NewProducts4,
    NewProducts5,
    /// Products recognised 5★ (first recognitions and upgrades).
    FiveStarProducts,
    /// Among the products recognised in the period, the share of 4★ and above.
    FourStarShare,
    /// Among the products holding a certificate when the period began, the share upgraded.
    UpgradedShare,
    WomenLedShare,
    EthnicMinorityLedShare,
    /// Entities with a product at a supermarket chain or on an e-commerce platform.
    ModernChannelShare,
    /// Entities in a value chain or in green (circular) production.
    ValueChainShare,
    /// OCOP showrooms and points of sale open at the end of the period.
    SalesPoints,
    /// Workers of OCOP entities trained in the period, among all their workers.
    TrainedWorkerShare,
    /// Traditional craft villages with an OCOP product, among the unit's craft villages.
    CraftVillageShare,
    /// Recognitions whose dossier is held in the system with its documents.
    DigitisedShare,
}

impl Indicator {
    pub const ALL: [Indicator; 15] = [
        Indicator::NewProducts,
        Indicator::NewProducts3,
        Indicator::NewProducts4,
        Indicator::NewProducts5,
        Indicator::FiveStarProducts,
        Indicator::FourStarShare,
        Indicator::UpgradedShare,
        Indicator::WomenLedShare,
        Indicator::EthnicMinorityLedShare,
        Indicator::ModernChannelShare,
        Indicator::ValueChainShare,
        Indicator::SalesPoints,
        Indicator::TrainedWorkerShare,
        Indicator::CraftVillageShare,
        Indicator::DigitisedShare,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::NewProducts => "new_products",
            Indicator::NewProducts3 => "new_products_3",
            Indicator::NewProducts4 => "new_products_4",
            Indicator::NewProducts5 => "new_products_5",
            Indicator::FiveStarProducts => "five_star_products",
            Indicator::FourStarShare => "four_star_share",
            Indicator::UpgradedShare => "upgraded_share",
            Indicator::WomenLedShare => "women_led_share",
            Indicator::EthnicMinorityLedShare => "ethnic_minority_led_share",
            Indicator::ModernChannelShare => "modern_channel_share",
            Indicator::ValueChainShare => "value_chain_share",
            Indicator::SalesPoints => "sales_points",
            Indicator::TrainedWorkerShare => "trained_worker_share",
            Indicator::CraftVillageShare => "craft_village_share",
            Indicator::DigitisedShare => "digitised_share",
        }
    }

    pub fn parse(text: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.as_str() == text)
    }

    pub fn kind(self) -> IndicatorKind {
        match self {
            Indicator::NewProducts
            | Indicator::NewProducts3
            | Indicator::NewProducts4
            | Indicator::NewProducts5
            | Indicator::FiveStarProducts
            | Indicator::SalesPoints => IndicatorKind::Count,
            _ => IndicatorKind::Share,
        }
    }

    /// The UI's message id of the indicator's name.
    pub fn message_id(self) -> String {
        format!("indicator-{}", self.as_str().replace('_', "-"))
    }
}

/// A target's value: a count, or a share in basis points (4000 = 40 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetValue {
    Count(u32),
    Share(u32),
}

impl TargetValue {
    /// The value as stored: a count, or basis points.
    pub fn raw(self) -> i64 {
        match self {
            TargetValue::Count(n) | TargetValue::Share(n) => i64::from(n),
        }
    }

    /// A stored value read back for its indicator (`None`: out of range).
    pub fn from_raw(indicator: Indicator, raw: i64) -> Option<TargetValue> {
        let value = u32::try_from(raw).ok()?;
        match indicator.kind() {
            IndicatorKind::Count => Some(TargetValue::Count(value)),
            IndicatorKind::Share => (value <= 10_000).then_some(TargetValue::Share(value)),
        }
    }

    /// A value as typed into a form: a whole number for a count, a percentage for a share.
    pub fn parse(indicator: Indicator, text: &str) -> Result<TargetValue, &'static str> {
        match indicator.kind() {
            IndicatorKind::Count => {
                let text = text.trim().replace('.', "");
                if text.starts_with('-') {
                    return Err("target-error-negative");
                }
                text.parse::<u32>()
                    .ok()
                    .filter(|n| *n <= 1_000_000)
                    .map(TargetValue::Count)
                    .ok_or("target-error-count")
            }
            IndicatorKind::Share => super::money::parse_percent(text)
                .map(TargetValue::Share)
                .map_err(|e| match e {
                    super::money::PercentError::OutOfRange => "target-error-share-range",
                    super::money::PercentError::NotANumber => "target-error-share",
                }),
        }
    }

    pub fn text(self) -> String {
        match self {
            TargetValue::Count(n) => group_thousands(u64::from(n)),
            TargetValue::Share(points) => super::money::percent_text(points),
        }
    }
}

/// What the records give for an indicator: a count, or a share as numerator over denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Actual {
    pub count: u64,
    /// For a share: the whole the count is a part of.
    pub of: Option<u64>,
}

impl Actual {
    pub fn count(count: u64) -> Actual {
        Actual { count, of: None }
    }

    pub fn share(count: u64, of: u64) -> Actual {
        Actual {
            count,
            of: Some(of),
        }
    }

    /// A share in basis points, rounded half up (`None`: a count, or nothing to divide by).
    pub fn basis_points(self) -> Option<u32> {
        let of = self.of.filter(|of| *of > 0)?;
        let points = (u128::from(self.count) * 20_000 + u128::from(of)) / (2 * u128::from(of));
        Some(points.min(u128::from(u32::MAX)) as u32)
    }

    pub fn text(self) -> String {
        match self.of {
            None => group_thousands(self.count),
            Some(_) => match self.basis_points() {
                Some(points) => super::money::percent_text(points),
                None => "–".to_string(),
            },
        }
    }
}

/// Progress towards a target: `79 / 32 — 247 %`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub actual: Actual,
    pub target: TargetValue,
    /// actual ÷ target in whole percent, rounded half up; `None` when the target is zero or a
    /// share has nothing to divide by.
    pub percent: Option<u64>,
}

impl Progress {
    pub fn of(actual: Actual, target: TargetValue) -> Progress {
        let (numerator, denominator) = match target {
            TargetValue::Count(target) => (u128::from(actual.count), u128::from(target)),
            TargetValue::Share(target) => match actual.basis_points() {
                Some(points) => (u128::from(points), u128::from(target)),
                None => (0, 0),
            },
        };
        let percent =
            (denominator > 0).then(|| ((numerator * 200 + denominator) / (2 * denominator)) as u64);
        Progress {
            actual,
            target,
            percent,
        }
    }

    pub fn reached(self) -> bool {
        self.percent.is_some_and(|p| p >= 100)
    }

    /// `79 / 32 — 247 %`
    pub fn text(self) -> String {
        let percent = self
            .percent
            .map(|p| format!("{} %", group_thousands(p)))
            .unwrap_or_else(|| "–".to_string());
        format!(
            "{} / {} — {percent}",
            self.actual.text(),
            self.target.text()
        )
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Why a plan's unit cannot carry targets for its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitPeriodError {
    /// Not in force on any day of the period, and no succession links it to a unit that was.
    NotInForce,
}

/// A plan's unit must have been in force on some day of its period, or be linked by a
/// succession to a unit that was (a former province's plan that runs past the reform; a new
/// commune's plan for the years before it existed, rolled onto its predecessors' records).
pub fn check_unit_period(
    period: Period,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    linked_in_force: bool,
) -> Result<(), UnitPeriodError> {
    if period.overlaps(valid_from, valid_to) || linked_in_force {
        Ok(())
    } else {
        Err(UnitPeriodError::NotInForce)
    }
}

/// A province's count target split over its communes, checked against the whole: the parts may
/// not promise less than the whole (`Short`) — or more, which is allowed and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitCheck {
    /// The parts add up to the whole.
    Matches,
    /// The parts add up to less than the whole by this much.
    Short(u64),
    /// The parts add up to more than the whole by this much.
    Over(u64),
}

pub fn check_split(whole: u32, parts: impl IntoIterator<Item = u32>) -> SplitCheck {
    let sum: u64 = parts.into_iter().map(u64::from).sum();
    let whole = u64::from(whole);
    match sum.cmp(&whole) {
        std::cmp::Ordering::Equal => SplitCheck::Matches,
        std::cmp::Ordering::Less => SplitCheck::Short(whole - sum),
        std::cmp::Ordering::Greater => SplitCheck::Over(sum - whole),
    }
}

/// Share targets of several plans rolled onto one unit (two former provinces now one): their
/// mean weighted by each one's base — the whole its records give the share of (its OCOP
/// entities, its recognitions) — or the plain mean when no base is known yet.
pub fn combine_shares(parts: &[(u32, u64)]) -> Option<u32> {
    if parts.is_empty() {
        return None;
    }
    let weight: u128 = parts.iter().map(|(_, base)| u128::from(*base)).sum();
    let (sum, weight) = if weight == 0 {
        (
            parts
                .iter()
                .map(|(points, _)| u128::from(*points))
                .sum::<u128>(),
            parts.len() as u128,
        )
    } else {
        (
            parts
                .iter()
                .map(|(points, base)| u128::from(*points) * u128::from(*base))
                .sum(),
            weight,
        )
    };
    Some(((sum * 2 + weight) / (2 * weight)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn periods_are_whole_years() {
        assert_eq!(Period::parse("2024"), Some(Period::year(2024)));
        assert_eq!(Period::parse("2021-2025"), Period::new(2021, 2025));
        assert_eq!(Period::parse("2021–2025").unwrap().to_string(), "2021–2025");
        assert_eq!(Period::parse("2025-2021"), None);
        assert_eq!(Period::parse("2021-2040"), None);
        assert_eq!(Period::parse("1999"), None);
        assert_eq!(Period::parse("năm 2024"), None);
        let plan = Period::new(2021, 2025).unwrap();
        assert!(plan.contains(day(2025, 12, 31)));
        assert!(!plan.contains(day(2026, 1, 1)));
    }

    #[test]
    fn progress_reads_like_the_reports() {
        let progress = Progress::of(Actual::count(79), TargetValue::Count(32));
        assert_eq!(progress.percent, Some(247));
        assert_eq!(progress.text(), "79 / 32 — 247 %");
        assert!(progress.reached());
        let behind = Progress::of(Actual::count(5), TargetValue::Count(12));
        assert_eq!(behind.percent, Some(42));
        assert!(!behind.reached());
        // 3 of 8 entities women-led = 37,5 % against 40 % → 94 %
        let share = Progress::of(Actual::share(3, 8), TargetValue::Share(4000));
        assert_eq!(share.actual.basis_points(), Some(3750));
        assert_eq!(share.percent, Some(94));
        assert_eq!(share.text(), "37,5 % / 40 % — 94 %");
        let nothing = Progress::of(Actual::share(0, 0), TargetValue::Share(4000));
        assert_eq!(nothing.percent, None);
        assert_eq!(
            Progress::of(Actual::count(3), TargetValue::Count(0)).percent,
            None
        );
    }

    #[test]
    fn target_values_by_kind() {
        assert_eq!(
            TargetValue::parse(Indicator::NewProducts, "80"),
            Ok(TargetValue::Count(80))
        );
        assert_eq!(
            TargetValue::parse(Indicator::NewProducts, "-3"),
            Err("target-error-negative")
        );
        assert_eq!(
            TargetValue::parse(Indicator::NewProducts, "2,5"),
            Err("target-error-count")
        );
        assert_eq!(
            TargetValue::parse(Indicator::WomenLedShare, "40 %"),
            Ok(TargetValue::Share(4000))
        );
        assert_eq!(
            TargetValue::parse(Indicator::WomenLedShare, "140"),
            Err("target-error-share-range")
        );
        assert_eq!(
            TargetValue::from_raw(Indicator::WomenLedShare, 10_001),
            None
        );
        for indicator in Indicator::ALL {
            assert_eq!(Indicator::parse(indicator.as_str()), Some(indicator));
        }
    }

    #[test]
    fn a_unit_must_be_in_force_or_linked() {
        let y2024 = Period::year(2024);
        let reform = Some(day(2025, 7, 1));
        // Today's Đồng Nai planning 2024: not in force then, but linked to its predecessors.
        assert_eq!(check_unit_period(y2024, reform, None, true), Ok(()));
        assert_eq!(
            check_unit_period(y2024, reform, None, false),
            Err(UnitPeriodError::NotInForce)
        );
        // Former Bình Phước's 2021–2025 plan: in force for most of it.
        let former = Some(day(2025, 6, 30));
        assert_eq!(
            check_unit_period(Period::new(2021, 2025).unwrap(), None, former, false),
            Ok(())
        );
        assert_eq!(
            check_unit_period(Period::year(2026), None, former, false),
            Err(UnitPeriodError::NotInForce)
        );
    }

    #[test]
    fn share_targets_roll_up_weighted_by_their_bases() {
        // 40 % over 30 entities and 20 % over 10 → 35 %.
        assert_eq!(combine_shares(&[(4000, 30), (2000, 10)]), Some(3500));
        assert_eq!(combine_shares(&[(4000, 0), (2000, 0)]), Some(3000));
        assert_eq!(combine_shares(&[]), None);
    }

    #[test]
    fn split_targets_are_checked_against_the_whole() {
        assert_eq!(check_split(80, [30, 30, 20]), SplitCheck::Matches);
        assert_eq!(check_split(80, [30, 30]), SplitCheck::Short(20));
        assert_eq!(check_split(80, [50, 40]), SplitCheck::Over(10));
    }
}
