//! Support and reward policies, what recognitions are entitled to under them, disbursements
//! and budgets.
//!
//! Entitlements are computed where recognitions are made: in the transaction that issues a
//! certificate ([`entitle_certificate`]) and in the one that records a policy (for the
//! recognitions its validity already covers). A recorded entitlement is never recomputed —
//! money may be paid on it — so each new one is judged against what was recorded before
//! (`ocop_domain::monitoring::policies::Ledger`).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sqlx::Row;

use ocop_domain::access::Scope;
use ocop_domain::audit::Changes;
use ocop_domain::monitoring::policies::{
    Amount, Basis, BudgetSource, DisbursementState, Entitlement, Ledger, Policy, PolicyKind,
    RecognitionEvent, RecognitionKind, check_disbursement, entitle, paying_twice,
};
use ocop_domain::units::UnitLevel;

use super::{MonitoringError, covers};
use crate::clock::{new_id, now_ms};
use crate::units;
use crate::{Db, StoreError, Tx, audit, on_db, on_tx};

const POLICY_COLUMNS: &str = "id, name, reference, level, unit_code, valid_from, valid_to, source, kind, \
     triggers, amount_kind, amount, amount_3, amount_4, amount_5, share_points, cap, cumulative, \
     max_per_commune";

fn policy_from_row<R>(row: &R) -> Result<Policy, sqlx::Error>
where
    R: Row,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let bad = |column: &str, value: &str| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("unknown value {value}").into(),
    };
    let text = |column: &str| -> Result<String, sqlx::Error> { row.try_get(column) };
    let money = |column: &str| -> Result<i64, sqlx::Error> {
        Ok(row.try_get::<Option<i64>, _>(column)?.unwrap_or(0))
    };
    let source = text("source")?;
    let kind = text("kind")?;
    let amount_kind = text("amount_kind")?;
    let amount = match amount_kind.as_str() {
        "one_time" => Amount::OneTime(money("amount")?),
        "per_star" => Amount::PerStar([money("amount_3")?, money("amount_4")?, money("amount_5")?]),
        "cost_share" => Amount::CostShare {
            points: u32::try_from(money("share_points")?).unwrap_or(0),
            cap: money("cap")?,
        },
        other => return Err(bad("amount_kind", other)),
    };
    Ok(Policy {
        id: text("id")?,
        name: text("name")?,
        reference: text("reference")?,
        unit_code: text("unit_code")?,
        unit_is_commune: text("level")? == "commune",
        valid_from: row.try_get("valid_from")?,
        valid_to: row.try_get("valid_to")?,
        source: BudgetSource::parse(&source).ok_or_else(|| bad("source", &source))?,
        kind: PolicyKind::parse(&kind).ok_or_else(|| bad("kind", &kind))?,
        triggers: text("triggers")?
            .split(',')
            .filter_map(RecognitionKind::parse)
            .collect(),
        amount,
        cumulative: row.try_get("cumulative")?,
        max_per_commune: row
            .try_get::<Option<i64>, _>("max_per_commune")?
            .and_then(|n| u32::try_from(n).ok()),
    })
}

/// Policies of a province (its own and its communes'), oldest first.
async fn province_policies(tx: &mut Tx, province: &str) -> Result<Vec<Policy>, StoreError> {
    let sql = format!(
        "SELECT {POLICY_COLUMNS} FROM policies WHERE province_code = $1 ORDER BY valid_from, id"
    );
    let policies: Result<Vec<Policy>, sqlx::Error> = on_tx!(tx, |conn| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(province)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(policy_from_row).collect()
    });
    Ok(policies?)
}

/// The policies a scope reads: all for the nation, a province's own and its communes', a
/// commune's own and its province's.
pub async fn policies(db: &Db, scope: &Scope) -> Result<Vec<Policy>, MonitoringError> {
    let (filter, key) = match scope {
        Scope::National => ("1 = 1 OR $1 = ''", String::new()),
        Scope::Province(code) => ("province_code = $1", code.clone()),
        Scope::Commune(code) => (
            "(unit_code = $1 OR (level = 'province' AND province_code = \
             (SELECT p.code FROM units c JOIN units p ON p.id = c.parent_id \
              WHERE c.code = $1 AND c.valid_to IS NULL)))",
            code.clone(),
        ),
        Scope::Entity(_) | Scope::Seats(_) => return Ok(Vec::new()),
    };
    let sql = format!(
        "SELECT {POLICY_COLUMNS} FROM policies WHERE {filter} ORDER BY province_code, valid_from DESC, id"
    );
    let policies: Result<Vec<Policy>, sqlx::Error> = on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&key)
            .fetch_all(pool)
            .await?;
        rows.iter().map(policy_from_row).collect()
    });
    Ok(policies.map_err(StoreError::from)?)
}

