//! The secretary's overview: for each product, who has submitted, drafted, not scored, or is
//! excluded by a conflict, and the product's status as far as the viewer may see it.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;

use super::{Loaded, status_label};
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::PageError;
use crate::shared::page::{Chrome, render};

/// One cell of the secretary's overview.
pub struct Cell {
    /// submitted, draft, none, excluded
    pub kind: &'static str,
    pub label: String,
    /// The member's sheet as PDF, for the round's officials once it is closed.
    pub pdf: Option<String>,
}

pub struct OverviewRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub pass: u32,
    pub cells: Vec<Cell>,
    pub progress: String,
    pub status: String,
    pub status_code: &'static str,
}

#[derive(Template)]
#[template(path = "rounds/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    id: String,
    name: String,
    members: Vec<String>,
    rows: Vec<OverviewRow>,
    submitted: usize,
    expected: usize,
    sheets_pdf: bool,
}

/// The secretary's overview: who has submitted on each product (names only), and the status.
pub async fn overview_html(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let user = &session.user;
    let loaded = Loaded::load(state, user, id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let scorers: Vec<_> = loaded.seats.iter().filter(|s| s.seat.scores()).collect();
    let sheets_pdf = loaded.round.state == ocop_domain::rounds::RoundState::Closed
        && super::documents::official(&loaded, user);
    let (mut submitted_total, mut expected) = (0, 0);
    let rows = loaded
        .products
        .iter()
        .map(|product| {
            let standing = loaded.standing(state, product);
            let visible = loaded.visibility(state, product, user).current_pass;
            let submitted = standing
                .as_ref()
                .map(|s| s.submitted.clone())
                .unwrap_or_default();
            let cells: Vec<Cell> = scorers
                .iter()
                .map(|seat| {
                    let kind = if loaded.excluded(&product.id, &seat.user_id) {
                        "excluded"
                    } else if submitted.contains(&seat.user_id) {
                        "submitted"
                    } else if loaded.card_of(product, &seat.user_id).is_some() {
                        "draft"
                    } else {
                        "none"
                    };
                    Cell {
                        kind,
                        label: lang.t(&format!("rounds-cell-{kind}")),
                        pdf: (sheets_pdf && kind == "submitted").then(|| {
                            super::documents::sheet_url(
                                &loaded.round.id,
                                &product.id,
                                &seat.user_id,
                            )
                        }),
                    }
                })
                .collect();
            let eligible = cells.iter().filter(|c| c.kind != "excluded").count();
            submitted_total += submitted.len();
            expected += eligible;
            OverviewRow {
                id: product.id.clone(),
                code: product.product_code.clone(),
                name: product.product_name.clone(),
                pass: product.pass,
                progress: format!("{}/{eligible}", submitted.len()),
                status: standing
                    .as_ref()
                    .filter(|_| visible)
                    .map_or_else(|| "—".into(), |s| status_label(s.status, lang)),
                status_code: standing
                    .as_ref()
                    .filter(|_| visible)
                    .map_or("blind", |s| s.status.as_str()),
                cells,
            }
        })
        .collect();
    render(
        &OverviewPage {
            chrome: Chrome::new(viewer, "rounds"),
            id: loaded.round.id.clone(),
            name: loaded.round.name.clone(),
            members: scorers.iter().map(|s| s.name.clone()).collect(),
            rows,
            submitted: submitted_total,
            expected,
            sheets_pdf,
        },
        lang,
    )
}

/// `GET /rounds/{id}/overview`
pub async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    overview_html(&state, &viewer, &id).await
}
