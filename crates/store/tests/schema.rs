//! The two backends' migrations must describe the same schema. The live comparison needs a
//! PostgreSQL server (`OCOP_TEST_DATABASE_URL`, set in CI's second run); the file check and the
//! SQLite side always run.

use std::collections::BTreeMap;

use ocop_store::testing::{TEST_DATABASE_URL, TestDb};
use ocop_store::{Db, DbKind};
use sqlx::Row;

/// table → column → (type, not null); plus the names of secondary indexes.
#[derive(Debug, PartialEq, Eq)]
struct Schema {
    columns: BTreeMap<String, BTreeMap<String, (String, bool)>>,
    indexes: Vec<String>,
}

/// One spelling per type across backends.
fn normalize_type(declared: &str) -> String {
    let lower = declared.to_lowercase();
    match lower.as_str() {
        "int8" | "bigint" => "bigint".into(),
        "int" | "int4" | "integer" => "integer".into(),
        "bool" | "boolean" => "boolean".into(),
        "timestamptz" | "timestamp with time zone" => "timestamptz".into(),
        "bytea" | "blob" => "blob".into(),
        other => other.into(),
    }
}

async fn schema(db: &Db) -> Schema {
    let mut columns: BTreeMap<String, BTreeMap<String, (String, bool)>> = BTreeMap::new();
    let mut indexes: Vec<String> = match db {
        Db::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for table in tables {
                let rows =
                    sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                        .bind(&table)
                        .fetch_all(pool)
                        .await
                        .unwrap();
                for row in rows {
                    let not_null: i64 = row.get("notnull");
                    let pk: i64 = row.get("pk");
                    columns.entry(table.clone()).or_default().insert(
                        row.get("name"),
                        (normalize_type(row.get("type")), not_null == 1 || pk > 0),
                    );
                }
            }
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'index' \
                 AND name NOT LIKE 'sqlite_autoindex%'",
            )
            .fetch_all(pool)
            .await
            .unwrap()
        }
        Db::Postgres(pool) => {
            let rows = sqlx::query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                 data_type::text AS data_type, is_nullable::text AS is_nullable \
                 FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for row in rows {
                let nullable: String = row.get("is_nullable");
                columns.entry(row.get("table_name")).or_default().insert(
                    row.get("column_name"),
                    (normalize_type(row.get("data_type")), nullable == "NO"),
                );
            }
            sqlx::query_scalar(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' \
                 AND indexname NOT LIKE '%_pkey' AND tablename <> '_sqlx_migrations'",
            )
            .fetch_all(pool)
            .await
            .unwrap()
        }
    };
    indexes.sort();
    Schema { columns, indexes }
}

#[test]
fn both_backends_have_the_same_migration_files() {
    let names = |backend: &str| -> Vec<String> {
        let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert!(!names("sqlite").is_empty());
    assert_eq!(names("sqlite"), names("postgres"));
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    // SQLite: always a file of its own, whatever the test database is.
    let path = std::env::temp_dir().join(format!("ocop_schema_{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let sqlite = Db::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    sqlite.migrate().await.unwrap();
    let sqlite_schema = schema(&sqlite).await;
    sqlite.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    assert!(sqlite_schema.columns.contains_key("units"));
    assert!(sqlite_schema.columns.contains_key("unit_successions"));

    if std::env::var(TEST_DATABASE_URL).map_or(true, |url| url.is_empty()) {
        eprintln!(
            "{TEST_DATABASE_URL} is not set: the PostgreSQL side is compared in CI's second run"
        );
        return;
    }
    let postgres = TestDb::empty().await;
    assert_eq!(postgres.kind(), DbKind::Postgres);
    postgres.db.migrate().await.unwrap();
    let postgres_schema = schema(&postgres.db).await;
    assert_eq!(sqlite_schema, postgres_schema);
}
