//! A round in the database: a dossier taken in, a council with a conflict flagged from the
//! dossier's history, drafts and submissions (once, concurrent ones both kept), a re-score,
//! closing, a decision that moves the dossier on, and who sees which round.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::Level;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::dossier::{DossierAction, DossierState, EvaluationType};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_domain::rounds::conflicts::ConflictSource;
use ocop_domain::rounds::council::Seat;
use ocop_domain::rounds::decision::{DecisionNumber, ProductOutcome};
use ocop_domain::rounds::scoring::CardError;
use ocop_domain::rounds::{RoundKind, RoundState};
use ocop_store::accounts::{self, NewUser, User};
use ocop_store::dossiers::{self, Opening};
use ocop_store::rounds::{self, FinalResult, NewRound, NewSeat, RoundAccess, RoundStoreError};
use ocop_store::testing::TestDb;
use ocop_store::{Db, registry};

async fn user(db: &Db, email: &str, role: Role, unit: Option<&str>) -> User {
    accounts::create_user(
        db,
        NewUser {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            role,
            unit_code: unit.map(str::to_string),
            entity_id: None,
            password: "mật khẩu đủ dài 2026".into(),
        },
        "t",
    )
    .await
    .unwrap()
}

/// A confirmed entity in commune 26882 of Hồ Chí Minh (79) with a dossier the province took in,
/// proposed by `commune`.
async fn taken_in(db: &Db, commune: &User, officer: &User) -> (String, String) {
    dossier_after(db, commune, officer, 4).await
}

/// The same dossier after its first `steps` steps (submit, accept, propose, take in).
async fn dossier_after(db: &Db, commune: &User, officer: &User, steps: usize) -> (String, String) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let entity = registry::create(
        db,
        &check_entity(
            &EntityForm {
                kind: "cooperative".into(),
                registration_code: "HTX-26882-1".into(),
                name: "Hợp tác xã Nông nghiệp Xuân Lập".into(),
                representative: "Trần Thị Lan".into(),
                address: "Ấp 3".into(),
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
                name: "Sầu riêng Ri6 Xuân Lập".into(),
                product_set: "P01".into(),
                description: "Sầu riêng tươi".into(),
                ..ProductForm::default()
            },
            "26-2026",
            &["P01"],
        )
        .unwrap(),
        "t",
    )
    .await
    .unwrap()
    .unwrap();
    let dossier = dossiers::create(
        db,
        &Scope::National,
        &product.id,
        Opening {
            evaluation_type: EvaluationType::FirstTime,
            contact_phone: Some("0909 123 456".into()),
            criteria_version: Some("26-2026".into()),
            filed_at_ms: None,
        },
        "producer",
    )
    .await
    .unwrap();
    let count = steps;
    let steps = [
        (DossierAction::Submit, Role::Producer, "producer"),
        (
            DossierAction::Accept,
            Role::CommuneOfficer,
            commune.id.as_str(),
        ),
        (
            DossierAction::Propose,
            Role::CommuneOfficer,
            commune.id.as_str(),
        ),
        (
            DossierAction::TakeIn,
            Role::ProvincialOfficer,
            officer.id.as_str(),
        ),
    ];
    for (action, role, actor) in steps.into_iter().take(count) {
        dossiers::apply(db, &Scope::National, &dossier.id, &action, role, &[], actor)
            .await
            .unwrap();
    }
    (dossier.id, entity.id)
}

/// A full card: every criterion on its highest (`best`) or lowest applicable option.
fn card(catalog: &Catalog, best: bool) -> (BTreeMap<String, u32>, u32) {
    let version = catalog.version("26-2026").unwrap();
    let set = version.set("P01").unwrap();
    let token = version.token_for(ocop_domain::criteria::EntityType::Cooperative);
    let mut total = 0;
    let choices = set
        .sheet
        .criteria()
        .map(|(_, c)| {
            let applicable = c.options.iter().filter(|o| o.applies_to_token(token));
            let option = if best {
                applicable.max_by_key(|o| o.points)
            } else {
                applicable.min_by_key(|o| o.points)
            }
            .unwrap();
            total += option.points;
            (c.code.clone(), option.number)
        })
        .collect();
    (choices, total)
}

