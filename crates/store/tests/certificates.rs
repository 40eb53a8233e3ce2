//! Certificates in the database: issued with a decision (numbers per province and year,
//! calendar-correct expiry), read in scope, superseded, revoked once, inspected, swept on the
//! right days with each notice once, the job queue claimed once by concurrent workers, and the
//! signing keys sealed, rotated and opened.

use chrono::NaiveDate;
use ocop_domain::access::{Role, Scope};
use ocop_domain::certificates::inspection::{Kind, Outcome, Report};
use ocop_domain::certificates::revocation::{Decision, Finding};
use ocop_domain::certificates::{CertificateError, Status};
use ocop_domain::criteria::{Catalog, Level, bundled_sources};
use ocop_domain::dossier::EvaluationType;
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::accounts::{self, NewUser, User};
use ocop_store::certificates::{self, CertificateStoreError, IssueError, Recognition};
use ocop_store::keys::{self, InstallationSecret, KeyError};
use ocop_store::testing::TestDb;
use ocop_store::{Db, jobs, notices, on_db, registry};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn user(db: &Db, email: &str, role: Role, unit: Option<&str>, entity: Option<&str>) -> User {
    accounts::create_user(
        db,
        NewUser {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            role,
            unit_code: unit.map(str::to_string),
            entity_id: entity.map(str::to_string),
            password: "mật khẩu đủ dài 2026".into(),
        },
        "t",
    )
    .await
    .unwrap()
}

/// Runs a fixture's SQL with text binds, then an optional date bind (typed: PostgreSQL does not
/// cast text to DATE, SQLite stores the text).
async fn execute(db: &Db, sql: &'static str, binds: &[&str], day: Option<NaiveDate>) {
    on_db!(db, |pool| {
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        if let Some(day) = day {
            query = query.bind(day);
        }
        query.execute(pool).await.unwrap();
    });
}

/// An entity and product in commune 26882 of Hồ Chí Minh (79): (entity id, product id, code).
async fn product(db: &Db, n: u32) -> (String, String, String) {
    let entity = registry::create(
        db,
        &check_entity(
            &EntityForm {
                kind: "cooperative".into(),
                registration_code: format!("HTX-26882-{n}"),
                name: format!("Hợp tác xã Xuân Lập {n}"),
                representative: "Trần Thị Lan".into(),
                address: "Ấp 3".into(),
                commune_code: "26882".into(),
                ..EntityForm::default()
            },
            date(2026, 1, 5),
        )
        .unwrap(),
        EntityStatus::Confirmed,
        "t",
    )
    .await
    .unwrap();
    let product = registry::add_product(
        db,
        &Scope::National,
        &entity.id,
        &check_product(
            &ProductForm {
                name: format!("Sầu riêng Ri6 Xuân Lập {n}"),
                product_set: "P01".into(),
                description: "Sầu riêng tươi".into(),
                ..ProductForm::default()
            },
            "26-2026",
            &["P01"],
        )
        .unwrap(),
        "t",
    )
    .await
    .unwrap()
    .unwrap();
    (entity.id, product.id, product.code)
}

/// A decision recognising the product (a closed round, its product, the decision) as rows,
/// then the certificate issued in its transaction.
async fn certify(
    db: &Db,
    catalog: &Catalog,
    ids: &(String, String, String),
    n: u32,
    kind: EvaluationType,
    stars: u8,
    on: NaiveDate,
) -> Result<String, IssueError> {
    let (entity, product, code) = ids;
    let round = format!("round-{n}");
    let rp = format!("rp-{n}");
    let dossier = format!("dossier-{n}");
    let decision = format!("decision-{n}");
    execute(
        db,
        "INSERT INTO dossiers (id, product_id, entity_id, commune_code, province_code, evaluation_type, state, \
         criteria_version, product_set, created_at, updated_at) \
         VALUES ($1, $2, $3, '26882', '79', $4, 'recognised', '26-2026', 'P01', 0, 0)",
        &[&dossier, product, entity, kind.as_str()],
        None,
    )
    .await;
    execute(
        db,
        "INSERT INTO rounds (id, name, level, kind, province_code, meeting_on, place, state, created_by, created_at, updated_at) \
         VALUES ($1, 'Đợt', 'province', 'online', '79', $2, 'TP', 'closed', 't', 0, 0)",
        &[&round],
        Some(on),
    )
    .await;
    execute(
        db,
        "INSERT INTO round_products (id, round_id, dossier_id, product_id, entity_id, commune_code, province_code, \
         criteria_version, product_set, entity_type, pass, disqualifications, added_at) \
         VALUES ($1, $2, $3, $4, $5, '26882', '79', '26-2026', 'P01', 'cooperative', 1, '[]', 0)",
        &[&rp, &round, &dossier, product, entity],
        None,
    )
    .await;
    execute(
        db,
        "INSERT INTO decisions (id, round_id, number, signed_on, signer, recorded_by, recorded_at) \
         VALUES ($1, $2, $1, $3, 'Chủ tịch', 't', 0)",
        &[&decision, &round],
        Some(on),
    )
    .await;
    let mut tx = db.begin().await.unwrap();
    let id = certificates::issue(
        &mut tx,
        catalog,
        &Recognition {
            decision_id: &decision,
            decided_on: on,
            round_product_id: &rp,
            product_id: product,
            product_code: code,
            entity_id: entity,
            commune_code: "26882",
            province_code: "79",
            criteria_version: "26-2026",
            evaluation_type: kind,
            stars,
            score: Some(7550),
        },
        "t",
    )
    .await?;
    tx.commit().await.unwrap();
    Ok(id)
}

