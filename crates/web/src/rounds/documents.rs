//! The council's work as the documents officials sign and file, built from what the round
//! stores and typeset by `ocop_pdf` (through `shared::documents`):
//!
//! - the minutes of the council's meeting (biên bản họp hội đồng), once the round is closed;
//! - the list of products a recognition decision recognises (danh sách kèm theo quyết định);
//! - one member's scoring sheet (phiếu đánh giá) on a product, as submitted.
//!
//! Who may download (`docs/rounds.md`): the round's organiser office, the national roles, and the
//! council's chair and secretary; a member their own submitted sheet at any time, nobody another
//! member's sheet before the round is closed (blindness). The documents are in Vietnamese only:
//! they are the programme's paperwork, not pages.
//!
//! The handlers and what the three share (who may download, names of authorities and places,
//! legal references) are here; each document is built in its own file (`minutes.rs`,
//! `annex.rs`, `sheet.rs`).

mod annex;
mod minutes;
mod sheet;

pub use annex::annex_doc;
pub use minutes::minutes_doc;
pub use sheet::sheet_doc;

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Level, Version};
use ocop_domain::rounds::council::Seat;
use ocop_domain::rounds::{RoundKind, RoundState};
use ocop_pdf::Issuer;
use ocop_store::accounts::User;
use ocop_store::rounds::{Decision, Round, RoundProduct};
use ocop_store::units;

use super::Loaded;
use super::pages::round_page_with;
use crate::AppState;
use crate::shared::auth::Viewer;
use crate::shared::documents::{pdf_response, province, render_kept};
use crate::shared::error::{AppError, PageError, page_error};
use crate::shared::page::{Notice, failed};

const MINISTRY: &str = "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG";
const MINISTRY_PLACE: &str = "Hà Nội";

/// The round's officials for its documents: its organiser office, the national roles, and the
/// council's chair and secretary.
pub fn official(loaded: &Loaded, user: &User) -> bool {
    loaded.is_organiser(user)
        || matches!(user.role, Role::CentralOfficer | Role::Administrator)
        || matches!(
            loaded.seat_of(&user.id),
            Some(Seat::Chair | Seat::Secretary)
        )
}

/// Whether the round's minutes can be had: an online round, closed.
pub fn minutes_ready(round: &Round) -> bool {
    round.kind == RoundKind::Online && round.state == RoundState::Closed
}

/// `/rounds/{id}/products/{product}/sheets/{member}.pdf`
pub fn sheet_url(round_id: &str, product_id: &str, member_id: &str) -> String {
    format!("/rounds/{round_id}/products/{product_id}/sheets/{member_id}.pdf")
}

/// The round's page with a notice that the document waits for the round's close (422).
async fn not_ready(state: &AppState, viewer: &Viewer, id: &str) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let message = lang.t("rounds-doc-not-closed");
    let error = AppError::Unprocessable {
        code: "round_not_closed",
        message: message.clone(),
        details: Vec::new(),
    };
    let notice = Notice {
        message: Some(message),
        failed: true,
        fields: HashMap::new(),
    };
    let page = round_page_with(state, viewer, id, None, None, notice).await?;
    Ok(failed(page, &error))
}

/// `GET /rounds/{id}/minutes.pdf`: the council's minutes, once the round is closed.
pub async fn minutes_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let loaded = Loaded::load(&state, &session.user, &id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    if !official(&loaded, &session.user) {
        return Err(PageError::forbidden(lang));
    }
    if !minutes_ready(&loaded.round) {
        return not_ready(&state, &viewer, &id).await;
    }
    let doc = minutes_doc(&state, &loaded)
        .await
        .map_err(page_error(lang))?;
    let kept = doc.clone();
    let bytes = render_kept(&state, "minutes", &kept, move |renderer| {
        renderer.minutes(&doc)
    })
    .await
    .map_err(page_error(lang))?;
    let name = format!("bien-ban-{}.pdf", file_slug(&loaded.round.name));
    Ok(pdf_response(bytes, &name))
}

