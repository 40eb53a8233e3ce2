//! Units storage on whichever database `OCOP_TEST_DATABASE_URL` selects (SQLite by default).

use chrono::NaiveDate;
use ocop_domain::units::{SkipReason, UnitKind, UnitLevel};
use ocop_store::testing::TestDb;
use ocop_store::{StoreError, units};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

#[tokio::test]
async fn bundled_units_load_with_the_expected_counts_and_report_defects() {
    let test = TestDb::empty().await;
    test.db.migrate().await.unwrap();
    let report = units::ensure_bundled(&test.db)
        .await
        .unwrap()
        .expect("first load");
    let counts = units::counts(&test.db).await.unwrap();
    assert_eq!(counts.provinces, 34);
    assert_eq!(counts.communes, 3321);
    assert_eq!(counts.legacy_provinces, 63);
    assert_eq!(counts.legacy_districts, 693);
    assert_eq!(counts.legacy_communes, 10034);
    assert_eq!(report.inserted, 34 + 3321 + 63 + 693 + 10034);
    assert_eq!(report.updated, 0);
    // Every old commune with a code maps to its new commune, plus the province successions.
    assert_eq!(counts.successions as usize, report.successions_added);
    let skipped: Vec<(SkipReason, usize)> = report
        .skipped
        .iter()
        .map(|(reason, count, _)| (*reason, *count))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (SkipReason::SuccessorMissing, 431),
            (SkipReason::PredecessorWithoutCode, 512),
        ]
    );
    // Loading the same file again is a no-op, and is noticed without reading the file.
    assert!(units::ensure_bundled(&test.db).await.unwrap().is_none());
    let again = units::load(&test.db, units::BUNDLED_UNITS, "again", &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (again.inserted, again.updated, again.successions_added),
        (0, 0, 0)
    );
    assert_eq!(again.unchanged, report.inserted);
    assert_eq!(units::counts(&test.db).await.unwrap(), counts);
}

#[tokio::test]
async fn search_folds_diacritics_and_ranks_provinces_first() {
    let test = TestDb::with_units().await;
    let search = units::UnitSearch::default();
    for query in ["dong nai", "Đồng Nai", "ĐỒNG NAI", "  dong   NAI "] {
        let found = search.search(&test.db, query, None, 10).await.unwrap();
        let first = found
            .first()
            .unwrap_or_else(|| panic!("nothing for {query}"));
        assert_eq!(
            (first.code.as_str(), first.name.as_str()),
            ("75", "Tỉnh Đồng Nai"),
            "{query}"
        );
        assert!(first.is_current());
    }
    let communes = search
        .search(&test.db, "an hoi tay", Some(UnitLevel::Commune), 5)
        .await
        .unwrap();
    assert_eq!(communes[0].name, "Phường An Hội Tây");
    assert!(communes.iter().all(|u| u.level() == UnitLevel::Commune));
    // Wildcards in the query are matched literally; blank queries find nothing.
    assert!(
        search
            .search(&test.db, "%", None, 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        search
            .search(&test.db, "   ", None, 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        units::search_by_sql_like(&test.db, "%", 5)
            .await
            .unwrap()
            .is_empty()
    );

    // The in-memory index ranks exactly as the SQL scan does.
    for query in [
        "dong nai",
        "xa an",
        "phuong 1",
        "ha",
        "quan go vap",
        "dak",
        "zzz",
    ] {
        let fast = search.search(&test.db, query, None, 30).await.unwrap();
        let scan = units::search_by_sql_like(&test.db, query, 30)
            .await
            .unwrap();
        assert_eq!(fast, scan, "{query}");
    }

    // A load by anyone (here: another handle) is seen by the next search.
    let added = "# ocop-units 1\nunit\tcommune\t99009\tXã Mới Toanh\txa\t75\t2026-01-01\t\t\n";
    assert!(
        search
            .search(&test.db, "moi toanh", None, 5)
            .await
            .unwrap()
            .is_empty()
    );
    units::load(&test.db, added, "added.tsv", &mut |_, _| {})
        .await
        .unwrap();
    let found = search.search(&test.db, "moi toanh", None, 5).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].code, "99009");
}

