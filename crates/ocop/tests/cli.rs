//! The `ocop` binary as people run it: help, exit codes, messages, serving and shutting down.
//! Databases come from `OCOP_TEST_DATABASE_URL` (SQLite files by default).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ocop_store::testing::TestDb;
use ocop_store::units;

fn ocop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ocop"))
        .args(args)
        .env("OCOP_LOG", "warn")
        .env_remove("OCOP_DATABASE_URL")
        .output()
        .expect("cannot run ocop")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_subcommand_has_help() {
    let top = ocop(&["--help"]);
    assert!(top.status.success());
    let text = String::from_utf8_lossy(&top.stdout);
    for command in [
        "serve",
        "migrate",
        "demo",
        "units",
        "criteria",
        "score",
        "bench",
        "keys",
        "verify",
        "certificates",
    ] {
        assert!(text.contains(command), "{command} missing from --help");
    }
    for args in [
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["units", "import", "--help"],
        vec!["bench", "startup", "--help"],
        vec!["keys", "generate", "--help"],
        vec!["keys", "rotate", "--help"],
        vec!["keys", "list", "--help"],
        vec!["verify", "--help"],
        vec!["certificates", "sweep", "--help"],
    ] {
        let output = ocop(&args);
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("--db"),
            "{args:?}"
        );
    }
}

