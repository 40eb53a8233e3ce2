//! A small typst `World`: the templates and fonts compiled into the binary, and one virtual file,
//! `/data.json`, holding the document's data. No file system, no packages, no network.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

use crate::PdfError;

/// The fonts, parsed once per process (Liberation Serif: Vietnamese coverage, metrics of Times
/// New Roman). Licence: `fonts/LICENSE-LiberationSerif.txt`.
const FONTS: [&[u8]; 4] = [
    include_bytes!("../fonts/LiberationSerif-Regular.ttf"),
    include_bytes!("../fonts/LiberationSerif-Bold.ttf"),
    include_bytes!("../fonts/LiberationSerif-Italic.ttf"),
    include_bytes!("../fonts/LiberationSerif-BoldItalic.ttf"),
];

/// The templates, by their virtual path.
const TEMPLATES: [(&str, &str); 5] = [
    ("/common.typ", include_str!("../templates/common.typ")),
    (
        "/certificate.typ",
        include_str!("../templates/certificate.typ"),
    ),
    ("/minutes.typ", include_str!("../templates/minutes.typ")),
    (
        "/decision_annex.typ",
        include_str!("../templates/decision_annex.typ"),
    ),
    (
        "/scoring_sheet.typ",
        include_str!("../templates/scoring_sheet.typ"),
    ),
];

/// The templates' sources, by their virtual path: what, besides a document's data, decides
/// the bytes of a PDF (a kept PDF is keyed by both).
pub fn template_sources() -> &'static [(&'static str, &'static str)] {
    &TEMPLATES
}

/// Where the templates read the document's data (`json("/data.json")`).
const DATA_PATH: &str = "/data.json";

/// Entries of typst's memoization caches unused for this many renders are dropped, so that a
/// long-running server's memory stays flat while the templates' own work stays cached.
const CACHE_MAX_AGE: usize = 16;

/// Which document to typeset.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Template {
    Certificate,
    Minutes,
    DecisionAnnex,
    ScoringSheet,
}

impl Template {
    /// How the document is called in error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Template::Certificate => "certificate",
            Template::Minutes => "minutes",
            Template::DecisionAnnex => "decision annex",
            Template::ScoringSheet => "scoring sheet",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Template::Certificate => "/certificate.typ",
            Template::Minutes => "/minutes.typ",
            Template::DecisionAnnex => "/decision_annex.typ",
            Template::ScoringSheet => "/scoring_sheet.typ",
        }
    }
}

fn file_id(path: &str) -> FileId {
    let path = VirtualPath::new(path).expect("the templates' paths are valid virtual paths");
    RootedPath::new(VirtualRoot::Project, path).intern()
}

/// The interned id of the data file (interning takes a global lock: do it once).
static DATA_ID: LazyLock<FileId> = LazyLock::new(|| file_id(DATA_PATH));

/// What every render shares: the standard library, the fonts and the parsed templates.
pub(crate) struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    sources: Vec<Source>,
}

impl Shared {
    pub(crate) fn new() -> Shared {
        let fonts: Vec<Font> = FONTS
            .iter()
            .map(|data| Font::new(Bytes::new(*data), 0).expect("the embedded fonts parse"))
            .collect();
        let book = FontBook::from_fonts(&fonts);
        let sources = TEMPLATES
            .iter()
            .map(|(path, text)| Source::new(file_id(path), (*text).to_owned()))
            .collect();
        LazyLock::force(&DATA_ID);
        Shared {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(book),
            fonts,
            sources,
        }
    }

    /// Typesets `template` over `data` (the document as JSON) and writes it as PDF.
    pub(crate) fn render(&self, template: Template, data: Vec<u8>) -> Result<Vec<u8>, PdfError> {
        let document = template.name();
        let world = DocWorld {
            shared: self,
            main: file_id(template.path()),
            data: Bytes::new(data),
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            let compiled = typst::compile::<PagedDocument>(&world).output;
            let typeset = compiled.map_err(|errors| PdfError::Typeset {
                document,
                message: describe(&world, &errors),
            })?;
            let options = typst_pdf::PdfOptions {
                creator: Smart::Custom(Some("ocop".to_owned())),
                ..typst_pdf::PdfOptions::default()
            };
            typst_pdf::pdf(&typeset, &options).map_err(|errors| PdfError::Export {
                document,
                message: describe(&world, &errors),
            })
        }));
        typst::comemo::evict(CACHE_MAX_AGE);
        result.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic without a message".to_owned());
            Err(PdfError::Internal { document, message })
        })
    }
}

/// One render's world: the shared parts and this document's data.
struct DocWorld<'a> {
    shared: &'a Shared,
    main: FileId,
    data: Bytes,
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.shared
            .sources
            .iter()
            .find(|source| source.id() == id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA_ID {
            return Ok(self.data.clone());
        }
        self.source(id).map(Bytes::from_string)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Documents print the dates they are given, never the clock's.
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}

/// Typst's diagnostics as one line each ("certificate.typ:12: message (hint: …)"), joined.
fn describe(world: &DocWorld<'_>, diagnostics: &[SourceDiagnostic]) -> String {
    let described: Vec<String> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .map(|diagnostic| {
            let mut line = String::new();
            if let Some(id) = diagnostic.span.id() {
                line.push_str(id.vpath().get_without_slash());
                let number = world
                    .range(diagnostic.span)
                    .zip(world.source(id).ok())
                    .and_then(|(range, source)| source.lines().byte_to_line(range.start));
                if let Some(number) = number {
                    line.push_str(&format!(":{}", number + 1));
                }
                line.push_str(": ");
            }
            line.push_str(&diagnostic.message);
            for hint in &diagnostic.hints {
                line.push_str(&format!(" (hint: {})", hint.v));
            }
            line
        })
        .collect();
    if described.is_empty() {
        "typst reported no details".to_owned()
    } else {
        described.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every letter of Vietnamese, both cases, precomposed (NFC), with the punctuation the
    /// documents use.
    const VIETNAMESE: &str = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợ\
                              pqrstuùủũúụưừửữứựvxyỳỷỹýỵ0123456789.,;:!?()[]/-–—\"'%…";

    #[test]
    fn the_fonts_cover_vietnamese() {
        let shared = Shared::new();
        assert_eq!(shared.fonts.len(), 4);
        for font in &shared.fonts {
            let info = font.info();
            assert_eq!(info.family, "Liberation Serif");
            for letter in VIETNAMESE.chars().chain(VIETNAMESE.to_uppercase().chars()) {
                assert!(
                    info.coverage.contains(letter as u32),
                    "{:?} lacks {letter:?}",
                    info.variant
                );
            }
        }
    }

    #[test]
    fn a_broken_template_is_an_error_with_its_line_not_a_panic() {
        let mut shared = Shared::new();
        let id = file_id(Template::Minutes.path());
        shared.sources.retain(|source| source.id() != id);
        shared.sources.push(Source::new(
            id,
            "#import \"/common.typ\": *\n#let x = (".into(),
        ));
        let error = shared
            .render(Template::Minutes, b"{}".to_vec())
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("typesetting the minutes failed: minutes.typ:2: "),
            "{message}"
        );
    }

    #[test]
    fn data_the_template_does_not_expect_is_an_error() {
        let error = Shared::new()
            .render(Template::Certificate, b"{\"stars\": 4}".to_vec())
            .unwrap_err();
        assert!(matches!(error, PdfError::Typeset { .. }), "{error}");
        assert!(error.to_string().contains("certificate.typ:"), "{error}");
    }
}
