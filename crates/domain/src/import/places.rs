//! Where a row's producer is today, from what the row says: a commune code (today's or one of
//! before 2025-07-01), commune/district/province names of either map, or an address such as
//! "Ấp 3, xã Tân Lập, huyện Đồng Phú, tỉnh Bình Phước". Former units are followed through their
//! successions onto today's communes; an old commune split between several is ambiguous and the
//! candidates are named, never guessed.

use std::collections::{BTreeSet, HashMap};

use crate::text::fold;
use crate::units::UnitLevel;

/// A unit of either map, as the resolver needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceUnit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub level: UnitLevel,
    pub parent: Option<i64>,
    /// In force today (a unit of today's map).
    pub current: bool,
}

/// Today's commune a row resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub commune_code: String,
    pub province_code: String,
}

/// Why a place does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceError {
    /// Nothing names a commune (no code, no commune, no address with one).
    Missing,
    /// No unit of either map matches in the province.
    Unknown,
    /// The old commune lies in several of today's communes: "name (code)" of each.
    Ambiguous(Vec<String>),
    /// The place is in another province than the import's.
    OtherProvince(String),
}

impl PlaceError {
    pub fn message_id(&self) -> &'static str {
        match self {
            PlaceError::Missing => "import-error-place-missing",
            PlaceError::Unknown => "import-error-place-unknown",
            PlaceError::Ambiguous(_) => "import-error-place-ambiguous",
            PlaceError::OtherProvince(_) => "import-error-place-province",
        }
    }
}

/// What a row says of its place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceText {
    pub commune_code: String,
    pub commune: String,
    pub district: String,
    pub province: String,
    pub address: String,
}

/// Every unit of both maps with their successions, indexed for resolving names and codes.
#[derive(Debug, Default)]
pub struct Gazetteer {
    units: Vec<PlaceUnit>,
    by_id: HashMap<i64, usize>,
    children: HashMap<i64, Vec<usize>>,
    successors: HashMap<i64, Vec<i64>>,
    predecessors: HashMap<i64, Vec<i64>>,
}

/// The name without its kind ("Xã Tân Lập" → "tan lap", "TP. Đồng Xoài" → "dong xoai"), folded.
pub fn bare_name(name: &str) -> String {
    let folded = fold(name);
    let folded = folded.replace('.', ". ");
    let folded = fold(&folded);
    const PREFIXES: [&str; 17] = [
        "thanh pho ",
        "thi tran ",
        "thi xa ",
        "dac khu ",
        "phuong ",
        "huyen ",
        "quan ",
        "tinh ",
        "xa ",
        "tp. ",
        "tp ",
        "tt. ",
        "tt ",
        "tx. ",
        "tx ",
        "p. ",
        "h. ",
    ];
    let mut rest = folded.as_str();
    loop {
        let trimmed = rest.trim_start();
        match PREFIXES.iter().find(|p| trimmed.starts_with(**p)) {
            Some(prefix) => rest = &trimmed[prefix.len()..],
            None => break,
        }
    }
    let rest = rest.trim();
    // "Phường 1" and "Phường 01" are one ward.
    match rest.parse::<u32>() {
        Ok(number) => number.to_string(),
        Err(_) => rest.to_string(),
    }
}

/// The kind of unit an address part names by its prefix.
fn part_level(part: &str) -> Option<UnitLevel> {
    let folded = fold(part);
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| folded.starts_with(p));
    if starts(&[
        "xa ",
        "phuong ",
        "thi tran ",
        "dac khu ",
        "p. ",
        "tt. ",
        "tt ",
    ]) {
        Some(UnitLevel::Commune)
    } else if starts(&["huyen ", "quan ", "thi xa ", "tx. ", "tx ", "h. "]) {
        Some(UnitLevel::District)
    } else if starts(&["tinh "]) {
        Some(UnitLevel::Province)
    } else {
        None
    }
}

impl Gazetteer {
    /// `successions` are (predecessor id, successor id) pairs.
    pub fn new(units: Vec<PlaceUnit>, successions: &[(i64, i64)]) -> Gazetteer {
        let by_id = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
        for (index, unit) in units.iter().enumerate() {
            if let Some(parent) = unit.parent {
                children.entry(parent).or_default().push(index);
            }
        }
        let mut successors: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut predecessors: HashMap<i64, Vec<i64>> = HashMap::new();
        for (old, new) in successions {
            successors.entry(*old).or_default().push(*new);
            predecessors.entry(*new).or_default().push(*old);
        }
        Gazetteer {
            units,
            by_id,
            children,
            successors,
            predecessors,
        }
    }

    fn unit(&self, id: i64) -> Option<&PlaceUnit> {
        self.by_id.get(&id).map(|i| &self.units[*i])
    }

    fn children_of(&self, id: i64) -> impl Iterator<Item = &PlaceUnit> {
        self.children
            .get(&id)
            .into_iter()
            .flatten()
            .map(|i| &self.units[*i])
    }

