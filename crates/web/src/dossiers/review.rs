//! A dossier after the producer: the commune's Mẫu 03 report (with its deadline), the
//! province's advisory group pre-assessment (samples, site visit, an optional preliminary card),
//! and the dossier's evaluation record — each round it was in, its kept result and decision,
//! and for the producer the council's result per part with the engine's upgrade advice.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use ocop_domain::access::Role;
use ocop_domain::criteria::Scorecard;
use ocop_domain::dossier::{
    COMMUNE_WORKING_DAYS, ChecklistItem, CommuneReport, DossierAction, DossierState,
    add_working_days,
};
use ocop_store::dossiers::{self, Dossier, DossierError, PreAssessment};
use ocop_store::rounds;

use crate::AppState;
use crate::shared::auth::Session;
use crate::shared::error::AppError;
use crate::shared::format;
use crate::shared::i18n::Lang;

/// What the step needs that is still missing: the producer's checklist to submit, the commune's
/// report to propose (when the dossier's version asks for one).
pub async fn missing_for(
    state: &AppState,
    dossier: &Dossier,
    action: &DossierAction,
) -> Result<Vec<ChecklistItem>, AppError> {
    match action {
        DossierAction::Submit => super::missing(state, dossier).await,
        DossierAction::Propose => {
            let asked = state
                .criteria
                .version(&dossier.criteria_version)
                .is_some_and(|v| v.procedure.commune_report);
            let written = dossiers::commune_report(&state.db, &dossier.id)
                .await?
                .is_some();
            Ok(if asked && !written {
                vec![ChecklistItem::CommuneReport]
            } else {
                Vec::new()
            })
        }
        _ => Ok(Vec::new()),
    }
}

/// Whether the province may forward the dossier to the ministry without a provincial council:
/// a re-evaluation of a product that holds 5★, under a version that says so (26/2026 Điều 6.3.b).
pub async fn forwards_to_ministry(state: &AppState, dossier: &Dossier) -> Result<bool, AppError> {
    let by_version = state
        .criteria
        .version(&dossier.criteria_version)
        .is_some_and(|v| v.procedure.five_star_reevaluation_to_ministry);
    Ok(by_version
        && dossier.evaluation_type == ocop_domain::dossier::EvaluationType::Reevaluation
        && rounds::recognised_stars(&state.db, &dossier.product_id).await? == Some(5))
}

/// The commune's deadline: 15 working days from the dossier's (latest) submission.
async fn report_deadline(
    state: &AppState,
    dossier: &Dossier,
) -> Result<Option<NaiveDate>, AppError> {
    let days = state
        .criteria
        .version(&dossier.criteria_version)
        .and_then(|v| v.procedure.commune_working_days)
        .unwrap_or(COMMUNE_WORKING_DAYS);
    let history = ocop_store::audit::history(&state.db, "dossier", &dossier.id).await?;
    Ok(history
        .iter()
        .rev()
        .find(|entry| entry.action == "dossier.submit")
        .and_then(|entry| chrono::DateTime::from_timestamp_millis(entry.at_ms))
        .map(|at| add_working_days(at.date_naive(), days)))
}

/// One round the dossier was in.
pub struct EvaluationRow {
    pub round_id: String,
    pub round: String,
    pub version: String,
    pub pass: u32,
    pub result: String,
    pub outcome: String,
    /// Members excluded by a conflict, and why (as the minutes say).
    pub excluded: Vec<String>,
}

/// What the dossier page shows after the producer's part.
#[derive(Default)]
pub struct Review {
    /// (label, text) of the four points, once written.
    pub report: Vec<(String, String)>,
    pub report_by: Option<String>,
    /// "Hạn: 23/12/2026 (còn 5 ngày)" while the commune has it.
    pub report_deadline: Option<String>,
    pub report_overdue: bool,
    pub report_form: bool,
    pub report_fields: CommuneReport,
    pub pre_assessment: Vec<(String, String)>,
    pub pre_assessment_form: bool,
    pub samples_expected: Option<u32>,
    pub evaluations: Vec<EvaluationRow>,
    /// The council's result per part, for the producer: (part, earned, max).
    pub parts: Vec<(String, String, String)>,
    /// The engine's upgrade advice, for the producer.
    pub advice: Option<String>,
    pub advice_steps: Vec<String>,
}

