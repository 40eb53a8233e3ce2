//! The portal's pages: home, catalogue, a product, an entity, a province.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use ocop_domain::access::Scope;
use ocop_domain::catalogue::{CatalogueQuery, Listing, RawQuery, Sort, StatusFilter};
use ocop_domain::criteria::EntityType;
use ocop_render::chart::{Bar, horizontal_bars};
use ocop_store::clock::today;
use ocop_store::{batches, registry, sales_points, units};

use super::{
    Card, catalogue, count, entity_href, entity_type_label, product_href, province_href,
    sets_and_groups, star_marks,
};
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::error::{ApiPath, AppError, PageError, page_error};
use crate::shared::format;
use crate::shared::i18n::Lang;
use crate::shared::labels::sales_point_label;
use crate::shared::page::{Chrome, render, unit_href};

fn not_found(what: &'static str, key: &str, lang: Lang) -> PageError {
    PageError::new(
        AppError::NotFound {
            code: "not_found",
            what,
            key: key.to_string(),
        },
        lang,
    )
}

/// Products in force per star, as a chart.
fn stars_chart(by_stars: &std::collections::BTreeMap<u8, usize>, lang: Lang) -> String {
    let bars: Vec<Bar> = (3..=5)
        .rev()
        .map(|star| Bar {
            label: lang.t_with("portal-stars-n", &[("stars", i64::from(star).into())]),
            value: by_stars.get(&star).copied().unwrap_or(0) as i64,
            href: Some(format!("/catalogue?stars={star}")),
        })
        .collect();
    horizontal_bars(&lang.t("portal-chart-by-star"), &bars, format::number)
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    chrome: Chrome,
    total: String,
    entities: String,
    stars: Vec<(String, String)>,
    star_chart: String,
    province_chart: String,
    provinces: Vec<(String, String, String)>,
    newest: Vec<Card>,
}

/// `GET /`: the programme's public face.
pub async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let index = catalogue(&state).await.map_err(page_error(lang))?;
    let procedure = state.procedure_in_force();
    let today = today();
    let summary = index.summary(&procedure, today, None);
    let mut provinces: Vec<(String, String, usize)> = summary
        .by_province
        .iter()
        .map(|(code, (name, stars))| (code.clone(), name.clone(), stars.values().sum()))
        .collect();
    provinces.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    let bars: Vec<Bar> = provinces
        .iter()
        .map(|(code, name, n)| Bar {
            label: name.clone(),
            value: *n as i64,
            href: Some(province_href(code)),
        })
        .collect();
    let province_chart =
        horizontal_bars(&lang.t("portal-chart-by-province"), &bars, format::number);
    let newest = index
        .newest(8, &procedure, today)
        .into_iter()
        .map(|listing| Card::new(listing, listing.status(&procedure, today), lang))
        .collect();
    render(
        &HomePage {
            chrome: Chrome::new(&viewer, "home"),
            total: count(summary.total()),
            entities: count(summary.entities),
            stars: (3..=5)
                .rev()
                .map(|s| {
                    (
                        star_marks(s),
                        count(summary.by_stars.get(&s).copied().unwrap_or(0)),
                    )
                })
                .collect(),
            star_chart: stars_chart(&summary.by_stars, lang),
            province_chart,
            provinces: provinces
                .into_iter()
                .map(|(code, name, n)| (province_href(&code), name, count(n)))
                .collect(),
            newest,
        },
        lang,
    )
}

