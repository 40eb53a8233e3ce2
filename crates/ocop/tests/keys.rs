//! The issuer's signing keys and the offline verifier as people run them: `ocop serve` refuses
//! to start without the installation's secret and a key (exit 2, one line that says what to
//! do), `ocop keys generate|rotate|list`, and `ocop verify` on a real certificate's QR agreeing
//! with the server's `/api/v1/verify`, before and after a rotation made while the server runs.
//! Databases come from `OCOP_TEST_DATABASE_URL` (SQLite files by default).

mod support;

use std::time::Duration;

use data_encoding::BASE32_NOPAD;
use ocop_store::clock::today;
use ocop_store::testing::TestDb;
use serde_json::Value;

use support::{Server, TempDir, encode, must_get, ocop, stderr, stdout};

/// Asserts a refusal: exit code 2 and exactly one line on standard error, which contains every
/// piece of `expected`.
fn assert_refused(output: &std::process::Output, expected: &[&str]) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "one line: {message}");
    assert!(message.starts_with("ocop: "), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    for piece in expected {
        assert!(message.contains(piece), "`{piece}` missing from: {message}");
    }
}

/// A valid secret file's contents that is not the installation's.
fn another_secret() -> String {
    let mut text: String = (0..64)
        .map(|i| char::from(b"0123456789abcdef"[(i * 7 + 3) % 16]))
        .collect();
    text.push('\n');
    text
}

