//! The issuer's signing keys from the command line (`ocop keys generate|rotate|list`), the
//! installation's secret file they are sealed with, and the offline check of a scanned QR
//! (`ocop verify TEXT [--keys FILE]`).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use data_encoding::BASE64URL_NOPAD;
use ed25519_dalek::VerifyingKey;

use ocop_domain::certificates::payload::{self, PublicKey};
use ocop_store::Db;
use ocop_store::clock::today;
use ocop_store::keys::{self, InstallationSecret, KeyError};
use ocop_web::certificates::verify::KeysJson;

use crate::{DbArgs, UsageError, open_migrated};

#[derive(clap::Args, Clone)]
pub struct SecretArgs {
    /// The installation's secret (32 random bytes as hex) that seals the signing keys in the
    /// database. Every server of one installation reads the same file. Default: beside a SQLite
    /// database (`ocop.db` → `ocop.secret`), else `ocop.secret`.
    #[arg(long = "secret-file", env = "OCOP_SECRET_FILE")]
    pub path: Option<PathBuf>,
}

impl SecretArgs {
    /// The secret file for a database URL.
    pub fn path_for(&self, db_url: &str) -> PathBuf {
        if let Some(path) = &self.path {
            return path.clone();
        }
        let sqlite = db_url
            .strip_prefix("sqlite://")
            .or_else(|| db_url.strip_prefix("sqlite:"))
            .or_else(|| (!db_url.contains("://")).then_some(db_url));
        match sqlite {
            Some(file) => {
                Path::new(file.split('?').next().unwrap_or(file)).with_extension("secret")
            }
            None => PathBuf::from("ocop.secret"),
        }
    }
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create the installation's secret file (if missing) and the first signing key.
    Generate {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        secret: SecretArgs,
    },
    /// Make a new signing key active; the old one is retired and keeps verifying what it signed.
    Rotate {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        secret: SecretArgs,
    },
    /// List the keys with their validity.
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Print the public keys document (as /.well-known/ocop-keys.json serves it).
        #[arg(long)]
        json: bool,
        /// The issuer's address for the document.
        #[arg(long, env = "OCOP_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
}

/// Key problems the operator fixes: one line, exit 2.
pub fn usage(error: KeyError) -> anyhow::Error {
    match error {
        KeyError::Store(store) => store.into(),
        other => UsageError(other.to_string()).into(),
    }
}

/// Reads the secret, or creates it when `create` (the demo, `keys generate`).
pub fn secret(path: &Path, create: bool) -> anyhow::Result<InstallationSecret> {
    match InstallationSecret::read(path) {
        Err(KeyError::SecretMissing { .. }) if create => {
            let secret = InstallationSecret::generate(path).map_err(usage)?;
            eprintln!(
                "ocop: created the signing secret {} (keep it private; every server of this installation needs it)",
                path.display()
            );
            Ok(secret)
        }
        other => other.map_err(usage),
    }
}

/// Reads the secret of a database that may hold keys already. Then a missing file cannot be
/// made again (`keys generate` refuses, and a new secret opens nothing): it must be copied from
/// another server of the installation, which is what the one line says.
async fn installation_secret(
    db: &Db,
    path: &Path,
    create: bool,
) -> anyhow::Result<InstallationSecret> {
    if let Err(KeyError::SecretMissing { .. }) = InstallationSecret::read(path)
        && !keys::list(db).await.map_err(usage)?.is_empty()
    {
        return Err(UsageError(format!(
            "the signing secret {} is missing, and the signing keys in the database are sealed with it: copy the installation's secret file from another of its servers, or name it with --secret-file",
            path.display()
        ))
        .into());
    }
    secret(path, create)
}

/// The secret and an active key that opens with it, as `serve` needs them; the demo creates
/// both on first start.
pub async fn ready_signing(db: &Db, path: &Path, demo: bool) -> anyhow::Result<InstallationSecret> {
    let secret = installation_secret(db, path, demo).await?;
    match keys::active_signer(db, &secret).await {
        Ok(_) => Ok(secret),
        Err(KeyError::NoKey) if demo => {
            let id = keys::generate(db, &secret, today(), "demo")
                .await
                .map_err(usage)?;
            eprintln!("ocop: created signing key {id} for the demo");
            Ok(secret)
        }
        Err(error) => Err(usage(error)),
    }
}

