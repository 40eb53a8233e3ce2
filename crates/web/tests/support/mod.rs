//! What the HTTP tests of rounds share: calling the router as the API, a browser and a form do;
//! people with a token and a session; a submitted dossier; a card on 26/2026 P01; the commune's
//! and the province's steps.
#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{Catalog, EntityType, Scorecard, score_card};
use ocop_domain::dossier::{DossierAction, EvaluationType};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::accounts::{self, NewUser, User};
use ocop_store::dossiers::{self, Opening};
use ocop_store::{Db, registry};

/// A response as bytes, with its status and content type (and where it redirects).
pub struct Got {
    pub status: StatusCode,
    pub content_type: String,
    pub location: String,
    pub body: Vec<u8>,
}

impl Got {
    pub fn is_pdf(&self) -> bool {
        self.content_type == "application/pdf" && self.body.starts_with(b"%PDF-")
    }
}

pub struct Api {
    pub app: axum::Router,
}

impl Api {
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(if body.is_null() {
                Body::empty()
            } else {
                Body::from(body.to_string())
            })
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, uri: &str, token: &str) -> Value {
        let (status, body) = self.call("GET", uri, token, Value::Null).await;
        assert_eq!(status, StatusCode::OK, "GET {uri}: {body}");
        body
    }

    /// A form posted from a page by `person`, with its CSRF token.
    pub async fn post_form(
        &self,
        uri: &str,
        person: &Person,
        fields: &[(String, String)],
    ) -> (StatusCode, String) {
        let mut all = vec![("csrf".to_string(), person.csrf.clone())];
        all.extend_from_slice(fields);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(all)
            .finish();
        let request = Request::post(uri)
            .header(header::COOKIE, &person.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A page as a signed-in person sees it.
    pub async fn page(&self, uri: &str, cookie: &str) -> (StatusCode, String) {
        let request = Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A call that must succeed.
    pub async fn ok(&self, method: &str, uri: &str, token: &str, body: Value) -> Value {
        let (status, answer) = self.call(method, uri, token, body).await;
        assert!(status.is_success(), "{method} {uri}: {status} {answer}");
        answer
    }

    /// A GET as a signed-in person's browser sends it (or an anonymous one's, with no cookie).
    pub async fn fetch(&self, uri: &str, cookie: Option<&str>) -> Got {
        let mut request = Request::get(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let header_text = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let (content_type, location) = (
            header_text(header::CONTENT_TYPE),
            header_text(header::LOCATION),
        );
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 20 << 20)
            .await
            .unwrap()
            .to_vec();
        Got {
            status,
            content_type,
            location,
            body,
        }
    }
}

pub struct Person {
    pub user: User,
    pub token: String,
    pub cookie: String,
    pub csrf: String,
}

pub async fn person(db: &Db, email: &str, name: &str, role: Role, unit: Option<&str>) -> Person {
    let user = accounts::create_user(
        db,
        NewUser {
            email: email.into(),
            name: name.into(),
            role,
            unit_code: unit.map(str::to_string),
            entity_id: None,
            password: "mật khẩu thật dài 2026".into(),
        },
        "test",
    )
    .await
    .unwrap();
    signed_in(db, user).await
}

/// An API token and a browser session (with its CSRF token) for an account.
pub async fn signed_in(db: &Db, user: User) -> Person {
    let (_, token) = accounts::create_api_token(db, &user, "kiểm thử", "test")
        .await
        .unwrap();
    let (session, csrf) = accounts::create_session(db, &user).await.unwrap();
    Person {
        user,
        token,
        cookie: format!("ocop_session={session}"),
        csrf,
    }
}

/// A cooperative (`entity`) with a product (`name`) on 26/2026 P01 in `commune`, and a submitted
/// dossier of it.
pub async fn submitted(db: &Db, commune: &str, n: usize, name: &str, entity: &str) -> String {
    let today = chrono::Utc::now().date_naive();
    let entity = registry::create(
        db,
        &check_entity(
            &EntityForm {
                kind: "cooperative".into(),
                registration_code: format!("HTX-R-{n}"),
                name: entity.into(),
                representative: "Nguyễn Thị Hoa".into(),
                address: "Ấp 1".into(),
                commune_code: commune.into(),
                ..EntityForm::default()
            },
            today,
        )
        .unwrap(),
        EntityStatus::Confirmed,
        "test",
    )
    .await
    .unwrap();
    let product = registry::add_product(
        db,
        &Scope::National,
        &entity.id,
        &check_product(
            &ProductForm {
                name: name.into(),
                product_set: "P01".into(),
                description: "Trái cây tươi".into(),
                ..Default::default()
            },
            "26-2026",
            &["P01"],
        )
        .unwrap(),
        "test",
    )
    .await
    .unwrap()
    .unwrap();
    let dossier = dossiers::create(
        db,
        &Scope::National,
        &product.id,
        Opening {
            evaluation_type: EvaluationType::FirstTime,
            contact_phone: Some("0909 123 456".into()),
            criteria_version: Some("26-2026".into()),
            filed_at_ms: None,
        },
        "producer",
    )
    .await
    .unwrap();
    dossiers::apply(
        db,
        &Scope::National,
        &dossier.id,
        &DossierAction::Submit,
        Role::Producer,
        &[],
        "producer",
    )
    .await
    .unwrap();
    dossier.id
}

/// Cards on 26/2026 P01 for a cooperative: every criterion on its best option, except the first
/// `lowered` criteria on their lowest. Returns the choices and their total.
pub fn card(catalog: &Catalog, lowered: usize) -> (BTreeMap<String, u32>, u32) {
    let version = catalog.version("26-2026").unwrap();
    let set = version.set("P01").unwrap();
    let token = version.token_for(EntityType::Cooperative);
    let choices: BTreeMap<String, u32> = set
        .sheet
        .criteria()
        .enumerate()
        .map(|(position, (_, c))| {
            let applicable = c.options.iter().filter(|o| o.applies_to_token(token));
            let option = if position < lowered {
                applicable.min_by_key(|o| o.points)
            } else {
                applicable.max_by_key(|o| o.points)
            };
            (c.code.clone(), option.unwrap().number)
        })
        .collect();
    let total = score_card(
        version,
        set,
        EntityType::Cooperative,
        &Scorecard {
            member: String::new(),
            choices: choices.clone(),
        },
    )
    .unwrap()
    .total;
    (choices, total)
}

/// Takes a submitted dossier through the commune (accepted, reported on, proposed) and into the
/// province, by the API.
pub async fn to_province(api: &Api, dossier: &str, commune: &Person, province: &Person) {
    let actions = format!("/api/v1/dossiers/{dossier}/actions");
    let report = json!({
        "local_materials": "Nguyên liệu trồng tại xã",
        "local_labour": "Lao động thường trú tại xã",
        "idea_origin": "Sản phẩm truyền thống",
        "local_identity": "Giống cây bản địa của vùng",
    });
    for (action, person) in [
        ("accept", commune),
        ("report", commune),
        ("propose", commune),
        ("take_in", province),
    ] {
        let (status, body) = if action == "report" {
            api.call(
                "PUT",
                &format!("/api/v1/dossiers/{dossier}/report"),
                &person.token,
                report.clone(),
            )
            .await
        } else {
            api.call("POST", &actions, &person.token, json!({"action": action}))
                .await
        };
        assert!(status.is_success(), "{action}: {body}");
    }
}

/// A recognition as a decision of a closed round would make it: the rows of a dossier, a round,
/// its product and a decision, then the certificate issued in its transaction (with the
/// entitlements of the province's policies). The certificate's id.
pub async fn certify(
    db: &Db,
    catalog: &Catalog,
    ids: (&str, &str, &str),
    commune: &str,
    province: &str,
    stars: u8,
    on: chrono::NaiveDate,
) -> String {
    let (entity, product, code) = ids;
    let n = ocop_store::clock::new_id();
    let (round, rp, dossier, decision) = (
        format!("round-{n}"),
        format!("rp-{n}"),
        format!("dossier-{n}"),
        format!("decision-{n}"),
    );
    ocop_store::on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO dossiers (id, product_id, entity_id, commune_code, province_code, evaluation_type, state, \
             criteria_version, product_set, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'first_time', 'recognised', '26-2026', 'P01', 0, 0)",
        )
        .bind(&dossier).bind(product).bind(entity).bind(commune).bind(province)
        .execute(pool).await.unwrap();
        sqlx::query(
            "INSERT INTO rounds (id, name, level, kind, province_code, meeting_on, place, state, created_by, created_at, updated_at) \
             VALUES ($1, 'Đợt', 'province', 'online', $2, $3, 'Tỉnh', 'closed', 't', 0, 0)",
        )
        .bind(&round).bind(province).bind(on)
        .execute(pool).await.unwrap();
        sqlx::query(
            "INSERT INTO round_products (id, round_id, dossier_id, product_id, entity_id, commune_code, province_code, \
             criteria_version, product_set, entity_type, pass, disqualifications, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, '26-2026', 'P01', 'cooperative', 1, '[]', 0)",
        )
        .bind(&rp).bind(&round).bind(&dossier).bind(product).bind(entity).bind(commune).bind(province)
        .execute(pool).await.unwrap();
        sqlx::query(
            "INSERT INTO decisions (id, round_id, number, signed_on, signer, recorded_by, recorded_at) \
             VALUES ($1, $2, $1, $3, 'Chủ tịch', 't', 0)",
        )
        .bind(&decision).bind(&round).bind(on)
        .execute(pool).await.unwrap();
    });
    let mut tx = db.begin().await.unwrap();
    let id = ocop_store::certificates::issue(
        &mut tx,
        catalog,
        &ocop_store::certificates::Recognition {
            decision_id: &decision,
            decided_on: on,
            round_product_id: &rp,
            product_id: product,
            product_code: code,
            entity_id: entity,
            commune_code: commune,
            province_code: province,
            criteria_version: "26-2026",
            evaluation_type: EvaluationType::FirstTime,
            stars,
            score: Some(7550),
        },
        "test",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A confirmed cooperative in `commune` with one product: (entity id, product id, product code).
pub async fn producer_with_product(
    db: &Db,
    commune: &str,
    n: usize,
    women_led: bool,
) -> (String, String, String) {
    let entity = registry::create(
        db,
        &check_entity(
            &EntityForm {
                kind: "cooperative".into(),
                registration_code: format!("HTX-{commune}-{n}"),
                name: format!("Hợp tác xã {commune} số {n}"),
                representative: "Trần Thị Lan".into(),
                address: "Ấp 1".into(),
                commune_code: commune.into(),
                women_led: women_led.then(|| "on".to_string()),
                workers: "10".into(),
                ..EntityForm::default()
            },
            chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        )
        .unwrap(),
        EntityStatus::Confirmed,
        "test",
    )
    .await
    .unwrap();
    let product = registry::add_product(
        db,
        &Scope::National,
        &entity.id,
        &check_product(
            &ProductForm {
                name: format!("Hạt điều {commune} số {n}"),
                product_set: "P01".into(),
                description: "Hạt điều rang muối".into(),
                ..ProductForm::default()
            },
            "26-2026",
            &["P01"],
        )
        .unwrap(),
        "test",
    )
    .await
    .unwrap()
    .unwrap();
    (entity.id, product.id, product.code)
}
