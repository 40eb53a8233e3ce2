//! `ocop bench rounds`: a round of 60 products × 9 members, served by `ocop serve`'s own router
//! on a local port. Times the secretary's overview (HTML) and saving a draft card, idle, then
//! again while the nine members autosave every 5 s on all 60 products at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{Catalog, EntityType, bundled_sources};
use ocop_domain::dossier::{CommuneReport, DossierAction, EvaluationType};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::accounts::{self, NewUser, User};
use ocop_store::dossiers::{self, Opening};
use ocop_store::{Db, registry, units};
use ocop_web::AppState;
use ocop_web::rounds::{self, Loaded, OpenForm, SeatForm};
use ocop_web::shared::i18n::Lang;

use super::measure::{ms, percentile, request, time};

const PRODUCTS: usize = 60;
const MEMBERS: usize = 9;

struct Setup {
    round: String,
    products: Vec<String>,
    secretary_cookie: String,
    /// Bearer tokens of the nine members.
    tokens: Vec<String>,
    /// A draft card on the sheet.
    draft: BTreeMap<String, u32>,
}

async fn account(db: &Db, email: &str, role: Role, unit: Option<&str>) -> anyhow::Result<User> {
    if let Some(user) = accounts::find_by_email(db, email).await? {
        return Ok(user);
    }
    accounts::create_user(
        db,
        NewUser {
            email: email.into(),
            name: email.split('@').next().unwrap_or(email).into(),
            role,
            unit_code: unit.map(str::to_string),
            entity_id: None,
            password: "benchmark-password-2026".into(),
        },
        "bench",
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A round of 60 taken-in dossiers and 9 scoring members plus a secretary, in scoring, with
/// every member's card submitted on the first half of the products and a draft on the rest.
async fn setup(state: &AppState) -> anyhow::Result<Setup> {
    let db = &state.db;
    let run = chrono::Utc::now().timestamp_millis();
    let province = units::find_by_code(db, "75", None)
        .await?
        .context("province 75")?;
    let mut communes = units::children(db, province.id).await?;
    communes.sort_by(|a, b| a.code.cmp(&b.code));
    let office = account(
        db,
        "bench-tinh@ocop.vn",
        Role::ProvincialOfficer,
        Some("75"),
    )
    .await?;
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        members.push(
            account(
                db,
                &format!("bench-tv{i}@ocop.vn"),
                Role::CouncilMember,
                Some("75"),
            )
            .await?,
        );
    }
    let version = state.criteria.version("26-2026").context("26-2026")?;
    let set = version.set("P01").context("P01")?;
    let token = version.token_for(EntityType::Cooperative);
    let best: BTreeMap<String, u32> = set
        .sheet
        .criteria()
        .map(|(_, c)| {
            let option = c
                .options
                .iter()
                .filter(|o| o.applies_to_token(token))
                .max_by_key(|o| o.points);
            (c.code.clone(), option.map_or(1, |o| o.number))
        })
        .collect();
    let mut draft = best.clone();
    let first = draft.keys().next().cloned().unwrap_or_default();
    draft.insert(first, 1);

    let today = chrono::Utc::now().date_naive();
    let national = Scope::National;
    let mut dossier_ids = Vec::new();
    let progress = indicatif::ProgressBar::new(PRODUCTS as u64);
    for i in 0..PRODUCTS {
        let form = EntityForm {
            kind: "cooperative".into(),
            registration_code: format!("BENCH-{:06}-{i:02}", run % 1_000_000),
            name: format!("Hợp tác xã Đo lường {run} số {i}"),
            representative: "Người Đo".into(),
            address: "Ấp 1".into(),
            commune_code: communes[i % communes.len()].code.clone(),
            ..EntityForm::default()
        };
        let draft_entity = check_entity(&form, today).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let entity = registry::create(db, &draft_entity, EntityStatus::Confirmed, "bench")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let product = check_product(
            &ProductForm {
                name: format!("Sản phẩm đo {i}"),
                product_set: "P01".into(),
                description: "Trái cây".into(),
                ..ProductForm::default()
            },
            "26-2026",
            &["P01"],
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let product = registry::add_product(db, &national, &entity.id, &product, "bench")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .context("product")?;
        let dossier = dossiers::create(
            db,
            &national,
            &product.id,
            Opening {
                evaluation_type: EvaluationType::FirstTime,
                contact_phone: None,
                criteria_version: Some("26-2026".into()),
                filed_at_ms: None,
            },
            "bench",
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let report = CommuneReport {
            local_materials: "Nguyên liệu tại địa phương".into(),
            local_labour: "Lao động tại địa phương".into(),
            idea_origin: "Sản phẩm truyền thống".into(),
            local_identity: "Bản sắc của địa phương".into(),
        };
        for (action, role) in [
            (DossierAction::Submit, Role::Producer),
            (DossierAction::Accept, Role::CommuneOfficer),
        ] {
            dossiers::apply(db, &national, &dossier.id, &action, role, &[], "bench")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        dossiers::save_commune_report(db, &national, &dossier.id, &report, "bench")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for (action, role) in [
            (DossierAction::Propose, Role::CommuneOfficer),
            (DossierAction::TakeIn, Role::ProvincialOfficer),
        ] {
            dossiers::apply(db, &national, &dossier.id, &action, role, &[], "bench")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        dossier_ids.push(dossier.id);
        progress.inc(1);
    }
    progress.finish_and_clear();

    let fail = |e: ocop_web::shared::error::AppError| anyhow::anyhow!("{e}");
    let round = rounds::open(
        state,
        &office,
        &OpenForm {
            name: format!("Đợt đo lường {run}"),
            meeting_on: "15/12/2026".into(),
            place: "Hội trường".into(),
            ..OpenForm::default()
        },
        Lang::Vi,
    )
    .await
    .map_err(fail)?;
    let mut seats: Vec<(String, &str)> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (m.email.clone(), if i == 0 { "chair" } else { "member" }))
        .collect();
    seats.push((office.email.clone(), "secretary"));
    for (email, seat) in seats {
        let loaded = Loaded::load(state, &office, &round.id)
            .await
            .map_err(fail)?;
        let form = SeatForm {
            email,
            seat: seat.into(),
            agency: "Sở Nông nghiệp và Môi trường".into(),
            ..SeatForm::default()
        };
        rounds::seat(state, &office, &loaded, &form, Lang::Vi)
            .await
            .map_err(fail)?;
    }
    let mut products = Vec::new();
    for dossier in &dossier_ids {
        let loaded = Loaded::load(state, &office, &round.id)
            .await
            .map_err(fail)?;
        products.push(
            rounds::add_product(state, &office, &loaded, dossier, Lang::Vi)
                .await
                .map_err(fail)?
                .id,
        );
    }
    let loaded = Loaded::load(state, &office, &round.id)
        .await
        .map_err(fail)?;
    rounds::act(state, &office, &loaded, "start")
        .await
        .map_err(fail)?;
    let loaded = Loaded::load(state, &office, &round.id)
        .await
        .map_err(fail)?;
    for (index, product_id) in products.iter().enumerate() {
        let product = loaded.product(product_id).map_err(fail)?.clone();
        for member in &members {
            if index < PRODUCTS / 2 {
                rounds::submit(state, member, &loaded, &product, &best)
                    .await
                    .map_err(fail)?;
            } else {
                rounds::save_draft(state, member, &loaded, &product, &draft)
                    .await
                    .map_err(fail)?;
            }
        }
    }
    let (session, _) = accounts::create_session(db, &office).await?;
    let mut tokens = Vec::new();
    for member in &members {
        tokens.push(
            accounts::create_api_token(db, member, "bench", "bench")
                .await?
                .1,
        );
    }
    Ok(Setup {
        round: round.id,
        products,
        secretary_cookie: format!("ocop_session={session}"),
        tokens,
        draft,
    })
}

pub async fn run(url: &str, samples: usize, load_seconds: u64) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    units::ensure_bundled(&db).await?;
    let catalog = Catalog::load(&bundled_sources())
        .map_err(|errors| anyhow::anyhow!("invalid shipped criteria: {errors:?}"))?;
    let state = AppState::new(db.clone(), catalog);
    println!(
        "setting up a round of {PRODUCTS} products × {MEMBERS} members on {:?} …",
        db.kind()
    );
    let started = Instant::now();
    let setup = Arc::new(setup(&state).await?);
    println!("  set up in {:.1} s", started.elapsed().as_secs_f64());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(ocop_web::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));

    let overview = {
        let setup = setup.clone();
        move |_: usize| {
            (
                format!(
                    "GET /rounds/{}/overview HTTP/1.1\r\nHost: localhost\r\nCookie: {}\r\n",
                    setup.round, setup.secretary_cookie
                ),
                String::new(),
            )
        }
    };
    let draft_body = serde_json::json!({ "choices": setup.draft }).to_string();
    let draft = {
        let setup = setup.clone();
        let body = draft_body.clone();
        move |i: usize| {
            let product = &setup.products[PRODUCTS / 2 + i % (PRODUCTS / 2)];
            (
                format!(
                    "PUT /api/v1/rounds/{}/products/{product}/card HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n",
                    setup.round,
                    setup.tokens[i % MEMBERS]
                ),
                body.clone(),
            )
        }
    };
    let report = |what: &str, timings: &[Duration], extra: String| {
        println!(
            "  {what}: p50 {}  p95 {}  p99 {}  max {}{extra}",
            ms(percentile(timings, 50.0)),
            ms(percentile(timings, 95.0)),
            ms(percentile(timings, 99.0)),
            ms(*timings.last().unwrap_or(&Duration::ZERO))
        )
    };
    // Warm up, then idle.
    time(20, overview.clone(), addr).await?;
    time(20, draft.clone(), addr).await?;
    println!("idle ({samples} requests each, one at a time):");
    let (timings, size) = time(samples, overview.clone(), addr).await?;
    report(
        "secretary's overview (HTML)",
        &timings,
        format!("  ({} kB)", size / 1024),
    );
    let (timings, _) = time(samples, draft.clone(), addr).await?;
    report("save a draft card", &timings, String::new());

    // Nine members autosaving every 5 s on each of the 60 products: 108 saves a second.
    let stop = Arc::new(AtomicBool::new(false));
    let saved = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut autosavers = Vec::new();
    let per_member_interval = Duration::from_millis(5000 / PRODUCTS as u64);
    for member in 0..MEMBERS {
        let (setup, stop, saved, failed, body) = (
            setup.clone(),
            stop.clone(),
            saved.clone(),
            failed.clone(),
            draft_body.clone(),
        );
        autosavers.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(per_member_interval);
            let mut i = member * 7;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let product = &setup.products[PRODUCTS / 2 + i % (PRODUCTS / 2)];
                let head = format!(
                    "PUT /api/v1/rounds/{}/products/{product}/card HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n",
                    setup.round, setup.tokens[member]
                );
                match request(addr, &head, &body).await {
                    Ok((204, _)) => saved.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let load_started = Instant::now();
    let before = saved.load(Ordering::Relaxed);
    println!(
        "while {MEMBERS} members autosave every 5 s on all {PRODUCTS} products ({:.0} saves/s target):",
        (MEMBERS * PRODUCTS) as f64 / 5.0
    );
    let deadline = Instant::now() + Duration::from_secs(load_seconds);
    let (mut overview_times, mut draft_times) = (Vec::new(), Vec::new());
    let mut i = 0;
    while Instant::now() < deadline && overview_times.len() < samples {
        let (t, _) = time(1, overview.clone(), addr).await?;
        overview_times.extend(t);
        let (t, _) = time(1, |_| draft(i), addr).await?;
        draft_times.extend(t);
        i += 1;
    }
    let elapsed = load_started.elapsed().as_secs_f64();
    let rate = (saved.load(Ordering::Relaxed) - before) as f64 / elapsed;
    stop.store(true, Ordering::Relaxed);
    for autosaver in autosavers {
        let _ = autosaver.await;
    }
    overview_times.sort();
    draft_times.sort();
    report(
        "secretary's overview (HTML)",
        &overview_times,
        format!("  ({} samples)", overview_times.len()),
    );
    report(
        "save a draft card",
        &draft_times,
        format!("  ({} samples)", draft_times.len()),
    );
    println!(
        "  autosaves achieved: {rate:.0}/s, {} refused or failed",
        failed.load(Ordering::Relaxed)
    );
    server.abort();
    Ok(())
}
