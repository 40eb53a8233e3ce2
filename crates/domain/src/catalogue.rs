//! The public catalogue: every product that holds or held an OCOP certificate, with its latest
//! certificate, searched and filtered in memory.
//!
//! What a visitor may ask is checked here ([`CatalogueQuery::parse`]): a query of at most
//! [`MAX_QUERY_CHARS`] characters, known filter values, pages of at most [`MAX_PAGE_SIZE`] up to
//! page [`MAX_PAGE`]. The [`CatalogueIndex`] answers from memory: the listings' names searched
//! word by word ([`WordIndex`]), orders sorted once per build. A certificate's status is never
//! stored with a listing: it is derived from the timeline once for each day asked, so a
//! certificate expires in the catalogue on the day it expires.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use crate::certificates::{Status, Timeline};
use crate::criteria::{EntityType, Procedure};
use crate::text::{WordIndex, fold};

/// Longer queries are refused (no product, entity and place name together comes close).
pub const MAX_QUERY_CHARS: usize = 100;
pub const DEFAULT_PAGE_SIZE: usize = 24;
pub const MAX_PAGE_SIZE: usize = 100;
/// Deeper pages are refused: 10,000 pages of 100 is more than the register holds.
pub const MAX_PAGE: usize = 10_000;
/// Answers kept per day at most; past it they start again (made-up questions cannot grow it).
const MAX_ANSWERS: usize = 4_096;

/// One recognised product as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub product_id: String,
    pub product_code: String,
    pub product_name: String,
    /// Codes and names that thousands of listings repeat are shared, not copied.
    pub product_set: Arc<str>,
    /// The group of the product's set in its criteria version.
    pub group: Arc<str>,
    pub gtin: Option<String>,
    pub entity_id: String,
    pub entity_code: String,
    pub entity_name: String,
    pub entity_type: EntityType,
    pub women_led: bool,
    pub ethnic_minority_led: bool,
    pub commune_code: Arc<str>,
    pub commune_name: Arc<str>,
    pub province_code: Arc<str>,
    pub province_name: Arc<str>,
    /// The product's latest certificate.
    pub certificate_number: String,
    pub stars: u8,
    pub timeline: Timeline,
    /// The first photo's content hash, if any.
    pub photo: Option<String>,
}

impl Listing {
    /// The text a search looks in: product, entity and place names.
    fn search_text(&self) -> String {
        format!(
            "{} | {} | {} | {}",
            self.product_name, self.entity_name, self.commune_name, self.province_name
        )
    }

    pub fn status(&self, procedure: &Procedure, today: NaiveDate) -> Status {
        self.timeline.status(procedure, today)
    }
}

/// Which certificates a visitor wants to see, by their status today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StatusFilter {
    /// Active or pending re-evaluation: the product may carry the mark today.
    #[default]
    InForce,
    Active,
    PendingReevaluation,
    Expired,
    Revoked,
    All,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 6] = [
        StatusFilter::InForce,
        StatusFilter::Active,
        StatusFilter::PendingReevaluation,
        StatusFilter::Expired,
        StatusFilter::Revoked,
        StatusFilter::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::InForce => "in_force",
            StatusFilter::Active => "active",
            StatusFilter::PendingReevaluation => "pending_reevaluation",
            StatusFilter::Expired => "expired",
            StatusFilter::Revoked => "revoked",
            StatusFilter::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<StatusFilter> {
        StatusFilter::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn accepts(self, status: Status) -> bool {
        match self {
            StatusFilter::InForce => status.is_valid(),
            StatusFilter::Active => status == Status::Active,
            StatusFilter::PendingReevaluation => {
                matches!(status, Status::PendingReevaluation { .. })
            }
            StatusFilter::Expired => status == Status::Expired,
            StatusFilter::Revoked => status == Status::Revoked,
            StatusFilter::All => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sort {
    /// Products whose own name matches first, then by star and newest.
    #[default]
    Relevance,
    Newest,
    Stars,
    Name,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Relevance, Sort::Newest, Sort::Stars, Sort::Name];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Stars => "stars",
            Sort::Name => "name",
        }
    }

    pub fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The filters of a catalogue question, all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    pub province: Option<String>,
    pub commune: Option<String>,
    pub group: Option<String>,
    pub set: Option<String>,
    pub stars: Option<u8>,
    pub entity_type: Option<EntityType>,
    pub status: StatusFilter,
    pub women_led: bool,
    pub ethnic_minority_led: bool,
}

impl Filters {
    /// The plain reading of the filters, which the index's numbered facets must agree with.
    #[cfg(test)]
    fn accept(&self, listing: &Listing, procedure: &Procedure, today: NaiveDate) -> bool {
        let matches =
            |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
        matches(&self.province, &listing.province_code)
            && matches(&self.commune, &listing.commune_code)
            && matches(&self.group, &listing.group)
            && matches(&self.set, &listing.product_set)
            && self.stars.is_none_or(|s| s == listing.stars)
            && self.entity_type.is_none_or(|t| t == listing.entity_type)
            && (!self.women_led || listing.women_led)
            && (!self.ethnic_minority_led || listing.ethnic_minority_led)
            && self.status.accepts(listing.status(procedure, today))
    }
}

/// A catalogue question as the URL gives it: every value text, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct RawQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub commune: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub set: Option<String>,
    #[serde(default)]
    pub stars: Option<String>,
    #[serde(default)]
    pub entity_type: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub women_led: Option<String>,
    #[serde(default)]
    pub ethnic_minority_led: Option<String>,
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
    #[serde(default)]
    pub per_page: Option<String>,
}

