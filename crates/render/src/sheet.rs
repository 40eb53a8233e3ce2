//! Spreadsheets people open in Excel: one sheet with a bold, frozen header row, text kept as
//! text (codes such as `08934567890120` must not become numbers), numbers as numbers and dates
//! as dates shown dd/mm/yyyy.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
    Date(NaiveDate),
    Empty,
}

/// A workbook of one sheet named `name`, with `headers` over `rows`.
pub fn xlsx(name: &str, headers: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, XlsxError> {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    workbook(&[Sheet {
        name: name.to_string(),
        title: None,
        headers,
        rows: rows.to_vec(),
    }])
}

/// One sheet of a workbook: an optional title line above the header (a report's table name,
/// as officials' forms have it), the header, the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// At most 31 characters (Excel's limit), without `[]:*?/\`.
    pub name: String,
    pub title: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A workbook of several sheets, in order.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    for sheet in sheets {
        write_sheet(workbook.add_worksheet(), sheet)?;
    }
    workbook.save_to_buffer()
}

fn write_sheet(out: &mut rust_xlsxwriter::Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    let (name, title, headers, rows) = (&sheet.name, &sheet.title, &sheet.headers, &sheet.rows);
    let sheet = out;
    sheet.set_name(name)?;
    let bold = Format::new().set_bold();
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let first = match title {
        Some(title) => {
            sheet.write_string_with_format(
                0,
                0,
                title,
                &Format::new().set_bold().set_font_size(13),
            )?;
            2
        }
        None => 0,
    };
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(first, column as u16, header, &bold)?;
        sheet.set_column_width(column as u16, 18)?;
    }
    sheet.set_freeze_panes(first + 1, 0)?;
    for (index, row) in rows.iter().enumerate() {
        let line = first + index as u32 + 1;
        for (column, cell) in row.iter().enumerate() {
            let column = column as u16;
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(line, column, text)?;
                }
                Cell::Number(number) => {
                    sheet.write_number(line, column, *number as f64)?;
                }
                Cell::Date(date) => {
                    let value = ExcelDateTime::from_ymd(
                        u16::try_from(date.year()).unwrap_or(1900),
                        date.month() as u8,
                        date.day() as u8,
                    )?;
                    sheet.write_datetime_with_format(line, column, &value, &day)?;
                }
                Cell::Empty => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_zip_workbook() {
        let rows = vec![
            vec![
                Cell::Text("08934567890120".into()),
                Cell::Number(4),
                Cell::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()),
            ],
            vec![Cell::Text("Nước mắm".into()), Cell::Empty, Cell::Empty],
        ];
        let bytes = xlsx("products", &["gtin", "stars", "issued_on"], &rows).unwrap();
        assert_eq!(&bytes[..2], b"PK", "an XLSX file is a ZIP archive");
        assert!(bytes.len() > 1000);
    }
}
