//! Round pages: the list (with the year's calendar and the form to open one), a round (its
//! products, the steps the office takes, decisions), its council and conflicts, the secretary's
//! overview, and analytics. A form's problems come back on the page they were typed on, beside
//! their fields.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;

use ocop_domain::access::Role;
use ocop_domain::criteria::Level;
use ocop_domain::dossier::DossierState;
use ocop_domain::rounds::{RoundKind, RoundState, calendar};
use ocop_store::accounts::User;
use ocop_store::rounds::{self as store, RoundAccess};

use super::{DecisionForm, Loaded, OpenForm, SettingsForm, status_label};
use crate::AppState;
use crate::shared::auth::{Viewer, check_csrf};
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, Notice, WithCsrf, failed, form_field, render};

fn level_label(level: Level, lang: Lang) -> String {
    lang.t(&format!("rounds-level-{}", level.as_str()))
}

fn state_label(state: RoundState, lang: Lang) -> String {
    lang.t(&format!("rounds-state-{}", state.as_str()))
}

fn outcome_label(outcome: &str, lang: Lang) -> String {
    lang.t(&format!("rounds-outcome-{}", outcome.replace('_', "-")))
}

pub struct RoundRow {
    pub id: String,
    pub name: String,
    pub level: String,
    pub meeting_on: String,
    pub place: String,
    pub state: String,
    pub legacy: bool,
}

pub struct WindowRow {
    pub label: String,
    pub held_before: String,
    pub proposed_before: String,
    pub rounds: usize,
    pub warning: Option<String>,
}

#[derive(Template)]
#[template(path = "rounds/rounds.html")]
struct RoundsPage {
    chrome: Chrome,
    rounds: Vec<RoundRow>,
    /// The calendar of the viewer's level this year.
    windows: Vec<WindowRow>,
    may_open: bool,
    csrf: String,
    form: OpenForm,
    notice: Notice,
}

async fn rounds_page_with(
    state: &AppState,
    viewer: &Viewer,
    form: OpenForm,
    notice: Notice,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let user = &session.user;
    let rounds = store::list(&state.db, &RoundAccess::of(user))
        .await
        .map_err(page_error(lang))?;
    let level = match user.role {
        Role::CentralOfficer | Role::Administrator => Level::Ministry,
        _ => Level::Province,
    };
    let today = chrono::Utc::now().date_naive();
    let meetings: Vec<_> = rounds
        .iter()
        .filter(|r| r.level == level && r.kind == RoundKind::Online)
        .filter(|r| level == Level::Ministry || r.province_code == user.unit_code)
        .map(|r| r.meeting_on)
        .collect();
    let windows = calendar::year_status(level, today.year(), &meetings, today)
        .into_iter()
        .map(|w| WindowRow {
            label: lang.t_with(
                "rounds-window",
                &[
                    ("number", i64::from(w.window.number).into()),
                    ("year", i64::from(w.window.year).into()),
                ],
            ),
            held_before: format::date(w.window.held_before),
            proposed_before: format::date(w.window.proposed_before),
            rounds: w.rounds,
            warning: w.warning.map(|w| match lang {
                Lang::Vi => w.message_vi,
                Lang::En => w.message_en,
            }),
        })
        .collect();
    let rows = rounds
        .iter()
        .map(|r| RoundRow {
            id: r.id.clone(),
            name: r.name.clone(),
            level: level_label(r.level, lang),
            meeting_on: format::date(r.meeting_on),
            place: r.place.clone(),
            state: state_label(r.state, lang),
            legacy: r.kind == RoundKind::Legacy,
        })
        .collect();
    render(
        &RoundsPage {
            chrome: Chrome::new(viewer, "rounds"),
            rounds: rows,
            windows,
            may_open: matches!(user.role, Role::ProvincialOfficer | Role::CentralOfficer),
            csrf: session.csrf.clone(),
            form,
            notice,
        },
        lang,
    )
}

/// `GET /rounds`: the rounds the viewer may see, and the year's calendar.
pub async fn rounds_index(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    rounds_page_with(&state, &viewer, OpenForm::default(), Notice::default()).await
}

/// `POST /rounds`: opens a round.
pub async fn open_round(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<WithCsrf<OpenForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    match super::open(&state, &session.user, &form.fields, lang).await {
        Ok(round) => Ok(Redirect::to(&format!("/rounds/{}", round.id)).into_response()),
        Err(AppError::Forbidden { .. }) => Err(PageError::forbidden(lang)),
        Err(error) => {
            let notice = Notice::from_error(&error, lang);
            let page = rounds_page_with(&state, &viewer, form.fields, notice).await?;
            Ok(failed(page, &error))
        }
    }
}

