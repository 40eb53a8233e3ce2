//! One data row checked into the record it describes, or every problem it has, each naming the
//! row, the column, the value and the fix (a message id). The registry's own checks decide what
//! an entity or a product must be; this reads cells into their forms and adds what a file can
//! get wrong that a form cannot (a place of the old map, a star written "3 sao", a date in the
//! future).

use chrono::NaiveDate;

use super::cells::{CellError, ProductCode, parse_date_text, parse_stars};
use super::columns::Row;
use super::places::{Gazetteer, PlaceText};
use super::read::Cell;
use crate::criteria::{Catalog, EntityType, Level, Score};
use crate::registry::{self, EntityDraft, EntityForm, FieldErrors, ProductDraft, ProductForm};
use crate::rounds::decision::DecisionNumber;
use crate::text::{fold, normalize};

/// One problem of one row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    /// The row's number in the file (as Excel shows it).
    pub row: usize,
    /// The column's key (see [`super::columns::Column::key`]).
    pub column: String,
    /// The value as the file holds it.
    pub value: String,
    /// The message id: what is wrong and how to fix it.
    pub message: String,
    /// What the message names (candidates, the other row, allowed values).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Collects a row's problems.
#[derive(Debug)]
pub struct Problems<'a> {
    row: &'a Row<'a>,
    pub errors: Vec<RowError>,
}

impl<'a> Problems<'a> {
    pub fn new(row: &'a Row<'a>) -> Problems<'a> {
        Problems {
            row,
            errors: Vec::new(),
        }
    }

    pub fn add(&mut self, column: &str, message: &str, detail: impl Into<String>) {
        if self.errors.iter().any(|e| e.column == column) {
            return;
        }
        self.errors.push(RowError {
            row: self.row.number,
            column: column.to_string(),
            value: self.row.text(column),
            message: message.to_string(),
            detail: detail.into(),
        });
    }

    /// The registry's field errors, each against the column of the same name (the place's
    /// code against the columns it came from).
    fn add_fields(&mut self, errors: &FieldErrors) {
        for (field, message) in errors {
            let column = match *field {
                "commune_code" if !self.row.has_column("commune_code") => "commune",
                field => field,
            };
            self.add(column, message, "");
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A date cell: a date, an Excel day number, or text (day first). A year alone is its 1 January
/// when `year_alone` (a "Năm thành lập" column).
fn date_cell(cell: &Cell, year_alone: bool) -> Result<Option<NaiveDate>, CellError> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(day) => Ok(Some(*day)),
        Cell::Number(n) if year_alone && (1900.0..=2100.0).contains(n) && n.fract() == 0.0 => {
            Ok(NaiveDate::from_ymd_opt(*n as i32, 1, 1))
        }
        Cell::Number(n) => super::cells::excel_day(*n).map(Some),
        Cell::Text(text) if text.trim().is_empty() => Ok(None),
        Cell::Text(text) => {
            let text = text.trim();
            if year_alone
                && text.len() == 4
                && let Ok(year) = text.parse::<i32>()
            {
                return NaiveDate::from_ymd_opt(year, 1, 1)
                    .filter(|_| (1900..=2100).contains(&year))
                    .map(Some)
                    .ok_or(CellError::Date);
            }
            parse_date_text(text).map(Some)
        }
        Cell::Bool(_) | Cell::Error(_) => Err(CellError::Date),
    }
}

/// Yes or no as people mark it: `Có`, `x`, `1`, `TRUE` / `Không`, `0`, `FALSE`, empty.
fn yes_no(cell: &Cell) -> Option<bool> {
    match cell {
        Cell::Empty => Some(false),
        Cell::Bool(b) => Some(*b),
        Cell::Number(n) => (*n == 0.0 || *n == 1.0).then_some(*n == 1.0),
        other => match fold(&other.text()).as_str() {
            "" | "khong" | "0" | "false" | "no" | "sai" | "-" => Some(false),
            "co" | "x" | "1" | "true" | "yes" | "dung" | "v" => Some(true),
            _ => None,
        },
    }
}

