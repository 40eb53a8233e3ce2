//! Criteria pages: the versions with their product sets, and each set's scoring sheet, with a
//! "provisional sheet" notice wherever a sheet is not the official text.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use fluent_templates::fluent_bundle::FluentValue;

use ocop_domain::criteria::{Criterion, EntityType, MinimumRule, PartSpec, SheetSource, Version};

use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{AppError, PageError};
use crate::shared::format;
use crate::shared::i18n::Lang;
use crate::shared::page::{Chrome, render};

pub struct VersionView {
    pub id: String,
    pub title: String,
    pub decree: String,
    pub effective_from: String,
    pub effective_to: Option<String>,
    pub in_force: bool,
    pub provisional: bool,
    /// One line per transition rule ("Hồ sơ nộp trước … hoàn thành theo …").
    pub transitions: Vec<String>,
    pub parts: String,
    pub bands: String,
    pub council: String,
    pub sets: Vec<SetView>,
}

pub struct SetView {
    pub code: String,
    pub name: String,
    pub group: String,
    pub href: String,
    /// `official`, `legal-database`, `third-party` or `derived` (a CSS class and a message).
    pub source: &'static str,
    pub source_label: String,
}

/// The message id naming a sheet's source.
fn source_message(source: SheetSource) -> &'static str {
    match source {
        SheetSource::Official => "sheet-official",
        SheetSource::LegalDatabase => "sheet-legal-database",
        SheetSource::ThirdParty => "sheet-third-party",
        SheetSource::Derived => "provisional-sheet",
    }
}

