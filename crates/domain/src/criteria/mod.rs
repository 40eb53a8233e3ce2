//! Criteria sets: legal versions, product sets, scoring sheets, and the rules that turn
//! council members' scorecards into a star rating.
//!
//! Everything that changes by decree (criteria, points, bands, who recognises what, council
//! rules) is data with a legal version, loaded from files (`data/criteria/<version>/`, format in
//! `docs/criteria.md`) and validated before use; nothing here hard-codes a decree.

mod bundled;
mod explain;
mod load;
mod minimums;
mod score;
mod sheet;
mod transition;

pub use bundled::bundled_sources;
pub use explain::{CriterionResult, Disagreement, Explanation, PartResult, Upgrade, UpgradeStep};
pub use load::{Catalog, CriteriaError, VersionSource, load_version};
pub use minimums::{MinimumCheck, MissedMinimum, StarMinimums};
pub use score::{
    CardScore, CouncilInput, CouncilResult, Disqualification, Outcome, Routing, Score, Scorecard,
    ScoringError, evaluate, evaluate_set, evaluate_under, score_card,
};
pub use transition::Transition;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Who recognises: the administrative level of a council or decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Commune,
    District,
    Province,
    Ministry,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        [
            Level::Commune,
            Level::District,
            Level::Province,
            Level::Ministry,
        ]
        .into_iter()
        .find(|l| l.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Commune => "commune",
            Level::District => "district",
            Level::Province => "province",
            Level::Ministry => "ministry",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Level::Commune => "cấp xã",
            Level::District => "cấp huyện",
            Level::Province => "cấp tỉnh",
            Level::Ministry => "cấp trung ương (Bộ)",
        }
    }
}

/// The legal form of an OCOP entity, as far as scoring sheets distinguish them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// Hộ kinh doanh
    Household,
    /// Doanh nghiệp (private enterprise, LLC, joint-stock company)
    Company,
    /// Hợp tác xã
    Cooperative,
    /// Tổ hợp tác
    CooperativeGroup,
}

impl EntityType {
    pub const ALL: [EntityType; 4] = [
        EntityType::Household,
        EntityType::Company,
        EntityType::Cooperative,
        EntityType::CooperativeGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Household => "household",
            EntityType::Company => "company",
            EntityType::Cooperative => "cooperative",
            EntityType::CooperativeGroup => "cooperative_group",
        }
    }

    pub fn parse(text: &str) -> Option<EntityType> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A legal version of the criteria (QĐ 1048, QĐ 148, 148 as amended by 1489, …).
#[derive(Debug, Clone)]
pub struct Version {
    pub id: String,
    pub decree: String,
    pub title_vi: String,
    pub title_en: String,
    pub effective_from: NaiveDate,
    /// The last day the version is in force, where a later decision ended it.
    pub effective_to: Option<NaiveDate>,
    /// The version's own text has not been seen (e.g. reported but unpublished).
    pub provisional: bool,
    pub certificate_validity_months: u32,
    /// Entity type → the `applies_to` token of the sheets that selects its options.
    pub entity_types: BTreeMap<EntityType, String>,
    pub parts: Vec<PartSpec>,
    /// Half-open `[from, to)` intervals in ascending order; the last includes 100.
    pub bands: Vec<Band>,
    /// Who recognises each certifiable star.
    pub recognition: BTreeMap<u8, Level>,
    pub escalation: Option<Escalation>,
    pub council: CouncilRules,
    /// How a council's scorecards are judged against the sheets' star minimums.
    pub minimums: MinimumRule,
    /// Dossiers that finish under an earlier version (26/2026 Điều 12).
    pub transitions: Vec<Transition>,
    /// How dossiers under this version travel from the commune to the council.
    pub procedure: Procedure,
    pub sets: Vec<ProductSet>,
}

