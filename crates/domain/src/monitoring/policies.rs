//! Support and reward policies as data, and what each recognition is entitled to under them.
//!
//! A policy is a resolution of a province or a commune: who pays, what for (a first
//! recognition, a re-recognition, an upgrade), how much (a one-time amount, an amount per
//! star, or a share of a cost up to a cap), for how long, and within what limits. Readings
//! (docs/monitoring.md):
//! - an upgrade pays the difference: what the policy gives for the new star less what it has
//!   already given the product since its last first recognition or re-recognition it paid;
//! - a re-recognition the policy pays for starts over and pays in full (once per period);
//! - non-cumulative policies of the same recognition: only the most favourable pays, the
//!   others are recorded at 0 ₫ naming it; cumulative ones all pay;
//! - a limit per commune counts the recognitions the policy has paid, in decision order.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::money::MAX_DONG;

/// What kind of recognition a product had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecognitionKind {
    /// The product's first recognition.
    First,
    /// A later recognition at the same star or lower (after expiry or a re-evaluation).
    ReRecognition,
    /// A recognition at a higher star than the product's previous one.
    Upgrade,
}

impl RecognitionKind {
    pub const ALL: [RecognitionKind; 3] = [
        RecognitionKind::First,
        RecognitionKind::ReRecognition,
        RecognitionKind::Upgrade,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecognitionKind::First => "first",
            RecognitionKind::ReRecognition => "re_recognition",
            RecognitionKind::Upgrade => "upgrade",
        }
    }

    pub fn parse(text: &str) -> Option<RecognitionKind> {
        RecognitionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// A recognition of `stars` after a previous one of `previous` stars (if any).
    pub fn of(previous: Option<u8>, stars: u8) -> RecognitionKind {
        match previous {
            None => RecognitionKind::First,
            Some(before) if stars > before => RecognitionKind::Upgrade,
            Some(_) => RecognitionKind::ReRecognition,
        }
    }
}

/// Support (hỗ trợ: design, packaging, promotion…) or a reward (thưởng) for the star.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Support,
    Reward,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 2] = [PolicyKind::Support, PolicyKind::Reward];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Support => "support",
            PolicyKind::Reward => "reward",
        }
    }

    pub fn parse(text: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Who pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BudgetSource {
    Central,
    Provincial,
    Commune,
    /// Socialised funds, programmes, donors.
    Other,
}

impl BudgetSource {
    pub const ALL: [BudgetSource; 4] = [
        BudgetSource::Central,
        BudgetSource::Provincial,
        BudgetSource::Commune,
        BudgetSource::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BudgetSource::Central => "central",
            BudgetSource::Provincial => "provincial",
            BudgetSource::Commune => "commune",
            BudgetSource::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<BudgetSource> {
        BudgetSource::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// How much a policy gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    OneTime(i64),
    /// For 3★, 4★ and 5★.
    PerStar([i64; 3]),
    /// A share (basis points) of a documented cost, at most `cap`.
    CostShare {
        points: u32,
        cap: i64,
    },
}

impl Amount {
    /// What the policy gives a product at `stars` (for a cost share, the most it can give).
    pub fn for_stars(self, stars: u8) -> i64 {
        match self {
            Amount::OneTime(amount) => amount,
            Amount::PerStar(amounts) => match stars {
                3..=5 => amounts[usize::from(stars - 3)],
                _ => 0,
            },
            Amount::CostShare { cap, .. } => cap,
        }
    }

    /// A cost share's amount for a documented cost: the share, rounded down, at most the cap.
    pub fn for_cost(self, cost: i64) -> Option<i64> {
        match self {
            Amount::CostShare { points, cap } => {
                Some(((i128::from(cost) * i128::from(points) / 10_000) as i64).min(cap))
            }
            _ => None,
        }
    }
}

/// A policy as the records hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub id: String,
    pub name: String,
    /// The resolution it comes from: "Nghị quyết 15/2023/NQ-HĐND".
    pub reference: String,
    /// The province's or commune's current code.
    pub unit_code: String,
    pub unit_is_commune: bool,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub source: BudgetSource,
    pub kind: PolicyKind,
    pub triggers: Vec<RecognitionKind>,
    pub amount: Amount,
    /// Paid alongside other policies; when false only the most favourable non-cumulative one
    /// pays for a recognition.
    pub cumulative: bool,
    pub max_per_commune: Option<u32>,
}

impl Policy {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }

    fn covers(&self, event: &RecognitionEvent) -> bool {
        self.valid_on(event.decided_on)
            && if self.unit_is_commune {
                event.commune == self.unit_code
            } else {
                event.province == self.unit_code
            }
    }

    fn overlaps(&self, other: &Policy) -> bool {
        let ends_before = |a: &Policy, b: &Policy| a.valid_to.is_some_and(|to| to < b.valid_from);
        !ends_before(self, other) && !ends_before(other, self)
    }
}

/// A policy as a form submits it, every field text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct PolicyForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reference: String,
    /// A province or commune code (current).
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub trigger_first: Option<String>,
    #[serde(default)]
    pub trigger_re_recognition: Option<String>,
    #[serde(default)]
    pub trigger_upgrade: Option<String>,
    /// one_time, per_star or cost_share
    #[serde(default)]
    pub amount_kind: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub amount_3: String,
    #[serde(default)]
    pub amount_4: String,
    #[serde(default)]
    pub amount_5: String,
    #[serde(default)]
    pub share: String,
    #[serde(default)]
    pub cap: String,
    #[serde(default)]
    pub cumulative: Option<String>,
    #[serde(default)]
    pub max_per_commune: String,
}

