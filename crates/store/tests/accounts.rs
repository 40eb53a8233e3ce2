//! Accounts, sessions, tokens and the audit chain, on SQLite or PostgreSQL.

use ocop_domain::access::Role;
use ocop_domain::audit::ChainBreak;
use ocop_store::accounts::{self, AccountError, Login, NewUser};
use ocop_store::testing::TestDb;
use ocop_store::{audit, on_db};

fn new_user(email: &str, role: Role, unit: Option<&str>) -> NewUser {
    NewUser {
        email: email.into(),
        name: "Nguyễn Thị Hoa".into(),
        role,
        unit_code: unit.map(str::to_string),
        entity_id: None,
        password: "mật khẩu thật dài".into(),
    }
}

#[tokio::test]
async fn accounts_are_validated_and_bound_to_the_right_unit() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let officer = accounts::create_user(
        db,
        new_user(" Hoa@Xa.VN ", Role::CommuneOfficer, Some("26882")),
        "cli:test",
    )
    .await
    .unwrap();
    assert_eq!(officer.email, "hoa@xa.vn");
    assert_eq!(
        accounts::find_by_email(db, "HOA@xa.vn").await.unwrap(),
        Some(officer.clone())
    );

    let cases: Vec<(NewUser, &str)> = vec![
        (
            new_user("not-an-email", Role::Administrator, None),
            "email: `not-an-email` is not an e-mail address",
        ),
        (
            new_user("hoa@xa.vn", Role::Administrator, None),
            "email: an account with hoa@xa.vn already exists",
        ),
        (
            NewUser {
                password: "ngắn".into(),
                ..new_user("a@b.vn", Role::Administrator, None)
            },
            "password: at least 10 characters",
        ),
        (
            new_user("b@b.vn", Role::CommuneOfficer, Some("75")),
            "unit: 75 is a province, not a commune",
        ),
        (
            new_user("c@b.vn", Role::ProvincialOfficer, None),
            "unit: a provincial_officer needs a province code",
        ),
        (
            new_user("d@b.vn", Role::ProvincialOfficer, Some("02")),
            "unit: 02 is not a province in force",
        ),
        (
            new_user("e@b.vn", Role::CentralOfficer, Some("75")),
            "unit: a central_officer is not bound to a unit",
        ),
        (
            NewUser {
                name: "  ".into(),
                ..new_user("f@b.vn", Role::Administrator, None)
            },
            "name: a name is needed",
        ),
    ];
    for (user, message) in cases {
        let error = accounts::create_user(db, user, "cli:test")
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), message);
    }
    assert_eq!(
        accounts::list(db).await.unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn login_sessions_lockout_and_tokens() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    let admin = accounts::create_user(
        db,
        new_user("admin@ocop.vn", Role::Administrator, None),
        "cli:test",
    )
    .await
    .unwrap();
    assert_eq!(
        accounts::authenticate(db, "ADMIN@ocop.vn", "mật khẩu thật dài")
            .await
            .unwrap(),
        Login::Success(admin.clone())
    );
    assert_eq!(
        accounts::authenticate(db, "admin@ocop.vn", "sai rồi")
            .await
            .unwrap(),
        Login::Invalid
    );
    assert_eq!(
        accounts::authenticate(db, "nobody@ocop.vn", "sai rồi")
            .await
            .unwrap(),
        Login::Invalid
    );

    // Five failures lock the e-mail, existing or not; the right password does not help then.
    for email in ["admin@ocop.vn", "nobody@ocop.vn"] {
        let mut last = Login::Invalid;
        for _ in 0..5 {
            last = accounts::authenticate(db, email, "sai rồi").await.unwrap();
        }
        assert!(matches!(last, Login::Locked { .. }), "{email}: {last:?}");
    }
    assert!(matches!(
        accounts::authenticate(db, "admin@ocop.vn", "mật khẩu thật dài")
            .await
            .unwrap(),
        Login::Locked { .. }
    ));

    let (token, csrf) = accounts::create_session(db, &admin).await.unwrap();
    let (user, session_csrf) = accounts::session_user(db, &token).await.unwrap().unwrap();
    assert_eq!(
        (user.id.as_str(), session_csrf.as_str()),
        (admin.id.as_str(), csrf.as_str())
    );
    assert!(
        accounts::session_user(db, "forged")
            .await
            .unwrap()
            .is_none()
    );
    let (other, _) = accounts::create_session(db, &admin).await.unwrap();

    let wrong = accounts::change_password(db, &admin, "sai rồi", "mật khẩu mới dài", &token).await;
    assert!(matches!(wrong, Err(AccountError::WrongPassword)));
    accounts::change_password(db, &admin, "mật khẩu thật dài", "mật khẩu mới dài", &token)
        .await
        .unwrap();
    assert!(
        accounts::session_user(db, &token).await.unwrap().is_some(),
        "this session stays"
    );
    assert!(
        accounts::session_user(db, &other).await.unwrap().is_none(),
        "other sessions end"
    );
    accounts::end_session(db, &token, &admin).await.unwrap();
    assert!(accounts::session_user(db, &token).await.unwrap().is_none());

    let (id, api_token) = accounts::create_api_token(db, &admin, "tỉnh portal", &admin.id)
        .await
        .unwrap();
    assert_eq!(
        accounts::api_token_user(db, &api_token).await.unwrap(),
        Some(admin.clone())
    );
    let stored: Vec<String> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT token_hash FROM api_tokens"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert!(!stored.contains(&api_token), "only the hash is stored");
    assert!(
        accounts::revoke_api_token(db, &id, &admin.id)
            .await
            .unwrap()
    );
    assert!(
        !accounts::revoke_api_token(db, &id, &admin.id)
            .await
            .unwrap()
    );
    assert!(
        accounts::api_token_user(db, &api_token)
            .await
            .unwrap()
            .is_none()
    );

    // Every change above is in the chain, which verifies.
    let history = audit::history(db, "user", &admin.id).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "user.create",
            "session.login",
            "session.login",
            "user.password_change",
            "session.logout"
        ]
    );
    assert!(
        !history[3].changes.contains("mật khẩu"),
        "no password in the audit"
    );
    assert_eq!(audit::verify(db).await.unwrap(), Ok(7));
}

