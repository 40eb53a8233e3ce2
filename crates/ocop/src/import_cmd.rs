//! `ocop import` and `ocop export`: a province's records brought in from a workbook (dry run
//! first, all or nothing, a progress bar while it reads and checks) and taken out in the same
//! layout; `--all` exports every province's records into a directory with a manifest, and
//! imports such a directory into another installation in the order records depend on.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::import::{Kind, Report};
use ocop_store::clock::today;
use ocop_store::import::{self, Progress, Request, State};
use ocop_store::{Db, units};
use ocop_web::shared::i18n::Lang;

use crate::UsageError;

#[derive(Args)]
pub struct ImportArgs {
    /// The workbook (.xlsx) or CSV; with `--all`, a directory written by `ocop export --all`.
    pub file: PathBuf,
    /// What the file holds: entities, products, certificates (recognitions) or evaluations
    /// (council results).
    #[arg(long, required_unless_present = "all")]
    pub kind: Option<String>,
    /// Today's province the records belong to (its code, e.g. 75).
    #[arg(long, required_unless_present = "all")]
    pub province: Option<String>,
    /// Check and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the rows without problems and skip the others (default: all or nothing).
    #[arg(long)]
    pub partial: bool,
    /// Import a directory written by `ocop export --all` (every province and kind, in order).
    #[arg(long)]
    pub all: bool,
    /// The language of the report: vi (default) or en.
    #[arg(long, default_value = "vi")]
    pub lang: String,
    /// Also write the whole report (every row) as CSV here.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Args)]
pub struct ExportArgs {
    /// entities, products, certificates or evaluations (all with `--all`).
    #[arg(long, required_unless_present = "all")]
    pub kind: Option<String>,
    /// The province (its code); without it and without `--all`, every province in one file.
    #[arg(long)]
    pub province: Option<String>,
    /// Every province and kind, one workbook each, into the directory `--out` (with a
    /// manifest.tsv), for another installation to import with `ocop import --all`.
    #[arg(long)]
    pub all: bool,
    /// Where to write (a .xlsx file; a directory with `--all`).
    #[arg(long)]
    pub out: PathBuf,
}

fn kind(text: &str) -> anyhow::Result<Kind> {
    Kind::parse(text).ok_or_else(|| {
        UsageError(format!(
            "--kind {text}: choose entities, products, certificates or evaluations"
        ))
        .into()
    })
}

fn catalog() -> anyhow::Result<Catalog> {
    Catalog::load(&bundled_sources())
        .map_err(|errors| anyhow::anyhow!("bundled criteria: {errors:?}"))
}

/// A progress bar on the terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn state(&mut self, state: State, done: usize, total: usize) {
        let label = match state {
            State::Reading => "reading",
            State::Checking => "checking",
            State::Writing => "writing",
            _ => "",
        };
        self.0.set_message(label);
        self.0.set_length(total as u64);
        self.0.set_position(done as u64);
    }
}

