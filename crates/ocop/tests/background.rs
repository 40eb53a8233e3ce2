//! Background work on several servers: two `ocop serve` on one database, each running the
//! worker every second and sending e-mail to a real SMTP listener on 127.0.0.1 (written here:
//! enough SMTP for lettre, several connections at once). Every notice must arrive exactly once,
//! to its account's address, including those made while both servers run and one whose first
//! delivery the listener refused with a 451 (retried after the queue's back-off).
//!
//! On PostgreSQL (`OCOP_TEST_DATABASE_URL`) this is the scale-out set-up: the claim skips rows
//! another server holds (`FOR UPDATE SKIP LOCKED`). Without it the same test runs on one shared
//! SQLite file: two servers on one file are a set-up people do run (a second process started by
//! mistake, a rolling restart), SQLite serialises the writers, and they must not double-send
//! either.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use data_encoding::BASE64;

use ocop_domain::access::Scope;
use ocop_domain::certificates::lifecycle;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::clock::today;
use ocop_store::testing::TestDb;
use ocop_store::{Db, jobs, notices};

use support::{Server, TempDir, ocop, post_json, stderr, stdout};

// --- a small SMTP server -----------------------------------------------------------------------

/// A message the listener accepted.
#[derive(Debug, Clone)]
struct Mail {
    message_id: String,
    mail_from: String,
    recipients: Vec<String>,
    headers: Vec<(String, String)>,
    /// The decoded text body.
    body: String,
}

#[derive(Default)]
struct Mailbox {
    accepted: Vec<Mail>,
    /// Message-IDs whose delivery was refused with a 451.
    refused: Vec<String>,
    /// How many more first deliveries to refuse.
    refuse: usize,
    connections: usize,
    open: usize,
    most_open: usize,
}

struct SmtpServer {
    port: u16,
    mailbox: Arc<Mutex<Mailbox>>,
}

impl SmtpServer {
    /// Listens on 127.0.0.1:<free port>; refuses the first `refuse` deliveries with a 451 and
    /// answers each message after `delay` (so that both servers' workers are busy at once).
    fn start(refuse: usize, delay: Duration) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mailbox = Arc::new(Mutex::new(Mailbox {
            refuse,
            ..Mailbox::default()
        }));
        let shared = mailbox.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mailbox = shared.clone();
                std::thread::spawn(move || {
                    {
                        let mut m = mailbox.lock().unwrap();
                        m.connections += 1;
                        m.open += 1;
                        m.most_open = m.most_open.max(m.open);
                    }
                    let _ = session(stream, &mailbox, delay);
                    mailbox.lock().unwrap().open -= 1;
                });
            }
        });
        SmtpServer { port, mailbox }
    }

    fn accepted(&self) -> Vec<Mail> {
        self.mailbox.lock().unwrap().accepted.clone()
    }

    fn refused(&self) -> Vec<String> {
        self.mailbox.lock().unwrap().refused.clone()
    }
}

