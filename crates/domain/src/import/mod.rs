//! Bringing in the records provinces already keep in workbooks (issue 13): files read whatever
//! wrote them (`read.rs`), headers found however they are spelled (`columns.rs`), cells read as
//! people write them (`cells.rs`), places of the old map followed onto today's (`places.rs`),
//! rows checked by the registry's own rules into records (`rows.rs`), and the report of what a
//! run did or would do, row by row (here). Pure: the store decides created / updated / unchanged
//! against the database and writes all or nothing.

pub mod cells;
pub mod columns;
pub mod places;
pub mod read;
pub mod rows;

use serde::{Deserialize, Serialize};

pub use columns::Kind;
pub use rows::RowError;

/// What a run did (or, dry, would do) with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Error => "error",
        }
    }
}

/// One row's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowReport {
    pub row: usize,
    pub outcome: Outcome,
    /// The record's natural key (registration code, product code, certificate number…).
    pub key: String,
    /// The fields an update changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

/// Counts of a run, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: usize,
}

impl Counts {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Error => self.errors += 1,
        }
    }

    pub fn rows(&self) -> usize {
        self.created + self.updated + self.unchanged + self.errors
    }
}

/// The whole report of a run: per row, the problems, and the file's own problem if it could
/// not be read at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub counts: Counts,
    pub rows: Vec<RowReport>,
    pub errors: Vec<RowError>,
    /// A problem of the whole file (a message id), when nothing could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_error: Option<String>,
    /// What names the file error (the missing headers, the limit).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file_detail: String,
    /// Headers of the file no column took.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_headers: Vec<String>,
    /// How the bytes were read (`xlsx`, `utf-8`, `windows-1258`…).
    #[serde(default)]
    pub encoding: String,
}

impl Report {
    /// A report of a file that could not be read.
    pub fn of_file_error(message: &str, detail: impl Into<String>) -> Report {
        Report {
            file_error: Some(message.to_string()),
            file_detail: detail.into(),
            ..Report::default()
        }
    }

    pub fn push(&mut self, row: RowReport) {
        self.counts.add(row.outcome);
        self.rows.push(row);
    }

    /// Whether a real run may write: the file was read and no row has a problem.
    pub fn is_clean(&self) -> bool {
        self.file_error.is_none() && self.errors.is_empty()
    }
}