/// A checked catalogue question.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CatalogueQuery {
    pub text: String,
    pub filters: Filters,
    pub sort: Sort,
    /// From 1.
    pub page: usize,
    pub per_page: usize,
}

impl Default for CatalogueQuery {
    fn default() -> Self {
        CatalogueQuery {
            text: String::new(),
            filters: Filters::default(),
            sort: Sort::default(),
            page: 1,
            per_page: DEFAULT_PAGE_SIZE,
        }
    }
}

/// Field → message id of what is wrong with it.
pub type QueryErrors = BTreeMap<&'static str, &'static str>;

impl CatalogueQuery {
    /// Checks a question field by field. Codes are not looked up here: an unknown province is
    /// an empty result, not an error; a value no code can have (a star of 6) is an error.
    pub fn parse(raw: &RawQuery) -> Result<CatalogueQuery, QueryErrors> {
        let mut errors = QueryErrors::new();
        let present = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let text = present(&raw.q).unwrap_or_default();
        if text.chars().count() > MAX_QUERY_CHARS {
            errors.insert("q", "catalogue-error-query-too-long");
        }
        let code = |value: &Option<String>, field: &'static str, errors: &mut QueryErrors| {
            let value = present(value)?;
            if value.len() > 20 || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                errors.insert(field, "catalogue-error-code");
                return None;
            }
            Some(value)
        };
        let province = code(&raw.province, "province", &mut errors);
        let commune = code(&raw.commune, "commune", &mut errors);
        let set = code(&raw.set, "set", &mut errors).map(|s| s.to_uppercase());
        let group = present(&raw.group);
        if group.as_ref().is_some_and(|g| g.chars().count() > 100) {
            errors.insert("group", "catalogue-error-code");
        }
        let stars = present(&raw.stars).and_then(|s| match s.parse::<u8>() {
            Ok(star @ 3..=5) => Some(star),
            _ => {
                errors.insert("stars", "catalogue-error-stars");
                None
            }
        });
        let entity_type = present(&raw.entity_type).and_then(|t| {
            let parsed = EntityType::parse(&t);
            if parsed.is_none() {
                errors.insert("entity_type", "catalogue-error-entity-type");
            }
            parsed
        });
        let status = match present(&raw.status) {
            None => StatusFilter::default(),
            Some(s) => StatusFilter::parse(&s).unwrap_or_else(|| {
                errors.insert("status", "catalogue-error-status");
                StatusFilter::default()
            }),
        };
        let flag =
            |value: &Option<String>, field: &'static str, errors: &mut QueryErrors| match present(
                value,
            )
            .as_deref()
            {
                None | Some("0" | "false" | "off") => false,
                Some("1" | "true" | "on") => true,
                Some(_) => {
                    errors.insert(field, "catalogue-error-flag");
                    false
                }
            };
        let women_led = flag(&raw.women_led, "women_led", &mut errors);
        let ethnic_minority_led =
            flag(&raw.ethnic_minority_led, "ethnic_minority_led", &mut errors);
        let sort = match present(&raw.sort) {
            None => Sort::default(),
            Some(s) => Sort::parse(&s).unwrap_or_else(|| {
                errors.insert("sort", "catalogue-error-sort");
                Sort::default()
            }),
        };
        let number = |value: &Option<String>,
                      default: usize,
                      max: usize,
                      field: &'static str,
                      errors: &mut QueryErrors| {
            match present(value) {
                None => default,
                Some(v) => match v.parse::<usize>() {
                    Ok(n) if (1..=max).contains(&n) => n,
                    _ => {
                        errors.insert(field, "catalogue-error-page");
                        default
                    }
                },
            }
        };
        let page = number(&raw.page, 1, MAX_PAGE, "page", &mut errors);
        let per_page = number(
            &raw.per_page,
            DEFAULT_PAGE_SIZE,
            MAX_PAGE_SIZE,
            "per_page",
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CatalogueQuery {
            text,
            filters: Filters {
                province,
                commune,
                group,
                set,
                stars,
                entity_type,
                status,
                women_led,
                ethnic_minority_led,
            },
            sort,
            page,
            per_page,
        })
    }
}

