//! What each kind of record is read from: its columns, their Vietnamese headers and the other
//! names real workbooks give them, and which header row a sheet has (the row matching the most
//! of them, below any merged title rows).

use std::collections::BTreeMap;

use super::cells::header_key;
use super::read::{Cell, Table};
use crate::criteria::{EntityType, Level};

/// A kind of record a province brings in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Entities,
    Products,
    /// Historical recognitions: star, decision, validity; they become certificates.
    Certificates,
    /// Council results of before the system, with per-part or per-member totals.
    Evaluations,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Entities,
        Kind::Products,
        Kind::Certificates,
        Kind::Evaluations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Entities => "entities",
            Kind::Products => "products",
            Kind::Certificates => "certificates",
            Kind::Evaluations => "evaluations",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text.trim())
    }

    /// The data sheet's name in the template (and the sheet read first in a workbook).
    pub fn sheet_name(self) -> &'static str {
        match self {
            Kind::Entities => "Chủ thể",
            Kind::Products => "Sản phẩm",
            Kind::Certificates => "Chứng nhận",
            Kind::Evaluations => "Kết quả đánh giá",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Entities => ENTITY_COLUMNS,
            Kind::Products => PRODUCT_COLUMNS,
            Kind::Certificates => CERTIFICATE_COLUMNS,
            Kind::Evaluations => EVALUATION_COLUMNS,
        }
    }
}

/// Values a coded column offers in the template's drop-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codes {
    EntityTypes,
    LegalForms,
    YesNo,
    ProductSets,
    Stars,
    Levels,
}

impl Codes {
    /// The drop-down's values, as the importer reads them back (`sets`: the product sets in
    /// force, code and name).
    pub fn choices(self, sets: &[(&str, &str)]) -> Vec<String> {
        let words = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        match self {
            Codes::EntityTypes => words(&[
                entity_type_label(EntityType::Cooperative),
                entity_type_label(EntityType::Company),
                entity_type_label(EntityType::Household),
                entity_type_label(EntityType::CooperativeGroup),
            ]),
            Codes::LegalForms => crate::registry::LEGAL_FORMS
                .iter()
                .map(|form| legal_form_label(form).to_string())
                .collect(),
            Codes::YesNo => words(&["Có", "Không"]),
            Codes::ProductSets => sets
                .iter()
                .map(|(code, name)| format!("{code} – {name}"))
                .collect(),
            Codes::Stars => words(&["3 sao", "4 sao", "5 sao"]),
            Codes::Levels => words(&[
                level_label(Level::Province),
                level_label(Level::Ministry),
                level_label(Level::District),
            ]),
        }
    }
}

/// An entity type as the template writes it.
pub fn entity_type_label(kind: EntityType) -> &'static str {
    match kind {
        EntityType::Cooperative => "Hợp tác xã",
        EntityType::Company => "Doanh nghiệp",
        EntityType::Household => "Hộ kinh doanh",
        EntityType::CooperativeGroup => "Tổ hợp tác",
    }
}

/// A legal form as the template writes it.
pub fn legal_form_label(form: &str) -> &str {
    match form {
        "private" => "Doanh nghiệp tư nhân",
        "llc_one_member" => "Công ty TNHH một thành viên",
        "llc_multi_member" => "Công ty TNHH hai thành viên trở lên",
        "joint_stock" => "Công ty cổ phần",
        other => other,
    }
}

/// A recognising level as the template writes it.
pub fn level_label(level: Level) -> &'static str {
    match level {
        Level::Province => "Tỉnh",
        Level::Ministry => "Trung ương",
        Level::District => "Huyện",
        Level::Commune => "Xã",
    }
}

