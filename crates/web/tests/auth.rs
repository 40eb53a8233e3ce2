//! Signing in and out, CSRF, password change and account administration, through HTTP, on
//! whichever database `OCOP_TEST_DATABASE_URL` selects.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::accounts::{self, NewUser};
use ocop_store::testing::TestDb;
use ocop_web::{AppState, router};

const PASSWORD: &str = "mật khẩu thật dài";

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// The value a `Set-Cookie` header gives `name`, with its attributes.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with(&format!("{name}=")))
    }

    fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in {}", self.body))
            + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

struct App {
    router: Router,
    test: TestDb,
}

impl App {
    async fn new() -> App {
        let test = TestDb::with_units().await;
        for (email, role, unit) in [
            ("admin@ocop.gov.vn", Role::Administrator, None),
            ("xa@ocop.gov.vn", Role::CommuneOfficer, Some("26882")),
        ] {
            accounts::create_user(
                &test.db,
                NewUser {
                    email: email.into(),
                    name: "Lê Thị Hạnh".into(),
                    role,
                    unit_code: unit.map(str::to_string),
                    entity_id: None,
                    password: PASSWORD.into(),
                },
                "test",
            )
            .await
            .unwrap();
        }
        App {
            router: router(AppState::new(
                test.db.clone(),
                Catalog::load(&bundled_sources()).unwrap(),
            )),
            test,
        }
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
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

    async fn get(&self, uri: &str, cookie: &str) -> Reply {
        let mut request = Request::get(uri);
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Reply {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Signs in through the form; returns the session cookie header value.
    async fn sign_in(&self, email: &str) -> String {
        let form = self.get("/login", "").await;
        let csrf_cookie = cookie_value(&form.cookie("ocop_login_csrf").unwrap());
        let reply = self
            .post(
                "/login",
                &format!("ocop_login_csrf={csrf_cookie}"),
                &[
                    ("csrf", &form.hidden("csrf")),
                    ("email", email),
                    ("password", PASSWORD),
                    ("next", ""),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        format!(
            "ocop_session={}",
            cookie_value(&reply.cookie("ocop_session").unwrap())
        )
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn sign_in_out_with_the_same_message_for_unknown_accounts() {
    let app = App::new().await;
    let form = app.get("/login", "").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf_cookie = form.cookie("ocop_login_csrf").unwrap();
    assert!(
        csrf_cookie.contains("HttpOnly")
            && csrf_cookie.contains("SameSite=Lax")
            && csrf_cookie.contains("Secure")
    );
    let csrf = form.hidden("csrf");
    assert_eq!(cookie_value(&csrf_cookie), csrf);
    let jar = format!("ocop_login_csrf={csrf}");

    // Without the matching token the form is refused.
    let forged = app
        .post(
            "/login",
            "",
            &[
                ("csrf", &csrf),
                ("email", "admin@ocop.gov.vn"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let wrong = app
        .post(
            "/login",
            &jar,
            &[
                ("csrf", &csrf),
                ("email", "admin@ocop.gov.vn"),
                ("password", "sai mật khẩu"),
            ],
        )
        .await;
    let unknown = app
        .post(
            "/login",
            &jar,
            &[
                ("csrf", &csrf),
                ("email", "ai@ocop.gov.vn"),
                ("password", "sai mật khẩu"),
            ],
        )
        .await;
    for reply in [&wrong, &unknown] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(reply.body.contains("Thư điện tử hoặc mật khẩu không đúng."));
        assert!(reply.cookie("ocop_session").is_none());
    }
    assert!(
        wrong.body.contains(r#"value="admin@ocop.gov.vn""#),
        "what was typed is kept"
    );

    let session = app.sign_in("admin@ocop.gov.vn").await;
    let account = app.get("/account", &session).await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("admin@ocop.gov.vn"));
    assert!(account.body.contains("Quản trị hệ thống"));
    assert!(account.body.contains("Đăng xuất"));

    let officer = app.sign_in("xa@ocop.gov.vn").await;
    let page = app.get("/account", &officer).await;
    assert!(
        page.body.contains("Phường An Hội Tây (26882)"),
        "the officer's commune is named"
    );

    // Signing out needs the session's CSRF token.
    let forged = app.post("/logout", &session, &[("csrf", "0")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let csrf = account.hidden("csrf");
    let out = app.post("/logout", &session, &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/"));
    assert!(out.cookie("ocop_session").unwrap().contains("Max-Age=0"));
    let after = app.get("/account", &session).await;
    assert_eq!(
        (after.status, after.location()),
        (StatusCode::SEE_OTHER, "/login")
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_login_for_a_while() {
    let app = App::new().await;
    let form = app.get("/login", "").await;
    let csrf = form.hidden("csrf");
    let jar = format!("ocop_login_csrf={csrf}");
    let mut last = None;
    for _ in 0..5 {
        last = Some(
            app.post(
                "/login",
                &jar,
                &[
                    ("csrf", &csrf),
                    ("email", "xa@ocop.gov.vn"),
                    ("password", "sai mật khẩu"),
                ],
            )
            .await,
        );
    }
    let locked = last.unwrap();
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("Đăng nhập sai quá nhiều lần"));
    let right = app
        .post(
            "/login",
            &jar,
            &[
                ("csrf", &csrf),
                ("email", "xa@ocop.gov.vn"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn password_change_validates_beside_the_field() {
    let app = App::new().await;
    let session = app.sign_in("xa@ocop.gov.vn").await;
    let csrf = app.get("/account", &session).await.hidden("csrf");
    let wrong = app
        .post(
            "/account/password",
            &session,
            &[
                ("csrf", &csrf),
                ("current_password", "không đúng"),
                ("new_password", "mật khẩu mới đủ dài"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .body
            .contains(r#"<span class="field-error">Mật khẩu hiện tại không đúng.</span>"#)
    );
    let weak = app
        .post(
            "/account/password",
            &session,
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "ngắn"),
            ],
        )
        .await;
    assert!(
        weak.body
            .contains("Mật khẩu chưa đủ mạnh: at least 10 characters."),
        "{}",
        weak.body
    );
    let done = app
        .post(
            "/account/password",
            &session,
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "mật khẩu mới đủ dài"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.body.contains("Đã đổi mật khẩu."));
    assert!(matches!(
        accounts::authenticate(&app.test.db, "xa@ocop.gov.vn", "mật khẩu mới đủ dài")
            .await
            .unwrap(),
        accounts::Login::Success(_)
    ));
}

#[tokio::test]
async fn administrators_manage_accounts_and_others_cannot() {
    let app = App::new().await;
    let officer = app.sign_in("xa@ocop.gov.vn").await;
    assert_eq!(
        app.get("/admin/users", &officer).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/admin/users", "").await.location(), "/login");

    let admin = app.sign_in("admin@ocop.gov.vn").await;
    let page = app.get("/admin/users", &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("xa@ocop.gov.vn"));
    let csrf = page.hidden("csrf");
    let officer_csrf = app.get("/account", &officer).await.hidden("csrf");
    let by_officer = app
        .post(
            "/admin/users",
            &officer,
            &[
                ("csrf", &officer_csrf),
                ("email", "x@ocop.gov.vn"),
                ("name", "X"),
                ("role", "administrator"),
                ("unit", ""),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(by_officer.status, StatusCode::FORBIDDEN);

    let bad = app
        .post(
            "/admin/users",
            &admin,
            &[
                ("csrf", &csrf),
                ("email", "tinh@ocop.gov.vn"),
                ("name", "Phạm Văn Tỉnh"),
                ("role", "provincial_officer"),
                ("unit", "26882"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("Đơn vị không phù hợp với vai trò: 26882 is a commune, not a province."),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains(r#"value="tinh@ocop.gov.vn""#)
            && bad.body.contains(r#"value="Phạm Văn Tỉnh""#)
    );
    assert!(
        !bad.body.contains(PASSWORD),
        "the password is not sent back"
    );

    let good = app
        .post(
            "/admin/users",
            &admin,
            &[
                ("csrf", &csrf),
                ("email", "tinh@ocop.gov.vn"),
                ("name", "Phạm Văn Tỉnh"),
                ("role", "provincial_officer"),
                ("unit", "79"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert!(good.body.contains("Đã tạo tài khoản tinh@ocop.gov.vn."));
    let duplicate = app
        .post(
            "/admin/users",
            &admin,
            &[
                ("csrf", &csrf),
                ("email", "TINH@ocop.gov.vn"),
                ("name", "Ai Đó"),
                ("role", "central_officer"),
                ("unit", ""),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(
        duplicate
            .body
            .contains("Đã có tài khoản dùng thư điện tử này.")
    );
    let created = accounts::find_by_email(&app.test.db, "tinh@ocop.gov.vn")
        .await
        .unwrap()
        .unwrap();
    let history = ocop_store::audit::history(&app.test.db, "user", &created.id)
        .await
        .unwrap();
    let admin_id = accounts::find_by_email(&app.test.db, "admin@ocop.gov.vn")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(
        (history[0].action.as_str(), history[0].actor.as_str()),
        ("user.create", admin_id.as_str())
    );
}

#[tokio::test]
async fn administrators_switch_accounts_off_and_on() {
    let app = App::new().await;
    let officer = app.sign_in("xa@ocop.gov.vn").await;
    let admin = app.sign_in("admin@ocop.gov.vn").await;
    let csrf = app.get("/admin/users", &admin).await.hidden("csrf");
    let officer_id = accounts::find_by_email(&app.test.db, "xa@ocop.gov.vn")
        .await
        .unwrap()
        .unwrap()
        .id;
    let admin_id = accounts::find_by_email(&app.test.db, "admin@ocop.gov.vn")
        .await
        .unwrap()
        .unwrap()
        .id;

    let forged = app
        .post(
            &format!("/admin/users/{officer_id}/active"),
            &admin,
            &[("csrf", "0"), ("active", "false")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let own = app
        .post(
            &format!("/admin/users/{admin_id}/active"),
            &admin,
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(
        own.status,
        StatusCode::FORBIDDEN,
        "an administrator cannot lock itself out"
    );

    let off = app
        .post(
            &format!("/admin/users/{officer_id}/active"),
            &admin,
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(
        (off.status, off.location()),
        (StatusCode::SEE_OTHER, "/admin/users")
    );
    assert_eq!(
        app.get("/account", &officer).await.location(),
        "/login",
        "its session ended"
    );
    assert_eq!(
        accounts::authenticate(&app.test.db, "xa@ocop.gov.vn", PASSWORD)
            .await
            .unwrap(),
        accounts::Login::Invalid
    );
    let on = app
        .post(
            &format!("/admin/users/{officer_id}/active"),
            &admin,
            &[("csrf", &csrf), ("active", "true")],
        )
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert!(matches!(
        accounts::authenticate(&app.test.db, "xa@ocop.gov.vn", PASSWORD)
            .await
            .unwrap(),
        accounts::Login::Success(_)
    ));
    let history = ocop_store::audit::history(&app.test.db, "user", &officer_id)
        .await
        .unwrap();
    assert!(
        history.iter().any(|r| r.action == "user.set_active"
            && r.changes.contains(r#""before":true,"after":false"#))
    );
}
