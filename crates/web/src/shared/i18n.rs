//! Messages in Vietnamese (default) and English, chosen per request: pages follow the `lang`
//! cookie ([`Lang`]); API answers follow the cookie, then the `Accept-Language` header
//! ([`ApiLang`]).
//!
//! The locale travels with each request (never a process-wide setting), so two people reading
//! in two languages at once each get their own.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "vi",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// One of a text given in both languages (data such as a version's revocation grounds).
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language an `Accept-Language` header prefers among those the UI speaks (by `q`, then
    /// by order; `en-US` counts as `en`), if any.
    pub fn from_accept_language(value: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in value.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let primary = tag
                .split('-')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(&primary)
                && quality > 0.0
                && best.is_none_or(|(q, _)| quality > q)
            {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Vi => langid!("vi"),
            Lang::En => langid!("en"),
        }
    }

    /// The message `key`; a missing key shows as the key itself, which tests catch.
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message `key`, if there is one (for labels derived from data, such as field names).
    pub fn try_t(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&self.id(), key)
    }

    /// A form's problems (field → message key) in this language, to show beside each field.
    pub fn field_messages(
        self,
        errors: std::collections::BTreeMap<&'static str, &'static str>,
    ) -> HashMap<&'static str, String> {
        errors
            .into_iter()
            .map(|(field, key)| (field, self.t(key)))
            .collect()
    }

    /// The message `key` with named arguments.
    pub fn t_with(self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &args)
            .unwrap_or_else(|| key.to_string())
    }
}

/// The language chosen with the switch (the `lang` cookie), if any.
async fn chosen<S: Send + Sync>(parts: &mut Parts, state: &S) -> Option<Lang> {
    let Ok(jar) = CookieJar::from_request_parts(parts, state).await;
    jar.get(LANG_COOKIE)
        .and_then(|cookie| Lang::parse(cookie.value()))
}

/// A page's language: the `lang` cookie, else Vietnamese (the browser's `Accept-Language` is not
/// consulted: pages stay Vietnamese until the reader switches).
impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(chosen(parts, state).await.unwrap_or_default())
    }
}

/// The language of an API answer's readable messages: the `lang` cookie (a script in a browser
/// that switched), then the `Accept-Language` header (machines: `en` → English), else Vietnamese.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(lang) = chosen(parts, state).await {
            return Ok(ApiLang(lang));
        }
        let accepted = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(Lang::from_accept_language);
        Ok(ApiLang(accepted.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_key() {
        // key → the names of its `{ $placeholders }`.
        let messages = |text: &str| -> Vec<(String, Vec<String>)> {
            text.lines()
                .filter(|line| !line.starts_with('#'))
                .filter_map(|line| line.split_once(" = "))
                .map(|(key, value)| {
                    let names = value
                        .split("{ $")
                        .skip(1)
                        .filter_map(|rest| rest.split(' ').next())
                        .map(str::to_string)
                        .collect();
                    (key.trim().to_string(), names)
                })
                .collect()
        };
        let vi = messages(include_str!("../../locales/vi/main.ftl"));
        let en = messages(include_str!("../../locales/en/main.ftl"));
        assert!(!vi.is_empty());
        let keys = |list: &[(String, Vec<String>)]| -> Vec<String> {
            list.iter().map(|(key, _)| key.clone()).collect()
        };
        let (vi_keys, en_keys) = (keys(&vi), keys(&en));
        for (key, names) in vi.iter().chain(en.iter()) {
            assert!(vi_keys.contains(key), "Vietnamese lacks {key}");
            assert!(en_keys.contains(key), "English lacks {key}");
            let names: Vec<&'static str> = names
                .iter()
                .map(|name| &*Box::leak(name.clone().into_boxed_str()))
                .collect();
            let args: Vec<(&'static str, FluentValue<'static>)> = names
                .iter()
                .map(|name| (*name, FluentValue::from("x")))
                .collect();
            for lang in [Lang::Vi, Lang::En] {
                assert_ne!(lang.t_with(key, &args), *key, "{key} does not load");
            }
        }
    }

    #[test]
    fn accept_language_picks_the_preferred_language_spoken() {
        assert_eq!(Lang::from_accept_language("en"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr-FR, en;q=0.5, vi;q=0.8"),
            Some(Lang::Vi)
        );
        assert_eq!(Lang::from_accept_language("vi, en"), Some(Lang::Vi));
        assert_eq!(Lang::from_accept_language("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("en;q=0, fr"), None);
        assert_eq!(Lang::from_accept_language("*"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn vietnamese_is_the_default() {
        assert_eq!(Lang::default(), Lang::Vi);
        assert_eq!(Lang::Vi.t("nav-home"), "Trang chủ");
        assert_eq!(Lang::En.t("nav-home"), "Home");
        assert_eq!(Lang::parse("fr"), None);
    }
}
