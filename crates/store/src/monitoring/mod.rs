//! Programme monitoring in storage: plans and targets (`plans.rs`), policies, entitlements,
//! disbursements and budgets (`policies.rs`), trade promotion and training (`promotion.rs`),
//! and the facts the indicators and dashboards are computed from, kept per revision
//! (`facts.rs`). The rules are `ocop_domain::monitoring`'s.

pub mod facts;
pub mod plans;
pub mod policies;
pub mod promotion;

use ocop_domain::access::Scope;

use crate::StoreError;

/// Why a monitoring write is refused.
#[derive(Debug, thiserror::Error)]
pub enum MonitoringError {
    /// Not found in the writer's scope (or not theirs to change).
    #[error("not found in your scope")]
    NotFound,
    /// A field's value is refused: (field, message id).
    #[error("{0}: {1}")]
    Invalid(&'static str, &'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for MonitoringError {
    fn from(error: sqlx::Error) -> MonitoringError {
        MonitoringError::Store(StoreError::Sqlx(error))
    }
}

/// Whether a scope covers a place on today's map (`None` province: the nation).
pub fn covers(scope: &Scope, province: Option<&str>, commune: Option<&str>) -> bool {
    match scope {
        Scope::National => true,
        Scope::Province(code) => province == Some(code.as_str()),
        Scope::Commune(code) => commune == Some(code.as_str()),
        Scope::Entity(_) | Scope::Seats(_) => false,
    }
}

/// The province of a scope, if it is bound to one (a commune's is looked up by the caller).
pub fn scope_province(scope: &Scope) -> Option<&str> {
    match scope {
        Scope::Province(code) => Some(code),
        _ => None,
    }
}
