//! Validators for every successful `GET`: an `ETag` from the body's digest, `304 Not Modified`
//! when the client has it already, and a `Cache-Control` that makes caches ask again each time
//! (`no-cache`), so that a revoked certificate is never shown from a cache as valid; pages of a
//! signed-in person are `private`. Responses that set their own `Cache-Control` (assets, files
//! named by their content) keep it.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Bodies larger than this are passed through without a digest (none is, today).
const MAX_DIGESTED_BYTES: usize = 64 << 20;

pub async fn validators(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let signed_in = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|cookies| cookies.contains(super::auth::SESSION_COOKIE))
        || request.headers().contains_key(header::AUTHORIZATION);
    let asked: Option<String> = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::ETAG) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_DIGESTED_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!(
        "W/\"{}\"",
        data_encoding::BASE64URL_NOPAD.encode(&digest[..16])
    );
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        let policy = if signed_in {
            "private, no-cache"
        } else {
            "public, no-cache"
        };
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    // What a page says depends on the language and session cookies.
    parts
        .headers
        .entry(header::VARY)
        .or_insert(HeaderValue::from_static("Cookie"));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, value);
    }
    let matches = asked.is_some_and(|asked| {
        asked
            .split(',')
            .any(|candidate| candidate.trim() == tag || candidate.trim() == "*")
    });
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}
