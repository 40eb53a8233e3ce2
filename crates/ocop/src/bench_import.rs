//! `ocop bench import`: N product rows brought in by `ocop import` from CSV and from XLSX, and
//! a dry run of them, side by side in one run with `sqlite3 .import` of the same CSV into a
//! plain table: each a process of its own on a fresh copy of one SQLite database (migrated,
//! with the units and the products' entities loaded untimed), timed from start to exit, with its
//! peak resident memory (getrusage of the finished child).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::import::Kind;
use ocop_domain::import::read::Cell;

use crate::UsageError;
use crate::measure::ms;

/// The peak resident memory of the largest finished child so far, in MiB.
fn children_peak_mib() -> f64 {
    // SAFETY: getrusage fills the struct it is given; a zeroed rusage is a valid value for it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_CHILDREN with a valid pointer to an rusage.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

/// Runs a command to completion; returns its time, or the reason it failed.
fn timed(program: &Path, args: &[&str]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let out = Command::new(program)
        .args(args)
        .env("OCOP_LOG", "warn")
        .stdin(Stdio::null())
        .output()?;
    let took = start.elapsed();
    if !out.status.success() {
        anyhow::bail!(
            "{} {}: {}{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(took)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

pub async fn run(rows: usize, samples: usize, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let sqlite3 = PathBuf::from("/usr/bin/sqlite3");
    if !sqlite3.exists() {
        return Err(UsageError(
            "the benchmark compares with sqlite3: apt-get install sqlite3".into(),
        )
        .into());
    }
    let ocop = std::env::current_exe()?;
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ocop-bench-import-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir)?;
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();

    // The entities (one per 1.8 products, as the programme has them) and the products.
    let entities = rows.div_ceil(2).max(1);
    let mut entity_csv =
        String::from("Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Mã xã\n");
    for n in 0..entities {
        entity_csv.push_str(&format!(
            "39{n:08},Hợp tác xã số {n},HTX,Nguyễn Văn An,Ấp {},25363\n",
            n % 40
        ));
    }
    std::fs::write(file("entities.csv"), entity_csv)?;
    let header = [
        "Tên sản phẩm",
        "Mã số thuế",
        "Bộ sản phẩm",
        "Mô tả",
        "Vùng nguyên liệu",
        "Kênh phân phối",
    ];
    let mut product_csv = header.join(",");
    product_csv.push('\n');
    let mut cells: Vec<Vec<Cell>> = Vec::with_capacity(rows);
    for n in 0..rows {
        let row = [
            format!("Hạt điều rang muối loại {n}"),
            format!("39{:08}", n % entities),
            "P03".to_string(),
            format!("Hạt điều rang muối – hũ {} g", 100 + n % 900),
            format!("Vùng nguyên liệu ấp {}", n % 40),
            "Điểm bán OCOP; Sàn TMĐT Postmart".to_string(),
        ];
        product_csv.push_str(&row.join(","));
        product_csv.push('\n');
        cells.push(row.iter().map(|v| Cell::Text(v.clone())).collect());
    }
    std::fs::write(file("products.csv"), &product_csv)?;
    // The same rows in the template's workbook (its columns in the kind's order).
    let catalog = Catalog::load(&bundled_sources()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let keys = [
        "name",
        "registration_code",
        "product_set",
        "description",
        "raw_material_area",
        "sales_channels",
    ];
    let in_order: Vec<Vec<Cell>> = cells
        .into_iter()
        .map(|row| {
            Kind::Products
                .columns()
                .iter()
                .map(|c| {
                    keys.iter()
                        .position(|k| *k == c.key)
                        .map_or(Cell::Empty, |i| row[i].clone())
                })
                .collect()
        })
        .collect();
    let xlsx = ocop_web::import::workbook(Kind::Products, &catalog, &in_order)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(file("products.xlsx"), &xlsx)?;
    println!(
        "{rows} product rows: CSV {:.1} MB, XLSX {:.1} MB; {entities} entities loaded untimed",
        product_csv.len() as f64 / 1e6,
        xlsx.len() as f64 / 1e6
    );

    // One database with the units and the entities, copied fresh for every run.
    let base = file("base.db");
    let _ = std::fs::remove_file(&base);
    timed(
        &ocop,
        &[
            "import",
            &file("entities.csv"),
            "--kind",
            "entities",
            "--province",
            "75",
            "--db",
            &format!("sqlite:{base}"),
        ],
    )?;
    timed(&sqlite3, &[&base, "PRAGMA wal_checkpoint(TRUNCATE);"])?;
    let fresh = |name: &str| -> anyhow::Result<String> {
        let path = file(name);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        std::fs::copy(&base, &path)?;
        Ok(path)
    };

    // The first line (the header) names the plain table's columns.
    let peer_command = format!(".import --csv {} plain", file("products.csv"));
    let mut peer = Vec::new();
    let mut csv_real = Vec::new();
    let mut xlsx_real = Vec::new();
    let mut schema = Vec::new();
    let mut dry = Vec::new();
    let mut peaks = Vec::new();
    for sample in 0..samples {
        let plain = file("plain.db");
        let _ = std::fs::remove_file(&plain);
        peer.push(timed(&sqlite3, &[&plain, &peer_command])?);
        let db = fresh("run.db")?;
        csv_real.push(timed(
            &ocop,
            &[
                "import",
                &file("products.csv"),
                "--kind",
                "products",
                "--province",
                "75",
                "--db",
                &format!("sqlite:{db}"),
            ],
        )?);
        // The floor of ocop's own schema: the rows just imported, moved aside and written back
        // into the products table (its indexes and foreign key) by sqlite3 itself.
        timed(
            &sqlite3,
            &[
                &db,
                "PRAGMA wal_checkpoint(TRUNCATE); CREATE TABLE moved AS SELECT * FROM products; DELETE FROM audit_objects; DELETE FROM products;",
            ],
        )?;
        schema.push(timed(&sqlite3, &[&db, "PRAGMA foreign_keys = ON; BEGIN; INSERT INTO products SELECT * FROM moved; COMMIT;"])?);
        let db = fresh("run.db")?;
        xlsx_real.push(timed(
            &ocop,
            &[
                "import",
                &file("products.xlsx"),
                "--kind",
                "products",
                "--province",
                "75",
                "--db",
                &format!("sqlite:{db}"),
            ],
        )?);
        let db = fresh("run.db")?;
        dry.push(timed(
            &ocop,
            &[
                "import",
                &file("products.csv"),
                "--kind",
                "products",
                "--province",
                "75",
                "--dry-run",
                "--db",
                &format!("sqlite:{db}"),
            ],
        )?);
        peaks.push(children_peak_mib());
        println!(
            "sample {}: sqlite3 .import {} · sqlite3 into ocop's table {} · ocop CSV {} · XLSX {} · dry run {}",
            sample + 1,
            ms(peer[sample]),
            ms(schema[sample]),
            ms(csv_real[sample]),
            ms(xlsx_real[sample]),
            ms(dry[sample])
        );
    }
    let (peer, schema, csv_real, xlsx_real, dry) = (
        median(peer),
        median(schema),
        median(csv_real),
        median(xlsx_real),
        median(dry),
    );
    println!("median of {samples}:");
    println!("  sqlite3 .import into a plain table   {}", ms(peer));
    println!(
        "  sqlite3: the same rows into ocop's products table (its indexes, foreign key)   {}  = {:.2} × the plain table",
        ms(schema),
        schema.as_secs_f64() / peer.as_secs_f64()
    );
    println!(
        "  ocop import CSV (real, all checks)   {}  = {:.2} × sqlite3 (target ≤ 3 ×)",
        ms(csv_real),
        csv_real.as_secs_f64() / peer.as_secs_f64()
    );
    println!(
        "  ocop import XLSX (real)              {}  (target < 15 s)",
        ms(xlsx_real)
    );
    println!(
        "  ocop import CSV --dry-run            {}  (target < 10 s)",
        ms(dry)
    );
    println!(
        "  peak resident memory of the largest run: {:.0} MiB",
        peaks.into_iter().fold(0.0, f64::max)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
