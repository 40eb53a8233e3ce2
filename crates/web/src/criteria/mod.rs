//! Criteria versions as data: the versions with their product sets and transition rules, each
//! set's scoring sheet, and scoring a council.
//!
//! - [`pages`]: the versions and the sheets;
//! - [`api`]: versions, sheets and `POST /api/v1/score` in JSON.

pub mod api;
pub mod pages;
