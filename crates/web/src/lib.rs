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
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
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

/// The whole application.
pub fn router(state: AppState) -> Router {
    let upload_limit = state.files.max_bytes() + 1024 * 1024;
    let api = Router::new()
        .route("/openapi.json", get(api::openapi::openapi_json))
        .route("/units", get(api::search))
        .route("/units/provinces", get(api::provinces))
        .route("/units/{code}", get(api::unit))
        .route("/criteria", get(api::criteria::versions))
        .route("/criteria/{version}/{set}", get(api::criteria::sheet))
        .route("/score", post(api::criteria::score))
        .route("/entities", get(api::registry::list))
        .route("/entities/{id}", get(api::registry::get))
        .route("/register", post(api::registry::register))
        .route("/entities/{id}/confirm", post(api::registry::confirm))
        .route("/entities/{id}/products", post(api::registry::add_product))
        .route("/products", get(api::registry::products))
        .route("/products/{id}", get(api::registry::product))
        .route("/products/{id}/dossiers", post(api::dossiers::create))
        .route("/dossiers", get(api::dossiers::list))
        .route("/dossiers/{id}", get(api::dossiers::get))
        .route(
            "/dossiers/{id}/self-assessment",
            axum::routing::put(api::dossiers::self_assess),
        )
        .route("/dossiers/{id}/actions", post(api::dossiers::act))
        .route(
            "/dossiers/{id}/evidence",
            post(api::dossiers::upload).layer(DefaultBodyLimit::max(upload_limit)),
        );
    Router::new()
        .route("/", get(pages::home))
        .route("/units", get(pages::units_index))
        .route("/units/{code}", get(pages::unit_page))
        .route("/criteria", get(pages::criteria::criteria_index))
        .route("/criteria/{version}/{set}", get(pages::criteria::sheet_page))
        .route("/lang/{code}", get(pages::set_lang))
        .route("/login", get(pages::account::login_page).post(pages::account::login))
        .route("/logout", post(pages::account::logout))
        .route("/account", get(pages::account::account_page))
        .route("/account/password", post(pages::account::change_password))
        .route(
            "/register",
            get(pages::registry::register_page).post(pages::registry::register),
        )
        .route("/entities", get(pages::registry::entities_page))
        .route("/entities/{id}", get(pages::registry::entity_page))
        .route("/entities/{id}/confirm", post(pages::registry::confirm_entity))
        .route("/entities/{id}/products", post(pages::registry::add_product))
        .route("/products/{id}", get(pages::registry::product_page))
        .route("/products/{id}/dossiers", post(pages::dossiers::create))
        .route("/products/{id}/certifications", post(pages::registry::add_certification))
        .route(
            "/products/{id}/photos",
            post(pages::registry::add_photo).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/products/{id}/photos/{sha}", get(pages::registry::photo))
        .route("/dossiers", get(pages::dossiers::inbox))
        .route("/dossiers/{id}", get(pages::dossiers::dossier_page))
        .route(
            "/dossiers/{id}/self-assessment",
            get(pages::dossiers::self_assessment_form).post(pages::dossiers::save_self_assessment),
        )
        .route(
            "/dossiers/{id}/evidence",
            // Room for the file and the form's other fields; the file store enforces the limit
            // itself, with a message on the page.
            post(pages::dossiers::upload_evidence).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/dossiers/{id}/evidence/{evidence}",
            get(pages::dossiers::download_evidence),
        )
        .route("/dossiers/{id}/{action}", post(pages::dossiers::act))
        .route(
            "/admin/users",
            get(pages::account::users_page).post(pages::account::create_user),
        )
        .route("/admin/users/{id}/active", post(pages::account::set_active))
        .route("/assets/{file}", get(assets::serve_asset))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api)
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
