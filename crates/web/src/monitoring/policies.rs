//! Support and reward policies, the entitlements they give (each amount explaining itself),
//! disbursements (planned → approved → paid) and budgets, for pages and the API.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use ocop_domain::monitoring::parse_dong;
use ocop_domain::monitoring::policies::{
    Amount, Basis, BudgetSource, Policy, PolicyForm, RecognitionKind, check_policy,
};
use ocop_store::accounts::User;
use ocop_store::monitoring::policies::{
    self as store, BudgetDraft, BudgetLine, Disbursement, DisbursementPlan, EntitlementRow,
};

use super::dashboard::{source_choices, source_label};
use super::{field_errors, may_read, may_write, store_error};
use crate::AppState;
use crate::shared::auth::{ApiCaller, ApiWriter, Viewer, check_csrf};
use crate::shared::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorDoc, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::{ApiLang, Lang};
use crate::shared::page::{Chrome, WithCsrf, render};

fn not_found(what: &'static str, key: &str) -> AppError {
    AppError::NotFound {
        code: "not_found",
        what,
        key: key.to_string(),
    }
}

/// A policy's amount in words: `20.000.000 ₫ / 40.000.000 ₫ / 80.000.000 ₫ (3★/4★/5★)`.
pub fn amount_text(amount: Amount, lang: Lang) -> String {
    match amount {
        Amount::OneTime(a) => lang.t_with(
            "policy-amount-one-time",
            &[("amount", format::vnd(a).into())],
        ),
        Amount::PerStar([a, b, c]) => format!(
            "{} / {} / {} (3★/4★/5★)",
            format::vnd(a),
            format::vnd(b),
            format::vnd(c)
        ),
        Amount::CostShare { points, cap } => lang.t_with(
            "policy-amount-cost-share",
            &[
                (
                    "share",
                    ocop_domain::monitoring::money::percent_text(points).into(),
                ),
                ("cap", format::vnd(cap).into()),
            ],
        ),
    }
}

fn kind_label(kind: RecognitionKind, lang: Lang) -> String {
    lang.t(&format!(
        "recognition-kind-{}",
        kind.as_str().replace('_', "-")
    ))
}

/// An entitlement explaining itself: "75.000.000 ₫ — … first recognition 3★, Nghị quyết …".
pub fn explain(row: &EntitlementRow, names: &HashMap<String, String>, lang: Lang) -> String {
    let base: Vec<(
        &'static str,
        fluent_templates::fluent_bundle::FluentValue<'static>,
    )> = vec![
        ("amount", format::vnd(row.amount).into()),
        ("policy", row.policy_name.clone().into()),
        ("reference", row.policy_reference.clone().into()),
        ("kind", kind_label(row.kind, lang).into()),
        ("stars", (row.stars as i64).into()),
    ];
    let with = |extra: Vec<(
        &'static str,
        fluent_templates::fluent_bundle::FluentValue<'static>,
    )>| {
        let mut args = base.clone();
        args.extend(extra);
        args
    };
    match &row.basis {
        Basis::Full => lang.t_with("entitlement-full", &base),
        Basis::Difference { full, already } => lang.t_with(
            "entitlement-difference",
            &with(vec![
                ("from", (row.previous_stars.unwrap_or(0) as i64).into()),
                ("full", format::vnd(*full).into()),
                ("already", format::vnd(*already).into()),
            ]),
        ),
        Basis::Superseded { by, would_pay } => lang.t_with(
            "entitlement-superseded",
            &with(vec![
                (
                    "by",
                    names.get(by).cloned().unwrap_or_else(|| by.clone()).into(),
                ),
                ("would", format::vnd(*would_pay).into()),
            ]),
        ),
        Basis::LimitReached { limit, would_pay } => lang.t_with(
            "entitlement-limit",
            &with(vec![
                ("limit", (*limit as i64).into()),
                ("would", format::vnd(*would_pay).into()),
            ]),
        ),
    }
}

