//! The issuer's ed25519 signing keys. Every `ocop serve` of an installation signs with the
//! same key because the keys live in the shared database; their private halves are sealed
//! (ChaCha20-Poly1305, the key id as associated data) with the installation's secret, a
//! 32-byte file kept beside the servers, so a copy of the database alone signs nothing.
//! Rotation makes a new key active and retires the old one, which keeps verifying what it
//! signed. Each change bumps `meta.keys_revision` so that servers reload their copy.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use chrono::NaiveDate;
use data_encoding::HEXLOWER;
use ed25519_dalek::{SigningKey, VerifyingKey};
use ocop_domain::audit::Changes;
use ocop_domain::certificates::payload::PublicKey;

use crate::clock::now_ms;
use crate::{Db, StoreError, audit, meta, on_db, on_tx};

pub const REVISION_KEY: &str = "keys_revision";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the signing secret {path} is missing: create it with `ocop keys generate`")]
    SecretMissing { path: String },
    #[error("the signing secret {path} cannot be read: {cause}")]
    SecretUnreadable { path: String, cause: String },
    #[error("the signing secret {path} already exists")]
    SecretExists { path: String },
    #[error("the database holds no signing key: create one with `ocop keys generate`")]
    NoKey,
    #[error(
        "signing key {0} cannot be opened with this installation's secret (a different secret file?)"
    )]
    WrongSecret(u16),
    #[error("the database already holds signing keys: use `ocop keys rotate` for a new one")]
    KeysExist,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for KeyError {
    fn from(error: sqlx::Error) -> KeyError {
        KeyError::Store(error.into())
    }
}

/// The installation's secret: 32 random bytes, written as 64 hex digits in a file.
#[derive(Clone)]
pub struct InstallationSecret([u8; 32]);

impl std::fmt::Debug for InstallationSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstallationSecret(…)")
    }
}

impl InstallationSecret {
    pub fn read(path: &Path) -> Result<InstallationSecret, KeyError> {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyError::SecretMissing { path: shown });
            }
            Err(error) => {
                return Err(KeyError::SecretUnreadable {
                    path: shown,
                    cause: error.to_string(),
                });
            }
        };
        let bytes = HEXLOWER
            .decode(text.trim().to_ascii_lowercase().as_bytes())
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| KeyError::SecretUnreadable {
                path: shown,
                cause: "it does not hold 64 hexadecimal digits".into(),
            })?;
        Ok(InstallationSecret(bytes))
    }

    /// Creates a new secret file (readable by its owner only); refuses to overwrite one.
    pub fn generate(path: &Path) -> Result<InstallationSecret, KeyError> {
        let shown = path.display().to_string();
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system has no random numbers");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|error| {
            if error.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::SecretExists {
                    path: shown.clone(),
                }
            } else {
                KeyError::SecretUnreadable {
                    path: shown.clone(),
                    cause: error.to_string(),
                }
            }
        })?;
        writeln!(file, "{}", HEXLOWER.encode(&bytes)).map_err(|error| {
            KeyError::SecretUnreadable {
                path: shown,
                cause: error.to_string(),
            }
        })?;
        Ok(InstallationSecret(bytes))
    }

    /// From bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> InstallationSecret {
        InstallationSecret(bytes)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&Key::from(self.0))
    }

    fn seal(&self, id: u16, key: &SigningKey) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the operating system has no random numbers");
        let sealed = self
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: key.as_bytes(),
                    aad: &id.to_be_bytes(),
                },
            )
            .expect("sealing 32 bytes cannot fail");
        HEXLOWER.encode(&[nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, id: u16, sealed: &str) -> Result<SigningKey, KeyError> {
        let bytes = HEXLOWER
            .decode(sealed.as_bytes())
            .map_err(|_| KeyError::WrongSecret(id))?;
        if bytes.len() < 12 {
            return Err(KeyError::WrongSecret(id));
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| KeyError::WrongSecret(id))?;
        let secret = self
            .cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &id.to_be_bytes(),
                },
            )
            .map_err(|_| KeyError::WrongSecret(id))?;
        let secret: [u8; 32] = secret.try_into().map_err(|_| KeyError::WrongSecret(id))?;
        Ok(SigningKey::from_bytes(&secret))
    }
}

/// A key as `ocop keys list` and the keys document show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub id: u16,
    pub public_key: VerifyingKey,
    pub valid_from: NaiveDate,
    pub retired_on: Option<NaiveDate>,
    pub created_at: i64,
}

impl KeyInfo {
    pub fn public(&self) -> PublicKey {
        PublicKey {
            id: self.id,
            key: self.public_key,
            valid_from: self.valid_from,
            retired_on: self.retired_on,
        }
    }
}

