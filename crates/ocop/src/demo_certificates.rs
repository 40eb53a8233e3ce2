//! The demo's certificates beyond those the 2026 rounds issued, made through the same operations
//! as the pages: a legacy round (held before the system) whose decision gave certificates that
//! are now expiring within 30 days, expired, superseded (the 2026 round upgraded the product)
//! and revoked (production stopped, with the commune's confirmation and the chair's decision);
//! an inspection that asked for a corrective action; and a sweep, so that the accounts' inboxes
//! hold the lifecycle notices of today. Dates are counted back from today, so the statuses hold
//! whenever the demo is loaded.

use chrono::{Days, Months, NaiveDate};

use ocop_domain::access::Scope;
use ocop_domain::criteria::Catalog;
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::clock::today;
use ocop_store::{Db, StoreError, accounts, certificates, registry};
use ocop_web::AppState;
use ocop_web::certificates::{InspectionForm, RevocationForm};
use ocop_web::rounds::{self, LegacyForm, Loaded, OpenForm};
use ocop_web::shared::i18n::Lang;

fn fail(what: &str) -> impl Fn(ocop_web::shared::error::AppError) -> StoreError + '_ {
    move |error| StoreError::Data(format!("demo {what}: {error}"))
}

fn vn(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// A confirmed entity (or the producer's own) with a fresh-fruit product under `version`: the
/// product's code.
async fn product(
    db: &Db,
    version: &str,
    commune: &str,
    entity: Option<&str>,
    (entity_name, product_name): (&str, &str),
    n: usize,
) -> Result<String, StoreError> {
    let entity_id = match entity {
        Some(id) => id.to_string(),
        None => {
            let form = EntityForm {
                kind: "cooperative".into(),
                registration_code: format!("DEMO-C-{:04}", 200 + n),
                name: entity_name.into(),
                representative: "Lê Văn Tâm".into(),
                address: format!("Ấp {}", 2 + n),
                commune_code: commune.into(),
                ..EntityForm::default()
            };
            let draft = check_entity(&form, today())
                .map_err(|e| StoreError::Data(format!("demo entity {entity_name}: {e:?}")))?;
            registry::create(db, &draft, EntityStatus::Confirmed, "demo")
                .await
                .map_err(|e| StoreError::Data(format!("demo entity {entity_name}: {e}")))?
                .id
        }
    };
    let form = ProductForm {
        name: product_name.into(),
        product_set: "P01".into(),
        description: "Trái cây tươi".into(),
        ..ProductForm::default()
    };
    let draft = check_product(&form, version, &["P01"])
        .map_err(|e| StoreError::Data(format!("demo product {product_name}: {e:?}")))?;
    Ok(
        registry::add_product(db, &Scope::National, &entity_id, &draft, "demo")
            .await
            .map_err(|e| StoreError::Data(format!("demo product {product_name}: {e}")))?
            .ok_or_else(|| StoreError::Data("demo product".into()))?
            .code,
    )
}

/// Makes the demo's certificate lifecycle; returns how many certificates exist afterwards.
pub async fn load(db: &Db, communes: &[String]) -> Result<usize, StoreError> {
    let catalog = Catalog::load(&ocop_domain::criteria::bundled_sources())
        .map_err(|errors| StoreError::Data(format!("shipped criteria: {errors:?}")))?;
    let state = AppState::new(db.clone(), catalog);
    let user = |email: &'static str| async move {
        accounts::find_by_email(db, email)
            .await?
            .ok_or_else(|| StoreError::Data(format!("demo account {email} is missing")))
    };
    let tinh = user("tinh@demo.ocop.vn").await?;
    let producer = user("sanxuat@demo.ocop.vn").await?;
    let lang = Lang::Vi;
    let today = today();
    // Decided 36 months before: 20 days before today (so it expires in 20 days), and 40 days
    // after today (expired 40 days ago); the revoked one a year later.
    let back = |days_after: i64, months: u32| {
        let day = if days_after >= 0 {
            today + Days::new(days_after.unsigned_abs())
        } else {
            today - Days::new(days_after.unsigned_abs())
        };
        day - Months::new(months)
    };
    let expiring_on = back(20, 36);
    let expired_on = back(-40, 36);
    let revoked_on = back(0, 24);
    let upgraded_from = back(-200, 36);
    let meeting = [expiring_on, expired_on, revoked_on, upgraded_from]
        .into_iter()
        .min()
        .unwrap_or(expired_on)
        - Days::new(10);
    // Legacy rounds are those held before the system (before 01/07/2025).
    let meeting = meeting.min(ocop_domain::rounds::legacy_before() - Days::new(1));

    // The rules in force on the meeting day (QĐ 148 from 24/02/2023, QĐ 1048 before).
    let version = state
        .criteria
        .in_force_on(meeting)
        .map(|v| v.id.clone())
        .ok_or_else(|| StoreError::Data(format!("demo: no criteria in force on {meeting}")))?;
    let commune = communes.first().cloned().unwrap_or_default();
    let expiring = product(
        db,
        &version,
        &commune,
        producer.entity_id.as_deref(),
        ("", "Sầu riêng Dona Long Khánh"),
        0,
    )
    .await?;
    let expired = product(
        db,
        &version,
        &commune,
        None,
        ("Hợp tác xã Xoài Vĩnh Cửu", "Xoài Đài Loan Vĩnh Cửu"),
        1,
    )
    .await?;
    let revoked = product(
        db,
        &version,
        &commune,
        None,
        ("Tổ hợp tác Mãng cầu Trảng Bom", "Mãng cầu xiêm Trảng Bom"),
        2,
    )
    .await?;
    // The 2026 round's 4★ product held a 3★ certificate before: the upgrade superseded it.
    let upgraded = registry::products(db, &Scope::National, None)
        .await?
        .into_iter()
        .find(|p| p.name == "Bưởi đường lá cam Tân Triều loại 1")
        .map(|p| p.code)
        .ok_or_else(|| StoreError::Data("demo: the 2026 round's 4★ product is missing".into()))?;

    let round = rounds::open(
        &state,
        &tinh,
        &OpenForm {
            name: "Đợt đánh giá trước khi có hệ thống (ghi nhận)".into(),
            level: String::new(),
            kind: "legacy".into(),
            meeting_on: vn(meeting),
            place: "Hội trường UBND tỉnh Đồng Nai".into(),
        },
        lang,
    )
    .await
    .map_err(fail("legacy round"))?;
    for (code, score, decided, number) in [
        (&expiring, "78,50", expiring_on, "2105/QĐ-UBND"),
        (&expired, "64,00", expired_on, "1720/QĐ-UBND"),
        (&revoked, "61,25", revoked_on, "815/QĐ-UBND"),
        (&upgraded, "66,75", upgraded_from, "1250/QĐ-UBND"),
    ] {
        let loaded = Loaded::load(&state, &tinh, &round.id)
            .await
            .map_err(fail("legacy round"))?;
        let form = LegacyForm {
            product_code: code.clone(),
            criteria_version: version.clone(),
            score: score.into(),
            decision_number: number.into(),
            decision_date: vn(decided),
            decision_signer: "Võ Tấn Đức, Phó Chủ tịch UBND tỉnh".into(),
        };
        rounds::record_legacy(&state, &tinh, &loaded, &form, lang)
            .await
            .map_err(fail("legacy result"))?;
    }

    let all = certificates::list(db, &Scope::National, "").await?;
    let of = |code: &str| {
        all.iter()
            .filter(|c| c.product_code == code)
            .max_by_key(|c| c.timeline.issued_on)
            .cloned()
            .ok_or_else(|| StoreError::Data(format!("demo: no certificate for {code}")))
    };
    // Production stopped: the commune confirmed it, the chair revoked within the 15 days.
    let confirmed = today - Days::new(20);
    ocop_web::certificates::revoke(
        &state,
        &tinh,
        &of(&revoked)?,
        &RevocationForm {
            ground: "dd".into(),
            found_on: vn(confirmed),
            finding_ref: "Văn bản số 112/UBND-KT của UBND xã xác nhận chủ thể ngừng sản xuất"
                .into(),
            decision_number: "2290/QĐ-UBND".into(),
            decided_on: vn(confirmed + Days::new(9)),
            signer: "Võ Tấn Đức, Phó Chủ tịch UBND tỉnh".into(),
        },
        lang,
    )
    .await
    .map_err(fail("revocation"))?;
    // A periodic inspection of the upgraded product found the old star on its labels.
    let current = of(&upgraded)?;
    let inspected_on = (today - Days::new(12))
        .max(current.timeline.issued_on)
        .min(today);
    ocop_web::certificates::inspect(
        &state,
        &tinh,
        &current,
        &InspectionForm {
            kind: "periodic".into(),
            inspected_on: vn(inspected_on),
            inspectors: "Trần Thị Tỉnh; Nguyễn Văn Kiểm (Sở Công Thương)".into(),
            criteria_maintained: "yes".into(),
            mark_used_correctly: String::new(),
            findings: "Lô hàng tại điểm bán còn dùng nhãn 3 sao của giấy chứng nhận cũ.".into(),
            outcome: "corrective_action".into(),
            action: "Thu hồi nhãn cũ, in lại nhãn 4 sao theo giấy chứng nhận mới".into(),
            action_deadline: vn(today + Days::new(18)),
            ground: String::new(),
        },
        lang,
    )
    .await
    .map_err(fail("inspection"))?;
    certificates::sweep(db, &state.criteria, today).await?;
    Ok(certificates::list(db, &Scope::National, "").await?.len())
}
