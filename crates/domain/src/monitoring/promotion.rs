//! Trade promotion and training as the records keep them: e-commerce platforms, export markets,
//! fairs with the products shown and their reported sales, courses and who attended.

use chrono::NaiveDate;

use crate::text::normalize;

/// E-commerce platforms OCOP products are listed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Postmart,
    Voso,
    Shopee,
    Lazada,
    Tiki,
    TiktokShop,
    /// A province's own OCOP e-commerce site.
    ProvinceSite,
    Other,
}

impl Platform {
    pub const ALL: [Platform; 8] = [
        Platform::Postmart,
        Platform::Voso,
        Platform::Shopee,
        Platform::Lazada,
        Platform::Tiki,
        Platform::TiktokShop,
        Platform::ProvinceSite,
        Platform::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Postmart => "postmart",
            Platform::Voso => "voso",
            Platform::Shopee => "shopee",
            Platform::Lazada => "lazada",
            Platform::Tiki => "tiki",
            Platform::TiktokShop => "tiktok_shop",
            Platform::ProvinceSite => "province_site",
            Platform::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The platform's own name (a brand: the same in both languages), `None` for the two
    /// described in words.
    pub fn brand(self) -> Option<&'static str> {
        match self {
            Platform::Postmart => Some("Postmart"),
            Platform::Voso => Some("Voso"),
            Platform::Shopee => Some("Shopee"),
            Platform::Lazada => Some("Lazada"),
            Platform::Tiki => Some("Tiki"),
            Platform::TiktokShop => Some("TikTok Shop"),
            Platform::ProvinceSite | Platform::Other => None,
        }
    }
}

/// Countries OCOP products are exported to most often, by ISO 3166-1 alpha-2 code, with their
/// Vietnamese and English names; any other valid code is accepted and shown as the code.
pub const COUNTRIES: [(&str, &str, &str); 20] = [
    ("JP", "Nhật Bản", "Japan"),
    ("KR", "Hàn Quốc", "South Korea"),
    ("CN", "Trung Quốc", "China"),
    ("TW", "Đài Loan", "Taiwan"),
    ("US", "Hoa Kỳ", "United States"),
    ("CA", "Canada", "Canada"),
    ("AU", "Úc", "Australia"),
    ("NZ", "New Zealand", "New Zealand"),
    ("DE", "Đức", "Germany"),
    ("FR", "Pháp", "France"),
    ("NL", "Hà Lan", "Netherlands"),
    ("GB", "Vương quốc Anh", "United Kingdom"),
    ("RU", "Nga", "Russia"),
    ("SG", "Singapore", "Singapore"),
    ("TH", "Thái Lan", "Thailand"),
    ("MY", "Malaysia", "Malaysia"),
    ("LA", "Lào", "Laos"),
    ("KH", "Campuchia", "Cambodia"),
    (
        "AE",
        "Các Tiểu vương quốc Ả Rập Thống nhất",
        "United Arab Emirates",
    ),
    ("IN", "Ấn Độ", "India"),
];

/// An export market as a form submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ExportMarketForm {
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub since_year: String,
}

/// Field → message id.
pub type FormErrors = std::collections::BTreeMap<&'static str, &'static str>;

/// A country code (two letters) and the year the market opened (not in the future).
pub fn check_export_market(
    form: &ExportMarketForm,
    this_year: i32,
) -> Result<(String, i32), FormErrors> {
    let mut errors = FormErrors::new();
    let country = form.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.insert("country", "market-error-country");
    }
    let year = form.since_year.trim().parse::<i32>().ok();
    if year.is_none_or(|y| !(1990..=this_year).contains(&y)) {
        errors.insert("since_year", "market-error-year");
    }
    match (errors.is_empty(), year) {
        (true, Some(year)) => Ok((country, year)),
        _ => Err(errors),
    }
}

/// A fair or trade event as a form submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct FairForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub place: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FairDraft {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub place: String,
}