/// Field → message id.
pub type PolicyErrors = std::collections::BTreeMap<&'static str, &'static str>;

fn ticked(value: &Option<String>) -> bool {
    matches!(value.as_deref(), Some("on" | "true" | "yes" | "1"))
}

fn money(field: &'static str, text: &str, errors: &mut PolicyErrors) -> i64 {
    match super::parse_dong(text) {
        Ok(amount) => amount,
        Err(e) => {
            errors.insert(field, e.message_id());
            0
        }
    }
}

/// A checked policy, except its unit, which the caller resolves (`unit_code`,
/// `unit_is_commune` are left as typed and `false`).
pub fn check_policy(
    form: &PolicyForm,
    parse_date: impl Fn(&str) -> Option<NaiveDate>,
) -> Result<Policy, PolicyErrors> {
    let mut errors = PolicyErrors::new();
    let text = |t: &str| crate::text::normalize(t);
    let name = text(&form.name);
    if name.is_empty() || name.chars().count() > 300 {
        errors.insert("name", "policy-error-name");
    }
    let reference = text(&form.reference);
    if reference.is_empty() || reference.chars().count() > 300 {
        errors.insert("reference", "policy-error-reference");
    }
    let unit_code = form.unit.trim().to_string();
    if unit_code.is_empty() {
        errors.insert("unit", "policy-error-unit");
    }
    let valid_from = parse_date(&form.valid_from);
    if valid_from.is_none() {
        errors.insert("valid_from", "policy-error-date");
    }
    let valid_to = match form.valid_to.trim() {
        "" => None,
        typed => match parse_date(typed) {
            Some(to) if valid_from.is_none_or(|from| from <= to) => Some(to),
            Some(_) => {
                errors.insert("valid_to", "policy-error-valid-to");
                None
            }
            None => {
                errors.insert("valid_to", "policy-error-date");
                None
            }
        },
    };
    let source = BudgetSource::parse(form.source.trim());
    if source.is_none() {
        errors.insert("source", "policy-error-source");
    }
    let kind = PolicyKind::parse(form.kind.trim());
    if kind.is_none() {
        errors.insert("kind", "policy-error-kind");
    }
    let triggers: Vec<RecognitionKind> = [
        (RecognitionKind::First, &form.trigger_first),
        (RecognitionKind::ReRecognition, &form.trigger_re_recognition),
        (RecognitionKind::Upgrade, &form.trigger_upgrade),
    ]
    .into_iter()
    .filter(|(_, v)| ticked(v))
    .map(|(k, _)| k)
    .collect();
    if triggers.is_empty() {
        errors.insert("triggers", "policy-error-triggers");
    }
    let amount = match form.amount_kind.trim() {
        "one_time" => {
            let amount = money("amount", &form.amount, &mut errors);
            if amount == 0 && !errors.contains_key("amount") {
                errors.insert("amount", "policy-error-zero");
            }
            Some(Amount::OneTime(amount))
        }
        "per_star" => {
            let blank_zero = |t: &str| if t.trim().is_empty() { "0" } else { t }.to_string();
            let amounts = [
                money("amount_3", &blank_zero(&form.amount_3), &mut errors),
                money("amount_4", &blank_zero(&form.amount_4), &mut errors),
                money("amount_5", &blank_zero(&form.amount_5), &mut errors),
            ];
            if amounts.iter().all(|a| *a == 0) && !errors.contains_key("amount_3") {
                errors.insert("amount_3", "policy-error-zero");
            }
            Some(Amount::PerStar(amounts))
        }
        "cost_share" => {
            let points = match super::money::parse_percent(&form.share) {
                Ok(0) => {
                    errors.insert("share", "policy-error-zero");
                    0
                }
                Ok(points) => points,
                Err(e) => {
                    errors.insert("share", e.message_id());
                    0
                }
            };
            let cap = money("cap", &form.cap, &mut errors);
            if cap == 0 && !errors.contains_key("cap") {
                errors.insert("cap", "policy-error-zero");
            }
            Some(Amount::CostShare { points, cap })
        }
        _ => {
            errors.insert("amount_kind", "policy-error-amount-kind");
            None
        }
    };
    let max_per_commune = match form.max_per_commune.trim() {
        "" => None,
        typed => match typed.parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => Some(n),
            _ => {
                errors.insert("max_per_commune", "policy-error-limit");
                None
            }
        },
    };
    match (errors.is_empty(), valid_from, source, kind, amount) {
        (true, Some(valid_from), Some(source), Some(kind), Some(amount)) => Ok(Policy {
            id: String::new(),
            name,
            reference,
            unit_code,
            unit_is_commune: false,
            valid_from,
            valid_to,
            source,
            kind,
            triggers,
            amount,
            cumulative: ticked(&form.cumulative),
            max_per_commune,
        }),
        _ => Err(errors),
    }
}

