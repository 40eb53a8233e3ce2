//! The minutes of a closed round's meeting (biên bản họp hội đồng): the council present and
//! absent, conflicts of interest, each product's totals on its final pass with the mean, the
//! ranking and what the secretary must point out, the conclusion and the signatures.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};

use ocop_domain::criteria::{CouncilResult, Level, ProductSet};
use ocop_domain::rounds::RoundKind;
use ocop_domain::rounds::council::Seat;
use ocop_domain::rounds::decision::ProductOutcome;
use ocop_pdf::{Exclusion, MemberAbsent, MemberPresent, MemberScore, MinutesDoc, MinutesProduct};
use ocop_store::rounds::{self as store, Round, RoundAccess, RoundProduct, SeatHolder};

use super::super::Loaded;
use super::{capitalised, council_issuer, legal_basis, province_in_sentence};
use crate::AppState;
use crate::shared::documents::{place_date, score};
use crate::shared::error::AppError;
use crate::shared::format;

/// The council in the order the minutes list it: chair, vice-chairs, members, secretary.
fn council_order(seats: &[SeatHolder]) -> Vec<&SeatHolder> {
    let mut ordered: Vec<&SeatHolder> = seats.iter().collect();
    ordered.sort_by_key(|s| Seat::ALL.iter().position(|x| *x == s.seat));
    ordered
}

fn seat_vi(seat: Seat) -> &'static str {
    match seat {
        Seat::Chair => "Chủ tịch",
        Seat::ViceChair => "Phó Chủ tịch",
        Seat::Member => "Thành viên",
        Seat::Secretary => "Thư ký",
    }
}

