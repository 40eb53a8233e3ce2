//! The demo dataset: what `ocop demo` and `ocop serve --demo` put in a database so that every
//! capability built so far can be seen at once: the administrative units (loaded with the
//! migrations), one account per role bound to Đồng Nai (75) and its first commune, and OCOP
//! entities in its first two communes (half confirmed, half awaiting confirmation), the first of
//! them run by the demo producer. Each later capability adds its records here, generated from the
//! seed so that the same seed always gives the same dataset. The evaluation rounds are in
//! `demo_rounds.rs`, the certificates' lifecycle in `demo_certificates.rs`, the programme's
//! monitoring (plans, policies, promotion) in `demo_monitoring.rs`.

use ocop_domain::access::{Role, Scope};
use std::collections::BTreeMap;

use ocop_domain::criteria::{Catalog, Scorecard, bundled_sources, score_card};
use ocop_domain::dossier::{DossierAction, EvaluationType, required_evidence};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::accounts::{self, AccountError, NewUser};
use ocop_store::dossiers::{self, DossierError, Opening};
use ocop_store::files::FileStore;
use ocop_store::registry::{self, RegistryError};
use ocop_store::{Db, StoreError, meta, units};

pub const DEFAULT_SEED: u64 = 2025;
const SEED_KEY: &str = "demo_seed";
/// The password of every demo account (README, "Demo logins").
pub const DEMO_PASSWORD: &str = "ocop-demo-2025";
const DEMO_PROVINCE: &str = "75";
/// The criteria version demo products are registered under (the one in force since 2025-07-06).
/// Demo products are registered under the criteria in force; one dossier is older.
const DEMO_CRITERIA: &str = "26-2026";
const FORMER_CRITERIA: &str = "148-1489";
/// 15/05/2026 09:00 in Vietnam (UTC+7), as milliseconds since the epoch.
const FILED_BEFORE_26_MS: i64 = 1_778_810_400_000;

/// Entity types and names, in the style of real OCOP entities of Đồng Nai.
const ENTITIES: [(&str, &str); 8] = [
    ("cooperative", "Hợp tác xã Nông nghiệp Sầu riêng Long Khánh"),
    ("household", "Hộ kinh doanh Hạt điều rang muối Bà Sáu"),
    ("company", "Công ty TNHH Thực phẩm Bưởi Tân Triều"),
    ("cooperative_group", "Tổ hợp tác Mật ong Mã Đà"),
    ("household", "Hộ kinh doanh Bánh tráng Phú Hội"),
    ("cooperative", "Hợp tác xã Cà phê Xuân Bảo"),
    ("company", "Công ty Cổ phần Rượu Bàu Cạn"),
    ("household", "Hộ kinh doanh Khô cá sông Đồng Nai"),
];
/// Each demo entity's product: (name, product set under 148+1489, description).
const PRODUCTS: [(&str, &str, &str); 8] = [
    (
        "Sầu riêng Ri6 Long Khánh",
        "P01",
        "Sầu riêng tươi, cơm vàng, hạt lép, thu hoạch chín cây",
    ),
    (
        "Hạt điều rang muối Bà Sáu",
        "P07",
        "Hạt điều rang muối thủ công, hũ 500 g",
    ),
    (
        "Bưởi đường lá cam Tân Triều",
        "P01",
        "Bưởi tươi, múi vàng, vị ngọt thanh",
    ),
    (
        "Mật ong hoa cà phê Mã Đà",
        "P04",
        "Mật ong nguyên chất từ rừng Mã Đà, chai 500 ml",
    ),
    (
        "Bánh tráng phơi sương Phú Hội",
        "P06",
        "Bánh tráng gạo phơi sương, gói 500 g",
    ),
    (
        "Cà phê Robusta rang xay Xuân Bảo",
        "P13",
        "Cà phê Robusta rang mộc, gói 250 g",
    ),
    (
        "Rượu nếp Bàu Cạn",
        "P14",
        "Rượu nếp truyền thống 29 độ, chai 500 ml",
    ),
    (
        "Khô cá lóc sông Đồng Nai",
        "P08",
        "Khô cá lóc một nắng, gói 300 g",
    ),
];
const REPRESENTATIVES: [&str; 4] = [
    "Nguyễn Thị Lan",
    "Trần Văn Sáu",
    "Lê Thị Mai",
    "Phạm Văn Tư",
];

