//! What each document says: plain, already formatted text (dates as dd/mm/yyyy, scores with a
//! decimal comma such as "72,50"), handed to the templates as JSON. Nothing here is markup:
//! a name may contain `#`, `*`, `_`, `$` or `[` and is printed as it is.

use serde::Serialize;

/// The issuing authority, in the left column of the heading block (Nghị định 30/2020/NĐ-CP).
#[derive(Debug, Clone, Serialize)]
pub struct Issuer {
    /// The parent authority ("cơ quan chủ quản"), one entry a line, printed upright in capitals,
    /// e.g. `["UBND TỈNH ĐỒNG NAI"]`; empty when the issuing body has none.
    pub parent: Vec<String>,
    /// The issuing body, one entry a line, printed bold in capitals with a short rule under it,
    /// e.g. `["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"]` or
    /// `["HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG", "SẢN PHẨM OCOP"]`.
    pub body: Vec<String>,
}

/// A signature block: who signs, in what capacity, and (after the space for the signature and
/// the seal) their name.
#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    /// The capacity, one entry a line, printed bold in capitals, e.g.
    /// `["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]`.
    pub title: Vec<String>,
    /// The signer's full name, e.g. "Nguyễn Thị Hường".
    pub name: String,
}

/// Giấy chứng nhận sản phẩm OCOP: one page, A4 landscape, with a QR code that links to the
/// certificate's public verification page.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateDoc {
    /// The authority that recognises the product: `["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"]` for
    /// 3 and 4 stars, `["BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG"]` for 5 stars.
    pub issuer: Issuer,
    /// The certificate's number as printed after "Số:", e.g. "DNA-2026-000173".
    pub certificate_number: String,
    /// The product's name, e.g. "Mật ong hoa cà phê Đắk Nông".
    pub product_name: String,
    /// The product's code in the registry.
    pub product_code: String,
    /// The producing entity (chủ thể), e.g. "Hợp tác xã Nông nghiệp Xuân Bắc".
    pub entity_name: String,
    /// The entity's address, e.g. "Xã Xuân Bắc, tỉnh Đồng Nai".
    pub entity_address: String,
    /// Stars recognised, 1–5: drawn as stars and written as "4 sao".
    pub stars: u8,
    /// The council's score, e.g. "72,50"; `None` to leave it off.
    pub score: Option<String>,
    /// The criteria's legal reference, e.g. "Quyết định số 26/2026/QĐ-TTg".
    pub legal_reference: String,
    /// The recognising decision's number, e.g. "1234/QĐ-UBND".
    pub decision_number: String,
    /// The decision's date, dd/mm/yyyy.
    pub decision_date: String,
    /// The certificate's date of issue, dd/mm/yyyy.
    pub issue_date: String,
    /// The last day the certificate is valid, dd/mm/yyyy.
    pub expiry_date: String,
    /// Place and date above the signature, e.g. "Đồng Nai, ngày 15 tháng 6 năm 2026".
    pub place_date: String,
    /// Who signs.
    pub signer: Signer,
    /// The QR code as a standalone SVG document (`ocop_render::qr::Qr::svg`); printed about 3 cm
    /// wide.
    pub qr_svg: String,
    /// The URL the QR code holds, printed in small type beside it.
    pub verification_url: String,
}

/// A council member at the meeting.
#[derive(Debug, Clone, Serialize)]
pub struct MemberPresent {
    /// Full name.
    pub name: String,
    /// Position in their own agency, e.g. "Phó Giám đốc".
    pub position: String,
    /// Their agency, e.g. "Sở Nông nghiệp và Môi trường".
    pub agency: String,
    /// Their seat on the council: "Chủ tịch", "Phó Chủ tịch", "Thành viên", "Thư ký".
    pub seat: String,
}

/// A council member who did not attend.
#[derive(Debug, Clone, Serialize)]
pub struct MemberAbsent {
    /// Full name.
    pub name: String,
    /// Their seat on the council.
    pub seat: String,
    /// Why, e.g. "Đi công tác, có báo cáo"; empty if not given.
    pub reason: String,
}

/// A member kept from scoring one product (conflict of interest).
#[derive(Debug, Clone, Serialize)]
pub struct Exclusion {
    /// The member's name.
    pub member: String,
    /// The product they did not score.
    pub product: String,
    /// Why, e.g. "Có quan hệ gia đình với người đại diện chủ thể".
    pub reason: String,
}

/// One member's total for one product.
#[derive(Debug, Clone, Serialize)]
pub struct MemberScore {
    /// The member's name.
    pub member: String,
    /// The total, e.g. "72,50", or "không chấm (xung đột lợi ích)".
    pub score: String,
}

/// One product's result in the minutes.
#[derive(Debug, Clone, Serialize)]
pub struct MinutesProduct {
    /// The product's name.
    pub name: String,
    /// The producing entity.
    pub entity: String,
    /// The product set (bộ sản phẩm), e.g. "Thực phẩm tươi sống".
    pub product_set: String,
    /// Each member's total, in the order of the council.
    pub scores: Vec<MemberScore>,
    /// The council's mean, e.g. "72,50".
    pub mean: String,
    /// The ranking as it is to be written, e.g. "4 sao" or "Không đạt".
    pub rating: String,
    /// What the secretary must point out, e.g. "Thiếu tiêu chí bắt buộc",
    /// "Chênh lệch > 10 điểm"; empty when nothing.
    pub flags: Vec<String>,
}

