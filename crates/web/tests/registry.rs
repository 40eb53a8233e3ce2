//! The producer and commune journey through HTTP: a producer registers (with mistakes first),
//! follows its entity's state; the commune officer confirms it; the history shows both.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::accounts::{self, NewUser};
use ocop_store::testing::TestDb;
use ocop_web::{AppState, router};

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(app: &axum::Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| {
            let value: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = body.find(&marker).unwrap() + marker.len();
    body[start..].split('"').next().unwrap().to_string()
}

fn set_cookie(reply: &Reply, name: &str) -> String {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_producer_registers_and_the_commune_confirms() {
    let test = TestDb::with_units().await;
    let upload_dir =
        std::env::temp_dir().join(format!("ocop_registry_uploads_{}", std::process::id()));
    let app = router(
        AppState::new(test.db.clone(), Catalog::load(&bundled_sources()).unwrap())
            .with_files(ocop_store::files::FileStore::new(&upload_dir, 1 << 20)),
    );
    let get = |uri: &str, cookie: &str| {
        let mut request = Request::get(uri);
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie.to_string());
        }
        send(&app, request.body(Body::empty()).unwrap())
    };
    let post = |uri: &str, cookie: &str, form: String| {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie.to_string())
            .body(Body::from(form))
            .unwrap();
        send(&app, request)
    };

    let page = get("/register", "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Đăng ký chủ thể OCOP"));
    let csrf = hidden(&page.body, "csrf");
    let cookie = set_cookie(&page, "ocop_login_csrf");

    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("kind", "household"),
        ("registration_code", "x"),
        ("name", "Hộ kinh doanh Bánh pía Sóc Trăng"),
        ("representative", "Lâm Thị Hoa"),
        ("address", "Ấp Hòa Thành"),
        ("commune_code", "99999"),
        ("phone", "0299 3822 123"),
        ("women_led", "on"),
        ("founded_on", "12/05/2018"),
        ("account_email", "hoa@banhpia.vn"),
        ("account_password", "mật khẩu thật dài"),
    ];
    let wrong = post("/register", &cookie, encode(&fields)).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.body.contains("Mã số gồm 6–20 ký tự"),
        "beside the registration code"
    );
    assert!(
        wrong
            .body
            .contains(r#"value="Hộ kinh doanh Bánh pía Sóc Trăng""#),
        "typed values kept"
    );
    assert!(
        !wrong.body.contains("mật khẩu thật dài"),
        "the password is not echoed"
    );

    // The commune is checked against the units in force once the form is well-formed.
    fields[2] = ("registration_code", "HKD-57-001234");
    let csrf = hidden(&wrong.body, "csrf");
    let cookie = set_cookie(&wrong, "ocop_login_csrf");
    fields[0] = ("csrf", csrf.as_str());
    let nowhere = post("/register", &cookie, encode(&fields)).await;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        nowhere
            .body
            .contains("Không có đơn vị cấp xã đang hiệu lực với mã này.")
    );
    assert!(
        accounts::find_by_email(&test.db, "hoa@banhpia.vn")
            .await
            .unwrap()
            .is_none(),
        "nothing half-written"
    );

    let csrf = hidden(&nowhere.body, "csrf");
    let cookie = set_cookie(&nowhere, "ocop_login_csrf");
    fields[0] = ("csrf", csrf.as_str());
    fields[6] = ("commune_code", "26882");
    let done = post("/register", &cookie, encode(&fields)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let location = done
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with("/entities/"));
    let producer = set_cookie(&done, "ocop_session");
    let mine = get(&location, &producer).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains("Chờ xác nhận"));
    assert!(
        !mine.body.contains("Xác nhận chủ thể"),
        "a producer cannot confirm itself"
    );

    let officer = accounts::create_user(
        &test.db,
        NewUser {
            email: "xa@ocop.vn".into(),
            name: "Cán bộ Xã".into(),
            role: Role::CommuneOfficer,
            unit_code: Some("26882".into()),
            entity_id: None,
            password: "mật khẩu thật dài".into(),
        },
        "test",
    )
    .await
    .unwrap();
    let (token, csrf) = accounts::create_session(&test.db, &officer).await.unwrap();
    let officer_cookie = format!("ocop_session={token}");
    let inbox = get("/entities", &officer_cookie).await;
    assert!(inbox.body.contains("Hộ kinh doanh Bánh pía Sóc Trăng"));
    let detail = get(&location, &officer_cookie).await;
    assert!(detail.body.contains("Xác nhận chủ thể"));
    let confirmed = post(
        &format!("{location}/confirm"),
        &officer_cookie,
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert!(confirmed.body.contains("Đã xác nhận chủ thể."));
    let after = get(&location, &producer).await;
    assert!(after.body.contains("Đã xác nhận"));
    assert!(
        after.body.contains("Cán bộ Xã · Xác nhận chủ thể"),
        "history names who"
    );

    // The producer adds a product: a wrong barcode first, kept beside its field.
    let producer_csrf = hidden(&after.body, "csrf");
    let product = |gtin: &str| {
        encode(&[
            ("csrf", producer_csrf.as_str()),
            ("name", "Bánh pía sầu riêng trứng muối"),
            ("product_set", "P06"),
            (
                "description",
                "Bánh pía nhân sầu riêng, đậu xanh và trứng muối",
            ),
            ("gtin", gtin),
            ("sales_channels", "điểm bán OCOP, sàn thương mại điện tử"),
        ])
    };
    let bad = post(
        &format!("{location}/products"),
        &producer,
        product("8934563138166"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Mã GTIN không hợp lệ"));
    assert!(
        bad.body
            .contains(r#"value="Bánh pía sầu riêng trứng muối""#)
    );
    let good = post(
        &format!("{location}/products"),
        &producer,
        product("8934563138165"),
    )
    .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let code = format!("79-26882-1-{year}");
    assert!(
        good.body.contains(&format!("Đã thêm sản phẩm {code}.")),
        "{}",
        good.body
    );
    let start = good.body.find("/products/").unwrap();
    let product_uri: String = good.body[start..].split('"').next().unwrap().to_string();
    let page = get(&product_uri, &producer).await;
    assert!(page.body.contains("P06 — Chế biến từ gạo, ngũ cốc"));
    assert!(page.body.contains("· Thêm sản phẩm</td>"));

    // A certification with its validity; dates the wrong way round are refused beside the field.
    let certification = |to: &str| {
        encode(&[
            ("csrf", producer_csrf.as_str()),
            ("kind", "haccp"),
            ("number", "HACCP-2024-0571"),
            ("issuer", "Trung tâm Kỹ thuật 3"),
            ("valid_from", "15/04/2024"),
            ("valid_to", to),
        ])
    };
    let backwards = post(
        &format!("{product_uri}/certifications"),
        &producer,
        certification("01/01/2024"),
    )
    .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        backwards
            .body
            .contains("Ngày hết hạn phải sau ngày có hiệu lực.")
    );
    assert!(backwards.body.contains(r#"value="HACCP-2024-0571""#));
    let added = post(
        &format!("{product_uri}/certifications"),
        &producer,
        certification("14/04/2027"),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK);
    assert!(
        added
            .body
            .contains("haccp HACCP-2024-0571 — Trung tâm Kỹ thuật 3 (15/04/2024 – 14/04/2027)")
    );
    assert!(added.body.contains("· Thêm chứng nhận</td>"));

    // Photos: PNG or JPEG by content; shown to those who see the product.
    let photo_form = |bytes: &[u8]| {
        let boundary = "PHOTO";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{producer_csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"anh.png\"\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::post(format!("{product_uri}/photos"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, producer.clone())
            .body(Body::from(body))
            .unwrap()
    };
    let pdf = send(&app, photo_form(b"%PDF-1.4 not a photo")).await;
    assert_eq!(pdf.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(pdf.body.contains("Chỉ nhận ảnh JPEG hoặc PNG"));
    let png = send(&app, photo_form(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR tiny")).await;
    assert_eq!(png.status, StatusCode::OK);
    assert!(png.body.contains("Đã thêm ảnh."));
    let start = png.body.find(&format!("{product_uri}/photos/")).unwrap();
    let photo_uri = png.body[start..].split('"').next().unwrap().to_string();
    let image = app
        .clone()
        .oneshot(
            Request::get(&photo_uri)
                .header(header::COOKIE, producer.clone())
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(get(&photo_uri, "").await.status, StatusCode::SEE_OTHER);

    // The producer edits its entity: mistakes first (a bad phone, another commune), shown
    // beside their fields with what was typed, and nothing saved.
    let edit_page = get(&format!("{location}/edit"), &producer).await;
    assert_eq!(edit_page.status, StatusCode::OK);
    assert!(edit_page.body.contains(r#"value="HKD-57-001234""#));
    assert!(edit_page.body.contains(r#"value="12/05/2018""#));
    let mut edit = vec![
        ("csrf", producer_csrf.as_str()),
        ("kind", "household"),
        ("registration_code", "HKD-57-001234"),
        ("name", "Hộ kinh doanh Bánh pía Hoa Sóc Trăng"),
        ("representative", "Lâm Thị Hoa"),
        ("address", "Ấp Hòa Thành"),
        ("commune_code", "26881"),
        ("phone", "gọi tôi"),
        ("women_led", "on"),
        ("founded_on", "12/05/2018"),
    ];
    let refused = post(&format!("{location}/edit"), &producer, encode(&edit)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Số điện thoại không hợp lệ."));
    assert!(
        refused
            .body
            .contains("Không đổi được đơn vị cấp xã khi sửa thông tin.")
    );
    assert!(
        refused.body.contains(r#"value="gọi tôi""#),
        "typed values kept"
    );
    assert!(
        get(&location, &producer)
            .await
            .body
            .contains("<h1>Hộ kinh doanh Bánh pía Sóc Trăng "),
        "nothing saved"
    );
    // Renaming a confirmed entity sends it back to the commune; the history shows before and after.
    edit[6] = ("commune_code", "");
    edit[7] = ("phone", "0299 3822 999");
    let renamed = post(&format!("{location}/edit"), &producer, encode(&edit)).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert!(renamed.body.contains("chờ xã xác nhận lại"));
    assert!(renamed.body.contains("Chờ xác nhận"));
    assert!(renamed.body.contains(
        "<del>Hộ kinh doanh Bánh pía Sóc Trăng</del> → <ins>Hộ kinh doanh Bánh pía Hoa Sóc Trăng</ins>"
    ));
    assert!(
        renamed
            .body
            .contains("<del>Đã xác nhận</del> → <ins>Chờ xác nhận</ins>")
    );
    // The commune officer corrects the phone: it stays as it is (pending) and is confirmed again.
    edit[0] = ("csrf", csrf.as_str());
    edit[7] = ("phone", "0299 3822 888");
    let corrected = post(&format!("{location}/edit"), &officer_cookie, encode(&edit)).await;
    assert_eq!(corrected.status, StatusCode::OK);
    assert!(corrected.body.contains("Đã lưu thông tin chủ thể."));
    assert!(corrected.body.contains("Cán bộ Xã · Sửa thông tin chủ thể"));

    // The product: the set can change while there is no dossier; the code stays.
    let product_edit = get(&format!("{product_uri}/edit"), &producer).await;
    assert_eq!(product_edit.status, StatusCode::OK);
    assert!(product_edit.body.contains(&code));
    let edit_product = |gtin: &str| {
        post(
            &format!("{product_uri}/edit"),
            &producer,
            encode(&[
                ("csrf", producer_csrf.as_str()),
                ("name", "Bánh pía sầu riêng trứng muối Hoa"),
                ("product_set", "P06"),
                ("description", "Bánh pía nhân sầu riêng và trứng muối"),
                ("gtin", gtin),
            ]),
        )
    };
    let changed = edit_product("893456313816").await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(changed.body.contains("Mã GTIN không hợp lệ"));
    assert!(changed.body.contains(r#"value="893456313816""#));
    let changed = edit_product("").await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert!(changed.body.contains("Đã lưu thông tin sản phẩm."));
    assert!(
        changed
            .body
            .contains(&format!(r#"<span class="tag">{code}</span>"#))
    );
    assert!(
        changed
            .body
            .contains("<del>8934563138165</del> → <ins>—</ins>"),
        "{}",
        changed.body
    );
    let _ = std::fs::remove_dir_all(&upload_dir);
}
