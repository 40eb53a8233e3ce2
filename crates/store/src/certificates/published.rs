//! Certificates as the public looks them up by number (the verification page, the public API,
//! a scanned QR), kept in memory for the records' current revision: a look-up asks the
//! [`RevisionWatch`] whether anything was committed, and only then the database. A revocation
//! committed through any server moves the revision, so it is never answered from memory as
//! valid.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Certificate, Revocation, by_number, revocation};
use crate::revision::{Revision, RevisionWatch};
use crate::{Db, StoreError};

/// Numbers kept at most; past it the memory starts again (a flood of made-up numbers cannot
/// grow it).
const CAPACITY: usize = 20_000;

/// A certificate with what the public may know of its revocation.
#[derive(Debug, Clone)]
pub struct PublishedCertificate {
    pub certificate: Certificate,
    pub revocation: Option<Revocation>,
    /// The product's first photo (its file's SHA-256), shown beside the verdict.
    pub photo: Option<String>,
}

type Entries = HashMap<String, Option<Arc<PublishedCertificate>>>;

/// The certificates looked up since the last change of the records.
#[derive(Default)]
pub struct Published {
    entries: Mutex<(Option<Revision>, Entries)>,
}

impl Published {
    /// The certificate numbered `number` as the records stand now (`None`: no such number).
    pub async fn by_number(
        &self,
        db: &Db,
        watch: &RevisionWatch,
        number: &str,
    ) -> Result<Option<Arc<PublishedCertificate>>, StoreError> {
        let revision = watch.current(db).await?;
        {
            let entries = self.entries.lock().expect("published lock");
            if entries.0.as_ref() == Some(&revision)
                && let Some(found) = entries.1.get(number)
            {
                return Ok(found.clone());
            }
        }
        // Read after the revision: what is read is at least as new as the key it is kept under.
        let found = match by_number(db, number).await? {
            Some(certificate) => {
                let revocation = match certificate.timeline.revoked_on {
                    Some(_) => revocation(db, &certificate.id).await?,
                    None => None,
                };
                let photo = crate::registry::photos(db, &certificate.product_id)
                    .await?
                    .into_iter()
                    .next();
                Some(Arc::new(PublishedCertificate {
                    certificate,
                    revocation,
                    photo,
                }))
            }
            None => None,
        };
        let mut entries = self.entries.lock().expect("published lock");
        let (kept, map) = &mut *entries;
        let older = kept
            .as_ref()
            .is_some_and(|k| k.units == revision.units && k.audit_seq > revision.audit_seq);
        if !older {
            if kept.as_ref() != Some(&revision) || map.len() >= CAPACITY {
                map.clear();
                *kept = Some(revision);
            }
            map.insert(number.to_string(), found.clone());
        }
        Ok(found)
    }
}