/// Biên bản họp Hội đồng đánh giá, phân hạng sản phẩm OCOP (A4 portrait).
#[derive(Debug, Clone, Serialize)]
pub struct MinutesDoc {
    /// E.g. parent `["UBND TỈNH ĐỒNG NAI"]`, body
    /// `["HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG", "SẢN PHẨM OCOP"]`.
    pub issuer: Issuer,
    /// The document's number line, e.g. "Số: 01/BB-HĐ".
    pub number: String,
    /// E.g. "Đồng Nai, ngày 15 tháng 6 năm 2026".
    pub place_date: String,
    /// The evaluation round, e.g. "Kỳ đánh giá, phân hạng sản phẩm OCOP năm 2026 (đợt 1)".
    pub round_name: String,
    /// When the meeting began, e.g. "08 giờ 00, ngày 15/06/2026".
    pub meeting_time: String,
    /// Where, e.g. "Hội trường Sở Nông nghiệp và Môi trường tỉnh Đồng Nai".
    pub meeting_place: String,
    /// "Căn cứ …" lines, each printed as its own paragraph.
    pub legal_basis: Vec<String>,
    /// Members present, in the council's order.
    pub present: Vec<MemberPresent>,
    /// Members absent; empty when all attended.
    pub absent: Vec<MemberAbsent>,
    /// Members kept from scoring a product; empty when none.
    pub exclusions: Vec<Exclusion>,
    /// The products evaluated, with each member's total.
    pub products: Vec<MinutesProduct>,
    /// The conclusion, one entry a paragraph.
    pub conclusion: Vec<String>,
    /// The closing sentence, e.g. "Cuộc họp kết thúc lúc 11 giờ 30 cùng ngày."; empty to leave
    /// it off.
    pub closing: String,
    /// The council's secretary (signs on the left).
    pub secretary_name: String,
    /// The council's chair (signs on the right).
    pub chair_name: String,
}

/// One product in the decision's annex.
#[derive(Debug, Clone, Serialize)]
pub struct AnnexRow {
    /// The product's name.
    pub product_name: String,
    /// The product's code.
    pub product_code: String,
    /// The producing entity.
    pub entity_name: String,
    /// Commune and province, e.g. "Xã Xuân Bắc, tỉnh Đồng Nai".
    pub address: String,
    /// The product set.
    pub product_set: String,
    /// The council's score, e.g. "72,50".
    pub score: String,
    /// Stars recognised (written "4 sao").
    pub stars: u8,
    /// The certificate's number.
    pub certificate_number: String,
}

/// Danh sách sản phẩm OCOP được công nhận, kèm theo quyết định (A4 landscape: nine columns).
#[derive(Debug, Clone, Serialize)]
pub struct DecisionAnnexDoc {
    /// E.g. body `["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"]`.
    pub issuer: Issuer,
    /// The line under the title, as printed (with its parentheses), e.g. "(Kèm theo Quyết định
    /// số 1234/QĐ-UBND ngày 20/06/2026 của Chủ tịch Ủy ban nhân dân tỉnh Đồng Nai)".
    pub subtitle: String,
    /// The products, numbered in this order.
    pub rows: Vec<AnnexRow>,
    /// The total line, e.g. "Tổng cộng: 12 sản phẩm (3 sao: 8; 4 sao: 4)".
    pub total: String,
}

/// One criterion on a member's sheet.
#[derive(Debug, Clone, Serialize)]
pub struct SheetCriterion {
    /// The criterion's code, e.g. "A1.2".
    pub code: String,
    /// The criterion, e.g. "Nguồn nguyên liệu".
    pub text: String,
    /// The option the member chose, as written in the criteria; empty when not chosen.
    pub choice: String,
    /// Points given, e.g. "3" (empty when not chosen).
    pub points: String,
    /// The most points the criterion gives, e.g. "5".
    pub max: String,
}

/// One part (phần) of the sheet.
#[derive(Debug, Clone, Serialize)]
pub struct SheetPart {
    /// The part's code, e.g. "A".
    pub code: String,
    /// The part's name, e.g. "Sản phẩm và sức mạnh cộng đồng".
    pub name: String,
    /// The part's most points, e.g. "35".
    pub max: String,
    /// The points given in this part, e.g. "28".
    pub subtotal: String,
    /// Its criteria, in order.
    pub criteria: Vec<SheetCriterion>,
}

/// Phiếu đánh giá, phân hạng sản phẩm OCOP: one member's card (A4 portrait, as many pages as
/// the sheet needs; the table's header repeats on each).
#[derive(Debug, Clone, Serialize)]
pub struct ScoringSheetDoc {
    /// The council, e.g. parent `["UBND TỈNH ĐỒNG NAI"]`, body `["HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG",
    /// "SẢN PHẨM OCOP"]`.
    pub issuer: Issuer,
    /// The evaluation round.
    pub round_name: String,
    /// The product's name.
    pub product_name: String,
    /// The producing entity.
    pub entity_name: String,
    /// The product set, e.g. "Thực phẩm chế biến".
    pub product_set: String,
    /// The criteria's legal reference, e.g. "Quyết định số 26/2026/QĐ-TTg".
    pub criteria_version: String,
    /// The member who scores.
    pub member_name: String,
    /// Their position, e.g. "Phó Giám đốc Sở Nông nghiệp và Môi trường".
    pub member_position: String,
    /// The sheet, part by part.
    pub parts: Vec<SheetPart>,
    /// The card's total, e.g. "72,50".
    pub total: String,
    /// The most points the sheet gives, e.g. "100".
    pub total_max: String,
    /// The member's comments, one entry a paragraph; empty when none.
    pub comments: Vec<String>,
    /// Place and date above the signature, e.g. "Đồng Nai, ngày 15 tháng 6 năm 2026".
    pub place_date: String,
}
