//! The OpenAPI document of `/api/v1`, served at `/api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        crate::notices::api::list,
    ),
    modifiers(&Security),
    tags(
        (name = "certificates", description = "Certificates: status today, revocation, inspections, and the public verification of a QR"),
        (name = "notices", description = "The caller's notices"),
        (name = "portal", description = "The public catalogue of recognised products (no sign-in), and production batches"),
        (name = "units", description = "Administrative units before and after the 2025 reform"),
        (name = "criteria", description = "Criteria versions, scoring sheets, council scoring"),
        (name = "registry", description = "Entities and products, scoped to the caller"),
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

/// `GET /api/v1/openapi.json`
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
