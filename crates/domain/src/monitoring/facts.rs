//! The facts the records hold — recognitions, OCOP entities, sales points, training,
//! craft villages — and what they add up to for an indicator in an area and a period.
//!
//! A fact is placed on today's map (its current province and commune) and, where it has one,
//! on the map before the 2025 reform (`former_province`), so that a plan of a former province
//! is measured on the records of its own territory (docs/monitoring.md).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use super::targets::{Actual, Indicator, Period};
use crate::criteria::EntityType;

/// Where a fact lies: today's province and commune, and the province and district before the
/// reform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub province: Arc<str>,
    pub commune: Arc<str>,
    pub former_province: Option<Arc<str>>,
    pub former_district: Option<Arc<str>>,
}

/// An area a question is asked about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Area {
    Nation,
    /// A province on today's map.
    Province(String),
    /// A commune on today's map.
    Commune(String),
    /// A province on the map before 2025-07-01.
    FormerProvince(String),
    /// A district on the map before 2025-07-01 (districts were abolished then).
    FormerDistrict(String),
}

impl Area {
    pub fn holds(&self, place: &Place) -> bool {
        match self {
            Area::Nation => true,
            Area::Province(code) => *place.province == **code,
            Area::Commune(code) => *place.commune == **code,
            Area::FormerProvince(code) => place.former_province.as_deref() == Some(code.as_str()),
            Area::FormerDistrict(code) => place.former_district.as_deref() == Some(code.as_str()),
        }
    }
}

/// One recognition (a certificate issued on a decision): a product reaching a star.
#[derive(Debug, Clone)]
pub struct Recognition {
    pub product_id: Arc<str>,
    pub entity_id: Arc<str>,
    pub place: Place,
    /// The product group of its set in its criteria version.
    pub group: Arc<str>,
    pub entity_type: EntityType,
    pub stars: u8,
    pub decided_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
    /// The dossier is held in the system with its documents (not a legacy result on paper).
    pub digitised: bool,
}

impl Recognition {
    /// In force on some day of `period`.
    pub fn in_force_during(&self, period: Period) -> bool {
        self.decided_on <= period.last_day()
            && self.expires_on >= period.first_day()
            && self.revoked_on.is_none_or(|r| r >= period.first_day())
    }

    /// In force on `day` (a later recognition of the product supersedes it, which the caller
    /// handles by taking the latest).
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.decided_on <= day && self.expires_on >= day && self.revoked_on.is_none_or(|r| r > day)
    }
}

/// An OCOP entity's standing facts.
#[derive(Debug, Clone)]
pub struct EntityFacts {
    pub id: Arc<str>,
    pub place: Place,
    pub entity_type: EntityType,
    pub women_led: bool,
    pub ethnic_minority_led: bool,
    pub value_chain: bool,
    pub workers: u32,
    /// A product of it sold at a supermarket chain or online (with the day that began, if known).
    pub modern_channel_since: Option<Option<NaiveDate>>,
}

/// A physical OCOP showroom or point of sale, placed by the product it sells.
#[derive(Debug, Clone)]
pub struct SalesPointFact {
    pub place: Place,
    /// Name and address folded: one showroom selling many products counts once.
    pub key: Arc<str>,
    pub opened_on: Option<NaiveDate>,
}

/// Workers of an entity who attended a course.
#[derive(Debug, Clone)]
pub struct TrainingFact {
    pub entity_id: Arc<str>,
    pub held_on: NaiveDate,
    pub trained: u32,
}

/// A traditional craft village and the products made there.
#[derive(Debug, Clone)]
pub struct CraftVillageFact {
    pub place: Place,
    pub product_ids: Vec<Arc<str>>,
}

/// A dossier's way through the states: where it is now, since when, and how long it stayed in
/// each state it left.
#[derive(Debug, Clone)]
pub struct DossierFact {
    pub place: Place,
    pub state: Arc<str>,
    pub since: NaiveDate,
    /// (state left, days spent in it)
    pub stays: Vec<(Arc<str>, u32)>,
}

/// One state of the pipeline: how many dossiers are in it now and for how long on average,
/// and how long the dossiers that left it stayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineRow {
    pub state: Arc<str>,
    pub now: u64,
    /// Mean days the dossiers in it now have waited, rounded.
    pub waiting_days: Option<u64>,
    pub left: u64,
    /// Mean days the dossiers that left it stayed, rounded.
    pub stayed_days: Option<u64>,
}