pub async fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Generate { db, secret: args } => {
            let path = args.path_for(&db.url);
            let db = open_migrated(&db.url).await?;
            // Refused before the secret file is touched: a server that lacks the installation's
            // secret must not end up with a new one that opens nothing.
            let id = match keys::list(&db).await {
                Ok(list) if !list.is_empty() => Err(usage(KeyError::KeysExist)),
                Ok(_) => match secret(&path, true) {
                    Ok(secret) => keys::generate(&db, &secret, today(), "cli:keys-generate")
                        .await
                        .map_err(usage),
                    Err(error) => Err(error),
                },
                Err(error) => Err(usage(error)),
            };
            db.close().await;
            println!(
                "Signing key {} created, sealed with {}.",
                id?,
                path.display()
            );
            Ok(())
        }
        KeysCommand::Rotate { db, secret: args } => {
            let path = args.path_for(&db.url);
            let db = open_migrated(&db.url).await?;
            let id = match installation_secret(&db, &path, false).await {
                Ok(secret) => keys::rotate(&db, &secret, today(), "cli:keys-rotate")
                    .await
                    .map_err(usage),
                Err(error) => Err(error),
            };
            db.close().await;
            println!(
                "Signing key {} is now active; the previous key is retired and still verifies what it signed.",
                id?
            );
            Ok(())
        }
        KeysCommand::List {
            db,
            json,
            public_url,
        } => {
            let db = open_migrated(&db.url).await?;
            let list = keys::list(&db).await.map_err(usage);
            db.close().await;
            let list = list?;
            if json {
                let document = KeysJson::of(public_url.trim_end_matches('/'), &list);
                println!("{}", serde_json::to_string_pretty(&document)?);
                return Ok(());
            }
            if list.is_empty() {
                println!("No signing key: create one with `ocop keys generate`.");
            }
            for key in list {
                let state = match key.retired_on {
                    Some(day) => format!("retired {}", day.format("%d/%m/%Y")),
                    None => "active".into(),
                };
                println!(
                    "{:>3}  {}  from {}  {}",
                    key.id,
                    BASE64URL_NOPAD.encode(key.public_key.as_bytes()),
                    key.valid_from.format("%d/%m/%Y"),
                    state
                );
            }
            Ok(())
        }
    }
}

/// Reads a keys document (`/.well-known/ocop-keys.json`).
fn read_keys(path: &Path) -> anyhow::Result<Vec<PublicKey>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let document: KeysJson = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{} is not a keys document: {e}", path.display())))?;
    document
        .keys
        .iter()
        .map(|key| {
            let bytes: [u8; 32] = BASE64URL_NOPAD
                .decode(key.public_key.as_bytes())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| UsageError(format!("key {}: not a 32-byte public key", key.kid)))?;
            let public = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| UsageError(format!("key {}: not an ed25519 public key", key.kid)))?;
            let day = |text: &str| {
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| UsageError(format!("key {}: bad date {text}", key.kid)))
            };
            Ok(PublicKey {
                id: key.kid,
                key: public,
                valid_from: day(&key.valid_from)?,
                retired_on: key.retired_on.as_deref().map(day).transpose()?,
            })
        })
        .collect()
}

/// `ocop verify TEXT [--keys FILE]`: genuine or forged, and what it claims. Without `--keys` the
/// keys come from the database (an installation checking its own).
pub async fn verify(text: &str, keys_file: Option<&Path>, db: &DbArgs) -> anyhow::Result<()> {
    let keys = match keys_file {
        Some(path) => read_keys(path)?,
        None => {
            let db = open_migrated(&db.url).await?;
            let keys = keys::public_keys(&db).await.map_err(usage);
            db.close().await;
            keys?
        }
    };
    match payload::verify(text, &keys) {
        Ok(verified) => {
            let claims = &verified.claims;
            println!(
                "GENUINE: signed by the issuer's key {}{}",
                verified.key_id,
                if verified.key_retired {
                    " (retired since; still valid for what it signed)"
                } else {
                    ""
                }
            );
            println!("  certificate  {}", claims.number);
            println!("  product      {}", claims.product_code);
            println!("  entity       {}", claims.entity_code);
            println!("  stars        {}", claims.stars);
            println!("  issued       {}", claims.issued_on.format("%d/%m/%Y"));
            println!("  expires      {}", claims.expires_on.format("%d/%m/%Y"));
            println!("Offline, a signature cannot tell a revocation: check the status online.");
            Ok(())
        }
        Err(error) => Err(Forged(error.to_string()).into()),
    }
}

/// A payload that does not verify: exit code 1 with the reason.
#[derive(Debug)]
pub struct Forged(pub String);

impl std::fmt::Display for Forged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FORGED: {}", self.0)
    }
}

impl std::error::Error for Forged {}
