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
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    let bold = Format::new().set_bold();
    let day = Format::new().set_num_format("dd/mm/yyyy");
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, &bold)?;
        sheet.set_column_width(column as u16, 18)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (index, row) in rows.iter().enumerate() {
        let line = index as u32 + 1;
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
    workbook.save_to_buffer()
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