/// The procedure a version's dossiers follow (26/2026 Điều 6–7), as data: absent values mean
/// the version does not ask for that step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// The commune writes the Mẫu 03 report before proposing (Điều 7.2).
    #[serde(default)]
    pub commune_report: bool,
    /// Working days the commune has from receipt (Điều 7.2: 15).
    pub commune_working_days: Option<u32>,
    /// Product samples the dossier brings to the province (Điều 6.2.d: 05) ...
    pub samples: Option<u32>,
    /// ... except for these sets (tourism services).
    #[serde(default)]
    pub samples_exempt_sets: Vec<String>,
    /// Days a re-evaluation may take from a complete dossier (Điều 7.6.g: 45).
    pub reevaluation_days: Option<u32>,
    /// Re-evaluations are scored by written opinions; the council meets only when they diverge
    /// (Điều 7.6.d).
    #[serde(default)]
    pub reevaluation_by_written_opinion: bool,
    /// A 5★ product's re-evaluation goes from the province's office to the ministry with no
    /// provincial council (Điều 6.3.b, 7.6.e).
    #[serde(default)]
    pub five_star_reevaluation_to_ministry: bool,
    /// Days before a certificate's expiry when the re-evaluation window opens and closes
    /// (Điều 7.6.a: from 180 to 120).
    pub reevaluation_window_days: Option<[u32; 2]>,
    /// Days before the window closes when the "closing soon" notice goes out (ours: the decree
    /// sets no notice duty).
    pub window_closing_reminder_days: Option<u32>,
    /// Days before expiry when the last reminder goes out (ours: 30).
    pub expiry_reminder_days: Option<u32>,
    /// Where a re-evaluation dossier missed its window, the certificate stays valid until the
    /// result, at most this many days past expiry (Điều 12.3: 180).
    pub pending_validity_days: Option<u32>,
    /// Days from the competent finding within which a certificate is revoked (Điều 8.4: 15).
    pub revocation_days: Option<u32>,
    /// The grounds a certificate may be revoked on (Điều 8.1 a–e).
    #[serde(default)]
    pub revocation_grounds: Vec<RevocationGround>,
}

/// A ground for revoking a certificate, as the version lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationGround {
    /// The clause letter, ASCII (`a`, `b`, `c`, `d`, `dd` for đ, `e`).
    pub code: String,
    /// The clause as printed (`đ`).
    pub clause: String,
    pub text_vi: String,
    pub text_en: String,
}

impl Procedure {
    /// How many samples a dossier of `set` brings (`None`: none asked).
    pub fn revocation_ground(&self, code: &str) -> Option<&RevocationGround> {
        self.revocation_grounds.iter().find(|g| g.code == code)
    }

    pub fn samples_for(&self, set: &str) -> Option<u32> {
        self.samples
            .filter(|_| !self.samples_exempt_sets.iter().any(|s| s == set))
    }
}

/// How a council meets a star minimum on a criterion (the decree leaves it to the council).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinimumRule {
    /// Missed when more than half of the members chose an option below it (as for mandatory
    /// criteria).
    #[default]
    Majority,
    /// Missed when the members' mean points on the criterion are below the option's points.
    Mean,
}

impl MinimumRule {
    pub fn as_str(self) -> &'static str {
        match self {
            MinimumRule::Majority => "majority",
            MinimumRule::Mean => "mean",
        }
    }
}

/// Where a sheet's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SheetSource {
    /// The version's own sheet.
    Official,
    /// Transcribed from a legal-database copy of the decree, not the signed gazette.
    LegalDatabase,
    /// A third party's transcription (e.g. a provincial scoring app).
    ThirdParty,
    /// Provisional: derived from another version's sheet.
    Derived,
}

impl SheetSource {
    pub const ALL: [SheetSource; 4] = [
        SheetSource::Official,
        SheetSource::LegalDatabase,
        SheetSource::ThirdParty,
        SheetSource::Derived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SheetSource::Official => "official",
            SheetSource::LegalDatabase => "legal-database",
            SheetSource::ThirdParty => "third-party",
            SheetSource::Derived => "derived",
        }
    }

    pub fn parse(text: &str) -> Option<SheetSource> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartSpec {
    pub code: String,
    pub max: u32,
    pub name_vi: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub stars: u8,
    pub from: Score,
    pub to: Score,
}

/// Scores of at least `min_score` at `level` are recognised there as `recognised_as` stars and
/// proposed to `proposes_to` (e.g. ≥ 90 at the province: 4★ now, proposed to the ministry for 5★).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub min_score: Score,
    pub level: Level,
    /// `None`: approved and forwarded without recognition at `level` (26/2026 Điều 7.3.e).
    pub recognised_as: Option<u8>,
    pub proposes_to: Level,
}

/// A council's own rules (quy chế). The versions' data give the defaults; 26/2026 leaves them
/// to each council, so a round's council may set its own (`ocop_domain::rounds::council`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouncilRules {
    /// Members' totals may differ by at most this many points; beyond, the council discusses.
    pub spread_limit: u32,
    /// The fewest members whose scorecards make a valid result.
    pub quorum: u32,
    /// How the members' totals make the council's score.
    #[serde(default)]
    pub averaging: Averaging,
}

