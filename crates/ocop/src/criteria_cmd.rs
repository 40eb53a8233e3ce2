//! `ocop criteria …` and `ocop score`: reading criteria directories from disk, and printing
//! versions, sheets, check results and council results.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use clap::Subcommand;

use ocop_domain::criteria::{
    Catalog, CouncilInput, CriteriaError, SheetSource, Version, VersionSource, bundled_sources,
    evaluate, load_version,
};

use crate::UsageError;

#[derive(Subcommand)]
pub enum CriteriaCommand {
    /// The legal versions and their product sets.
    List {
        #[command(flatten)]
        source: CriteriaArgs,
    },
    /// A product set's scoring sheet, readable: parts, sections, criteria, options and points.
    Show {
        #[command(flatten)]
        source: CriteriaArgs,
        /// Version id, e.g. 148-1489.
        version: String,
        /// Product set code, e.g. P09.
        set: String,
    },
    /// Validate criteria data: version directories, their version.toml, or a directory of versions.
    Check {
        /// Paths to check.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(clap::Args, Clone, Default)]
pub struct CriteriaArgs {
    /// A directory of criteria versions (one sub-directory each) to use instead of the shipped ones.
    #[arg(long = "criteria", env = "OCOP_CRITERIA_DIR")]
    pub dir: Option<PathBuf>,
}

impl CriteriaArgs {
    /// The catalog from `--criteria DIR`, or the shipped one; invalid data is refused with every
    /// problem listed.
    pub fn catalog(&self) -> anyhow::Result<Catalog> {
        let sources = match &self.dir {
            Some(dir) => read_versions(dir)?,
            None => bundled_sources(),
        };
        Catalog::load(&sources).map_err(|errors| UsageError(describe(&errors)).into())
    }
}

fn describe(errors: &[CriteriaError]) -> String {
    let mut text = format!("invalid criteria data ({} problems):", errors.len());
    for error in errors {
        let _ = write!(text, "\n  {error}");
    }
    text
}

fn read_file(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|error| UsageError(format!("cannot read {}: {error}", path.display())).into())
}

/// Reads one version directory: `version.toml`, `sets.csv`, `errata.csv` and `sheets/*.csv`.
pub fn read_version_dir(dir: &Path) -> anyhow::Result<VersionSource> {
    let mut files = BTreeMap::new();
    for name in ["version.toml", "sets.csv", "errata.csv"] {
        let path = dir.join(name);
        if path.exists() {
            files.insert(name.to_string(), read_file(&path)?);
        }
    }
    let sheets = dir.join("sheets");
    if sheets.is_dir() {
        let entries = std::fs::read_dir(&sheets)
            .map_err(|error| UsageError(format!("cannot read {}: {error}", sheets.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "csv") {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.insert(format!("sheets/{name}"), read_file(&path)?);
            }
        }
    }
    Ok(VersionSource {
        origin: dir.display().to_string(),
        dir_name: dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        files,
    })
}

/// The version directories a path names: itself, its parent (for a version.toml), or its
/// sub-directories (for a directory of versions).
fn version_dirs(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.parent().unwrap_or(Path::new(".")).to_path_buf()]);
    }
    if !path.is_dir() {
        return Err(UsageError(format!("{} does not exist", path.display())).into());
    }
    if path.join("version.toml").exists() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|error| UsageError(format!("cannot read {}: {error}", path.display())))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|dir| dir.join("version.toml").exists())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(UsageError(format!(
            "{} holds no criteria version (no version.toml)",
            path.display()
        ))
        .into());
    }
    Ok(dirs)
}

/// Every version directory under `dir`.
pub fn read_versions(dir: &Path) -> anyhow::Result<Vec<VersionSource>> {
    version_dirs(dir)?
        .iter()
        .map(|d| read_version_dir(d))
        .collect()
}

pub fn run(command: CriteriaCommand) -> anyhow::Result<()> {
    match command {
        CriteriaCommand::List { source } => {
            print!("{}", list(&source.catalog()?, Utc::now().date_naive()));
            Ok(())
        }
        CriteriaCommand::Show {
            source,
            version,
            set,
        } => {
            let catalog = source.catalog()?;
            let found = catalog.version(&version).ok_or_else(|| {
                UsageError(format!(
                    "unknown criteria version `{version}` (see `ocop criteria list`)"
                ))
            })?;
            if found.set(&set).is_none() {
                return Err(
                    UsageError(format!("version {version} has no product set `{set}`")).into(),
                );
            }
            print!("{}", show(found, &set));
            Ok(())
        }
        CriteriaCommand::Check { paths } => check(&paths),
    }
}