pub fn check_fair(
    form: &FairForm,
    parse_date: impl Fn(&str) -> Option<NaiveDate>,
) -> Result<FairDraft, FormErrors> {
    let mut errors = FormErrors::new();
    let name = normalize(&form.name);
    if name.is_empty() || name.chars().count() > 300 {
        errors.insert("name", "fair-error-name");
    }
    let place = normalize(&form.place);
    if place.is_empty() || place.chars().count() > 300 {
        errors.insert("place", "fair-error-place");
    }
    let (starts_on, ends_on) = dates(&form.starts_on, &form.ends_on, &parse_date, &mut errors);
    match (errors.is_empty(), starts_on, ends_on) {
        (true, Some(starts_on), Some(ends_on)) => Ok(FairDraft {
            name,
            starts_on,
            ends_on,
            place,
        }),
        _ => Err(errors),
    }
}

fn dates(
    starts: &str,
    ends: &str,
    parse_date: &impl Fn(&str) -> Option<NaiveDate>,
    errors: &mut FormErrors,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let starts_on = parse_date(starts);
    if starts_on.is_none() {
        errors.insert("starts_on", "event-error-date");
    }
    let ends_on = match ends.trim() {
        "" => starts_on,
        typed => parse_date(typed),
    };
    match (starts_on, ends_on) {
        (_, None) => {
            errors.insert("ends_on", "event-error-date");
        }
        (Some(start), Some(end)) if end < start => {
            errors.insert("ends_on", "event-error-ends");
        }
        _ => {}
    }
    (starts_on, ends_on)
}

/// Who a course is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Officials,
    Entities,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::Officials, Audience::Entities];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Officials => "officials",
            Audience::Entities => "entities",
        }
    }

    pub fn parse(text: &str) -> Option<Audience> {
        Audience::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// A course as a form submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct CourseForm {
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub organiser: String,
    #[serde(default)]
    pub audience: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseDraft {
    pub topic: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub organiser: String,
    pub audience: Audience,
}

pub fn check_course(
    form: &CourseForm,
    parse_date: impl Fn(&str) -> Option<NaiveDate>,
) -> Result<CourseDraft, FormErrors> {
    let mut errors = FormErrors::new();
    let topic = normalize(&form.topic);
    if topic.is_empty() || topic.chars().count() > 300 {
        errors.insert("topic", "course-error-topic");
    }
    let organiser = normalize(&form.organiser);
    if organiser.is_empty() || organiser.chars().count() > 300 {
        errors.insert("organiser", "course-error-organiser");
    }
    let audience = Audience::parse(form.audience.trim());
    if audience.is_none() {
        errors.insert("audience", "course-error-audience");
    }
    let (starts_on, ends_on) = dates(&form.starts_on, &form.ends_on, &parse_date, &mut errors);
    match (errors.is_empty(), starts_on, ends_on, audience) {
        (true, Some(starts_on), Some(ends_on), Some(audience)) => Ok(CourseDraft {
            topic,
            starts_on,
            ends_on,
            organiser,
            audience,
        }),
        _ => Err(errors),
    }
}

/// How many people an attendance row counts: at least one, at most a thousand.
pub fn check_attendees(text: &str) -> Result<u32, &'static str> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=1000).contains(n))
        .ok_or("course-error-attendees")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(t.trim(), "%d/%m/%Y").ok()
    }

    #[test]
    fn markets_fairs_and_courses_are_checked() {
        let market = ExportMarketForm {
            country: "jp".into(),
            since_year: "2023".into(),
        };
        assert_eq!(check_export_market(&market, 2026), Ok(("JP".into(), 2023)));
        let future = ExportMarketForm {
            since_year: "2030".into(),
            ..market
        };
        assert_eq!(
            check_export_market(&future, 2026)
                .unwrap_err()
                .get("since_year"),
            Some(&"market-error-year")
        );
        let fair = FairForm {
            name: "Hội chợ OCOP Đồng Nai 2025".into(),
            starts_on: "10/10/2025".into(),
            ends_on: "08/10/2025".into(),
            place: "Biên Hòa".into(),
        };
        assert_eq!(
            check_fair(&fair, parse).unwrap_err().get("ends_on"),
            Some(&"event-error-ends")
        );
        let course = CourseForm {
            topic: "Xây dựng thương hiệu".into(),
            starts_on: "05/06/2025".into(),
            organiser: "Sở Nông nghiệp".into(),
            audience: "entities".into(),
            ..CourseForm::default()
        };
        let draft = check_course(&course, parse).unwrap();
        assert_eq!(draft.ends_on, draft.starts_on);
        assert_eq!(check_attendees("0"), Err("course-error-attendees"));
        assert_eq!(check_attendees("12"), Ok(12));
    }
}
