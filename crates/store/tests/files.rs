//! Content-addressed file storage: stored once, checked by content, limited in size.

use ocop_domain::files::FileKind;
use ocop_store::files::{FileError, FileStore};
use ocop_store::on_db;
use ocop_store::testing::TestDb;

fn files_in(dir: &std::path::Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test]
async fn identical_uploads_are_stored_once_and_disguises_are_refused() {
    let test = TestDb::with_units().await;
    let dir = std::env::temp_dir().join(format!("ocop_files_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = FileStore::new(&dir, 64);

    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";
    let first = store.put(&test.db, pdf).await.unwrap();
    let again = store.put(&test.db, pdf).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(first.kind, FileKind::Pdf);
    assert_eq!(first.size, pdf.len() as i64);
    assert_eq!(files_in(&dir), 1, "one file on disk");
    let rows: i64 = on_db!(&test.db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM files"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(rows, 1);
    let (stored, bytes) = store.get(&test.db, &first.sha256).await.unwrap().unwrap();
    assert_eq!((stored, bytes.as_slice()), (first.clone(), &pdf[..]));
    let on_disk = walk(&dir)[0].clone();
    assert!(on_disk.ends_with(format!("{}/{}", &first.sha256[..2], &first.sha256[2..])));

    assert!(matches!(
        store.put(&test.db, &[b'%'; 65]).await,
        Err(FileError::TooLarge { size: 65, max: 64 })
    ));
    assert!(matches!(
        store.put(&test.db, b"MZ\x90\x00 not a pdf").await,
        Err(FileError::UnsupportedType)
    ));
    assert!(matches!(
        store.put(&test.db, b"").await,
        Err(FileError::Empty)
    ));
    assert_eq!(files_in(&dir), 1, "nothing written for refused files");

    assert!(
        store
            .get(&test.db, "../../etc/passwd")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get(&test.db, &"0".repeat(64))
            .await
            .unwrap()
            .is_none()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
