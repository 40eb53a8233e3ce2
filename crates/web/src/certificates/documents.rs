//! The certificate as the PDF officials sign and producers frame: the recognising authority
//! (the province for 3★/4★, the ministry for 5★), the star, the decision, the validity and the
//! signed QR code.

use ocop_domain::criteria::Level;
use ocop_pdf::{CertificateDoc, Issuer};
use ocop_render::qr::Qr;
use ocop_store::certificates::Certificate;
use ocop_store::units;

use crate::AppState;
use crate::shared::documents::{place_date, province, signer_block};
use crate::shared::error::AppError;
use crate::shared::format;

/// The certificate as a PDF response (its QR signed on first use), for its page and for the
/// public's verification alike.
pub async fn certificate_pdf(
    state: &AppState,
    certificate: &Certificate,
) -> Result<axum::response::Response, AppError> {
    let payload = super::payload_of(state, certificate).await?;
    let doc = certificate_doc(state, certificate, &state.signing.url(&payload)).await?;
    let kept = doc.clone();
    let bytes =
        crate::shared::documents::render_kept(state, "certificate", &kept, move |renderer| {
            renderer.certificate(&doc)
        })
        .await?;
    Ok(crate::shared::documents::pdf_response(
        bytes,
        &format!("{}.pdf", certificate.number),
    ))
}

/// The certificate's document, its QR pointing at `verification_url`.
pub async fn certificate_doc(
    state: &AppState,
    certificate: &Certificate,
    verification_url: &str,
) -> Result<CertificateDoc, AppError> {
    let (place, province_line) = province(&state.db, &certificate.province_code).await?;
    let commune = units::find_by_code(&state.db, &certificate.commune_code, None)
        .await?
        .map(|unit| unit.name)
        .unwrap_or_default();
    let (issuer, body, signed_at) = match certificate.authority {
        Level::Ministry => (
            Issuer {
                parent: Vec::new(),
                body: vec!["BỘ NÔNG NGHIỆP".into(), "VÀ MÔI TRƯỜNG".into()],
            },
            "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG",
            "Hà Nội".to_string(),
        ),
        _ => (
            Issuer {
                parent: Vec::new(),
                body: vec!["ỦY BAN NHÂN DÂN".into(), province_line],
            },
            "ỦY BAN NHÂN DÂN",
            place.clone(),
        ),
    };
    let legal_reference = state
        .criteria
        .version(&certificate.criteria_version)
        .map(|version| {
            let decree = version
                .decree
                .split(" ngày ")
                .next()
                .unwrap_or(&version.decree);
            decree.replacen("QĐ ", "Quyết định số ", 1)
        })
        .unwrap_or_else(|| certificate.criteria_version.clone());
    let qr = Qr::new(verification_url).map_err(|error| {
        tracing::error!(%error, "the verification URL does not fit a QR code");
        AppError::Internal
    })?;
    let timeline = &certificate.timeline;
    Ok(CertificateDoc {
        issuer,
        certificate_number: certificate.number.clone(),
        product_name: certificate.product_name.clone(),
        product_code: certificate.product_code.clone(),
        entity_name: certificate.entity_name.clone(),
        entity_address: [
            certificate.entity_address.as_str(),
            &commune,
            &format!("tỉnh {place}"),
        ]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", "),
        stars: certificate.stars,
        score: certificate.score.map(crate::shared::documents::score),
        legal_reference,
        decision_number: certificate.decision_number.clone(),
        decision_date: format::date(timeline.issued_on),
        issue_date: format::date(timeline.issued_on),
        expiry_date: format::date(timeline.expires_on),
        place_date: place_date(&signed_at, timeline.issued_on),
        signer: signer_block(&certificate.decision_signer, body),
        qr_svg: qr.svg(),
        verification_url: verification_url.to_string(),
    })
}