/// A choice in a filter's list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(
    values: impl IntoIterator<Item = (String, String)>,
    current: Option<&str>,
) -> Vec<Choice> {
    values
        .into_iter()
        .map(|(value, label)| Choice {
            selected: current == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/catalogue.html")]
struct CataloguePage {
    chrome: Chrome,
    q: String,
    provinces: Vec<Choice>,
    stars: Vec<Choice>,
    statuses: Vec<Choice>,
    entity_types: Vec<Choice>,
    /// The chosen province's communes (empty until one is chosen).
    communes: Vec<Choice>,
    groups: Vec<Choice>,
    sets: Vec<Choice>,
    sorts: Vec<Choice>,
    women_led: bool,
    ethnic_minority_led: bool,
    total: String,
    cards: Vec<Card>,
    /// (label, href, current) for the page links.
    pager: Vec<(String, Option<String>, bool)>,
    errors: Vec<String>,
}

/// The query string of `query` on page `page`.
fn page_href(raw: &RawQuery, page: usize) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    let fields = [
        ("q", &raw.q),
        ("province", &raw.province),
        ("commune", &raw.commune),
        ("group", &raw.group),
        ("set", &raw.set),
        ("stars", &raw.stars),
        ("entity_type", &raw.entity_type),
        ("status", &raw.status),
        ("women_led", &raw.women_led),
        ("ethnic_minority_led", &raw.ethnic_minority_led),
        ("sort", &raw.sort),
        ("per_page", &raw.per_page),
    ];
    for (name, value) in fields {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            pairs.append_pair(name, value);
        }
    }
    if page > 1 {
        pairs.append_pair("page", &page.to_string());
    }
    format!("/catalogue?{}", pairs.finish())
}

/// Page links: first, a window around the current page, last.
fn pager(
    raw: &RawQuery,
    page: usize,
    pages: usize,
    lang: Lang,
) -> Vec<(String, Option<String>, bool)> {
    let mut links = Vec::new();
    if pages <= 1 {
        return links;
    }
    if page > 1 {
        links.push((
            lang.t("portal-previous"),
            Some(page_href(raw, page - 1)),
            false,
        ));
    }
    let window = page.saturating_sub(2).max(1)..=(page + 2).min(pages);
    if *window.start() > 1 {
        links.push(("1".into(), Some(page_href(raw, 1)), false));
        if *window.start() > 2 {
            links.push(("…".into(), None, false));
        }
    }
    for n in window.clone() {
        links.push((format::number(n as i64), Some(page_href(raw, n)), n == page));
    }
    if *window.end() < pages {
        if *window.end() + 1 < pages {
            links.push(("…".into(), None, false));
        }
        links.push((
            format::number(pages as i64),
            Some(page_href(raw, pages)),
            false,
        ));
    }
    if page < pages {
        links.push((lang.t("portal-next"), Some(page_href(raw, page + 1)), false));
    }
    links
}

/// `GET /catalogue`: search and filters. A question that cannot be asked (a star of 6, page
/// -1) is a 422 page naming what is wrong; an unknown code is an empty result.
pub async fn catalogue_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(raw): Query<RawQuery>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let index = catalogue(&state).await.map_err(page_error(lang))?;
    let procedure = state.procedure_in_force();
    let (query, errors) = match CatalogueQuery::parse(&raw) {
        Ok(query) => (query, Vec::new()),
        Err(errors) => (
            CatalogueQuery::default(),
            errors.values().map(|key| lang.t(key)).collect(),
        ),
    };
    // Once a province is chosen, its communes that have recognised products.
    let mut communes: Vec<(String, String)> = query
        .filters
        .province
        .as_deref()
        .map(|province| index.communes(province).to_vec())
        .unwrap_or_default();
    // A commune asked for that has no products here (or lies in another province) stays
    // chosen and visible, so an empty result says why.
    if let Some(commune) = &query.filters.commune
        && !communes.iter().any(|(code, _)| code == commune)
    {
        let name = units::find_by_code(&state.read_db, commune, None)
            .await
            .map_err(page_error(lang))?
            .map_or_else(|| commune.clone(), |unit| unit.name);
        communes.push((commune.clone(), name));
    }
    let page = index.search(&query, &procedure, today());
    let pages = page.pages(query.per_page);
    let (sets, groups) = sets_and_groups(&state.criteria, lang);
    let filters = &query.filters;
    let view = CataloguePage {
        chrome: Chrome::new(&viewer, "catalogue"),
        q: query.text.clone(),
        // The provinces with products in the catalogue (all 34 nationally), from memory.
        provinces: choices(index.provinces().to_vec(), filters.province.as_deref()),
        communes: choices(communes, filters.commune.as_deref()),
        stars: choices(
            (3..=5u8).map(|s| {
                (
                    s.to_string(),
                    lang.t_with("portal-stars-n", &[("stars", i64::from(s).into())]),
                )
            }),
            filters.stars.map(|s| s.to_string()).as_deref(),
        ),
        statuses: choices(
            StatusFilter::ALL.into_iter().map(|s| {
                (
                    s.as_str().to_string(),
                    lang.t(&format!("portal-status-{}", s.as_str().replace('_', "-"))),
                )
            }),
            Some(filters.status.as_str()),
        ),
        entity_types: choices(
            EntityType::ALL
                .into_iter()
                .map(|t| (t.as_str().to_string(), entity_type_label(t, lang))),
            filters.entity_type.map(|t| t.as_str()),
        ),
        groups: choices(
            groups.into_iter().map(|g| (g.clone(), g)),
            filters.group.as_deref(),
        ),
        sets: choices(sets, filters.set.as_deref()),
        sorts: choices(
            Sort::ALL.into_iter().map(|s| {
                (
                    s.as_str().to_string(),
                    lang.t(&format!("portal-sort-{}", s.as_str())),
                )
            }),
            Some(query.sort.as_str()),
        ),
        women_led: filters.women_led,
        ethnic_minority_led: filters.ethnic_minority_led,
        total: count(page.total),
        cards: page
            .items
            .iter()
            .map(|(listing, status)| Card::new(listing, *status, lang))
            .collect(),
        pager: pager(&raw, query.page, pages, lang),
        errors,
    };
    let html = render(&view, lang)?;
    let status = if view.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, html).into_response())
}

