//! The registry of OCOP entities (chủ thể): what a registration must contain, checked field by
//! field so that a form can show each problem beside its field.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::access::{Role, normalize_email};
use crate::criteria::EntityType;
use crate::text::normalize;

/// Where an entity stands: producers register themselves; a commune officer confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityStatus {
    Pending,
    Confirmed,
}

impl EntityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityStatus::Pending => "pending",
            EntityStatus::Confirmed => "confirmed",
        }
    }

    pub fn parse(text: &str) -> Option<EntityStatus> {
        match text {
            "pending" => Some(EntityStatus::Pending),
            "confirmed" => Some(EntityStatus::Confirmed),
            _ => None,
        }
    }
}

/// Legal forms of enterprises.
pub const LEGAL_FORMS: [&str; 4] = [
    "private",
    "llc_one_member",
    "llc_multi_member",
    "joint_stock",
];

/// An entity as a form submits it (all text, as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EntityForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub legal_form: String,
    #[serde(default)]
    pub registration_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub representative: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub commune_code: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub women_led: Option<String>,
    #[serde(default)]
    pub ethnic_minority_led: Option<String>,
    #[serde(default)]
    pub members: String,
    #[serde(default)]
    pub workers: String,
    #[serde(default)]
    pub founded_on: String,
}

/// A checked entity registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityDraft {
    pub kind: EntityType,
    pub legal_form: Option<String>,
    pub registration_code: String,
    pub name: String,
    pub representative: String,
    pub address: String,
    pub commune_code: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub women_led: bool,
    pub ethnic_minority_led: bool,
    pub members: Option<u32>,
    pub workers: Option<u32>,
    pub founded_on: Option<NaiveDate>,
}

/// Problems by field: field name → message key (`registry-error-…` in the UI's messages).
pub type FieldErrors = BTreeMap<&'static str, &'static str>;

fn checkbox(value: &Option<String>) -> bool {
    matches!(value.as_deref(), Some("on" | "true" | "yes" | "1"))
}

/// A phone number as people type it (at least 9 digits; spaces, `+`, `.`, `-` allowed), or
/// nothing; `Err` is the message key of the problem.
pub fn check_phone(text: &str) -> Result<Option<String>, &'static str> {
    let phone = normalize(text);
    if phone.is_empty() {
        Ok(None)
    } else if phone.chars().filter(char::is_ascii_digit).count() >= 9
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '.' | '-'))
    {
        Ok(Some(phone))
    } else {
        Err("registry-error-phone")
    }
}

/// Checks a registration; every problem is reported against its field.
pub fn check_entity(form: &EntityForm, today: NaiveDate) -> Result<EntityDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let kind = EntityType::parse(form.kind.trim());
    if kind.is_none() {
        errors.insert("kind", "registry-error-kind");
    }
    let legal_form = match (kind, form.legal_form.trim()) {
        (Some(EntityType::Company), form) if LEGAL_FORMS.contains(&form) => Some(form.to_string()),
        (Some(EntityType::Company), _) => {
            errors.insert("legal_form", "registry-error-legal-form");
            None
        }
        _ => None,
    };
    let registration_code = form.registration_code.trim().to_uppercase();
    let code_ok = (6..=20).contains(&registration_code.len())
        && registration_code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.'))
        && registration_code.chars().any(|c| c.is_ascii_digit());
    if !code_ok {
        errors.insert("registration_code", "registry-error-registration-code");
    }
    let required = |value: &str, field: &'static str, errors: &mut FieldErrors| {
        let value = normalize(value);
        if value.is_empty() || value.chars().count() > 300 {
            errors.insert(field, "registry-error-required");
        }
        value
    };
    let name = required(&form.name, "name", &mut errors);
    let representative = required(&form.representative, "representative", &mut errors);
    let address = required(&form.address, "address", &mut errors);
    let commune_code = form.commune_code.trim().to_string();
    if !crate::units::is_plausible_code(&commune_code) {
        errors.insert("commune_code", "registry-error-commune");
    }
    let phone = check_phone(&form.phone).unwrap_or_else(|key| {
        errors.insert("phone", key);
        None
    });
    let email = match form.email.trim() {
        "" => None,
        text => match normalize_email(text) {
            Some(email) => Some(email),
            None => {
                errors.insert("email", "registry-error-email");
                None
            }
        },
    };
    let count = |text: &str, field: &'static str, errors: &mut FieldErrors| match text.trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(n) if n <= 1_000_000 => Some(n),
            _ => {
                errors.insert(field, "registry-error-count");
                None
            }
        },
    };
    let members = count(&form.members, "members", &mut errors);
    let workers = count(&form.workers, "workers", &mut errors);
    let founded_on = match form.founded_on.trim() {
        "" => None,
        text => match NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        {
            Ok(date) if date <= today && date.year_ce().1 >= 1900 => Some(date),
            _ => {
                errors.insert("founded_on", "registry-error-date");
                None
            }
        },
    };
    match (errors.is_empty(), kind) {
        (true, Some(kind)) => Ok(EntityDraft {
            kind,
            legal_form,
            registration_code,
            name,
            representative,
            address,
            commune_code,
            phone,
            email,
            women_led: checkbox(&form.women_led),
            ethnic_minority_led: checkbox(&form.ethnic_minority_led),
            members,
            workers,
            founded_on,
        }),
        _ => Err(errors),
    }
}

