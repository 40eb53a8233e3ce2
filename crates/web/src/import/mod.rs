//! Imports and exports of a province's records (issue 13): the upload page and the run's page
//! with its live progress and report (`pages.rs`), the same as JSON (`api.rs`), and what both
//! share here: who may import, an upload started as a background job, each problem in words
//! with its fix, and the workbooks (templates and exports) in one layout.
//!
//! The work itself is `ocop_store::import` (run by the worker every `ocop serve` runs, or by
//! `ocop import`); rows are read and checked by `ocop_domain::import`.

pub mod api;
pub mod pages;

use fluent_templates::fluent_bundle::FluentValue;

use ocop_domain::criteria::Catalog;
use ocop_domain::files::FileKind;
use ocop_domain::import::columns::{Codes, note};
use ocop_domain::import::read::Cell;
use ocop_domain::import::{Kind, Report, RowError};
use ocop_render::sheet::{Form, FormColumn};
use ocop_store::accounts::User;
use ocop_store::files::FileError;
use ocop_store::import::{self as store, Request};

use crate::AppState;
use crate::shared::error::AppError;
use crate::shared::i18n::Lang;

/// The province a user imports into: provincial officers, their own.
pub fn may_import(user: &User) -> Result<String, AppError> {
    match (&user.unit_code, user.role.imports_records()) {
        (Some(province), true) => Ok(province.clone()),
        _ => Err(AppError::Forbidden {
            code: "role_forbidden",
            message: "only a provincial OCOP office imports and exports its province's records"
                .into(),
        }),
    }
}

/// A kind named in a path or a form.
pub fn kind(text: &str) -> Result<Kind, AppError> {
    Kind::parse(text).ok_or_else(|| AppError::NotFound {
        code: "not_found",
        what: "kind of records",
        key: text.to_string(),
    })
}

pub fn kind_label(lang: Lang, kind: Kind) -> String {
    lang.t(&format!("import-kind-{}", kind.as_str()))
}

/// A column's header in the template.
pub fn header(kind: Kind, key: &str) -> &'static str {
    kind.columns()
        .iter()
        .find(|c| c.key == key)
        .map_or("", |c| c.header)
}

/// One problem in words, with its fix.
pub fn describe(lang: Lang, error: &RowError) -> String {
    lang.t_with(
        &error.message,
        &[
            ("detail", FluentValue::from(error.detail.clone())),
            ("value", FluentValue::from(error.value.clone())),
        ],
    )
}

/// The file's own problem in words, if it could not be read.
pub fn file_problem(lang: Lang, report: &Report) -> Option<String> {
    report.file_error.as_ref().map(|message| {
        lang.t_with(
            message,
            &[("detail", FluentValue::from(report.file_detail.clone()))],
        )
    })
}