fn bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} rows ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Prints a report: the counts, the file's problem or every row's, in the language asked.
fn print(report: &Report, kind: Kind, lang: Lang, dry_run: bool) {
    let c = report.counts;
    println!(
        "{}: {} created, {} updated, {} unchanged, {} rows with problems{}",
        kind.as_str(),
        c.created,
        c.updated,
        c.unchanged,
        c.errors,
        if dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    if let Some(problem) = ocop_web::import::file_problem(lang, report) {
        println!("  {problem}");
    }
    for error in &report.errors {
        println!(
            "  row {}, {} = \"{}\": {}",
            error.row,
            ocop_web::import::header(kind, &error.column),
            error.value,
            ocop_web::import::describe(lang, error)
        );
    }
}

/// Runs one file; returns its report.
async fn run_one(
    db: &Db,
    catalog: &Catalog,
    path: &Path,
    kind: Kind,
    province: &str,
    args: &ImportArgs,
) -> anyhow::Result<Report> {
    let bytes =
        std::fs::read(path).map_err(|error| UsageError(format!("{}: {error}", path.display())))?;
    if units::find_by_code(db, province, None)
        .await?
        .is_none_or(|u| !u.is_current() || u.level() != ocop_domain::units::UnitLevel::Province)
    {
        return Err(UsageError(format!(
            "--province {province}: no province in force has this code"
        ))
        .into());
    }
    let request = Request {
        kind,
        province_code: province.to_string(),
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dry_run: args.dry_run,
        partial: args.partial,
        actor: "cli".into(),
    };
    let id = import::create(db, &request, &bytes, State::Reading).await?;
    let progress = bar();
    let mut bar = Bar(progress.clone());
    let report = import::execute(db, catalog, &id, &bytes, today(), &mut bar).await?;
    progress.finish_and_clear();
    Ok(report)
}

pub async fn import(db: &Db, args: &ImportArgs) -> anyhow::Result<()> {
    let lang = Lang::parse(&args.lang).unwrap_or_default();
    let catalog = catalog()?;
    let mut refused = false;
    if args.all {
        let manifest =
            std::fs::read_to_string(args.file.join("manifest.tsv")).map_err(|error| {
                UsageError(format!(
                    "{}: no manifest.tsv ({error})",
                    args.file.display()
                ))
            })?;
        let mut entries: Vec<(usize, String, Kind, PathBuf)> = Vec::new();
        for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split('\t').collect();
            let [province, kind_text, file, ..] = fields.as_slice() else {
                return Err(UsageError(format!(
                    "manifest.tsv: a line without province, kind and file: {line}"
                ))
                .into());
            };
            let kind = kind(kind_text)?;
            let order = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
            entries.push((order, province.to_string(), kind, args.file.join(file)));
        }
        entries.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        for (_, province, kind, path) in entries {
            print!("{province} ");
            let report = run_one(db, &catalog, &path, kind, &province, args).await?;
            print(&report, kind, lang, args.dry_run);
            refused |= !report.is_clean();
        }
    } else {
        let kind = kind(args.kind.as_deref().unwrap_or_default())?;
        let province = args.province.clone().unwrap_or_default();
        let report = run_one(db, &catalog, &args.file, kind, &province, args).await?;
        print(&report, kind, lang, args.dry_run);
        if let Some(path) = &args.report {
            std::fs::write(path, ocop_web::import::report_csv(lang, kind, &report))
                .map_err(|error| UsageError(format!("{}: {error}", path.display())))?;
        }
        refused = !report.is_clean();
    }
    if refused && !args.partial {
        return Err(UsageError(if args.dry_run {
            "the file has problems: fix the rows above and run again".into()
        } else {
            "the file has problems: nothing was written; fix the rows above and run again".into()
        })
        .into());
    }
    Ok(())
}

pub async fn export(db: &Db, args: &ExportArgs) -> anyhow::Result<()> {
    let catalog = catalog()?;
    if args.all {
        std::fs::create_dir_all(&args.out)
            .map_err(|error| UsageError(format!("{}: {error}", args.out.display())))?;
        let mut manifest = String::from("province\tkind\tfile\trows\tsha256\n");
        for province in units::current_provinces(db).await? {
            for kind in Kind::ALL {
                let sets = ocop_web::import::sets_in_force(&catalog);
                let sets: Vec<(&str, &str)> =
                    sets.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
                let rows = import::export::rows(db, kind, Some(&province.code), &sets).await?;
                if rows.is_empty() {
                    continue;
                }
                let bytes = ocop_web::import::workbook(kind, &catalog, &rows)
                    .map_err(|error| anyhow::anyhow!("{error}"))?;
                let file = format!("{}-{}.xlsx", province.code, kind.as_str());
                std::fs::write(args.out.join(&file), &bytes)?;
                manifest.push_str(&format!(
                    "{}\t{}\t{file}\t{}\t{}\n",
                    province.code,
                    kind.as_str(),
                    rows.len(),
                    import::sha256_hex(&bytes)
                ));
                println!("{file}: {} rows", rows.len());
            }
        }
        let mut out = std::fs::File::create(args.out.join("manifest.tsv"))?;
        out.write_all(manifest.as_bytes())?;
        return Ok(());
    }
    let kind = kind(args.kind.as_deref().unwrap_or_default())?;
    let bytes = ocop_web::import::export_workbook(db, &catalog, kind, args.province.as_deref())
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    std::fs::write(&args.out, &bytes)
        .map_err(|error| UsageError(format!("{}: {error}", args.out.display())))?;
    println!("{}: {} bytes", args.out.display(), bytes.len());
    Ok(())
}