pub async fn policy(db: &Db, scope: &Scope, id: &str) -> Result<Option<Policy>, MonitoringError> {
    Ok(policies(db, scope).await?.into_iter().find(|p| p.id == id))
}

/// Where a recognition's certificate lies and what came before it.
#[derive(Debug, Clone)]
struct CertificateRow {
    id: String,
    product_id: String,
    commune: String,
    province: String,
    stars: u8,
    issued_on: NaiveDate,
}

/// The recognition events of certificates in decision order, each with the product's previous
/// star (from its earlier certificates).
fn events_of(rows: &[CertificateRow]) -> Vec<RecognitionEvent> {
    let mut previous: HashMap<&str, u8> = HashMap::new();
    rows.iter()
        .map(|row| {
            let before = previous.insert(&row.product_id, row.stars);
            RecognitionEvent {
                certificate_id: row.id.clone(),
                product_id: row.product_id.clone(),
                province: row.province.clone(),
                commune: row.commune.clone(),
                stars: row.stars,
                kind: RecognitionKind::of(before, row.stars),
                previous_stars: before,
                decided_on: row.issued_on,
            }
        })
        .collect()
}

/// Certificates in decision order, of one product or of a whole province.
async fn certificates(
    tx: &mut Tx,
    product: Option<&str>,
    province: &str,
) -> Result<Vec<CertificateRow>, StoreError> {
    let sql = match product {
        Some(_) => {
            "SELECT id, product_id, commune_code, province_code, stars, issued_on FROM certificates \
             WHERE product_id = $1 ORDER BY issued_on, created_at"
        }
        None => {
            "SELECT id, product_id, commune_code, province_code, stars, issued_on FROM certificates \
             WHERE province_code = $1 ORDER BY issued_on, created_at"
        }
    };
    let rows: Vec<(String, String, String, String, i64, NaiveDate)> = on_tx!(tx, |conn| {
        sqlx::query_as(sql)
            .bind(product.unwrap_or(province))
            .fetch_all(&mut *conn)
            .await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(id, product_id, commune, province, stars, issued_on)| CertificateRow {
                id,
                product_id,
                commune,
                province,
                stars: u8::try_from(stars).unwrap_or(0),
                issued_on,
            },
        )
        .collect())
}

/// The ledger of what a province's policies have granted, from the recorded entitlements.
async fn ledger(tx: &mut Tx, policies: &[Policy], province: &str) -> Result<Ledger, StoreError> {
    let rows: Vec<(String, String, String, String, String, i64, i64)> = on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT policy_id, certificate_id, product_id, commune_code, kind, stars, amount \
             FROM entitlements WHERE province_code = $1 AND amount > 0 \
             ORDER BY decided_on, created_at, id",
        )
        .bind(province)
        .fetch_all(&mut *conn)
        .await
    })?;
    let cumulative: HashMap<&str, bool> = policies
        .iter()
        .map(|p| (p.id.as_str(), p.cumulative))
        .collect();
    let mut ledger = Ledger::default();
    for (policy_id, certificate_id, product_id, commune, kind, stars, amount) in rows {
        let entitlement = Entitlement {
            kind: RecognitionKind::parse(&kind).unwrap_or(RecognitionKind::First),
            stars: u8::try_from(stars).unwrap_or(0),
            previous_stars: None,
            amount,
            basis: Basis::Full,
            certificate_id,
            product_id,
            policy_id,
        };
        let is_cumulative = cumulative
            .get(entitlement.policy_id.as_str())
            .copied()
            .unwrap_or(true);
        ledger.record(&entitlement, &commune, is_cumulative);
    }
    Ok(ledger)
}

fn basis_json(basis: &Basis) -> String {
    let value = match basis {
        Basis::Full => serde_json::json!({"kind": "full"}),
        Basis::Difference { full, already } => {
            serde_json::json!({"kind": "difference", "full": full, "already": already})
        }
        Basis::Superseded { by, would_pay } => {
            serde_json::json!({"kind": "superseded", "by": by, "would_pay": would_pay})
        }
        Basis::LimitReached { limit, would_pay } => {
            serde_json::json!({"kind": "limit_reached", "limit": limit, "would_pay": would_pay})
        }
    };
    value.to_string()
}

