//! The producer's self-assessment: the sheet with the options that apply to the entity, the
//! choices checked on the sheet, and the readiness check (bands, star minimums, the way to the
//! next star).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use fluent_templates::fluent_bundle::FluentValue;

use ocop_domain::access::Role;
use ocop_domain::criteria::{
    CouncilInput, EntityType, ProductSet, Scorecard, Version, evaluate_set, score_card,
};
use ocop_store::dossiers::{self, Dossier, DossierError};
use ocop_store::registry;

use super::pages::{dossier_page_with, not_found};
use crate::AppState;
use crate::shared::auth::{Session, Viewer, check_csrf};
use crate::shared::error::{PageError, page_error};
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, render};
use crate::shared::sheet::{CriterionView, criterion_views};

/// The producer's own readiness check: the saved self-assessment against the bands and the
/// sheet's star minimums, and what is missing for the next star.
pub struct Readiness {
    pub total: String,
    pub band: String,
    pub ranked: String,
    /// One line per marked star: met or not.
    pub stars: Vec<(bool, String)>,
    pub next: Option<String>,
    /// What to improve for the next star, each with why.
    pub steps: Vec<String>,
}

fn readiness(
    version: &Version,
    set: &ProductSet,
    entity: EntityType,
    card: Scorecard,
    lang: Lang,
) -> Option<Readiness> {
    let input = CouncilInput {
        version: version.id.clone(),
        product_set: set.code.clone(),
        entity_type: entity,
        council: Vec::new(),
        scorecards: vec![card],
        disqualifications: Vec::new(),
    };
    let result = evaluate_set(version, set, &input).ok()?;
    let minimums = result.minimums.as_ref()?;
    let stars_text = |stars: u8| lang.t_with("stars-n", &[("stars", FluentValue::from(stars))]);
    let stars = minimums
        .stars
        .iter()
        .map(|s| {
            let missing: Vec<String> = s
                .missing
                .iter()
                .map(|m| format!("{} {}", m.criterion, m.name_vi))
                .collect();
            let text = if s.met() {
                lang.t_with(
                    "readiness-met",
                    &[
                        ("stars", FluentValue::from(s.stars)),
                        ("count", FluentValue::from(s.marked)),
                    ],
                )
            } else {
                lang.t_with(
                    "readiness-missing",
                    &[
                        ("stars", FluentValue::from(s.stars)),
                        ("criteria", FluentValue::from(missing.join("; "))),
                    ],
                )
            };
            (s.met(), text)
        })
        .collect();
    let upgrade = result.explanation.upgrade.as_ref();
    Some(Readiness {
        total: result.mean.to_string(),
        band: stars_text(result.band_stars),
        ranked: stars_text(result.stars),
        stars,
        next: upgrade.map(|u| {
            lang.t_with(
                "readiness-next",
                &[("stars", FluentValue::from(stars_text(u.target_stars)))],
            )
        }),
        steps: upgrade
            .map(|u| {
                u.steps
                    .iter()
                    .map(|step| {
                        let why = match step.minimum {
                            Some(stars) => {
                                lang.t_with("sheet-minimum", &[("stars", FluentValue::from(stars))])
                            }
                            None => lang.t_with(
                                "readiness-gain",
                                &[("gain", FluentValue::from(step.gain.to_string()))],
                            ),
                        };
                        format!(
                            "{} {}: «{}» ({} — {why})",
                            step.criterion,
                            step.name_vi,
                            step.option_vi,
                            lang.t_with("points-of", &[("max", FluentValue::from(step.points))])
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "dossiers/self_assessment.html")]
struct SelfAssessmentPage {
    chrome: Chrome,
    id: String,
    product: String,
    version: String,
    set_code: String,
    provisional: bool,
    csrf: String,
    errors: Vec<String>,
    legend: Option<String>,
    readiness: Option<Readiness>,
    criteria: Vec<CriterionView>,
}

/// The producer's dossier, its product and entity, for the self-assessment.
async fn own_dossier(
    state: &AppState,
    session: &Session,
    id: &str,
    lang: Lang,
) -> Result<(Dossier, String, EntityType), PageError> {
    if session.user.role != Role::Producer {
        return Err(PageError::forbidden(lang));
    }
    let scope = session.scope();
    let dossier = dossiers::find(&state.db, &scope, id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(id, lang))?;
    let product = registry::product(&state.db, &scope, &dossier.product_id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(id, lang))?;
    let entity = registry::find(&state.db, &scope, &dossier.entity_id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found(id, lang))?;
    Ok((dossier, product.name, entity.kind))
}

#[allow(clippy::too_many_arguments)]
fn self_assessment_page(
    state: &AppState,
    viewer: &Viewer,
    session: &Session,
    dossier: &Dossier,
    product: String,
    entity: EntityType,
    chosen: &BTreeMap<String, u32>,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let version = state
        .criteria
        .version(&dossier.criteria_version)
        .ok_or_else(|| not_found(&dossier.id, lang))?;
    let set = version
        .set(&dossier.product_set)
        .ok_or_else(|| not_found(&dossier.id, lang))?;
    let criteria = criterion_views(version, set, entity, chosen, lang);
    let card = Scorecard {
        member: session.user.name.clone(),
        choices: chosen.clone(),
    };
    let readiness = errors
        .is_empty()
        .then(|| readiness(version, set, entity, card, lang))
        .flatten();
    let legend = set.sheet.has_minimums().then(|| {
        lang.t_with(
            "sheet-legend",
            &[("rule", FluentValue::from(lang.t("minimums-self")))],
        )
    });
    render(
        &SelfAssessmentPage {
            chrome: Chrome::new(viewer, "dossiers"),
            id: dossier.id.clone(),
            product,
            version: version.id.clone(),
            set_code: set.code.clone(),
            provisional: set.provisional,
            csrf: session.csrf.clone(),
            errors,
            legend,
            readiness,
            criteria,
        },
        lang,
    )
}

pub async fn self_assessment_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let (dossier, product, entity) = own_dossier(&state, session, &id, lang).await?;
    let chosen = dossier.self_assessment.clone().unwrap_or_default();
    self_assessment_page(
        &state,
        &viewer,
        session,
        &dossier,
        product,
        entity,
        &chosen,
        Vec::new(),
    )
}

/// Saves the self-assessment after checking it on the sheet; every problem is listed and the
/// choices made are kept.
pub async fn save_self_assessment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.require().map_err(page_error(lang))?;
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    check_csrf(session, csrf).map_err(page_error(lang))?;
    let (dossier, product, entity) = own_dossier(&state, session, &id, lang).await?;
    let mut choices = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, value) in fields.iter().filter(|(k, _)| k != "csrf") {
        match value.parse::<u32>() {
            Ok(option) => {
                choices.insert(key.clone(), option);
            }
            Err(_) => errors.push(format!("{key}: `{value}`")),
        }
    }
    let version = state
        .criteria
        .version(&dossier.criteria_version)
        .ok_or_else(|| not_found(&id, lang))?;
    let set = version
        .set(&dossier.product_set)
        .ok_or_else(|| not_found(&id, lang))?;
    let card = Scorecard {
        member: session.user.name.clone(),
        choices: choices.clone(),
    };
    let scored = match score_card(version, set, entity, &card) {
        Ok(scored) if errors.is_empty() => scored,
        Ok(_) => {
            let page = self_assessment_page(
                &state, &viewer, session, &dossier, product, entity, &choices, errors,
            )?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(problems) => {
            errors.extend(problems.iter().map(|p| p.to_string()));
            let page = self_assessment_page(
                &state, &viewer, session, &dossier, product, entity, &choices, errors,
            )?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match dossiers::save_self_assessment(
        &state.db,
        &session.scope(),
        &id,
        &choices,
        scored.total,
        &session.user.id,
    )
    .await
    {
        Ok(()) => {
            let message = lang.t_with(
                "self-assessment-saved",
                &[("total", FluentValue::from(scored.total))],
            );
            Ok(
                dossier_page_with(&state, &viewer, &id, Some((message, false)))
                    .await?
                    .into_response(),
            )
        }
        Err(DossierError::NotFound) => Err(not_found(&id, lang)),
        Err(DossierError::Store(error)) => Err(PageError::new(error.into(), lang)),
        Err(other) => {
            let message = lang.t_with(
                "dossier-error-transition",
                &[("detail", FluentValue::from(other.to_string()))],
            );
            let page = dossier_page_with(&state, &viewer, &id, Some((message, true))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
