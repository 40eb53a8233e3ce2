//! The programme's official documents as PDF: the OCOP certificate, the council's minutes, the
//! list of products annexed to a decision, and a member's scoring sheet.
//!
//! Each document is a typst template (`templates/*.typ`, compiled into the binary, with the
//! heading block of Nghị định 30/2020/NĐ-CP in one shared file) typeset by typst used as a
//! library. The data goes in as JSON that the template reads from a virtual file, never spliced
//! into markup, so any text (`#`, `*`, `$`, `[`…) prints as it is. The fonts (Liberation Serif,
//! metric-compatible with Times New Roman) are embedded: rendering needs no file system, no
//! network and no installed font.
//!
//! This crate knows nothing of the domain or the database: callers hand in formatted strings.
//! It is the only crate that depends on typst (about 300 crates), so that everyday builds of the
//! others never compile it.
//!
//! ```no_run
//! # fn sheet() -> ocop_pdf::ScoringSheetDoc { unimplemented!() }
//! let renderer = ocop_pdf::Renderer::new(); // once per process: parses the fonts
//! let pdf: Vec<u8> = renderer.scoring_sheet(&sheet())?;
//! # Ok::<(), ocop_pdf::PdfError>(())
//! ```

mod docs;
mod world;

pub use docs::*;
pub use world::template_sources;

use serde::Serialize;

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the {document}'s data could not be serialised: {source}")]
    Data {
        document: &'static str,
        source: serde_json::Error,
    },
    /// Typst refused the template or the data; the message joins its diagnostics.
    #[error("typesetting the {document} failed: {message}")]
    Typeset {
        document: &'static str,
        message: String,
    },
    /// The typeset document could not be written as PDF.
    #[error("writing the {document} as PDF failed: {message}")]
    Export {
        document: &'static str,
        message: String,
    },
    /// Typst itself failed (a panic inside the typesetter, caught).
    #[error("the typesetter failed on the {document}: {message}")]
    Internal {
        document: &'static str,
        message: String,
    },
}

/// Typesets documents. Build it once (it parses the embedded fonts and the templates) and share
/// it: it is `Send + Sync`, and every render is independent of the others.
pub struct Renderer {
    shared: world::Shared,
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new()
    }
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

impl Renderer {
    /// Parses the embedded fonts and the templates.
    pub fn new() -> Renderer {
        Renderer {
            shared: world::Shared::new(),
        }
    }

    /// Giấy chứng nhận sản phẩm OCOP (one page, A4 landscape).
    pub fn certificate(&self, doc: &CertificateDoc) -> Result<Vec<u8>, PdfError> {
        self.render(world::Template::Certificate, doc)
    }

    /// Biên bản họp hội đồng đánh giá, phân hạng sản phẩm OCOP (A4 portrait).
    pub fn minutes(&self, doc: &MinutesDoc) -> Result<Vec<u8>, PdfError> {
        self.render(world::Template::Minutes, doc)
    }

    /// Danh sách sản phẩm OCOP được công nhận, kèm theo quyết định (A4 landscape).
    pub fn decision_annex(&self, doc: &DecisionAnnexDoc) -> Result<Vec<u8>, PdfError> {
        self.render(world::Template::DecisionAnnex, doc)
    }

    /// Phiếu đánh giá, phân hạng sản phẩm OCOP: one member's card (A4 portrait).
    pub fn scoring_sheet(&self, doc: &ScoringSheetDoc) -> Result<Vec<u8>, PdfError> {
        self.render(world::Template::ScoringSheet, doc)
    }

    fn render(&self, template: world::Template, doc: &impl Serialize) -> Result<Vec<u8>, PdfError> {
        let document = template.name();
        let data = serde_json::to_vec(doc).map_err(|source| PdfError::Data { document, source })?;
        self.shared.render(template, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_renderer_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Renderer>();
    }
}