/// `GET /rounds/{id}/decisions/{decision}/annex.pdf`: the products the decision recognises.
pub async fn annex_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, decision_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let user = &session.user;
    let loaded = Loaded::load(&state, user, &id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let decision = loaded
        .decisions
        .iter()
        .find(|d| d.id == decision_id)
        .ok_or_else(|| PageError::new(decision_not_found(&decision_id), lang))?;
    if !may_have_annex(&state, &loaded, decision, user) {
        return Err(PageError::forbidden(lang));
    }
    let doc = annex_doc(&state, &loaded, decision)
        .await
        .map_err(page_error(lang))?;
    let kept = doc.clone();
    let bytes = render_kept(&state, "decision_annex", &kept, move |renderer| {
        renderer.decision_annex(&doc)
    })
    .await
    .map_err(page_error(lang))?;
    let name = format!("danh-sach-kem-theo-{}.pdf", file_slug(&decision.number));
    Ok(pdf_response(bytes, &name))
}

/// `GET /rounds/{id}/products/{product}/sheets/{member}.pdf`: a member's submitted sheet.
pub async fn sheet_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product_id, file)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let session = viewer.page_session()?;
    let user = &session.user;
    let loaded = Loaded::load(&state, user, &id)
        .await
        .map_err(|e| PageError::new(e, lang))?;
    let product = loaded
        .product(&product_id)
        .map_err(|e| PageError::new(e, lang))?;
    let member = file.strip_suffix(".pdf");
    let Some(member) = member.filter(|m| !m.is_empty()) else {
        return Err(PageError::new(sheet_not_found(&file), lang));
    };
    let own = member == user.id;
    if !own && !official(&loaded, user) {
        return Err(PageError::forbidden(lang));
    }
    // Blindness: another member's card only once the round is closed.
    if !own && loaded.round.state != RoundState::Closed {
        return not_ready(&state, &viewer, &id).await;
    }
    let card = loaded
        .cards_of(&product.id)
        .iter()
        .filter(|c| c.member_id == member && c.submitted_at.is_some())
        .max_by_key(|c| c.pass)
        .ok_or_else(|| PageError::new(sheet_not_found(member), lang))?;
    let seat = loaded
        .seats
        .iter()
        .find(|s| s.user_id == member)
        .ok_or_else(|| PageError::new(sheet_not_found(member), lang))?;
    let doc = sheet_doc(&state, &loaded, product, seat, card)
        .await
        .map_err(page_error(lang))?;
    let kept = doc.clone();
    let bytes = render_kept(&state, "scoring_sheet", &kept, move |renderer| {
        renderer.scoring_sheet(&doc)
    })
    .await
    .map_err(page_error(lang))?;
    let name = format!(
        "phieu-{}-{}.pdf",
        file_slug(&product.product_code),
        file_slug(&seat.name)
    );
    Ok(pdf_response(bytes, &name))
}

fn decision_not_found(id: &str) -> AppError {
    AppError::NotFound {
        code: "decision_not_found",
        what: "decision of this round",
        key: id.to_string(),
    }
}

fn sheet_not_found(key: &str) -> AppError {
    AppError::NotFound {
        code: "sheet_not_found",
        what: "submitted sheet",
        key: key.to_string(),
    }
}

/// Who may have a decision's annex: the round's officials; for a province's decision on a
/// central result below 90 (in the ministry's round), that province's office too.
pub fn may_have_annex(state: &AppState, loaded: &Loaded, decision: &Decision, user: &User) -> bool {
    official(loaded, user)
        || match decision_issuer(state, loaded, decision) {
            DecisionIssuer::Province(code) => {
                user.role == Role::ProvincialOfficer && user.unit_code.as_deref() == Some(&code)
            }
            DecisionIssuer::Ministry => false,
        }
}

/// A file name people can read: the text folded to ASCII, words joined by dashes.
fn file_slug(text: &str) -> String {
    let folded = ocop_domain::text::fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-")
}

// --- Names of authorities and places -------------------------------------------------------

