//! The audit trail: every state change is an append-only record of who, when, which object and
//! what changed (field by field, before and after). Records are hash-chained — each hash covers
//! the previous hash and the record's content — so an edited, deleted or re-ordered record breaks
//! the chain at a place [`verify_chain`] names.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a kind of object that the trail records: name, and how to read its value.
pub type AuditedFields<T> = [(&'static str, fn(&T) -> Value)];

/// What changed on an object: field → before and after (`null` where there was nothing).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes(BTreeMap<String, Change>);

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Change {
    pub before: Value,
    pub after: Value,
}

impl Changes {
    pub fn new() -> Changes {
        Changes::default()
    }

    /// Records a field if its value changed.
    pub fn field(mut self, name: &str, before: impl Serialize, after: impl Serialize) -> Changes {
        let before = serde_json::to_value(before).unwrap_or(Value::Null);
        let after = serde_json::to_value(after).unwrap_or(Value::Null);
        if before != after {
            self.0.insert(name.to_string(), Change { before, after });
        }
        self
    }

    /// The fields of an object that differ between `before` (none: a new object) and `after`,
    /// each read by its accessor in `fields`.
    pub fn between<T>(before: Option<&T>, after: &T, fields: &AuditedFields<T>) -> Changes {
        fields
            .iter()
            .fold(Changes::new(), |changes, (name, value)| {
                changes.field(name, before.map(value), value(after))
            })
    }

    /// Records a field of a new object.
    pub fn created(self, name: &str, value: impl Serialize) -> Changes {
        self.field(name, Value::Null, value)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names of the fields that changed, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Canonical JSON (fields sorted), as stored and hashed.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }
}

/// One record's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// 1, 2, 3, … with no gaps.
    pub seq: i64,
    /// Milliseconds since the Unix epoch (UTC).
    pub at_ms: i64,
    /// Who: a user id, or `cli:<command>` / `system`.
    pub actor: String,
    /// What kind of change, e.g. `user.create`, `dossier.submit`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// [`Changes::to_json`].
    pub changes: String,
}

/// A record as stored, with its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a record chained after `prev_hash`. Fields are length-prefixed, so no two
/// different records hash the same text.
pub fn entry_hash(prev_hash: &str, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    for field in [
        prev_hash,
        &entry.seq.to_string(),
        &entry.at_ms.to_string(),
        &entry.actor,
        &entry.action,
        &entry.object_type,
        &entry.object_id,
        &entry.changes,
    ] {
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
        hasher.update(b";");
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The record's content no longer matches its hash: it was edited.
    Edited { seq: i64 },
    /// The record does not link to the one before it: that one was edited and re-hashed, or
    /// records were re-ordered.
    Relinked { seq: i64 },
    /// Records are missing: `expected` was next but `found` came (or the log ends).
    Missing { expected: i64, found: Option<i64> },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainBreak::Edited { seq } => {
                write!(
                    f,
                    "record {seq} was changed after it was written (its hash no longer matches)"
                )
            }
            ChainBreak::Relinked { seq } => write!(
                f,
                "record {seq} does not link to record {}: the chain was rewritten there",
                seq - 1
            ),
            ChainBreak::Missing {
                expected,
                found: Some(found),
            } => write!(
                f,
                "record {expected} is missing (the log jumps from {} to {found})",
                expected - 1
            ),
            ChainBreak::Missing {
                expected,
                found: None,
            } => {
                write!(
                    f,
                    "record {expected} and any after it are missing (the log ends at {})",
                    expected - 1
                )
            }
        }
    }
}

