//! `ocop backup` of a serving installation and `ocop restore` into a fresh database, on the
//! database the tests run on (SQLite, or PostgreSQL with `OCOP_TEST_DATABASE_URL`): the copy
//! serves the same records, files and audit trail.

mod support;

use std::time::Duration;

use ocop_store::testing::TestDb;
use ocop_store::{Db, audit, on_db};
use support::{Server, TempDir, must_get, ocop, stderr, stdout};

async fn count(db: &Db, sql: &'static str) -> i64 {
    on_db!(db, |pool| sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
}

#[tokio::test]
async fn a_backup_of_a_serving_installation_restores_into_a_fresh_database() {
    let source = TestDb::migrated().await;
    let url = source.url().to_string();
    let dir = TempDir::new("backup_cli");
    let (files, secret) = (dir.file("files"), dir.file("ocop.secret"));
    let mut server = Server::start(
        &[
            "--db",
            &url,
            "--files",
            &files,
            "--secret-file",
            &secret,
            "--demo",
        ],
        dir.path().join("serve.log"),
        Duration::from_secs(120),
    );

    // The worker anchors the audit trail on its first round; the public keeps a copy.
    let anchors = dir.file("anchors.json");
    let document = support::wait_until(Duration::from_secs(30), "the day's anchor", || {
        let answer = must_get(server.port, "/.well-known/ocop-audit-anchors.json", &[]);
        let json = answer.json();
        (
            json["anchors"].as_array().is_some_and(|a| !a.is_empty()),
            json,
        )
    });
    std::fs::write(&anchors, document.to_string()).unwrap();

    // Taken while the server serves (and its worker runs).
    let backup_dir = dir.file("backup");
    let out = ocop(&["backup", &backup_dir, "--db", &url, "--files", &files]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("Backup in"), "{}", stdout(&out));
    // Its page still answers: the backup took nothing from the server.
    assert_eq!(must_get(server.port, "/", &[]).status, 200);
    server.terminate();
    server.wait_exit(Duration::from_secs(30));

    // A second backup into the same directory is refused (exit 2), the first left whole.
    let again = ocop(&["backup", &backup_dir, "--db", &url, "--files", &files]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));

    let target = TestDb::empty().await;
    target.db.close().await;
    let restored_files = dir.file("restored_files");
    let out = ocop(&[
        "restore",
        &backup_dir,
        "--db",
        target.url(),
        "--files",
        &restored_files,
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("intact"), "{}", stdout(&out));

    // The copy holds what the source holds (nothing was written since the server stopped).
    let restored = Db::connect(target.url()).await.unwrap();
    for sql in [
        "SELECT COUNT(*) FROM products",
        "SELECT COUNT(*) FROM certificates",
        "SELECT COUNT(*) FROM users",
        "SELECT COUNT(*) FROM files",
        "SELECT COUNT(*) FROM audit_log",
    ] {
        assert_eq!(
            count(&restored, sql).await,
            count(&source.db, sql).await,
            "{sql}"
        );
    }
    assert!(count(&restored, "SELECT COUNT(*) FROM certificates").await > 0);
    assert!(count(&restored, "SELECT COUNT(*) FROM files").await > 0);
    assert_eq!(
        audit::head(&restored).await.unwrap(),
        audit::head(&source.db).await.unwrap()
    );
    restored.close().await;
    // The copy holds the day's anchor, and the one kept outside holds against it too.
    let verify = ocop(&[
        "audit",
        "verify",
        "--db",
        target.url(),
        "--anchors",
        &anchors,
    ]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(
        stdout(&verify).contains("anchors that hold: 1 of its own and 1 kept elsewhere"),
        "{}",
        stdout(&verify)
    );
    // A forged copy (its head moved by one) is caught: exit 3, as for a broken chain.
    let mut forged = document.clone();
    forged["anchors"][0]["seq"] =
        serde_json::json!(forged["anchors"][0]["seq"].as_i64().unwrap() + 1);
    std::fs::write(&anchors, forged.to_string()).unwrap();
    let verify = ocop(&[
        "audit",
        "verify",
        "--db",
        target.url(),
        "--anchors",
        &anchors,
    ]);
    assert_eq!(verify.status.code(), Some(3), "{}", stderr(&verify));
    assert!(
        stderr(&verify).contains("not signed"),
        "{}",
        stderr(&verify)
    );

    // The restored installation serves, with the same keys: a demo producer's evidence and a
    // product's page are there.
    let mut copy = Server::start(
        &[
            "--db",
            target.url(),
            "--files",
            &restored_files,
            "--secret-file",
            &secret,
        ],
        dir.path().join("copy.log"),
        Duration::from_secs(60),
    );
    let catalogue = must_get(copy.port, "/api/v1/catalogue?limit=1", &[]);
    assert_eq!(catalogue.status, 200, "{}", copy.log_text());
    copy.terminate();
    copy.wait_exit(Duration::from_secs(30));

    // Into the restored database again: refused (it has tables), exit 2.
    let out = ocop(&[
        "restore",
        &backup_dir,
        "--db",
        target.url(),
        "--files",
        &restored_files,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already has tables"),
        "{}",
        stderr(&out)
    );
}
