//! Files people download: workbooks, and CSV that Excel opens with Vietnamese intact (UTF-8
//! with a byte-order mark, CRLF lines).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The XLSX content type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to download under `name`.
pub fn attachment(name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A workbook to download under `name`.
pub fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    attachment(name, XLSX, bytes)
}

/// CSV text of `headers` over `rows`, as Excel opens it.
pub fn csv_text<R, C>(headers: &[String], rows: R) -> String
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = writer.write_record(headers);
    for row in rows {
        let _ = writer.write_record(row);
    }
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(writer.into_inner().unwrap_or_default());
    String::from_utf8(bytes).unwrap_or_default()
}
