//! Files on disk, content-addressed: a file's SHA-256 is its name, so identical uploads are
//! stored once and nothing a user types becomes a path. The database keeps the size and the
//! content type found by looking at the bytes.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use ocop_domain::files::{FileKind, is_sha256_hex, sniff};

use crate::clock::now_ms;
use crate::{Db, StoreError, on_db};

/// The default upload limit: 20 MB.
pub const DEFAULT_MAX_BYTES: usize = 20 * 1024 * 1024;

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: i64,
    pub kind: FileKind,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is {size} bytes; at most {max} are accepted")]
    TooLarge { size: usize, max: usize },
    #[error("the file is empty")]
    Empty,
    #[error("only PDF, JPEG, PNG, DOCX and XLSX files are accepted (judged by their content)")]
    UnsupportedType,
    #[error("cannot write the file: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where files live, and how large they may be.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    max_bytes: usize,
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>, max_bytes: usize) -> FileStore {
        FileStore {
            dir: dir.into(),
            max_bytes,
        }
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The path of a stored file; `None` for anything that is not a SHA-256.
    fn path_for(&self, sha256: &str) -> Option<PathBuf> {
        is_sha256_hex(sha256).then(|| self.dir.join(&sha256[..2]).join(&sha256[2..]))
    }

    /// Checks and stores bytes; storing the same bytes again changes nothing.
    pub async fn put(&self, db: &Db, bytes: &[u8]) -> Result<StoredFile, FileError> {
        if bytes.is_empty() {
            return Err(FileError::Empty);
        }
        if bytes.len() > self.max_bytes {
            return Err(FileError::TooLarge {
                size: bytes.len(),
                max: self.max_bytes,
            });
        }
        let kind = sniff(bytes).ok_or(FileError::UnsupportedType)?;
        self.put_as(db, bytes, kind).await
    }

    /// Stores bytes whose kind the caller has decided (an import's CSV, which no content
    /// tells); the size limit still holds.
    pub async fn put_as(
        &self,
        db: &Db,
        bytes: &[u8],
        kind: FileKind,
    ) -> Result<StoredFile, FileError> {
        if bytes.is_empty() {
            return Err(FileError::Empty);
        }
        if bytes.len() > self.max_bytes {
            return Err(FileError::TooLarge {
                size: bytes.len(),
                max: self.max_bytes,
            });
        }
        let sha256: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = self.path_for(&sha256).expect("a SHA-256 in hex");
        if !path.exists() {
            write_atomically(&path, bytes).await?;
        }
        let size = bytes.len() as i64;
        on_db!(db, |pool| sqlx::query(
            "INSERT INTO files (sha256, size, content_type, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sha256) DO NOTHING"
        )
        .bind(&sha256)
        .bind(size)
        .bind(kind.content_type())
        .bind(now_ms())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
        .map_err(StoreError::from)?;
        Ok(StoredFile { sha256, size, kind })
    }

    /// A stored file's record and bytes; `None` if there is no such file.
    pub async fn get(
        &self,
        db: &Db,
        sha256: &str,
    ) -> Result<Option<(StoredFile, Vec<u8>)>, FileError> {
        let Some(path) = self.path_for(sha256) else {
            return Ok(None);
        };
        let row: Option<(i64, String)> = on_db!(db, |pool| sqlx::query_as(
            "SELECT size, content_type FROM files WHERE sha256 = $1"
        )
        .bind(sha256)
        .fetch_optional(pool)
        .await)
        .map_err(StoreError::from)?;
        let Some((size, content_type)) = row else {
            return Ok(None);
        };
        let kind = FileKind::from_content_type(&content_type).ok_or(FileError::UnsupportedType)?;
        let bytes = tokio::fs::read(&path).await?;
        Ok(Some((
            StoredFile {
                sha256: sha256.to_string(),
                size,
                kind,
            },
            bytes,
        )))
    }
}

/// Writes to a temporary name beside the target, then renames: a reader never sees half a file.
async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("files live in a sub-directory");
    tokio::fs::create_dir_all(dir).await?;
    let temporary = dir.join(format!(".{}.partial", crate::clock::new_id()));
    tokio::fs::write(&temporary, bytes).await?;
    tokio::fs::rename(&temporary, path).await
}