/// One page of answers.
#[derive(Debug)]
pub struct Page<'a> {
    /// How many products answer the question in all.
    pub total: usize,
    pub items: Vec<(&'a Listing, Status)>,
}

impl Page<'_> {
    pub fn pages(&self, per_page: usize) -> usize {
        self.total.div_ceil(per_page.max(1))
    }
}

/// Figures of the products in force: per star and per province.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Products in force per star (3, 4, 5).
    pub by_stars: BTreeMap<u8, usize>,
    /// Province code → (name, products in force per star).
    pub by_province: BTreeMap<String, (String, BTreeMap<u8, usize>)>,
    pub entities: usize,
}

impl Summary {
    pub fn total(&self) -> usize {
        self.by_stars.values().sum()
    }
}

/// The catalogue in memory. Built whole from the listings; a change is a new index built from
/// the old one's listings with some replaced (they are shared, so that costs no copies).
///
/// A question scans positions in the order asked for and tests compact per-position facts
/// ([`Facet`], the status of the day), never the listings themselves, so a question over
/// 100,000 products reads a few megabytes in order instead of chasing 100,000 pointers.
#[derive(Debug, Default)]
pub struct CatalogueIndex {
    listings: Vec<Arc<Listing>>,
    /// Positions sorted by product id and by product code, for look-ups by binary search (no
    /// second copy of 100,000 ids and codes).
    by_product: Vec<u32>,
    by_code: Vec<u32>,
    /// Each listing's search text (product, entity and place names), word by word.
    text: WordIndex,
    /// Each listing's product name, word by word: relevance puts the products whose own name
    /// holds every word of the query first.
    names: WordIndex,
    /// The filterable facts of each listing, by position.
    facets: Vec<Facet>,
    /// Province, commune, group and set codes, numbered for the facets.
    codes: Codes,
    /// Each province's communes that have listings, (code, name) by name.
    communes: HashMap<String, Vec<(String, String)>>,
    /// The provinces that have listings, (code, name) by code.
    provinces: Vec<(String, String)>,
    /// Positions sorted newest first, by star then newest, and by name.
    newest: Vec<u32>,
    stars: Vec<u32>,
    name: Vec<u32>,
    /// What the questions of one day read (statuses change with the date, not the records).
    day: Mutex<Option<(NaiveDate, Procedure, Arc<Day>)>>,
}

/// A day's view of the index: each listing's status, and each order with the facts a question
/// tests laid out in that order, so that a question reads memory front to back.
#[derive(Debug)]
struct Day {
    statuses: Vec<Status>,
    /// Questions answered this day: (total, the positions of the page). The index never
    /// changes and questions repeat (first pages, popular searches, a product's way back).
    answers: Mutex<HashMap<CatalogueQuery, (usize, Vec<u32>)>>,
    /// The default order (stars, then newest) laid out; the rarer orders (newest, name) read
    /// the facts by position.
    stars: Vec<Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    position: u32,
    status: Status,
    facet: Facet,
}

/// A listing's filterable facts, as numbers.
#[derive(Debug, Clone, Copy)]
struct Facet {
    province: u32,
    commune: u32,
    group: u32,
    set: u32,
    stars: u8,
    entity_type: EntityType,
    women_led: bool,
    ethnic_minority_led: bool,
}

/// Codes numbered for facets, one numbering per kind.
#[derive(Debug, Default)]
struct Codes {
    provinces: HashMap<String, u32>,
    communes: HashMap<String, u32>,
    groups: HashMap<String, u32>,
    sets: HashMap<String, u32>,
}