fn weekday_vi(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "thứ Hai",
        Weekday::Tue => "thứ Ba",
        Weekday::Wed => "thứ Tư",
        Weekday::Thu => "thứ Năm",
        Weekday::Fri => "thứ Sáu",
        Weekday::Sat => "thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

/// "Số: 02/BB-HĐ": the round's place among the online rounds of its level (and province) held
/// in its year, by meeting day (then by when they were opened).
async fn minutes_number(state: &AppState, round: &Round) -> Result<String, AppError> {
    let mut same: Vec<Round> = store::list(&state.db, &RoundAccess::All)
        .await?
        .into_iter()
        .filter(|r| {
            r.kind == RoundKind::Online
                && r.level == round.level
                && r.province_code == round.province_code
                && r.meeting_on.year() == round.meeting_on.year()
        })
        .collect();
    // The list comes newest first.
    same.reverse();
    let position = same
        .iter()
        .position(|r| r.id == round.id)
        .map_or(1, |p| p + 1);
    Ok(format!("Số: {position:02}/BB-HĐ"))
}

/// The ranking as the minutes write it.
fn rating(outcome: Option<ProductOutcome>, result: Option<&CouncilResult>) -> String {
    match outcome {
        Some(ProductOutcome::Recognised { stars }) => format!("{stars} sao"),
        Some(ProductOutcome::RecognisedAndProposed { stars }) => {
            format!("{stars} sao, đề nghị Trung ương đánh giá 5 sao")
        }
        Some(ProductOutcome::ApprovedForMinistry) => "Đề nghị Trung ương (≥ 90 điểm)".into(),
        Some(ProductOutcome::BelowMinistryThreshold { stars }) => {
            format!("Dưới 90 điểm (tương ứng {stars} sao)")
        }
        Some(ProductOutcome::NotRecognised) => "Không đạt".into(),
        Some(ProductOutcome::Disqualified) => "Bị loại".into(),
        None => result.map_or_else(|| "—".into(), |r| format!("{} sao", r.stars)),
    }
}

/// Points as the minutes print a member's total ("86,00").
fn points(total: u32) -> String {
    score(i64::from(total) * 100)
}

/// A conflict's reason as the minutes write it: the dossier steps the system found named in
/// words ("đã xử lý hồ sơ này (dossier.accept, dossier.propose)" → "Đã xử lý hồ sơ này (tiếp
/// nhận, đề xuất)").
fn conflict_reason(reason: &str) -> String {
    let mut text = reason.to_string();
    for (code, words) in [
        ("dossier.accept", "tiếp nhận"),
        ("dossier.return", "trả lại"),
        ("dossier.propose", "đề xuất"),
        ("dossier.disqualify", "loại hồ sơ"),
        ("dossier.commune_report", "lập báo cáo Mẫu 03"),
    ] {
        text = text.replace(code, words);
    }
    capitalised(&text)
}

/// What the secretary points out on a product: earlier passes put to a re-score, a spread
/// over the limit, missed star minimums, mandatory criteria, disqualifiers.
fn flags(
    loaded: &Loaded,
    product: &RoundProduct,
    set: Option<&ProductSet>,
    limit: Option<u32>,
    result: Option<&CouncilResult>,
) -> Vec<String> {
    let mut flags = Vec::new();
    let eligible = loaded.eligible(&product.id);
    for rescore in loaded
        .rescores
        .iter()
        .filter(|r| r.round_product_id == product.id)
    {
        let earlier = rescore.pass.saturating_sub(1);
        let totals: Vec<u32> = loaded
            .cards_of(&product.id)
            .iter()
            .filter(|c| c.pass == earlier && c.submitted_at.is_some())
            .filter(|c| eligible.contains(&c.member_id))
            .filter_map(|c| c.total)
            .collect();
        let spread = totals
            .iter()
            .max()
            .zip(totals.iter().min())
            .map(|(a, b)| a - b);
        let why = match (spread, limit) {
            (Some(spread), Some(limit)) if spread > limit => format!(
                " vì lần chấm {earlier} chênh lệch {spread} điểm, vượt mức cho phép {limit} điểm"
            ),
            (Some(spread), _) => format!(" (lần chấm {earlier} chênh lệch {spread} điểm)"),
            _ => String::new(),
        };
        flags.push(format!(
            "Chấm lại lần {}{why}, theo ý kiến của Chủ tịch Hội đồng: “{}”",
            rescore.pass,
            rescore.reason.trim().trim_end_matches('.')
        ));
    }
    let Some(result) = result else {
        return flags;
    };
    if result.spread > result.spread_limit {
        flags.push(format!(
            "Chênh lệch giữa các thành viên {} điểm, vượt mức cho phép {} điểm",
            result.spread, result.spread_limit
        ));
    }
    if let Some(missed) = result.minimums.as_ref().and_then(|m| m.first_missed())
        && missed.stars <= result.band_stars
    {
        let criteria: Vec<String> = missed
            .missing
            .iter()
            .map(|m| format!("{} ({})", m.criterion, m.name_vi))
            .collect();
        let ranked = if result.stars >= 3 {
            format!("xếp hạng {} sao", result.stars)
        } else {
            "không đạt hạng OCOP".to_string()
        };
        flags.push(format!(
            "Điểm thuộc hạng {} sao nhưng chưa đạt mức tối thiểu của hạng {} sao ở tiêu chí {}, {ranked}",
            result.band_stars,
            missed.stars,
            criteria.join(", ")
        ));
    }
    for code in &result.flags.mandatory_failed {
        let name = set
            .and_then(|s| s.sheet.criterion(code))
            .map(|c| format!(" ({})", c.name_vi))
            .unwrap_or_default();
        flags.push(format!("Không đạt tiêu chí bắt buộc {code}{name}"));
    }
    for applied in &result.disqualified {
        let note = if applied.note.trim().is_empty() {
            String::new()
        } else {
            format!(" — {}", applied.note.trim())
        };
        flags.push(format!("Bị loại: {}{note}", applied.rule.statement()));
    }
    flags
}

/// The minutes of a closed round.
pub async fn minutes_doc(state: &AppState, loaded: &Loaded) -> Result<MinutesDoc, AppError> {
    let round = &loaded.round;
    let (issuer, place) = council_issuer(state, round).await?;
    let council = council_order(&loaded.seats);
    let scorers: Vec<&SeatHolder> = council
        .iter()
        .copied()
        .filter(|s| s.seat.scores())
        .collect();

    // Absent: a scoring member eligible on some product who submitted no card at all.
    let absent: Vec<&SeatHolder> = scorers
        .iter()
        .copied()
        .filter(|s| {
            let eligible_somewhere = loaded
                .products
                .iter()
                .any(|p| !loaded.excluded(&p.id, &s.user_id));
            let submitted = loaded
                .all_cards()
                .any(|c| c.member_id == s.user_id && c.submitted_at.is_some());
            eligible_somewhere && !submitted
        })
        .collect();
    let present = council
        .iter()
        .filter(|s| !absent.iter().any(|a| a.user_id == s.user_id))
        .map(|s| MemberPresent {
            name: s.name.clone(),
            position: s.position.clone(),
            agency: s.agency.clone(),
            seat: seat_vi(s.seat).into(),
        })
        .collect();

    let mut exclusions = Vec::new();
    let mut products = Vec::new();
    // (recognised 3★, 4★, 5★), forwarded, not recognised, disqualified, below the ministry's 90.
    let mut stars_count: BTreeMap<u8, usize> = BTreeMap::new();
    let (mut forwarded, mut not_recognised, mut disqualified, mut below) = (0, 0, 0, 0);
    for product in &loaded.products {
        let sheet = Loaded::sheet_of(state, product);
        let standing = loaded.standing(state, product);
        let result = standing.as_ref().and_then(|s| s.result.as_ref());
        for seat in &scorers {
            if loaded.excluded(&product.id, &seat.user_id) {
                let reasons: Vec<String> = loaded
                    .conflicts
                    .iter()
                    .filter(|c| {
                        c.round_product_id == product.id
                            && c.member_id == seat.user_id
                            && c.cleared_by.is_none()
                    })
                    .map(|c| conflict_reason(&c.reason))
                    .collect();
                exclusions.push(Exclusion {
                    member: seat.name.clone(),
                    product: product.product_name.clone(),
                    reason: reasons.join("; "),
                });
            }
        }
        let scores = scorers
            .iter()
            .map(|seat| {
                let text = if loaded.excluded(&product.id, &seat.user_id) {
                    "không chấm (xung đột lợi ích)".to_string()
                } else {
                    let engine = result
                        .and_then(|r| r.members.iter().find(|m| m.member == seat.user_id))
                        .map(|m| m.total);
                    let stored = loaded
                        .cards_of(&product.id)
                        .iter()
                        .find(|c| {
                            c.member_id == seat.user_id
                                && c.pass == product.pass
                                && c.submitted_at.is_some()
                        })
                        .and_then(|c| c.total);
                    engine
                        .or(stored)
                        .map_or_else(|| "không nộp phiếu".to_string(), points)
                };
                MemberScore {
                    member: seat.name.clone(),
                    score: text,
                }
            })
            .collect();
        let outcome = store::outcome_of(product);
        match outcome {
            Some(
                ProductOutcome::Recognised { stars }
                | ProductOutcome::RecognisedAndProposed { stars },
            ) => *stars_count.entry(stars).or_default() += 1,
            Some(ProductOutcome::ApprovedForMinistry) => forwarded += 1,
            Some(ProductOutcome::BelowMinistryThreshold { .. }) => below += 1,
            Some(ProductOutcome::Disqualified) => disqualified += 1,
            Some(ProductOutcome::NotRecognised) | None => not_recognised += 1,
        }
        let mean = product
            .final_score
            .or(result.map(|r| r.mean.centi()))
            .map_or_else(|| "—".to_string(), score);
        let limit = sheet.map(|(version, _)| loaded.rules(version).spread_limit);
        products.push(MinutesProduct {
            name: product.product_name.clone(),
            entity: product.entity_name.clone(),
            product_set: sheet.map_or_else(
                || product.product_set.clone(),
                |(_, set)| set.name_vi.clone(),
            ),
            scores,
            mean,
            rating: rating(outcome, result),
            flags: flags(loaded, product, sheet.map(|(_, s)| s), limit, result),
        });
    }

    let mut summary: Vec<String> = stars_count
        .iter()
        .rev()
        .map(|(stars, n)| format!("{n:02} sản phẩm đạt {stars} sao"))
        .collect();
    if forwarded > 0 {
        summary.push(format!("{forwarded:02} sản phẩm đạt từ 90 điểm trở lên"));
    }
    if below > 0 {
        summary.push(format!("{below:02} sản phẩm dưới 90 điểm"));
    }
    if not_recognised > 0 {
        summary.push(format!("{not_recognised:02} sản phẩm không đạt"));
    }
    if disqualified > 0 {
        summary.push(format!("{disqualified:02} sản phẩm bị loại"));
    }
    let recognised: usize = stars_count.values().sum();
    let mut conclusion = vec![format!(
        "Hội đồng thống nhất kết quả đánh giá, phân hạng {:02} sản phẩm như trên: {}.",
        loaded.products.len(),
        summary.join("; ")
    )];
    match (round.level, &round.province_code) {
        (Level::Ministry, _) | (_, None) => {
            if recognised > 0 {
                conclusion.push(
                    "Đề nghị Bộ trưởng Bộ Nông nghiệp và Môi trường xem xét, quyết định công nhận các sản phẩm đạt 5 sao."
                        .into(),
                );
            }
            if below > 0 {
                conclusion.push(
                    "Các sản phẩm dưới 90 điểm được chuyển về Ủy ban nhân dân cấp tỉnh xem xét công nhận theo kết quả đánh giá của Hội đồng hoặc đánh giá lại."
                        .into(),
                );
            }
        }
        (_, Some(code)) => {
            let province = province_in_sentence(state, code).await?;
            if recognised > 0 {
                conclusion.push(format!(
                    "Đề nghị Chủ tịch Ủy ban nhân dân {province} xem xét, quyết định công nhận các sản phẩm đạt hạng OCOP theo kết quả trên."
                ));
            }
            if forwarded > 0 {
                conclusion.push(
                    "Hồ sơ các sản phẩm đạt từ 90 điểm trở lên được gửi Bộ Nông nghiệp và Môi trường để Hội đồng cấp Trung ương đánh giá, phân hạng sản phẩm 5 sao."
                        .into(),
                );
            }
        }
    }
    conclusion.push(
        "Thư ký Hội đồng hoàn thiện hồ sơ, trình cấp có thẩm quyền xem xét, quyết định.".into(),
    );

    let name_of = |seat: Seat| {
        council
            .iter()
            .find(|s| s.seat == seat)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    Ok(MinutesDoc {
        issuer,
        number: minutes_number(state, round).await?,
        place_date: place_date(&place, round.meeting_on),
        round_name: round.name.clone(),
        meeting_time: format!(
            "{}, ngày {}",
            capitalised(weekday_vi(round.meeting_on)),
            format::date(round.meeting_on)
        ),
        meeting_place: round.place.clone(),
        legal_basis: legal_basis(state, &loaded.products),
        present,
        absent: absent
            .iter()
            .map(|s| MemberAbsent {
                name: s.name.clone(),
                seat: seat_vi(s.seat).into(),
                reason: "Không nộp phiếu đánh giá trên hệ thống".into(),
            })
            .collect(),
        exclusions,
        products,
        conclusion,
        closing: "Biên bản được lập từ phiếu đánh giá của các thành viên Hội đồng lưu trên hệ thống quản lý OCOP."
            .into(),
        secretary_name: name_of(Seat::Secretary),
        chair_name: name_of(Seat::Chair),
    })
}
