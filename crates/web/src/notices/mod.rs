//! Notices: each account's inbox (an unread count in the header), the words of a notice in
//! either language (the e-mail sender writes both), and the administrator's view of the e-mail
//! outbox. Notices are written by the events that call for them (`ocop_store::notices`).

pub mod api;
pub mod pages;

use fluent_templates::fluent_bundle::FluentValue;
use serde_json::Value;

use ocop_store::notices::Notice;

use crate::shared::format;
use crate::shared::i18n::Lang;

/// The values a notice's words may use.
const PARAMS: [&str; 13] = [
    "number",
    "product",
    "entity",
    "stars",
    "expires_on",
    "window_opens",
    "window_closes",
    "pending_until",
    "decision",
    "decided_on",
    "inspected_on",
    "action",
    "deadline",
];

/// A parameter as people read it: dates as dd/mm/yyyy.
fn shown(value: &Value) -> FluentValue<'static> {
    match value {
        Value::String(text) => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => format::date(date).into(),
            Err(_) => text.clone().into(),
        },
        Value::Number(number) => number
            .as_i64()
            .map_or_else(|| number.to_string().into(), FluentValue::from),
        Value::Null => "none".into(),
        other => other.to_string().into(),
    }
}

/// A notice's subject and body in `lang`.
pub fn words(notice: &Notice, lang: Lang) -> (String, String) {
    let args: Vec<(&'static str, FluentValue<'static>)> = PARAMS
        .iter()
        .map(|name| {
            (
                *name,
                shown(notice.params.get(*name).unwrap_or(&Value::Null)),
            )
        })
        .collect();
    let key = notice.kind.replace('_', "-");
    (
        lang.t_with(&format!("notice-{key}-subject"), &args),
        lang.t_with(&format!("notice-{key}-body"), &args),
    )
}

/// The e-mail of a notice: the subject in Vietnamese, the body in Vietnamese then English,
/// with the link on this installation.
pub fn email(notice: &Notice, base_url: &str) -> (String, String) {
    let (subject, body_vi) = words(notice, Lang::Vi);
    let (_, body_en) = words(notice, Lang::En);
    let link = format!("{}{}", base_url.trim_end_matches('/'), notice.link);
    let body = format!("{body_vi}\n{link}\n\n---\n{body_en}\n{link}\n\nOCOP\n");
    // Fluent wraps arguments in bidi isolation marks; mail readers show them as boxes.
    let clean = |text: String| text.replace(['\u{2068}', '\u{2069}'], "");
    (clean(subject), clean(body))
}
