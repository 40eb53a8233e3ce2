//! What people do to a round, for the pages and the API alike: open it, seat its council,
//! set its rules, add dossiers, start and close it, save and submit cards, declare and clear
//! conflicts, re-score, decide, record legacy results, and the province's step on a central
//! result below 90. Each checks who may, and answers with the one error shape.

use std::collections::BTreeMap;

use ocop_domain::access::Role;
use ocop_domain::criteria::Level;
use ocop_domain::rounds::council::{self, Seat};
use ocop_domain::rounds::scoring::{self, CardError, Standing};
use ocop_domain::rounds::{RoundAction, RoundError, RoundFacts, RoundKind, RoundState, decision};
use ocop_store::accounts::{self, User};
use ocop_store::rounds::{
    self as store, Decision, FinalResult, NewRound, NewSeat, Round, RoundProduct, RoundStoreError,
};

use crate::AppState;
use crate::shared::error::AppError;
use crate::shared::i18n::Lang;

use super::*;

/// Opening a round, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OpenForm {
    pub name: String,
    /// `province` (default) or `ministry`; `district` only for a legacy round.
    #[serde(default)]
    pub level: String,
    /// `online` (default) or `legacy` (a round held before 01/07/2025, recorded).
    #[serde(default)]
    pub kind: String,
    /// yyyy-mm-dd or dd/mm/yyyy
    pub meeting_on: String,
    pub place: String,
}

/// Opens a round for the viewer's level: a provincial officer for its province, a central
/// officer for the ministry. Field errors carry message ids.
pub async fn open(
    state: &AppState,
    user: &User,
    form: &OpenForm,
    lang: Lang,
) -> Result<Round, AppError> {
    let kind = match form.kind.trim() {
        "" => RoundKind::Online,
        text => RoundKind::parse(text)
            .ok_or_else(|| AppError::invalid_fields(lang, [("kind", "rounds-error-kind")]))?,
    };
    let level = match (form.level.trim(), user.role) {
        ("", Role::CentralOfficer) | ("ministry", _) => Level::Ministry,
        ("" | "province", _) => Level::Province,
        ("district", _) if kind == RoundKind::Legacy => Level::District,
        _ => {
            return Err(AppError::invalid_fields(
                lang,
                [("level", "rounds-error-level")],
            ));
        }
    };
    let organiser = match level {
        Level::District => Some(Role::ProvincialOfficer),
        level => ocop_domain::rounds::organiser(level),
    };
    if organiser != Some(user.role) {
        return Err(forbidden(
            "not_allowed",
            "only the level's OCOP office opens rounds",
        ));
    }
    let mut errors: Vec<(&str, &str)> = Vec::new();
    if form.name.trim().chars().count() < 3 {
        errors.push(("name", "rounds-error-required"));
    }
    if form.place.trim().is_empty() {
        errors.push(("place", "rounds-error-required"));
    }
    let meeting_on = crate::shared::format::parse_date(&form.meeting_on);
    match meeting_on {
        None => errors.push(("meeting_on", "rounds-error-date")),
        Some(date) if kind == RoundKind::Legacy && date >= ocop_domain::rounds::legacy_before() => {
            errors.push(("meeting_on", "rounds-error-legacy-date"))
        }
        Some(_) => {}
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(lang, errors));
    }
    let province_code = match level {
        Level::Ministry => None,
        _ => user.unit_code.clone(),
    };
    Ok(store::create(
        &state.db,
        NewRound {
            name: form.name.clone(),
            level,
            kind,
            province_code,
            meeting_on: meeting_on.unwrap_or_default(),
            place: form.place.clone(),
        },
        &user.id,
    )
    .await?)
}

/// A seat as typed: the account by e-mail.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SeatForm {
    pub email: String,
    /// chair, vice_chair, member or secretary
    pub seat: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub organisation: String,
}

