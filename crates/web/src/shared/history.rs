//! An object's audit trail for people (entities, products, dossiers): when (Vietnam time), who
//! (by name), what, and each field's value before and after.

use fluent_templates::fluent_bundle::FluentValue;

use ocop_store::{accounts, audit};

use super::error::{PageError, page_error};
use super::format;
use super::i18n::Lang;
use crate::AppState;

/// One audit record as pages show it (the `history.html` include).
pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub changes: Vec<FieldChange>,
}

/// One field of an audit record, for people: its label, and its value before (none for a new
/// object) and after.
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: String,
}

/// A recorded value for people: "—" for nothing, ✓ for yes, lists joined, known codes named
/// (`{object}-{field}-{value}` messages, such as an entity's kind or a dossier's state).
fn shown_value(object_type: &str, field: &str, value: &serde_json::Value, lang: Lang) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "—".into(),
        Value::Bool(true) => "✓".into(),
        Value::Bool(false) => "✗".into(),
        Value::String(text) => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) => format::date(day),
            Err(_) => lang
                .try_t(&format!("{object_type}-{}-{text}", field.replace('_', "-")))
                .unwrap_or_else(|| text.clone()),
        },
        Value::Array(items) if items.is_empty() => "—".into(),
        Value::Array(items) => items
            .iter()
            .map(|item| shown_value(object_type, field, item, lang))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(items) => lang.t_with(
            "history-items",
            &[("count", FluentValue::from(items.len()))],
        ),
        Value::Number(number) => number.to_string(),
    }
}

/// An audit record's changes (`{"field": {"before": …, "after": …}}`) for people.
fn field_changes(object_type: &str, changes: &str, lang: Lang) -> Vec<FieldChange> {
    let parsed: std::collections::BTreeMap<String, ocop_domain::audit::Change> =
        serde_json::from_str(changes).unwrap_or_default();
    parsed
        .into_iter()
        .map(|(field, change)| FieldChange {
            field: lang
                .try_t(&format!("{object_type}-{}", field.replace('_', "-")))
                .unwrap_or_else(|| field.clone()),
            before: (!change.before.is_null())
                .then(|| shown_value(object_type, &field, &change.before, lang)),
            after: shown_value(object_type, &field, &change.after, lang),
        })
        .collect()
}

/// An object's audit trail for people: when (Vietnam time), who (by name), what.
pub async fn history_rows(
    state: &AppState,
    object_type: &str,
    id: &str,
    lang: Lang,
) -> Result<Vec<HistoryRow>, PageError> {
    let mut rows = Vec::new();
    for record in audit::history(&state.db, object_type, id)
        .await
        .map_err(page_error(lang))?
    {
        let who = match accounts::find_by_id(&state.db, &record.actor)
            .await
            .map_err(page_error(lang))?
        {
            Some(user) => user.name,
            None => record.actor.clone(),
        };
        rows.push(HistoryRow {
            when: chrono::DateTime::from_timestamp_millis(record.at_ms)
                .map(|t| {
                    (t + chrono::Duration::hours(7))
                        .format("%d/%m/%Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            who,
            action: lang
                .try_t(&format!("audit-{}", record.action.replace(['.', '_'], "-")))
                .unwrap_or(record.action),
            changes: field_changes(object_type, &record.changes, lang),
        });
    }
    Ok(rows)
}
