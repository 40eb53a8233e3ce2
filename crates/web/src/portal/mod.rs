//! The public portal: the home page, the catalogue of recognised products with its search,
//! product, entity and province pages, production batches behind GS1 Digital Link, and the
//! open data register. Nothing here needs a sign-in; producers record batches on their
//! product's page (in scope, as every write).
//!
//! Everything is read from the catalogue in memory (`ocop_store::catalogue`), which follows
//! every server's writes through the audit trail, and each status is derived on the day asked.

pub mod api;
pub mod batches;
pub mod opendata;
pub mod pages;

use std::sync::Arc;

use ocop_domain::catalogue::{CatalogueIndex, Listing};
use ocop_domain::certificates::Status;
use ocop_domain::criteria::{Catalog, EntityType};

use crate::AppState;
use crate::shared::error::AppError;
use crate::shared::format;
use crate::shared::i18n::Lang;
use crate::shared::labels::status_label;

/// The catalogue as of this request.
pub async fn catalogue(state: &AppState) -> Result<Arc<CatalogueIndex>, AppError> {
    Ok(state
        .catalogue
        .index(&state.read_db, &state.read_revisions, &state.criteria)
        .await?)
}

/// Where a product's public page is.
pub fn product_href(code: &str) -> String {
    format!("/catalogue/products/{code}")
}

pub fn entity_href(code: &str) -> String {
    format!("/catalogue/entities/{code}")
}

pub fn province_href(code: &str) -> String {
    format!("/catalogue/provinces/{code}")
}

/// "★★★★" for 4.
pub fn star_marks(stars: u8) -> String {
    "★".repeat(usize::from(stars))
}

/// An entity type's name.
pub fn entity_type_label(kind: EntityType, lang: Lang) -> String {
    lang.t(&format!(
        "portal-entity-type-{}",
        kind.as_str().replace('_', "-")
    ))
}

/// A product as a card in a list.
pub struct Card {
    pub href: String,
    pub name: String,
    pub entity: String,
    pub place: String,
    pub stars: u8,
    pub star_marks: String,
    /// "4 sao", for screen readers.
    pub stars_label: String,
    pub number: String,
    pub status_code: &'static str,
    pub status: String,
    pub photo: Option<String>,
}

impl Card {
    pub fn new(listing: &Listing, status: Status, lang: Lang) -> Card {
        Card {
            href: product_href(&listing.product_code),
            name: listing.product_name.clone(),
            entity: listing.entity_name.clone(),
            place: format!("{}, {}", listing.commune_name, listing.province_name),
            stars: listing.stars,
            star_marks: star_marks(listing.stars),
            stars_label: lang.t_with(
                "portal-stars-n",
                &[("stars", i64::from(listing.stars).into())],
            ),
            number: listing.certificate_number.clone(),
            status_code: status.code(),
            status: status_label(status, lang),
            photo: listing
                .photo
                .as_ref()
                .map(|sha| format!("{}/photos/{sha}", product_href(&listing.product_code))),
        }
    }
}

/// The product sets of the version in force, for the filters: (code, name), and the groups.
pub fn sets_and_groups(criteria: &Catalog, lang: Lang) -> (Vec<(String, String)>, Vec<String>) {
    let Some(version) = criteria.in_force_on(ocop_store::clock::today()) else {
        return (Vec::new(), Vec::new());
    };
    let sets = version
        .sets
        .iter()
        .map(|set| {
            let name = if lang == Lang::En {
                &set.name_en
            } else {
                &set.name_vi
            };
            (set.code.clone(), format!("{} – {name}", set.code))
        })
        .collect();
    let mut groups: Vec<String> = Vec::new();
    for set in &version.sets {
        if !groups.contains(&set.group) {
            groups.push(set.group.clone());
        }
    }
    (sets, groups)
}

/// `1.234`.
pub fn count(n: usize) -> String {
    format::number(i64::try_from(n).unwrap_or(i64::MAX))
}
