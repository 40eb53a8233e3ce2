//! `ocop bench monitoring`: on the national dataset (`ocop demo --products N`, made here when
//! the database has none), the national dashboard as the central office reads it and a
//! province's as its officer reads it, through `ocop serve`'s own router (p50/p95/p99 of the
//! JSON and of the page), the first answer after a write (the facts rebuilt), and the report
//! workbook of every product in force (its time and size).

use std::time::Instant;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_store::accounts::{self, NewUser};
use ocop_store::{Db, units};
use ocop_web::AppState;

use super::measure::{ms, percentile, request, time};

async fn account(db: &Db, email: &str, role: Role, unit: Option<&str>) -> anyhow::Result<String> {
    let user = match accounts::find_by_email(db, email).await? {
        Some(user) => user,
        None => accounts::create_user(
            db,
            NewUser {
                email: email.into(),
                name: "Đo hiệu năng".into(),
                role,
                unit_code: unit.map(str::to_string),
                entity_id: None,
                password: "mật khẩu đo hiệu năng".into(),
            },
            "bench",
        )
        .await
        .map_err(|e| anyhow::anyhow!("bench account: {e}"))?,
    };
    let (token, _) = accounts::create_session(db, &user).await?;
    Ok(token)
}

pub async fn run(url: &str, products: usize, samples: usize) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    units::ensure_bundled(&db).await?;
    let catalog = Catalog::load(&bundled_sources())
        .map_err(|errors| anyhow::anyhow!("invalid shipped criteria: {errors:?}"))?;
    if !super::demo_national::is_loaded(&db).await? {
        let files = ocop_store::files::FileStore::new(
            std::env::temp_dir().join("ocop-bench-files"),
            ocop_store::files::DEFAULT_MAX_BYTES,
        );
        if !super::demo::is_loaded(&db).await? {
            super::demo::load(&db, 2025, &files).await?;
        }
        let started = Instant::now();
        let summary = super::demo_national::load(&db, &catalog, products, 2025).await?;
        println!("{summary} in {:.1} s", started.elapsed().as_secs_f64());
    }
    let central = account(&db, "bench-trunguong@ocop.test", Role::CentralOfficer, None).await?;
    let province = account(
        &db,
        "bench-tinh@ocop.test",
        Role::ProvincialOfficer,
        Some("75"),
    )
    .await?;
    let state = AppState::new(db.clone(), catalog);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(ocop_web::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    let get = |path: &str, session: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: ocop_session={session}\r\n")
    };

    // The first answer builds the facts from the records.
    let started = Instant::now();
    let (status, _) = request(addr, &get("/api/v1/monitoring/dashboard", &central), "").await?;
    anyhow::ensure!(status == 200, "HTTP {status}");
    println!(
        "facts built and the national dashboard answered in {} (on {:?})",
        ms(started.elapsed()),
        db.kind()
    );
    for (label, path, session) in [
        (
            "national dashboard, JSON",
            "/api/v1/monitoring/dashboard",
            &central,
        ),
        ("national dashboard, page", "/monitoring", &central),
        (
            "national, 2021-2025, JSON",
            "/api/v1/monitoring/dashboard?period=2021-2025",
            &central,
        ),
        (
            "Đồng Nai's dashboard, JSON",
            "/api/v1/monitoring/dashboard",
            &province,
        ),
        ("Đồng Nai's dashboard, page", "/monitoring", &province),
    ] {
        let (timings, size) = time(samples, |_| (get(path, session), String::new()), addr).await?;
        println!(
            "{label:<28} p50 {}  p95 {}  p99 {}  ({size} bytes, {samples} requests)",
            ms(percentile(&timings, 50.0)),
            ms(percentile(&timings, 95.0)),
            ms(percentile(&timings, 99.0)),
        );
    }
    for run in 1..=3 {
        let started = Instant::now();
        let (status, size) = request(addr, &get("/monitoring/report.xlsx", &central), "").await?;
        anyhow::ensure!(status == 200, "HTTP {status}");
        println!(
            "national report workbook, run {run}: {} ({:.1} MB)",
            ms(started.elapsed()),
            size as f64 / 1e6
        );
    }
    server.abort();
    db.close().await;
    Ok(())
}