/// Everything an indicator or a dashboard is computed from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Sorted by decision date.
    pub recognitions: Vec<Recognition>,
    pub entities: HashMap<Arc<str>, EntityFacts>,
    pub sales_points: Vec<SalesPointFact>,
    pub training: Vec<TrainingFact>,
    pub craft_villages: Vec<CraftVillageFact>,
    pub dossiers: Vec<DossierFact>,
    /// Whether each recognition is its product's first (set by [`Facts::sort`]).
    first: Vec<bool>,
    /// Each recognition's product's next recognition (its index), if any (set by `sort`): the
    /// latest recognition on a day is found in one pass, without a map of products.
    next: Vec<Option<u32>>,
    /// The product groups with recognitions, sorted (set by `sort`).
    groups: Vec<Arc<str>>,
}

/// Optional narrowing of a dashboard: a product group, a star.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub group: Option<String>,
    pub stars: Option<u8>,
}

impl Filters {
    fn keeps(&self, r: &Recognition) -> bool {
        self.group.as_deref().is_none_or(|g| *r.group == *g)
            && self.stars.is_none_or(|s| r.stars == s)
    }
}

impl Facts {
    /// Puts recognitions in decision order and marks each product's first; call after loading.
    pub fn sort(&mut self) {
        self.recognitions
            .sort_by(|a, b| (a.decided_on, &a.product_id).cmp(&(b.decided_on, &b.product_id)));
        let mut seen: HashSet<&str> = HashSet::with_capacity(self.recognitions.len());
        self.first = self
            .recognitions
            .iter()
            .map(|r| seen.insert(&r.product_id))
            .collect();
        let mut next = vec![None; self.recognitions.len()];
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(self.recognitions.len());
        for (i, r) in self.recognitions.iter().enumerate() {
            if let Some(before) = last.insert(&r.product_id, i) {
                next[before] = u32::try_from(i).ok();
            }
        }
        self.next = next;
        let groups: HashSet<&Arc<str>> = self
            .recognitions
            .iter()
            .map(|r| &r.group)
            .filter(|g| !g.is_empty())
            .collect();
        let mut groups: Vec<Arc<str>> = groups.into_iter().cloned().collect();
        groups.sort();
        self.groups = groups;
    }

    /// The product groups with recognitions, sorted.
    pub fn groups(&self) -> &[Arc<str>] {
        &self.groups
    }