#[tokio::test]
async fn issue_read_in_scope_supersede_revoke_inspect() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let rules = &catalog.version("26-2026").unwrap().procedure;
    let first = product(db, 1).await;
    let second = product(db, 2).await;

    let a = certify(
        db,
        &catalog,
        &first,
        1,
        EvaluationType::FirstTime,
        3,
        date(2026, 1, 31),
    )
    .await
    .unwrap();
    let b = certify(
        db,
        &catalog,
        &second,
        2,
        EvaluationType::FirstTime,
        4,
        date(2026, 6, 15),
    )
    .await
    .unwrap();
    let a_cert = certificates::find(db, &Scope::National, &a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a_cert.number, "OCOP-79-2026-00001");
    assert_eq!(a_cert.timeline.expires_on, date(2029, 1, 31));
    assert_eq!(a_cert.authority, Level::Province);
    let b_cert = certificates::by_number(db, "OCOP-79-2026-00002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b_cert.id, b);
    assert_eq!(b_cert.product_name, "Sầu riêng Ri6 Xuân Lập 2");

    // Scope: the province and the producer see theirs; another province sees nothing.
    assert_eq!(
        certificates::list(db, &Scope::Province("79".into()), "")
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        certificates::list(db, &Scope::Province("75".into()), "")
            .await
            .unwrap()
            .len(),
        0
    );
    assert!(
        certificates::find(db, &Scope::Province("75".into()), &a)
            .await
            .unwrap()
            .is_none()
    );
    let mine = certificates::list(db, &Scope::Entity(first.0.clone()), "")
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [a.as_str()]
    );

    // An upgrade of the first product supersedes its certificate on the decision's date.
    let c = certify(
        db,
        &catalog,
        &first,
        3,
        EvaluationType::Upgrade,
        4,
        date(2027, 6, 1),
    )
    .await
    .unwrap();
    let a_cert = certificates::find(db, &Scope::National, &a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a_cert.status(rules, date(2027, 5, 31)), Status::Active);
    assert_eq!(a_cert.status(rules, date(2027, 6, 1)), Status::Superseded);
    assert_eq!(a_cert.superseded_by.as_deref(), Some("OCOP-79-2027-00001"));
    // A superseded certificate is not revoked.
    let finding = Finding {
        ground: "d".into(),
        found_on: date(2027, 7, 1),
        reference: "Kết luận số 5/KL-SCT".into(),
    };
    let today = date(2027, 7, 10);
    assert!(matches!(
        certificates::open_revocation(db, rules, &a_cert, &finding, "t", today).await,
        Err(CertificateStoreError::Rule(CertificateError::Superseded))
    ));

    // Revocation of the upgrade's certificate: opened once, decided once.
    let producer = user(db, "sx@t.vn", Role::Producer, None, Some(&first.0)).await;
    let commune = user(db, "xa@t.vn", Role::CommuneOfficer, Some("26882"), None).await;
    let province = user(db, "tinh@t.vn", Role::ProvincialOfficer, Some("79"), None).await;
    let c_cert = certificates::find(db, &Scope::National, &c)
        .await
        .unwrap()
        .unwrap();
    let unknown = Finding {
        ground: "z".into(),
        ..finding.clone()
    };
    assert!(matches!(
        certificates::open_revocation(db, rules, &c_cert, &unknown, "t", today).await,
        Err(CertificateStoreError::Rule(
            CertificateError::UnknownGround(_)
        ))
    ));
    certificates::open_revocation(db, rules, &c_cert, &finding, "t", today)
        .await
        .unwrap();
    assert!(matches!(
        certificates::open_revocation(db, rules, &c_cert, &finding, "t", today).await,
        Err(CertificateStoreError::Rule(
            CertificateError::RevocationOpen
        ))
    ));
    let open = certificates::revocation(db, &c).await.unwrap().unwrap();
    assert_eq!(open.deadline, Some(date(2027, 7, 16)));
    let decision = Decision {
        number: "77/QĐ-UBND".into(),
        decided_on: date(2027, 7, 9),
        signer: "Võ Tấn Đức".into(),
    };
    certificates::decide_revocation(db, rules, &c_cert, &decision, "t", today)
        .await
        .unwrap();
    let c_cert = certificates::find(db, &Scope::National, &c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c_cert.status(rules, today), Status::Revoked);
    assert_eq!(c_cert.status(rules, date(2027, 7, 8)), Status::Active);
    assert!(matches!(
        certificates::decide_revocation(db, rules, &c_cert, &decision, "t", today).await,
        Err(CertificateStoreError::Rule(
            CertificateError::AlreadyRevoked
        ))
    ));
    for account in [&producer, &commune, &province] {
        let inbox = notices::inbox(db, &account.id, 10).await.unwrap();
        assert!(
            inbox.iter().any(|n| n.kind == "certificate_revoked"),
            "{}",
            account.email
        );
    }
    // An upgrade cannot supersede a revoked certificate; nothing is issued.
    assert!(matches!(
        certify(
            db,
            &catalog,
            &first,
            4,
            EvaluationType::Upgrade,
            5,
            date(2027, 9, 1)
        )
        .await,
        Err(IssueError::SupersedesRevoked(_))
    ));
    assert_eq!(
        certificates::list(db, &Scope::National, &first.1)
            .await
            .unwrap()
            .len(),
        2
    );

    // Inspections: a corrective action tells the producer; a proposal opens the revocation; an
    // expired certificate is not inspected.
    let b_cert = certificates::find(db, &Scope::National, &b)
        .await
        .unwrap()
        .unwrap();
    let report = |outcome| Report {
        kind: Kind::Periodic,
        inspected_on: date(2027, 3, 2),
        inspectors: "Lê Thị Mai".into(),
        criteria_maintained: true,
        mark_used_correctly: false,
        findings: "Nhãn in sai số sao".into(),
        outcome,
    };
    let corrective = Outcome::CorrectiveAction {
        action: "In lại nhãn".into(),
        deadline: date(2027, 4, 2),
    };
    certificates::record_inspection(
        db,
        rules,
        &b_cert,
        Level::Province,
        &report(corrective),
        "t",
        today,
    )
    .await
    .unwrap();
    let proposed = Outcome::RevocationProposed { ground: "b".into() };
    certificates::record_inspection(
        db,
        rules,
        &b_cert,
        Level::Province,
        &report(proposed),
        "t",
        today,
    )
    .await
    .unwrap();
    assert_eq!(certificates::inspections(db, &b).await.unwrap().len(), 2);
    let opened = certificates::revocation(db, &b).await.unwrap().unwrap();
    assert_eq!(opened.ground, "b");
    assert!(opened.inspection_id.is_some());
    assert_eq!(opened.decided_on, None);
    let late = date(2029, 7, 1);
    assert!(matches!(
        certificates::record_inspection(
            db,
            rules,
            &b_cert,
            Level::Province,
            &report(Outcome::Passed),
            "t",
            late
        )
        .await,
        Err(CertificateStoreError::Rule(CertificateError::Expired))
    ));
    assert_eq!(certificates::inspections(db, &b).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_sweep_sends_each_milestone_once_on_its_day() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let rules = catalog.version("26-2026").unwrap().procedure.clone();
    let ids = product(db, 1).await;
    let producer = user(db, "sx@t.vn", Role::Producer, None, Some(&ids.0)).await;
    let commune = user(db, "xa@t.vn", Role::CommuneOfficer, Some("26882"), None).await;
    let province = user(db, "tinh@t.vn", Role::ProvincialOfficer, Some("79"), None).await;
    let elsewhere = user(db, "khac@t.vn", Role::ProvincialOfficer, Some("75"), None).await;
    let id = certify(
        db,
        &catalog,
        &ids,
        1,
        EvaluationType::FirstTime,
        4,
        date(2026, 6, 15),
    )
    .await
    .unwrap();
    let kinds = |account: &User| {
        let account = account.id.clone();
        async move {
            let mut kinds: Vec<String> = notices::inbox(db, &account, 50)
                .await
                .unwrap()
                .into_iter()
                .map(|n| n.kind)
                .collect();
            kinds.sort();
            kinds
        }
    };
    // The producer heard of the issue.
    assert_eq!(kinds(&producer).await, ["certificate_issued"]);
    let (queued, _, _) = jobs::counts(db, notices::EMAIL_JOB).await.unwrap();
    assert_eq!(queued, 1);

    // Nothing before the window opens (17/12/2028).
    let report = certificates::sweep(db, &catalog, date(2028, 12, 16))
        .await
        .unwrap();
    assert_eq!((report.due, report.notices), (0, 0));
    let report = certificates::sweep(db, &catalog, date(2028, 12, 17))
        .await
        .unwrap();
    assert_eq!((report.due, report.notices), (1, 3));
    // Twice the same day, or the day after: nothing new.
    for day in [date(2028, 12, 17), date(2028, 12, 18)] {
        assert_eq!(
            certificates::sweep(db, &catalog, day)
                .await
                .unwrap()
                .notices,
            0
        );
    }
    assert_eq!(
        kinds(&commune).await,
        ["certificate_window_opens"],
        "the commune is told"
    );
    assert!(
        kinds(&elsewhere).await.is_empty(),
        "another province is not"
    );
    // Closing soon (08/02/2029), 30 days before expiry (16/05/2029), expired (16/06/2029).
    for (day, kind) in [
        (date(2029, 2, 8), "certificate_window_closing"),
        (date(2029, 5, 16), "certificate_expires_soon"),
        (date(2029, 6, 16), "certificate_expired"),
    ] {
        assert_eq!(
            certificates::sweep(db, &catalog, day)
                .await
                .unwrap()
                .notices,
            3,
            "{day}"
        );
        assert!(kinds(&province).await.contains(&kind.to_string()), "{kind}");
    }
    assert_eq!(kinds(&province).await.len(), 4);
    let (queued, _, _) = jobs::counts(db, notices::EMAIL_JOB).await.unwrap();
    assert_eq!(queued, 1 + 4 * 3, "one e-mail per notice");
    let cert = certificates::find(db, &Scope::National, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.status(&rules, date(2029, 6, 15)), Status::Active);
    assert_eq!(cert.status(&rules, date(2029, 6, 16)), Status::Expired);

    // Read and unread.
    assert_eq!(notices::unread(db, &producer.id).await.unwrap(), 5);
    let first = notices::inbox(db, &producer.id, 1).await.unwrap().remove(0);
    assert_eq!(
        notices::mark_read(db, &producer.id, Some(&first.id))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        notices::mark_read(db, &commune.id, Some(&first.id))
            .await
            .unwrap(),
        0
    );
    assert_eq!(notices::unread(db, &producer.id).await.unwrap(), 4);
    notices::mark_read(db, &producer.id, None).await.unwrap();
    assert_eq!(notices::unread(db, &producer.id).await.unwrap(), 0);
}

