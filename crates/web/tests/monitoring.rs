//! Monitoring through HTTP on both databases: a former province's plan reported on today's map
//! and on its own, the dashboard's tables recomputed by hand, the report workbook read back with
//! calamine with the dashboard's totals, the table downloads, an upgrade paying the difference,
//! and bad input answered field by field with nothing half-written.

mod support;

use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use serde_json::{Value, json};

use ocop_domain::access::Role;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::testing::TestDb;
use ocop_web::{AppState, router};
use support::{Api, Person, certify, person, producer_with_product};

const BINH_PHUOC_COMMUNE: &str = "25333"; // Phường An Lộc, formerly Bình Phước (70)
const DONG_NAI_COMMUNE: &str = "26068"; // Phường Biên Hòa, formerly Đồng Nai (75)

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

struct World {
    api: Api,
    /// Product a's (id, code): in former Bình Phước, upgraded to 4★.
    a: (String, String),
    province: Person,
    central: Person,
    _test: TestDb,
}

/// Three products of today's Đồng Nai: two in former Bình Phước (one upgraded 3★ → 4★ in
/// 2024), one in former Đồng Nai (5★ in 2024).
async fn world() -> World {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let a = producer_with_product(db, BINH_PHUOC_COMMUNE, 1, true).await;
    let b = producer_with_product(db, BINH_PHUOC_COMMUNE, 2, false).await;
    let c = producer_with_product(db, DONG_NAI_COMMUNE, 3, true).await;
    let ids = |p: &(String, String, String)| (p.0.clone(), p.1.clone(), p.2.clone());
    for (p, commune, stars, on) in [
        (ids(&a), BINH_PHUOC_COMMUNE, 3, day(2022, 5, 1)),
        (ids(&a), BINH_PHUOC_COMMUNE, 4, day(2024, 3, 1)),
        (ids(&b), BINH_PHUOC_COMMUNE, 3, day(2024, 6, 1)),
        (ids(&c), DONG_NAI_COMMUNE, 5, day(2024, 9, 1)),
    ] {
        certify(db, &catalog, (&p.0, &p.1, &p.2), commune, "75", stars, on).await;
    }
    let province = person(
        db,
        "tinh@test.vn",
        "Cán bộ tỉnh",
        Role::ProvincialOfficer,
        Some("75"),
    )
    .await;
    let central = person(db, "tw@test.vn", "Cán bộ TW", Role::CentralOfficer, None).await;
    let state = AppState::new(db.clone(), catalog);
    World {
        a: (a.1.clone(), a.2.clone()),
        api: Api { app: router(state) },
        province,
        central,
        _test: test,
    }
}

fn table<'a>(dashboard: &'a Value, key: &str) -> &'a Vec<Value> {
    dashboard["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("table {key}"))["rows"]
        .as_array()
        .unwrap()
}

