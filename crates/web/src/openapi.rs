//! The OpenAPI document of `/api/v1`, served at `/api/v1/openapi.json`, and the reference page
//! made from it at `/api/docs`.

use std::sync::LazyLock;

use askama::Template;
use axum::Json;
use axum::response::Html;
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::shared::auth::Viewer;
use crate::shared::error::PageError;
use crate::shared::page::{Chrome, render};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ocop API",
        description = "OCOP programme management system: administrative units, criteria and scoring, the registry, dossiers, rounds, certificates. \
                       Errors are {\"error\": {\"code\", \"message\", \"details\"?, \"fields\"?}} with stable codes \
                       (ErrorDoc); requests the API cannot read too (invalid_json, invalid_query, invalid_path, invalid_upload). \
                       `fields` (invalid_fields) carry a stable code per field and a message in the request's language: \
                       the `lang` cookie, then Accept-Language, else Vietnamese.",
        license(name = "MIT")
    ),
    paths(
        crate::units::api::provinces,
        crate::units::api::unit,
        crate::units::api::search,
        crate::criteria::api::versions,
        crate::criteria::api::sheet,
        crate::criteria::api::score,
        crate::registry::api::list,
        crate::registry::api::get,
        crate::registry::api::products,
        crate::registry::api::product,
        crate::registry::api::register,
        crate::registry::api::confirm,
        crate::registry::api::add_product,
        crate::registry::api::update,
        crate::registry::api::update_product,
        crate::dossiers::api::list,
        crate::dossiers::api::get,
        crate::dossiers::api::create,
        crate::dossiers::api::self_assess,
        crate::dossiers::api::act,
        crate::dossiers::api::upload,
        crate::dossiers::api::report,
        crate::dossiers::api::pre_assessment,
        crate::rounds::api::list,
        crate::rounds::api::open,
        crate::rounds::api::get,
        crate::rounds::api::settings,
        crate::rounds::api::seat,
        crate::rounds::api::add_product,
        crate::rounds::api::act,
        crate::rounds::api::decide,
        crate::rounds::api::round_analytics,
        crate::rounds::api::clear,
        crate::rounds::api::product,
        crate::rounds::api::draft,
        crate::rounds::api::submit,
        crate::rounds::api::declare,
        crate::rounds::api::rescore,
        crate::rounds::api::legacy_result,
        crate::rounds::api::fallback,
        crate::certificates::api::list,
        crate::certificates::api::get,
        crate::certificates::api::revoke,
        crate::certificates::api::decide,
        crate::certificates::api::inspect,
        crate::certificates::verify::verify_api,
        crate::certificates::verify::verify_post,
        crate::portal::api::search,
        crate::portal::batches::add_batch_api,
        crate::registry::sales_points::add_api,
        crate::registry::sales_points::remove_api,
        crate::registry::markets::add_api,
        crate::registry::markets::remove_api,
        crate::notices::api::list,
        crate::monitoring::dashboard::api,
        crate::monitoring::plans::list_api,
        crate::monitoring::plans::create_api,
        crate::monitoring::policies::list_api,
        crate::monitoring::policies::create_api,
        crate::monitoring::policies::entitlements_api,
        crate::monitoring::policies::plan_api,
        crate::monitoring::policies::advance_api,
        crate::monitoring::policies::budgets_api,
        crate::monitoring::policies::budget_api,
        crate::monitoring::promotion::api,
        crate::import::api::upload,
        crate::import::api::list,
        crate::import::api::get,
        crate::import::api::apply,
    ),
    modifiers(&Security, &CommonErrors),
    tags(
        (name = "certificates", description = "Certificates: status today, revocation, inspections, and the public verification of a QR"),
        (name = "notices", description = "The caller's notices"),
        (name = "monitoring", description = "Programme monitoring in the caller's scope: dashboards, plans and targets with \
            progress, support and reward policies with their entitlements, disbursements and budgets, fairs, courses and \
            craft villages. Money is whole đồng; shares are basis points (4000 = 40 %)"),
        (name = "imports", description = "A provincial office's imports of its existing records (entities, products, \
            recognitions, council results) from XLSX or CSV: a run is queued, checked row by row (dry run by default) and written all or \
            nothing; problems carry the row, the column, the value and a stable code"),
        (name = "portal", description = "The public catalogue of recognised products (no sign-in), and production batches"),
        (name = "units", description = "Administrative units before and after the 2025 reform"),
        (name = "criteria", description = "Criteria versions, scoring sheets, council scoring"),
        (name = "registry", description = "Entities and products, scoped to the caller, with where each product is sold"),
        (name = "dossiers", description = "Evaluation dossiers: open, self-assess, upload evidence, submit, return, accept, propose. \
            Writes need a bearer token, or a session with its CSRF token in X-CSRF-Token"),
        (name = "rounds", description = "Evaluation rounds: councils, conflicts of interest, blind online scoring, re-scores, \
            decisions, rater analytics. A member sees no other card, total or mean of a product's current pass before \
            submitting their own"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("ocop_session"))),
        );
    }
}

