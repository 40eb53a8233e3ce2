//! The demo's evaluation rounds, made the way people make them (through `ocop_web::rounds`, the
//! same operations as the pages and the API): in Đồng Nai, a closed round with its decision
//! (a 3★, a 4★, one of 90 points or more forwarded to the ministry, one not recognised), a round
//! in scoring with some cards in, one product under re-score after a spread flag and one member
//! excluded by a conflict; and the ministry's round that recognised the forwarded product 5★.

use std::collections::BTreeMap;

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{
    Catalog, CouncilInput, EntityType, ProductSet, Scorecard, Version, evaluate_set,
};
use ocop_domain::dossier::{CommuneReport, DossierAction, EvaluationType};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::accounts::{self, AccountError, NewUser, User};
use ocop_store::dossiers::{self, Opening};
use ocop_store::rounds::{self as store, RoundAccess};
use ocop_store::{Db, StoreError, registry};
use ocop_web::AppState;
use ocop_web::rounds::{self, DecisionForm, Loaded, OpenForm, SeatForm};

/// Products of the rounds: (entity type, entity, product). All fresh fruit (P01, 26/2026).
const ROUND_PRODUCTS: [(&str, &str, &str); 9] = [
    (
        "cooperative",
        "Hợp tác xã Chôm chôm Long Khánh",
        "Chôm chôm nhãn Long Khánh",
    ),
    (
        "cooperative",
        "Hợp tác xã Bưởi Tân Triều",
        "Bưởi đường lá cam Tân Triều loại 1",
    ),
    (
        "company",
        "Công ty TNHH Nông sản Xuân Lộc",
        "Măng cụt Xuân Lộc",
    ),
    (
        "household",
        "Hộ kinh doanh Vườn mít Bà Hai",
        "Mít Thái Xuân Định",
    ),
    (
        "cooperative",
        "Hợp tác xã Thanh long Gia Kiệm",
        "Thanh long ruột đỏ Gia Kiệm",
    ),
    (
        "cooperative",
        "Hợp tác xã Sầu riêng Cẩm Mỹ",
        "Sầu riêng Monthong Cẩm Mỹ",
    ),
    (
        "company",
        "Công ty CP Nông nghiệp Định Quán",
        "Xoài cát Hòa Lộc Định Quán",
    ),
    (
        "household",
        "Hộ kinh doanh Vườn bơ Út Mười",
        "Bơ sáp 034 Thống Nhất",
    ),
    (
        "cooperative",
        "Hợp tác xã Chuối Trảng Bom",
        "Chuối già Nam Mỹ Trảng Bom",
    ),
];

/// Council accounts: (e-mail, name, role).
const COUNCIL: [(&str, &str, Role); 7] = [
    ("chutich@demo.ocop.vn", "Võ Văn Chủ", Role::CouncilMember),
    (
        "thanhvien1@demo.ocop.vn",
        "Đặng Thị Hạnh",
        Role::CouncilMember,
    ),
    (
        "thanhvien2@demo.ocop.vn",
        "Bùi Văn Phúc",
        Role::CouncilMember,
    ),
    ("thanhvien3@demo.ocop.vn", "Hồ Thị Thu", Role::CouncilMember),
    (
        "hdtw1@demo.ocop.vn",
        "Nguyễn Quốc Bảo",
        Role::CentralOfficer,
    ),
    ("hdtw2@demo.ocop.vn", "Trần Minh Đức", Role::CentralOfficer),
    ("hdtw3@demo.ocop.vn", "Lê Thị Ngọc", Role::CentralOfficer),
];

fn fail(what: &str) -> impl Fn(ocop_web::shared::error::AppError) -> StoreError + '_ {
    move |error| StoreError::Data(format!("demo {what}: {error}"))
}

async fn user(db: &Db, email: &str) -> Result<User, StoreError> {
    accounts::find_by_email(db, email)
        .await?
        .ok_or_else(|| StoreError::Data(format!("demo account {email} is missing")))
}

/// A card on the set: every criterion on its best option for the entity type, except
/// `lowered` criteria on their lowest — those without a star minimum first (in sheet order),
/// so that a lower total keeps the minimums of the stars it still reaches.
fn card(
    version: &Version,
    set: &ProductSet,
    entity: EntityType,
    lowered: usize,
) -> BTreeMap<String, u32> {
    let token = version.token_for(entity);
    let mut order: Vec<(bool, usize)> = set
        .sheet
        .criteria()
        .enumerate()
        .map(|(position, (_, c))| (c.has_minimums(), position))
        .collect();
    order.sort();
    let lowered: Vec<usize> = order.iter().take(lowered).map(|(_, p)| *p).collect();
    set.sheet
        .criteria()
        .enumerate()
        .map(|(position, (_, c))| {
            let options = c.options.iter().filter(|o| o.applies_to_token(token));
            let option = if lowered.contains(&position) {
                options.min_by_key(|o| o.points)
            } else {
                options.max_by_key(|o| o.points)
            };
            (c.code.clone(), option.map_or(1, |o| o.number))
        })
        .collect()
}