/// The listing of the product with this code, or a 404 page.
async fn listing_by_code(
    state: &AppState,
    code: &str,
    lang: Lang,
) -> Result<
    (
        std::sync::Arc<ocop_domain::catalogue::CatalogueIndex>,
        String,
    ),
    PageError,
> {
    let index = catalogue(state).await.map_err(page_error(lang))?;
    let id = index
        .by_code(code)
        .map(|l| l.product_id.clone())
        .ok_or_else(|| not_found("product", code, lang))?;
    Ok((index, id))
}

#[derive(Template)]
#[template(path = "portal/product.html")]
struct ProductPage {
    chrome: Chrome,
    card: Card,
    entity_href: String,
    province_href: String,
    facts: Vec<(String, String)>,
    description: String,
    photos: Vec<String>,
    sales_points: Vec<SalesPointRow>,
    channels: Vec<String>,
    markets: Vec<String>,
    /// Fairs it was shown at: "name — dd/mm/yyyy, place".
    fairs: Vec<String>,
    batches: Vec<BatchRow>,
    json_ld: String,
    verify_href: String,
}

/// A place to buy the product: its kind's name, and an address or a link.
pub struct SalesPointRow {
    pub kind: String,
    pub name: String,
    pub address: Option<String>,
    pub url: Option<String>,
}

pub struct BatchRow {
    pub lot: String,
    pub produced_on: String,
    pub quantity: String,
    pub href: Option<String>,
}

/// schema.org `Product` with its OCOP certification, for search engines and platforms.
fn json_ld(listing: &Listing, description: &str, base_url: &str, valid: bool) -> String {
    let mut product = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": listing.product_name,
        "description": description,
        "productID": listing.product_code,
        "url": format!("{base_url}{}", product_href(&listing.product_code)),
        "manufacturer": {
            "@type": "Organization",
            "name": listing.entity_name,
            "address": format!("{}, {}", listing.commune_name, listing.province_name),
        },
        "hasCertification": {
            "@type": "Certification",
            "name": format!("OCOP {} sao", listing.stars),
            "identifier": listing.certificate_number,
            "certificationStatus": if valid { "https://schema.org/CertificationActive" } else { "https://schema.org/CertificationInactive" },
            "validFrom": listing.timeline.issued_on.to_string(),
            "expires": listing.timeline.expires_on.to_string(),
            "certificationRating": { "@type": "Rating", "ratingValue": listing.stars, "bestRating": 5 },
            "url": format!("{base_url}/v/{}", listing.certificate_number),
        },
    });
    if let Some(gtin) = &listing.gtin {
        product["gtin"] = serde_json::Value::String(gtin.clone());
    }
    // `</` cannot close the script element from inside a string.
    serde_json::to_string(&product)
        .unwrap_or_default()
        .replace("</", "<\\/")
}