fn check(paths: &[PathBuf]) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let mut loaded = Vec::new();
    for path in paths {
        for dir in version_dirs(path)? {
            let source = read_version_dir(&dir)?;
            match load_version(&source) {
                Ok(version) => {
                    loaded.push((source.origin.clone(), version.clone()));
                    let provisional = version.sets.iter().filter(|s| s.provisional).count();
                    println!(
                        "ok  {}: version {}, {} product sets ({} on a provisional sheet)",
                        dir.display(),
                        version.id,
                        version.sets.len(),
                        provisional
                    );
                }
                Err(mut errors) => problems.append(&mut errors),
            }
        }
    }
    // A transition names an earlier version: among those checked, or those shipped.
    let shipped = Catalog::load(&bundled_sources()).unwrap_or_default();
    for (origin, version) in &loaded {
        for (index, rule) in version.transitions.iter().enumerate() {
            let known = loaded.iter().any(|(_, v)| v.id == rule.from)
                || shipped.version(&rule.from).is_some();
            if !known {
                problems.push(CriteriaError {
                    file: format!("{origin}/version.toml"),
                    path: format!("{}/transition/{}", version.id, index + 1),
                    message: format!(
                        "version `{}` is neither checked here nor shipped",
                        rule.from
                    ),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(UsageError(describe(&problems)).into())
    }
}

/// What a sheet's source is, when it is not the version's own text.
fn source_tag(source: SheetSource) -> &'static str {
    match source {
        SheetSource::Official => "",
        SheetSource::LegalDatabase => {
            "transcribed from a legal-database copy of the decree, not the signed gazette"
        }
        SheetSource::ThirdParty => "third-party transcription",
        SheetSource::Derived => "provisional sheet",
    }
}

pub fn list(catalog: &Catalog, today: NaiveDate) -> String {
    let mut out = String::new();
    let in_force = catalog.in_force_on(today).map(|v| v.id.as_str());
    for version in catalog.versions() {
        let until = version
            .effective_to
            .map_or(String::new(), |to| format!(" to {}", to.format("%d/%m/%Y")));
        let _ = writeln!(
            out,
            "{}  {}  (from {}{until}{}){}",
            version.id,
            version.decree,
            version.effective_from.format("%d/%m/%Y"),
            if version.provisional {
                ", provisional version"
            } else {
                ""
            },
            if in_force == Some(version.id.as_str()) {
                "  IN FORCE TODAY"
            } else {
                ""
            }
        );
        let parts: Vec<String> = version
            .parts
            .iter()
            .map(|p| format!("{} {}", p.code, p.max))
            .collect();
        let _ = writeln!(
            out,
            "    parts {} · spread limit {} · quorum {} · certificate {} months",
            parts.join(" / "),
            version.council.spread_limit,
            version.council.quorum,
            version.certificate_validity_months
        );
        let shared = version
            .sets
            .first()
            .map(|s| s.source)
            .filter(|first| version.sets.iter().all(|s| s.source == *first));
        if let Some(source) = shared.filter(|s| *s != SheetSource::Official) {
            let _ = writeln!(out, "    sheets {}", source_tag(source));
        }
        for rule in &version.transitions {
            let kinds: Vec<&str> = rule.kinds.iter().map(|k| k.as_str()).collect();
            let _ = writeln!(
                out,
                "    dossiers filed before {} ({}) finish under {} if evaluated by {}",
                rule.filed_before.format("%d/%m/%Y"),
                kinds.join(", "),
                rule.from,
                rule.evaluated_by.format("%d/%m/%Y")
            );
        }
        let mut group = "";
        for set in &version.sets {
            if set.group != group {
                group = set.group.as_str();
                let _ = writeln!(out, "  {group}");
            }
            let tag = if shared.is_some() || set.source == SheetSource::Official {
                String::new()
            } else {
                format!("  [{}]", source_tag(set.source))
            };
            let _ = writeln!(out, "    {}  {}{tag}", set.code, set.name_vi);
        }
    }
    out
}

pub fn show(version: &Version, code: &str) -> String {
    let Some(set) = version.set(code) else {
        return String::new();
    };
    let sheet = &set.sheet;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · {} — {} ({})",
        version.id, set.code, set.name_vi, set.name_en
    );
    let _ = writeln!(
        out,
        "{}, from {}",
        version.decree,
        version.effective_from.format("%d/%m/%Y")
    );
    match set.source {
        SheetSource::Official => {}
        SheetSource::Derived => {
            let _ = writeln!(out, "PROVISIONAL SHEET — {}", set.note);
        }
        other => {
            let _ = writeln!(out, "Sheet {} — {}", source_tag(other), set.note);
        }
    }
    if sheet.has_minimums() {
        let _ = writeln!(
            out,
            "Star marks: *** / **** / ***** after an option = the minimum for 3★ / 4★ / 5★: to be ranked that star the product must reach at least that option (judged by the {} of the council).",
            version.minimums.as_str()
        );
    }
    for rule in sheet.disqualifiers.iter().filter(|d| d.criterion.is_none()) {
        let _ = writeln!(out, "REJECTED WHEN ({}): {}", rule.id, rule.text);
    }
    for part in &sheet.parts {
        let name = version
            .parts
            .iter()
            .find(|p| p.code == part.code)
            .map_or("", |p| p.name_vi.as_str());
        let _ = writeln!(out, "\n{} {}  [{} points]", part.code, name, part.max);
        for section in &part.sections {
            let _ = writeln!(
                out,
                "  {}. {}  [{}]",
                section.code, section.name, section.max
            );
            if !section.note.is_empty() {
                let _ = writeln!(out, "     note: {}", section.note);
            }
            let mut group = None;
            for criterion in &section.criteria {
                if criterion.group != group {
                    group = criterion.group;
                    if let Some(heading) = group.map(|g| &section.groups[g]) {
                        let _ = writeln!(
                            out,
                            "    {} {}  [{}]",
                            heading.code, heading.name_vi, heading.max
                        );
                    }
                }
                let indent = if criterion.group.is_some() { "  " } else { "" };
                if criterion.code != section.code {
                    let _ = writeln!(
                        out,
                        "    {indent}{} {}  [{}]{}",
                        criterion.code,
                        criterion.name_vi,
                        criterion.max,
                        if criterion.mandatory {
                            "  MANDATORY"
                        } else {
                            ""
                        }
                    );
                } else if criterion.mandatory {
                    let _ = writeln!(out, "    MANDATORY");
                }
                if !criterion.note.is_empty() {
                    let _ = writeln!(out, "    {indent}  note: {}", criterion.note);
                }
                if criterion.printed_without_options {
                    let _ = writeln!(
                        out,
                        "    {indent}  (printed without options: scored 0 or its maximum)"
                    );
                }
                for rule in sheet
                    .disqualifiers
                    .iter()
                    .filter(|d| d.criterion.as_ref() == Some(&criterion.code))
                {
                    let _ = writeln!(
                        out,
                        "    {indent}  REJECTED IF ({}): {}",
                        rule.id, rule.text
                    );
                }
                let mut case = None;
                for option in &criterion.options {
                    if option.case != case {
                        case = option.case;
                        if let Some(found) = case.and_then(|n| criterion.case(n)) {
                            let _ = writeln!(
                                out,
                                "    {indent}  Case {}: {}",
                                found.number, found.name_vi
                            );
                        }
                    }
                    let only = if option.applies_to.is_empty() {
                        String::new()
                    } else {
                        format!("  (only {})", option.applies_to.join(", "))
                    };
                    let marked = option
                        .star_mark()
                        .map_or(String::new(), |mark| format!(" {mark}"));
                    let _ = writeln!(
                        out,
                        "    {indent}  {}) {:>2}  {}{marked}{only}",
                        option.number, option.points, option.name_vi
                    );
                }
            }
        }
    }
    if !sheet.errata.is_empty() {
        let _ = writeln!(out, "\nErrata applied (defects of the source):");
        for erratum in &sheet.errata {
            let _ = writeln!(
                out,
                "  {} {}: `{}` → `{}` — {}",
                erratum.row,
                erratum.column,
                erratum.source_value,
                erratum.value_used,
                erratum.reason
            );
        }
    }
    out
}

/// `ocop score FILE`: the council's scorecards in, the result as JSON out.
pub fn score(file: &Path, source: &CriteriaArgs) -> anyhow::Result<()> {
    let text = read_file(file)?;
    let input: CouncilInput = serde_json::from_str(&text)
        .map_err(|error| UsageError(format!("{}: {error}", file.display())))?;
    let catalog = source.catalog()?;
    let result = evaluate(&catalog, &input).map_err(|errors| {
        let mut message = format!("{}: the scorecards cannot be scored:", file.display());
        for error in errors {
            let _ = write!(message, "\n  {error}");
        }
        UsageError(message)
    })?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}
