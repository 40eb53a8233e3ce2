//! Persistence for ocop: one [`Db`] over a SQLite or a PostgreSQL pool.
//!
//! The same SQL text runs on both backends (`$1, $2` placeholders, which sqlx's SQLite driver
//! accepts); a repository method is written once and expanded for each pool by [`on_db!`].
//! Errors are [`StoreError`]; the web layer maps them to HTTP, the binary to exit codes.

pub mod accounts;
pub mod anchors;
pub mod audit;
pub mod backup;
pub mod batches;
pub mod bulk;
pub mod catalogue;
pub mod certificates;
pub mod clock;
mod db;
pub mod dossiers;
pub mod files;
pub mod import;
pub mod jobs;
pub mod keys;
pub mod meta;
pub mod monitoring;
pub mod notices;
pub mod registry;
pub mod revision;
pub mod rounds;
pub mod sales_points;
pub mod testing;
pub mod units;

pub use db::{Db, DbKind, StoreError, Tx, mask_url};

/// Runs the same body against whichever pool a [`Db`] holds.
///
/// The body is expanded once per backend, so it must type-check for both (it does when it only
/// uses sqlx's generic query API with types both drivers support).
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs the same body against whichever connection a [`Tx`] holds.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::Tx::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}