/// Checks an edit of a registered entity: the rules of a registration, and the commune stays.
/// Moving an entity to another commune changes who has jurisdiction over it and its dossiers,
/// so it is not an edit; a form may leave the commune out or repeat the current one.
pub fn check_entity_edit(
    form: &EntityForm,
    commune_code: &str,
    today: NaiveDate,
) -> Result<EntityDraft, FieldErrors> {
    let sent = form.commune_code.trim();
    let moved = !sent.is_empty() && sent != commune_code;
    let form = EntityForm {
        commune_code: commune_code.to_string(),
        ..form.clone()
    };
    let checked = check_entity(&form, today);
    match (checked, moved) {
        (Ok(draft), false) => Ok(draft),
        (Ok(_), true) => Err(FieldErrors::from([(
            "commune_code",
            "registry-error-commune-fixed",
        )])),
        (Err(mut errors), moved) => {
            if moved {
                errors.insert("commune_code", "registry-error-commune-fixed");
            }
            Err(errors)
        }
    }
}

/// The fields that identify an entity to the commune that confirmed it.
pub const IDENTITY_FIELDS: [&str; 5] = [
    "kind",
    "legal_form",
    "registration_code",
    "name",
    "representative",
];

/// An entity's status after an edit: when its producer changes what identifies it, a confirmed
/// entity goes back to the commune for confirmation; officers' edits, and other fields, keep it.
pub fn status_after_edit<'a>(
    status: EntityStatus,
    editor: Role,
    changed: impl IntoIterator<Item = &'a str>,
) -> EntityStatus {
    let identity_changed = changed
        .into_iter()
        .any(|field| IDENTITY_FIELDS.contains(&field));
    if editor == Role::Producer && identity_changed {
        EntityStatus::Pending
    } else {
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn good() -> EntityForm {
        EntityForm {
            kind: "cooperative".into(),
            registration_code: "3600123456".into(),
            name: "  Hợp tác xã   Nông nghiệp Xuân Lộc ".into(),
            representative: "Nguyễn Văn Bình".into(),
            address: "Ấp 3, xã Xuân Lộc".into(),
            commune_code: "26041".into(),
            phone: "0912 345 678".into(),
            email: "HTX@example.vn".into(),
            women_led: Some("on".into()),
            members: "25".into(),
            founded_on: "15/03/2015".into(),
            ..EntityForm::default()
        }
    }

    #[test]
    fn a_good_registration_is_normalized() {
        let draft = check_entity(&good(), today()).unwrap();
        assert_eq!(draft.name, "Hợp tác xã Nông nghiệp Xuân Lộc");
        assert_eq!(draft.kind, EntityType::Cooperative);
        assert_eq!(draft.email.as_deref(), Some("htx@example.vn"));
        assert!(draft.women_led && !draft.ethnic_minority_led);
        assert_eq!(draft.members, Some(25));
        assert_eq!(draft.founded_on, NaiveDate::from_ymd_opt(2015, 3, 15));
    }

    #[test]
    fn each_problem_is_reported_at_its_field() {
        let form = EntityForm {
            kind: "company".into(),
            legal_form: "partnership".into(),
            registration_code: "12".into(),
            name: " ".into(),
            commune_code: "../x".into(),
            phone: "gọi tôi".into(),
            email: "no".into(),
            members: "-3".into(),
            founded_on: "2030-01-01".into(),
            ..good()
        };
        let errors = check_entity(&form, today()).unwrap_err();
        let fields: Vec<&str> = errors.keys().copied().collect();
        assert_eq!(
            fields,
            vec![
                "commune_code",
                "email",
                "founded_on",
                "legal_form",
                "members",
                "name",
                "phone",
                "registration_code"
            ]
        );
        let unknown = EntityForm {
            kind: "farm".into(),
            ..good()
        };
        assert_eq!(
            check_entity(&unknown, today()).unwrap_err().get("kind"),
            Some(&"registry-error-kind")
        );
    }
}

/// A product as a form submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ProductForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub product_set: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub raw_material_area: String,
    #[serde(default)]
    pub trademark: String,
    #[serde(default)]
    pub gtin: String,
    #[serde(default)]
    pub sales_channels: String,
    #[serde(default)]
    pub export_markets: String,
}

