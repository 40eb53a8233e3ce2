//! Imports on both databases: each kind dry then real, a re-import that changes nothing, a file
//! with one bad row that writes nothing and names the row, a district-era address on today's
//! map, a split commune reported with its candidates, recognitions that become certificates with
//! their status of today, and each record's history pointing at its import.

use chrono::NaiveDate;

use ocop_domain::access::Scope;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::import::{Kind, Outcome, Report};
use ocop_store::import::{self, Quiet, Request, State};
use ocop_store::testing::TestDb;
use ocop_store::{Db, audit, on_db, registry};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
}

fn catalog() -> Catalog {
    Catalog::load(&bundled_sources()).unwrap()
}

/// Runs an import of `csv` into today's Đồng Nai (75).
async fn run(db: &Db, kind: Kind, csv: &str, dry_run: bool) -> (String, Report) {
    let request = Request {
        kind,
        province_code: "75".into(),
        file_name: format!("{}.csv", kind.as_str()),
        dry_run,
        partial: false,
        actor: "officer".into(),
    };
    let id = import::create(db, &request, csv.as_bytes(), State::Queued)
        .await
        .unwrap();
    let report = import::execute(db, &catalog(), &id, csv.as_bytes(), today(), &mut Quiet)
        .await
        .unwrap();
    (id, report)
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    on_db!(db, |pool| sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
}

fn outcomes(report: &Report) -> Vec<(usize, Outcome)> {
    report.rows.iter().map(|r| (r.row, r.outcome)).collect()
}

/// Three cooperatives of former Bình Phước, written as its workbooks were: a title row, the
/// district of the time, one placed only by its address, and one by a former commune's code.
const ENTITIES: &str = "\
DANH SÁCH CHỦ THỂ OCOP TỈNH BÌNH PHƯỚC
Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Xã,Huyện,Mã xã,Nữ làm chủ,Ngày thành lập
3800100001,Hợp tác xã Điều Tân Lập,HTX,Nguyễn Văn An,\"Ấp 3, xã Tân Lập\",Xã Tân Lập,Huyện Đồng Phú,,x,15/03/2018
3800100002,Công ty TNHH MTV Tiêu Tân Tiến,Công ty,Trần Thị Bình,\"Ấp 1, xã Tân Tiến, huyện Đồng Phú, tỉnh Bình Phước\",,,,,2019
3800100003,Hộ kinh doanh Lê Văn Cường,Hộ kinh doanh,Lê Văn Cường,Ấp 2,,,25369,Không,
";

#[tokio::test]
async fn entities_dry_then_real_then_again_with_places_of_the_old_map() {
    let test = TestDb::with_units().await;
    let db = &test.db;

    let (dry_id, dry) = run(db, Kind::Entities, ENTITIES, true).await;
    assert!(dry.is_clean(), "{:?}", dry.errors);
    assert_eq!(
        outcomes(&dry),
        vec![
            (3, Outcome::Created),
            (4, Outcome::Created),
            (5, Outcome::Created)
        ]
    );
    assert_eq!(count(db, "SELECT COUNT(*) FROM entities").await, 0);
    let run_row = import::find(db, &dry_id, Some("75"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run_row.state, State::Done);
    assert!(run_row.audit_seq.is_none());

    let (real_id, real) = run(db, Kind::Entities, ENTITIES, false).await;
    assert_eq!(real.counts.created, 3);
    let entities = registry::list(db, &Scope::Province("75".into()), None)
        .await
        .unwrap();
    let communes: Vec<(&str, &str)> = entities
        .iter()
        .map(|e| (e.registration_code.as_str(), e.commune_code.as_str()))
        .collect();
    // Tân Lập and Tân Tiến of Đồng Phú district are today's Đồng Phú commune (25363); Đồng Tâm
    // (25369) is today's Đồng Tâm (25390).
    assert!(communes.contains(&("3800100001", "25363")), "{communes:?}");
    assert!(communes.contains(&("3800100002", "25363")), "{communes:?}");
    assert!(communes.contains(&("3800100003", "25390")), "{communes:?}");
    let company = entities
        .iter()
        .find(|e| e.registration_code == "3800100002")
        .unwrap();
    assert_eq!(company.legal_form.as_deref(), Some("llc_one_member"));
    assert_eq!(company.founded_on, NaiveDate::from_ymd_opt(2019, 1, 1));

    // The record's history shows the import that made it.
    let history = audit::history(db, "entity", &company.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "import.applied");
    assert!(
        history[0]
            .changes
            .contains("Công ty TNHH MTV Tiêu Tân Tiến")
    );
    let run_row = import::find(db, &real_id, None).await.unwrap().unwrap();
    assert_eq!(run_row.audit_seq, Some(history[0].seq));

    // The same file again changes nothing and writes no audit record.
    let seq = audit::last_seq(db).await.unwrap();
    let (_, again) = run(db, Kind::Entities, ENTITIES, false).await;
    assert_eq!(again.counts.unchanged, 3);
    assert_eq!(again.counts.created + again.counts.updated, 0);
    assert_eq!(audit::last_seq(db).await.unwrap(), seq);

    // An edited representative is an update, with only that field.
    let edited = ENTITIES.replace("Lê Văn Cường,Ấp 2", "Lê Thị Dung,Ấp 2");
    let (_, update) = run(db, Kind::Entities, &edited, false).await;
    assert_eq!(update.counts.updated, 1);
    let changed = update
        .rows
        .iter()
        .find(|r| r.outcome == Outcome::Updated)
        .unwrap();
    assert_eq!(changed.changed, vec!["representative"]);
    assert!(audit::verify(db).await.unwrap().is_ok());
}

#[tokio::test]
async fn one_bad_row_writes_nothing_and_is_named_with_its_column() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let bad = ENTITIES
        .replace(
            "Hộ kinh doanh Lê Văn Cường,Hộ kinh doanh",
            "Hộ kinh doanh Lê Văn Cường,Trang trại",
        )
        .replace("3800100002,", "3800100001,");
    let (id, report) = run(db, Kind::Entities, &bad, false).await;
    assert!(!report.is_clean());
    let problems: Vec<(usize, &str, &str)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (4, "registration_code", "import-error-duplicate"),
            (5, "kind", "import-error-kind"),
        ]
    );
    assert_eq!(report.errors[0].detail, "3");
    assert_eq!(report.errors[1].value, "Trang trại");
    assert_eq!(count(db, "SELECT COUNT(*) FROM entities").await, 0);
    let run_row = import::find(db, &id, None).await.unwrap().unwrap();
    assert_eq!(run_row.state, State::Refused);

    // Asked for the rows without problems, the good one is written.
    let request = Request {
        kind: Kind::Entities,
        province_code: "75".into(),
        file_name: "entities.csv".into(),
        dry_run: false,
        partial: true,
        actor: "officer".into(),
    };
    let id = import::create(db, &request, bad.as_bytes(), State::Queued)
        .await
        .unwrap();
    let report = import::execute(db, &catalog(), &id, bad.as_bytes(), today(), &mut Quiet)
        .await
        .unwrap();
    assert_eq!(report.counts.created, 1);
    assert_eq!(report.counts.errors, 2);
    assert_eq!(count(db, "SELECT COUNT(*) FROM entities").await, 1);
}

