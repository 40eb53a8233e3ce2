//! Verification for everyone: the page a phone camera opens from a certificate's QR
//! (`/v/{payload}`), the same answer as JSON (`/api/v1/verify`), and the issuer's public keys
//! (`/.well-known/ocop-keys.json`) that an offline verifier (`ocop verify --keys`) checks with.
//!
//! A payload is genuine when its signature holds under one of the issuer's keys, retired ones
//! included; it is then compared with the live record, whose status today (revoked, expired,
//! superseded) is what the holder of the package must know.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Serialize};

use ocop_domain::certificates::Status;
use ocop_domain::certificates::payload::{Claims, Verified};
use ocop_store::certificates::Certificate;
use ocop_store::certificates::published::PublishedCertificate;
use ocop_store::clock::today;

use super::{key_error, rules, status_label};
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{ApiPath, ApiQuery, AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, render};

/// What a scanned payload proves.
pub struct Verdict {
    pub verified: Verified,
    /// The live record of the certificate it names.
    pub record: Option<Arc<PublishedCertificate>>,
    /// The record says what the payload claims.
    pub matches: bool,
    pub status: Option<Status>,
}

/// Checks a scanned text: a forged, truncated or unknown-key payload is a 422 with its code.
pub async fn verdict(state: &AppState, text: &str) -> Result<Verdict, AppError> {
    let verified = state
        .signing
        .verify(&state.db, text)
        .await
        .map_err(key_error)?
        .map_err(|error| AppError::Unprocessable {
            code: error.code(),
            message: error.to_string(),
            details: Vec::new(),
        })?;
    let record = state
        .published
        .by_number(
            &state.read_db,
            &state.read_revisions,
            &verified.claims.number.to_string(),
        )
        .await?;
    let matches = record
        .as_ref()
        .and_then(|r| r.certificate.claims().ok())
        .is_some_and(|claims| claims == verified.claims);
    let status = record
        .as_ref()
        .map(|r| r.certificate.status(&rules(state), today()));
    Ok(Verdict {
        verified,
        record,
        matches,
        status,
    })
}

#[derive(Template)]
#[template(path = "certificates/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    /// genuine, altered (genuine but not as recorded) or forged
    outcome: &'static str,
    /// Genuine and in force today: the product may carry the mark.
    valid: bool,
    headline: String,
    reason: Option<String>,
    facts: Vec<(String, String)>,
    status_code: &'static str,
    status: String,
    /// The certificate's PDF, for a genuine payload the register knows.
    pdf: Option<String>,
    /// A sign beside the words, so that colour is never the only cue.
    icon: &'static str,
    /// The product's first photo and its public page.
    photo: Option<String>,
    product_href: Option<String>,
}

/// The sign shown with a status.
fn icon_of(valid: bool, status: Option<Status>) -> &'static str {
    match (valid, status) {
        (true, _) => "✔",
        (false, Some(Status::Expired)) => "⌛",
        (false, Some(Status::Superseded)) => "↻",
        _ => "✘",
    }
}

/// The product's photo and public page (the portal's addresses).
fn product_links(record: &PublishedCertificate) -> (Option<String>, Option<String>) {
    let page = format!("/catalogue/products/{}", record.certificate.product_code);
    let photo = record
        .photo
        .as_ref()
        .map(|sha| format!("{page}/photos/{sha}"));
    (photo, Some(page))
}

/// `GET /v/{number}`: the register's answer for a certificate number typed or printed.
async fn number_page(
    state: &AppState,
    viewer: &Viewer,
    number: &str,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let chrome = Chrome::new(viewer, "verify");
    let published = state
        .published
        .by_number(&state.read_db, &state.read_revisions, number)
        .await
        .map_err(page_error(lang))?;
    let Some(published) = published else {
        let page = VerifyPage {
            chrome,
            outcome: "unknown",
            valid: false,
            headline: lang.t("certificates-verify-unknown-number"),
            reason: None,
            facts: vec![(lang.t("certificates-number"), number.to_string())],
            status_code: "none",
            status: String::new(),
            pdf: None,
            icon: "✘",
            photo: None,
            product_href: None,
        };
        return Ok((StatusCode::NOT_FOUND, render(&page, lang)?).into_response());
    };
    let record = &published.certificate;
    let status = record.status(&rules(state), today());
    let valid = status.is_valid();
    let words = status_label(status, lang);
    let headline = if valid {
        lang.t("certificates-verify-number-valid")
    } else {
        lang.t_with(
            "certificates-verify-number-not-valid",
            &[("status", words.clone().into())],
        )
    };
    let claims = record
        .claims()
        .map_err(|_| page_error(lang)(AppError::Internal))?;
    let (photo, product_href) = product_links(&published);
    let mut facts = claim_facts(&claims, Some(record), lang);
    if let Some(successor) = &record.superseded_by {
        facts.push((lang.t("certificates-superseded-by"), successor.clone()));
    }
    let page = VerifyPage {
        chrome,
        outcome: "register",
        valid,
        headline,
        reason: None,
        facts,
        status_code: status.code(),
        status: words,
        pdf: None,
        icon: icon_of(valid, Some(status)),
        photo,
        product_href,
    };
    Ok(render(&page, lang)?.into_response())
}

