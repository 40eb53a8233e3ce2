//! `ocop bench certificates`: a legacy round whose decision issued N certificates (1,000 by
//! default), then: one certificate PDF through `ocop serve`'s own router (p50/p95 of GET
//! /certificates/{id}/certificate.pdf), the typesetting alone, the batch of N PDFs as
//! `ocop certificates pdf --round` makes it, and the offline check of a QR payload.

use std::time::{Duration, Instant};

use ocop_domain::access::{Role, Scope};
use ocop_domain::certificates::payload;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::accounts::{self, NewUser};
use ocop_store::keys::{self, InstallationSecret};
use ocop_store::{Db, certificates, registry, units};
use ocop_web::AppState;
use ocop_web::rounds::{self, LegacyForm, Loaded, OpenForm};
use ocop_web::shared::i18n::Lang;

use super::measure::{ms, percentile, time};

pub async fn run(url: &str, count: usize, samples: usize) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    units::ensure_bundled(&db).await?;
    let catalog = Catalog::load(&bundled_sources())
        .map_err(|errors| anyhow::anyhow!("invalid shipped criteria: {errors:?}"))?;
    let secret = InstallationSecret::from_bytes([7; 32]);
    if keys::list(&db)
        .await
        .map_err(super::keys_cmd::usage)?
        .is_empty()
    {
        keys::generate(&db, &secret, ocop_store::clock::today(), "bench")
            .await
            .map_err(super::keys_cmd::usage)?;
    }
    let state =
        AppState::new(db.clone(), catalog).with_signing(Some(secret), "https://ocop.example.vn");
    println!(
        "issuing {count} certificates through a legacy round's decision on {:?} …",
        db.kind()
    );
    let started = Instant::now();
    let (round, officer) = setup(&state, count).await?;
    println!("  set up in {:.1} s", started.elapsed().as_secs_f64());
    let all: Vec<_> = certificates::list(&db, &Scope::National, "")
        .await?
        .into_iter()
        .filter(|c| c.round_id == round)
        .collect();
    anyhow::ensure!(
        all.len() == count,
        "{} certificates issued, {count} expected",
        all.len()
    );

    // One certificate PDF through the router: the handler's whole work (scope, status, signing
    // on first use, the document, typesetting) and HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(ocop_web::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    let (token, _) = accounts::create_session(&db, &officer).await?;
    let ids: Vec<String> = all.iter().map(|c| c.id.clone()).collect();
    let (timings, size) = time(
        samples,
        |i| {
            (
                format!(
                    "GET /certificates/{}/certificate.pdf HTTP/1.1\r\nHost: localhost\r\nCookie: ocop_session={token}\r\n",
                    ids[i % ids.len()]
                ),
                String::new(),
            )
        },
        addr,
    )
    .await?;
    println!(
        "  one certificate PDF over HTTP ({samples} requests, {} KB): p50 {}  p95 {}  max {}",
        size / 1024,
        ms(percentile(&timings, 50.0)),
        ms(percentile(&timings, 95.0)),
        ms(*timings.last().unwrap_or(&Duration::ZERO))
    );
    server.abort();

    // Typesetting alone, each time a different certificate (typst memoises: the same document
    // twice would time its cache).
    let mut docs = Vec::with_capacity(samples);
    for certificate in all.iter().cycle().take(samples.min(all.len())) {
        let signed = ocop_web::certificates::payload_of(&state, certificate)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        docs.push(
            ocop_web::certificates::documents::certificate_doc(
                &state,
                certificate,
                &state.signing.url(&signed),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    let renderer = ocop_web::shared::documents::renderer();
    let mut renders = Vec::with_capacity(docs.len());
    for doc in &docs {
        let start = Instant::now();
        renderer.certificate(doc)?;
        renders.push(start.elapsed());
    }
    renders.sort();
    println!(
        "  typesetting one certificate ({} different ones): p50 {}  p95 {}",
        docs.len(),
        ms(percentile(&renders, 50.0)),
        ms(percentile(&renders, 95.0))
    );
    let signed = ocop_web::certificates::payload_of(&state, &all[0])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    // The batch, as `ocop certificates pdf --round` runs it.
    let out = std::env::temp_dir().join(format!("ocop-bench-pdf-{}", std::process::id()));
    let batch = super::certificates_cmd::pdf_batch(&state, Some(&round), &out, false).await?;
    let bytes: u64 = std::fs::read_dir(&out)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "  batch of {} certificate PDFs on {} cores: {:.2} s ({:.0} a second, {:.1} MB)",
        batch.written,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        batch.elapsed.as_secs_f64(),
        batch.written as f64 / batch.elapsed.as_secs_f64(),
        bytes as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(&out);

    // The offline check of a scanned payload.
    let keys = keys::public_keys(&db)
        .await
        .map_err(super::keys_cmd::usage)?;
    let url = state.signing.url(&signed);
    let rounds_of = 10_000;
    let start = Instant::now();
    for _ in 0..rounds_of {
        std::hint::black_box(payload::verify(std::hint::black_box(&url), &keys))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let each = start.elapsed() / rounds_of;
    println!(
        "  offline signature check (decode + ed25519 verify): {:.1} µs each",
        each.as_secs_f64() * 1e6
    );
    db.close().await;
    Ok(())
}

/// A provincial officer, `count` products with a legacy result and one decision: the round and
/// the officer.
async fn setup(
    state: &AppState,
    count: usize,
) -> anyhow::Result<(String, ocop_store::accounts::User)> {
    let db = &state.db;
    let province = "75";
    let commune = units::children(
        db,
        units::find_by_code(db, province, None)
            .await?
            .ok_or_else(|| anyhow::anyhow!("province {province} missing"))?
            .id,
    )
    .await?
    .into_iter()
    .map(|u| u.code)
    .min()
    .ok_or_else(|| anyhow::anyhow!("no commune"))?;
    let email = format!("bench-cert-{}@ocop.vn", std::process::id());
    let officer = accounts::create_user(
        db,
        NewUser {
            email: email.clone(),
            name: "Cán bộ tỉnh".into(),
            role: Role::ProvincialOfficer,
            unit_code: Some(province.into()),
            entity_id: None,
            password: "mật khẩu đủ dài của bench".into(),
        },
        "bench",
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let lang = Lang::Vi;
    let round = rounds::open(
        state,
        &officer,
        &OpenForm {
            name: format!("Đợt ghi nhận {}", std::process::id()),
            level: String::new(),
            kind: "legacy".into(),
            meeting_on: "10/12/2024".into(),
            place: "Đồng Nai".into(),
        },
        lang,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = chrono::Utc::now().date_naive();
    for n in 0..count {
        let draft = check_entity(
            &EntityForm {
                kind: "cooperative".into(),
                registration_code: format!("B{}-{n:05}", std::process::id()),
                name: format!("Hợp tác xã Đồng Nai số {n}"),
                representative: "Nguyễn Văn Bền".into(),
                address: "Ấp 1".into(),
                commune_code: commune.clone(),
                ..EntityForm::default()
            },
            today,
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let entity = registry::create(db, &draft, EntityStatus::Confirmed, "bench").await?;
        let draft = check_product(
            &ProductForm {
                name: format!("Sản phẩm OCOP số {n}"),
                product_set: "P01".into(),
                description: "Trái cây tươi".into(),
                ..ProductForm::default()
            },
            "148",
            &["P01"],
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let product = registry::add_product(db, &Scope::National, &entity.id, &draft, "bench")
            .await?
            .ok_or_else(|| anyhow::anyhow!("product"))?;
        let loaded = Loaded::load(state, &officer, &round.id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        rounds::record_legacy(
            state,
            &officer,
            &loaded,
            &LegacyForm {
                product_code: product.code,
                criteria_version: "148".into(),
                score: format!("{},{:02}", 50 + n % 40, n % 100),
                decision_number: "2500/QĐ-UBND".into(),
                decision_date: "20/12/2024".into(),
                decision_signer: "Võ Tấn Đức, Phó Chủ tịch UBND tỉnh".into(),
            },
            lang,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok((round.id, officer))
}