fn vn(day: chrono::NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

#[tokio::test]
async fn serve_needs_a_secret_and_a_key_and_keys_generate_rotate_list_manage_them() {
    let dir = TempDir::new("keys");
    // On a database never used before, `serve` creates the schema and loads the units (and
    // reports that) before it looks for the secret: the last line, the only one of `ocop:`,
    // says what is missing.
    {
        let fresh = TestDb::empty().await;
        let secret = dir.file("fresh.secret");
        let output = ocop(&[
            "serve",
            "--db",
            fresh.url(),
            "--addr",
            "127.0.0.1:0",
            "--secret-file",
            &secret,
        ]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        let ours: Vec<&str> = message.lines().filter(|l| l.starts_with("ocop:")).collect();
        assert_eq!(
            ours,
            [format!(
                "ocop: the signing secret {secret} is missing: create it with `ocop keys generate`"
            )],
            "{message}"
        );
        assert_eq!(message.trim_end().lines().last(), Some(ours[0]));
    }
    let test = TestDb::empty().await;
    let url = test.url();
    // Migrated first, so that the only thing `serve` has to say is about its keys.
    let migrated = ocop(&["migrate", "--db", url]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));

    // No secret file: one line naming it and what creates it.
    let secret = dir.file("installation.secret");
    let serve = |secret: &str| {
        ocop(&[
            "serve",
            "--db",
            url,
            "--addr",
            "127.0.0.1:0",
            "--secret-file",
            secret,
            "--files",
            &dir.file("files"),
        ])
    };
    assert_refused(
        &serve(&secret),
        &[
            &format!("the signing secret {secret} is missing"),
            "`ocop keys generate`",
        ],
    );
    // Without --secret-file the default is named: beside a SQLite database, else ocop.secret
    // in the working directory.
    let default = std::process::Command::new(env!("CARGO_BIN_EXE_ocop"))
        .args(["serve", "--db", url, "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("OCOP_LOG", "warn")
        .env_remove("OCOP_SECRET_FILE")
        .output()
        .unwrap();
    let expected_default = match url.strip_prefix("sqlite:") {
        Some(file) => std::path::Path::new(file)
            .with_extension("secret")
            .display()
            .to_string(),
        None => "ocop.secret".to_string(),
    };
    assert_refused(
        &default,
        &[&format!("the signing secret {expected_default} is missing")],
    );

    // A secret file that is not one, or cannot be read at all: one line, exit 2.
    let garbage = dir.file("garbage.secret");
    std::fs::write(&garbage, "not a secret at all\n").unwrap();
    assert_refused(
        &serve(&garbage),
        &[&format!(
            "the signing secret {garbage} cannot be read: it does not hold 64 hexadecimal digits"
        )],
    );
    let a_directory = dir.file("a-directory.secret");
    std::fs::create_dir_all(&a_directory).unwrap();
    assert_refused(
        &serve(&a_directory),
        &[&format!("the signing secret {a_directory} cannot be read")],
    );
    // A good secret but no key in the database.
    let other = dir.file("other.secret");
    std::fs::write(&other, another_secret()).unwrap();
    assert_refused(
        &serve(&other),
        &["the database holds no signing key", "`ocop keys generate`"],
    );

    // `keys generate` creates the secret (owner-only) and key 1.
    let generated = ocop(&["keys", "generate", "--db", url, "--secret-file", &secret]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    assert_eq!(
        stdout(&generated).trim(),
        format!("Signing key 1 created, sealed with {secret}.")
    );
    assert!(
        stderr(&generated).contains(&format!("created the signing secret {secret}")),
        "{}",
        stderr(&generated)
    );
    let written = std::fs::read_to_string(&secret).unwrap();
    assert_eq!(written.trim().len(), 64, "{written}");
    assert!(written.trim().bytes().all(|b| b.is_ascii_hexdigit()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the secret is readable by its owner only"
        );
    }

    // A second `generate` is refused and changes nothing: neither the keys, nor the secret, nor
    // (with a new path) a stray secret file.
    let again = ocop(&["keys", "generate", "--db", url, "--secret-file", &secret]);
    assert_refused(
        &again,
        &["already holds signing keys", "use `ocop keys rotate`"],
    );
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), written);
    let stray = dir.file("stray.secret");
    let elsewhere = ocop(&["keys", "generate", "--db", url, "--secret-file", &stray]);
    assert_refused(&elsewhere, &["use `ocop keys rotate`"]);
    assert!(
        !std::path::Path::new(&stray).exists(),
        "a refused `keys generate` must not leave a new secret behind"
    );

    let list = |json: bool| {
        let mut args = vec!["keys", "list", "--db", url];
        if json {
            args.extend(["--json", "--public-url", "https://ocop.dongnai.gov.vn/"]);
        }
        let output = ocop(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let today = today();
    let listed = list(false);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 1, "{listed}");
    assert!(lines[0].trim_start().starts_with("1  "), "{listed}");
    assert!(
        lines[0].ends_with(&format!("from {}  active", vn(today))),
        "{listed}"
    );

    // With its secret and key, a server without --demo starts (and stops cleanly).
    let mut server = Server::start(
        &[
            "--db",
            url,
            "--secret-file",
            &secret,
            "--files",
            &dir.file("files"),
        ],
        dir.path().join("serve.log"),
        Duration::from_secs(60),
    );
    let keys = must_get(server.port, "/.well-known/ocop-keys.json", &[]).json();
    assert_eq!(keys["keys"].as_array().map(Vec::len), Some(1), "{keys}");
    server.terminate();
    let exit = server.wait_exit(Duration::from_secs(15));
    assert!(exit.success(), "{exit}:\n{}", server.log_text());

    // `keys rotate`: key 2 active, key 1 retired today and still listed.
    let rotated = ocop(&["keys", "rotate", "--db", url, "--secret-file", &secret]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    assert!(
        stdout(&rotated).starts_with("Signing key 2 is now active; the previous key is retired"),
        "{}",
        stdout(&rotated)
    );
    let listed = list(false);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].trim_start().starts_with("1  "), "{listed}");
    assert!(
        lines[0].ends_with(&format!("from {}  retired {}", vn(today), vn(today))),
        "{listed}"
    );
    assert!(lines[1].trim_start().starts_with("2  "), "{listed}");
    assert!(lines[1].ends_with("  active"), "{listed}");

    // `--json` is the keys document, with the same public keys.
    let document: Value = serde_json::from_str(&list(true)).unwrap();
    assert_eq!(document["issuer"], "https://ocop.dongnai.gov.vn");
    let keys = document["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{document}");
    for (key, line) in keys.iter().zip(&lines) {
        assert_eq!(key["alg"], "Ed25519");
        assert_eq!(key["valid_from"], today.to_string());
        let public = key["public_key"].as_str().unwrap();
        assert_eq!(public.len(), 43, "32 bytes in base64url: {public}");
        assert!(line.contains(public), "{line} / {public}");
    }
    assert_eq!(keys[0]["kid"], 1);
    assert_eq!(keys[0]["retired_on"], today.to_string());
    assert_eq!(keys[1]["kid"], 2);
    assert_eq!(keys[1]["retired_on"], Value::Null);
    assert_ne!(keys[0]["public_key"], keys[1]["public_key"]);

    // Another installation's secret cannot rotate this one's keys, nor serve it.
    assert_refused(
        &ocop(&["keys", "rotate", "--db", url, "--secret-file", &other]),
        &["signing key 2 cannot be opened with this installation's secret"],
    );
    assert_refused(
        &serve(&other),
        &["signing key 2 cannot be opened with this installation's secret"],
    );
    // A server (or an operator) without the installation's secret file is told to copy it:
    // no new secret can open the keys (and `keys generate` refuses, as seen above).
    let missing = dir.file("missing.secret");
    let copy_it = format!(
        "the signing secret {missing} is missing, and the signing keys in the database are \
         sealed with it: copy the installation's secret file from another of its servers"
    );
    assert_refused(
        &ocop(&["keys", "rotate", "--db", url, "--secret-file", &missing]),
        &[&copy_it],
    );
    assert_refused(&serve(&missing), &[&copy_it]);
    let demo = ocop(&[
        "serve",
        "--demo",
        "--db",
        url,
        "--addr",
        "127.0.0.1:0",
        "--secret-file",
        &missing,
        "--files",
        &dir.file("files"),
    ]);
    assert_refused(&demo, &[&copy_it]);
    assert!(
        !std::path::Path::new(&missing).exists(),
        "the demo does not make a secret for keys that exist"
    );
    assert_eq!(list(false).lines().count(), 2, "no key was added");
}

/// The claims `ocop verify` prints, as (label, value).
fn printed_claims(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|line| line.starts_with("  "))
        .filter_map(|line| {
            let line = line.trim();
            let (label, value) = line.split_once(' ')?;
            Some((label.to_string(), value.trim().to_string()))
        })
        .collect()
}

fn claim<'a>(claims: &'a [(String, String)], label: &str) -> &'a str {
    claims
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{label} missing from {claims:?}"))
}

