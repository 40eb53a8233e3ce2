//! Reading and validating criteria data. The caller supplies file contents (this crate does no
//! IO); every problem is reported with its file, its path in the tree (`148/P09/A/1.2`) and what
//! is wrong, and all problems are collected, not just the first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    Band, CouncilRules, Criterion, CriterionOption, EntityType, Escalation, Level, PartSpec,
    ProductSet, Score, Section, Sheet, SheetPart, Version,
};

const FORMAT: u32 = 1;
pub const MANIFEST: &str = "version.toml";
pub const SETS: &str = "sets.csv";
pub const SHEETS_DIR: &str = "sheets/";

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

    /// The version in force on `date`: the latest that took effect on or before it.
    pub fn in_force_on(&self, date: NaiveDate) -> Option<&Version> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.effective_from <= date)
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
    #[serde(default)]
    provisional: bool,
    certificate_validity_months: u32,
    entity_types: BTreeMap<String, String>,
    parts: Vec<ManifestPart>,
    bands: Vec<ManifestBand>,
    recognition: Vec<ManifestRecognition>,
    escalation: Option<ManifestEscalation>,
    council: ManifestCouncil,
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
    recognised_as: u8,
    proposes_to: Level,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestCouncil {
    spread_limit: u32,
    quorum: u32,
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
    provisional: String,
    note: String,
}

#[derive(Deserialize)]
struct SheetRow {
    part: String,
    section: String,
    section_max: String,
    criterion: String,
    criterion_vi: String,
    criterion_max: String,
    mandatory: String,
    option_vi: String,
    option_en: String,
    points: String,
    applies_to: String,
}

/// Collects problems with the file and the path they belong to.
struct Problems {
    errors: Vec<CriteriaError>,
}

impl Problems {
    fn add(&mut self, file: &str, path: impl Into<String>, message: impl Into<String>) {
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

fn parse_whole(text: &str) -> Option<u32> {
    text.trim().parse().ok()
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
    let effective_from =
        NaiveDate::parse_from_str(&manifest.effective_from.to_string(), "%Y-%m-%d").unwrap_or_else(
            |_| {
                problems.add(
                    &manifest_file,
                    &id,
                    "effective_from must be a date (YYYY-MM-DD)",
                );
                NaiveDate::MIN
            },
        );

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
        if recognition.get(&e.recognised_as) != Some(&e.level) {
            problems.add(
                &manifest_file,
                format!("{id}/escalation"),
                format!(
                    "{}★ is not recognised at the {} level",
                    e.recognised_as,
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
                let provisional = match row.provisional.trim() {
                    "yes" => true,
                    "no" | "" => false,
                    other => {
                        problems.add(
                            &sets_file,
                            &path,
                            format!("line {line}: provisional must be yes or no, not `{other}`"),
                        );
                        false
                    }
                };
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
                                load_sheet(
                                    &origin,
                                    &sheet_name,
                                    text,
                                    &format!("{id}/{code}"),
                                    &parts,
                                    &entity_types,
                                    &mut problems,
                                )
                                .map(Arc::new)
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
                        provisional,
                        note: row.note,
                    });
                }
            }
            if sets.is_empty() && problems.errors.is_empty() {
                problems.add(&sets_file, &id, "no product sets");
            }
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
        },
        sets,
    })
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

