//! Criteria in the JSON API: versions, sheets, and scoring a council.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Serialize;

use ocop_domain::criteria::{CouncilInput, CouncilResult, Score, Version, evaluate};

use crate::AppState;
use crate::shared::error::{ApiJson, ApiPath, AppError, ErrorDoc};

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionJson {
    pub id: String,
    pub decree: String,
    pub title_vi: String,
    pub title_en: String,
    pub effective_from: NaiveDate,
    /// The last day in force, where a later decision ended the version.
    pub effective_to: Option<NaiveDate>,
    pub provisional: bool,
    pub certificate_validity_months: u32,
    /// How a council meets a star minimum: `majority` or `mean`.
    pub minimums_judged_by: String,
    pub parts: Vec<PartJson>,
    pub bands: Vec<BandJson>,
    pub spread_limit: u32,
    pub quorum: u32,
    pub sets: Vec<SetJson>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PartJson {
    pub code: String,
    pub max: u32,
    pub name_vi: String,
    pub name_en: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BandJson {
    pub stars: u8,
    #[schema(value_type = f64)]
    pub from: Score,
    #[schema(value_type = f64)]
    pub to: Score,
    pub certifiable: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SetJson {
    pub code: String,
    pub group: String,
    pub name_vi: String,
    pub name_en: String,
    pub provisional_sheet: bool,
    /// `official`, `legal-database`, `third-party` or `derived`.
    pub sheet_source: String,
}

fn version_json(version: &Version) -> VersionJson {
    VersionJson {
        id: version.id.clone(),
        decree: version.decree.clone(),
        title_vi: version.title_vi.clone(),
        title_en: version.title_en.clone(),
        effective_from: version.effective_from,
        effective_to: version.effective_to,
        provisional: version.provisional,
        certificate_validity_months: version.certificate_validity_months,
        minimums_judged_by: version.minimums.as_str().into(),
        parts: version
            .parts
            .iter()
            .map(|p| PartJson {
                code: p.code.clone(),
                max: p.max,
                name_vi: p.name_vi.clone(),
                name_en: p.name_en.clone(),
            })
            .collect(),
        bands: version
            .bands
            .iter()
            .map(|b| BandJson {
                stars: b.stars,
                from: b.from,
                to: b.to,
                certifiable: version.certifiable(b.stars),
            })
            .collect(),
        spread_limit: version.council.spread_limit,
        quorum: version.council.quorum,
        sets: version
            .sets
            .iter()
            .map(|s| SetJson {
                code: s.code.clone(),
                group: s.group.clone(),
                name_vi: s.name_vi.clone(),
                name_en: s.name_en.clone(),
                provisional_sheet: s.provisional,
                sheet_source: s.source.as_str().into(),
            })
            .collect(),
    }
}

/// `GET /api/v1/criteria`: every version, oldest first.
#[utoipa::path(get, path = "/api/v1/criteria", tag = "criteria",
    responses((status = 200, description = "Legal versions with parts, bands, council rules and product sets", body = Vec<VersionJson>)))]
pub async fn versions(State(state): State<AppState>) -> Json<Vec<VersionJson>> {
    Json(state.criteria.versions().iter().map(version_json).collect())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SheetJson {
    pub version: String,
    pub product_set: String,
    pub name_vi: String,
    pub provisional_sheet: bool,
    pub sheet_source: String,
    pub note: String,
    /// When the dossier is rejected outright (`criterion` empty: the whole dossier).
    pub disqualifiers: Vec<DisqualifierJson>,
    /// Corrections of the source's defects applied to this sheet.
    pub errata: Vec<ErratumJson>,
    pub criteria: Vec<CriterionJson>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DisqualifierJson {
    pub id: String,
    pub criterion: Option<String>,
    pub text: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErratumJson {
    pub row: String,
    pub column: String,
    pub source_value: String,
    pub value_used: String,
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CriterionJson {
    pub code: String,
    pub part: String,
    pub section: String,
    pub name_vi: String,
    pub max: u32,
    pub mandatory: bool,
    /// The criterion this one is a sub-criterion of (`6.1` for `6.1.1`).
    pub group: Option<String>,
    pub note: String,
    /// The sheet prints no options: scored 0 or its maximum.
    pub printed_without_options: bool,
    /// The cases the scorer picks from (number and label); empty: one set of options.
    pub cases: Vec<CaseJson>,
    pub options: Vec<OptionJson>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseJson {
    pub number: u32,
    pub name_vi: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OptionJson {
    pub number: u32,
    pub name_vi: String,
    pub name_en: String,
    pub points: u32,
    pub applies_to: Vec<String>,
    /// The number the sheet prints (it restarts in each case).
    pub label: u32,
    pub case: Option<u32>,
    /// The star whose minimum this option is (the sheet's `***`, `****`, `*****`).
    pub stars_min: Option<u8>,
}

/// `GET /api/v1/criteria/{version}/{set}`: a product set's sheet, criteria in order.
#[utoipa::path(get, path = "/api/v1/criteria/{version}/{set}", tag = "criteria",
    params(("version" = String, Path, description = "e.g. 148-1489"), ("set" = String, Path, description = "e.g. P09")),
    responses(
        (status = 200, body = SheetJson),
        (status = 404, description = "criteria_not_found", body = ErrorDoc),
    ))]
pub async fn sheet(
    State(state): State<AppState>,
    ApiPath((version_id, set_code)): ApiPath<(String, String)>,
) -> Result<Json<SheetJson>, AppError> {
    let version = state
        .criteria
        .version(&version_id)
        .ok_or(AppError::NotFound {
            code: "criteria_not_found",
            what: "criteria version",
            key: version_id.clone(),
        })?;
    let set = version.set(&set_code).ok_or(AppError::NotFound {
        code: "criteria_not_found",
        what: "product set",
        key: format!("{version_id}/{set_code}"),
    })?;
    let mut criteria = Vec::new();
    for part in &set.sheet.parts {
        for section in &part.sections {
            for criterion in &section.criteria {
                criteria.push(CriterionJson {
                    code: criterion.code.clone(),
                    part: part.code.clone(),
                    section: format!("{}. {}", section.code, section.name),
                    name_vi: criterion.name_vi.clone(),
                    max: criterion.max,
                    mandatory: criterion.mandatory,
                    group: criterion.group.map(|g| section.groups[g].code.clone()),
                    note: criterion.note.clone(),
                    printed_without_options: criterion.printed_without_options,
                    cases: criterion
                        .cases
                        .iter()
                        .map(|c| CaseJson {
                            number: c.number,
                            name_vi: c.name_vi.clone(),
                        })
                        .collect(),
                    options: criterion
                        .options
                        .iter()
                        .map(|o| OptionJson {
                            number: o.number,
                            name_vi: o.name_vi.clone(),
                            name_en: o.name_en.clone(),
                            points: o.points,
                            applies_to: o.applies_to.clone(),
                            label: o.label,
                            case: o.case,
                            stars_min: o.stars_min,
                        })
                        .collect(),
                });
            }
        }
    }
    Ok(Json(SheetJson {
        version: version.id.clone(),
        product_set: set.code.clone(),
        name_vi: set.name_vi.clone(),
        provisional_sheet: set.provisional,
        sheet_source: set.source.as_str().into(),
        note: set.note.clone(),
        disqualifiers: set
            .sheet
            .disqualifiers
            .iter()
            .map(|d| DisqualifierJson {
                id: d.id.clone(),
                criterion: d.criterion.clone(),
                text: d.text.clone(),
            })
            .collect(),
        errata: set
            .sheet
            .errata
            .iter()
            .map(|e| ErratumJson {
                row: e.row.clone(),
                column: e.column.clone(),
                source_value: e.source_value.clone(),
                value_used: e.value_used.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
        criteria,
    }))
}

/// `POST /api/v1/score`: members' scorecards in, the council's result out. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/score", tag = "criteria",
    request_body(content = serde_json::Value, description = "A council's scorecards: {version, product_set, entity_type, council?, scorecards: [{member, choices: {criterion: option}}], disqualifications?: [{rule, note?}]} (docs/criteria.md)"),
    responses(
        (status = 200, description = "mean, band and ranked stars, star minimums, flags, outcome, routing, explanation (docs/criteria.md)", body = serde_json::Value),
        (status = 400, description = "invalid_json", body = ErrorDoc),
        (status = 422, description = "invalid_scorecards, with every problem in details", body = ErrorDoc),
    ))]
pub async fn score(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CouncilInput>,
) -> Result<Json<CouncilResult>, AppError> {
    evaluate(&state.criteria, &input)
        .map(Json)
        .map_err(|errors| AppError::Unprocessable {
            code: "invalid_scorecards",
            message: "the scorecards cannot be scored".into(),
            details: errors.iter().map(|e| e.to_string()).collect(),
        })
}
