//! Imports through HTTP on both databases: a workbook made from the template uploaded, its dry
//! run's report, the same file written for real and then again (nothing changes), an export
//! edited and brought back (only the edit changes), problems named by row, column and fix in
//! both languages, files that are not workbooks, and who may import at all.

mod support;

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Reader, Xlsx};
use serde_json::Value;
use tower::ServiceExt;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::import::Kind;
use ocop_domain::import::read::Cell;
use ocop_store::files::FileStore;
use ocop_store::import::IMPORT_JOB;
use ocop_store::testing::TestDb;
use ocop_store::{Db, jobs, on_db};
use ocop_web::{AppState, router};
use support::{Api, Person, person};

struct World {
    api: Api,
    db: Db,
    files: FileStore,
    catalog: Catalog,
    province: Person,
    other: Person,
    central: Person,
    _dir: TempDir,
    _test: TestDb,
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn world(max_bytes: usize) -> World {
    let test = TestDb::with_units().await;
    let db = test.db.clone();
    let dir = std::env::temp_dir().join(format!("ocop-import-{}", ocop_store::clock::new_id()));
    let files = FileStore::new(&dir, max_bytes);
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let province = person(
        &db,
        "tinh@test.vn",
        "Cán bộ tỉnh",
        Role::ProvincialOfficer,
        Some("75"),
    )
    .await;
    let other = person(
        &db,
        "hn@test.vn",
        "Cán bộ Hà Nội",
        Role::ProvincialOfficer,
        Some("01"),
    )
    .await;
    let central = person(&db, "tw@test.vn", "Cán bộ TW", Role::CentralOfficer, None).await;
    let state = AppState::new(db.clone(), Catalog::load(&bundled_sources()).unwrap())
        .with_files(files.clone());
    World {
        api: Api { app: router(state) },
        db,
        files,
        catalog,
        province,
        other,
        central,
        _dir: TempDir(dir),
        _test: test,
    }
}

impl World {
    /// Uploads `bytes` as `name` through the API.
    async fn upload(
        &self,
        who: &Person,
        kind: &str,
        dry_run: bool,
        name: &str,
        bytes: &[u8],
    ) -> (StatusCode, Value) {
        let boundary = "ocopboundary7MA4YWxk";
        let mut body = Vec::new();
        for (field, value) in [
            ("kind", kind),
            ("dry_run", if dry_run { "true" } else { "false" }),
        ] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post("/api/v1/imports")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::AUTHORIZATION, format!("Bearer {}", who.token))
            .body(Body::from(body))
            .unwrap();
        let response = self.api.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Runs the queued imports as the worker of `ocop serve` does.
    async fn work(&self) {
        while let Some(job) = jobs::claim(&self.db, "test-worker", IMPORT_JOB, 60_000)
            .await
            .unwrap()
        {
            let id = job.payload["import_id"].as_str().unwrap();
            let sha = job.payload["sha256"].as_str().unwrap();
            let (_, bytes) = self.files.get(&self.db, sha).await.unwrap().unwrap();
            ocop_store::import::run_job(
                &self.db,
                &self.catalog,
                id,
                &bytes,
                ocop_store::clock::today(),
            )
            .await
            .unwrap();
            jobs::complete(&self.db, &job, "test-worker").await.unwrap();
        }
    }

    /// Uploads, runs, and returns the run as the API reports it.
    async fn imported(&self, kind: &str, dry_run: bool, name: &str, bytes: &[u8]) -> Value {
        let (status, queued) = self
            .upload(&self.province, kind, dry_run, name, bytes)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
        assert_eq!(queued["state"], "queued");
        self.work().await;
        let id = queued["id"].as_str().unwrap();
        self.api
            .get(&format!("/api/v1/imports/{id}"), &self.province.token)
            .await
    }

    async fn count(&self, sql: &'static str) -> i64 {
        on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await)
        .unwrap()
    }
}

fn text(value: &str) -> Cell {
    if value.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(value.into())
    }
}