/// Whether a demo dataset has been loaded into `db`.
pub async fn is_loaded(db: &Db) -> Result<bool, StoreError> {
    Ok(meta::get(db, SEED_KEY).await?.is_some())
}

/// A deterministic sequence from the seed (a linear congruential step).
pub(crate) fn next(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

/// The first two communes of the demo province by code: stable for a given units file.
async fn demo_communes(db: &Db) -> Result<Vec<String>, StoreError> {
    let Some(province) = units::find_by_code(db, DEMO_PROVINCE, None).await? else {
        return Err(StoreError::Data(format!(
            "demo province {DEMO_PROVINCE} is missing"
        )));
    };
    let mut communes = units::children(db, province.id).await?;
    communes.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(communes.into_iter().take(2).map(|c| c.code).collect())
}

/// Creates the demo entities that are not there yet; returns the first one's id (the demo
/// producer's entity).
async fn demo_entities(db: &Db, seed: u64, communes: &[String]) -> Result<String, StoreError> {
    let today = chrono::Utc::now().date_naive();
    let mut state = seed;
    let mut first = None;
    for (index, (kind, name)) in ENTITIES.iter().enumerate() {
        let commune = &communes[index % communes.len()];
        let form = EntityForm {
            kind: kind.to_string(),
            legal_form: if *kind == "company" {
                "llc_multi_member".into()
            } else {
                String::new()
            },
            registration_code: format!("DEMO-{:06}", 360_000 + index * 137),
            name: name.to_string(),
            representative: REPRESENTATIVES[index % REPRESENTATIVES.len()].into(),
            address: format!("Ấp {}", 1 + next(&mut state) % 9),
            commune_code: commune.clone(),
            phone: format!("0251 38{:05}", next(&mut state) % 100_000),
            women_led: (next(&mut state) % 10 < 4).then(|| "on".into()),
            ethnic_minority_led: (next(&mut state) % 10 < 2).then(|| "on".into()),
            members: (3 + next(&mut state) % 60).to_string(),
            workers: (2 + next(&mut state) % 40).to_string(),
            founded_on: format!(
                "{:02}/{:02}/{}",
                1 + next(&mut state) % 28,
                1 + next(&mut state) % 12,
                2005 + next(&mut state) % 18
            ),
            ..EntityForm::default()
        };
        let draft = check_entity(&form, today)
            .map_err(|errors| StoreError::Data(format!("demo entity {name}: {errors:?}")))?;
        let status = if index % 2 == 0 {
            EntityStatus::Confirmed
        } else {
            EntityStatus::Pending
        };
        let id = match registry::create(db, &draft, status, "demo").await {
            Ok(entity) => entity.id,
            // There from an earlier run (the registration code is taken): keep it.
            Err(RegistryError::Fields(_)) => registry::list(db, &Scope::National, None)
                .await?
                .into_iter()
                .find(|e| e.registration_code == draft.registration_code)
                .map(|e| e.id)
                .ok_or_else(|| StoreError::Data(format!("demo entity {name} is refused")))?,
            Err(RegistryError::Store(error)) => return Err(error),
            Err(error) => return Err(StoreError::Data(format!("demo entity {name}: {error}"))),
        };
        add_demo_product(db, &id, index).await?;
        first.get_or_insert(id);
    }
    first.ok_or_else(|| StoreError::Data("no demo entity".into()))
}

/// The entity's demo product, unless it has products already.
async fn add_demo_product(db: &Db, entity_id: &str, index: usize) -> Result<(), StoreError> {
    if !registry::products(db, &Scope::National, Some(entity_id))
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let (name, set, description) = PRODUCTS[index % PRODUCTS.len()];
    let form = ProductForm {
        name: name.into(),
        product_set: set.into(),
        description: description.into(),
        sales_channels: "điểm bán OCOP, siêu thị, sàn thương mại điện tử".into(),
        ..ProductForm::default()
    };
    let catalog = Catalog::load(&bundled_sources())
        .map_err(|errors| StoreError::Data(format!("shipped criteria: {errors:?}")))?;
    let sets: Vec<&str> = catalog
        .version(DEMO_CRITERIA)
        .map(|v| v.sets.iter().map(|s| s.code.as_str()).collect())
        .unwrap_or_default();
    let draft = check_product(&form, DEMO_CRITERIA, &sets)
        .map_err(|errors| StoreError::Data(format!("demo product {name}: {errors:?}")))?;
    registry::add_product(db, &Scope::National, entity_id, &draft, "demo").await?;
    Ok(())
}

/// A small but valid PDF, as the demo's evidence document.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// One dossier in each state, for the first five demo products, unless dossiers exist already.
async fn demo_dossiers(db: &Db, seed: u64, files: &FileStore) -> Result<usize, StoreError> {
    let national = Scope::National;
    if !dossiers::list(db, &national, None).await?.is_empty() {
        return Ok(0);
    }
    let catalog = Catalog::load(&bundled_sources())
        .map_err(|errors| StoreError::Data(format!("shipped criteria: {errors:?}")))?;
    let pdf = files
        .put(db, DEMO_PDF)
        .await
        .map_err(|error| StoreError::Data(format!("demo evidence: {error}")))?;
    let mut state = seed ^ 0x5eed;
    let steps: [&[DossierAction]; 5] = [
        &[],
        &[DossierAction::Submit],
        &[
            DossierAction::Submit,
            DossierAction::Return {
                reason: "Phiếu kiểm nghiệm đã quá 12 tháng, đề nghị bổ sung".into(),
            },
        ],
        &[DossierAction::Submit, DossierAction::Accept],
        &[
            DossierAction::Submit,
            DossierAction::Accept,
            DossierAction::Propose,
        ],
    ];
    let products = registry::products(db, &national, None).await?;
    let mut made = 0;
    for (product, actions) in products.iter().zip(steps) {
        let entity = registry::find(db, &national, &product.entity_id)
            .await?
            .ok_or_else(|| StoreError::Data("demo entity missing".into()))?;
        let fail = |error: DossierError| StoreError::Data(format!("demo dossier: {error}"));
        // The dossier furthest along was filed in May 2026, before QĐ 26/2026: it stays on the
        // 148/1489 sheets (Điều 12); the others are filed now, under the version in force.
        let filed_before_26 = actions.len() == 3;
        let opening = Opening {
            evaluation_type: EvaluationType::FirstTime,
            contact_phone: Some("0251 3822 888".into()),
            criteria_version: Some(if filed_before_26 {
                FORMER_CRITERIA.to_string()
            } else {
                product.criteria_version.clone()
            }),
            filed_at_ms: filed_before_26.then_some(FILED_BEFORE_26_MS),
        };
        let dossier = dossiers::create(db, &national, &product.id, opening, "demo")
            .await
            .map_err(fail)?;
        let version = catalog
            .version(&dossier.criteria_version)
            .ok_or_else(|| StoreError::Data("demo criteria version missing".into()))?;
        let set = version
            .set(&dossier.product_set)
            .ok_or_else(|| StoreError::Data("demo product set missing".into()))?;
        let token = version.token_for(entity.kind).to_string();
        let choices: BTreeMap<String, u32> = set
            .sheet
            .criteria()
            .map(|(_, criterion)| {
                let options: Vec<u32> = criterion
                    .options
                    .iter()
                    .filter(|o| o.applies_to_token(&token))
                    .map(|o| o.number)
                    .collect();
                // Lean towards the better options: demo products are mostly good.
                let pick =
                    options.len() / 2 + (next(&mut state) as usize) % options.len().div_ceil(2);
                (criterion.code.clone(), options[pick.min(options.len() - 1)])
            })
            .collect();
        let card = Scorecard {
            member: "demo".into(),
            choices: choices.clone(),
        };
        let scored = score_card(version, set, entity.kind, &card)
            .map_err(|errors| StoreError::Data(format!("demo self-assessment: {errors:?}")))?;
        dossiers::save_self_assessment(db, &national, &dossier.id, &choices, scored.total, "demo")
            .await
            .map_err(fail)?;
        let food = matches!(set.group.as_str(), "Thực phẩm" | "Đồ uống");
        for kind in required_evidence(food) {
            dossiers::add_evidence(
                db,
                &national,
                &dossier.id,
                kind,
                None,
                &pdf,
                &format!("{}.pdf", kind.as_str()),
                None,
                "demo",
            )
            .await
            .map_err(fail)?;
        }
        for action in actions {
            let role = match action {
                DossierAction::Submit => Role::Producer,
                _ => Role::CommuneOfficer,
            };
            dossiers::apply(db, &national, &dossier.id, action, role, &[], "demo")
                .await
                .map_err(fail)?;
        }
        made += 1;
    }
    Ok(made)
}

/// Loads the demo dataset (idempotent: what exists is kept) and describes it.
pub async fn load(db: &Db, seed: u64, files: &FileStore) -> Result<String, StoreError> {
    units::ensure_bundled(db).await?;
    let communes = demo_communes(db).await?;
    let producer_entity = demo_entities(db, seed, &communes).await?;
    let province = Some(DEMO_PROVINCE.to_string());
    let accounts_to_make = [
        (
            "admin@demo.ocop.vn",
            "Quản trị Hệ thống",
            Role::Administrator,
            None,
            None,
        ),
        (
            "trunguong@demo.ocop.vn",
            "Nguyễn Văn Trung",
            Role::CentralOfficer,
            None,
            None,
        ),
        (
            "tinh@demo.ocop.vn",
            "Trần Thị Tỉnh",
            Role::ProvincialOfficer,
            province.clone(),
            None,
        ),
        (
            "hoidong@demo.ocop.vn",
            "Lê Văn Hội",
            Role::CouncilMember,
            province,
            None,
        ),
        (
            "xa@demo.ocop.vn",
            "Phạm Thị Xã",
            Role::CommuneOfficer,
            communes.first().cloned(),
            None,
        ),
        (
            "sanxuat@demo.ocop.vn",
            "Nguyễn Thị Lan",
            Role::Producer,
            None,
            Some(producer_entity),
        ),
    ];
    let mut created = 0;
    for (email, name, role, unit_code, entity_id) in accounts_to_make {
        let new = NewUser {
            email: email.into(),
            name: name.into(),
            role,
            unit_code,
            entity_id,
            password: DEMO_PASSWORD.into(),
        };
        match accounts::create_user(db, new, "demo").await {
            Ok(_) => created += 1,
            Err(AccountError::DuplicateEmail(_)) => {}
            Err(AccountError::Store(error)) => return Err(error),
            // A demo account that breaks the account rules is a bug in this file.
            Err(error) => return Err(StoreError::Data(format!("demo account {email}: {error}"))),
        }
    }
    demo_dossiers(db, seed, files).await?;
    let (rounds, council_accounts) = super::demo_rounds::load(db, &communes, DEMO_PASSWORD).await?;
    created += council_accounts;
    let certificate_count = if rounds > 0 {
        let count = super::demo_certificates::load(db, &communes).await?;
        let catalog = Catalog::load(&bundled_sources())
            .map_err(|e| StoreError::Data(format!("bundled criteria: {e:?}")))?;
        super::demo_monitoring::load(db, &catalog, &communes).await?;
        count
    } else {
        ocop_store::certificates::list(db, &Scope::National, "")
            .await?
            .len()
    };
    let mut tx = db.begin().await?;
    meta::set(&mut tx, SEED_KEY, &seed.to_string()).await?;
    tx.commit().await?;
    let counts = units::counts(db).await?;
    let entities = registry::list(db, &Scope::National, None).await?.len();
    let products = registry::products(db, &Scope::National, None).await?.len();
    let dossier_count = dossiers::list(db, &Scope::National, None).await?.len();
    Ok(format!(
        "Demo dataset (seed {seed}): {} provinces and {} communes in force, {} former provinces, \
         {} former districts, {} former communes, {} old→new links; {entities} entities, {products} products, {dossier_count} dossiers, \
         {rounds} evaluation rounds, {certificate_count} certificates; {created} demo accounts added (password {DEMO_PASSWORD}).",
        counts.provinces,
        counts.communes,
        counts.legacy_provinces,
        counts.legacy_districts,
        counts.legacy_communes,
        counts.successions
    ))
}