/// Two cumulative policies of the same unit and kind, in force together for the same kind of
/// recognition, would pay twice for one recognition: refused, naming the other (make one
/// non-cumulative, so that only the more favourable pays, or change the dates).
pub fn paying_twice<'a>(policy: &Policy, others: &'a [Policy]) -> Option<&'a Policy> {
    others.iter().find(|other| {
        other.id != policy.id
            && other.cumulative
            && policy.cumulative
            && other.unit_code == policy.unit_code
            && other.kind == policy.kind
            && other.overlaps(policy)
            && other.triggers.iter().any(|t| policy.triggers.contains(t))
    })
}

/// A recognition as entitlements see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecognitionEvent {
    pub certificate_id: String,
    pub product_id: String,
    pub province: String,
    pub commune: String,
    pub stars: u8,
    pub kind: RecognitionKind,
    /// The star of the product's previous recognition (for an upgrade).
    pub previous_stars: Option<u8>,
    pub decided_on: NaiveDate,
}

/// Why an entitlement is what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// The policy's whole amount for this recognition.
    Full,
    /// An upgrade: the policy's amount for the new star less what it already gave.
    Difference { full: i64, already: i64 },
    /// A non-cumulative policy that gives less than another for the same recognition.
    Superseded { by: String, would_pay: i64 },
    /// The policy has already paid `limit` products of this commune.
    LimitReached { limit: u32, would_pay: i64 },
}