fn claim_facts(claims: &Claims, record: Option<&Certificate>, lang: Lang) -> Vec<(String, String)> {
    let mut facts = vec![(lang.t("certificates-number"), claims.number.to_string())];
    if let Some(record) = record {
        facts.push((lang.t("certificates-product"), record.product_name.clone()));
        facts.push((lang.t("certificates-entity"), record.entity_name.clone()));
    }
    facts.extend([
        (
            lang.t("certificates-product-code"),
            claims.product_code.clone(),
        ),
        (
            lang.t("certificates-entity-code"),
            claims.entity_code.clone(),
        ),
        (lang.t("certificates-stars"), format!("{} ★", claims.stars)),
        (
            lang.t("certificates-issued-on"),
            format::date(claims.issued_on),
        ),
        (
            lang.t("certificates-expires-on"),
            format::date(claims.expires_on),
        ),
    ]);
    facts
}

/// `GET /v/{payload}`: the page a phone opens from the QR; `GET /v/{number}`: the same
/// question asked with a certificate's number.
pub async fn verify_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(text): ApiPath<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    if text
        .parse::<ocop_domain::certificates::CertificateNumber>()
        .is_ok()
    {
        return number_page(&state, &viewer, &text).await;
    }
    let chrome = Chrome::new(&viewer, "verify");
    let page = match verdict(&state, &text).await {
        Ok(verdict) => {
            let genuine = verdict.matches;
            let status = verdict.status.map_or_else(
                || lang.t("certificates-verify-no-record"),
                |s| status_label(s, lang),
            );
            let valid = genuine && verdict.status.is_some_and(Status::is_valid);
            let headline = match (genuine, valid) {
                (true, true) => lang.t("certificates-verify-genuine"),
                (true, false) => lang.t_with(
                    "certificates-verify-not-in-force",
                    &[("status", status.clone().into())],
                ),
                _ => lang.t("certificates-verify-altered"),
            };
            let (photo, product_href) = match (&verdict.record, genuine) {
                (Some(record), true) => product_links(record),
                _ => (None, None),
            };
            VerifyPage {
                chrome,
                icon: icon_of(valid, verdict.status.filter(|_| genuine)),
                photo,
                product_href,
                outcome: if genuine { "genuine" } else { "altered" },
                valid,
                headline,
                reason: verdict
                    .verified
                    .key_retired
                    .then(|| lang.t("certificates-verify-retired-key")),
                facts: claim_facts(
                    &verdict.verified.claims,
                    verdict.record.as_ref().map(|r| &r.certificate),
                    lang,
                ),
                status_code: verdict.status.map_or("none", Status::code),
                status,
                pdf: (genuine && verdict.record.is_some())
                    .then(|| format!("/v/{}/certificate.pdf", text.trim())),
            }
        }
        Err(AppError::Unprocessable { code, .. }) => {
            let page = VerifyPage {
                chrome,
                outcome: "forged",
                valid: false,
                headline: lang.t("certificates-verify-forged"),
                reason: Some(lang.t(&format!("certificates-payload-{}", code.replace('_', "-")))),
                facts: Vec::new(),
                status_code: "none",
                status: String::new(),
                pdf: None,
                icon: "✘",
                photo: None,
                product_href: None,
            };
            let html = render(&page, lang)?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
        Err(error) => return Err(page_error(lang)(error)),
    };
    Ok(render(&page, lang)?.into_response())
}

/// `GET /v/{payload}/certificate.pdf`: the certificate a genuine QR names, for anyone holding
/// the QR (the public sees the certificate, and only it; there is no list to browse).
pub async fn certificate_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(text): ApiPath<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let verdict = verdict(&state, &text).await.map_err(page_error(lang))?;
    let record = verdict.record.filter(|_| verdict.matches).ok_or_else(|| {
        PageError::new(
            super::not_found(&verdict.verified.claims.number.to_string()),
            lang,
        )
    })?;
    super::documents::certificate_pdf(&state, &record.certificate)
        .await
        .map_err(page_error(lang))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct VerifyQuery {
    /// The scanned text: the QR's URL or its payload alone.
    pub payload: String,
}