fn load_sheet(
    file: &str,
    name: &str,
    text: &str,
    path: &str,
    parts: &[PartSpec],
    entity_types: &BTreeMap<EntityType, String>,
    problems: &mut Problems,
) -> Option<Sheet> {
    let before = problems.errors.len();
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let tokens: BTreeSet<&str> = entity_types.values().map(String::as_str).collect();
    let mut sheet_parts: Vec<SheetPart> = Vec::new();
    let mut declared_max: HashMap<String, u32> = HashMap::new();
    let mut seen_criteria: BTreeSet<String> = BTreeSet::new();
    for (index, row) in reader.deserialize::<SheetRow>().enumerate() {
        let line = index + 2;
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                problems.add(file, path, format!("line {line}: {error}"));
                continue;
            }
        };
        let part_code = row.part.trim().to_string();
        let criterion_code = row.criterion.trim().to_string();
        let here = format!("{path}/{part_code}/{criterion_code}");
        let whole = |text: &str, what: &str, problems: &mut Problems| {
            parse_whole(text).or_else(|| {
                problems.add(
                    file,
                    &here,
                    format!(
                        "line {line}: {what} `{}` is not a whole number",
                        text.trim()
                    ),
                );
                None
            })
        };
        let (Some(section_max), Some(criterion_max), Some(points)) = (
            whole(&row.section_max, "section_max", problems),
            whole(&row.criterion_max, "criterion_max", problems),
            whole(&row.points, "points", problems),
        ) else {
            continue;
        };
        if !parts.iter().any(|p| p.code == part_code) {
            problems.add(
                file,
                &here,
                format!("line {line}: part `{part_code}` is not a part of this version"),
            );
            continue;
        }
        if criterion_code.is_empty() {
            problems.add(file, &here, format!("line {line}: criterion code is empty"));
            continue;
        }
        let mandatory = match row.mandatory.trim() {
            "yes" => true,
            "" | "no" => false,
            other => {
                problems.add(
                    file,
                    &here,
                    format!("line {line}: mandatory must be yes or no, not `{other}`"),
                );
                false
            }
        };
        let applies_to: Vec<String> = row
            .applies_to
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        for token in &applies_to {
            if !tokens.contains(token.as_str()) {
                problems.add(
                    file,
                    &here,
                    format!(
                        "line {line}: applies_to `{token}` names no entity type of this version"
                    ),
                );
            }
        }
        let section_name = row.section.trim().to_string();
        let part = match sheet_parts.iter_mut().position(|p| p.code == part_code) {
            Some(position) => &mut sheet_parts[position],
            None => {
                sheet_parts.push(SheetPart {
                    code: part_code.clone(),
                    max: parts
                        .iter()
                        .find(|p| p.code == part_code)
                        .map_or(0, |p| p.max),
                    sections: Vec::new(),
                });
                sheet_parts.last_mut().expect("just pushed")
            }
        };
        let section = match part.sections.iter().position(|s| s.name == section_name) {
            Some(position) => &mut part.sections[position],
            None => {
                part.sections.push(Section {
                    name: section_name.clone(),
                    max: section_max,
                    criteria: Vec::new(),
                });
                part.sections.last_mut().expect("just pushed")
            }
        };
        if section.max != section_max {
            problems.add(
                file,
                &here,
                format!(
                    "line {line}: section_max {section_max} differs from {} given before",
                    section.max
                ),
            );
        }
        let criterion = match section
            .criteria
            .iter()
            .position(|c| c.code == criterion_code)
        {
            Some(position) => &mut section.criteria[position],
            None => {
                if !seen_criteria.insert(criterion_code.clone()) {
                    problems.add(
                        file,
                        &here,
                        format!("line {line}: criterion {criterion_code} appears in two places"),
                    );
                }
                section.criteria.push(Criterion {
                    code: criterion_code.clone(),
                    name_vi: row.criterion_vi.trim().to_string(),
                    max: criterion_max,
                    mandatory,
                    options: Vec::new(),
                });
                declared_max.insert(criterion_code.clone(), criterion_max);
                section.criteria.last_mut().expect("just pushed")
            }
        };
        if criterion.max != criterion_max {
            problems.add(
                file,
                &here,
                format!(
                    "line {line}: criterion_max {criterion_max} differs from {} given before",
                    criterion.max
                ),
            );
        }
        if criterion.mandatory != mandatory {
            problems.add(
                file,
                &here,
                format!("line {line}: mandatory differs from the criterion's first row"),
            );
        }
        if points > criterion_max {
            problems.add(file, &here, format!("line {line}: option worth {points} points exceeds the criterion's {criterion_max}"));
        }
        let number = criterion.options.len() as u32 + 1;
        criterion.options.push(CriterionOption {
            number,
            name_vi: row.option_vi.trim().to_string(),
            name_en: row.option_en.trim().to_string(),
            points,
            applies_to,
        });
    }

    // Sums: best option = criterion, criteria = section, sections = part; parts present.
    for spec in parts {
        let Some(part) = sheet_parts.iter().find(|p| p.code == spec.code) else {
            problems.add(
                file,
                format!("{path}/{}", spec.code),
                "the sheet has no criteria for this part",
            );
            continue;
        };
        let sections_total: u32 = part.sections.iter().map(|s| s.max).sum();
        if sections_total != spec.max {
            problems.add(
                file,
                format!("{path}/{}", spec.code),
                format!(
                    "sections add up to {sections_total}, but the part is worth {}",
                    spec.max
                ),
            );
        }
        for section in &part.sections {
            let criteria_total: u32 = section.criteria.iter().map(|c| c.max).sum();
            if criteria_total != section.max {
                problems.add(
                    file,
                    format!("{path}/{}/{}", spec.code, section.name),
                    format!(
                        "criteria add up to {criteria_total}, but the section is worth {}",
                        section.max
                    ),
                );
            }
            for criterion in &section.criteria {
                let here = format!("{path}/{}/{}", spec.code, criterion.code);
                let best = criterion
                    .options
                    .iter()
                    .map(|o| o.points)
                    .max()
                    .unwrap_or(0);
                if best != criterion.max {
                    problems.add(
                        file,
                        &here,
                        format!(
                            "the best option is worth {best}, but the criterion is worth {}",
                            criterion.max
                        ),
                    );
                }
                for (entity, token) in entity_types {
                    if !criterion.options.iter().any(|o| o.applies_to_token(token)) {
                        problems.add(
                            file,
                            &here,
                            format!("no option applies to entity type `{entity}`"),
                        );
                    }
                }
            }
        }
    }
    if problems.errors.len() > before {
        return None;
    }
    // Keep the version's part order.
    sheet_parts.sort_by_key(|p| parts.iter().position(|spec| spec.code == p.code));
    Some(Sheet::new(name.to_string(), sheet_parts))
}