/// A policy in the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyJson {
    pub id: String,
    pub name: String,
    pub reference: String,
    pub unit_code: String,
    pub valid_from: chrono::NaiveDate,
    pub valid_to: Option<chrono::NaiveDate>,
    /// `central`, `provincial`, `commune` or `other`.
    pub source: &'static str,
    /// `support` or `reward`.
    pub kind: &'static str,
    /// `first`, `re_recognition`, `upgrade`.
    pub triggers: Vec<&'static str>,
    /// The amount in words.
    pub amount: String,
    pub cumulative: bool,
    pub max_per_commune: Option<u32>,
    /// Entitlements it gave, and their total in đồng.
    pub entitlements: usize,
    pub entitled: i64,
    pub paid: i64,
}

fn policy_json(policy: &Policy, rows: &[EntitlementRow], lang: Lang) -> PolicyJson {
    let mine: Vec<&EntitlementRow> = rows.iter().filter(|e| e.policy_id == policy.id).collect();
    PolicyJson {
        id: policy.id.clone(),
        name: policy.name.clone(),
        reference: policy.reference.clone(),
        unit_code: policy.unit_code.clone(),
        valid_from: policy.valid_from,
        valid_to: policy.valid_to,
        source: policy.source.as_str(),
        kind: policy.kind.as_str(),
        triggers: policy.triggers.iter().map(|t| t.as_str()).collect(),
        amount: amount_text(policy.amount, lang),
        cumulative: policy.cumulative,
        max_per_commune: policy.max_per_commune,
        entitlements: mine.len(),
        entitled: mine.iter().map(|e| e.amount).sum(),
        paid: mine.iter().map(|e| e.disbursed[2]).sum(),
    }
}

async fn create(
    state: &AppState,
    user: &User,
    form: &PolicyForm,
    lang: Lang,
) -> Result<Policy, AppError> {
    may_write(user, false)?;
    let draft = check_policy(form, format::parse_date)
        .map_err(|errors| AppError::invalid_fields(lang, errors))?;
    store::create_policy(&state.db, &user.scope(), &draft, &user.id)
        .await
        .map_err(|e| store_error(lang, e, "unit", &form.unit))
}

