//! Throw-away databases for tests: a SQLite file by default, or a fresh PostgreSQL database
//! when `OCOP_TEST_DATABASE_URL` names a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
//! Each [`TestDb`] is its own database and is removed when dropped.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Db, DbKind, StoreError, units};

/// The environment variable that selects PostgreSQL for tests.
pub const TEST_DATABASE_URL: &str = "OCOP_TEST_DATABASE_URL";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct TestDb {
    pub db: Db,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "ocop_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

fn replace_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("OCOP_TEST_DATABASE_URL is not a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

impl TestDb {
    /// An empty database (no migrations run).
    pub async fn empty() -> TestDb {
        let name = unique_name();
        match std::env::var(TEST_DATABASE_URL) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let admin = Db::connect(&admin_url)
                    .await
                    .expect("cannot reach the test PostgreSQL server");
                crate::on_db!(&admin, |pool| sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE {name}"
                )))
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))
                .expect("cannot create the test database");
                admin.close().await;
                let url = replace_database(&admin_url, &name);
                let db = Db::connect(&url)
                    .await
                    .expect("cannot open the test database");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::PostgresDatabase { admin_url, name },
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let url = format!("sqlite:{}", path.display());
                let db = Db::connect(&url)
                    .await
                    .expect("cannot open the test database");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
        }
    }

    /// A migrated database with no data.
    pub async fn migrated() -> TestDb {
        let test_db = TestDb::empty().await;
        test_db.db.migrate().await.expect("migrations failed");
        test_db
    }

    /// A migrated database with the bundled administrative units loaded.
    pub async fn with_units() -> TestDb {
        let test_db = TestDb::empty().await;
        test_db.db.migrate().await.expect("migrations failed");
        units::ensure_bundled(&test_db.db)
            .await
            .expect("loading the bundled units failed");
        test_db
    }

    /// A URL that opens this database (for tests that start the binary).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn kind(&self) -> DbKind {
        self.db.kind()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, which is blocked while we wait: do the
                // clean-up on a runtime of its own, and let FORCE end the pool's connections
                // (closing the pool here would wait for that blocked runtime).
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime
                        .block_on(async move {
                            let admin = Db::connect(&admin_url).await?;
                            crate::on_db!(&admin, |pool| sqlx::query(sqlx::AssertSqlSafe(
                                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                            ))
                            .execute(pool)
                            .await
                            .map(|done| done.rows_affected()))?;
                            admin.close().await;
                            Ok::<_, StoreError>(())
                        })
                        .map_err(std::io::Error::other)
                })
                .join();
            }
        }
    }
}

/// A real S3-compatible server for tests: moto's (`pip install "moto[server]"`), started on a
/// free port of 127.0.0.1 and stopped when dropped, with one bucket made for the test.
pub struct S3Server {
    process: std::process::Child,
    pub endpoint: String,
    pub bucket: String,
}

impl S3Server {
    /// Starts the server and makes `bucket`; panics with what to install when moto is absent.
    pub fn start(bucket: &str) -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = std::process::Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the S3 tests start moto's server: pip install \"moto[server]\"");
        let mut server = S3Server {
            process,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: bucket.to_string(),
        };
        let started = std::time::Instant::now();
        loop {
            // S3's CreateBucket: `PUT /bucket`; moto answers once it listens.
            if let Ok(status) = server.request("PUT", &format!("/{bucket}"))
                && status == 200
            {
                break;
            }
            if let Ok(Some(status)) = server.process.try_wait() {
                panic!(
                    "moto's server stopped ({status}): the S3 tests need pip install \"moto[server]\""
                );
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "moto's server did not answer on port {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        server
    }

    /// `s3://bucket/prefix` for the test's bucket.
    pub fn location(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.bucket)
    }

    /// A file store on this server (any keys: moto does not check them).
    pub fn files(&self, prefix: &str, max_bytes: usize) -> crate::files::FileStore {
        crate::files::FileStore::s3(
            &self.location(prefix),
            Some(&self.endpoint),
            Some(("test", "test")),
            max_bytes,
        )
        .expect("an S3 file store")
    }

    /// One bare HTTP/1.1 request without a body; the status it got.
    fn request(&self, method: &str, path: &str) -> std::io::Result<u16> {
        use std::io::{Read, Write};
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address)?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other("not an HTTP answer"))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