/// An entity type as workbooks write it.
pub fn entity_type(text: &str) -> Option<EntityType> {
    let folded = fold(text);
    let words = folded.as_str();
    if let Some(kind) = EntityType::parse(text.trim()) {
        return Some(kind);
    }
    let kind = match words {
        "htx" | "hop tac xa" => EntityType::Cooperative,
        "tht" | "to hop tac" => EntityType::CooperativeGroup,
        "dn" | "doanh nghiep" | "cong ty" => EntityType::Company,
        "ho kinh doanh" | "ho san xuat" | "ho gia dinh" | "ho" | "hkd" | "ho sxkd"
        | "co so san xuat" => EntityType::Household,
        _ if words.starts_with("hop tac xa") || words.starts_with("htx ") => {
            EntityType::Cooperative
        }
        _ if words.starts_with("to hop tac") => EntityType::CooperativeGroup,
        _ if words.starts_with("cong ty") || words.starts_with("doanh nghiep") => {
            EntityType::Company
        }
        _ if words.starts_with("ho ") => EntityType::Household,
        _ => return None,
    };
    Some(kind)
}

/// An enterprise's legal form from its column, or else from its name ("Công ty TNHH …").
fn legal_form(text: &str, name: &str) -> String {
    let read = |text: &str| -> Option<&'static str> {
        let folded = fold(text);
        if registry::LEGAL_FORMS.contains(&text.trim()) {
            return registry::LEGAL_FORMS
                .iter()
                .copied()
                .find(|f| *f == text.trim());
        }
        if folded.contains("tu nhan") || folded.starts_with("dntn") {
            Some("private")
        } else if folded.contains("co phan") {
            Some("joint_stock")
        } else if folded.contains("mot thanh vien")
            || folded.contains("1 thanh vien")
            || folded.contains("mtv")
        {
            Some("llc_one_member")
        } else if folded.contains("tnhh") || folded.contains("trach nhiem huu han") {
            Some("llc_multi_member")
        } else {
            None
        }
    };
    read(text)
        .or_else(|| {
            if text.trim().is_empty() {
                read(name)
            } else {
                None
            }
        })
        .map(str::to_string)
        .unwrap_or_else(|| text.trim().to_string())
}

/// Checks an entity row; its place is resolved within today's province `province`.
pub fn entity(
    row: &Row<'_>,
    places: &Gazetteer,
    province: &str,
    today: NaiveDate,
) -> Result<EntityDraft, Vec<RowError>> {
    let mut problems = Problems::new(row);
    let kind_text = row.text("kind");
    let kind = entity_type(&kind_text);
    if kind.is_none() {
        problems.add("kind", "import-error-kind", "");
    }
    let place = PlaceText {
        commune_code: row.text("commune_code"),
        commune: row.text("commune"),
        district: row.text("district"),
        province: row.text("province"),
        address: row.text("address"),
    };
    let commune_code = match places.resolve(province, &place) {
        Ok(resolved) => resolved.commune_code,
        Err(error) => {
            let column = if row.has_column("commune_code") && !place.commune_code.is_empty() {
                "commune_code"
            } else if row.has_column("commune") {
                "commune"
            } else {
                "address"
            };
            let detail = match &error {
                super::places::PlaceError::Ambiguous(candidates) => candidates.join("; "),
                super::places::PlaceError::OtherProvince(name) => name.clone(),
                _ => String::new(),
            };
            problems.add(column, error.message_id(), detail);
            String::new()
        }
    };
    let mut flag = |column: &'static str| match yes_no(row.cell(column)) {
        Some(true) => Some("on".to_string()),
        Some(false) => None,
        None => {
            problems.add(column, "import-error-yes-no", "");
            None
        }
    };
    let women_led = flag("women_led");
    let ethnic_minority_led = flag("ethnic_minority_led");
    let founded_on = match date_cell(row.cell("founded_on"), true) {
        Ok(day) => day
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Err(_) => {
            problems.add("founded_on", "import-error-date", "");
            String::new()
        }
    };
    let name = row.text("name");
    let form = EntityForm {
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        legal_form: legal_form(&row.text("legal_form"), &name),
        registration_code: row.text("registration_code"),
        name,
        representative: row.text("representative"),
        address: row.text("address"),
        commune_code: if commune_code.is_empty() {
            "00000".into()
        } else {
            commune_code
        },
        phone: row.text("phone"),
        email: row.text("email"),
        women_led,
        ethnic_minority_led,
        members: row.text("members"),
        workers: row.text("workers"),
        founded_on: founded_on.clone(),
    };
    match registry::check_entity(&form, today) {
        Ok(draft) if problems.is_empty() => Ok(draft),
        Ok(_) => Err(problems.errors),
        Err(mut errors) => {
            // A date the file gave is checked above; a kind unknown is reported once.
            if kind.is_none() {
                errors.remove("kind");
                errors.remove("legal_form");
            }
            if founded_on.is_empty() {
                errors.remove("founded_on");
            }
            problems.add_fields(&errors);
            Err(problems.errors)
        }
    }
}