/// A checked product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductDraft {
    pub name: String,
    /// The criteria version in force when registered, and the product set within it.
    pub criteria_version: String,
    pub product_set: String,
    pub description: String,
    pub raw_material_area: Option<String>,
    pub trademark: Option<String>,
    pub gtin: Option<String>,
    pub sales_channels: Vec<String>,
    pub export_markets: Vec<String>,
}

/// Whether `digits` is a valid GTIN-8, -12, -13 or -14 (GS1 mod-10 check digit).
pub fn valid_gtin(digits: &str) -> bool {
    if !matches!(digits.len(), 8 | 12 | 13 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = values.split_at(values.len() - 1);
    // From the right of the body, weights alternate 3, 1, 3, …
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, v)| if i % 2 == 0 { v * 3 } else { *v })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

fn list(text: &str) -> Vec<String> {
    text.split([',', ';', '\n'])
        .map(normalize)
        .filter(|item| !item.is_empty())
        .collect()
}

/// Checks a product against the criteria version in force (`sets` are its product set codes).
pub fn check_product(
    form: &ProductForm,
    criteria_version: &str,
    sets: &[&str],
) -> Result<ProductDraft, FieldErrors> {
    check_product_record(form, criteria_version, sets, true)
}

/// The rules of a product, with or without a description: a producer registering one describes
/// it; a province's old workbooks often have no description to bring in.
pub fn check_product_record(
    form: &ProductForm,
    criteria_version: &str,
    sets: &[&str],
    description_required: bool,
) -> Result<ProductDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = normalize(&form.name);
    if name.is_empty() || name.chars().count() > 300 {
        errors.insert("name", "registry-error-required");
    }
    let product_set = form.product_set.trim().to_string();
    if !sets.contains(&product_set.as_str()) {
        errors.insert("product_set", "registry-error-product-set");
    }
    let description = normalize(&form.description);
    if description.is_empty() && description_required {
        errors.insert("description", "registry-error-required");
    }
    let optional = |text: &str| {
        let text = normalize(text);
        (!text.is_empty()).then_some(text)
    };
    let gtin = optional(&form.gtin).map(|g| g.replace(' ', ""));
    if gtin.as_deref().is_some_and(|g| !valid_gtin(g)) {
        errors.insert("gtin", "registry-error-gtin");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ProductDraft {
        name,
        criteria_version: criteria_version.to_string(),
        product_set,
        description,
        raw_material_area: optional(&form.raw_material_area),
        trademark: optional(&form.trademark),
        gtin,
        sales_channels: list(&form.sales_channels),
        export_markets: list(&form.export_markets),
    })
}