pub async fn seat(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    form: &SeatForm,
    lang: Lang,
) -> Result<(), AppError> {
    if !loaded.is_organiser(user) {
        return Err(forbidden(
            "not_allowed",
            "only the round's OCOP office seats members",
        ));
    }
    let mut errors: Vec<(&str, &str)> = Vec::new();
    let seat = Seat::parse(form.seat.trim());
    if seat.is_none() {
        errors.push(("seat", "rounds-error-seat"));
    }
    let member = match ocop_domain::access::normalize_email(&form.email) {
        Some(email) => accounts::find_by_email(&state.db, &email)
            .await?
            .filter(|u| u.active),
        None => None,
    };
    if member.is_none() {
        errors.push(("email", "rounds-error-member"));
    }
    if form.agency.trim().is_empty() {
        errors.push(("agency", "rounds-error-required"));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(lang, errors));
    }
    let (Some(seat), Some(member)) = (seat, member) else {
        return Err(AppError::Internal);
    };
    let new = NewSeat {
        user_id: member.id,
        seat,
        agency: form.agency.clone(),
        position: form.position.clone(),
        organisation: form.organisation.clone(),
    };
    match store::set_seat(&state.db, &loaded.round, new, &user.id).await {
        Ok(()) => Ok(()),
        Err(RoundStoreError::Invalid(field, code)) => {
            let key = match code {
                "role_cannot_sit" => "rounds-error-role-cannot-sit",
                "other_province" => "rounds-error-other-province",
                _ => "rounds-error-member",
            };
            let field = if field == "user_id" { "email" } else { field };
            Err(AppError::invalid_fields(lang, [(field, key)]))
        }
        Err(error) => Err(store_error(error)),
    }
}

/// The council's own rules as typed (empty: the version's).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SettingsForm {
    #[serde(default)]
    pub quorum: String,
    #[serde(default)]
    pub spread_limit: String,
    /// mean or trimmed_mean (empty: the version's)
    #[serde(default)]
    pub averaging: String,
}

pub async fn settings(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    form: &SettingsForm,
    lang: Lang,
) -> Result<(), AppError> {
    if !loaded.is_organiser(user) {
        return Err(forbidden(
            "not_allowed",
            "only the round's OCOP office sets the council's rules",
        ));
    }
    let number = |text: &str,
                  field: &'static str,
                  errors: &mut Vec<(&'static str, &'static str)>| {
        match text.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(value) => Some(value),
                Err(_) => {
                    errors.push((field, "rounds-error-number"));
                    None
                }
            },
        }
    };
    let mut errors = Vec::new();
    let quorum = number(&form.quorum, "quorum", &mut errors);
    let spread_limit = number(&form.spread_limit, "spread_limit", &mut errors);
    let averaging = match form.averaging.trim() {
        "" => None,
        text => {
            let parsed = ocop_domain::criteria::Averaging::parse(text);
            if parsed.is_none() {
                errors.push(("averaging", "rounds-error-averaging"));
            }
            parsed
        }
    };
    let settings = council::Settings {
        quorum,
        spread_limit,
        averaging,
    };
    if let Err(field) = settings.check() {
        errors.push((field, "rounds-error-number"));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(lang, errors));
    }
    store::set_settings(&state.db, &loaded.round, settings, &user.id)
        .await
        .map_err(store_error)
}

/// Adds a taken-in dossier (or, for the ministry, one awaiting it) under the version the
/// transition rules give on the round's meeting date.
pub async fn add_product(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    dossier_id: &str,
    lang: Lang,
) -> Result<RoundProduct, AppError> {
    if !loaded.is_organiser(user) {
        return Err(forbidden(
            "not_allowed",
            "only the round's OCOP office adds products",
        ));
    }
    let dossier = ocop_store::dossiers::find(&state.db, &user.scope(), dossier_id)
        .await?
        .ok_or_else(|| AppError::invalid_fields(lang, [("dossier_id", "rounds-error-dossier")]))?;
    let version = match loaded.round.level {
        // The ministry scores on the version the province did.
        Level::Ministry => Some(dossier.criteria_version.clone()),
        _ => state
            .criteria
            .version_for_evaluation(
                dossier.filed_on(),
                dossier.evaluation_type,
                loaded.round.meeting_on,
            )
            .filter(|v| v.set(&dossier.product_set).is_some())
            .map(|v| v.id.clone()),
    }
    .unwrap_or_else(|| dossier.criteria_version.clone());
    match store::add_product(&state.db, &loaded.round, dossier_id, &version, &user.id).await {
        Ok(product) => Ok(product),
        Err(RoundStoreError::Invalid(_, _) | RoundStoreError::NotFound) => Err(
            AppError::invalid_fields(lang, [("dossier_id", "rounds-error-dossier")]),
        ),
        Err(error) => Err(store_error(error)),
    }
}