#[derive(Template)]
#[template(path = "monitoring/policies.html")]
struct PoliciesPage {
    chrome: Chrome,
    policies: Vec<PolicyJson>,
    writes: bool,
    form: PolicyForm,
    errors: HashMap<String, String>,
    sources: Vec<(&'static str, String)>,
}

impl PoliciesPage {
    fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn policies_page(
    state: &AppState,
    viewer: &Viewer,
    form: PolicyForm,
    errors: HashMap<String, String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let scope = session.scope();
    let policies = store::policies(&state.db, &scope)
        .await
        .map_err(|e| PageError::new(store_error(lang, e, "policy", ""), lang))?;
    let rows = store::entitlements(&state.db, &scope, None, None)
        .await
        .map_err(|e| PageError::new(store_error(lang, e, "policy", ""), lang))?;
    let form = if form == PolicyForm::default() {
        PolicyForm {
            unit: match &scope {
                ocop_domain::access::Scope::Province(code) => code.clone(),
                _ => String::new(),
            },
            trigger_first: Some("on".into()),
            amount_kind: "one_time".into(),
            source: "provincial".into(),
            kind: "support".into(),
            ..PolicyForm::default()
        }
    } else {
        form
    };
    render(
        &PoliciesPage {
            chrome: Chrome::new(viewer, "monitoring"),
            policies: policies
                .iter()
                .map(|p| policy_json(p, &rows, lang))
                .collect(),
            writes: may_write(&session.user, false).is_ok(),
            form,
            errors,
            sources: source_choices(lang),
        },
        lang,
    )
}

/// `GET /monitoring/policies`
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    policies_page(&state, &viewer, PolicyForm::default(), HashMap::new()).await
}

/// `POST /monitoring/policies`
pub async fn create_page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<WithCsrf<PolicyForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    match create(&state, &session.user, &form.fields, lang).await {
        Ok(policy) => {
            Ok(Redirect::to(&format!("/monitoring/policies/{}", policy.id)).into_response())
        }
        Err(error) => {
            let errors = field_errors(error).map_err(page_error(lang))?;
            let page = policies_page(&state, &viewer, form.fields, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// An entitlement row for pages and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntitlementJson {
    pub id: String,
    pub policy_id: String,
    pub certificate_number: String,
    pub product_code: String,
    pub product_name: String,
    pub commune_code: String,
    pub decided_on: chrono::NaiveDate,
    /// `first`, `re_recognition` or `upgrade`.
    pub kind: &'static str,
    pub stars: u8,
    pub previous_stars: Option<u8>,
    /// Whole đồng (for a cost share, the most it can be).
    pub amount: i64,
    /// The amount explaining itself.
    pub explanation: String,
    /// Disbursed: planned, approved, paid.
    pub planned: i64,
    pub approved: i64,
    pub paid: i64,
    /// Still to be planned.
    pub open: i64,
}

fn entitlement_json(
    row: &EntitlementRow,
    names: &HashMap<String, String>,
    lang: Lang,
) -> EntitlementJson {
    EntitlementJson {
        id: row.id.clone(),
        policy_id: row.policy_id.clone(),
        certificate_number: row.certificate_number.clone(),
        product_code: row.product_code.clone(),
        product_name: row.product_name.clone(),
        commune_code: row.commune_code.clone(),
        decided_on: row.decided_on,
        kind: row.kind.as_str(),
        stars: row.stars,
        previous_stars: row.previous_stars,
        amount: row.amount,
        explanation: explain(row, names, lang),
        planned: row.disbursed[0],
        approved: row.disbursed[1],
        paid: row.disbursed[2],
        open: row.open(),
    }
}

async fn policy_names(state: &AppState, user: &User) -> Result<HashMap<String, String>, AppError> {
    Ok(store::policies(&state.db, &user.scope())
        .await
        .map_err(|e| store_error(Lang::Vi, e, "policy", ""))?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

#[derive(Template)]
#[template(path = "monitoring/policy.html")]
struct PolicyPage {
    chrome: Chrome,
    policy: PolicyJson,
    entitlements: Vec<EntitlementJson>,
}

/// `GET /monitoring/policies/{id}`: a policy and every entitlement it gave.
pub async fn policy_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let scope = session.scope();
    let policy = store::policy(&state.db, &scope, &id)
        .await
        .map_err(|e| PageError::new(store_error(lang, e, "policy", &id), lang))?
        .ok_or_else(|| PageError::new(not_found("policy", &id), lang))?;
    let rows = store::entitlements(&state.db, &scope, Some(&id), None)
        .await
        .map_err(|e| PageError::new(store_error(lang, e, "policy", &id), lang))?;
    let names = policy_names(&state, &session.user)
        .await
        .map_err(page_error(lang))?;
    render(
        &PolicyPage {
            chrome: Chrome::new(&viewer, "monitoring"),
            policy: policy_json(&policy, &rows, lang),
            entitlements: rows
                .iter()
                .map(|r| entitlement_json(r, &names, lang))
                .collect(),
        },
        lang,
    )
}

/// A disbursement as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct DisbursementForm {
    /// Whole đồng: `75.000.000` or `75000000`.
    #[serde(default)]
    pub amount: String,
    /// For a cost share: the documented cost.
    #[serde(default)]
    pub cost: String,
    /// dd/mm/yyyy or yyyy-mm-dd.
    #[serde(default)]
    pub on: String,
    /// The document: "Tờ trình 12/TTr-SNN", "Quyết định 55/QĐ-UBND", "Ủy nhiệm chi 1".
    #[serde(default)]
    pub document: String,
}

async fn plan(
    state: &AppState,
    user: &User,
    entitlement: &str,
    form: &DisbursementForm,
    lang: Lang,
) -> Result<Disbursement, AppError> {
    may_write(user, false)?;
    let mut errors: Vec<(&'static str, &'static str)> = Vec::new();
    let amount = parse_dong(&form.amount).unwrap_or_else(|e| {
        errors.push(("amount", e.message_id()));
        0
    });
    let cost = match form.cost.trim() {
        "" => None,
        typed => match parse_dong(typed) {
            Ok(cost) => Some(cost),
            Err(e) => {
                errors.push(("cost", e.message_id()));
                None
            }
        },
    };
    let on = format::parse_date(&form.on);
    if on.is_none() {
        errors.push(("on", "disbursement-error-date-format"));
    }
    let (true, Some(on)) = (errors.is_empty(), on) else {
        return Err(AppError::invalid_fields(lang, errors));
    };
    let plan = DisbursementPlan {
        amount,
        cost,
        planned_on: on,
        document: form.document.clone(),
    };
    store::plan_disbursement(&state.db, &user.scope(), entitlement, &plan, &user.id)
        .await
        .map_err(|e| store_error(lang, e, "entitlement", entitlement))
}

async fn advance(
    state: &AppState,
    user: &User,
    disbursement: &str,
    form: &DisbursementForm,
    lang: Lang,
) -> Result<Disbursement, AppError> {
    may_write(user, false)?;
    let on = format::parse_date(&form.on).ok_or_else(|| {
        AppError::invalid_fields(lang, [("on", "disbursement-error-date-format")])
    })?;
    store::advance_disbursement(
        &state.db,
        &user.scope(),
        disbursement,
        on,
        &form.document,
        &user.id,
    )
    .await
    .map_err(|e| store_error(lang, e, "disbursement", disbursement))
}

#[derive(Template)]
#[template(path = "monitoring/entitlement.html")]
struct EntitlementPage {
    chrome: Chrome,
    entitlement: EntitlementJson,
    disbursements: Vec<Disbursement>,
    writes: bool,
    form: DisbursementForm,
    errors: HashMap<String, String>,
    cost_share: bool,
}

async fn entitlement_page_with(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: DisbursementForm,
    errors: HashMap<String, String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let row = store::entitlement(&state.db, &session.scope(), id)
        .await
        .map_err(|e| PageError::new(store_error(lang, e, "entitlement", id), lang))?
        .ok_or_else(|| PageError::new(not_found("entitlement", id), lang))?;
    let names = policy_names(state, &session.user)
        .await
        .map_err(page_error(lang))?;
    let disbursements = store::disbursements(&state.db, id)
        .await
        .map_err(|e| PageError::new(AppError::from(e), lang))?;
    render(
        &EntitlementPage {
            chrome: Chrome::new(viewer, "monitoring"),
            cost_share: row.cost_share.is_some(),
            entitlement: entitlement_json(&row, &names, lang),
            disbursements,
            writes: may_write(&session.user, false).is_ok(),
            form,
            errors,
        },
        lang,
    )
}

/// `GET /monitoring/entitlements/{id}`
pub async fn entitlement_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
) -> Result<Html<String>, PageError> {
    entitlement_page_with(
        &state,
        &viewer,
        &id,
        DisbursementForm::default(),
        HashMap::new(),
    )
    .await
}

/// `POST /monitoring/entitlements/{id}/disbursements`
pub async fn plan_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    axum::Form(form): axum::Form<WithCsrf<DisbursementForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    match plan(&state, &session.user, &id, &form.fields, lang).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/monitoring/entitlements/{id}#disbursements")).into_response(),
        ),
        Err(error) => {
            let errors = field_errors(error).map_err(page_error(lang))?;
            let page = entitlement_page_with(&state, &viewer, &id, form.fields, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /monitoring/disbursements/{id}/advance`
pub async fn advance_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    axum::Form(form): axum::Form<WithCsrf<DisbursementForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    let moved = advance(&state, &session.user, &id, &form.fields, lang)
        .await
        .map_err(page_error(lang))?;
    Ok(Redirect::to(&format!(
        "/monitoring/entitlements/{}#disbursements",
        moved.entitlement_id
    ))
    .into_response())
}

/// A budget line as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct BudgetForm {
    #[serde(default)]
    pub year: String,
    /// A province's or commune's code.
    #[serde(default)]
    pub unit: String,
    /// `central`, `provincial`, `commune` or `other`.
    #[serde(default)]
    pub source: String,
    /// Whole đồng.
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reference: String,
}

async fn set_budget(
    state: &AppState,
    user: &User,
    form: &BudgetForm,
    lang: Lang,
) -> Result<(), AppError> {
    may_write(user, false)?;
    let mut errors: Vec<(&'static str, &'static str)> = Vec::new();
    let year = form.year.trim().parse::<i32>().ok();
    if year.is_none() {
        errors.push(("year", "budget-error-year"));
    }
    let source = BudgetSource::parse(form.source.trim());
    if source.is_none() {
        errors.push(("source", "policy-error-source"));
    }
    let amount = parse_dong(&form.amount).unwrap_or_else(|e| {
        errors.push(("amount", e.message_id()));
        0
    });
    let (true, Some(year), Some(source)) = (errors.is_empty(), year, source) else {
        return Err(AppError::invalid_fields(lang, errors));
    };
    let draft = BudgetDraft {
        year,
        unit_code: form.unit.trim().to_string(),
        source,
        amount,
        reference: form.reference.clone(),
    };
    store::set_budget(&state.db, &user.scope(), &draft, &user.id)
        .await
        .map_err(|e| store_error(lang, e, "unit", &form.unit))
}

/// A budget line in the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BudgetJson {
    pub year: i32,
    pub unit_code: String,
    pub source: &'static str,
    pub amount: i64,
    pub reference: String,
    /// Approved or paid.
    pub committed: i64,
    pub paid: i64,
}

fn budget_json(line: &BudgetLine) -> BudgetJson {
    BudgetJson {
        year: line.year,
        unit_code: line.unit_code.clone(),
        source: line.source.as_str(),
        amount: line.amount,
        reference: line.reference.clone(),
        committed: line.committed,
        paid: line.paid,
    }
}

#[derive(Template)]
#[template(path = "monitoring/budgets.html")]
struct BudgetsPage {
    chrome: Chrome,
    lines: Vec<(BudgetJson, String)>,
    writes: bool,
    form: BudgetForm,
    errors: HashMap<String, String>,
    sources: Vec<(&'static str, String)>,
}

async fn budgets_page(
    state: &AppState,
    viewer: &Viewer,
    form: BudgetForm,
    errors: HashMap<String, String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    may_read(&session.user).map_err(page_error(lang))?;
    let lines = store::budgets(&state.db, &session.scope(), None)
        .await
        .map_err(|e| PageError::new(store_error(lang, e, "budget", ""), lang))?;
    let form = if form.year.is_empty() {
        BudgetForm {
            year: chrono::Datelike::year(&ocop_store::clock::today()).to_string(),
            source: "provincial".into(),
            unit: match session.scope() {
                ocop_domain::access::Scope::Province(code) => code,
                _ => String::new(),
            },
            ..form
        }
    } else {
        form
    };
    render(
        &BudgetsPage {
            chrome: Chrome::new(viewer, "monitoring"),
            lines: lines
                .iter()
                .map(|l| (budget_json(l), source_label(l.source, lang)))
                .collect(),
            writes: may_write(&session.user, false).is_ok(),
            form,
            errors,
            sources: source_choices(lang),
        },
        lang,
    )
}

/// `GET /monitoring/budgets`
pub async fn budgets(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    budgets_page(&state, &viewer, BudgetForm::default(), HashMap::new()).await
}

/// `POST /monitoring/budgets`
pub async fn budget_page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<WithCsrf<BudgetForm>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    check_csrf(session, &form.csrf).map_err(page_error(lang))?;
    match set_budget(&state, &session.user, &form.fields, lang).await {
        Ok(()) => Ok(Redirect::to("/monitoring/budgets#budgets").into_response()),
        Err(error) => {
            let errors = field_errors(error).map_err(page_error(lang))?;
            let page = budgets_page(&state, &viewer, form.fields, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The policies in the caller's scope, with what they gave.
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/policies",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Policies", body = [PolicyJson]),
        (status = 403, description = "The role does not read the monitoring", body = ErrorDoc)
    )
)]
pub async fn list_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiCaller(user): ApiCaller,
) -> Result<Json<Vec<PolicyJson>>, AppError> {
    may_read(&user)?;
    let scope = user.scope();
    let policies = store::policies(&state.db, &scope)
        .await
        .map_err(|e| store_error(lang, e, "policy", ""))?;
    let rows = store::entitlements(&state.db, &scope, None, None)
        .await
        .map_err(|e| store_error(lang, e, "policy", ""))?;
    Ok(Json(
        policies
            .iter()
            .map(|p| policy_json(p, &rows, lang))
            .collect(),
    ))
}

/// Records a province's (or one of its communes') policy and computes its entitlements for the
/// recognitions its validity already covers.
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/policies",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    request_body = inline(PolicyFormDoc),
    responses(
        (status = 201, description = "Recorded", body = PolicyJson),
        (status = 403, description = "Only provincial officers record policies", body = ErrorDoc),
        (status = 404, description = "The unit is not in the caller's province", body = ErrorDoc),
        (status = 422, description = "A wrong field; `cumulative`/`twice`: it would pay twice with another policy", body = ErrorDoc)
    )
)]
pub async fn create_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiJson(form): ApiJson<PolicyForm>,
) -> Result<Response, AppError> {
    let policy = create(&state, &user, &form, lang).await?;
    let rows = store::entitlements(&state.db, &user.scope(), Some(&policy.id), None)
        .await
        .map_err(|e| store_error(lang, e, "policy", &policy.id))?;
    Ok((StatusCode::CREATED, Json(policy_json(&policy, &rows, lang))).into_response())
}

/// The fields of a policy, for the API documentation (every value is text, as in the form).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PolicyFormDoc {
    name: String,
    /// The resolution: "Nghị quyết 15/2023/NQ-HĐND".
    reference: String,
    /// The province's or one of its communes' code.
    unit: String,
    /// dd/mm/yyyy or yyyy-mm-dd.
    valid_from: String,
    valid_to: Option<String>,
    /// `central`, `provincial`, `commune` or `other`.
    source: String,
    /// `support` or `reward`.
    kind: String,
    /// `on` to pay first recognitions.
    trigger_first: Option<String>,
    trigger_re_recognition: Option<String>,
    trigger_upgrade: Option<String>,
    /// `one_time` (with `amount`), `per_star` (`amount_3`, `amount_4`, `amount_5`) or
    /// `cost_share` (`share` in percent, `cap`).
    amount_kind: String,
    amount: Option<String>,
    amount_3: Option<String>,
    amount_4: Option<String>,
    amount_5: Option<String>,
    share: Option<String>,
    cap: Option<String>,
    /// `on`: paid alongside others; otherwise only the most favourable non-cumulative pays.
    cumulative: Option<String>,
    max_per_commune: Option<String>,
}

/// Which entitlements to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct EntitlementQuery {
    /// One policy's.
    pub policy: Option<String>,
    /// One product's.
    pub product: Option<String>,
}

/// Entitlements in the caller's scope (a producer: their own products'), each explaining itself.
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/entitlements",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    params(EntitlementQuery),
    responses(
        (status = 200, description = "Entitlements", body = [EntitlementJson]),
        (status = 403, description = "The role does not read the monitoring", body = ErrorDoc)
    )
)]
pub async fn entitlements_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiCaller(user): ApiCaller,
    ApiQuery(query): ApiQuery<EntitlementQuery>,
) -> Result<Json<Vec<EntitlementJson>>, AppError> {
    may_read(&user)?;
    let rows = store::entitlements(
        &state.db,
        &user.scope(),
        query.policy.as_deref(),
        query.product.as_deref(),
    )
    .await
    .map_err(|e| store_error(lang, e, "entitlement", ""))?;
    let names = policy_names(&state, &user).await?;
    Ok(Json(
        rows.iter()
            .map(|r| entitlement_json(r, &names, lang))
            .collect(),
    ))
}

/// A disbursement in the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisbursementJson {
    pub id: String,
    pub entitlement_id: String,
    pub amount: i64,
    pub cost: Option<i64>,
    /// `planned`, `approved` or `paid`.
    pub state: &'static str,
    pub planned_on: chrono::NaiveDate,
    pub approved_on: Option<chrono::NaiveDate>,
    pub paid_on: Option<chrono::NaiveDate>,
    pub document: String,
}

fn disbursement_json(d: &Disbursement) -> DisbursementJson {
    DisbursementJson {
        id: d.id.clone(),
        entitlement_id: d.entitlement_id.clone(),
        amount: d.amount,
        cost: d.cost,
        state: d.state.as_str(),
        planned_on: d.planned_on,
        approved_on: d.approved_on,
        paid_on: d.paid_on,
        document: d.document.clone(),
    }
}

/// Plans a disbursement of an entitlement (never past what it is owed).
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/entitlements/{id}/disbursements",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The entitlement's id")),
    request_body = DisbursementForm,
    responses(
        (status = 201, description = "Planned", body = DisbursementJson),
        (status = 403, description = "Only provincial officers disburse", body = ErrorDoc),
        (status = 404, description = "No such entitlement in scope", body = ErrorDoc),
        (status = 422, description = "`amount`: negative, fractional, zero or over the entitlement (`over`)", body = ErrorDoc)
    )
)]
pub async fn plan_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<DisbursementForm>,
) -> Result<Response, AppError> {
    let planned = plan(&state, &user, &id, &form, lang).await?;
    Ok((StatusCode::CREATED, Json(disbursement_json(&planned))).into_response())
}

/// Moves a disbursement on: planned → approved → paid, on a date, with its document.
#[utoipa::path(
    post,
    path = "/api/v1/monitoring/disbursements/{id}/advance",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The disbursement's id")),
    request_body = DisbursementForm,
    responses(
        (status = 200, description = "Moved on", body = DisbursementJson),
        (status = 403, description = "Only provincial officers disburse", body = ErrorDoc),
        (status = 404, description = "No such disbursement in scope", body = ErrorDoc),
        (status = 422, description = "Already paid, a date before the previous step, or no document", body = ErrorDoc)
    )
)]
pub async fn advance_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiPath(id): ApiPath<String>,
    ApiJson(form): ApiJson<DisbursementForm>,
) -> Result<Json<DisbursementJson>, AppError> {
    let moved = advance(&state, &user, &id, &form, lang).await?;
    Ok(Json(disbursement_json(&moved)))
}

/// Budget lines in the caller's scope with what is committed and paid.
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/budgets",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Budget lines", body = [BudgetJson]),
        (status = 403, description = "The role does not read the monitoring", body = ErrorDoc)
    )
)]
pub async fn budgets_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiCaller(user): ApiCaller,
) -> Result<Json<Vec<BudgetJson>>, AppError> {
    may_read(&user)?;
    let lines = store::budgets(&state.db, &user.scope(), None)
        .await
        .map_err(|e| store_error(lang, e, "budget", ""))?;
    Ok(Json(lines.iter().map(budget_json).collect()))
}

/// Sets a unit's budget for a year and source (replacing an earlier figure).
#[utoipa::path(
    put,
    path = "/api/v1/monitoring/budgets",
    tag = "monitoring",
    security(("bearer" = []), ("session" = [])),
    request_body = BudgetForm,
    responses(
        (status = 204, description = "Set"),
        (status = 403, description = "Only provincial officers set budgets", body = ErrorDoc),
        (status = 404, description = "The unit is not in the caller's province", body = ErrorDoc),
        (status = 422, description = "A wrong field (`year`, `source`, `amount`, `reference`, `unit`)", body = ErrorDoc)
    )
)]
pub async fn budget_api(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiWriter(user): ApiWriter,
    ApiJson(form): ApiJson<BudgetForm>,
) -> Result<StatusCode, AppError> {
    set_budget(&state, &user, &form, lang).await?;
    Ok(StatusCode::NO_CONTENT)
}