#[tokio::test]
async fn a_late_reevaluation_keeps_the_certificate_valid_pending_its_result() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let catalog = Catalog::load(&bundled_sources()).unwrap();
    let rules = &catalog.version("26-2026").unwrap().procedure;
    let ids = product(db, 1).await;
    let id = certify(
        db,
        &catalog,
        &ids,
        1,
        EvaluationType::FirstTime,
        3,
        date(2026, 6, 15),
    )
    .await
    .unwrap();
    // A re-evaluation filed on 01/04/2029, after the window closed (15/02/2029).
    execute(
        db,
        "INSERT INTO dossiers (id, product_id, entity_id, commune_code, province_code, evaluation_type, state, \
         criteria_version, product_set, created_at, updated_at, filed_on) \
         VALUES ('late', $1, $2, '26882', '79', 'reevaluation', 'submitted', '26-2026', 'P01', 0, 0, $3)",
        &[&ids.1, &ids.0],
        Some(date(2029, 4, 1)),
    )
    .await;
    let cert = certificates::find(db, &Scope::National, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.timeline.reevaluation_filed_on, Some(date(2029, 4, 1)));
    assert_eq!(
        cert.status(rules, date(2029, 7, 1)),
        Status::PendingReevaluation {
            until: date(2029, 12, 12)
        }
    );
    assert_eq!(cert.status(rules, date(2029, 12, 13)), Status::Expired);
}

