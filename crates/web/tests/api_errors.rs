//! Requests the API cannot read are refused in its one error shape
//! (`{"error": {"code", "message"}}`), never with axum's plain text: query strings, path
//! parameters, JSON and multipart bodies. Pages keep their language rule (the `lang` cookie, else
//! Vietnamese) whatever the browser's `Accept-Language` says.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::accounts::{self, NewUser};
use ocop_store::testing::TestDb;
use ocop_web::{AppState, router};

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, String, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

/// The status and code of an answer in the API's error shape (fails on anything else).
async fn error(app: &axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let (status, content_type, body) = call(app, request).await;
    assert_eq!(content_type, "application/json", "{body}");
    let json: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "no message: {body}");
    (status, json["error"]["code"].as_str().unwrap().to_string())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn unreadable_requests_get_the_one_error_shape() {
    let test = TestDb::with_units().await;
    let app = router(AppState::new(
        test.db.clone(),
        Catalog::load(&bundled_sources()).unwrap(),
    ));

    // A query parameter of the wrong type.
    assert_eq!(
        error(&app, get("/api/v1/units?q=ha&limit=abc")).await,
        (StatusCode::BAD_REQUEST, "invalid_query".to_string())
    );
    assert_eq!(
        error(&app, get("/api/v1/units?q=ha&limit=")).await,
        (StatusCode::BAD_REQUEST, "invalid_query".to_string())
    );
    // The handler's own checks keep their codes.
    assert_eq!(
        error(&app, get("/api/v1/units?q=ha&limit=500")).await,
        (StatusCode::BAD_REQUEST, "invalid_limit".to_string())
    );
    assert_eq!(
        error(&app, get("/api/v1/units/26882?on=yesterday")).await,
        (StatusCode::BAD_REQUEST, "invalid_date".to_string())
    );
    // A path parameter that is not UTF-8 once decoded.
    assert_eq!(
        error(&app, get("/api/v1/units/%FF")).await,
        (StatusCode::BAD_REQUEST, "invalid_path".to_string())
    );
    assert_eq!(
        error(&app, get("/api/v1/criteria/148-1489/%C3%28")).await,
        (StatusCode::BAD_REQUEST, "invalid_path".to_string())
    );

    // Bodies: JSON with the wrong content type, multipart that is not multipart.
    let officer = accounts::create_user(
        &test.db,
        NewUser {
            email: "xa@ocop.vn".into(),
            name: "Cán bộ xã".into(),
            role: Role::CommuneOfficer,
            unit_code: Some("26882".into()),
            entity_id: None,
            password: "mật khẩu thật dài".into(),
        },
        "t",
    )
    .await
    .unwrap();
    let (_, token) = accounts::create_api_token(&test.db, &officer, "test", "t")
        .await
        .unwrap();
    let bearer = format!("Bearer {token}");
    let request = Request::post("/api/v1/entities/e1/confirm")
        .header(header::AUTHORIZATION, &bearer)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        error(&app, request).await,
        (StatusCode::NOT_FOUND, "entity_not_found".to_string()),
        "a route without a body is not affected"
    );
    let request = Request::put("/api/v1/entities/e1")
        .header(header::AUTHORIZATION, &bearer)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("name=x"))
        .unwrap();
    assert_eq!(
        error(&app, request).await,
        (StatusCode::BAD_REQUEST, "invalid_json".to_string())
    );
    let request = Request::post("/api/v1/dossiers/d1/evidence")
        .header(header::AUTHORIZATION, &bearer)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(
        error(&app, request).await,
        (StatusCode::BAD_REQUEST, "invalid_upload".to_string())
    );
    // Who is asking is still checked first.
    let request = Request::post("/api/v1/dossiers/d1/evidence")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(
        error(&app, request).await,
        (StatusCode::UNAUTHORIZED, "unauthenticated".to_string())
    );
}

#[tokio::test]
async fn pages_ignore_the_browsers_accept_language() {
    let test = TestDb::with_units().await;
    let app = router(AppState::new(
        test.db.clone(),
        Catalog::load(&bundled_sources()).unwrap(),
    ));
    let request = Request::get("/")
        .header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = call(&app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Trang chủ"), "{body}");
    let request = Request::get("/")
        .header(header::ACCEPT_LANGUAGE, "vi")
        .header(header::COOKIE, "lang=en")
        .body(Body::empty())
        .unwrap();
    let (_, _, body) = call(&app, request).await;
    assert!(body.contains("Home"), "the switch decides: {body}");
}
