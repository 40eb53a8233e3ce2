//! The council's documents through HTTP, on whichever database the tests run on: a round is
//! scored (one member excluded by a conflict, one product re-scored), closed and decided; the
//! minutes, the decision's annex and a member's sheet are downloaded as PDF and read back with
//! `pdftotext -layout` (poppler-utils), compared in NFC; and every refusal: blindness while the
//! round scores, the minutes of a round not closed, a plain member, a producer, another
//! province, an unknown decision or one of another round, anonymous visitors.

use std::collections::BTreeMap;
use std::process::Command;

use axum::http::StatusCode;
use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::accounts::{self, NewUser};
use ocop_store::dossiers::{self};
use ocop_store::testing::TestDb;
use ocop_store::{certificates, units};
use ocop_web::{AppState, router};

mod support;
use support::{Api, Person, card, person, signed_in, submitted, to_province};

const PDFTOTEXT: &str = "/usr/bin/pdftotext";

/// A total as the minutes print it: `86` → `86,00`.
fn printed(total: u32) -> String {
    format!("{total},00")
}

/// The council's mean of `totals`, half-up to two decimals, with a decimal comma.
fn printed_mean(totals: &[u32]) -> String {
    let sum: u32 = totals.iter().sum();
    let n = totals.len() as u32;
    let centi = (200 * sum + n) / (2 * n);
    format!("{},{:02}", centi / 100, centi % 100)
}

/// The PDF's text as laid out on its pages (`pdftotext -layout`), in NFC, each run of white
/// space as one space.
fn pdf_text(name: &str, bytes: &[u8]) -> String {
    assert!(
        std::path::Path::new(PDFTOTEXT).exists(),
        "{PDFTOTEXT} is missing: these tests read the PDFs back with poppler-utils \
         (Debian: apt-get install poppler-utils)"
    );
    let path = std::env::temp_dir().join(format!(
        "ocop-round-documents-{}-{name}.pdf",
        std::process::id()
    ));
    std::fs::write(&path, bytes).unwrap();
    let output = Command::new(PDFTOTEXT)
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|error| panic!("cannot run {PDFTOTEXT}: {error}"));
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "pdftotext failed on {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text: String = String::from_utf8(output.stdout).unwrap().nfc().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[track_caller]
fn assert_contains(text: &str, wanted: &[&str]) {
    for want in wanted {
        let want: String = want.nfc().collect();
        assert!(text.contains(&want), "missing {want:?} in:\n{text}");
    }
}