/// The dossier's review for `session`.
pub async fn review(
    state: &AppState,
    session: &Session,
    dossier: &Dossier,
    lang: Lang,
) -> Result<Review, AppError> {
    let mut review = Review::default();
    let role = session.user.role;
    let version = state.criteria.version(&dossier.criteria_version);
    if let Some(stored) = dossiers::commune_report(&state.db, &dossier.id).await? {
        let report = &stored.report;
        review.report = vec![
            (
                lang.t("report-local-materials"),
                report.local_materials.clone(),
            ),
            (lang.t("report-local-labour"), report.local_labour.clone()),
            (lang.t("report-idea-origin"), report.idea_origin.clone()),
            (
                lang.t("report-local-identity"),
                report.local_identity.clone(),
            ),
        ];
        review.report_by = chrono::DateTime::from_timestamp_millis(stored.written_at)
            .map(|at| format::date(at.date_naive()));
        review.report_fields = stored.report;
    }
    let commune_has_it = matches!(
        dossier.state,
        DossierState::Submitted | DossierState::Accepted
    );
    if commune_has_it && version.is_some_and(|v| v.procedure.commune_report) {
        if let Some(deadline) = report_deadline(state, dossier).await? {
            let today = chrono::Utc::now().date_naive();
            review.report_overdue = today > deadline;
            review.report_deadline = Some(lang.t_with(
                "report-deadline",
                &[
                    ("date", format::date(deadline).into()),
                    ("days", (deadline - today).num_days().into()),
                ],
            ));
        }
        review.report_form = role == Role::CommuneOfficer;
    }
    if let Some(pre) = dossiers::pre_assessment(&state.db, &dossier.id).await? {
        review.pre_assessment = vec![
            (
                lang.t("pre-samples"),
                match (pre.samples_received, pre.samples_received_on) {
                    (Some(count), Some(on)) => format!("{count} · {}", format::date(on)),
                    (Some(count), None) => count.to_string(),
                    _ => "—".into(),
                },
            ),
            (lang.t("pre-site-visit"), pre.site_visit_note.clone()),
            (
                lang.t("pre-preliminary"),
                pre.preliminary_total.map_or("—".into(), |t| t.to_string()),
            ),
        ];
    }
    review.samples_expected = version.and_then(|v| v.procedure.samples_for(&dossier.product_set));
    review.pre_assessment_form = role == Role::ProvincialOfficer
        && matches!(dossier.state, DossierState::TakenIn | DossierState::InRound);
    let mut last_kept = None;
    for product in rounds::products_of_dossier(&state.db, &dossier.id).await? {
        let round = rounds::find(&state.db, &rounds::RoundAccess::All, &product.round_id).await?;
        let Some(round) = round else { continue };
        let outcome = rounds::outcome_of(&product)
            .map(|o| lang.t(&format!("rounds-outcome-{}", o.as_str().replace('_', "-"))))
            .unwrap_or_else(|| lang.t(&format!("rounds-state-{}", round.state.as_str())));
        let result = match (product.final_score, product.final_stars) {
            (Some(score), Some(stars)) => format!("{} · {stars}★", format::score(score)),
            _ => "—".into(),
        };
        if product.final_score.is_some() {
            last_kept = Some(product.id.clone());
        }
        let seats = rounds::seats(&state.db, &round.id).await?;
        let excluded = rounds::conflicts_of(&state.db, &product.id)
            .await?
            .into_iter()
            .filter(|c| c.cleared_by.is_none() || !c.source.clearable())
            .map(|c| {
                let name = seats
                    .iter()
                    .find(|s| s.user_id == c.member_id)
                    .map_or(c.member_id.clone(), |s| s.name.clone());
                format!("{name}: {}", c.reason)
            })
            .collect();
        review.evaluations.push(EvaluationRow {
            round_id: round.id.clone(),
            round: round.name.clone(),
            version: product.criteria_version.clone(),
            pass: product.pass,
            result,
            outcome,
            excluded,
        });
    }
    // The producer sees the council's result per part and the way to the next star.
    let producer_sees = role == Role::Producer
        && matches!(
            dossier.state,
            DossierState::NotRecognised
                | DossierState::Recognised
                | DossierState::BelowMinistryThreshold
                | DossierState::AwaitingMinistry
        );
    if producer_sees
        && let Some(kept) = last_kept
        && let Some(json) = rounds::kept_result(&state.db, &kept).await?
    {
        advise(&mut review, &json, lang);
    }
    Ok(review)
}

/// A kept score (a JSON number of at most two decimals) as the sheets print it: `76.60`.
fn decimal(value: &serde_json::Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "—".into(), |v| format!("{v:.2}"))
}

