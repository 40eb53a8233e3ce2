//! The list of products a recognition decision recognises (danh sách sản phẩm kèm theo quyết
//! định), with each product's certificate number.

use std::collections::BTreeMap;

use ocop_pdf::{AnnexRow, DecisionAnnexDoc, Issuer};
use ocop_store::certificates;
use ocop_store::rounds::{Decision, RoundProduct};

use super::super::Loaded;
use super::{DecisionIssuer, decision_issuer, province_in_sentence, unit_name};
use crate::AppState;
use crate::shared::documents::{province, score};
use crate::shared::error::AppError;
use crate::shared::format;

/// The list annexed to a decision: the products it recognises, in the round's order.
pub async fn annex_doc(
    state: &AppState,
    loaded: &Loaded,
    decision: &Decision,
) -> Result<DecisionAnnexDoc, AppError> {
    let (issuer, signer) = match decision_issuer(state, loaded, decision) {
        DecisionIssuer::Ministry => (
            Issuer {
                parent: Vec::new(),
                body: vec!["BỘ NÔNG NGHIỆP".into(), "VÀ MÔI TRƯỜNG".into()],
            },
            "Bộ trưởng Bộ Nông nghiệp và Môi trường".to_string(),
        ),
        DecisionIssuer::Province(code) => {
            let (_, line) = province(&state.db, &code).await?;
            (
                Issuer {
                    parent: Vec::new(),
                    body: vec!["ỦY BAN NHÂN DÂN".into(), line],
                },
                format!(
                    "Chủ tịch Ủy ban nhân dân {}",
                    province_in_sentence(state, &code).await?
                ),
            )
        }
    };
    let recognised: Vec<(&RoundProduct, u8)> = loaded
        .products
        .iter()
        .filter_map(|product| {
            decision
                .items
                .iter()
                .find(|(id, outcome, _)| {
                    *id == product.id
                        && matches!(outcome.as_str(), "recognised" | "recognised_and_proposed")
                })
                .and_then(|(_, _, stars)| stars.map(|s| (product, s)))
        })
        .collect();
    let mut rows = Vec::new();
    let mut by_stars: BTreeMap<u8, usize> = BTreeMap::new();
    for (product, stars) in &recognised {
        *by_stars.entry(*stars).or_default() += 1;
        let certificate = certificates::list(
            &state.db,
            &ocop_domain::access::Scope::National,
            &product.product_id,
        )
        .await?
        .into_iter()
        .find(|c| c.round_product_id == product.id && c.decision_id == decision.id)
        .map(|c| c.number)
        .unwrap_or_default();
        let commune = unit_name(state, &product.commune_code)
            .await?
            .unwrap_or_default();
        let province = province_in_sentence(state, &product.province_code).await?;
        let address = [commune, province]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(AnnexRow {
            product_name: product.product_name.clone(),
            product_code: product.product_code.clone(),
            entity_name: product.entity_name.clone(),
            address,
            product_set: Loaded::sheet_of(state, product).map_or_else(
                || product.product_set.clone(),
                |(_, set)| set.name_vi.clone(),
            ),
            score: product.final_score.map_or_else(|| "—".into(), score),
            stars: *stars,
            certificate_number: certificate,
        });
    }
    let counts: Vec<String> = by_stars
        .iter()
        .map(|(stars, n)| format!("{stars} sao: {n}"))
        .collect();
    let total = if counts.is_empty() {
        format!("Tổng cộng: {} sản phẩm", rows.len())
    } else {
        format!("Tổng cộng: {} sản phẩm ({})", rows.len(), counts.join("; "))
    };
    Ok(DecisionAnnexDoc {
        issuer,
        subtitle: format!(
            "(Kèm theo Quyết định số {} ngày {} của {signer})",
            decision.number,
            format::date(decision.signed_on)
        ),
        rows,
        total,
    })
}
