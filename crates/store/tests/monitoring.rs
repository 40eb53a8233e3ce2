//! Monitoring in the database, recomputed by hand on both databases: a former province's plan
//! measured on its own territory and rolled onto today's map, entitlements (an upgrade paying
//! the difference, two non-cumulative policies paying only the more favourable, a policy
//! entered later applied to earlier recognitions), a policy that would pay twice refused with
//! nothing written, disbursements never past the entitlement, budgets with what is committed
//! and paid.

use chrono::NaiveDate;
use ocop_domain::access::Scope;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::dossier::EvaluationType;
use ocop_domain::monitoring::facts::Area;
use ocop_domain::monitoring::policies::{
    Amount, Basis, BudgetSource, DisbursementState, Policy, PolicyKind, RecognitionKind,
};
use ocop_domain::monitoring::targets::{Indicator, Period, Progress, TargetValue};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::certificates::{self, Recognition};
use ocop_store::monitoring::plans::{self, PlanDraft};
use ocop_store::monitoring::policies::{BudgetDraft, DisbursementPlan};
use ocop_store::monitoring::{MonitoringError, facts, policies};
use ocop_store::testing::TestDb;
use ocop_store::{Db, on_db, registry, units};

const M: i64 = 1_000_000;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn execute(db: &Db, sql: &'static str, binds: &[&str], day: Option<NaiveDate>) {
    on_db!(db, |pool| {
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        if let Some(day) = day {
            query = query.bind(day);
        }
        query.execute(pool).await.unwrap();
    });
}

struct Made {
    entity: String,
    product: String,
    code: String,
    commune: &'static str,
}