/// Reads a stored basis back (an unreadable one reads as the full amount).
pub fn basis_from_json(text: &str) -> Basis {
    let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let number = |key: &str| {
        value
            .get(key)
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0)
    };
    match value.get("kind").and_then(serde_json::Value::as_str) {
        Some("difference") => Basis::Difference {
            full: number("full"),
            already: number("already"),
        },
        Some("superseded") => Basis::Superseded {
            by: value
                .get("by")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string(),
            would_pay: number("would_pay"),
        },
        Some("limit_reached") => Basis::LimitReached {
            limit: u32::try_from(number("limit")).unwrap_or(0),
            would_pay: number("would_pay"),
        },
        _ => Basis::Full,
    }
}

async fn insert_entitlements(
    tx: &mut Tx,
    entitlements: &[Entitlement],
    events: &HashMap<&str, &RecognitionEvent>,
) -> Result<(), StoreError> {
    let now = now_ms();
    for e in entitlements {
        let Some(event) = events.get(e.certificate_id.as_str()) else {
            continue;
        };
        on_tx!(tx, |conn| sqlx::query(
            "INSERT INTO entitlements (id, policy_id, certificate_id, product_id, commune_code, \
             province_code, decided_on, kind, stars, previous_stars, amount, basis, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (policy_id, certificate_id) DO NOTHING"
        )
        .bind(new_id())
        .bind(&e.policy_id)
        .bind(&e.certificate_id)
        .bind(&e.product_id)
        .bind(&event.commune)
        .bind(&event.province)
        .bind(event.decided_on)
        .bind(e.kind.as_str())
        .bind(i64::from(e.stars))
        .bind(e.previous_stars.map(i64::from))
        .bind(e.amount)
        .bind(basis_json(&e.basis))
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
    }
    Ok(())
}

/// The entitlements of a certificate just issued, in its transaction: every policy of its
/// province (or commune) in force on the decision date and triggered by this kind of
/// recognition. Audited on the certificate when there is any.
pub async fn entitle_certificate(
    tx: &mut Tx,
    certificate_id: &str,
    actor: &str,
) -> Result<Vec<Entitlement>, StoreError> {
    let row: Option<(String, String)> = on_tx!(&mut *tx, |conn| sqlx::query_as(
        "SELECT product_id, province_code FROM certificates WHERE id = $1"
    )
    .bind(certificate_id)
    .fetch_optional(&mut *conn)
    .await)?;
    let Some((product_id, province)) = row else {
        return Ok(Vec::new());
    };
    let policies = province_policies(tx, &province).await?;
    if policies.is_empty() {
        return Ok(Vec::new());
    }
    let history = certificates(tx, Some(&product_id), &province).await?;
    let events = events_of(&history);
    let Some(event) = events.iter().find(|e| e.certificate_id == certificate_id) else {
        return Ok(Vec::new());
    };
    let ledger = ledger(tx, &policies, &province).await?;
    let entitled = entitle(&policies, event, &ledger);
    if entitled.is_empty() {
        return Ok(entitled);
    }
    let by_id: HashMap<&str, &RecognitionEvent> = [(event.certificate_id.as_str(), event)].into();
    insert_entitlements(tx, &entitled, &by_id).await?;
    let changes = Changes::new().created(
        "entitlements",
        entitled
            .iter()
            .map(|e| format!("{}: {}", e.policy_id, e.amount))
            .collect::<Vec<_>>(),
    );
    audit::append(
        tx,
        actor,
        "certificate.entitle",
        "certificate",
        certificate_id,
        &changes,
    )
    .await?;
    Ok(entitled)
}

/// Records a policy of a province or commune in the writer's province, refusing one that would
/// pay twice with another, and computes its entitlements for the recognitions its validity
/// already covers — all in one transaction.
pub async fn create_policy(
    db: &Db,
    scope: &Scope,
    draft: &Policy,
    actor: &str,
) -> Result<Policy, MonitoringError> {
    let unit = units::find_by_code(db, draft.unit_code.trim(), None)
        .await?
        .filter(|u| u.is_current() && u.level() != UnitLevel::District)
        .ok_or(MonitoringError::Invalid("unit", "policy-error-unit"))?;
    let is_commune = unit.level() == UnitLevel::Commune;
    let province = if is_commune {
        units::province_of(db, &unit.code)
            .await?
            .ok_or(MonitoringError::Invalid("unit", "policy-error-unit"))?
    } else {
        unit.code.clone()
    };
    if !matches!(scope, Scope::Province(code) if *code == province) {
        return Err(MonitoringError::NotFound);
    }
    let policy = Policy {
        id: new_id(),
        unit_code: unit.code.clone(),
        unit_is_commune: is_commune,
        ..draft.clone()
    };
    let mut tx = db.begin().await?;
    let existing = province_policies(&mut tx, &province).await?;
    if paying_twice(&policy, &existing).is_some() {
        return Err(MonitoringError::Invalid("cumulative", "policy-error-twice"));
    }
    let (amount, a3, a4, a5, points, cap) = match policy.amount {
        Amount::OneTime(a) => (Some(a), None, None, None, None, None),
        Amount::PerStar([a3, a4, a5]) => (None, Some(a3), Some(a4), Some(a5), None, None),
        Amount::CostShare { points, cap } => {
            (None, None, None, None, Some(i64::from(points)), Some(cap))
        }
    };
    let amount_kind = match policy.amount {
        Amount::OneTime(_) => "one_time",
        Amount::PerStar(_) => "per_star",
        Amount::CostShare { .. } => "cost_share",
    };
    let triggers: Vec<&str> = policy.triggers.iter().map(|t| t.as_str()).collect();
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO policies (id, name, reference, level, unit_code, province_code, valid_from, valid_to, \
         source, kind, triggers, amount_kind, amount, amount_3, amount_4, amount_5, share_points, cap, \
         cumulative, max_per_commune, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    )
    .bind(&policy.id)
    .bind(&policy.name)
    .bind(&policy.reference)
    .bind(if is_commune { "commune" } else { "province" })
    .bind(&policy.unit_code)
    .bind(&province)
    .bind(policy.valid_from)
    .bind(policy.valid_to)
    .bind(policy.source.as_str())
    .bind(policy.kind.as_str())
    .bind(triggers.join(","))
    .bind(amount_kind)
    .bind(amount)
    .bind(a3)
    .bind(a4)
    .bind(a5)
    .bind(points)
    .bind(cap)
    .bind(policy.cumulative)
    .bind(policy.max_per_commune.map(i64::from))
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    // The recognitions already made under it.
    let all = certificates(&mut tx, None, &province).await?;
    let events = events_of(&all);
    let mut policies = existing.clone();
    policies.push(policy.clone());
    let mut ledger = ledger(&mut tx, &policies, &province).await?;
    let only = std::slice::from_ref(&policy);
    let mut entitled = Vec::new();
    for event in &events {
        for entitlement in entitle(only, event, &ledger) {
            ledger.record(&entitlement, &event.commune, policy.cumulative);
            entitled.push(entitlement);
        }
    }
    let by_id: HashMap<&str, &RecognitionEvent> = events
        .iter()
        .map(|e| (e.certificate_id.as_str(), e))
        .collect();
    insert_entitlements(&mut tx, &entitled, &by_id).await?;
    let changes = Changes::new()
        .created("name", &policy.name)
        .created("reference", &policy.reference)
        .created("unit", &policy.unit_code)
        .created("valid_from", policy.valid_from)
        .created("valid_to", policy.valid_to)
        .created("source", policy.source.as_str())
        .created("kind", policy.kind.as_str())
        .created("triggers", &triggers)
        .created("amount_kind", amount_kind)
        .created("amount", amount)
        .created("amounts", [a3, a4, a5])
        .created("share_points", points)
        .created("cap", cap)
        .created("cumulative", policy.cumulative)
        .created("max_per_commune", policy.max_per_commune)
        .created("entitlements", entitled.len())
        .created(
            "entitled_total",
            entitled.iter().map(|e| e.amount).sum::<i64>(),
        );
    audit::append(
        &mut tx,
        actor,
        "policy.create",
        "policy",
        &policy.id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(policy)
}

/// An entitlement with what people need to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementRow {
    pub id: String,
    pub policy_id: String,
    pub policy_name: String,
    pub policy_reference: String,
    pub policy_kind: PolicyKind,
    pub source: BudgetSource,
    pub cost_share: Option<(u32, i64)>,
    pub certificate_number: String,
    pub product_id: String,
    pub product_code: String,
    pub product_name: String,
    pub commune_code: String,
    pub province_code: String,
    pub decided_on: NaiveDate,
    pub kind: RecognitionKind,
    pub stars: u8,
    pub previous_stars: Option<u8>,
    pub amount: i64,
    pub basis: Basis,
    /// Disbursed so far by state: planned, approved, paid.
    pub disbursed: [i64; 3],
}

impl EntitlementRow {
    /// What is still to be planned.
    pub fn open(&self) -> i64 {
        self.amount - self.disbursed.iter().sum::<i64>()
    }
}

fn scope_filter(scope: &Scope) -> (&'static str, String) {
    match scope {
        Scope::National => ("($1 = '' OR $1 <> '')", String::new()),
        Scope::Province(code) => ("e.province_code = $1", code.clone()),
        Scope::Commune(code) => ("e.commune_code = $1", code.clone()),
        Scope::Entity(id) => ("p.entity_id = $1", id.clone()),
        Scope::Seats(_) => ("1 = 0 AND $1 = ''", String::new()),
    }
}

fn entitlement_from_row<R>(row: &R) -> Result<EntitlementRow, sqlx::Error>
where
    R: Row,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text = |column: &str| -> Result<String, sqlx::Error> { row.try_get(column) };
    let small = |value: i64| u8::try_from(value).unwrap_or(0);
    let points: Option<i64> = row.try_get("share_points")?;
    let cap: Option<i64> = row.try_get("cap")?;
    Ok(EntitlementRow {
        id: text("id")?,
        policy_id: text("policy_id")?,
        policy_name: text("policy_name")?,
        policy_reference: text("policy_reference")?,
        policy_kind: PolicyKind::parse(&text("policy_kind")?).unwrap_or(PolicyKind::Support),
        source: BudgetSource::parse(&text("source")?).unwrap_or(BudgetSource::Other),
        cost_share: points
            .zip(cap)
            .map(|(p, c)| (u32::try_from(p).unwrap_or(0), c)),
        certificate_number: text("number")?,
        product_id: text("product_id")?,
        product_code: text("product_code")?,
        product_name: text("product_name")?,
        commune_code: text("commune_code")?,
        province_code: text("province_code")?,
        decided_on: row.try_get("decided_on")?,
        kind: RecognitionKind::parse(&text("kind")?).unwrap_or(RecognitionKind::First),
        stars: small(row.try_get("stars")?),
        previous_stars: row.try_get::<Option<i64>, _>("previous_stars")?.map(small),
        amount: row.try_get("amount")?,
        basis: basis_from_json(&text("basis")?),
        disbursed: [
            row.try_get("planned")?,
            row.try_get("approved")?,
            row.try_get("paid")?,
        ],
    })
}

