//! The signed payload a certificate's QR code carries, so that a phone with no network can tell a
//! genuine certificate from a forged one (format in `docs/certificates.md`, with a test vector).
//!
//! Version 1, bytes (integers big-endian; dates as days since 2000-01-01):
//!
//! ```text
//!  0      version = 1
//!  1..3   key id (u16)
//!  3      province (u8)          ┐
//!  4      year − 2000 (u8)       ├ the certificate number
//!  5..8   serial (u24)           ┘
//!  8      stars (u8, 3..=5)
//!  9..11  issue date (u16)
//! 11..13  expiry date (u16)
//! 13      n = length of the product code, then n ASCII bytes
//!  …      m = length of the entity's registration code, then m bytes (UTF-8)
//!  …      64-byte ed25519 signature over "OCOP-QR" ‖ every byte before it
//! ```
//!
//! The bytes travel as RFC 4648 base32 without padding (upper case: the QR alphanumeric mode
//! stores it at 5.5 bits a character) after the installation's verification URL:
//! `https://…/v/<BASE32>`. A camera opens the page; an offline verifier reads the tail.

use chrono::NaiveDate;
use data_encoding::BASE32_NOPAD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Serialize;

use super::{CertificateNumber, day_number, from_day_number};

pub const PAYLOAD_VERSION: u8 = 1;
const CONTEXT: &[u8] = b"OCOP-QR";
const SIGNATURE_LEN: usize = 64;
const FIXED_LEN: usize = 13;

/// What a certificate's QR claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    pub number: CertificateNumber,
    pub stars: u8,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub product_code: String,
    pub entity_code: String,
}

/// Why a payload was not accepted. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the text is not a certificate payload (not base32)")]
    NotBase32,
    #[error("the payload is too short or its lengths do not add up")]
    Truncated,
    #[error("payload version {0} is not one this verifier knows")]
    UnknownVersion(u8),
    #[error("the payload names key {0}, which is not among the issuer's keys")]
    UnknownKey(u16),
    #[error("the signature does not match: the payload was forged or altered")]
    BadSignature,
    #[error("the payload's fields are out of range")]
    BadField,
    #[error("the claims cannot be encoded: {0}")]
    Unencodable(&'static str),
}

impl PayloadError {
    pub fn code(&self) -> &'static str {
        match self {
            PayloadError::NotBase32 => "not_base32",
            PayloadError::Truncated => "truncated",
            PayloadError::UnknownVersion(_) => "unknown_version",
            PayloadError::UnknownKey(_) => "unknown_key",
            PayloadError::BadSignature => "bad_signature",
            PayloadError::BadField => "bad_field",
            PayloadError::Unencodable(_) => "unencodable",
        }
    }
}

fn push_text(out: &mut Vec<u8>, text: &str, what: &'static str) -> Result<(), PayloadError> {
    let len = u8::try_from(text.len()).map_err(|_| PayloadError::Unencodable(what))?;
    out.push(len);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// The signed part of a payload: everything before the signature.
fn body(claims: &Claims, key_id: u16) -> Result<Vec<u8>, PayloadError> {
    let date = |d| {
        day_number(d).ok_or(PayloadError::Unencodable(
            "a date before 2000 or after 2179",
        ))
    };
    let year = u8::try_from(claims.number.year - 2000)
        .map_err(|_| PayloadError::Unencodable("the year"))?;
    if claims.number.serial > super::MAX_SERIAL {
        return Err(PayloadError::Unencodable("the serial"));
    }
    if !claims.product_code.is_ascii() {
        return Err(PayloadError::Unencodable(
            "a product code that is not ASCII",
        ));
    }
    let mut out = Vec::with_capacity(FIXED_LEN + 40 + SIGNATURE_LEN);
    out.push(PAYLOAD_VERSION);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.push(claims.number.province);
    out.push(year);
    out.extend_from_slice(&claims.number.serial.to_be_bytes()[1..]);
    out.push(claims.stars);
    out.extend_from_slice(&date(claims.issued_on)?.to_be_bytes());
    out.extend_from_slice(&date(claims.expires_on)?.to_be_bytes());
    push_text(
        &mut out,
        &claims.product_code,
        "a product code over 255 bytes",
    )?;
    push_text(
        &mut out,
        &claims.entity_code,
        "an entity code over 255 bytes",
    )?;
    Ok(out)
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    [CONTEXT, body].concat()
}

/// Signs `claims` with the key `key_id`; returns the payload's base32 text.
pub fn sign(claims: &Claims, key_id: u16, key: &SigningKey) -> Result<String, PayloadError> {
    let mut bytes = body(claims, key_id)?;
    let signature = key.sign(&signed_message(&bytes));
    bytes.extend_from_slice(&signature.to_bytes());
    Ok(BASE32_NOPAD.encode(&bytes))
}

/// A payload read but not yet checked: its key id and claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    pub key_id: u16,
    pub claims: Claims,
    body: Vec<u8>,
    signature: [u8; SIGNATURE_LEN],
}

