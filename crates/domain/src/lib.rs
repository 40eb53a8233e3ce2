//! OCOP rules and types, free of IO.
//!
//! Everything here is pure: parsing, validation and rules that both the storage and the web
//! layers rely on. Errors are `thiserror` types of this crate; IO and HTTP errors live upstream.

pub mod access;
pub mod audit;
pub mod batches;
pub mod catalogue;
pub mod certificates;
pub mod criteria;
pub mod dossier;
pub mod files;
pub mod import;
pub mod monitoring;
pub mod registry;
pub mod rounds;
pub mod sales_points;
pub mod text;
pub mod units;