/// One product of a round, as the viewer may see it.
pub struct ProductRow {
    pub id: String,
    pub dossier_id: String,
    pub code: String,
    pub name: String,
    pub entity: String,
    pub version: String,
    pub pass: u32,
    /// "3/7"
    pub progress: String,
    /// The status, or "—" while the viewer is blind.
    pub status: String,
    pub status_code: &'static str,
    pub score: String,
    pub stars: String,
    pub outcome: String,
    pub excluded: Vec<String>,
    pub my_card: String,
}

/// A decision recorded on the round.
pub struct DecisionRow {
    pub number: String,
    pub date: String,
    pub signer: String,
    pub items: Vec<String>,
    /// The annexed list as PDF, when the viewer may have it.
    pub annex: Option<String>,
}

#[derive(Template)]
#[template(path = "rounds/round.html")]
struct RoundPage {
    chrome: Chrome,
    id: String,
    name: String,
    facts: Vec<(String, String)>,
    state_code: &'static str,
    state: String,
    warnings: Vec<String>,
    council_problems: Vec<String>,
    products: Vec<ProductRow>,
    /// (dossier id, label) the office may add.
    candidates: Vec<(String, String)>,
    organiser: bool,
    /// Buttons: (action, label).
    actions: Vec<(&'static str, String)>,
    settings: SettingsForm,
    averaging_default: String,
    decisions: Vec<DecisionRow>,
    /// The minutes as PDF, for the round's officials once it is closed.
    minutes_pdf: bool,
    /// Products a decision may name: (round product id, label).
    decidable: Vec<(String, String)>,
    decision: DecisionForm,
    csrf: String,
    notice: Notice,
    analytics_visible: bool,
    /// A legacy round: its province's office records results as they were decided.
    legacy_form: bool,
    legacy_versions: Vec<String>,
}

fn product_rows(state: &AppState, loaded: &Loaded, user: &User, lang: Lang) -> Vec<ProductRow> {
    loaded
        .products
        .iter()
        .map(|product| {
            let standing = loaded.standing(state, product);
            let visible = loaded.visibility(state, product, user).current_pass;
            let eligible = loaded.eligible(&product.id);
            let submitted = standing.as_ref().map_or(0, |s| s.submitted.len());
            let result = standing
                .as_ref()
                .filter(|_| visible)
                .and_then(|s| s.result.as_ref());
            let (score, stars) = match (product.final_score, product.final_stars, result) {
                (Some(score), Some(stars), _) => (format::score(score), format!("{stars}★")),
                (_, _, Some(result)) if !result.members.is_empty() => {
                    (result.mean.to_string(), format!("{}★", result.stars))
                }
                _ => ("—".into(), "—".into()),
            };
            let my_card = match loaded.card_of(product, &user.id) {
                Some(card) if card.submitted_at.is_some() => lang.t("rounds-card-submitted"),
                Some(_) => lang.t("rounds-card-draft"),
                None if eligible.contains(&user.id) => lang.t("rounds-card-none"),
                None => String::new(),
            };
            ProductRow {
                id: product.id.clone(),
                dossier_id: product.dossier_id.clone(),
                code: product.product_code.clone(),
                name: product.product_name.clone(),
                entity: product.entity_name.clone(),
                version: product.criteria_version.clone(),
                pass: product.pass,
                progress: format!("{submitted}/{}", eligible.len()),
                status: standing
                    .as_ref()
                    .filter(|_| visible)
                    .map_or_else(|| "—".into(), |s| status_label(s.status, lang)),
                status_code: standing
                    .as_ref()
                    .filter(|_| visible)
                    .map_or("blind", |s| s.status.as_str()),
                score,
                stars,
                outcome: store::outcome_of(product)
                    .map(|o| outcome_label(o.as_str(), lang))
                    .unwrap_or_default(),
                excluded: loaded
                    .conflicts
                    .iter()
                    .filter(|c| c.round_product_id == product.id && c.cleared_by.is_none())
                    .map(|c| format!("{}: {}", loaded.member_name(&c.member_id), c.reason))
                    .collect(),
                my_card,
            }
        })
        .collect()
}

pub async fn round_page_with(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    settings: Option<SettingsForm>,
    decision: Option<DecisionForm>,
    notice: Notice,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let user = &session.user;
    let loaded = Loaded::load(state, user, id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let round = &loaded.round;
    let organiser = loaded.is_organiser(user);
    let mut candidates = Vec::new();
    if organiser && round.state != RoundState::Closed && round.kind == RoundKind::Online {
        let wanted = match round.level {
            Level::Ministry => DossierState::AwaitingMinistry,
            _ => DossierState::TakenIn,
        };
        let dossiers = ocop_store::dossiers::list(&state.db, &user.scope(), Some(wanted))
            .await
            .map_err(page_error(lang))?;
        for dossier in dossiers {
            let label =
                ocop_store::registry::product(&state.db, &user.scope(), &dossier.product_id)
                    .await
                    .map_err(page_error(lang))?
                    .map(|p| format!("{} — {}", p.code, p.name))
                    .unwrap_or_else(|| dossier.id.clone());
            candidates.push((dossier.id, label));
        }
    }
    let mut actions = Vec::new();
    if organiser && round.kind == RoundKind::Online {
        match round.state {
            RoundState::Preparing => actions.push(("start", lang.t("rounds-start"))),
            RoundState::Scoring => actions.push(("close", lang.t("rounds-close"))),
            RoundState::Closed => {}
        }
    }
    let settings = settings.unwrap_or_else(|| SettingsForm {
        quorum: round
            .settings
            .quorum
            .map(|q| q.to_string())
            .unwrap_or_default(),
        spread_limit: round
            .settings
            .spread_limit
            .map(|s| s.to_string())
            .unwrap_or_default(),
        averaging: round
            .settings
            .averaging
            .map(|a| a.as_str().to_string())
            .unwrap_or_default(),
    });
    let defaults = loaded
        .products
        .first()
        .and_then(|p| state.criteria.version(&p.criteria_version))
        .or_else(|| state.criteria.in_force_on(round.meeting_on))
        .map(|v| v.council);
    let facts = vec![
        (lang.t("rounds-level"), level_label(round.level, lang)),
        (lang.t("rounds-meeting-on"), format::date(round.meeting_on)),
        (lang.t("rounds-place"), round.place.clone()),
        (lang.t("rounds-state"), state_label(round.state, lang)),
        (
            lang.t("rounds-rules"),
            defaults.map_or_else(String::new, |d| {
                let rules = round.settings.rules(d);
                lang.t_with(
                    "rounds-rules-text",
                    &[
                        ("quorum", i64::from(rules.quorum).into()),
                        ("spread", i64::from(rules.spread_limit).into()),
                        (
                            "averaging",
                            lang.t(&format!("rounds-averaging-{}", rules.averaging.as_str()))
                                .into(),
                        ),
                    ],
                )
            }),
        ),
    ];
    let decided: Vec<&str> = loaded
        .decisions
        .iter()
        .flat_map(|d| d.items.iter().map(|(id, _, _)| id.as_str()))
        .collect();
    let decidable = if organiser && round.state == RoundState::Closed {
        loaded
            .products
            .iter()
            .filter(|p| p.outcome.is_some() && !decided.contains(&p.id.as_str()))
            .map(|p| {
                let outcome = store::outcome_of(p)
                    .map(|o| outcome_label(o.as_str(), lang))
                    .unwrap_or_default();
                (
                    p.id.clone(),
                    format!("{} — {} ({outcome})", p.product_code, p.product_name),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let decisions = loaded
        .decisions
        .iter()
        .map(|d| DecisionRow {
            number: d.number.clone(),
            date: format::date(d.signed_on),
            signer: d.signer.clone(),
            items: d
                .items
                .iter()
                .map(|(id, outcome, stars)| {
                    let code = loaded
                        .products
                        .iter()
                        .find(|p| &p.id == id)
                        .map_or(id.as_str(), |p| p.product_code.as_str());
                    let stars = stars.map(|s| format!(" {s}★")).unwrap_or_default();
                    format!("{code}: {}{stars}", outcome_label(outcome, lang))
                })
                .collect(),
            annex: super::documents::may_have_annex(state, &loaded, d, user)
                .then(|| format!("/rounds/{}/decisions/{}/annex.pdf", round.id, d.id)),
        })
        .collect();
    let minutes_pdf =
        super::documents::minutes_ready(round) && super::documents::official(&loaded, user);
    let analytics_visible =
        round.state == RoundState::Closed || !loaded.seat_of(&user.id).is_some_and(|s| s.scores());
    render(
        &RoundPage {
            chrome: Chrome::new(viewer, "rounds"),
            id: round.id.clone(),
            name: round.name.clone(),
            facts,
            state_code: round.state.as_str(),
            state: state_label(round.state, lang),
            warnings: loaded
                .calendar_warnings(state, lang)
                .await
                .map_err(|e| PageError::new(e, lang))?,
            council_problems: if round.state == RoundState::Preparing {
                loaded.council_problems(state)
            } else {
                Vec::new()
            },
            products: product_rows(state, &loaded, user, lang),
            candidates,
            organiser,
            actions,
            settings,
            averaging_default: lang.t("rounds-averaging-default"),
            decisions,
            minutes_pdf,
            decidable,
            decision: decision.unwrap_or_default(),
            csrf: session.csrf.clone(),
            notice,
            analytics_visible,
            legacy_form: round.kind == RoundKind::Legacy
                && user.role == Role::ProvincialOfficer
                && user.unit_code == round.province_code,
            legacy_versions: state
                .criteria
                .versions()
                .iter()
                .filter(|v| v.effective_from <= round.meeting_on)
                .map(|v| v.id.clone())
                .collect(),
        },
        lang,
    )
}

/// `GET /rounds/{id}`
pub async fn round_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    round_page_with(&state, &viewer, &id, None, None, Notice::default()).await
}

/// Runs a round form's operation, then shows the round with the outcome.
async fn after_round_form(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    outcome: Result<String, AppError>,
    settings: Option<SettingsForm>,
    decision: Option<DecisionForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    match outcome {
        Ok(message) => Ok(
            round_page_with(state, viewer, id, None, None, Notice::done(message))
                .await?
                .into_response(),
        ),
        Err(error @ AppError::NotFound { .. }) => Err(PageError::new(error, lang)),
        Err(error) => {
            let notice = Notice::from_error(&error, lang);
            let page = round_page_with(state, viewer, id, settings, decision, notice).await?;
            Ok(failed(page, &error))
        }
    }
}

/// Loads the round for a form, after checking the session's CSRF token.
pub(super) async fn load_for_form(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    csrf: &str,
) -> Result<Loaded, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, csrf).map_err(page_error(lang))?;
    Loaded::load(state, &session.user, id)
        .await
        .map_err(|e| PageError::new(e, lang))
}

/// `POST /rounds/{id}/settings`
pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithCsrf<SettingsForm>>,
) -> Result<Response, PageError> {
    let loaded = load_for_form(&state, &viewer, &id, &form.csrf).await?;
    let user = &viewer.page_session()?.user;
    let outcome = super::settings(&state, user, &loaded, &form.fields, viewer.lang)
        .await
        .map(|()| viewer.lang.t("rounds-settings-saved"));
    after_round_form(&state, &viewer, &id, outcome, Some(form.fields), None).await
}

#[derive(Deserialize)]
pub struct DossierField {
    #[serde(default)]
    dossier_id: String,
}

/// `POST /rounds/{id}/products`
pub async fn add_product(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithCsrf<DossierField>>,
) -> Result<Response, PageError> {
    let loaded = load_for_form(&state, &viewer, &id, &form.csrf).await?;
    let user = &viewer.page_session()?.user;
    let outcome = super::add_product(&state, user, &loaded, &form.fields.dossier_id, viewer.lang)
        .await
        .map(|p| {
            viewer.lang.t_with(
                "rounds-product-added",
                &[
                    ("code", p.product_code.into()),
                    ("version", p.criteria_version.into()),
                ],
            )
        });
    after_round_form(&state, &viewer, &id, outcome, None, None).await
}

/// `POST /rounds/{id}/{action}`: start or close.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<crate::shared::page::CsrfForm>,
) -> Result<Response, PageError> {
    let loaded = load_for_form(&state, &viewer, &id, &form.csrf).await?;
    let user = &viewer.page_session()?.user;
    let outcome = super::act(&state, user, &loaded, &action)
        .await
        .map(|next| viewer.lang.t(&format!("rounds-moved-{}", next.as_str())));
    after_round_form(&state, &viewer, &id, outcome, None, None).await
}

/// `POST /rounds/{id}/decisions` (a multi-select of products).
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let value = |name: &str| form_field(&fields, name).to_string();
    let loaded = load_for_form(&state, &viewer, &id, &value("csrf")).await?;
    let user = &viewer.page_session()?.user;
    let typed = DecisionForm {
        number: value("number"),
        signed_on: value("signed_on"),
        signer: value("signer"),
        products: fields
            .iter()
            .filter(|(key, _)| key == "products")
            .map(|(_, value)| value.clone())
            .collect(),
    };
    let outcome = super::decide(&state, user, &loaded, &typed, viewer.lang)
        .await
        .map(|d| {
            viewer
                .lang
                .t_with("rounds-decision-recorded", &[("number", d.number.into())])
        });
    after_round_form(&state, &viewer, &id, outcome, None, Some(typed)).await
}

/// `POST /rounds/{id}/legacy-results`: a legacy round's result for a product.
pub async fn legacy_result(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithCsrf<super::LegacyForm>>,
) -> Result<Response, PageError> {
    let loaded = load_for_form(&state, &viewer, &id, &form.csrf).await?;
    let user = &viewer.page_session()?.user;
    let outcome = super::record_legacy(&state, user, &loaded, &form.fields, viewer.lang)
        .await
        .map(|p| {
            viewer
                .lang
                .t_with("rounds-legacy-recorded", &[("code", p.product_code.into())])
        });
    after_round_form(&state, &viewer, &id, outcome, None, None).await
}