/// What one recognition is owed under one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    pub policy_id: String,
    pub certificate_id: String,
    pub product_id: String,
    pub kind: RecognitionKind,
    pub stars: u8,
    pub previous_stars: Option<u8>,
    /// In đồng; for a cost share, the most it can be.
    pub amount: i64,
    pub basis: Basis,
}

/// What has been given so far, in decision order: the state an entitlement depends on. Built
/// from the recorded entitlements, so that a new recognition is judged against what was really
/// granted (a recorded entitlement is never recomputed: money may already be paid on it).
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// (policy, product) → what the policy has given the product since it last started over.
    given: HashMap<(String, String), i64>,
    /// (policy, commune) → products the policy has paid.
    paid_in_commune: HashMap<(String, String), u32>,
    /// certificate → the non-cumulative policy that pays for it.
    winners: HashMap<String, String>,
}

impl Ledger {
    /// Records an entitlement (of a recognition in `commune`), in decision order.
    pub fn record(&mut self, entitlement: &Entitlement, commune: &str, cumulative: bool) {
        if entitlement.amount <= 0 {
            return;
        }
        let key = (
            entitlement.policy_id.clone(),
            entitlement.product_id.clone(),
        );
        let so_far = match entitlement.kind {
            RecognitionKind::ReRecognition => 0,
            _ => self.given.get(&key).copied().unwrap_or(0),
        };
        self.given
            .insert(key, (so_far + entitlement.amount).min(MAX_DONG));
        *self
            .paid_in_commune
            .entry((entitlement.policy_id.clone(), commune.to_string()))
            .or_default() += 1;
        if !cumulative {
            self.winners.insert(
                entitlement.certificate_id.clone(),
                entitlement.policy_id.clone(),
            );
        }
    }
}

/// What one recognition is owed under `policies` (those that cover it and are triggered by
/// it; 0 ₫ ones included with their reason), given what the `ledger` says was granted before.
/// Policies already judged for this recognition should not be passed again.
pub fn entitle(policies: &[Policy], event: &RecognitionEvent, ledger: &Ledger) -> Vec<Entitlement> {
    let mut candidates: Vec<(&Policy, i64, Basis)> = Vec::new();
    for policy in policies
        .iter()
        .filter(|p| p.covers(event) && p.triggers.contains(&event.kind))
    {
        let full = policy.amount.for_stars(event.stars);
        let already = match event.kind {
            RecognitionKind::ReRecognition => 0,
            _ => ledger
                .given
                .get(&(policy.id.clone(), event.product_id.clone()))
                .copied()
                .unwrap_or(0),
        };
        let due = (full - already).max(0);
        let basis = if already > 0 {
            Basis::Difference { full, already }
        } else {
            Basis::Full
        };
        let limited = policy.max_per_commune.filter(|limit| {
            due > 0
                && ledger
                    .paid_in_commune
                    .get(&(policy.id.clone(), event.commune.clone()))
                    .is_some_and(|n| n >= limit)
        });
        match limited {
            Some(limit) => candidates.push((
                policy,
                0,
                Basis::LimitReached {
                    limit,
                    would_pay: due,
                },
            )),
            None => candidates.push((policy, due, basis)),
        }
    }
    // Non-cumulative: the most favourable pays; on a tie the earlier policy. A recognition
    // already paid under a non-cumulative policy keeps that one.
    let best = ledger
        .winners
        .get(&event.certificate_id)
        .cloned()
        .or_else(|| {
            candidates
                .iter()
                .filter(|(p, due, _)| !p.cumulative && *due > 0)
                .max_by(|a, b| {
                    a.1.cmp(&b.1)
                        .then_with(|| b.0.valid_from.cmp(&a.0.valid_from))
                        .then_with(|| b.0.id.cmp(&a.0.id))
                })
                .map(|(p, _, _)| p.id.clone())
        });
    candidates
        .into_iter()
        .map(|(policy, due, basis)| {
            let (amount, basis) = match &best {
                Some(winner) if !policy.cumulative && due > 0 && *winner != policy.id => (
                    0,
                    Basis::Superseded {
                        by: winner.clone(),
                        would_pay: due,
                    },
                ),
                _ => (due, basis),
            };
            Entitlement {
                policy_id: policy.id.clone(),
                certificate_id: event.certificate_id.clone(),
                product_id: event.product_id.clone(),
                kind: event.kind,
                stars: event.stars,
                previous_stars: event.previous_stars,
                amount,
                basis,
            }
        })
        .collect()
}