/// What a column takes, for the template's instructions.
pub fn note(key: &str) -> &'static str {
    match key {
        "registration_code" => {
            "mã số doanh nghiệp, hợp tác xã hoặc hộ kinh doanh (mã số thuế); là khóa để nhập lại không tạo bản trùng"
        }
        "name" => "tên đầy đủ",
        "kind" => "chọn trong danh sách",
        "legal_form" => {
            "với doanh nghiệp; để trống thì đọc từ tên (Công ty TNHH…, Công ty cổ phần…)"
        }
        "representative" => "họ tên người đại diện hoặc chủ hộ",
        "address" => "địa chỉ; có thể ghi theo địa giới trước 01/07/2025 (xã…, huyện…, tỉnh…)",
        "commune" => "xã/phường hiện nay, hoặc trước 01/07/2025 kèm cột huyện",
        "district" => "huyện của địa chỉ trước 01/07/2025 (để trống nếu ghi xã hiện nay)",
        "province" => "tỉnh (cũ hoặc hiện nay); để trống là tỉnh đang nhập",
        "commune_code" => "mã xã hiện nay hoặc trước 01/07/2025, dùng khi tên xã không đủ rõ",
        "phone" => "ít nhất 9 chữ số",
        "women_led" | "ethnic_minority_led" => "Có hoặc Không",
        "members" | "workers" => "số nguyên",
        "founded_on" => "ngày/tháng/năm hoặc chỉ năm",
        "code" | "product_code" => {
            "mã sản phẩm hiện nay (tỉnh-xã-số-năm) hoặc mã cũ (tỉnh-huyện-xã-số-năm), giữ nguyên; để trống với sản phẩm mới"
        }
        "entity_name" => "dùng khi không có mã số đăng ký",
        "product_set" => "chọn trong danh sách (mã P01–P26)",
        "description" => "mô tả ngắn",
        "raw_material_area" | "trademark" => "nếu có",
        "gtin" => "mã vạch GTIN 8, 12, 13 hoặc 14 số",
        "sales_channels" | "export_markets" => "cách nhau bởi dấu chấm phẩy",
        "product_name" => "dùng khi không có mã sản phẩm, kèm mã số đăng ký",
        "stars" => "3, 4 hoặc 5 (có thể ghi “4 sao”, “★★★★”)",
        "score" => "điểm hội đồng, 0–100",
        "decision_number" => "ví dụ 1234/QĐ-UBND",
        "decision_date" => "ngày/tháng/năm, không ở tương lai",
        "level" => "Tỉnh, Trung ương hoặc Huyện (để trống: Tỉnh; 5 sao: Trung ương)",
        "valid_until" => "để trống: 36 tháng từ ngày quyết định",
        "certificate_number" => "số in trên giấy chứng nhận, giữ nguyên",
        "meeting_date" => "ngày hội đồng họp và chấm điểm",
        "part_a" | "part_b" | "part_c" => {
            "tổng điểm phần (nếu có); ba phần cộng lại phải bằng tổng điểm"
        }
        "member_1" | "member_2" | "member_3" | "member_4" | "member_5" | "member_6"
        | "member_7" | "member_8" | "member_9" => {
            "tổng điểm của từng thành viên (nếu có); trung bình làm tròn phải bằng tổng điểm"
        }
        _ => "",
    }
}

/// One column of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The field it fills (stable: reports and the API name columns by it).
    pub key: &'static str,
    /// The template's header.
    pub header: &'static str,
    /// Other headers seen in real workbooks, matched after folding.
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub codes: Option<Codes>,
    /// The template's example row.
    pub example: &'static str,
}

const fn column(
    key: &'static str,
    header: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    codes: Option<Codes>,
    example: &'static str,
) -> Column {
    Column {
        key,
        header,
        aliases,
        required,
        codes,
        example,
    }
}

const REGISTRATION: &[&str] = &[
    "Mã số ĐKKD",
    "Số ĐKKD",
    "Mã số thuế",
    "MST",
    "Mã số doanh nghiệp",
    "Mã số HTX",
    "Số giấy chứng nhận đăng ký kinh doanh",
    "Mã số đăng ký",
];
const PROVINCE: &[&str] = &["Tỉnh/thành phố", "Tỉnh thành"];
const DISTRICT: &[&str] = &[
    "Huyện",
    "Quận/huyện",
    "Huyện/thị xã/thành phố",
    "Cấp huyện",
    "Huyện (cũ)",
];
const COMMUNE: &[&str] = &[
    "Xã",
    "Phường",
    "Xã/phường/thị trấn",
    "Xã/phường/đặc khu",
    "Cấp xã",
];

