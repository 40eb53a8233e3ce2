//! Where a product is sold: a supermarket chain, an OCOP showroom or point of sale (with an
//! address a buyer can go to) or an e-commerce listing (with a link). The producer keeps the
//! list; the public product page shows it under "where to buy".

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::monitoring::promotion::Platform;
use crate::text::normalize;

/// The longest name, address and link kept.
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_ADDRESS_CHARS: usize = 300;
pub const MAX_URL_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesPointKind {
    /// An OCOP showroom or centre for introducing and selling products.
    Showroom,
    /// A shop or stall selling OCOP products.
    PointOfSale,
    /// A supermarket chain or one of its stores.
    Supermarket,
    /// A listing on an e-commerce platform or the producer's own shop online.
    Ecommerce,
}

impl SalesPointKind {
    pub const ALL: [SalesPointKind; 4] = [
        SalesPointKind::Showroom,
        SalesPointKind::PointOfSale,
        SalesPointKind::Supermarket,
        SalesPointKind::Ecommerce,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SalesPointKind::Showroom => "showroom",
            SalesPointKind::PointOfSale => "point_of_sale",
            SalesPointKind::Supermarket => "supermarket",
            SalesPointKind::Ecommerce => "ecommerce",
        }
    }

    pub fn parse(text: &str) -> Option<SalesPointKind> {
        SalesPointKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// A place a buyer walks into: it needs an address.
    pub fn is_physical(self) -> bool {
        !matches!(
            self,
            SalesPointKind::Ecommerce | SalesPointKind::Supermarket
        )
    }
}

/// A sales point as a form submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct SalesPointForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub url: String,
    /// When it opened (dd/mm/yyyy or yyyy-mm-dd), if known.
    #[serde(default)]
    pub opened_on: String,
    /// For an e-commerce listing: the platform (`Platform`'s code).
    #[serde(default)]
    pub platform: String,
}

/// A checked sales point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesPointDraft {
    pub kind: SalesPointKind,
    pub name: String,
    pub address: Option<String>,
    pub url: Option<String>,
    pub opened_on: Option<NaiveDate>,
    pub platform: Option<Platform>,
}

/// Field → message id.
pub type SalesPointErrors = BTreeMap<&'static str, &'static str>;

/// A link a browser opens safely: `https://` or `http://`, a host, no spaces or quotes.
pub fn valid_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            host.contains('.')
                && !host.starts_with('.')
                && url.chars().count() <= MAX_URL_CHARS
                && url
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\'))
        }
        None => false,
    }
}

/// Checks a sales point: a showroom or point of sale needs an address, an e-commerce listing a
/// link; a link, where given, must be a web address.
pub fn check_sales_point(form: &SalesPointForm) -> Result<SalesPointDraft, SalesPointErrors> {
    let mut errors = SalesPointErrors::new();
    let kind = SalesPointKind::parse(form.kind.trim());
    if kind.is_none() {
        errors.insert("kind", "sales-error-kind");
    }
    let name = normalize(&form.name);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.insert("name", "sales-error-name");
    }
    let address = normalize(&form.address);
    if address.chars().count() > MAX_ADDRESS_CHARS
        || (address.is_empty() && kind.is_some_and(SalesPointKind::is_physical))
    {
        errors.insert("address", "sales-error-address");
    }
    let url = form.url.trim().to_string();
    if (!url.is_empty() && !valid_url(&url))
        || (url.is_empty() && kind == Some(SalesPointKind::Ecommerce))
    {
        errors.insert("url", "sales-error-url");
    }
    let opened_on = match form.opened_on.trim() {
        "" => None,
        typed => {
            let day = NaiveDate::parse_from_str(typed, "%d/%m/%Y")
                .or_else(|_| NaiveDate::parse_from_str(typed, "%Y-%m-%d"))
                .ok();
            if day.is_none() {
                errors.insert("opened_on", "sales-error-opened-on");
            }
            day
        }
    };
    let platform = match form.platform.trim() {
        "" => None,
        typed => {
            let platform = Platform::parse(typed);
            if platform.is_none() || kind != Some(SalesPointKind::Ecommerce) {
                errors.insert("platform", "sales-error-platform");
            }
            platform
        }
    };
    match kind {
        Some(kind) if errors.is_empty() => Ok(SalesPointDraft {
            kind,
            name,
            address: (!address.is_empty()).then_some(address),
            url: (!url.is_empty()).then_some(url),
            opened_on,
            platform,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, name: &str, address: &str, url: &str) -> SalesPointForm {
        SalesPointForm {
            kind: kind.into(),
            name: name.into(),
            address: address.into(),
            url: url.into(),
            ..SalesPointForm::default()
        }
    }

    #[test]
    fn a_showroom_needs_an_address_and_a_listing_a_link() {
        let showroom = check_sales_point(&form(
            "showroom",
            "  Trung tâm  OCOP Hà Nội ",
            "Số 1 Tràng Tiền, phường Hoàn Kiếm",
            "",
        ))
        .unwrap();
        assert_eq!(showroom.kind, SalesPointKind::Showroom);
        assert_eq!(showroom.name, "Trung tâm OCOP Hà Nội");
        assert_eq!(showroom.url, None);
        let errors = check_sales_point(&form("showroom", "Cửa hàng", "", "")).unwrap_err();
        assert_eq!(errors.get("address"), Some(&"sales-error-address"));
        let errors = check_sales_point(&form("ecommerce", "Shopee", "", "")).unwrap_err();
        assert_eq!(errors.get("url"), Some(&"sales-error-url"));
        let listing = check_sales_point(&form(
            "ecommerce",
            "Gian hàng trên Postmart",
            "",
            "https://postmart.vn/gian-hang/12345",
        ))
        .unwrap();
        assert_eq!(listing.address, None);
        assert!(check_sales_point(&form("supermarket", "Co.opmart", "", "")).is_ok());
        let dated = SalesPointForm {
            opened_on: "15/03/2024".into(),
            platform: "shopee".into(),
            ..form(
                "ecommerce",
                "Gian hàng Shopee",
                "",
                "https://shopee.vn/shop/1",
            )
        };
        let listing = check_sales_point(&dated).unwrap();
        assert_eq!(listing.platform, Some(Platform::Shopee));
        assert_eq!(listing.opened_on, NaiveDate::from_ymd_opt(2024, 3, 15));
        let wrong = SalesPointForm {
            opened_on: "31/02/2024".into(),
            platform: "shopee".into(),
            ..form("showroom", "Cửa hàng", "Số 1", "")
        };
        let errors = check_sales_point(&wrong).unwrap_err();
        assert_eq!(errors.get("opened_on"), Some(&"sales-error-opened-on"));
        assert_eq!(errors.get("platform"), Some(&"sales-error-platform"));
    }

    #[test]
    fn wrong_fields_are_named_each() {
        let errors = check_sales_point(&form("stall", "", &"x".repeat(301), "javascript:alert(1)"))
            .unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["address", "kind", "name", "url"]
        );
    }

    #[test]
    fn only_web_addresses_are_links() {
        for good in [
            "https://shopee.vn/shop/123",
            "http://ocop.hanoi.gov.vn",
            "https://a.vn?q=1",
        ] {
            assert!(valid_url(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https://localhost",
            "ftp://a.vn",
            "https://a.vn/\"><script>",
            "https://a.vn/ x",
            "//a.vn",
            "https://.vn",
        ] {
            assert!(!valid_url(bad), "{bad}");
        }
        assert!(!valid_url(&format!("https://a.vn/{}", "x".repeat(500))));
    }
}
