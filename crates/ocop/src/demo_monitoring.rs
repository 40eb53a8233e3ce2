//! The demo's programme monitoring, made through the store's own operations: plans for Đồng Nai
//! (its former provinces' 2021–2025 plans, 2024 and 2025, today's province for this year split
//! over two communes) and for Thanh Hóa, with results ahead of and behind target; a one-time
//! support and a per-star reward with entitlements in every disbursement state and budgets;
//! sales channels, a showroom, online listings, export markets, a fair, a course, a craft
//! village and entities in value chains. Targets are set from the records' own figures, so that
//! "ahead" and "behind" hold whatever day the demo is loaded.

use chrono::{Datelike, Days, NaiveDate};

use ocop_domain::access::Scope;
use ocop_domain::criteria::Catalog;
use ocop_domain::monitoring::facts::Area;
use ocop_domain::monitoring::policies::{
    Amount, BudgetSource, Policy, PolicyKind, RecognitionKind,
};
use ocop_domain::monitoring::promotion::{Audience, CourseDraft, FairDraft, Platform};
use ocop_domain::monitoring::targets::{Indicator, Period, TargetValue};
use ocop_domain::sales_points::{SalesPointDraft, SalesPointKind};
use ocop_store::clock::today;
use ocop_store::monitoring::plans::{self, PlanDraft};
use ocop_store::monitoring::policies::{self, BudgetDraft, DisbursementPlan};
use ocop_store::monitoring::{MonitoringError, facts, promotion};
use ocop_store::{Db, StoreError, registry, sales_points, units};

const M: i64 = 1_000_000;

fn fail(what: &'static str) -> impl Fn(MonitoringError) -> StoreError {
    move |error| StoreError::Data(format!("demo {what}: {error}"))
}

/// A target the records already meet (half their figure, at least 1) or one they do not (their
/// figure and 2 more).
fn target(actual: u64, ahead: bool) -> TargetValue {
    let actual = u32::try_from(actual).unwrap_or(u32::MAX);
    if ahead && actual > 0 {
        TargetValue::Count(actual.div_ceil(2))
    } else {
        TargetValue::Count(actual + 2)
    }
}

