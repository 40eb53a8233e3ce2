//! The audit trail's daily anchors: one per day whoever asks, signed with the certificate key,
//! and a log whose end was rewritten together with its head — which the chain alone cannot
//! tell — caught by an anchor kept elsewhere.

use chrono::NaiveDate;
use ocop_domain::audit::{AnchorBreak, Changes};
use ocop_store::keys::{self, InstallationSecret};
use ocop_store::testing::TestDb;
use ocop_store::{Db, anchors, audit, on_db};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

async fn record(db: &Db, what: &str) {
    let mut tx = db.begin().await.unwrap();
    audit::append(
        &mut tx,
        "cli:test",
        "test.record",
        "thing",
        what,
        &Changes::new().created("what", what),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn execute(db: &Db, sql: &'static str) {
    on_db!(db, |pool| sqlx::query(sql)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    .unwrap();
}

#[tokio::test]
async fn a_rewritten_end_of_the_log_is_caught_by_an_anchor_kept_elsewhere() {
    let test = TestDb::migrated().await;
    let db = &test.db;
    let secret = InstallationSecret::from_bytes([42; 32]);
    keys::generate(db, &secret, day(1), "t").await.unwrap();
    let genesis = anchors::anchor(db, &secret, day(1)).await.unwrap();
    let start = audit::head(db).await.unwrap().0;
    assert_eq!(genesis.seq, start);
    for n in 0..5 {
        record(db, &format!("a{n}")).await;
    }
    let first = anchors::anchor(db, &secret, day(2)).await.unwrap();
    assert_eq!(first.seq, start + 5);
    // One anchor a day, whoever asks and however the log has grown since.
    record(db, "late").await;
    assert_eq!(anchors::anchor(db, &secret, day(2)).await.unwrap(), first);
    let second = anchors::anchor(db, &secret, day(3)).await.unwrap();
    assert_eq!(second.seq, start + 6);
    let published = anchors::recent(db, 10).await.unwrap();
    assert_eq!(
        published.iter().map(|a| a.day).collect::<Vec<_>>(),
        vec![day(3), day(2), day(1)]
    );
    assert_eq!(anchors::check(db, &published).await.unwrap(), None);

    // Someone with write access to the database rewrites the log from record start+4 on, with
    // consistent hashes and head, and deletes the stored anchors: the chain alone holds.
    let seq = start + 4;
    on_db!(db, |pool| sqlx::query(
        "UPDATE audit_head SET seq = $1, hash = (SELECT hash FROM audit_log WHERE seq = $1) WHERE id = 1"
    )
    .bind(seq - 1)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    on_db!(db, |pool| sqlx::query(
        "DELETE FROM audit_log WHERE seq >= $1"
    )
    .bind(seq)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    execute(db, "DELETE FROM audit_anchors").await;
    for n in 0..3 {
        record(db, &format!("forged {n}")).await;
    }
    assert_eq!(audit::verify(db).await.unwrap(), Ok(start + 6));
    assert_eq!(anchors::check(db, &[]).await.unwrap(), None);
    // The copies kept elsewhere catch it: the record at an anchored number is another.
    assert_eq!(
        anchors::check(db, &published).await.unwrap(),
        Some(AnchorBreak::Rewritten {
            day: day(3),
            seq: start + 6
        })
    );

    // A log cut short below an anchored head.
    execute(db, "DELETE FROM audit_log WHERE seq > 2").await;
    assert_eq!(
        anchors::check(db, &published[1..2]).await.unwrap(),
        Some(AnchorBreak::Shortened {
            day: day(2),
            seq: start + 5
        })
    );
    // An anchor not signed by the installation's key is no anchor.
    let mut forged = published[2].clone();
    forged.seq += 1;
    assert_eq!(
        anchors::check(db, &[forged]).await.unwrap(),
        Some(AnchorBreak::Forged { day: day(1) })
    );
}