/// Reads a payload: either the bare base32 text or a URL ending in `/v/<BASE32>` (case,
/// surrounding blanks and a trailing slash do not matter).
pub fn read(text: &str) -> Result<Unverified, PayloadError> {
    let text = text.trim().trim_end_matches('/');
    let tail = text.rsplit('/').next().unwrap_or(text);
    let tail = tail.split(['?', '#']).next().unwrap_or(tail);
    let bytes = BASE32_NOPAD
        .decode(tail.to_ascii_uppercase().as_bytes())
        .map_err(|_| PayloadError::NotBase32)?;
    let Some(&version) = bytes.first() else {
        return Err(PayloadError::Truncated);
    };
    if version != PAYLOAD_VERSION {
        return Err(PayloadError::UnknownVersion(version));
    }
    if bytes.len() < FIXED_LEN + 2 + SIGNATURE_LEN {
        return Err(PayloadError::Truncated);
    }
    let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let key_id = u16::from_be_bytes([body[1], body[2]]);
    let serial = u32::from_be_bytes([0, body[5], body[6], body[7]]);
    let stars = body[8];
    let issued_on = from_day_number(u16::from_be_bytes([body[9], body[10]]));
    let expires_on = from_day_number(u16::from_be_bytes([body[11], body[12]]));
    let mut rest = &body[FIXED_LEN..];
    let mut take_text = || -> Result<String, PayloadError> {
        let (&len, tail) = rest.split_first().ok_or(PayloadError::Truncated)?;
        let len = usize::from(len);
        if tail.len() < len {
            return Err(PayloadError::Truncated);
        }
        let (text, tail) = tail.split_at(len);
        rest = tail;
        String::from_utf8(text.to_vec()).map_err(|_| PayloadError::BadField)
    };
    let product_code = take_text()?;
    let entity_code = take_text()?;
    if !rest.is_empty() {
        return Err(PayloadError::Truncated);
    }
    let number = CertificateNumber::new(
        &format!("{:02}", body[3]),
        2000 + i32::from(body[4]),
        serial,
    )
    .map_err(|_| PayloadError::BadField)?;
    if !(1..=5).contains(&stars) || expires_on <= issued_on {
        return Err(PayloadError::BadField);
    }
    Ok(Unverified {
        key_id,
        claims: Claims {
            number,
            stars,
            issued_on,
            expires_on,
            product_code,
            entity_code,
        },
        body: body.to_vec(),
        signature: signature.try_into().expect("64 bytes"),
    })
}

/// A public key of the issuer, with the period it signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub id: u16,
    pub key: VerifyingKey,
    pub valid_from: NaiveDate,
    /// Set once the key was rotated out: it signs nothing new, and still verifies what it
    /// signed.
    pub retired_on: Option<NaiveDate>,
}

impl Unverified {
    /// Checks the signature against the issuer's keys, retired ones included.
    pub fn verify(self, keys: &[PublicKey]) -> Result<Verified, PayloadError> {
        let key = keys
            .iter()
            .find(|k| k.id == self.key_id)
            .ok_or(PayloadError::UnknownKey(self.key_id))?;
        key.key
            .verify(
                &signed_message(&self.body),
                &Signature::from_bytes(&self.signature),
            )
            .map_err(|_| PayloadError::BadSignature)?;
        Ok(Verified {
            key_id: self.key_id,
            key_retired: key.retired_on.is_some(),
            claims: self.claims,
        })
    }
}

/// A payload whose signature holds: the claims are the issuer's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub key_id: u16,
    pub key_retired: bool,
    pub claims: Claims,
}

/// Reads and verifies in one step.
pub fn verify(text: &str, keys: &[PublicKey]) -> Result<Verified, PayloadError> {
    read(text)?.verify(keys)
}

