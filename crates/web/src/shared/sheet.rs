//! A scoring sheet as a form: the criteria of a product set with the options that apply to the
//! entity type, their points and star marks, and which one is chosen. The producer's
//! self-assessment and a council member's card are the same form.

use std::collections::BTreeMap;

use fluent_templates::fluent_bundle::FluentValue;

use ocop_domain::criteria::{EntityType, ProductSet, Version};

use super::i18n::Lang;

pub struct OptionView {
    pub number: u32,
    pub name: String,
    pub points: u32,
    pub chosen: bool,
    /// "Tối thiểu 4 sao" when the sheet marks this option as a star's minimum.
    pub minimum: Option<String>,
}

pub struct CriterionView {
    pub code: String,
    pub name: String,
    pub max: u32,
    pub options: Vec<OptionView>,
}

/// The sheet's criteria in order, each with the options that apply to `entity`.
pub fn criterion_views(
    version: &Version,
    set: &ProductSet,
    entity: EntityType,
    chosen: &BTreeMap<String, u32>,
    lang: Lang,
) -> Vec<CriterionView> {
    let token = version.token_for(entity);
    set.sheet
        .criteria()
        .map(|(_, criterion)| CriterionView {
            code: criterion.code.clone(),
            name: criterion.name_vi.clone(),
            max: criterion.max,
            options: criterion
                .options
                .iter()
                .filter(|o| o.applies_to_token(token))
                .map(|o| OptionView {
                    number: o.number,
                    name: match lang {
                        Lang::En if !o.name_en.is_empty() => o.name_en.clone(),
                        _ => o.name_vi.clone(),
                    },
                    points: o.points,
                    chosen: chosen.get(&criterion.code) == Some(&o.number),
                    minimum: o.stars_min.map(|stars| {
                        lang.t_with("sheet-minimum", &[("stars", FluentValue::from(stars))])
                    }),
                })
                .collect(),
        })
        .collect()
}
