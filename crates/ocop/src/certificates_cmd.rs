//! `ocop certificates pdf`: a batch of certificate PDFs (a round's, or all), rendered on every
//! core with the one renderer, with a progress bar.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use ocop_domain::access::Scope;
use ocop_pdf::CertificateDoc;
use ocop_store::certificates;
use ocop_web::AppState;
use ocop_web::certificates::documents::certificate_doc;

/// What a batch did.
pub struct Batch {
    pub written: usize,
    pub elapsed: Duration,
}

/// Renders the certificates of `round` (all when `None`) into `out` as `<number>.pdf`.
pub async fn pdf_batch(
    state: &AppState,
    round: Option<&str>,
    out: &Path,
    progress: bool,
) -> anyhow::Result<Batch> {
    let started = Instant::now();
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the directory {}", out.display()))?;
    let chosen: Vec<_> = certificates::list(&state.db, &Scope::National, "")
        .await?
        .into_iter()
        .filter(|c| round.is_none_or(|r| c.round_id == r))
        .collect();
    if let Some(round) = round
        && chosen.is_empty()
    {
        return Err(crate::UsageError(format!("round {round} has no certificates")).into());
    }
    // The documents (database reads, signing) first, then typesetting on every core.
    let mut docs: Vec<(String, CertificateDoc)> = Vec::with_capacity(chosen.len());
    for certificate in &chosen {
        let payload = ocop_web::certificates::payload_of(state, certificate)
            .await
            .map_err(|e| anyhow::anyhow!("signing {}: {e}", certificate.number))?;
        let doc = certificate_doc(state, certificate, &state.signing.url(&payload))
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", certificate.number))?;
        docs.push((certificate.number.clone(), doc));
    }
    let bar = if progress {
        ProgressBar::new(docs.len() as u64).with_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} PDF ({per_sec}, {eta})")
                .context("progress bar template")?
                .progress_chars("=> "),
        )
    } else {
        ProgressBar::hidden()
    };
    bar.set_message("Rendering");
    let next = AtomicUsize::new(0);
    let renderer = ocop_web::shared::documents::renderer();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let out_dir: PathBuf = out.to_path_buf();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut failed = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some((number, doc)) = docs.get(index) else {
                            break;
                        };
                        let written = renderer
                            .certificate(doc)
                            .map_err(|e| e.to_string())
                            .and_then(|bytes| {
                                std::fs::write(out_dir.join(format!("{number}.pdf")), bytes)
                                    .map_err(|e| e.to_string())
                            });
                        if let Err(error) = written {
                            failed.push(format!("{number}: {error}"));
                        }
                        bar.inc(1);
                    }
                    failed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec!["a worker panicked".into()])
            })
            .collect()
    });
    bar.finish_and_clear();
    if !failures.is_empty() {
        anyhow::bail!(
            "{} certificates failed: {}",
            failures.len(),
            failures.join("; ")
        );
    }
    Ok(Batch {
        written: docs.len(),
        elapsed: started.elapsed(),
    })
}
