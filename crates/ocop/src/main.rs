//! `ocop`: one binary for the OCOP management system. It wires the layers together: parses the
//! command line, opens the database, and hands work to `ocop-store` and `ocop-web`.

mod bench;
mod bench_certificates;
mod bench_import;
mod bench_monitoring;
mod bench_rounds;
mod certificates_cmd;
mod criteria_cmd;
mod demo;
mod demo_certificates;
mod demo_monitoring;
mod demo_national;
mod demo_rounds;
mod import_cmd;
mod keys_cmd;
mod measure;
mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tracing_subscriber::EnvFilter;

use ocop_store::units::{self, LoadReport};
use ocop_store::{Db, StoreError};

const DEFAULT_DB: &str = "sqlite:ocop.db";

#[derive(Parser)]
#[command(
    name = "ocop",
    version,
    about = "OCOP programme management system (Mỗi xã một sản phẩm)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DbArgs {
    /// Database URL: `postgres://user:pass@host/db`, or a SQLite file (`sqlite:PATH` or a path),
    /// created on first use.
    #[arg(long = "db", env = "OCOP_DATABASE_URL", default_value = DEFAULT_DB)]
    url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (pages, JSON API under /api/v1, /healthz and /readyz).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on.
        #[arg(long, env = "OCOP_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Load the demo dataset first if the database has none.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        criteria: criteria_cmd::CriteriaArgs,
        /// Where uploaded files are stored (content-addressed): a directory, or
        /// `s3://bucket/prefix` for an S3-compatible object store whose endpoint and credentials
        /// come from `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`.
        #[arg(long = "files", env = "OCOP_FILES", default_value = "files")]
        files: String,
        /// The largest upload accepted, in MB.
        #[arg(long, env = "OCOP_MAX_UPLOAD_MB", default_value_t = 20)]
        max_upload_mb: usize,
        #[command(flatten)]
        secret: keys_cmd::SecretArgs,
        /// The address people reach this installation at: certificates' QR codes and e-mails
        /// link there. Default: http://<addr>.
        #[arg(long = "public-url", env = "OCOP_PUBLIC_URL")]
        public_url: Option<String>,
        /// Send notices by e-mail through this SMTP server (`smtp://host:25`,
        /// `smtp://user:pass@host:587?tls=required`, `smtps://host`). Without it e-mails wait in
        /// the outbox.
        #[arg(long, env = "OCOP_SMTP_URL")]
        smtp: Option<String>,
        /// The sender of e-mails.
        #[arg(
            long = "mail-from",
            env = "OCOP_MAIL_FROM",
            default_value = "OCOP <ocop@localhost>"
        )]
        mail_from: String,
        /// Seconds between two looks for background work (sweeps, e-mails).
        #[arg(
            long = "worker-interval",
            env = "OCOP_WORKER_INTERVAL",
            default_value_t = 30
        )]
        worker_interval: u64,
        /// Requests per minute per client address on the public API, search and verification
        /// (answered 429 with Retry-After beyond it; bursts of a quarter of it); 0: no limit.
        #[arg(
            long = "public-rate-limit",
            env = "OCOP_PUBLIC_RATE_LIMIT",
            default_value_t = 1200
        )]
        public_rate_limit: u32,
        /// Proxies (the load balancer) whose `X-Forwarded-For` names the client; repeat or
        /// separate with commas.
        #[arg(
            long = "trusted-proxy",
            env = "OCOP_TRUSTED_PROXIES",
            value_delimiter = ',',
            default_values_t = ["127.0.0.1".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// A read replica of the database (PostgreSQL streaming replication) for the public
        /// portal's reads: catalogue, product pages, verification, open data. They may lag
        /// behind the primary by the replica's delay; officials' pages always read the primary.
        #[arg(long = "db-read", env = "OCOP_DATABASE_READ_URL")]
        db_read: Option<String>,
    },
    /// The issuer's signing keys (sealed in the database with the installation's secret file).
    Keys {
        #[command(subcommand)]
        command: keys_cmd::KeysCommand,
    },
    /// Check a scanned certificate QR offline: genuine or forged, and what it claims.
    Verify {
        /// The QR's text: its URL or the payload alone.
        text: String,
        /// The issuer's keys document (/.well-known/ocop-keys.json) for an offline check;
        /// without it, the keys in the database.
        #[arg(long)]
        keys: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Certificates.
    Certificates {
        #[command(subcommand)]
        command: CertificatesCommand,
    },
    /// Apply database migrations and load the bundled administrative units, then exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Copy the database and every stored file into DIR, consistently, while servers go on
    /// serving (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump` of a snapshot held open), with a
    /// manifest naming the audit trail's head. See docs/operations.md.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// Where the files are stored (as for `serve`).
        #[arg(long = "files", env = "OCOP_FILES", default_value = "files")]
        files: String,
        /// A directory of its own for the backup (absent or empty).
        dir: PathBuf,
    },
    /// Restore a backup made by `ocop backup` into a fresh database (a SQLite file not yet made,
    /// or a PostgreSQL database without tables) and file storage, then check it: the audit
    /// trail intact up to the backup's head, every recorded file readable.
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// Where the files are to be stored (as for `serve`).
        #[arg(long = "files", env = "OCOP_FILES", default_value = "files")]
        files: String,
        /// The backup's directory.
        dir: PathBuf,
    },
    /// Fill the database with the demo dataset.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// Seed for the generated records: the same seed gives the same dataset.
        #[arg(long, default_value_t = demo::DEFAULT_SEED)]
        seed: u64,
        /// Where the demo's evidence documents are stored (as for `serve`).
        #[arg(long = "files", env = "OCOP_FILES", default_value = "files")]
        files: String,
        /// Also build a national-scale catalogue of this many recognised products, with their
        /// entities, certificates of every status and batches, over all 34 provinces.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2_000_000))]
        products: Option<u32>,
    },
    /// Criteria sets: legal versions, product sets and scoring sheets (format: docs/criteria.md).
    Criteria {
        #[command(subcommand)]
        command: criteria_cmd::CriteriaCommand,
    },
    /// Score a council: members' scorecards in a JSON file → the result as JSON (docs/criteria.md).
    Score {
        /// The scorecards, e.g. docs/examples/score-1048-P01.json.
        file: PathBuf,
        #[command(flatten)]
        criteria: criteria_cmd::CriteriaArgs,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens for machines (`Authorization: Bearer …`).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Bring a province's existing records in from a workbook (.xlsx) or CSV: entities, products
    /// or recognitions (certificates). Reports every row (created, updated, unchanged, or its
    /// problem with the row, column, value and fix); writes all or nothing; re-importing the same
    /// file changes nothing. Exit code 2 when the file has problems.
    Import {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: import_cmd::ImportArgs,
    },
    /// Write a province's records (or every province's) in the import's own layout.
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: import_cmd::ExportArgs,
    },
    /// Administrative units.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Measure speed targets and print figures (see docs/PERFORMANCE.md).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum CertificatesCommand {
    /// Send the lifecycle notices due on a day (what every server's worker does each day).
    Sweep {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        criteria: criteria_cmd::CriteriaArgs,
        /// The day to sweep for (yyyy-mm-dd); default today in Vietnam.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Render certificates as PDF files (a round's, or every one) into a directory.
    Pdf {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        criteria: criteria_cmd::CriteriaArgs,
        #[command(flatten)]
        secret: keys_cmd::SecretArgs,
        /// The round whose decisions issued them; all certificates when absent.
        #[arg(long)]
        round: Option<String>,
        /// Where the files go (`<number>.pdf`).
        #[arg(long, default_value = "certificates")]
        out: PathBuf,
        /// The address the QR codes point at.
        #[arg(
            long = "public-url",
            env = "OCOP_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account, e.g. the first administrator. The password is read from standard input
    /// (one line), or from OCOP_PASSWORD.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// producer, commune_officer, provincial_officer, council_member, central_officer or administrator.
        #[arg(long)]
        role: String,
        /// The commune (commune officers) or province (provincial officers, council members) code.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        email: String,
        /// The person's full name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token acting as an account (printed once; only its hash is kept).
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// The account the token acts as.
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "cổng thông tin tỉnh".
        #[arg(long)]
        name: String,
    },
    /// Revoke an API token by its id.
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        id: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain; names the first edited or missing record. Also checks the
    /// daily anchors (the head signed with the certificate key), the database's own and those of
    /// a copy kept elsewhere: a log whose end was rewritten together with its head fails there.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// A copy of `/.well-known/ocop-audit-anchors.json` kept outside the database.
        #[arg(long)]
        anchors: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UnitsCommand {
    /// Load or update units from a units file (format: docs/units.md). Idempotent; a malformed
    /// file is refused whole with the line and the problem.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The units file (.tsv).
        file: PathBuf,
    },
}

