//! The caller's notices in the JSON API.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use ocop_store::notices;

use super::words;
use crate::AppState;
use crate::shared::auth::ApiCaller;
use crate::shared::error::{AppError, ErrorDoc};
use crate::shared::i18n::ApiLang;

#[derive(Serialize, utoipa::ToSchema)]
pub struct NoticeJson {
    pub id: String,
    /// certificate_issued, certificate_window_opens, certificate_window_closing,
    /// certificate_expires_soon, certificate_expired, certificate_revoked,
    /// inspection_corrective_action, inspection_revocation_proposed
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// Where the notice leads on this site.
    pub link: String,
    pub certificate_id: Option<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub read: bool,
}

/// `GET /api/v1/notices`: the caller's latest notices, newest first.
#[utoipa::path(get, path = "/api/v1/notices", tag = "notices", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [NoticeJson]), (status = 401, body = ErrorDoc)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(user): ApiCaller,
    ApiLang(lang): ApiLang,
) -> Result<Json<Vec<NoticeJson>>, AppError> {
    let notices = notices::inbox(&state.db, &user.id, 200).await?;
    Ok(Json(
        notices
            .iter()
            .map(|n| {
                let (subject, body) = words(n, lang);
                NoticeJson {
                    id: n.id.clone(),
                    kind: n.kind.clone(),
                    subject,
                    body,
                    link: n.link.clone(),
                    certificate_id: n.certificate_id.clone(),
                    created_at: n.created_at,
                    read: n.read_at.is_some(),
                }
            })
            .collect(),
    ))
}
