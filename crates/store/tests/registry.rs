//! The entity registry: scoped reads, self-registration in one transaction, confirmation.

use chrono::NaiveDate;
use ocop_domain::access::{Role, Scope};
use ocop_domain::registry::{EntityForm, EntityStatus, check_entity};
use ocop_store::accounts::{AccountError, NewUser};
use ocop_store::registry::{self, RegistryError};
use ocop_store::testing::TestDb;
use ocop_store::{audit, units};

fn form(code: &str, commune: &str, name: &str) -> EntityForm {
    EntityForm {
        kind: "household".into(),
        registration_code: code.into(),
        name: name.into(),
        representative: "Đinh Văn Lâm".into(),
        address: "Tổ 4".into(),
        commune_code: commune.into(),
        ..EntityForm::default()
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn producer(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        name: "Đinh Văn Lâm".into(),
        role: Role::Producer,
        unit_code: None,
        entity_id: None,
        password: "mật khẩu thật dài".into(),
    }
}

#[tokio::test]
async fn reads_are_scoped_and_registration_is_all_or_nothing() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    // Two communes of Hồ Chí Minh City (79) and one of Đồng Nai (75).
    let hcm = units::find_by_code(db, "79", None).await.unwrap().unwrap();
    let dong_nai = units::find_by_code(db, "75", None).await.unwrap().unwrap();
    let hcm_communes = units::children(db, hcm.id).await.unwrap();
    let dn_commune = &units::children(db, dong_nai.id).await.unwrap()[0];
    let (a, b) = (&hcm_communes[0], &hcm_communes[1]);

    let draft = check_entity(&form("HKD-0001", &a.code, "Hộ Bánh tráng Tư"), today()).unwrap();
    let (first, user) = registry::register_producer(db, &draft, producer("tu@example.vn"))
        .await
        .unwrap();
    assert_eq!(first.status, EntityStatus::Pending);
    assert_eq!(first.province_code, "79");
    assert_eq!(user.entity_id.as_deref(), Some(first.id.as_str()));
    let second = registry::create(
        db,
        &check_entity(&form("HKD-0002", &b.code, "Hộ Mắm Năm"), today()).unwrap(),
        EntityStatus::Confirmed,
        "test",
    )
    .await
    .unwrap();
    let third = registry::create(
        db,
        &check_entity(
            &form("HKD-0003", &dn_commune.code, "Hộ Hạt điều Sáu"),
            today(),
        )
        .unwrap(),
        EntityStatus::Confirmed,
        "test",
    )
    .await
    .unwrap();

    let names = |list: Vec<registry::Entity>| list.into_iter().map(|e| e.name).collect::<Vec<_>>();
    assert_eq!(
        registry::list(db, &Scope::National, None)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        names(
            registry::list(db, &Scope::Province("79".into()), None)
                .await
                .unwrap()
        ),
        vec!["Hộ Bánh tráng Tư", "Hộ Mắm Năm"]
    );
    assert_eq!(
        names(
            registry::list(db, &Scope::Commune(a.code.clone()), None)
                .await
                .unwrap()
        ),
        vec!["Hộ Bánh tráng Tư"]
    );
    assert_eq!(
        names(
            registry::list(db, &Scope::Entity(first.id.clone()), None)
                .await
                .unwrap()
        ),
        vec!["Hộ Bánh tráng Tư"]
    );
    assert!(
        registry::list(db, &Scope::Entity(String::new()), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        registry::list(db, &Scope::National, Some(EntityStatus::Pending))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        registry::find(db, &Scope::Commune(a.code.clone()), &second.id)
            .await
            .unwrap()
            .is_none(),
        "out of scope reads as absent"
    );
    assert!(
        registry::find(db, &Scope::Province("75".into()), &third.id)
            .await
            .unwrap()
            .is_some()
    );

    // Confirmation: only in scope, only once.
    assert!(
        registry::confirm(db, &Scope::Commune(b.code.clone()), &first.id, "x")
            .await
            .unwrap()
            .is_none()
    );
    let confirmed = registry::confirm(db, &Scope::Commune(a.code.clone()), &first.id, "officer")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(confirmed.status, EntityStatus::Confirmed);
    assert!(
        registry::confirm(db, &Scope::Commune(a.code.clone()), &first.id, "officer")
            .await
            .unwrap()
            .is_none()
    );
    let history = audit::history(db, "entity", &first.id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| r.action.as_str())
            .collect::<Vec<_>>(),
        vec!["entity.create", "entity.confirm"]
    );
    assert!(
        history[1]
            .changes
            .contains(r#""status":{"before":"pending","after":"confirmed"}"#)
    );

    // A duplicate registration code, an unknown commune, an e-mail already taken: nothing written.
    let again = registry::create(
        db,
        &check_entity(&form("hkd-0001", &a.code, "Khác"), today()).unwrap(),
        EntityStatus::Pending,
        "t",
    )
    .await;
    assert!(
        matches!(again, Err(RegistryError::Fields(ref f)) if f.get("registration_code") == Some(&"registry-error-registration-taken"))
    );
    let nowhere = registry::create(
        db,
        &check_entity(&form("HKD-0009", "99999", "Khác"), today()).unwrap(),
        EntityStatus::Pending,
        "t",
    )
    .await;
    assert!(matches!(nowhere, Err(RegistryError::Fields(ref f)) if f.contains_key("commune_code")));
    let old_commune = registry::create(
        db,
        &check_entity(&form("HKD-0010", "26881", "Khác"), today()).unwrap(),
        EntityStatus::Pending,
        "t",
    )
    .await;
    assert!(
        matches!(old_commune, Err(RegistryError::Fields(_))),
        "a former commune is not a commune in force"
    );
    let taken = registry::register_producer(
        db,
        &check_entity(&form("HKD-0011", &a.code, "Hộ Mới"), today()).unwrap(),
        producer("TU@example.vn"),
    )
    .await;
    assert!(matches!(
        taken,
        Err(RegistryError::Account(AccountError::DuplicateEmail(_)))
    ));
    assert_eq!(
        registry::list(db, &Scope::National, None)
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(audit::verify(db).await.unwrap().is_ok());
}

#[tokio::test]
async fn edits_are_scoped_audited_field_by_field_and_all_or_nothing() {
    use ocop_domain::registry::{ProductForm, check_product};
    let test = TestDb::with_units().await;
    let db = &test.db;
    let hcm = units::find_by_code(db, "79", None).await.unwrap().unwrap();
    let communes = units::children(db, hcm.id).await.unwrap();
    let (a, b) = (&communes[0], &communes[1]);
    let ours = registry::create(
        db,
        &check_entity(&form("HKD-0101", &a.code, "Hộ Bánh pía Bảy"), today()).unwrap(),
        EntityStatus::Confirmed,
        "test",
    )
    .await
    .unwrap();
    let theirs = registry::create(
        db,
        &check_entity(&form("HKD-0102", &b.code, "Hộ Nước mắm Tám"), today()).unwrap(),
        EntityStatus::Confirmed,
        "test",
    )
    .await
    .unwrap();

    // An officer of another commune cannot edit it: it does not exist for them.
    let renamed = EntityForm {
        name: "Hộ Bánh pía Bảy Sóc Trăng".into(),
        phone: "0909 123 456".into(),
        ..form("HKD-0101", &a.code, "")
    };
    let draft = check_entity(&renamed, today()).unwrap();
    let elsewhere = Scope::Commune(b.code.clone());
    assert!(
        registry::update(db, &elsewhere, &ours.id, &draft, Role::CommuneOfficer, "x")
            .await
            .unwrap()
            .is_none()
    );

    // Its producer renames it: recorded field by field, and it goes back for confirmation.
    let own = Scope::Entity(ours.id.clone());
    let edited = registry::update(db, &own, &ours.id, &draft, Role::Producer, "producer")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(edited.name, "Hộ Bánh pía Bảy Sóc Trăng");
    assert_eq!(edited.status, EntityStatus::Pending);
    let stored = registry::find(db, &Scope::National, &ours.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, edited);
    let last = audit::history(db, "entity", &ours.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.action, "entity.update");
    assert_eq!(last.actor, "producer");
    let changes: serde_json::Value = serde_json::from_str(&last.changes).unwrap();
    assert_eq!(
        changes,
        serde_json::json!({
            "name": {"before": "Hộ Bánh pía Bảy", "after": "Hộ Bánh pía Bảy Sóc Trăng"},
            "phone": {"before": null, "after": "0909 123 456"},
            "status": {"before": "confirmed", "after": "pending"},
        })
    );
    // The folded name follows: the entity is found by its new name.
    let search = registry::list(db, &Scope::National, None).await.unwrap();
    assert_eq!(search[0].name, "Hộ Bánh pía Bảy Sóc Trăng");

    // Saving the same values writes nothing.
    let records = audit::verify(db).await.unwrap().unwrap();
    registry::update(db, &own, &ours.id, &draft, Role::Producer, "producer")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit::verify(db).await.unwrap().unwrap(), records);

    // Taking another entity's registration code: a field error, nothing written.
    let clash = check_entity(&form("HKD-0102", &a.code, "Hộ Bánh pía Bảy"), today()).unwrap();
    let refused = registry::update(
        db,
        &Scope::National,
        &ours.id,
        &clash,
        Role::CentralOfficer,
        "x",
    )
    .await;
    assert!(
        matches!(refused, Err(RegistryError::Fields(ref f)) if f.get("registration_code") == Some(&"registry-error-registration-taken"))
    );
    assert_eq!(
        registry::find(db, &Scope::National, &ours.id)
            .await
            .unwrap()
            .unwrap(),
        edited
    );
    assert_eq!(audit::verify(db).await.unwrap().unwrap(), records);
    assert_eq!(theirs.registration_code, "HKD-0102");

    // Products: edited in scope, audited, code and entity unchanged.
    let product_form = ProductForm {
        name: "Bánh pía sầu riêng".into(),
        product_set: "P01".into(),
        description: "Bánh pía nhân sầu riêng".into(),
        ..ProductForm::default()
    };
    let product = registry::add_product(
        db,
        &own,
        &ours.id,
        &check_product(&product_form, "148-1489", &["P01", "P02"]).unwrap(),
        "producer",
    )
    .await
    .unwrap()
    .unwrap();
    assert!(!registry::has_dossiers(db, &product.id).await.unwrap());
    let better = check_product(
        &ProductForm {
            product_set: "P02".into(),
            gtin: "8934563138165".into(),
            sales_channels: "siêu thị, sàn TMĐT".into(),
            ..product_form
        },
        "148-1489",
        &["P01", "P02"],
    )
    .unwrap();
    assert!(
        registry::update_product(db, &elsewhere, &product.id, &better, "x")
            .await
            .unwrap()
            .is_none()
    );
    let updated = registry::update_product(db, &own, &product.id, &better, "producer")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.code, product.code);
    assert_eq!(updated.product_set, "P02");
    assert_eq!(
        registry::product(db, &Scope::National, &product.id)
            .await
            .unwrap()
            .unwrap(),
        updated
    );
    let last = audit::history(db, "product", &product.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let changes: serde_json::Value = serde_json::from_str(&last.changes).unwrap();
    assert_eq!(
        changes,
        serde_json::json!({
            "gtin": {"before": null, "after": "8934563138165"},
            "product_set": {"before": "P01", "after": "P02"},
            "sales_channels": {"before": [], "after": ["siêu thị", "sàn TMĐT"]},
        })
    );
    assert!(audit::verify(db).await.unwrap().is_ok());
}
