//! Imports killed in the middle, on both databases: `ocop import` killed with SIGKILL while it
//! writes leaves nothing of its file behind (and an intact audit chain), and the same command
//! then completes; an `ocop serve` killed while its worker runs an uploaded import is
//! restarted, and the run completes by itself.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocop_domain::import::Kind;
use ocop_store::import::{IMPORT_JOB, Request};
use ocop_store::testing::TestDb;
use ocop_store::{Db, audit, jobs, on_db};
use support::{Server, TempDir, ocop, stderr, stdout};

/// Entities placed by today's commune code, and `products` products of theirs.
fn files(dir: &TempDir, products: usize) -> (String, String) {
    let mut entities =
        String::from("Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Mã xã\n");
    for n in 0..200 {
        entities.push_str(&format!(
            "38001{n:05},Hợp tác xã số {n},HTX,Nguyễn Văn An,Ấp {n},25363\n"
        ));
    }
    let mut rows = String::from("Tên sản phẩm,Mã số thuế,Bộ sản phẩm,Mô tả\n");
    for n in 0..products {
        rows.push_str(&format!(
            "Hạt điều rang muối loại {n},38001{:05},P03,Hạt điều rang muối hũ {n} g\n",
            n % 200
        ));
    }
    let (e, p) = (dir.file("entities.csv"), dir.file("products.csv"));
    std::fs::write(&e, entities).unwrap();
    std::fs::write(&p, rows).unwrap();
    (e, p)
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    on_db!(db, |pool| sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
}

async fn latest_state(db: &Db) -> Option<String> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT state FROM imports WHERE kind = 'products' ORDER BY created_at DESC LIMIT 1"
    )
    .fetch_optional(pool)
    .await)
    .unwrap()
}

#[tokio::test]
async fn ocop_import_killed_while_writing_leaves_nothing_and_then_completes() {
    let test = TestDb::migrated().await;
    let db = &test.db;
    let url = test.url().to_string();
    let dir = TempDir::new("import_kill");
    let (entities, products) = files(&dir, 30_000);
    let out = ocop(&[
        "import",
        &entities,
        "--kind",
        "entities",
        "--province",
        "75",
        "--db",
        &url,
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(count(db, "SELECT COUNT(*) FROM entities").await, 200);
    let audit_before = audit::last_seq(db).await.unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_ocop"))
        .args([
            "import",
            &products,
            "--kind",
            "products",
            "--province",
            "75",
            "--db",
            &url,
        ])
        .env("OCOP_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if latest_state(db).await.as_deref() == Some("writing") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "never reached writing"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Nothing of the file, no audit record, the chain intact.
    assert_eq!(count(db, "SELECT COUNT(*) FROM products").await, 0);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_objects WHERE object_type = 'product'"
        )
        .await,
        0
    );
    assert_eq!(audit::last_seq(db).await.unwrap(), audit_before);
    assert!(audit::verify(db).await.unwrap().is_ok());

    let out = ocop(&[
        "import",
        &products,
        "--kind",
        "products",
        "--province",
        "75",
        "--db",
        &url,
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("30000 created"), "{}", stdout(&out));
    assert_eq!(count(db, "SELECT COUNT(*) FROM products").await, 30_000);
    let out = ocop(&[
        "import",
        &products,
        "--kind",
        "products",
        "--province",
        "75",
        "--db",
        &url,
        "--dry-run",
    ]);
    assert!(stdout(&out).contains("30000 unchanged"), "{}", stdout(&out));
    assert!(audit::verify(db).await.unwrap().is_ok());
}

#[tokio::test]
async fn a_server_killed_while_importing_finishes_the_run_after_its_restart() {
    let test = TestDb::migrated().await;
    let db = &test.db;
    let url = test.url().to_string();
    let dir = TempDir::new("import_restart");
    let (entities, products) = files(&dir, 30_000);
    let out = ocop(&[
        "import",
        &entities,
        "--kind",
        "entities",
        "--province",
        "75",
        "--db",
        &url,
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    // An upload as the page makes it: the file in the store, the run queued for the worker.
    let files_dir = dir.file("files");
    let store = ocop_store::files::FileStore::new(&files_dir, 64 << 20);
    let bytes = std::fs::read(&products).unwrap();
    let stored = store
        .put_as(db, &bytes, ocop_domain::files::FileKind::Csv)
        .await
        .unwrap();
    let request = Request {
        kind: Kind::Products,
        province_code: "75".into(),
        file_name: "products.csv".into(),
        dry_run: false,
        partial: false,
        actor: "officer".into(),
    };
    ocop_store::import::queue(db, &request, &bytes, &stored.sha256)
        .await
        .unwrap();

    let secret = dir.file("ocop.secret");
    let keys = ocop(&["keys", "generate", "--db", &url, "--secret-file", &secret]);
    assert!(keys.status.success(), "{}", stderr(&keys));
    let serve = |log: &str| {
        Server::start(
            &[
                "--db",
                &url,
                "--files",
                &files_dir,
                "--secret-file",
                &secret,
                "--worker-interval",
                "1",
            ],
            dir.path().join(log),
            Duration::from_secs(60),
        )
    };
    let mut first = serve("first.log");
    let start = Instant::now();
    loop {
        let state = latest_state(db).await;
        if matches!(state.as_deref(), Some("checking" | "writing")) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never started: {state:?}\n{}",
            first.log_text()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert_eq!(count(db, "SELECT COUNT(*) FROM products").await, 0);

    let second = serve("second.log");
    let start = Instant::now();
    loop {
        // Finished, and its job marked done (just after the run's own row).
        if latest_state(db).await.as_deref() == Some("done")
            && jobs::counts(db, IMPORT_JOB).await.unwrap() == (0, 1, 0)
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "not finished after the restart:\n{}",
            second.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(count(db, "SELECT COUNT(*) FROM products").await, 30_000);
    assert!(audit::verify(db).await.unwrap().is_ok());
}
