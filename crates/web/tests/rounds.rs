//! A whole evaluation through HTTP, on whichever database the tests run on: the commune reports
//! and proposes, the province takes dossiers in (and returns one), opens a round, seats a
//! council with one conflicting member, members score blind (with every refusal the rules
//! give), a spread puts a product to a re-score, the round closes, a decision moves the
//! dossiers on, and the product of 90 points or more goes through the ministry's round to 5★.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{Catalog, EntityType, bundled_sources};
use ocop_domain::dossier::{DossierAction, EvaluationType};
use ocop_store::accounts::{self, NewUser};
use ocop_store::dossiers::{self, Opening};
use ocop_store::testing::TestDb;
use ocop_store::{audit, registry, units};
use ocop_web::{AppState, router};

mod support;
use support::{Api, Person, card, person, submitted, to_province};

/// The council's mean of `totals`, half-up to two decimals, as the API prints it.
fn mean(totals: &[u32]) -> f64 {
    let sum: u32 = totals.iter().sum();
    let n = totals.len() as u32;
    let centi = (200 * sum + n) / (2 * n);
    f64::from(centi) / 100.0
}

#[tokio::test]
async fn a_round_from_proposals_to_five_stars() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let api = Api {
        app: router(AppState::new(
            db.clone(),
            Catalog::load(&bundled_sources()).unwrap(),
        )),
    };

    // Two communes of Hồ Chí Minh City (79); product A's commune officer will sit on the council.
    let province = units::find_by_code(db, "79", None).await.unwrap().unwrap();
    let mut communes = units::children(db, province.id).await.unwrap();
    communes.sort_by(|a, b| a.code.cmp(&b.code));
    let (commune_a, commune_b) = (communes[0].code.clone(), communes[1].code.clone());
    let xa_a = person(
        db,
        "xa-a@t.vn",
        "Cán bộ xã A",
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
        "Văn phòng OCOP tỉnh",
        Role::ProvincialOfficer,
        Some("79"),
    )
    .await;
    let chair = person(
        db,
        "chutich@t.vn",
        "Chủ tịch Hội đồng",
        Role::CouncilMember,
        Some("79"),
    )
    .await;
    let mut members = Vec::new();
    for i in 1..=4 {
        members.push(
            person(
                db,
                &format!("tv{i}@t.vn"),
                &format!("Thành viên {i}"),
                Role::CouncilMember,
                Some("79"),
            )
            .await,
        );
    }
    let trunguong = person(
        db,
        "tw@t.vn",
        "Văn phòng điều phối trung ương",
        Role::CentralOfficer,
        None,
    )
    .await;
    let mut central = Vec::new();
    for i in 1..=3 {
        central.push(
            person(
                db,
                &format!("hdtw{i}@t.vn"),
                &format!("Hội đồng TW {i}"),
                Role::CentralOfficer,
                None,
            )
            .await,
        );
    }

    let dossier_a = submitted(
        db,
        &commune_a,
        1,
        "Sầu riêng Ri6",
        "Hợp tác xã Sầu riêng Ri6",
    )
    .await;
    let dossier_b = submitted(db, &commune_b, 2, "Bưởi da xanh", "Hợp tác xã Bưởi da xanh").await;
    let dossier_c = submitted(db, &commune_b, 3, "Chôm chôm", "Hợp tác xã Chôm chôm").await;

    // The commune accepts, writes Mẫu 03 and proposes; the province takes in, or returns.
    let report = json!({
        "local_materials": "Nguyên liệu trồng tại xã",
        "local_labour": "Lao động thường trú tại xã",
        "idea_origin": "Sản phẩm truyền thống",
        "local_identity": "Giống cây bản địa của vùng",
    });
    for (dossier, officer) in [
        (&dossier_a, &xa_a),
        (&dossier_b, &xa_b),
        (&dossier_c, &xa_b),
    ] {
        let actions = format!("/api/v1/dossiers/{dossier}/actions");
        let (status, _) = api
            .call(
                "POST",
                &actions,
                &officer.token,
                json!({"action": "accept"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = api
            .call(
                "PUT",
                &format!("/api/v1/dossiers/{dossier}/report"),
                &officer.token,
                report.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = api
            .call(
                "POST",
                &actions,
                &officer.token,
                json!({"action": "propose"}),
            )
            .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (StatusCode::OK, Some("proposed"))
        );
    }
    let actions_c = format!("/api/v1/dossiers/{dossier_c}/actions");
    let (status, body) = api
        .call(
            "POST",
            &actions_c,
            &tinh.token,
            json!({"action": "return_to_commune", "reason": "ngắn"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_possible"))
    );
    let (status, body) = api
        .call(
            "POST",
            &actions_c,
            &tinh.token,
            json!({"action": "return_to_commune", "reason": "Thiếu phiếu kiểm nghiệm còn hạn"}),
        )
        .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("accepted"))
    );
    let (status, _) = api
        .call(
            "POST",
            &actions_c,
            &xa_b.token,
            json!({"action": "take_in"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the province takes dossiers in"
    );
    let (status, _) = api
        .call(
            "POST",
            &actions_c,
            &xa_b.token,
            json!({"action": "propose"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for dossier in [&dossier_a, &dossier_b, &dossier_c] {
        let (status, body) = api
            .call(
                "POST",
                &format!("/api/v1/dossiers/{dossier}/actions"),
                &tinh.token,
                json!({"action": "take_in"}),
            )
            .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (StatusCode::OK, Some("taken_in"))
        );
    }
    // The advisory group pre-assesses: samples and a site visit.
    let (status, _) = api.call("PUT", &format!("/api/v1/dossiers/{dossier_a}/pre-assessment"), &tinh.token,
        json!({"samples_received": 5, "samples_received_on": "2026-11-20", "site_visit_note": "Đã khảo sát vườn và xưởng sơ chế"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api
        .call(
            "PUT",
            &format!("/api/v1/dossiers/{dossier_a}/pre-assessment"),
            &tinh.token,
            json!({"site_visit_note": "ngắn", "samples_received_on": "32/13/2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["samples_received_on", "site_visit_note"]);

    // The province opens a round; a round without a name or date is refused beside its fields.
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/rounds",
            &tinh.token,
            json!({"name": "", "meeting_on": "ngày mai", "place": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"].as_array().unwrap().len(), 3);
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/rounds",
            &chair.token,
            json!({"name": "Đợt 2", "meeting_on": "2026-12-15", "place": "UBND"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, round) = api.call("POST", "/api/v1/rounds", &tinh.token,
        json!({"name": "Đợt 2 năm 2026", "meeting_on": "2026-12-15", "place": "Hội trường UBND thành phố"})).await;
    assert_eq!(
        (status, round["state"].as_str(), round["level"].as_str()),
        (StatusCode::CREATED, Some("preparing"), Some("province"))
    );
    let round_id = round["id"].as_str().unwrap().to_string();
    let round_uri = format!("/api/v1/rounds/{round_id}");

    // The council: a chair, four members, the commune officer who proposed A (one account, a
    // second role), and the provincial officer as secretary.
    let seat = |email: &str, seat: &str| json!({"email": email, "seat": seat, "agency": "Sở Nông nghiệp và Môi trường", "position": "Phó Giám đốc"});
    for (email, role) in [
        ("chutich@t.vn", "chair"),
        ("tv1@t.vn", "member"),
        ("tv2@t.vn", "member"),
        ("tv3@t.vn", "vice_chair"),
        ("tv4@t.vn", "member"),
        ("xa-a@t.vn", "member"),
        ("tinh@t.vn", "secretary"),
    ] {
        let (status, body) = api
            .call(
                "POST",
                &format!("{round_uri}/seats"),
                &tinh.token,
                seat(email, role),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{email}: {body}");
    }
    let (status, body) = api
        .call(
            "POST",
            &format!("{round_uri}/seats"),
            &tinh.token,
            seat("nobody@t.vn", "member"),
        )
        .await;
    assert_eq!(
        (status, body["error"]["fields"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("member"))
    );
    let (status, body) = api
        .call(
            "POST",
            &format!("{round_uri}/actions"),
            &tinh.token,
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_products"))
    );
    for dossier in [&dossier_a, &dossier_b, &dossier_c] {
        let (status, product) = api
            .call(
                "POST",
                &format!("{round_uri}/products"),
                &tinh.token,
                json!({"dossier_id": dossier}),
            )
            .await;
        assert_eq!(
            (status, product["criteria_version"].as_str()),
            (StatusCode::CREATED, Some("26-2026")),
            "{product}"
        );
    }
    let (status, body) = api
        .call(
            "POST",
            &format!("{round_uri}/products"),
            &tinh.token,
            json!({"dossier_id": dossier_a}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("dossier_id"))
    );
    let detail = api.get(&round_uri, &tinh.token).await;
    let products: Vec<Value> = detail["products"].as_array().unwrap().clone();
    let id_of = |dossier: &str| {
        products
            .iter()
            .find(|p| p["dossier_id"] == dossier)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (product_a, product_b, product_c) =
        (id_of(&dossier_a), id_of(&dossier_b), id_of(&dossier_c));
    // The one conflict: the commune officer handled A's dossier; flagged on A alone, excluded
    // there, eligible elsewhere.
    let a = products
        .iter()
        .find(|p| p["id"] == product_a.as_str())
        .unwrap();
    assert_eq!(a["exclusions"].as_array().unwrap().len(), 1);
    assert_eq!(a["exclusions"][0]["member_id"], xa_a.user.id.as_str());
    assert_eq!(a["exclusions"][0]["source"], "dossier_step");
    assert_eq!(a["eligible"].as_array().unwrap().len(), 5);
    let b = products
        .iter()
        .find(|p| p["id"] == product_b.as_str())
        .unwrap();
    assert!(b["exclusions"].as_array().unwrap().is_empty());
    assert_eq!(b["eligible"].as_array().unwrap().len(), 6);
    assert_eq!(detail["council"].as_array().unwrap().len(), 7);
    let (status, _) = api
        .call(
            "POST",
            &format!("{round_uri}/actions"),
            &chair.token,
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the office starts the round, not the chair"
    );
    let (status, body) = api
        .call(
            "POST",
            &format!("{round_uri}/actions"),
            &tinh.token,
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("scoring"))
    );

    // Scoring. Refusals first: conflicted, not on the council, secretary, missing criterion,
    // an option that does not apply to a cooperative.
    let (best, best_total) = card(&catalog, 0);
    let (mid, mid_total) = card(&catalog, 6);
    let (low, low_total) = card(&catalog, 40);
    assert!(
        best_total >= 90 && (70..90).contains(&mid_total) && low_total < 50,
        "{best_total} {mid_total} {low_total}"
    );
    let card_uri = |product: &str| format!("{round_uri}/products/{product}/card");
    let (status, body) = api
        .call(
            "PUT",
            &card_uri(&product_a),
            &xa_a.token,
            json!({"choices": best}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("conflicted"))
    );
    let (status, body) = api
        .call(
            "POST",
            &card_uri(&product_a),
            &tinh.token,
            json!({"choices": best}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_assigned"))
    );
    let (status, _) = api
        .call(
            "POST",
            &card_uri(&product_a),
            &trunguong.token,
            json!({"choices": best}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut incomplete = best.clone();
    let dropped = incomplete.keys().next().unwrap().clone();
    incomplete.remove(&dropped);
    let (status, body) = api
        .call(
            "POST",
            &card_uri(&product_a),
            &chair.token,
            json!({"choices": incomplete}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_card"))
    );
    assert!(
        body["error"]["details"][0]
            .as_str()
            .unwrap()
            .contains(&dropped)
    );
    let version = catalog.version("26-2026").unwrap();
    let token = version.token_for(EntityType::Cooperative);
    let (criterion, option) = version
        .set("P01")
        .unwrap()
        .sheet
        .criteria()
        .find_map(|(_, c)| {
            c.options
                .iter()
                .find(|o| !o.applies_to_token(token))
                .map(|o| (c.code.clone(), o.number))
        })
        .expect("an option that does not apply to a cooperative");
    let mut wrong = best.clone();
    wrong.insert(criterion.clone(), option);
    let (status, body) = api
        .call(
            "PUT",
            &card_uri(&product_a),
            &chair.token,
            json!({"choices": wrong}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_card"))
    );
    assert!(
        body["error"]["details"][0]
            .as_str()
            .unwrap()
            .contains("does not apply"),
        "{body}"
    );

    // Product A: the five eligible members score it 100; two of them at the same instant.
    let scorers = [&chair, &members[0], &members[1], &members[2], &members[3]];
    let (status, _) = api
        .call(
            "PUT",
            &card_uri(&product_a),
            &chair.token,
            json!({"choices": mid}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "a draft");
    // Blind: before their own card, members see no card, total or mean of others.
    let (status, _) = api
        .call(
            "POST",
            &card_uri(&product_a),
            &members[0].token,
            json!({"choices": best}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let seen = api
        .get(&format!("{round_uri}/products/{product_a}"), &chair.token)
        .await;
    assert!(seen["cards"].as_array().unwrap().is_empty(), "{seen}");
    assert!(seen["result"].is_null() && seen["status"].is_null());
    assert_eq!(seen["submitted"], json!([members[0].user.id]));
    assert_eq!(
        seen["my_card"]["choices"],
        json!(mid),
        "the chair's own draft"
    );
    let sheet_page = format!("/rounds/{round_id}/products/{product_a}");
    let (status, page) = api.page(&sheet_page, &chair.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"id="blind""#) && !page.contains(r#"id="cards""#));
    assert!(
        !page.contains("Thành viên 1"),
        "no other member's card on the page"
    );
    // The conflicted member cannot score on the page either, and sees no scores there.
    let mut fields: Vec<(String, String)> = best
        .iter()
        .map(|(c, o)| (format!("c:{c}"), o.to_string()))
        .collect();
    fields.push(("intent".into(), "submit".into()));
    let (status, _) = api
        .post_form(
            &format!("/rounds/{round_id}/products/{product_a}/card"),
            &xa_a,
            &fields,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, page) = api.page(&sheet_page, &xa_a.cookie).await;
    assert!(
        page.contains("Bạn không chấm sản phẩm này do xung đột lợi ích")
            && !page.contains(r#"id="card""#)
    );
    let excluded_view = api
        .get(&format!("{round_uri}/products/{product_a}"), &xa_a.token)
        .await;
    assert!(
        excluded_view["cards"].as_array().unwrap().is_empty() && excluded_view["result"].is_null()
    );
    let card_a = card_uri(&product_a);
    let (first, second) = tokio::join!(
        api.call("POST", &card_a, &chair.token, json!({"choices": best})),
        api.call("POST", &card_a, &members[1].token, json!({"choices": best})),
    );
    assert_eq!(
        (first.0, second.0),
        (StatusCode::OK, StatusCode::OK),
        "{} {}",
        first.1,
        second.1
    );
    // A second submission, and a late autosave from another tab, are refused; the card stays.
    let (status, body) = api
        .call(
            "POST",
            &card_uri(&product_a),
            &chair.token,
            json!({"choices": low}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("already_submitted"))
    );
    let (status, _) = api
        .call(
            "PUT",
            &card_uri(&product_a),
            &chair.token,
            json!({"choices": low}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let seen = api
        .get(&format!("{round_uri}/products/{product_a}"), &chair.token)
        .await;
    assert_eq!(seen["my_card"]["choices"], json!(best));
    assert_eq!(seen["my_card"]["total"], best_total);
    assert_eq!(
        seen["cards"].as_array().unwrap().len(),
        2,
        "once submitted, the chair sees the others"
    );
    let (_, page) = api.page(&sheet_page, &chair.cookie).await;
    assert!(
        page.contains(r#"id="cards""#)
            && page.contains("Thành viên 1")
            && !page.contains(r#"id="blind""#)
    );
    for member in &scorers[3..] {
        let (status, _) = api
            .call(
                "POST",
                &card_uri(&product_a),
                &member.token,
                json!({"choices": best}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let seen = api
        .get(&format!("{round_uri}/products/{product_a}"), &tinh.token)
        .await;
    assert_eq!(seen["status"], "result");
    assert_eq!(seen["result"]["mean"], mean(&[best_total; 5]));
    assert_eq!(seen["result"]["outcome"], "recognised");
    assert_eq!(seen["result"]["stars"], 5);

    // Product B: totals 100 and 7x apart — discussion; the chair opens a re-score.
    let everyone = [
        &chair,
        &members[0],
        &members[1],
        &members[2],
        &members[3],
        &xa_a,
    ];
    for (i, member) in everyone.iter().enumerate() {
        let choices = if i < 3 { &best } else { &mid };
        let (status, body) = api
            .call(
                "POST",
                &card_uri(&product_b),
                &member.token,
                json!({"choices": choices}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let seen = api
        .get(&format!("{round_uri}/products/{product_b}"), &tinh.token)
        .await;
    assert_eq!(seen["status"], "discussion");
    assert_eq!(seen["result"]["spread"], best_total - mid_total);
    assert_eq!(seen["result"]["outcome"], "needs_discussion");
    let (status, body) = api
        .call(
            "POST",
            &format!("{round_uri}/actions"),
            &tinh.token,
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_final"))
    );
    let rescore = format!("{round_uri}/products/{product_b}/rescore");
    let (status, _) = api
        .call(
            "POST",
            &rescore,
            &members[0].token,
            json!({"reason": "Chênh lệch quá 10 điểm"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the chair re-scores");
    let (status, body) = api
        .call("POST", &rescore, &chair.token, json!({"reason": "ngắn"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason_required"))
    );
    let (status, body) = api
        .call(
            "POST",
            &rescore,
            &chair.token,
            json!({"reason": "Chênh lệch quá 10 điểm, hội đồng thảo luận"}),
        )
        .await;
    assert_eq!((status, body["pass"].as_u64()), (StatusCode::OK, Some(2)));
    for member in everyone {
        let (status, _) = api
            .call(
                "POST",
                &card_uri(&product_b),
                &member.token,
                json!({"choices": mid}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let seen = api
        .get(&format!("{round_uri}/products/{product_b}"), &chair.token)
        .await;
    assert_eq!(seen["status"], "result");
    assert_eq!(seen["result"]["mean"], mean(&[mid_total; 6]));
    assert_eq!(seen["result"]["band_stars"], 4);
    let stars_b = seen["result"]["stars"].as_u64().unwrap();
    assert!(stars_b == 3 || stars_b == 4);
    // Every earlier card stays: six of pass 1, six of pass 2 (the chair sees the other five).
    let passes: Vec<u64> = seen["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pass"].as_u64().unwrap())
        .collect();
    assert_eq!(passes.iter().filter(|p| **p == 1).count(), 5);
    assert_eq!(passes.iter().filter(|p| **p == 2).count(), 5);
    assert_eq!(
        seen["rescores"][0]["reason"],
        "Chênh lệch quá 10 điểm, hội đồng thảo luận"
    );

    // Product C: low cards — not recognised.
    for member in everyone {
        let (status, _) = api
            .call(
                "POST",
                &card_uri(&product_c),
                &member.token,
                json!({"choices": low}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }

    // The secretary's overview: everyone's progress, as a page.
    let (status, overview) = api
        .page(&format!("/rounds/{round_id}/overview"), &tinh.cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(overview.contains("17/17"), "5 + 6 + 6 cards");
    // Closing keeps every result; the closed round is locked.
    let (status, closed) = api
        .call(
            "POST",
            &format!("{round_uri}/actions"),
            &tinh.token,
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(
        (status, closed["state"].as_str()),
        (StatusCode::OK, Some("closed"))
    );
    let outcome = |detail: &Value, id: &str| {
        let p = detail["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
            .clone();
        (
            p["outcome"].as_str().unwrap().to_string(),
            p["final_score"].as_f64().unwrap(),
        )
    };
    assert_eq!(
        outcome(&closed, &product_a),
        ("approved_for_ministry".into(), mean(&[best_total; 5]))
    );
    assert_eq!(
        outcome(&closed, &product_b),
        ("recognised".into(), mean(&[mid_total; 6]))
    );
    assert_eq!(outcome(&closed, &product_c).0, "not_recognised");
    let (status, body) = api
        .call(
            "POST",
            &card_uri(&product_c),
            &chair.token,
            json!({"choices": low}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("round_not_scoring"))
    );
    let (status, body) = api
        .call(
            "POST",
            &format!("{round_uri}/seats"),
            &tinh.token,
            seat("tv1@t.vn", "member"),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("round_locked"))
    );

    // The decision: a number in form, products of the round only.
    let decisions = format!("{round_uri}/decisions");
    let later = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    let (status, body) = api.call("POST", &decisions, &tinh.token, json!({"number": "", "signed_on": later, "signer": "Phó Chủ tịch UBND", "products": [product_a]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Vec<(&str, &str)> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        refused,
        [("number", "required"), ("signed_on", "future_date")]
    );
    let (status, body) = api.call("POST", &decisions, &tinh.token, json!({"number": "1898/QD-UBND", "signed_on": "2026-12-01", "signer": "Phó Chủ tịch UBND", "products": [product_a]})).await;
    assert_eq!(
        (status, body["error"]["fields"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("decision_number"))
    );
    let (status, body) = api.call("POST", &decisions, &tinh.token, json!({"number": "1898/QĐ-UBND", "signed_on": "2026-12-01", "signer": "Phó Chủ tịch UBND", "products": ["not-a-product"]})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_in_round"))
    );
    let (status, decision) = api.call("POST", &decisions, &tinh.token,
        json!({"number": "1898/QĐ-UBND", "signed_on": "2026-12-01", "signer": "Phó Chủ tịch UBND thành phố", "products": [product_a, product_b, product_c]})).await;
    assert_eq!(status, StatusCode::CREATED, "{decision}");
    let items: BTreeMap<String, (String, Value)> = decision["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["round_product_id"].as_str().unwrap().to_string(),
                (
                    i["outcome"].as_str().unwrap().to_string(),
                    i["stars"].clone(),
                ),
            )
        })
        .collect();
    assert_eq!(
        items[&product_a],
        ("approved_for_ministry".into(), Value::Null)
    );
    assert_eq!(items[&product_b], ("recognised".into(), json!(stars_b)));
    assert_eq!(items[&product_c], ("not_recognised".into(), Value::Null));
    let state = |dossier: String| async move {
        dossiers::find(db, &Scope::National, &dossier)
            .await
            .unwrap()
            .unwrap()
            .state
            .as_str()
    };
    assert_eq!(state(dossier_a.clone()).await, "awaiting_ministry");
    assert_eq!(state(dossier_b.clone()).await, "recognised");
    assert_eq!(state(dossier_c.clone()).await, "not_recognised");

    // The ministry's round: a central officer opens it, the product of 90 or more joins it
    // with the province's result as its source, the central council scores it 5★.
    let (status, ministry) = api.call("POST", "/api/v1/rounds", &trunguong.token,
        json!({"name": "Đợt 1 năm 2027 (trung ương)", "meeting_on": "2027-03-10", "place": "Bộ Nông nghiệp và Môi trường"})).await;
    assert_eq!(
        (status, ministry["level"].as_str()),
        (StatusCode::CREATED, Some("ministry"))
    );
    let ministry_uri = format!("/api/v1/rounds/{}", ministry["id"].as_str().unwrap());
    for (i, member) in central.iter().enumerate() {
        let role = if i == 0 { "chair" } else { "member" };
        let (status, body) = api.call("POST", &format!("{ministry_uri}/seats"), &trunguong.token,
            json!({"email": member.user.email, "seat": role, "agency": "Bộ Nông nghiệp và Môi trường"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = api
        .call(
            "PUT",
            &format!("{ministry_uri}/settings"),
            &trunguong.token,
            json!({"quorum": "3"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .call(
            "POST",
            &format!("{ministry_uri}/products"),
            &trunguong.token,
            json!({"dossier_id": dossier_b}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only products awaiting the ministry: {body}"
    );
    let (status, central_a) = api
        .call(
            "POST",
            &format!("{ministry_uri}/products"),
            &trunguong.token,
            json!({"dossier_id": dossier_a}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let central_a = central_a["id"].as_str().unwrap().to_string();
    assert_eq!(state(dossier_a.clone()).await, "in_round");
    let (status, _) = api
        .call(
            "POST",
            &format!("{ministry_uri}/actions"),
            &trunguong.token,
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for member in &central {
        let (status, _) = api
            .call(
                "POST",
                &format!("{ministry_uri}/products/{central_a}/card"),
                &member.token,
                json!({"choices": best}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, closed) = api
        .call(
            "POST",
            &format!("{ministry_uri}/actions"),
            &trunguong.token,
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome(&closed, &central_a).0, "recognised");
    let (status, decision) = api.call("POST", &format!("{ministry_uri}/decisions"), &trunguong.token,
        json!({"number": "2361/QĐ-BNNMT", "signed_on": "2026-12-01", "signer": "Thứ trưởng Bộ NN&MT", "products": [central_a]})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(decision["products"][0]["stars"], 5);
    assert_eq!(state(dossier_a.clone()).await, "recognised");

    // The ministry's product carries the province's result and decision; the dossier's record
    // says who was excluded and why.
    let central_page = format!(
        "/rounds/{}/products/{central_a}",
        ministry["id"].as_str().unwrap()
    );
    let (status, page) = api.page(&central_page, &trunguong.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Kết quả cấp tỉnh") && page.contains("1898/QĐ-UBND"),
        "{page}"
    );
    let (_, page) = api
        .page(&format!("/dossiers/{dossier_a}"), &tinh.cookie)
        .await;
    assert!(page.contains("⊘ Cán bộ xã A: đã xử lý hồ sơ này"), "{page}");
    assert!(page.contains("Đợt 2 năm 2026") && page.contains("Đợt 1 năm 2027 (trung ương)"));

    // The province's mean beside the central council's, in the analytics.
    let analytics = api
        .get(&format!("{round_uri}/analytics"), &tinh.token)
        .await;
    let row = analytics["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["round_product_id"] == product_a.as_str())
        .unwrap();
    assert_eq!(row["other_level_score"], mean(&[best_total; 3]));
    assert_eq!(analytics["provinces"][0]["province_code"], "79");
    assert!(analytics["alpha"].is_number(), "{analytics}");

    // Every step is in the dossier's history.
    let steps: Vec<String> = audit::history(db, "dossier", &dossier_a)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        steps,
        [
            "dossier.create",
            "dossier.submit",
            "dossier.accept",
            "dossier.commune_report",
            "dossier.propose",
            "dossier.take_in",
            "dossier.pre_assess",
            "dossier.add_to_round",
            "dossier.decided",
            "dossier.add_to_round",
            "dossier.decided"
        ]
    );
    let b_history: Vec<String> = audit::history(db, "round_product", &product_b)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        b_history
            .iter()
            .filter(|a| *a == "round.submit_card")
            .count(),
        12
    );
    assert_eq!(
        b_history.iter().filter(|a| *a == "round.rescore").count(),
        1
    );
    let a_history: Vec<String> = audit::history(db, "round_product", &product_a)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        a_history.first().map(String::as_str),
        Some("round.conflict_flagged")
    );
    assert!(audit::verify(db).await.unwrap().is_ok());
}

/// Takes a submitted dossier through the commune and into the province, by the API.
/// A round of `organiser`'s level with one dossier, scored by `members` with `choices`, closed and
/// decided: the round product's id.
#[allow(clippy::too_many_arguments)]
async fn decided_round(
    api: &Api,
    organiser: &Person,
    members: &[&Person],
    dossier: &str,
    choices: &BTreeMap<String, u32>,
    number: &str,
    name: &str,
) -> (String, String) {
    let (status, round) = api
        .call(
            "POST",
            "/api/v1/rounds",
            &organiser.token,
            json!({"name": name, "meeting_on": "2026-12-10", "place": "Hội trường"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{round}");
    let uri = format!("/api/v1/rounds/{}", round["id"].as_str().unwrap());
    for (i, member) in members.iter().enumerate() {
        let seat = if i == 0 { "chair" } else { "member" };
        let (status, body) = api.call("POST", &format!("{uri}/seats"), &organiser.token,
            json!({"email": member.user.email, "seat": seat, "agency": "Sở Nông nghiệp và Môi trường"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = api
        .call(
            "PUT",
            &format!("{uri}/settings"),
            &organiser.token,
            json!({"quorum": members.len().to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, product) = api
        .call(
            "POST",
            &format!("{uri}/products"),
            &organiser.token,
            json!({"dossier_id": dossier}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let product = product["id"].as_str().unwrap().to_string();
    for (action, _) in [("start", ())] {
        let (status, body) = api
            .call(
                "POST",
                &format!("{uri}/actions"),
                &organiser.token,
                json!({"action": action}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for member in members {
        let (status, body) = api
            .call(
                "POST",
                &format!("{uri}/products/{product}/card"),
                &member.token,
                json!({"choices": choices}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = api
        .call(
            "POST",
            &format!("{uri}/actions"),
            &organiser.token,
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api.call("POST", &format!("{uri}/decisions"), &organiser.token,
        json!({"number": number, "signed_on": "2026-12-01", "signer": "Người ký", "products": [product]})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (uri, product)
}

#[tokio::test]
async fn legacy_results_the_fallback_below_ninety_and_five_star_reevaluations() {
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
    let commune = communes[0].code.clone();
    let xa = person(
        db,
        "xa@t.vn",
        "Cán bộ xã",
        Role::CommuneOfficer,
        Some(&commune),
    )
    .await;
    let tinh = person(
        db,
        "tinh@t.vn",
        "Văn phòng OCOP tỉnh",
        Role::ProvincialOfficer,
        Some("79"),
    )
    .await;
    let tw = person(
        db,
        "tw@t.vn",
        "Văn phòng trung ương",
        Role::CentralOfficer,
        None,
    )
    .await;
    let council = [
        person(
            db,
            "c1@t.vn",
            "Thành viên 1",
            Role::CouncilMember,
            Some("79"),
        )
        .await,
        person(
            db,
            "c2@t.vn",
            "Thành viên 2",
            Role::CouncilMember,
            Some("79"),
        )
        .await,
    ];
    let central = [
        person(db, "t1@t.vn", "Trung ương 1", Role::CentralOfficer, None).await,
        person(db, "t2@t.vn", "Trung ương 2", Role::CentralOfficer, None).await,
    ];
    let (best, _) = card(&catalog, 0);
    let (mid, mid_total) = card(&catalog, 6);
    let (low, _) = card(&catalog, 40);

    // A legacy round of May 2024 records a result as decided under QĐ 148.
    let dossier_l = submitted(db, &commune, 10, "Bưởi cũ", "Hợp tác xã Bưởi cũ").await;
    let code_l = dossiers::find(db, &Scope::National, &dossier_l)
        .await
        .unwrap()
        .unwrap()
        .product_id;
    let code_l = registry::product(db, &Scope::National, &code_l)
        .await
        .unwrap()
        .unwrap()
        .code;
    let (status, legacy) = api.call("POST", "/api/v1/rounds", &tinh.token,
        json!({"name": "Đợt 1 năm 2024", "kind": "legacy", "meeting_on": "2024-05-10", "place": "UBND tỉnh"})).await;
    assert_eq!(
        (status, legacy["state"].as_str(), legacy["kind"].as_str()),
        (StatusCode::CREATED, Some("closed"), Some("legacy"))
    );
    let (status, body) = api.call("POST", "/api/v1/rounds", &tinh.token,
        json!({"name": "Đợt sai", "kind": "legacy", "meeting_on": "2025-08-10", "place": "UBND tỉnh"})).await;
    assert_eq!(
        (status, body["error"]["fields"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("legacy_date"))
    );
    let legacy_uri = format!(
        "/api/v1/rounds/{}/legacy-results",
        legacy["id"].as_str().unwrap()
    );
    let (status, body) = api.call("POST", &legacy_uri, &tinh.token,
        json!({"product_code": "79-00000-1-2024", "criteria_version": "26-2026", "score": "101"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["product_code", "criteria_version", "score"]);
    let (status, recorded) = api
        .call(
            "POST",
            &legacy_uri,
            &tinh.token,
            json!({"product_code": code_l, "criteria_version": "148", "score": "72,50"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert_eq!(
        (
            recorded["final_score"].as_f64(),
            recorded["final_stars"].as_u64(),
            recorded["outcome"].as_str()
        ),
        (Some(72.5), Some(4), Some("recognised"))
    );
    assert_eq!(recorded["criteria_version"], "148");
    let (status, _) = api
        .call(
            "POST",
            &legacy_uri,
            &xa.token,
            json!({"product_code": code_l, "criteria_version": "148", "score": "60"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the commune does not see the province's rounds"
    );

    // ≥ 90 at the province, below 90 at the ministry: the province recognises on that result.
    let dossier_f = submitted(
        db,
        &commune,
        11,
        "Sầu riêng dưới chín mươi",
        "Hợp tác xã Sầu riêng dưới chín mươi",
    )
    .await;
    to_province(&api, &dossier_f, &xa, &tinh).await;
    let members: Vec<&Person> = council.iter().collect();
    decided_round(
        &api,
        &tinh,
        &members,
        &dossier_f,
        &best,
        "100/QĐ-UBND",
        "Đợt tỉnh",
    )
    .await;
    let centrals: Vec<&Person> = central.iter().collect();
    let (ministry_uri, central_f) = decided_round(
        &api,
        &tw,
        &centrals,
        &dossier_f,
        &mid,
        "200/QĐ-BNNMT",
        "Đợt trung ương",
    )
    .await;
    let state = |dossier: String| async move {
        dossiers::find(db, &Scope::National, &dossier)
            .await
            .unwrap()
            .unwrap()
            .state
            .as_str()
    };
    assert_eq!(state(dossier_f.clone()).await, "below_ministry_threshold");
    let fallback = format!("{ministry_uri}/products/{central_f}/fallback");
    let recognise = json!({"choice": "recognise", "number": "300/QĐ-UBND", "signed_on": "2026-12-01", "signer": "Chủ tịch UBND"});
    let (status, _) = api
        .call("POST", &fallback, &tw.token, recognise.clone())
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the province decides, not the ministry"
    );
    let (status, body) = api.call("POST", &fallback, &tinh.token, json!({"choice": "recognise", "number": "300/QD", "signed_on": "2026-12-01", "signer": "Chủ tịch UBND"})).await;
    assert_eq!(
        (status, body["error"]["fields"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("decision_number"))
    );
    let (status, body) = api
        .call("POST", &fallback, &tinh.token, recognise.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(state(dossier_f.clone()).await, "recognised");
    let detail = api.get(&ministry_uri, &tinh.token).await;
    let last = detail["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["number"] == "300/QĐ-UBND")
        .unwrap();
    // The province recognises the central council's star (its band, or lower by a minimum).
    let central_row = detail["products"].as_array().unwrap()[0].clone();
    assert!(mid_total >= 70 && central_row["final_score"].as_f64().unwrap() < 90.0);
    assert_eq!(last["products"][0]["stars"], central_row["final_stars"]);
    assert!(matches!(central_row["final_stars"].as_u64(), Some(3 | 4)));
    let (status, body) = api
        .call(
            "POST",
            &fallback,
            &tinh.token,
            json!({"choice": "reevaluate", "reason": "Đánh giá lại cấp tỉnh"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("already_decided"))
    );

    // A 5★ product's re-evaluation goes straight to the ministry; a first evaluation does not.
    let dossier_5 = submitted(
        db,
        &commune,
        12,
        "Sầu riêng năm sao",
        "Hợp tác xã Sầu riêng năm sao",
    )
    .await;
    to_province(&api, &dossier_5, &xa, &tinh).await;
    decided_round(
        &api,
        &tinh,
        &members,
        &dossier_5,
        &best,
        "101/QĐ-UBND",
        "Đợt tỉnh 2",
    )
    .await;
    decided_round(
        &api,
        &tw,
        &centrals,
        &dossier_5,
        &best,
        "201/QĐ-BNNMT",
        "Đợt trung ương 2",
    )
    .await;
    assert_eq!(state(dossier_5.clone()).await, "recognised");
    let product_5 = dossiers::find(db, &Scope::National, &dossier_5)
        .await
        .unwrap()
        .unwrap()
        .product_id;
    let again = dossiers::create(
        db,
        &Scope::National,
        &product_5,
        Opening {
            evaluation_type: EvaluationType::Reevaluation,
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
        &again.id,
        &DossierAction::Submit,
        Role::Producer,
        &[],
        "producer",
    )
    .await
    .unwrap();
    to_province(&api, &again.id, &xa, &tinh).await;
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/v1/dossiers/{dossier_l}/actions"),
            &tinh.token,
            json!({"action": "forward_to_ministry"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, moved) = api
        .call(
            "POST",
            &format!("/api/v1/dossiers/{}/actions", again.id),
            &tinh.token,
            json!({"action": "forward_to_ministry"}),
        )
        .await;
    assert_eq!(
        (status, moved["state"].as_str()),
        (StatusCode::OK, Some("awaiting_ministry")),
        "{moved}"
    );

    // A producer whose product was not recognised sees the council's result per part and the
    // way to the next star.
    let dossier_n = submitted(
        db,
        &commune,
        13,
        "Chôm chôm chưa đạt",
        "Hợp tác xã Chôm chôm chưa đạt",
    )
    .await;
    to_province(&api, &dossier_n, &xa, &tinh).await;
    decided_round(
        &api,
        &tinh,
        &members,
        &dossier_n,
        &low,
        "102/QĐ-UBND",
        "Đợt tỉnh 3",
    )
    .await;
    assert_eq!(state(dossier_n.clone()).await, "not_recognised");
    let entity = dossiers::find(db, &Scope::National, &dossier_n)
        .await
        .unwrap()
        .unwrap()
        .entity_id;
    let producer = accounts::create_user(
        db,
        NewUser {
            email: "sx@t.vn".into(),
            name: "Chủ thể".into(),
            role: Role::Producer,
            unit_code: None,
            entity_id: Some(entity),
            password: "mật khẩu thật dài 2026".into(),
        },
        "test",
    )
    .await
    .unwrap();
    let (session, _) = accounts::create_session(db, &producer).await.unwrap();
    let (status, page) = api
        .page(
            &format!("/dossiers/{dossier_n}"),
            &format!("ocop_session={session}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Kết quả của hội đồng theo phần") && page.contains(r#"id="council-result""#),
        "{page}"
    );
    assert!(
        page.contains("Để đạt 2 sao (30.00 điểm), cải thiện:")
            && page.contains("<td class=\"num\">11.00</td>"),
        "the upgrade advice: {page}"
    );
    assert!(page.contains("Không công nhận"));
}