/// The fewest lowered criteria whose card a council of five ranks `stars`, in that star's band
/// if any card is (the engine decides).
fn lowered_for(version: &Version, set: &ProductSet, entity: EntityType, stars: u8) -> usize {
    let ranked = |lowered: usize| {
        let choices = card(version, set, entity, lowered);
        let input = CouncilInput {
            version: version.id.clone(),
            product_set: set.code.clone(),
            entity_type: entity,
            council: Vec::new(),
            scorecards: (0..5)
                .map(|i| Scorecard {
                    member: i.to_string(),
                    choices: choices.clone(),
                })
                .collect(),
            disqualifications: Vec::new(),
        };
        evaluate_set(version, set, &input)
            .map(|r| (r.stars, r.band_stars))
            .unwrap_or((0, 0))
    };
    let count = set.sheet.criteria_count();
    (0..=count)
        .find(|&k| ranked(k) == (stars, stars))
        .or_else(|| (0..=count).find(|&k| ranked(k).0 == stars))
        .unwrap_or(count)
}

/// A confirmed entity with a product on P01 and a dossier the province took in; the commune's
/// steps are `commune`'s (the account a conflict is later found for).
async fn taken_in(
    db: &Db,
    communes: &[String],
    index: usize,
    commune: &User,
    province: &User,
) -> Result<(String, EntityType), StoreError> {
    let (kind, entity_name, product_name) = ROUND_PRODUCTS[index];
    let today = chrono::Utc::now().date_naive();
    let form = EntityForm {
        kind: kind.into(),
        legal_form: if kind == "company" {
            "llc_multi_member".into()
        } else {
            String::new()
        },
        registration_code: format!("DEMO-R-{:04}", 100 + index),
        name: entity_name.into(),
        representative: "Trương Thị Kim".into(),
        address: format!("Ấp {}", 1 + index % 7),
        commune_code: communes[index % communes.len()].clone(),
        ..EntityForm::default()
    };
    let draft = check_entity(&form, today)
        .map_err(|e| StoreError::Data(format!("demo entity {entity_name}: {e:?}")))?;
    let entity = registry::create(db, &draft, EntityStatus::Confirmed, "demo")
        .await
        .map_err(|e| StoreError::Data(format!("demo entity {entity_name}: {e}")))?;
    let product_form = ProductForm {
        name: product_name.into(),
        product_set: "P01".into(),
        description: "Trái cây tươi, tuyển chọn".into(),
        ..ProductForm::default()
    };
    let draft = check_product(&product_form, "26-2026", &["P01"])
        .map_err(|e| StoreError::Data(format!("demo product {product_name}: {e:?}")))?;
    let national = Scope::National;
    let product = registry::add_product(db, &national, &entity.id, &draft, "demo")
        .await
        .map_err(|e| StoreError::Data(format!("demo product {product_name}: {e}")))?
        .ok_or_else(|| StoreError::Data("demo product".into()))?;
    let dossier_fail = |e: dossiers::DossierError| StoreError::Data(format!("demo dossier: {e}"));
    let dossier = dossiers::create(
        db,
        &national,
        &product.id,
        Opening {
            evaluation_type: EvaluationType::FirstTime,
            contact_phone: Some("0251 3822 999".into()),
            criteria_version: Some("26-2026".into()),
            filed_at_ms: None,
        },
        "demo",
    )
    .await
    .map_err(dossier_fail)?;
    let report = CommuneReport {
        local_materials: "Trái cây trồng tại xã, 100 % nguyên liệu địa phương".into(),
        local_labour: "Lao động thường trú tại xã".into(),
        idea_origin: "Sản phẩm truyền thống của vùng đất đỏ".into(),
        local_identity: "Giống cây bản địa, kinh nghiệm canh tác của cộng đồng".into(),
    };
    let steps = [
        (DossierAction::Submit, Role::Producer, "demo"),
        (
            DossierAction::Accept,
            Role::CommuneOfficer,
            commune.id.as_str(),
        ),
    ];
    for (action, role, actor) in steps {
        dossiers::apply(db, &national, &dossier.id, &action, role, &[], actor)
            .await
            .map_err(dossier_fail)?;
    }
    dossiers::save_commune_report(db, &national, &dossier.id, &report, &commune.id)
        .await
        .map_err(dossier_fail)?;
    let steps = [
        (
            DossierAction::Propose,
            Role::CommuneOfficer,
            commune.id.as_str(),
        ),
        (
            DossierAction::TakeIn,
            Role::ProvincialOfficer,
            province.id.as_str(),
        ),
    ];
    for (action, role, actor) in steps {
        dossiers::apply(db, &national, &dossier.id, &action, role, &[], actor)
            .await
            .map_err(dossier_fail)?;
    }
    let kind = EntityType::parse(kind).unwrap_or(EntityType::Cooperative);
    Ok((dossier.id, kind))
}

