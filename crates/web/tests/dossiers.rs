//! The dossier journey through HTTP: the producer opens and submits; the commune returns with a
//! reason, then accepts and proposes. (Self-assessment and uploads are made through the store
//! here; their pages come next.)

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::dossier::required_evidence;
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::accounts::{self, NewUser};
use ocop_store::files::FileStore;
use ocop_store::testing::TestDb;
use ocop_store::{dossiers, registry};
use ocop_web::{AppState, router};

struct Reply {
    status: StatusCode,
    location: String,
    body: String,
}

async fn send(app: &axum::Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
        .await
        .unwrap();
    Reply {
        status,
        location,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

#[tokio::test]
async fn producer_submits_and_the_commune_returns_accepts_and_proposes() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let today = chrono::Utc::now().date_naive();
    let entity_form = EntityForm {
        kind: "cooperative".into(),
        registration_code: "HTX-26882-9".into(),
        name: "HTX Rau sạch An Hội".into(),
        representative: "Đặng Thị Thu".into(),
        address: "Đường số 9".into(),
        commune_code: "26882".into(),
        ..EntityForm::default()
    };
    let entity = registry::create(
        db,
        &check_entity(&entity_form, today).unwrap(),
        EntityStatus::Confirmed,
        "t",
    )
    .await
    .unwrap();
    let product_form = ProductForm {
        name: "Rau muống sạch An Hội".into(),
        product_set: "P01".into(),
        description: "Rau muống trồng thủy canh".into(),
        ..ProductForm::default()
    };
    let product = registry::add_product(
        db,
        &Scope::National,
        &entity.id,
        &check_product(&product_form, "148-1489", &["P01"]).unwrap(),
        "t",
    )
    .await
    .unwrap()
    .unwrap();
    let session = |email: &'static str, role: Role, unit: Option<&str>, entity_id: Option<&str>| {
        let unit = unit.map(str::to_string);
        let entity_id = entity_id.map(str::to_string);
        async move {
            let user = accounts::create_user(
                db,
                NewUser {
                    email: email.into(),
                    name: email.into(),
                    role,
                    unit_code: unit,
                    entity_id,
                    password: "mật khẩu thật dài".into(),
                },
                "t",
            )
            .await
            .unwrap();
            let (token, csrf) = accounts::create_session(db, &user).await.unwrap();
            (format!("ocop_session={token}"), csrf)
        }
    };
    let (producer, producer_csrf) =
        session("thu@htx.vn", Role::Producer, None, Some(&entity.id)).await;
    let (officer, officer_csrf) =
        session("xa@ocop.vn", Role::CommuneOfficer, Some("26882"), None).await;
    let upload_dir = std::env::temp_dir().join(format!("ocop_web_uploads_{}", std::process::id()));
    let app = router(
        AppState::new(db.clone(), Catalog::load(&bundled_sources()).unwrap())
            .with_files(FileStore::new(&upload_dir, 1 << 20)),
    );
    let post = |uri: String, cookie: String, body: String| {
        let app = app.clone();
        async move {
            let request = Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookie)
                .body(Body::from(body))
                .unwrap();
            send(&app, request).await
        }
    };
    let get = |uri: String, cookie: String| {
        let app = app.clone();
        async move {
            send(
                &app,
                Request::get(uri)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };

    // The officer cannot open a dossier for the producer.
    let by_officer = post(
        format!("/products/{}/dossiers", product.id),
        officer.clone(),
        format!("csrf={officer_csrf}&evaluation_type=first_time"),
    )
    .await;
    assert_eq!(by_officer.status, StatusCode::FORBIDDEN);
    // A wrong phone is shown beside its field, with what was typed; no dossier is opened.
    let wrong = post(
        format!("/products/{}/dossiers", product.id),
        producer.clone(),
        format!(
            "csrf={producer_csrf}&evaluation_type=first_time&contact_phone=g%E1%BB%8Di+t%C3%B4i"
        ),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .body
            .contains(r#"value="gọi tôi" aria-invalid="true""#)
    );
    assert!(wrong.body.contains("Số điện thoại không hợp lệ."));
    assert!(
        ocop_store::dossiers::list(&test.db, &ocop_domain::access::Scope::National, None)
            .await
            .unwrap()
            .is_empty()
    );
    let created = post(
        format!("/products/{}/dossiers", product.id),
        producer.clone(),
        format!("csrf={producer_csrf}&evaluation_type=first_time&contact_phone=0909111222"),
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let dossier_uri = created.location.clone();
    let id = dossier_uri.trim_start_matches("/dossiers/").to_string();
    let page = get(dossier_uri.clone(), producer.clone()).await;
    assert!(
        page.body.contains("Phiếu tự đánh giá theo bộ tiêu chí"),
        "the checklist lists what is missing"
    );
    assert!(page.body.contains("Nộp hồ sơ"));

    let incomplete = post(
        format!("{dossier_uri}/submit"),
        producer.clone(),
        format!("csrf={producer_csrf}"),
    )
    .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    // What is missing, in the reader's language.
    assert!(
        incomplete
            .body
            .contains("Không thể thực hiện: Phiếu tự đánh giá theo bộ tiêu chí"),
        "{}",
        incomplete.body
    );

    // Complete it through the store (the self-assessment and upload pages come next).
    let producer_scope = Scope::Entity(entity.id.clone());
    let choices: BTreeMap<String, u32> = BTreeMap::from([("1.1".to_string(), 1)]);
    dossiers::save_self_assessment(db, &producer_scope, &id, &choices, 60, "t")
        .await
        .unwrap();
    // Uploads through the page: checked by content and size, shown on the dossier, downloadable
    // only by those who see the dossier.
    let upload = |kind: &'static str,
                  name: &'static str,
                  bytes: &'static [u8],
                  cookie: String,
                  csrf: String| {
        let boundary = "----ocopboundary";
        let mut body = Vec::new();
        for (field, value) in [
            ("csrf", csrf.as_str()),
            ("evidence_type", kind),
            ("expires_on", ""),
        ] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post(format!("{dossier_uri}/evidence"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap();
        let app = app.clone();
        async move { send(&app, request).await }
    };
    let disguised = upload(
        "test_report",
        "phieu-kiem-nghiem.pdf",
        b"MZ\x90\x00 not really a pdf",
        producer.clone(),
        producer_csrf.clone(),
    )
    .await;
    assert_eq!(disguised.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        disguised
            .body
            .contains("Chỉ nhận tệp PDF, JPEG, PNG, DOCX hoặc XLSX")
    );
    let by_officer = upload(
        "test_report",
        "x.pdf",
        b"%PDF-1.4",
        officer.clone(),
        officer_csrf.clone(),
    )
    .await;
    assert_eq!(by_officer.status, StatusCode::FORBIDDEN);
    let added = upload(
        "test_report",
        "phiếu kiểm nghiệm.pdf",
        b"%PDF-1.5 phieu kiem nghiem",
        producer.clone(),
        producer_csrf.clone(),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(
        added
            .body
            .contains("Đã thêm tài liệu phiếu kiểm nghiệm.pdf.")
    );
    let start = added
        .body
        .find(&format!("{dossier_uri}/evidence/"))
        .unwrap();
    let download_uri = added.body[start..].split('"').next().unwrap().to_string();
    let download = app
        .clone()
        .oneshot(
            Request::get(&download_uri)
                .header(header::COOKIE, officer.clone())
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()[header::CONTENT_TYPE], "application/pdf");
    assert!(
        download.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"phi")
    );
    let (outsider, _) = session("la@ocop.vn", Role::CommuneOfficer, Some("26878"), None).await;
    assert_eq!(
        get(download_uri.clone(), outsider).await.status,
        StatusCode::NOT_FOUND
    );

    let dir = std::env::temp_dir().join(format!("ocop_web_dossier_{}", std::process::id()));
    let file = FileStore::new(&dir, 1 << 20)
        .put(db, b"%PDF-1.5 minh chung")
        .await
        .unwrap();
    for kind in required_evidence(true) {
        dossiers::add_evidence(
            db,
            &producer_scope,
            &id,
            kind,
            None,
            &file,
            "minh-chung.pdf",
            None,
            "t",
        )
        .await
        .unwrap();
    }
    let submitted = post(
        format!("{dossier_uri}/submit"),
        producer.clone(),
        format!("csrf={producer_csrf}"),
    )
    .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert!(submitted.body.contains("Đã nộp"));

    let inbox = get("/dossiers".into(), officer.clone()).await;
    assert!(inbox.body.contains("Rau muống sạch An Hội"));
    // The inbox filters by state and counts each.
    assert!(
        inbox.body.contains(
            r#"<a href="/dossiers?state=submitted">Đã nộp <span class="count">1</span></a>"#
        ),
        "{}",
        inbox.body
    );
    let drafts = get("/dossiers?state=draft".into(), officer.clone()).await;
    assert_eq!(drafts.status, StatusCode::OK);
    assert!(!drafts.body.contains("Rau muống sạch An Hội"));
    assert!(
        drafts
            .body
            .contains(r#"<a href="/dossiers?state=draft" aria-current="page">"#)
    );
    let waiting = get("/dossiers?state=submitted".into(), officer.clone()).await;
    assert!(waiting.body.contains("Rau muống sạch An Hội"));
    let unknown = get("/dossiers?state=lost".into(), officer.clone()).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.contains("unknown dossier state"),
        "{}",
        unknown.body
    );
    let short = post(
        format!("{dossier_uri}/return"),
        officer.clone(),
        format!("csrf={officer_csrf}&reason=thiếu"),
    )
    .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let returned = post(
        format!("{dossier_uri}/return"),
        officer.clone(),
        format!("csrf={officer_csrf}&reason=Phi%E1%BA%BFu+ki%E1%BB%83m+nghi%E1%BB%87m+h%E1%BA%BFt+h%E1%BA%A1n"),
    )
    .await;
    assert_eq!(returned.status, StatusCode::OK);
    let seen = get(dossier_uri.clone(), producer.clone()).await;
    assert!(
        seen.body.contains("Phiếu kiểm nghiệm hết hạn"),
        "the producer sees the reason"
    );
    assert!(seen.body.contains("Bị trả lại"));
    post(
        format!("{dossier_uri}/submit"),
        producer.clone(),
        format!("csrf={producer_csrf}"),
    )
    .await;
    let by_producer = post(
        format!("{dossier_uri}/accept"),
        producer.clone(),
        format!("csrf={producer_csrf}"),
    )
    .await;
    assert_eq!(by_producer.status, StatusCode::FORBIDDEN);
    let accepted = post(
        format!("{dossier_uri}/accept"),
        officer.clone(),
        format!("csrf={officer_csrf}"),
    )
    .await;
    assert!(accepted.body.contains("Xã đã tiếp nhận"));
    // The commune may reject it by one of the sheet's disqualifiers, named; an unknown one or
    // no finding is refused and changes nothing.
    assert!(
        accepted
            .body
            .contains(r#"<option value="D1">D1: Hồ sơ bị loại khi: Giả mạo hồ sơ"#),
        "{}",
        accepted.body
    );
    let unknown_rule = post(
        format!("{dossier_uri}/disqualify"),
        officer.clone(),
        format!("csrf={officer_csrf}&rule=D99&reason=Gi%E1%BA%A5y+ch%E1%BB%A9ng+nh%E1%BA%ADn+gi%E1%BA%A3"),
    )
    .await;
    assert_eq!(unknown_rule.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown_rule
            .body
            .contains("chọn một căn cứ loại hồ sơ có trên phiếu chấm")
    );
    let no_finding = post(
        format!("{dossier_uri}/disqualify"),
        officer.clone(),
        format!("csrf={officer_csrf}&rule=D1&reason=gi%E1%BA%A3"),
    )
    .await;
    assert_eq!(no_finding.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_finding.body.contains("Xã đã tiếp nhận"));
    // Under 26/2026 the commune proposes only with its Mẫu 03 report, due 15 working days
    // after it received the dossier.
    assert!(
        accepted.body.contains("Hạn lập báo cáo"),
        "{}",
        accepted.body
    );
    let unreported = post(
        format!("{dossier_uri}/propose"),
        officer.clone(),
        format!("csrf={officer_csrf}"),
    )
    .await;
    assert_eq!(unreported.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unreported.body.contains("Báo cáo Mẫu 03 của UBND cấp xã"));
    let short = post(
        format!("{dossier_uri}/report"),
        officer.clone(),
        format!("csrf={officer_csrf}&local_materials=ng%E1%BA%AFn&local_labour=12+lao+%C4%91%E1%BB%99ng+t%E1%BA%A1i+x%C3%A3&idea_origin=Truy%E1%BB%81n+th%E1%BB%91ng+l%C3%A0ng&local_identity=B%E1%BA%A3n+s%E1%BA%AFc+l%C3%A0ng+ngh%E1%BB%81"),
    )
    .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short
            .body
            .contains("Nguyên liệu địa phương: Cần ít nhất 10 ký tự."),
        "{}",
        short.body
    );
    let reported = post(
        format!("{dossier_uri}/report"),
        officer.clone(),
        format!("csrf={officer_csrf}&local_materials=Th%E1%BB%8Bt+heo+t%E1%BA%A1i+x%C3%A3&local_labour=12+lao+%C4%91%E1%BB%99ng+t%E1%BA%A1i+x%C3%A3&idea_origin=Truy%E1%BB%81n+th%E1%BB%91ng+l%C3%A0ng&local_identity=B%E1%BA%A3n+s%E1%BA%AFc+l%C3%A0ng+ngh%E1%BB%81"),
    )
    .await;
    assert_eq!(reported.status, StatusCode::OK);
    assert!(reported.body.contains("Thịt heo tại xã"));
    let proposed = post(
        format!("{dossier_uri}/propose"),
        officer.clone(),
        format!("csrf={officer_csrf}"),
    )
    .await;
    assert!(proposed.body.contains("Đã đề xuất lên tỉnh"));
    // The history names the step and the state before and after.
    assert!(
        proposed
            .body
            .contains("<del>Xã đã tiếp nhận</del> → <ins>Đã đề xuất lên tỉnh</ins>"),
        "{}",
        proposed.body
    );
    let late = post(
        format!("{dossier_uri}/disqualify"),
        officer.clone(),
        format!(
            "csrf={officer_csrf}&rule=D1&reason=Gi%E1%BA%A5y+ch%E1%BB%A9ng+nh%E1%BA%ADn+gi%E1%BA%A3"
        ),
    )
    .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late.body
            .contains("a proposed dossier cannot be disqualified")
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(upload_dir);
}