pub const ENTITY_COLUMNS: &[Column] = &[
    column(
        "registration_code",
        "Mã số đăng ký kinh doanh",
        REGISTRATION,
        true,
        None,
        "3600123456",
    ),
    column(
        "name",
        "Tên chủ thể",
        &[
            "Tên chủ thể OCOP",
            "Chủ thể",
            "Tên đơn vị",
            "Tên cơ sở",
            "Tên tổ chức",
        ],
        true,
        None,
        "Hợp tác xã Nông nghiệp Tân Lập",
    ),
    column(
        "kind",
        "Loại hình",
        &["Loại hình chủ thể", "Loại hình tổ chức", "Loại chủ thể"],
        true,
        Some(Codes::EntityTypes),
        "Hợp tác xã",
    ),
    column(
        "legal_form",
        "Hình thức doanh nghiệp",
        &["Loại hình doanh nghiệp"],
        false,
        Some(Codes::LegalForms),
        "",
    ),
    column(
        "representative",
        "Người đại diện",
        &[
            "Đại diện",
            "Người đại diện theo pháp luật",
            "Chủ hộ",
            "Giám đốc",
            "Họ tên người đại diện",
        ],
        true,
        None,
        "Nguyễn Văn An",
    ),
    column(
        "address",
        "Địa chỉ",
        &["Địa chỉ trụ sở", "Địa chỉ liên hệ", "Trụ sở"],
        true,
        None,
        "Ấp 3, xã Tân Lập, huyện Đồng Phú, tỉnh Bình Phước",
    ),
    column("commune", "Xã/phường", COMMUNE, false, None, "Tân Lập"),
    column(
        "district",
        "Huyện (trước 01/07/2025)",
        DISTRICT,
        false,
        None,
        "Đồng Phú",
    ),
    column("province", "Tỉnh", PROVINCE, false, None, "Bình Phước"),
    column(
        "commune_code",
        "Mã xã",
        &["Mã đơn vị hành chính", "Mã xã/phường"],
        false,
        None,
        "",
    ),
    column(
        "phone",
        "Điện thoại",
        &["Số điện thoại", "SĐT", "Điện thoại liên hệ"],
        false,
        None,
        "0912 345 678",
    ),
    column(
        "email",
        "Email",
        &["Thư điện tử", "E-mail"],
        false,
        None,
        "",
    ),
    column(
        "women_led",
        "Nữ làm chủ",
        &["Chủ thể do nữ làm chủ", "Nữ"],
        false,
        Some(Codes::YesNo),
        "Có",
    ),
    column(
        "ethnic_minority_led",
        "Dân tộc thiểu số làm chủ",
        &["DTTS làm chủ", "Dân tộc thiểu số"],
        false,
        Some(Codes::YesNo),
        "Không",
    ),
    column(
        "members",
        "Số thành viên",
        &["Thành viên"],
        false,
        None,
        "25",
    ),
    column(
        "workers",
        "Số lao động",
        &["Lao động", "Số lao động thường xuyên"],
        false,
        None,
        "12",
    ),
    column(
        "founded_on",
        "Ngày thành lập",
        &["Năm thành lập", "Ngày cấp ĐKKD"],
        false,
        None,
        "15/03/2018",
    ),
];

const PRODUCT_CODE: &[&str] = &["Mã SP", "Mã số sản phẩm", "Mã OCOP", "Mã sản phẩm OCOP"];
const PRODUCT_NAME: &[&str] = &["Tên SP", "Sản phẩm", "Tên sản phẩm OCOP"];
const ENTITY_NAME: &[&str] = &["Tên chủ thể OCOP", "Chủ thể", "Tên đơn vị", "Tên cơ sở"];