fn number(codes: &mut HashMap<String, u32>, code: &str) -> u32 {
    let next = codes.len() as u32;
    *codes.entry(code.to_string()).or_insert(next)
}

/// Filters with their codes numbered: `None` when a code is asked that no listing has.
struct Wanted {
    province: Option<u32>,
    commune: Option<u32>,
    group: Option<u32>,
    set: Option<u32>,
    stars: Option<u8>,
    entity_type: Option<EntityType>,
    status: StatusFilter,
    women_led: bool,
    ethnic_minority_led: bool,
}

impl Wanted {
    fn of(filters: &Filters, codes: &Codes) -> Option<Wanted> {
        fn look(wanted: &Option<String>, codes: &HashMap<String, u32>) -> Option<Option<u32>> {
            match wanted {
                None => Some(None),
                Some(code) => codes.get(code).map(|n| Some(*n)),
            }
        }
        Some(Wanted {
            province: look(&filters.province, &codes.provinces)?,
            commune: look(&filters.commune, &codes.communes)?,
            group: look(&filters.group, &codes.groups)?,
            set: look(&filters.set, &codes.sets)?,
            stars: filters.stars,
            entity_type: filters.entity_type,
            status: filters.status,
            women_led: filters.women_led,
            ethnic_minority_led: filters.ethnic_minority_led,
        })
    }

    fn accept(&self, facet: &Facet, status: Status) -> bool {
        self.province.is_none_or(|p| p == facet.province)
            && self.commune.is_none_or(|c| c == facet.commune)
            && self.group.is_none_or(|g| g == facet.group)
            && self.set.is_none_or(|s| s == facet.set)
            && self.stars.is_none_or(|s| s == facet.stars)
            && self.entity_type.is_none_or(|t| t == facet.entity_type)
            && (!self.women_led || facet.women_led)
            && (!self.ethnic_minority_led || facet.ethnic_minority_led)
            && self.status.accepts(status)
    }
}

impl CatalogueIndex {
    pub fn new(listings: impl IntoIterator<Item = Arc<Listing>>) -> CatalogueIndex {
        let listings: Vec<Arc<Listing>> = listings.into_iter().collect();
        let mut by_product: Vec<u32> = (0..listings.len() as u32).collect();
        by_product.sort_unstable_by(|&a, &b| {
            listings[a as usize]
                .product_id
                .cmp(&listings[b as usize].product_id)
        });
        let mut by_code: Vec<u32> = (0..listings.len() as u32).collect();
        by_code.sort_unstable_by(|&a, &b| {
            listings[a as usize]
                .product_code
                .cmp(&listings[b as usize].product_code)
        });
        let text = WordIndex::new(listings.iter().map(|l| l.search_text()));
        let names = WordIndex::new(listings.iter().map(|l| l.product_name.as_str()));
        let mut places: BTreeMap<(&str, &str), &str> = BTreeMap::new();
        let mut provinces: BTreeMap<&str, &str> = BTreeMap::new();
        for l in &listings {
            places.insert((&l.province_code, &l.commune_code), &l.commune_name);
            provinces.insert(&l.province_code, &l.province_name);
        }
        let provinces: Vec<(String, String)> = provinces
            .into_iter()
            .map(|(code, name)| (code.to_string(), name.to_string()))
            .collect();
        let mut communes: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for ((province, commune), name) in places {
            communes
                .entry(province.to_string())
                .or_default()
                .push((commune.to_string(), name.to_string()));
        }
        for list in communes.values_mut() {
            list.sort_by_cached_key(|(code, name)| (fold(name), code.clone()));
        }
        let mut codes = Codes::default();
        let facets = listings
            .iter()
            .map(|l| Facet {
                province: number(&mut codes.provinces, &l.province_code),
                commune: number(&mut codes.communes, &l.commune_code),
                group: number(&mut codes.groups, &l.group),
                set: number(&mut codes.sets, &l.product_set),
                stars: l.stars,
                entity_type: l.entity_type,
                women_led: l.women_led,
                ethnic_minority_led: l.ethnic_minority_led,
            })
            .collect();
        let positions = || (0..listings.len() as u32).collect::<Vec<u32>>();
        let mut newest = positions();
        newest.sort_by(|&a, &b| {
            let (a, b) = (&listings[a as usize], &listings[b as usize]);
            b.timeline
                .issued_on
                .cmp(&a.timeline.issued_on)
                .then_with(|| b.certificate_number.cmp(&a.certificate_number))
        });
        // Stars, then newest: a stable sort of the newest order.
        let mut stars = newest.clone();
        stars.sort_by_key(|&p| std::cmp::Reverse(listings[p as usize].stars));
        let folded_names: Vec<Box<str>> = listings
            .iter()
            .map(|l| fold(&l.product_name).into_boxed_str())
            .collect();
        let mut name = positions();
        name.sort_by(|&a, &b| {
            folded_names[a as usize]
                .cmp(&folded_names[b as usize])
                .then_with(|| {
                    listings[a as usize]
                        .product_code
                        .cmp(&listings[b as usize].product_code)
                })
        });
        CatalogueIndex {
            listings,
            by_product,
            by_code,
            text,
            names,
            facets,
            codes,
            communes,
            provinces,
            newest,
            stars,
            name,
            day: Mutex::new(None),
        }
    }