#[tokio::test]
async fn a_round_from_taking_in_to_decision() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let officer = user(db, "tinh@t.vn", Role::ProvincialOfficer, Some("79")).await;
    let commune = user(db, "xa@t.vn", Role::CommuneOfficer, Some("26882")).await;
    let chair = user(db, "chutich@t.vn", Role::CouncilMember, Some("79")).await;
    let members = [
        user(db, "tv1@t.vn", Role::CouncilMember, Some("79")).await,
        user(db, "tv2@t.vn", Role::CouncilMember, Some("79")).await,
        user(db, "tv3@t.vn", Role::CouncilMember, Some("79")).await,
    ];
    let elsewhere = user(db, "tv@khac.vn", Role::CouncilMember, Some("75")).await;
    let (dossier_id, _) = taken_in(db, &commune, &officer).await;

    let round = rounds::create(
        db,
        NewRound {
            name: "Đợt 2 năm 2026".into(),
            level: Level::Province,
            kind: RoundKind::Online,
            province_code: Some("79".into()),
            meeting_on: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            place: "Hội trường UBND tỉnh".into(),
        },
        &officer.id,
    )
    .await
    .unwrap();
    assert_eq!(round.state, RoundState::Preparing);

    let seat = |user: &User, seat: Seat| NewSeat {
        user_id: user.id.clone(),
        seat,
        agency: "Sở Nông nghiệp và Môi trường".into(),
        position: "Phó Giám đốc".into(),
        organisation: "Sở Nông nghiệp và Môi trường".into(),
    };
    rounds::set_seat(db, &round, seat(&chair, Seat::Chair), &officer.id)
        .await
        .unwrap();
    for member in &members {
        rounds::set_seat(db, &round, seat(member, Seat::Member), &officer.id)
            .await
            .unwrap();
    }
    // The commune officer who proposed the dossier is invited on the council: one account.
    rounds::set_seat(db, &round, seat(&commune, Seat::Member), &officer.id)
        .await
        .unwrap();
    rounds::set_seat(db, &round, seat(&officer, Seat::Secretary), &officer.id)
        .await
        .unwrap();
    assert!(matches!(
        rounds::set_seat(db, &round, seat(&elsewhere, Seat::Member), &officer.id).await,
        Err(RoundStoreError::Invalid("user_id", "other_province"))
    ));
    let seats = rounds::seats(db, &round.id).await.unwrap();
    assert_eq!(seats.len(), 6);
    assert_eq!(seats[0].seat, Seat::Chair);

    let product = rounds::add_product(db, &round, &dossier_id, "26-2026", &officer.id)
        .await
        .unwrap();
    assert_eq!(
        (product.pass, product.criteria_version.as_str()),
        (1, "26-2026")
    );
    let dossier = dossiers::find(db, &Scope::National, &dossier_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dossier.state, DossierState::InRound);
    assert!(matches!(
        rounds::add_product(db, &round, &dossier_id, "26-2026", &officer.id).await,
        Err(RoundStoreError::Invalid(
            "dossier_id",
            "not_ready_for_round"
        ))
    ));

    // A council member sees the round's entity, product and dossier, and nothing else of the
    // province: not the entity's other product.
    let other = registry::add_product(
        db,
        &Scope::National,
        &product.entity_id,
        &check_product(
            &ProductForm {
                name: "Bơ sáp Xuân Lập".into(),
                product_set: "P01".into(),
                description: "Bơ tươi".into(),
                ..ProductForm::default()
            },
            "26-2026",
            &["P01"],
        )
        .unwrap(),
        "t",
    )
    .await
    .unwrap()
    .unwrap();
    let seated = Scope::Seats(members[0].id.clone());
    assert_eq!(registry::list(db, &seated, None).await.unwrap().len(), 1);
    let visible: Vec<String> = registry::products(db, &seated, None)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(visible, std::slice::from_ref(&product.product_id));
    assert!(
        registry::product(db, &seated, &other.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(dossiers::list(db, &seated, None).await.unwrap().len(), 1);
    let unseated = Scope::Seats(elsewhere.id.clone());
    assert!(
        registry::list(db, &unseated, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        dossiers::find(db, &unseated, &dossier_id)
            .await
            .unwrap()
            .is_none()
    );

    // The commune officer's steps on the dossier flag a conflict; the chair may clear a flag.
    let conflicts = rounds::conflicts(db, &round.id).await.unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(
        (conflicts[0].member_id.as_str(), conflicts[0].source),
        (commune.id.as_str(), ConflictSource::DossierStep)
    );
    rounds::declare_conflict(
        db,
        &round,
        &product.id,
        &members[2].id,
        "Chồng tôi là thành viên HTX",
    )
    .await
    .unwrap();
    let declared = rounds::conflicts(db, &round.id).await.unwrap();
    let declared = declared
        .iter()
        .find(|c| c.source == ConflictSource::Declared)
        .unwrap();
    assert!(matches!(
        rounds::clear_conflict(
            db,
            &round,
            &declared.id,
            "Không có quan hệ thực tế",
            &chair.id
        )
        .await,
        Err(RoundStoreError::Invalid("conflict", "not_clearable"))
    ));

    // Scoring: drafts, then one submission each; a late autosave never overwrites it.
    rounds::set_state(db, &round, RoundState::Scoring, "start", &[], &officer.id)
        .await
        .unwrap();
    let round = rounds::find(db, &RoundAccess::All, &round.id)
        .await
        .unwrap()
        .unwrap();
    let (high, high_total) = card(&catalog, true);
    let (low, low_total) = card(&catalog, false);
    rounds::save_draft(db, &product.id, &chair.id, 1, &low)
        .await
        .unwrap();
    rounds::save_draft(db, &product.id, &chair.id, 1, &high)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        rounds::submit_card(db, &product.id, &chair.id, 1, &high, high_total),
        rounds::submit_card(db, &product.id, &members[0].id, 1, &low, low_total),
    );
    a.unwrap();
    b.unwrap();
    assert!(matches!(
        rounds::submit_card(db, &product.id, &chair.id, 1, &low, low_total).await,
        Err(RoundStoreError::Card(CardError::AlreadySubmitted))
    ));
    assert!(matches!(
        rounds::save_draft(db, &product.id, &chair.id, 1, &low).await,
        Err(RoundStoreError::Card(CardError::AlreadySubmitted))
    ));
    let cards = rounds::cards(db, &round.id).await.unwrap();
    let chair_card = cards.iter().find(|c| c.member_id == chair.id).unwrap();
    assert_eq!(chair_card.choices, high, "the submitted card is kept");
    assert_eq!(chair_card.total, Some(high_total));
    assert_eq!(cards.iter().filter(|c| c.submitted_at.is_some()).count(), 2);

    // A re-score opens pass 2; pass 1 stays.
    let next = rounds::open_rescore(db, &round, &product, "Chênh lệch điểm quá 10", &chair.id)
        .await
        .unwrap();
    assert_eq!(next, 2);
    assert!(matches!(
        rounds::open_rescore(db, &round, &product, "Chênh lệch điểm quá 10", &chair.id).await,
        Err(RoundStoreError::Invalid(
            "product",
            "rescore_already_opened"
        ))
    ));
    let product = rounds::products(db, &round.id).await.unwrap().remove(0);
    for member in [&chair, &members[0], &members[1]] {
        rounds::submit_card(db, &product.id, &member.id, 2, &high, high_total)
            .await
            .unwrap();
    }
    let cards = rounds::cards(db, &round.id).await.unwrap();
    assert_eq!(cards.iter().filter(|c| c.pass == 1).count(), 2);
    assert_eq!(cards.iter().filter(|c| c.pass == 2).count(), 3);
    assert_eq!(rounds::rescores(db, &round.id).await.unwrap().len(), 1);

    // Closing keeps the result; a decision moves the dossier on.
    let outcome = ProductOutcome::Recognised { stars: 4 };
    rounds::set_state(
        db,
        &round,
        RoundState::Closed,
        "close",
        &[FinalResult {
            round_product_id: product.id.clone(),
            score: 8500,
            stars: 4,
            outcome,
            result: "{}".into(),
        }],
        &officer.id,
    )
    .await
    .unwrap();
    let round = rounds::find(db, &RoundAccess::All, &round.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(round.state, RoundState::Closed);
    assert!(matches!(
        rounds::set_seat(db, &round, seat(&members[2], Seat::Member), &officer.id).await,
        Err(RoundStoreError::Round(_))
    ));
    let product = rounds::products(db, &round.id).await.unwrap().remove(0);
    assert_eq!(rounds::outcome_of(&product), Some(outcome));
    let number = DecisionNumber::parse("1898/QĐ-UBND").unwrap();
    let signed = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
    let decision = rounds::record_decision(
        db,
        &catalog,
        &round,
        &rounds::Signed {
            number: &number,
            signed_on: signed,
            signer: "Võ Tấn Đức",
        },
        std::slice::from_ref(&product),
        &officer.id,
    )
    .await
    .unwrap();
    assert_eq!(
        decision.items,
        [(product.id.clone(), "recognised".to_string(), Some(4))]
    );
    assert!(matches!(
        rounds::record_decision(
            db,
            &catalog,
            &round,
            &rounds::Signed {
                number: &number,
                signed_on: signed,
                signer: "Võ Tấn Đức",
            },
            std::slice::from_ref(&product),
            &officer.id
        )
        .await,
        Err(RoundStoreError::Invalid("number", "number_taken"))
    ));
    let dossier = dossiers::find(db, &Scope::National, &dossier_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dossier.state, DossierState::Recognised);
    // A decided product is not re-scored.
    assert!(matches!(
        rounds::open_rescore(db, &round, &product, "Khiếu nại của chủ thể", &chair.id).await,
        Err(RoundStoreError::Invalid("product", "already_decided"))
    ));

    // Who sees the round: the province's officer and the seated, not a member elsewhere.
    let sees = |user: &User| {
        let access = RoundAccess::of(user);
        let id = round.id.clone();
        async move { rounds::find(db, &access, &id).await.unwrap().is_some() }
    };
    assert!(sees(&officer).await);
    assert!(sees(&members[1]).await);
    assert!(sees(&commune).await);
    assert!(!sees(&elsewhere).await);
    assert_eq!(
        rounds::list(db, &RoundAccess::of(&elsewhere))
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn the_communes_report_and_the_advisory_groups_pre_assessment() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let officer = user(db, "tinh@t.vn", Role::ProvincialOfficer, Some("79")).await;
    let commune = user(db, "xa@t.vn", Role::CommuneOfficer, Some("26882")).await;
    let (dossier_id, _) = dossier_after(db, &commune, &officer, 2).await;
    let report = ocop_domain::dossier::CommuneReport {
        local_materials: "Sầu riêng trồng tại xã".into(),
        local_labour: "12 lao động địa phương".into(),
        idea_origin: "Sản phẩm truyền thống".into(),
        local_identity: "Giống Ri6 của vùng đất đỏ".into(),
    };
    let commune_scope = Scope::Commune("26882".into());
    dossiers::save_commune_report(db, &commune_scope, &dossier_id, &report, &commune.id)
        .await
        .unwrap();
    let stored = dossiers::commune_report(db, &dossier_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.report, stored.written_by.as_str()),
        (report.clone(), commune.id.as_str())
    );
    for (action, role, actor) in [
        (DossierAction::Propose, Role::CommuneOfficer, &commune.id),
        (DossierAction::TakeIn, Role::ProvincialOfficer, &officer.id),
    ] {
        dossiers::apply(db, &Scope::National, &dossier_id, &action, role, &[], actor)
            .await
            .unwrap();
    }
    // Taken in: too late for the commune's report.
    assert!(matches!(
        dossiers::save_commune_report(
            db,
            &Scope::Commune("26882".into()),
            &dossier_id,
            &report,
            &commune.id
        )
        .await,
        Err(dossiers::DossierError::Transition(_))
    ));
    let pre = dossiers::PreAssessment {
        samples_received: Some(5),
        samples_received_on: NaiveDate::from_ymd_opt(2026, 11, 25),
        site_visit_note: "Đã khảo sát vườn và xưởng sơ chế".into(),
        preliminary_card: None,
        preliminary_total: None,
    };
    // Out of scope reads as absent.
    assert!(matches!(
        dossiers::save_pre_assessment(
            db,
            &Scope::Province("75".into()),
            &dossier_id,
            &pre,
            &officer.id
        )
        .await,
        Err(dossiers::DossierError::NotFound)
    ));
    dossiers::save_pre_assessment(
        db,
        &Scope::Province("79".into()),
        &dossier_id,
        &pre,
        &officer.id,
    )
    .await
    .unwrap();
    assert_eq!(
        dossiers::pre_assessment(db, &dossier_id).await.unwrap(),
        Some(pre)
    );
    let history = ocop_store::audit::history(db, "dossier", &dossier_id)
        .await
        .unwrap();
    assert!(
        history
            .iter()
            .any(|entry| entry.action == "dossier.pre_assess")
    );
}
