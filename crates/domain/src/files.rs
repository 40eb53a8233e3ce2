//! What an uploaded file really is, judged by its content, never by its name: a dossier accepts
//! PDF, JPEG, PNG, DOCX and XLSX, and a disguised file (an executable named `.pdf`) is refused.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
    Docx,
    Xlsx,
    /// Text of comma-separated values: never told by content (any text could be one), only
    /// accepted where a CSV is asked for (an import).
    Csv,
}

impl FileKind {
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Csv => "text/csv",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
            FileKind::Csv => "csv",
        }
    }

    pub fn from_content_type(text: &str) -> Option<FileKind> {
        [
            FileKind::Pdf,
            FileKind::Jpeg,
            FileKind::Png,
            FileKind::Docx,
            FileKind::Xlsx,
            FileKind::Csv,
        ]
        .into_iter()
        .find(|kind| kind.content_type() == text)
    }
}

/// The kind of a file from its first bytes (and, for Office files, the parts the ZIP names).
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    if bytes.starts_with(b"%PDF-") {
        return Some(FileKind::Pdf);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(FileKind::Jpeg);
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(FileKind::Png);
    }
    // DOCX and XLSX are ZIP archives whose entries name their main part; the names are stored
    // uncompressed in the local and central headers.
    if bytes.starts_with(b"PK\x03\x04") {
        let has = |name: &[u8]| memchr::memmem::find(bytes, name).is_some();
        if has(b"[Content_Types].xml") {
            if has(b"word/document.xml") {
                return Some(FileKind::Docx);
            }
            if has(b"xl/workbook.xml") {
                return Some(FileKind::Xlsx);
            }
        }
    }
    None
}

/// Whether `text` is a SHA-256 in lower-case hex: the only thing that names a stored file, so no
/// path from a user ever reaches the file system.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_with(names: &[&str]) -> Vec<u8> {
        let mut bytes = b"PK\x03\x04".to_vec();
        for name in names {
            bytes.extend_from_slice(&[0; 26]);
            bytes.extend_from_slice(name.as_bytes());
        }
        bytes
    }

    #[test]
    fn kinds_come_from_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(FileKind::Pdf));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(FileKind::Jpeg)
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileKind::Png));
        assert_eq!(
            sniff(&zip_with(&["[Content_Types].xml", "word/document.xml"])),
            Some(FileKind::Docx)
        );
        assert_eq!(
            sniff(&zip_with(&["[Content_Types].xml", "xl/workbook.xml"])),
            Some(FileKind::Xlsx)
        );
        // A plain ZIP, an executable, HTML and an empty file are not accepted.
        assert_eq!(sniff(&zip_with(&["setup.exe"])), None);
        assert_eq!(sniff(b"MZ\x90\x00\x03"), None);
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(
            FileKind::from_content_type("image/png"),
            Some(FileKind::Png)
        );
    }

    #[test]
    fn only_hashes_name_files() {
        assert!(is_sha256_hex(&"ab".repeat(32)));
        assert!(!is_sha256_hex("../../etc/passwd"));
        assert!(!is_sha256_hex(&"AB".repeat(32)));
        assert!(!is_sha256_hex(&"ab".repeat(31)));
    }
}