/// Checks an edit of a product: the rules of a registration within the product's own criteria
/// version (`sets`). The product set chooses the scoring sheet, so it stays once a dossier has
/// been opened (`has_dossiers`).
pub fn check_product_edit(
    form: &ProductForm,
    criteria_version: &str,
    sets: &[&str],
    current_set: &str,
    has_dossiers: bool,
) -> Result<ProductDraft, FieldErrors> {
    let set_changed = form.product_set.trim() != current_set;
    let checked = check_product(form, criteria_version, sets);
    match (checked, set_changed && has_dossiers) {
        (Ok(draft), false) => Ok(draft),
        (Ok(_), true) => Err(FieldErrors::from([(
            "product_set",
            "registry-error-product-set-locked",
        )])),
        (Err(mut errors), locked) => {
            if locked {
                errors.insert("product_set", "registry-error-product-set-locked");
            }
            Err(errors)
        }
    }
}

/// The product code after the 2025 reform: `{province}-{commune}-{seq}-{year}` (legacy codes,
/// imported later, keep their own form).
pub fn product_code(province: &str, commune: &str, seq: u32, year: i32) -> String {
    format!("{province}-{commune}-{seq}-{year}")
}

#[cfg(test)]
mod product_tests {
    use super::*;

    #[test]
    fn gtin_check_digits() {
        for good in [
            "8934563138165",
            "4006381333931",
            "96385074",
            "036000291452",
            "10012345000017",
        ] {
            assert!(valid_gtin(good), "{good}");
        }
        for bad in ["8934563138166", "123", "89345631381a5", ""] {
            assert!(!valid_gtin(bad), "{bad}");
        }
    }

    #[test]
    fn products_are_checked_against_the_version_in_force() {
        let form = ProductForm {
            name: " Sầu riêng  Ri6 Long Khánh ".into(),
            product_set: "P01".into(),
            description: "Sầu riêng tươi, cơm vàng, hạt lép".into(),
            gtin: "8934563138165".into(),
            sales_channels: "siêu thị, sàn TMĐT; điểm bán OCOP".into(),
            ..ProductForm::default()
        };
        let draft = check_product(&form, "148-1489", &["P01", "P02"]).unwrap();
        assert_eq!(draft.name, "Sầu riêng Ri6 Long Khánh");
        assert_eq!(
            draft.sales_channels,
            vec!["siêu thị", "sàn TMĐT", "điểm bán OCOP"]
        );
        assert_eq!(product_code("75", "26041", 3, 2026), "75-26041-3-2026");
        let bad = ProductForm {
            product_set: "P99".into(),
            gtin: "123".into(),
            description: " ".into(),
            ..form
        };
        let errors = check_product(&bad, "148-1489", &["P01"]).unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            vec!["description", "gtin", "product_set"]
        );
    }
}

/// Certifications a product may hold.
pub const CERTIFICATION_KINDS: [&str; 8] = [
    "vietgap",
    "globalgap",
    "organic",
    "haccp",
    "iso_22000",
    "iso_9001",
    "fssc_22000",
    "other",
];

/// A certification as a form submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CertificationForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
}

/// A checked certification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificationDraft {
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
}

