//! A file's rows of cells, whatever wrote it: an XLSX workbook (read cell by cell with calamine,
//! dates as dates, formulas as the values Excel saved) or a CSV in UTF-8 (with or without BOM),
//! UTF-16 (Excel's "Unicode text"), or the Windows-1258 / Windows-1252 of old exports, recognised
//! or refused. Bounded: a file of more than [`MAX_ROWS`] rows or a workbook that would unpack to
//! more than [`MAX_UNPACKED`] bytes is refused before it is read whole.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use super::cells::excel_day;

/// The most data rows a file may have (a province's whole history is a few thousand; the
/// country's, about 20,000): a larger file is refused, not read.
pub const MAX_ROWS: usize = 200_000;
/// The most columns read of a row; real workbooks have a few dozen.
pub const MAX_COLUMNS: usize = 64;
/// The most bytes a workbook's parts may unpack to (a ZIP bomb stops here).
pub const MAX_UNPACKED: u64 = 512 * 1024 * 1024;
/// The most characters kept of one cell.
pub const MAX_CELL_CHARS: usize = 2_000;

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// An Excel error value (`#N/A`, `#REF!`) left in the cell.
    Error(String),
}

impl Cell {
    /// The cell as text: numbers without a needless `.0`, dates as dd/mm/yyyy.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(day) => day.format("%d/%m/%Y").to_string(),
            Cell::Bool(true) => "TRUE".into(),
            Cell::Bool(false) => "FALSE".into(),
            Cell::Error(error) => error.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }
}

/// The rows of a file's first sheet (of the sheet named for the kind, when a workbook has it),
/// each with its number in the file (1-based, as Excel shows it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub rows: Vec<(usize, Vec<Cell>)>,
    /// How the bytes were read, for the report: `xlsx`, `utf-8`, `windows-1258`, ….
    pub encoding: &'static str,
}

/// Why a file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the workbook cannot be opened: {0}")]
    Workbook(String),
    #[error("the workbook would unpack to more than {MAX_UNPACKED} bytes")]
    TooLarge,
    #[error("the file has more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("the file's text encoding is not one we read for sure")]
    Encoding,
    #[error("the CSV cannot be read: {0}")]
    Csv(String),
    #[error("the file is neither an XLSX workbook nor a CSV text")]
    Format,
}

impl FileError {
    /// The message id people read (with the fix).
    pub fn message_id(&self) -> &'static str {
        match self {
            FileError::Empty => "import-file-empty",
            FileError::Workbook(_) => "import-file-workbook",
            FileError::TooLarge => "import-file-too-large",
            FileError::TooManyRows => "import-file-too-many-rows",
            FileError::Encoding => "import-file-encoding",
            FileError::Csv(_) => "import-file-csv",
            FileError::Format => "import-file-format",
        }
    }
}

/// Reads a file by its content (never its name): a ZIP is a workbook, anything else is CSV text.
/// `prefer_sheet` names the sheet to read when a workbook has several (the template's data sheet).
pub fn read(bytes: &[u8], prefer_sheet: &str) -> Result<Table, FileError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, prefer_sheet)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // The old binary .xls: ask for the workbook format Excel has saved since 2007.
        Err(FileError::Format)
    } else {
        read_csv(bytes)
    }
}

fn read_xlsx(bytes: &[u8], prefer_sheet: &str) -> Result<Table, FileError> {
    check_unpacked_size(bytes)?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|error| FileError::Workbook(error.to_string()))?;
    let names = workbook.sheet_names();
    let wanted = crate::text::fold(prefer_sheet);
    let name = names
        .iter()
        .find(|name| crate::text::fold(name) == wanted)
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| FileError::Workbook("no sheet".into()))?;
    let mut reader = workbook
        .worksheet_cells_reader(&name)
        .map_err(|error| FileError::Workbook(error.to_string()))?;
    let mut rows: Vec<(usize, Vec<Cell>)> = Vec::new();
    while let Some(cell) = reader
        .next_cell()
        .map_err(|error| FileError::Workbook(error.to_string()))?
    {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize + 1, column as usize);
        if column >= MAX_COLUMNS {
            continue;
        }
        let value = xlsx_cell(cell.get_value());
        if value.is_empty() {
            continue;
        }
        if rows.last().is_none_or(|(last, _)| *last != row) {
            if rows.len() > MAX_ROWS {
                return Err(FileError::TooManyRows);
            }
            rows.push((row, Vec::new()));
        }
        let Some((_, cells)) = rows.last_mut() else {
            continue;
        };
        if cells.len() <= column {
            cells.resize(column + 1, Cell::Empty);
        }
        cells[column] = value;
    }
    Ok(Table {
        rows,
        encoding: "xlsx",
    })
}