/// Entities of former Bình Phước in the template's own workbook, as an officer fills it.
fn entity_workbook(representative: &str) -> Vec<u8> {
    let rows: Vec<Vec<Cell>> = [
        [
            "3800100001",
            "Hợp tác xã Điều Tân Lập",
            "Hợp tác xã",
            "",
            "Nguyễn Văn An",
            "Ấp 3, xã Tân Lập",
            "Xã Tân Lập",
            "Huyện Đồng Phú",
            "Bình Phước",
            "",
            "0912 345 678",
            "",
            "Có",
            "Không",
            "25",
            "12",
        ],
        [
            "3800100002",
            "Công ty TNHH MTV Tiêu Tân Tiến",
            "Doanh nghiệp",
            "",
            "Trần Thị Bình",
            "Ấp 1, xã Tân Tiến, huyện Đồng Phú, tỉnh Bình Phước",
            "",
            "",
            "",
            "",
            "",
            "",
            "Không",
            "Không",
            "",
            "8",
        ],
        [
            "3800100003",
            "Hộ kinh doanh Lê Văn Cường",
            "Hộ kinh doanh",
            "",
            representative,
            "Ấp 2",
            "",
            "",
            "",
            "25369",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    .iter()
    .map(|row| {
        let mut cells: Vec<Cell> = row.iter().map(|v| text(v)).collect();
        cells.push(Cell::Date(
            chrono::NaiveDate::from_ymd_opt(2018, 3, 15).unwrap(),
        ));
        cells
    })
    .collect();
    ocop_web::import::workbook(
        Kind::Entities,
        &Catalog::load(&bundled_sources()).unwrap(),
        &rows,
    )
    .unwrap()
}

#[tokio::test]
async fn a_workbook_dry_run_then_written_then_again_and_an_edited_export_round_trips() {
    let w = world(20 << 20).await;
    let workbook = entity_workbook("Lê Văn Cường");

    let dry = w
        .imported("entities", true, "chu-the.xlsx", &workbook)
        .await;
    assert_eq!(dry["state"], "done", "{dry}");
    assert_eq!(dry["counts"]["created"], 3, "{dry}");
    assert!(dry["problems"].as_array().unwrap().is_empty());
    assert_eq!(w.count("SELECT COUNT(*) FROM entities").await, 0);
    let id = dry["id"].as_str().unwrap();
    // The page shows the report and offers to write it.
    let (status, page) = w
        .api
        .page(&format!("/imports/{id}"), &w.province.cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("3 tạo mới"), "{page}");
    assert!(page.contains("action=\"/imports/"), "{page}");

    let (status, real) = w
        .api
        .call(
            "POST",
            &format!("/api/v1/imports/{id}/apply"),
            &w.province.token,
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{real}");
    assert_eq!(real["dry_run"], false);
    w.work().await;
    let real = w
        .api
        .get(
            &format!("/api/v1/imports/{}", real["id"].as_str().unwrap()),
            &w.province.token,
        )
        .await;
    assert_eq!(real["counts"]["created"], 3, "{real}");
    assert!(real["audit_seq"].as_i64().is_some());
    assert_eq!(
        w.count("SELECT COUNT(*) FROM entities WHERE commune_code = '25363'")
            .await,
        2
    );
    // Asked twice (a double click), the second run finds nothing left to write.
    let (status, again) = w
        .api
        .call(
            "POST",
            &format!("/api/v1/imports/{id}/apply"),
            &w.province.token,
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    w.work().await;
    let again = w
        .api
        .get(
            &format!("/api/v1/imports/{}", again["id"].as_str().unwrap()),
            &w.province.token,
        )
        .await;
    assert_eq!(again["counts"]["unchanged"], 3, "{again}");

    // The same workbook again changes nothing.
    let same = w
        .imported("entities", false, "chu-the.xlsx", &workbook)
        .await;
    assert_eq!(same["counts"]["unchanged"], 3, "{same}");
    assert!(same["audit_seq"].is_null());

    // The export, in the same layout, comes back unchanged; edited, only the edit changes.
    let export = w
        .api
        .fetch("/imports/export/entities.xlsx", Some(&w.province.cookie))
        .await;
    assert_eq!(export.status, StatusCode::OK);
    let back = w
        .imported("entities", false, "xuat.xlsx", &export.body)
        .await;
    assert_eq!(back["counts"]["unchanged"], 3, "{back}");
    let edited = entity_workbook("Lê Thị Dung");
    let changed = w.imported("entities", false, "sua.xlsx", &edited).await;
    assert_eq!(changed["counts"]["updated"], 1, "{changed}");
    let row = changed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["outcome"] == "updated")
        .unwrap();
    assert_eq!(row["changed"], serde_json::json!(["representative"]));

    // The entity's page shows the import in its history.
    let entity: String = on_db!(&w.db, |pool| sqlx::query_scalar(
        "SELECT id FROM entities WHERE registration_code = '3800100003'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let (_, page) = w
        .api
        .page(&format!("/entities/{entity}"), &w.province.cookie)
        .await;
    assert!(page.contains("Nhập từ tệp Excel/CSV"), "history: {page}");
}

#[tokio::test]
async fn problems_are_named_by_row_column_and_fix_in_both_languages() {
    let w = world(20 << 20).await;
    let csv = "\u{feff}Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Xã,Huyện\n\
        3800100001,HTX Tân Lập,HTX,Nguyễn Văn An,Ấp 3,Xã Tân Lập,Huyện Đồng Phú\n\
        3800100002,HTX Không Có,Trang trại,Trần Thị Bình,Ấp 1,Xã Không Có,Huyện Đồng Phú\n";
    let run = w
        .imported("entities", false, "chu-the.csv", csv.as_bytes())
        .await;
    assert_eq!(run["state"], "refused", "{run}");
    assert_eq!(w.count("SELECT COUNT(*) FROM entities").await, 0);
    let problems = run["problems"].as_array().unwrap();
    let named: Vec<(i64, &str, &str, &str)> = problems
        .iter()
        .map(|p| {
            (
                p["row"].as_i64().unwrap(),
                p["column"].as_str().unwrap(),
                p["value"].as_str().unwrap(),
                p["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (3, "kind", "Trang trại", "import-error-kind"),
            (3, "commune", "Xã Không Có", "import-error-place-unknown"),
        ]
    );
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("Hợp tác xã, Doanh nghiệp")
    );
    assert_eq!(problems[0]["header"], "Loại hình");
    // In English for a machine that asks.
    let request = Request::get(format!("/api/v1/imports/{}", run["id"].as_str().unwrap()))
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", w.province.token),
        )
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::empty())
        .unwrap();
    let response = w.api.app.clone().oneshot(request).await.unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let english: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        english["problems"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Unknown entity type"),
        "{english}"
    );
    // The page and the CSV report name them too.
    let id = run["id"].as_str().unwrap();
    let (_, page) = w
        .api
        .page(&format!("/imports/{id}"), &w.province.cookie)
        .await;
    assert!(
        page.contains("Trang trại") && page.contains("Loại hình không rõ"),
        "{page}"
    );
    assert!(
        !page.contains("action=\"/imports/"),
        "no button to write a refused run"
    );
    let report = w
        .api
        .fetch(
            &format!("/imports/{id}/report.csv"),
            Some(&w.province.cookie),
        )
        .await;
    let report = String::from_utf8(report.body).unwrap();
    assert!(report.starts_with('\u{feff}'));
    assert!(report.contains("3,Loại hình,Trang trại"), "{report}");
}

#[tokio::test]
async fn files_that_are_not_workbooks_are_refused_with_a_reason() {
    let w = world(64 * 1024).await;
    // Arbitrary bytes, a truncated workbook, a workbook without the needed columns.
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "rac.csv",
            vec![0x81, 0x8d, 0x8f, 0x90, b',', 0xff, 0xfe, 0xfd, b'\n'],
            "import-file-encoding",
        ),
        (
            "cat.xlsx",
            entity_workbook("A")[..2000].to_vec(),
            "import-file-workbook",
        ),
        (
            "khac.csv",
            b"STT,Ghi chu\n1,abc\n".to_vec(),
            "import-file-header",
        ),
    ];
    for (name, bytes, expected) in cases {
        let run = w.imported("entities", true, name, &bytes).await;
        assert_eq!(run["state"], "refused", "{name}: {run}");
        let message = run["file_error"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty() && !message.starts_with("import-file"),
            "{name}: {run}"
        );
        let stored: String = on_db!(&w.db, |pool| sqlx::query_scalar(
            "SELECT report FROM imports WHERE id = $1"
        )
        .bind(run["id"].as_str().unwrap())
        .fetch_one(pool)
        .await)
        .unwrap();
        assert!(stored.contains(expected), "{name}: {stored}");
    }
    // Too large for the store: refused at once, nothing queued.
    let (status, answer) = w
        .upload(
            &w.province,
            "entities",
            true,
            "lon.csv",
            &vec![b'a'; 70 * 1024],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_upload");
    let (status, _) = w
        .upload(&w.province, "nothing", true, "x.csv", b"a,b\n")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn only_the_province_s_own_office_imports_and_reads_its_runs() {
    let w = world(20 << 20).await;
    let (status, queued) = w
        .upload(
            &w.province,
            "entities",
            true,
            "a.csv",
            b"Ma so thue,Ten chu the\n",
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = queued["id"].as_str().unwrap();
    for who in [&w.other, &w.central] {
        let (status, _) = w
            .api
            .call(
                "GET",
                &format!("/api/v1/imports/{id}"),
                &who.token,
                Value::Null,
            )
            .await;
        assert!(
            matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{status}"
        );
    }
    let (status, _) = w.upload(&w.central, "entities", true, "a.csv", b"x").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list) = w
        .api
        .call("GET", "/api/v1/imports", &w.other.token, Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.as_array().unwrap().is_empty());

    // The template: its data sheet, instructions and the lists behind the drop-downs.
    let template = w
        .api
        .fetch("/imports/templates/products.xlsx", Some(&w.province.cookie))
        .await;
    assert_eq!(template.status, StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(template.body)).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["Sản phẩm", "Hướng dẫn", "Danh mục"]
    );
    let data = book.worksheet_range("Sản phẩm").unwrap();
    let headers: Vec<String> = (0..11)
        .map(|c| {
            data.get_value((2, c))
                .map(|v| v.to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(headers[1], "Tên sản phẩm");
    let lists = book.worksheet_range("Danh mục").unwrap();
    assert!(lists.rows().any(|row| {
        row.iter()
            .any(|cell| cell.to_string().starts_with("P01 – "))
    }));
    let (status, _) = w
        .api
        .page("/imports/templates/nothing.xlsx", &w.province.cookie)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_kind_exported_comes_back_unchanged() {
    let w = world(20 << 20).await;
    let entities = "Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Xã,Huyện\n\
        3800100001,Hợp tác xã Điều Tân Lập,HTX,Nguyễn Văn An,Ấp 3,Xã Tân Lập,Huyện Đồng Phú\n\
        3800100002,Công ty Cổ phần Tiêu Tân Tiến,Doanh nghiệp,Trần Thị Bình,Ấp 1,Xã Tân Tiến,Huyện Đồng Phú\n";
    let products = "Mã sản phẩm,Tên sản phẩm,Mã số thuế,Bộ sản phẩm,Mô tả,Kênh phân phối\n\
        70-702-25381-1-2022,Hạt điều rang muối Tân Lập,3800100001,P03,Hạt điều hũ 500 g,Điểm bán OCOP; Sàn TMĐT Postmart\n\
        ,Tiêu đen Tân Tiến,3800100002,P03,,\n";
    let certificates = "Mã sản phẩm,Số sao,Điểm,Số quyết định,Ngày quyết định,Số giấy chứng nhận\n\
        70-702-25381-1-2022,3,65,1234/QĐ-UBND,15/12/2022,GCN-12/2022\n\
        70-702-25381-1-2022,4,72.5,2001/QĐ-UBND,20/12/2025,\n";
    let evaluations = "Mã sản phẩm,Ngày họp hội đồng,Tổng điểm,Phần A,Phần B,Phần C,TV1,TV2,TV3\n\
        70-702-25381-1-2022,20/11/2022,72.5,30,18.5,24,72,73,72.5\n\
        70-702-25381-1-2022,10/06/2024,,,,,45,47,46\n";
    for (kind, csv, n) in [
        ("entities", entities, 2),
        ("products", products, 2),
        ("certificates", certificates, 2),
        ("evaluations", evaluations, 2),
    ] {
        let run = w
            .imported(kind, false, &format!("{kind}.csv"), csv.as_bytes())
            .await;
        assert_eq!(run["counts"]["created"], n, "{kind}: {run}");
    }
    for kind in ["entities", "products", "certificates", "evaluations"] {
        let export = w
            .api
            .fetch(
                &format!("/imports/export/{kind}.xlsx"),
                Some(&w.province.cookie),
            )
            .await;
        assert_eq!(export.status, StatusCode::OK, "{kind}");
        let back = w
            .imported(kind, false, &format!("{kind}.xlsx"), &export.body)
            .await;
        assert_eq!(back["counts"]["unchanged"], 2, "{kind}: {back}");
        assert_eq!(back["counts"]["created"], 0, "{kind}: {back}");
        assert!(back["audit_seq"].is_null(), "{kind}: nothing written");
    }
}
