//! The demo dataset: what `ocop demo` and `ocop serve --demo` put in a database so that every
//! capability built so far can be seen at once. Today that is the administrative units (loaded
//! with the migrations); each later capability adds its records here, generated from the seed
//! so that the same seed always gives the same dataset.

use ocop_store::{Db, StoreError, meta, units};

pub const DEFAULT_SEED: u64 = 2025;
const SEED_KEY: &str = "demo_seed";

/// Whether a demo dataset has been loaded into `db`.
pub async fn is_loaded(db: &Db) -> Result<bool, StoreError> {
    Ok(meta::get(db, SEED_KEY).await?.is_some())
}

/// Loads the demo dataset (idempotent for a given seed) and describes what the database holds.
pub async fn load(db: &Db, seed: u64) -> Result<String, StoreError> {
    units::ensure_bundled(db).await?;
    let mut tx = db.begin().await?;
    meta::set(&mut tx, SEED_KEY, &seed.to_string()).await?;
    tx.commit().await?;
    let counts = units::counts(db).await?;
    Ok(format!(
        "Demo dataset (seed {seed}): {} provinces and {} communes in force, {} former provinces, \
         {} former districts, {} former communes, {} old→new links.",
        counts.provinces,
        counts.communes,
        counts.legacy_provinces,
        counts.legacy_districts,
        counts.legacy_communes,
        counts.successions
    ))
}