/// `<x@y>` or `x@y` in `MAIL FROM:<x@y> SIZE=…` → `x@y`
fn address(argument: &str) -> String {
    let argument = argument.trim();
    match (argument.find('<'), argument.find('>')) {
        (Some(open), Some(close)) if open < close => argument[open + 1..close].to_string(),
        _ => argument
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// One SMTP conversation (RFC 5321, the part a client without STARTTLS or AUTH uses).
fn session(stream: TcpStream, mailbox: &Mutex<Mailbox>, delay: Duration) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 ocop-test ESMTP ready\r\n")?;
    let mut mail_from = String::new();
    let mut recipients: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-ocop-test greets you\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")?;
        } else if upper.starts_with("HELO") {
            out.write_all(b"250 ocop-test\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            mail_from = address(&command[10..]);
            recipients.clear();
            out.write_all(b"250 2.1.0 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            recipients.push(address(&command[8..]));
            out.write_all(b"250 2.1.5 OK\r\n")?;
        } else if upper == "DATA" {
            if recipients.is_empty() {
                out.write_all(b"503 5.5.1 RCPT first\r\n")?;
                continue;
            }
            out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = Vec::new();
            loop {
                let mut raw = Vec::new();
                if reader.read_until(b'\n', &mut raw)? == 0 {
                    return Ok(());
                }
                if raw == b".\r\n" || raw == b".\n" {
                    break;
                }
                // Dot-stuffing: a line that starts with "." was sent with one more.
                let raw = if raw.starts_with(b"..") {
                    &raw[1..]
                } else {
                    &raw[..]
                };
                data.extend_from_slice(raw);
            }
            std::thread::sleep(delay);
            let mail = parse_message(&data, &mail_from, &recipients);
            let refuse = {
                let mut m = mailbox.lock().unwrap();
                if m.refuse > 0 {
                    m.refuse -= 1;
                    m.refused.push(mail.message_id.clone());
                    true
                } else {
                    m.accepted.push(mail);
                    false
                }
            };
            if refuse {
                out.write_all(b"451 4.3.0 Mailbox busy, try again later\r\n")?;
            } else {
                out.write_all(b"250 2.0.0 OK queued\r\n")?;
            }
            recipients.clear();
        } else if upper == "RSET" {
            recipients.clear();
            out.write_all(b"250 2.0.0 OK\r\n")?;
        } else if upper == "NOOP" {
            out.write_all(b"250 2.0.0 OK\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 2.0.0 Bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 5.5.2 Command not recognised\r\n")?;
        }
    }
}

/// Headers (unfolded) and the decoded body of a message.
fn parse_message(data: &[u8], mail_from: &str, recipients: &[String]) -> Mail {
    let text = String::from_utf8_lossy(data).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let body = match header("Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8_lossy(&BASE64.decode(compact.as_bytes()).unwrap_or_default())
                .into_owned()
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_string(),
    };
    Mail {
        message_id: header("Message-ID"),
        mail_from: mail_from.to_string(),
        recipients: recipients.to_vec(),
        headers,
        body,
    }
}

fn quoted_printable(text: &str) -> String {
    let text = text.replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// --- the database's side -------------------------------------------------------------------------

/// Every notice: id → (the account's e-mail, the notice's link).
async fn notices_by_id(db: &Db) -> BTreeMap<String, (String, String)> {
    let rows: Vec<(String, String, String)> = ocop_store::on_db!(db, |pool| sqlx::query_as(
        "SELECT n.id, u.email, n.link FROM notices n JOIN users u ON u.id = n.account_id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    rows.into_iter()
        .map(|(id, email, link)| (id, (email, link)))
        .collect()
}

/// Done e-mail jobs per worker (`<pid>:<random>`), and the attempts each job took.
async fn email_jobs(db: &Db) -> (BTreeMap<String, usize>, BTreeMap<String, i64>) {
    let rows: Vec<(String, Option<String>, i64)> = ocop_store::on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT payload, locked_by, attempts FROM jobs WHERE kind = 'email' AND done_at IS NOT NULL"
    )
    .fetch_all(pool)
    .await
    })
    .unwrap();
    let mut by_worker = BTreeMap::new();
    let mut attempts = BTreeMap::new();
    for (payload, worker, tries) in rows {
        *by_worker.entry(worker.unwrap_or_default()).or_insert(0) += 1;
        let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
        attempts.insert(payload["notice_id"].as_str().unwrap().to_string(), tries);
    }
    (by_worker, attempts)
}

/// Days after today on which some certificate reaches a lifecycle milestone (window opens,
/// window closing, expires soon, expired), as the version in force then schedules them.
async fn milestone_days(db: &Db, after: NaiveDate) -> Vec<NaiveDate> {
    let catalog = Catalog::load(&bundled_sources()).expect("the shipped criteria load");
    let certificates = ocop_store::certificates::list(db, &Scope::National, "")
        .await
        .unwrap();
    let mut days = BTreeSet::new();
    for certificate in &certificates {
        let Some(version) = catalog.in_force_on(certificate.timeline.expires_on) else {
            continue;
        };
        for (_, day) in lifecycle::schedule(&certificate.timeline, &version.procedure) {
            if day > after {
                days.insert(day);
            }
        }
    }
    days.into_iter().collect()
}

async fn wait_for<T: std::fmt::Debug, F: std::future::Future<Output = (bool, T)>>(
    within: Duration,
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let start = Instant::now();
    loop {
        let (done, state) = check().await;
        if done {
            return state;
        }
        assert!(
            start.elapsed() < within,
            "{what}: not reached within {within:?}; last state: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// --- the test ------------------------------------------------------------------------------------

const PUBLIC_URL: &str = "https://ocop.dongnai.example.vn";
const MAIL_FROM: &str = "ocop@dongnai.example.vn";
/// The worker's kind of job for the daily sweep (`SWEEP_JOB` in the binary's `worker.rs`).
const SWEEP_JOB: &str = "sweep";
/// Provincial officers added while the servers run.
const OFFICERS: usize = 8;

#[tokio::test]
async fn two_servers_on_one_database_send_every_notice_exactly_once() {
    let started = Instant::now();
    let test = TestDb::empty().await;
    let backend = match test.kind() {
        ocop_store::DbKind::Postgres => "PostgreSQL",
        ocop_store::DbKind::Sqlite => "SQLite (one shared file)",
    };
    let db = &test.db;
    let dir = TempDir::new("background");
    let url = test.url();
    let secret = dir.file("ocop.secret");
    let files = dir.file("files");

    // The demo (its sweep already put lifecycle notices in inboxes and their e-mails in the
    // queue), and the installation's key.
    let demo = ocop(&["demo", "--db", url, "--files", &files]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let keys = ocop(&["keys", "generate", "--db", url, "--secret-file", &secret]);
    assert!(keys.status.success(), "{}", stderr(&keys));
    let at_start = notices_by_id(db).await.len();
    assert!(at_start > 0, "the demo made no notices");
    assert_eq!(
        jobs::counts(db, notices::EMAIL_JOB).await.unwrap(),
        (at_start as i64, 0, 0),
        "one e-mail job per notice, none sent yet"
    );

    // A listener that refuses the first delivery it is offered.
    let smtp = SmtpServer::start(1, Duration::from_millis(40));
    let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port);
    let from = format!("OCOP Đồng Nai <{MAIL_FROM}>");
    let args = [
        "--db",
        url,
        "--secret-file",
        secret.as_str(),
        "--files",
        files.as_str(),
        "--smtp",
        smtp_url.as_str(),
        "--mail-from",
        from.as_str(),
        "--public-url",
        PUBLIC_URL,
        "--worker-interval",
        "1",
    ];
    // Both at once, so that their workers race for the demo's queue from the start.
    let mut first = Server::spawn(&args, dir.path().join("first.log"));
    let mut second = Server::spawn(&args, dir.path().join("second.log"));
    first.wait_ready(Duration::from_secs(60));
    second.wait_ready(Duration::from_secs(60));
    let both_ready = started.elapsed();

    // Every notice offered once: all delivered but the one refused.
    wait_for(
        Duration::from_secs(60),
        "the demo's notices offered to the SMTP listener",
        || async {
            let (accepted, refused) = (smtp.accepted().len(), smtp.refused().len());
            (
                accepted + refused >= at_start,
                (accepted, refused, at_start),
            )
        },
    )
    .await;
    let refused = smtp.refused();
    assert_eq!(refused.len(), 1, "{refused:?}");

    // More notices while both run, in bursts both workers race for: more provincial officers
    // of Đồng Nai (each is told of every certificate of the province), a revocation through the
    // first server's API, and sweeps on the days milestones fall due (as the worker's daily
    // sweep would make them on those days).
    for n in 1..=OFFICERS {
        let added = std::process::Command::new(env!("CARGO_BIN_EXE_ocop"))
            .args([
                "user",
                "add",
                "--db",
                url,
                "--role",
                "provincial_officer",
                "--unit",
                "75",
                "--email",
                &format!("can-bo-{n}@dongnai.example.vn"),
                "--name",
                &format!("Cán bộ Sở Công Thương {n}"),
            ])
            .env("OCOP_LOG", "warn")
            .env("OCOP_PASSWORD", "một mật khẩu đủ dài")
            .output()
            .unwrap();
        assert!(added.status.success(), "{}", stderr(&added));
    }
    let token = ocop(&[
        "token",
        "create",
        "--db",
        url,
        "--email",
        "tinh@demo.ocop.vn",
        "--name",
        "background test",
    ]);
    assert!(token.status.success(), "{}", stderr(&token));
    let token = stdout(&token)
        .lines()
        .find(|l| l.starts_with("ocop_"))
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {token}");
    let active = ocop_store::certificates::list(db, &Scope::National, "")
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.timeline.revoked_on.is_none() && c.superseded_by.is_none())
        .filter(|c| c.timeline.expires_on > today())
        // The province revokes up to four stars (five: the ministry).
        .filter(|c| c.stars < 5)
        .max_by_key(|c| c.timeline.expires_on)
        .expect("an active certificate");
    let day = today().to_string();
    let revoked = post_json(
        first.port,
        &format!("/api/v1/certificates/{}/revocation", active.id),
        &[("Authorization", &bearer)],
        &serde_json::json!({
            "ground": "dd",
            "found_on": day,
            "finding_ref": "Biên bản kiểm tra số 7/BB-KT",
            "decision_number": "3001/QĐ-UBND",
            "decided_on": day,
            "signer": "Võ Tấn Đức, Phó Chủ tịch UBND tỉnh",
        })
        .to_string(),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.json()["status"], "revoked", "{}", revoked.body);
    let after_revocation = notices_by_id(db).await.len();
    assert!(
        after_revocation > at_start,
        "a revocation tells the producer and officers"
    );
    let days = milestone_days(db, today()).await;
    assert!(days.len() >= 3, "{days:?}");
    for day in &days {
        let swept = ocop(&[
            "certificates",
            "sweep",
            "--db",
            url,
            "--today",
            &day.to_string(),
        ]);
        assert!(swept.status.success(), "{}", stderr(&swept));
    }
    let expected = notices_by_id(db).await;
    assert!(
        expected.len() > after_revocation,
        "the later sweeps made notices"
    );

    // Everything is delivered: the queue is empty and the listener has one message per notice.
    let delivered = wait_for(
        Duration::from_secs(90),
        "every notice's e-mail delivered and the queue empty",
        || async {
            let counts = jobs::counts(db, notices::EMAIL_JOB).await.unwrap();
            let accepted = smtp.accepted().len();
            (
                counts.0 == 0 && accepted >= expected.len(),
                (counts, accepted, expected.len()),
            )
        },
    )
    .await;
    let all_sent = started.elapsed();
    // A few more ticks of both workers: nothing is sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let accepted = smtp.accepted();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for mail in &accepted {
        let id = mail
            .message_id
            .strip_prefix('<')
            .and_then(|id| id.strip_suffix("@ocop>"))
            .unwrap_or_else(|| panic!("Message-ID {:?} is not <notice@ocop>", mail.message_id));
        *seen.entry(id.to_string()).or_insert(0) += 1;
        let (email, link) = expected
            .get(id)
            .unwrap_or_else(|| panic!("an e-mail for no notice: {}", mail.message_id));
        assert_eq!(mail.recipients, vec![email.clone()], "{}", mail.message_id);
        assert_eq!(mail.mail_from, MAIL_FROM);
        let header = |name: &str| {
            mail.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        assert!(header("To").contains(email.as_str()), "{:?}", mail.headers);
        assert!(header("From").contains(MAIL_FROM), "{:?}", mail.headers);
        assert!(!header("Subject").is_empty(), "{:?}", mail.headers);
        assert!(
            mail.body.contains(&format!("{PUBLIC_URL}{link}")),
            "the e-mail links to the notice's page: {}",
            mail.body
        );
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{} of {} notices e-mailed more than once, e.g. (notice, times): {:?}",
        twice.len(),
        expected.len(),
        &twice[..twice.len().min(5)]
    );
    let missing: Vec<_> = expected
        .keys()
        .filter(|id| !seen.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} notices never e-mailed, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(accepted.len(), expected.len());
    assert_eq!(
        jobs::counts(db, notices::EMAIL_JOB).await.unwrap(),
        (0, expected.len() as i64, 0)
    );

    // The refused delivery was retried (second attempt) and arrived once.
    let (by_worker, attempts) = email_jobs(db).await;
    let refused_id = refused[0]
        .strip_prefix('<')
        .and_then(|id| id.strip_suffix("@ocop>"))
        .unwrap();
    assert_eq!(seen.get(refused_id), Some(&1));
    assert_eq!(
        attempts.get(refused_id),
        Some(&2),
        "refused once, then sent"
    );
    assert!(
        attempts
            .iter()
            .all(|(id, tries)| *tries == 1 || id == refused_id),
        "{attempts:?}"
    );
    // Both servers did part of the work.
    let pids = [first.child.id(), second.child.id()];
    let per_server: Vec<usize> = pids
        .iter()
        .map(|pid| {
            by_worker
                .iter()
                .filter(|(worker, _)| worker.starts_with(&format!("{pid}:")))
                .map(|(_, n)| n)
                .sum()
        })
        .collect();
    assert_eq!(
        per_server.iter().sum::<usize>(),
        expected.len(),
        "{by_worker:?}"
    );
    assert!(
        per_server.iter().all(|n| *n > 0),
        "each server sent some of the e-mails: {per_server:?}"
    );

    // The day's sweep was queued by both (one job per day) and run by one of them. (A test
    // that runs across midnight in Vietnam sees two days, each swept once.)
    let (waiting, done, failed) = jobs::counts(db, SWEEP_JOB).await.unwrap();
    assert_eq!((waiting, failed), (0, 0));
    assert!((1..=2).contains(&done), "{done} sweep jobs");
    let sweeps: usize = [&first, &second]
        .iter()
        .map(|s| s.log_text().matches("certificates swept").count())
        .sum();
    assert_eq!(
        sweeps as i64, done,
        "each day's sweep ran on one server, once"
    );

    // Both stop cleanly on SIGTERM.
    first.terminate();
    second.terminate();
    for server in [&mut first, &mut second] {
        let exit = server.wait_exit(Duration::from_secs(20));
        assert!(exit.success(), "{exit}:\n{}", server.log_text());
        let log = server.log_text();
        assert!(!log.contains("panicked"), "{log}");
    }
    let (connections, most_open) = {
        let m = smtp.mailbox.lock().unwrap();
        (m.connections, m.most_open)
    };
    println!(
        "{backend}: {} notices ({at_start} from the demo, {} from a revocation, {} from sweeps on \
         {} days), {} e-mails delivered once each ({} refused once with 451 and retried); sent by \
         the two servers {per_server:?}; {connections} SMTP connections, at most {most_open} at \
         once; both servers ready after {:.1} s, all delivered after {:.1} s (last state \
         {delivered:?}), test {:.1} s",
        expected.len(),
        after_revocation - at_start,
        expected.len() - after_revocation,
        days.len(),
        accepted.len(),
        refused.len(),
        both_ready.as_secs_f64(),
        all_sent.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
