//! Files, content-addressed: a file's SHA-256 is its name, so identical uploads are stored
//! once and nothing a user types becomes a path. The database keeps the size and the content
//! type found by looking at the bytes. The bytes live in a directory of this machine (the
//! default, one server) or in an S3-compatible object store (several servers), behind this one
//! interface; both lay files out as `ab/cdef…` under their root.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
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
    /// The directory or the object store cannot be written or read (full, read-only,
    /// unreachable); nothing of the file was recorded.
    #[error("the file storage is unavailable: {0}")]
    Unavailable(String),
    /// The stored bytes of a recorded file are missing.
    #[error("the stored file {0} is missing")]
    Missing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<std::io::Error> for FileError {
    fn from(error: std::io::Error) -> FileError {
        FileError::Unavailable(error.to_string())
    }
}

impl From<object_store::Error> for FileError {
    fn from(error: object_store::Error) -> FileError {
        FileError::Unavailable(error.to_string())
    }
}

/// Where files live, and how large they may be.
#[derive(Debug, Clone)]
pub struct FileStore {
    backend: Backend,
    max_bytes: usize,
}

#[derive(Clone)]
enum Backend {
    /// A directory of this machine.
    Directory(PathBuf),
    /// An S3-compatible bucket, under a prefix (`s3://bucket/prefix`).
    Objects {
        store: Arc<dyn ObjectStore>,
        prefix: String,
        location: String,
    },
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Directory(dir) => write!(f, "directory {}", dir.display()),
            Backend::Objects { location, .. } => write!(f, "object store {location}"),
        }
    }
}

impl FileStore {
    /// Files in a directory of this machine.
    pub fn new(dir: impl Into<PathBuf>, max_bytes: usize) -> FileStore {
        FileStore {
            backend: Backend::Directory(dir.into()),
            max_bytes,
        }
    }

    /// Files where `location` says: `s3://bucket/prefix` for an S3-compatible object store (its
    /// endpoint, region and credentials from the usual `AWS_*` variables: `AWS_ENDPOINT_URL`,
    /// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`), anything else a directory.
    pub fn open(location: &str, max_bytes: usize) -> Result<FileStore, FileError> {
        if !location.starts_with("s3://") {
            return Ok(FileStore::new(location, max_bytes));
        }
        let endpoint = std::env::var("AWS_ENDPOINT_URL")
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .ok();
        FileStore::s3(location, endpoint.as_deref(), None, max_bytes)
    }

