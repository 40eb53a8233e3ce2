//! `ocop bench …`: measurements behind docs/PERFORMANCE.md. They print figures; they are not
//! tests, because these machines are shared and noisy.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::measure::{ms, percentile};
use clap::Subcommand;

use ocop_domain::criteria::{Catalog, CouncilInput, bundled_sources, evaluate};
use ocop_domain::units::UnitLevel;
use ocop_store::{Db, units};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Start `ocop serve` on a migrated database, time it until /readyz answers, and read its
    /// resident memory once idle.
    Startup {
        #[command(flatten)]
        db: super::DbArgs,
        /// How many starts to time.
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
    /// Time loading and validating all shipped criteria, and scoring a council of 9 members on
    /// the 31-criterion 1048 P01 sheet and on the 26/2026 P01 sheet with its star minimums.
    Scoring {
        /// Councils to score.
        #[arg(long, default_value_t = 20_000)]
        iterations: usize,
    },
    /// Set up a round of 60 products × 9 members and time the secretary's overview (HTML) and
    /// saving a draft card, idle and while every member autosaves every 5 s on every product.
    Rounds {
        #[command(flatten)]
        db: super::DbArgs,
        /// Requests timed for each figure.
        #[arg(long, default_value_t = 200)]
        samples: usize,
        /// How long to keep the autosave load on, at most.
        #[arg(long, default_value_t = 30)]
        load_seconds: u64,
    },
    /// Issue N certificates, then time one certificate PDF over HTTP, the typesetting alone, the
    /// batch of N PDFs, and the offline check of a QR payload.
    Certificates {
        #[command(flatten)]
        db: super::DbArgs,
        /// Certificates to issue and render in the batch.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Single PDFs timed.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// On the national dataset (made with N products when absent), time the national and a
    /// province's monitoring dashboards and the national report workbook.
    Monitoring {
        #[command(flatten)]
        db: super::DbArgs,
        /// Products of the national dataset made when the database has none.
        #[arg(long, default_value_t = 100_000)]
        products: usize,
        /// Requests timed for each figure.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// Import N product rows from CSV and from XLSX and dry-run them, each with `ocop import` on
    /// a fresh SQLite copy, beside `sqlite3 .import` of the same CSV into a plain table.
    Import {
        /// Product rows.
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        /// Runs of each, the median reported.
        #[arg(long, default_value_t = 3)]
        samples: usize,
        /// Where to write the files and databases (a temporary directory by default).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Time folded-name unit lookups (the query behind /api/v1/units?q=).
    UnitsLookup {
        #[command(flatten)]
        db: super::DbArgs,
        /// Lookups per query word.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
    },
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Startup { db, runs } => startup(&db.url, runs).await,
        BenchCommand::UnitsLookup { db, iterations } => units_lookup(&db.url, iterations).await,
        BenchCommand::Scoring { iterations } => scoring(iterations),
        BenchCommand::Rounds {
            db,
            samples,
            load_seconds,
        } => super::bench_rounds::run(&db.url, samples, load_seconds).await,
        BenchCommand::Certificates { db, count, samples } => {
            super::bench_certificates::run(&db.url, count, samples).await
        }
        BenchCommand::Monitoring {
            db,
            products,
            samples,
        } => super::bench_monitoring::run(&db.url, products, samples).await,
        BenchCommand::Import { rows, samples, dir } => {
            super::bench_import::run(rows, samples.max(1), dir).await
        }
    }
}

async fn units_lookup(url: &str, iterations: usize) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    units::ensure_bundled(&db).await?;
    // Provinces, communes and former units; with and without diacritics; rare and common words.
    let queries = [
        "dong nai",
        "Đồng Nai",
        "ha noi",
        "phuong 14",
        "tan phu",
        "xa an",
        "bach long vi",
        "quan go vap",
        "nghe an",
        "zzz",
    ];
    let search = units::UnitSearch::default();
    // The first lookup builds the in-memory index; it is timed on its own.
    let build_start = Instant::now();
    search.search(&db, "dong nai", None, 20).await?;
    let build_time = build_start.elapsed();
    let mut timings = Vec::with_capacity(queries.len() * iterations);
    for query in queries {
        for _ in 0..iterations {
            let start = Instant::now();
            let found = search.search(&db, query, None, 20).await?;
            timings.push(start.elapsed());
            std::hint::black_box(found);
        }
    }
    let mut sql_timings = Vec::with_capacity(queries.len() * 20);
    for query in queries {
        for _ in 0..20 {
            let start = Instant::now();
            let found = units::search_by_sql_like(&db, query, 20).await?;
            sql_timings.push(start.elapsed());
            std::hint::black_box(found);
        }
    }
    let level_start = Instant::now();
    search
        .search(&db, "an", Some(UnitLevel::Commune), 20)
        .await?;
    let level_time = level_start.elapsed();
    sql_timings.sort();
    timings.sort();
    println!(
        "units lookup on {:?}: {} lookups of {} queries",
        db.kind(),
        timings.len(),
        queries.len()
    );
    println!(
        "  p50 {}  p95 {}  p99 {}  max {}  (one level-filtered lookup: {}; index built in {})",
        ms(percentile(&timings, 50.0)),
        ms(percentile(&timings, 95.0)),
        ms(percentile(&timings, 99.0)),
        ms(*timings.last().unwrap_or(&Duration::ZERO)),
        ms(level_time),
        ms(build_time)
    );
    println!(
        "  peer, the same search as SQL LIKE '%…%' on name_folded: p50 {}  p95 {}  ({}x slower at p95)",
        ms(percentile(&sql_timings, 50.0)),
        ms(percentile(&sql_timings, 95.0)),
        format_args!(
            "{:.1}",
            percentile(&sql_timings, 95.0).as_secs_f64()
                / percentile(&timings, 95.0).as_secs_f64().max(1e-9)
        )
    );
    db.close().await;
    Ok(())
}

/// A documented example (5 members) plus 4 more members, each varying a criterion.
fn nine_member_council(
    example: &str,
    variations: [(&str, u32); 4],
) -> anyhow::Result<CouncilInput> {
    let mut input: CouncilInput = serde_json::from_str(example)?;
    for (index, (criterion, option)) in variations.into_iter().enumerate() {
        let mut card = input.scorecards[index].clone();
        card.member = format!("Thành viên {}", index + 6);
        card.choices.insert(criterion.to_string(), option);
        input.council.push(card.member.clone());
        input.scorecards.push(card);
    }
    Ok(input)
}

fn scoring(iterations: usize) -> anyhow::Result<()> {
    let mut loads = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let catalog = Catalog::load(&bundled_sources())
            .map_err(|errors| anyhow::anyhow!("invalid shipped criteria: {errors:?}"))?;
        loads.push(start.elapsed());
        std::hint::black_box(catalog);
    }
    loads.sort();
    let catalog = Catalog::load(&bundled_sources())
        .map_err(|errors| anyhow::anyhow!("invalid shipped criteria: {errors:?}"))?;
    let sets: usize = catalog.versions().iter().map(|v| v.sets.len()).sum();
    println!(
        "load and validate all shipped criteria ({} versions, {sets} product sets), 20 runs:",
        catalog.versions().len()
    );
    println!(
        "  min {}  median {}  max {}",
        ms(loads[0]),
        ms(percentile(&loads, 50.0)),
        ms(*loads.last().unwrap_or(&Duration::ZERO))
    );

    let councils = [
        (
            "1048/P01 (31 criteria, no minimums)",
            nine_member_council(
                include_str!("../../../docs/examples/score-1048-P01.json"),
                [("6.2", 3), ("4.1", 4), ("11", 3), ("5.1", 6)],
            )?,
        ),
        (
            "26-2026/P01 (32 criteria, 22 with star minimums)",
            nine_member_council(
                include_str!("../../../docs/examples/score-26-2026-P01.json"),
                [("6.3", 3), ("4.1", 2), ("12", 3), ("5.1", 4)],
            )?,
        ),
    ];
    for (sheet, input) in councils {
        let mut timings = Vec::with_capacity(iterations);
        let mut stars = 0;
        for _ in 0..iterations.max(1) {
            let start = Instant::now();
            let result = evaluate(&catalog, &input)
                .map_err(|errors| anyhow::anyhow!("cannot score: {errors:?}"))?;
            timings.push(start.elapsed());
            stars = result.stars;
        }
        timings.sort();
        let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
        println!(
            "score a council of {} members on {sheet}, with explanation and upgrade advice, {} runs:",
            input.scorecards.len(),
            timings.len()
        );
        println!(
            "  p50 {}  p95 {}  p99 {}  max {}  (result: {stars}★)",
            us(percentile(&timings, 50.0)),
            us(percentile(&timings, 95.0)),
            us(percentile(&timings, 99.0)),
            us(*timings.last().unwrap_or(&Duration::ZERO))
        );
    }
    Ok(())
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

fn ready(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(50)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn startup(url: &str, runs: usize) -> anyhow::Result<()> {
    // Migrate once, so that each run measures a start on a migrated database.
    let db = Db::connect(url).await?;
    db.migrate().await?;
    units::ensure_bundled(&db).await?;
    db.close().await;
    let exe = std::env::current_exe().context("cannot find the ocop binary")?;
    let mut times = Vec::new();
    let mut memory = Vec::new();
    for _ in 0..runs.max(1) {
        let addr = free_port()?;
        let start = Instant::now();
        let mut child = Command::new(&exe)
            .args(["serve", "--db", url, "--addr", &addr.to_string()])
            .env("OCOP_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start ocop serve")?;
        loop {
            if ready(addr) {
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!("ocop serve exited early with {status}");
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                bail!("ocop serve was not ready after 30 s");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        times.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(500));
        if let Some(kib) = resident_kib(child.id()) {
            memory.push(kib);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
    times.sort();
    memory.sort();
    println!(
        "startup to ready (/readyz 200) on a migrated database, {} runs:",
        times.len()
    );
    println!(
        "  min {}  median {}  max {}",
        ms(times[0]),
        ms(percentile(&times, 50.0)),
        ms(*times.last().unwrap_or(&Duration::ZERO))
    );
    if let (Some(low), Some(high)) = (memory.first(), memory.last()) {
        println!(
            "idle resident memory after ready: {:.1}–{:.1} MB",
            *low as f64 / 1024.0,
            *high as f64 / 1024.0
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 95.0), Duration::from_millis(95));
        assert_eq!(percentile(&sorted, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 95.0), Duration::ZERO);
    }
}