pub const PRODUCT_COLUMNS: &[Column] = &[
    column(
        "code",
        "Mã sản phẩm",
        PRODUCT_CODE,
        false,
        None,
        "70-702-25219-1-2022",
    ),
    column(
        "name",
        "Tên sản phẩm",
        PRODUCT_NAME,
        true,
        None,
        "Hạt điều rang muối Tân Lập",
    ),
    column(
        "registration_code",
        "Mã số đăng ký kinh doanh",
        REGISTRATION,
        false,
        None,
        "3600123456",
    ),
    column(
        "entity_name",
        "Tên chủ thể",
        ENTITY_NAME,
        false,
        None,
        "Hợp tác xã Nông nghiệp Tân Lập",
    ),
    column(
        "product_set",
        "Bộ sản phẩm",
        &["Bộ SP", "Nhóm sản phẩm", "Ngành hàng", "Phân nhóm"],
        true,
        Some(Codes::ProductSets),
        "P03 – Chế biến từ hạt",
    ),
    column(
        "description",
        "Mô tả",
        &["Mô tả sản phẩm", "Đặc điểm sản phẩm"],
        false,
        None,
        "Hạt điều rang muối, đóng hũ 500 g",
    ),
    column(
        "raw_material_area",
        "Vùng nguyên liệu",
        &["Vùng nguyên liệu (ha)"],
        false,
        None,
        "120 ha điều tại xã Tân Lập",
    ),
    column(
        "trademark",
        "Nhãn hiệu",
        &["Nhãn hiệu hàng hóa", "Thương hiệu"],
        false,
        None,
        "",
    ),
    column(
        "gtin",
        "Mã GTIN",
        &["Mã vạch", "GTIN", "Mã số mã vạch"],
        false,
        None,
        "",
    ),
    column(
        "sales_channels",
        "Kênh phân phối",
        &["Kênh tiêu thụ", "Kênh bán hàng"],
        false,
        None,
        "Điểm bán OCOP; Sàn TMĐT Postmart",
    ),
    column(
        "export_markets",
        "Thị trường xuất khẩu",
        &["Xuất khẩu"],
        false,
        None,
        "",
    ),
];

pub const CERTIFICATE_COLUMNS: &[Column] = &[
    column(
        "product_code",
        "Mã sản phẩm",
        PRODUCT_CODE,
        false,
        None,
        "70-702-25219-1-2022",
    ),
    column(
        "product_name",
        "Tên sản phẩm",
        PRODUCT_NAME,
        false,
        None,
        "Hạt điều rang muối Tân Lập",
    ),
    column(
        "registration_code",
        "Mã số đăng ký kinh doanh",
        REGISTRATION,
        false,
        None,
        "3600123456",
    ),
    column(
        "stars",
        "Số sao",
        &["Hạng sao", "Xếp hạng", "Hạng", "Sao", "Kết quả xếp hạng"],
        true,
        Some(Codes::Stars),
        "4",
    ),
    column(
        "score",
        "Điểm",
        &["Tổng điểm", "Điểm đánh giá", "Điểm hội đồng"],
        false,
        None,
        "72,5",
    ),
    column(
        "decision_number",
        "Số quyết định",
        &["Quyết định số", "Số QĐ", "Quyết định công nhận"],
        true,
        None,
        "1234/QĐ-UBND",
    ),
    column(
        "decision_date",
        "Ngày quyết định",
        &[
            "Ngày ký quyết định",
            "Ngày QĐ",
            "Ngày công nhận",
            "Ngày ban hành",
        ],
        true,
        None,
        "15/12/2022",
    ),
    column(
        "level",
        "Cấp công nhận",
        &["Cấp quyết định", "Cấp", "Cơ quan công nhận"],
        false,
        Some(Codes::Levels),
        "Tỉnh",
    ),
    column(
        "valid_until",
        "Hiệu lực đến",
        &["Ngày hết hạn", "Có hiệu lực đến", "Thời hạn"],
        false,
        None,
        "15/12/2025",
    ),
    column(
        "certificate_number",
        "Số giấy chứng nhận",
        &["Số GCN", "Số chứng nhận", "Giấy chứng nhận số"],
        false,
        None,
        "125/GCN-UBND",
    ),
];

/// The most members' totals a row may carry (a council has 5 to 9 members in practice).
pub const MEMBER_COLUMNS: usize = 9;