    /// Each product's latest recognition decided on or before `day`, in an area (in force or
    /// not: the caller asks), in decision order.
    pub fn latest_on<'a>(
        &'a self,
        area: &'a Area,
        day: NaiveDate,
    ) -> impl Iterator<Item = &'a Recognition> + 'a {
        self.recognitions
            .iter()
            .enumerate()
            .take_while(move |(_, r)| r.decided_on <= day)
            .filter(move |(i, _)| {
                self.next
                    .get(*i)
                    .copied()
                    .flatten()
                    .is_none_or(|n| self.recognitions[n as usize].decided_on > day)
            })
            .map(|(_, r)| r)
            .filter(move |r| area.holds(&r.place))
    }

    /// Recognitions of an area with whether each is its product's first.
    fn with_first<'a>(
        &'a self,
        area: &'a Area,
    ) -> impl Iterator<Item = (&'a Recognition, bool)> + 'a {
        self.recognitions
            .iter()
            .zip(self.first.iter().copied().chain(std::iter::repeat(false)))
            .filter(move |(r, _)| area.holds(&r.place))
    }

    /// Per unit of an area (`key` of each place: its province, its commune), products holding a
    /// certificate on `day` and products recognised for the first time in `period`, in one pass.
    pub fn per_unit(
        &self,
        area: &Area,
        period: Period,
        day: NaiveDate,
        filters: &Filters,
        key: impl Fn(&Place) -> Arc<str>,
    ) -> HashMap<Arc<str>, (u64, u64)> {
        let mut out: HashMap<Arc<str>, (u64, u64)> = HashMap::new();
        for (r, first) in self.with_first(area) {
            if first && period.contains(r.decided_on) && filters.keeps(r) {
                out.entry(key(&r.place)).or_default().1 += 1;
            }
        }
        for r in self
            .latest_on(area, day)
            .filter(|r| r.in_force_on(day) && filters.keeps(r))
        {
            out.entry(key(&r.place)).or_default().0 += 1;
        }
        out
    }

    fn in_area<'a>(&'a self, area: &'a Area) -> impl Iterator<Item = &'a Recognition> + 'a {
        self.recognitions
            .iter()
            .filter(move |r| area.holds(&r.place))
    }

    /// The OCOP entities of a period in an area: an entity with a recognition in force on some
    /// day of it.
    pub fn ocop_entities(&self, area: &Area, period: Period) -> Vec<&EntityFacts> {
        let ids: HashSet<&str> = self
            .in_area(area)
            .filter(|r| r.in_force_during(period))
            .map(|r| &*r.entity_id)
            .collect();
        ids.iter().filter_map(|id| self.entities.get(*id)).collect()
    }

    /// What the records give for an indicator in an area and a period.
    pub fn actual(&self, indicator: Indicator, area: &Area, period: Period) -> Actual {
        self.actual_with(indicator, area, period, &mut None)
    }

    /// What the records give for several indicators of one area and period (the OCOP entities,
    /// which several count among, are found once).
    pub fn actuals(&self, indicators: &[Indicator], area: &Area, period: Period) -> Vec<Actual> {
        let mut entities = None;
        indicators
            .iter()
            .map(|i| self.actual_with(*i, area, period, &mut entities))
            .collect()
    }

    fn actual_with<'a>(
        &'a self,
        indicator: Indicator,
        area: &Area,
        period: Period,
        entities: &mut Option<Vec<&'a EntityFacts>>,
    ) -> Actual {
        let in_period = || {
            self.in_area(area)
                .filter(move |r| period.contains(r.decided_on))
        };
        match indicator {
            Indicator::NewProducts
            | Indicator::NewProducts3
            | Indicator::NewProducts4
            | Indicator::NewProducts5 => {
                let star = match indicator {
                    Indicator::NewProducts3 => Some(3),
                    Indicator::NewProducts4 => Some(4),
                    Indicator::NewProducts5 => Some(5),
                    _ => None,
                };
                let count = self
                    .with_first(area)
                    .filter(|(r, first)| {
                        *first && period.contains(r.decided_on) && star.is_none_or(|s| r.stars == s)
                    })
                    .count();
                Actual::count(count as u64)
            }
            Indicator::FiveStarProducts => {
                let products: HashSet<&str> = in_period()
                    .filter(|r| r.stars == 5)
                    .map(|r| &*r.product_id)
                    .collect();
                Actual::count(products.len() as u64)
            }
            Indicator::FourStarShare => {
                let mut best: HashMap<&str, u8> = HashMap::new();
                for r in in_period() {
                    let star = best.entry(&r.product_id).or_default();
                    *star = (*star).max(r.stars);
                }
                let high = best.values().filter(|s| **s >= 4).count();
                Actual::share(high as u64, best.len() as u64)
            }
            Indicator::UpgradedShare => {
                // Stars held when the period began: the latest recognition then in force.
                let start = period.first_day();
                let eve = start.pred_opt().unwrap_or(start);
                let held: HashMap<&str, u8> = self
                    .latest_on(area, eve)
                    .filter(|r| r.in_force_on(start))
                    .map(|r| (&*r.product_id, r.stars))
                    .collect();
                let upgraded: HashSet<&str> = in_period()
                    .filter(|r| held.get(&*r.product_id).is_some_and(|s| r.stars > *s))
                    .map(|r| &*r.product_id)
                    .collect();
                Actual::share(upgraded.len() as u64, held.len() as u64)
            }
            Indicator::WomenLedShare
            | Indicator::EthnicMinorityLedShare
            | Indicator::ValueChainShare
            | Indicator::ModernChannelShare => {
                let entities = entities.get_or_insert_with(|| self.ocop_entities(area, period));
                let last = period.last_day();
                let yes = entities
                    .iter()
                    .filter(|e| match indicator {
                        Indicator::WomenLedShare => e.women_led,
                        Indicator::EthnicMinorityLedShare => e.ethnic_minority_led,
                        Indicator::ValueChainShare => e.value_chain,
                        _ => e
                            .modern_channel_since
                            .is_some_and(|since| since.is_none_or(|d| d <= last)),
                    })
                    .count();
                Actual::share(yes as u64, entities.len() as u64)
            }
            Indicator::SalesPoints => {
                let last = period.last_day();
                let points: HashSet<&str> = self
                    .sales_points
                    .iter()
                    .filter(|p| area.holds(&p.place) && p.opened_on.is_none_or(|d| d <= last))
                    .map(|p| &*p.key)
                    .collect();
                Actual::count(points.len() as u64)
            }
            Indicator::TrainedWorkerShare => {
                let entities = entities.get_or_insert_with(|| self.ocop_entities(area, period));
                let mut trained: HashMap<&str, u64> = HashMap::new();
                for t in self.training.iter().filter(|t| period.contains(t.held_on)) {
                    *trained.entry(&t.entity_id).or_default() += u64::from(t.trained);
                }
                let (mut part, mut whole) = (0u64, 0u64);
                for e in entities {
                    let t = trained.get(&*e.id).copied().unwrap_or(0);
                    // No more trained than workers; an unknown workforce counts the trained.
                    let workers = match u64::from(e.workers) {
                        0 => t,
                        workers => workers,
                    };
                    part += t.min(workers);
                    whole += workers;
                }
                Actual::share(part, whole)
            }
            Indicator::CraftVillageShare => {
                let ocop: HashSet<&str> = self
                    .recognitions
                    .iter()
                    .filter(|r| r.in_force_during(period))
                    .map(|r| &*r.product_id)
                    .collect();
                let villages: Vec<&CraftVillageFact> = self
                    .craft_villages
                    .iter()
                    .filter(|v| area.holds(&v.place))
                    .collect();
                let with = villages
                    .iter()
                    .filter(|v| v.product_ids.iter().any(|p| ocop.contains(&**p)))
                    .count();
                Actual::share(with as u64, villages.len() as u64)
            }
            Indicator::DigitisedShare => {
                let (mut yes, mut all) = (0, 0);
                for r in in_period() {
                    all += 1;
                    yes += u64::from(r.digitised);
                }
                Actual::share(yes, all)
            }
        }
    }

    /// Recognitions per year of the period by star (3, 4, 5): the "certified over time" chart.
    pub fn by_year(&self, area: &Area, period: Period, filters: &Filters) -> Vec<(i32, [u64; 3])> {
        let mut years: BTreeMap<i32, [u64; 3]> =
            (period.from..=period.to).map(|y| (y, [0; 3])).collect();
        for r in self
            .in_area(area)
            .filter(|r| period.contains(r.decided_on) && filters.keeps(r))
        {
            if let (Some(row), 3..=5) = (years.get_mut(&r.decided_on.year()), r.stars) {
                row[usize::from(r.stars - 3)] += 1;
            }
        }
        years.into_iter().collect()
    }

    /// Products holding a certificate in force on `day`, by a key of their latest recognition,
    /// counted per star (3, 4, 5), largest first.
    pub fn in_force_by<K: Ord + Clone>(
        &self,
        area: &Area,
        day: NaiveDate,
        filters: &Filters,
        key: impl Fn(&Recognition) -> K,
    ) -> Vec<(K, [u64; 3])> {
        let mut groups: BTreeMap<K, [u64; 3]> = BTreeMap::new();
        for r in self
            .latest_on(area, day)
            .filter(|r| r.in_force_on(day) && filters.keeps(r))
        {
            if (3..=5).contains(&r.stars) {
                groups.entry(key(r)).or_default()[usize::from(r.stars - 3)] += 1;
            }
        }
        let mut rows: Vec<(K, [u64; 3])> = groups.into_iter().collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.1.iter().sum::<u64>()));
        rows
    }

    /// The dossier pipeline of an area on `today`, in the order of `states`.
    pub fn pipeline(&self, area: &Area, today: NaiveDate, states: &[&str]) -> Vec<PipelineRow> {
        let mut rows: Vec<(u64, u64, u64, u64)> = vec![(0, 0, 0, 0); states.len()];
        let index = |state: &str| states.iter().position(|s| *s == state);
        for d in self.dossiers.iter().filter(|d| area.holds(&d.place)) {
            if let Some(i) = index(&d.state) {
                rows[i].0 += 1;
                rows[i].1 += u64::try_from((today - d.since).num_days().max(0)).unwrap_or(0);
            }
            for (state, days) in &d.stays {
                if let Some(i) = index(state) {
                    rows[i].2 += 1;
                    rows[i].3 += u64::from(*days);
                }
            }
        }
        let mean = |sum: u64, n: u64| (n > 0).then(|| (sum * 2 + n) / (2 * n));
        states
            .iter()
            .zip(rows)
            .map(|(state, (now, waited, left, stayed))| PipelineRow {
                state: Arc::from(*state),
                now,
                waiting_days: mean(waited, now),
                left,
                stayed_days: mean(stayed, left),
            })
            .collect()
    }

    /// Certificates in force on `from` that expire in each of the next `months` months.
    pub fn expiring_by_month(
        &self,
        area: &Area,
        from: NaiveDate,
        months: u32,
        filters: &Filters,
    ) -> Vec<((i32, u32), u64)> {
        let start = from.year() * 12 + from.month0() as i32;
        let mut counts = vec![0u64; months as usize];
        for r in self
            .latest_on(area, from)
            .filter(|r| r.in_force_on(from) && filters.keeps(r))
        {
            let month = r.expires_on.year() * 12 + r.expires_on.month0() as i32 - start;
            if (0..months as i32).contains(&month) {
                counts[month as usize] += 1;
            }
        }
        counts
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                let m = start + i as i32;
                ((m.div_euclid(12), m.rem_euclid(12) as u32 + 1), n)
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    pub fn place(province: &str, commune: &str, former: Option<&str>) -> Place {
        Place {
            province: province.into(),
            commune: commune.into(),
            former_province: former.map(Into::into),
            former_district: former.map(|p| format!("{p}:huyen-{commune}").into()),
        }
    }

    pub fn recognition(
        product: &str,
        entity: &str,
        at: Place,
        stars: u8,
        on: NaiveDate,
    ) -> Recognition {
        Recognition {
            product_id: product.into(),
            entity_id: entity.into(),
            place: at,
            group: "Thực phẩm".into(),
            entity_type: EntityType::Cooperative,
            stars,
            decided_on: on,
            expires_on: crate::certificates::expiry_of(on, 36),
            revoked_on: None,
            digitised: true,
        }
    }

    fn entity(id: &str, at: Place, women: bool, workers: u32) -> EntityFacts {
        EntityFacts {
            id: id.into(),
            place: at,
            entity_type: EntityType::Cooperative,
            women_led: women,
            ethnic_minority_led: false,
            value_chain: false,
            workers,
            modern_channel_since: None,
        }
    }

    /// Two former provinces (70 Bình Phước, 75 Đồng Nai) merged into today's 75.
    fn merged() -> Facts {
        let bp = place("75", "25000", Some("70"));
        let dn = place("75", "26000", Some("75"));
        let mut facts = Facts {
            recognitions: vec![
                recognition("p1", "e1", bp.clone(), 3, day(2022, 5, 1)),
                recognition("p1", "e1", bp.clone(), 4, day(2024, 3, 1)),
                recognition("p2", "e2", bp.clone(), 3, day(2024, 6, 1)),
                recognition("p3", "e3", dn.clone(), 5, day(2024, 9, 1)),
                recognition("p4", "e3", dn.clone(), 3, day(2025, 8, 1)),
            ],
            entities: [
                entity("e1", bp.clone(), true, 10),
                entity("e2", bp.clone(), false, 0),
                entity("e3", dn.clone(), true, 30),
            ]
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect(),
            training: vec![TrainingFact {
                entity_id: "e1".into(),
                held_on: day(2024, 4, 2),
                trained: 4,
            }],
            ..Facts::default()
        };
        facts.sort();
        facts
    }

    #[test]
    fn indicators_recomputed_by_hand() {
        let facts = merged();
        let y2024 = Period::year(2024);
        let dn = Area::Province("75".into());
        // New in 2024: p2 (3★) and p3 (5★); p1 was new in 2022.
        assert_eq!(
            facts.actual(Indicator::NewProducts, &dn, y2024),
            Actual::count(2)
        );
        assert_eq!(
            facts.actual(Indicator::NewProducts3, &dn, y2024),
            Actual::count(1)
        );
        assert_eq!(
            facts.actual(Indicator::NewProducts5, &dn, y2024),
            Actual::count(1)
        );
        assert_eq!(
            facts.actual(Indicator::FiveStarProducts, &dn, y2024),
            Actual::count(1)
        );
        // Recognised in 2024: p1 (4★), p2 (3★), p3 (5★) → 2 of 3 at 4★ or more.
        assert_eq!(
            facts.actual(Indicator::FourStarShare, &dn, y2024),
            Actual::share(2, 3)
        );
        // Held on 1 January 2024: p1 (3★); upgraded in 2024: p1.
        assert_eq!(
            facts.actual(Indicator::UpgradedShare, &dn, y2024),
            Actual::share(1, 1)
        );
        // OCOP entities of 2024: e1, e2, e3 → women-led e1, e3.
        assert_eq!(
            facts.actual(Indicator::WomenLedShare, &dn, y2024),
            Actual::share(2, 3)
        );
        // Trained: e1 4 of 10; e2 none of 0; e3 none of 30 → 4 / 40.
        assert_eq!(
            facts.actual(Indicator::TrainedWorkerShare, &dn, y2024),
            Actual::share(4, 40)
        );
    }

    #[test]
    fn a_former_province_is_measured_on_its_own_territory() {
        let facts = merged();
        let plan = Period::new(2021, 2025).unwrap();
        let binh_phuoc = Area::FormerProvince("70".into());
        let today = Area::Province("75".into());
        // p1 (2022) and p2 (2024) lay in Bình Phước; today's province also has p3 and p4.
        assert_eq!(
            facts.actual(Indicator::NewProducts, &binh_phuoc, plan),
            Actual::count(2)
        );
        assert_eq!(
            facts.actual(Indicator::NewProducts, &today, plan),
            Actual::count(4)
        );
        assert_eq!(
            facts.actual(
                Indicator::NewProducts,
                &Area::FormerProvince("75".into()),
                plan
            ),
            Actual::count(2)
        );
    }

    #[test]
    fn the_latest_recognition_of_each_product_on_a_day() {
        let facts = merged();
        for day in [
            day(2022, 4, 30),
            day(2022, 5, 1),
            day(2024, 2, 29),
            day(2024, 3, 1),
            day(2030, 1, 1),
        ] {
            let mut expected: HashMap<&str, &Recognition> = HashMap::new();
            for r in facts.recognitions.iter().filter(|r| r.decided_on <= day) {
                expected.insert(&r.product_id, r);
            }
            let got: Vec<(&str, u8)> = facts
                .latest_on(&Area::Nation, day)
                .map(|r| (&*r.product_id, r.stars))
                .collect();
            let mut want: Vec<(&str, u8)> = expected
                .values()
                .map(|r| (&*r.product_id, r.stars))
                .collect();
            want.sort();
            let mut sorted = got.clone();
            sorted.sort();
            assert_eq!(sorted, want, "{day}");
        }
        assert_eq!(facts.groups().len(), 1);
    }

    #[test]
    fn dashboard_series() {
        let facts = merged();
        let area = Area::Nation;
        let years = facts.by_year(&area, Period::new(2022, 2025).unwrap(), &Filters::default());
        assert_eq!(
            years,
            vec![
                (2022, [1, 0, 0]),
                (2023, [0, 0, 0]),
                (2024, [1, 1, 1]),
                (2025, [1, 0, 0])
            ]
        );
        // In force on 1 December 2026: p1 at 4★ (its latest), p2, p3, p4.
        let by_group = facts.in_force_by(&area, day(2026, 12, 1), &Filters::default(), |r| {
            r.group.clone()
        });
        assert_eq!(by_group, vec![("Thực phẩm".into(), [2, 1, 1])]);
        let expiring = facts.expiring_by_month(&area, day(2027, 1, 15), 6, &Filters::default());
        // p1 expires 2027-03-01 (4★ of 2024-03-01); p2 2027-06-01.
        assert_eq!(expiring[2], ((2027, 3), 1));
        assert_eq!(expiring[5], ((2027, 6), 1));
        assert_eq!(expiring.iter().map(|e| e.1).sum::<u64>(), 2);
        let here = place("75", "26000", Some("75"));
        let facts = Facts {
            dossiers: vec![
                DossierFact {
                    place: here.clone(),
                    state: "submitted".into(),
                    since: day(2026, 11, 21),
                    stays: vec![("draft".into(), 4)],
                },
                DossierFact {
                    place: here,
                    state: "accepted".into(),
                    since: day(2026, 11, 1),
                    stays: vec![("draft".into(), 9), ("submitted".into(), 6)],
                },
            ],
            ..facts
        };
        let pipeline = facts.pipeline(&area, day(2026, 12, 1), &["draft", "submitted", "accepted"]);
        assert_eq!(pipeline[0].now, 0);
        assert_eq!((pipeline[0].left, pipeline[0].stayed_days), (2, Some(7)));
        assert_eq!((pipeline[1].now, pipeline[1].waiting_days), (1, Some(10)));
        assert_eq!((pipeline[1].left, pipeline[1].stayed_days), (1, Some(6)));
        assert_eq!((pipeline[2].now, pipeline[2].waiting_days), (1, Some(30)));
        let four = Filters {
            stars: Some(4),
            ..Filters::default()
        };
        assert_eq!(
            facts.by_year(&area, Period::year(2024), &four),
            vec![(2024, [0, 1, 0])]
        );
    }
}
