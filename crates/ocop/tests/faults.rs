//! Faults at the edges: a SQLite database whose writer is killed in the middle of its
//! transactions opens intact; a server whose PostgreSQL becomes unreachable says so (`/readyz`,
//! 503 pages and API answers with a clear message) and recovers by itself when it returns.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocop_store::testing::{TEST_DATABASE_URL, TestDb};
use ocop_store::{Db, on_db};
use support::{Proxy, TempDir, get, keyed_server, must_get, ocop, stderr};

#[tokio::test]
async fn sqlite_killed_in_the_middle_of_writing_opens_intact() {
    let dir = TempDir::new("sqlite_kill");
    // Three writers killed at different moments of the national demo's big transactions.
    for (run, after) in [1500u64, 3000, 4500].into_iter().enumerate() {
        let path = dir.file(&format!("run{run}.db"));
        let url = format!("sqlite:{path}");
        let mut writer = Command::new(env!("CARGO_BIN_EXE_ocop"))
            .args([
                "demo",
                "--db",
                &url,
                "--files",
                &dir.file("files"),
                "--products",
                "40000",
            ])
            .env("OCOP_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(after));
        assert!(
            writer.try_wait().unwrap().is_none(),
            "the writer finished before {after} ms: nothing was interrupted"
        );
        writer.kill().unwrap(); // SIGKILL: no destructor, no rollback, the WAL as it was
        writer.wait().unwrap();

        let db = Db::connect(&url).await.unwrap();
        let integrity: Vec<String> =
            on_db!(&db, |pool| sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(pool)
                .await)
            .unwrap();
        assert_eq!(integrity, vec!["ok".to_string()], "killed after {after} ms");
        let orphans: Vec<(String,)> = on_db!(&db, |pool| sqlx::query_as(
            "SELECT \"table\" FROM pragma_foreign_key_check"
        )
        .fetch_all(pool)
        .await)
        .unwrap();
        assert!(orphans.is_empty(), "killed after {after} ms: {orphans:?}");
        db.close().await;
        let verify = ocop(&["audit", "verify", "--db", &url]);
        assert!(
            verify.status.success(),
            "killed after {after} ms: {}",
            stderr(&verify)
        );
    }
    // And the same work then completes on a killed writer's database.
    let url = format!("sqlite:{}", dir.file("run2.db"));
    let done = ocop(&[
        "demo",
        "--db",
        &url,
        "--files",
        &dir.file("files"),
        "--products",
        "2000",
    ]);
    assert!(done.status.success(), "{}", stderr(&done));
}

#[tokio::test]
async fn an_unreachable_postgresql_is_said_and_the_server_recovers_by_itself() {
    if std::env::var(TEST_DATABASE_URL).is_err() {
        eprintln!("PostgreSQL only: runs when {TEST_DATABASE_URL} names a server");
        return;
    }
    let test = TestDb::migrated().await;
    let real = url::Url::parse(test.url()).unwrap();
    let proxy = Proxy::start((
        real.host_str().unwrap().to_string(),
        real.port().unwrap_or(5432),
    ));
    let mut through = real.clone();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(proxy.port)).unwrap();
    let url = through.to_string();
    let dir = TempDir::new("pg_unreachable");
    let mut server = keyed_server(&url, &dir, &["--worker-interval", "1"]);
    assert_eq!(must_get(server.port, "/units/79", &[]).status, 200);
    assert_eq!(
        must_get(server.port, "/api/v1/units/provinces", &[]).status,
        200
    );

    proxy.cut();
    let down = support::wait_until(Duration::from_secs(30), "/readyz says 503", || {
        let answer = get(server.port, "/readyz", &[]);
        (answer.as_ref().is_some_and(|a| a.status == 503), answer)
    })
    .unwrap();
    assert_eq!(down.json()["error"]["code"], "database_unavailable");
    // Every answer that needs the database says so, in the one error shape or as a page.
    let api = must_get(server.port, "/api/v1/units/provinces", &[]);
    assert_eq!(
        (api.status, api.json()["error"]["code"].as_str()),
        (503, Some("database_unavailable")),
        "{}",
        api.body
    );
    let page = must_get(server.port, "/units/79", &[]);
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        page.body
            .contains("Cơ sở dữ liệu tạm thời không truy cập được"),
        "{}",
        page.body
    );
    // The liveness check stays up: the process is fine, only its database is away.
    assert_eq!(must_get(server.port, "/healthz", &[]).status, 200);

    proxy.mend();
    let started = Instant::now();
    support::wait_until(Duration::from_secs(30), "/readyz back to 200", || {
        let status = get(server.port, "/readyz", &[]).map(|a| a.status);
        (status == Some(200), status)
    });
    eprintln!(
        "recovered {:?} after the database returned",
        started.elapsed()
    );
    assert_eq!(must_get(server.port, "/units/79", &[]).status, 200);
    assert_eq!(
        must_get(server.port, "/api/v1/units/provinces", &[]).status,
        200
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the same process, never restarted"
    );
    server.terminate();
    server.wait_exit(Duration::from_secs(30));
    drop(proxy);
}
