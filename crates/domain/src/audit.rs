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