    /// Today's province with this code.
    pub fn province(&self, code: &str) -> Option<&PlaceUnit> {
        self.units
            .iter()
            .find(|u| u.current && u.level == UnitLevel::Province && u.code == code)
    }

    /// The province a unit lies in (itself for a province).
    fn province_of<'a>(&'a self, unit: &'a PlaceUnit) -> Option<&'a PlaceUnit> {
        let mut at = unit;
        for _ in 0..4 {
            if at.level == UnitLevel::Province {
                return Some(at);
            }
            at = self.unit(at.parent?)?;
        }
        None
    }

    /// Today's communes a former commune became (itself when current).
    fn today<'a>(&'a self, unit: &'a PlaceUnit) -> Vec<&'a PlaceUnit> {
        if unit.current {
            return vec![unit];
        }
        let mut found: Vec<&PlaceUnit> = self
            .successors
            .get(&unit.id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.unit(*id))
            .filter(|u| u.current && u.level == UnitLevel::Commune)
            .collect();
        found.sort_by(|a, b| a.code.cmp(&b.code));
        found.dedup_by(|a, b| a.id == b.id);
        found
    }

    /// The former provinces that became `province` (today's), and itself.
    fn provinces_of_then_and_now<'a>(&'a self, province: &'a PlaceUnit) -> Vec<&'a PlaceUnit> {
        let mut all = vec![province];
        all.extend(
            self.predecessors
                .get(&province.id)
                .into_iter()
                .flatten()
                .filter_map(|id| self.unit(*id))
                .filter(|u| u.level == UnitLevel::Province),
        );
        all
    }