/// How a council averages its members' totals ("Tổng điểm trung bình"; the decree names no
/// formula, so a council's rules choose).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Averaging {
    /// The mean of every scorecard.
    #[default]
    Mean,
    /// The mean without the single highest and lowest totals, once there are at least five
    /// scorecards (fewer: the plain mean).
    TrimmedMean,
}

impl Averaging {
    pub fn as_str(self) -> &'static str {
        match self {
            Averaging::Mean => "mean",
            Averaging::TrimmedMean => "trimmed_mean",
        }
    }

    pub fn parse(text: &str) -> Option<Averaging> {
        [Averaging::Mean, Averaging::TrimmedMean]
            .into_iter()
            .find(|a| a.as_str() == text)
    }

    /// The council's score from the members' totals, rounded half-up once.
    pub fn score(self, totals: &[u32]) -> Score {
        let mut totals: Vec<i128> = totals.iter().map(|&t| i128::from(t)).collect();
        if self == Averaging::TrimmedMean && totals.len() >= 5 {
            totals.sort_unstable();
            totals.remove(0);
            totals.pop();
        }
        Score::round_ratio(totals.iter().sum(), totals.len() as i128)
    }
}

/// A product set (bộ sản phẩm) and the sheet it is scored on.
#[derive(Debug, Clone)]
pub struct ProductSet {
    pub code: String,
    pub group: String,
    pub subgroup: String,
    pub name_vi: String,
    pub name_en: String,
    pub lead_ministry: String,
    pub sheet: Arc<Sheet>,
    pub source: SheetSource,
    /// The sheet is not the version's text: derived from the nearest real one.
    pub provisional: bool,
    pub note: String,
}

/// A scoring sheet: part → section → criterion → options.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub file: String,
    pub parts: Vec<SheetPart>,
    /// When a dossier is rejected outright, for the whole dossier or on a criterion.
    pub disqualifiers: Vec<Disqualifier>,
    /// Corrections of the source applied to this sheet.
    pub errata: Vec<Erratum>,
    /// Criterion code → its position in sheet order (what [`Sheet::criteria`] yields).
    index: HashMap<String, usize>,
    /// Position → (part, section, criterion) indices.
    places: Vec<(usize, usize, usize)>,
}

#[derive(Debug, Clone)]
pub struct SheetPart {
    pub code: String,
    /// The part's title as the sheet prints it (may be empty).
    pub name_vi: String,
    pub max: u32,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub code: String,
    pub name: String,
    pub max: u32,
    pub note: String,
    /// Criteria split into sub-criteria (6.1 → 6.1.1, 6.1.2): headings, not scored themselves.
    pub groups: Vec<CriterionGroup>,
    /// The scored criteria, in sheet order.
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone)]
pub struct CriterionGroup {
    pub code: String,
    pub name_vi: String,
    pub max: u32,
    pub note: String,
}

/// A rule that rejects a dossier outright ("Hồ sơ bị loại khi", "Bị loại nếu …").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disqualifier {
    /// `D1`, `D2`, … in sheet order.
    pub id: String,
    /// The criterion it is printed with; `None`: the whole dossier.
    pub criterion: Option<String>,
    pub text: String,
}

impl Disqualifier {
    /// The rule as a dossier records it: `D2 (1.1): Bị loại nếu …`.
    pub fn statement(&self) -> String {
        match &self.criterion {
            Some(code) => format!("{} ({code}): {}", self.id, self.text),
            None => format!("{}: {}", self.id, self.text),
        }
    }
}

/// A correction of a defect of the source: the cell, what the source says, what is used, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erratum {
    pub row: String,
    pub column: String,
    pub source_value: String,
    pub value_used: String,
    pub reason: String,
}

/// One of the alternative cases a criterion offers (the tourism set: community or organisation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub number: u32,
    pub name_vi: String,
}

#[derive(Debug, Clone)]
pub struct Criterion {
    pub code: String,
    pub name_vi: String,
    pub max: u32,
    /// A product that fails it cannot be recognised, whatever its total.
    pub mandatory: bool,
    pub note: String,
    /// Index into the section's `groups` when it is a sub-criterion.
    pub group: Option<usize>,
    /// The cases it offers; empty: one set of options.
    pub cases: Vec<Case>,
    /// The sheet prints no options: it is scored 0 or its maximum.
    pub printed_without_options: bool,
    pub options: Vec<CriterionOption>,
}