const ENTITLEMENT_SELECT: &str = "SELECT e.id, e.policy_id, po.name AS policy_name, \
     po.reference AS policy_reference, po.kind AS policy_kind, po.source, po.share_points, po.cap, \
     c.number, e.product_id, p.code AS product_code, p.name AS product_name, e.commune_code, \
     e.province_code, e.decided_on, e.kind, e.stars, e.previous_stars, e.amount, e.basis, \
     COALESCE((SELECT CAST(SUM(d.amount) AS BIGINT) FROM disbursements d WHERE d.entitlement_id = e.id AND d.state = 'planned'), 0) AS planned, \
     COALESCE((SELECT CAST(SUM(d.amount) AS BIGINT) FROM disbursements d WHERE d.entitlement_id = e.id AND d.state = 'approved'), 0) AS approved, \
     COALESCE((SELECT CAST(SUM(d.amount) AS BIGINT) FROM disbursements d WHERE d.entitlement_id = e.id AND d.state = 'paid'), 0) AS paid \
     FROM entitlements e JOIN policies po ON po.id = e.policy_id \
     JOIN certificates c ON c.id = e.certificate_id JOIN products p ON p.id = e.product_id";

/// Entitlements in a scope, newest decisions first (of one policy, or of one product).
pub async fn entitlements(
    db: &Db,
    scope: &Scope,
    policy_id: Option<&str>,
    product_id: Option<&str>,
) -> Result<Vec<EntitlementRow>, MonitoringError> {
    let (filter, key) = scope_filter(scope);
    let sql = format!(
        "{ENTITLEMENT_SELECT} WHERE {filter} AND ($2 = '' OR e.policy_id = $2) \
         AND ($3 = '' OR e.product_id = $3) ORDER BY e.decided_on DESC, p.code, po.name"
    );
    let rows: Result<Vec<EntitlementRow>, sqlx::Error> = on_db!(db, |pool| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&key)
            .bind(policy_id.unwrap_or(""))
            .bind(product_id.unwrap_or(""))
            .fetch_all(pool)
            .await?;
        rows.iter().map(entitlement_from_row).collect()
    });
    Ok(rows.map_err(StoreError::from)?)
}