/// The final results of every product, or the codes of those without one.
pub fn finals(loaded: &Loaded, state: &AppState) -> Result<Vec<FinalResult>, Vec<String>> {
    let mut results = Vec::new();
    let mut missing = Vec::new();
    for product in &loaded.products {
        let standing = loaded.standing(state, product);
        match standing {
            Some(Standing {
                status,
                result: Some(result),
                ..
            }) if status.is_final() => results.push(FinalResult {
                round_product_id: product.id.clone(),
                score: result.mean.centi(),
                stars: result.stars,
                outcome: decision::ProductOutcome::of(&result, loaded.round.level),
                result: serde_json::to_string(&result).unwrap_or_default(),
            }),
            _ => missing.push(product.product_code.clone()),
        }
    }
    if missing.is_empty() {
        Ok(results)
    } else {
        Err(missing)
    }
}

/// Starts scoring or closes the round (the office).
pub async fn act(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    action: &str,
) -> Result<RoundState, AppError> {
    let action = match action {
        "start" => RoundAction::StartScoring,
        "close" => RoundAction::Close,
        other => {
            return Err(AppError::bad_request(
                "invalid_action",
                format!("unknown action `{other}`: start or close"),
            ));
        }
    };
    if !loaded.is_organiser(user) {
        return Err(forbidden(
            "not_allowed",
            "only the round's OCOP office starts or closes it",
        ));
    }
    let (finals, not_final) = match action {
        RoundAction::Close => match finals(loaded, state) {
            Ok(finals) => (finals, Vec::new()),
            Err(missing) => (Vec::new(), missing),
        },
        _ => (Vec::new(), Vec::new()),
    };
    let facts = RoundFacts {
        products: loaded.products.len(),
        council_problems: loaded.council_problems(state),
        not_final,
    };
    let next = ocop_domain::rounds::transition(
        loaded.round.level,
        loaded.round.state,
        &action,
        loaded.actor(user),
        &facts,
    )
    .map_err(round_error)?;
    store::set_state(
        &state.db,
        &loaded.round,
        next,
        action.as_str(),
        &finals,
        &user.id,
    )
    .await
    .map_err(store_error)?;
    Ok(next)
}

/// Checks that `user` may put a card on `product` now.
fn may_score(loaded: &Loaded, product: &RoundProduct, user: &User) -> Result<(), AppError> {
    match loaded.seat_of(&user.id) {
        Some(seat) if seat.scores() => {}
        _ => return Err(card_error(CardError::NotAssigned)),
    }
    if loaded.excluded(&product.id, &user.id) {
        return Err(card_error(CardError::Conflicted));
    }
    if loaded.round.state != RoundState::Scoring {
        return Err(card_error(CardError::NotScoring));
    }
    if product.final_score.is_some() || !product.disqualifications.is_empty() {
        return Err(card_error(CardError::ProductNotScoring));
    }
    Ok(())
}

/// Saves a member's draft (checked: every choice exists and applies; criteria may be missing).
pub async fn save_draft(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    product: &RoundProduct,
    choices: &BTreeMap<String, u32>,
) -> Result<(), AppError> {
    may_score(loaded, product, user)?;
    let (version, set) = Loaded::sheet_of(state, product).ok_or(AppError::Internal)?;
    scoring::check_draft(version, set, product.entity_type, choices).map_err(card_error)?;
    store::save_draft(&state.db, &product.id, &user.id, product.pass, choices)
        .await
        .map_err(store_error)
}

/// Submits a member's card: complete, every option applicable, once per pass.
pub async fn submit(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    product: &RoundProduct,
    choices: &BTreeMap<String, u32>,
) -> Result<u32, AppError> {
    may_score(loaded, product, user)?;
    let (version, set) = Loaded::sheet_of(state, product).ok_or(AppError::Internal)?;
    let total = scoring::check_submission(version, set, product.entity_type, choices)
        .map_err(card_error)?;
    store::submit_card(
        &state.db,
        &product.id,
        &user.id,
        product.pass,
        choices,
        total,
    )
    .await
    .map_err(store_error)?;
    Ok(total)
}