fn day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// Checks a certification: a known kind, a number, an issuer, and a validity that ends after it
/// starts.
pub fn check_certification(form: &CertificationForm) -> Result<CertificationDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let kind = form.kind.trim().to_string();
    if !CERTIFICATION_KINDS.contains(&kind.as_str()) {
        errors.insert("kind", "registry-error-certification-kind");
    }
    let number = normalize(&form.number);
    if number.is_empty() {
        errors.insert("number", "registry-error-required");
    }
    let issuer = normalize(&form.issuer);
    if issuer.is_empty() {
        errors.insert("issuer", "registry-error-required");
    }
    let valid_from = day(&form.valid_from);
    let valid_to = day(&form.valid_to);
    if valid_from.is_none() {
        errors.insert("valid_from", "registry-error-date");
    }
    match (valid_from, valid_to) {
        (_, None) => {
            errors.insert("valid_to", "registry-error-date");
        }
        (Some(from), Some(to)) if to <= from => {
            errors.insert("valid_to", "registry-error-validity");
        }
        _ => {}
    }
    match (errors.is_empty(), valid_from, valid_to) {
        (true, Some(valid_from), Some(valid_to)) => Ok(CertificationDraft {
            kind,
            number,
            issuer,
            valid_from,
            valid_to,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod edit_tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn entity() -> EntityForm {
        EntityForm {
            kind: "household".into(),
            registration_code: "HKD-75-001".into(),
            name: "Hộ kinh doanh Bà Tư".into(),
            representative: "Trần Thị Tư".into(),
            address: "Ấp 2".into(),
            ..EntityForm::default()
        }
    }

    #[test]
    fn an_edit_keeps_the_commune() {
        let draft = check_entity_edit(&entity(), "26041", today()).unwrap();
        assert_eq!(draft.commune_code, "26041");
        let same = EntityForm {
            commune_code: " 26041 ".into(),
            ..entity()
        };
        assert!(check_entity_edit(&same, "26041", today()).is_ok());
        let moved = EntityForm {
            commune_code: "26044".into(),
            ..entity()
        };
        assert_eq!(
            check_entity_edit(&moved, "26041", today()).unwrap_err(),
            FieldErrors::from([("commune_code", "registry-error-commune-fixed")])
        );
        let moved_and_nameless = EntityForm {
            name: String::new(),
            ..moved
        };
        let errors = check_entity_edit(&moved_and_nameless, "26041", today()).unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["commune_code", "name"]
        );
    }

    #[test]
    fn a_producer_changing_its_identity_is_confirmed_again() {
        use EntityStatus::{Confirmed, Pending};
        assert_eq!(
            status_after_edit(Confirmed, Role::Producer, ["phone", "name"]),
            Pending
        );
        assert_eq!(
            status_after_edit(Confirmed, Role::Producer, ["phone", "workers"]),
            Confirmed
        );
        assert_eq!(
            status_after_edit(Confirmed, Role::CommuneOfficer, ["registration_code"]),
            Confirmed
        );
        assert_eq!(
            status_after_edit(Pending, Role::CommuneOfficer, ["name"]),
            Pending
        );
        for field in IDENTITY_FIELDS {
            assert_eq!(
                status_after_edit(Confirmed, Role::Producer, [field]),
                Pending
            );
        }
    }

    #[test]
    fn the_product_set_stays_once_a_dossier_exists() {
        let form = ProductForm {
            name: "Bưởi".into(),
            product_set: "P02".into(),
            description: "Bưởi da xanh".into(),
            ..ProductForm::default()
        };
        let sets = ["P01", "P02"];
        assert!(check_product_edit(&form, "148-1489", &sets, "P01", false).is_ok());
        assert_eq!(
            check_product_edit(&form, "148-1489", &sets, "P01", true).unwrap_err(),
            FieldErrors::from([("product_set", "registry-error-product-set-locked")])
        );
        assert!(check_product_edit(&form, "148-1489", &sets, "P02", true).is_ok());
        let unknown = ProductForm {
            product_set: "P77".into(),
            ..form
        };
        assert_eq!(
            check_product_edit(&unknown, "148-1489", &sets, "P01", true)
                .unwrap_err()
                .get("product_set"),
            Some(&"registry-error-product-set-locked")
        );
    }
}

#[cfg(test)]
mod certification_tests {
    use super::*;

    #[test]
    fn certifications_need_a_kind_a_number_an_issuer_and_a_real_validity() {
        let form = CertificationForm {
            kind: "vietgap".into(),
            number: " VietGAP-TT-19-05-75-0012 ".into(),
            issuer: "Trung tâm Chứng nhận Phù hợp QUACERT".into(),
            valid_from: "01/03/2024".into(),
            valid_to: "2027-02-28".into(),
        };
        let draft = check_certification(&form).unwrap();
        assert_eq!(draft.number, "VietGAP-TT-19-05-75-0012");
        assert_eq!(
            draft.valid_to,
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
        let backwards = CertificationForm {
            valid_to: "01/01/2024".into(),
            kind: "gmp".into(),
            ..form
        };
        let errors = check_certification(&backwards).unwrap_err();
        assert_eq!(errors.get("valid_to"), Some(&"registry-error-validity"));
        assert_eq!(
            errors.get("kind"),
            Some(&"registry-error-certification-kind")
        );
    }
}