pub const EVALUATION_COLUMNS: &[Column] = &[
    column(
        "product_code",
        "Mã sản phẩm",
        PRODUCT_CODE,
        false,
        None,
        "70-702-25381-1-2022",
    ),
    column(
        "product_name",
        "Tên sản phẩm",
        PRODUCT_NAME,
        false,
        None,
        "Hạt điều rang muối Tân Lập",
    ),
    column(
        "registration_code",
        "Mã số đăng ký kinh doanh",
        REGISTRATION,
        false,
        None,
        "3600123456",
    ),
    column(
        "meeting_date",
        "Ngày họp hội đồng",
        &["Ngày đánh giá", "Ngày chấm điểm", "Ngày họp"],
        true,
        None,
        "20/11/2022",
    ),
    column(
        "level",
        "Cấp đánh giá",
        &["Cấp hội đồng", "Cấp"],
        false,
        Some(Codes::Levels),
        "Tỉnh",
    ),
    column(
        "score",
        "Tổng điểm",
        &["Điểm", "Điểm trung bình", "Điểm hội đồng"],
        false,
        None,
        "72,5",
    ),
    column(
        "stars",
        "Số sao",
        &["Hạng sao", "Xếp hạng", "Kết quả xếp hạng"],
        false,
        Some(Codes::Stars),
        "4",
    ),
    column(
        "part_a",
        "Phần A",
        &["Điểm phần A", "Phần A (sản phẩm và sức mạnh cộng đồng)"],
        false,
        None,
        "30",
    ),
    column(
        "part_b",
        "Phần B",
        &["Điểm phần B", "Phần B (khả năng tiếp thị)"],
        false,
        None,
        "18,5",
    ),
    column(
        "part_c",
        "Phần C",
        &["Điểm phần C", "Phần C (chất lượng sản phẩm)"],
        false,
        None,
        "24",
    ),
    column(
        "member_1",
        "Thành viên 1",
        &["TV1", "TV 1"],
        false,
        None,
        "72",
    ),
    column(
        "member_2",
        "Thành viên 2",
        &["TV2", "TV 2"],
        false,
        None,
        "73",
    ),
    column(
        "member_3",
        "Thành viên 3",
        &["TV3", "TV 3"],
        false,
        None,
        "72,5",
    ),
    column(
        "member_4",
        "Thành viên 4",
        &["TV4", "TV 4"],
        false,
        None,
        "",
    ),
    column(
        "member_5",
        "Thành viên 5",
        &["TV5", "TV 5"],
        false,
        None,
        "",
    ),
    column(
        "member_6",
        "Thành viên 6",
        &["TV6", "TV 6"],
        false,
        None,
        "",
    ),
    column(
        "member_7",
        "Thành viên 7",
        &["TV7", "TV 7"],
        false,
        None,
        "",
    ),
    column(
        "member_8",
        "Thành viên 8",
        &["TV8", "TV 8"],
        false,
        None,
        "",
    ),
    column(
        "member_9",
        "Thành viên 9",
        &["TV9", "TV 9"],
        false,
        None,
        "",
    ),
];

/// Where each of a kind's columns is in a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header row's number in the file.
    pub row: usize,
    /// Column key → index of the cell.
    pub positions: BTreeMap<&'static str, usize>,
    /// Headers of the file no column took (reported, not an error).
    pub unknown: Vec<String>,
}

/// Why no header row was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    /// The required columns missing from the best row found (their template headers).
    pub missing: Vec<&'static str>,
}

/// How many rows from the top may be titles above the header.
const HEADER_SEARCH_ROWS: usize = 25;

