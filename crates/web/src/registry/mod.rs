//! The registry: a producer registers itself; officers see the entities of their unit and
//! confirm them; entities and products are edited (every change audited) and products carry
//! certifications and photos.
//!
//! - [`entity_pages`]: registration, the entity list, an entity's page and edit form, adding a
//!   product;
//! - [`product_pages`]: a product's page, certifications, photos and edit form;
//! - [`api`]: the same in JSON under `/api/v1`.
//!
//! Dependencies: the registry uses only `crate::shared`; it never imports `crate::dossiers`
//! (a dossier belongs to a product, so the arrow points from dossiers to the registry: the dossier
//! pages may show a product's page through [`product_pages::product_page_with`]). What both need
//! (audit history, evaluation-type labels) lives in `crate::shared`.

pub mod api;
pub mod entity_pages;
pub mod markets;
pub mod product_pages;
pub mod sales_points;

use std::collections::HashMap;

use ocop_domain::registry::ProductForm;

use crate::shared::error::{AppError, PageError};
use crate::shared::i18n::Lang;

/// An entity or product out of reach (absent, or outside the viewer's scope).
pub(super) fn not_found(id: &str, lang: Lang) -> PageError {
    PageError::new(
        AppError::NotFound {
            code: "entity_not_found",
            what: "entity",
            key: id.to_string(),
        },
        lang,
    )
}

/// The product form (adding on the entity's page, editing on its own): its values, problems and choices.
pub struct ProductFormView {
    pub csrf: String,
    pub values: ProductForm,
    pub errors: HashMap<&'static str, String>,
    pub sets: Vec<(String, String)>,
}

/// A criteria version's product sets: (code, "code — name").
pub(super) fn set_choices(
    version: &ocop_domain::criteria::Version,
    lang: Lang,
) -> Vec<(String, String)> {
    version
        .sets
        .iter()
        .map(|set| {
            let name = match lang {
                Lang::Vi => &set.name_vi,
                Lang::En => &set.name_en,
            };
            (set.code.clone(), format!("{} — {name}", set.code))
        })
        .collect()
}