#[test]
fn an_unreachable_database_is_one_clear_line_with_the_password_masked() {
    let output = ocop(&["migrate", "--db", "postgres://ocop:s3cret@127.0.0.1:1/ocop"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.starts_with("ocop: cannot open database postgres://ocop:***@127.0.0.1:1/ocop:")
    );
    assert!(!message.contains("s3cret"));
    assert!(!message.contains("panicked"));

    let malformed = ocop(&["migrate", "--db", "mysql://root@localhost/ocop"]);
    assert_eq!(malformed.status.code(), Some(2));
    assert!(stderr(&malformed).contains("cannot use database mysql://root@localhost/ocop"));
}

#[tokio::test]
async fn units_import_refuses_a_malformed_file_whole_and_is_idempotent() {
    let test = TestDb::with_units().await;
    let before = units::counts(&test.db).await.unwrap();
    let dir = std::env::temp_dir().join(format!("ocop_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let broken = dir.join("broken.tsv");
    std::fs::write(
        &broken,
        "# ocop-units 1\nunit\tcommune\t99001\tXã Một\txa\t75\t2026-01-01\t\t\nunit\tcommune\t99002\tXã Hai\txa\n",
    )
    .unwrap();
    let output = ocop(&[
        "units",
        "import",
        "--db",
        test.url(),
        broken.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("broken.tsv: line 3: `unit` needs 9 tab-separated columns, found 5"),
        "{}",
        stderr(&output)
    );
    assert!(
        units::find_by_code(&test.db, "99001", None)
            .await
            .unwrap()
            .is_none()
    );

    let good = dir.join("good.tsv");
    std::fs::write(
        &good,
        "# ocop-units 1\nunit\tcommune\t99001\tXã Một\txa\t75\t2026-01-01\t\tNQ 1\n",
    )
    .unwrap();
    for round in 0..2 {
        let output = ocop(&[
            "units",
            "import",
            "--db",
            test.url(),
            good.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let expected = if round == 0 {
            "1 added, 0 updated"
        } else {
            "0 added, 0 updated, 1 unchanged"
        };
        assert!(
            stderr(&output).contains(expected),
            "round {round}: {}",
            stderr(&output)
        );
    }
    let after = units::counts(&test.db).await.unwrap();
    assert_eq!(after.communes, before.communes + 1);

    let missing = ocop(&[
        "units",
        "import",
        "--db",
        test.url(),
        "/nonexistent/units.tsv",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read /nonexistent/units.tsv"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn migrate_reports_skipped_source_rows() {
    let test = TestDb::empty().await;
    let output = ocop(&["migrate", "--db", test.url()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains("34 provinces, 3321 communes in force"),
        "{out}"
    );
    let report = stderr(&output);
    assert!(report.contains("Skipped 943 succession rows"), "{report}");
    assert!(report.contains("431 rows: the new unit's code is not among the units"));
    assert!(report.contains("512 rows: the old unit has no code"));
    // Nothing left to do the second time.
    let again = ocop(&["migrate", "--db", test.url()]);
    assert!(again.status.success());
    assert!(!stderr(&again).contains("Skipped"));

    let files = std::env::temp_dir().join(format!("ocop_demo_files_{}", std::process::id()));
    let files = files.to_str().unwrap();
    let demo = ocop(&["demo", "--db", test.url(), "--seed", "7", "--files", files]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let text = String::from_utf8_lossy(&demo.stdout);
    assert!(text.contains("Demo dataset (seed 7)"));
    assert!(
        text.contains(
            "19 entities, 20 products, 18 dossiers, 3 evaluation rounds, 7 certificates; 13 demo accounts added (password ocop-demo-2025)."
        ),
        "{text}"
    );
    let again = ocop(&["demo", "--db", test.url(), "--seed", "7", "--files", files]);
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.contains("19 entities, 20 products, 18 dossiers, 0 evaluation rounds, 7 certificates; 0 demo accounts added"),
        "nothing twice: {again}"
    );
    for email in [
        "admin@demo.ocop.vn",
        "tinh@demo.ocop.vn",
        "xa@demo.ocop.vn",
        "sanxuat@demo.ocop.vn",
        "chutich@demo.ocop.vn",
        "hdtw1@demo.ocop.vn",
    ] {
        let login = ocop_store::accounts::authenticate(&test.db, email, "ocop-demo-2025")
            .await
            .unwrap();
        assert!(
            matches!(login, ocop_store::accounts::Login::Success(_)),
            "{email}"
        );
    }
    let _ = std::fs::remove_dir_all(files);
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_ready(child: &mut Child, port: u16) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if http_get(port, "/readyz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("ocop serve exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("ocop serve was not ready in 30 s");
}

#[tokio::test]
async fn serve_answers_and_stops_gracefully_on_sigterm() {
    let test = TestDb::empty().await;
    let upload_dir = std::env::temp_dir().join(format!("ocop_serve_files_{}", std::process::id()));
    // The demo creates the installation's secret and signing key on first start; a server
    // started later on the same database reads the same secret (PostgreSQL has no file to put
    // it beside, so the test names one rather than leave `ocop.secret` in the working directory).
    let secret = std::env::temp_dir().join(format!("ocop_serve_{}.secret", std::process::id()));
    let _ = std::fs::remove_file(&secret);
    let secret = secret.to_str().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocop"))
        .args([
            "serve",
            "--demo",
            "--db",
            test.url(),
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--files",
            upload_dir.to_str().unwrap(),
            "--secret-file",
            secret,
        ])
        .env("OCOP_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_ready(&mut child, port);
    let home = http_get(port, "/units").unwrap();
    assert!(home.starts_with("HTTP/1.1 200"));
    assert!(home.contains("3.321"));

    // A second server on the same port (same installation: the secret and key the first
    // created) gets past the signing checks and says why it cannot start.
    let clash = ocop(&[
        "serve",
        "--db",
        test.url(),
        "--addr",
        &format!("127.0.0.1:{port}"),
        "--secret-file",
        secret,
    ]);
    assert_eq!(clash.status.code(), Some(2));
    let message = stderr(&clash);
    assert!(
        message.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{message}"
    );
    assert!(message.contains("--addr"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("serving on http://127.0.0.1:"), "{log}");
    assert!(log.contains("created the signing secret"), "{log}");
    assert!(log.contains("created signing key 1 for the demo"), "{log}");
    let _ = std::fs::remove_file(secret);
    let _ = std::fs::remove_dir_all(upload_dir);
}

// --- criteria -------------------------------------------------------------------------------

fn project(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the shipped criteria in a fresh directory, to break or extend.
fn criteria_copy(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ocop_criteria_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for version in ["1048", "148", "148-1489"] {
        let from = std::path::PathBuf::from(project(&format!("data/criteria/{version}")));
        let to = dir.join(version);
        std::fs::create_dir_all(to.join("sheets")).unwrap();
        for file in ["version.toml", "sets.csv"] {
            std::fs::copy(from.join(file), to.join(file)).unwrap();
        }
        for entry in std::fs::read_dir(from.join("sheets")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join("sheets").join(entry.file_name())).unwrap();
        }
    }
    dir
}

#[test]
fn criteria_list_shows_four_versions_and_26_sets() {
    let output = ocop(&["criteria", "list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for version in [
        "1048  QĐ 1048/QĐ-TTg",
        "148  QĐ 148/QĐ-TTg",
        "148-1489  QĐ 148/QĐ-TTg",
        "26-2026  QĐ 26/2026/QĐ-TTg ngày 22/05/2026  (from 22/05/2026)  IN FORCE TODAY",
    ] {
        assert!(text.contains(version), "{version} missing:\n{text}");
    }
    assert_eq!(
        text.matches("[provisional sheet]").count(),
        50,
        "25 sets in each of 148 and 148-1489; fresh produce is on the Thái Bình transcription"
    );
    assert_eq!(text.matches("[third-party transcription]").count(), 2);
    assert!(text.contains("sheets transcribed from a legal-database copy of the decree"));
    assert!(text.contains("finish under 148-1489 if evaluated by 21/07/2026"));
    assert!(text.contains("P26  Dịch vụ du lịch cộng đồng"));
    let sheet = ocop(&["criteria", "show", "148-1489", "P09"]);
    let text = String::from_utf8_lossy(&sheet.stdout);
    assert!(text.contains("PROVISIONAL SHEET"));
    assert!(text.contains("A Sản xuất và sức mạnh cộng đồng  [40 points]"));
    let sheet = ocop(&["criteria", "show", "26-2026", "P09"]);
    let text = String::from_utf8_lossy(&sheet.stdout);
    for expected in [
        "Star marks: *** / **** / ***** after an option = the minimum for 3★ / 4★ / 5★",
        "REJECTED WHEN (D1): Hồ sơ bị loại khi: Giả mạo hồ sơ",
        "REJECTED IF (D2): Bị loại nếu sử dụng toàn bộ nguyên liệu nhập khẩu",
        "3)  2  Có hợp đồng liên kết trên 75% sản lượng tiêu thụ ****",
        "(printed without options: scored 0 or its maximum)",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    let tourism = ocop(&["criteria", "show", "26-2026", "P26"]);
    let text = String::from_utf8_lossy(&tourism.stdout);
    assert!(text.contains("Case 2: Điểm dịch vụ du lịch"), "{text}");
    assert!(text.contains("Errata applied (defects of the source):"));
    let unknown = ocop(&["criteria", "show", "148", "P99"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("version 148 has no product set `P99`"));
}

#[test]
fn criteria_check_passes_on_shipped_data_and_names_the_path_in_a_broken_file() {
    let shipped = ocop(&["criteria", "check", &project("data/criteria")]);
    assert!(shipped.status.success(), "{}", stderr(&shipped));
    assert_eq!(
        String::from_utf8_lossy(&shipped.stdout)
            .matches("ok  ")
            .count(),
        4
    );

    let dir = criteria_copy("broken");
    let sheet = dir.join("148/sheets/derived-1048-P01.csv");
    let text = std::fs::read_to_string(&sheet).unwrap();
    std::fs::write(
        &sheet,
        text.replacen(
            "option,,1,,Phân loại,grading only,,0,",
            "option,,1,,Phân loại,grading only,,9,",
            1,
        ),
    )
    .unwrap();
    let broken = ocop(&[
        "criteria",
        "check",
        dir.join("148/version.toml").to_str().unwrap(),
    ]);
    assert_eq!(broken.status.code(), Some(2));
    let message = stderr(&broken);
    assert!(
        message.contains("148/P02/A/1.2: line 9: option worth 9 points exceeds the criterion's 4"),
        "{message}"
    );

    // The server refuses to start on invalid criteria, with the same message.
    let test_db = std::env::temp_dir().join(format!("ocop_refuse_{}.db", std::process::id()));
    let serve = ocop(&[
        "serve",
        "--criteria",
        dir.to_str().unwrap(),
        "--db",
        test_db.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(serve.status.code(), Some(2));
    assert!(
        stderr(&serve).contains("148/P02/A/1.2"),
        "{}",
        stderr(&serve)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn score_returns_the_hand_computed_result_as_json() {
    let output = ocop(&["score", &project("docs/examples/score-1048-P01.json")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["mean"], 64.0);
    assert_eq!(result["stars"], 3);
    assert_eq!(result["spread"], 7);
    assert_eq!(result["outcome"], "recognised");
    assert_eq!(result["routing"]["recognised_by"], "province");
    assert_eq!(result["flags"]["needs_discussion"], false);
    assert_eq!(
        result["explanation"]["upgrade"]["steps"][0]["criterion"],
        "11"
    );
    assert_eq!(result["explanation"]["upgrade"]["resulting_score"], 70.0);

    let dir = std::env::temp_dir().join(format!("ocop_score_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"version": "1048", "product_set": "P01", "entity_type": "farm", "scorecards": []}"#,
    )
    .unwrap();
    let output = ocop(&["score", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown variant `farm`"),
        "{}",
        stderr(&output)
    );
    let wrong = dir.join("wrong.json");
    let example = std::fs::read_to_string(project("docs/examples/score-1048-P01.json")).unwrap();
    std::fs::write(&wrong, example.replacen("\"1.1\": 3", "\"1.1\": 9", 1)).unwrap();
    let output = ocop(&["score", wrong.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("Nguyễn Văn An: criterion 1.1 has no option 9 (options 1 to 3)"),
        "{}",
        stderr(&output)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_new_version_added_as_a_data_directory_is_picked_up_and_used() {
    let dir = criteria_copy("new");
    let new = dir.join("27-2027");
    std::fs::create_dir_all(new.join("sheets")).unwrap();
    let from = dir.join("148-1489");
    let manifest = std::fs::read_to_string(from.join("version.toml"))
        .unwrap()
        .replace("id = \"148-1489\"", "id = \"27-2027\"")
        .replace("effective_from = 2025-07-06", "effective_from = 2027-01-01")
        .replace("provisional = false", "provisional = true")
        .lines()
        .filter(|line| !line.starts_with("effective_to"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(new.join("version.toml"), manifest).unwrap();
    // Every set on the derived sheet, fresh produce included.
    let sets = std::fs::read_to_string(from.join("sets.csv"))
        .unwrap()
        .replace(
            "thaibinh-P01.csv,third-party",
            "derived-1048-P01.csv,derived",
        );
    std::fs::write(new.join("sets.csv"), sets).unwrap();
    std::fs::copy(
        from.join("sheets/derived-1048-P01.csv"),
        new.join("sheets/derived-1048-P01.csv"),
    )
    .unwrap();

    let list = ocop(&["criteria", "list", "--criteria", dir.to_str().unwrap()]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(String::from_utf8_lossy(&list.stdout).contains("27-2027"));

    // Score a product under it: the 1048 example's choices fit the derived sheet's shape.
    let example = std::fs::read_to_string(project("docs/examples/score-1048-P01.json")).unwrap();
    let input = dir.join("input.json");
    std::fs::write(
        &input,
        example.replacen("\"version\": \"1048\"", "\"version\": \"27-2027\"", 1),
    )
    .unwrap();
    let output = ocop(&[
        "score",
        "--criteria",
        dir.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["version"], "27-2027");
    assert_eq!(result["provisional_sheet"], true);
    let _ = std::fs::remove_dir_all(dir);
}

// --- accounts and audit -----------------------------------------------------------------------

fn ocop_with_input(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocop"))
        .args(args)
        .env("OCOP_LOG", "warn")
        .env_remove("OCOP_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments exits without reading standard input: the write then
    // meets a closed pipe, which is not the test's failure (its output is what is checked).
    if let Err(error) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn user_add_bootstraps_an_administrator_and_audit_verify_names_a_tampered_record() {
    let test = TestDb::with_units().await;
    let add = |email: &str, role: &str, unit: Option<&str>| {
        let mut args = vec![
            "user",
            "add",
            "--db",
            test.url(),
            "--role",
            role,
            "--email",
            email,
            "--name",
            "Trần Văn Quản",
        ];
        if let Some(unit) = unit {
            args.extend(["--unit", unit]);
        }
        ocop_with_input(&args, "một mật khẩu đủ dài\n")
    };
    let created = add("admin@ocop.gov.vn", "administrator", None);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(
        String::from_utf8_lossy(&created.stdout)
            .contains("Created admin@ocop.gov.vn (administrator)")
    );
    let officer = add("xa@ocop.gov.vn", "commune_officer", Some("26882"));
    assert!(officer.status.success(), "{}", stderr(&officer));

    let wrong_unit = add("x@ocop.gov.vn", "commune_officer", Some("79"));
    assert_eq!(wrong_unit.status.code(), Some(2));
    assert!(
        stderr(&wrong_unit).contains("unit: 79 is a province, not a commune"),
        "{}",
        stderr(&wrong_unit)
    );
    let unknown_role = add("y@ocop.gov.vn", "king", None);
    assert_eq!(unknown_role.status.code(), Some(2));
    assert!(stderr(&unknown_role).contains("unknown role `king`"));
    let login =
        ocop_store::accounts::authenticate(&test.db, "admin@ocop.gov.vn", "một mật khẩu đủ dài")
            .await
            .unwrap();
    assert!(matches!(login, ocop_store::accounts::Login::Success(_)));

    // A machine token for the administrator: shown once, works, and can be revoked.
    let created = ocop(&[
        "token",
        "create",
        "--db",
        test.url(),
        "--email",
        "admin@ocop.gov.vn",
        "--name",
        "cổng tỉnh",
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    let text = String::from_utf8_lossy(&created.stdout).to_string();
    let token = text
        .lines()
        .find(|l| l.starts_with("ocop_"))
        .unwrap()
        .to_string();
    let id = text.split_whitespace().nth(1).unwrap().to_string();
    assert!(
        ocop_store::accounts::api_token_user(&test.db, &token)
            .await
            .unwrap()
            .is_some()
    );
    let revoke = ocop(&["token", "revoke", "--db", test.url(), &id]);
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert!(
        ocop_store::accounts::api_token_user(&test.db, &token)
            .await
            .unwrap()
            .is_none()
    );
    let again = ocop(&["token", "revoke", "--db", test.url(), &id]);
    assert_eq!(again.status.code(), Some(2));
    let nobody = ocop(&[
        "token",
        "create",
        "--db",
        test.url(),
        "--email",
        "ai@ocop.gov.vn",
        "--name",
        "x",
    ]);
    assert_eq!(nobody.status.code(), Some(2));

    let verify = ocop(&["audit", "verify", "--db", test.url()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("Audit trail intact: 4 records"));

    ocop_store::on_db!(&test.db, |pool| sqlx::query(
        "UPDATE audit_log SET changes = '{}' WHERE seq = 2"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    let verify = ocop(&["audit", "verify", "--db", test.url()]);
    assert_eq!(verify.status.code(), Some(3));
    assert!(
        stderr(&verify)
            .contains("the audit trail is broken: record 2 was changed after it was written"),
        "{}",
        stderr(&verify)
    );
}
