//! The issuer's keys as a server holds them: the installation's secret (from its file) and a
//! copy of the keys from the database, reloaded whenever `meta.keys_revision` changes, so a
//! rotation by `ocop keys rotate` (or another server) is noticed on the next request.

use std::sync::{Arc, RwLock};

use ed25519_dalek::SigningKey;

use ocop_domain::certificates::payload::{self, Claims, PayloadError, PublicKey, Verified};
use ocop_store::Db;
use ocop_store::keys::{self, InstallationSecret, KeyError, KeyInfo};

/// The keys of one revision.
pub struct Keyring {
    revision: Option<String>,
    pub keys: Vec<KeyInfo>,
    pub public: Vec<PublicKey>,
    /// The active key, when this server holds the secret that opens it.
    active: Option<(u16, SigningKey)>,
}

impl Keyring {
    /// Signs claims with the active key: (key id, payload).
    pub fn sign(&self, claims: &Claims) -> Result<(u16, String), KeyError> {
        let (id, key) = self.active.as_ref().ok_or(KeyError::NoKey)?;
        let text = payload::sign(claims, *id, key)
            .map_err(|e| ocop_store::StoreError::Data(e.to_string()))?;
        Ok((*id, text))
    }
}

/// What a server signs and verifies with.
pub struct Signing {
    secret: Option<InstallationSecret>,
    /// The public address the QR codes point at (`https://ocop.example.vn`).
    pub base_url: String,
    cache: RwLock<Option<Arc<Keyring>>>,
}

impl Signing {
    pub fn new(secret: Option<InstallationSecret>, base_url: &str) -> Signing {
        Signing {
            secret,
            base_url: base_url.trim_end_matches('/').to_string(),
            cache: RwLock::new(None),
        }
    }

    /// The keys, reloaded if another write changed them.
    pub async fn keyring(&self, db: &Db) -> Result<Arc<Keyring>, KeyError> {
        let revision = keys::revision(db).await?;
        if let Some(ring) = self.cache.read().expect("keys cache").as_ref()
            && ring.revision == revision
        {
            return Ok(ring.clone());
        }
        let infos = keys::list(db).await?;
        let active = match &self.secret {
            Some(secret) if !infos.is_empty() => Some(keys::active_signer(db, secret).await?),
            _ => None,
        };
        let ring = Arc::new(Keyring {
            revision,
            public: infos.iter().map(KeyInfo::public).collect(),
            keys: infos,
            active,
        });
        *self.cache.write().expect("keys cache") = Some(ring.clone());
        Ok(ring)
    }

    /// Verifies a scanned text against every key, retired ones included.
    pub async fn verify(
        &self,
        db: &Db,
        text: &str,
    ) -> Result<Result<Verified, PayloadError>, KeyError> {
        let ring = self.keyring(db).await?;
        Ok(payload::verify(text, &ring.public))
    }

    /// The verification URL of a payload.
    pub fn url(&self, payload_text: &str) -> String {
        payload::url(&self.base_url, payload_text)
    }
}
