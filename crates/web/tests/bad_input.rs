//! Bad input at scale: arbitrary bodies — bytes, broken JSON, JSON of the wrong shape, broken
//! multipart, forms — sent by signed-in officials to every route of the router's own list that
//! takes one, with made-up or malformed ids. Never a 5xx; under `/api/` always the one error shape.

use axum::body::Body;
use axum::http::{Method, Request, header};
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::accounts::{self, NewUser};
use ocop_store::files::FileStore;
use ocop_store::testing::TestDb;
use ocop_web::{AppState, route_table, router};

async fn token(db: &ocop_store::Db, email: &str, role: Role, unit: Option<&str>) -> String {
    let user = accounts::create_user(
        db,
        NewUser {
            email: email.into(),
            name: email.into(),
            role,
            unit_code: unit.map(str::to_string),
            entity_id: None,
            password: "mật khẩu thật dài".into(),
        },
        "t",
    )
    .await
    .unwrap();
    accounts::create_api_token(db, &user, "fuzz", "t")
        .await
        .unwrap()
        .1
}

/// A body as clients get them wrong.
fn bodies() -> impl Strategy<Value = (String, Vec<u8>)> {
    let json = "application/json".to_string();
    prop_oneof![
        // Bytes of any kind, under any of the types a route may expect.
        (
            proptest::sample::select(vec![
                "application/json".to_string(),
                "text/plain".to_string(),
                "application/x-www-form-urlencoded".to_string(),
                "multipart/form-data; boundary=XYZ".to_string(),
                "multipart/form-data".to_string(),
            ]),
            proptest::collection::vec(any::<u8>(), 0..300)
        ),
        // JSON of the wrong shape: scalars, arrays, objects with the wrong types.
        (
            Just(json.clone()),
            prop_oneof![
                Just("null".to_string()),
                Just("[]".to_string()),
                Just("{}".to_string()),
                any::<i64>().prop_map(|n| n.to_string()),
                "\\PC{0,40}".prop_map(|s| serde_json::to_string(&s).unwrap()),
                proptest::collection::btree_map(
                    proptest::sample::select(vec![
                        "name", "choices", "action", "payload", "ground", "found_on",
                        "decision_number", "decided_on", "evaluation_type", "product_set",
                        "commune_code", "stars", "year", "amount", "registration_code", "role",
                    ]),
                    prop_oneof![
                        Just(Value::Null),
                        any::<bool>().prop_map(Value::from),
                        any::<i64>().prop_map(Value::from),
                        any::<f64>().prop_map(Value::from),
                        "\\PC{0,30}".prop_map(Value::from),
                        Just(serde_json::json!({"1.1": 99, "x": -1})),
                        Just(serde_json::json!([1, "a", null])),
                    ],
                    0..6
                )
                .prop_map(|map| serde_json::to_string(&map).unwrap()),
            ]
            .prop_map(String::into_bytes)
        ),
        // Multipart that ends early, has no parts, or parts without names.
        (
            Just("multipart/form-data; boundary=XYZ".to_string()),
            prop_oneof![
                Just(b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF".to_vec()),
                Just(b"--XYZ--\r\n".to_vec()),
                Just(b"--XYZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XYZ--\r\n".to_vec()),
                "\\PC{0,80}".prop_map(|s| format!("--XYZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{s}\r\n--XYZ--\r\n").into_bytes()),
            ]
        ),
    ]
}

/// A path of the route with its parameters filled with made-up or malformed values.
fn fill(path: &str, values: &[String]) -> String {
    let mut filled = String::new();
    let mut rest = path;
    let mut n = 0;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        filled.push_str(&rest[..start]);
        let value = &values[n % values.len()];
        filled.push_str(&urlencode(value));
        n += 1;
        rest = &rest[end..];
    }
    filled.push_str(rest);
    filled
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn arbitrary_bodies_to_every_route_that_takes_one_never_break_the_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (test, tokens, app) = runtime.block_on(async {
        let test = TestDb::with_units().await;
        let tokens = vec![
            token(&test.db, "tw@ocop.vn", Role::CentralOfficer, None).await,
            token(
                &test.db,
                "tinh@ocop.vn",
                Role::ProvincialOfficer,
                Some("75"),
            )
            .await,
            token(&test.db, "admin@ocop.vn", Role::Administrator, None).await,
        ];
        let dir = std::env::temp_dir().join(format!("ocop_bad_input_{}", std::process::id()));
        let app = router(
            AppState::new(test.db.clone(), Catalog::load(&bundled_sources()).unwrap())
                .with_files(FileStore::new(&dir, 1 << 20)),
        );
        (test, tokens, app)
    });
    let routes: Vec<(Method, &str)> = route_table()
        .into_iter()
        .filter(|(method, path)| *method != Method::GET && path.starts_with("/api/"))
        .collect();
    assert!(routes.len() > 30, "the write routes of the API");
    let config = ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let statuses = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    proptest!(config, |(
        route in proptest::sample::select(routes.clone()),
        (content_type, body) in bodies(),
        ids in proptest::collection::vec(
            prop_oneof![
                "[0-9a-f]{32}",
                Just("75".to_string()),
                Just("26-2026".to_string()),
                "\\PC{1,12}",
            ],
            1..3,
        ),
        who in 0usize..3,
    )| {
        let (method, path) = route;
        let uri = fill(path, &ids);
        let request = Request::builder()
            .method(method.clone())
            .uri(&uri)
            .header(header::CONTENT_TYPE, content_type.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {}", tokens[who]))
            .body(Body::from(body.clone()))
            .unwrap();
        let (status, bytes) = runtime.block_on(async {
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            (status, axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap())
        });
        *statuses.lock().unwrap().entry(status.as_u16()).or_default() += 1;
        prop_assert!(
            status.as_u16() < 500,
            "{method} {uri} ({content_type}, {} bytes) answered {status}: {}",
            body.len(),
            String::from_utf8_lossy(&bytes)
        );
        if !status.is_success() {
            let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            prop_assert!(
                json["error"]["code"].is_string() && json["error"]["message"].is_string(),
                "{method} {uri} answered {status} outside the error shape: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
    });
    let statuses = statuses.into_inner().unwrap();
    eprintln!("answers by status: {statuses:?}");
    // The bodies reached the routes' readers: many were refused as unreadable or invalid.
    let refused_bodies: usize = [400, 413, 415, 422]
        .iter()
        .map(|s| statuses.get(s).copied().unwrap_or(0))
        .sum();
    assert!(refused_bodies > 100, "{statuses:?}");
    drop(test);
}