pub async fn load(db: &Db, criteria: &Catalog, communes: &[String]) -> Result<(), StoreError> {
    let province = Scope::Province("75".into());
    let central = Scope::National;
    let now = today();
    let year = now.year();
    let records = facts::load(db, criteria).await?;
    let dong_nai = Area::Province("75".into());

    // Plans: the former provinces' 2021–2025 plans and the former Đồng Nai's 2024 and 2025,
    // today's Đồng Nai for this year split over the demo communes, Thanh Hóa's three.
    let eve = NaiveDate::from_ymd_opt(2025, 6, 30).expect("a day");
    let former_dong_nai = units::find_by_code(db, "75", Some(eve)).await?;
    let binh_phuoc = units::find_by_code(db, "70", Some(eve)).await?;
    let thanh_hoa = units::find_by_code(db, "38", Some(eve)).await?;
    let today_dong_nai = units::find_by_code(db, "75", None).await?;
    let plan_period = Period {
        from: 2021,
        to: 2025,
    };
    let mut drafts: Vec<(Scope, PlanDraft)> = Vec::new();
    if let (Some(dn), Some(bp)) = (&former_dong_nai, &binh_phuoc) {
        for (unit, ahead, reference) in [
            (
                dn,
                true,
                "Kế hoạch 125/KH-UBND thực hiện Chương trình OCOP tỉnh Đồng Nai giai đoạn 2021–2025",
            ),
            (
                bp,
                false,
                "Kế hoạch 98/KH-UBND thực hiện Chương trình OCOP tỉnh Bình Phước giai đoạn 2021–2025",
            ),
        ] {
            let area = Area::FormerProvince(unit.code.clone());
            let new = records
                .actual(Indicator::NewProducts, &area, plan_period)
                .count;
            drafts.push((
                province.clone(),
                PlanDraft {
                    unit_id: Some(unit.id),
                    period: plan_period,
                    reference: reference.into(),
                    targets: vec![
                        (Indicator::NewProducts, target(new, ahead)),
                        (Indicator::FiveStarProducts, TargetValue::Count(1)),
                        (Indicator::FourStarShare, TargetValue::Share(1000)),
                        (Indicator::WomenLedShare, TargetValue::Share(4000)),
                        (Indicator::EthnicMinorityLedShare, TargetValue::Share(1000)),
                        (Indicator::SalesPoints, TargetValue::Count(2)),
                        (Indicator::DigitisedShare, TargetValue::Share(10_000)),
                    ],
                },
            ));
        }
        for (y, ahead) in [(2024, false), (2025, true)] {
            let period = Period::year(y);
            let new = records
                .actual(Indicator::NewProducts, &dong_nai, period)
                .count;
            drafts.push((
                province.clone(),
                PlanDraft {
                    unit_id: Some(dn.id),
                    period,
                    reference: format!("Kế hoạch thực hiện Chương trình OCOP năm {y}"),
                    targets: vec![
                        (Indicator::NewProducts, target(new, ahead)),
                        (Indicator::UpgradedShare, TargetValue::Share(500)),
                        (Indicator::ModernChannelShare, TargetValue::Share(3000)),
                    ],
                },
            ));
        }
    }
    if let Some(dn) = &today_dong_nai {
        let period = Period::year(year);
        let new = records
            .actual(Indicator::NewProducts, &dong_nai, period)
            .count;
        let whole = target(new, true);
        drafts.push((
            province.clone(),
            PlanDraft {
                unit_id: Some(dn.id),
                period,
                reference: format!("Kế hoạch thực hiện Chương trình OCOP năm {year} tỉnh Đồng Nai"),
                targets: vec![
                    (Indicator::NewProducts, whole),
                    (Indicator::NewProducts4, TargetValue::Count(3)),
                    (Indicator::WomenLedShare, TargetValue::Share(4000)),
                    (Indicator::ModernChannelShare, TargetValue::Share(5000)),
                    (Indicator::ValueChainShare, TargetValue::Share(3000)),
                    (Indicator::TrainedWorkerShare, TargetValue::Share(2000)),
                    (Indicator::CraftVillageShare, TargetValue::Share(5000)),
                    (Indicator::SalesPoints, TargetValue::Count(3)),
                    (Indicator::DigitisedShare, TargetValue::Share(10_000)),
                ],
            },
        ));
        // Split over the two demo communes, one short of the whole.
        let parts = match whole {
            TargetValue::Count(n) => n.saturating_sub(1),
            TargetValue::Share(_) => 0,
        };
        for (index, commune) in communes.iter().take(2).enumerate() {
            if let Some(unit) = units::find_by_code(db, commune, None).await? {
                let share = if index == 0 {
                    parts.div_ceil(2)
                } else {
                    parts / 2
                };
                drafts.push((
                    province.clone(),
                    PlanDraft {
                        unit_id: Some(unit.id),
                        period,
                        reference: format!("Phân bổ chỉ tiêu OCOP năm {year} cho cấp xã"),
                        targets: vec![(Indicator::NewProducts, TargetValue::Count(share))],
                    },
                ));
            }
        }
        // The nation's plan for this year, recorded by the central office.
        drafts.push((
            central.clone(),
            PlanDraft {
                unit_id: None,
                period,
                reference: format!("Kế hoạch thực hiện Chương trình OCOP toàn quốc năm {year}"),
                targets: vec![
                    (Indicator::NewProducts, TargetValue::Count(1200)),
                    (Indicator::FiveStarProducts, TargetValue::Count(20)),
                    (Indicator::WomenLedShare, TargetValue::Share(4000)),
                ],
            },
        ));
    }
    if let Some(th) = &thanh_hoa {
        for period in [plan_period, Period::year(2024), Period::year(2025)] {
            drafts.push((
                Scope::Province("38".into()),
                PlanDraft {
                    unit_id: Some(th.id),
                    period,
                    reference: format!("Kế hoạch OCOP tỉnh Thanh Hóa {period}"),
                    targets: vec![
                        (
                            Indicator::NewProducts,
                            TargetValue::Count(if period == plan_period { 250 } else { 60 }),
                        ),
                        (Indicator::FourStarShare, TargetValue::Share(1000)),
                    ],
                },
            ));
        }
    }
    for (scope, draft) in &drafts {
        plans::save(db, scope, draft, "demo")
            .await
            .map_err(fail("plan"))?;
    }

    // Two policies of Đồng Nai, applied to the recognitions already made.
    let support = policies::create_policy(
        db,
        &province,
        &Policy {
            id: String::new(),
            name: "Hỗ trợ một lần sản phẩm OCOP được công nhận lần đầu".into(),
            reference: "Nghị quyết 15/2021/NQ-HĐND tỉnh Đồng Nai".into(),
            unit_code: "75".into(),
            unit_is_commune: false,
            valid_from: NaiveDate::from_ymd_opt(2021, 1, 1).expect("a day"),
            valid_to: None,
            source: BudgetSource::Provincial,
            kind: PolicyKind::Support,
            triggers: vec![RecognitionKind::First],
            amount: Amount::OneTime(75 * M),
            cumulative: true,
            max_per_commune: None,
        },
        "demo",
    )
    .await
    .map_err(fail("support policy"))?;
    policies::create_policy(
        db,
        &province,
        &Policy {
            id: String::new(),
            name: "Thưởng sản phẩm OCOP theo hạng sao".into(),
            reference: "Quyết định 30/2022/QĐ-UBND tỉnh Đồng Nai".into(),
            unit_code: "75".into(),
            unit_is_commune: false,
            valid_from: NaiveDate::from_ymd_opt(2022, 1, 1).expect("a day"),
            valid_to: None,
            source: BudgetSource::Provincial,
            kind: PolicyKind::Reward,
            triggers: vec![RecognitionKind::First, RecognitionKind::Upgrade],
            amount: Amount::PerStar([20 * M, 40 * M, 80 * M]),
            cumulative: true,
            max_per_commune: None,
        },
        "demo",
    )
    .await
    .map_err(fail("reward policy"))?;
    for (y, amount) in [(year - 1, 600 * M), (year, 900 * M)] {
        policies::set_budget(
            db,
            &province,
            &BudgetDraft {
                year: y,
                unit_code: "75".into(),
                source: BudgetSource::Provincial,
                amount,
                reference: format!("Quyết định giao dự toán ngân sách năm {y}"),
            },
            "demo",
        )
        .await
        .map_err(fail("budget"))?;
    }
    // Disbursements of the support in every state: planned, approved, paid, and one paid in part.
    let owed: Vec<_> = policies::entitlements(db, &province, Some(&support.id), None)
        .await
        .map_err(fail("entitlements"))?
        .into_iter()
        .filter(|e| e.amount > 0)
        .collect();
    let start = now.checked_sub_days(Days::new(40)).unwrap_or(now);
    for (index, entitlement) in owed.iter().take(4).enumerate() {
        let amount = if index == 3 {
            entitlement.amount / 2
        } else {
            entitlement.amount
        };
        let planned = policies::plan_disbursement(
            db,
            &province,
            &entitlement.id,
            &DisbursementPlan {
                amount,
                cost: None,
                planned_on: start,
                document: format!("Tờ trình {}/TTr-SNN", 110 + index),
            },
            "demo",
        )
        .await
        .map_err(fail("disbursement"))?;
        if index >= 1 {
            let approved = start.checked_add_days(Days::new(10)).unwrap_or(start);
            policies::advance_disbursement(
                db,
                &province,
                &planned.id,
                approved,
                &format!("Quyết định {}/QĐ-UBND", 2400 + index),
                "demo",
            )
            .await
            .map_err(fail("approval"))?;
        }
        if index >= 2 {
            let paid = start.checked_add_days(Days::new(25)).unwrap_or(start);
            policies::advance_disbursement(
                db,
                &province,
                &planned.id,
                paid,
                &format!("Ủy nhiệm chi {}", 77 + index),
                "demo",
            )
            .await
            .map_err(fail("payment"))?;
        }
    }

    // Trade promotion and training.
    let products = registry::products(db, &province, None).await?;
    let entities = registry::list(db, &province, None).await?;
    let since = |days: u64| now.checked_sub_days(Days::new(days));
    let points = [
        (
            SalesPointKind::Showroom,
            "Trung tâm Giới thiệu sản phẩm OCOP Đồng Nai",
            Some("Số 1 Đường 30/4, phường Trấn Biên"),
            None,
            None,
            since(700),
        ),
        (
            SalesPointKind::PointOfSale,
            "Điểm bán sản phẩm OCOP chợ Long Khánh",
            Some("Chợ Long Khánh, phường Long Khánh"),
            None,
            None,
            since(300),
        ),
        (
            SalesPointKind::Supermarket,
            "Co.opmart Biên Hòa",
            None,
            None,
            None,
            since(500),
        ),
        (
            SalesPointKind::Ecommerce,
            "Gian hàng trên Postmart",
            None,
            Some("https://postmart.vn/gian-hang/ocop-dong-nai"),
            Some(Platform::Postmart),
            since(400),
        ),
        (
            SalesPointKind::Ecommerce,
            "Gian hàng trên Shopee",
            None,
            Some("https://shopee.vn/ocopdongnai"),
            Some(Platform::Shopee),
            since(200),
        ),
    ];
    for (index, product) in products.iter().take(4).enumerate() {
        for (kind, name, address, url, platform, opened_on) in
            points.iter().skip(index % 2).step_by(2)
        {
            let draft = SalesPointDraft {
                kind: *kind,
                name: (*name).into(),
                address: address.map(str::to_string),
                url: url.map(str::to_string),
                opened_on: *opened_on,
                platform: *platform,
            };
            sales_points::add(db, &province, &product.id, &draft, "demo").await?;
        }
    }
    for (product, country, since_year) in products
        .iter()
        .take(2)
        .zip([("JP", year - 2), ("KR", year - 1)])
        .map(|(p, (c, y))| (p, c, y))
    {
        promotion::set_export_market(
            db,
            &province,
            &product.id,
            &promotion::ExportMarket {
                country: country.into(),
                since_year,
            },
            "demo",
        )
        .await
        .map_err(fail("export market"))?;
    }
    let fair_start = now.checked_sub_days(Days::new(60)).unwrap_or(now);
    let fair = promotion::create_fair(
        db,
        &province,
        &FairDraft {
            name: format!("Hội chợ sản phẩm OCOP Đồng Nai {year}"),
            starts_on: fair_start,
            ends_on: fair_start
                .checked_add_days(Days::new(4))
                .unwrap_or(fair_start),
            place: "Công viên Biên Hùng, phường Trấn Biên".into(),
        },
        "demo",
    )
    .await
    .map_err(fail("fair"))?;
    for (product, sales) in products.iter().take(3).zip([48 * M, 31_500_000, 12 * M]) {
        promotion::add_fair_product(db, &province, &fair, &product.id, Some(sales), "demo")
            .await
            .map_err(fail("fair product"))?;
    }
    let course_start = now.checked_sub_days(Days::new(90)).unwrap_or(now);
    let course = promotion::create_course(
        db,
        &province,
        &CourseDraft {
            topic: "Xây dựng thương hiệu và truy xuất nguồn gốc sản phẩm OCOP".into(),
            starts_on: course_start,
            ends_on: course_start
                .checked_add_days(Days::new(1))
                .unwrap_or(course_start),
            organiser: "Sở Nông nghiệp và Môi trường tỉnh Đồng Nai".into(),
            audience: Audience::Entities,
        },
        "demo",
    )
    .await
    .map_err(fail("course"))?;
    for (entity, people) in entities.iter().take(3).zip([3u32, 5, 2]) {
        promotion::add_attendee(db, &province, &course, Some(&entity.id), "", people, "demo")
            .await
            .map_err(fail("attendee"))?;
    }
    for entity in entities.iter().take(2) {
        promotion::set_value_chain(db, &province, &entity.id, true, "demo")
            .await
            .map_err(fail("value chain"))?;
    }
    if let Some(commune) = communes.first() {
        let village = promotion::create_craft_village(
            db,
            &province,
            "Làng nghề bánh tráng Phú Hội",
            commune,
            "demo",
        )
        .await
        .map_err(fail("craft village"))?;
        promotion::create_craft_village(
            db,
            &province,
            "Làng nghề mây tre đan Tân Triều",
            commune,
            "demo",
        )
        .await
        .map_err(fail("craft village"))?;
        if let Some(product) = products.iter().find(|p| p.commune_code == *commune) {
            promotion::add_village_product(db, &province, &village, &product.id, "demo")
                .await
                .map_err(fail("village product"))?;
        }
    }
    Ok(())
}