/// "Tỉnh Đồng Nai" → "tỉnh Đồng Nai", as a name reads inside a sentence.
fn in_sentence(unit_name: &str) -> String {
    for prefix in ["Tỉnh ", "Thành phố ", "Xã ", "Phường ", "Đặc khu "] {
        if let Some(rest) = unit_name.strip_prefix(prefix) {
            return format!("{}{rest}", prefix.to_lowercase());
        }
    }
    unit_name.to_string()
}

async fn unit_name(state: &AppState, code: &str) -> Result<Option<String>, AppError> {
    Ok(units::find_by_code(&state.db, code, None)
        .await?
        .map(|unit| unit.name))
}

/// The province as a sentence names it ("tỉnh Đồng Nai", "thành phố Hồ Chí Minh").
async fn province_in_sentence(state: &AppState, code: &str) -> Result<String, AppError> {
    Ok(match unit_name(state, code).await? {
        Some(name) => in_sentence(&name),
        None => format!("tỉnh {code}"),
    })
}

/// The council as the heading names it, and the place its documents are dated at.
async fn council_issuer(state: &AppState, round: &Round) -> Result<(Issuer, String), AppError> {
    // One line each as the heading's column holds them.
    let body = |rest: &[&str]| {
        std::iter::once("HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG")
            .chain(rest.iter().copied())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    match (round.level, &round.province_code) {
        (Level::Ministry, _) | (_, None) => Ok((
            Issuer {
                parent: vec![MINISTRY.into()],
                body: body(&["SẢN PHẨM OCOP", "CẤP TRUNG ƯƠNG"]),
            },
            MINISTRY_PLACE.into(),
        )),
        (_, Some(code)) => {
            let (place, line) = province(&state.db, code).await?;
            Ok((
                Issuer {
                    parent: vec![format!("UBND {line}")],
                    body: body(&["SẢN PHẨM OCOP"]),
                },
                place,
            ))
        }
    }
}

/// Who signed a decision: the ministry for the stars it recognises (5★), else the province of
/// the products it names (a province's decision on a central result below 90 is recorded on
/// the ministry's round).
enum DecisionIssuer {
    Ministry,
    Province(String),
}

fn decision_issuer(state: &AppState, loaded: &Loaded, decision: &Decision) -> DecisionIssuer {
    let product_of = |id: &str| loaded.products.iter().find(|p| p.id == id);
    let province_code = || {
        decision
            .items
            .iter()
            .find_map(|(id, _, _)| product_of(id))
            .map(|p| p.province_code.clone())
            .or_else(|| loaded.round.province_code.clone())
            .unwrap_or_default()
    };
    if loaded.round.level != Level::Ministry {
        return DecisionIssuer::Province(
            loaded
                .round
                .province_code
                .clone()
                .unwrap_or_else(province_code),
        );
    }
    let by_province = decision.items.iter().any(|(id, _, stars)| {
        let recognised_by = product_of(id)
            .and_then(|p| state.criteria.version(&p.criteria_version))
            .zip(*stars)
            .and_then(|(version, stars)| version.recognition.get(&stars).copied());
        recognised_by == Some(Level::Province)
    });
    if by_province {
        DecisionIssuer::Province(province_code())
    } else {
        DecisionIssuer::Ministry
    }
}

// --- Legal references ------------------------------------------------------------------------

/// A version's decree as a legal reference: "QĐ 26/2026/QĐ-TTg ngày 22/05/2026" →
/// "Quyết định số 26/2026/QĐ-TTg ngày 22/05/2026" (`with_dates`) or
/// "Quyết định số 26/2026/QĐ-TTg"; notes on when an amendment took effect are left out.
fn decree_reference(version: &Version, with_dates: bool) -> String {
    let mut text = String::new();
    let mut rest = version.decree.as_str();
    // Parenthesised notes on effect ("(hiệu lực 06/7/2025)") are not part of the reference.
    while let Some(start) = rest.find(" (hiệu lực") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find(')')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    text.push_str(rest);
    if !with_dates {
        let mut words: Vec<String> = Vec::new();
        let mut skip = false;
        for word in text.split(' ') {
            if skip {
                skip = false;
                // Keep the punctuation that ended the date ("24/02/2023," → ",").
                let tail = word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '/');
                if let Some(last) = words.last_mut()
                    && !tail.is_empty()
                {
                    last.push_str(tail);
                }
                continue;
            }
            if word == "ngày" {
                skip = true;
                continue;
            }
            words.push(word.to_string());
        }
        text = words.join(" ");
    }
    text.replace("QĐ ", "Quyết định số ")
}