/// Opens a round, seats its council, adds the dossiers: the round's id and its products by dossier.
async fn open_round(
    state: &AppState,
    organiser: &User,
    name: &str,
    meeting_on: &str,
    place: &str,
    seats: &[(&str, &str, &str)],
    dossiers: &[String],
) -> Result<(String, Vec<String>), StoreError> {
    let lang = ocop_web::shared::i18n::Lang::Vi;
    let form = OpenForm {
        name: name.into(),
        level: String::new(),
        kind: String::new(),
        meeting_on: meeting_on.into(),
        place: place.into(),
    };
    let round = rounds::open(state, organiser, &form, lang)
        .await
        .map_err(fail("round"))?;
    for (email, seat, agency) in seats {
        let loaded = Loaded::load(state, organiser, &round.id)
            .await
            .map_err(fail("round"))?;
        let form = SeatForm {
            email: email.to_string(),
            seat: seat.to_string(),
            agency: agency.to_string(),
            position: "Phó Giám đốc".into(),
            organisation: agency.to_string(),
        };
        rounds::seat(state, organiser, &loaded, &form, lang)
            .await
            .map_err(fail("seat"))?;
    }
    let mut products = Vec::new();
    for dossier in dossiers {
        let loaded = Loaded::load(state, organiser, &round.id)
            .await
            .map_err(fail("round"))?;
        let product = rounds::add_product(state, organiser, &loaded, dossier, lang)
            .await
            .map_err(fail("round product"))?;
        products.push(product.id);
    }
    Ok((round.id, products))
}

/// Members submit `choices` on a product (their cards, as they would).
async fn submit(
    state: &AppState,
    round_id: &str,
    product_id: &str,
    members: &[&User],
    choices: &BTreeMap<String, u32>,
) -> Result<(), StoreError> {
    for member in members {
        let loaded = Loaded::load(state, member, round_id)
            .await
            .map_err(fail("round"))?;
        let product = loaded.product(product_id).map_err(fail("product"))?.clone();
        rounds::submit(state, member, &loaded, &product, choices)
            .await
            .map_err(fail("card"))?;
    }
    Ok(())
}

async fn act(
    state: &AppState,
    user: &User,
    round_id: &str,
    action: &str,
) -> Result<(), StoreError> {
    let loaded = Loaded::load(state, user, round_id)
        .await
        .map_err(fail("round"))?;
    rounds::act(state, user, &loaded, action)
        .await
        .map_err(fail("round"))?;
    Ok(())
}

async fn decide(
    state: &AppState,
    user: &User,
    round_id: &str,
    number: &str,
    signed_on: &str,
    signer: &str,
) -> Result<(), StoreError> {
    let loaded = Loaded::load(state, user, round_id)
        .await
        .map_err(fail("round"))?;
    let form = DecisionForm {
        number: number.into(),
        signed_on: signed_on.into(),
        signer: signer.into(),
        products: loaded.products.iter().map(|p| p.id.clone()).collect(),
    };
    rounds::decide(
        state,
        user,
        &loaded,
        &form,
        ocop_web::shared::i18n::Lang::Vi,
    )
    .await
    .map_err(fail("decision"))?;
    Ok(())
}