/// The answers every operation may give besides its own, documented on each: a request the API
/// cannot read (400), one without or beyond the caller's rights (401, 403, for operations that
/// need a caller), the public paths' rate limit (429, with `Retry-After`), and a database or
/// file storage that cannot be reached (503). One place, so no operation forgets one.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| -> RefOr<utoipa::openapi::Response> {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorDoc")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let limited = crate::shared::limits::RateLimit::limits(path);
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let answers = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    answers
                        .entry(status.to_string())
                        .or_insert_with(|| error(description));
                };
                add(
                    "400",
                    "The request cannot be read: a body that is not the JSON or form expected \
                     (`invalid_json`, `invalid_upload`, `too_large`), a query or path of the wrong \
                     type (`invalid_query`, `invalid_path`)",
                );
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "Sign in or send a token first (`unauthenticated`)");
                    add(
                        "403",
                        "The caller's role or unit may not do this (`forbidden` and the like)",
                    );
                }
                if limited {
                    add(
                        "429",
                        "Too many requests from this address (`rate_limited`); `Retry-After` says \
                         in how many seconds to try again",
                    );
                }
                add(
                    "503",
                    "The database or the file storage cannot be reached right now \
                     (`database_unavailable`, `files_unavailable`); nothing was written",
                );
            }
        }
    }
}

/// `GET /api/v1/openapi.json`
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The reference for people: every operation by tag, its parameters, body, answers and who may
/// call it, and every schema's fields, rendered on the server from the same document as
/// `/api/v1/openapi.json` (so it cannot drift from it, and needs no script or CDN).
static REFERENCE: LazyLock<Reference> = LazyLock::new(|| {
    let document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    Reference::of(&document)
});

/// `GET /api/docs`: the API reference page.
pub async fn docs_page(viewer: Viewer) -> Result<Html<String>, PageError> {
    render(
        &ApiDocsPage {
            chrome: Chrome::new(&viewer, "api"),
            reference: &REFERENCE,
        },
        viewer.lang,
    )
}

#[derive(Template)]
#[template(path = "shared/api_docs.html")]
struct ApiDocsPage {
    chrome: Chrome,
    reference: &'static Reference,
}

/// The document, arranged for reading.
pub struct Reference {
    pub title: String,
    pub version: String,
    pub description: String,
    pub tags: Vec<TagSection>,
    pub schemas: Vec<SchemaDoc>,
}

pub struct TagSection {
    pub name: String,
    pub description: String,
    pub operations: Vec<OperationDoc>,
}

pub struct OperationDoc {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// Empty: anyone may call it; else the accepted credentials, "none" meaning anyone too.
    pub security: Vec<String>,
    pub parameters: Vec<FieldDoc>,
    /// (content type, its schema).
    pub body: Vec<(String, TypeDoc)>,
    /// (status, description, the body's schema if any).
    pub responses: Vec<(String, String, Option<TypeDoc>)>,
}

/// A named value: a parameter (with where it goes) or a schema's property.
pub struct FieldDoc {
    pub name: String,
    pub place: String,
    pub required: bool,
    pub kind: TypeDoc,
    pub description: String,
}

/// A type as written: `string (date)`, `[CertificateJson]`; linked when it names a schema.
pub struct TypeDoc {
    pub text: String,
    pub schema: Option<String>,
}

pub struct SchemaDoc {
    pub name: String,
    pub description: String,
    pub fields: Vec<FieldDoc>,
    /// The schema itself, for what the table does not show (enumerations, alternatives).
    pub json: String,
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl Reference {
    fn of(document: &Value) -> Reference {
        let info = &document["info"];
        let mut tags: Vec<TagSection> = document["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|tag| TagSection {
                name: text(tag, "name"),
                description: text(tag, "description"),
                operations: Vec::new(),
            })
            .collect();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let tag = operation["tags"][0].as_str().unwrap_or("other").to_string();
                let doc = OperationDoc::of(method, path, operation);
                match tags.iter_mut().find(|t| t.name == tag) {
                    Some(section) => section.operations.push(doc),
                    None => tags.push(TagSection {
                        name: tag,
                        description: String::new(),
                        operations: vec![doc],
                    }),
                }
            }
        }
        tags.retain(|t| !t.operations.is_empty());
        let schemas = document["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, schema)| SchemaDoc {
                name: name.clone(),
                description: text(schema, "description"),
                fields: properties(schema),
                json: serde_json::to_string_pretty(schema).unwrap_or_default(),
            })
            .collect();
        Reference {
            title: text(info, "title"),
            version: text(info, "version"),
            description: text(info, "description"),
            tags,
            schemas,
        }
    }
}

