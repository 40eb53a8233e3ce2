//! Certificates: issued in the transaction of the decision that recognises a product, read
//! within a scope, with every fact their status is derived from (`ocop_domain::certificates::
//! Timeline`) read in the same query, so no stored flag can go stale.
//!
//! - [`changes`]: revocations, inspections and the signed QR payload;
//! - [`sweep`]: the daily sweep that sends the lifecycle's notices.

mod changes;
pub mod published;
mod sweep;

pub use changes::*;
pub use sweep::*;

use chrono::NaiveDate;
use sqlx::Row;

use ocop_domain::access::Scope;
use ocop_domain::audit::Changes;
use ocop_domain::certificates::{CertificateNumber, Status, Timeline, authority_for, expiry_of};
use ocop_domain::criteria::{Catalog, Level, Procedure};
use ocop_domain::dossier::EvaluationType;

use crate::clock::{new_id, now_ms};
use crate::registry::scoped;
use crate::{Db, StoreError, Tx, audit, notices, on_tx};

/// A certificate with what it names and the facts of its timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub id: String,
    pub number: String,
    pub province_code: String,
    pub product_id: String,
    pub product_code: String,
    pub product_name: String,
    pub entity_id: String,
    pub entity_name: String,
    pub entity_code: String,
    pub entity_address: String,
    pub commune_code: String,
    pub stars: u8,
    /// Hundredths of a point.
    pub score: Option<i64>,
    pub criteria_version: String,
    pub authority: Level,
    pub decision_id: String,
    pub decision_number: String,
    pub decision_signer: String,
    pub round_id: String,
    pub round_product_id: String,
    pub timeline: Timeline,
    pub payload: Option<String>,
    pub key_id: Option<u16>,
    /// The certificate that superseded this one, if any.
    pub superseded_by: Option<String>,
    pub created_at: i64,
}

impl Certificate {
    pub fn status(&self, procedure: &Procedure, today: NaiveDate) -> Status {
        self.timeline.status(procedure, today)
    }
}

/// A certificate's revocation date, once decided (`c` is the certificate).
pub(crate) const REVOKED_ON: &str = "(SELECT r.decided_on FROM revocations r WHERE r.certificate_id = c.id AND r.decided_on IS NOT NULL)";
/// When a re-evaluation dossier of the product was filed after the certificate's issue.
pub(crate) const REEVALUATION_FILED_ON: &str = "(SELECT MIN(f.filed_on) FROM dossiers f WHERE f.product_id = c.product_id \
        AND f.evaluation_type = 'reevaluation' AND f.filed_on >= c.issued_on)";
/// When that re-evaluation ended without a new star.
pub(crate) const REEVALUATION_ENDED_ON: &str = "(SELECT MIN(dd.signed_on) FROM dossiers f JOIN round_products rp ON rp.dossier_id = f.id \
        JOIN decision_items di ON di.round_product_id = rp.id JOIN decisions dd ON dd.id = di.decision_id \
        WHERE f.product_id = c.product_id AND f.evaluation_type = 'reevaluation' \
        AND f.filed_on >= c.issued_on AND di.stars IS NULL)";
/// A newer certificate of the same product (`n`) than `c`.
pub(crate) const NEWER_CERTIFICATE: &str = "n.product_id = c.product_id AND (n.issued_on > c.issued_on \
        OR (n.issued_on = c.issued_on AND n.created_at > c.created_at))";

/// The facts come from their own tables: a revocation's decision date, a newer certificate of
/// the product, a re-evaluation dossier filed after this one's issue and a result that ended it.
pub(crate) static CERTIFICATE_SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(
    || {
        format!(
            "SELECT c.id, c.number, c.province_code, c.product_id, p.code AS product_code, \
     p.name AS product_name, c.entity_id, e.name AS entity_name, e.registration_code AS entity_code, \
     e.address AS entity_address, c.commune_code, c.stars, c.score, c.criteria_version, c.authority, \
     c.decision_id, d.number AS decision_number, d.signer AS decision_signer, d.round_id, \
     c.round_product_id, c.issued_on, c.expires_on, c.payload, c.key_id, c.created_at, \
     {REVOKED_ON} AS revoked_on, \
     (SELECT n.issued_on FROM certificates n WHERE {NEWER_CERTIFICATE} \
        ORDER BY n.issued_on, n.created_at LIMIT 1) AS superseded_on, \
     (SELECT n.number FROM certificates n WHERE {NEWER_CERTIFICATE} \
        ORDER BY n.issued_on, n.created_at LIMIT 1) AS superseded_by, \
     {REEVALUATION_FILED_ON} AS reevaluation_filed_on, \
     {REEVALUATION_ENDED_ON} AS reevaluation_ended_on \
     FROM certificates c JOIN products p ON p.id = c.product_id JOIN entities e ON e.id = c.entity_id \
     JOIN decisions d ON d.id = c.decision_id"
        )
    },
);