/// A product row as read: its draft, the code the file gives (either form), and how its entity
/// is named (a registration code, or else a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    pub draft: ProductDraft,
    pub code: Option<ProductCode>,
    pub registration_code: String,
    pub entity_name: String,
}

/// A product set as written: `P03`, `P03 – Chế biến từ hạt`, or the set's name.
pub fn product_set(text: &str, sets: &[(&str, &str)]) -> Option<String> {
    let text = text.trim();
    let head: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    if let Some((code, _)) = sets.iter().find(|(code, _)| *code == head) {
        return Some(code.to_string());
    }
    let folded = fold(text);
    sets.iter()
        .find(|(_, name)| fold(name) == folded)
        .map(|(code, _)| code.to_string())
}

/// Checks a product row against the criteria version in force (`sets`: its set codes and names).
pub fn product(
    row: &Row<'_>,
    province: &str,
    criteria_version: &str,
    sets: &[(&str, &str)],
) -> Result<ProductRow, Vec<RowError>> {
    let mut problems = Problems::new(row);
    let code_text = row.text("code");
    let code = match code_text.as_str() {
        "" => None,
        text => match ProductCode::parse(text) {
            Ok(code) if code.province != province && !code.is_legacy() => {
                problems.add("code", "import-error-code-province", province);
                None
            }
            Ok(code) => Some(code),
            Err(error) => {
                problems.add("code", error.message_id(), "");
                None
            }
        },
    };
    let set_text = row.text("product_set");
    let set = product_set(&set_text, sets);
    if set.is_none() && !set_text.is_empty() {
        problems.add("product_set", "import-error-product-set", "");
    }
    let registration_code = row.text("registration_code").to_uppercase();
    let entity_name = normalize(&row.text("entity_name"));
    if registration_code.is_empty() && entity_name.is_empty() {
        problems.add("registration_code", "import-error-entity-missing", "");
    }
    let form = ProductForm {
        name: row.text("name"),
        product_set: set.clone().unwrap_or_default(),
        description: row.text("description"),
        raw_material_area: row.text("raw_material_area"),
        trademark: row.text("trademark"),
        gtin: row.text("gtin"),
        sales_channels: row.text("sales_channels"),
        export_markets: row.text("export_markets"),
    };
    let codes: Vec<&str> = sets.iter().map(|(code, _)| *code).collect();
    match registry::check_product_record(&form, criteria_version, &codes, false) {
        Ok(draft) if problems.is_empty() => Ok(ProductRow {
            draft,
            code,
            registration_code,
            entity_name,
        }),
        Ok(_) => Err(problems.errors),
        Err(mut errors) => {
            if set.is_none() && !set_text.is_empty() {
                errors.remove("product_set");
            }
            problems.add_fields(&errors);
            Err(problems.errors)
        }
    }
}

/// How a recognition or a council result names its product: a code (either form), or else a
/// name with its entity's registration code.
fn product_reference(
    row: &Row<'_>,
    problems: &mut Problems<'_>,
) -> (Option<ProductCode>, String, String) {
    let product_code = match row.text("product_code").as_str() {
        "" => None,
        text => ProductCode::parse(text)
            .map_err(|error| problems.add("product_code", error.message_id(), ""))
            .ok(),
    };
    let product_name = normalize(&row.text("product_name"));
    let registration_code = row.text("registration_code").to_uppercase();
    if row.text("product_code").is_empty()
        && (product_name.is_empty() || registration_code.is_empty())
    {
        problems.add("product_code", "import-error-product-missing", "");
    }
    (product_code, product_name, registration_code)
}

/// A day of the programme's past (a decision, a council meeting): given, not in the future,
/// not before the programme began in 2018.
fn programme_date(
    row: &Row<'_>,
    column: &str,
    today: NaiveDate,
    problems: &mut Problems<'_>,
) -> Option<NaiveDate> {
    match date_cell(row.cell(column), false) {
        Ok(Some(day)) if day > today => {
            problems.add(column, "import-error-date-future", "");
            None
        }
        Ok(Some(day)) if day < NaiveDate::from_ymd_opt(2018, 1, 1).unwrap_or(day) => {
            problems.add(column, "import-error-date-before-programme", "");
            None
        }
        Ok(Some(day)) => Some(day),
        Ok(None) => {
            problems.add(column, "import-error-empty", "");
            None
        }
        Err(error) => {
            problems.add(column, error.message_id(), "");
            None
        }
    }
}