/// Adds up the sizes the workbook's parts declare, before calamine unpacks any of them.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| FileError::Workbook(error.to_string()))?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let part = archive
            .by_index_raw(index)
            .map_err(|error| FileError::Workbook(error.to_string()))?;
        total = total.saturating_add(part.size());
        // A deflated part cannot grow by more than about 1032 times; one that claims more lies.
        if part.size() > part.compressed_size().saturating_mul(1100).max(1 << 20) {
            return Err(FileError::TooLarge);
        }
    }
    if total > MAX_UNPACKED {
        return Err(FileError::TooLarge);
    }
    Ok(())
}

fn xlsx_cell(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(text) => Cell::Text(clip(text)),
        DataRef::SharedString(text) => Cell::Text(clip(text)),
        DataRef::Int(n) => Cell::Number(*n as f64),
        DataRef::Float(n) => Cell::Number(*n),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(at) if at.is_datetime() => match excel_day(at.as_f64()) {
            Ok(day) => Cell::Date(day),
            Err(_) => Cell::Number(at.as_f64()),
        },
        DataRef::DateTime(at) => Cell::Number(at.as_f64()),
        DataRef::DateTimeIso(text) => {
            match NaiveDate::parse_from_str(&text[..text.len().min(10)], "%Y-%m-%d") {
                Ok(day) => Cell::Date(day),
                Err(_) => Cell::Text(clip(text)),
            }
        }
        DataRef::DurationIso(text) => Cell::Text(clip(text)),
        DataRef::Error(error) => Cell::Error(format!("{error}")),
    }
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

/// CSV text: its encoding found (or refused), its delimiter guessed from the first line.
fn read_csv(bytes: &[u8]) -> Result<Table, FileError> {
    let (text, encoding) = decode(bytes)?;
    // The first record's delimiters, outside quotes; a tie goes to the comma.
    let first_record: Vec<u8> = outside_quotes(text.trim_start())
        .take_while(|b| *b != b'\n')
        .collect();
    let delimiter = [b'\t', b';', b',']
        .into_iter()
        .max_by_key(|d| first_record.iter().filter(|b| *b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let bytes = text.as_bytes();
    let (mut line, mut counted) = (1usize, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => return Err(FileError::Csv(error.to_string())),
        }
        // The record's line as an editor numbers it, counted from its first byte (the csv
        // crate's own line count lags on CRLF files).
        let mut start = record
            .position()
            .map_or(counted, |p| p.byte() as usize)
            .min(bytes.len());
        // After a CRLF the position may point at its LF: the record starts past the line ends.
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        line += memchr::memchr_iter(b'\n', &bytes[counted.min(start)..start]).count();
        counted = start;
        let cells: Vec<Cell> = record
            .iter()
            .take(MAX_COLUMNS)
            .map(|field| match field.trim() {
                "" => Cell::Empty,
                text => Cell::Text(clip(text)),
            })
            .collect();
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        if rows.len() >= MAX_ROWS + 30 {
            return Err(FileError::TooManyRows);
        }
        rows.push((line, cells));
    }
    Ok(Table { rows, encoding })
}

/// A line's bytes outside double quotes (where a delimiter can be).
fn outside_quotes(text: &str) -> impl Iterator<Item = u8> + '_ {
    let mut quoted = false;
    text.bytes().filter(move |b| {
        if *b == b'"' {
            quoted = !quoted;
        }
        !quoted && *b != b'"'
    })
}