#[tokio::test]
async fn a_split_commune_is_ambiguous_with_its_candidates_and_other_provinces_are_refused() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    // Former Tân Phước (25372) of Đồng Phú district went to today's Đồng Tâm (25390); record a
    // part of it going to Tân Lợi (25378) too, as a split would.
    on_db!(db, |pool| sqlx::query(
        "INSERT INTO unit_successions (predecessor_id, successor_id, effective_date) \
         SELECT o.id, n.id, '2025-07-01' FROM units o, units n \
         WHERE o.code = '25372' AND o.valid_to IS NOT NULL AND n.code = '25378' AND n.valid_to IS NULL"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    let file = "\
Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Xã,Huyện,Tỉnh
3800100009,HTX Tân Phước,HTX,Phạm Văn Em,Ấp 4,Xã Tân Phước,Huyện Đồng Phú,Bình Phước
3800100010,HTX Hải Châu,HTX,Võ Thị Hoa,Số 1,Phường Hải Châu,,Đà Nẵng
3800100011,HTX Không Có,HTX,Võ Thị Hoa,Số 1,Xã Không Có,Huyện Đồng Phú,
";
    let (_, report) = run(db, Kind::Entities, file, true).await;
    let problems: Vec<(usize, &str, &str, &str)> = report
        .errors
        .iter()
        .map(|e| {
            (
                e.row,
                e.column.as_str(),
                e.message.as_str(),
                e.detail.as_str(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                2,
                "commune",
                "import-error-place-ambiguous",
                "Xã Tân Lợi (25378); Xã Đồng Tâm (25390)"
            ),
            (3, "commune", "import-error-place-province", "Đà Nẵng"),
            (4, "commune", "import-error-place-unknown", ""),
        ]
    );
}

const PRODUCTS: &str = "\
Mã sản phẩm,Tên sản phẩm,Mã số thuế,Bộ sản phẩm,Mô tả
70-702-25381-1-2022,Hạt điều rang muối Tân Lập,3800100001,P03,Hạt điều rang muối hũ 500 g
,Tiêu đen Tân Tiến,3800100002,P03 – Chế biến từ hạt,
";

#[tokio::test]
async fn products_keep_their_legacy_code_and_a_reimport_changes_nothing() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    run(db, Kind::Entities, ENTITIES, false).await;

    let (_, dry) = run(db, Kind::Products, PRODUCTS, true).await;
    assert!(dry.is_clean(), "{:?}", dry.errors);
    assert_eq!(count(db, "SELECT COUNT(*) FROM products").await, 0);
    let (_, real) = run(db, Kind::Products, PRODUCTS, false).await;
    assert_eq!(real.counts.created, 2);
    let products = registry::products(db, &Scope::Province("75".into()), None)
        .await
        .unwrap();
    let cashew = products
        .iter()
        .find(|p| p.name.starts_with("Hạt điều"))
        .unwrap();
    // Today's code in today's commune, in the year of the legacy code; the legacy one kept.
    assert_eq!(cashew.code, "75-25363-1-2022");
    let legacy: Option<String> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT legacy_code FROM products WHERE id = $1"
    )
    .bind(&cashew.id)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(legacy.as_deref(), Some("70-702-25381-1-2022"));
    let pepper = products
        .iter()
        .find(|p| p.name.starts_with("Tiêu"))
        .unwrap();
    assert_eq!(pepper.code, "75-25363-1-2026");
    assert_eq!(pepper.product_set, "P03");

    let (_, again) = run(db, Kind::Products, PRODUCTS, false).await;
    assert_eq!((again.counts.unchanged, again.counts.created), (2, 0));

    // A product named twice, an unknown entity and an unknown set: three rows, nothing written.
    let bad = format!(
        "{PRODUCTS},Tiêu đen Tân Tiến,3800100002,P03,\n,Mật ong,3899999999,P03,\n,Bánh,3800100001,P99,\n"
    );
    let (_, report) = run(db, Kind::Products, &bad, false).await;
    let problems: Vec<(usize, &str)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.message.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (4, "import-error-duplicate"),
            (5, "import-error-entity-unknown"),
            (6, "import-error-product-set"),
        ]
    );
    assert_eq!(count(db, "SELECT COUNT(*) FROM products").await, 2);
}

