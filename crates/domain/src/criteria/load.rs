//! Reading and validating criteria data. The caller supplies file contents (this crate does no
//! IO); every problem is reported with its file, its path in the tree (`148/P09/A/1.2`) and what
//! is wrong, and all problems are collected, not just the first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;

use super::sheet::{ERRATA_HEADER, ErratumRow, SheetContext, load_sheet};
use super::{
    Band, CouncilRules, EntityType, Escalation, Level, MinimumRule, PartSpec, ProductSet, Score,
    Sheet, SheetSource, Transition, Version,
};

const FORMAT: u32 = 2;
pub const MANIFEST: &str = "version.toml";
pub const SETS: &str = "sets.csv";
pub const SHEETS_DIR: &str = "sheets/";
pub const ERRATA: &str = "errata.csv";

/// The files of one version directory: `version.toml`, `sets.csv`, `sheets/*.csv`.
#[derive(Debug, Clone, Default)]
pub struct VersionSource {
    /// Where the files come from, for messages (e.g. `data/criteria/148`).
    pub origin: String,
    /// The directory's own name: the version id must equal it.
    pub dir_name: String,
    /// Relative path (`version.toml`, `sheets/P01.csv`) → contents.
    pub files: BTreeMap<String, String>,
}

/// One problem in criteria data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {path}: {message}")]
pub struct CriteriaError {
    pub file: String,
    pub path: String,
    pub message: String,
}

/// All loaded versions, ordered by the date they took effect.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    versions: Vec<Version>,
}