    /// Resolves a row's place within today's province `province_code`.
    pub fn resolve(&self, province_code: &str, place: &PlaceText) -> Result<Resolved, PlaceError> {
        let province = self.province(province_code).ok_or(PlaceError::Unknown)?;
        let mut text = place.clone();
        // Names the row leaves out are read from its address.
        if !place.address.trim().is_empty() {
            for part in place.address.split([',', ';']) {
                let slot = match part_level(part.trim()) {
                    Some(UnitLevel::Commune) => &mut text.commune,
                    Some(UnitLevel::District) => &mut text.district,
                    Some(UnitLevel::Province) => &mut text.province,
                    None => continue,
                };
                if slot.trim().is_empty() {
                    *slot = part.trim().to_string();
                }
            }
        }
        let provinces = self.provinces_of_then_and_now(province);
        let province_ids: BTreeSet<i64> = provinces.iter().map(|p| p.id).collect();
        if !text.province.trim().is_empty() {
            let named = bare_name(&text.province);
            let known = provinces.iter().any(|p| bare_name(&p.name) == named);
            if !known {
                return Err(PlaceError::OtherProvince(text.province.trim().to_string()));
            }
        }
        let chosen = |units: Vec<&PlaceUnit>| -> Result<Resolved, PlaceError> {
            let mut today: Vec<&PlaceUnit> =
                units.into_iter().flat_map(|u| self.today(u)).collect();
            today.sort_by(|a, b| a.code.cmp(&b.code));
            today.dedup_by(|a, b| a.id == b.id);
            match today.as_slice() {
                [] => Err(PlaceError::Unknown),
                [one] => {
                    let home = self.province_of(one).ok_or(PlaceError::Unknown)?;
                    if home.id != province.id {
                        return Err(PlaceError::OtherProvince(home.name.clone()));
                    }
                    Ok(Resolved {
                        commune_code: one.code.clone(),
                        province_code: home.code.clone(),
                    })
                }
                many => Err(PlaceError::Ambiguous(
                    many.iter()
                        .map(|u| format!("{} ({})", u.name, u.code))
                        .collect(),
                )),
            }
        };
        // A code: today's commune, else a former commune of the province.
        let code = text.commune_code.trim();
        if !code.is_empty() {
            let in_province = |u: &&PlaceUnit| {
                self.province_of(u)
                    .is_some_and(|p| province_ids.contains(&p.id))
            };
            let current: Vec<&PlaceUnit> = self
                .units
                .iter()
                .filter(|u| u.level == UnitLevel::Commune && u.current && u.code == code)
                .filter(in_province)
                .collect();
            if !current.is_empty() {
                return chosen(current);
            }
            let former: Vec<&PlaceUnit> = self
                .units
                .iter()
                .filter(|u| u.level == UnitLevel::Commune && !u.current && u.code == code)
                .filter(in_province)
                .collect();
            return if former.is_empty() {
                Err(PlaceError::Unknown)
            } else {
                chosen(former)
            };
        }
        let commune = bare_name(&text.commune);
        if commune.is_empty() {
            return Err(PlaceError::Missing);
        }
        let district = bare_name(&text.district);
        // A district names the map of before the reform: its communes, followed to today.
        if !district.is_empty() {
            let districts: Vec<&PlaceUnit> = provinces
                .iter()
                .filter(|p| !p.current)
                .flat_map(|p| self.children_of(p.id))
                .filter(|d| d.level == UnitLevel::District && bare_name(&d.name) == district)
                .collect();
            let communes: Vec<&PlaceUnit> = districts
                .iter()
                .flat_map(|d| self.children_of(d.id))
                .filter(|c| c.level == UnitLevel::Commune && bare_name(&c.name) == commune)
                .collect();
            if !communes.is_empty() {
                return chosen(communes);
            }
        }
        // Today's communes of the province by name.
        let current: Vec<&PlaceUnit> = self
            .children_of(province.id)
            .filter(|c| c.level == UnitLevel::Commune && bare_name(&c.name) == commune)
            .collect();
        if !current.is_empty() {
            return chosen(current);
        }
        // Former communes of the province's former map by name, under any of its districts.
        let former: Vec<&PlaceUnit> = provinces
            .iter()
            .filter(|p| !p.current)
            .flat_map(|p| self.children_of(p.id))
            .flat_map(|d| self.children_of(d.id))
            .filter(|c| c.level == UnitLevel::Commune && bare_name(&c.name) == commune)
            .collect();
        chosen(former)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(
        id: i64,
        code: &str,
        name: &str,
        level: UnitLevel,
        parent: Option<i64>,
        current: bool,
    ) -> PlaceUnit {
        PlaceUnit {
            id,
            code: code.into(),
            name: name.into(),
            level,
            parent,
            current,
        }
    }

    /// Today's Đồng Nai (75) took in former Bình Phước (70); former Đồng Phú district's Tân
    /// Lập became today's Đồng Phú commune; former Tân Phước was split between two communes.
    fn map() -> Gazetteer {
        use UnitLevel::*;
        let units = vec![
            unit(1, "75", "Tỉnh Đồng Nai", Province, None, true),
            unit(2, "25363", "Xã Đồng Phú", Commune, Some(1), true),
            unit(3, "25364", "Xã Tân Lợi", Commune, Some(1), true),
            unit(4, "25365", "Xã Thuận Lợi", Commune, Some(1), true),
            unit(10, "70", "Tỉnh Bình Phước", Province, None, false),
            unit(
                11,
                "70:huyen-dong-phu",
                "Huyện Đồng Phú",
                District,
                Some(10),
                false,
            ),
            unit(12, "25219", "Xã Tân Lập", Commune, Some(11), false),
            unit(13, "25220", "Xã Tân Phước", Commune, Some(11), false),
            unit(14, "25221", "Thị trấn Tân Phú", Commune, Some(11), false),
            unit(20, "48", "Thành phố Đà Nẵng", Province, None, true),
            unit(21, "20194", "Phường Hải Châu", Commune, Some(20), true),
        ];
        Gazetteer::new(units, &[(10, 1), (12, 2), (13, 3), (13, 4), (14, 2)])
    }

    fn place(commune: &str, district: &str) -> PlaceText {
        PlaceText {
            commune: commune.into(),
            district: district.into(),
            ..PlaceText::default()
        }
    }

    #[test]
    fn a_district_era_place_maps_to_todays_commune() {
        let map = map();
        let today = Resolved {
            commune_code: "25363".into(),
            province_code: "75".into(),
        };
        assert_eq!(
            map.resolve("75", &place("Xã Tân Lập", "Huyện Đồng Phú")),
            Ok(today.clone())
        );
        assert_eq!(
            map.resolve("75", &place("tan lap", "dong phu")),
            Ok(today.clone())
        );
        assert_eq!(
            map.resolve("75", &place("TT. Tân Phú", "")),
            Ok(today.clone())
        );
        let by_address = PlaceText {
            address: "Ấp 3, xã Tân Lập, huyện Đồng Phú, tỉnh Bình Phước".into(),
            ..PlaceText::default()
        };
        assert_eq!(map.resolve("75", &by_address), Ok(today.clone()));
        let by_code = PlaceText {
            commune_code: "25219".into(),
            ..PlaceText::default()
        };
        assert_eq!(map.resolve("75", &by_code), Ok(today.clone()));
        assert_eq!(map.resolve("75", &place("Xã Đồng Phú", "")), Ok(today));
    }

    #[test]
    fn a_split_commune_is_ambiguous_and_names_its_candidates() {
        let map = map();
        assert_eq!(
            map.resolve("75", &place("Tân Phước", "Đồng Phú")),
            Err(PlaceError::Ambiguous(vec![
                "Xã Tân Lợi (25364)".into(),
                "Xã Thuận Lợi (25365)".into()
            ]))
        );
        assert_eq!(
            map.resolve("75", &place("Tân Phong", "Đồng Phú")),
            Err(PlaceError::Unknown)
        );
        assert_eq!(map.resolve("75", &place("", "")), Err(PlaceError::Missing));
        let elsewhere = PlaceText {
            province: "Đà Nẵng".into(),
            ..place("Hải Châu", "")
        };
        assert_eq!(
            map.resolve("75", &elsewhere),
            Err(PlaceError::OtherProvince("Đà Nẵng".into()))
        );
        assert_eq!(bare_name("Phường 01"), "1");
        assert_eq!(bare_name("TP. Đồng Xoài"), "dong xoai");
    }
}