fn fields(body: &Value) -> Vec<(String, String)> {
    body["error"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap().to_string(),
                        f["code"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_former_province_plan_on_today_s_map_and_the_report_s_totals() {
    let w = world().await;
    let token = &w.province.token;
    let plan = |unit: &str, new_products: &str| {
        json!({"unit": unit, "period": "2021-2025", "reference": format!("Kế hoạch {unit}"),
               "targets": {"new_products": new_products, "women_led_share": "40"}})
    };
    let bp = w
        .api
        .ok("POST", "/api/v1/monitoring/plans", token, plan("70", "1"))
        .await;
    assert_eq!(bp["former"], true, "{bp}");
    assert_eq!(bp["province_code"], "75");
    let new = bp["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["indicator"] == "new_products")
        .unwrap();
    // Measured on its own territory: a (2022) and b (2024) lay in Bình Phước.
    assert_eq!(new["text"], "2 / 1 — 200 %");
    w.api
        .ok("POST", "/api/v1/monitoring/plans", token, plan("75", "3"))
        .await;

    // Today's Đồng Nai: both former provinces' targets (1 + 3) against a, b and c.
    let dashboard = w
        .api
        .get("/api/v1/monitoring/dashboard?period=2021-2025", token)
        .await;
    assert_eq!(dashboard["unit_name"], "Tỉnh Đồng Nai");
    let targets = table(&dashboard, "targets");
    let row = targets
        .iter()
        .find(|r| r[0].as_str().unwrap().starts_with("Sản phẩm mới đạt 3 sao"))
        .unwrap();
    assert_eq!(row[3], "3 / 4 — 75 %", "{row}");
    // Women-led: a's and c's entities of three; both plans say 40 %.
    let women = targets
        .iter()
        .find(|r| r[0].as_str().unwrap().contains("phụ nữ"))
        .unwrap();
    assert_eq!(women[3], "66,67 % / 40 % — 167 %");
    // Recognised per year, by star: 2022 one 3★; 2024 one of each.
    let years = table(&dashboard, "by_year");
    assert_eq!(years[1], json!(["2022", 1, 0, 0, 1]));
    assert_eq!(years[3], json!(["2024", 1, 1, 1, 3]));
    assert_eq!(dashboard["headline"]["new_products"], 3);
    // On the map of its own period, Bình Phước alone.
    let former = w
        .api
        .get(
            "/api/v1/monitoring/dashboard?period=2021-2025&unit=70&map=period",
            token,
        )
        .await;
    assert_eq!(former["level"], "former_province");
    assert_eq!(former["headline"]["new_products"], 2);
    let row = table(&former, "targets")
        .iter()
        .find(|r| r[0].as_str().unwrap().starts_with("Sản phẩm mới đạt 3 sao"))
        .cloned()
        .unwrap();
    assert_eq!(row[3], "2 / 1 — 200 %");
    // The central office sees the provinces ranked, Đồng Nai with its three products.
    let national = w
        .api
        .get(
            "/api/v1/monitoring/dashboard?period=2021-2025",
            &w.central.token,
        )
        .await;
    let units = table(&national, "units");
    assert_eq!(units[0][1], "75");
    assert_eq!(units[0][4], 3);

    // The report workbook: its sheets carry the dashboard's totals.
    let got = w
        .api
        .fetch(
            "/monitoring/report.xlsx?period=2024",
            Some(&w.province.cookie),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    let dashboard = w
        .api
        .get("/api/v1/monitoring/dashboard?period=2024", token)
        .await;
    let in_force = dashboard["headline"]["products_in_force"].as_u64().unwrap();
    assert_eq!(in_force, 3);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(got.body)).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(names.len(), 6, "{names:?}");
    let groups = workbook.worksheet_range(&names[0]).unwrap();
    let totals: Vec<f64> = groups
        .rows()
        .filter_map(|row| match row.last() {
            Some(Data::Float(n)) => Some(*n),
            Some(Data::Int(n)) => Some(*n as f64),
            _ => None,
        })
        .collect();
    assert_eq!(totals.iter().sum::<f64>() as u64, in_force, "{groups:?}");
    let products = workbook.worksheet_range(&names[5]).unwrap();
    // A title line, a blank line, the header, then one row per product.
    assert_eq!(products.rows().count() as u64 - 3, in_force);
    assert!(
        products
            .rows()
            .any(|row| row.iter().any(|c| c.to_string().contains("Hạt điều")))
    );

    // A table as CSV: the same figures, UTF-8 with a BOM.
    let csv = w
        .api
        .fetch(
            "/monitoring/tables/by_year.csv?period=2024",
            Some(&w.province.cookie),
        )
        .await;
    let text = String::from_utf8(csv.body).unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("2024,1,1,1,3"), "{text}");
    // The pages render.
    let (status, page) = w
        .api
        .page("/monitoring?period=2021-2025", &w.province.cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("3 / 4 — 75 %"));
    let (status, page) = w
        .api
        .page("/monitoring/report?period=2024", &w.province.cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Hạt điều"));
}

async fn policy_count(api: &Api, token: &str) -> usize {
    api.get("/api/v1/monitoring/policies", token)
        .await
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn policies_pay_the_difference_and_bad_input_changes_nothing() {
    let w = world().await;
    let token = &w.province.token;
    let reward = json!({"name": "Thưởng theo hạng sao", "reference": "Nghị quyết 15/2021/NQ-HĐND", "unit": "75",
        "valid_from": "01/01/2021", "source": "provincial", "kind": "reward", "trigger_first": "on",
        "trigger_upgrade": "on", "cumulative": "on", "amount_kind": "per_star",
        "amount_3": "20.000.000", "amount_4": "40.000.000", "amount_5": "80.000.000"});
    let policy = w
        .api
        .ok("POST", "/api/v1/monitoring/policies", token, reward.clone())
        .await;
    // a 3★ 20 M, a's upgrade 40 − 20 = 20 M, b 20 M, c 80 M.
    assert_eq!(policy["entitled"], 140_000_000, "{policy}");
    let rows = w
        .api
        .get(
            &format!(
                "/api/v1/monitoring/entitlements?policy={}",
                policy["id"].as_str().unwrap()
            ),
            token,
        )
        .await;
    let upgrade = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "upgrade")
        .unwrap();
    assert_eq!(upgrade["amount"], 20_000_000);
    let explanation = upgrade["explanation"].as_str().unwrap();
    assert!(
        explanation.starts_with("20.000.000 ₫ — Thưởng theo hạng sao (Nghị quyết 15/2021/NQ-HĐND)"),
        "{explanation}"
    );
    assert!(
        explanation.contains("40.000.000 ₫ − 20.000.000 ₫"),
        "{explanation}"
    );

    // Bad input: each refused with its field, nothing written.
    let before = policy_count(&w.api, token).await;
    for (change, field, code) in [
        (json!({"amount_3": "-20.000.000"}), "amount_3", "negative"),
        (
            json!({"amount_4": "40.000.000,5"}),
            "amount_4",
            "fractional",
        ),
        (json!({"valid_to": "01/01/2020"}), "valid_to", "valid_to"),
        (json!({"name": "Thưởng lần hai"}), "cumulative", "twice"),
        (json!({"unit": "79"}), "", ""),
    ] {
        let mut body = reward.clone();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, answer) = w
            .api
            .call("POST", "/api/v1/monitoring/policies", token, body)
            .await;
        if field.is_empty() {
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "another province's policy: {answer}"
            );
        } else {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert!(
                fields(&answer).contains(&(field.to_string(), code.to_string())),
                "{answer}"
            );
        }
    }
    assert_eq!(policy_count(&w.api, token).await, before);

    // A disbursement over the entitlement is refused; within it, planned → approved → paid.
    let id = upgrade["id"].as_str().unwrap();
    let uri = format!("/api/v1/monitoring/entitlements/{id}/disbursements");
    let (status, answer) = w
        .api
        .call(
            "POST",
            &uri,
            token,
            json!({"amount": "20.000.001", "on": "01/06/2024", "document": "Tờ trình 1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&answer),
        vec![("amount".to_string(), "over".to_string())]
    );
    let (status, answer) = w
        .api
        .call(
            "POST",
            &uri,
            token,
            json!({"amount": "1,5", "on": "01/06/2024", "document": "Tờ trình 1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&answer),
        vec![("amount".to_string(), "fractional".to_string())]
    );
    let planned = w
        .api
        .ok(
            "POST",
            &uri,
            token,
            json!({"amount": "20.000.000", "on": "01/06/2024", "document": "Tờ trình 1"}),
        )
        .await;
    let advance = format!(
        "/api/v1/monitoring/disbursements/{}/advance",
        planned["id"].as_str().unwrap()
    );
    let approved = w
        .api
        .ok(
            "POST",
            &advance,
            token,
            json!({"on": "2024-06-10", "document": "Quyết định 2"}),
        )
        .await;
    assert_eq!(approved["state"], "approved");
    let paid = w
        .api
        .ok(
            "POST",
            &advance,
            token,
            json!({"on": "2024-07-01", "document": "Ủy nhiệm chi 3"}),
        )
        .await;
    assert_eq!(paid["state"], "paid");
    let (status, _) = w
        .api
        .call(
            "POST",
            &uri,
            token,
            json!({"amount": "1", "on": "01/08/2024", "document": "Tờ trình 4"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing left to pay"
    );

    // Plans and questions: a share over 100 %, an unknown unit, a reversed period, a star of 6,
    // another province's unit.
    let (status, answer) = w.api.call("POST", "/api/v1/monitoring/plans", token,
        json!({"unit": "75", "period": "2026", "reference": "KH", "targets": {"women_led_share": "140"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&answer),
        vec![("women_led_share".to_string(), "share_range".to_string())]
    );
    let (status, answer) = w.api.call("POST", "/api/v1/monitoring/plans", token,
        json!({"unit": "99999", "period": "2026", "reference": "KH", "targets": {"new_products": "3"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&answer),
        vec![("unit".to_string(), "unit".to_string())]
    );
    assert!(
        w.api
            .get("/api/v1/monitoring/plans", token)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    for (query, field) in [("period=2025-2021", "period"), ("stars=6", "stars")] {
        let (status, answer) = w
            .api
            .call(
                "GET",
                &format!("/api/v1/monitoring/dashboard?{query}"),
                token,
                Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(fields(&answer)[0].0, field);
    }
    let (status, _) = w
        .api
        .call(
            "GET",
            "/api/v1/monitoring/dashboard?unit=79",
            token,
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An export market recorded by the province's officer shows on the public product page.
    let (id, code) = &w.a;
    let market = json!({"country": "jp", "since_year": "2024"});
    let created = w
        .api
        .ok(
            "POST",
            &format!("/api/v1/products/{id}/export-markets"),
            token,
            market,
        )
        .await;
    assert_eq!(created["country"], "JP");
    let wrong = json!({"country": "Japan", "since_year": "2099"});
    let (status, answer) = w
        .api
        .call(
            "POST",
            &format!("/api/v1/products/{id}/export-markets"),
            token,
            wrong,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&answer).len(), 2, "{answer}");
    let page = w
        .api
        .fetch(&format!("/catalogue/products/{code}"), None)
        .await;
    let page = String::from_utf8(page.body).unwrap();
    assert!(
        page.contains("Nhật Bản (từ năm 2024)"),
        "the public product page names the market"
    );
}