/// "Căn cứ …" lines: each criteria decree the round's products are scored under.
fn legal_basis(state: &AppState, products: &[RoundProduct]) -> Vec<String> {
    let mut versions: Vec<&Version> = Vec::new();
    for product in products {
        if let Some(version) = state.criteria.version(&product.criteria_version)
            && !versions.iter().any(|v| v.id == version.id)
        {
            versions.push(version);
        }
    }
    let count = versions.len();
    versions
        .iter()
        .enumerate()
        .map(|(index, version)| {
            let end = if index + 1 == count { '.' } else { ';' };
            format!(
                "Căn cứ {} của Thủ tướng Chính phủ ban hành Bộ tiêu chí và quy trình đánh giá, \
                 phân hạng sản phẩm Chương trình Mỗi xã một sản phẩm{end}",
                decree_reference(version, true)
            )
        })
        .collect()
}

/// A name the sheet prints in capitals ("DINH DƯỠNG", a section scored as one criterion) as
/// the other criteria read ("Dinh dưỡng"); "OCOP" stays as it is.
fn sentence_case(text: &str) -> String {
    if text.chars().any(char::is_lowercase) {
        return text.to_string();
    }
    let lowered: Vec<String> = text
        .split(' ')
        .map(|word| {
            if word.trim_matches(|c: char| !c.is_alphanumeric()) == "OCOP" {
                word.to_string()
            } else {
                word.to_lowercase()
            }
        })
        .collect();
    capitalised(&lowered.join(" "))
}

/// Capitalises the first letter ("đã xử lý hồ sơ này" → "Đã xử lý hồ sơ này").
fn capitalised(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_references_read_as_paperwork() {
        assert_eq!(in_sentence("Tỉnh Đồng Nai"), "tỉnh Đồng Nai");
        assert_eq!(
            in_sentence("Thành phố Hồ Chí Minh"),
            "thành phố Hồ Chí Minh"
        );
        assert_eq!(file_slug("Đợt 1 năm 2026"), "dot-1-nam-2026");
        assert_eq!(file_slug("1898/QĐ-UBND"), "1898-qd-ubnd");
        assert_eq!(capitalised(" đã xử lý hồ sơ này"), "Đã xử lý hồ sơ này");
        assert_eq!(sentence_case("DINH DƯỠNG"), "Dinh dưỡng");
        assert_eq!(sentence_case("TIÊU CHÍ OCOP"), "Tiêu chí OCOP");
        assert_eq!(sentence_case("Mùi/vị"), "Mùi/vị");
        let catalog =
            ocop_domain::criteria::Catalog::load(&ocop_domain::criteria::bundled_sources())
                .unwrap();
        let v26 = catalog.version("26-2026").unwrap();
        assert_eq!(
            decree_reference(v26, true),
            "Quyết định số 26/2026/QĐ-TTg ngày 22/05/2026"
        );
        assert_eq!(decree_reference(v26, false), "Quyết định số 26/2026/QĐ-TTg");
        let amended = catalog.version("148-1489").unwrap();
        assert_eq!(
            decree_reference(amended, true),
            "Quyết định số 148/QĐ-TTg ngày 24/02/2023, sửa đổi bởi Quyết định số 1489/QĐ-TTg"
        );
        assert_eq!(
            decree_reference(amended, false),
            "Quyết định số 148/QĐ-TTg, sửa đổi bởi Quyết định số 1489/QĐ-TTg"
        );
        let old = catalog.version("1048").unwrap();
        assert_eq!(
            decree_reference(old, false),
            "Quyết định số 1048/QĐ-TTg (sửa đổi bởi Quyết định số 781/QĐ-TTg năm 2020)"
        );
    }
}
