//! Criteria pages: the versions with their product sets, and each set's scoring sheet, with a
//! "provisional sheet" notice wherever a sheet is not the official text.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use fluent_templates::fluent_bundle::FluentValue;

use ocop_domain::criteria::{PartSpec, Version};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::format;
use crate::i18n::Lang;

pub struct VersionView {
    pub id: String,
    pub title: String,
    pub decree: String,
    pub effective_from: String,
    pub provisional: bool,
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
    pub provisional: bool,
}

fn version_view(version: &Version, lang: Lang) -> VersionView {
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
        provisional: version.provisional,
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
                provisional: set.provisional,
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "criteria.html")]
struct CriteriaPage {
    chrome: Chrome,
    versions: Vec<VersionView>,
}

pub async fn criteria_index(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let versions = state
        .criteria
        .versions()
        .iter()
        .rev()
        .map(|version| version_view(version, lang))
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
    pub name: String,
    pub points: u32,
    pub criteria: Vec<CriterionView>,
}

pub struct CriterionView {
    pub code: String,
    pub name: String,
    pub points: String,
    pub mandatory: bool,
    pub options: Vec<OptionView>,
}

pub struct OptionView {
    pub number: u32,
    pub name: String,
    pub points: u32,
    pub only_for: Option<String>,
}

#[derive(Template)]
#[template(path = "sheet.html")]
struct SheetPage {
    chrome: Chrome,
    version_id: String,
    version_title: String,
    set_code: String,
    set_name: String,
    provisional: bool,
    note: String,
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
    let parts = set
        .sheet
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
                    .map(|section| SectionView {
                        name: section.name.clone(),
                        points: section.max,
                        criteria: section
                            .criteria
                            .iter()
                            .map(|criterion| CriterionView {
                                code: criterion.code.clone(),
                                name: criterion.name_vi.clone(),
                                points: points(criterion.max),
                                mandatory: criterion.mandatory,
                                options: criterion
                                    .options
                                    .iter()
                                    .map(|option| OptionView {
                                        number: option.number,
                                        // Sheets give every option in Vietnamese, most
                                        // also in English.
                                        name: match lang {
                                            Lang::En if !option.name_en.is_empty() => {
                                                option.name_en.clone()
                                            }
                                            _ => option.name_vi.clone(),
                                        },
                                        points: option.points,
                                        only_for: (!option.applies_to.is_empty())
                                            .then(|| option.applies_to.join(", ")),
                                    })
                                    .collect(),
                            })
                            .collect(),
                    })
                    .collect(),
            }
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
            provisional: set.provisional,
            note: set.note.clone(),
            parts,
        },
        lang,
    )
}
