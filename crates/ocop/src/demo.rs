//! The demo dataset: what `ocop demo` and `ocop serve --demo` put in a database so that every
//! capability built so far can be seen at once: the administrative units (loaded with the
//! migrations) and one account per role, bound to Đồng Nai (75) and one of its communes. Each
//! later capability adds its records here, generated from the seed so that the same seed always
//! gives the same dataset.

use ocop_domain::access::Role;
use ocop_store::accounts::{self, AccountError, NewUser};
use ocop_store::{Db, StoreError, meta, units};

pub const DEFAULT_SEED: u64 = 2025;
const SEED_KEY: &str = "demo_seed";
/// The password of every demo account (README, "Demo logins").
pub const DEMO_PASSWORD: &str = "ocop-demo-2025";
const DEMO_PROVINCE: &str = "75";

/// Whether a demo dataset has been loaded into `db`.
pub async fn is_loaded(db: &Db) -> Result<bool, StoreError> {
    Ok(meta::get(db, SEED_KEY).await?.is_some())
}

/// The demo accounts: (e-mail, name, role, unit code).
async fn demo_accounts(
    db: &Db,
) -> Result<Vec<(&'static str, &'static str, Role, Option<String>)>, StoreError> {
    // The first commune of the province by code: stable for a given units file.
    let province = units::find_by_code(db, DEMO_PROVINCE, None).await?;
    let commune = match &province {
        Some(province) => {
            let mut communes = units::children(db, province.id).await?;
            communes.sort_by(|a, b| a.code.cmp(&b.code));
            communes.into_iter().next().map(|c| c.code)
        }
        None => None,
    };
    Ok(vec![
        (
            "admin@demo.ocop.vn",
            "Quản trị Hệ thống",
            Role::Administrator,
            None,
        ),
        (
            "trunguong@demo.ocop.vn",
            "Nguyễn Văn Trung",
            Role::CentralOfficer,
            None,
        ),
        (
            "tinh@demo.ocop.vn",
            "Trần Thị Tỉnh",
            Role::ProvincialOfficer,
            Some(DEMO_PROVINCE.to_string()),
        ),
        (
            "hoidong@demo.ocop.vn",
            "Lê Văn Hội",
            Role::CouncilMember,
            Some(DEMO_PROVINCE.to_string()),
        ),
        (
            "xa@demo.ocop.vn",
            "Phạm Thị Xã",
            Role::CommuneOfficer,
            commune,
        ),
    ])
}

/// Loads the demo dataset (idempotent: existing accounts are kept) and describes it.
pub async fn load(db: &Db, seed: u64) -> Result<String, StoreError> {
    units::ensure_bundled(db).await?;
    let mut created = 0;
    for (email, name, role, unit_code) in demo_accounts(db).await? {
        let new = NewUser {
            email: email.into(),
            name: name.into(),
            role,
            unit_code,
            entity_id: None,
            password: DEMO_PASSWORD.into(),
        };
        match accounts::create_user(db, new, "demo").await {
            Ok(_) => created += 1,
            Err(AccountError::DuplicateEmail(_)) => {}
            Err(AccountError::Store(error)) => return Err(error),
            // A demo account that breaks the account rules is a bug in this file.
            Err(error) => return Err(StoreError::Data(format!("demo account {email}: {error}"))),
        }
    }
    let mut tx = db.begin().await?;
    meta::set(&mut tx, SEED_KEY, &seed.to_string()).await?;
    tx.commit().await?;
    let counts = units::counts(db).await?;
    Ok(format!(
        "Demo dataset (seed {seed}): {} provinces and {} communes in force, {} former provinces, \
         {} former districts, {} former communes, {} old→new links; {created} demo accounts added \
         (password {DEMO_PASSWORD}).",
        counts.provinces,
        counts.communes,
        counts.legacy_provinces,
        counts.legacy_districts,
        counts.legacy_communes,
        counts.successions
    ))
}