impl OperationDoc {
    fn of(method: &str, path: &str, operation: &Value) -> OperationDoc {
        let security = operation
            .get("security")
            .and_then(Value::as_array)
            .map(|requirements| {
                requirements
                    .iter()
                    .map(|r| match r.as_object().and_then(|o| o.keys().next()) {
                        Some(scheme) => scheme.clone(),
                        None => "none".to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let parameters = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| FieldDoc {
                name: text(p, "name"),
                place: text(p, "in"),
                required: p["required"].as_bool().unwrap_or(false),
                kind: TypeDoc::of(&p["schema"]),
                description: text(p, "description"),
            })
            .collect();
        let content = |value: &Value| -> Vec<(String, TypeDoc)> {
            value["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(kind, media)| (kind.clone(), TypeDoc::of(&media["schema"])))
                .collect()
        };
        let responses = operation["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(status, response)| {
                (
                    status.clone(),
                    text(response, "description"),
                    content(response).into_iter().next().map(|(_, t)| t),
                )
            })
            .collect();
        OperationDoc {
            anchor: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
            method: method.to_uppercase(),
            path: path.to_string(),
            summary: without_route(&text(operation, "summary")).to_string(),
            description: text(operation, "description"),
            security,
            parameters,
            body: content(&operation["requestBody"]),
            responses,
        }
    }
}

/// A summary without the "`GET /api/v1/…`: " its doc comment starts with: the page shows the
/// method and path beside it.
fn without_route(summary: &str) -> &str {
    match summary
        .strip_prefix('`')
        .and_then(|rest| rest.split_once("`: "))
    {
        Some((route, rest)) if route.contains(" /") => rest,
        _ => summary,
    }
}

impl TypeDoc {
    fn of(schema: &Value) -> TypeDoc {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference
                .rsplit('/')
                .next()
                .unwrap_or(reference)
                .to_string();
            return TypeDoc {
                text: name.clone(),
                schema: Some(name),
            };
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                let parts: Vec<TypeDoc> = alternatives
                    .iter()
                    .map(TypeDoc::of)
                    .filter(|t| t.text != "null")
                    .collect();
                return TypeDoc {
                    schema: parts.iter().find_map(|t| t.schema.clone()),
                    text: parts
                        .into_iter()
                        .map(|t| t.text)
                        .collect::<Vec<_>>()
                        .join(" | "),
                };
            }
        }
        let kinds: Vec<&str> = match &schema["type"] {
            Value::String(kind) => vec![kind.as_str()],
            Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let nullable = kinds.contains(&"null");
        let kind = kinds.into_iter().find(|k| *k != "null").unwrap_or("any");
        let mut doc = match kind {
            "array" => {
                let items = TypeDoc::of(&schema["items"]);
                TypeDoc {
                    text: format!("[{}]", items.text),
                    schema: items.schema,
                }
            }
            _ => {
                let mut text = kind.to_string();
                if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                    let values: Vec<String> = values
                        .iter()
                        .filter_map(|v| v.as_str().map(|s| format!("\"{s}\"")))
                        .collect();
                    text = values.join(" | ");
                } else if let Some(format) = schema.get("format").and_then(Value::as_str) {
                    text = format!("{kind} ({format})");
                }
                TypeDoc { text, schema: None }
            }
        };
        if nullable {
            doc.text.push_str(" | null");
        }
        doc
    }
}

/// An object schema's properties, in the document's order.
fn properties(schema: &Value) -> Vec<FieldDoc> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut fields: Vec<FieldDoc> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| FieldDoc {
            name: name.clone(),
            place: String::new(),
            required: required.contains(&name.as_str()),
            kind: TypeDoc::of(property),
            description: text(property, "description"),
        })
        .collect();
    // A flattened struct is an allOf of its parts.
    for part in schema["allOf"].as_array().into_iter().flatten() {
        fields.extend(properties(part));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::without_route;

    #[test]
    fn a_summary_drops_the_route_the_page_shows_beside_it() {
        assert_eq!(
            without_route("`GET /api/v1/certificates`: certificates in the caller's scope."),
            "certificates in the caller's scope."
        );
        assert_eq!(
            without_route("Checks a scanned certificate payload."),
            "Checks a scanned certificate payload."
        );
        assert_eq!(without_route("`code`: a code"), "`code`: a code");
    }
}
