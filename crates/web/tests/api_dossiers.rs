//! The dossier operations through the JSON API, as a machine would use them (bearer tokens), and
//! the CSRF guard for scripts that use a browser session.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::accounts::{self, NewUser};
use ocop_store::files::FileStore;
use ocop_store::registry;
use ocop_store::testing::TestDb;
use ocop_web::{AppState, router};

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn json_request(method: &str, uri: &str, auth: &(&str, String), body: Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(auth.0, auth.1.clone())
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn machines_file_and_work_dossiers_through_the_api() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let today = chrono::Utc::now().date_naive();
    let entity = registry::create(
        db,
        &check_entity(
            &EntityForm {
                kind: "company".into(),
                legal_form: "joint_stock".into(),
                registration_code: "0312345678".into(),
                name: "Công ty CP Nước mắm Phú Quốc".into(),
                representative: "Trương Văn Hải".into(),
                address: "Khu phố 1".into(),
                commune_code: "26882".into(),
                ..EntityForm::default()
            },
            today,
        )
        .unwrap(),
        EntityStatus::Confirmed,
        "t",
    )
    .await
    .unwrap();
    let product = registry::add_product(
        db,
        &Scope::National,
        &entity.id,
        &check_product(
            &ProductForm {
                name: "Nước mắm nhĩ 40 độ đạm".into(),
                product_set: "P09".into(),
                description: "Nước mắm truyền thống".into(),
                ..Default::default()
            },
            "148-1489",
            &["P09"],
        )
        .unwrap(),
        "t",
    )
    .await
    .unwrap()
    .unwrap();
    let token_for = |email: &'static str,
                     role: Role,
                     unit: Option<&'static str>,
                     entity_id: Option<String>| async move {
        let user = accounts::create_user(
            db,
            NewUser {
                email: email.into(),
                name: email.into(),
                role,
                unit_code: unit.map(str::to_string),
                entity_id,
                password: "mật khẩu thật dài".into(),
            },
            "t",
        )
        .await
        .unwrap();
        let (_, token) = accounts::create_api_token(db, &user, "test", "t")
            .await
            .unwrap();
        ("authorization", format!("Bearer {token}"))
    };
    let producer = token_for(
        "hai@nuocmam.vn",
        Role::Producer,
        None,
        Some(entity.id.clone()),
    )
    .await;
    let officer = token_for("xa@ocop.vn", Role::CommuneOfficer, Some("26882"), None).await;
    let upload_dir = std::env::temp_dir().join(format!("ocop_api_uploads_{}", std::process::id()));
    let app = router(
        AppState::new(db.clone(), Catalog::load(&bundled_sources()).unwrap())
            .with_files(FileStore::new(&upload_dir, 1 << 20)),
    );

    let (status, _) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/products/{}/dossiers", product.id),
            &officer,
            json!({"evaluation_type": "first_time"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, error) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/products/{}/dossiers", product.id),
            &producer,
            json!({"evaluation_type": "first_time", "contact_phone": "gọi tôi"}),
        ),
    )
    .await;
    assert_eq!(
        (status, error["error"]["details"][0].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("contact_phone: Số điện thoại không hợp lệ.")
        )
    );
    assert_eq!(
        error["error"]["fields"],
        json!([{"field": "contact_phone", "code": "phone", "message": "Số điện thoại không hợp lệ."}])
    );
    let (status, created) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/products/{}/dossiers", product.id),
            &producer,
            json!({"evaluation_type": "first_time", "contact_phone": "0297 3846 111"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    // The product was registered under 148/1489; a dossier filed now is evaluated under the
    // version in force (QĐ 26/2026 Điều 12: only dossiers filed before 22/05/2026 finish on 148).
    assert_eq!(created["criteria_version"], "26-2026");
    assert_eq!(created["state"], "draft");

    let (status, detail) = call(
        &app,
        json_request(
            "GET",
            &format!("/api/v1/dossiers/{id}"),
            &producer,
            Value::Null,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("self_assessment"))
    );

    // A self-assessment that does not fit the sheet, then one that does.
    let (status, refused) = call(
        &app,
        json_request(
            "PUT",
            &format!("/api/v1/dossiers/{id}/self-assessment"),
            &producer,
            json!({"choices": {"1.1": 9}}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["code"], "invalid_scorecards");
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let choices: serde_json::Map<String, Value> = catalog
        .version("26-2026")
        .unwrap()
        .set("P09")
        .unwrap()
        .sheet
        .criteria()
        .map(|(_, c)| {
            (
                c.code.clone(),
                json!(
                    c.options
                        .iter()
                        .find(|o| o.applies_to_token("company"))
                        .unwrap()
                        .number
                ),
            )
        })
        .collect();
    let (status, scored) = call(
        &app,
        json_request(
            "PUT",
            &format!("/api/v1/dossiers/{id}/self-assessment"),
            &producer,
            json!({"choices": choices}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{scored}");
    assert!(scored["total"].as_u64().is_some());

    // Submitting too early says what is missing.
    let (status, incomplete) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/dossiers/{id}/actions"),
            &producer,
            json!({"action": "submit"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(incomplete["error"]["code"], "incomplete");
    let needed: Vec<String> = incomplete["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(
        needed.contains(&"food_safety_certificate".to_string()),
        "{needed:?}"
    );

    // Storage that cannot be written (a file where its directory should be): 503 in the one
    // error shape, and no evidence recorded.
    let blocked_dir = upload_dir.with_extension("blocked");
    std::fs::write(&blocked_dir, b"not a directory").unwrap();
    let blocked = router(
        AppState::new(db.clone(), Catalog::load(&bundled_sources()).unwrap())
            .with_files(FileStore::new(&blocked_dir, 1 << 20)),
    );
    let boundary = "XYZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"evidence_type\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 blocked\r\n--{boundary}--\r\n",
        needed[0]
    );
    let request = Request::post(format!("/api/v1/dossiers/{id}/evidence"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(producer.0, producer.1.clone())
        .body(Body::from(body))
        .unwrap();
    let (status, error) = call(&blocked, request).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("files_unavailable")),
        "{error}"
    );
    let (_, dossier) = call(
        &app,
        json_request(
            "GET",
            &format!("/api/v1/dossiers/{id}"),
            &producer,
            json!(null),
        ),
    )
    .await;
    assert_eq!(
        dossier["evidence"].as_array().map(Vec::len),
        Some(0),
        "{dossier}"
    );
    let _ = std::fs::remove_file(&blocked_dir);

    for kind in &needed {
        let boundary = "XYZ";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"evidence_type\"\r\n\r\n{kind}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{kind}.pdf\"\r\n\r\n%PDF-1.4 {kind}\r\n--{boundary}--\r\n"
        );
        let request = Request::post(format!("/api/v1/dossiers/{id}/evidence"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(producer.0, producer.1.clone())
            .body(Body::from(body))
            .unwrap();
        let (status, evidence) = call(&app, request).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {evidence}");
    }
    let (status, submitted) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/dossiers/{id}/actions"),
            &producer,
            json!({"action": "submit"}),
        ),
    )
    .await;
    assert_eq!(
        (status, submitted["state"].as_str()),
        (StatusCode::OK, Some("submitted"))
    );

    // The commune: a producer may not accept; a short reason is refused; accept and propose.
    let (status, _) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/dossiers/{id}/actions"),
            &producer,
            json!({"action": "accept"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/dossiers/{id}/actions"),
            &officer,
            json!({"action": "return", "reason": "thiếu"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, inbox) = call(
        &app,
        json_request("GET", "/api/v1/dossiers", &officer, Value::Null),
    )
    .await;
    assert_eq!(inbox.as_array().unwrap().len(), 1);
    let act = |action: &'static str| {
        json_request(
            "POST",
            &format!("/api/v1/dossiers/{id}/actions"),
            &officer,
            json!({"action": action}),
        )
    };
    let (status, moved) = call(&app, act("accept")).await;
    assert_eq!(
        (status, moved["state"].as_str()),
        (StatusCode::OK, Some("accepted"))
    );
    // Under 26/2026 the commune proposes only with its Mẫu 03 report written.
    let (status, refused) = call(&app, act("propose")).await;
    assert_eq!(
        (
            status,
            refused["error"]["code"].as_str(),
            refused["error"]["details"][0].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("incomplete"),
            Some("commune_report")
        )
    );
    let report_uri = format!("/api/v1/dossiers/{id}/report");
    let mut report = json!({
        "local_materials": "Cá cơm đánh bắt tại địa phương",
        "local_labour": "8 lao động thường trú tại xã",
        "idea_origin": "Nghề truyền thống của làng",
        "local_identity": "ngắn",
    });
    let (status, refused) = call(
        &app,
        json_request("PUT", &report_uri, &officer, report.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["fields"][0]["field"], "local_identity");
    assert_eq!(refused["error"]["fields"][0]["code"], "report_point");
    report["local_identity"] = json!("Cách ủ chượp truyền thống 12 tháng");
    let (status, _) = call(&app, json_request("PUT", &report_uri, &officer, report)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, moved) = call(&app, act("propose")).await;
    assert_eq!(
        (status, moved["state"].as_str()),
        (StatusCode::OK, Some("proposed"))
    );

    // A browser session may write only with its CSRF token in X-CSRF-Token.
    let user = accounts::find_by_email(db, "hai@nuocmam.vn")
        .await
        .unwrap()
        .unwrap();
    let (session, csrf) = accounts::create_session(db, &user).await.unwrap();
    let cookie = ("cookie", format!("ocop_session={session}"));
    let body = json!({"evaluation_type": "upgrade"});
    let (status, error) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/products/{}/dossiers", product.id),
            &cookie,
            body.clone(),
        ),
    )
    .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("csrf_mismatch"))
    );
    let mut request = json_request(
        "POST",
        &format!("/api/v1/products/{}/dossiers", product.id),
        &cookie,
        body,
    );
    request
        .headers_mut()
        .insert("x-csrf-token", csrf.parse().unwrap());
    let (status, _) = call(&app, request).await;
    assert_eq!(status, StatusCode::CREATED);

    // Editing through the API: the product has dossiers now, so its set stays; the rest changes.
    let product_uri = format!("/api/v1/products/{}", product.id);
    let edit = |set: &str| {
        json!({
            "name": "Nước mắm nhĩ cá cơm 40 độ đạm",
            "product_set": set,
            "description": "Nước mắm truyền thống ủ chượp 12 tháng",
            "export_markets": "Nhật Bản, Hàn Quốc",
        })
    };
    let (status, error) = call(
        &app,
        json_request("PUT", &product_uri, &producer, edit("P10")),
    )
    .await;
    assert_eq!(
        (status, error["error"]["details"][0].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("product_set: Sản phẩm đã có hồ sơ đánh giá nên không đổi được bộ sản phẩm.")
        )
    );
    assert_eq!(error["error"]["fields"][0]["code"], "product_set_locked");
    // A machine that asks for English reads the message in English; the code stays.
    let mut english = json_request("PUT", &product_uri, &producer, edit("P10"));
    english
        .headers_mut()
        .insert(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9".parse().unwrap());
    let (status, error) = call(&app, english).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error["error"]["fields"][0],
        json!({"field": "product_set", "code": "product_set_locked",
               "message": "The product has an evaluation dossier, so its product set cannot change."})
    );
    assert_eq!(
        error["error"]["details"][0],
        "product_set: The product has an evaluation dossier, so its product set cannot change."
    );
    let (status, edited) = call(
        &app,
        json_request("PUT", &product_uri, &producer, edit("P09")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["name"], "Nước mắm nhĩ cá cơm 40 độ đạm");
    assert_eq!(edited["export_markets"], json!(["Nhật Bản", "Hàn Quốc"]));
    assert_eq!(edited["code"], json!(product.code));
    let (status, _) = call(
        &app,
        json_request("PUT", &product_uri, &officer, edit("P09")),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the commune's officer may correct it"
    );

    // The entity: moving it to another commune is refused; a new phone is saved.
    let entity_uri = format!("/api/v1/entities/{}", entity.id);
    let mut details = json!({
        "kind": "company",
        "legal_form": "joint_stock",
        "registration_code": "0312345678",
        "name": "Công ty CP Nước mắm Phú Quốc",
        "representative": "Trương Văn Hải",
        "address": "Khu phố 1",
        "commune_code": "26881",
        "phone": "0297 3846 222",
    });
    let (status, error) = call(
        &app,
        json_request("PUT", &entity_uri, &producer, details.clone()),
    )
    .await;
    assert_eq!(
        (status, error["error"]["details"][0].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("commune_code: Không đổi được đơn vị cấp xã khi sửa thông tin.")
        )
    );
    assert_eq!(error["error"]["fields"][0]["field"], "commune_code");
    assert_eq!(error["error"]["fields"][0]["code"], "commune_fixed");
    details["commune_code"] = json!("26882");
    let (status, saved) = call(&app, json_request("PUT", &entity_uri, &producer, details)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["status"], "confirmed",
        "a phone is not an identity change"
    );
    assert_eq!(saved["phone"], "0297 3846 222");
    let history = ocop_store::audit::history(db, "entity", &entity.id)
        .await
        .unwrap();
    assert_eq!(history.last().unwrap().action, "entity.update");
    assert_eq!(
        history.last().unwrap().changes,
        r#"{"phone":{"before":null,"after":"0297 3846 222"}}"#
    );
    let _ = std::fs::remove_dir_all(upload_dir);
}

#[tokio::test]
async fn registration_confirmation_and_products_through_the_api() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let app = router(AppState::new(
        db.clone(),
        Catalog::load(&bundled_sources()).unwrap(),
    ));
    let anonymous = ("x-anonymous", String::new());
    let registration = json!({
        "entity": {"kind": "household", "registration_code": "HKD-API-0001", "name": "Hộ Mật ong Rừng Tràm",
                    "representative": "Cao Văn Tràm", "address": "Ấp 5", "commune_code": "26882"},
        "account_email": "tram@matong.vn", "account_password": "mật khẩu thật dài"
    });
    let mut bad = registration.clone();
    bad["entity"]["commune_code"] = json!("99999");
    let (status, error) = call(
        &app,
        json_request("POST", "/api/v1/register", &anonymous, bad.clone()),
    )
    .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_fields"))
    );
    assert_eq!(
        error["error"]["details"][0],
        "commune_code: Không có đơn vị cấp xã đang hiệu lực với mã này."
    );
    assert_eq!(
        error["error"]["fields"],
        json!([{"field": "commune_code", "code": "commune",
                "message": "Không có đơn vị cấp xã đang hiệu lực với mã này."}])
    );
    // Accept-Language: en gives English; the `lang` cookie (the switch) wins over it.
    let english = ("accept-language", "en".to_string());
    let (_, error) = call(
        &app,
        json_request("POST", "/api/v1/register", &english, bad.clone()),
    )
    .await;
    assert_eq!(
        error["error"]["fields"][0]["message"],
        "No commune in force has this code."
    );
    assert_eq!(error["error"]["fields"][0]["code"], "commune");
    let mut switched = json_request("POST", "/api/v1/register", &english, bad);
    switched
        .headers_mut()
        .insert(header::COOKIE, "lang=vi".parse().unwrap());
    let (_, error) = call(&app, switched).await;
    assert_eq!(
        error["error"]["fields"][0]["message"],
        "Không có đơn vị cấp xã đang hiệu lực với mã này."
    );
    let (status, entity) = call(
        &app,
        json_request("POST", "/api/v1/register", &anonymous, registration.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{entity}");
    assert_eq!(entity["status"], "pending");
    let (status, again) = call(
        &app,
        json_request("POST", "/api/v1/register", &anonymous, registration),
    )
    .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_account"))
    );

    let token = |email: &'static str, role: Role, unit: Option<&'static str>| async move {
        let user = match accounts::find_by_email(db, email).await.unwrap() {
            Some(user) => user,
            None => accounts::create_user(
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
            .unwrap(),
        };
        let (_, token) = accounts::create_api_token(db, &user, "test", "t")
            .await
            .unwrap();
        ("authorization", format!("Bearer {token}"))
    };
    let producer = token("tram@matong.vn", Role::Producer, None).await;
    let officer = token("xa@ocop.vn", Role::CommuneOfficer, Some("26882")).await;
    let elsewhere = token("khac@ocop.vn", Role::CommuneOfficer, Some("26878")).await;
    let id = entity["id"].as_str().unwrap();
    let (status, _) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/entities/{id}/confirm"),
            &producer,
            Value::Null,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/entities/{id}/confirm"),
            &elsewhere,
            Value::Null,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, confirmed) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/entities/{id}/confirm"),
            &officer,
            Value::Null,
        ),
    )
    .await;
    assert_eq!(
        (status, confirmed["status"].as_str()),
        (StatusCode::OK, Some("confirmed"))
    );

    let product = json!({"name": "Mật ong rừng tràm", "product_set": "P04", "description": "Mật ong khai thác tự nhiên", "sales_channels": "chợ, hội chợ"});
    let mut wrong = product.clone();
    wrong["product_set"] = json!("P99");
    let (status, error) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/entities/{id}/products"),
            &producer,
            wrong,
        ),
    )
    .await;
    assert_eq!(
        (status, error["error"]["details"][0].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("product_set: Chọn một bộ sản phẩm của bộ tiêu chí đang hiệu lực.")
        )
    );
    assert_eq!(error["error"]["fields"][0]["code"], "product_set");
    let (status, created) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/entities/{id}/products"),
            &producer,
            product.clone(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created["code"].as_str().unwrap().starts_with("79-26882-1-"));
    assert_eq!(created["sales_channels"], json!(["chợ", "hội chợ"]));
    let (status, _) = call(
        &app,
        json_request(
            "POST",
            &format!("/api/v1/entities/{id}/products"),
            &elsewhere,
            product,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