    /// Files in an S3-compatible object store at `location` (`s3://bucket/prefix`), reached at
    /// `endpoint` (AWS itself when `None`), with `keys` (access key id, secret) or those of the
    /// environment.
    pub fn s3(
        location: &str,
        endpoint: Option<&str>,
        keys: Option<(&str, &str)>,
        max_bytes: usize,
    ) -> Result<FileStore, FileError> {
        let rest = location.strip_prefix("s3://").unwrap_or(location);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(FileError::Unavailable(format!(
                "{location}: name a bucket, as s3://bucket/prefix"
            )));
        }
        // A request a person waits for: a few quick retries, then a clear "unavailable".
        let retry = object_store::RetryConfig {
            backoff: object_store::BackoffConfig::default(),
            max_retries: 2,
            retry_timeout: std::time::Duration::from_secs(10),
        };
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_retry(retry);
        if let Some(endpoint) = endpoint.filter(|e| !e.is_empty()) {
            // A plain-HTTP endpoint is one the operator named (a store on the local network).
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some((key_id, secret)) = keys {
            builder = builder
                .with_access_key_id(key_id)
                .with_secret_access_key(secret)
                .with_region("us-east-1");
        }
        let store = builder
            .build()
            .map_err(|error| FileError::Unavailable(format!("{location}: {error}")))?;
        Ok(FileStore {
            backend: Backend::Objects {
                store: Arc::new(store),
                prefix: prefix.trim_matches('/').to_string(),
                location: location.to_string(),
            },
            max_bytes,
        })
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Where the files are, for people: the directory or `s3://bucket/prefix`.
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Directory(dir) => dir.display().to_string(),
            Backend::Objects { location, .. } => location.clone(),
        }
    }

    /// Checks that the storage answers (a server says so when it starts, not at the first
    /// upload): the directory is created and written to (a read-only one is refused now, not at
    /// someone's first upload), the bucket listed.
    pub async fn check(&self) -> Result<(), FileError> {
        match &self.backend {
            Backend::Directory(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let probe = dir.join(format!(".{}.probe", crate::clock::new_id()));
                tokio::fs::write(&probe, b"").await?;
                Ok(tokio::fs::remove_file(&probe).await?)
            }
            Backend::Objects { store, prefix, .. } => {
                use futures_util::StreamExt as _;
                let root = ObjectPath::from(prefix.as_str());
                let mut listing = store.list(Some(&root));
                match listing.next().await {
                    Some(Err(error)) => Err(error.into()),
                    _ => Ok(()),
                }
            }
        }
    }

    /// The name of a stored file under the root; `None` for anything that is not a SHA-256.
    fn key_for(sha256: &str) -> Option<(String, String)> {
        is_sha256_hex(sha256).then(|| (sha256[..2].to_string(), sha256[2..].to_string()))
    }

    fn object_path(prefix: &str, (dir, name): &(String, String)) -> ObjectPath {
        if prefix.is_empty() {
            ObjectPath::from(format!("{dir}/{name}"))
        } else {
            ObjectPath::from(format!("{prefix}/{dir}/{name}"))
        }
    }

    /// Writes bytes under their name unless they are there already.
    async fn write(&self, sha256: &str, bytes: &[u8]) -> Result<(), FileError> {
        let key = FileStore::key_for(sha256).expect("a SHA-256 in hex");
        match &self.backend {
            Backend::Directory(root) => {
                let path = root.join(&key.0).join(&key.1);
                if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
                    write_atomically(&path, bytes).await?;
                }
                Ok(())
            }
            Backend::Objects { store, prefix, .. } => {
                let path = FileStore::object_path(prefix, &key);
                match store.head(&path).await {
                    Ok(_) => Ok(()),
                    Err(object_store::Error::NotFound { .. }) => {
                        // An object appears whole or not at all: a reader never sees half.
                        store.put(&path, bytes.to_vec().into()).await?;
                        Ok(())
                    }
                    Err(error) => Err(error.into()),
                }
            }
        }
    }

    /// The bytes stored under a name.
    async fn read(&self, sha256: &str) -> Result<Vec<u8>, FileError> {
        let key = FileStore::key_for(sha256).expect("a SHA-256 in hex");
        let missing = || FileError::Missing(sha256.to_string());
        match &self.backend {
            Backend::Directory(root) => {
                match tokio::fs::read(root.join(&key.0).join(&key.1)).await {
                    Ok(bytes) => Ok(bytes),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(missing()),
                    Err(error) => Err(error.into()),
                }
            }
            Backend::Objects { store, prefix, .. } => {
                let path = FileStore::object_path(prefix, &key);
                match store.get(&path).await {
                    Ok(found) => Ok(found.bytes().await?.to_vec()),
                    Err(object_store::Error::NotFound { .. }) => Err(missing()),
                    Err(error) => Err(error.into()),
                }
            }
        }
    }

    /// Every stored file's name, for a backup (files the database does not record included).
    pub async fn names(&self) -> Result<Vec<String>, FileError> {
        let mut names = Vec::new();
        match &self.backend {
            Backend::Directory(root) => {
                let mut dirs = match tokio::fs::read_dir(root).await {
                    Ok(dirs) => dirs,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        return Ok(names);
                    }
                    Err(error) => return Err(error.into()),
                };
                while let Some(dir) = dirs.next_entry().await? {
                    let head = dir.file_name().to_string_lossy().into_owned();
                    if !dir.file_type().await?.is_dir() {
                        continue;
                    }
                    let mut files = tokio::fs::read_dir(dir.path()).await?;
                    while let Some(file) = files.next_entry().await? {
                        let name = format!("{head}{}", file.file_name().to_string_lossy());
                        if is_sha256_hex(&name) {
                            names.push(name);
                        }
                    }
                }
            }
            Backend::Objects { store, prefix, .. } => {
                use futures_util::StreamExt as _;
                let root = ObjectPath::from(prefix.as_str());
                let mut listing = store.list(Some(&root));
                while let Some(meta) = listing.next().await {
                    let meta = meta?;
                    let parts: Vec<_> = meta.location.parts().collect();
                    if let [.., dir, file] = parts.as_slice() {
                        let name = format!("{}{}", dir.as_ref(), file.as_ref());
                        if is_sha256_hex(&name) {
                            names.push(name);
                        }
                    }
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// The bytes of a stored file by name, unchecked against the database (backups).
    pub async fn bytes(&self, sha256: &str) -> Result<Vec<u8>, FileError> {
        if !is_sha256_hex(sha256) {
            return Err(FileError::Missing(sha256.to_string()));
        }
        self.read(sha256).await
    }

    /// Writes bytes under their own SHA-256 (a restore); the name is checked against them.
    pub async fn restore(&self, bytes: &[u8]) -> Result<String, FileError> {
        let sha256 = sha256_hex(bytes);
        self.write(&sha256, bytes).await?;
        Ok(sha256)
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
        let sha256 = sha256_hex(bytes);
        self.write(&sha256, bytes).await?;
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
        if !is_sha256_hex(sha256) {
            return Ok(None);
        }
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
        let bytes = self.read(sha256).await?;
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

/// The stored file of a generated document, by the digest of what it is made from.
pub async fn kept_document(db: &Db, key: &str) -> Result<Option<String>, StoreError> {
    Ok(on_db!(db, |pool| sqlx::query_scalar(
        "SELECT file_sha256 FROM generated_documents WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await)?)
}

/// Remembers that the document made from `key` is the stored file `sha256` (the first server
/// to record it wins; the same inputs make the same bytes anyway).
pub async fn keep_document(db: &Db, key: &str, sha256: &str) -> Result<(), StoreError> {
    on_db!(db, |pool| sqlx::query(
        "INSERT INTO generated_documents (key, file_sha256, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO NOTHING"
    )
    .bind(key)
    .bind(sha256)
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The hex SHA-256 of some bytes: a stored file's name.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes to a temporary name beside the target, then renames: a reader never sees half a file.
async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("files live in a sub-directory");
    tokio::fs::create_dir_all(dir).await?;
    let temporary = dir.join(format!(".{}.partial", crate::clock::new_id()));
    let written = match tokio::fs::write(&temporary, bytes).await {
        Ok(()) => tokio::fs::rename(&temporary, path).await,
        Err(error) => Err(error),
    };
    if written.is_err() {
        // A full disk leaves half a file behind: it goes, so nothing half-written stays.
        let _ = tokio::fs::remove_file(&temporary).await;
    }
    written
}
