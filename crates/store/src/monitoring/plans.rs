//! Plans and their targets. A plan keeps the unit it was made for — a former province's
//! 2021–2025 plan stays Bình Phước's — and where that unit lies on today's map, so that it
//! rolls up onto today's province and is read in today's scopes (docs/monitoring.md).

use std::collections::BTreeMap;

use ocop_domain::access::Scope;
use ocop_domain::audit::Changes;
use ocop_domain::monitoring::facts::Area;
use ocop_domain::monitoring::targets::{
    Indicator, IndicatorKind, Period, SplitCheck, TargetValue, UnitPeriodError, check_split,
    check_unit_period,
};
use ocop_domain::units::UnitLevel;

use super::{MonitoringError, covers};
use crate::clock::{new_id, now_ms};
use crate::units::{self, Unit};
use crate::{Db, audit, on_db, on_tx};

/// A plan as a writer submits it, its unit already looked up (`None`: the nation).
#[derive(Debug, Clone)]
pub struct PlanDraft {
    pub unit_id: Option<i64>,
    pub period: Period,
    pub reference: String,
    pub targets: Vec<(Indicator, TargetValue)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    /// The unit planned for (`None`: the nation).
    pub unit: Option<Unit>,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub period: Period,
    pub reference: String,
    pub targets: BTreeMap<Indicator, TargetValue>,
}

impl Plan {
    /// Whether the plan's unit is a former one (before the 2025 reform).
    pub fn is_former(&self) -> bool {
        self.unit.as_ref().is_some_and(|u| !u.is_current())
    }

    /// The records the plan is measured on: its own territory, on the map of its period for a
    /// former province.
    pub fn area(&self) -> Area {
        match (&self.unit, &self.commune_code, &self.province_code) {
            (None, _, _) => Area::Nation,
            (Some(unit), _, _) if unit.level() == UnitLevel::District => {
                Area::FormerDistrict(unit.code.clone())
            }
            (Some(_), Some(commune), _) => Area::Commune(commune.clone()),
            (Some(unit), None, _) if !unit.is_current() => Area::FormerProvince(unit.code.clone()),
            (Some(_), None, Some(province)) => Area::Province(province.clone()),
            (Some(unit), None, None) => Area::Province(unit.code.clone()),
        }
    }
}

/// Where a unit lies on today's map: (province, commune). A former unit goes to its successor;
/// a former commune split among several goes to the first by code (docs/monitoring.md).
async fn placement(db: &Db, unit: &Unit) -> Result<(String, Option<String>), MonitoringError> {
    // A former district lies where its province went.
    let unit = &if unit.level() == UnitLevel::District {
        match unit.parent_id {
            Some(parent) => units::find_by_id(db, parent)
                .await?
                .ok_or(MonitoringError::Invalid("unit", "plan-error-unit"))?,
            None => return Err(MonitoringError::Invalid("unit", "plan-error-unit")),
        }
    } else {
        unit.clone()
    };
    let current = if unit.is_current() {
        unit.clone()
    } else {
        let mut successors: Vec<Unit> = units::successors(db, unit.id)
            .await?
            .into_iter()
            .filter(Unit::is_current)
            .collect();
        successors.sort_by(|a, b| a.code.cmp(&b.code));
        successors
            .into_iter()
            .next()
            .ok_or(MonitoringError::Invalid("unit", "plan-error-unit-period"))?
    };
    match current.level() {
        UnitLevel::Province => Ok((current.code, None)),
        UnitLevel::Commune => {
            let province = match current.parent_id {
                Some(parent) => units::find_by_id(db, parent).await?,
                None => None,
            };
            let province = province.ok_or(MonitoringError::Invalid("unit", "plan-error-unit"))?;
            Ok((province.code, Some(current.code)))
        }
        UnitLevel::District => Err(MonitoringError::Invalid("unit", "plan-error-level")),
    }
}

/// Whether a unit not in force during `period` is linked by a succession to one that was.
async fn linked_in_force(db: &Db, unit: &Unit, period: Period) -> Result<bool, MonitoringError> {
    let mut linked = units::predecessors(db, unit.id).await?;
    linked.extend(units::successors(db, unit.id).await?);
    Ok(linked
        .iter()
        .any(|u| period.overlaps(u.valid_from, u.valid_to)))
}