/// Entitlements of `events` (in decision order) under `policies`, from nothing recorded:
/// the same records always give the same entitlements.
pub fn entitlements(policies: &[Policy], events: &[RecognitionEvent]) -> Vec<Entitlement> {
    let mut ledger = Ledger::default();
    let mut out = Vec::new();
    for event in events {
        for entitlement in entitle(policies, event, &ledger) {
            let cumulative = policies
                .iter()
                .find(|p| p.id == entitlement.policy_id)
                .is_some_and(|p| p.cumulative);
            ledger.record(&entitlement, &event.commune, cumulative);
            out.push(entitlement);
        }
    }
    out
}

/// Disbursement states, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DisbursementState {
    Planned,
    Approved,
    Paid,
}

impl DisbursementState {
    pub const ALL: [DisbursementState; 3] = [
        DisbursementState::Planned,
        DisbursementState::Approved,
        DisbursementState::Paid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DisbursementState::Planned => "planned",
            DisbursementState::Approved => "approved",
            DisbursementState::Paid => "paid",
        }
    }

    pub fn parse(text: &str) -> Option<DisbursementState> {
        DisbursementState::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// The next state, if any: planned → approved → paid.
    pub fn next(self) -> Option<DisbursementState> {
        match self {
            DisbursementState::Planned => Some(DisbursementState::Approved),
            DisbursementState::Approved => Some(DisbursementState::Paid),
            DisbursementState::Paid => None,
        }
    }
}

