//! Time and randomness for stored records: milliseconds since the epoch, random ids and tokens.

use sha2::{Digest, Sha256};

/// Now, in milliseconds since the Unix epoch (UTC).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    // The operating system's generator; failing it is not recoverable.
    getrandom::fill(&mut buffer).expect("the operating system has no random numbers");
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

/// A record id: 128 random bits, 32 hex digits.
pub fn new_id() -> String {
    random_hex(16)
}

/// A secret token (session cookie, API token, CSRF): 256 random bits, 64 hex digits.
pub fn new_token() -> String {
    random_hex(32)
}

/// What is stored of a secret token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Today in Vietnam (UTC+7): the day certificates expire and notices fall due on.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}