/// Checks records in `seq` order; `last_seq` is the head the writer recorded, so that deleting
/// the newest records is noticed too. Returns how many records were checked.
pub fn verify_chain(
    entries: impl IntoIterator<Item = ChainedEntry>,
    last_seq: i64,
) -> Result<i64, ChainBreak> {
    let mut expected_seq = 1;
    let mut expected_prev = GENESIS.to_string();
    for chained in entries {
        let seq = chained.entry.seq;
        if seq != expected_seq {
            return Err(ChainBreak::Missing {
                expected: expected_seq,
                found: Some(seq),
            });
        }
        if entry_hash(&chained.prev_hash, &chained.entry) != chained.hash {
            return Err(ChainBreak::Edited { seq });
        }
        if chained.prev_hash != expected_prev {
            return Err(ChainBreak::Relinked { seq });
        }
        expected_prev = chained.hash;
        expected_seq += 1;
    }
    if expected_seq <= last_seq {
        return Err(ChainBreak::Missing {
            expected: expected_seq,
            found: None,
        });
    }
    Ok(expected_seq - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(count: i64) -> Vec<ChainedEntry> {
        let mut prev = GENESIS.to_string();
        (1..=count)
            .map(|seq| {
                let entry = AuditEntry {
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    actor: "u1".into(),
                    action: "product.update".into(),
                    object_type: "product".into(),
                    object_id: format!("p{seq}"),
                    changes: Changes::new()
                        .field("name", "a", format!("b{seq}"))
                        .to_json(),
                };
                let hash = entry_hash(&prev, &entry);
                let chained = ChainedEntry {
                    entry,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                chained
            })
            .collect()
    }

    #[test]
    fn changes_between_two_versions_of_an_object() {
        struct Thing {
            name: &'static str,
            size: Option<u32>,
        }
        let fields: &AuditedFields<Thing> = &[
            ("name", |t| Value::from(t.name)),
            ("size", |t| serde_json::json!(t.size)),
        ];
        let old = Thing {
            name: "a",
            size: None,
        };
        let new = Thing {
            name: "b",
            size: None,
        };
        assert_eq!(
            Changes::between(Some(&old), &new, fields).to_json(),
            r#"{"name":{"before":"a","after":"b"}}"#
        );
        assert_eq!(
            Changes::between(None, &new, fields).to_json(),
            r#"{"name":{"before":null,"after":"b"}}"#,
            "a new object's empty fields are not recorded"
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(chain(5), 5), Ok(5));
        assert_eq!(verify_chain(Vec::new(), 0), Ok(0));
    }

    #[test]
    fn edits_deletions_and_rewrites_are_named() {
        let mut edited = chain(5);
        edited[2].entry.changes = r#"{"name":{"after":"x","before":"a"}}"#.into();
        assert_eq!(verify_chain(edited, 5), Err(ChainBreak::Edited { seq: 3 }));

        let mut deleted = chain(5);
        deleted.remove(1);
        assert_eq!(
            verify_chain(deleted, 5),
            Err(ChainBreak::Missing {
                expected: 2,
                found: Some(3)
            })
        );

        let mut truncated = chain(5);
        truncated.pop();
        let error = verify_chain(truncated, 5).unwrap_err();
        assert_eq!(
            error,
            ChainBreak::Missing {
                expected: 5,
                found: None
            }
        );
        assert!(error.to_string().contains("the log ends at 4"));

        // Editing record 2 and re-computing its hash breaks the link of record 3.
        let mut rewritten = chain(5);
        rewritten[1].entry.actor = "someone else".into();
        rewritten[1].hash = entry_hash(&rewritten[1].prev_hash, &rewritten[1].entry);
        assert_eq!(
            verify_chain(rewritten, 5),
            Err(ChainBreak::Relinked { seq: 3 })
        );
    }

    #[test]
    fn changes_keep_only_what_changed_in_a_stable_order() {
        let changes = Changes::new()
            .field("status", "draft", "submitted")
            .field("name", "same", "same")
            .created("code", "83-28882-2-2025");
        assert_eq!(
            changes.to_json(),
            r#"{"code":{"before":null,"after":"83-28882-2-2025"},"status":{"before":"draft","after":"submitted"}}"#
        );
        assert!(Changes::new().field("a", 1, 1).is_empty());
    }
}

/// The trail's head as it stood on a day, signed with the installation's certificate key and
/// published (`/api/v1/audit/anchors`), so that whoever keeps a copy can later prove the log's
/// end was not rewritten: rewriting records and the head together re-hashes the chain, and the
/// record at an anchored number no longer has the anchored hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Anchor {
    /// The day (Vietnam) the anchor was made.
    pub day: chrono::NaiveDate,
    /// The head: the newest record's number and hash that day.
    pub seq: i64,
    pub hash: String,
    /// The certificate key that signed it (its public half is in `/.well-known/ocop-keys.json`).
    pub key_id: u16,
    /// Ed25519 over [`Anchor::message`], in lowercase hex.
    pub signature: String,
}

/// Why an anchor does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorBreak {
    /// No key of that number, or the signature does not verify: not the installation's anchor.
    Forged { day: chrono::NaiveDate },
    /// The log is shorter than the anchored head: its end was cut off.
    Shortened { day: chrono::NaiveDate, seq: i64 },
    /// The record at the anchored number has another hash: the log was rewritten from there on.
    Rewritten { day: chrono::NaiveDate, seq: i64 },
}

impl fmt::Display for AnchorBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnchorBreak::Forged { day } => write!(
                f,
                "the anchor of {day} is not signed by any of the installation's keys"
            ),
            AnchorBreak::Shortened { day, seq } => write!(
                f,
                "the log ends before record {seq}, which the anchor of {day} saw: its end was cut off"
            ),
            AnchorBreak::Rewritten { day, seq } => write!(
                f,
                "record {seq} is not the one the anchor of {day} saw: the log was rewritten from there on"
            ),
        }
    }
}

