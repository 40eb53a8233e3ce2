//! Abuse at the door of a real `ocop serve`: a flood of public requests from one address is
//! answered 429 with Retry-After (another address, named by the trusted proxy, is not held back),
//! and a client that sends half a request and then nothing loses its connection.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ocop_store::testing::TestDb;
use support::{TempDir, get, keyed_server};

#[tokio::test]
async fn floods_are_limited_per_address_and_slow_clients_are_cut_off() {
    let test = TestDb::migrated().await;
    let url = test.url().to_string();
    let dir = TempDir::new("abuse");
    // 60 a minute: a burst of 15, then one a second.
    let server = keyed_server(&url, &dir, &["--public-rate-limit", "60"]);
    let port = server.port;

    let flood = Instant::now();
    let statuses: Vec<u16> = (0..30)
        .map(|_| {
            get(port, "/api/v1/catalogue?q=mat+ong", &[])
                .unwrap()
                .status
        })
        .collect();
    // The burst of 15 and the one due now, plus one a second while the flood lasted.
    let allowed = 16 + flood.elapsed().as_secs() as usize;
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        (16..=allowed).contains(&served) && statuses.contains(&429),
        "the burst is served, the rest refused: {statuses:?}"
    );
    let refused = get(port, "/api/v1/catalogue?q=mat+ong", &[]).unwrap();
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "rate_limited");
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    // Pages say it in words.
    let page = get(port, "/catalogue", &[]).unwrap();
    assert_eq!(page.status, 429);
    assert!(page.body.contains("quá nhiều yêu cầu"), "{}", page.body);
    // An official's work is not the public's flood.
    assert_eq!(get(port, "/login", &[]).unwrap().status, 200);
    // Another client behind the trusted proxy (loopback) has its own allowance; the address a
    // client writes first in the header does not choose its bucket.
    let behind = [("X-Forwarded-For", "198.51.100.7, 203.0.113.5")];
    assert_eq!(
        get(port, "/api/v1/catalogue", &behind).unwrap().status,
        200,
        "203.0.113.5 is someone else"
    );
    // After the wait, the first address is served again.
    std::thread::sleep(Duration::from_secs(wait));
    assert_eq!(
        get(port, "/api/v1/catalogue?q=mat+ong", &[])
            .unwrap()
            .status,
        200
    );

    // Half a request, then silence: the server closes the connection after its head timeout
    // (10 s), and serves others meanwhile.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    assert_eq!(get(port, "/healthz", &[]).unwrap().status, 200);
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    let held = started.elapsed();
    assert!(
        held >= Duration::from_secs(9) && held < Duration::from_secs(20),
        "cut off after {held:?}"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}