/// The product sets in force today, code and name, as drop-downs and exports write them.
pub fn sets_in_force(catalog: &Catalog) -> Vec<(String, String)> {
    catalog
        .in_force_on(ocop_store::clock::today())
        .map(|version| {
            version
                .sets
                .iter()
                .map(|s| (s.code.clone(), s.name_vi.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn render_cell(cell: &Cell) -> ocop_render::sheet::Cell {
    use ocop_render::sheet::Cell as Out;
    match cell {
        Cell::Empty => Out::Empty,
        Cell::Number(n) if n.fract() == 0.0 => Out::Number(*n as i64),
        Cell::Date(day) => Out::Date(*day),
        other => Out::Text(other.text()),
    }
}

/// A kind's workbook: the blank template, or `rows` already filled (an export).
pub fn workbook(kind: Kind, catalog: &Catalog, rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    let sets = sets_in_force(catalog);
    let sets: Vec<(&str, &str)> = sets.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    let columns = kind
        .columns()
        .iter()
        .map(|column| FormColumn {
            header: column.header.to_string(),
            required: column.required,
            choices: column
                .codes
                .map(|codes: Codes| codes.choices(&sets))
                .unwrap_or_default(),
            note: note(column.key).to_string(),
            example: column.example.to_string(),
        })
        .collect();
    let form = Form {
        sheet: kind.sheet_name().to_string(),
        title: format!("DANH SÁCH {} OCOP", kind.sheet_name().to_uppercase()),
        columns,
        rows: rows
            .iter()
            .map(|row| row.iter().map(render_cell).collect())
            .collect(),
        instructions: vec![
            "Điền mỗi hồ sơ trên một dòng của trang dữ liệu, dưới dòng tiêu đề; giữ nguyên tên cột (thứ tự cột tùy ý). Cột tô vàng là bắt buộc.".into(),
            "Địa chỉ, xã và huyện có thể ghi theo địa giới trước 01/07/2025: hệ thống chuyển sang xã hiện nay; xã cũ nay thuộc nhiều xã thì báo lỗi và nêu các xã, khi đó ghi mã xã hiện nay.".into(),
            "Ngày ghi ngày/tháng/năm (năm đủ 4 chữ số) hoặc để Excel định dạng ngày. Số sao ghi 3, 4, 5 (hoặc “4 sao”, “★★★★”).".into(),
            "Luôn chạy thử trước: báo cáo nêu từng dòng sẽ tạo mới, cập nhật, giữ nguyên hay lỗi (dòng, cột, giá trị, cách sửa). Có lỗi thì không ghi gì. Nhập lại cùng tệp không tạo bản trùng.".into(),
            "Thứ tự nhập: chủ thể, rồi sản phẩm, rồi các lần công nhận.".into(),
        ],
    };
    ocop_render::sheet::form(&form).map_err(|error| {
        tracing::error!(%error, "cannot write a workbook");
        AppError::Internal
    })
}

/// The records of a kind (of a province, or all) in the template's layout.
pub async fn export_workbook(
    db: &ocop_store::Db,
    catalog: &Catalog,
    kind: Kind,
    province: Option<&str>,
) -> Result<Vec<u8>, AppError> {
    let sets = sets_in_force(catalog);
    let sets: Vec<(&str, &str)> = sets.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    let rows = store::export::rows(db, kind, province, &sets).await?;
    workbook(kind, catalog, &rows)
}

/// What an upload asks for.
#[derive(Debug, Clone)]
pub struct Upload {
    pub kind: Kind,
    pub dry_run: bool,
    pub partial: bool,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Why an upload was refused before it was queued: a message id and what it names.
pub struct Refused(pub &'static str, pub String);

/// Stores the file, records the run and queues it for the worker. Returns the run's id.
pub async fn start(
    state: &AppState,
    user: &User,
    province: &str,
    upload: Upload,
) -> Result<Result<String, Refused>, AppError> {
    if upload.bytes.is_empty() {
        return Ok(Err(Refused("import-error-upload", String::new())));
    }
    let kind = if upload.bytes.starts_with(b"PK") {
        FileKind::Xlsx
    } else {
        FileKind::Csv
    };
    let stored = match state.files.put_as(&state.db, &upload.bytes, kind).await {
        Ok(stored) => stored,
        Err(FileError::TooLarge { max, .. }) => {
            return Ok(Err(Refused(
                "import-error-upload-large",
                (max / (1024 * 1024)).to_string(),
            )));
        }
        Err(FileError::Empty | FileError::UnsupportedType) => {
            return Ok(Err(Refused("import-error-upload", String::new())));
        }
        Err(other) => return Err(other.into()),
    };
    let request = Request {
        kind: upload.kind,
        province_code: province.to_string(),
        file_name: clean_name(&upload.file_name),
        dry_run: upload.dry_run,
        partial: upload.partial,
        actor: user.id.clone(),
    };
    queue(state, &request, &upload.bytes, &stored.sha256)
        .await
        .map(Ok)
}

/// Records a run of a stored file and queues it (the upload, or a dry run's file written for
/// real), audited; this server's worker is woken for it.
pub async fn queue(
    state: &AppState,
    request: &Request,
    bytes: &[u8],
    sha256: &str,
) -> Result<String, AppError> {
    let id = store::queue(&state.db, request, bytes, sha256).await?;
    state.wake_worker.notify_one();
    Ok(id)
}

/// A file name kept for the report: its last component, printable, at most 120 characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let kept: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    if kept.trim().is_empty() {
        "tep-nhap".into()
    } else {
        kept
    }
}

/// The report as CSV: the problems first, then every row's outcome.
pub fn report_csv(lang: Lang, kind: Kind, report: &Report) -> String {
    let headers = [
        lang.t("import-error-row"),
        lang.t("import-error-column"),
        lang.t("import-error-value"),
        lang.t("imports-counts"),
        lang.t("import-error-message"),
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    if let Some(problem) = file_problem(lang, report) {
        rows.push(vec![
            String::new(),
            String::new(),
            String::new(),
            lang.t("import-outcome-error"),
            problem,
        ]);
    }
    for error in &report.errors {
        rows.push(vec![
            error.row.to_string(),
            header(kind, &error.column).to_string(),
            error.value.clone(),
            lang.t("import-outcome-error"),
            describe(lang, error),
        ]);
    }
    for row in report
        .rows
        .iter()
        .filter(|r| r.outcome != ocop_domain::import::Outcome::Error)
    {
        rows.push(vec![
            row.row.to_string(),
            String::new(),
            row.key.clone(),
            lang.t(&format!("import-outcome-{}", row.outcome.as_str())),
            row.changed.join(", "),
        ]);
    }
    crate::shared::download::csv_text(&headers, rows)
}
