//! Entities by their registration code: created, updated in the columns the file has, or left
//! unchanged. An entity of another province, or one the file would move to another commune, is
//! a row's problem (moving changes jurisdiction; it is not an edit).

use std::collections::HashMap;

use ocop_domain::audit::Changes;
use ocop_domain::import::columns::{Header, Row, data_rows};
use ocop_domain::import::read::Table;
use ocop_domain::import::{Outcome, Report, RowReport, rows};
use ocop_domain::registry::{EntityDraft, EntityStatus};
use ocop_domain::text::fold;

use super::{CHUNK, Context, ImportRun, State, audit_run, duplicate, placeholders, writes};
use crate::bulk::{Rows, Value};
use crate::clock::now_ms;
use crate::registry::{ENTITY_COLUMNS, ENTITY_FIELDS, Entity, entity_from_row};
use crate::{Db, StoreError, on_db};

/// A record to write: new when there is nothing before it.
struct Write {
    before: Option<Entity>,
    after: Entity,
}

/// The entities with these registration codes, wherever they are.
pub(crate) async fn by_registration_code(
    db: &Db,
    codes: &[String],
) -> Result<HashMap<String, Entity>, StoreError> {
    let mut found = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let sql = format!(
            "SELECT {ENTITY_COLUMNS} FROM entities WHERE registration_code IN ({})",
            placeholders(chunk.len())
        );
        let entities: Vec<Entity> = on_db!(db, |pool| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for code in chunk {
                query = query.bind(code);
            }
            let rows = query.fetch_all(pool).await?;
            rows.iter()
                .map(entity_from_row)
                .collect::<Result<Vec<_>, sqlx::Error>>()
        })?;
        found.extend(
            entities
                .into_iter()
                .map(|e| (e.registration_code.clone(), e)),
        );
    }
    Ok(found)
}

/// An existing entity with the fields the file has columns for taken from the draft.
fn merged(existing: &Entity, draft: &EntityDraft, row: &Row<'_>) -> Entity {
    let has = |column: &str| row.has_column(column);
    let mut after = existing.clone();
    if has("kind") {
        after.kind = draft.kind;
        after.legal_form = draft.legal_form.clone();
    }
    if has("legal_form") {
        after.legal_form = draft.legal_form.clone();
    }
    after.name = draft.name.clone();
    after.representative = draft.representative.clone();
    after.address = draft.address.clone();
    if has("phone") {
        after.phone = draft.phone.clone();
    }
    if has("email") {
        after.email = draft.email.clone();
    }
    if has("women_led") {
        after.women_led = draft.women_led;
    }
    if has("ethnic_minority_led") {
        after.ethnic_minority_led = draft.ethnic_minority_led;
    }
    if has("members") {
        after.members = draft.members.map(i64::from);
    }
    if has("workers") {
        after.workers = draft.workers.map(i64::from);
    }
    if has("founded_on") {
        after.founded_on = draft.founded_on;
    }
    after
}

