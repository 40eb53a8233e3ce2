//! Content-addressed file storage: stored once, checked by content, limited in size — the same
//! tests for a directory and for an S3-compatible object store (moto's server on 127.0.0.1).

use ocop_domain::files::FileKind;
use ocop_store::files::{FileError, FileStore};
use ocop_store::on_db;
use ocop_store::testing::{S3Server, TestDb};

/// How many files the database records.
async fn recorded(db: &ocop_store::Db) -> i64 {
    on_db!(db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM files")
        .fetch_one(pool)
        .await)
    .unwrap()
}

fn temporary_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ocop_files_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A fresh directory named `name` with a small tmpfs mounted on it with `options`; `None` where
/// this user may not mount (mounting needs root, as CI runs), and the case is then not run.
fn mounted_tmpfs(name: &str, options: &str) -> Option<std::path::PathBuf> {
    let dir = temporary_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", options, "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("cannot mount a file system here (not root): this case is not run");
    }
    mounted.then_some(dir)
}

/// What every file store must do, whatever holds the bytes.
async fn behaves_as_a_file_store(store: &FileStore, test: &TestDb) {
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";
    let first = store.put(&test.db, pdf).await.unwrap();
    let again = store.put(&test.db, pdf).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(first.kind, FileKind::Pdf);
    assert_eq!(first.size, pdf.len() as i64);
    assert_eq!(
        store.names().await.unwrap(),
        vec![first.sha256.clone()],
        "stored once"
    );
    let rows = recorded(&test.db).await;
    assert_eq!(rows, 1);
    let (stored, bytes) = store.get(&test.db, &first.sha256).await.unwrap().unwrap();
    assert_eq!((stored, bytes.as_slice()), (first.clone(), &pdf[..]));
    assert_eq!(store.bytes(&first.sha256).await.unwrap(), pdf);

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
    assert_eq!(
        store.names().await.unwrap().len(),
        1,
        "nothing written for refused files"
    );

    for name in ["../../etc/passwd", &"0".repeat(64)] {
        assert!(store.get(&test.db, name).await.unwrap().is_none(), "{name}");
    }
    // A file the database records whose bytes are gone is the storage's fault, said as such.
    let png = b"\x89PNG\r\n\x1a\n not really a picture";
    let recorded = store.put(&test.db, png).await.unwrap();
    let elsewhere = FileStore::new(temporary_dir("elsewhere"), 64);
    assert!(matches!(
        elsewhere.get(&test.db, &recorded.sha256).await,
        Err(FileError::Missing(name)) if name == recorded.sha256
    ));
    // A restore writes bytes under their own name.
    let restored = elsewhere.restore(png).await.unwrap();
    assert_eq!(restored, recorded.sha256);
    assert_eq!(elsewhere.bytes(&restored).await.unwrap(), png);
}

#[tokio::test]
async fn a_directory_stores_identical_uploads_once_and_refuses_disguises() {
    let test = TestDb::with_units().await;
    let dir = temporary_dir("directory");
    let store = FileStore::new(&dir, 64);
    behaves_as_a_file_store(&store, &test).await;
    // On disk as `ab/cdef…`, nothing else (no partial file left behind).
    let sha = &store.names().await.unwrap()[0];
    assert!(dir.join(&sha[..2]).join(&sha[2..]).is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_s3_object_store_passes_the_same_tests() {
    let test = TestDb::with_units().await;
    let server = S3Server::start("ocop-files");
    let store = server.files("installation/files", 64);
    store.check().await.unwrap();
    assert_eq!(store.location(), "s3://ocop-files/installation/files");
    behaves_as_a_file_store(&store, &test).await;
    // Another prefix of the same bucket is another store.
    assert!(server.files("other", 64).names().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_store_is_a_clear_error_and_records_nothing() {
    let test = TestDb::with_units().await;
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = FileStore::s3(
        "s3://nowhere/files",
        Some(&format!("http://127.0.0.1:{port}")),
        Some(("test", "test")),
        1 << 20,
    )
    .unwrap();
    assert!(matches!(
        store.check().await,
        Err(FileError::Unavailable(_))
    ));
    let pdf = b"%PDF-1.7\n%%EOF\n";
    assert!(matches!(
        store.put(&test.db, pdf).await,
        Err(FileError::Unavailable(_))
    ));
    let rows = recorded(&test.db).await;
    assert_eq!(rows, 0, "no record of a file that was not stored");
    assert!(matches!(
        FileStore::open("s3:///files", 1).unwrap_err(),
        FileError::Unavailable(message) if message.contains("bucket")
    ));
}

#[tokio::test]
async fn an_unwritable_directory_is_a_clear_error_and_records_nothing() {
    let test = TestDb::with_units().await;
    // A file where the directory should be: unwritable for every user, root included (who
    // writes into a read-only directory anyway).
    let dir = temporary_dir("unwritable");
    std::fs::write(&dir, b"not a directory").unwrap();
    let store = FileStore::new(&dir, 1 << 20);
    assert!(matches!(
        store.check().await,
        Err(FileError::Unavailable(_))
    ));
    assert!(matches!(
        store.put(&test.db, b"%PDF-1.7\n%%EOF\n").await,
        Err(FileError::Unavailable(_))
    ));
    let rows = recorded(&test.db).await;
    assert_eq!(rows, 0, "no record of a file that was not stored");
    let _ = std::fs::remove_file(&dir);
}

#[tokio::test]
async fn a_read_only_file_system_is_a_clear_error_and_records_nothing() {
    let test = TestDb::with_units().await;
    // A file system mounted read-only refuses root too (EROFS).
    let Some(dir) = mounted_tmpfs("read_only", "ro,size=64k") else {
        return;
    };
    let store = FileStore::new(&dir, 1 << 20);
    let checked = store.check().await;
    let refused = store.put(&test.db, b"%PDF-1.7\n%%EOF\n").await;
    let left = everything_under(&dir);
    let _ = std::process::Command::new("umount").arg(&dir).status();
    assert!(
        matches!(checked, Err(FileError::Unavailable(_))),
        "{checked:?}"
    );
    assert!(
        matches!(refused, Err(FileError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(left.is_empty(), "nothing written: {left:?}");
    assert_eq!(
        recorded(&test.db).await,
        0,
        "no record of a file that was not stored"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every file under `dir`, hidden ones included.
fn everything_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(everything_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn a_full_disk_is_a_clear_error_and_leaves_nothing_half_written() {
    let test = TestDb::with_units().await;
    // A real file system of 64 KiB.
    let Some(dir) = mounted_tmpfs("full_disk", "size=64k") else {
        return;
    };
    let store = FileStore::new(&dir, 1 << 20);
    let small = b"%PDF-1.7\n% fits\n%%EOF\n";
    let kept = store.put(&test.db, small).await.unwrap();
    let mut large = b"%PDF-1.7\n".to_vec();
    large.resize(200 * 1024, b'x');
    let refused = store.put(&test.db, &large).await;
    let left = everything_under(&dir);
    let _ = std::process::Command::new("umount").arg(&dir).status();
    assert!(
        matches!(&refused, Err(FileError::Unavailable(message)) if message.contains("space")),
        "{refused:?}"
    );
    assert_eq!(
        left,
        vec![dir.join(&kept.sha256[..2]).join(&kept.sha256[2..])],
        "the file stored before, and no half of the one refused"
    );
    let rows = recorded(&test.db).await;
    assert_eq!(rows, 1, "only the file that was stored is recorded");
    let _ = std::fs::remove_dir_all(&dir);
}
