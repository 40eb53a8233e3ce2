//! One member's scoring sheet (phiếu đánh giá) on a product as submitted: every criterion with
//! the option chosen and its points, part subtotals and the total.

use ocop_pdf::{ScoringSheetDoc, SheetCriterion, SheetPart};
use ocop_store::rounds::{RoundProduct, SeatHolder, StoredCard};

use super::super::Loaded;
use super::{council_issuer, decree_reference, sentence_case};
use crate::AppState;
use crate::shared::documents::place_date;
use crate::shared::error::AppError;

/// One member's submitted card on a product, criterion by criterion.
pub async fn sheet_doc(
    state: &AppState,
    loaded: &Loaded,
    product: &RoundProduct,
    seat: &SeatHolder,
    card: &StoredCard,
) -> Result<ScoringSheetDoc, AppError> {
    let (version, set) = Loaded::sheet_of(state, product).ok_or(AppError::Internal)?;
    let (issuer, place) = council_issuer(state, &loaded.round).await?;
    let mut total = 0;
    let parts = set
        .sheet
        .parts
        .iter()
        .map(|part| {
            let name = version
                .parts
                .iter()
                .find(|p| p.code == part.code)
                .map_or_else(|| part.name_vi.clone(), |p| p.name_vi.clone());
            let mut subtotal = 0;
            let criteria = part
                .sections
                .iter()
                .flat_map(|section| {
                    section
                        .criteria
                        .iter()
                        .map(move |criterion| (section, criterion))
                })
                .map(|(section, criterion)| {
                    let chosen = card
                        .choices
                        .get(&criterion.code)
                        .and_then(|n| criterion.option(*n));
                    if let Some(option) = chosen {
                        subtotal += option.points;
                    }
                    let name = sentence_case(&criterion.name_vi);
                    let text = match criterion.group.and_then(|g| section.groups.get(g)) {
                        Some(group) => format!("{}: {name}", sentence_case(&group.name_vi)),
                        None => name,
                    };
                    SheetCriterion {
                        code: criterion.code.clone(),
                        text,
                        choice: chosen.map_or_else(String::new, |option| {
                            match option.case.and_then(|c| criterion.case(c)) {
                                Some(case) => format!("{}: {}", case.name_vi, option.name_vi),
                                None => option.name_vi.clone(),
                            }
                        }),
                        points: chosen.map_or_else(String::new, |o| o.points.to_string()),
                        max: criterion.max.to_string(),
                    }
                })
                .collect();
            total += subtotal;
            SheetPart {
                code: part.code.clone(),
                name,
                max: part.max.to_string(),
                subtotal: subtotal.to_string(),
                criteria,
            }
        })
        .collect();
    let round_name = if card.pass > 1 {
        format!("{} (lần chấm thứ {})", loaded.round.name, card.pass)
    } else {
        loaded.round.name.clone()
    };
    let member_position = [seat.position.trim(), seat.agency.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    // The day the member signed: when the card was submitted, in Vietnam (UTC+7).
    let signed_on = card
        .submitted_at
        .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms + 7 * 3_600_000))
        .map_or(loaded.round.meeting_on, |at| at.date_naive());
    Ok(ScoringSheetDoc {
        issuer,
        round_name,
        product_name: product.product_name.clone(),
        entity_name: product.entity_name.clone(),
        product_set: set.name_vi.clone(),
        criteria_version: decree_reference(version, false),
        member_name: seat.name.clone(),
        member_position,
        parts,
        total: card.total.unwrap_or(total).to_string(),
        total_max: set.sheet.max_total().to_string(),
        comments: Vec::new(),
        place_date: place_date(&place, signed_on),
    })
}
