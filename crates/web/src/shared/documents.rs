//! Official documents as PDF: one renderer for the process (`ocop_pdf`, typst), rendering off
//! the async threads, the response with its file name, and the pieces every document's heading
//! shares (the issuing authority, the place-and-date line, the signature block) after Nghị định
//! 30/2020/NĐ-CP.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};

use ocop_pdf::{PdfError, Renderer, Signer};
use ocop_store::{Db, units};

use super::error::AppError;

/// Parses the fonts and templates once, on first use.
static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

/// The process's renderer (the batch command uses it too).
pub fn renderer() -> &'static Renderer {
    &RENDERER
}

/// Renders on a blocking thread: typesetting takes milliseconds of CPU.
pub async fn render<F>(make: F) -> Result<Vec<u8>, AppError>
where
    F: FnOnce(&Renderer) -> Result<Vec<u8>, PdfError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || make(renderer()))
        .await
        .map_err(|error| {
            tracing::error!(%error, "the PDF task failed");
            AppError::Internal
        })?
        .map_err(|error| {
            tracing::error!(%error, "a PDF could not be made");
            AppError::Internal
        })
}

/// The digest of the templates, computed once: a template changed makes every document anew.
static TEMPLATES_DIGEST: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut all = String::new();
    for (path, source) in ocop_pdf::template_sources() {
        all.push_str(path);
        all.push('\n');
        all.push_str(source);
    }
    ocop_store::files::sha256_hex(all.as_bytes())
});

/// Renders `doc` (of `kind`) once per content: the PDF is kept in the file store (a directory or
/// the object store every server shares) under the digest of the document's data and the
/// templates, and later requests for the same content are served from there. Changed records
/// make different data, so a kept PDF is never stale. A storage that cannot keep it does not
/// stop the answer.
pub async fn render_kept<D, F>(
    state: &crate::AppState,
    kind: &str,
    doc: &D,
    make: F,
) -> Result<Vec<u8>, AppError>
where
    D: serde::Serialize,
    F: FnOnce(&Renderer) -> Result<Vec<u8>, PdfError> + Send + 'static,
{
    let data = serde_json::to_string(doc).map_err(|error| {
        tracing::error!(%error, "a document's data is not JSON");
        AppError::Internal
    })?;
    let key =
        ocop_store::files::sha256_hex(format!("{kind}\n{}\n{data}", *TEMPLATES_DIGEST).as_bytes());
    if let Some(sha256) = ocop_store::files::kept_document(&state.db, &key).await? {
        match state.files.bytes(&sha256).await {
            Ok(bytes) => return Ok(bytes),
            Err(error) => {
                tracing::warn!(%error, kind, "a kept document cannot be read; typeset again")
            }
        }
    }
    let bytes = render(make).await?;
    match state
        .files
        .put_as(&state.db, &bytes, ocop_domain::files::FileKind::Pdf)
        .await
    {
        Ok(stored) => ocop_store::files::keep_document(&state.db, &key, &stored.sha256).await?,
        Err(error) => tracing::warn!(%error, kind, "a document could not be kept; served anyway"),
    }
    Ok(bytes)
}

/// A PDF to show in the browser, saved under `file_name`.
pub fn pdf_response(bytes: Vec<u8>, file_name: &str) -> Response {
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{safe}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// "Đồng Nai, ngày 15 tháng 6 năm 2026" (days and months below 10 with a leading zero, as
/// Nghị định 30/2020 writes them only for 1–2: "ngày 05 tháng 02").
pub fn place_date(place: &str, date: NaiveDate) -> String {
    let pad = |n: u32, limit: u32| {
        if n < limit {
            format!("{n:02}")
        } else {
            n.to_string()
        }
    };
    format!(
        "{place}, ngày {} tháng {} năm {}",
        pad(date.day(), 10),
        pad(date.month(), 3),
        date.year()
    )
}

/// A score as Vietnamese paperwork writes it, with a decimal comma: `7250` → `72,50`.
pub fn score(centi: i64) -> String {
    super::format::score(centi).replace('.', ",")
}

/// A province's name as a place ("Đồng Nai") and as the authority's line ("TỈNH ĐỒNG NAI").
pub async fn province(db: &Db, code: &str) -> Result<(String, String), AppError> {
    let name = units::find_by_code(db, code, None)
        .await?
        .map(|unit| unit.name)
        .unwrap_or_else(|| code.to_string());
    let place = ["Tỉnh ", "Thành phố "]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .unwrap_or(&name)
        .to_string();
    Ok((place, name.to_uppercase()))
}

/// The signature block of a decision's signer written "Name, Position …": a deputy signs for
/// the head ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"; "KT. BỘ TRƯỞNG / THỨ TRƯỞNG").
pub fn signer_block(signer: &str, for_body: &str) -> Signer {
    let (name, position) = signer
        .split_once(',')
        .map_or((signer.trim(), ""), |(n, p)| (n.trim(), p.trim()));
    let position = position.to_lowercase();
    let title = if position.contains("phó chủ tịch") {
        vec![
            format!("TM. {for_body}"),
            "KT. CHỦ TỊCH".into(),
            "PHÓ CHỦ TỊCH".into(),
        ]
    } else if position.contains("thứ trưởng") {
        vec!["KT. BỘ TRƯỞNG".into(), "THỨ TRƯỞNG".into()]
    } else if position.contains("bộ trưởng") {
        vec!["BỘ TRƯỞNG".into()]
    } else {
        vec![format!("TM. {for_body}"), "CHỦ TỊCH".into()]
    };
    Signer {
        title,
        name: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_and_date_and_signers() {
        let date = NaiveDate::from_ymd_opt(2026, 2, 5).unwrap();
        assert_eq!(
            place_date("Đồng Nai", date),
            "Đồng Nai, ngày 05 tháng 02 năm 2026"
        );
        let date = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        assert_eq!(
            place_date("Hà Nội", date),
            "Hà Nội, ngày 15 tháng 12 năm 2026"
        );
        let deputy = signer_block("Võ Tấn Đức, Phó Chủ tịch UBND tỉnh", "ỦY BAN NHÂN DÂN");
        assert_eq!(deputy.name, "Võ Tấn Đức");
        assert_eq!(deputy.title[1], "KT. CHỦ TỊCH");
        let minister = signer_block("Trần Thanh Nam, Thứ trưởng Bộ NN&MT", "");
        assert_eq!(minister.title, ["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG"]);
        assert_eq!(
            signer_block("Nguyễn Văn A", "ỦY BAN NHÂN DÂN").title[1],
            "CHỦ TỊCH"
        );
        assert_eq!(score(7250), "72,50");
    }
}