pub async fn entitlement(
    db: &Db,
    scope: &Scope,
    id: &str,
) -> Result<Option<EntitlementRow>, MonitoringError> {
    let (filter, key) = scope_filter(scope);
    let sql = format!("{ENTITLEMENT_SELECT} WHERE {filter} AND e.id = $2");
    let row: Result<Option<EntitlementRow>, sqlx::Error> = on_db!(db, |pool| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&key)
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(entitlement_from_row).transpose()
    });
    Ok(row.map_err(StoreError::from)?)
}

/// A disbursement of an entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disbursement {
    pub id: String,
    pub entitlement_id: String,
    pub amount: i64,
    pub cost: Option<i64>,
    pub state: DisbursementState,
    pub planned_on: NaiveDate,
    pub approved_on: Option<NaiveDate>,
    pub paid_on: Option<NaiveDate>,
    pub document: String,
}

type DisbursementRow = (
    String,
    String,
    i64,
    Option<i64>,
    String,
    NaiveDate,
    Option<NaiveDate>,
    Option<NaiveDate>,
    String,
);

fn disbursement(row: DisbursementRow) -> Disbursement {
    let (id, entitlement_id, amount, cost, state, planned_on, approved_on, paid_on, document) = row;
    Disbursement {
        id,
        entitlement_id,
        amount,
        cost,
        state: DisbursementState::parse(&state).unwrap_or(DisbursementState::Planned),
        planned_on,
        approved_on,
        paid_on,
        document,
    }
}