    /// The index with the listings of `products` replaced by `fresh` (a product absent from
    /// `fresh` leaves the catalogue; a new one joins it).
    pub fn with_changes(&self, products: &[String], fresh: Vec<Listing>) -> CatalogueIndex {
        let mut listings = self.listings.clone();
        let mut gone: Vec<usize> = products
            .iter()
            .filter_map(|p| self.position_of(p))
            .collect();
        gone.sort_unstable();
        for position in gone.into_iter().rev() {
            listings.swap_remove(position);
        }
        listings.extend(fresh.into_iter().map(Arc::new));
        CatalogueIndex::new(listings)
    }

    pub fn len(&self) -> usize {
        self.listings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.listings.is_empty()
    }

    fn position_of(&self, product_id: &str) -> Option<usize> {
        let found = self.by_product.binary_search_by(|&p| {
            self.listings[p as usize]
                .product_id
                .as_str()
                .cmp(product_id)
        });
        found.ok().map(|i| self.by_product[i] as usize)
    }

    pub fn get(&self, product_id: &str) -> Option<&Listing> {
        self.position_of(product_id)
            .map(|p| self.listings[p].as_ref())
    }

    /// A product by its code (the public pages' address).
    pub fn by_code(&self, code: &str) -> Option<&Listing> {
        let found = self
            .by_code
            .binary_search_by(|&p| self.listings[p as usize].product_code.as_str().cmp(code));
        found
            .ok()
            .map(|i| self.listings[self.by_code[i] as usize].as_ref())
    }

    /// The provinces that have products in the catalogue, (code, name) by code.
    pub fn provinces(&self) -> &[(String, String)] {
        &self.provinces
    }

    /// A province's communes that have products in the catalogue, (code, name) by name.
    pub fn communes(&self, province: &str) -> &[(String, String)] {
        self.communes.get(province).map_or(&[], Vec::as_slice)
    }

    pub fn listings(&self) -> impl Iterator<Item = &Listing> {
        self.listings.iter().map(Arc::as_ref)
    }

    /// The view of `today`, worked out once a day.
    fn day(&self, procedure: &Procedure, today: NaiveDate) -> Arc<Day> {
        let mut kept = self.day.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((day, rules, view)) = &*kept
            && *day == today
            && rules == procedure
        {
            return view.clone();
        }
        let statuses: Vec<Status> = self
            .listings
            .iter()
            .map(|l| l.status(procedure, today))
            .collect();
        let laid_out = |order: &[u32]| -> Vec<Entry> {
            order
                .iter()
                .map(|&position| Entry {
                    position,
                    status: statuses[position as usize],
                    facet: self.facets[position as usize],
                })
                .collect()
        };
        let view = Arc::new(Day {
            stars: laid_out(&self.stars),
            statuses,
            answers: Mutex::default(),
        });
        *kept = Some((today, procedure.clone(), view.clone()));
        view
    }

