//! Static assets, compiled into the binary and served by ocop itself (the system must run in a
//! closed network: no CDN). Each URL carries a digest of the content, so browsers may cache it
//! for a year and still see a new version at once.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/app.css"),
    },
    Asset {
        name: "rounds.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/rounds.js"),
    },
    Asset {
        name: "import.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/import.js"),
    },
    Asset {
        name: "verify.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/verify.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../assets/favicon.svg"),
    },
];

/// `app.css` → `app.3f2a9c1b.css`
static FINGERPRINTED: LazyLock<Vec<(String, &'static Asset)>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
            let (stem, extension) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
            (format!("{stem}.{short}.{extension}"), asset)
        })
        .collect()
});

/// The URL path of an asset by its plain name, e.g. `asset_url("app.css")`.
pub fn asset_url(name: &str) -> String {
    FINGERPRINTED
        .iter()
        .find(|(_, asset)| asset.name == name)
        .map(|(fingerprinted, _)| format!("/assets/{fingerprinted}"))
        .unwrap_or_else(|| format!("/assets/{name}"))
}

pub async fn serve_asset(Path(file): Path<String>) -> Response {
    let Some((_, asset)) = FINGERPRINTED.iter().find(|(name, _)| *name == file) else {
        return super::error::AppError::NotFound {
            code: "asset_not_found",
            what: "asset",
            key: file,
        }
        .into_response();
    };
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.body,
    )
        .into_response()
}

/// The offline verifier's service worker, at `/sw.js`: a fixed address (a worker's scope is its
/// directory), asked for again on every visit so that a new version takes over at once.
pub async fn service_worker() -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_bytes!("../../assets/sw.js").as_slice(),
    )
        .into_response()
}