#[tokio::test]
async fn audit_verify_names_an_edited_or_deleted_record() {
    let test = TestDb::with_units().await;
    let db = &test.db;
    for n in 0..4 {
        accounts::create_user(
            db,
            new_user(&format!("u{n}@ocop.vn"), Role::CentralOfficer, None),
            "cli:test",
        )
        .await
        .unwrap();
    }
    assert_eq!(audit::verify(db).await.unwrap(), Ok(4));
    on_db!(db, |pool| sqlx::query(
        "UPDATE audit_log SET actor = 'someone' WHERE seq = 2"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    let broken = audit::verify(db).await.unwrap().unwrap_err();
    assert_eq!(broken, ChainBreak::Edited { seq: 2 });
    assert_eq!(
        broken.to_string(),
        "record 2 was changed after it was written (its hash no longer matches)"
    );

    on_db!(db, |pool| sqlx::query(
        "DELETE FROM audit_log WHERE seq IN (2, 4)"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    assert_eq!(
        audit::verify(db).await.unwrap(),
        Err(ChainBreak::Missing {
            expected: 2,
            found: Some(3)
        })
    );
}

#[tokio::test]
async fn parallel_guesses_through_two_servers_get_no_more_tries_than_one_person() {
    let test = TestDb::with_units().await;
    accounts::create_user(
        &test.db,
        new_user("nguoi@ocop.vn", Role::CentralOfficer, None),
        "cli:test",
    )
    .await
    .unwrap();
    // Two servers: two pools on the one database, twenty guesses at once.
    let second = ocop_store::Db::connect(test.url()).await.unwrap();
    let guesses = (0..20).map(|n| {
        let db = if n % 2 == 0 {
            test.db.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move {
            accounts::authenticate(&db, "nguoi@ocop.vn", &format!("đoán sai {n}"))
                .await
                .unwrap()
        })
    });
    let mut answers = Vec::new();
    for guess in guesses.collect::<Vec<_>>() {
        answers.push(guess.await.unwrap());
    }
    let checked = answers.iter().filter(|a| **a == Login::Invalid).count();
    assert_eq!(
        checked as i64,
        accounts::MAX_FAILURES - 1,
        "four guesses answered 'wrong', the fifth locks, the rest are refused unchecked: {answers:?}"
    );
    assert!(matches!(
        accounts::authenticate(&second, "nguoi@ocop.vn", "mật khẩu thật dài")
            .await
            .unwrap(),
        Login::Locked { .. }
    ));
    second.close().await;
}
