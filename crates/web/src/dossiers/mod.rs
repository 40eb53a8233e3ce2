//! Dossiers: a producer opens one for a product, self-assesses it, attaches evidence and submits
//! it when complete; the commune officer works an inbox, writes its report and returns (with a
//! reason), accepts, proposes or disqualifies; the province takes it in or returns it to the
//! commune, and its advisory group pre-assesses it.
//!
//! - [`pages`]: opening a dossier, the inbox, a dossier's page and its steps, evidence;
//! - [`self_assessment`]: the producer's self-assessment form and readiness check;
//! - [`review`]: the commune's Mẫu 03 report, the province's taking in and pre-assessment, and
//!   the dossier's evaluation record (rounds, results, the producer's upgrade advice);
//! - [`api`]: the same in JSON under `/api/v1`.
//!
//! Dependencies: dossiers may use `crate::registry` (a dossier belongs to a product: the "open a
//! dossier" form lives on the product's page, so its problems are shown there); the registry
//! never imports dossiers. Everything else comes from `crate::shared`.

pub mod api;
pub mod pages;
pub mod review;
pub mod review_pages;
pub mod self_assessment;

use ocop_domain::dossier::{ChecklistItem, DossierFacts, missing_items};
use ocop_store::dossiers::{self, Dossier};

use crate::AppState;
use crate::shared::error::AppError;

/// What the dossier holds, for the checklist: evidence counts unless expired today.
pub async fn missing(state: &AppState, dossier: &Dossier) -> Result<Vec<ChecklistItem>, AppError> {
    let today = chrono::Utc::now().date_naive();
    let evidence = dossiers::evidence(&state.db, &dossier.id).await?;
    let food_or_drink = state
        .criteria
        .version(&dossier.criteria_version)
        .and_then(|v| v.set(&dossier.product_set))
        .is_some_and(|set| matches!(set.group.as_str(), "Thực phẩm" | "Đồ uống"));
    let facts = DossierFacts {
        contact_phone: dossier
            .contact_phone
            .as_deref()
            .is_some_and(|p| !p.trim().is_empty()),
        self_assessment_complete: dossier.self_assessment_total.is_some(),
        evidence: evidence
            .iter()
            .filter(|e| e.expires_on.is_none_or(|day| day >= today))
            .map(|e| e.evidence_type)
            .collect(),
        food_or_drink,
    };
    Ok(missing_items(&facts))
}