/// An entitlement's disbursements, oldest first.
pub async fn disbursements(db: &Db, entitlement_id: &str) -> Result<Vec<Disbursement>, StoreError> {
    let rows: Vec<DisbursementRow> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT id, entitlement_id, amount, cost, state, planned_on, approved_on, paid_on, document \
         FROM disbursements WHERE entitlement_id = $1 ORDER BY planned_on, created_at, id"
    )
    .bind(entitlement_id)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows.into_iter().map(disbursement).collect())
}

/// A disbursement as an officer plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisbursementPlan {
    pub amount: i64,
    /// The documented cost, for a cost share.
    pub cost: Option<i64>,
    pub planned_on: NaiveDate,
    /// The proposal it is planned on: "Tờ trình 12/TTr-SNN".
    pub document: String,
}

/// Plans a disbursement of an entitlement in the writer's province: never more than it is
/// owed, and for a cost share never more than the share of the documented cost.
pub async fn plan_disbursement(
    db: &Db,
    scope: &Scope,
    entitlement_id: &str,
    plan: &DisbursementPlan,
    actor: &str,
) -> Result<Disbursement, MonitoringError> {
    let DisbursementPlan {
        amount,
        cost,
        planned_on,
        document,
    } = plan.clone();
    if !matches!(scope, Scope::Province(_)) {
        return Err(MonitoringError::NotFound);
    }
    let Some(entitled) = entitlement(db, scope, entitlement_id).await? else {
        return Err(MonitoringError::NotFound);
    };
    let document = ocop_domain::text::normalize(&document);
    if document.is_empty() || document.chars().count() > 300 {
        return Err(MonitoringError::Invalid(
            "document",
            "disbursement-error-document",
        ));
    }
    let mut tx = db.begin().await?;
    // Read again inside the transaction: two officers planning at once cannot both fit.
    let already: i64 = on_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM disbursements WHERE entitlement_id = $1"
    )
    .bind(entitlement_id)
    .fetch_one(&mut *conn)
    .await
    })?;
    check_disbursement(entitled.amount, already, amount)
        .map_err(|code| MonitoringError::Invalid("amount", code))?;
    if let Some((points, cap)) = entitled.cost_share {
        let Some(cost) = cost else {
            return Err(MonitoringError::Invalid("cost", "disbursement-error-cost"));
        };
        let share = Amount::CostShare { points, cap }
            .for_cost(cost)
            .unwrap_or(0);
        if amount > share {
            return Err(MonitoringError::Invalid(
                "amount",
                "disbursement-error-share",
            ));
        }
    }
    let id = new_id();
    let now = now_ms();
    on_tx!(&mut tx, |conn| sqlx::query(
        "INSERT INTO disbursements (id, entitlement_id, amount, cost, state, planned_on, document, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'planned', $5, $6, $7, $8, $8)"
    )
    .bind(&id)
    .bind(entitlement_id)
    .bind(amount)
    .bind(cost)
    .bind(planned_on)
    .bind(&document)
    .bind(actor)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = Changes::new()
        .created("disbursement", &id)
        .created("amount", amount)
        .created("cost", cost)
        .created("state", "planned")
        .created("planned_on", planned_on)
        .created("document", &document);
    audit::append(
        &mut tx,
        actor,
        "entitlement.plan",
        "entitlement",
        entitlement_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Disbursement {
        id,
        entitlement_id: entitlement_id.to_string(),
        amount,
        cost,
        state: DisbursementState::Planned,
        planned_on,
        approved_on: None,
        paid_on: None,
        document,
    })
}