/// A member declares a conflict on a product.
pub async fn declare(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    product: &RoundProduct,
    reason: &str,
) -> Result<(), AppError> {
    if !loaded.seat_of(&user.id).is_some_and(|seat| seat.scores()) {
        return Err(card_error(CardError::NotAssigned));
    }
    store::declare_conflict(&state.db, &loaded.round, &product.id, &user.id, reason)
        .await
        .map_err(store_error)
}

/// The chair clears a conflict flag the system raised.
pub async fn clear(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    conflict_id: &str,
    reason: &str,
) -> Result<(), AppError> {
    if loaded.seat_of(&user.id) != Some(Seat::Chair) {
        return Err(forbidden(
            "not_allowed",
            "only the council's chair clears a conflict flag",
        ));
    }
    store::clear_conflict(&state.db, &loaded.round, conflict_id, reason, &user.id)
        .await
        .map_err(store_error)
}

/// The chair opens a re-score of a product (re-opening a closed round).
pub async fn rescore(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    product: &RoundProduct,
    reason: &str,
) -> Result<u32, AppError> {
    if loaded.seat_of(&user.id) != Some(Seat::Chair) {
        return Err(forbidden(
            "not_allowed",
            "only the council's chair opens a re-score",
        ));
    }
    if loaded.round.state == RoundState::Closed {
        ocop_domain::rounds::transition(
            loaded.round.level,
            loaded.round.state,
            &RoundAction::Reopen {
                reason: reason.to_string(),
            },
            loaded.actor(user),
            &RoundFacts::default(),
        )
        .map_err(round_error)?;
    }
    store::open_rescore(&state.db, &loaded.round, product, reason, &user.id)
        .await
        .map_err(store_error)
}

/// A decision as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DecisionForm {
    pub number: String,
    /// yyyy-mm-dd or dd/mm/yyyy
    pub signed_on: String,
    pub signer: String,
    /// Round product ids the decision names.
    #[serde(default)]
    pub products: Vec<String>,
}

/// A decision's problems as field errors, each with its message.
fn decision_problems(problems: &[decision::DecisionProblem], lang: Lang) -> AppError {
    let key = |code: &str| match code {
        "required" => "rounds-error-required",
        "invalid_number" => "rounds-error-decision-number",
        "future_date" => "rounds-error-future-date",
        "no_result" => "rounds-error-no-result",
        _ => "rounds-error-nothing-to-decide",
    };
    AppError::invalid_fields(lang, problems.iter().map(|p| (p.field, key(p.code))))
}