/// An entity and its product in a commune of today's Đồng Nai (75).
async fn product(db: &Db, n: u32, commune: &'static str, women_led: bool) -> Made {
    let entity = registry::create(
        db,
        &check_entity(
            &EntityForm {
                kind: "cooperative".into(),
                registration_code: format!("HTX-{commune}-{n}"),
                name: format!("Hợp tác xã {n}"),
                representative: "Trần Thị Lan".into(),
                address: "Ấp 3".into(),
                commune_code: commune.into(),
                women_led: women_led.then(|| "on".to_string()),
                ..EntityForm::default()
            },
            date(2026, 1, 5),
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
                name: format!("Hạt điều {n}"),
                product_set: "P01".into(),
                description: "Hạt điều rang muối".into(),
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
    Made {
        entity: entity.id,
        product: product.id,
        code: product.code,
        commune,
    }
}

/// A decision recognising the product at `stars` on `on`, and its certificate.
async fn certify(
    db: &Db,
    catalog: &Catalog,
    made: &Made,
    n: u32,
    stars: u8,
    on: NaiveDate,
) -> String {
    let (round, rp, dossier, decision) = (
        format!("round-{n}"),
        format!("rp-{n}"),
        format!("dossier-{n}"),
        format!("decision-{n}"),
    );
    execute(
        db,
        "INSERT INTO dossiers (id, product_id, entity_id, commune_code, province_code, evaluation_type, state, \
         criteria_version, product_set, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, '75', 'first_time', 'recognised', '26-2026', 'P01', 0, 0)",
        &[&dossier, &made.product, &made.entity, made.commune],
        None,
    )
    .await;
    execute(
        db,
        "INSERT INTO rounds (id, name, level, kind, province_code, meeting_on, place, state, created_by, created_at, updated_at) \
         VALUES ($1, 'Đợt', 'province', 'online', '75', $2, 'Biên Hòa', 'closed', 't', 0, 0)",
        &[&round],
        Some(on),
    )
    .await;
    execute(
        db,
        "INSERT INTO round_products (id, round_id, dossier_id, product_id, entity_id, commune_code, province_code, \
         criteria_version, product_set, entity_type, pass, disqualifications, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, '75', '26-2026', 'P01', 'cooperative', 1, '[]', 0)",
        &[&rp, &round, &dossier, &made.product, &made.entity, made.commune],
        None,
    )
    .await;
    execute(
        db,
        "INSERT INTO decisions (id, round_id, number, signed_on, signer, recorded_by, recorded_at) \
         VALUES ($1, $2, $1, $3, 'Chủ tịch', 't', 0)",
        &[&decision, &round],
        Some(on),
    )
    .await;
    let mut tx = db.begin().await.unwrap();
    let id = certificates::issue(
        &mut tx,
        catalog,
        &Recognition {
            decision_id: &decision,
            decided_on: on,
            round_product_id: &rp,
            product_id: &made.product,
            product_code: &made.code,
            entity_id: &made.entity,
            commune_code: made.commune,
            province_code: "75",
            criteria_version: "26-2026",
            evaluation_type: EvaluationType::FirstTime,
            stars,
            score: Some(7550),
        },
        "t",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn policy(name: &str, amount: Amount, triggers: &[RecognitionKind], cumulative: bool) -> Policy {
    Policy {
        id: String::new(),
        name: name.into(),
        reference: format!("Nghị quyết {name}/2021/NQ-HĐND"),
        unit_code: "75".into(),
        unit_is_commune: false,
        valid_from: date(2021, 1, 1),
        valid_to: Some(date(2025, 12, 31)),
        source: BudgetSource::Provincial,
        kind: PolicyKind::Reward,
        triggers: triggers.to_vec(),
        amount,
        cumulative,
        max_per_commune: None,
    }
}

const BINH_PHUOC_COMMUNE: &str = "25333"; // Phường An Lộc, formerly in Bình Phước (70)
const DONG_NAI_COMMUNE: &str = "26068"; // Phường Biên Hòa, formerly in Đồng Nai (75)

#[tokio::test]
async fn a_former_province_plan_is_measured_on_its_territory_and_rolls_onto_today() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let province = Scope::Province("75".into());
    let a = product(db, 1, BINH_PHUOC_COMMUNE, true).await;
    let b = product(db, 2, BINH_PHUOC_COMMUNE, false).await;
    let c = product(db, 3, DONG_NAI_COMMUNE, true).await;
    certify(db, &catalog, &a, 1, 3, date(2022, 5, 1)).await;
    certify(db, &catalog, &a, 2, 4, date(2024, 3, 1)).await;
    certify(db, &catalog, &b, 3, 3, date(2024, 6, 1)).await;
    certify(db, &catalog, &c, 4, 5, date(2024, 9, 1)).await;

    let plan_period = Period::new(2021, 2025).unwrap();
    let in_2024 = date(2024, 1, 1);
    let binh_phuoc = units::find_by_code(db, "70", Some(in_2024))
        .await
        .unwrap()
        .unwrap();
    let old_dong_nai = units::find_by_code(db, "75", Some(in_2024))
        .await
        .unwrap()
        .unwrap();
    let draft = |unit: i64, new_products: u32| PlanDraft {
        unit_id: Some(unit),
        period: plan_period,
        reference: "Kế hoạch OCOP 2021–2025".into(),
        targets: vec![
            (Indicator::NewProducts, TargetValue::Count(new_products)),
            (Indicator::WomenLedShare, TargetValue::Share(4000)),
        ],
    };
    let bp_plan = plans::save(db, &province, &draft(binh_phuoc.id, 1), "tinh")
        .await
        .unwrap();
    plans::save(db, &province, &draft(old_dong_nai.id, 3), "tinh")
        .await
        .unwrap();
    // A former province's plan lies in today's province: its officer wrote it, and reads it.
    assert_eq!(bp_plan.province_code.as_deref(), Some("75"));
    assert_eq!(bp_plan.area(), Area::FormerProvince("70".into()));
    // Another province's officer may not write it.
    let elsewhere = plans::save(
        db,
        &Scope::Province("79".into()),
        &draft(binh_phuoc.id, 9),
        "x",
    )
    .await;
    assert!(matches!(elsewhere, Err(MonitoringError::NotFound)));
    let all = plans::plans(db, &province).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(
        plans::plans(db, &Scope::Province("79".into()))
            .await
            .unwrap()
            .is_empty()
    );

    let facts = facts::load(db, &catalog).await.unwrap();
    // On its own territory: a's first recognition (2022) and b's (2024) lay in Bình Phước.
    let own = facts.actual(Indicator::NewProducts, &bp_plan.area(), plan_period);
    assert_eq!(
        Progress::of(own, TargetValue::Count(1)).text(),
        "2 / 1 — 200 %"
    );
    // On today's map: both former provinces' targets (1 + 3) against a, b and c.
    let today = Area::Province("75".into());
    let rolled = plans::rolling_onto(&all, &today, plan_period);
    assert_eq!(rolled.len(), 2);
    let target: u32 = rolled
        .iter()
        .filter_map(|p| match p.targets.get(&Indicator::NewProducts) {
            Some(TargetValue::Count(n)) => Some(*n),
            _ => None,
        })
        .sum();
    let actual = facts.actual(Indicator::NewProducts, &today, plan_period);
    assert_eq!(
        Progress::of(actual, TargetValue::Count(target)).text(),
        "3 / 4 — 75 %"
    );
    // Women-led among the OCOP entities of the plan: a's and c's entities of three.
    let women = facts.actual(Indicator::WomenLedShare, &today, plan_period);
    assert_eq!(
        Progress::of(women, TargetValue::Share(4000)).text(),
        "66,67 % / 40 % — 167 %"
    );

    // Saving the same unit and period again replaces the targets, one plan still.
    plans::save(db, &province, &draft(binh_phuoc.id, 2), "tinh")
        .await
        .unwrap();
    let again = plans::plans(db, &province).await.unwrap();
    assert_eq!(again.len(), 2);
    let bp = again.iter().find(|p| p.id == bp_plan.id).unwrap();
    assert_eq!(
        bp.targets.get(&Indicator::NewProducts),
        Some(&TargetValue::Count(2))
    );

    // A former district plans for its own territory: measured on it, placed in today's
    // province, and a part of the province's figures, not added to them.
    let district = units::find_by_code(db, "70:thi-xa-binh-long", Some(in_2024))
        .await
        .unwrap()
        .unwrap();
    let district_plan = plans::save(db, &province, &draft(district.id, 1), "tinh")
        .await
        .unwrap();
    assert_eq!(
        district_plan.area(),
        Area::FormerDistrict(district.code.clone())
    );
    assert_eq!(district_plan.province_code.as_deref(), Some("75"));
    let all = plans::plans(db, &province).await.unwrap();
    assert_eq!(plans::rolling_onto(&all, &today, plan_period).len(), 2);
    let own = facts.actual(Indicator::NewProducts, &district_plan.area(), plan_period);
    // Phường An Lộc (25333) came from communes of Thị xã Bình Long.
    assert_eq!(own.count, 2, "{district:?}");
    // A new commune with no predecessor cannot plan for the years before it existed.
    units::load(
        db,
        "# ocop-units 1\nunit\tcommune\t99001\tXã Ví Dụ\txa\t75\t2026-01-01\t\tNQ 1/NQ-UBTVQH15\n",
        "test",
        &mut |_, _| {},
    )
    .await
    .unwrap();
    let fresh = units::find_by_code(db, "99001", None)
        .await
        .unwrap()
        .unwrap();
    let too_early = PlanDraft {
        period: Period::year(2024),
        ..draft(fresh.id, 1)
    };
    let refused = plans::save(db, &province, &too_early, "tinh").await;
    assert!(matches!(
        refused,
        Err(MonitoringError::Invalid("unit", "plan-error-unit-period"))
    ));
    let in_force = PlanDraft {
        period: Period::year(2026),
        ..draft(fresh.id, 1)
    };
    let commune_plan = plans::save(db, &province, &in_force, "tinh").await.unwrap();
    assert_eq!(commune_plan.commune_code.as_deref(), Some("99001"));
}

#[tokio::test]
async fn entitlements_upgrade_difference_most_favourable_and_disbursements() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let province = Scope::Province("75".into());
    use RecognitionKind::*;

    // Two non-cumulative policies for first recognitions, entered before the decisions.
    let one_time = policies::create_policy(
        db,
        &province,
        &policy("12", Amount::OneTime(50 * M), &[First], false),
        "tinh",
    )
    .await
    .unwrap();
    let per_star = policies::create_policy(
        db,
        &province,
        &policy(
            "13",
            Amount::PerStar([30 * M, 60 * M, 90 * M]),
            &[First],
            false,
        ),
        "tinh",
    )
    .await
    .unwrap();
    let a = product(db, 1, DONG_NAI_COMMUNE, false).await;
    let b = product(db, 2, DONG_NAI_COMMUNE, false).await;
    let a3 = certify(db, &catalog, &a, 1, 3, date(2023, 5, 1)).await;
    let b4 = certify(db, &catalog, &b, 2, 4, date(2023, 6, 1)).await;
    let a4 = certify(db, &catalog, &a, 3, 4, date(2024, 5, 1)).await;

    let rows = policies::entitlements(db, &province, None, None)
        .await
        .unwrap();
    let amount = |cert_product: &str, stars: u8, policy: &str| {
        rows.iter()
            .find(|e| e.product_id == cert_product && e.stars == stars && e.policy_id == policy)
            .map(|e| (e.amount, e.basis.clone()))
    };
    // 3★: 50 M one-time beats 30 M; 4★: 60 M per star beats 50 M.
    assert_eq!(amount(&a.product, 3, &one_time.id).unwrap().0, 50 * M);
    assert_eq!(
        amount(&a.product, 3, &per_star.id).unwrap(),
        (
            0,
            Basis::Superseded {
                by: one_time.id.clone(),
                would_pay: 30 * M
            }
        )
    );
    assert_eq!(amount(&b.product, 4, &per_star.id).unwrap().0, 60 * M);
    assert_eq!(amount(&b.product, 4, &one_time.id).unwrap().0, 0);
    // The upgrade is no first recognition: neither pays for it.
    assert_eq!(amount(&a.product, 4, &one_time.id), None);

    // A reward per star for first recognitions and upgrades, entered later: applied to the
    // recognitions its validity covers; the upgrade pays the difference (40 M − 20 M).
    let reward = policies::create_policy(
        db,
        &province,
        &Policy {
            valid_from: date(2023, 1, 1),
            ..policy(
                "14",
                Amount::PerStar([20 * M, 40 * M, 80 * M]),
                &[First, Upgrade],
                true,
            )
        },
        "tinh",
    )
    .await
    .unwrap();
    let rows = policies::entitlements(db, &province, Some(&reward.id), None)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let upgrade = rows.iter().find(|e| e.kind == Upgrade).unwrap();
    assert_eq!(upgrade.amount, 20 * M);
    assert_eq!(
        upgrade.basis,
        Basis::Difference {
            full: 40 * M,
            already: 20 * M
        }
    );
    assert_eq!(
        rows.iter().map(|e| e.amount).sum::<i64>(),
        20 * M + 40 * M + 20 * M
    );
    // Each entitlement names its recognition's certificate.
    let numbers: Vec<&str> = rows.iter().map(|e| e.certificate_number.as_str()).collect();
    for certificate in [&a3, &b4, &a4] {
        let number = certificates::find(db, &Scope::National, certificate)
            .await
            .unwrap()
            .unwrap()
            .number;
        assert!(numbers.contains(&number.as_str()), "{number}");
    }

    // A second cumulative reward for the same recognitions would pay twice: refused, nothing
    // written.
    let before: i64 = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM policies"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    let twice = policies::create_policy(
        db,
        &province,
        &policy("15", Amount::OneTime(10 * M), &[Upgrade], true),
        "tinh",
    )
    .await;
    assert!(matches!(
        twice,
        Err(MonitoringError::Invalid("cumulative", "policy-error-twice"))
    ));
    let after: i64 = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM policies"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(before, after);
    // Another province's officer cannot enter Đồng Nai's policy.
    let foreign = policies::create_policy(
        db,
        &Scope::Province("79".into()),
        &policy("16", Amount::OneTime(M), &[ReRecognition], true),
        "x",
    )
    .await;
    assert!(matches!(foreign, Err(MonitoringError::NotFound)));

    // Disbursements: never past what is owed; planned → approved → paid.
    let owed = rows.iter().find(|e| e.kind == Upgrade).unwrap();
    let planned = policies::plan_disbursement(
        db,
        &province,
        &owed.id,
        &DisbursementPlan {
            amount: 15 * M,
            cost: None,
            planned_on: date(2024, 6, 1),
            document: "Tờ trình 12/TTr-SNN".into(),
        },
        "tinh",
    )
    .await
    .unwrap();
    let over = policies::plan_disbursement(
        db,
        &province,
        &owed.id,
        &DisbursementPlan {
            amount: 5 * M + 1,
            cost: None,
            planned_on: date(2024, 6, 2),
            document: "Tờ trình 13/TTr-SNN".into(),
        },
        "tinh",
    )
    .await;
    assert!(matches!(
        over,
        Err(MonitoringError::Invalid(
            "amount",
            "disbursement-error-over"
        ))
    ));
    let approved = policies::advance_disbursement(
        db,
        &province,
        &planned.id,
        date(2024, 6, 10),
        "Quyết định 55/QĐ-UBND",
        "tinh",
    )
    .await
    .unwrap();
    assert_eq!(approved.state, DisbursementState::Approved);
    let early = policies::advance_disbursement(
        db,
        &province,
        &planned.id,
        date(2024, 6, 9),
        "Ủy nhiệm chi 1",
        "tinh",
    )
    .await;
    assert!(matches!(
        early,
        Err(MonitoringError::Invalid("on", "disbursement-error-date"))
    ));
    let paid = policies::advance_disbursement(
        db,
        &province,
        &planned.id,
        date(2024, 7, 1),
        "Ủy nhiệm chi 1",
        "tinh",
    )
    .await
    .unwrap();
    assert_eq!(paid.state, DisbursementState::Paid);
    assert!(matches!(
        policies::advance_disbursement(db, &province, &planned.id, date(2024, 7, 2), "x", "tinh")
            .await,
        Err(MonitoringError::Invalid("state", "disbursement-error-paid"))
    ));
    let seen = policies::entitlement(db, &province, &owed.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.disbursed, [0, 0, 15 * M]);
    assert_eq!(seen.open(), 5 * M);

    // Budgets: what the province allots for 2024, with what is committed and paid.
    let budget = BudgetDraft {
        year: 2024,
        unit_code: "75".into(),
        source: BudgetSource::Provincial,
        amount: 500 * M,
        reference: "Quyết định 1/QĐ-UBND".into(),
    };
    policies::set_budget(db, &province, &budget, "tinh")
        .await
        .unwrap();
    let second = policies::plan_disbursement(
        db,
        &province,
        &owed.id,
        &DisbursementPlan {
            amount: 5 * M,
            cost: None,
            planned_on: date(2024, 8, 1),
            document: "Tờ trình 14/TTr-SNN".into(),
        },
        "tinh",
    )
    .await
    .unwrap();
    policies::advance_disbursement(
        db,
        &province,
        &second.id,
        date(2024, 8, 2),
        "QĐ 60/QĐ-UBND",
        "tinh",
    )
    .await
    .unwrap();
    let lines = policies::budgets(db, &province, Some(2024)).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].amount, lines[0].committed, lines[0].paid),
        (500 * M, 20 * M, 15 * M)
    );
    // Other scopes see nothing of it.
    assert!(
        policies::budgets(db, &Scope::Province("79".into()), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        policies::entitlement(db, &Scope::Province("79".into()), &owed.id)
            .await
            .unwrap()
            .is_none()
    );
}