impl Catalog {
    /// Loads and validates every source; fails with every problem found in any of them.
    pub fn load(sources: &[VersionSource]) -> Result<Catalog, Vec<CriteriaError>> {
        let mut versions = Vec::new();
        let mut errors = Vec::new();
        for source in sources {
            match load_version(source) {
                Ok(version) => {
                    if versions.iter().any(|v: &Version| v.id == version.id) {
                        errors.push(CriteriaError {
                            file: format!("{}/{MANIFEST}", source.origin),
                            path: version.id.clone(),
                            message: "another directory already defines this version".into(),
                        });
                    } else {
                        versions.push(version);
                    }
                }
                Err(mut found) => errors.append(&mut found),
            }
        }
        for version in &versions {
            for (index, rule) in version.transitions.iter().enumerate() {
                if !versions.iter().any(|v| v.id == rule.from) {
                    errors.push(CriteriaError {
                        file: format!("data/criteria/{}/{MANIFEST}", version.id),
                        path: format!("{}/transition/{}", version.id, index + 1),
                        message: format!("version `{}` is not loaded", rule.from),
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        versions.sort_by(|a, b| {
            a.effective_from
                .cmp(&b.effective_from)
                .then(a.id.cmp(&b.id))
        });
        Ok(Catalog { versions })
    }

    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    pub fn version(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// The product group of a set in a version (empty when either is unknown).
    pub fn group_of(&self, version: &str, set: &str) -> String {
        self.version(version)
            .and_then(|v| v.set(set))
            .map(|set| set.group.clone())
            .unwrap_or_default()
    }

    /// The version in force on `date`: the latest that took effect on or before it.
    pub fn in_force_on(&self, date: NaiveDate) -> Option<&Version> {
        self.versions.iter().rev().find(|v| v.in_force(date))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: u32,
    id: String,
    decree: String,
    title_vi: String,
    title_en: String,
    effective_from: toml::value::Datetime,
    effective_to: Option<toml::value::Datetime>,
    #[serde(default)]
    provisional: bool,
    certificate_validity_months: u32,
    entity_types: BTreeMap<String, String>,
    parts: Vec<ManifestPart>,
    bands: Vec<ManifestBand>,
    recognition: Vec<ManifestRecognition>,
    escalation: Option<ManifestEscalation>,
    council: ManifestCouncil,
    minimums: Option<ManifestMinimums>,
    #[serde(default)]
    transition: Vec<ManifestTransition>,
    #[serde(default)]
    procedure: super::Procedure,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestMinimums {
    judged_by: MinimumRule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestTransition {
    from: String,
    filed_before: toml::value::Datetime,
    evaluations: Vec<crate::dossier::EvaluationType>,
    within_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestPart {
    code: String,
    max: u32,
    name_vi: String,
    name_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestBand {
    stars: u8,
    from: toml::Value,
    to: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestRecognition {
    stars: u8,
    level: Level,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestEscalation {
    min_score: toml::Value,
    level: Level,
    recognised_as: Option<u8>,
    proposes_to: Level,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestCouncil {
    spread_limit: u32,
    quorum: u32,
    #[serde(default)]
    averaging: super::Averaging,
}

#[derive(Deserialize)]
struct SetRow {
    code: String,
    group: String,
    subgroup: String,
    name_vi: String,
    name_en: String,
    lead_ministry: String,
    sheet: String,
    source: String,
    note: String,
}

/// Collects problems with the file and the path they belong to.
pub(crate) struct Problems {
    pub errors: Vec<CriteriaError>,
}

impl Problems {
    pub fn add(&mut self, file: &str, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(CriteriaError {
            file: file.to_string(),
            path: path.into(),
            message: message.into(),
        });
    }
}

/// A score from a TOML number: a whole number or one with at most two decimals.
fn score_value(value: &toml::Value) -> Option<Score> {
    match value {
        toml::Value::Integer(points) => Some(Score::from_centi(points.checked_mul(100)?)),
        toml::Value::Float(points) => {
            let centi = (points * 100.0).round();
            ((points * 100.0 - centi).abs() < 1e-6).then(|| Score::from_centi(centi as i64))
        }
        _ => None,
    }
}

fn toml_date(value: &toml::value::Datetime) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&value.to_string(), "%Y-%m-%d").ok()
}

/// Loads one version directory. Fails with every problem found.
pub fn load_version(source: &VersionSource) -> Result<Version, Vec<CriteriaError>> {
    let mut problems = Problems { errors: Vec::new() };
    let manifest_file = format!("{}/{MANIFEST}", source.origin);
    let dir = source.dir_name.clone();
    let Some(manifest_text) = source.files.get(MANIFEST) else {
        problems.add(&manifest_file, &dir, "missing");
        return Err(problems.errors);
    };
    let manifest: Manifest = match toml::from_str(manifest_text) {
        Ok(manifest) => manifest,
        Err(error) => {
            let message = error.message().to_string();
            let at = error
                .span()
                .map(|span| {
                    let line = manifest_text[..span.start].matches('\n').count() + 1;
                    format!("line {line}: ")
                })
                .unwrap_or_default();
            problems.add(&manifest_file, &dir, format!("{at}{message}"));
            return Err(problems.errors);
        }
    };
    let id = manifest.id.trim().to_string();
    if manifest.format != FORMAT {
        problems.add(
            &manifest_file,
            &id,
            format!(
                "format {} is not supported (expected {FORMAT})",
                manifest.format
            ),
        );
    }
    if id != source.dir_name {
        problems.add(
            &manifest_file,
            &id,
            format!(
                "id `{id}` must equal the directory name `{}`",
                source.dir_name
            ),
        );
    }
    let effective_from = toml_date(&manifest.effective_from).unwrap_or_else(|| {
        problems.add(
            &manifest_file,
            &id,
            "effective_from must be a date (YYYY-MM-DD)",
        );
        NaiveDate::MIN
    });
    let effective_to = manifest.effective_to.as_ref().and_then(|value| {
        let date = toml_date(value);
        match date {
            None => problems.add(
                &manifest_file,
                &id,
                "effective_to must be a date (YYYY-MM-DD)",
            ),
            Some(to) if to < effective_from => {
                problems.add(&manifest_file, &id, "effective_to is before effective_from")
            }
            Some(_) => {}
        }
        date
    });
    let mut transitions = Vec::new();
    for (index, rule) in manifest.transition.iter().enumerate() {
        let here = format!("{id}/transition/{}", index + 1);
        let Some(filed_before) = toml_date(&rule.filed_before) else {
            problems.add(
                &manifest_file,
                &here,
                "filed_before must be a date (YYYY-MM-DD)",
            );
            continue;
        };
        if rule.evaluations.is_empty() {
            problems.add(
                &manifest_file,
                &here,
                "evaluations must name at least one kind",
            );
        }
        if rule.from.trim() == id {
            problems.add(
                &manifest_file,
                &here,
                "a version cannot hand dossiers over to itself",
            );
        }
        transitions.push(Transition::new(
            rule.from.trim().to_string(),
            filed_before,
            rule.evaluations.clone(),
            rule.within_days,
            effective_from,
        ));
    }

    // Entity types → sheet tokens.
    let mut entity_types = BTreeMap::new();
    for (name, token) in &manifest.entity_types {
        match EntityType::parse(name) {
            Some(entity) => {
                entity_types.insert(entity, token.trim().to_string());
            }
            None => problems.add(
                &manifest_file,
                format!("{id}/entity_types"),
                format!("unknown entity type `{name}`"),
            ),
        }
    }
    for entity in EntityType::ALL {
        if !entity_types.contains_key(&entity) {
            problems.add(
                &manifest_file,
                format!("{id}/entity_types"),
                format!("entity type `{entity}` has no sheet token"),
            );
        }
    }

    // Parts.
    let mut parts = Vec::new();
    for part in &manifest.parts {
        let code = part.code.trim().to_string();
        if code.is_empty() || parts.iter().any(|p: &PartSpec| p.code == code) {
            problems.add(
                &manifest_file,
                format!("{id}/{code}"),
                "part codes must be unique and not empty",
            );
        }
        parts.push(PartSpec {
            code,
            max: part.max,
            name_vi: part.name_vi.clone(),
            name_en: part.name_en.clone(),
        });
    }
    let parts_total: u32 = parts.iter().map(|p| p.max).sum();
    if parts.is_empty() || parts_total != 100 {
        problems.add(
            &manifest_file,
            format!("{id}/parts"),
            format!("part maxima add up to {parts_total}, not 100"),
        );
    }

    // Bands: a partition of [0, 100].
    let mut bands = Vec::new();
    for band in &manifest.bands {
        match (score_value(&band.from), score_value(&band.to)) {
            (Some(from), Some(to)) => bands.push(Band {
                stars: band.stars,
                from,
                to,
            }),
            _ => problems.add(
                &manifest_file,
                format!("{id}/bands/{}", band.stars),
                "from and to must be numbers with at most two decimals",
            ),
        }
    }
    check_bands(&bands, &id, &manifest_file, &mut problems);

    let mut recognition = BTreeMap::new();
    for entry in &manifest.recognition {
        if !bands.iter().any(|b| b.stars == entry.stars) {
            problems.add(
                &manifest_file,
                format!("{id}/recognition"),
                format!("{}★ is not a band", entry.stars),
            );
        }
        if recognition.insert(entry.stars, entry.level).is_some() {
            problems.add(
                &manifest_file,
                format!("{id}/recognition"),
                format!("{}★ is listed twice", entry.stars),
            );
        }
    }
    let escalation = manifest.escalation.as_ref().and_then(|e| {
        let Some(min_score) = score_value(&e.min_score) else {
            problems.add(
                &manifest_file,
                format!("{id}/escalation"),
                "min_score must be a number",
            );
            return None;
        };
        if let Some(recognised_as) = e.recognised_as
            && recognition.get(&recognised_as) != Some(&e.level)
        {
            problems.add(
                &manifest_file,
                format!("{id}/escalation"),
                format!(
                    "{}★ is not recognised at the {} level",
                    recognised_as,
                    e.level.as_str()
                ),
            );
        }
        if e.proposes_to <= e.level {
            problems.add(
                &manifest_file,
                format!("{id}/escalation"),
                "proposes_to must be a higher level",
            );
        }
        Some(Escalation {
            min_score,
            level: e.level,
            recognised_as: e.recognised_as,
            proposes_to: e.proposes_to,
        })
    });
    if manifest.council.quorum == 0 {
        problems.add(
            &manifest_file,
            format!("{id}/council"),
            "quorum must be at least 1",
        );
    }

    // Errata: corrections of the source's defects, applied to the sheets they name.
    let errata_file = format!("{}/{ERRATA}", source.origin);
    let errata = read_errata(source, &id, &errata_file, &mut problems);
    let certifiable: BTreeSet<u8> = recognition.keys().copied().collect();

    // Product sets and their sheets.
    let sets_file = format!("{}/{SETS}", source.origin);
    let mut sets = Vec::new();
    let mut sheets: HashMap<String, Option<Arc<Sheet>>> = HashMap::new();
    match source.files.get(SETS) {
        None => problems.add(&sets_file, &id, "missing"),
        Some(text) => {
            let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
            for (index, row) in reader.deserialize::<SetRow>().enumerate() {
                let line = index + 2;
                let row = match row {
                    Ok(row) => row,
                    Err(error) => {
                        problems.add(&sets_file, &id, format!("line {line}: {error}"));
                        continue;
                    }
                };
                let code = row.code.trim().to_string();
                let path = format!("{id}/{code}");
                if code.is_empty() || sets.iter().any(|s: &ProductSet| s.code == code) {
                    problems.add(
                        &sets_file,
                        &path,
                        format!("line {line}: set codes must be unique and not empty"),
                    );
                    continue;
                }
                let sheet_source = SheetSource::parse(row.source.trim()).unwrap_or_else(|| {
                    problems.add(
                        &sets_file,
                        &path,
                        format!(
                            "line {line}: source must be official, legal-database, third-party or derived, not `{}`",
                            row.source.trim()
                        ),
                    );
                    SheetSource::Derived
                });
                let sheet_name = row.sheet.trim().to_string();
                let sheet = sheets
                    .entry(sheet_name.clone())
                    .or_insert_with(|| {
                        let file = format!("{SHEETS_DIR}{sheet_name}");
                        match source.files.get(&file) {
                            None => {
                                problems.add(
                                    &sets_file,
                                    &path,
                                    format!("line {line}: sheet `{file}` does not exist"),
                                );
                                None
                            }
                            Some(text) => {
                                let origin = format!("{}/{file}", source.origin);
                                let context = SheetContext {
                                    file: &origin,
                                    name: &sheet_name,
                                    path: &format!("{id}/{code}"),
                                    parts: &parts,
                                    entity_types: &entity_types,
                                    stars: &certifiable,
                                    errata_file: &errata_file,
                                    errata: errata
                                        .iter()
                                        .filter(|e| e.sheet.trim() == sheet_name)
                                        .collect(),
                                };
                                load_sheet(&context, text, &mut problems).map(Arc::new)
                            }
                        }
                    })
                    .clone();
                if let Some(sheet) = sheet {
                    sets.push(ProductSet {
                        code,
                        group: row.group,
                        subgroup: row.subgroup,
                        name_vi: row.name_vi,
                        name_en: row.name_en,
                        lead_ministry: row.lead_ministry,
                        sheet,
                        source: sheet_source,
                        provisional: sheet_source == SheetSource::Derived,
                        note: row.note,
                    });
                }
            }
            if sets.is_empty() && problems.errors.is_empty() {
                problems.add(&sets_file, &id, "no product sets");
            }
        }
    }

    for erratum in &errata {
        if !sheets.contains_key(erratum.sheet.trim()) {
            problems.add(
                &errata_file,
                format!("{id}/{}", erratum.sheet.trim()),
                format!(
                    "line {}: the erratum names sheet `{}`, which no product set uses",
                    erratum.line,
                    erratum.sheet.trim()
                ),
            );
        }
    }

    if !problems.errors.is_empty() {
        return Err(problems.errors);
    }
    Ok(Version {
        id,
        decree: manifest.decree,
        title_vi: manifest.title_vi,
        title_en: manifest.title_en,
        effective_from,
        effective_to,
        provisional: manifest.provisional,
        certificate_validity_months: manifest.certificate_validity_months,
        entity_types,
        parts,
        bands,
        recognition,
        escalation,
        council: CouncilRules {
            spread_limit: manifest.council.spread_limit,
            quorum: manifest.council.quorum,
            averaging: manifest.council.averaging,
        },
        minimums: manifest.minimums.map(|m| m.judged_by).unwrap_or_default(),
        transitions,
        procedure: manifest.procedure,
        sets,
    })
}

fn read_errata(
    source: &VersionSource,
    id: &str,
    file: &str,
    problems: &mut Problems,
) -> Vec<ErratumRow> {
    let Some(text) = source.files.get(ERRATA) else {
        return Vec::new();
    };
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map(|h| h.iter().collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    if header != ERRATA_HEADER {
        problems.add(
            file,
            id,
            format!("line 1: the header must be `{ERRATA_HEADER}`, not `{header}`"),
        );
        return Vec::new();
    }
    let mut errata = Vec::new();
    for (index, row) in reader.deserialize::<ErratumRow>().enumerate() {
        match row {
            Ok(mut row) => {
                row.line = index + 2;
                errata.push(row);
            }
            Err(error) => problems.add(file, id, format!("line {}: {error}", index + 2)),
        }
    }
    errata
}

fn check_bands(bands: &[Band], id: &str, file: &str, problems: &mut Problems) {
    let path = format!("{id}/bands");
    let zero = Score::from_centi(0);
    let hundred = Score::from_centi(10_000);
    if bands.is_empty() {
        problems.add(file, &path, "no bands");
        return;
    }
    if bands[0].from != zero {
        problems.add(
            file,
            &path,
            format!("the first band starts at {}, not 0", bands[0].from),
        );
    }
    for (band, next) in bands.iter().zip(bands.iter().skip(1)) {
        if band.to != next.from {
            problems.add(
                file,
                &path,
                format!(
                    "{}★ ends at {} but {}★ starts at {}: bands must meet",
                    band.stars, band.to, next.stars, next.from
                ),
            );
        }
        if next.stars <= band.stars {
            problems.add(file, &path, "stars must increase from band to band");
        }
    }
    for band in bands {
        if band.to <= band.from {
            problems.add(file, &path, format!("{}★ is empty or reversed", band.stars));
        }
    }
    let last = bands[bands.len() - 1];
    if last.to != hundred {
        problems.add(
            file,
            &path,
            format!("the last band ends at {}, not 100", last.to),
        );
    }
}