/// The text of a CSV file: UTF-8 (a BOM is dropped), UTF-16 with its BOM, else one of the two
/// single-byte code pages old Excel writes, when the text reads for sure in it.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), FileError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(|text| (text.to_string(), "utf-8"))
            .map_err(|_| FileError::Encoding);
    }
    for (bom, encoding, name) in [
        (&[0xFF, 0xFE][..], encoding_rs::UTF_16LE, "utf-16le"),
        (&[0xFE, 0xFF][..], encoding_rs::UTF_16BE, "utf-16be"),
    ] {
        if bytes.starts_with(bom) {
            let (text, _, bad) = encoding.decode(bytes);
            return if bad {
                Err(FileError::Encoding)
            } else {
                Ok((text.into_owned(), name))
            };
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "utf-8"));
    }
    if bytes.contains(&0) {
        return Err(FileError::Format);
    }
    // Windows-1258 writes Vietnamese with combining tone marks after the letter; composed, every
    // letter beyond ASCII is then one of Vietnamese's. Anything else is not Vietnamese in 1258.
    let (text, _, bad) = encoding_rs::WINDOWS_1258.decode(bytes);
    if !bad {
        let composed = text.nfc().collect::<String>();
        if composed
            .chars()
            .all(|c| c.is_ascii() || is_vietnamese_letter(c))
        {
            return Ok((composed, "windows-1258"));
        }
    }
    // Windows-1252 (Western European): accepted only when every character beyond ASCII is a
    // Latin-1 letter or common sign, as in a file whose Vietnamese was already lost.
    let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(bytes);
    if !bad
        && text
            .chars()
            .all(|c| c.is_ascii() || (c as u32 >= 0xA0 && c as u32 <= 0xFF))
    {
        return Ok((text.into_owned(), "windows-1252"));
    }
    Err(FileError::Encoding)
}

/// A letter of the Vietnamese alphabet beyond ASCII, in any of its tones, or a sign Vietnamese
/// text uses (no-break space, «», °, ½, curly quotes and dashes).
fn is_vietnamese_letter(c: char) -> bool {
    if matches!(
        c,
        '\u{A0}' | '«' | '»' | '°' | '–' | '—' | '‘' | '’' | '“' | '”' | '…' | '€'
    ) {
        return true;
    }
    let base = crate::text::fold(&c.to_string());
    let mut chars = base.chars();
    let plain = matches!((chars.next(), chars.next()), (Some(b), None) if b.is_ascii_alphabetic());
    // Latin-1 letters that are not Vietnamese (ñ, ç, ß, ä, ë, ï, ö, ü, å, ø, æ, þ, ð…) fold too,
    // so name them: Vietnamese marks are grave, acute, hook, tilde, dot below, circumflex,
    // breve and horn, and đ.
    let foreign = matches!(
        c.to_lowercase().next().unwrap_or(c),
        'ñ' | 'ç'
            | 'ä'
            | 'ë'
            | 'ï'
            | 'ö'
            | 'ü'
            | 'å'
            | 'ÿ'
            | 'ß'
            | 'ø'
            | 'æ'
            | 'þ'
            | 'ð'
            | 'œ'
            | 'š'
            | 'ž'
            | 'î'
            | 'û'
    );
    (plain && !foreign) || matches!(c, 'đ' | 'Đ')
}