/// Records the office's decision on products of the closed round.
pub async fn decide(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    form: &DecisionForm,
    lang: Lang,
) -> Result<Decision, AppError> {
    if !loaded.is_organiser(user) {
        return Err(forbidden(
            "not_allowed",
            "only the round's OCOP office records decisions",
        ));
    }
    let mut named = Vec::new();
    let mut items = Vec::new();
    let mut unknown = Vec::new();
    for id in &form.products {
        match loaded.products.iter().find(|p| &p.id == id) {
            Some(product) => {
                items.push(decision::DecisionItem {
                    product_code: product.product_code.clone(),
                    outcome: store::outcome_of(product),
                });
                named.push(product.clone());
            }
            None => unknown.push(id.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::Unprocessable {
            code: "not_in_round",
            message: "these products are not in the round".into(),
            details: unknown,
        });
    }
    let checked = decision::check(
        &decision::DecisionForm {
            number: form.number.clone(),
            signed_on: crate::shared::format::parse_date(&form.signed_on),
            signer: form.signer.clone(),
        },
        &items,
        chrono::Utc::now().date_naive(),
    );
    let number = checked.map_err(|problems| decision_problems(&problems, lang))?;
    match store::record_decision(
        &state.db,
        &state.criteria,
        &loaded.round,
        &store::Signed {
            number: &number,
            signed_on: crate::shared::format::parse_date(&form.signed_on).unwrap_or_default(),
            signer: &form.signer,
        },
        &named,
        &user.id,
    )
    .await
    {
        Ok(decision) => Ok(decision),
        Err(RoundStoreError::Invalid("number", _)) => Err(AppError::invalid_fields(
            lang,
            [("number", "rounds-error-number-taken")],
        )),
        Err(RoundStoreError::Invalid("products", "already_decided")) => Err(
            AppError::invalid_fields(lang, [("products", "rounds-error-already-decided")]),
        ),
        Err(RoundStoreError::Invalid("products", "supersedes_revoked")) => Err(
            AppError::invalid_fields(lang, [("products", "rounds-error-supersedes-revoked")]),
        ),
        Err(error) => Err(store_error(error)),
    }
}

/// A legacy round's result as typed: the product by its code, the version it was scored under,
/// the score as decided.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct LegacyForm {
    pub product_code: String,
    /// `1048`, `148` or `148-1489`
    pub criteria_version: String,
    /// The council's score, two decimals at most: `72.50` or `72,50`
    pub score: String,
    /// The recognition decision, if known (all three or none): a recognised product then gets
    /// its certificate, issued on the decision's date.
    #[serde(default)]
    pub decision_number: String,
    /// yyyy-mm-dd or dd/mm/yyyy
    #[serde(default)]
    pub decision_date: String,
    #[serde(default)]
    pub decision_signer: String,
}

/// Records a product's result in a legacy round (the office of its province).
pub async fn record_legacy(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    form: &LegacyForm,
    lang: Lang,
) -> Result<RoundProduct, AppError> {
    // The province's office, for provincial and district rounds alike.
    let office =
        user.role == Role::ProvincialOfficer && user.unit_code == loaded.round.province_code;
    if !office {
        return Err(forbidden(
            "not_allowed",
            "only the province's OCOP office records legacy results",
        ));
    }
    if loaded.round.kind != RoundKind::Legacy {
        return Err(unprocessable(
            "not_legacy",
            "results are recorded only in legacy rounds",
        ));
    }
    let mut errors: Vec<(&str, &str)> = Vec::new();
    let product =
        ocop_store::registry::product_by_code(&state.db, &user.scope(), form.product_code.trim())
            .await?;
    if product.is_none() {
        errors.push(("product_code", "rounds-error-product-code"));
    }
    let version = state
        .criteria
        .version(form.criteria_version.trim())
        .filter(|v| v.effective_from <= loaded.round.meeting_on);
    if version.is_none() {
        errors.push(("criteria_version", "rounds-error-version"));
    }
    let score = ocop_domain::criteria::Score::parse(&form.score);
    if score.is_none() {
        errors.push(("score", "rounds-error-score"));
    }
    let decision = legacy_decision(form, loaded.round.meeting_on, &mut errors);
    let (Some(product), Some(version), Some(score), true) =
        (product, version, score, errors.is_empty())
    else {
        return Err(AppError::invalid_fields(lang, errors));
    };
    let (stars, outcome) = decision::ProductOutcome::of_legacy(version, score);
    let result = store::LegacyResult {
        product_id: product.id,
        criteria_version: version.id.clone(),
        score: Some(score.centi()),
        stars,
        outcome,
        decision,
    };
    match store::record_legacy_result(&state.db, &state.criteria, &loaded.round, &result, &user.id)
        .await
    {
        Err(RoundStoreError::Invalid("decision_number", _)) => Err(AppError::invalid_fields(
            lang,
            [("decision_number", "rounds-error-number-taken")],
        )),
        other => other.map_err(store_error),
    }
}