/// An error the user can act on: printed as one line, exit code 2.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The audit chain is broken: exit code 3, so that scripts can tell it from other failures.
#[derive(Debug)]
struct AuditBroken(String);

impl std::fmt::Display for AuditBroken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the audit trail is broken: {}", self.0)
    }
}

impl std::error::Error for AuditBroken {}

async fn add_user(
    url: &str,
    role: &str,
    unit: Option<String>,
    email: &str,
    name: &str,
) -> anyhow::Result<()> {
    let role = ocop_domain::access::Role::parse(role).ok_or_else(|| {
        let roles: Vec<&str> = ocop_domain::access::Role::ALL
            .iter()
            .map(|r| r.as_str())
            .collect();
        UsageError(format!(
            "unknown role `{role}` (one of {})",
            roles.join(", ")
        ))
    })?;
    let password = match std::env::var("OCOP_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|error| UsageError(format!("cannot read the password: {error}")))?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let db = open_migrated(url).await?;
    let created = ocop_store::accounts::create_user(
        &db,
        ocop_store::accounts::NewUser {
            email: email.to_string(),
            name: name.to_string(),
            role,
            unit_code: unit,
            entity_id: None,
            password,
        },
        "cli:user-add",
    )
    .await;
    db.close().await;
    match created {
        Ok(user) => {
            println!(
                "Created {} ({}) with id {}.",
                user.email, user.role, user.id
            );
            Ok(())
        }
        Err(ocop_store::accounts::AccountError::Store(error)) => Err(error.into()),
        Err(error) => Err(UsageError(error.to_string()).into()),
    }
}

/// glibc gives each thread that allocates its own heap (up to eight per core): the runtime's
/// workers and every SQLite connection's thread keep freed space in theirs. Two heaps serve a
/// 2-core server as fast and keep 10 % less memory (docs/PERFORMANCE.md).
fn limit_heaps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before any other thread exists; mallopt only sets
    // a tuning parameter of the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() -> ExitCode {
    limit_heaps();
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ocop: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ocop: {error:#}");
            if error.downcast_ref::<AuditBroken>().is_some() {
                return ExitCode::from(3);
            }
            if error.downcast_ref::<keys_cmd::Forged>().is_some() {
                return ExitCode::from(1);
            }
            if error.downcast_ref::<UsageError>().is_some()
                || error.downcast_ref::<StoreError>().is_some_and(|e| {
                    matches!(
                        e,
                        StoreError::Connect { .. }
                            | StoreError::InvalidUrl { .. }
                            | StoreError::UnitsFile { .. }
                    )
                })
            {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn init_logging() {
    let filter = EnvFilter::try_from_env("OCOP_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("OCOP_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            db,
            addr,
            demo,
            criteria,
            files,
            max_upload_mb,
            secret,
            public_url,
            smtp,
            mail_from,
            worker_interval,
            public_rate_limit,
            trusted_proxies,
            db_read,
        } => {
            let files = open_files(&files, max_upload_mb.max(1) * 1024 * 1024).await?;
            let public_url = public_url.unwrap_or_else(|| format!("http://{addr}"));
            let options = ServeOptions {
                secret_file: secret.path_for(&db.url),
                public_url: public_url.trim_end_matches('/').to_string(),
                smtp,
                mail_from,
                worker_every: std::time::Duration::from_secs(worker_interval.max(1)),
                rate_limit: ocop_web::shared::limits::RateLimit::new(
                    public_rate_limit,
                    trusted_proxies,
                ),
                db_read,
            };
            serve(&db.url, addr, demo, &criteria, files, options).await
        }
        Command::Certificates {
            command:
                CertificatesCommand::Pdf {
                    db,
                    criteria,
                    secret,
                    round,
                    out,
                    public_url,
                },
        } => {
            let catalog = criteria.catalog()?;
            let path = secret.path_for(&db.url);
            let db = open_migrated(&db.url).await?;
            let secret = keys_cmd::ready_signing(&db, &path, false).await?;
            let state = ocop_web::AppState::new(db.clone(), catalog)
                .with_signing(Some(secret), &public_url);
            let batch = certificates_cmd::pdf_batch(&state, round.as_deref(), &out, true).await;
            db.close().await;
            let batch = batch?;
            println!(
                "{} certificates written to {} in {:.1} s.",
                batch.written,
                out.display(),
                batch.elapsed.as_secs_f64()
            );
            Ok(())
        }
        Command::Keys { command } => keys_cmd::run(command).await,
        Command::Verify { text, keys, db } => keys_cmd::verify(&text, keys.as_deref(), &db).await,
        Command::Certificates {
            command:
                CertificatesCommand::Sweep {
                    db,
                    criteria,
                    today,
                },
        } => {
            let catalog = criteria.catalog()?;
            let db = open_migrated(&db.url).await?;
            let day = today.unwrap_or_else(ocop_store::clock::today);
            let report = ocop_store::certificates::sweep(&db, &catalog, day).await;
            db.close().await;
            let report = report?;
            println!(
                "Swept {} certificates on {}: {} with a notice due, {} notices sent to inboxes (e-mails queued).",
                report.certificates,
                day.format("%d/%m/%Y"),
                report.due,
                report.notices
            );
            Ok(())
        }
        Command::Criteria { command } => criteria_cmd::run(command),
        Command::Score { file, criteria } => criteria_cmd::score(&file, &criteria),
        Command::Backup { db, files, dir } => {
            let files = open_files(&files, ocop_store::files::DEFAULT_MAX_BYTES).await?;
            let pool = Db::connect(&db.url).await?;
            let manifest = ocop_store::backup::backup(&pool, &db.url, &files, &dir)
                .await
                .map_err(backup_error)?;
            pool.close().await;
            println!(
                "Backup in {}: the {} database to audit record {} and {} files.",
                dir.display(),
                manifest.database,
                manifest.audit_seq,
                manifest.files
            );
            Ok(())
        }
        Command::Restore { db, files, dir } => {
            let files = open_files(&files, ocop_store::files::DEFAULT_MAX_BYTES).await?;
            let restored = ocop_store::backup::restore(&dir, &db.url, &files)
                .await
                .map_err(backup_error)?;
            println!(
                "Restored into {}: {} products, {} certificates, {} files; the audit trail is intact to record {}.",
                ocop_store::mask_url(&db.url),
                restored.products,
                restored.certificates,
                restored.files,
                restored.audit_seq
            );
            Ok(())
        }
        Command::Migrate { db } => {
            let db = open_migrated(&db.url).await?;
            let counts = units::counts(&db).await?;
            println!(
                "Database ready: {} provinces, {} communes in force; {} former units.",
                counts.provinces,
                counts.communes,
                counts.legacy_provinces + counts.legacy_districts + counts.legacy_communes
            );
            db.close().await;
            Ok(())
        }
        Command::Demo {
            db,
            seed,
            files,
            products,
        } => {
            let db = open_migrated(&db.url).await?;
            let files = open_files(&files, ocop_store::files::DEFAULT_MAX_BYTES).await?;
            if products.is_none() || !demo::is_loaded(&db).await? {
                let summary = demo::load(&db, seed, &files).await?;
                println!("{summary}");
            }
            if let Some(products) = products {
                if demo_national::is_loaded(&db).await? {
                    anyhow::bail!(UsageError(
                        "the national demo is already in this database; use a fresh one".into()
                    ));
                }
                let catalog =
                    ocop_domain::criteria::Catalog::load(&ocop_domain::criteria::bundled_sources())
                        .map_err(|errors| anyhow::anyhow!("bundled criteria: {errors:?}"))?;
                let started = std::time::Instant::now();
                let summary = demo_national::load(&db, &catalog, products as usize, seed).await?;
                println!("{summary} in {:.1} s", started.elapsed().as_secs_f64());
            }
            db.close().await;
            Ok(())
        }
        Command::Units {
            command: UnitsCommand::Import { db, file },
        } => import_units(&db.url, &file).await,
        Command::Import { db, args } => {
            let db = open_migrated(&db.url).await?;
            let done = import_cmd::import(&db, &args).await;
            db.close().await;
            done
        }
        Command::Export { db, args } => {
            let db = open_migrated(&db.url).await?;
            let done = import_cmd::export(&db, &args).await;
            db.close().await;
            done
        }
        Command::Bench { command } => bench::run(command).await,
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    role,
                    unit,
                    email,
                    name,
                },
        } => add_user(&db.url, &role, unit, &email, &name).await,
        Command::Token {
            command: TokenCommand::Create { db, email, name },
        } => {
            let db = open_migrated(&db.url).await?;
            let user = ocop_store::accounts::find_by_email(&db, &email)
                .await?
                .ok_or_else(|| UsageError(format!("no account with e-mail {email}")))?;
            let (id, token) =
                ocop_store::accounts::create_api_token(&db, &user, &name, "cli:token-create")
                    .await?;
            db.close().await;
            println!(
                "Token {id} for {} ({}):\n{token}\nIt is shown only now.",
                user.email, user.role
            );
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Revoke { db, id },
        } => {
            let db = open_migrated(&db.url).await?;
            let revoked =
                ocop_store::accounts::revoke_api_token(&db, &id, "cli:token-revoke").await?;
            db.close().await;
            if revoked {
                println!("Token {id} revoked.");
                Ok(())
            } else {
                Err(UsageError(format!("no live token with id {id}")).into())
            }
        }
        Command::Audit {
            command: AuditCommand::Verify { db, anchors },
        } => {
            let kept = match &anchors {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .map_err(|error| UsageError(format!("{}: {error}", path.display())))?;
                    let document: ocop_web::certificates::verify::AnchorsJson =
                        serde_json::from_str(&text).map_err(|error| {
                            UsageError(format!(
                                "{}: not an anchors document ({error})",
                                path.display()
                            ))
                        })?;
                    document.anchors
                }
                None => Vec::new(),
            };
            let db = open_migrated(&db.url).await?;
            let result = ocop_store::audit::verify(&db).await?;
            let mut all = ocop_store::anchors::recent(&db, i64::MAX).await?;
            let own = all.len();
            all.extend(kept.iter().cloned());
            let anchored = ocop_store::anchors::check(&db, &all).await?;
            db.close().await;
            match (result, anchored) {
                (Err(broken), _) => Err(AuditBroken(broken.to_string()).into()),
                (Ok(_), Some(broken)) => Err(AuditBroken(broken.to_string()).into()),
                (Ok(count), None) => {
                    println!(
                        "Audit trail intact: {count} records, every hash and link checks out; anchors that hold: {own} of its own{}.",
                        if kept.is_empty() {
                            String::new()
                        } else {
                            format!(" and {} kept elsewhere", kept.len())
                        }
                    );
                    Ok(())
                }
            }
        }
    }
}