/// Reads at most `limit` bytes from `reader` (an upload), refusing more.
pub fn read_bounded(mut reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader.by_ref().take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn csv_in_every_encoding_old_excel_writes() {
        let utf8 = "Tên sản phẩm,Số sao\nMật ong rừng U Minh,4\n";
        let table = read(utf8.as_bytes(), "").unwrap();
        assert_eq!(table.encoding, "utf-8");
        assert_eq!(table.rows[1].1[0], Cell::Text("Mật ong rừng U Minh".into()));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(utf8.as_bytes());
        assert_eq!(read(&bom, "").unwrap().rows, table.rows);

        let written = as_1258_writes(utf8);
        let (cp1258, _, bad) = encoding_rs::WINDOWS_1258.encode(&written);
        assert!(!bad);
        let read_back = read(&cp1258, "").unwrap();
        assert_eq!(read_back.encoding, "windows-1258");
        assert_eq!(read_back.rows, table.rows);

        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "Tên sản phẩm\tSố sao\r\nMật ong rừng U Minh\t4\r\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let read_back = read(&utf16, "").unwrap();
        assert_eq!(read_back.encoding, "utf-16le");
        assert_eq!(read_back.rows[1].1, table.rows[1].1);

        let western = b"Name;M\xfcller\nx;y\n";
        let read_back = read(western, "").unwrap();
        assert_eq!(read_back.encoding, "windows-1252");
        assert_eq!(read_back.rows[0].1[1], Cell::Text("Müller".into()));

        // Bytes that are neither: refused, not guessed.
        assert_eq!(
            read(b"a,b\n\x81\x8d\x8f\x90,\xff\xfe\xfd\n", ""),
            Err(FileError::Encoding)
        );
        assert_eq!(read(b"  \n", ""), Err(FileError::Empty));
        assert_eq!(
            read(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], ""),
            Err(FileError::Format)
        );
    }

    /// Windows-1258 keeps letters with their vowel marks (ư, â, ê) whole and writes tones as
    /// combining marks after them.
    fn as_1258_writes(text: &str) -> String {
        let tones = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
        let mut out = String::new();
        for c in text.chars() {
            let parts: Vec<char> = c.to_string().nfd().collect();
            let base: String = parts.iter().filter(|p| !tones.contains(p)).collect();
            out.extend(base.nfc());
            out.extend(parts.iter().filter(|p| tones.contains(p)));
        }
        out
    }

    #[test]
    fn rows_are_numbered_as_an_editor_numbers_lines() {
        for text in [
            "\u{feff}TITLE\r\nA,B\r\n1,\"x, y\"\r\n\r\n2,\"z,\r\nw\"\r\n3,c\r\n",
            "TITLE\nA,B\n1,\"x, y\"\n\n2,\"z,\nw\"\n3,c\n",
        ] {
            let table = read(text.as_bytes(), "").unwrap();
            let lines: Vec<usize> = table.rows.iter().map(|r| r.0).collect();
            assert_eq!(lines, vec![1, 2, 3, 5, 7], "{text:?}");
        }
    }

    #[test]
    fn a_truncated_workbook_is_refused() {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend_from_slice(&[0u8; 100]);
        assert!(matches!(read(&bytes, ""), Err(FileError::Workbook(_))));
    }

    /// A ZIP of one deflated part that says it unpacks to `declared` bytes (written by hand: a
    /// bomb lies about nothing else).
    fn zip_declaring(declared: u32) -> Vec<u8> {
        let name = b"xl/sharedStrings.xml";
        let data = [0x03u8, 0x00]; // an empty deflate stream
        let mut out = Vec::new();
        let le16 = |v: u16| v.to_le_bytes();
        let le32 = |v: u32| v.to_le_bytes();
        out.extend_from_slice(&le32(0x0403_4b50));
        for v in [20u16, 0, 8, 0, 0] {
            out.extend_from_slice(&le16(v));
        }
        out.extend_from_slice(&le32(0)); // crc
        out.extend_from_slice(&le32(data.len() as u32));
        out.extend_from_slice(&le32(declared));
        out.extend_from_slice(&le16(name.len() as u16));
        out.extend_from_slice(&le16(0));
        out.extend_from_slice(name);
        out.extend_from_slice(&data);
        let central = out.len() as u32;
        out.extend_from_slice(&le32(0x0201_4b50));
        for v in [20u16, 20, 0, 8, 0, 0] {
            out.extend_from_slice(&le16(v));
        }
        out.extend_from_slice(&le32(0));
        out.extend_from_slice(&le32(data.len() as u32));
        out.extend_from_slice(&le32(declared));
        for v in [name.len() as u16, 0, 0, 0, 0] {
            out.extend_from_slice(&le16(v));
        }
        out.extend_from_slice(&le32(0));
        out.extend_from_slice(&le32(0)); // local header offset
        out.extend_from_slice(name);
        let size = out.len() as u32 - central;
        out.extend_from_slice(&le32(0x0605_4b50));
        for v in [0u16, 0, 1, 1] {
            out.extend_from_slice(&le16(v));
        }
        out.extend_from_slice(&le32(size));
        out.extend_from_slice(&le32(central));
        out.extend_from_slice(&le16(0));
        out
    }

    #[test]
    fn a_zip_bomb_and_a_million_rows_are_refused_before_they_are_read() {
        assert_eq!(
            read(&zip_declaring(4_000_000_000), ""),
            Err(FileError::TooLarge)
        );
        // A million rows of CSV: refused at the limit, not read whole.
        let mut csv = String::with_capacity(6_000_000);
        csv.push_str("Tên sản phẩm,Số sao\n");
        for n in 0..1_000_000 {
            csv.push_str(&format!("{n},3\n"));
        }
        assert_eq!(read(csv.as_bytes(), ""), Err(FileError::TooManyRows));
    }

    proptest! {
        #[test]
        fn no_bytes_make_the_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = read(&bytes, "");
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend_from_slice(&bytes);
            let _ = read(&zip, "");
        }

        #[test]
        fn any_text_reads_back_as_written(fields in proptest::collection::vec("[^\\x00\"]{0,12}", 1..6)) {
            let line: Vec<String> = fields.iter().map(|f| format!("\"{f}\"")).collect();
            let text = format!("{}\n", line.join(","));
            let table = read(text.as_bytes(), "").unwrap_or_default();
            if let Some((_, cells)) = table.rows.first() {
                for (cell, field) in cells.iter().zip(&fields) {
                    prop_assert_eq!(cell.text(), clip(field.trim()));
                }
            }
        }
    }
}