#[tokio::test]
async fn codes_resolve_by_date_and_successions_link_both_ways() {
    let test = TestDb::with_units().await;
    let now = units::find_by_code(&test.db, "26882", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.name, "Phường An Hội Tây");
    assert_eq!(now.valid_from, Some(date("2025-07-01")));
    let before = units::find_by_code(&test.db, "26882", Some(date("2025-06-30")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.name, "Phường 14");
    assert_eq!(before.kind, UnitKind::Phuong);
    let district = units::find_by_id(&test.db, before.parent_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(district.name, "Quận Gò Vấp");
    assert_eq!(district.level(), UnitLevel::District);

    let predecessors = units::predecessors(&test.db, now.id).await.unwrap();
    let names: Vec<&str> = predecessors.iter().map(|u| u.name.as_str()).collect();
    assert!(
        names.contains(&"Phường 12") && names.contains(&"Phường 14"),
        "{names:?}"
    );
    let successors = units::successors(&test.db, before.id).await.unwrap();
    assert_eq!(successors, vec![now.clone()]);

    // Old Bình Dương (74) went into Thành phố Hồ Chí Minh (79).
    let binh_duong = units::find_by_code(&test.db, "74", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(binh_duong.valid_to, Some(date("2025-06-30")));
    let into = units::successors(&test.db, binh_duong.id).await.unwrap();
    assert_eq!(
        into.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(),
        vec!["79"]
    );

    assert!(
        units::find_by_code(&test.db, "nope", None)
            .await
            .unwrap()
            .is_none()
    );
    let hcm = units::find_by_code(&test.db, "79", None)
        .await
        .unwrap()
        .unwrap();
    let communes = units::communes_with_predecessors(&test.db, hcm.id)
        .await
        .unwrap();
    assert_eq!(
        communes.len(),
        units::children(&test.db, hcm.id).await.unwrap().len()
    );
    let an_hoi_tay = communes.iter().find(|c| c.commune.code == "26882").unwrap();
    assert_eq!(an_hoi_tay.predecessors.len(), predecessors.len());
}

#[tokio::test]
async fn import_updates_changed_units_and_refuses_malformed_files_whole() {
    let test = TestDb::with_units().await;
    let before = units::counts(&test.db).await.unwrap();
    let renamed = "# ocop-units 1\n\
unit\tprovince\t75\tTỉnh Đồng Nai Mới\ttinh\t\t2025-07-01\t\t202/2025/QH15\n\
unit\tcommune\t99001\tXã Thử Nghiệm\txa\t75\t2026-01-01\t\tNQ thử\n";
    let report = units::load(&test.db, renamed, "renamed.tsv", &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!((report.inserted, report.updated), (1, 1));
    let dong_nai = units::find_by_code(&test.db, "75", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dong_nai.name, "Tỉnh Đồng Nai Mới");
    assert_eq!(
        units::UnitSearch::default()
            .search(&test.db, "thu nghiem", None, 5)
            .await
            .unwrap()
            .len(),
        1
    );

    // The third line is broken: nothing of the file is written, not even its good first line.
    let broken = "# ocop-units 1\n\
unit\tcommune\t99002\tXã Hai\txa\t75\t2026-01-01\t\t\n\
unit\tcommune\t99003\tXã Ba\thamlet\t75\t2026-01-01\t\t\n";
    let error = units::load(&test.db, broken, "broken.tsv", &mut |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::UnitsFile { .. }));
    assert_eq!(
        error.to_string(),
        "broken.tsv: line 3: unknown kind `hamlet`"
    );
    assert!(
        units::find_by_code(&test.db, "99002", None)
            .await
            .unwrap()
            .is_none()
    );

    // A parent may be a stored unit; one that exists nowhere refuses the file.
    let into_stored = "# ocop-units 1\nunit\tcommune\t99004\tXã Bốn\txa\t79\t2026-01-01\t\t\n";
    units::load(&test.db, into_stored, "stored.tsv", &mut |_, _| {})
        .await
        .unwrap();
    let added = units::find_by_code(&test.db, "99004", None)
        .await
        .unwrap()
        .unwrap();
    let hcm = units::find_by_code(&test.db, "79", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(added.parent_id, Some(hcm.id));
    let orphan = "# ocop-units 1\n\nunit\tcommune\t99005\tXã Năm\txa\t98\t2026-01-01\t\t\n";
    let error = units::load(&test.db, orphan, "orphan.tsv", &mut |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "orphan.tsv: line 3: unit 99005 (Xã Năm): parent 98 is neither in the file nor in the database for the same period"
    );

    let after = units::counts(&test.db).await.unwrap();
    assert_eq!(after.communes, before.communes + 2);
}