/// `GET /catalogue/products/{code}`.
pub async fn product_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let (index, id) = listing_by_code(&state, &code, lang).await?;
    let Some(listing) = index.get(&id) else {
        return Err(not_found("product", &code, lang));
    };
    let procedure = state.procedure_in_force();
    let status = listing.status(&procedure, today());
    let product = registry::product(&state.read_db, &Scope::National, &id)
        .await
        .map_err(page_error(lang))?
        .ok_or_else(|| not_found("product", &code, lang))?;
    let photos = registry::photos(&state.read_db, &id)
        .await
        .map_err(page_error(lang))?;
    let batches = batches::of_product(&state.read_db, &id)
        .await
        .map_err(page_error(lang))?;
    let sales_points = sales_points::of_product(&state.read_db, &id)
        .await
        .map_err(page_error(lang))?
        .into_iter()
        .map(|p| SalesPointRow {
            kind: match p.platform {
                Some(platform) => format!(
                    "{} · {}",
                    sales_point_label(p.kind, lang),
                    crate::shared::labels::platform_label(platform, lang)
                ),
                None => sales_point_label(p.kind, lang),
            },
            name: p.name,
            address: p.address,
            url: p.url,
        })
        .collect();
    let mut facts = vec![
        (
            lang.t("portal-certificate"),
            listing.certificate_number.clone(),
        ),
        (
            lang.t("portal-validity"),
            format!(
                "{} – {}",
                format::date(listing.timeline.issued_on),
                format::date(listing.timeline.expires_on)
            ),
        ),
        (lang.t("portal-product-code"), listing.product_code.clone()),
        (
            lang.t("portal-entity-type"),
            entity_type_label(listing.entity_type, lang),
        ),
        (
            lang.t("portal-place"),
            format!("{}, {}", listing.commune_name, listing.province_name),
        ),
    ];
    if let Some(area) = &product.raw_material_area {
        facts.push((lang.t("portal-raw-material-area"), area.clone()));
    }
    if let Some(gtin) = &product.gtin {
        facts.push(("GTIN".into(), gtin.clone()));
    }
    let card = Card::new(listing, status, lang);
    render(
        &ProductPage {
            chrome: Chrome::new(&viewer, "catalogue"),
            entity_href: entity_href(&listing.entity_code),
            province_href: province_href(&listing.province_code),
            json_ld: json_ld(
                listing,
                &product.description,
                &state.signing.base_url,
                status.is_valid(),
            ),
            verify_href: format!("/v/{}", listing.certificate_number),
            photos: photos
                .iter()
                .map(|sha| format!("{}/photos/{sha}", product_href(&listing.product_code)))
                .collect(),
            description: product.description,
            sales_points,
            channels: product.sales_channels,
            markets: {
                // The recorded markets with their year, then what the producer wrote besides.
                let recorded =
                    ocop_store::monitoring::promotion::export_markets(&state.read_db, &id)
                        .await
                        .map_err(page_error(lang))?;
                let mut markets: Vec<String> = recorded
                    .iter()
                    .map(|m| {
                        format!(
                            "{} ({} {})",
                            crate::shared::labels::country_label(&m.country, lang),
                            lang.t("market-since"),
                            m.since_year
                        )
                    })
                    .collect();
                markets.extend(product.export_markets);
                markets
            },
            fairs: ocop_store::monitoring::promotion::fairs_of_product(&state.read_db, &id)
                .await
                .map_err(page_error(lang))?
                .into_iter()
                .map(|(name, day, place)| format!("{name} — {}, {place}", format::date(day)))
                .collect(),
            batches: batches
                .iter()
                .map(|b| BatchRow {
                    href: listing
                        .gtin
                        .as_ref()
                        .map(|g| format!("/01/{g:0>14}/10/{}", b.lot)),
                    lot: b.lot.clone(),
                    produced_on: format::date(b.produced_on),
                    quantity: format!("{} {}", format::number(b.quantity), b.unit),
                })
                .collect(),
            facts,
            card,
        },
        lang,
    )
}