/// Records a plan, or replaces the targets of the plan of the same unit and period. The
/// writer's scope must hold the plan's place on today's map (the central office's holds every
/// province's); the nation's plan is the central office's. A unit not in force during the period, and not linked to one that was, is refused.
pub async fn save(
    db: &Db,
    scope: &Scope,
    draft: &PlanDraft,
    actor: &str,
) -> Result<Plan, MonitoringError> {
    let unit = match draft.unit_id {
        Some(id) => Some(
            units::find_by_id(db, id)
                .await?
                .ok_or(MonitoringError::Invalid("unit", "plan-error-unit"))?,
        ),
        None => None,
    };
    let (province, commune) = match &unit {
        Some(unit) => {
            // A former district plans for the years it existed (its communes' successions
            // carry its results onto today's map); a district in force would be a mistake.
            let linked = if unit.level() == UnitLevel::District {
                if unit.is_current() {
                    return Err(MonitoringError::Invalid("unit", "plan-error-level"));
                }
                false
            } else {
                linked_in_force(db, unit, draft.period).await?
            };
            check_unit_period(draft.period, unit.valid_from, unit.valid_to, linked).map_err(
                |UnitPeriodError::NotInForce| {
                    MonitoringError::Invalid("unit", "plan-error-unit-period")
                },
            )?;
            let (province, commune) = placement(db, unit).await?;
            (Some(province), commune)
        }
        None => (None, None),
    };
    let allowed = match (&unit, scope) {
        (None, Scope::National) => true,
        (None, _) => false,
        (Some(_), scope) => covers(scope, province.as_deref(), commune.as_deref()),
    };
    if !allowed {
        return Err(MonitoringError::NotFound);
    }
    let reference = ocop_domain::text::normalize(&draft.reference);
    if reference.is_empty() || reference.chars().count() > 300 {
        return Err(MonitoringError::Invalid(
            "reference",
            "plan-error-reference",
        ));
    }
    if draft.targets.is_empty() {
        return Err(MonitoringError::Invalid("targets", "plan-error-targets"));
    }
    let unit_id = unit.as_ref().map(|u| u.id);
    let existing = find_id(db, unit_id, draft.period).await?;
    let previous = match &existing {
        Some(id) => plan(db, &Scope::National, id).await?,
        None => None,
    };
    let id = existing.unwrap_or_else(new_id);
    let now = now_ms();
    let level = match (&unit, &commune) {
        (None, _) => "nation",
        (Some(unit), _) if unit.level() == UnitLevel::District => "district",
        (Some(_), Some(_)) => "commune",
        (Some(_), None) => "province",
    };
    let mut tx = db.begin().await?;
    if previous.is_some() {
        on_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE plans SET reference = $2, updated_at = $3 WHERE id = $1"
        )
        .bind(&id)
        .bind(&reference)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
        on_tx!(&mut tx, |conn| sqlx::query(
            "DELETE FROM plan_targets WHERE plan_id = $1"
        )
        .bind(&id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
    } else {
        on_tx!(&mut tx, |conn| {
            sqlx::query(
            "INSERT INTO plans (id, level, unit_id, province_code, commune_code, from_year, to_year, \
             reference, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)"
        )
        .bind(&id)
        .bind(level)
        .bind(unit_id)
        .bind(&province)
        .bind(&commune)
        .bind(i64::from(draft.period.from))
        .bind(i64::from(draft.period.to))
        .bind(&reference)
        .bind(actor)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        })?;
    }
    let mut changes = Changes::new();
    if previous.is_none() {
        changes = changes
            .created(
                "unit",
                unit.as_ref().map(|u| format!("{} {}", u.code, u.name)),
            )
            .created("period", draft.period.to_string());
    }
    if previous.as_ref().is_none_or(|p| p.reference != reference) {
        changes = changes.field(
            "reference",
            previous.as_ref().map(|p| p.reference.clone()),
            &reference,
        );
    }
    let mut targets = BTreeMap::new();
    for (indicator, value) in &draft.targets {
        targets.insert(*indicator, *value);
    }
    for (indicator, value) in &targets {
        on_tx!(&mut tx, |conn| sqlx::query(
            "INSERT INTO plan_targets (plan_id, indicator, value) VALUES ($1, $2, $3)"
        )
        .bind(&id)
        .bind(indicator.as_str())
        .bind(value.raw())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
        let before = previous.as_ref().and_then(|p| p.targets.get(indicator));
        if before != Some(value) {
            changes = changes.field(indicator.as_str(), before.map(|v| v.text()), value.text());
        }
    }
    if let Some(previous) = &previous {
        for (indicator, value) in &previous.targets {
            if !targets.contains_key(indicator) {
                changes = changes.field(indicator.as_str(), value.text(), ());
            }
        }
    }
    let action = if previous.is_some() {
        "plan.update"
    } else {
        "plan.create"
    };
    audit::append(&mut tx, actor, action, "plan", &id, &changes).await?;
    tx.commit().await?;
    Ok(Plan {
        id,
        unit,
        province_code: province,
        commune_code: commune,
        period: draft.period,
        reference,
        targets,
    })
}

async fn find_id(
    db: &Db,
    unit_id: Option<i64>,
    period: Period,
) -> Result<Option<String>, MonitoringError> {
    Ok(on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM plans WHERE COALESCE(unit_id, 0) = $1 AND from_year = $2 AND to_year = $3"
    )
    .bind(unit_id.unwrap_or(0))
    .bind(i64::from(period.from))
    .bind(i64::from(period.to))
    .fetch_optional(pool)
    .await)?)
}

/// (id, unit_id, province, commune, from, to, reference)
type PlanRow = (
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
);

