use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use ocop_domain::units::UnitsFileError;

/// Everything that can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use database {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    // Messages include their cause and expose no `source`, so that a printed chain
    // (`{:#}`) says each thing once.
    #[error("cannot open database {url}: {cause}")]
    Connect { url: String, cause: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Data that breaks a rule where no person typed it (shipped or generated data).
    #[error("invalid data: {0}")]
    Data(String),
    #[error("{origin}: {cause}")]
    UnitsFile {
        origin: String,
        cause: UnitsFileError,
    },
}

impl StoreError {
    /// Whether the database could not be reached (as opposed to a query that failed).
    ///
    /// Besides a lost or refused connection, PostgreSQL itself may end a connection while it shuts
    /// down or restarts: SQLSTATE class 57 ("operator intervention": `57P01 admin_shutdown`,
    /// `57P02 crash_shutdown`, `57P03 cannot_connect_now`) and class 08 (connection exception).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } => true,
            StoreError::Sqlx(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed,
            ) => true,
            StoreError::Sqlx(sqlx::Error::Database(error)) => error
                .code()
                .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
            _ => false,
        }
    }
}

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// A pool on one of the two supported backends.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open write transaction on either backend.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Replaces the password of a URL with `***`, for messages and logs.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

impl Db {
    /// Opens a pool. `postgres://…` or `postgresql://…` selects PostgreSQL; anything else is a
    /// SQLite file (`sqlite:path`, `sqlite://path` or a plain path), created when missing.
    /// Fails fast (within seconds) when the database cannot be reached.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        let masked = mask_url(url);
        let connect_error = |cause| StoreError::Connect {
            url: masked.clone(),
            cause,
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options =
                PgConnectOptions::from_str(url).map_err(|error| StoreError::InvalidUrl {
                    url: masked.clone(),
                    reason: error.to_string(),
                })?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            return Ok(Db::Postgres(pool));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || url.contains("://") && !url.starts_with("sqlite://") {
            return Err(StoreError::InvalidUrl {
                url: masked,
                reason: "expected postgres://…, sqlite:PATH or a file path".into(),
            });
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            // 1 MiB of page cache per connection (SQLite's default is 2 MiB): eight connections
            // of a server over a national register, and the file's pages stay in the system's
            // cache anyway (docs/PERFORMANCE.md, server memory).
            .pragma("cache_size", "-1024");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        Ok(Db::Sqlite(pool))
    }

    pub fn kind(&self) -> DbKind {
        match self {
            Db::Sqlite(_) => DbKind::Sqlite,
            Db::Postgres(_) => DbKind::Postgres,
        }
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .map_err(StoreError::Migrate)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        crate::on_db!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Starts a write transaction. SQLite takes its write lock at once (`BEGIN IMMEDIATE`), so
    /// two writers wait for each other instead of failing half-way with `SQLITE_BUSY`.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn close(&self) {
        crate::on_db!(self, |pool| pool.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_url("postgres://ocop:secret@db.example:5432/ocop"),
            "postgres://ocop:***@db.example:5432/ocop"
        );
        assert_eq!(
            mask_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(mask_url("ocop.db"), "ocop.db");
    }

    #[tokio::test]
    async fn refuses_unknown_schemes() {
        let error = Db::connect("mysql://root@localhost/x").await.unwrap_err();
        assert!(matches!(error, StoreError::InvalidUrl { .. }), "{error}");
    }

    #[tokio::test]
    async fn reports_unreachable_postgres_with_masked_url() {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let error = Db::connect("postgres://u:hunter2@127.0.0.1:1/x")
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("postgres://u:***@127.0.0.1:1/x"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }

    /// A restart of PostgreSQL ends every connection with `57P01 admin_shutdown`: a request caught
    /// by it must answer 503 (`is_unavailable`), like one that found the database gone, not 500.
    #[tokio::test]
    async fn a_connection_ended_by_the_server_is_the_database_unavailable() {
        let test = crate::testing::TestDb::empty().await;
        let failed: StoreError =
            crate::on_db!(&test.db, |pool| sqlx::query("SELECT * FROM no_such_table")
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))
            .unwrap_err()
            .into();
        assert!(!failed.is_unavailable(), "a failed query: {failed}");

        let Db::Postgres(pool) = &test.db else {
            return; // SQLite has no server to end a connection
        };
        let mut ended = pool.acquire().await.unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *ended)
            .await
            .unwrap();
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(pool)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let error: StoreError = sqlx::query("SELECT 1")
            .execute(&mut *ended)
            .await
            .unwrap_err()
            .into();
        let code = match &error {
            StoreError::Sqlx(sqlx::Error::Database(database)) => database.code(),
            _ => None,
        };
        assert_eq!(code.as_deref(), Some("57P01"), "{error}");
        assert!(error.is_unavailable(), "{error}");
        ended.detach();
    }
}