#[tokio::test]
async fn minutes_annex_and_sheets_of_a_decided_round() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let api = Api {
        app: router(AppState::new(
            db.clone(),
            Catalog::load(&bundled_sources()).unwrap(),
        )),
    };

    let province = units::find_by_code(db, "79", None).await.unwrap().unwrap();
    let mut communes = units::children(db, province.id).await.unwrap();
    communes.sort_by(|a, b| a.code.cmp(&b.code));
    let (commune_a, commune_b) = (communes[0].code.clone(), communes[1].code.clone());
    // The commune officer who proposed A sits on the council: flagged, excluded from A.
    let xa = person(
        db,
        "xa@t.vn",
        "Đặng Thu Thảo",
        Role::CommuneOfficer,
        Some(&commune_a),
    )
    .await;
    let xa_b = person(
        db,
        "xa-b@t.vn",
        "Cán bộ xã B",
        Role::CommuneOfficer,
        Some(&commune_b),
    )
    .await;
    let tinh = person(
        db,
        "tinh@t.vn",
        "Văn phòng OCOP thành phố",
        Role::ProvincialOfficer,
        Some("79"),
    )
    .await;
    let other_province = person(
        db,
        "tinh75@t.vn",
        "Văn phòng OCOP Đồng Nai",
        Role::ProvincialOfficer,
        Some("75"),
    )
    .await;
    let central = person(
        db,
        "tw@t.vn",
        "Văn phòng điều phối trung ương",
        Role::CentralOfficer,
        None,
    )
    .await;
    let names = [
        "Nguyễn Thị Hường",
        "Lê Quang Vinh",
        "Phạm Thị Ánh Tuyết",
        "Hoàng Minh Khôi",
        "Võ Văn Ẩn",
    ];
    let mut council = Vec::new();
    for (i, name) in names.iter().enumerate() {
        council.push(
            person(
                db,
                &format!("tv{i}@t.vn"),
                name,
                Role::CouncilMember,
                Some("79"),
            )
            .await,
        );
    }
    let secretary = person(
        db,
        "thuky@t.vn",
        "Bùi Ngọc Yến",
        Role::CouncilMember,
        Some("79"),
    )
    .await;
    let chair = &council[0];

    let (product_a, product_b, product_c) = (
        "Mật ong hoa cà phê",
        "Trà mãng cầu sấy",
        "Bưởi da xanh Tân Triều",
    );
    let dossier_a = submitted(
        db,
        &commune_a,
        1,
        product_a,
        "Hợp tác xã Nông nghiệp Xuân Bắc",
    )
    .await;
    let dossier_b = submitted(db, &commune_b, 2, product_b, "Hợp tác xã Trà Long Khánh").await;
    let dossier_c = submitted(db, &commune_b, 3, product_c, "Hợp tác xã Bưởi Tân Triều").await;
    let dossier_d = submitted(
        db,
        &commune_b,
        4,
        "Chôm chôm sấy dẻo",
        "Hợp tác xã Bảo Vinh",
    )
    .await;
    to_province(&api, &dossier_a, &xa, &tinh).await;
    for dossier in [&dossier_b, &dossier_c, &dossier_d] {
        to_province(&api, dossier, &xa_b, &tinh).await;
    }

    // The round: a chair, a vice-chair, three members, the commune officer, a secretary.
    let round = api
        .ok(
            "POST",
            "/api/v1/rounds",
            &tinh.token,
            json!({"name": "Đợt 2 năm 2026", "meeting_on": "2026-12-15", "place": "Hội trường Sở Nông nghiệp và Môi trường"}),
        )
        .await;
    let round_id = round["id"].as_str().unwrap().to_string();
    let round_uri = format!("/api/v1/rounds/{round_id}");
    let seats = [
        (
            "tv0@t.vn",
            "chair",
            "Phó Giám đốc",
            "Sở Nông nghiệp và Môi trường",
        ),
        (
            "tv1@t.vn",
            "vice_chair",
            "Trưởng phòng",
            "Chi cục Phát triển nông thôn",
        ),
        ("tv2@t.vn", "member", "Phó Trưởng phòng", "Sở Công Thương"),
        (
            "tv3@t.vn",
            "member",
            "Chuyên viên",
            "Sở Khoa học và Công nghệ",
        ),
        ("tv4@t.vn", "member", "Chuyên viên", "Sở Y tế"),
        ("xa@t.vn", "member", "Phó Chủ tịch", "Ủy ban nhân dân xã"),
        (
            "thuky@t.vn",
            "secretary",
            "Chuyên viên",
            "Văn phòng Điều phối nông thôn mới",
        ),
    ];
    for (email, seat, position, agency) in seats {
        api.ok(
            "POST",
            &format!("{round_uri}/seats"),
            &tinh.token,
            json!({"email": email, "seat": seat, "agency": agency, "position": position}),
        )
        .await;
    }
    let mut ids = Vec::new();
    for dossier in [&dossier_a, &dossier_b, &dossier_c] {
        let product = api
            .ok(
                "POST",
                &format!("{round_uri}/products"),
                &tinh.token,
                json!({"dossier_id": dossier}),
            )
            .await;
        ids.push(product["id"].as_str().unwrap().to_string());
    }
    let (id_a, id_b, id_c) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    api.ok(
        "POST",
        &format!("{round_uri}/actions"),
        &tinh.token,
        json!({"action": "start"}),
    )
    .await;

    let (best, best_total) = card(&catalog, 0);
    let (mid, mid_total) = card(&catalog, 6);
    let (low, low_total) = card(&catalog, 40);
    assert!(best_total >= 90 && (70..90).contains(&mid_total) && low_total < 50);
    let (good, good_total) = card(&catalog, 8);
    assert!((70..90).contains(&good_total) && good_total != mid_total);
    let submit = |product: &str, member: &Person, choices: &BTreeMap<String, u32>| {
        let uri = format!("{round_uri}/products/{product}/card");
        let token = member.token.clone();
        let body = json!({"choices": choices});
        let api = &api;
        async move { api.ok("POST", &uri, &token, body).await }
    };

    // While the round scores: one's own submitted sheet, yes; another's, no (blind); no minutes.
    submit(&id_a, &council[1], &mid).await;
    let sheet_of = |product: &str, member: &Person| {
        format!(
            "/rounds/{round_id}/products/{product}/sheets/{}.pdf",
            member.user.id
        )
    };
    let own = api
        .fetch(&sheet_of(&id_a, &council[1]), Some(&council[1].cookie))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.is_pdf(), "{}", own.content_type);
    let (_, sheet_page) = {
        let got = api
            .fetch(
                &format!("/rounds/{round_id}/products/{id_a}"),
                Some(&council[1].cookie),
            )
            .await;
        (got.status, String::from_utf8(got.body).unwrap())
    };
    assert!(
        sheet_page.contains(&sheet_of(&id_a, &council[1])),
        "the link to one's own PDF"
    );
    let peeking = api
        .fetch(&sheet_of(&id_a, &council[1]), Some(&council[2].cookie))
        .await;
    assert_eq!(
        peeking.status,
        StatusCode::FORBIDDEN,
        "a member never sees another's card"
    );
    assert!(!peeking.is_pdf());
    let chair_peeking = api
        .fetch(&sheet_of(&id_a, &council[1]), Some(&chair.cookie))
        .await;
    assert_eq!(
        chair_peeking.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the chair too waits for the close"
    );
    assert!(!chair_peeking.is_pdf());
    let not_mine = api
        .fetch(&sheet_of(&id_a, &council[2]), Some(&council[2].cookie))
        .await;
    assert_eq!(
        not_mine.status,
        StatusCode::NOT_FOUND,
        "no submitted card, no sheet"
    );
    let early = api
        .fetch(
            &format!("/rounds/{round_id}/minutes.pdf"),
            Some(&tinh.cookie),
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!early.is_pdf());
    assert!(
        String::from_utf8(early.body)
            .unwrap()
            .contains("chỉ có khi đợt đánh giá đã kết thúc"),
        "the round's page says why"
    );

    // A: the five eligible members (the commune officer is excluded); B: apart, re-scored;
    // C: low.
    let a_totals = [mid_total, mid_total, good_total, good_total, mid_total];
    for (member, choices) in [(0, &mid), (2, &good), (3, &good), (4, &mid)] {
        submit(&id_a, &council[member], choices).await;
    }
    let everyone: Vec<&Person> = council.iter().chain([&xa]).collect();
    for (i, member) in everyone.iter().enumerate() {
        submit(&id_b, member, if i < 3 { &best } else { &mid }).await;
    }
    api.ok(
        "POST",
        &format!("{round_uri}/products/{id_b}/rescore"),
        &chair.token,
        json!({"reason": "Chênh lệch quá 10 điểm, hội đồng thảo luận"}),
    )
    .await;
    for member in &everyone {
        submit(&id_b, member, &good).await;
    }
    for member in &everyone {
        submit(&id_c, member, &low).await;
    }
    let closed = api
        .ok(
            "POST",
            &format!("{round_uri}/actions"),
            &tinh.token,
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(closed["state"], "closed");
    let decision = api
        .ok(
            "POST",
            &format!("{round_uri}/decisions"),
            &tinh.token,
            json!({"number": "1898/QĐ-UBND", "signed_on": "2026-12-01",
                   "signer": "Võ Tấn Đức, Phó Chủ tịch UBND thành phố",
                   "products": [id_a, id_b, id_c]}),
        )
        .await;
    let decision_id = decision["id"].as_str().unwrap().to_string();

    // The round's page links the minutes and the annex for the office; not for a member.
    let page = api
        .fetch(&format!("/rounds/{round_id}"), Some(&tinh.cookie))
        .await;
    let page = String::from_utf8(page.body).unwrap();
    let minutes_uri = format!("/rounds/{round_id}/minutes.pdf");
    let annex_uri = format!("/rounds/{round_id}/decisions/{decision_id}/annex.pdf");
    assert!(
        page.contains(&minutes_uri) && page.contains(&annex_uri),
        "{page}"
    );
    let page = api
        .fetch(&format!("/rounds/{round_id}"), Some(&council[2].cookie))
        .await;
    let page = String::from_utf8(page.body).unwrap();
    assert!(!page.contains(&minutes_uri) && !page.contains(&annex_uri));
    let overview = api
        .fetch(&format!("/rounds/{round_id}/overview"), Some(&tinh.cookie))
        .await;
    let overview = String::from_utf8(overview.body).unwrap();
    assert!(
        overview.contains(&sheet_of(&id_a, &council[3])),
        "officials' links to sheets"
    );

    // The minutes, as the office downloads them.
    let minutes = api.fetch(&minutes_uri, Some(&tinh.cookie)).await;
    assert_eq!(minutes.status, StatusCode::OK);
    assert!(minutes.is_pdf());
    let text = pdf_text("minutes", &minutes.body);
    let mut wanted = vec![
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND THÀNH PHỐ HỒ CHÍ MINH",
        "HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG",
        "Số: 01/BB-HĐ",
        "Hồ Chí Minh, ngày 15 tháng 12 năm 2026",
        "BIÊN BẢN",
        "Đợt 2 năm 2026",
        "Hội trường Sở Nông nghiệp và Môi trường",
        "Căn cứ Quyết định số 26/2026/QĐ-TTg ngày 22/05/2026 của Thủ tướng Chính phủ",
        "Thư ký",
        "Phó Chủ tịch",
        "Đặng Thu Thảo",
        "Bùi Ngọc Yến",
        "không chấm (xung đột lợi ích)",
        "Đã xử lý hồ sơ này (tiếp nhận, lập báo cáo Mẫu 03, đề xuất)",
        product_a,
        product_b,
        product_c,
        "Hợp tác xã Nông nghiệp Xuân Bắc",
        "Chấm lại lần 2 vì lần chấm 1 chênh lệch",
        "theo ý kiến của Chủ tịch Hội đồng: “Chênh lệch quá 10 điểm, hội đồng thảo luận”",
        "Không đạt",
        "Vắng mặt: không.",
    ];
    wanted.extend(names);
    assert_contains(&text, &wanted);
    let mean_a = printed_mean(&a_totals);
    let mean_b = printed_mean(&[good_total; 6]);
    let mean_c = printed_mean(&[low_total; 6]);
    for expected in [
        format!("Điểm trung bình: {mean_a}."),
        format!("Điểm trung bình: {mean_b}."),
        format!("Điểm trung bình: {mean_c}."),
        printed(mid_total),
        printed(good_total),
        printed(low_total),
    ] {
        assert_contains(&text, &[&expected]);
    }
    assert!(
        !text.contains(&printed(best_total)),
        "B's first pass is not its result: {text}"
    );
    // The chair and the secretary sign.
    let signatures = text.rsplit("THƯ KÝ HỘI ĐỒNG").next().unwrap();
    assert!(signatures.contains("Bùi Ngọc Yến") && signatures.contains("Nguyễn Thị Hường"));

    // The annex: the recognised products only, with their certificates.
    let annex = api.fetch(&annex_uri, Some(&tinh.cookie)).await;
    assert_eq!(annex.status, StatusCode::OK);
    assert!(annex.is_pdf());
    let text = pdf_text("annex", &annex.body);
    let issued = certificates::list(db, &Scope::National, "").await.unwrap();
    let number_of = |round_product: &str| {
        issued
            .iter()
            .find(|c| c.round_product_id == round_product)
            .map(|c| c.number.clone())
            .expect("a certificate for a recognised product")
    };
    assert_contains(
        &text,
        &[
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "ỦY BAN NHÂN DÂN",
            "THÀNH PHỐ HỒ CHÍ MINH",
            "DANH SÁCH SẢN PHẨM OCOP ĐƯỢC CÔNG NHẬN",
            "(Kèm theo Quyết định số 1898/QĐ-UBND ngày 01/12/2026 của Chủ tịch Ủy ban nhân dân thành phố Hồ Chí Minh)",
            product_a,
            product_b,
            &number_of(&id_a),
            &number_of(&id_b),
            &mean_a,
            &mean_b,
            "Tổng cộng: 2 sản phẩm",
        ],
    );
    assert!(!text.contains(product_c), "not recognised: not annexed");

    // A member's sheet, as the office downloads it after the close.
    let sheet = api
        .fetch(&sheet_of(&id_a, &council[3]), Some(&tinh.cookie))
        .await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(sheet.is_pdf());
    let text = pdf_text("sheet", &sheet.body);
    assert_contains(
        &text,
        &[
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "PHIẾU ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP",
            "Hoàng Minh Khôi",
            "Chuyên viên, Sở Khoa học và Công nghệ",
            product_a,
            "Quyết định số 26/2026/QĐ-TTg",
            "Phần A: Sản phẩm và sức mạnh của cộng đồng",
            "Nguồn gốc sản phẩm",
            &format!("TỔNG ĐIỂM {good_total} 100"),
        ],
    );
    // B's sheet after its re-score is the second pass's card.
    let sheet = api
        .fetch(&sheet_of(&id_b, &council[0]), Some(&chair.cookie))
        .await;
    let text = pdf_text("sheet-b", &sheet.body);
    assert_contains(
        &text,
        &["lần chấm thứ 2", &format!("TỔNG ĐIỂM {good_total} 100")],
    );

    // Who may download: the chair and the secretary, the national roles; not a plain member,
    // a producer, another province; anonymous visitors sign in first.
    let entity_a = dossiers::find(db, &Scope::National, &dossier_a)
        .await
        .unwrap()
        .unwrap()
        .entity_id;
    let producer = accounts::create_user(
        db,
        NewUser {
            email: "sx@t.vn".into(),
            name: "Chủ thể A".into(),
            role: Role::Producer,
            unit_code: None,
            entity_id: Some(entity_a),
            password: "mật khẩu thật dài 2026".into(),
        },
        "test",
    )
    .await
    .unwrap();
    let producer = signed_in(db, producer).await;
    let own_sheet = sheet_of(&id_a, &council[3]);
    for (who, cookie, expected) in [
        ("chair", Some(&chair.cookie), StatusCode::OK),
        ("secretary", Some(&secretary.cookie), StatusCode::OK),
        ("central", Some(&central.cookie), StatusCode::OK),
        ("member", Some(&council[2].cookie), StatusCode::FORBIDDEN),
        ("excluded member", Some(&xa.cookie), StatusCode::FORBIDDEN),
        ("producer", Some(&producer.cookie), StatusCode::NOT_FOUND),
        (
            "other province",
            Some(&other_province.cookie),
            StatusCode::NOT_FOUND,
        ),
        ("anonymous", None, StatusCode::SEE_OTHER),
    ] {
        for uri in [&minutes_uri, &annex_uri, &own_sheet] {
            let got = api.fetch(uri, cookie.map(String::as_str)).await;
            let expected = if uri == &own_sheet && who == "member" {
                // Another member's sheet: still not theirs, even after the close.
                StatusCode::FORBIDDEN
            } else {
                expected
            };
            assert_eq!(got.status, expected, "{who} GET {uri}");
            assert_eq!(got.is_pdf(), expected == StatusCode::OK, "{who} GET {uri}");
            if expected == StatusCode::SEE_OTHER {
                assert_eq!(got.location, "/login");
            }
        }
    }
    // A member's own sheet stays theirs after the close.
    let mine = api
        .fetch(&sheet_of(&id_a, &council[2]), Some(&council[2].cookie))
        .await;
    assert_eq!(mine.status, StatusCode::OK);

    // A second round of the year: its minutes are number 02; its decision is not the first
    // round's, nor the other way round; an unknown decision is not found.
    let second = api
        .ok(
            "POST",
            "/api/v1/rounds",
            &tinh.token,
            json!({"name": "Đợt bổ sung năm 2026", "meeting_on": "2026-12-20", "place": "Hội trường"}),
        )
        .await;
    let second_id = second["id"].as_str().unwrap().to_string();
    let second_uri = format!("/api/v1/rounds/{second_id}");
    api.ok(
        "POST",
        &format!("{second_uri}/seats"),
        &tinh.token,
        json!({"email": "tv0@t.vn", "seat": "chair", "agency": "Sở Nông nghiệp và Môi trường"}),
    )
    .await;
    api.ok(
        "PUT",
        &format!("{second_uri}/settings"),
        &tinh.token,
        json!({"quorum": "1"}),
    )
    .await;
    let product_d = api
        .ok(
            "POST",
            &format!("{second_uri}/products"),
            &tinh.token,
            json!({"dossier_id": dossier_d}),
        )
        .await;
    let id_d = product_d["id"].as_str().unwrap().to_string();
    api.ok(
        "POST",
        &format!("{second_uri}/actions"),
        &tinh.token,
        json!({"action": "start"}),
    )
    .await;
    api.ok(
        "POST",
        &format!("{second_uri}/products/{id_d}/card"),
        &chair.token,
        json!({"choices": mid}),
    )
    .await;
    api.ok(
        "POST",
        &format!("{second_uri}/actions"),
        &tinh.token,
        json!({"action": "close"}),
    )
    .await;
    let second_decision = api
        .ok(
            "POST",
            &format!("{second_uri}/decisions"),
            &tinh.token,
            json!({"number": "1899/QĐ-UBND", "signed_on": "2026-12-01", "signer": "Chủ tịch UBND",
                   "products": [id_d]}),
        )
        .await;
    let second_decision = second_decision["id"].as_str().unwrap();
    let minutes = api
        .fetch(
            &format!("/rounds/{second_id}/minutes.pdf"),
            Some(&tinh.cookie),
        )
        .await;
    assert_contains(&pdf_text("minutes-2", &minutes.body), &["Số: 02/BB-HĐ"]);
    for uri in [
        format!("/rounds/{round_id}/decisions/{second_decision}/annex.pdf"),
        format!("/rounds/{second_id}/decisions/{decision_id}/annex.pdf"),
        format!("/rounds/{round_id}/decisions/no-such-decision/annex.pdf"),
        format!(
            "/rounds/{round_id}/products/{id_a}/sheets/{}",
            council[3].user.id
        ),
    ] {
        let got = api.fetch(&uri, Some(&tinh.cookie)).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "GET {uri}");
    }
}
