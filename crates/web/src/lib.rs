//! HTTP for ocop: the axum router with its pages, JSON API, assets and health checks.
//!
//! This crate knows HTTP and presentation; rules come from `ocop-domain`, data from
//! `ocop-store`. Each capability has one home: `units`, `criteria`, `account`, `registry`,
//! `dossiers` (and the `home` page), each with its HTML handlers in `pages` and its JSON handlers
//! in `api`; what several of them use is in [`shared`]. Capabilities do not import each other,
//! with one exception, one way: `dossiers` may use `registry` (a dossier belongs to a product).
//! Handlers return [`shared::error::AppError`] (JSON) or [`shared::error::PageError`] (HTML).

pub mod account;
pub mod certificates;
pub mod criteria;
pub mod dossiers;
pub mod import;
pub mod monitoring;
pub mod notices;
pub mod openapi;
pub mod portal;
pub mod registry;
pub mod rounds;
pub mod shared;
pub mod units;

/// Asset URLs (`assets::asset_url`) for tests that fetch the stylesheet.
pub use shared::assets;

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
    /// Where the records stand, checked before any answer from memory.
    pub revisions: Arc<ocop_store::revision::RevisionWatch>,
    /// Where the public portal reads (catalogue, product pages, verification, open data): a
    /// read replica when one is given (`--db-read`), else `db`; with its own revision watch,
    /// so what is kept from it is checked against it.
    pub read_db: Db,
    pub read_revisions: Arc<ocop_store::revision::RevisionWatch>,
    /// The public catalogue in memory, kept current with every server's writes.
    pub catalogue: Arc<ocop_store::catalogue::Catalogue>,
    /// Certificates as the public looks them up by number, kept for the current revision.
    pub published: Arc<ocop_store::certificates::published::Published>,
    /// The open data files, built once per revision of the records.
    pub open_data: Arc<portal::opendata::OpenDataCache>,
    /// The facts the programme's monitoring is computed from, kept per revision.
    pub monitoring: Arc<ocop_store::monitoring::facts::MonitoringFacts>,
    /// The validated criteria versions.
    pub criteria: Arc<Catalog>,
    /// The issuer's keys: signs certificates' QR payloads, verifies scanned ones.
    pub signing: Arc<certificates::signing::Signing>,
    /// Wakes this server's worker when work was just queued (an upload), so it starts at once
    /// instead of at its next round; other servers' workers find it at theirs.
    pub wake_worker: Arc<tokio::sync::Notify>,
    /// Requests per minute per client address on the public paths (off unless set).
    pub rate_limit: Arc<shared::limits::RateLimit>,
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

    /// The procedure of the criteria version in force today: how long a certificate pending
    /// re-evaluation stays valid, and the lifecycle's other figures.
    pub fn procedure_in_force(&self) -> ocop_domain::criteria::Procedure {
        self.criteria
            .in_force_on(ocop_store::clock::today())
            .map(|version| version.procedure.clone())
            .unwrap_or_default()
    }

    pub fn new(db: Db, criteria: Catalog) -> AppState {
        let revisions = Arc::new(ocop_store::revision::RevisionWatch::new(&db));
        AppState {
            read_db: db.clone(),
            read_revisions: revisions.clone(),
            revisions,
            db,
            // A server names its own with `--files`; until then (tests, benchmarks) the
            // system's temporary directory, not the working one.
            files: FileStore::new(std::env::temp_dir().join("ocop-files"), DEFAULT_MAX_BYTES),
            unit_search: Arc::default(),
            catalogue: Arc::default(),
            published: Arc::default(),
            open_data: Arc::default(),
            monitoring: Arc::default(),
            wake_worker: Arc::default(),
            rate_limit: Arc::default(),
            criteria: Arc::new(criteria),
            signing: Arc::new(certificates::signing::Signing::new(
                None,
                "http://127.0.0.1:8080",
            )),
        }
    }

    /// Signs with the installation's secret; QR codes point at `base_url`.
    pub fn with_signing(
        mut self,
        secret: Option<ocop_store::keys::InstallationSecret>,
        base_url: &str,
    ) -> AppState {
        self.signing = Arc::new(certificates::signing::Signing::new(secret, base_url));
        self
    }

    /// The public portal reads from `replica` (a read replica of `db`).
    pub fn with_read_replica(mut self, replica: Db) -> AppState {
        self.read_revisions = Arc::new(ocop_store::revision::RevisionWatch::new(&replica));
        self.read_db = replica;
        self
    }

    /// Limits the public paths' requests per client address.
    pub fn with_rate_limit(mut self, limit: shared::limits::RateLimit) -> AppState {
        self.rate_limit = Arc::new(limit);
        self
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

    fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Routes {
        self.add(Method::DELETE, path, routing::delete(handler))
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
    use registry::{entity_pages, product_pages};
    Routes::new()
        // Public pages.
        .get("/", portal::pages::home)
        .get("/catalogue", portal::pages::catalogue_page)
        .get("/catalogue/products/{code}", portal::pages::product_page)
        .get(
            "/catalogue/products/{code}/photos/{sha}",
            portal::pages::product_photo,
        )
        .get("/catalogue/entities/{code}", portal::pages::entity_page)
        .get("/catalogue/provinces/{code}", portal::pages::province_page)
        .get("/01/{gtin}", portal::batches::gtin_link)
        .get("/01/{gtin}/10/{lot}", portal::batches::batch_link)
        .get("/opendata", portal::opendata::index)
        .get("/opendata/{file}", portal::opendata::file)
        .get("/api/docs", openapi::docs_page)
        .get("/units", units::pages::units_index)
        .get("/units/{code}", units::pages::unit_page)
        .get("/criteria", criteria::pages::criteria_index)
        .get("/criteria/{version}/{set}", criteria::pages::sheet_page)
        .get("/lang/{code}", shared::page::set_lang)
        .get("/assets/{file}", assets::serve_asset)
        .get("/sw.js", assets::service_worker)
        .get("/verify", certificates::verify::offline_page)
        .get("/healthz", healthz)
        .get("/readyz", readyz)
        // Signing in, one's account, administration.
        .get("/login", account::pages::login_page)
        .post("/login", account::pages::login)
        .post("/logout", account::pages::logout)
        .get("/account", account::pages::account_page)
        .post("/account/password", account::pages::change_password)
        .get("/admin/users", account::pages::users_page)
        .post("/admin/users", account::pages::create_user)
        .post("/admin/users/{id}/active", account::pages::set_active)
        // The registry.
        .get("/register", entity_pages::register_page)
        .post("/register", entity_pages::register)
        .get("/entities", entity_pages::entities_page)
        .get("/entities/{id}", entity_pages::entity_page)
        .get("/entities/{id}/edit", entity_pages::edit_entity_page)
        .post("/entities/{id}/edit", entity_pages::edit_entity)
        .post("/entities/{id}/confirm", entity_pages::confirm_entity)
        .post("/entities/{id}/products", entity_pages::add_product)
        .get("/products/{id}", product_pages::product_page)
        .get("/products/{id}/edit", product_pages::edit_product_page)
        .post("/products/{id}/edit", product_pages::edit_product)
        .post(
            "/products/{id}/certifications",
            product_pages::add_certification,
        )
        .upload(
            "/products/{id}/photos",
            product_pages::add_photo,
            max_upload_bytes,
        )
        .get("/products/{id}/photos/{sha}", product_pages::photo)
        // Dossiers.
        .post("/products/{id}/dossiers", dossiers::pages::create)
        .post("/products/{id}/batches", portal::batches::add_batch)
        .post(
            "/products/{id}/sales-points",
            registry::sales_points::add_page,
        )
        .post(
            "/products/{id}/sales-points/{point}/remove",
            registry::sales_points::remove_page,
        )
        .get("/dossiers", dossiers::pages::inbox)
        .get("/dossiers/{id}", dossiers::pages::dossier_page)
        .get(
            "/dossiers/{id}/self-assessment",
            dossiers::self_assessment::self_assessment_form,
        )
        .post(
            "/dossiers/{id}/self-assessment",
            dossiers::self_assessment::save_self_assessment,
        )
        .upload(
            "/dossiers/{id}/evidence",
            dossiers::pages::upload_evidence,
            max_upload_bytes,
        )
        .get(
            "/dossiers/{id}/evidence/{evidence}",
            dossiers::pages::download_evidence,
        )
        .post("/dossiers/{id}/report", dossiers::review_pages::save_report)
        .post(
            "/dossiers/{id}/pre-assessment",
            dossiers::review_pages::save_pre_assessment,
        )
        .post("/dossiers/{id}/{action}", dossiers::pages::act)
        // Evaluation rounds and their councils.
        .get("/rounds", rounds::pages::rounds_index)
        .post("/rounds", rounds::pages::open_round)
        .get("/rounds/{id}", rounds::pages::round_page)
        .post("/rounds/{id}/settings", rounds::pages::save_settings)
        .post("/rounds/{id}/products", rounds::pages::add_product)
        .post("/rounds/{id}/decisions", rounds::pages::decide)
        .post("/rounds/{id}/legacy-results", rounds::pages::legacy_result)
        .get("/rounds/{id}/council", rounds::council::council_page)
        .post("/rounds/{id}/council", rounds::council::add_seat)
        .post(
            "/rounds/{id}/conflicts/{conflict}/clear",
            rounds::council::clear_conflict,
        )
        .get("/rounds/{id}/overview", rounds::overview::overview)
        .get("/rounds/{id}/analytics", rounds::analytics::analytics_page)
        .get(
            "/rounds/{id}/analytics.csv",
            rounds::analytics::analytics_csv,
        )
        .get("/rounds/{id}/products/{product}", rounds::sheet::sheet_page)
        // The council's documents (PDF); a sheet's last segment is "<member id>.pdf".
        .get("/rounds/{id}/minutes.pdf", rounds::documents::minutes_pdf)
        .get(
            "/rounds/{id}/decisions/{decision}/annex.pdf",
            rounds::documents::annex_pdf,
        )
        .get(
            "/rounds/{id}/products/{product}/sheets/{member}",
            rounds::documents::sheet_pdf,
        )
        .post(
            "/rounds/{id}/products/{product}/card",
            rounds::sheet::save_card,
        )
        .post(
            "/rounds/{id}/products/{product}/conflict",
            rounds::sheet::declare_conflict,
        )
        .post(
            "/rounds/{id}/products/{product}/rescore",
            rounds::sheet::rescore,
        )
        .post(
            "/rounds/{id}/products/{product}/fallback",
            rounds::sheet::fallback,
        )
        .post("/rounds/{id}/{action}", rounds::pages::act)
        // Certificates, their verification, and notices.
        .get("/certificates", certificates::pages::certificates_index)
        .get("/certificates/{id}", certificates::pages::certificate_page)
        .get(
            "/certificates/{id}/certificate.pdf",
            certificates::pages::certificate_pdf,
        )
        .get("/certificates/{id}/qr.svg", certificates::pages::qr_svg)
        .get("/certificates/{id}/qr.png", certificates::pages::qr_png)
        .post("/certificates/{id}/revocation", certificates::pages::revoke)
        .post(
            "/certificates/{id}/revocation/decision",
            certificates::pages::decide,
        )
        .post(
            "/certificates/{id}/inspections",
            certificates::pages::inspect,
        )
        .get(
            "/certificates/{id}/reevaluate",
            certificates::pages::reevaluate_page,
        )
        .post(
            "/certificates/{id}/reevaluate",
            certificates::pages::reevaluate,
        )
        .get("/v/{payload}", certificates::verify::verify_page)
        .get(
            "/v/{payload}/certificate.pdf",
            certificates::verify::certificate_pdf,
        )
        .get(
            "/.well-known/ocop-keys.json",
            certificates::verify::keys_document,
        )
        .get(
            "/.well-known/ocop-audit-anchors.json",
            certificates::verify::anchors_document,
        )
        .get("/notices", notices::pages::inbox)
        .post("/notices/read", notices::pages::read_all)
        .post("/notices/{id}/open", notices::pages::open)
        .get("/admin/outbox", notices::pages::outbox)
        // The JSON API.
        .get("/api/v1/openapi.json", openapi::openapi_json)
        .get("/api/v1/units", units::api::search)
        .get("/api/v1/units/provinces", units::api::provinces)
        .get("/api/v1/units/{code}", units::api::unit)
        .get("/api/v1/criteria", criteria::api::versions)
        .get("/api/v1/criteria/{version}/{set}", criteria::api::sheet)
        .post("/api/v1/score", criteria::api::score)
        .post("/api/v1/register", registry::api::register)
        .get("/api/v1/entities", registry::api::list)
        .get("/api/v1/entities/{id}", registry::api::get)
        .put("/api/v1/entities/{id}", registry::api::update)
        .post("/api/v1/entities/{id}/confirm", registry::api::confirm)
        .post("/api/v1/entities/{id}/products", registry::api::add_product)
        .get("/api/v1/products", registry::api::products)
        .get("/api/v1/products/{id}", registry::api::product)
        .put("/api/v1/products/{id}", registry::api::update_product)
        .post("/api/v1/products/{id}/dossiers", dossiers::api::create)
        .post(
            "/api/v1/products/{id}/batches",
            portal::batches::add_batch_api,
        )
        .post("/products/{id}/export-markets", registry::markets::add_page)
        .post(
            "/products/{id}/export-markets/{country}/remove",
            registry::markets::remove_page,
        )
        .post(
            "/api/v1/products/{id}/export-markets",
            registry::markets::add_api,
        )
        .delete(
            "/api/v1/products/{id}/export-markets/{country}",
            registry::markets::remove_api,
        )
        .post(
            "/entities/{id}/value-chain",
            registry::markets::value_chain_page,
        )
        .post(
            "/api/v1/products/{id}/sales-points",
            registry::sales_points::add_api,
        )
        .delete(
            "/api/v1/products/{id}/sales-points/{point}",
            registry::sales_points::remove_api,
        )
        .get("/api/v1/catalogue", portal::api::search)
        .get("/api/v1/dossiers", dossiers::api::list)
        .get("/api/v1/dossiers/{id}", dossiers::api::get)
        .put(
            "/api/v1/dossiers/{id}/self-assessment",
            dossiers::api::self_assess,
        )
        .post("/api/v1/dossiers/{id}/actions", dossiers::api::act)
        .upload(
            "/api/v1/dossiers/{id}/evidence",
            dossiers::api::upload,
            max_upload_bytes,
        )
        .put("/api/v1/dossiers/{id}/report", dossiers::api::report)
        .put(
            "/api/v1/dossiers/{id}/pre-assessment",
            dossiers::api::pre_assessment,
        )
        .get("/api/v1/certificates", certificates::api::list)
        .get("/api/v1/certificates/{id}", certificates::api::get)
        .post(
            "/api/v1/certificates/{id}/revocation",
            certificates::api::revoke,
        )
        .post(
            "/api/v1/certificates/{id}/revocation/decision",
            certificates::api::decide,
        )
        .post(
            "/api/v1/certificates/{id}/inspections",
            certificates::api::inspect,
        )
        .get("/api/v1/verify", certificates::verify::verify_api)
        .post("/api/v1/verify", certificates::verify::verify_post)
        .get("/api/v1/notices", notices::api::list)
        .get("/api/v1/rounds", rounds::api::list)
        .post("/api/v1/rounds", rounds::api::open)
        .get("/api/v1/rounds/{id}", rounds::api::get)
        .put("/api/v1/rounds/{id}/settings", rounds::api::settings)
        .post("/api/v1/rounds/{id}/seats", rounds::api::seat)
        .post("/api/v1/rounds/{id}/products", rounds::api::add_product)
        .post("/api/v1/rounds/{id}/actions", rounds::api::act)
        .post("/api/v1/rounds/{id}/decisions", rounds::api::decide)
        .post(
            "/api/v1/rounds/{id}/legacy-results",
            rounds::api::legacy_result,
        )
        .post(
            "/api/v1/rounds/{id}/products/{product}/fallback",
            rounds::api::fallback,
        )
        // Imports and exports of a province's records.
        .get("/imports", import::pages::imports_page)
        .upload("/imports", import::pages::upload, max_upload_bytes)
        .get("/imports/templates/{file}", import::pages::template)
        .get("/imports/export/{file}", import::pages::export)
        .get("/imports/{id}", import::pages::run_page)
        .post("/imports/{id}/apply", import::pages::apply)
        .get("/imports/{id}/report.csv", import::pages::report_csv)
        .upload("/api/v1/imports", import::api::upload, max_upload_bytes)
        .get("/api/v1/imports", import::api::list)
        .get("/api/v1/imports/{id}", import::api::get)
        .post("/api/v1/imports/{id}/apply", import::api::apply)
        // Programme monitoring.
        .get("/monitoring", monitoring::dashboard::page)
        .get("/monitoring/tables/{file}", monitoring::dashboard::download)
        .get("/monitoring/plans", monitoring::plans::page)
        .post("/monitoring/plans", monitoring::plans::submit_page)
        .get("/monitoring/policies", monitoring::policies::page)
        .post("/monitoring/policies", monitoring::policies::create_page)
        .get(
            "/monitoring/policies/{id}",
            monitoring::policies::policy_page,
        )
        .get(
            "/monitoring/entitlements/{id}",
            monitoring::policies::entitlement_page,
        )
        .post(
            "/monitoring/entitlements/{id}/disbursements",
            monitoring::policies::plan_page,
        )
        .post(
            "/monitoring/disbursements/{id}/advance",
            monitoring::policies::advance_page,
        )
        .get("/monitoring/budgets", monitoring::policies::budgets)
        .post("/monitoring/budgets", monitoring::policies::budget_page)
        .get("/monitoring/promotion", monitoring::promotion::page)
        .post("/monitoring/fairs", monitoring::promotion::fair_page)
        .post(
            "/monitoring/fairs/{id}/products",
            monitoring::promotion::fair_product_page,
        )
        .post("/monitoring/courses", monitoring::promotion::course_page)
        .post(
            "/monitoring/courses/{id}/attendees",
            monitoring::promotion::attendee_page,
        )
        .post(
            "/monitoring/craft-villages",
            monitoring::promotion::village_page,
        )
        .post(
            "/monitoring/craft-villages/{id}/products",
            monitoring::promotion::village_product_page,
        )
        .get("/monitoring/report", monitoring::report::page)
        .get("/monitoring/report.xlsx", monitoring::report::xlsx)
        .get("/api/v1/monitoring/dashboard", monitoring::dashboard::api)
        .get("/api/v1/monitoring/plans", monitoring::plans::list_api)
        .post("/api/v1/monitoring/plans", monitoring::plans::create_api)
        .get(
            "/api/v1/monitoring/policies",
            monitoring::policies::list_api,
        )
        .post(
            "/api/v1/monitoring/policies",
            monitoring::policies::create_api,
        )
        .get(
            "/api/v1/monitoring/entitlements",
            monitoring::policies::entitlements_api,
        )
        .post(
            "/api/v1/monitoring/entitlements/{id}/disbursements",
            monitoring::policies::plan_api,
        )
        .post(
            "/api/v1/monitoring/disbursements/{id}/advance",
            monitoring::policies::advance_api,
        )
        .get(
            "/api/v1/monitoring/budgets",
            monitoring::policies::budgets_api,
        )
        .put(
            "/api/v1/monitoring/budgets",
            monitoring::policies::budget_api,
        )
        .get("/api/v1/monitoring/promotion", monitoring::promotion::api)
        .get(
            "/api/v1/rounds/{id}/analytics",
            rounds::api::round_analytics,
        )
        .post(
            "/api/v1/rounds/{id}/conflicts/{conflict}/clear",
            rounds::api::clear,
        )
        .get(
            "/api/v1/rounds/{id}/products/{product}",
            rounds::api::product,
        )
        .put(
            "/api/v1/rounds/{id}/products/{product}/card",
            rounds::api::draft,
        )
        .post(
            "/api/v1/rounds/{id}/products/{product}/card",
            rounds::api::submit,
        )
        .post(
            "/api/v1/rounds/{id}/products/{product}/conflicts",
            rounds::api::declare,
        )
        .post(
            "/api/v1/rounds/{id}/products/{product}/rescore",
            rounds::api::rescore,
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
        .fallback(shared::page::not_found)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn(shared::caching::validators))
        // A request body that stops arriving for 30 s is given up (slow clients).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            shared::limits::enforce,
        ))
        .layer(tower_http::compression::CompressionLayer::new())
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
            shared::error::AppError::DatabaseUnavailable.into_response()
        }
    }
}

/// How long a client may take to send a request's head (line and headers), and how long a
/// kept-alive connection may sit idle: a slow or silent client does not hold a connection.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves the application on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish. Each request knows its connection's address (`ConnectInfo`); a request's
/// head must arrive within [`HEADER_READ_TIMEOUT`], its body may pause at most 30 s.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let app = router(state);
    let mut shutdown = std::pin::pin!(shutdown);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment, go on serving.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    tower::ServiceExt::oneshot(app.clone(), request)
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    // No new connections; those open finish their requests in flight.
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}
