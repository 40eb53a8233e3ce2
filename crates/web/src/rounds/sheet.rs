//! A product of a round as a council member scores it: the sheet with their own card (saved as
//! a draft as they go, then submitted), the producer's self-assessment and evidence per
//! criterion one click away, and — only once their own card is in — the other members' cards,
//! the result and the history of earlier passes. The chair opens re-scores here; a member
//! declares a conflict here.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use ocop_domain::rounds::RoundState;
use ocop_domain::rounds::council::Seat;
use ocop_domain::rounds::scoring::Viewer as ScoringViewer;
use ocop_store::dossiers;

use super::{Loaded, status_label};
use crate::AppState;
use crate::shared::assets::asset_url;
use crate::shared::auth::{Viewer, check_csrf};
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::page::Notice;
use crate::shared::page::{Chrome, form_field, render};
use crate::shared::sheet::{CriterionView, criterion_views};

/// A criterion of the member's sheet, with what the producer said and the evidence for it.
pub struct SheetRow {
    pub criterion: CriterionView,
    /// The producer's own option, as its label.
    pub self_assessed: Option<String>,
    /// (url, file name)
    pub evidence: Vec<(String, String)>,
}

/// A card shown to a member who may see it.
pub struct CardRow {
    pub member: String,
    pub pass: u32,
    pub total: String,
    pub parts: String,
}

#[derive(Template)]
#[template(path = "rounds/sheet.html")]
struct SheetPage {
    chrome: Chrome,
    round_id: String,
    round_name: String,
    product_id: String,
    product: String,
    dossier_id: String,
    facts: Vec<(String, String)>,
    /// The member scores this product now.
    scoring: bool,
    submitted: bool,
    excluded: bool,
    rows: Vec<SheetRow>,
    /// The current pass's other cards and result, once visible.
    cards: Vec<CardRow>,
    result: Vec<String>,
    /// Earlier passes' cards.
    history: Vec<CardRow>,
    rescores: Vec<String>,
    may_rescore: bool,
    may_declare: bool,
    /// The office of the product's province may decide on a central result below 90.
    may_fallback: bool,
    /// "Đánh giá lại: lấy ý kiến bằng văn bản, hạn 15/01/2027".
    written_opinions: Option<String>,
    blind_note: bool,
    /// The member's own submitted sheet as PDF.
    my_sheet_pdf: Option<String>,
    csrf: String,
    notice: Notice,
    script_url: String,
}