pub(crate) fn certificate_from_row<R: Row>(row: &R) -> Result<Certificate, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<NaiveDate>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let authority: String = row.try_get("authority")?;
    let stars: i64 = row.try_get("stars")?;
    let key_id: Option<i64> = row.try_get("key_id")?;
    Ok(Certificate {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        province_code: row.try_get("province_code")?,
        product_id: row.try_get("product_id")?,
        product_code: row.try_get("product_code")?,
        product_name: row.try_get("product_name")?,
        entity_id: row.try_get("entity_id")?,
        entity_name: row.try_get("entity_name")?,
        entity_code: row.try_get("entity_code")?,
        entity_address: row.try_get("entity_address")?,
        commune_code: row.try_get("commune_code")?,
        stars: u8::try_from(stars).unwrap_or(0),
        score: row.try_get("score")?,
        criteria_version: row.try_get("criteria_version")?,
        authority: Level::parse(&authority).unwrap_or(Level::Province),
        decision_id: row.try_get("decision_id")?,
        decision_number: row.try_get("decision_number")?,
        decision_signer: row.try_get("decision_signer")?,
        round_id: row.try_get("round_id")?,
        round_product_id: row.try_get("round_product_id")?,
        timeline: Timeline {
            issued_on: row.try_get("issued_on")?,
            expires_on: row.try_get("expires_on")?,
            revoked_on: row.try_get("revoked_on")?,
            superseded_on: row.try_get("superseded_on")?,
            reevaluation_filed_on: row.try_get("reevaluation_filed_on")?,
            reevaluation_ended_on: row.try_get("reevaluation_ended_on")?,
        },
        payload: row.try_get("payload")?,
        key_id: key_id.and_then(|k| u16::try_from(k).ok()),
        superseded_by: row.try_get("superseded_by")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Certificates within `scope`, newest first; `product_id` narrows to one product ("" for all).
pub async fn list(
    db: &Db,
    scope: &Scope,
    product_id: &str,
) -> Result<Vec<Certificate>, StoreError> {
    Ok(scoped!(
        all,
        db,
        scope,
        &*CERTIFICATE_SELECT,
        crate::registry::Scoped::Certificates,
        "($3 = '' OR c.product_id = $3) ORDER BY c.issued_on DESC, c.number DESC",
        product_id,
        certificate_from_row
    )?)
}

/// One certificate by id within `scope`.
pub async fn find(db: &Db, scope: &Scope, id: &str) -> Result<Option<Certificate>, StoreError> {
    Ok(scoped!(
        one,
        db,
        scope,
        &*CERTIFICATE_SELECT,
        crate::registry::Scoped::Certificates,
        "c.id = $3",
        id,
        certificate_from_row
    )?)
}

/// One certificate by its number, for everyone: the public verifies certificates.
pub async fn by_number(db: &Db, number: &str) -> Result<Option<Certificate>, StoreError> {
    Ok(scoped!(
        one,
        db,
        &Scope::National,
        &*CERTIFICATE_SELECT,
        crate::registry::Scoped::Certificates,
        "c.number = $3",
        number,
        certificate_from_row
    )?)
}

/// Why a certificate could not be issued with its decision.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("the criteria version {0} is unknown")]
    UnknownVersion(String),
    #[error(
        "product {0}'s last certificate was revoked: an upgrade or re-evaluation cannot supersede it"
    )]
    SupersedesRevoked(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IssueError {
    fn from(error: sqlx::Error) -> IssueError {
        IssueError::Store(error.into())
    }
}

/// What a decision recognised, for the certificate it issues.
#[derive(Debug, Clone)]
pub struct Recognition<'a> {
    pub decision_id: &'a str,
    pub decided_on: NaiveDate,
    pub round_product_id: &'a str,
    pub product_id: &'a str,
    pub product_code: &'a str,
    pub entity_id: &'a str,
    pub commune_code: &'a str,
    pub province_code: &'a str,
    pub criteria_version: &'a str,
    pub evaluation_type: EvaluationType,
    pub stars: u8,
    pub score: Option<i64>,
}

/// Issues the certificate of a recognition, in the decision's transaction: the next serial of
/// the province and year, issue date = decision date, expiry after the version's validity. An
/// upgrade or re-evaluation may not supersede a revoked certificate. The producer is told.
pub async fn issue(
    tx: &mut Tx,
    catalog: &Catalog,
    recognition: &Recognition<'_>,
    actor: &str,
) -> Result<String, IssueError> {
    issue_with(tx, catalog, recognition, &IssueTerms::default(), actor).await
}

/// How a certificate is issued beyond its recognition: a decision taken today follows the
/// version's validity and tells the producer; a recognition of the past brought in from a
/// province's records keeps the validity and the paper number it had, and tells nobody.
#[derive(Debug, Clone, Default)]
pub struct IssueTerms<'a> {
    /// The expiry the paper certificate states (else the version's validity).
    pub expires_on: Option<NaiveDate>,
    /// The number printed on the paper certificate, kept beside ours.
    pub legacy_number: Option<&'a str>,
    /// Not telling the producer (a recognition of years ago).
    pub quiet: bool,
}