impl Anchor {
    /// The text signed: versioned, every field delimited.
    pub fn message(day: chrono::NaiveDate, seq: i64, hash: &str) -> String {
        format!("ocop-audit-anchor:1:{day}:{seq}:{hash}")
    }

    /// Signs the head `(seq, hash)` of `day` with the key numbered `key_id`.
    pub fn sign(
        key: &ed25519_dalek::SigningKey,
        key_id: u16,
        day: chrono::NaiveDate,
        seq: i64,
        hash: &str,
    ) -> Anchor {
        use ed25519_dalek::Signer as _;
        let signature = key.sign(Anchor::message(day, seq, hash).as_bytes());
        Anchor {
            day,
            seq,
            hash: hash.to_string(),
            key_id,
            signature: data_encoding::HEXLOWER.encode(&signature.to_bytes()),
        }
    }

    /// Whether one of `keys` signed this anchor.
    pub fn is_signed_by(&self, keys: &[crate::certificates::payload::PublicKey]) -> bool {
        use ed25519_dalek::Verifier as _;
        let Some(key) = keys.iter().find(|k| k.id == self.key_id) else {
            return false;
        };
        let Some(Ok(signature)) = data_encoding::HEXLOWER
            .decode(self.signature.as_bytes())
            .ok()
            .map(|bytes| ed25519_dalek::Signature::from_slice(&bytes))
        else {
            return false;
        };
        key.key
            .verify(
                Anchor::message(self.day, self.seq, &self.hash).as_bytes(),
                &signature,
            )
            .is_ok()
    }

    /// Checks the anchor against the log: signed by one of `keys`, and `hash_at` (the hash of
    /// the record numbered `self.seq` in the log now; `None` when there is none) is the anchored
    /// one. The head before the first record (0) is anchored as nothing to check.
    pub fn check(
        &self,
        keys: &[crate::certificates::payload::PublicKey],
        hash_at: Option<&str>,
    ) -> Result<(), AnchorBreak> {
        if !self.is_signed_by(keys) {
            return Err(AnchorBreak::Forged { day: self.day });
        }
        if self.seq == 0 {
            return Ok(());
        }
        match hash_at {
            None => Err(AnchorBreak::Shortened {
                day: self.day,
                seq: self.seq,
            }),
            Some(hash) if hash != self.hash => Err(AnchorBreak::Rewritten {
                day: self.day,
                seq: self.seq,
            }),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod anchor_tests {
    use super::*;
    use crate::certificates::payload::PublicKey;

    fn keys() -> (ed25519_dalek::SigningKey, Vec<PublicKey>) {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public = PublicKey {
            id: 3,
            key: key.verifying_key(),
            valid_from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            retired_on: None,
        };
        (key, vec![public])
    }

    #[test]
    fn an_anchor_holds_only_for_the_log_it_saw_and_only_with_its_signature() {
        let (key, public) = keys();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let hash = "ab".repeat(32);
        let anchor = Anchor::sign(&key, 3, day, 42, &hash);
        assert_eq!(anchor.check(&public, Some(&hash)), Ok(()));
        assert_eq!(
            anchor.check(&public, Some(&"cd".repeat(32))),
            Err(AnchorBreak::Rewritten { day, seq: 42 })
        );
        assert_eq!(
            anchor.check(&public, None),
            Err(AnchorBreak::Shortened { day, seq: 42 })
        );
        // Any field changed, another key, or a mangled signature: forged.
        for forged in [
            Anchor {
                seq: 41,
                ..anchor.clone()
            },
            Anchor {
                hash: "cd".repeat(32),
                ..anchor.clone()
            },
            Anchor {
                day: day.succ_opt().unwrap(),
                ..anchor.clone()
            },
            Anchor {
                key_id: 4,
                ..anchor.clone()
            },
            Anchor {
                signature: "zz".into(),
                ..anchor.clone()
            },
            Anchor::sign(
                &ed25519_dalek::SigningKey::from_bytes(&[8; 32]),
                3,
                day,
                42,
                &hash,
            ),
        ] {
            assert_eq!(
                forged.check(&public, Some(&forged.hash)),
                Err(AnchorBreak::Forged { day: forged.day }),
                "{forged:?}"
            );
        }
        // The message is the documented text.
        assert_eq!(
            Anchor::message(day, 42, "ff"),
            "ocop-audit-anchor:1:2026-12-04:42:ff"
        );
    }
}