/// The verification's answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VerifyJson {
    /// The signature holds under one of the issuer's keys.
    pub genuine: bool,
    /// The live record says what the payload claims.
    pub matches_record: bool,
    pub key_id: u16,
    /// Signed with a key since rotated out (still valid for what it signed).
    pub key_retired: bool,
    pub number: String,
    pub product_code: String,
    pub entity_code: String,
    pub stars: u8,
    pub issued_on: String,
    pub expires_on: String,
    pub product_name: Option<String>,
    pub entity_name: Option<String>,
    /// Today's status of the record: active, pending_reevaluation, expired, revoked,
    /// superseded; absent when the register has no such certificate.
    pub status: Option<String>,
    /// Until when a certificate pending re-evaluation stays valid.
    pub valid_until: Option<String>,
}

impl VerifyJson {
    pub fn of(verdict: &Verdict) -> VerifyJson {
        let claims = &verdict.verified.claims;
        VerifyJson {
            genuine: true,
            matches_record: verdict.matches,
            key_id: verdict.verified.key_id,
            key_retired: verdict.verified.key_retired,
            number: claims.number.to_string(),
            product_code: claims.product_code.clone(),
            entity_code: claims.entity_code.clone(),
            stars: claims.stars,
            issued_on: claims.issued_on.to_string(),
            expires_on: claims.expires_on.to_string(),
            product_name: verdict
                .record
                .as_ref()
                .map(|r| r.certificate.product_name.clone()),
            entity_name: verdict
                .record
                .as_ref()
                .map(|r| r.certificate.entity_name.clone()),
            status: verdict.status.map(|s| s.code().to_string()),
            valid_until: match verdict.status {
                Some(Status::PendingReevaluation { until }) => Some(until.to_string()),
                _ => None,
            },
        }
    }
}

/// Checks a scanned certificate payload.
#[utoipa::path(
    get,
    path = "/api/v1/verify",
    tag = "certificates",
    params(VerifyQuery),
    responses(
        (status = 200, description = "A genuine payload, with the record's status today", body = VerifyJson),
        (status = 422, description = "Forged, altered, truncated, or signed by an unknown key (`bad_signature`, `truncated`, `not_base32`, `unknown_key`, `unknown_version`, `bad_field`)", body = crate::shared::error::ErrorDoc)
    )
)]
pub async fn verify_api(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<VerifyQuery>,
) -> Result<Json<VerifyJson>, AppError> {
    let verdict = verdict(&state, &query.payload).await?;
    Ok(Json(VerifyJson::of(&verdict)))
}

/// The scanned text, as JSON.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyBody {
    /// The QR's text: its URL or its payload alone.
    pub payload: String,
}

/// The most a scanned text can be (a QR of version 40 holds under 3 KB).
pub const MAX_SCANNED_BYTES: usize = 4096;

/// Checks the raw text of a scanned QR: sent as `text/plain` (the text itself) or as JSON
/// (`{"payload": "…"}`).
#[utoipa::path(
    post,
    path = "/api/v1/verify",
    tag = "certificates",
    request_body(content(
        (VerifyBody = "application/json"),
        (String = "text/plain")
    )),
    responses(
        (status = 200, description = "A genuine payload, with the record's status today", body = VerifyJson),
        (status = 400, description = "Unreadable body (`invalid_json`, `not_utf8`) or longer than any QR (`too_large`)", body = crate::shared::error::ErrorDoc),
        (status = 422, description = "Forged, altered, truncated, or signed by an unknown key (`bad_signature`, `truncated`, `not_base32`, `unknown_key`, `unknown_version`, `bad_field`)", body = crate::shared::error::ErrorDoc)
    )
)]
pub async fn verify_post(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<Json<VerifyJson>, AppError> {
    // Read at most what a QR can hold, so a flood of bytes is refused in the one error shape.
    let body = axum::body::to_bytes(body, MAX_SCANNED_BYTES)
        .await
        .map_err(|_| AppError::BadRequest {
            code: "too_large",
            message: format!("a scanned text has at most {MAX_SCANNED_BYTES} bytes"),
        })?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let text = if json {
        serde_json::from_slice::<VerifyBody>(&body)
            .map_err(|error| AppError::BadRequest {
                code: "invalid_json",
                message: error.to_string(),
            })?
            .payload
    } else {
        String::from_utf8(body.to_vec()).map_err(|_| AppError::BadRequest {
            code: "not_utf8",
            message: "the text is not UTF-8".into(),
        })?
    };
    let verdict = verdict(&state, &text).await?;
    Ok(Json(VerifyJson::of(&verdict)))
}

/// One public key of the issuer.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeyJson {
    pub kid: u16,
    /// Always `Ed25519`.
    pub alg: String,
    /// The 32-byte public key, base64url without padding.
    pub public_key: String,
    pub valid_from: String,
    /// Rotated out on this day: it signs nothing new and still verifies what it signed.
    pub retired_on: Option<String>,
}