async fn sheet_page_with(
    state: &AppState,
    viewer: &Viewer,
    round_id: &str,
    product_id: &str,
    typed: Option<BTreeMap<String, u32>>,
    notice: Notice,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let user = &session.user;
    let loaded = Loaded::load(state, user, round_id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let product = loaded
        .product(product_id)
        .map_err(|e| PageError::new(e, lang))?;
    let (version, set) =
        Loaded::sheet_of(state, product).ok_or_else(|| PageError::new(AppError::Internal, lang))?;
    let own = loaded.card_of(product, &user.id);
    let chosen = typed.unwrap_or_else(|| own.map(|c| c.choices.clone()).unwrap_or_default());
    let scoring_viewer = loaded.viewer(product, user);
    let submitted = matches!(scoring_viewer, ScoringViewer::Member { submitted: true });
    let excluded = scoring_viewer == ScoringViewer::Excluded;
    let scoring = matches!(scoring_viewer, ScoringViewer::Member { submitted: false })
        && loaded.round.state == RoundState::Scoring
        && product.final_score.is_none();
    let visibility = loaded.visibility(state, product, user);

    // The producer's side, one click away.
    let dossier = dossiers::find(
        &state.db,
        &ocop_domain::access::Scope::National,
        &product.dossier_id,
    )
    .await
    .map_err(page_error(lang))?;
    let self_assessment = dossier
        .as_ref()
        .and_then(|d| d.self_assessment.clone())
        .unwrap_or_default();
    let evidence = dossiers::evidence(&state.db, &product.dossier_id)
        .await
        .map_err(page_error(lang))?;
    let rows = criterion_views(version, set, product.entity_type, &chosen, lang)
        .into_iter()
        .map(|criterion| {
            let self_assessed = self_assessment.get(&criterion.code).and_then(|number| {
                criterion
                    .options
                    .iter()
                    .find(|o| o.number == *number)
                    .map(|o| format!("{} — {}", o.name, o.points))
            });
            let evidence = evidence
                .iter()
                .filter(|e| e.criterion_code.as_deref() == Some(criterion.code.as_str()))
                .map(|e| {
                    (
                        format!("/dossiers/{}/evidence/{}", product.dossier_id, e.id),
                        e.original_name.clone(),
                    )
                })
                .collect();
            SheetRow {
                criterion,
                self_assessed,
                evidence,
            }
        })
        .collect();

    let standing = loaded.standing(state, product);
    let card_row = |card: &ocop_store::rounds::StoredCard| {
        let parts = ocop_domain::criteria::score_card(
            version,
            set,
            product.entity_type,
            &ocop_domain::criteria::Scorecard {
                member: card.member_id.clone(),
                choices: card.choices.clone(),
            },
        )
        .map(|scored| {
            scored
                .parts
                .iter()
                .map(|(part, points)| format!("{part} {points}"))
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default();
        CardRow {
            member: loaded.member_name(&card.member_id),
            pass: card.pass,
            total: card.total.map_or_else(|| "—".into(), |t| t.to_string()),
            parts,
        }
    };
    let submitted_cards = loaded
        .cards_of(&product.id)
        .iter()
        .filter(|c| c.submitted_at.is_some());
    let cards = if visibility.current_pass {
        submitted_cards
            .clone()
            .filter(|c| c.pass == product.pass)
            .map(card_row)
            .collect()
    } else {
        Vec::new()
    };
    let history = if visibility.earlier_passes {
        submitted_cards
            .filter(|c| c.pass < product.pass)
            .map(card_row)
            .collect()
    } else {
        Vec::new()
    };
    let result = match (&standing, visibility.current_pass) {
        (Some(standing), true) => {
            let mut lines = vec![status_label(standing.status, lang)];
            if let Some(result) = &standing.result {
                lines.push(lang.t_with(
                    "rounds-result-line",
                    &[
                        ("mean", result.mean.to_string().into()),
                        ("stars", i64::from(result.stars).into()),
                        ("spread", i64::from(result.spread).into()),
                        ("limit", i64::from(result.spread_limit).into()),
                    ],
                ));
                lines.extend(result.reasons.iter().cloned());
            }
            lines
        }
        _ => Vec::new(),
    };
    let chair = loaded.seat_of(&user.id) == Some(Seat::Chair);
    let decided = loaded
        .decisions
        .iter()
        .any(|d| d.items.iter().any(|(id, _, _)| *id == product.id));
    let may_rescore = chair
        && !decided
        && loaded.round.state != RoundState::Preparing
        && !loaded
            .rescores
            .iter()
            .any(|r| r.round_product_id == product.id && r.pass == product.pass + 1);
    let eligible = loaded.eligible(&product.id);
    let progress = format!(
        "{}/{}",
        standing.as_ref().map_or(0, |s| s.submitted.len()),
        eligible.len()
    );
    let mut facts = vec![
        (lang.t("rounds-entity"), product.entity_name.clone()),
        (lang.t("product-code"), product.product_code.clone()),
        (
            lang.t("product-criteria"),
            format!("{} · {} — {}", version.id, set.code, set.name_vi),
        ),
        (lang.t("rounds-pass"), product.pass.to_string()),
        (lang.t("rounds-progress"), progress),
    ];
    // In the ministry's round, the province's result and decision travel with the product.
    if let Some(source) = &product.source_id {
        let decided = ocop_store::rounds::source_summary(&state.db, source)
            .await
            .map_err(page_error(lang))?;
        if let Some(source) = decided {
            facts.push((
                lang.t("rounds-province-result"),
                format!(
                    "{}: {} · {}★{}",
                    source.round,
                    crate::shared::format::score(source.score),
                    source.stars,
                    source
                        .decision
                        .map(|n| format!(" · {n}"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    render(
        &SheetPage {
            chrome: Chrome::new(viewer, "rounds"),
            round_id: loaded.round.id.clone(),
            round_name: loaded.round.name.clone(),
            product_id: product.id.clone(),
            product: format!("{} — {}", product.product_code, product.product_name),
            dossier_id: product.dossier_id.clone(),
            facts,
            scoring,
            submitted,
            excluded,
            rows,
            cards,
            result,
            history,
            rescores: loaded
                .rescores
                .iter()
                .filter(|r| r.round_product_id == product.id)
                .map(|r| {
                    lang.t_with(
                        "rounds-rescore-line",
                        &[
                            ("pass", i64::from(r.pass).into()),
                            ("by", loaded.member_name(&r.opened_by).into()),
                            ("reason", r.reason.clone().into()),
                        ],
                    )
                })
                .collect(),
            may_rescore,
            may_declare: loaded.seat_of(&user.id).is_some_and(|s| s.scores())
                && !excluded
                && loaded.round.state != RoundState::Closed,
            may_fallback: user.role == ocop_domain::access::Role::ProvincialOfficer
                && user.unit_code.as_deref() == Some(product.province_code.as_str())
                && matches!(
                    ocop_store::rounds::outcome_of(product),
                    Some(
                        ocop_domain::rounds::decision::ProductOutcome::BelowMinistryThreshold { .. }
                    )
                )
                && dossier.as_ref().is_some_and(|d| {
                    d.state == ocop_domain::dossier::DossierState::BelowMinistryThreshold
                }),
            written_opinions: super::reevaluation_due(state, product).map(|due| {
                lang.t_with(
                    "rounds-written-opinions",
                    &[("date", crate::shared::format::date(due).into())],
                )
            }),
            blind_note: !visibility.current_pass && !excluded,
            my_sheet_pdf: loaded
                .cards_of(&product.id)
                .iter()
                .any(|c| c.member_id == user.id && c.submitted_at.is_some())
                .then(|| super::documents::sheet_url(&loaded.round.id, &product.id, &user.id)),
            csrf: session.csrf.clone(),
            notice,
            script_url: asset_url("rounds.js"),
        },
        lang,
    )
}

/// `GET /rounds/{id}/products/{product}`
pub async fn sheet_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    sheet_page_with(&state, &viewer, &id, &product, None, Notice::default()).await
}

/// The card's choices from a form: every `c:CODE` field with an option number.
fn choices_of(fields: &[(String, String)]) -> Result<BTreeMap<String, u32>, String> {
    let mut choices = BTreeMap::new();
    for (name, value) in fields {
        if let Some(code) = name.strip_prefix("c:") {
            if value.is_empty() {
                continue;
            }
            let number = value.parse().map_err(|_| code.to_string())?;
            choices.insert(code.to_string(), number);
        }
    }
    Ok(choices)
}

/// `POST /rounds/{id}/products/{product}/card`: saves the draft (`intent=draft`) or submits
/// (`intent=submit`); problems come back on the sheet with what was chosen.
pub async fn save_card(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, form_field(&fields, "csrf")).map_err(page_error(lang))?;
    let user = &session.user;
    let loaded = Loaded::load(&state, user, &id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let product = loaded
        .product(&product_id)
        .map_err(|e| PageError::new(e, lang))?;
    let choices = match choices_of(&fields) {
        Ok(choices) => choices,
        Err(code) => {
            return Err(PageError::new(
                AppError::bad_request(
                    "invalid_option",
                    format!("criterion {code}: not an option number"),
                ),
                lang,
            ));
        }
    };
    let submitting = form_field(&fields, "intent") == "submit";
    let outcome = if submitting {
        super::submit(&state, user, &loaded, product, &choices)
            .await
            .map(|total| {
                lang.t_with(
                    "rounds-card-submitted-total",
                    &[("total", i64::from(total).into())],
                )
            })
    } else {
        super::save_draft(&state, user, &loaded, product, &choices)
            .await
            .map(|()| lang.t("rounds-card-saved"))
    };
    match outcome {
        Ok(message) => Ok(sheet_page_with(
            &state,
            &viewer,
            &id,
            &product_id,
            None,
            Notice::done(message),
        )
        .await?
        .into_response()),
        Err(error) => {
            let status = match error.status() {
                StatusCode::FORBIDDEN => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let notice = Notice::from_error(&error, lang);
            let page =
                sheet_page_with(&state, &viewer, &id, &product_id, Some(choices), notice).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct ReasonForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn after_product_form(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    product_id: &str,
    outcome: Result<String, AppError>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    match outcome {
        Ok(message) => {
            Ok(
                sheet_page_with(state, viewer, id, product_id, None, Notice::done(message))
                    .await?
                    .into_response(),
            )
        }
        Err(AppError::Forbidden { .. }) => Err(PageError::forbidden(lang)),
        Err(error) => {
            let notice = Notice::from_error(&error, lang);
            let page = sheet_page_with(state, viewer, id, product_id, None, notice).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The session (its CSRF token checked) and the round it posts to.
async fn form_round<'v>(
    state: &AppState,
    viewer: &'v Viewer,
    id: &str,
    csrf: &str,
) -> Result<(&'v crate::shared::auth::Session, Loaded), PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    check_csrf(session, csrf).map_err(page_error(lang))?;
    let loaded = Loaded::load(state, &session.user, id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    Ok((session, loaded))
}

/// `POST /rounds/{id}/products/{product}/conflict`: the member declares a conflict.
pub async fn declare_conflict(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product_id)): Path<(String, String)>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (session, loaded) = form_round(&state, &viewer, &id, &form.csrf).await?;
    let product = loaded
        .product(&product_id)
        .map_err(|e| PageError::new(e, lang))?;
    let outcome = super::declare(&state, &session.user, &loaded, product, &form.reason)
        .await
        .map(|()| lang.t("rounds-conflict-declared-done"));
    after_product_form(&state, &viewer, &id, &product_id, outcome).await
}

/// `POST /rounds/{id}/products/{product}/rescore`: the chair opens the next pass.
pub async fn rescore(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product_id)): Path<(String, String)>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (session, loaded) = form_round(&state, &viewer, &id, &form.csrf).await?;
    let product = loaded
        .product(&product_id)
        .map_err(|e| PageError::new(e, lang))?;
    let outcome = super::rescore(&state, &session.user, &loaded, product, &form.reason)
        .await
        .map(|pass| lang.t_with("rounds-rescore-opened", &[("pass", i64::from(pass).into())]));
    after_product_form(&state, &viewer, &id, &product_id, outcome).await
}

/// `POST /rounds/{id}/products/{product}/fallback`: the province's step on a central result
/// below 90.
pub async fn fallback(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product_id)): Path<(String, String)>,
    Form(form): Form<crate::shared::page::WithCsrf<super::FallbackForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (session, loaded) = form_round(&state, &viewer, &id, &form.csrf).await?;
    let product = loaded
        .product(&product_id)
        .map_err(|e| PageError::new(e, lang))?;
    let outcome = super::fallback(&state, &session.user, &loaded, product, &form.fields, lang)
        .await
        .map(|decision| match decision {
            Some(d) => lang.t_with("rounds-decision-recorded", &[("number", d.number.into())]),
            None => lang.t("rounds-fallback-reevaluate-done"),
        });
    after_product_form(&state, &viewer, &id, &product_id, outcome).await
}