/// [`issue`] with its terms.
pub async fn issue_with(
    tx: &mut Tx,
    catalog: &Catalog,
    recognition: &Recognition<'_>,
    terms: &IssueTerms<'_>,
    actor: &str,
) -> Result<String, IssueError> {
    let version = catalog
        .version(recognition.criteria_version)
        .ok_or_else(|| IssueError::UnknownVersion(recognition.criteria_version.to_string()))?;
    if recognition.evaluation_type != EvaluationType::FirstTime {
        let revoked: i64 = on_tx!(&mut *tx, |conn| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM certificates c JOIN revocations r ON r.certificate_id = c.id \
                 WHERE c.product_id = $1 AND r.decided_on IS NOT NULL AND c.id = \
                 (SELECT l.id FROM certificates l WHERE l.product_id = $1 \
                  ORDER BY l.issued_on DESC, l.created_at DESC LIMIT 1)",
            )
            .bind(recognition.product_id)
            .fetch_one(&mut *conn)
            .await
        })?;
        if revoked > 0 {
            return Err(IssueError::SupersedesRevoked(
                recognition.product_code.to_string(),
            ));
        }
    }
    let issued_on = recognition.decided_on;
    let expires_on = terms
        .expires_on
        .unwrap_or_else(|| expiry_of(issued_on, version.certificate_validity_months));
    let year = i64::from(chrono::Datelike::year(&issued_on));
    let serial: i64 = on_tx!(&mut *tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO certificate_serials (province_code, year, last_serial) VALUES ($1, $2, 1) \
             ON CONFLICT (province_code, year) DO UPDATE SET last_serial = certificate_serials.last_serial + 1 \
             RETURNING last_serial",
        )
        .bind(recognition.province_code)
        .bind(year)
        .fetch_one(&mut *conn)
        .await
    })?;
    let number = CertificateNumber::new(
        recognition.province_code,
        i32::try_from(year).unwrap_or_default(),
        u32::try_from(serial).unwrap_or(u32::MAX),
    )
    .map_err(|e| StoreError::Data(format!("certificate number: {e}")))?;
    let id = new_id();
    let authority = authority_for(version, recognition.stars);
    let created_at = now_ms();
    on_tx!(&mut *tx, |conn| {
        sqlx::query(
            "INSERT INTO certificates (id, number, province_code, year, serial, product_id, entity_id, \
             commune_code, stars, score, criteria_version, decision_id, round_product_id, authority, \
             issued_on, expires_on, created_at, legacy_number) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(&id)
        .bind(number.to_string())
        .bind(recognition.province_code)
        .bind(year)
        .bind(serial)
        .bind(recognition.product_id)
        .bind(recognition.entity_id)
        .bind(recognition.commune_code)
        .bind(i64::from(recognition.stars))
        .bind(recognition.score)
        .bind(recognition.criteria_version)
        .bind(recognition.decision_id)
        .bind(recognition.round_product_id)
        .bind(authority.as_str())
        .bind(issued_on)
        .bind(expires_on)
        .bind(created_at)
        .bind(terms.legacy_number)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("number", number.to_string())
        .created("product_id", recognition.product_id)
        .created("stars", recognition.stars)
        .created("issued_on", issued_on)
        .created("expires_on", expires_on)
        .created("decision_id", recognition.decision_id);
    audit::append(tx, actor, "certificate.issue", "certificate", &id, &changes).await?;
    // What the recognition is owed under the province's policies, in the same transaction.
    crate::monitoring::policies::entitle_certificate(tx, &id, actor).await?;
    if terms.quiet {
        return Ok(id);
    }
    let params = serde_json::json!({
        "number": number.to_string(),
        "product": recognition.product_code,
        "stars": recognition.stars,
        "expires_on": expires_on,
    });
    notices::notify_parties(
        tx,
        &notices::Parties {
            entity_id: recognition.entity_id,
            commune_code: None,
            province_code: None,
        },
        "certificate_issued",
        Some(&id),
        &params,
        &format!("/certificates/{id}"),
        &format!("certificate:{id}:issued"),
    )
    .await?;
    Ok(id)
}

/// The last serial given per province and year: (province code, year, last serial).
pub async fn serials(db: &Db) -> Result<Vec<(String, i64, i64)>, StoreError> {
    Ok(crate::on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT province_code, year, last_serial FROM certificate_serials ORDER BY province_code, year"
    )
    .fetch_all(pool)
    .await
    })?)
}

/// Sets the last serials after a bulk load wrote certificates with the numbers that follow them.
pub async fn set_serials(tx: &mut Tx, serials: &[(String, i64, i64)]) -> Result<(), StoreError> {
    for (province, year, last) in serials {
        on_tx!(&mut *tx, |conn| {
            sqlx::query(
            "INSERT INTO certificate_serials (province_code, year, last_serial) VALUES ($1, $2, $3) \
             ON CONFLICT (province_code, year) DO UPDATE SET last_serial = excluded.last_serial"
        )
        .bind(province)
        .bind(year)
        .bind(last)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        })?;
    }
    Ok(())
}