/// Opens the database, applies migrations and makes sure the bundled units are loaded.
async fn open_migrated(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    if let Some(report) = units::ensure_bundled(&db).await? {
        print_load_report(units::BUNDLED_UNITS_ORIGIN, &report);
    }
    Ok(db)
}

fn print_load_report(origin: &str, report: &LoadReport) {
    eprintln!(
        "Units from {origin}: {} added, {} updated, {} unchanged; {} successions added, {} already present.",
        report.inserted,
        report.updated,
        report.unchanged,
        report.successions_added,
        report.successions_present
    );
    if report.skipped_rows() > 0 {
        eprintln!(
            "Skipped {} succession rows of the source data:",
            report.skipped_rows()
        );
        for (reason, count, examples) in &report.skipped {
            eprintln!("  {count} rows: {reason}; for example:");
            for example in examples {
                eprintln!("    line {}: {}", example.line, example.detail);
            }
        }
    }
}

async fn import_units(url: &str, file: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| UsageError(format!("cannot read {}: {error}", file.display())))?;
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} units")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    bar.set_message("Writing");
    let origin = file.display().to_string();
    let report = units::load(&db, &text, &origin, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await;
    bar.finish_and_clear();
    let report = report?;
    print_load_report(&origin, &report);
    db.close().await;
    Ok(())
}

