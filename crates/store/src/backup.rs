//! Backups: a consistent copy of the database taken while the servers go on writing, with every
//! stored file and a manifest; and its restoration into a fresh database, checked record by
//! record against the manifest (the audit chain intact up to the same head, every file there).
//!
//! SQLite is copied with `VACUUM INTO` (one read transaction: a snapshot); PostgreSQL with
//! `pg_dump --snapshot` of a snapshot this process exports and holds, so the head written in the
//! manifest is the dump's own. Files are content-addressed and written before any record names
//! them, so copying them after the snapshot copies every file it names.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::files::{FileError, FileStore, sha256_hex};
use crate::{Db, DbKind, StoreError, audit, on_db};

/// The manifest's own format; a backup of another format is refused.
pub const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "ocop.db";
const POSTGRES_FILE: &str = "ocop.pgdump";
const FILES_DIR: &str = "files";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Files(#[from] FileError),
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{tool} failed: {message}")]
    Tool { tool: &'static str, message: String },
    /// Refused before anything was written.
    #[error("{0}")]
    Refused(String),
    /// The restored copy is not what the backup says it is.
    #[error("the restored copy does not match the backup: {0}")]
    Mismatch(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |cause| BackupError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// What a backup holds, written last: its presence means the backup is whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at_ms: i64,
    /// `sqlite` or `postgres`: a backup is restored into the same kind of database.
    pub database: String,
    /// The database copy's file name and SHA-256.
    pub database_file: String,
    pub database_sha256: String,
    /// The audit trail's head in the copy.
    pub audit_seq: i64,
    pub audit_hash: String,
    /// The stored files copied (by name, their SHA-256).
    pub files: usize,
}

/// Copies the database behind `db` (reached at `url`) and every file of `files` into `dir`,
/// which must be absent or empty.
pub async fn backup(
    db: &Db,
    url: &str,
    files: &FileStore,
    dir: &Path,
) -> Result<Manifest, BackupError> {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(BackupError::Refused(format!(
            "{} is not empty: a backup goes into a directory of its own",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let (database, database_file, (audit_seq, audit_hash)) = match db {
        Db::Sqlite(pool) => {
            let target = dir.join(SQLITE_FILE);
            let quoted = target.to_string_lossy().replace('\'', "''");
            sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{quoted}'")))
                .execute(pool)
                .await
                .map_err(StoreError::from)?;
            ("sqlite", SQLITE_FILE, sqlite_head(&target).await?)
        }
        Db::Postgres(pool) => {
            // The snapshot lives as long as the transaction that exported it.
            let mut tx = pool.begin().await.map_err(StoreError::from)?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            let head = (
                head.try_get::<i64, _>("seq").map_err(StoreError::from)?,
                head.try_get::<String, _>("hash")
                    .map_err(StoreError::from)?,
            );
            let target = dir.join(POSTGRES_FILE);
            run_tool(
                "pg_dump",
                vec![
                    "--format=custom".into(),
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    format!("--snapshot={snapshot}"),
                    format!("--file={}", target.display()),
                    format!("--dbname={url}"),
                ],
            )
            .await?;
            tx.rollback().await.map_err(StoreError::from)?;
            ("postgres", POSTGRES_FILE, head)
        }
    };
    let database_bytes = std::fs::read(dir.join(database_file)).map_err(io(dir))?;
    let files_dir = dir.join(FILES_DIR);
    let mut copied = 0;
    for name in files.names().await? {
        let bytes = files.bytes(&name).await?;
        if sha256_hex(&bytes) != name {
            return Err(BackupError::Mismatch(format!(
                "the stored file {name} does not have that SHA-256"
            )));
        }
        let path = files_dir.join(&name[..2]).join(&name[2..]);
        std::fs::create_dir_all(path.parent().expect("in a sub-directory")).map_err(io(&path))?;
        std::fs::write(&path, &bytes).map_err(io(&path))?;
        copied += 1;
    }
    let manifest = Manifest {
        format: FORMAT,
        created_at_ms: crate::clock::now_ms(),
        database: database.into(),
        database_file: database_file.into(),
        database_sha256: sha256_hex(&database_bytes),
        audit_seq,
        audit_hash,
        files: copied,
    };
    let path = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(&manifest).expect("a manifest is JSON");
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(manifest)
}

/// The audit head of a SQLite copy, read from the file itself.
async fn sqlite_head(path: &Path) -> Result<(i64, String), StoreError> {
    use sqlx::ConnectOptions as _;
    let mut connection = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await?;
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut connection)
        .await?;
    let head = (row.try_get("seq")?, row.try_get("hash")?);
    sqlx::Connection::close(connection).await?;
    Ok(head)
}

async fn run_tool(tool: &'static str, args: Vec<String>) -> Result<(), BackupError> {
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(tool)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
    })
    .await
    .map_err(|error| BackupError::Tool {
        tool,
        message: error.to_string(),
    })?
    .map_err(|error| BackupError::Tool {
        tool,
        message: format!("{error} (is it installed? apt-get install postgresql-client)"),
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool {
            tool,
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// Reads a backup's manifest.
pub fn manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|cause| {
        BackupError::Refused(format!(
            "{} has no readable {MANIFEST} ({cause}): not a whole backup",
            dir.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|error| BackupError::Refused(format!("{}: {error}", path.display())))?;
    if manifest.format != FORMAT {
        return Err(BackupError::Refused(format!(
            "{}: a backup of format {}, this ocop reads format {FORMAT}",
            path.display(),
            manifest.format
        )));
    }
    Ok(manifest)
}

/// What a restore found in the restored copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub audit_seq: i64,
    pub files: usize,
    pub products: i64,
    pub certificates: i64,
}

/// Restores the backup in `dir` into the fresh database at `url` (a SQLite file that does not
/// exist yet or has no tables; a PostgreSQL database with no tables) and its files into
/// `files`, then checks the copy against the manifest.
pub async fn restore(dir: &Path, url: &str, files: &FileStore) -> Result<Restored, BackupError> {
    let manifest = manifest(dir)?;
    let source = dir.join(&manifest.database_file);
    let bytes = std::fs::read(&source).map_err(io(&source))?;
    if sha256_hex(&bytes) != manifest.database_sha256 {
        return Err(BackupError::Refused(format!(
            "{} is not the file the backup made (its SHA-256 differs)",
            source.display()
        )));
    }
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    match (manifest.database.as_str(), postgres) {
        ("sqlite", false) => {
            let path = PathBuf::from(
                url.strip_prefix("sqlite://")
                    .or_else(|| url.strip_prefix("sqlite:"))
                    .unwrap_or(url),
            );
            if path.exists() {
                refuse_used(url).await?;
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            std::fs::write(&path, &bytes).map_err(io(&path))?;
        }
        ("postgres", true) => {
            refuse_used(url).await?;
            run_tool(
                "pg_restore",
                vec![
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    "--exit-on-error".into(),
                    "--single-transaction".into(),
                    format!("--dbname={url}"),
                    source.display().to_string(),
                ],
            )
            .await?;
        }
        (kind, _) => {
            return Err(BackupError::Refused(format!(
                "a {kind} backup is restored into a {kind} database (between kinds, use `ocop export --all` and `ocop import --all`)"
            )));
        }
    }
    let mut restored_files = 0;
    let files_dir = dir.join(FILES_DIR);
    if let Ok(heads) = std::fs::read_dir(&files_dir) {
        for head in heads {
            let head = head.map_err(io(&files_dir))?;
            for file in std::fs::read_dir(head.path()).map_err(io(&head.path()))? {
                let path = file.map_err(io(&files_dir))?.path();
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                let name = files.restore(&bytes).await?;
                let expected = format!(
                    "{}{}",
                    head.file_name().to_string_lossy(),
                    path.file_name().unwrap_or_default().to_string_lossy()
                );
                if name != expected {
                    return Err(BackupError::Mismatch(format!(
                        "{} does not hold the file it is named after",
                        path.display()
                    )));
                }
                restored_files += 1;
            }
        }
    }
    let db = Db::connect(url).await?;
    let checked = check(&db, files, &manifest).await;
    db.close().await;
    let (products, certificates) = checked?;
    if restored_files != manifest.files {
        return Err(BackupError::Mismatch(format!(
            "{restored_files} files restored, the backup made {}",
            manifest.files
        )));
    }
    Ok(Restored {
        audit_seq: manifest.audit_seq,
        files: restored_files,
        products,
        certificates,
    })
}

/// A restore goes into a fresh database only: one with tables is refused before anything is
/// written.
async fn refuse_used(url: &str) -> Result<(), BackupError> {
    let db = Db::connect(url).await?;
    let tables = table_count(&db).await;
    db.close().await;
    if tables? > 0 {
        return Err(BackupError::Refused(format!(
            "{} already has tables: a backup is restored into a fresh database",
            crate::mask_url(url)
        )));
    }
    Ok(())
}

async fn table_count(db: &Db) -> Result<i64, StoreError> {
    let sql = match db.kind() {
        DbKind::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
        DbKind::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    Ok(on_db!(db, |pool| sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await)?)
}

/// The restored copy against the manifest: the chain intact to the same head, every recorded
/// file readable. Returns the numbers of products and certificates.
async fn check(db: &Db, files: &FileStore, manifest: &Manifest) -> Result<(i64, i64), BackupError> {
    match audit::verify(db).await? {
        Ok(seq) if seq == manifest.audit_seq => {}
        Ok(seq) => {
            return Err(BackupError::Mismatch(format!(
                "the audit trail ends at {seq}, the backup's at {}",
                manifest.audit_seq
            )));
        }
        Err(broken) => return Err(BackupError::Mismatch(format!("audit trail: {broken}"))),
    }
    let head = audit::head(db).await?;
    if head.1 != manifest.audit_hash {
        return Err(BackupError::Mismatch(
            "the audit trail's head is not the backup's".into(),
        ));
    }
    let recorded: Vec<String> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT sha256 FROM files ORDER BY sha256"
    )
    .fetch_all(pool)
    .await)
    .map_err(StoreError::from)?;
    for sha256 in &recorded {
        files.bytes(sha256).await?;
    }
    let products: i64 = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM products"
    )
    .fetch_one(pool)
    .await)
    .map_err(StoreError::from)?;
    let certificates: i64 = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM certificates"
    )
    .fetch_one(pool)
    .await)
    .map_err(StoreError::from)?;
    Ok((products, certificates))
}