/// Moves a disbursement one step on (planned → approved → paid) on `on`, with the document
/// that decided it.
pub async fn advance_disbursement(
    db: &Db,
    scope: &Scope,
    disbursement_id: &str,
    on: NaiveDate,
    document: &str,
    actor: &str,
) -> Result<Disbursement, MonitoringError> {
    if !matches!(scope, Scope::Province(_)) {
        return Err(MonitoringError::NotFound);
    }
    let row: Option<DisbursementRow> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT id, entitlement_id, amount, cost, state, planned_on, approved_on, paid_on, document \
         FROM disbursements WHERE id = $1"
    )
    .bind(disbursement_id)
    .fetch_optional(pool)
    .await
    })?;
    let Some(current) = row.map(disbursement) else {
        return Err(MonitoringError::NotFound);
    };
    if entitlement(db, scope, &current.entitlement_id)
        .await?
        .is_none()
    {
        return Err(MonitoringError::NotFound);
    }
    let Some(next) = current.state.next() else {
        return Err(MonitoringError::Invalid("state", "disbursement-error-paid"));
    };
    let after = current.approved_on.unwrap_or(current.planned_on);
    if on < after {
        return Err(MonitoringError::Invalid("on", "disbursement-error-date"));
    }
    let document = ocop_domain::text::normalize(document);
    if document.is_empty() || document.chars().count() > 300 {
        return Err(MonitoringError::Invalid(
            "document",
            "disbursement-error-document",
        ));
    }
    let column = match next {
        DisbursementState::Approved => "approved_on",
        _ => "paid_on",
    };
    let mut tx = db.begin().await?;
    let sql = format!(
        "UPDATE disbursements SET state = $2, {column} = $3, document = $4, updated_at = $5 \
         WHERE id = $1 AND state = $6"
    );
    let moved = on_tx!(&mut tx, |conn| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(disbursement_id)
        .bind(next.as_str())
        .bind(on)
        .bind(format!("{}; {}", current.document, document))
        .bind(now_ms())
        .bind(current.state.as_str())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
    if moved != 1 {
        return Err(MonitoringError::Invalid(
            "state",
            "disbursement-error-moved",
        ));
    }
    let changes = Changes::new()
        .field("disbursement", disbursement_id, disbursement_id)
        .field("state", current.state.as_str(), next.as_str())
        .field(column, (), on)
        .field("document", (), &document);
    audit::append(
        &mut tx,
        actor,
        &format!("entitlement.{}", next.as_str()),
        "entitlement",
        &current.entitlement_id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(Disbursement {
        state: next,
        approved_on: if next == DisbursementState::Approved {
            Some(on)
        } else {
            current.approved_on
        },
        paid_on: if next == DisbursementState::Paid {
            Some(on)
        } else {
            None
        },
        document: format!("{}; {}", current.document, document),
        ..current
    })
}

/// A year's budget of a unit from a source, with what is committed (approved or paid) and
/// paid from it: disbursements of that unit's policies of that source planned in that year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    pub year: i32,
    pub unit_code: String,
    pub province_code: String,
    pub source: BudgetSource,
    pub amount: i64,
    pub reference: String,
    pub committed: i64,
    pub paid: i64,
}

/// A budget line as an officer enters it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetDraft {
    pub year: i32,
    /// A province's or commune's current code.
    pub unit_code: String,
    pub source: BudgetSource,
    pub amount: i64,
    /// The decision that allots it.
    pub reference: String,
}

/// Sets a unit's budget for a year and source (replacing an earlier figure), in the writer's
/// province.
pub async fn set_budget(
    db: &Db,
    scope: &Scope,
    budget: &BudgetDraft,
    actor: &str,
) -> Result<(), MonitoringError> {
    let BudgetDraft {
        year,
        unit_code,
        source,
        amount,
        reference,
    } = budget;
    let (year, source, amount) = (*year, *source, *amount);
    let unit = units::find_by_code(db, unit_code.trim(), None)
        .await?
        .filter(|u| u.is_current() && u.level() != UnitLevel::District)
        .ok_or(MonitoringError::Invalid("unit", "policy-error-unit"))?;
    let province = match unit.level() {
        UnitLevel::Commune => units::province_of(db, &unit.code)
            .await?
            .ok_or(MonitoringError::Invalid("unit", "policy-error-unit"))?,
        _ => unit.code.clone(),
    };
    if !matches!(scope, Scope::Province(code) if *code == province) {
        return Err(MonitoringError::NotFound);
    }
    if !(2018..=2100).contains(&year) {
        return Err(MonitoringError::Invalid("year", "budget-error-year"));
    }
    let reference = ocop_domain::text::normalize(reference);
    if reference.is_empty() || reference.chars().count() > 300 {
        return Err(MonitoringError::Invalid(
            "reference",
            "budget-error-reference",
        ));
    }
    let mut tx = db.begin().await?;
    let before: Option<i64> = on_tx!(&mut tx, |conn| sqlx::query_scalar(
        "SELECT amount FROM budgets WHERE year = $1 AND unit_code = $2 AND source = $3"
    )
    .bind(i64::from(year))
    .bind(&unit.code)
    .bind(source.as_str())
    .fetch_optional(&mut *conn)
    .await)?;
    let id = new_id();
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO budgets (id, year, unit_code, province_code, source, amount, reference, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (year, unit_code, source) DO UPDATE SET amount = $6, reference = $7"
    )
    .bind(&id)
    .bind(i64::from(year))
    .bind(&unit.code)
    .bind(&province)
    .bind(source.as_str())
    .bind(amount)
    .bind(&reference)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("year", year)
        .created("unit", &unit.code)
        .created("source", source.as_str())
        .field("amount", before, amount)
        .created("reference", &reference);
    let object = format!("{year}:{}:{}", unit.code, source.as_str());
    audit::append(&mut tx, actor, "budget.set", "budget", &object, &changes).await?;
    tx.commit().await?;
    Ok(())
}