fn version_view(version: &Version, lang: Lang, in_force: bool) -> VersionView {
    let title = match lang {
        Lang::Vi => &version.title_vi,
        Lang::En => &version.title_en,
    };
    let part_name = |p: &PartSpec| match lang {
        Lang::Vi => p.name_vi.clone(),
        Lang::En => p.name_en.clone(),
    };
    VersionView {
        id: version.id.clone(),
        title: title.clone(),
        decree: version.decree.clone(),
        effective_from: format::date(version.effective_from),
        effective_to: version.effective_to.map(format::date),
        in_force,
        provisional: version.provisional,
        transitions: version
            .transitions
            .iter()
            .map(|rule| {
                let kinds: Vec<String> = rule
                    .kinds
                    .iter()
                    .map(|k| lang.t(&format!("evaluation-{}", k.as_str())))
                    .collect();
                lang.t_with(
                    "criteria-transition",
                    &[
                        ("filed", FluentValue::from(format::date(rule.filed_before))),
                        ("kinds", FluentValue::from(kinds.join(", "))),
                        ("from", FluentValue::from(rule.from.clone())),
                        ("by", FluentValue::from(format::date(rule.evaluated_by))),
                    ],
                )
            })
            .collect(),
        parts: version
            .parts
            .iter()
            .map(|p| format!("{} {} ({})", p.code, part_name(p), p.max))
            .collect::<Vec<_>>()
            .join(" · "),
        bands: version
            .bands
            .iter()
            .map(|b| format!("{}★ [{}, {})", b.stars, b.from, b.to))
            .collect::<Vec<_>>()
            .join(" · "),
        council: lang.t_with(
            "criteria-council",
            &[
                ("spread", FluentValue::from(version.council.spread_limit)),
                ("quorum", FluentValue::from(version.council.quorum)),
            ],
        ),
        sets: version
            .sets
            .iter()
            .map(|set| SetView {
                code: set.code.clone(),
                name: match lang {
                    Lang::Vi => set.name_vi.clone(),
                    Lang::En => set.name_en.clone(),
                },
                group: set.group.clone(),
                href: format!("/criteria/{}/{}", version.id, set.code),
                source: set.source.as_str(),
                source_label: lang.t(source_message(set.source)),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "criteria/criteria.html")]
struct CriteriaPage {
    chrome: Chrome,
    versions: Vec<VersionView>,
}

pub async fn criteria_index(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let today = chrono::Utc::now().date_naive();
    let in_force = state.criteria.in_force_on(today).map(|v| v.id.clone());
    let versions = state
        .criteria
        .versions()
        .iter()
        .rev()
        .map(|version| version_view(version, lang, in_force.as_deref() == Some(&version.id)))
        .collect();
    render(
        &CriteriaPage {
            chrome: Chrome::new(&viewer, "criteria"),
            versions,
        },
        lang,
    )
}

pub struct PartView {
    pub code: String,
    pub name: String,
    pub points: String,
    pub sections: Vec<SectionView>,
}

pub struct SectionView {
    pub code: String,
    pub name: String,
    pub points: u32,
    pub note: String,
    pub criteria: Vec<CriterionView>,
}

pub struct CriterionView {
    /// The heading of the criterion this one is a sub-criterion of, where that group starts.
    pub group_heading: Option<String>,
    pub code: String,
    pub name: String,
    pub points: String,
    pub mandatory: bool,
    pub note: String,
    pub printed_without_options: bool,
    pub disqualifiers: Vec<String>,
    pub options: Vec<OptionView>,
}

pub struct OptionView {
    /// "Trường hợp 1: …" where a case starts.
    pub case_heading: Option<String>,
    pub number: u32,
    pub name: String,
    pub points: u32,
    pub only_for: Option<String>,
    /// The sheet's star mark (`****`) and what it means, for a minimum.
    pub mark: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "criteria/sheet.html")]
struct SheetPage {
    chrome: Chrome,
    version_id: String,
    version_title: String,
    set_code: String,
    set_name: String,
    source: &'static str,
    note: String,
    /// The star-mark legend, when the sheet has minimums.
    legend: Option<String>,
    dossier_disqualifiers: Vec<String>,
    errata: Vec<String>,
    parts: Vec<PartView>,
}

pub async fn sheet_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((version_id, set_code)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let not_found = |what: &'static str, key: String| PageError {
        error: AppError::NotFound {
            code: "criteria_not_found",
            what,
            key,
        },
        lang,
    };
    let version = state
        .criteria
        .version(&version_id)
        .ok_or_else(|| not_found("criteria version", version_id.clone()))?;
    let set = version
        .set(&set_code)
        .ok_or_else(|| not_found("product set", format!("{version_id}/{set_code}")))?;
    let points = |max: u32| lang.t_with("points-of", &[("max", FluentValue::from(max))]);
    let sheet = &set.sheet;
    let rules_of = |code: Option<&str>| -> Vec<String> {
        sheet
            .disqualifiers
            .iter()
            .filter(|d| d.criterion.as_deref() == code)
            .map(|d| format!("{}: {}", d.id, d.text))
            .collect()
    };
    let parts = sheet
        .parts
        .iter()
        .map(|part| {
            let spec = version.parts.iter().find(|p| p.code == part.code);
            PartView {
                code: part.code.clone(),
                name: spec
                    .map(|p| match lang {
                        Lang::Vi => p.name_vi.clone(),
                        Lang::En => p.name_en.clone(),
                    })
                    .unwrap_or_default(),
                points: points(part.max),
                sections: part
                    .sections
                    .iter()
                    .map(|section| {
                        let mut group = None;
                        SectionView {
                            code: section.code.clone(),
                            name: section.name.clone(),
                            points: section.max,
                            note: section.note.clone(),
                            criteria: section
                                .criteria
                                .iter()
                                .map(|criterion| {
                                    let group_heading = (criterion.group != group)
                                        .then(|| criterion.group.map(|g| &section.groups[g]))
                                        .flatten()
                                        .map(|g| {
                                            format!("{} {} ({})", g.code, g.name_vi, points(g.max))
                                        });
                                    group = criterion.group;
                                    criterion_view(criterion, group_heading, &rules_of, lang)
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let legend = sheet.has_minimums().then(|| {
        lang.t_with(
            "sheet-legend",
            &[(
                "rule",
                FluentValue::from(lang.t(match version.minimums {
                    MinimumRule::Majority => "minimums-majority",
                    MinimumRule::Mean => "minimums-mean",
                })),
            )],
        )
    });
    let errata = sheet
        .errata
        .iter()
        .map(|e| {
            format!(
                "{} · {}: «{}» → «{}» — {}",
                e.row, e.column, e.source_value, e.value_used, e.reason
            )
        })
        .collect();
    render(
        &SheetPage {
            chrome: Chrome::new(&viewer, "criteria"),
            version_id: version.id.clone(),
            version_title: match lang {
                Lang::Vi => version.title_vi.clone(),
                Lang::En => version.title_en.clone(),
            },
            set_code: set.code.clone(),
            set_name: match lang {
                Lang::Vi => set.name_vi.clone(),
                Lang::En => set.name_en.clone(),
            },
            source: set.source.as_str(),
            note: set.note.clone(),
            legend,
            dossier_disqualifiers: rules_of(None),
            errata,
            parts,
        },
        lang,
    )
}

fn criterion_view(
    criterion: &Criterion,
    group_heading: Option<String>,
    rules_of: &dyn Fn(Option<&str>) -> Vec<String>,
    lang: Lang,
) -> CriterionView {
    let points = |max: u32| lang.t_with("points-of", &[("max", FluentValue::from(max))]);
    let mut case = None;
    CriterionView {
        group_heading,
        code: criterion.code.clone(),
        name: criterion.name_vi.clone(),
        points: points(criterion.max),
        mandatory: criterion.mandatory,
        note: criterion.note.clone(),
        printed_without_options: criterion.printed_without_options,
        disqualifiers: rules_of(Some(&criterion.code)),
        options: criterion
            .options
            .iter()
            .map(|option| {
                let case_heading = (option.case != case)
                    .then(|| option.case.and_then(|n| criterion.case(n)))
                    .flatten()
                    .map(|c| {
                        lang.t_with(
                            "sheet-case",
                            &[
                                ("number", FluentValue::from(c.number)),
                                ("name", FluentValue::from(c.name_vi.clone())),
                            ],
                        )
                    });
                case = option.case;
                OptionView {
                    case_heading,
                    number: option.label,
                    // Sheets give every option in Vietnamese, some also in English.
                    name: match lang {
                        Lang::En if !option.name_en.is_empty() => option.name_en.clone(),
                        _ => option.name_vi.clone(),
                    },
                    points: option.points,
                    only_for: (!option.applies_to.is_empty()).then(|| {
                        option
                            .applies_to
                            .iter()
                            .map(|token| {
                                EntityType::parse(token)
                                    .map_or(token.clone(), |t| lang.t(&format!("entity-kind-{t}")))
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    }),
                    mark: option
                        .stars_min
                        .zip(option.star_mark())
                        .map(|(stars, mark)| {
                            (
                                mark,
                                lang.t_with(
                                    "sheet-minimum",
                                    &[("stars", FluentValue::from(stars))],
                                ),
                            )
                        }),
                }
            })
            .collect(),
    }
}