/// The council's result per part and the engine's upgrade advice, from the kept result.
fn advise(review: &mut Review, json: &str, lang: Lang) {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let explanation = &value["explanation"];
    review.parts = explanation["parts"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .map(|p| {
                    (
                        format!(
                            "{} {}",
                            p["code"].as_str().unwrap_or(""),
                            p["name_vi"].as_str().unwrap_or("")
                        ),
                        decimal(&p["earned"]),
                        p["max"].to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(upgrade) = explanation["upgrade"].as_object() {
        review.advice = Some(lang.t_with(
            "result-advice",
            &[
                (
                    "stars",
                    upgrade["target_stars"].as_i64().unwrap_or(0).into(),
                ),
                ("score", decimal(&upgrade["target_score"]).into()),
            ],
        ));
        review.advice_steps = upgrade["steps"]
            .as_array()
            .map(|steps| {
                steps
                    .iter()
                    .map(|s| {
                        format!(
                            "{} {}: «{}» ({} → +{})",
                            s["criterion"].as_str().unwrap_or(""),
                            s["name_vi"].as_str().unwrap_or(""),
                            s["option_vi"].as_str().unwrap_or(""),
                            s["points"],
                            decimal(&s["gain"])
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
}

fn dossier_error(error: DossierError) -> AppError {
    match error {
        DossierError::NotFound => AppError::NotFound {
            code: "dossier_not_found",
            what: "dossier",
            key: String::new(),
        },
        DossierError::Store(error) => error.into(),
        other => AppError::Unprocessable {
            code: "not_possible",
            message: other.to_string(),
            details: Vec::new(),
        },
    }
}

/// Writes the commune's report (commune officers, while they have the dossier).
pub async fn write_report(
    state: &AppState,
    session_user: &ocop_store::accounts::User,
    id: &str,
    report: &CommuneReport,
    lang: Lang,
) -> Result<(), AppError> {
    if session_user.role != Role::CommuneOfficer {
        return Err(AppError::Forbidden {
            code: "not_allowed",
            message: "only the commune writes its report".into(),
        });
    }
    report
        .check()
        .map_err(|problems| AppError::invalid_fields(lang, problems))?;
    dossiers::save_commune_report(
        &state.db,
        &session_user.scope(),
        id,
        report,
        &session_user.id,
    )
    .await
    .map_err(dossier_error)
}

/// The pre-assessment as typed: samples, the site visit, and optionally a preliminary card.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PreAssessmentForm {
    #[serde(default)]
    pub samples_received: Option<u32>,
    /// yyyy-mm-dd or dd/mm/yyyy
    #[serde(default)]
    pub samples_received_on: Option<String>,
    #[serde(default)]
    pub site_visit_note: String,
    /// A preliminary card on the dossier's sheet (criterion → option), complete if given.
    #[serde(default)]
    pub preliminary_card: Option<BTreeMap<String, u32>>,
}

/// Records the advisory group's pre-assessment (provincial officers).
pub async fn pre_assess(
    state: &AppState,
    user: &ocop_store::accounts::User,
    id: &str,
    form: &PreAssessmentForm,
    lang: Lang,
) -> Result<(), AppError> {
    // Out of scope reads as absent, before the role is asked.
    let dossier = dossiers::find(&state.db, &user.scope(), id)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "dossier_not_found",
            what: "dossier",
            key: id.to_string(),
        })?;
    if user.role != Role::ProvincialOfficer {
        return Err(AppError::Forbidden {
            code: "not_allowed",
            message: "only the province's advisory group pre-assesses".into(),
        });
    }
    let mut errors: Vec<(&str, &str)> = Vec::new();
    let received_on = match form.samples_received_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let parsed = format::parse_date(text);
            if parsed.is_none() {
                errors.push(("samples_received_on", "rounds-error-date"));
            }
            parsed
        }
    };
    if form.site_visit_note.trim().chars().count() < ocop_domain::dossier::MIN_REASON_CHARS {
        errors.push(("site_visit_note", "dossier-error-report-point"));
    }
    let mut total = None;
    if let Some(card) = form.preliminary_card.as_ref().filter(|c| !c.is_empty()) {
        let version = state.criteria.version(&dossier.criteria_version);
        let set = version.and_then(|v| v.set(&dossier.product_set));
        let entity = ocop_store::registry::find(&state.db, &user.scope(), &dossier.entity_id)
            .await?
            .map(|e| e.kind);
        match (version, set, entity) {
            (Some(version), Some(set), Some(entity)) => {
                let scored = ocop_domain::criteria::score_card(
                    version,
                    set,
                    entity,
                    &Scorecard {
                        member: user.id.clone(),
                        choices: card.clone(),
                    },
                );
                match scored {
                    Ok(scored) => total = Some(scored.total),
                    Err(_) => errors.push(("preliminary_card", "pre-error-card")),
                }
            }
            _ => errors.push(("preliminary_card", "pre-error-card")),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(lang, errors));
    }
    let assessment = PreAssessment {
        samples_received: form.samples_received,
        samples_received_on: received_on,
        site_visit_note: form.site_visit_note.clone(),
        preliminary_card: form.preliminary_card.clone().filter(|c| !c.is_empty()),
        preliminary_total: total,
    };
    dossiers::save_pre_assessment(&state.db, &user.scope(), id, &assessment, &user.id)
        .await
        .map_err(dossier_error)
}