/// (year, unit, province, source, amount, reference, committed, paid)
type BudgetRow = (i64, String, String, String, i64, String, i64, i64);

/// Budget lines in a scope for a year (all years when `None`).
pub async fn budgets(
    db: &Db,
    scope: &Scope,
    year: Option<i32>,
) -> Result<Vec<BudgetLine>, MonitoringError> {
    let (filter, key) = match scope {
        Scope::National => ("($1 = '' OR $1 <> '')", String::new()),
        Scope::Province(code) => ("b.province_code = $1", code.clone()),
        Scope::Commune(code) => ("b.unit_code = $1", code.clone()),
        Scope::Entity(_) | Scope::Seats(_) => return Ok(Vec::new()),
    };
    let spent = |states: &str| {
        format!(
            "COALESCE((SELECT CAST(SUM(d.amount) AS BIGINT) FROM disbursements d JOIN entitlements e ON e.id = d.entitlement_id \
             JOIN policies po ON po.id = e.policy_id WHERE po.unit_code = b.unit_code AND po.source = b.source \
             AND d.state IN ({states}) AND {}), 0)",
            same_year("d.planned_on", "b.year")
        )
    };
    let sql = format!(
        "SELECT b.year, b.unit_code, b.province_code, b.source, b.amount, b.reference, \
         {} AS committed, {} AS paid FROM budgets b WHERE {filter} AND ($2 = 0 OR b.year = $2) \
         ORDER BY b.year DESC, b.province_code, b.unit_code, b.source",
        spent("'approved', 'paid'"),
        spent("'paid'")
    );
    let rows: Vec<BudgetRow> = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&key)
        .bind(i64::from(year.unwrap_or(0)))
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(year, unit_code, province_code, source, amount, reference, committed, paid)| {
                BudgetLine {
                    year: year as i32,
                    unit_code,
                    province_code,
                    source: BudgetSource::parse(&source).unwrap_or(BudgetSource::Other),
                    amount,
                    reference,
                    committed,
                    paid,
                }
            },
        )
        .collect())
}

/// A date column falls in a year column, on both databases (a date reads as ISO text on both).
fn same_year(date: &str, year: &str) -> String {
    format!("SUBSTR(CAST({date} AS TEXT), 1, 4) = CAST({year} AS TEXT)")
}

/// Paid support per year of payment, for the dashboard: (year, paid).
pub async fn paid_by_year(db: &Db, scope: &Scope) -> Result<Vec<(i32, i64)>, MonitoringError> {
    let (filter, key) = scope_filter(scope);
    let sql = format!(
        "SELECT d.paid_on, d.amount FROM disbursements d JOIN entitlements e ON e.id = d.entitlement_id \
         JOIN products p ON p.id = e.product_id WHERE {filter} AND d.state = 'paid'"
    );
    let rows: Vec<(NaiveDate, i64)> =
        on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&key)
            .fetch_all(pool)
            .await)?;
    let mut years: std::collections::BTreeMap<i32, i64> = Default::default();
    for (day, amount) in rows {
        *years.entry(day.year()).or_default() += amount;
    }
    Ok(years.into_iter().collect())
}

/// Whether `unit_code` lies in `scope` on today's map (a commune of a province scope too).
pub async fn unit_in_scope(db: &Db, scope: &Scope, unit_code: &str) -> Result<bool, StoreError> {
    let province = units::province_of(db, unit_code).await?;
    Ok(covers(
        scope,
        Some(province.as_deref().unwrap_or(unit_code)),
        Some(unit_code),
    ))
}