#[tokio::test]
async fn recognitions_become_certificates_with_their_status_of_today() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    run(db, Kind::Entities, ENTITIES, false).await;
    run(db, Kind::Products, PRODUCTS, false).await;
    let file = "\
Mã sản phẩm,Số sao,Điểm,Số quyết định,Ngày quyết định,Số giấy chứng nhận
70-702-25381-1-2022,3 sao,65,1234/QĐ-UBND,15/12/2022,GCN-12/2022
70-702-25381-1-2022,★★★★,72.5,2001/QĐ-UBND,20/12/2025,GCN-40/2025
";
    let (_, dry) = run(db, Kind::Certificates, file, true).await;
    assert!(dry.is_clean(), "{:?}", dry.errors);
    assert_eq!(count(db, "SELECT COUNT(*) FROM certificates").await, 0);
    let (_, real) = run(db, Kind::Certificates, file, false).await;
    assert_eq!(real.counts.created, 2);
    let rows: Vec<(i64, NaiveDate, NaiveDate, Option<String>, String)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT stars, issued_on, expires_on, legacy_number, authority FROM certificates ORDER BY issued_on",
        )
        .fetch_all(pool)
        .await
    })
    .unwrap();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(
        rows,
        vec![
            (
                3,
                day(2022, 12, 15),
                day(2025, 12, 15),
                Some("GCN-12/2022".into()),
                "province".into()
            ),
            (
                4,
                day(2025, 12, 20),
                day(2028, 12, 20),
                Some("GCN-40/2025".into()),
                "province".into()
            ),
        ]
    );
    // Statuses of today, derived as for every certificate: the first superseded by the second.
    let listed = ocop_store::certificates::list(db, &Scope::Province("75".into()), "")
        .await
        .unwrap();
    let catalog = catalog();
    let procedure = &catalog.version("26-2026").unwrap().procedure;
    let mut statuses: Vec<(u8, &str)> = listed
        .iter()
        .map(|c| (c.stars, c.timeline.status(procedure, today()).code()))
        .collect();
    statuses.sort();
    assert_eq!(statuses, vec![(3, "superseded"), (4, "active")]);
    // No producer is told of a recognition of years ago.
    assert_eq!(count(db, "SELECT COUNT(*) FROM notices").await, 0);

    let (_, again) = run(db, Kind::Certificates, file, false).await;
    assert_eq!((again.counts.unchanged, again.counts.created), (2, 0));

    let impossible = "\
Mã sản phẩm,Số sao,Số quyết định,Ngày quyết định
70-702-25381-1-2022,6,12/QĐ-UBND,15/12/2022
70-702-25381-1-2022,4,13/QĐ-UBND,15/12/2099
75-25363-99-2026,4,14/QĐ-UBND,15/12/2025
70-702-25381-1-2022,4,1234/QĐ-UBND,15/12/2022
";
    let (_, report) = run(db, Kind::Certificates, impossible, false).await;
    let problems: Vec<(usize, &str)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.message.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (2, "import-error-stars-range"),
            (3, "import-error-date-future"),
            (4, "import-error-product-unknown"),
            (5, "import-error-certificate-differs"),
        ]
    );
    assert_eq!(count(db, "SELECT COUNT(*) FROM certificates").await, 2);
    assert!(audit::verify(db).await.unwrap().is_ok());
}

