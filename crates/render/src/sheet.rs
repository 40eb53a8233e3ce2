//! Spreadsheets people open in Excel: one sheet with a bold, frozen header row, text kept as
//! text (codes such as `08934567890120` must not become numbers), numbers as numbers and dates
//! as dates shown dd/mm/yyyy.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DataValidation, ExcelDateTime, Format, Formula, Workbook, XlsxError};

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
        write_row(sheet, first + index as u32 + 1, row, &day)?;
    }
    Ok(())
}

/// One column of a workbook people fill in and bring back (an import's template, or an export
/// in the same layout).
#[derive(Debug, Clone, PartialEq)]
pub struct FormColumn {
    pub header: String,
    pub required: bool,
    /// The drop-down's values (none: free text).
    pub choices: Vec<String>,
    /// What goes in the column, for the instructions sheet.
    pub note: String,
    pub example: String,
}

/// A workbook to fill in: the data sheet (a title, the header, `rows` already filled — none in
/// a blank template), a drop-down on each coded column for as many rows as people may add,
/// the lists on a hidden sheet, and an instructions sheet with one example row.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub sheet: String,
    pub title: String,
    pub columns: Vec<FormColumn>,
    pub rows: Vec<Vec<Cell>>,
    pub instructions: Vec<String>,
}

/// How many rows below the header the drop-downs reach past the filled rows.
const FORM_BLANK_ROWS: u32 = 5_000;

/// Writes a [`Form`]: the header sits on the third row, under the title and a blank row, as
/// provinces' own lists do.
pub fn form(form: &Form) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold().set_text_wrap();
    let required = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("#FFF2CC");
    let header_row = 2u32;
    {
        let sheet = workbook.add_worksheet();
        write_sheet(
            sheet,
            &Sheet {
                name: form.sheet.clone(),
                title: Some(form.title.clone()),
                headers: Vec::new(),
                rows: Vec::new(),
            },
        )?;
        for (index, column) in form.columns.iter().enumerate() {
            let format = if column.required { &required } else { &bold };
            sheet.write_string_with_format(header_row, index as u16, &column.header, format)?;
            sheet.set_column_width(index as u16, 22)?;
        }
        sheet.set_freeze_panes(header_row + 1, 0)?;
        let day = Format::new().set_num_format("dd/mm/yyyy");
        for (offset, row) in form.rows.iter().enumerate() {
            write_row(sheet, header_row + 1 + offset as u32, row, &day)?;
        }
        let last = header_row + form.rows.len() as u32 + FORM_BLANK_ROWS;
        let mut list_column = 0u16;
        for (index, column) in form.columns.iter().enumerate() {
            if column.choices.is_empty() {
                continue;
            }
            let letter = column_letter(list_column);
            let formula = format!(
                "='Danh mục'!${letter}$2:${letter}${}",
                column.choices.len() + 1
            );
            let validation = DataValidation::new()
                .allow_list_formula(Formula::new(formula))
                .ignore_blank(true)
                .set_error_title("Giá trị không có trong danh sách")?
                .set_error_message("Chọn một giá trị trong danh sách thả xuống.")?;
            sheet.add_data_validation(
                header_row + 1,
                index as u16,
                last,
                index as u16,
                &validation,
            )?;
            list_column += 1;
        }
    }
    {
        let sheet = workbook.add_worksheet();
        sheet.set_name("Hướng dẫn")?;
        sheet.set_column_width(0, 110)?;
        sheet.write_string_with_format(
            0,
            0,
            "Hướng dẫn",
            &Format::new().set_bold().set_font_size(13),
        )?;
        let mut line = 2u32;
        for text in &form.instructions {
            sheet.write_string_with_format(line, 0, text, &Format::new().set_text_wrap())?;
            line += 1;
        }
        line += 1;
        sheet.write_string_with_format(line, 0, "Các cột", &bold)?;
        line += 1;
        for column in &form.columns {
            let mark = if column.required {
                " (bắt buộc)"
            } else {
                ""
            };
            sheet.write_string(line, 0, format!("{}{mark}: {}", column.header, column.note))?;
            line += 1;
        }
        line += 1;
        sheet.write_string_with_format(
            line,
            0,
            "Dòng ví dụ (không chép vào trang dữ liệu nếu không phải hồ sơ thật)",
            &bold,
        )?;
        line += 1;
        for (index, column) in form.columns.iter().enumerate() {
            sheet.write_string_with_format(line, index as u16 + 1, &column.header, &bold)?;
            sheet.write_string(line + 1, index as u16 + 1, &column.example)?;
        }
    }
    {
        let sheet = workbook.add_worksheet();
        sheet.set_name("Danh mục")?;
        let lists = form.columns.iter().filter(|c| !c.choices.is_empty());
        for (list_column, column) in lists.enumerate() {
            let list_column = list_column as u16;
            sheet.write_string_with_format(0, list_column, &column.header, &bold)?;
            for (index, choice) in column.choices.iter().enumerate() {
                sheet.write_string(index as u32 + 1, list_column, choice)?;
            }
            sheet.set_column_width(list_column, 30)?;
        }
        sheet.set_hidden(true);
    }
    workbook.save_to_buffer()
}

/// `A`, `B`, … `Z`, `AA`, … for a column index.
fn column_letter(index: u16) -> String {
    let mut n = u32::from(index) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push((b'A' + rem) as char);
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn write_row(
    sheet: &mut rust_xlsxwriter::Worksheet,
    line: u32,
    row: &[Cell],
    day: &Format,
) -> Result<(), XlsxError> {
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
                sheet.write_datetime_with_format(line, column, &value, day)?;
            }
            Cell::Empty => {}
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
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
    }
}