    /// The page of answers to `query`, with each product's status on `today`.
    pub fn search(
        &self,
        query: &CatalogueQuery,
        procedure: &Procedure,
        today: NaiveDate,
    ) -> Page<'_> {
        let Some(wanted) = Wanted::of(&query.filters, &self.codes) else {
            return Page {
                total: 0,
                items: Vec::new(),
            };
        };
        let day = self.day(procedure, today);
        let page_of = |total: usize, positions: &[u32]| Page {
            total,
            items: positions
                .iter()
                .map(|&p| (self.listings[p as usize].as_ref(), day.statuses[p as usize]))
                .collect(),
        };
        if let Some((total, positions)) = day
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(query)
        {
            return page_of(*total, positions);
        }
        let hits = (!query.text.is_empty()).then(|| self.text.find_words(&query.text));
        let by_position = |order: &'_ [u32]| -> Vec<Entry> {
            order
                .iter()
                .map(|&position| Entry {
                    position,
                    status: day.statuses[position as usize],
                    facet: self.facets[position as usize],
                })
                .collect()
        };
        let rare;
        let entries: &[Entry] = match query.sort {
            Sort::Newest => {
                rare = by_position(&self.newest);
                &rare
            }
            Sort::Name => {
                rare = by_position(&self.name);
                &rare
            }
            Sort::Stars | Sort::Relevance => &day.stars,
        };
        // Relevance with a text: products whose name holds every word first, then those of
        // matching entities or places; each pass in the order of stars, then newest.
        let named = (query.sort == Sort::Relevance && hits.is_some())
            .then(|| self.names.find_words(&query.text));
        let passes: &[Option<bool>] = if named.is_some() {
            &[Some(true), Some(false)]
        } else {
            &[None]
        };
        let skip = (query.page - 1) * query.per_page;
        let mut total = 0;
        let mut positions = Vec::new();
        for pass in passes {
            for entry in entries {
                if hits.as_ref().is_some_and(|h| !h.contains(entry.position))
                    || !wanted.accept(&entry.facet, entry.status)
                {
                    continue;
                }
                if let (Some(wanted), Some(named)) = (pass, &named)
                    && named.contains(entry.position) != *wanted
                {
                    continue;
                }
                if total >= skip && positions.len() < query.per_page {
                    positions.push(entry.position);
                }
                total += 1;
            }
        }
        let mut answers = day.answers.lock().unwrap_or_else(|e| e.into_inner());
        if answers.len() >= MAX_ANSWERS {
            answers.clear();
        }
        answers.insert(query.clone(), (total, positions.clone()));
        drop(answers);
        page_of(total, &positions)
    }

    /// Products in force on `today` per star and per province, and the entities they belong to.
    pub fn summary(
        &self,
        procedure: &Procedure,
        today: NaiveDate,
        province: Option<&str>,
    ) -> Summary {
        let mut summary = Summary::default();
        let mut entities = std::collections::HashSet::new();
        let day = self.day(procedure, today);
        for (listing, status) in self.listings().zip(day.statuses.iter()) {
            if province.is_some_and(|p| p != &*listing.province_code) || !status.is_valid() {
                continue;
            }
            *summary.by_stars.entry(listing.stars).or_default() += 1;
            let (_, stars) = summary
                .by_province
                .entry(listing.province_code.to_string())
                .or_insert_with(|| (listing.province_name.to_string(), BTreeMap::new()));
            *stars.entry(listing.stars).or_default() += 1;
            entities.insert(listing.entity_id.as_str());
        }
        summary.entities = entities.len();
        summary
    }

    /// The `n` newest recognitions in force.
    pub fn newest(&self, n: usize, procedure: &Procedure, today: NaiveDate) -> Vec<&Listing> {
        let day = self.day(procedure, today);
        self.newest
            .iter()
            .filter(|&&p| day.statuses[p as usize].is_valid())
            .map(|&p| self.listings[p as usize].as_ref())
            .take(n)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn listing(id: &str, name: &str, province: (&str, &str), stars: u8, issued: &str) -> Listing {
        let issued_on = day(issued);
        Listing {
            product_id: id.into(),
            product_code: format!("code-{id}"),
            product_name: name.into(),
            product_set: "P01".into(),
            group: "Thực phẩm".into(),
            gtin: None,
            entity_id: format!("e-{id}"),
            entity_code: format!("E{id}"),
            entity_name: format!("Hợp tác xã {id}"),
            entity_type: EntityType::Cooperative,
            women_led: id.len().is_multiple_of(2),
            ethnic_minority_led: false,
            commune_code: "1".into(),
            commune_name: "Xã Tân Phú".into(),
            province_code: province.0.into(),
            province_name: province.1.into(),
            certificate_number: format!("OCOP-{}-2025-{id:0>5}", province.0),
            stars,
            timeline: Timeline {
                issued_on,
                expires_on: crate::certificates::expiry_of(issued_on, 36),
                revoked_on: None,
                superseded_on: None,
                reevaluation_filed_on: None,
                reevaluation_ended_on: None,
            },
            photo: None,
        }
    }

    #[test]
    fn the_numbered_facets_agree_with_the_plain_filters() {
        let index = index();
        let procedure = Procedure::default();
        let today = day("2026-06-01");
        let provinces = [None, Some("68"), Some("91"), Some("99")];
        let stars = [None, Some(3), Some(4), Some(5)];
        for province in provinces {
            for star in stars {
                for status in StatusFilter::ALL {
                    for women_led in [false, true] {
                        let filters = Filters {
                            province: province.map(str::to_string),
                            stars: star,
                            status,
                            women_led,
                            set: Some("P01".into()),
                            ..Filters::default()
                        };
                        let expected = index
                            .listings()
                            .filter(|l| filters.accept(l, &procedure, today))
                            .count();
                        let query = CatalogueQuery {
                            filters: filters.clone(),
                            per_page: MAX_PAGE_SIZE,
                            ..CatalogueQuery::default()
                        };
                        let page = index.search(&query, &procedure, today);
                        assert_eq!(page.total, expected, "{filters:?}");
                        assert_eq!(page.items.len(), expected.min(MAX_PAGE_SIZE));
                        // Asked again, the day's kept answer is the same page.
                        let again = index.search(&query, &procedure, today);
                        let ids = |p: &Page| -> Vec<(String, Status)> {
                            p.items
                                .iter()
                                .map(|(l, s)| (l.product_id.clone(), *s))
                                .collect()
                        };
                        assert_eq!((again.total, ids(&again)), (page.total, ids(&page)));
                    }
                }
            }
        }
    }

    fn index() -> CatalogueIndex {
        let mut revoked = listing(
            "4",
            "Nước mắm cá cơm",
            ("91", "Tỉnh An Giang"),
            4,
            "2025-03-01",
        );
        revoked.timeline.revoked_on = Some(day("2026-01-05"));
        CatalogueIndex::new(
            [
                listing(
                    "1",
                    "Nước mắm Phan Thiết",
                    ("68", "Tỉnh Lâm Đồng"),
                    4,
                    "2025-06-01",
                ),
                listing(
                    "2",
                    "Cà phê Buôn Ma Thuột",
                    ("66", "Tỉnh Đắk Lắk"),
                    5,
                    "2024-01-10",
                ),
                listing(
                    "3",
                    "Hạt điều rang muối",
                    ("75", "Tỉnh Đồng Nai"),
                    3,
                    "2022-01-10",
                ),
                revoked,
                listing(
                    "5",
                    "Bưởi đường lá cam",
                    ("75", "Tỉnh Đồng Nai"),
                    3,
                    "2026-02-01",
                ),
            ]
            .map(Arc::new),
        )
    }

    fn ask(index: &CatalogueIndex, raw: RawQuery) -> Vec<String> {
        let query = CatalogueQuery::parse(&raw).unwrap();
        index
            .search(&query, &Procedure::default(), day("2026-12-03"))
            .items
            .iter()
            .map(|(l, _)| l.product_id.clone())
            .collect()
    }

    fn q(text: &str) -> RawQuery {
        RawQuery {
            q: Some(text.into()),
            ..RawQuery::default()
        }
    }

    #[test]
    fn search_ignores_diacritics_and_case_over_products_entities_and_places() {
        let index = index();
        assert_eq!(ask(&index, q("nuoc mam phan thiet")), ["1"]);
        assert_eq!(ask(&index, q("dak lak")), ["2"]);
        assert_eq!(
            ask(&index, q("DONG NAI")),
            ["5"],
            "the 2022 one has expired"
        );
        let all = RawQuery {
            status: Some("all".into()),
            ..q("DONG NAI")
        };
        assert_eq!(ask(&index, all), ["5", "3"], "by star, then newest");
        assert_eq!(
            ask(&index, q("hop tac xa 2")),
            ["2"],
            "entity names are searched"
        );
        assert!(ask(&index, q("'; DROP TABLE products; --")).is_empty());
    }

    #[test]
    fn status_is_derived_on_the_day_asked() {
        let index = index();
        let revoked = RawQuery {
            status: Some("revoked".into()),
            ..RawQuery::default()
        };
        assert_eq!(ask(&index, revoked), ["4"]);
        let expired = RawQuery {
            status: Some("expired".into()),
            ..RawQuery::default()
        };
        assert_eq!(ask(&index, expired), ["3"]);
        let query = CatalogueQuery::default();
        let later = index.search(&query, &Procedure::default(), day("2027-02-01"));
        assert_eq!(
            later.total, 2,
            "on 01/02/2027 the 2024 certificate has expired too"
        );
    }

    #[test]
    fn filters_sorts_and_pages() {
        let index = index();
        let by_stars = RawQuery {
            sort: Some("stars".into()),
            ..RawQuery::default()
        };
        assert_eq!(ask(&index, by_stars), ["2", "1", "5"]);
        let newest = RawQuery {
            sort: Some("newest".into()),
            ..RawQuery::default()
        };
        assert_eq!(ask(&index, newest), ["5", "1", "2"]);
        let name = RawQuery {
            sort: Some("name".into()),
            ..RawQuery::default()
        };
        assert_eq!(ask(&index, name), ["5", "2", "1"]);
        let province = RawQuery {
            province: Some("75".into()),
            ..RawQuery::default()
        };
        assert_eq!(ask(&index, province), ["5"]);
        let unknown = RawQuery {
            province: Some("99".into()),
            ..RawQuery::default()
        };
        assert!(
            ask(&index, unknown).is_empty(),
            "an unknown code is an empty result"
        );
        let second = RawQuery {
            sort: Some("newest".into()),
            per_page: Some("2".into()),
            page: Some("2".into()),
            ..RawQuery::default()
        };
        assert_eq!(ask(&index, second), ["2"]);
        let women = RawQuery {
            women_led: Some("1".into()),
            status: Some("all".into()),
            ..RawQuery::default()
        };
        assert!(
            ask(&index, women).is_empty(),
            "single-character ids are odd"
        );
    }

    #[test]
    fn bad_questions_name_their_field() {
        let bad = |raw: RawQuery| CatalogueQuery::parse(&raw).unwrap_err();
        assert_eq!(
            bad(q(&"a".repeat(101)))["q"],
            "catalogue-error-query-too-long"
        );
        let stars = RawQuery {
            stars: Some("6".into()),
            ..RawQuery::default()
        };
        assert_eq!(bad(stars)["stars"], "catalogue-error-stars");
        for page in ["0", "-1", "abc", "10001", "99999999999999999999999"] {
            let raw = RawQuery {
                page: Some(page.into()),
                ..RawQuery::default()
            };
            assert_eq!(bad(raw)["page"], "catalogue-error-page", "{page}");
        }
        let per_page = RawQuery {
            per_page: Some("101".into()),
            ..RawQuery::default()
        };
        assert_eq!(bad(per_page)["per_page"], "catalogue-error-page");
        let province = RawQuery {
            province: Some("<script>".into()),
            ..RawQuery::default()
        };
        assert_eq!(bad(province)["province"], "catalogue-error-code");
        let status = RawQuery {
            status: Some("valid".into()),
            ..RawQuery::default()
        };
        assert_eq!(bad(status)["status"], "catalogue-error-status");
        assert_eq!(
            CatalogueQuery::parse(&q(&"ă".repeat(100)))
                .unwrap()
                .text
                .chars()
                .count(),
            100
        );
    }

    #[test]
    fn changes_replace_listings() {
        let index = index();
        let mut renamed = index.get("1").unwrap().clone();
        renamed.product_name = "Nước mắm nhĩ".into();
        let changed = index.with_changes(&["1".into(), "3".into()], vec![renamed]);
        assert_eq!(changed.len(), 4);
        assert!(changed.get("3").is_none());
        assert_eq!(ask(&changed, q("mam nhi")), ["1"]);
        assert!(ask(&changed, q("phan thiet")).is_empty());
    }

    #[test]
    fn summary_counts_products_in_force() {
        let index = index();
        let summary = index.summary(&Procedure::default(), day("2026-12-03"), None);
        assert_eq!(summary.total(), 3);
        assert_eq!(summary.by_stars[&5], 1);
        assert_eq!(summary.by_province["75"].1[&3], 1);
        let newest: Vec<&str> = index
            .newest(2, &Procedure::default(), day("2026-12-03"))
            .iter()
            .map(|l| l.product_id.as_str())
            .collect();
        assert_eq!(newest, ["5", "1"]);
    }
}