/// `2029-06-15` → `15/06/2029`
fn iso_to_vn(iso: &str) -> String {
    vn(chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap())
}

/// Checks `ocop verify` against `/api/v1/verify` for one genuine text: same number, stars,
/// codes and dates. Returns the server's answer.
fn agree(port: u16, text: &str, keys_file: &str, expected_key: u16, retired: bool) -> Value {
    let offline = ocop(&["verify", text, "--keys", keys_file]);
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    let printed = stdout(&offline);
    let first = printed.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!(
            "GENUINE: signed by the issuer's key {expected_key}"
        )),
        "{printed}"
    );
    assert_eq!(first.contains("(retired since"), retired, "{printed}");
    let online = must_get(
        port,
        &format!("/api/v1/verify?payload={}", encode(text)),
        &[],
    );
    assert_eq!(online.status, 200, "{}", online.body);
    let online = online.json();
    assert_eq!(online["genuine"], true, "{online}");
    assert_eq!(online["matches_record"], true, "{online}");
    assert_eq!(online["key_id"], expected_key, "{online}");
    assert_eq!(online["key_retired"], retired, "{online}");
    let claims = printed_claims(&printed);
    assert_eq!(claim(&claims, "certificate"), online["number"]);
    assert_eq!(claim(&claims, "product"), online["product_code"]);
    assert_eq!(claim(&claims, "entity"), online["entity_code"]);
    assert_eq!(claim(&claims, "stars"), online["stars"].to_string());
    assert_eq!(
        claim(&claims, "issued"),
        iso_to_vn(online["issued_on"].as_str().unwrap())
    );
    assert_eq!(
        claim(&claims, "expires"),
        iso_to_vn(online["expires_on"].as_str().unwrap())
    );
    online
}

/// Checks that a text is refused both offline (exit 1, `FORGED: …`) and online (422 with
/// `code`).
fn refused(port: u16, text: &str, keys_file: &str, code: &str, reason: &str) {
    let offline = ocop(&["verify", text, "--keys", keys_file]);
    let message = stderr(&offline);
    assert_eq!(offline.status.code(), Some(1), "{message}");
    assert!(
        message.starts_with(&format!("ocop: FORGED: {reason}")),
        "{message}"
    );
    assert!(stdout(&offline).is_empty(), "{}", stdout(&offline));
    let online = must_get(
        port,
        &format!("/api/v1/verify?payload={}", encode(text)),
        &[],
    );
    assert_eq!(online.status, 422, "{}", online.body);
    assert_eq!(online.json()["error"]["code"], code, "{}", online.body);
}

