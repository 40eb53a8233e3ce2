//! Rounds in the JSON API: the same operations as the pages, blind in the same way (a member
//! sees no other card, total or mean of a product's current pass before submitting their own).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use ocop_domain::criteria::{CouncilResult, Score};
use ocop_store::accounts::User;
use ocop_store::rounds::{self as store, Decision, Round, RoundAccess, RoundProduct};

use super::{DecisionForm, Loaded, OpenForm, SeatForm, SettingsForm, analytics, product_not_found};
use crate::AppState;
use crate::shared::auth::{ApiCaller, ApiWriter};
use crate::shared::error::{ApiJson, ApiPath, AppError, ErrorDoc};
use crate::shared::i18n::ApiLang;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SettingsJson {
    /// `null`: the criteria version's.
    pub quorum: Option<u32>,
    pub spread_limit: Option<u32>,
    pub averaging: Option<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundJson {
    pub id: String,
    pub name: String,
    /// province, ministry (district: legacy rounds)
    pub level: &'static str,
    /// online or legacy
    pub kind: &'static str,
    pub province_code: Option<String>,
    pub meeting_on: NaiveDate,
    pub place: String,
    /// preparing, scoring or closed
    pub state: &'static str,
    pub settings: SettingsJson,
}

impl From<&Round> for RoundJson {
    fn from(r: &Round) -> RoundJson {
        RoundJson {
            id: r.id.clone(),
            name: r.name.clone(),
            level: r.level.as_str(),
            kind: r.kind.as_str(),
            province_code: r.province_code.clone(),
            meeting_on: r.meeting_on,
            place: r.place.clone(),
            state: r.state.as_str(),
            settings: SettingsJson {
                quorum: r.settings.quorum,
                spread_limit: r.settings.spread_limit,
                averaging: r.settings.averaging.map(|a| a.as_str()),
            },
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SeatJson {
    pub user_id: String,
    pub name: String,
    /// The account's own role (a seat is held on top of it).
    pub role: &'static str,
    /// chair, vice_chair, member, secretary
    pub seat: &'static str,
    pub agency: String,
    pub position: String,
    pub organisation: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExclusionJson {
    pub conflict_id: String,
    pub member_id: String,
    /// declared, producer_account, dossier_step, organisation
    pub source: &'static str,
    pub reason: String,
    /// Cleared by the chair (with this reason): the member scores again.
    pub cleared_reason: Option<String>,
}

/// The engine's result on a product, as far as the viewer may see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultJson {
    #[schema(value_type = f64)]
    pub mean: Score,
    pub band_stars: u8,
    pub stars: u8,
    pub spread: u32,
    pub spread_limit: u32,
    /// recognised, not_recognised, needs_discussion, incomplete, disqualified
    pub outcome: String,
    pub reasons: Vec<String>,
    /// Member id → total, on the current pass.
    pub totals: BTreeMap<String, u32>,
    /// Part → member id → points.
    pub parts: BTreeMap<String, BTreeMap<String, u32>>,
}

impl From<&CouncilResult> for ResultJson {
    fn from(result: &CouncilResult) -> ResultJson {
        let mut parts: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        for member in &result.members {
            for (part, points) in &member.parts {
                parts
                    .entry(part.clone())
                    .or_default()
                    .insert(member.member.clone(), *points);
            }
        }
        ResultJson {
            mean: result.mean,
            band_stars: result.band_stars,
            stars: result.stars,
            spread: result.spread,
            spread_limit: result.spread_limit,
            outcome: serde_json::to_value(result.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            reasons: result.reasons.clone(),
            totals: result
                .members
                .iter()
                .map(|m| (m.member.clone(), m.total))
                .collect(),
            parts,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundProductJson {
    pub id: String,
    pub dossier_id: String,
    pub product_id: String,
    pub product_code: String,
    pub product_name: String,
    pub entity_name: String,
    /// The legal version it is scored under (the transition rules decide).
    pub criteria_version: String,
    pub product_set: String,
    /// 1, then one more per re-score.
    pub pass: u32,
    /// Scoring members not excluded by a conflict.
    pub eligible: Vec<String>,
    /// Members who submitted their card for the current pass.
    pub submitted: Vec<String>,
    pub exclusions: Vec<ExclusionJson>,
    /// below_quorum, scoring, discussion, result; `null` while the viewer is blind.
    pub status: Option<&'static str>,
    /// `null` while the viewer is blind.
    pub result: Option<ResultJson>,
    /// The result kept at closing: score, stars and outcome.
    #[schema(value_type = Option<f64>)]
    pub final_score: Option<Score>,
    pub final_stars: Option<u8>,
    pub outcome: Option<String>,
}

fn product_json(
    state: &AppState,
    loaded: &Loaded,
    product: &RoundProduct,
    user: &User,
) -> RoundProductJson {
    let visible = loaded.visibility(state, product, user).current_pass;
    let standing = loaded.standing(state, product);
    RoundProductJson {
        id: product.id.clone(),
        dossier_id: product.dossier_id.clone(),
        product_id: product.product_id.clone(),
        product_code: product.product_code.clone(),
        product_name: product.product_name.clone(),
        entity_name: product.entity_name.clone(),
        criteria_version: product.criteria_version.clone(),
        product_set: product.product_set.clone(),
        pass: product.pass,
        eligible: loaded.eligible(&product.id),
        submitted: standing
            .as_ref()
            .map(|s| s.submitted.clone())
            .unwrap_or_default(),
        exclusions: loaded
            .conflicts
            .iter()
            .filter(|c| c.round_product_id == product.id)
            .map(|c| ExclusionJson {
                conflict_id: c.id.clone(),
                member_id: c.member_id.clone(),
                source: c.source.as_str(),
                reason: c.reason.clone(),
                cleared_reason: c.cleared_reason.clone(),
            })
            .collect(),
        status: standing
            .as_ref()
            .filter(|_| visible)
            .map(|s| s.status.as_str()),
        result: standing
            .as_ref()
            .filter(|_| visible)
            .and_then(|s| s.result.as_ref())
            .map(ResultJson::from),
        final_score: product.final_score.map(Score::from_centi),
        final_stars: product.final_stars,
        outcome: store::outcome_of(product).map(|o| o.as_str().to_string()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionJson {
    pub id: String,
    pub number: String,
    pub signed_on: NaiveDate,
    pub signer: String,
    /// Round product id → outcome (and the recognised star).
    pub products: Vec<DecisionItemJson>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionItemJson {
    pub round_product_id: String,
    pub outcome: String,
    pub stars: Option<u8>,
}

impl From<&Decision> for DecisionJson {
    fn from(d: &Decision) -> DecisionJson {
        DecisionJson {
            id: d.id.clone(),
            number: d.number.clone(),
            signed_on: d.signed_on,
            signer: d.signer.clone(),
            products: d
                .items
                .iter()
                .map(|(id, outcome, stars)| DecisionItemJson {
                    round_product_id: id.clone(),
                    outcome: outcome.clone(),
                    stars: *stars,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundDetail {
    #[serde(flatten)]
    pub round: RoundJson,
    /// The calendar's warnings (Điều 5), in the request's language.
    pub warnings: Vec<String>,
    /// What keeps the council from scoring (empty when ready).
    pub council_problems: Vec<String>,
    pub council: Vec<SeatJson>,
    pub products: Vec<RoundProductJson>,
    pub decisions: Vec<DecisionJson>,
}

async fn detail(
    state: &AppState,
    user: &User,
    id: &str,
    lang: crate::shared::i18n::Lang,
) -> Result<RoundDetail, AppError> {
    let loaded = Loaded::load(state, user, id).await?;
    Ok(RoundDetail {
        round: RoundJson::from(&loaded.round),
        warnings: loaded.calendar_warnings(state, lang).await?,
        council_problems: loaded.council_problems(state),
        council: loaded
            .seats
            .iter()
            .map(|s| SeatJson {
                user_id: s.user_id.clone(),
                name: s.name.clone(),
                role: s.role.as_str(),
                seat: s.seat.as_str(),
                agency: s.agency.clone(),
                position: s.position.clone(),
                organisation: s.organisation.clone(),
            })
            .collect(),
        products: loaded
            .products
            .iter()
            .map(|p| product_json(state, &loaded, p, user))
            .collect(),
        decisions: loaded.decisions.iter().map(DecisionJson::from).collect(),
    })
}

/// `GET /api/v1/rounds`: the rounds the caller may see, newest meeting first.
#[utoipa::path(get, path = "/api/v1/rounds", tag = "rounds", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<RoundJson>), (status = 401, body = ErrorDoc)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(user): ApiCaller,
) -> Result<Json<Vec<RoundJson>>, AppError> {
    let rounds = store::list(&state.db, &RoundAccess::of(&user)).await?;
    Ok(Json(rounds.iter().map(RoundJson::from).collect()))
}

/// `POST /api/v1/rounds`: the level's OCOP office opens a round (state `preparing`; a legacy
/// round is recorded closed).
#[utoipa::path(post, path = "/api/v1/rounds", tag = "rounds", security(("bearer" = []), ("session" = [])),
    request_body = OpenForm,
    responses(
        (status = 201, body = RoundJson),
        (status = 403, description = "not_allowed", body = ErrorDoc),
        (status = 422, description = "invalid_fields", body = ErrorDoc),
    ))]
pub async fn open(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiJson(form): ApiJson<OpenForm>,
) -> Result<(StatusCode, Json<RoundJson>), AppError> {
    let round = super::open(&state, &user, &form, lang).await?;
    Ok((StatusCode::CREATED, Json(RoundJson::from(&round))))
}

/// `GET /api/v1/rounds/{id}`: a round with its council, products (blind where the caller has
/// not scored), decisions and calendar warnings.
#[utoipa::path(get, path = "/api/v1/rounds/{id}", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = RoundDetail), (status = 404, description = "round_not_found", body = ErrorDoc)))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(user): ApiCaller,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RoundDetail>, AppError> {
    Ok(Json(detail(&state, &user, &id, lang).await?))
}

/// `PUT /api/v1/rounds/{id}/settings`: the council's own rules (empty: the version's).
#[utoipa::path(put, path = "/api/v1/rounds/{id}/settings", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = SettingsForm,
    responses((status = 200, body = RoundDetail), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields or round_locked", body = ErrorDoc)))]
pub async fn settings(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<SettingsForm>,
) -> Result<Json<RoundDetail>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    super::settings(&state, &user, &loaded, &form, lang).await?;
    Ok(Json(detail(&state, &user, &id, lang).await?))
}

/// `POST /api/v1/rounds/{id}/seats`: seats an account (by e-mail) on the council.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/seats", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = SeatForm,
    responses((status = 200, body = RoundDetail), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields or round_locked", body = ErrorDoc)))]
pub async fn seat(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<SeatForm>,
) -> Result<Json<RoundDetail>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    super::seat(&state, &user, &loaded, &form, lang).await?;
    Ok(Json(detail(&state, &user, &id, lang).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddProduct {
    pub dossier_id: String,
}

/// `POST /api/v1/rounds/{id}/products`: adds a dossier the province took in (or, to the
/// ministry's round, one awaiting it), under the version the transition rules give.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/products", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = AddProduct,
    responses((status = 201, body = RoundProductJson), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields (dossier_id) or round_locked", body = ErrorDoc)))]
pub async fn add_product(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AddProduct>,
) -> Result<(StatusCode, Json<RoundProductJson>), AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    let product = super::add_product(&state, &user, &loaded, &body.dossier_id, lang).await?;
    let loaded = Loaded::load(&state, &user, &id).await?;
    let product = loaded.product(&product.id)?;
    Ok((
        StatusCode::CREATED,
        Json(product_json(&state, &loaded, product, &user)),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RoundActionBody {
    /// start or close
    pub action: String,
}

/// `POST /api/v1/rounds/{id}/actions`: starts scoring or closes the round (every product needs
/// a result; they are kept).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/actions", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = RoundActionBody,
    responses((status = 200, body = RoundDetail), (status = 400, description = "invalid_action", body = ErrorDoc),
        (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "wrong_state, no_products, council_not_ready, not_final (details: product codes)", body = ErrorDoc)))]
pub async fn act(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RoundActionBody>,
) -> Result<Json<RoundDetail>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    super::act(&state, &user, &loaded, &body.action).await?;
    Ok(Json(detail(&state, &user, &id, lang).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CardJson {
    pub member_id: String,
    pub member_name: String,
    pub pass: u32,
    /// Criterion code → option number.
    pub choices: BTreeMap<String, u32>,
    pub total: Option<u32>,
    pub submitted: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RescoreJson {
    pub pass: u32,
    pub opened_by: String,
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundProductDetail {
    #[serde(flatten)]
    pub product: RoundProductJson,
    /// The caller's own card on the current pass (draft or submitted).
    pub my_card: Option<CardJson>,
    /// Other cards the caller may see: the current pass once their own is in, earlier passes.
    pub cards: Vec<CardJson>,
    pub rescores: Vec<RescoreJson>,
    /// The producer's self-assessment (criterion → option).
    pub self_assessment: Option<BTreeMap<String, u32>>,
    /// The sheet: `/api/v1/criteria/{version}/{set}`.
    pub sheet: String,
}

async fn product_detail(
    state: &AppState,
    user: &User,
    id: &str,
    product_id: &str,
) -> Result<RoundProductDetail, AppError> {
    let loaded = Loaded::load(state, user, id).await?;
    let product = loaded.product(product_id)?;
    let visibility = loaded.visibility(state, product, user);
    let card = |c: &ocop_store::rounds::StoredCard| CardJson {
        member_id: c.member_id.clone(),
        member_name: loaded.member_name(&c.member_id),
        pass: c.pass,
        choices: c.choices.clone(),
        total: c.total,
        submitted: c.submitted_at.is_some(),
    };
    let cards = loaded
        .cards_of(&product.id)
        .iter()
        .filter(|c| c.member_id != user.id)
        .filter(|c| c.submitted_at.is_some())
        .filter(|c| {
            if c.pass == product.pass {
                visibility.current_pass
            } else {
                visibility.earlier_passes
            }
        })
        .map(card)
        .collect();
    let dossier = ocop_store::dossiers::find(
        &state.db,
        &ocop_domain::access::Scope::National,
        &product.dossier_id,
    )
    .await?;
    Ok(RoundProductDetail {
        my_card: loaded.card_of(product, &user.id).map(card),
        cards,
        rescores: loaded
            .rescores
            .iter()
            .filter(|r| r.round_product_id == product.id)
            .map(|r| RescoreJson {
                pass: r.pass,
                opened_by: loaded.member_name(&r.opened_by),
                reason: r.reason.clone(),
            })
            .collect(),
        self_assessment: dossier.and_then(|d| d.self_assessment),
        sheet: format!(
            "/api/v1/criteria/{}/{}",
            product.criteria_version, product.product_set
        ),
        product: product_json(state, &loaded, product, user),
    })
}

/// `GET /api/v1/rounds/{id}/products/{product}`: a product's scoring record for the caller.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/products/{product}", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path), ("product" = String, Path)),
    responses((status = 200, body = RoundProductDetail), (status = 404, body = ErrorDoc)))]
pub async fn product(
    State(state): State<AppState>,
    ApiCaller(user): ApiCaller,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
) -> Result<Json<RoundProductDetail>, AppError> {
    Ok(Json(product_detail(&state, &user, &id, &product_id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CardBody {
    /// Criterion code → option number (1-based, in sheet order).
    pub choices: BTreeMap<String, u32>,
}

/// `PUT /api/v1/rounds/{id}/products/{product}/card`: saves the caller's draft (autosave).
#[utoipa::path(put, path = "/api/v1/rounds/{id}/products/{product}/card", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path), ("product" = String, Path)), request_body = CardBody,
    responses((status = 204), (status = 403, description = "not_assigned, conflicted", body = ErrorDoc),
        (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_card (details), already_submitted, round_not_scoring, product_not_scoring", body = ErrorDoc)))]
pub async fn draft(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CardBody>,
) -> Result<StatusCode, AppError> {
    let loaded = Loaded::load_for_card(&state, &user, &id, &product_id).await?;
    let product = loaded.product(&product_id)?;
    super::save_draft(&state, &user, &loaded, product, &body.choices).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/rounds/{id}/products/{product}/card`: submits the caller's card (complete;
/// once per pass).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/products/{product}/card", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path), ("product" = String, Path)), request_body = CardBody,
    responses((status = 200, body = RoundProductDetail), (status = 403, description = "not_assigned, conflicted", body = ErrorDoc),
        (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_card (details), already_submitted, round_not_scoring, product_not_scoring", body = ErrorDoc)))]
pub async fn submit(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CardBody>,
) -> Result<Json<RoundProductDetail>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    let product = loaded.product(&product_id)?;
    super::submit(&state, &user, &loaded, product, &body.choices).await?;
    Ok(Json(product_detail(&state, &user, &id, &product_id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReasonBody {
    pub reason: String,
}

/// `POST /api/v1/rounds/{id}/products/{product}/conflicts`: the caller declares a conflict of
/// interest on the product (excluded from it).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/products/{product}/conflicts", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path), ("product" = String, Path)), request_body = ReasonBody,
    responses((status = 200, body = RoundProductDetail), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "reason_required, round_locked", body = ErrorDoc)))]
pub async fn declare(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<RoundProductDetail>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    let product = loaded.product(&product_id)?;
    super::declare(&state, &user, &loaded, product, &body.reason).await?;
    Ok(Json(product_detail(&state, &user, &id, &product_id).await?))
}

/// `POST /api/v1/rounds/{id}/products/{product}/rescore`: the chair opens the next pass, with a
/// reason (a closed round re-opens).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/products/{product}/rescore", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path), ("product" = String, Path)), request_body = ReasonBody,
    responses((status = 200, body = RoundProductDetail), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "reason_required, wrong_state, already_decided, rescore_already_opened", body = ErrorDoc)))]
pub async fn rescore(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<RoundProductDetail>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    let product = loaded.product(&product_id)?;
    super::rescore(&state, &user, &loaded, product, &body.reason).await?;
    Ok(Json(product_detail(&state, &user, &id, &product_id).await?))
}

/// `POST /api/v1/rounds/{id}/conflicts/{conflict}/clear`: the chair clears a flag the system
/// raised, with a reason.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/conflicts/{conflict}/clear", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path), ("conflict" = String, Path)), request_body = ReasonBody,
    responses((status = 200, body = RoundDetail), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "reason_required, not_clearable", body = ErrorDoc)))]
pub async fn clear(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath((id, conflict_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<RoundDetail>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    if !loaded.conflicts.iter().any(|c| c.id == conflict_id) {
        return Err(product_not_found(&conflict_id));
    }
    super::clear(&state, &user, &loaded, &conflict_id, &body.reason).await?;
    Ok(Json(detail(&state, &user, &id, lang).await?))
}

/// `POST /api/v1/rounds/{id}/decisions`: the office records a recognition decision on products
/// of the closed round; each dossier moves on (recognised, not recognised, awaiting the ministry).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/decisions", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = DecisionForm,
    responses((status = 201, body = DecisionJson), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields (number, signed_on, signer, products), not_in_round (details), wrong_state", body = ErrorDoc)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<DecisionForm>,
) -> Result<(StatusCode, Json<DecisionJson>), AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    let decision = super::decide(&state, &user, &loaded, &form, lang).await?;
    Ok((StatusCode::CREATED, Json(DecisionJson::from(&decision))))
}

/// `GET /api/v1/rounds/{id}/analytics`: spread per criterion, members' leniency with outliers,
/// the council's agreement (Krippendorff's α), the province's mean beside the ministry's.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/analytics", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = analytics::RoundAnalytics), (status = 403, description = "blind: a member sees analytics once the round is closed", body = ErrorDoc),
        (status = 404, body = ErrorDoc)))]
pub async fn round_analytics(
    State(state): State<AppState>,
    ApiCaller(user): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<analytics::RoundAnalytics>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    Ok(Json(analytics::of(&state, &loaded, &user).await?))
}

/// `POST /api/v1/rounds/{id}/legacy-results`: records a product's result in a round held before
/// 01/07/2025 (QĐ 1048 or 148, district councils included), as it was decided.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/legacy-results", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)), request_body = super::LegacyForm,
    responses((status = 201, body = RoundProductJson), (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "invalid_fields (product_code, criteria_version, score) or not_legacy", body = ErrorDoc)))]
pub async fn legacy_result(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<super::LegacyForm>,
) -> Result<(StatusCode, Json<RoundProductJson>), AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    let product = super::record_legacy(&state, &user, &loaded, &form, lang).await?;
    let loaded = Loaded::load(&state, &user, &id).await?;
    let product = loaded.product(&product.id)?;
    Ok((
        StatusCode::CREATED,
        Json(product_json(&state, &loaded, product, &user)),
    ))
}

/// `POST /api/v1/rounds/{id}/products/{product}/fallback`: on a product the ministry scored
/// below 90, the office of its province recognises it on the central result (`recognise`, with
/// a decision) or evaluates it again (`reevaluate`, with a reason).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/products/{product}/fallback", tag = "rounds", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path), ("product" = String, Path)), request_body = super::FallbackForm,
    responses((status = 200, body = RoundProductDetail), (status = 400, description = "invalid_choice", body = ErrorDoc),
        (status = 403, body = ErrorDoc), (status = 404, body = ErrorDoc),
        (status = 422, description = "not_below_threshold, not_certifiable, already_decided, reason_required, invalid_fields", body = ErrorDoc)))]
pub async fn fallback(
    State(state): State<AppState>,
    ApiWriter(user): ApiWriter,
    ApiLang(lang): ApiLang,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
    ApiJson(form): ApiJson<super::FallbackForm>,
) -> Result<Json<RoundProductDetail>, AppError> {
    let loaded = Loaded::load(&state, &user, &id).await?;
    let product = loaded.product(&product_id)?;
    super::fallback(&state, &user, &loaded, product, &form, lang).await?;
    Ok(Json(product_detail(&state, &user, &id, &product_id).await?))
}