/// What `serve` needs besides the database, criteria and files.
/// A backup or restore refused before it wrote anything is the user's to fix (exit 2).
fn backup_error(error: ocop_store::backup::BackupError) -> anyhow::Error {
    match error {
        ocop_store::backup::BackupError::Refused(message) => UsageError(message).into(),
        other => other.into(),
    }
}

/// The file storage `location` names, checked to answer before anything relies on it.
async fn open_files(
    location: &str,
    max_bytes: usize,
) -> anyhow::Result<ocop_store::files::FileStore> {
    let files = ocop_store::files::FileStore::open(location, max_bytes)
        .map_err(|error| UsageError(format!("--files {location}: {error}")))?;
    files
        .check()
        .await
        .with_context(|| format!("the file storage {} does not answer", files.location()))?;
    Ok(files)
}

struct ServeOptions {
    secret_file: PathBuf,
    public_url: String,
    smtp: Option<String>,
    mail_from: String,
    worker_every: std::time::Duration,
    rate_limit: ocop_web::shared::limits::RateLimit,
    db_read: Option<String>,
}

async fn serve(
    url: &str,
    addr: SocketAddr,
    load_demo: bool,
    criteria: &criteria_cmd::CriteriaArgs,
    files: ocop_store::files::FileStore,
    options: ServeOptions,
) -> anyhow::Result<()> {
    let started = Instant::now();
    // Criteria are validated before anything else: invalid legal data must not serve.
    let catalog = criteria.catalog()?;
    let mailer = options
        .smtp
        .as_deref()
        .map(|smtp| worker::Mailer::new(smtp, &options.mail_from, &options.public_url))
        .transpose()?;
    let db = Db::connect(url).await?;
    db.migrate().await?;
    // The public portal's reads go to the replica when one is named.
    let replica = match &options.db_read {
        Some(read_url) => {
            tracing::info!(replica = %ocop_store::mask_url(read_url), "the public portal reads from a replica");
            Some(Db::connect(read_url).await?)
        }
        None => None,
    };
    // Every server of an installation signs with the same key: no key, no start (one line, before
    // anything else is printed).
    let secret = keys_cmd::ready_signing(&db, &options.secret_file, load_demo).await?;
    let anchor_secret = secret.clone();
    if let Some(report) = units::ensure_bundled(&db).await? {
        print_load_report(units::BUNDLED_UNITS_ORIGIN, &report);
    }
    if load_demo && !demo::is_loaded(&db).await? {
        let summary = demo::load(&db, demo::DEFAULT_SEED, &files).await?;
        tracing::info!(%summary, "demo dataset loaded");
    }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|error| {
        let hint = if error.kind() == std::io::ErrorKind::AddrInUse {
            " (another program, perhaps another ocop, is using it: choose another with --addr)"
        } else {
            ""
        };
        UsageError(format!("cannot listen on {addr}: {error}{hint}"))
    })?;
    tracing::info!(
        %addr,
        database = %ocop_store::mask_url(url),
        ready_in_ms = started.elapsed().as_millis() as u64,
        "ocop is serving"
    );
    eprintln!("ocop: serving on http://{addr}/");
    let mut state = ocop_web::AppState::new(db.clone(), catalog);
    if let Some(replica) = replica {
        state = state.with_read_replica(replica);
    }
    let state = state
        .with_files(files)
        .with_rate_limit(options.rate_limit)
        .with_signing(Some(secret), &options.public_url);
    let (stop_worker, worker_stop) = tokio::sync::watch::channel(false);
    let worker = worker::Worker::new(
        db.clone(),
        state.criteria.clone(),
        mailer,
        options.worker_every,
    )
    .with_files(state.files.clone())
    .with_secret(anchor_secret)
    .woken_by(state.wake_worker.clone());
    let worker = tokio::spawn(worker.run(worker_stop));
    let served = ocop_web::serve(listener, state, shutdown_signal()).await;
    let _ = stop_worker.send(true);
    let _ = worker.await;
    served.context("server error")?;
    db.close().await;
    tracing::info!("ocop stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, so in-flight requests finish before exit.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