/// A disbursement of `amount` may not take an entitlement past what it is owed
/// (`already`: the entitlement's other disbursements).
pub fn check_disbursement(entitled: i64, already: i64, amount: i64) -> Result<(), &'static str> {
    if amount <= 0 {
        Err("disbursement-error-zero")
    } else if already + amount > entitled {
        Err("disbursement-error-over")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn policy(id: &str, amount: Amount, triggers: &[RecognitionKind], cumulative: bool) -> Policy {
        Policy {
            id: id.into(),
            name: id.into(),
            reference: format!("Nghị quyết {id}"),
            unit_code: "38".into(),
            unit_is_commune: false,
            valid_from: day(2023, 1, 1),
            valid_to: Some(day(2025, 12, 31)),
            source: BudgetSource::Provincial,
            kind: PolicyKind::Reward,
            triggers: triggers.to_vec(),
            amount,
            cumulative,
            max_per_commune: None,
        }
    }

    fn event(
        cert: &str,
        product: &str,
        commune: &str,
        previous: Option<u8>,
        stars: u8,
        on: NaiveDate,
    ) -> RecognitionEvent {
        RecognitionEvent {
            certificate_id: cert.into(),
            product_id: product.into(),
            province: "38".into(),
            commune: commune.into(),
            stars,
            kind: RecognitionKind::of(previous, stars),
            previous_stars: previous,
            decided_on: on,
        }
    }

    const M: i64 = 1_000_000;
    use RecognitionKind::*;

    #[test]
    fn an_upgrade_pays_the_difference() {
        // Thanh Hóa: 20 M per 3★, 40 M per 4★, 80 M per 5★, on first recognition and upgrade.
        let reward = policy(
            "reward",
            Amount::PerStar([20 * M, 40 * M, 80 * M]),
            &[First, Upgrade],
            true,
        );
        let events = [
            event("c1", "p1", "x1", None, 3, day(2023, 5, 1)),
            event("c2", "p1", "x1", Some(3), 4, day(2024, 5, 1)),
            event("c3", "p1", "x1", Some(4), 5, day(2025, 5, 1)),
        ];
        let got = entitlements(&[reward], &events);
        let amounts: Vec<i64> = got.iter().map(|e| e.amount).collect();
        assert_eq!(amounts, vec![20 * M, 20 * M, 40 * M]);
        assert_eq!(
            got[1].basis,
            Basis::Difference {
                full: 40 * M,
                already: 20 * M
            }
        );
        assert_eq!(
            got[2].basis,
            Basis::Difference {
                full: 80 * M,
                already: 40 * M
            }
        );
    }

    #[test]
    fn overlapping_non_cumulative_policies_pay_only_the_more_favourable() {
        let province = policy("a", Amount::OneTime(50 * M), &[First], false);
        let programme = policy(
            "b",
            Amount::PerStar([30 * M, 60 * M, 90 * M]),
            &[First],
            false,
        );
        let support = Policy {
            kind: PolicyKind::Support,
            ..policy("s", Amount::OneTime(75 * M), &[First], true)
        };
        let events = [
            event("c1", "p1", "x1", None, 3, day(2024, 1, 10)),
            event("c2", "p2", "x1", None, 4, day(2024, 2, 10)),
        ];
        let got = entitlements(&[province, programme, support], &events);
        let of = |cert: &str, policy: &str| {
            got.iter()
                .find(|e| e.certificate_id == cert && e.policy_id == policy)
                .unwrap()
                .clone()
        };
        // 3★: 50 M one-time beats 30 M per star; the cumulative support pays besides.
        assert_eq!(of("c1", "a").amount, 50 * M);
        assert_eq!(of("c1", "b").amount, 0);
        assert_eq!(
            of("c1", "b").basis,
            Basis::Superseded {
                by: "a".into(),
                would_pay: 30 * M
            }
        );
        assert_eq!(of("c1", "s").amount, 75 * M);
        // 4★: 60 M per star beats 50 M.
        assert_eq!(of("c2", "b").amount, 60 * M);
        assert_eq!(of("c2", "a").amount, 0);
        let total: i64 = got.iter().map(|e| e.amount).sum();
        assert_eq!(total, 50 * M + 75 * M + 60 * M + 75 * M);
    }

    #[test]
    fn once_per_period_and_limits_per_commune() {
        let one_time = Policy {
            max_per_commune: Some(2),
            ..policy("once", Amount::OneTime(75 * M), &[First, Upgrade], true)
        };
        let events = [
            event("c1", "p1", "x1", None, 3, day(2023, 2, 1)),
            // An upgrade under a one-time policy: nothing more.
            event("c2", "p1", "x1", Some(3), 4, day(2023, 9, 1)),
            event("c3", "p2", "x1", None, 3, day(2023, 10, 1)),
            event("c4", "p3", "x1", None, 3, day(2023, 11, 1)),
            event("c5", "p4", "x2", None, 3, day(2023, 12, 1)),
            // Outside the policy's validity: not covered at all.
            event("c6", "p5", "x2", None, 3, day(2026, 1, 1)),
        ];
        let got = entitlements(&[one_time], &events);
        let amounts: Vec<(&str, i64)> = got
            .iter()
            .map(|e| (e.certificate_id.as_str(), e.amount))
            .collect();
        assert_eq!(
            amounts,
            vec![
                ("c1", 75 * M),
                ("c2", 0),
                ("c3", 75 * M),
                ("c4", 0),
                ("c5", 75 * M)
            ]
        );
        assert_eq!(
            got[3].basis,
            Basis::LimitReached {
                limit: 2,
                would_pay: 75 * M
            }
        );
    }

    #[test]
    fn a_re_recognition_starts_over_when_the_policy_pays_for_it() {
        let per_star = policy(
            "r",
            Amount::PerStar([8 * M, 10 * M, 0]),
            &[First, ReRecognition],
            true,
        );
        let events = [
            event("c1", "p1", "x1", None, 3, day(2023, 1, 5)),
            event("c2", "p1", "x1", Some(3), 3, day(2025, 12, 1)),
        ];
        let got = entitlements(&[per_star], &events);
        assert_eq!(
            got.iter().map(|e| e.amount).collect::<Vec<_>>(),
            vec![8 * M, 8 * M]
        );
        assert_eq!(RecognitionKind::of(Some(4), 3), ReRecognition);
    }

    #[test]
    fn two_cumulative_policies_for_the_same_thing_would_pay_twice() {
        let a = policy("a", Amount::OneTime(M), &[First], true);
        let b = policy("b", Amount::OneTime(2 * M), &[First, Upgrade], true);
        assert_eq!(
            paying_twice(&b, std::slice::from_ref(&a)).map(|p| p.id.as_str()),
            Some("a")
        );
        let later = Policy {
            valid_from: day(2026, 1, 1),
            valid_to: None,
            ..b.clone()
        };
        assert_eq!(paying_twice(&later, std::slice::from_ref(&a)), None);
        let non_cumulative = Policy {
            cumulative: false,
            ..b.clone()
        };
        assert_eq!(
            paying_twice(&non_cumulative, std::slice::from_ref(&a)),
            None
        );
        let support = Policy {
            kind: PolicyKind::Support,
            ..b
        };
        assert_eq!(paying_twice(&support, &[a]), None);
    }

    #[test]
    fn forms_are_checked_field_by_field() {
        let parse = |t: &str| NaiveDate::parse_from_str(t.trim(), "%d/%m/%Y").ok();
        let form = PolicyForm {
            name: "Thưởng sản phẩm OCOP".into(),
            reference: "Nghị quyết 15/2023/NQ-HĐND".into(),
            unit: "38".into(),
            valid_from: "01/01/2023".into(),
            valid_to: "31/12/2025".into(),
            source: "provincial".into(),
            kind: "reward".into(),
            trigger_first: Some("on".into()),
            amount_kind: "per_star".into(),
            amount_3: "20.000.000".into(),
            amount_4: "40.000.000".into(),
            amount_5: "80.000.000".into(),
            ..PolicyForm::default()
        };
        let policy = check_policy(&form, parse).unwrap();
        assert_eq!(policy.amount, Amount::PerStar([20 * M, 40 * M, 80 * M]));
        assert_eq!(policy.triggers, vec![First]);
        let bad = PolicyForm {
            amount_3: "-20.000.000".into(),
            amount_4: "40.000.000,5".into(),
            valid_to: "01/01/2020".into(),
            trigger_first: None,
            ..form.clone()
        };
        let errors = check_policy(&bad, parse).unwrap_err();
        assert_eq!(errors.get("amount_3"), Some(&"money-error-negative"));
        assert_eq!(errors.get("amount_4"), Some(&"money-error-fractional"));
        assert_eq!(errors.get("valid_to"), Some(&"policy-error-valid-to"));
        assert_eq!(errors.get("triggers"), Some(&"policy-error-triggers"));
        let share = PolicyForm {
            amount_kind: "cost_share".into(),
            share: "150".into(),
            cap: "50.000.000".into(),
            ..form
        };
        assert_eq!(
            check_policy(&share, parse).unwrap_err().get("share"),
            Some(&"percent-error-range")
        );
    }

    #[test]
    fn cost_shares_and_disbursements() {
        let share = Amount::CostShare {
            points: 5000,
            cap: 50 * M,
        };
        assert_eq!(share.for_stars(4), 50 * M);
        assert_eq!(share.for_cost(60 * M), Some(30 * M));
        assert_eq!(share.for_cost(200 * M), Some(50 * M));
        assert_eq!(check_disbursement(75 * M, 0, 75 * M), Ok(()));
        assert_eq!(
            check_disbursement(75 * M, 50 * M, 30 * M),
            Err("disbursement-error-over")
        );
        assert_eq!(
            check_disbursement(75 * M, 0, 0),
            Err("disbursement-error-zero")
        );
        assert_eq!(
            DisbursementState::Planned.next(),
            Some(DisbursementState::Approved)
        );
        assert_eq!(DisbursementState::Paid.next(), None);
    }
}