pub(crate) async fn run(
    context: &Context<'_>,
    run: &ImportRun,
    table: &Table,
    header: &Header,
    progress: &mut super::Recorded<'_>,
) -> Result<(Report, Option<i64>), StoreError> {
    let places = super::gazetteer(context.db).await?;
    let rows: Vec<Row> = data_rows(table, header).collect();
    let total = rows.len();
    let mut report = Report::default();
    let mut checked: Vec<(usize, EntityDraft)> = Vec::with_capacity(total);
    let mut first_row: HashMap<String, usize> = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        if index % 1000 == 0 {
            progress.note(State::Checking, index, total).await?;
        }
        match rows::entity(row, &places, context.province, context.today) {
            Ok(draft) => match first_row.get(&draft.registration_code) {
                Some(first) => report.errors.push(duplicate(
                    row.number,
                    "registration_code",
                    &draft.registration_code,
                    *first,
                )),
                None => {
                    first_row.insert(draft.registration_code.clone(), row.number);
                    checked.push((index, draft));
                }
            },
            Err(errors) => report.errors.extend(errors),
        }
    }
    let codes: Vec<String> = checked
        .iter()
        .map(|(_, d)| d.registration_code.clone())
        .collect();
    let existing = by_registration_code(context.db, &codes).await?;
    let mut planned: Vec<Write> = Vec::new();
    for (index, draft) in checked {
        let row = &rows[index];
        let key = draft.registration_code.clone();
        let Some(before) = existing.get(&key) else {
            report.push(RowReport {
                row: row.number,
                outcome: Outcome::Created,
                key,
                changed: Vec::new(),
            });
            planned.push(Write {
                before: None,
                // The province's own records: registered and confirmed long ago.
                after: Entity::new(&draft, context.province, EntityStatus::Confirmed),
            });
            continue;
        };
        if before.province_code != context.province {
            report.errors.push(super::row_error(
                row,
                "registration_code",
                "import-error-entity-other-province",
                &before.province_code,
            ));
            continue;
        }
        if before.commune_code != draft.commune_code {
            report.errors.push(super::row_error(
                row,
                if row.has_column("commune") {
                    "commune"
                } else {
                    "address"
                },
                "import-error-entity-moved",
                &before.commune_code,
            ));
            continue;
        }
        let after = merged(before, &draft, row);
        let (outcome, changed) = super::compare(ENTITY_FIELDS, before, &after);
        report.push(RowReport {
            row: row.number,
            outcome,
            key,
            changed,
        });
        if outcome == Outcome::Updated {
            planned.push(Write {
                before: Some(before.clone()),
                after,
            });
        }
    }
    super::count_errors(&mut report);
    if !writes(run, &report) {
        return Ok((report, None));
    }
    progress.note(State::Writing, 0, planned.len()).await?;
    // In the order of their ids (random): each index then takes its new keys in one pass
    // instead of jumping about its pages.
    planned.sort_by(|a, b| a.after.id.cmp(&b.after.id));
    let mut tx = super::begin(context.db).await?;
    let now = now_ms();
    let mut inserts = Rows::new(
        "entities",
        &[
            "id",
            "kind",
            "legal_form",
            "registration_code",
            "name",
            "name_folded",
            "representative",
            "address",
            "commune_code",
            "province_code",
            "phone",
            "email",
            "women_led",
            "ethnic_minority_led",
            "members",
            "workers",
            "founded_on",
            "status",
            "created_at",
            "updated_at",
        ],
    );
    let mut touched = Vec::with_capacity(planned.len());
    for write in &planned {
        match &write.before {
            None => {
                let e = &write.after;
                inserts.push([
                    Value::from(e.id.clone()),
                    e.kind.as_str().into(),
                    e.legal_form.clone().into(),
                    e.registration_code.clone().into(),
                    e.name.clone().into(),
                    fold(&e.name).into(),
                    e.representative.clone().into(),
                    e.address.clone().into(),
                    e.commune_code.clone().into(),
                    e.province_code.clone().into(),
                    e.phone.clone().into(),
                    e.email.clone().into(),
                    e.women_led.into(),
                    e.ethnic_minority_led.into(),
                    e.members.into(),
                    e.workers.into(),
                    e.founded_on.into(),
                    e.status.as_str().into(),
                    now.into(),
                    now.into(),
                ]);
                // What names the record; its other fields are its own row as created.
                let changes = Changes::new()
                    .created("registration_code", &e.registration_code)
                    .created("name", &e.name)
                    .created("commune_code", &e.commune_code);
                touched.push(("entity", e.id.clone(), "created", changes.to_json()));
            }
            Some(before) => {
                let after = &write.after;
                crate::registry::write_entity(&mut tx, after).await?;
                let changes = Changes::between(Some(before), after, ENTITY_FIELDS);
                touched.push(("entity", after.id.clone(), "updated", changes.to_json()));
            }
        }
    }
    inserts.write(&mut tx).await?;
    let seq = audit_run(&mut tx, run, &report, &touched).await?;
    super::commit(tx).await?;
    Ok((report, Some(seq)))
}