/// The verification URL of a payload under an installation's public base URL.
pub fn url(base: &str, payload: &str) -> String {
    format!("{}/v/{payload}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn claims() -> Claims {
        Claims {
            number: CertificateNumber::new("75", 2026, 42).unwrap(),
            stars: 4,
            issued_on: NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
            expires_on: NaiveDate::from_ymd_opt(2029, 6, 15).unwrap(),
            product_code: "75-26734-12-2026".into(),
            entity_code: "3600123456".into(),
        }
    }

    fn keyring() -> Vec<PublicKey> {
        vec![
            PublicKey {
                id: 1,
                key: key(1).verifying_key(),
                valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                retired_on: NaiveDate::from_ymd_opt(2026, 9, 1),
            },
            PublicKey {
                id: 2,
                key: key(2).verifying_key(),
                valid_from: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                retired_on: None,
            },
        ]
    }

    #[test]
    fn a_signed_payload_verifies_with_its_key_retired_or_not() {
        let old = sign(&claims(), 1, &key(1)).unwrap();
        let new = sign(&claims(), 2, &key(2)).unwrap();
        let verified = verify(&old, &keyring()).unwrap();
        assert_eq!(verified.claims, claims());
        assert!(verified.key_retired);
        assert!(!verify(&new, &keyring()).unwrap().key_retired);
        // As a URL, in lower case, with blanks.
        let as_url = format!(
            "  {}  ",
            url("https://ocop.example.vn/", &old).to_lowercase()
        );
        assert_eq!(verify(&as_url, &keyring()).unwrap().claims, claims());
    }

    #[test]
    fn every_changed_byte_fails() {
        let text = sign(&claims(), 2, &key(2)).unwrap();
        let bytes = BASE32_NOPAD.decode(text.as_bytes()).unwrap();
        for at in 0..bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut forged = bytes.clone();
                forged[at] ^= flip;
                let forged = BASE32_NOPAD.encode(&forged);
                assert!(verify(&forged, &keyring()).is_err(), "byte {at} ^ {flip}");
            }
        }
    }

    #[test]
    fn forged_truncated_resigned_and_unknown_key_payloads_are_refused() {
        let text = sign(&claims(), 2, &key(2)).unwrap();
        // Re-signed by someone else's key under the issuer's key id.
        let resigned = sign(
            &Claims {
                stars: 5,
                ..claims()
            },
            2,
            &key(9),
        )
        .unwrap();
        assert_eq!(
            verify(&resigned, &keyring()),
            Err(PayloadError::BadSignature)
        );
        assert_eq!(
            verify(&sign(&claims(), 7, &key(7)).unwrap(), &keyring()),
            Err(PayloadError::UnknownKey(7))
        );
        for cut in [1, 8, 20, text.len() / 2, text.len() - 1] {
            assert!(verify(&text[..cut], &keyring()).is_err());
        }
        assert_eq!(verify("", &keyring()), Err(PayloadError::Truncated));
        assert_eq!(
            verify("not base32!", &keyring()),
            Err(PayloadError::NotBase32)
        );
        // One byte: version 1 and nothing else.
        assert_eq!(verify("AE", &keyring()), Err(PayloadError::Truncated));
        let mut other_version = BASE32_NOPAD.decode(text.as_bytes()).unwrap();
        other_version[0] = 2;
        assert_eq!(
            verify(&BASE32_NOPAD.encode(&other_version), &keyring()),
            Err(PayloadError::UnknownVersion(2))
        );
    }

    #[test]
    fn the_payload_is_small_enough_for_a_two_centimetre_qr() {
        let text = sign(&claims(), 2, &key(2)).unwrap();
        // 13 fixed bytes, 17 + 11 of codes, 64 of signature: 105 bytes, 168 base32 characters.
        assert_eq!(text.len(), 168);
        assert!(url("https://ocop.example.vn", &text).len() <= 200);
    }

    /// The test vector of docs/certificates.md: seed 32 × 0x01, key id 1, the claims above.
    #[test]
    fn test_vector() {
        let text = sign(&claims(), 1, &key(1)).unwrap();
        assert_eq!(
            data_encoding::HEXLOWER.encode(key(1).verifying_key().as_bytes()),
            "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
        );
        assert_eq!(text, include_str!("payload_vector.txt").trim());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn keyring() -> (SigningKey, Vec<PublicKey>) {
        let key = SigningKey::from_bytes(&[5; 32]);
        let public = vec![PublicKey {
            id: 1,
            key: key.verifying_key(),
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            retired_on: None,
        }];
        (key, public)
    }

    fn genuine() -> String {
        let (key, _) = keyring();
        let claims = Claims {
            number: CertificateNumber::new("75", 2026, 7).unwrap(),
            stars: 4,
            issued_on: NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
            expires_on: NaiveDate::from_ymd_opt(2029, 6, 15).unwrap(),
            product_code: "75-26734-12-2026".into(),
            entity_code: "3600123456".into(),
        };
        sign(&claims, 1, &key).unwrap()
    }

    proptest! {
        /// Whatever a camera reads (or a forger types), reading and verifying answer without
        /// panicking.
        #[test]
        fn any_scanned_text_is_answered(text in ".{0,400}") {
            let (_, keys) = keyring();
            let _ = verify(&text, &keys);
            let _ = verify(&format!("https://ocop.example/v/{text}"), &keys);
        }

        /// Any one character of a genuine payload changed to another of its alphabet makes it
        /// fail: no altered payload verifies.
        #[test]
        fn a_genuine_payload_with_one_character_changed_is_refused(
            at in 0usize..1000,
            replacement in proptest::sample::select(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".chars().collect::<Vec<_>>()
            ),
        ) {
            let (_, keys) = keyring();
            let payload = genuine();
            let at = at % payload.len();
            let mut changed: Vec<char> = payload.chars().collect();
            prop_assume!(changed[at] != replacement);
            changed[at] = replacement;
            let changed: String = changed.into_iter().collect();
            prop_assert!(verify(&changed, &keys).is_err(), "{changed} verified");
        }
    }
}
