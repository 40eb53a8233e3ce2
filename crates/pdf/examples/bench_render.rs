//! How long one document takes once the renderer is built (prints figures, asserts nothing):
//! `cargo run --release -p ocop-pdf --example bench_render [RENDERS]` (default 200).

#[path = "../tests/samples/mod.rs"]
mod samples;

use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank]
}

fn measure(name: &str, renders: usize, mut render: impl FnMut() -> Vec<u8>) {
    let start = Instant::now();
    render();
    let first = start.elapsed();
    for _ in 0..4 {
        render();
    }
    let mut times: Vec<Duration> = (0..renders)
        .map(|_| {
            let start = Instant::now();
            let pdf = render();
            let elapsed = start.elapsed();
            assert!(pdf.starts_with(b"%PDF-"));
            elapsed
        })
        .collect();
    times.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "{name:<28} first {:6.1} ms; then {renders} renders: p50 {:5.1} ms, p95 {:5.1} ms, max {:5.1} ms",
        ms(first),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(times[times.len() - 1]),
    );
}

fn main() {
    let renders: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(200);
    let start = Instant::now();
    let renderer = ocop_pdf::Renderer::new();
    println!(
        "Renderer::new: {:.1} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );

    // Each certificate differs (number and QR code), as they do in real use.
    let mut serial = 0;
    measure("certificate", renders, || {
        serial += 1;
        let mut doc = samples::certificate();
        doc.certificate_number = format!("DNA-2026-{serial:06}");
        doc.verification_url = format!("{}{serial:04}", samples::VERIFICATION_URL);
        doc.qr_svg = ocop_render::qr::Qr::new(&doc.verification_url)
            .unwrap()
            .svg();
        renderer.certificate(&doc).unwrap()
    });
    // The others differ in one name each time, so that typst's caches cannot answer whole.
    let mut minutes = samples::minutes();
    measure("minutes", renders / 4, || {
        serial += 1;
        minutes.chair_name = format!("Lê Quang Vinh {serial}");
        renderer.minutes(&minutes).unwrap()
    });
    let mut annex = samples::decision_annex();
    measure("decision annex (12 rows)", renders / 4, || {
        serial += 1;
        annex.total = format!("Tổng cộng: {serial} sản phẩm");
        renderer.decision_annex(&annex).unwrap()
    });
    let mut sheet = samples::scoring_sheet(40);
    measure("scoring sheet (40 criteria)", renders / 4, || {
        serial += 1;
        sheet.member_name = format!("Nguyễn Thị Hường {serial}");
        renderer.scoring_sheet(&sheet).unwrap()
    });
}
