//! Writes the four documents, filled with a realistic sample, to a directory (default `/tmp`),
//! to look at them: `cargo run -p ocop-pdf --example write_samples [DIR]`, then
//! `pdftoppm -png -r 60 /tmp/ocop-certificate.pdf /tmp/ocop-certificate`.

#[path = "../tests/samples/mod.rs"]
mod samples;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let directory = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "/tmp".into()));
    let renderer = ocop_pdf::Renderer::new();
    let documents = [
        (
            "certificate",
            renderer.certificate(&samples::certificate())?,
        ),
        ("minutes", renderer.minutes(&samples::minutes())?),
        (
            "decision-annex",
            renderer.decision_annex(&samples::decision_annex())?,
        ),
        (
            "scoring-sheet",
            renderer.scoring_sheet(&samples::scoring_sheet(40))?,
        ),
    ];
    for (name, pdf) in documents {
        let path = directory.join(format!("ocop-{name}.pdf"));
        std::fs::write(&path, &pdf)?;
        println!("{} ({} bytes)", path.display(), pdf.len());
    }
    Ok(())
}