/// A historical recognition as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    pub product_code: Option<ProductCode>,
    pub product_name: String,
    pub registration_code: String,
    pub stars: u8,
    pub score: Option<Score>,
    pub decision_number: DecisionNumber,
    pub decision_date: NaiveDate,
    pub level: Level,
    pub criteria_version: String,
    pub expires_on: NaiveDate,
    /// The number on the paper certificate, kept as written.
    pub certificate_number: Option<String>,
}

/// Who recognised, as written: `Tỉnh`, `UBND tỉnh`, `Trung ương`, `Bộ`, `Huyện`.
fn level(text: &str) -> Option<Level> {
    let folded = fold(text);
    if let Some(level) = Level::parse(text.trim()) {
        return Some(level);
    }
    if folded.contains("trung uong")
        || folded.starts_with("bo")
        || folded == "tw"
        || folded.contains("quoc gia")
    {
        Some(Level::Ministry)
    } else if folded.contains("tinh") || folded.contains("thanh pho truc thuoc") {
        Some(Level::Province)
    } else if folded.contains("huyen") {
        Some(Level::District)
    } else {
        None
    }
}

/// A decision number as old lists type it: `1234/qd-ubnd`, `1234/QD-UBND` (no Đ on the
/// keyboard), `Số 1234/QĐ-UBND` — as the administrative form writes it, `1234/QĐ-UBND`.
fn decision_text(text: &str) -> String {
    let text = text.trim();
    let text = text
        .strip_prefix("Số ")
        .or_else(|| text.strip_prefix("số "))
        .unwrap_or(text)
        .trim();
    match text.split_once('/') {
        Some((number, rest)) => {
            let rest = rest.to_uppercase();
            let rest = match rest.strip_prefix("QD-") {
                Some(issuer) => format!("QĐ-{issuer}"),
                None => rest,
            };
            format!("{}/{rest}", number.trim())
        }
        None => text.to_string(),
    }
}

/// Checks a recognition row. The version is the one in force on the decision's date.
pub fn certificate(
    row: &Row<'_>,
    catalog: &Catalog,
    today: NaiveDate,
) -> Result<CertificateRow, Vec<RowError>> {
    let mut problems = Problems::new(row);
    let (product_code, product_name, registration_code) = product_reference(row, &mut problems);
    let stars = match row.cell("stars") {
        Cell::Number(n) if n.fract() == 0.0 && (0.0..=9.0).contains(n) => {
            parse_stars(&format!("{}", *n as i64))
        }
        cell => parse_stars(&cell.text()),
    }
    .map_err(|error| problems.add("stars", error.message_id(), ""))
    .ok();
    let score = match row.cell("score") {
        Cell::Empty => None,
        Cell::Number(n) if (0.0..=100.0).contains(n) => {
            Some(Score::from_centi((n * 100.0).round() as i64))
        }
        cell => match Score::parse(&cell.text()) {
            Some(score) => Some(score),
            None => {
                problems.add("score", "import-error-score", "");
                None
            }
        },
    };
    let decision_number = DecisionNumber::parse(&decision_text(&row.text("decision_number")));
    if decision_number.is_none() {
        problems.add("decision_number", "import-error-decision-number", "");
    }
    let decision_date = programme_date(row, "decision_date", today, &mut problems);
    let version = decision_date.and_then(|day| {
        catalog
            .in_force_on(day)
            .or_else(|| catalog.versions().first())
    });
    let level_text = row.text("level");
    let level = match (level_text.as_str(), stars) {
        ("", Some(5)) => Some(Level::Ministry),
        ("", _) => Some(Level::Province),
        (text, _) => level(text),
    };
    match (level, stars, decision_date) {
        (None, _, _) => problems.add("level", "import-error-level", ""),
        (Some(Level::Ministry), Some(stars), _) if stars < 5 => {}
        (Some(Level::Province | Level::District), Some(5), _) => {
            problems.add("level", "import-error-five-stars-ministry", "")
        }
        (Some(Level::District), _, Some(day)) if day >= crate::rounds::legacy_before() => {
            problems.add("level", "import-error-district-after-reform", "")
        }
        (Some(Level::Commune), _, _) => problems.add("level", "import-error-level", ""),
        _ => {}
    }
    if let (Some(version), Some(score), Some(stars)) = (version, score, stars)
        && version.stars_for(score) < stars
    {
        problems.add(
            "score",
            "import-error-score-below-stars",
            format!("{stars}"),
        );
    }
    let expires_on = match (
        date_cell(row.cell("valid_until"), false),
        decision_date,
        version,
    ) {
        (Ok(Some(until)), Some(from), _) if until <= from => {
            problems.add("valid_until", "import-error-valid-until", "");
            None
        }
        (Ok(Some(until)), _, _) => Some(until),
        (Ok(None), Some(from), Some(version)) => Some(crate::certificates::expiry_of(
            from,
            version.certificate_validity_months,
        )),
        (Ok(None), _, _) => None,
        (Err(error), _, _) => {
            problems.add("valid_until", error.message_id(), "");
            None
        }
    };
    let certificate_number =
        Some(normalize(&row.text("certificate_number"))).filter(|n| !n.is_empty());
    if certificate_number
        .as_ref()
        .is_some_and(|n| n.chars().count() > 60)
    {
        problems.add("certificate_number", "import-error-too-long", "60");
    }
    match (
        stars,
        decision_number,
        decision_date,
        level,
        version,
        expires_on,
    ) {
        (Some(stars), Some(number), Some(date), Some(level), Some(version), Some(expires))
            if problems.is_empty() =>
        {
            Ok(CertificateRow {
                product_code,
                product_name,
                registration_code,
                stars,
                score,
                decision_number: number,
                decision_date: date,
                level,
                criteria_version: version.id.clone(),
                expires_on: expires,
                certificate_number,
            })
        }
        _ => {
            if problems.is_empty() {
                problems.add("decision_date", "import-error-empty", "");
            }
            Err(problems.errors)
        }
    }
}