/// The payload's base32 tail of a verification URL, with one character changed.
fn with_one_character_changed(url: &str, from_end: usize) -> String {
    let (base, payload) = url.rsplit_once("/v/").unwrap();
    let mut chars: Vec<char> = payload.chars().collect();
    let at = chars.len() - from_end;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    format!("{base}/v/{}", chars.into_iter().collect::<String>())
}

/// The URL with the claimed stars raised to five, its signature kept: what a forger would do.
fn with_more_stars(url: &str) -> String {
    let (base, payload) = url.rsplit_once("/v/").unwrap();
    let mut bytes = BASE32_NOPAD.decode(payload.as_bytes()).unwrap();
    bytes[8] = if bytes[8] == 5 { 4 } else { 5 };
    format!("{base}/v/{}", BASE32_NOPAD.encode(&bytes))
}

fn download_keys(port: u16, path: &str) -> Value {
    let response = must_get(port, "/.well-known/ocop-keys.json", &[]);
    assert_eq!(response.status, 200, "{}", response.body);
    std::fs::write(path, &response.body).unwrap();
    response.json()
}

#[tokio::test]
async fn verify_agrees_with_the_server_and_retired_keys_keep_verifying_after_a_rotation() {
    let test = TestDb::empty().await;
    let dir = TempDir::new("verify");
    let url = test.url();
    let secret = dir.file("ocop.secret");
    let server = Server::start(
        &[
            "--demo",
            "--db",
            url,
            "--secret-file",
            &secret,
            "--files",
            &dir.file("files"),
        ],
        dir.path().join("serve.log"),
        Duration::from_secs(180),
    );
    let port = server.port;

    // A machine's token for the provincial officer, then a real certificate's QR.
    let created = ocop(&[
        "token",
        "create",
        "--db",
        url,
        "--email",
        "tinh@demo.ocop.vn",
        "--name",
        "kiểm thử xác thực",
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    let token = stdout(&created)
        .lines()
        .find(|l| l.starts_with("ocop_"))
        .expect("a token line")
        .to_string();
    let bearer = format!("Bearer {token}");
    let auth = [("Authorization", bearer.as_str())];
    let list = must_get(port, "/api/v1/certificates", &auth);
    assert_eq!(list.status, 200, "{}", list.body);
    let list = list.json();
    let certificates = list.as_array().unwrap();
    assert_eq!(certificates.len(), 7, "the demo's certificates: {list}");
    assert!(
        certificates
            .iter()
            .all(|c| c.get("verification_url").is_none()),
        "the list carries no signed URL (signing is per certificate, on first use)"
    );
    let active: Vec<&Value> = certificates
        .iter()
        .filter(|c| c["status"] == "active")
        .collect();
    assert!(active.len() >= 2, "two active certificates: {list}");
    let detail = |id: &str| {
        let response = must_get(port, &format!("/api/v1/certificates/{id}"), &auth);
        assert_eq!(response.status, 200, "{}", response.body);
        response.json()
    };
    let first = detail(active[0]["id"].as_str().unwrap());
    let qr = first["verification_url"].as_str().unwrap().to_string();
    assert!(
        qr.starts_with(&format!("http://127.0.0.1:{port}/v/")),
        "{qr}"
    );

    let keys_before = dir.file("keys-before.json");
    let document = download_keys(port, &keys_before);
    assert_eq!(document["keys"].as_array().unwrap().len(), 1, "{document}");
    assert_eq!(document["keys"][0]["retired_on"], Value::Null);

    // Genuine offline, and the same claims as the server's answer and the record.
    let online = agree(port, &qr, &keys_before, 1, false);
    assert_eq!(online["number"], first["number"]);
    assert_eq!(online["stars"], first["stars"]);
    assert_eq!(online["issued_on"], first["issued_on"]);
    assert_eq!(online["expires_on"], first["expires_on"]);
    assert_eq!(online["product_code"], first["product_code"]);
    assert_eq!(online["status"], "active");
    let printed = stdout(&ocop(&["verify", &qr, "--keys", &keys_before]));
    assert!(
        printed.contains(&format!(
            "  certificate  {}",
            first["number"].as_str().unwrap()
        )),
        "{printed}"
    );
    // The payload alone works as well as the URL, and the database's keys as well as the file.
    let payload = qr.rsplit_once("/v/").unwrap().1.to_string();
    agree(port, &payload, &keys_before, 1, false);
    let from_db = ocop(&["verify", &qr, "--db", url]);
    assert_eq!(from_db.status.code(), Some(0), "{}", stderr(&from_db));
    assert_eq!(stdout(&from_db), printed);
    let page = must_get(port, &format!("/v/{payload}"), &[]);
    assert_eq!(page.status, 200);

    // One character changed, or the stars raised: forged, offline and online.
    for from_end in [20, 60] {
        let forged = with_one_character_changed(&qr, from_end);
        refused(
            port,
            &forged,
            &keys_before,
            "bad_signature",
            "the signature does not match",
        );
        let tail = forged.rsplit_once("/v/").unwrap().1;
        assert_eq!(must_get(port, &format!("/v/{tail}"), &[]).status, 422);
    }
    refused(
        port,
        &with_more_stars(&qr),
        &keys_before,
        "bad_signature",
        "the signature does not match",
    );
    // A QR read only in part (whole bytes missing), and text that is no payload at all.
    let bytes = BASE32_NOPAD.decode(payload.as_bytes()).unwrap();
    let cut = BASE32_NOPAD.encode(&bytes[..bytes.len() - 10]);
    refused(
        port,
        &cut,
        &keys_before,
        "truncated",
        "the payload is too short",
    );
    refused(
        port,
        "https://example.com/v/hello-world!",
        &keys_before,
        "not_base32",
        "the text is not a certificate payload",
    );

    // Rotate while the server runs: it notices (its copy of the keys follows
    // `meta.keys_revision`), the old QR still verifies, now under a retired key.
    let rotated = ocop(&["keys", "rotate", "--db", url, "--secret-file", &secret]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let keys_after = dir.file("keys-after.json");
    let document = download_keys(port, &keys_after);
    let keys = document["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{document}");
    assert_eq!(keys[0]["kid"], 1);
    assert_eq!(keys[0]["retired_on"], today().to_string());
    assert_eq!(keys[1]["kid"], 2);
    assert_eq!(keys[1]["retired_on"], Value::Null);
    let online = agree(port, &qr, &keys_after, 1, true);
    assert_eq!(online["number"], first["number"]);
    assert_eq!(online["status"], "active");
    let printed = stdout(&ocop(&["verify", &qr, "--keys", &keys_after]));
    assert!(
        printed.starts_with(
            "GENUINE: signed by the issuer's key 1 (retired since; still valid for what it signed)"
        ),
        "{printed}"
    );
    // The old document still verifies the old QR (it knows key 1, only not that it retired).
    let with_old = ocop(&["verify", &qr, "--keys", &keys_before]);
    assert_eq!(with_old.status.code(), Some(0), "{}", stderr(&with_old));
    assert!(
        stdout(&with_old).starts_with("GENUINE: signed by the issuer's key 1\n"),
        "{}",
        stdout(&with_old)
    );
    // Once signed, a payload stays as it was: the certificate keeps its QR.
    assert_eq!(
        detail(first["id"].as_str().unwrap())["verification_url"],
        qr.as_str()
    );

    // A certificate signed for the first time now is signed with key 2 by the running server:
    // genuine under the new document, an unknown key to a verifier holding the old one.
    let second = detail(active[1]["id"].as_str().unwrap());
    let new_qr = second["verification_url"].as_str().unwrap().to_string();
    agree(port, &new_qr, &keys_after, 2, false);
    let offline = ocop(&["verify", &new_qr, "--keys", &keys_before]);
    assert_eq!(offline.status.code(), Some(1), "{}", stderr(&offline));
    assert!(
        stderr(&offline).starts_with(
            "ocop: FORGED: the payload names key 2, which is not among the issuer's keys"
        ),
        "{}",
        stderr(&offline)
    );

    // A keys file that is not one is the operator's to fix: exit 2.
    let not_keys = dir.file("not-keys.json");
    std::fs::write(&not_keys, "{\"keys\": 3}").unwrap();
    let output = ocop(&["verify", &qr, "--keys", &not_keys]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is not a keys document"),
        "{}",
        stderr(&output)
    );

    let mut server = server;
    server.terminate();
    let exit = server.wait_exit(Duration::from_secs(15));
    assert!(exit.success(), "{exit}:\n{}", server.log_text());
}