/// Every key, oldest first.
pub async fn list(db: &Db) -> Result<Vec<KeyInfo>, KeyError> {
    let rows: Vec<(i64, String, NaiveDate, Option<NaiveDate>, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, public_key, valid_from, retired_on, created_at FROM signing_keys ORDER BY id",
        )
        .fetch_all(pool)
        .await
    })?;
    rows.into_iter()
        .map(|(id, public_key, valid_from, retired_on, created_at)| {
            let id = u16::try_from(id).map_err(|_| StoreError::Data(format!("key id {id}")))?;
            let bytes: [u8; 32] = HEXLOWER
                .decode(public_key.as_bytes())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| StoreError::Data(format!("key {id}'s public key")))?;
            let public_key = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| StoreError::Data(format!("key {id}'s public key")))?;
            Ok(KeyInfo {
                id,
                public_key,
                valid_from,
                retired_on,
                created_at,
            })
        })
        .collect()
}

/// The issuer's public keys, retired ones included.
pub async fn public_keys(db: &Db) -> Result<Vec<PublicKey>, KeyError> {
    Ok(list(db).await?.iter().map(KeyInfo::public).collect())
}

/// The active key, opened with the installation's secret.
pub async fn active_signer(
    db: &Db,
    secret: &InstallationSecret,
) -> Result<(u16, SigningKey), KeyError> {
    let row: Option<(i64, String)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, sealed_secret FROM signing_keys WHERE retired_on IS NULL ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await
    })?;
    let Some((id, sealed)) = row else {
        return Err(KeyError::NoKey);
    };
    let id = u16::try_from(id).map_err(|_| StoreError::Data(format!("key id {id}")))?;
    Ok((id, secret.open(id, &sealed)?))
}

/// Creates the first key; refuses when keys exist (rotate instead).
pub async fn generate(
    db: &Db,
    secret: &InstallationSecret,
    today: NaiveDate,
    actor: &str,
) -> Result<u16, KeyError> {
    if !list(db).await?.is_empty() {
        return Err(KeyError::KeysExist);
    }
    add_key(db, secret, today, actor).await
}

/// Makes a new key active and retires the one before (today).
pub async fn rotate(
    db: &Db,
    secret: &InstallationSecret,
    today: NaiveDate,
    actor: &str,
) -> Result<u16, KeyError> {
    // The old key must open with this secret: a rotation with a wrong secret would leave an
    // installation whose servers cannot agree.
    if let Err(KeyError::WrongSecret(id)) = active_signer(db, secret).await {
        return Err(KeyError::WrongSecret(id));
    }
    add_key(db, secret, today, actor).await
}

async fn add_key(
    db: &Db,
    secret: &InstallationSecret,
    today: NaiveDate,
    actor: &str,
) -> Result<u16, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system has no random numbers");
    let key = SigningKey::from_bytes(&seed);
    let mut tx = db.begin().await?;
    let last: Option<i64> = on_tx!(&mut tx, |conn| sqlx::query_scalar(
        "SELECT MAX(id) FROM signing_keys"
    )
    .fetch_one(&mut *conn)
    .await)?;
    let id = u16::try_from(last.unwrap_or(0) + 1)
        .map_err(|_| StoreError::Data("no key id left".into()))?;
    let retired = on_tx!(&mut tx, |conn| sqlx::query(
        "UPDATE signing_keys SET retired_on = $1 WHERE retired_on IS NULL"
    )
    .bind(today)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    let public = HEXLOWER.encode(key.verifying_key().as_bytes());
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO signing_keys (id, public_key, sealed_secret, valid_from, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(i64::from(id))
    .bind(&public)
    .bind(secret.seal(id, &key))
    .bind(today)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    meta::set(&mut tx, REVISION_KEY, &format!("{id}:{}", now_ms())).await?;
    let changes = Changes::new()
        .created("public_key", &public)
        .created("valid_from", today)
        .created("retired_before", retired);
    audit::append(
        &mut tx,
        actor,
        "keys.add",
        "signing_key",
        &id.to_string(),
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The keys' revision: changes whenever a key is added or retired.
pub async fn revision(db: &Db) -> Result<Option<String>, StoreError> {
    meta::get(db, REVISION_KEY).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_secret_and_id() {
        let secret = InstallationSecret::from_bytes([7; 32]);
        let key = SigningKey::from_bytes(&[3; 32]);
        let sealed = secret.seal(5, &key);
        assert!(!sealed.contains(&HEXLOWER.encode(key.as_bytes())));
        assert_eq!(secret.open(5, &sealed).unwrap().as_bytes(), key.as_bytes());
        assert!(matches!(
            secret.open(6, &sealed),
            Err(KeyError::WrongSecret(6))
        ));
        let other = InstallationSecret::from_bytes([8; 32]);
        assert!(matches!(
            other.open(5, &sealed),
            Err(KeyError::WrongSecret(5))
        ));
    }
}
