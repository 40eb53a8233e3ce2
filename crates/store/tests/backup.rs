//! Backups taken while writes go on, restored into a fresh database: every record, file and
//! audit record found, the chain intact; a damaged backup or a used database refused.

use chrono::NaiveDate;
use ocop_domain::access::Scope;
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_store::backup::{self, BackupError};
use ocop_store::files::FileStore;
use ocop_store::testing::TestDb;
use ocop_store::{Db, audit, registry};

async fn product(db: &Db, n: u32) -> String {
    let entity = registry::create(
        db,
        &check_entity(
            &EntityForm {
                kind: "cooperative".into(),
                registration_code: format!("HTX-BK-{n}"),
                name: format!("Hợp tác xã Sao Lưu {n}"),
                representative: "Trần Thị Lan".into(),
                address: "Ấp 3".into(),
                commune_code: "26882".into(),
                ..EntityForm::default()
            },
            NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        )
        .unwrap(),
        EntityStatus::Confirmed,
        "t",
    )
    .await
    .unwrap();
    registry::add_product(
        db,
        &Scope::National,
        &entity.id,
        &check_product(
            &ProductForm {
                name: format!("Mật ong rừng {n}"),
                product_set: "P01".into(),
                description: "Mật ong".into(),
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
    .unwrap()
    .id
}

fn temporary(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("ocop_backup_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    path
}

fn pdf(n: u32) -> Vec<u8> {
    format!("%PDF-1.7\n% evidence {n}\n%%EOF\n").into_bytes()
}

#[tokio::test]
async fn a_backup_taken_while_writing_restores_whole_into_a_fresh_database() {
    let source = TestDb::with_units().await;
    let files = FileStore::new(temporary("files"), 1 << 20);
    for n in 0..20 {
        product(&source.db, n).await;
        files.put(&source.db, &pdf(n)).await.unwrap();
    }
    // Writers go on during the backup: products with their audit records, and files.
    let writer = {
        let (db, files) = (source.db.clone(), files.clone());
        tokio::spawn(async move {
            for n in 100..160 {
                product(&db, n).await;
                files.put(&db, &pdf(n)).await.unwrap();
            }
        })
    };
    let dir = temporary("dir");
    let manifest = backup::backup(&source.db, source.url(), &files, &dir)
        .await
        .unwrap();
    writer.await.unwrap();
    assert!(manifest.audit_seq >= 40, "{manifest:?}");
    assert!(manifest.files >= 20);

    // A backup goes into a directory of its own.
    assert!(matches!(
        backup::backup(&source.db, source.url(), &files, &dir).await,
        Err(BackupError::Refused(_))
    ));

    let target = TestDb::empty().await;
    target.db.close().await;
    let restored_files = FileStore::new(temporary("restored_files"), 1 << 20);
    let restored = backup::restore(&dir, target.url(), &restored_files)
        .await
        .unwrap();
    assert_eq!(restored.audit_seq, manifest.audit_seq);
    assert_eq!(restored.files, manifest.files);
    assert!(restored.products >= 20, "{restored:?}");

    // The copy holds exactly what the trail says: one product per two records (entity, product).
    let db = Db::connect(target.url()).await.unwrap();
    assert_eq!(audit::verify(&db).await.unwrap(), Ok(manifest.audit_seq));
    assert_eq!(restored.products * 2, manifest.audit_seq);
    assert_eq!(audit::head(&db).await.unwrap().1, manifest.audit_hash);
    // Every file the copy records is readable from the restored storage.
    let recorded: Vec<String> =
        ocop_store::on_db!(&db, |pool| sqlx::query_scalar("SELECT sha256 FROM files")
            .fetch_all(pool)
            .await)
        .unwrap();
    assert!(recorded.len() >= 20);
    for sha in &recorded {
        assert!(
            restored_files.get(&db, sha).await.unwrap().is_some(),
            "{sha}"
        );
    }
    db.close().await;

    // Into a database that already has tables: refused, nothing written.
    assert!(matches!(
        backup::restore(&dir, source.url(), &restored_files).await,
        Err(BackupError::Refused(message)) if message.contains("already has tables")
    ));
    // A damaged copy of the database: refused before anything is written.
    let copy = dir.join(&manifest.database_file);
    let mut bytes = std::fs::read(&copy).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&copy, bytes).unwrap();
    let fresh = TestDb::empty().await;
    fresh.db.close().await;
    assert!(matches!(
        backup::restore(&dir, fresh.url(), &restored_files).await,
        Err(BackupError::Refused(message)) if message.contains("SHA-256")
    ));
    // Not a backup at all.
    assert!(matches!(
        backup::restore(&temporary("nothing"), fresh.url(), &restored_files).await,
        Err(BackupError::Refused(message)) if message.contains("manifest.json")
    ));
    for name in ["files", "dir", "restored_files"] {
        let _ = std::fs::remove_dir_all(temporary(name));
    }
}