/// The scope filter of plans: the nation's and every plan for the central office; a province's
/// own and its communes'; a commune's own; nothing for other scopes. ($1 kind, $2 key, as
/// the registry binds them)
const PLAN_SCOPE: &str = "($1 = 'national' OR ($1 = 'province' AND province_code = $2) \
     OR ($1 = 'commune' AND commune_code = $2))";

async fn hydrate(db: &Db, rows: Vec<PlanRow>) -> Result<Vec<Plan>, MonitoringError> {
    let mut plans = Vec::with_capacity(rows.len());
    for (id, unit_id, province_code, commune_code, from, to, reference) in rows {
        let unit = match unit_id {
            Some(unit_id) => units::find_by_id(db, unit_id).await?,
            None => None,
        };
        let targets: Vec<(String, i64)> = on_db!(db, |pool| sqlx::query_as(
            "SELECT indicator, value FROM plan_targets WHERE plan_id = $1"
        )
        .bind(&id)
        .fetch_all(pool)
        .await)?;
        let targets = targets
            .into_iter()
            .filter_map(|(indicator, value)| {
                let indicator = Indicator::parse(&indicator)?;
                Some((indicator, TargetValue::from_raw(indicator, value)?))
            })
            .collect();
        plans.push(Plan {
            id,
            unit,
            province_code,
            commune_code,
            period: Period {
                from: from as i32,
                to: to as i32,
            },
            reference,
            targets,
        });
    }
    Ok(plans)
}

/// The plans a scope reads, newest period first, the nation's first, then by place.
pub async fn plans(db: &Db, scope: &Scope) -> Result<Vec<Plan>, MonitoringError> {
    let (kind, key) = crate::registry::scope_binds(scope);
    let sql = format!(
        "SELECT id, unit_id, province_code, commune_code, from_year, to_year, reference FROM plans \
         WHERE {PLAN_SCOPE} ORDER BY to_year DESC, from_year DESC, \
         COALESCE(province_code, ''), COALESCE(commune_code, ''), id"
    );
    let rows: Vec<PlanRow> = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(kind)
        .bind(&key)
        .fetch_all(pool)
        .await)?;
    hydrate(db, rows).await
}

/// One plan in a scope.
pub async fn plan(db: &Db, scope: &Scope, id: &str) -> Result<Option<Plan>, MonitoringError> {
    let (kind, key) = crate::registry::scope_binds(scope);
    let sql = format!(
        "SELECT id, unit_id, province_code, commune_code, from_year, to_year, reference FROM plans \
         WHERE {PLAN_SCOPE} AND id = $3"
    );
    let rows: Vec<PlanRow> = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(kind)
        .bind(&key)
        .bind(id)
        .fetch_all(pool)
        .await)?;
    Ok(hydrate(db, rows).await?.into_iter().next())
}

/// The plans that roll onto an area of today's map for exactly this period: the nation's for
/// the nation; a province's own, its former provinces' and (for a split check) none of its
/// communes'; a commune's own (and a former commune's placed on it).
pub fn rolling_onto<'a>(plans: &'a [Plan], area: &Area, period: Period) -> Vec<&'a Plan> {
    plans
        .iter()
        .filter(|p| p.period == period)
        .filter(|p| match area {
            Area::Nation => p.unit.is_none(),
            // A former district's plan is a part of its province's, not added to it.
            Area::Province(code) => {
                p.commune_code.is_none()
                    && p.unit
                        .as_ref()
                        .is_some_and(|u| u.level() != UnitLevel::District)
                    && p.province_code.as_deref() == Some(code)
            }
            Area::Commune(code) => p.commune_code.as_deref() == Some(code),
            Area::FormerProvince(code) => {
                p.is_former()
                    && p.commune_code.is_none()
                    && p.unit
                        .as_ref()
                        .is_some_and(|u| u.code == *code && u.level() == UnitLevel::Province)
            }
            Area::FormerDistrict(code) => p.unit.as_ref().is_some_and(|u| u.code == *code),
        })
        .collect()
}

/// A province plan's count targets against its communes' plans of the same period.
pub fn split(plans: &[Plan], whole: &Plan) -> Vec<(Indicator, u32, u64, SplitCheck)> {
    let Some(province) = whole
        .province_code
        .as_deref()
        .filter(|_| whole.commune_code.is_none())
    else {
        return Vec::new();
    };
    let parts: Vec<&Plan> = plans
        .iter()
        .filter(|p| {
            p.period == whole.period
                && p.commune_code.is_some()
                && p.province_code.as_deref() == Some(province)
        })
        .collect();
    if parts.is_empty() {
        return Vec::new();
    }
    whole
        .targets
        .iter()
        .filter_map(|(indicator, value)| match (indicator.kind(), value) {
            (IndicatorKind::Count, TargetValue::Count(total)) => {
                let values: Vec<u32> = parts
                    .iter()
                    .filter_map(|p| match p.targets.get(indicator) {
                        Some(TargetValue::Count(n)) => Some(*n),
                        _ => None,
                    })
                    .collect();
                let sum = values.iter().map(|n| u64::from(*n)).sum();
                Some((*indicator, *total, sum, check_split(*total, values)))
            }
            _ => None,
        })
        .collect()
}
