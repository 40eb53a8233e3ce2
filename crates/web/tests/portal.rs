//! The public portal through HTTP, on SQLite or PostgreSQL (`OCOP_TEST_DATABASE_URL`): search
//! without diacritics, bad questions, GS1 Digital Link, open data, sales points, and a revocation
//! seen at once by a second server on the same database whose catalogue was already in memory.

mod support;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Days;
use serde_json::Value;
use tower::ServiceExt;

use ocop_domain::access::{Role, Scope};
use ocop_domain::certificates::revocation::{Decision, Finding};
use ocop_domain::criteria::{Catalog, Level, bundled_sources};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_domain::rounds::RoundKind;
use ocop_domain::rounds::decision::{DecisionNumber, ProductOutcome};
use ocop_store::accounts::{self, NewUser};
use ocop_store::rounds::{self, LegacyDecision, LegacyResult, NewRound};
use ocop_store::testing::TestDb;
use ocop_store::{Db, audit, certificates, keys, registry, units};
use ocop_web::{AppState, router};

struct Reply {
    status: StatusCode,
    location: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

async fn call(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 50 << 20)
        .await
        .unwrap();
    Reply {
        status,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(app: &Router, uri: &str) -> Reply {
    call(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn verify(app: &Router, text: &str) -> Reply {
    let request = Request::post("/api/v1/verify")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(text.to_string()))
        .unwrap();
    call(app, request).await
}

/// A recognised product: an entity in the province's first commune, a legacy round's result
/// with its decision, so the register holds its certificate. Returns (product code, number).
async fn recognised(
    db: &Db,
    catalog: &Catalog,
    province: &str,
    product_name: &str,
    gtin: &str,
    serial: usize,
) -> (String, String) {
    let unit = units::find_by_code(db, province, None)
        .await
        .unwrap()
        .unwrap();
    let mut communes = units::children(db, unit.id).await.unwrap();
    communes.sort_by(|a, b| a.code.cmp(&b.code));
    let today = chrono::Utc::now().date_naive();
    let form = EntityForm {
        kind: "cooperative".into(),
        registration_code: format!("HTX-PORTAL-{serial}"),
        name: format!("Hợp tác xã {product_name}"),
        representative: "Người Đại Diện".into(),
        address: "Thôn 1".into(),
        commune_code: communes[0].code.clone(),
        ..EntityForm::default()
    };
    let entity = registry::create(
        db,
        &check_entity(&form, today).unwrap(),
        EntityStatus::Confirmed,
        "test",
    )
    .await
    .unwrap();
    let form = ProductForm {
        name: product_name.into(),
        product_set: "P09".into(),
        description: "Sản phẩm truyền thống".into(),
        gtin: gtin.into(),
        ..ProductForm::default()
    };
    let draft = check_product(&form, "26-2026", &["P09"]).unwrap();
    let product = registry::add_product(db, &Scope::National, &entity.id, &draft, "test")
        .await
        .unwrap()
        .unwrap();
    let signed_on = today - Days::new(30);
    let round = rounds::create(
        db,
        NewRound {
            name: format!("Hội đồng tỉnh {province}"),
            level: Level::Province,
            kind: RoundKind::Legacy,
            province_code: Some(province.into()),
            meeting_on: signed_on,
            place: "Trụ sở UBND tỉnh".into(),
        },
        "test",
    )
    .await
    .unwrap();
    rounds::record_legacy_result(
        db,
        catalog,
        &round,
        &LegacyResult {
            product_id: product.id.clone(),
            criteria_version: "26-2026".into(),
            score: Some(7_500),
            stars: 4,
            outcome: ProductOutcome::Recognised { stars: 4 },
            decision: Some(LegacyDecision {
                number: DecisionNumber::parse(&format!("{}/QĐ-UBND", 100 + serial)).unwrap(),
                signed_on,
                signer: "Phó Chủ tịch".into(),
            }),
        },
        "test",
    )
    .await
    .unwrap();
    let number = certificates::list(db, &Scope::National, &product.id)
        .await
        .unwrap()
        .remove(0)
        .number;
    (product.code, number)
}

struct Portal {
    test: TestDb,
    db: Db,
    catalog: Catalog,
    /// Two servers on one database, each with its own catalogue in memory.
    state: AppState,
    first: Router,
    second: Router,
    fish_sauce: (String, String),
    coffee: (String, String),
    cashew: (String, String),
}

async fn portal() -> Portal {
    let test = TestDb::with_units().await;
    let db = test.db.clone();
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let today = chrono::Utc::now().date_naive();
    let secret = keys::InstallationSecret::from_bytes([7; 32]);
    keys::generate(&db, &secret, today, "test").await.unwrap();
    let fish_sauce = recognised(
        &db,
        &catalog,
        "68",
        "Nước mắm Phan Thiết",
        "8930000000101",
        1,
    )
    .await;
    let coffee = recognised(&db, &catalog, "66", "Cà phê Buôn Ma Thuột", "", 2).await;
    let cashew = recognised(&db, &catalog, "75", "Hạt điều rang muối", "", 3).await;
    let shared = db.clone();
    let state = || {
        AppState::new(shared.clone(), Catalog::load(&bundled_sources()).unwrap()).with_signing(
            Some(keys::InstallationSecret::from_bytes([7; 32])),
            "http://ocop.test",
        )
    };
    let first = state();
    Portal {
        test,
        db,
        catalog,
        first: router(first.clone()),
        second: router(state()),
        state: first,
        fish_sauce,
        coffee,
        cashew,
    }
}

/// Revokes a certificate today through the store (ground c), as an officer's server would: on
/// a connection pool of its own (another process on the SQLite file, another server on
/// PostgreSQL).
async fn revoke(portal: &Portal, certificate: &certificates::Certificate, decision: u32) {
    let today = chrono::Utc::now().date_naive();
    let procedure = portal.catalog.in_force_on(today).unwrap().procedure.clone();
    let officer_server = Db::connect(portal.test.url()).await.unwrap();
    certificates::revoke(
        &officer_server,
        &procedure,
        certificate,
        &Finding {
            ground: "c".into(),
            found_on: today,
            reference: format!("Biên bản kiểm tra số {decision}/BB"),
        },
        &Decision {
            number: format!("{decision}/QĐ-UBND"),
            decided_on: today,
            signer: "Chủ tịch".into(),
        },
        "test",
        today,
    )
    .await
    .unwrap();
}

fn names(reply: &Reply) -> Vec<String> {
    reply.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["product_name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_ignores_diacritics_and_case_over_products_and_places() {
    let portal = portal().await;
    let app = &portal.first;
    let found = get(app, "/api/v1/catalogue?q=nuoc+mam+phan+thiet").await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(names(&found), ["Nước mắm Phan Thiết"]);
    assert_eq!(
        names(&get(app, "/api/v1/catalogue?q=dak+lak").await),
        ["Cà phê Buôn Ma Thuột"]
    );
    assert_eq!(
        names(&get(app, "/api/v1/catalogue?q=DONG+NAI").await),
        ["Hạt điều rang muối"]
    );
    assert_eq!(get(app, "/api/v1/catalogue").await.json()["total"], 3);
    let page = get(app, "/catalogue?q=nuoc+mam+phan+thiet").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Nước mắm Phan Thiết"));
    assert!(
        page.body
            .contains(&format!("/catalogue/products/{}", portal.fish_sauce.0))
    );
    // The product's page: facts, the verification link and schema.org data.
    let product = get(app, &format!("/catalogue/products/{}", portal.fish_sauce.0)).await;
    assert_eq!(product.status, StatusCode::OK);
    assert!(product.body.contains(&portal.fish_sauce.1));
    assert!(product.body.contains(r#""@type":"Product""#));
    assert!(product.body.contains(r#""hasCertification""#));
    let province = get(app, "/catalogue/provinces/66").await;
    assert!(province.body.contains("Cà phê Buôn Ma Thuột"));
    assert!(
        province.body.contains("Tỉnh Phú Yên"),
        "the former province it absorbed"
    );
    // A chosen province offers its communes with products; choosing one narrows to it.
    let fish = certificates::by_number(&portal.db, &portal.fish_sauce.1)
        .await
        .unwrap()
        .unwrap();
    let filters = get(app, "/catalogue?province=68").await;
    let option = format!("<option value=\"{}\">", fish.commune_code);
    assert!(filters.body.contains(&option), "{}", filters.body);
    let narrowed = get(
        app,
        &format!(
            "/api/v1/catalogue?province=68&commune={}",
            fish.commune_code
        ),
    )
    .await;
    assert_eq!(names(&narrowed), ["Nước mắm Phan Thiết"]);
    // A commune of another province stays chosen, so the empty result says why.
    let elsewhere = get(
        app,
        &format!("/catalogue?province=66&commune={}", fish.commune_code),
    )
    .await;
    assert!(elsewhere.body.contains(&format!(
        "<option value=\"{}\" selected>",
        fish.commune_code
    )));
    assert!(elsewhere.body.contains("<strong>0</strong>"));
}

#[tokio::test]
async fn bad_questions_get_a_clear_4xx_or_an_empty_result() {
    let portal = portal().await;
    let app = &portal.first;
    let long = "a".repeat(101);
    for (uri, field) in [
        (format!("/api/v1/catalogue?q={long}"), "q"),
        ("/api/v1/catalogue?page=-1".to_string(), "page"),
        (
            "/api/v1/catalogue?page=99999999999999999999".to_string(),
            "page",
        ),
        ("/api/v1/catalogue?per_page=1000".to_string(), "per_page"),
        ("/api/v1/catalogue?stars=6".to_string(), "stars"),
        ("/api/v1/catalogue?status=valid".to_string(), "status"),
    ] {
        let reply = get(app, &uri).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
        assert_eq!(reply.json()["error"]["fields"][0]["field"], field, "{uri}");
    }
    let page = get(app, "/catalogue?stars=6&page=0").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("Hạng sao phải là 3, 4 hoặc 5."));
    let unknown = get(app, "/api/v1/catalogue?province=99").await;
    assert_eq!(unknown.json()["total"], 0);
    let html = get(
        app,
        "/catalogue?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%27%22",
    )
    .await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(!html.body.contains("<script>alert"), "the query is escaped");
    let sql = get(app, "/api/v1/catalogue?q=%27%3B+DROP+TABLE+products%3B+--").await;
    assert_eq!(sql.json()["total"], 0);
    assert_eq!(get(app, "/api/v1/catalogue").await.json()["total"], 3);
    // Malformed QR text and unknown numbers.
    let forged = verify(app, "http://ocop.test/v/NOT-A-PAYLOAD").await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    let huge = verify(app, &"A".repeat(10_000)).await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST);
    assert_eq!(huge.json()["error"]["code"], "too_large");
    let unknown = get(app, "/api/v1/certificates/OCOP-75-2026-99999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["error"]["code"], "certificate_not_found");
    assert_eq!(
        get(app, "/v/OCOP-75-2026-99999").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn gs1_digital_link_opens_the_product_and_refuses_wrong_gtins() {
    let portal = portal().await;
    let app = &portal.first;
    let link = get(app, "/01/08930000000101").await;
    assert_eq!(link.status, StatusCode::SEE_OTHER);
    assert_eq!(
        link.location,
        format!("/catalogue/products/{}", portal.fish_sauce.0)
    );
    assert_eq!(
        get(app, "/01/8930000000101").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get(app, "/01/8930000000102").await.status,
        StatusCode::NOT_FOUND,
        "check digit"
    );
    assert_eq!(
        get(app, "/01/8930000000118").await.status,
        StatusCode::NOT_FOUND,
        "unknown"
    );
    assert_eq!(get(app, "/01/123").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(app, "/01/8930000000101/10/..%2Fetc").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app, "/01/8930000000101/10/NO-SUCH-LOT").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn open_data_is_current_in_three_formats() {
    let portal = portal().await;
    let app = &portal.first;
    let csv = get(app, "/opendata/products.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("product_code,product_name,"));
    assert!(csv.body.contains("Nước mắm Phan Thiết"));
    let json = get(app, "/opendata/certificates.json").await.json();
    assert_eq!(json["count"], 3);
    assert_eq!(json["licence"], "CC-BY-4.0");
    assert_eq!(json["records"][0]["status"], "active");
    let xlsx = call(
        app,
        Request::get("/opendata/entities.xlsx")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        get(app, "/opendata/secrets.csv").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app, "/opendata/products.exe").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_revocation_shows_at_once_on_every_server() {
    let portal = portal().await;
    let number = portal.coffee.1.clone();
    let certificate = certificates::by_number(&portal.db, &number)
        .await
        .unwrap()
        .unwrap();
    let payload = ocop_web::certificates::payload_of(&portal.state, &certificate)
        .await
        .unwrap();
    let genuine = verify(&portal.second, &payload).await.json();
    assert_eq!(
        (genuine["genuine"].as_bool(), genuine["status"].as_str()),
        (Some(true), Some("active"))
    );
    // Both servers have the catalogue in memory and say "active".
    for app in [&portal.first, &portal.second] {
        assert_eq!(
            get(app, &format!("/api/v1/certificates/{number}"))
                .await
                .json()["status"],
            "active"
        );
        let page = get(app, &format!("/v/{number}")).await;
        assert!(page.body.contains(r#"data-valid="true""#));
        assert_eq!(
            get(app, "/api/v1/catalogue?q=dak+lak").await.json()["total"],
            1
        );
    }
    // Revoked through the store, as the first server's officer would.
    revoke(&portal, &certificate, 77).await;
    for app in [&portal.second, &portal.first] {
        let json = get(app, &format!("/api/v1/certificates/{number}"))
            .await
            .json();
        assert_eq!(json["status"], "revoked");
        let page = get(app, &format!("/v/{number}")).await;
        assert!(
            page.body.contains(r#"data-status="revoked""#),
            "{}",
            page.body
        );
        assert!(page.body.contains(r#"data-valid="false""#));
        assert_eq!(
            get(app, "/api/v1/catalogue?q=dak+lak").await.json()["total"],
            0,
            "not in force"
        );
        let verified = verify(app, &format!("http://ocop.test/v/{payload}"))
            .await
            .json();
        assert_eq!(verified["genuine"], true, "the signature still holds");
        assert_eq!(verified["status"], "revoked");
        let revoked = get(app, "/api/v1/catalogue?q=dak+lak&status=revoked")
            .await
            .json();
        assert_eq!(revoked["items"][0]["status"], "revoked");
        let product = get(app, &format!("/catalogue/products/{}", portal.coffee.0)).await;
        assert!(product.body.contains(r#"data-state="revoked""#));
    }
    let _ = (portal.fish_sauce, portal.cashew);
}

#[tokio::test]
async fn public_pages_carry_validators_compress_and_forbid_framing() {
    let portal = portal().await;
    let app = &portal.first;
    let uri = format!("/v/{}", portal.cashew.1);
    let response = app
        .clone()
        .oneshot(
            Request::get(&uri)
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(headers[header::CACHE_CONTROL], "public, no-cache");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert!(headers.contains_key(header::REFERRER_POLICY));
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    let again = call(
        app,
        Request::get(&uri)
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    // The same validator no longer matches once the certificate changes.
    let certificate = certificates::by_number(&portal.db, &portal.cashew.1)
        .await
        .unwrap()
        .unwrap();
    revoke(&portal, &certificate, 78).await;
    let changed = call(
        app,
        Request::get(&uri)
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.body.contains(r#"data-status="revoked""#));
}

/// A producer of `entity_id`, with a token (the rounds' tests' people, `support::signed_in`).
async fn producer_of(db: &Db, email: &str, entity_id: &str) -> support::Person {
    let user = accounts::create_user(
        db,
        NewUser {
            email: email.into(),
            name: email.into(),
            role: Role::Producer,
            unit_code: None,
            entity_id: Some(entity_id.to_string()),
            password: "mật khẩu thật dài".into(),
        },
        "test",
    )
    .await
    .unwrap();
    support::signed_in(db, user).await
}

#[tokio::test]
async fn a_producer_keeps_where_its_product_is_sold_and_the_public_sees_it() {
    let portal = portal().await;
    let app = &portal.first;
    let api = support::Api { app: app.clone() };
    let fish = certificates::by_number(&portal.db, &portal.fish_sauce.1)
        .await
        .unwrap()
        .unwrap();
    let coffee = certificates::by_number(&portal.db, &portal.coffee.1)
        .await
        .unwrap()
        .unwrap();
    let producer = producer_of(&portal.db, "hai@nuocmam.vn", &fish.entity_id)
        .await
        .token;
    let neighbour = producer_of(&portal.db, "ba@caphe.vn", &coffee.entity_id)
        .await
        .token;
    let uri = format!("/api/v1/products/{}/sales-points", fish.product_id);

    // Every wrong field is named, with a stable code; nothing is kept.
    let refused = api.call("POST",
        &uri,
        &producer,
        serde_json::json!({"kind": "stall", "name": " ", "address": "", "url": "javascript:alert(1)"}),
    )
    .await;
    assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.1);
    let fields: Vec<String> = refused.1["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["kind", "name", "url"]);
    let listing = api
        .call(
            "POST",
            &uri,
            &producer,
            serde_json::json!({"kind": "ecommerce", "name": "Gian hàng trực tuyến"}),
        )
        .await;
    assert_eq!(listing.1["error"]["fields"][0]["field"], "url");
    // Another producer's product is not there for this one.
    let elsewhere = api
        .call(
            "POST",
            &uri,
            &neighbour,
            serde_json::json!({"kind": "supermarket", "name": "Co.opmart"}),
        )
        .await;
    assert_eq!(elsewhere.0, StatusCode::NOT_FOUND);
    assert_eq!(elsewhere.1["error"]["code"], "product_not_found");

    let showroom = api
        .call(
            "POST",
            &uri,
            &producer,
            serde_json::json!({"kind": "showroom", "name": "Trung tâm OCOP <Phan Thiết>",
            "address": "12 Trần Hưng Đạo, phường Phan Thiết"}),
        )
        .await;
    assert_eq!(showroom.0, StatusCode::CREATED, "{}", showroom.1);
    assert_eq!(showroom.1["kind"], "showroom");
    let shop = api
        .call(
            "POST",
            &uri,
            &producer,
            serde_json::json!({"kind": "ecommerce", "name": "Gian hàng Postmart",
            "url": "https://postmart.vn/shop/nuoc-mam-phan-thiet"}),
        )
        .await;
    assert_eq!(shop.0, StatusCode::CREATED, "{}", shop.1);

    // The public page, on the other server too, shows both, escaped, the link kept from ranking.
    let page = get(
        &portal.second,
        &format!("/catalogue/products/{}", portal.fish_sauce.0),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Trung tâm OCOP &#60;Phan Thiết&#62;")
            || page.body.contains("Trung tâm OCOP &lt;Phan Thiết&gt;"),
        "{}",
        page.body
    );
    assert!(page.body.contains("12 Trần Hưng Đạo, phường Phan Thiết"));
    assert!(page.body.contains(
        "href=\"https://postmart.vn/shop/nuoc-mam-phan-thiet\" rel=\"nofollow noopener ugc\""
    ));
    assert!(!page.body.contains("<Phan Thiết>"));

    // Removing: once, then it is gone; the neighbour cannot.
    let shop_id = shop.1["id"].as_str().unwrap().to_string();
    let point_uri = format!("{uri}/{shop_id}");
    let by_neighbour = api
        .call("DELETE", &point_uri, &neighbour, Value::Null)
        .await;
    assert_eq!(by_neighbour.0, StatusCode::NOT_FOUND);
    let removed = api.call("DELETE", &point_uri, &producer, Value::Null).await;
    assert_eq!(removed.0, StatusCode::NO_CONTENT, "{}", removed.1);
    let again = api.call("DELETE", &point_uri, &producer, Value::Null).await;
    assert_eq!(again.1["error"]["code"], "sales_point_not_found");
    let page = get(app, &format!("/catalogue/products/{}", portal.fish_sauce.0)).await;
    assert!(!page.body.contains("postmart.vn") && page.body.contains("12 Trần Hưng Đạo"));

    // Each change is on the product's history.
    let actions: Vec<String> = audit::history(&portal.db, "product", &fish.product_id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .filter(|a| a.contains("sales_point"))
        .collect();
    assert_eq!(
        actions,
        [
            "product.add_sales_point",
            "product.add_sales_point",
            "product.remove_sales_point"
        ]
    );
}

#[tokio::test]
async fn with_a_read_replica_the_public_portal_reads_from_it_and_officials_from_the_primary() {
    let portal = portal().await;
    // A "replica" that holds other records than the primary, to tell where each read went.
    let replica = TestDb::with_units().await;
    let rice = recognised(
        &replica.db,
        &portal.catalog,
        "79",
        "Bánh tráng phơi sương",
        "",
        9,
    )
    .await;
    let app = router(portal.state.clone().with_read_replica(replica.db.clone()));
    let catalogue = get(&app, "/api/v1/catalogue").await.json();
    assert_eq!(catalogue["total"], 1, "{catalogue}");
    assert_eq!(
        names(&get(&app, "/api/v1/catalogue").await),
        vec!["Bánh tráng phơi sương"]
    );
    assert_eq!(
        get(&app, &format!("/catalogue/products/{}", rice.0))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &format!("/catalogue/products/{}", portal.coffee.0))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "the primary's product is not on the replica"
    );
    assert_eq!(
        get(&app, &format!("/api/v1/certificates/{}", rice.1))
            .await
            .json()["status"],
        "active"
    );
    // The same server's own checks and officials' reads stay on the primary.
    assert_eq!(get(&app, "/readyz").await.status, StatusCode::OK);
    assert_eq!(
        get(&portal.first, "/api/v1/catalogue").await.json()["total"],
        3
    );
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    ocop_store::on_db!(db, |pool| sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
}

#[tokio::test]
async fn a_certificate_pdf_is_typeset_once_and_kept_in_the_file_store_for_every_server() {
    let portal = portal().await;
    let certificate = certificates::by_number(&portal.db, &portal.cashew.1)
        .await
        .unwrap()
        .unwrap();
    let payload = ocop_web::certificates::payload_of(&portal.state, &certificate)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("ocop_kept_pdf_{}", std::process::id()));
    let files = ocop_store::files::FileStore::new(&dir, 20 << 20);
    let server = |state: AppState| router(state.with_files(files.clone()));
    let first = server(portal.state.clone());
    let second = server(
        AppState::new(
            portal.db.clone(),
            Catalog::load(&bundled_sources()).unwrap(),
        )
        .with_signing(
            Some(keys::InstallationSecret::from_bytes([7; 32])),
            "http://ocop.test",
        ),
    );
    let uri = format!("/v/{payload}/certificate.pdf");
    let typeset = get(&first, &uri).await;
    assert_eq!(typeset.status, StatusCode::OK);
    assert!(typeset.body.starts_with("%PDF"));
    assert_eq!(
        count(&portal.db, "SELECT COUNT(*) FROM generated_documents").await,
        1
    );
    // The other server serves the kept bytes; nothing new is kept.
    let kept = get(&second, &uri).await;
    assert_eq!(kept.body, typeset.body);
    assert_eq!(
        count(&portal.db, "SELECT COUNT(*) FROM generated_documents").await,
        1
    );
    assert_eq!(files.names().await.unwrap().len(), 1);
    // What the document is made from changes (its commune renamed): it is typeset anew.
    ocop_store::on_db!(&portal.db, |pool| sqlx::query(
        "UPDATE units SET name = 'Phường Mới Đặt Tên' WHERE code = $1 AND valid_to IS NULL"
    )
    .bind(&certificate.commune_code)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    let anew = get(&second, &uri).await;
    assert_eq!(anew.status, StatusCode::OK);
    assert_ne!(anew.body, typeset.body);
    assert_eq!(
        count(&portal.db, "SELECT COUNT(*) FROM generated_documents").await,
        2
    );
    let _ = std::fs::remove_dir_all(&dir);
}
