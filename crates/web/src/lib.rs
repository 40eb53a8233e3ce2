//! HTTP for ocop: the axum router with its pages, JSON API, assets and health checks.
//!
//! This crate knows HTTP and presentation; rules come from `ocop-domain`, data from
//! `ocop-store`. Handlers return [`error::AppError`] (JSON) or [`error::PageError`] (HTML).

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod format;
pub mod i18n;
pub mod pages;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{self, MethodRouter};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use std::sync::Arc;

use ocop_domain::criteria::Catalog;
use ocop_store::Db;
use ocop_store::files::{DEFAULT_MAX_BYTES, FileStore};
use ocop_store::units::UnitSearch;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Where uploads go, and how large they may be.
    pub files: FileStore,
    pub unit_search: Arc<UnitSearch>,
    /// The validated criteria versions.
    pub criteria: Arc<Catalog>,
}

impl AppState {
    /// The criteria version a dossier opened today for a product of `product_set` is evaluated
    /// under (the data's transition rules decide; `None`: keep the product's).
    pub fn version_for_new_dossier(
        &self,
        product_set: &str,
        kind: ocop_domain::dossier::EvaluationType,
    ) -> Option<String> {
        self.criteria
            .version_for_new_dossier(product_set, kind, chrono::Utc::now().date_naive())
            .map(|version| version.id.clone())
    }

    pub fn new(db: Db, criteria: Catalog) -> AppState {
        AppState {
            db,
            files: FileStore::new("files", DEFAULT_MAX_BYTES),
            unit_search: Arc::default(),
            criteria: Arc::new(criteria),
        }
    }

    /// Uses another file store (directory and size limit).
    pub fn with_files(mut self, files: FileStore) -> AppState {
        self.files = files;
        self
    }
}

/// Builds the router while listing every (method, path) it serves, so that tests can walk
/// every route (the authorization matrix fails on a route it has no row for).
struct Routes {
    router: Router<AppState>,
    listed: Vec<(Method, &'static str)>,
}

impl Routes {
    fn new() -> Routes {
        Routes {
            router: Router::new(),
            listed: Vec::new(),
        }
    }

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Routes {
        self.router = self.router.route(path, route);
        self.listed.push((method, path));
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Routes {
        self.add(Method::GET, path, routing::get(handler))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Routes {
        self.add(Method::POST, path, routing::post(handler))
    }

    fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Routes {
        self.add(Method::PUT, path, routing::put(handler))
    }

    /// A `POST` that carries a file: room for it and the form's other fields (the file store
    /// enforces its own limit, with a message).
    fn upload<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        handler: H,
        max_bytes: usize,
    ) -> Routes {
        let route = routing::post(handler).layer(DefaultBodyLimit::max(max_bytes + 1024 * 1024));
        self.add(Method::POST, path, route)
    }
}

/// Every route of the application.
fn routes(max_upload_bytes: usize) -> Routes {
    use api::{criteria as api_criteria, dossiers as api_dossiers, registry as api_registry};
    use pages::{account, criteria, dossiers, registry};
    Routes::new()
        // Public pages.
        .get("/", pages::home)
        .get("/units", pages::units_index)
        .get("/units/{code}", pages::unit_page)
        .get("/criteria", criteria::criteria_index)
        .get("/criteria/{version}/{set}", criteria::sheet_page)
        .get("/lang/{code}", pages::set_lang)
        .get("/assets/{file}", assets::serve_asset)
        .get("/healthz", healthz)
        .get("/readyz", readyz)
        // Signing in, one's account, administration.
        .get("/login", account::login_page)
        .post("/login", account::login)
        .post("/logout", account::logout)
        .get("/account", account::account_page)
        .post("/account/password", account::change_password)
        .get("/admin/users", account::users_page)
        .post("/admin/users", account::create_user)
        .post("/admin/users/{id}/active", account::set_active)
        // The registry.
        .get("/register", registry::register_page)
        .post("/register", registry::register)
        .get("/entities", registry::entities_page)
        .get("/entities/{id}", registry::entity_page)
        .get("/entities/{id}/edit", registry::edit_entity_page)
        .post("/entities/{id}/edit", registry::edit_entity)
        .post("/entities/{id}/confirm", registry::confirm_entity)
        .post("/entities/{id}/products", registry::add_product)
        .get("/products/{id}", registry::product_page)
        .get("/products/{id}/edit", registry::edit_product_page)
        .post("/products/{id}/edit", registry::edit_product)
        .post("/products/{id}/certifications", registry::add_certification)
        .upload(
            "/products/{id}/photos",
            registry::add_photo,
            max_upload_bytes,
        )
        .get("/products/{id}/photos/{sha}", registry::photo)
        // Dossiers.
        .post("/products/{id}/dossiers", dossiers::create)
        .get("/dossiers", dossiers::inbox)
        .get("/dossiers/{id}", dossiers::dossier_page)
        .get(
            "/dossiers/{id}/self-assessment",
            dossiers::self_assessment_form,
        )
        .post(
            "/dossiers/{id}/self-assessment",
            dossiers::save_self_assessment,
        )
        .upload(
            "/dossiers/{id}/evidence",
            dossiers::upload_evidence,
            max_upload_bytes,
        )
        .get(
            "/dossiers/{id}/evidence/{evidence}",
            dossiers::download_evidence,
        )
        .post("/dossiers/{id}/{action}", dossiers::act)
        // The JSON API.
        .get("/api/v1/openapi.json", api::openapi::openapi_json)
        .get("/api/v1/units", api::search)
        .get("/api/v1/units/provinces", api::provinces)
        .get("/api/v1/units/{code}", api::unit)
        .get("/api/v1/criteria", api_criteria::versions)
        .get("/api/v1/criteria/{version}/{set}", api_criteria::sheet)
        .post("/api/v1/score", api_criteria::score)
        .post("/api/v1/register", api_registry::register)
        .get("/api/v1/entities", api_registry::list)
        .get("/api/v1/entities/{id}", api_registry::get)
        .put("/api/v1/entities/{id}", api_registry::update)
        .post("/api/v1/entities/{id}/confirm", api_registry::confirm)
        .post("/api/v1/entities/{id}/products", api_registry::add_product)
        .get("/api/v1/products", api_registry::products)
        .get("/api/v1/products/{id}", api_registry::product)
        .put("/api/v1/products/{id}", api_registry::update_product)
        .post("/api/v1/products/{id}/dossiers", api_dossiers::create)
        .get("/api/v1/dossiers", api_dossiers::list)
        .get("/api/v1/dossiers/{id}", api_dossiers::get)
        .put(
            "/api/v1/dossiers/{id}/self-assessment",
            api_dossiers::self_assess,
        )
        .post("/api/v1/dossiers/{id}/actions", api_dossiers::act)
        .upload(
            "/api/v1/dossiers/{id}/evidence",
            api_dossiers::upload,
            max_upload_bytes,
        )
}

/// Every (method, path) the application serves, as the router has them.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes(DEFAULT_MAX_BYTES).listed
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    routes(state.files.max_bytes())
        .router
        .fallback(pages::not_found)
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            // Everything is served by ocop itself; SVG charts are inline.
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // One log line per request (method, path, status, latency), as JSON with OCOP_LOG_FORMAT=json.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            error::AppError::DatabaseUnavailable.into_response()
        }
    }
}

/// Serves the application on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