#[tokio::test]
async fn concurrent_workers_claim_each_job_once() {
    let test = TestDb::migrated().await;
    let db = &test.db;
    for n in 0..40 {
        jobs::enqueue_now(
            db,
            "test",
            Some(&format!("job-{n}")),
            &serde_json::json!({ "n": n }),
            0,
        )
        .await
        .unwrap();
    }
    assert!(
        !jobs::enqueue_now(db, "test", Some("job-0"), &serde_json::json!({}), 0)
            .await
            .unwrap()
    );
    let worker = |name: &'static str| async move {
        let mut taken = Vec::new();
        while let Some(job) = jobs::claim(db, name, "test", 60_000).await.unwrap() {
            jobs::complete(db, &job, name).await.unwrap();
            taken.push(job.payload["n"].as_i64().unwrap());
        }
        taken
    };
    let (a, b, c) = tokio::join!(worker("a"), worker("b"), worker("c"));
    let mut all: Vec<i64> = a.into_iter().chain(b).chain(c).collect();
    all.sort();
    assert_eq!(all, (0..40).collect::<Vec<_>>());
    assert_eq!(jobs::counts(db, "test").await.unwrap(), (0, 40, 0));

    // A failure is retried after its back-off, not before; the last attempt leaves it failed.
    jobs::enqueue_now(db, "flaky", None, &serde_json::json!({}), 0)
        .await
        .unwrap();
    let job = jobs::claim(db, "a", "flaky", 60_000)
        .await
        .unwrap()
        .unwrap();
    assert!(
        jobs::claim(db, "b", "flaky", 60_000)
            .await
            .unwrap()
            .is_none(),
        "held under lease"
    );
    jobs::fail(db, &job, "a", "421 try later").await.unwrap();
    assert!(
        jobs::claim(db, "b", "flaky", 60_000)
            .await
            .unwrap()
            .is_none(),
        "backing off"
    );
    let recent = jobs::recent(db, "flaky", 5).await.unwrap();
    assert_eq!(recent[0].last_error.as_deref(), Some("421 try later"));
    assert_eq!(recent[0].attempts, 1);
    let last = jobs::Job {
        attempts: jobs::MAX_ATTEMPTS,
        ..job
    };
    jobs::fail(db, &last, "a", "550 no such user")
        .await
        .unwrap();
    assert_eq!(jobs::counts(db, "flaky").await.unwrap(), (0, 0, 1));
}