/// The legacy result's decision, when its fields are given (all or none), checked against the
/// meeting day and today.
fn legacy_decision(
    form: &LegacyForm,
    meeting_on: chrono::NaiveDate,
    errors: &mut Vec<(&'static str, &'static str)>,
) -> Option<store::LegacyDecision> {
    let given = [
        &form.decision_number,
        &form.decision_date,
        &form.decision_signer,
    ];
    if given.iter().all(|text| text.trim().is_empty()) {
        return None;
    }
    let number = decision::DecisionNumber::parse(form.decision_number.trim());
    if number.is_none() {
        errors.push(("decision_number", "rounds-error-decision-number"));
    }
    let signed_on = crate::shared::format::parse_date(&form.decision_date)
        .filter(|d| *d >= meeting_on && *d <= ocop_store::clock::today());
    if signed_on.is_none() {
        errors.push(("decision_date", "rounds-error-legacy-decision-date"));
    }
    if form.decision_signer.trim().is_empty() {
        errors.push(("decision_signer", "rounds-error-required"));
    }
    Some(store::LegacyDecision {
        number: number?,
        signed_on: signed_on?,
        signer: form.decision_signer.trim().to_string(),
    })
}

/// The province's step on a product the ministry scored below 90, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct FallbackForm {
    /// `recognise` (on the central result, with a decision) or `reevaluate`
    pub choice: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub signed_on: String,
    #[serde(default)]
    pub signer: String,
    /// Why it is evaluated again (for `reevaluate`).
    #[serde(default)]
    pub reason: String,
}

/// Recognises 3★/4★ on the central result, or sends the dossier back for a provincial round
/// (the office of the product's province; 26/2026 Điều 7.4.g).
pub async fn fallback(
    state: &AppState,
    user: &User,
    loaded: &Loaded,
    product: &RoundProduct,
    form: &FallbackForm,
    lang: Lang,
) -> Result<Option<Decision>, AppError> {
    if user.role != Role::ProvincialOfficer
        || user.unit_code.as_deref() != Some(product.province_code.as_str())
    {
        return Err(forbidden(
            "not_allowed",
            "only the office of the product's province decides on a central result",
        ));
    }
    let outcome = store::outcome_of(product);
    let version = state.criteria.version(&product.criteria_version);
    let (Some(outcome), Some(version), Level::Ministry) = (outcome, version, loaded.round.level)
    else {
        return Err(unprocessable(
            "not_below_threshold",
            "only a product the ministry scored below 90",
        ));
    };
    if !matches!(
        outcome,
        decision::ProductOutcome::BelowMinistryThreshold { .. }
    ) {
        return Err(unprocessable(
            "not_below_threshold",
            "only a product the ministry scored below 90",
        ));
    }
    let step = match form.choice.as_str() {
        "recognise" => {
            let stars = outcome.fallback_stars(version).ok_or_else(|| {
                unprocessable(
                    "not_certifiable",
                    "the central result is below the stars the province recognises",
                )
            })?;
            let item = decision::DecisionItem {
                product_code: product.product_code.clone(),
                outcome: Some(decision::ProductOutcome::Recognised { stars }),
            };
            let checked = decision::check(
                &decision::DecisionForm {
                    number: form.number.clone(),
                    signed_on: crate::shared::format::parse_date(&form.signed_on),
                    signer: form.signer.clone(),
                },
                &[item],
                chrono::Utc::now().date_naive(),
            );
            let number = checked.map_err(|problems| decision_problems(&problems, lang))?;
            store::Fallback::Recognise {
                number,
                signed_on: crate::shared::format::parse_date(&form.signed_on).unwrap_or_default(),
                signer: form.signer.clone(),
                stars,
            }
        }
        "reevaluate" => {
            if form.reason.trim().chars().count() < ocop_domain::rounds::MIN_REASON_CHARS {
                return Err(round_error(RoundError::ReasonRequired));
            }
            store::Fallback::Reevaluate {
                reason: form.reason.clone(),
            }
        }
        _ => {
            return Err(AppError::bad_request(
                "invalid_choice",
                "choice: recognise or reevaluate",
            ));
        }
    };
    match store::fallback(
        &state.db,
        &state.criteria,
        &loaded.round,
        product,
        &step,
        &user.id,
    )
    .await
    {
        Err(RoundStoreError::Invalid("number", _)) => Err(AppError::invalid_fields(
            lang,
            [("number", "rounds-error-number-taken")],
        )),
        Err(RoundStoreError::Invalid("dossier_id", _)) => Err(unprocessable(
            "already_decided",
            "the province has already decided on this result",
        )),
        other => other.map_err(store_error),
    }
}