/// A council result as stored: total, stars, the totals' JSON, its dossier's state.
type Recorded = (Option<i64>, Option<i64>, Option<String>, String);

#[tokio::test]
async fn council_results_keep_their_parts_and_members_and_are_not_rewritten() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    run(db, Kind::Entities, ENTITIES, false).await;
    run(db, Kind::Products, PRODUCTS, false).await;
    let file = "\
Mã sản phẩm,Ngày họp hội đồng,Tổng điểm,Phần A,Phần B,Phần C,TV1,TV2,TV3
70-702-25381-1-2022,20/11/2022,72.5,30,18.5,24,72,73,72.5
75-25363-1-2026,10/06/2026,,,,,45,47,46
";
    let (_, dry) = run(db, Kind::Evaluations, file, true).await;
    assert!(dry.is_clean(), "{:?}", dry.errors);
    assert_eq!(count(db, "SELECT COUNT(*) FROM round_products").await, 0);
    let (_, real) = run(db, Kind::Evaluations, file, false).await;
    assert_eq!(real.counts.created, 2);
    let results: Vec<Recorded> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT rp.final_score, rp.final_stars, rp.legacy_totals, d.state FROM round_products rp \
             JOIN dossiers d ON d.id = rp.dossier_id ORDER BY rp.final_score DESC",
        )
        .fetch_all(pool)
        .await
    })
    .unwrap();
    assert_eq!(results[0].0, Some(7250));
    assert_eq!(results[0].1, Some(4));
    assert_eq!(
        results[0].2.as_deref(),
        Some(r#"{"members":[7200,7300,7250],"parts":[3000,1850,2400]}"#)
    );
    // 46 points: recorded as the council's result, not recognised.
    assert_eq!((results[1].0, results[1].1), (Some(4600), Some(2)));
    assert_eq!(results[1].3, "not_recognised");
    assert_eq!(count(db, "SELECT COUNT(*) FROM certificates").await, 0);

    let (_, again) = run(db, Kind::Evaluations, file, false).await;
    assert_eq!((again.counts.unchanged, again.counts.created), (2, 0));
    let other = file.replace("72.5,30,18.5,24,72,73,72.5", "73,30,19,24,72,74,73");
    let (_, report) = run(db, Kind::Evaluations, &other, false).await;
    let problems: Vec<(usize, &str)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.message.as_str()))
        .collect();
    assert_eq!(problems, vec![(2, "import-error-evaluation-differs")]);
    assert!(audit::verify(db).await.unwrap().is_ok());
}
