//! A dossier's life in the database: draft → submitted → returned → submitted → accepted →
//! proposed, scoped, audited, refused where the rules say so.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{Catalog, EntityType, Scorecard, bundled_sources, score_card};
use ocop_domain::dossier::{
    DossierAction, DossierFacts, DossierState, EvaluationType, EvidenceType, TransitionError,
    missing_items,
};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::dossiers::{self, DossierError, Opening};
use ocop_store::files::FileStore;
use ocop_store::testing::TestDb;
use ocop_store::{audit, registry};

#[tokio::test]
async fn a_dossier_from_draft_to_proposed() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let entity_form = EntityForm {
        kind: "household".into(),
        registration_code: "HKD-26882-7".into(),
        name: "Hộ Nem Bảy".into(),
        representative: "Võ Văn Bảy".into(),
        address: "Hẻm 12".into(),
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
        name: "Nem chua Bảy".into(),
        product_set: "P08".into(),
        description: "Nem chua lá chuối".into(),
        ..ProductForm::default()
    };
    let product = registry::add_product(
        db,
        &Scope::National,
        &entity.id,
        &check_product(&product_form, "148-1489", &["P08"]).unwrap(),
        "t",
    )
    .await
    .unwrap()
    .unwrap();
    let producer = Scope::Entity(entity.id.clone());
    let commune = Scope::Commune("26882".into());
    let elsewhere = Scope::Commune("26881".into());

    assert!(matches!(
        dossiers::create(
            db,
            &elsewhere,
            &product.id,
            Opening {
                evaluation_type: EvaluationType::FirstTime,
                contact_phone: None,
                criteria_version: None,
                filed_at_ms: None,
            },
            "x"
        )
        .await,
        Err(DossierError::NotFound)
    ));
    let dossier = dossiers::create(
        db,
        &producer,
        &product.id,
        Opening {
            evaluation_type: EvaluationType::FirstTime,
            contact_phone: Some("0909 123 456".into()),
            criteria_version: None,
            filed_at_ms: None,
        },
        "producer",
    )
    .await
    .unwrap();
    assert_eq!(dossier.state, DossierState::Draft);
    assert_eq!(dossier.product_set, "P08");

    // The self-assessment is checked on the product set's sheet before it is stored.
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let version = catalog.version("148-1489").unwrap();
    let set = version.set("P08").unwrap();
    let choices: BTreeMap<String, u32> = set
        .sheet
        .criteria()
        .map(|(_, c)| {
            let best = c
                .options
                .iter()
                .filter(|o| o.applies_to_token("household"))
                .max_by_key(|o| o.points)
                .unwrap();
            (c.code.clone(), best.number)
        })
        .collect();
    let card = Scorecard {
        member: "self".into(),
        choices: choices.clone(),
    };
    let scored = score_card(version, set, EntityType::Household, &card).unwrap();
    dossiers::save_self_assessment(
        db,
        &producer,
        &dossier.id,
        &choices,
        scored.total,
        "producer",
    )
    .await
    .unwrap();

    // Incomplete: no evidence yet.
    let facts = |evidence: Vec<EvidenceType>| DossierFacts {
        contact_phone: true,
        self_assessment_complete: true,
        evidence,
        food_or_drink: true,
    };
    let missing = missing_items(&facts(Vec::new()));
    let refused = dossiers::apply(
        db,
        &producer,
        &dossier.id,
        &DossierAction::Submit,
        Role::Producer,
        &missing,
        "producer",
    )
    .await;
    assert!(matches!(
        refused,
        Err(DossierError::Transition(TransitionError::Incomplete(_)))
    ));

    let dir = std::env::temp_dir().join(format!("ocop_dossier_files_{}", std::process::id()));
    let files = FileStore::new(&dir, 1 << 20);
    let pdf = files.put(db, b"%PDF-1.4 giay chung nhan").await.unwrap();
    let mut attached = Vec::new();
    for kind in ocop_domain::dossier::required_evidence(true) {
        dossiers::add_evidence(
            db,
            &producer,
            &dossier.id,
            kind,
            None,
            &pdf,
            "giay-chung-nhan.pdf",
            None,
            "producer",
        )
        .await
        .unwrap();
        attached.push(kind);
    }
    assert_eq!(
        dossiers::evidence(db, &dossier.id).await.unwrap().len(),
        attached.len()
    );
    let missing = missing_items(&facts(attached.clone()));
    assert!(missing.is_empty());

    let submitted = dossiers::apply(
        db,
        &producer,
        &dossier.id,
        &DossierAction::Submit,
        Role::Producer,
        &missing,
        "producer",
    )
    .await
    .unwrap();
    assert_eq!(submitted.state, DossierState::Submitted);
    // Once submitted, the producer cannot change it.
    assert!(matches!(
        dossiers::save_self_assessment(
            db,
            &producer,
            &dossier.id,
            &choices,
            scored.total,
            "producer"
        )
        .await,
        Err(DossierError::NotEditable("submitted"))
    ));
    // The commune's inbox; another commune does not see it; a producer cannot accept.
    assert_eq!(
        dossiers::list(db, &commune, Some(DossierState::Submitted))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        dossiers::list(db, &elsewhere, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        dossiers::apply(
            db,
            &producer,
            &dossier.id,
            &DossierAction::Accept,
            Role::Producer,
            &[],
            "producer"
        )
        .await,
        Err(DossierError::Transition(TransitionError::NotAllowed { .. }))
    ));
    assert!(matches!(
        dossiers::apply(
            db,
            &elsewhere,
            &dossier.id,
            &DossierAction::Accept,
            Role::CommuneOfficer,
            &[],
            "other"
        )
        .await,
        Err(DossierError::NotFound)
    ));

    let returned = dossiers::apply(
        db,
        &commune,
        &dossier.id,
        &DossierAction::Return {
            reason: "Phiếu kiểm nghiệm đã quá 12 tháng".into(),
        },
        Role::CommuneOfficer,
        &[],
        "officer",
    )
    .await
    .unwrap();
    assert_eq!(returned.state, DossierState::Returned);
    assert_eq!(
        returned.return_reason.as_deref(),
        Some("Phiếu kiểm nghiệm đã quá 12 tháng")
    );
    dossiers::apply(
        db,
        &producer,
        &dossier.id,
        &DossierAction::Submit,
        Role::Producer,
        &[],
        "producer",
    )
    .await
    .unwrap();
    dossiers::apply(
        db,
        &commune,
        &dossier.id,
        &DossierAction::Accept,
        Role::CommuneOfficer,
        &[],
        "officer",
    )
    .await
    .unwrap();
    let proposed = dossiers::apply(
        db,
        &commune,
        &dossier.id,
        &DossierAction::Propose,
        Role::CommuneOfficer,
        &[],
        "officer",
    )
    .await
    .unwrap();
    assert_eq!(proposed.state, DossierState::Proposed);
    assert_eq!(
        dossiers::list(
            db,
            &Scope::Province("79".into()),
            Some(DossierState::Proposed)
        )
        .await
        .unwrap()
        .len(),
        1
    );

    let actions: Vec<String> = audit::history(db, "dossier", &dossier.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(actions[0], "dossier.create");
    assert_eq!(actions[1], "dossier.self_assess");
    assert_eq!(
        &actions[actions.len() - 5..],
        [
            "dossier.submit",
            "dossier.return",
            "dossier.submit",
            "dossier.accept",
            "dossier.propose"
        ]
    );
    assert!(audit::verify(db).await.unwrap().is_ok());
    let _ = std::fs::remove_dir_all(dir);
}
