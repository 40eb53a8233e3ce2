//! What one client may ask of a server: requests per minute per client address on the public
//! API, search and verification, answered 429 with `Retry-After` beyond it.
//!
//! A client's address is the connection's, or — when the connection comes from a trusted
//! proxy (nginx; loopback by default) — the last address in `X-Forwarded-For` that is not a
//! trusted proxy. The count is the generic cell rate algorithm (one instant per address: when
//! its next request is due), kept per server: behind a load balancer of N servers an address
//! gets up to N times the rate, and the shipped nginx configuration limits the same paths for
//! the whole cluster (docs/operations.md).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request};

/// The paths limited: everything the public reaches without an account that costs a search or
/// a signature check.
const LIMITED: &[&str] = &[
    "/api/v1/catalogue",
    "/api/v1/verify",
    "/api/v1/units",
    "/catalogue",
    "/v/",
    "/01/",
    "/units",
    "/opendata",
];

/// At most this many addresses are remembered; past it, those whose allowance is whole again
/// are forgotten.
const MAX_ADDRESSES: usize = 100_000;

#[derive(Debug)]
pub struct RateLimit {
    /// Time between requests at the steady rate; `None`: no limit.
    interval: Option<Duration>,
    /// How far ahead of the steady rate an address may run (the burst).
    tolerance: Duration,
    trusted_proxies: Vec<IpAddr>,
    /// Per address, when its next request is due at the steady rate.
    due: Mutex<HashMap<IpAddr, Instant>>,
}

impl Default for RateLimit {
    /// No limit (tests, benchmarks); `ocop serve` sets one.
    fn default() -> RateLimit {
        RateLimit::new(0, Vec::new())
    }
}

impl RateLimit {
    /// `per_minute` requests per minute per address (0: no limit), with a burst of a quarter of
    /// a minute's allowance; `trusted_proxies` may say who the client is.
    pub fn new(per_minute: u32, trusted_proxies: Vec<IpAddr>) -> RateLimit {
        let interval = (per_minute > 0).then(|| Duration::from_secs(60) / per_minute);
        let burst = (per_minute / 4).max(10);
        RateLimit {
            interval,
            tolerance: interval.unwrap_or_default() * burst,
            trusted_proxies,
            due: Mutex::default(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.interval.is_some()
    }

    /// Whether `path` is limited.
    pub fn limits(path: &str) -> bool {
        LIMITED.iter().any(|prefix| path.starts_with(prefix))
    }

    /// The client's address, as far as the connection and trusted proxies tell.
    pub fn client<B>(&self, request: &Request<B>) -> Option<IpAddr> {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()?
            .0
            .ip();
        Some(self.client_behind(peer, request.headers()))
    }

    fn client_behind(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .rev()
            .find(|address| !self.trusted_proxies.contains(address))
            .unwrap_or(peer)
    }

    /// Counts a request of `client` at `now`: `Ok` to serve it, `Err(wait)` to refuse it until
    /// `wait` has passed.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let Some(interval) = self.interval else {
            return Ok(());
        };
        let mut due = self.due.lock().expect("not poisoned");
        if due.len() >= MAX_ADDRESSES {
            due.retain(|_, next| *next > now);
        }
        let next = due.get(&client).copied().unwrap_or(now).max(now);
        let ahead = next - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        due.insert(client, next + interval);
        Ok(())
    }
}

/// The middleware: a limited path over its address's allowance is answered 429 with
/// `Retry-After`, as JSON under `/api/` and as a page elsewhere.
pub async fn enforce(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::extract::FromRequestParts as _;
    use axum::response::IntoResponse as _;
    let limit = &state.rate_limit;
    if !limit.is_on() || !RateLimit::limits(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(client) = limit.client(&request) else {
        return next.run(request).await;
    };
    let Err(wait) = limit.check(client, Instant::now()) else {
        return next.run(request).await;
    };
    let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
    tracing::warn!(%client, path = request.uri().path(), retry_after, "rate limited");
    let error = super::error::AppError::RateLimited { retry_after };
    let api = request.uri().path().starts_with("/api/");
    let (mut parts, _) = request.into_parts();
    let mut response = if api {
        error.into_response()
    } else {
        let lang = super::i18n::Lang::from_request_parts(&mut parts, &state)
            .await
            .unwrap_or_default();
        super::error::PageError::new(error, lang).into_response()
    };
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(retry_after),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_burst_then_the_steady_rate_then_a_wait_that_is_said() {
        // 60 a minute: one a second, a burst of 15.
        let limit = RateLimit::new(60, Vec::new());
        let start = Instant::now();
        let client = address("203.0.113.9");
        let served = (0..40)
            .filter(|_| limit.check(client, start).is_ok())
            .count();
        assert_eq!(served, 16, "the burst and the one due now");
        let wait = limit.check(client, start).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // Another address has its own allowance.
        assert!(limit.check(address("203.0.113.10"), start).is_ok());
        // After the wait, one more; a second later, one more again.
        assert!(limit.check(client, start + wait).is_ok());
        assert!(limit.check(client, start + wait).is_err());
        assert!(
            limit
                .check(client, start + wait + Duration::from_secs(1))
                .is_ok()
        );
        // Off: everything is served.
        let off = RateLimit::default();
        assert!((0..10_000).all(|_| off.check(client, start).is_ok()));
    }

    #[test]
    fn the_client_behind_a_trusted_proxy_is_the_last_untrusted_forwarded_address() {
        let limit = RateLimit::new(60, vec![address("127.0.0.1")]);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "198.51.100.1, 203.0.113.9, 127.0.0.1".parse().unwrap(),
        );
        // A forged first entry does not help: the proxy appended the real address.
        assert_eq!(
            limit.client_behind(address("127.0.0.1"), &headers),
            address("203.0.113.9")
        );
        // Anyone else's header is not believed.
        assert_eq!(
            limit.client_behind(address("192.0.2.7"), &headers),
            address("192.0.2.7")
        );
        // A trusted proxy without the header: the proxy itself.
        assert_eq!(
            limit.client_behind(address("127.0.0.1"), &HeaderMap::new()),
            address("127.0.0.1")
        );
    }

    #[test]
    fn the_public_paths_are_limited_and_officials_work_is_not() {
        for path in [
            "/api/v1/catalogue",
            "/catalogue?q=mật ong",
            "/v/ABC",
            "/api/v1/verify",
        ] {
            assert!(RateLimit::limits(path), "{path}");
        }
        for path in ["/login", "/dossiers/1", "/api/v1/products", "/readyz", "/"] {
            assert!(!RateLimit::limits(path), "{path}");
        }
    }
}