/// Makes the demo's rounds unless there are rounds already: how many rounds and council
/// accounts it made.
pub async fn load(
    db: &Db,
    communes: &[String],
    password: &str,
) -> Result<(usize, usize), StoreError> {
    if !store::list(db, &RoundAccess::All).await?.is_empty() {
        return Ok((0, 0));
    }
    let mut accounts_made = 0;
    for (email, name, role) in COUNCIL {
        let new = NewUser {
            email: email.into(),
            name: name.into(),
            role,
            unit_code: (role == Role::CouncilMember).then(|| "75".to_string()),
            entity_id: None,
            password: password.into(),
        };
        match accounts::create_user(db, new, "demo").await {
            Ok(_) => accounts_made += 1,
            Err(AccountError::DuplicateEmail(_)) => {}
            Err(AccountError::Store(error)) => return Err(error),
            Err(error) => return Err(StoreError::Data(format!("demo account {email}: {error}"))),
        }
    }
    let catalog = Catalog::load(&ocop_domain::criteria::bundled_sources())
        .map_err(|errors| StoreError::Data(format!("shipped criteria: {errors:?}")))?;
    let state = AppState::new(db.clone(), catalog);
    let version = state
        .criteria
        .version("26-2026")
        .ok_or_else(|| StoreError::Data("26-2026 is missing".into()))?;
    let set = version
        .set("P01")
        .ok_or_else(|| StoreError::Data("26-2026 P01 is missing".into()))?;
    let tinh = user(db, "tinh@demo.ocop.vn").await?;
    let xa = user(db, "xa@demo.ocop.vn").await?;
    let trunguong = user(db, "trunguong@demo.ocop.vn").await?;
    let chair = user(db, "chutich@demo.ocop.vn").await?;
    let hoidong = user(db, "hoidong@demo.ocop.vn").await?;
    let tv1 = user(db, "thanhvien1@demo.ocop.vn").await?;
    let tv2 = user(db, "thanhvien2@demo.ocop.vn").await?;
    let tv3 = user(db, "thanhvien3@demo.ocop.vn").await?;
    let five = [&chair, &hoidong, &tv1, &tv2, &tv3];
    let mut dossiers_made = Vec::new();
    for index in 0..ROUND_PRODUCTS.len() {
        dossiers_made.push(taken_in(db, communes, index, &xa, &tinh).await?);
    }
    let province_seats = [
        ("chutich@demo.ocop.vn", "chair", "UBND tỉnh Đồng Nai"),
        (
            "hoidong@demo.ocop.vn",
            "vice_chair",
            "Sở Nông nghiệp và Môi trường",
        ),
        ("thanhvien1@demo.ocop.vn", "member", "Sở Công Thương"),
        ("thanhvien2@demo.ocop.vn", "member", "Sở Y tế"),
        (
            "thanhvien3@demo.ocop.vn",
            "member",
            "Sở Khoa học và Công nghệ",
        ),
        (
            "tinh@demo.ocop.vn",
            "secretary",
            "Văn phòng Điều phối nông thôn mới tỉnh",
        ),
    ];

    // Round 1, closed and decided: ≥ 90 (forwarded), 4★, 3★, not recognised.
    let closed_dossiers: Vec<String> = dossiers_made[..4].iter().map(|(d, _)| d.clone()).collect();
    let (round1, products1) = open_round(
        &state,
        &tinh,
        "Đợt 1 năm 2026",
        "20/06/2026",
        "Hội trường UBND tỉnh Đồng Nai",
        &province_seats,
        &closed_dossiers,
    )
    .await?;
    act(&state, &tinh, &round1, "start").await?;
    for (i, product) in products1.iter().enumerate() {
        let kind = dossiers_made[i].1;
        let stars = [5, 4, 3, 2][i];
        let choices = card(version, set, kind, lowered_for(version, set, kind, stars));
        submit(&state, &round1, product, &five, &choices).await?;
    }
    act(&state, &tinh, &round1, "close").await?;
    decide(
        &state,
        &tinh,
        &round1,
        "1898/QĐ-UBND",
        "28/06/2026",
        "Võ Tấn Đức, Phó Chủ tịch UBND tỉnh",
    )
    .await?;

    // The ministry's round: the forwarded product, 5★.
    let central_seats = [
        (
            "hdtw1@demo.ocop.vn",
            "chair",
            "Bộ Nông nghiệp và Môi trường",
        ),
        ("hdtw2@demo.ocop.vn", "member", "Bộ Công Thương"),
        ("hdtw3@demo.ocop.vn", "member", "Bộ Y tế"),
    ];
    let (central, central_products) = open_round(
        &state,
        &trunguong,
        "Đợt 1 năm 2026 (trung ương)",
        "20/09/2026",
        "Bộ Nông nghiệp và Môi trường, Hà Nội",
        &central_seats,
        &closed_dossiers[..1],
    )
    .await?;
    let loaded = Loaded::load(&state, &trunguong, &central)
        .await
        .map_err(fail("round"))?;
    let settings = rounds::SettingsForm {
        quorum: "3".into(),
        ..Default::default()
    };
    rounds::settings(
        &state,
        &trunguong,
        &loaded,
        &settings,
        ocop_web::shared::i18n::Lang::Vi,
    )
    .await
    .map_err(fail("settings"))?;
    act(&state, &trunguong, &central, "start").await?;
    let hdtw: Vec<User> = users_by_email(
        db,
        &[
            "hdtw1@demo.ocop.vn",
            "hdtw2@demo.ocop.vn",
            "hdtw3@demo.ocop.vn",
        ],
    )
    .await?;
    let best = card(version, set, dossiers_made[0].1, 0);
    submit(
        &state,
        &central,
        &central_products[0],
        &hdtw.iter().collect::<Vec<_>>(),
        &best,
    )
    .await?;
    act(&state, &trunguong, &central, "close").await?;
    decide(
        &state,
        &trunguong,
        &central,
        "2361/QĐ-BNNMT",
        "28/09/2026",
        "Trần Thanh Nam, Thứ trưởng Bộ Nông nghiệp và Môi trường",
    )
    .await?;

    // Round 2, scoring: the commune officer sits too (flagged on the products it proposed).
    let mut seats2 = province_seats.to_vec();
    seats2.push(("xa@demo.ocop.vn", "member", "UBND xã"));
    let scoring_dossiers: Vec<String> = dossiers_made[4..].iter().map(|(d, _)| d.clone()).collect();
    let (round2, products2) = open_round(
        &state,
        &tinh,
        "Đợt 2 năm 2026",
        "15/12/2026",
        "Hội trường UBND tỉnh Đồng Nai",
        &seats2,
        &scoring_dossiers,
    )
    .await?;
    // The commune officer handled every dossier here, so it is excluded from all of them; the
    // chair clears the flag on one ("đã chuyển công tác"), leaving one product where it stays.
    let loaded = Loaded::load(&state, &chair, &round2)
        .await
        .map_err(fail("round"))?;
    let flags: Vec<_> = loaded
        .conflicts
        .iter()
        .filter(|c| c.member_id == xa.id)
        .cloned()
        .collect();
    for flag in flags.iter().skip(1) {
        rounds::clear(
            &state,
            &chair,
            &loaded,
            &flag.id,
            "Chỉ tiếp nhận hồ sơ theo quy trình, không tư vấn cho chủ thể",
        )
        .await
        .map_err(fail("clear"))?;
    }
    act(&state, &tinh, &round2, "start").await?;
    let kind = |i: usize| dossiers_made[4 + i].1;
    // S0 (the conflict stays): two cards in. S1: everyone, a result. S2: a spread, re-scored,
    // two cards of the second pass in. S3: a spread, awaiting the chair. S4: two cards in.
    let mid = |i: usize| card(version, set, kind(i), lowered_for(version, set, kind(i), 4));
    let high = |i: usize| card(version, set, kind(i), 0);
    let three = |i: usize| card(version, set, kind(i), lowered_for(version, set, kind(i), 3));
    submit(&state, &round2, &products2[0], &[&chair, &tv1], &mid(0)).await?;
    submit(
        &state,
        &round2,
        &products2[1],
        &[&chair, &hoidong, &tv1, &tv2, &tv3, &xa],
        &mid(1),
    )
    .await?;
    for (product, i) in [(&products2[2], 2), (&products2[3], 3)] {
        submit(
            &state,
            &round2,
            product,
            &[&chair, &hoidong, &tv1],
            &high(i),
        )
        .await?;
        submit(&state, &round2, product, &[&tv2, &tv3, &xa], &three(i)).await?;
    }
    let loaded = Loaded::load(&state, &chair, &round2)
        .await
        .map_err(fail("round"))?;
    let product = loaded
        .product(&products2[2])
        .map_err(fail("product"))?
        .clone();
    rounds::rescore(
        &state,
        &chair,
        &loaded,
        &product,
        "Tổng điểm chênh lệch quá 10 điểm: hội đồng thảo luận tiêu chí 1.5 và 4.2, chấm lại",
    )
    .await
    .map_err(fail("rescore"))?;
    submit(&state, &round2, &products2[2], &[&hoidong, &tv3], &mid(2)).await?;
    submit(&state, &round2, &products2[4], &[&tv1, &tv2], &mid(4)).await?;
    Ok((3, accounts_made))
}

async fn users_by_email(db: &Db, emails: &[&str]) -> Result<Vec<User>, StoreError> {
    let mut users = Vec::new();
    for email in emails {
        users.push(user(db, email).await?);
    }
    Ok(users)
}