/// Finds the header row: among the first rows, the one naming the most of the kind's columns.
/// Every required column must be there; each file header is taken by one column at most.
pub fn find_header(kind: Kind, table: &Table) -> Result<Header, HeaderError> {
    let columns = kind.columns();
    let keys: Vec<(Vec<String>, &Column)> = columns
        .iter()
        .map(|column| {
            let mut names: Vec<String> = std::iter::once(column.header)
                .chain(column.aliases.iter().copied())
                .map(header_key)
                .collect();
            names.push(header_key(column.key));
            (names, column)
        })
        .collect();
    let mut best: Option<Header> = None;
    for (number, cells) in table.rows.iter().take(HEADER_SEARCH_ROWS) {
        let mut positions = BTreeMap::new();
        let mut unknown = Vec::new();
        for (index, cell) in cells.iter().enumerate() {
            let Cell::Text(text) = cell else { continue };
            let key = header_key(text);
            if key.is_empty() {
                continue;
            }
            let found = keys.iter().find(|(names, column)| {
                !positions.contains_key(column.key) && names.contains(&key)
            });
            match found {
                Some((_, column)) => {
                    positions.insert(column.key, index);
                }
                None => unknown.push(text.trim().to_string()),
            }
        }
        if best
            .as_ref()
            .is_none_or(|b| positions.len() > b.positions.len())
        {
            best = Some(Header {
                row: *number,
                positions,
                unknown,
            });
        }
    }
    let best = best.unwrap_or(Header {
        row: 0,
        positions: BTreeMap::new(),
        unknown: Vec::new(),
    });
    let missing: Vec<&'static str> = columns
        .iter()
        .filter(|c| c.required && !best.positions.contains_key(c.key))
        .map(|c| c.header)
        .collect();
    if missing.is_empty() && best.positions.len() >= 2 {
        Ok(best)
    } else if missing.is_empty() {
        Err(HeaderError {
            missing: columns
                .iter()
                .filter(|c| c.required)
                .map(|c| c.header)
                .collect(),
        })
    } else {
        Err(HeaderError { missing })
    }
}

/// One data row's cells by column key.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub number: usize,
    cells: &'a [Cell],
    header: &'a Header,
}

impl<'a> Row<'a> {
    pub fn new(number: usize, cells: &'a [Cell], header: &'a Header) -> Row<'a> {
        Row {
            number,
            cells,
            header,
        }
    }

    /// The cell of a column (empty when the file has no such column).
    pub fn cell(&self, key: &str) -> &'a Cell {
        const EMPTY: &Cell = &Cell::Empty;
        self.header
            .positions
            .get(key)
            .and_then(|index| self.cells.get(*index))
            .unwrap_or(EMPTY)
    }

    pub fn text(&self, key: &str) -> String {
        self.cell(key).text()
    }

    pub fn has_column(&self, key: &str) -> bool {
        self.header.positions.contains_key(key)
    }
}

/// The data rows under the header, numbered as in the file.
pub fn data_rows<'a>(table: &'a Table, header: &'a Header) -> impl Iterator<Item = Row<'a>> {
    table
        .rows
        .iter()
        .filter(move |(number, _)| *number > header.row)
        .map(move |(number, cells)| Row::new(*number, cells, header))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_row(number: usize, cells: &[&str]) -> (usize, Vec<Cell>) {
        (
            number,
            cells
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c.to_string())
                    }
                })
                .collect(),
        )
    }

    #[test]
    fn headers_are_found_below_titles_in_any_order_and_spelling() {
        let table = Table {
            rows: vec![
                text_row(1, &["DANH SÁCH SẢN PHẨM OCOP TỈNH BÌNH PHƯỚC NĂM 2022"]),
                text_row(2, &["(Kèm theo Quyết định số 1234/QĐ-UBND)"]),
                text_row(4, &["STT", "TEN SP", "Bộ SP", "Mã số thuế", "Ghi chú"]),
                text_row(5, &["1", "Hạt điều", "P03", "3600123456", ""]),
            ],
            encoding: "utf-8",
        };
        let header = find_header(Kind::Products, &table).unwrap();
        assert_eq!(header.row, 4);
        assert_eq!(header.positions["name"], 1);
        assert_eq!(header.positions["product_set"], 2);
        assert_eq!(header.positions["registration_code"], 3);
        assert_eq!(header.unknown, vec!["STT", "Ghi chú"]);
        let rows: Vec<Row> = data_rows(&table, &header).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].number, 5);
        assert_eq!(rows[0].text("name"), "Hạt điều");
        assert_eq!(rows[0].text("gtin"), "");

        let missing = find_header(Kind::Certificates, &table).unwrap_err();
        assert_eq!(
            missing.missing,
            vec!["Số sao", "Số quyết định", "Ngày quyết định"]
        );
    }

    #[test]
    fn every_header_and_alias_names_one_column_per_kind() {
        for kind in Kind::ALL {
            let mut seen = std::collections::BTreeSet::new();
            for column in kind.columns() {
                for name in std::iter::once(column.header).chain(column.aliases.iter().copied()) {
                    assert!(seen.insert(header_key(name)), "{kind:?}: {name} twice");
                }
            }
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }
}
