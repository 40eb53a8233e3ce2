//! `ocop criteria …` and `ocop score`: reading criteria directories from disk, and printing
//! versions, sheets, check results and council results.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use ocop_domain::criteria::{
    Catalog, CouncilInput, CriteriaError, Version, VersionSource, bundled_sources, evaluate,
    load_version,
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
            print!("{}", list(&source.catalog()?));
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

pub fn list(catalog: &Catalog) -> String {
    let mut out = String::new();
    for version in catalog.versions() {
        let _ = writeln!(
            out,
            "{}  {}  (from {}{})",
            version.id,
            version.decree,
            version.effective_from.format("%d/%m/%Y"),
            if version.provisional {
                ", provisional version"
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
        for set in &version.sets {
            let _ = writeln!(
                out,
                "    {}  {}{}",
                set.code,
                set.name_vi,
                if set.provisional {
                    "  [provisional sheet]"
                } else {
                    ""
                }
            );
        }
    }
    out
}

pub fn show(version: &Version, code: &str) -> String {
    let Some(set) = version.set(code) else {
        return String::new();
    };
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
    if set.provisional {
        let _ = writeln!(out, "PROVISIONAL SHEET — {}", set.note);
    }
    for part in &set.sheet.parts {
        let name = version
            .parts
            .iter()
            .find(|p| p.code == part.code)
            .map_or("", |p| p.name_vi.as_str());
        let _ = writeln!(out, "\n{} {}  [{} points]", part.code, name, part.max);
        for section in &part.sections {
            let _ = writeln!(out, "  {}  [{}]", section.name, section.max);
            for criterion in &section.criteria {
                let _ = writeln!(
                    out,
                    "    {} {}  [{}]{}",
                    criterion.code,
                    criterion.name_vi,
                    criterion.max,
                    if criterion.mandatory {
                        "  MANDATORY"
                    } else {
                        ""
                    }
                );
                for option in &criterion.options {
                    let only = if option.applies_to.is_empty() {
                        String::new()
                    } else {
                        format!("  (only {})", option.applies_to.join(", "))
                    };
                    let _ = writeln!(
                        out,
                        "      {}) {:>2}  {}{}",
                        option.number, option.points, option.name_vi, only
                    );
                }
            }
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