#[tokio::test]
async fn keys_are_sealed_rotated_and_kept() {
    let test = TestDb::migrated().await;
    let db = &test.db;
    let secret = InstallationSecret::from_bytes([42; 32]);
    assert!(matches!(
        keys::active_signer(db, &secret).await,
        Err(KeyError::NoKey)
    ));
    let first = keys::generate(db, &secret, date(2026, 12, 1), "t")
        .await
        .unwrap();
    assert!(matches!(
        keys::generate(db, &secret, date(2026, 12, 1), "t").await,
        Err(KeyError::KeysExist)
    ));
    let (id, signer) = keys::active_signer(db, &secret).await.unwrap();
    assert_eq!(id, first);
    let revision = keys::revision(db).await.unwrap();
    // A different secret opens nothing and rotates nothing.
    let wrong = InstallationSecret::from_bytes([43; 32]);
    assert!(matches!(
        keys::active_signer(db, &wrong).await,
        Err(KeyError::WrongSecret(1))
    ));
    assert!(matches!(
        keys::rotate(db, &wrong, date(2027, 1, 1), "t").await,
        Err(KeyError::WrongSecret(1))
    ));
    let second = keys::rotate(db, &secret, date(2027, 1, 1), "t")
        .await
        .unwrap();
    assert_eq!(second, 2);
    assert_ne!(keys::revision(db).await.unwrap(), revision);
    let list = keys::list(db).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].retired_on, Some(date(2027, 1, 1)));
    assert_eq!(list[0].public_key, signer.verifying_key());
    assert_eq!(list[1].retired_on, None);
    assert_eq!(keys::active_signer(db, &secret).await.unwrap().0, 2);
    // The stored secret is not the key.
    let sealed: Vec<String> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT sealed_secret FROM signing_keys ORDER BY id"
    )
    .fetch_all(pool)
    .await
    .unwrap());
    let clear = data_encoding::HEXLOWER.encode(signer.as_bytes());
    assert!(sealed.iter().all(|s| !s.contains(&clear)));
}
