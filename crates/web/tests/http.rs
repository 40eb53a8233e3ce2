//! The web application through HTTP, on whichever database `OCOP_TEST_DATABASE_URL` selects
//! (SQLite by default). Requests go through the full router, middleware included.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::testing::TestDb;
use ocop_web::{AppState, router};

struct App {
    router: Router,
    test: TestDb,
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }
}

async fn app() -> App {
    let test = TestDb::with_units().await;
    App {
        router: router(AppState::new(
            test.db.clone(),
            Catalog::load(&bundled_sources()).unwrap(),
        )),
        test,
    }
}

impl App {
    async fn get_with(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn get(&self, uri: &str) -> Reply {
        self.get_with(uri, None).await
    }

    async fn post_json(&self, uri: &str, body: &str) -> Reply {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
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
}

fn error_code(reply: &Reply) -> String {
    reply.json()["error"]["code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn home_page_is_vietnamese_with_live_figures_and_a_chart() {
    let app = app().await;
    let portal = app.get("/").await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(portal.body.contains("Sản phẩm OCOP Việt Nam"));
    assert!(
        portal.body.contains(r#"action="/catalogue""#),
        "the search box"
    );
    assert!(portal.body.contains("<svg"), "the chart by star is missing");
    // The units' figures live on the units page.
    let home = app.get("/units").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert!(home.body.contains(r#"<html lang="vi">"#));
    assert!(home.body.contains("Trang chủ"));
    assert!(home.body.contains(r#"<span class="value">34</span>"#));
    assert!(home.body.contains(r#"<span class="value">3.321</span>"#));
    assert!(home.body.contains(r#"<span class="value">10.034</span>"#));
    assert!(home.body.contains("<svg"), "the chart is missing");
    assert!(home.body.contains(r#"<a href="/units/01">"#));
    assert!(home.body.contains(r#"name="viewport""#));
    // Security headers on every response; no external assets.
    assert_eq!(home.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(
        home.header(header::CONTENT_SECURITY_POLICY)
            .contains("default-src 'self'")
    );
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!home.body.contains(external), "external asset: {external}");
    }
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_stays_on_site() {
    let app = app().await;
    let switch = app.get("/lang/en?next=/units%3Fq%3Dhue").await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.header(header::LOCATION), "/units?q=hue");
    let cookie = switch.header(header::SET_COOKIE);
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Max-Age=31536000"));

    let english = app.get_with("/units", Some("lang=en")).await;
    assert!(english.body.contains(r#"<html lang="en">"#));
    assert!(english.body.contains("Communes, wards, special zones"));
    assert!(english.body.contains(r#"<span class="value">3.321</span>"#));
    assert!(english.body.contains("Tiếng Việt"));
    // An unknown cookie value falls back to Vietnamese.
    assert!(
        app.get_with("/", Some("lang=xx"))
            .await
            .body
            .contains(r#"lang="vi""#)
    );

    let outside = app.get("/lang/vi?next=//evil.example/").await;
    assert_eq!(outside.header(header::LOCATION), "/");
    let unknown = app.get("/lang/fr").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_lists_exactly_the_34_provinces() {
    let app = app().await;
    let reply = app.get("/api/v1/units/provinces").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header(header::CONTENT_TYPE)
            .starts_with("application/json")
    );
    let body = reply.json();
    assert_eq!(body["count"], 34);
    let units = body["units"].as_array().unwrap();
    assert_eq!(units.len(), 34);
    assert!(
        units
            .iter()
            .all(|u| u["level"] == "province" && u["valid_to"].is_null())
    );
    let mut codes: Vec<&str> = units.iter().map(|u| u["code"].as_str().unwrap()).collect();
    codes.dedup();
    assert_eq!(codes.len(), 34);
    insta::assert_json_snapshot!("provinces", body);
}

#[tokio::test]
async fn api_search_folds_names() {
    let app = app().await;
    for query in [
        "dong%20nai",
        "%C4%90%E1%BB%93ng%20Nai",
        "%C4%90%E1%BB%92NG%20NAI",
    ] {
        let body = app.get(&format!("/api/v1/units?q={query}")).await.json();
        assert_eq!(body["units"][0]["code"], "75", "{query}");
        assert_eq!(body["units"][0]["name"], "Tỉnh Đồng Nai", "{query}");
    }
    let communes = app
        .get("/api/v1/units?q=an%20hoi&level=commune&limit=3")
        .await
        .json();
    assert_eq!(communes["count"], 3);
    assert!(
        communes["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["level"] == "commune")
    );

    let missing = app.get("/api/v1/units").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&missing), "missing_query");
    let level = app.get("/api/v1/units?q=an&level=hamlet").await;
    assert_eq!(
        (level.status, error_code(&level).as_str()),
        (StatusCode::BAD_REQUEST, "invalid_level")
    );
    let limit = app.get("/api/v1/units?q=an&limit=0").await;
    assert_eq!(error_code(&limit), "invalid_limit");
    let huge = app.get("/api/v1/units?q=an&limit=abc").await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn api_unit_has_parent_children_and_predecessors() {
    let app = app().await;
    let ward = app.get("/api/v1/units/26882").await;
    assert_eq!(ward.status, StatusCode::OK);
    let body = ward.json();
    assert_eq!(body["name"], "Phường An Hội Tây");
    assert_eq!(body["parent"]["code"], "79");
    let predecessors: Vec<&str> = body["predecessors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(predecessors.contains(&"Phường 14"), "{predecessors:?}");
    insta::assert_json_snapshot!("unit_26882", body);

    // The same code before the reform names the old ward, which points at its successor.
    let old = app.get("/api/v1/units/26882?on=2025-06-30").await.json();
    assert_eq!(old["name"], "Phường 14");
    assert_eq!(old["parent"]["name"], "Quận Gò Vấp");
    assert_eq!(old["successors"][0]["name"], "Phường An Hội Tây");

    let province = app.get("/api/v1/units/75").await.json();
    assert_eq!(province["children"].as_array().unwrap().len(), 95);
    assert!(province["parent"].is_null());

    for odd in ["%00", "a%20b", "%27%3B%20DROP%20TABLE%20units"] {
        let reply = app.get(&format!("/api/v1/units/{odd}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{odd}");
    }
    let nul_search = app.get("/api/v1/units?q=%00").await;
    assert_eq!(nul_search.status, StatusCode::OK);
    let unknown = app.get("/api/v1/units/99999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&unknown), "unit_not_found");
    let bad_date = app.get("/api/v1/units/75?on=30/06/2025").await;
    assert_eq!(bad_date.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&bad_date), "invalid_date");
    let nothing_then = app.get("/api/v1/units/26882?on=1990-01-01").await;
    assert_eq!(
        nothing_then.status,
        StatusCode::OK,
        "old units have no known start"
    );
    let route = app.get("/api/v1/nothing-here").await;
    assert_eq!(
        (route.status, error_code(&route).as_str()),
        (StatusCode::NOT_FOUND, "route_not_found")
    );
}

#[tokio::test]
async fn unit_pages_browse_provinces_communes_and_old_units() {
    let app = app().await;
    let index = app.get("/units").await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(index.body.matches(r#"<td><a href="/units/"#).count(), 34);
    assert!(index.body.contains("Tỉnh Đồng Nai"));

    let search = app.get("/units?q=dong+nai").await;
    assert!(search.body.contains("Kết quả cho “dong nai”"));
    assert!(
        search
            .body
            .contains(r#"<a href="/units/75">Tỉnh Đồng Nai</a>"#)
    );
    assert!(
        search
            .body
            .contains(r#"<a href="/units/75?on=2025-06-30">Tỉnh Đồng Nai</a>"#)
    );

    let hcm = app.get("/units/79").await;
    assert_eq!(hcm.status, StatusCode::OK);
    assert!(hcm.body.contains("Phường An Hội Tây"));
    assert!(
        hcm.body
            .contains(r#"<a href="/units/26882?on=2025-06-30">Phường 14</a>"#)
    );
    assert!(hcm.body.contains("01/07/2025"), "dates are dd/mm/yyyy");

    let old = app.get("/units/26882?on=2025-06-30").await;
    assert!(old.body.contains("Đơn vị cũ"));
    assert!(old.body.contains("Đã sáp nhập vào"));
    assert!(old.body.contains("30/06/2025"));
    let district = app.get("/units/79:quan-go-vap?on=2025-06-30").await;
    assert_eq!(district.status, StatusCode::OK);
    assert!(district.body.contains("Phường 14"));

    let missing = app.get("/units/99999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Không tìm thấy"));
    assert!(missing.body.contains("unit_not_found"));
    let bad = app.get("/units/75?on=hôm-qua").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        app.get("/no/such/page")
            .await
            .body
            .contains("Không tìm thấy")
    );
}

#[tokio::test]
async fn user_text_is_escaped() {
    let app = app().await;
    let reply = app
        .get("/units?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.body.contains("<script>alert(1)"));
    assert!(reply.body.contains("&#60;script&#62;") || reply.body.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn assets_are_served_with_long_caching() {
    let app = app().await;
    let home = app.get("/").await;
    let css_url = home
        .body
        .split("href=\"")
        .find_map(|rest| rest.split('"').next().filter(|u| u.ends_with(".css")))
        .unwrap()
        .to_string();
    assert!(css_url.starts_with("/assets/app.") && css_url.len() > "/assets/app..css".len());
    let css = app.get(&css_url).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header(header::CONTENT_TYPE), "text/css; charset=utf-8");
    assert_eq!(
        css.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(css.body.contains("@media"));
    let stale = app.get("/assets/app.00000000.css").await;
    assert_eq!(stale.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = app().await;
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (StatusCode::OK, "ready")
    );
    app.test.db.close().await;
    let closed = app.get("/readyz").await;
    assert_eq!(closed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error_code(&closed), "database_unavailable");
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
}

const EXAMPLE: &str = include_str!("../../../docs/examples/score-1048-P01.json");

#[tokio::test]
async fn criteria_pages_mark_provisional_sheets() {
    let app = app().await;
    let index = app.get("/criteria").await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(index.body.matches(r#"<a href="/criteria/"#).count(), 79);
    assert_eq!(index.body.matches("Phiếu chấm tạm thời").count(), 50);
    assert_eq!(
        index
            .body
            .matches("Chép từ cơ sở dữ liệu pháp luật")
            .count(),
        26
    );
    assert_eq!(index.body.matches("Bản chép của bên thứ ba").count(), 2);
    assert!(index.body.contains("QĐ 1048/QĐ-TTg"));
    assert!(
        index
            .body
            .contains(r#"<span class="tag in-force">Đang có hiệu lực</span>"#)
    );
    assert!(index.body.contains(
        "Hồ sơ nộp trước 22/05/2026 (lần đầu, nâng hạng) được đánh giá theo 148-1489 nếu đánh giá xong trước hết ngày 21/07/2026."
    ));

    // The sheet in force: the star marks and their legend, disqualifiers, notes, errata.
    let in_force = app.get("/criteria/26-2026/P04").await;
    assert_eq!(in_force.status, StatusCode::OK);
    for expected in [
        "<strong>Chép từ cơ sở dữ liệu pháp luật.</strong>",
        "Ghi chú: Dấu sao là yêu cầu tối thiểu phải đạt theo các cấp độ sao",
        "D1: Hồ sơ bị loại khi: Giả mạo hồ sơ",
        r#"<span class="tag star" title="Tối thiểu 4 sao">**** Tối thiểu 4 sao</span>"#,
        "Phiếu không in các mức đánh giá: chấm 0 điểm hoặc điểm tối đa.",
        "Đính chính đã áp dụng (lỗi của bản nguồn)",
        "7/3 · points: «13» → «3»",
    ] {
        assert!(in_force.body.contains(expected), "{expected}");
    }
    let tourism = app.get("/criteria/26-2026/P26").await;
    assert!(tourism.body.contains(
        r#"<tr class="case"><th colspan="3">Trường hợp 2: Điểm dịch vụ du lịch</th></tr>"#
    ));
    let coffee = app.get("/criteria/26-2026/P13").await;
    assert!(coffee.body.contains("<h4>6.1 Ngoại hình (10 điểm)</h4>"));

    let provisional = app.get("/criteria/148-1489/P09").await;
    assert_eq!(provisional.status, StatusCode::OK);
    assert!(
        provisional
            .body
            .contains(r#"<p class="notice" role="note"><strong>Phiếu chấm tạm thời.</strong>"#)
    );
    assert!(provisional.body.contains("Tương, nước mắm"));
    let official = app.get("/criteria/1048/P01").await;
    assert!(!official.body.contains("Phiếu chấm tạm thời"));
    assert_eq!(official.body.matches("<caption>").count(), 31);
    assert!(official.body.contains("Nguồn nguyên liệu"));
    let english = app.get_with("/criteria/1048/P01", Some("lang=en")).await;
    assert!(english.body.contains("in-province raw material below 50%"));

    assert_eq!(
        app.get("/criteria/1048/P02").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/criteria/9999/P01").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn criteria_api_lists_versions_and_sheets() {
    let app = app().await;
    let versions = app.get("/api/v1/criteria").await.json();
    let ids: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["1048", "148", "148-1489", "26-2026"]);
    assert_eq!(versions[2]["effective_to"], "2026-07-21");
    assert_eq!(versions[3]["minimums_judged_by"], "majority");
    let in_force = app.get("/api/v1/criteria/26-2026/P26").await.json();
    assert!(in_force["disqualifiers"].as_array().unwrap().is_empty());
    let section8 = in_force["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "8")
        .unwrap();
    assert_eq!(section8["cases"].as_array().unwrap().len(), 2);
    assert_eq!(section8["options"][2]["case"], 2);
    assert_eq!(section8["options"][2]["label"], 1);
    assert_eq!(versions[2]["sets"].as_array().unwrap().len(), 26);
    assert_eq!(versions[2]["bands"][2]["from"], 50.0);
    assert_eq!(versions[2]["bands"][2]["certifiable"], true);
    let sheet = app.get("/api/v1/criteria/1048/P01").await;
    assert_eq!(sheet.status, StatusCode::OK);
    let body = sheet.json();
    assert_eq!(body["criteria"].as_array().unwrap().len(), 31);
    insta::assert_json_snapshot!("sheet_1048_P01", body);
    let missing = app.get("/api/v1/criteria/148/P99").await;
    assert_eq!(
        (missing.status, error_code(&missing).as_str()),
        (StatusCode::NOT_FOUND, "criteria_not_found")
    );
}

#[tokio::test]
async fn score_api_computes_and_rejects_with_reasons() {
    let app = app().await;
    let reply = app.post_json("/api/v1/score", EXAMPLE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let result = reply.json();
    assert_eq!(result["mean"], 64.0);
    assert_eq!(result["stars"], 3);
    assert_eq!(result["outcome"], "recognised");

    let wrong = EXAMPLE.replacen("\"1.1\": 3", "\"1.1\": 9", 1);
    let reply = app.post_json("/api/v1/score", &wrong).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&reply), "invalid_scorecards");
    assert_eq!(
        reply.json()["error"]["details"][0],
        "Nguyễn Văn An: criterion 1.1 has no option 9 (options 1 to 3)"
    );
    let malformed = app.post_json("/api/v1/score", "{\"version\": 1048").await;
    assert_eq!(
        (malformed.status, error_code(&malformed).as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    // Every JSON body of the API is refused the same way, not with axum's plain text.
    let register = app.post_json("/api/v1/register", "{\"entity\": ").await;
    assert_eq!(
        (register.status, error_code(&register).as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json"),
        "{}",
        register.body
    );
    assert!(
        register.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = app().await;
    let reply = app.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let spec = reply.json();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    // Every API route the router serves is documented with its method, and nothing else is.
    let served: std::collections::BTreeSet<(String, String)> = ocop_web::route_table()
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/v1/") && *path != "/api/v1/openapi.json")
        .map(|(method, path)| (path.to_string(), method.as_str().to_lowercase()))
        .collect();
    let documented: std::collections::BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .map(move |method| (path.clone(), method.clone()))
        })
        .collect();
    assert_eq!(documented, served);
    assert_eq!(served.len(), 69);
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    insta::assert_json_snapshot!("openapi", spec);
}

#[tokio::test]
async fn the_api_reference_page_shows_every_operation_and_schema_of_the_document() {
    let app = app().await;
    let spec = app.get("/api/v1/openapi.json").await.json();
    let page = app.get("/api/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Tài liệu API"), "Vietnamese first");
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let anchor = format!("{method}-{}", path.replace(['/', '{', '}'], "-"));
            assert!(
                page.body.contains(&format!("id=\"{anchor}\"")),
                "{method} {path} is on the page"
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 69);
    for name in spec["components"]["schemas"].as_object().unwrap().keys() {
        assert!(
            page.body.contains(&format!("id=\"schema-{name}\"")),
            "schema {name} is on the page"
        );
    }
    // Every link to a schema lands on one.
    for link in page.body.split("href=\"#schema-").skip(1) {
        let name = &link[..link.find('"').unwrap()];
        assert!(
            page.body.contains(&format!("id=\"schema-{name}\"")),
            "{name}"
        );
    }
    // What the public may call says so; a write says which credentials it takes.
    let verify = page
        .body
        .split("id=\"post--api-v1-verify\"")
        .nth(1)
        .unwrap();
    let verify = &verify[..verify.find("</details>").unwrap()];
    assert!(verify.contains("công khai"), "{verify}");
    let revoke = page
        .body
        .split("id=\"post--api-v1-certificates--id--revocation\"")
        .nth(1)
        .unwrap();
    let revoke = &revoke[..revoke.find("</details>").unwrap()];
    assert!(revoke.contains("<code>bearer</code>") && !revoke.contains("công khai"));
    // No script: the page works under the CSP and without JavaScript.
    assert!(!page.body.contains("<script"));
}