impl Criterion {
    /// The option a scorecard names (1-based over all cases).
    pub fn option(&self, number: u32) -> Option<&CriterionOption> {
        number
            .checked_sub(1)
            .and_then(|index| self.options.get(index as usize))
    }

    pub fn case(&self, number: u32) -> Option<&Case> {
        self.cases.iter().find(|c| c.number == number)
    }

    pub fn has_minimums(&self) -> bool {
        self.options.iter().any(|o| o.stars_min.is_some())
    }
}

#[derive(Debug, Clone)]
pub struct CriterionOption {
    /// 1-based position within the criterion (over all its cases): what a scorecard names.
    pub number: u32,
    /// The number the sheet prints (it restarts in each case).
    pub label: u32,
    /// The case it belongs to, when the criterion offers cases.
    pub case: Option<u32>,
    pub name_vi: String,
    pub name_en: String,
    pub points: u32,
    /// The sheet's star mark: to be ranked this many stars, a product must reach at least this
    /// option on this criterion (`***` → 3).
    pub stars_min: Option<u8>,
    /// Sheet tokens of the entity types it applies to; empty: all.
    pub applies_to: Vec<String>,
    pub note: String,
}

impl CriterionOption {
    /// The mark the sheet prints after the option for a star minimum (`****`).
    pub fn star_mark(&self) -> Option<String> {
        self.stars_min.map(|stars| "*".repeat(stars as usize))
    }

    pub fn applies_to_token(&self, token: &str) -> bool {
        self.applies_to.is_empty() || self.applies_to.iter().any(|t| t == token)
    }
}

impl Sheet {
    pub(crate) fn new(
        file: String,
        parts: Vec<SheetPart>,
        disqualifiers: Vec<Disqualifier>,
        errata: Vec<Erratum>,
    ) -> Sheet {
        let mut index = HashMap::new();
        let mut places = Vec::new();
        for (p, part) in parts.iter().enumerate() {
            for (s, section) in part.sections.iter().enumerate() {
                for (c, criterion) in section.criteria.iter().enumerate() {
                    index.insert(criterion.code.clone(), places.len());
                    places.push((p, s, c));
                }
            }
        }
        Sheet {
            file,
            parts,
            disqualifiers,
            errata,
            index,
            places,
        }
    }

    pub fn criterion(&self, code: &str) -> Option<&Criterion> {
        self.position(code).map(|position| self.at(position))
    }

    /// The position of a criterion in sheet order.
    pub fn position(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    /// The criterion at a position in sheet order.
    pub fn at(&self, position: usize) -> &Criterion {
        let (p, s, c) = self.places[position];
        &self.parts[p].sections[s].criteria[c]
    }

    pub fn criteria_count(&self) -> usize {
        self.places.len()
    }

    /// Every criterion with the code of its part, in sheet order.
    pub fn criteria(&self) -> impl Iterator<Item = (&str, &Criterion)> {
        self.parts.iter().flat_map(|part| {
            part.sections.iter().flat_map(move |section| {
                section
                    .criteria
                    .iter()
                    .map(move |c| (part.code.as_str(), c))
            })
        })
    }

    pub fn max_total(&self) -> u32 {
        self.parts.iter().map(|part| part.max).sum()
    }

    pub fn disqualifier(&self, id: &str) -> Option<&Disqualifier> {
        self.disqualifiers.iter().find(|d| d.id == id)
    }

    /// Whether any option carries a star mark.
    pub fn has_minimums(&self) -> bool {
        self.criteria().any(|(_, c)| c.has_minimums())
    }
}

impl Version {
    pub fn set(&self, code: &str) -> Option<&ProductSet> {
        self.sets.iter().find(|set| set.code == code)
    }

    /// Whether the version is in force on `date` by its own dates.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_to.is_none_or(|to| date <= to)
    }

    /// The star band `score` falls in.
    pub fn stars_for(&self, score: Score) -> u8 {
        let last = self.bands.len() - 1;
        self.bands
            .iter()
            .enumerate()
            .find(|(index, band)| {
                band.from <= score && (score < band.to || (*index == last && score <= band.to))
            })
            .map(|(_, band)| band.stars)
            .unwrap_or(0)
    }

    /// Whether a product with `stars` gets a decision and certificate (3★ and above so far).
    pub fn certifiable(&self, stars: u8) -> bool {
        self.recognition.contains_key(&stars)
    }

    /// The token of the sheets' `applies_to` column for an entity type.
    pub fn token_for(&self, entity: EntityType) -> &str {
        self.entity_types
            .get(&entity)
            .map(String::as_str)
            .unwrap_or(entity.as_str())
    }
}