/// A council's result of before the system, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationRow {
    pub product_code: Option<ProductCode>,
    pub product_name: String,
    pub registration_code: String,
    pub meeting_date: NaiveDate,
    pub level: Level,
    pub criteria_version: String,
    /// The council's result: the file's total, or else the parts' sum or the members' mean.
    pub score: Score,
    pub stars: u8,
    pub outcome: crate::rounds::decision::ProductOutcome,
    /// Parts A, B, C when the file has all three.
    pub parts: Option<[Score; 3]>,
    /// Each member's total, in the file's order.
    pub members: Vec<Score>,
}

/// A score cell: a number or text such as `72,5`.
fn score_cell(cell: &Cell) -> Result<Option<Score>, ()> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(n) if (0.0..=100.0).contains(n) => {
            Ok(Some(Score::from_centi((n * 100.0).round() as i64)))
        }
        Cell::Number(_) => Err(()),
        other => match other.text().as_str() {
            "" => Ok(None),
            text => Score::parse(text).map(Some).ok_or(()),
        },
    }
}

/// Checks a council result row: its total agrees with its parts and its members' mean (the
/// engine's rounding), and its stars with the band of the version in force on the meeting day.
pub fn evaluation(
    row: &Row<'_>,
    catalog: &Catalog,
    today: NaiveDate,
) -> Result<EvaluationRow, Vec<RowError>> {
    let mut problems = Problems::new(row);
    let (product_code, product_name, registration_code) = product_reference(row, &mut problems);
    let meeting_date = programme_date(row, "meeting_date", today, &mut problems);
    let level = match row.text("level").as_str() {
        "" => Some(Level::Province),
        text => level(text),
    };
    match (level, meeting_date) {
        (None | Some(Level::Commune), _) => problems.add("level", "import-error-level", ""),
        (Some(Level::District), Some(day)) if day >= crate::rounds::legacy_before() => {
            problems.add("level", "import-error-district-after-reform", "")
        }
        _ => {}
    }
    let read = |column: &'static str, problems: &mut Problems<'_>| {
        score_cell(row.cell(column)).unwrap_or_else(|()| {
            problems.add(column, "import-error-score", "");
            None
        })
    };
    let total = read("score", &mut problems);
    let parts: Vec<Option<Score>> = ["part_a", "part_b", "part_c"]
        .into_iter()
        .map(|c| read(c, &mut problems))
        .collect();
    let members: Vec<Score> = (1..=super::columns::MEMBER_COLUMNS)
        .filter_map(|n| {
            let column: &'static str = super::columns::EVALUATION_COLUMNS
                .iter()
                .find(|c| c.key == format!("member_{n}"))
                .map_or("member_1", |c| c.key);
            read(column, &mut problems)
        })
        .collect();
    let parts = match parts.as_slice() {
        [Some(a), Some(b), Some(c)] => Some([*a, *b, *c]),
        [None, None, None] => None,
        _ => {
            problems.add("part_a", "import-error-parts-incomplete", "");
            None
        }
    };
    let sum = parts.map(|p| Score::from_centi(p.iter().map(|s| s.centi()).sum()));
    let mean = (!members.is_empty()).then(|| {
        Score::round_ratio(
            members.iter().map(|s| i128::from(s.centi())).sum::<i128>(),
            100 * members.len() as i128,
        )
    });
    let score = match (total, sum, mean) {
        (Some(total), Some(sum), _) if sum != total => {
            problems.add("score", "import-error-parts-sum", sum.to_string());
            None
        }
        (Some(total), _, Some(mean)) if mean != total => {
            problems.add("score", "import-error-members-mean", mean.to_string());
            None
        }
        (Some(total), _, _) => Some(total),
        (None, Some(sum), Some(mean)) if sum != mean => {
            problems.add("score", "import-error-members-mean", mean.to_string());
            None
        }
        (None, Some(sum), _) => Some(sum),
        (None, None, Some(mean)) => Some(mean),
        (None, None, None) => {
            problems.add("score", "import-error-evaluation-score", "");
            None
        }
    };
    if score.is_some_and(|s| s.centi() > 10_000) {
        problems.add("score", "import-error-score", "");
    }
    let version = meeting_date.and_then(|day| {
        catalog
            .in_force_on(day)
            .or_else(|| catalog.versions().first())
    });
    let stars_cell = row.cell("stars");
    let written_stars = match stars_cell {
        Cell::Empty => None,
        Cell::Number(n) if n.fract() == 0.0 && (0.0..=9.0).contains(n) => {
            Some(format!("{}", *n as i64))
        }
        cell => Some(cell.text()),
    };
    match (score, version, level, meeting_date) {
        (Some(score), Some(version), Some(level), Some(day)) if problems.is_empty() => {
            let (stars, outcome) =
                crate::rounds::decision::ProductOutcome::of_legacy(version, score);
            if let Some(text) = written_stars {
                // Below 3★ a council's result is a number, not a star: only 3–5 are compared.
                match parse_stars(&text) {
                    Ok(written) if written != stars => {
                        problems.add("stars", "import-error-stars-score", stars.to_string());
                        return Err(problems.errors);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        problems.add("stars", error.message_id(), "");
                        return Err(problems.errors);
                    }
                }
            }
            Ok(EvaluationRow {
                product_code,
                product_name,
                registration_code,
                meeting_date: day,
                level,
                criteria_version: version.id.clone(),
                score,
                stars,
                outcome,
                parts,
                members,
            })
        }
        _ => {
            if problems.is_empty() {
                problems.add("meeting_date", "import-error-empty", "");
            }
            Err(problems.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::columns::{Header, Kind, find_header};
    use crate::import::read::Table;

    fn table(rows: &[&[&str]]) -> Table {
        Table {
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, cells)| {
                    (
                        i + 1,
                        cells
                            .iter()
                            .map(|c| {
                                if c.is_empty() {
                                    Cell::Empty
                                } else {
                                    Cell::Text(c.to_string())
                                }
                            })
                            .collect(),
                    )
                })
                .collect(),
            encoding: "utf-8",
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    /// A recognitions sheet as a province keeps it: a merged title, the header on row 3, the
    /// stars a formula, dates as Excel dates, as day numbers and as text.
    fn workbook() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Chứng nhận").unwrap();
        sheet
            .merge_range(
                0,
                0,
                0,
                4,
                "DANH SÁCH SẢN PHẨM OCOP NĂM 2022",
                &Format::new().set_bold(),
            )
            .unwrap();
        for (column, header) in ["Mã sản phẩm", "Hạng sao", "Số QĐ", "Ngày QĐ", "Ghi chú"]
            .iter()
            .enumerate()
        {
            sheet.write_string(2, column as u16, *header).unwrap();
        }
        let day = Format::new().set_num_format("dd/mm/yyyy");
        sheet.write_string(3, 0, "70-702-25381-1-2022").unwrap();
        sheet
            .write_formula(3, 1, Formula::new("=2+2").set_result("4"))
            .unwrap();
        sheet.write_string(3, 2, "1234/QĐ-UBND").unwrap();
        sheet
            .write_datetime_with_format(3, 3, ExcelDateTime::from_ymd(2022, 12, 15).unwrap(), &day)
            .unwrap();
        sheet.write_string(4, 0, "70-702-25381-2-2022").unwrap();
        sheet.write_string(4, 1, "3 sao").unwrap();
        sheet.write_string(4, 2, "1234/QĐ-UBND").unwrap();
        sheet.write_number(4, 3, 44910.0).unwrap();
        sheet.write_string(5, 0, "70-702-25381-3-2022").unwrap();
        sheet.write_string(5, 1, "★★★").unwrap();
        sheet.write_string(5, 2, "1234/QĐ-UBND").unwrap();
        sheet.write_string(5, 3, "15/12/2022").unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_real_workbook_reads_with_its_title_formula_and_dates() {
        let catalog = Catalog::load(&crate::criteria::bundled_sources()).unwrap();
        let table = crate::import::read::read(&workbook(), "Chứng nhận").unwrap();
        assert_eq!(table.encoding, "xlsx");
        let header = find_header(Kind::Certificates, &table).unwrap();
        assert_eq!(header.row, 3);
        assert_eq!(header.unknown, vec!["Ghi chú"]);
        let rows: Vec<_> = crate::import::columns::data_rows(&table, &header).collect();
        let read: Vec<(u8, NaiveDate)> = rows
            .iter()
            .map(|row| {
                let r = certificate(row, &catalog, today()).unwrap();
                (r.stars, r.decision_date)
            })
            .collect();
        let day = NaiveDate::from_ymd_opt(2022, 12, 15).unwrap();
        assert_eq!(read, vec![(4, day), (3, day), (3, day)]);
    }

    #[test]
    fn entity_types_and_legal_forms_as_workbooks_write_them() {
        assert_eq!(entity_type("HTX"), Some(EntityType::Cooperative));
        assert_eq!(entity_type("Hợp tác xã"), Some(EntityType::Cooperative));
        assert_eq!(entity_type("Công ty TNHH"), Some(EntityType::Company));
        assert_eq!(entity_type("Hộ kinh doanh"), Some(EntityType::Household));
        assert_eq!(
            entity_type("Tổ hợp tác"),
            Some(EntityType::CooperativeGroup)
        );
        assert_eq!(entity_type("Trang trại"), None);
        assert_eq!(
            legal_form("", "Công ty TNHH MTV Hạt điều Bình Phước"),
            "llc_one_member"
        );
        assert_eq!(
            legal_form("", "Công ty Cổ phần Chè Tân Cương"),
            "joint_stock"
        );
        assert_eq!(legal_form("Doanh nghiệp tư nhân", ""), "private");
        assert_eq!(yes_no(&Cell::Text("x".into())), Some(true));
        assert_eq!(yes_no(&Cell::Text("Không".into())), Some(false));
        assert_eq!(yes_no(&Cell::Text("có lẽ".into())), None);
    }

    #[test]
    fn a_certificate_row_reads_stars_and_dates_as_written_and_refuses_the_impossible() {
        let catalog = Catalog::load(&crate::criteria::bundled_sources()).unwrap();
        let sheet = table(&[
            &[
                "Mã sản phẩm",
                "Số sao",
                "Điểm",
                "Số quyết định",
                "Ngày quyết định",
                "Cấp công nhận",
            ],
            &[
                "70-702-25219-1-2022",
                "4 sao",
                "72,5",
                "1234/QĐ-UBND",
                "15/12/2022",
                "",
            ],
            &[
                "70-702-25219-2-2022",
                "★★★★★★",
                "",
                "1234/QĐ-UBND",
                "15/12/2022",
                "",
            ],
            &[
                "70-702-25219-3-2022",
                "5",
                "95",
                "12/QĐ-UBND",
                "01/01/2027",
                "Tỉnh",
            ],
            &["70-702-25219-4-2022", "4", "61", "QĐ 12", "15/12/2022", ""],
        ]);
        let header: Header = find_header(Kind::Certificates, &sheet).unwrap();
        let rows: Vec<_> = crate::import::columns::data_rows(&sheet, &header).collect();
        let good = certificate(&rows[0], &catalog, today()).unwrap();
        assert_eq!(good.stars, 4);
        assert_eq!(good.score, Some(Score::from_centi(7250)));
        assert_eq!(good.level, Level::Province);
        assert_eq!(good.criteria_version, "1048");
        assert_eq!(
            good.expires_on,
            NaiveDate::from_ymd_opt(2025, 12, 15).unwrap()
        );
        assert!(good.product_code.unwrap().is_legacy());

        let six = certificate(&rows[1], &catalog, today()).unwrap_err();
        assert_eq!(six[0].column, "stars");
        assert_eq!(six[0].message, "import-error-stars-range");
        assert_eq!(six[0].row, 3);

        let future = certificate(&rows[2], &catalog, today()).unwrap_err();
        let columns: Vec<&str> = future.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(columns, vec!["decision_date", "level"]);

        let low = certificate(&rows[3], &catalog, today()).unwrap_err();
        let messages: Vec<&str> = low.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "import-error-decision-number",
                "import-error-score-below-stars"
            ]
        );
    }

    #[test]
    fn decision_numbers_as_old_lists_type_them() {
        for typed in [
            "1234/QĐ-UBND",
            "1234/qd-ubnd",
            "Số 1234/QD-UBND",
            " 1234/qđ-ubnd ",
        ] {
            assert_eq!(
                DecisionNumber::parse(&decision_text(typed)).map(|n| n.as_str().to_string()),
                Some("1234/QĐ-UBND".to_string()),
                "{typed}"
            );
        }
        assert_eq!(DecisionNumber::parse(&decision_text("QĐ 12")), None);
    }

    #[test]
    fn a_council_result_agrees_with_its_parts_and_members() {
        let catalog = Catalog::load(&crate::criteria::bundled_sources()).unwrap();
        let sheet = table(&[
            &[
                "Mã sản phẩm",
                "Ngày họp hội đồng",
                "Tổng điểm",
                "Phần A",
                "Phần B",
                "Phần C",
                "TV1",
                "TV2",
                "TV3",
                "Số sao",
            ],
            &[
                "70-702-25381-1-2022",
                "20/11/2022",
                "72,5",
                "30",
                "18,5",
                "24",
                "72",
                "73",
                "72,5",
                "4",
            ],
            &[
                "70-702-25381-2-2022",
                "20/11/2022",
                "",
                "",
                "",
                "",
                "70",
                "71",
                "71",
                "",
            ],
            &[
                "70-702-25381-3-2022",
                "20/11/2022",
                "75",
                "30",
                "18,5",
                "24",
                "",
                "",
                "",
                "",
            ],
            &[
                "70-702-25381-4-2022",
                "20/11/2022",
                "65",
                "",
                "",
                "",
                "65",
                "66",
                "",
                "4",
            ],
            &[
                "70-702-25381-5-2022",
                "20/11/2022",
                "",
                "30",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ]);
        let header = find_header(Kind::Evaluations, &sheet).unwrap();
        let rows: Vec<_> = crate::import::columns::data_rows(&sheet, &header).collect();
        let first = evaluation(&rows[0], &catalog, today()).unwrap();
        assert_eq!((first.score, first.stars), (Score::from_centi(7250), 4));
        assert_eq!(first.members.len(), 3);
        assert!(first.parts.is_some());
        // 70, 71, 71: a mean of 70.666… rounded once, half up.
        let second = evaluation(&rows[1], &catalog, today()).unwrap();
        assert_eq!((second.score, second.stars), (Score::from_centi(7067), 4));
        let problems = |i: usize| -> Vec<(String, String)> {
            evaluation(&rows[i], &catalog, today())
                .unwrap_err()
                .into_iter()
                .map(|e| (e.message, e.detail))
                .collect()
        };
        assert_eq!(
            problems(2),
            vec![("import-error-parts-sum".into(), "72.50".into())]
        );
        assert_eq!(
            problems(3),
            vec![("import-error-members-mean".into(), "65.50".into())]
        );
        assert_eq!(
            problems(4),
            vec![
                ("import-error-parts-incomplete".into(), String::new()),
                ("import-error-evaluation-score".into(), String::new())
            ]
        );
    }

    #[test]
    fn product_sets_by_code_or_name() {
        let sets = [
            ("P01", "Rau, củ, quả, hạt tươi"),
            ("P03", "Chế biến từ hạt"),
        ];
        assert_eq!(
            product_set("P03 – Chế biến từ hạt", &sets),
            Some("P03".into())
        );
        assert_eq!(product_set("p01", &sets), Some("P01".into()));
        assert_eq!(product_set("che bien tu hat", &sets), Some("P03".into()));
        assert_eq!(product_set("P99", &sets), None);
    }
}