/// The keys document.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeysJson {
    pub issuer: String,
    pub keys: Vec<KeyJson>,
}

impl KeysJson {
    pub fn of(issuer: &str, keys: &[ocop_store::keys::KeyInfo]) -> KeysJson {
        KeysJson {
            issuer: issuer.to_string(),
            keys: keys
                .iter()
                .map(|key| KeyJson {
                    kid: key.id,
                    alg: "Ed25519".into(),
                    public_key: BASE64URL_NOPAD.encode(key.public_key.as_bytes()),
                    valid_from: key.valid_from.to_string(),
                    retired_on: key.retired_on.map(|d| d.to_string()),
                })
                .collect(),
        }
    }
}

/// `GET /.well-known/ocop-keys.json`: the issuer's public keys with their validity.
pub async fn keys_document(State(state): State<AppState>) -> Result<Response, AppError> {
    let ring = state.signing.keyring(&state.db).await.map_err(key_error)?;
    let document = KeysJson::of(&state.signing.base_url, &ring.keys);
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(document),
    )
        .into_response())
}

/// The audit trail's anchors: its head signed each day with the issuer's key (docs/operations.md).
#[derive(Serialize, Deserialize)]
pub struct AnchorsJson {
    pub issuer: String,
    /// What each signature covers, `{day}`, `{seq}` and `{hash}` filled in.
    pub message: String,
    /// Newest first: three years of days at most.
    pub anchors: Vec<ocop_domain::audit::Anchor>,
}

/// `GET /.well-known/ocop-audit-anchors.json`: the audit trail's daily anchors, for anyone to
/// keep a copy of and check later with `ocop audit verify --anchors FILE`.
pub async fn anchors_document(State(state): State<AppState>) -> Result<Response, AppError> {
    let anchors = ocop_store::anchors::recent(&state.db, 3 * 366).await?;
    let document = AnchorsJson {
        issuer: state.signing.base_url.clone(),
        message: "ocop-audit-anchor:1:{day}:{seq}:{hash}".into(),
        anchors,
    };
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(document),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "certificates/offline.html")]
struct OfflinePage {
    chrome: Chrome,
    script: String,
    /// data-* attributes: the words the script shows, in the reader's language.
    words: Vec<(&'static str, String)>,
}

/// `GET /verify`: the offline verifier (docs/portal.md).
pub async fn offline_page(viewer: Viewer) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let mut words: Vec<(&'static str, String)> = [
        ("no-keys", "verifier-no-keys"),
        ("forged", "certificates-verify-forged"),
        ("reason", "verifier-reason"),
        ("number", "certificates-number"),
        ("product", "certificates-product"),
        ("stars", "certificates-stars"),
        ("product-code", "certificates-product-code"),
        ("entity-code", "certificates-entity-code"),
        ("issued", "certificates-issued-on"),
        ("expires", "certificates-expires-on"),
        ("live-unknown", "verifier-live-unknown"),
        ("live-status", "verifier-live-status"),
        ("genuine-offline", "verifier-genuine-offline"),
        ("genuine-expired", "verifier-genuine-expired"),
        ("genuine-valid", "verifier-genuine-valid"),
        ("genuine-not-valid", "verifier-genuine-not-valid"),
    ]
    .into_iter()
    .map(|(attribute, key)| (attribute, lang.t(key)))
    .collect();
    for (attribute, status) in [
        ("status-active", Status::Active),
        ("status-expired", Status::Expired),
        ("status-revoked", Status::Revoked),
        ("status-superseded", Status::Superseded),
    ] {
        words.push((attribute, status_label(status, lang)));
    }
    words.push((
        "status-pending-reevaluation",
        lang.t("portal-status-pending-reevaluation"),
    ));
    words.push(("status-none", lang.t("certificates-verify-no-record")));
    // Why the browser refused a payload (the same words as the server's verdicts).
    for (attribute, key) in [
        ("reason-not-base32", "certificates-payload-not-base32"),
        ("reason-truncated", "certificates-payload-truncated"),
        (
            "reason-unknown-version",
            "certificates-payload-unknown-version",
        ),
        ("reason-unknown-key", "certificates-payload-unknown-key"),
        ("reason-bad-signature", "certificates-payload-bad-signature"),
    ] {
        words.push((attribute, lang.t(key)));
    }
    Ok(render(
        &OfflinePage {
            chrome: Chrome::new(&viewer, "verify"),
            script: crate::shared::assets::asset_url("verify.js"),
            words,
        },
        lang,
    )?
    .into_response())
}