/// `GET /catalogue/products/{code}/photos/{sha}`: a recognised product's photo, for everyone.
pub async fn product_photo(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath((code, sha)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (_, id) = listing_by_code(&state, &code, lang).await?;
    let photos = registry::photos(&state.read_db, &id)
        .await
        .map_err(page_error(lang))?;
    if !photos.contains(&sha) {
        return Err(not_found("photo", &sha, lang));
    }
    let Some((stored, bytes)) = state
        .files
        .get(&state.read_db, &sha)
        .await
        .map_err(|error| PageError::new(error.into(), lang))?
    else {
        return Err(not_found("photo", &sha, lang));
    };
    // Content-addressed: the same URL is the same bytes forever.
    Ok((
        [
            (header::CONTENT_TYPE, stored.kind.content_type()),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "portal/entity.html")]
struct EntityPage {
    chrome: Chrome,
    name: String,
    facts: Vec<(String, String)>,
    province_href: String,
    cards: Vec<Card>,
}

/// `GET /catalogue/entities/{code}`: an entity and its recognised products.
pub async fn entity_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let index = catalogue(&state).await.map_err(page_error(lang))?;
    let procedure = state.procedure_in_force();
    let today = today();
    let listings: Vec<&Listing> = index.listings().filter(|l| l.entity_code == code).collect();
    let Some(first) = listings.first() else {
        return Err(not_found("entity", &code, lang));
    };
    let yes_no = |flag: bool| lang.t(if flag { "portal-yes" } else { "portal-no" });
    let facts = vec![
        (
            lang.t("portal-entity-type"),
            entity_type_label(first.entity_type, lang),
        ),
        (
            lang.t("portal-place"),
            format!("{}, {}", first.commune_name, first.province_name),
        ),
        (lang.t("portal-women-led"), yes_no(first.women_led)),
        (
            lang.t("portal-ethnic-minority-led"),
            yes_no(first.ethnic_minority_led),
        ),
    ];
    let mut cards: Vec<Card> = listings
        .iter()
        .map(|l| Card::new(l, l.status(&procedure, today), lang))
        .collect();
    cards.sort_by(|a, b| b.stars.cmp(&a.stars).then_with(|| a.name.cmp(&b.name)));
    render(
        &EntityPage {
            chrome: Chrome::new(&viewer, "catalogue"),
            name: first.entity_name.clone(),
            province_href: province_href(&first.province_code),
            facts,
            cards,
        },
        lang,
    )
}

#[derive(Template)]
#[template(path = "portal/province.html")]
struct ProvincePage {
    chrome: Chrome,
    code: String,
    name: String,
    total: String,
    entities: String,
    star_chart: String,
    commune_chart: String,
    former: Vec<(String, String)>,
    newest: Vec<Card>,
}

/// `GET /catalogue/provinces/{code}`: a province's products and figures, with the former
/// provinces it absorbed in 2025.
pub async fn province_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
) -> Result<Html<String>, PageError> {
    let lang = viewer.lang;
    let province = units::find_by_code(&state.read_db, &code, None)
        .await
        .map_err(page_error(lang))?
        .filter(|u| u.parent_id.is_none() && u.valid_to.is_none())
        .ok_or_else(|| not_found("province", &code, lang))?;
    let index = catalogue(&state).await.map_err(page_error(lang))?;
    let procedure = state.procedure_in_force();
    let today = today();
    let summary = index.summary(&procedure, today, Some(&code));
    let former = units::predecessors(&state.read_db, province.id)
        .await
        .map_err(page_error(lang))?
        .into_iter()
        .map(|unit| (unit_href(&unit), unit.name))
        .collect();
    let mut communes: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for listing in index.listings().filter(|l| *l.province_code == *code) {
        if listing.status(&procedure, today).is_valid() {
            *communes
                .entry((
                    listing.commune_code.to_string(),
                    listing.commune_name.to_string(),
                ))
                .or_default() += 1;
        }
    }
    let mut bars: Vec<Bar> = communes
        .into_iter()
        .map(|((commune, name), n)| Bar {
            label: name,
            value: n,
            href: Some(format!("/catalogue?province={code}&commune={commune}")),
        })
        .collect();
    bars.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
    bars.truncate(15);
    let newest_query = CatalogueQuery {
        filters: ocop_domain::catalogue::Filters {
            province: Some(code.clone()),
            ..Default::default()
        },
        sort: Sort::Newest,
        per_page: 12,
        ..Default::default()
    };
    let newest = index
        .search(&newest_query, &procedure, today)
        .items
        .into_iter()
        .map(|(l, s)| Card::new(l, s, lang))
        .collect();
    render(
        &ProvincePage {
            chrome: Chrome::new(&viewer, "catalogue"),
            name: province.name,
            total: count(summary.total()),
            entities: count(summary.entities),
            star_chart: stars_chart(&summary.by_stars, lang),
            commune_chart: horizontal_bars(
                &lang.t("portal-chart-top-communes"),
                &bars,
                format::number,
            ),
            former,
            newest,
            code,
        },
        lang,
    )
}
