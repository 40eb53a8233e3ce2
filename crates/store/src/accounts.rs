//! Accounts: users bound to a role and a unit, password login with throttling, server-side
//! sessions, and API tokens for machines. Secrets are stored only as hashes (argon2 for
//! passwords, SHA-256 for random tokens). Every change is audited.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sqlx::Row;

use ocop_domain::access::{Role, UnitBinding, check_password, normalize_email};
use ocop_domain::audit::Changes;

use crate::clock::{new_id, new_token, now_ms, token_hash};
use crate::{Db, StoreError, Tx, audit, on_db, on_tx, units};

/// Failed logins before an e-mail is locked, and for how long.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MS: i64 = 15 * 60 * 1000;
/// How long a session lasts without logging in again.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub entity_id: Option<String>,
    pub active: bool,
}

impl User {
    /// The records this account may see (a council member: only what its rounds hold).
    pub fn scope(&self) -> ocop_domain::access::Scope {
        ocop_domain::access::Scope::of_account(
            self.role,
            self.unit_code.as_deref(),
            self.entity_id.as_deref(),
            &self.id,
        )
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub entity_id: Option<String>,
    pub password: String,
}

/// Why an account could not be created or changed; each names the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("email: `{0}` is not an e-mail address")]
    InvalidEmail(String),
    #[error("email: an account with {0} already exists")]
    DuplicateEmail(String),
    #[error("password: {0}")]
    WeakPassword(String),
    #[error("unit: {0}")]
    Unit(String),
    #[error("name: a name is needed")]
    MissingName,
    #[error("current password: it is not right")]
    WrongPassword,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AccountError {
    /// The form field the error belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            AccountError::InvalidEmail(_) | AccountError::DuplicateEmail(_) => "email",
            AccountError::WeakPassword(_) => "password",
            AccountError::Unit(_) => "unit",
            AccountError::MissingName => "name",
            AccountError::WrongPassword => "current_password",
            AccountError::Store(_) => "",
        }
    }
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> AccountError {
        AccountError::Store(error.into())
    }
}

fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters cannot fail on a valid password")
        .to_string()
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash to compare against when the account does not exist, so that a wrong e-mail takes as
/// long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing"))
}

const USER_COLUMNS: &str = "id, email, name, role, unit_code, entity_id, active";

fn user_from_row<R: Row>(row: &R) -> Result<User, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "role".into(),
            source: format!("unknown role {role}").into(),
        })?,
        unit_code: row.try_get("unit_code")?,
        entity_id: row.try_get("entity_id")?,
        active: row.try_get("active")?,
    })
}

async fn fetch_user(
    db: &Db,
    column: &'static str,
    value: &str,
) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = $1");
    let user = on_db!(db, |pool| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    })?;
    Ok(user)
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<User>, StoreError> {
    fetch_user(db, "id", id).await
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, StoreError> {
    match normalize_email(email) {
        Some(email) => fetch_user(db, "email", &email).await,
        None => Ok(None),
    }
}

/// Every account, by e-mail (for administrators).
pub async fn list(db: &Db) -> Result<Vec<User>, StoreError> {
    let users = on_db!(db, |pool| {
        let rows = sqlx::query(
            "SELECT id, email, name, role, unit_code, entity_id, active FROM users ORDER BY email",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(users)
}

/// Checks that `unit_code` fits the role: a commune in force for commune officers, a province in
/// force for provincial officers and council members, nothing for national roles.
async fn check_binding(db: &Db, role: Role, unit_code: Option<&str>) -> Result<(), AccountError> {
    let wanted = match role.unit_level() {
        UnitBinding::Commune => ocop_domain::units::UnitLevel::Commune,
        UnitBinding::Province => ocop_domain::units::UnitLevel::Province,
        UnitBinding::National | UnitBinding::Entity => {
            return match unit_code {
                None => Ok(()),
                Some(_) => Err(AccountError::Unit(format!(
                    "a {role} is not bound to a unit"
                ))),
            };
        }
    };
    let Some(code) = unit_code else {
        return Err(AccountError::Unit(format!(
            "a {role} needs a {} code",
            wanted.as_str()
        )));
    };
    match units::find_by_code(db, code, None).await? {
        Some(unit) if unit.is_current() && unit.level() == wanted => Ok(()),
        Some(unit) if unit.is_current() => Err(AccountError::Unit(format!(
            "{code} is a {}, not a {}",
            unit.level().as_str(),
            wanted.as_str()
        ))),
        _ => Err(AccountError::Unit(format!(
            "{code} is not a {} in force",
            wanted.as_str()
        ))),
    }
}

/// An account checked against the rules and the database, ready to insert.
pub struct PreparedUser {
    user: User,
    password_hash: String,
}

/// Checks a new account (e-mail, name, password, unit binding, uniqueness) and hashes its
/// password, without writing anything.
pub async fn prepare_user(db: &Db, new: NewUser) -> Result<PreparedUser, AccountError> {
    let email =
        normalize_email(&new.email).ok_or_else(|| AccountError::InvalidEmail(new.email.clone()))?;
    let name = new.name.trim().to_string();
    if name.is_empty() {
        return Err(AccountError::MissingName);
    }
    check_password(&new.password).map_err(AccountError::WeakPassword)?;
    check_binding(db, new.role, new.unit_code.as_deref()).await?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(AccountError::DuplicateEmail(email));
    }
    Ok(PreparedUser {
        user: User {
            id: new_id(),
            email,
            name,
            role: new.role,
            unit_code: new.unit_code,
            entity_id: new.entity_id,
            active: true,
        },
        password_hash: hash_password(&new.password),
    })
}

impl PreparedUser {
    /// Binds the account to an entity made in the same transaction.
    pub fn with_entity(mut self, entity_id: &str) -> PreparedUser {
        self.user.entity_id = Some(entity_id.to_string());
        self
    }
}

/// Writes a prepared account inside the caller's transaction, with its audit record.
pub async fn insert_user(
    tx: &mut Tx,
    prepared: PreparedUser,
    actor: &str,
) -> Result<User, AccountError> {
    let PreparedUser {
        user,
        password_hash,
    } = prepared;
    let now = now_ms();
    let inserted = on_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO users (id, email, name, role, unit_code, entity_id, password_hash, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(&user.unit_code)
    .bind(&user.entity_id)
    .bind(&password_hash)
    .bind(true)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    });
    if let Err(error) = inserted {
        // Two administrators adding the same e-mail at once: the unique index decides.
        if error
            .as_database_error()
            .is_some_and(|e| e.is_unique_violation())
        {
            return Err(AccountError::DuplicateEmail(user.email));
        }
        return Err(error.into());
    }
    let changes = Changes::new()
        .created("email", &user.email)
        .created("name", &user.name)
        .created("role", user.role.as_str())
        .created("unit_code", &user.unit_code)
        .created("entity_id", &user.entity_id);
    audit::append(tx, actor, "user.create", "user", &user.id, &changes).await?;
    Ok(user)
}

/// Creates an account; `actor` is who does it (a user id, or `cli:user-add`).
pub async fn create_user(db: &Db, new: NewUser, actor: &str) -> Result<User, AccountError> {
    let prepared = prepare_user(db, new).await?;
    let mut tx = db.begin().await?;
    let user = insert_user(&mut tx, prepared, actor).await?;
    tx.commit().await?;
    Ok(user)
}

/// The result of a login attempt. `Invalid` is the same whether the account exists or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Success(User),
    Invalid,
    /// Too many failures for this e-mail: try again after the given time (ms).
    Locked {
        until_ms: i64,
    },
}

/// Checks an e-mail and password, counting attempts per e-mail (existing or not).
///
/// The attempt is counted *before* the password is checked, in one atomic statement, so that
/// neither parallel requests nor several servers get more than [`MAX_FAILURES`] guesses per
/// lock: the attempt that makes the count reach it sets the lock, later ones are refused
/// unchecked, and a success clears the count.
pub async fn authenticate(db: &Db, email: &str, password: &str) -> Result<Login, StoreError> {
    let key = normalize_email(email).unwrap_or_else(|| email.trim().to_lowercase());
    let now = now_ms();
    // A lock that has run out starts the count again; a running lock stays as it is.
    let (attempt, locked_until): (i64, Option<i64>) = on_db!(db, |pool| sqlx::query_as(
        "INSERT INTO login_throttle (email, failures, locked_until) VALUES ($1, 1, NULL) \
         ON CONFLICT (email) DO UPDATE SET \
           failures = CASE WHEN login_throttle.locked_until IS NOT NULL \
                            AND login_throttle.locked_until <= $2 THEN 1 \
                      ELSE login_throttle.failures + 1 END, \
           locked_until = CASE \
             WHEN login_throttle.locked_until IS NOT NULL AND login_throttle.locked_until > $2 \
               THEN login_throttle.locked_until \
             WHEN login_throttle.locked_until IS NULL AND login_throttle.failures + 1 >= $3 \
               THEN $4 \
             ELSE NULL END \
         RETURNING failures, locked_until"
    )
    .bind(&key)
    .bind(now)
    .bind(MAX_FAILURES)
    .bind(now + LOCK_MS)
    .fetch_one(pool)
    .await)?;
    if attempt > MAX_FAILURES {
        return Ok(Login::Locked {
            until_ms: locked_until.unwrap_or(now + LOCK_MS),
        });
    }
    let stored: Option<(String, String, bool)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, password_hash, active FROM users WHERE email = $1"
    )
    .bind(&key)
    .fetch_optional(pool)
    .await)?;
    let matched = match &stored {
        Some((id, hash, active)) => password_matches(password, hash) && *active && !id.is_empty(),
        None => {
            let _ = password_matches(password, decoy_hash());
            false
        }
    };
    if matched {
        on_db!(db, |pool| sqlx::query(
            "DELETE FROM login_throttle WHERE email = $1"
        )
        .bind(&key)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        let id = stored.map(|(id, ..)| id).unwrap_or_default();
        return Ok(match find_by_id(db, &id).await? {
            Some(user) => Login::Success(user),
            None => Login::Invalid,
        });
    }
    Ok(match locked_until {
        Some(until_ms) => Login::Locked { until_ms },
        None => Login::Invalid,
    })
}

/// A new session: (cookie token, CSRF token). Only the token's hash is stored.
pub async fn create_session(db: &Db, user: &User) -> Result<(String, String), StoreError> {
    let token = new_token();
    let csrf = new_token();
    let now = now_ms();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(token_hash(&token))
    .bind(&user.id)
    .bind(&csrf)
    .bind(now)
    .bind(now + SESSION_MS)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    audit::append(
        &mut tx,
        &user.id,
        "session.login",
        "user",
        &user.id,
        &Changes::new(),
    )
    .await?;
    tx.commit().await?;
    Ok((token, csrf))
}

/// The active user of a live session, with the session's CSRF token.
pub async fn session_user(db: &Db, token: &str) -> Result<Option<(User, String)>, StoreError> {
    let row: Option<(String, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT user_id, csrf_token FROM sessions WHERE token_hash = $1 AND expires_at > $2"
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(pool)
    .await)?;
    let Some((user_id, csrf)) = row else {
        return Ok(None);
    };
    Ok(find_by_id(db, &user_id)
        .await?
        .filter(|user| user.active)
        .map(|user| (user, csrf)))
}

/// Ends a session.
pub async fn end_session(db: &Db, token: &str, user: &User) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| sqlx::query(
        "DELETE FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash(token))
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    audit::append(
        &mut tx,
        &user.id,
        "session.logout",
        "user",
        &user.id,
        &Changes::new(),
    )
    .await?;
    tx.commit().await
}

/// Changes a password after checking the current one; other sessions of the user end.
pub async fn change_password(
    db: &Db,
    user: &User,
    current: &str,
    new: &str,
    keep_session: &str,
) -> Result<(), AccountError> {
    let stored: String = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT password_hash FROM users WHERE id = $1"
    )
    .bind(&user.id)
    .fetch_one(pool)
    .await)?;
    if !password_matches(current, &stored) {
        return Err(AccountError::WrongPassword);
    }
    check_password(new).map_err(AccountError::WeakPassword)?;
    let hash = hash_password(new);
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| sqlx::query(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3"
    )
    .bind(&hash)
    .bind(now_ms())
    .bind(&user.id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    on_tx!(&mut tx, |conn| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2"
    )
    .bind(&user.id)
    .bind(token_hash(keep_session))
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    // The audit says the password changed, never what it is.
    let changes = Changes::new().field("password", "(set)", "(changed)");
    audit::append(
        &mut tx,
        &user.id,
        "user.password_change",
        "user",
        &user.id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Turns an account on or off. Turning it off ends its sessions and stops its API tokens from
/// working (a token acts only for an active account). `false`: no change was needed.
pub async fn set_active(db: &Db, id: &str, active: bool, actor: &str) -> Result<bool, StoreError> {
    let Some(user) = find_by_id(db, id).await? else {
        return Ok(false);
    };
    if user.active == active {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| sqlx::query(
        "UPDATE users SET active = $1, updated_at = $2 WHERE id = $3"
    )
    .bind(active)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    if !active {
        on_tx!(&mut tx, |conn| sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1"
        )
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
    }
    let changes = Changes::new().field("active", user.active, active);
    audit::append(&mut tx, actor, "user.set_active", "user", id, &changes).await?;
    tx.commit().await?;
    Ok(true)
}

/// A machine token for `user`; the token is shown once, only its hash is kept.
pub async fn create_api_token(
    db: &Db,
    user: &User,
    name: &str,
    actor: &str,
) -> Result<(String, String), StoreError> {
    let id = new_id();
    let token = format!("ocop_{}", new_token());
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(&id)
    .bind(&user.id)
    .bind(name)
    .bind(token_hash(&token))
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    let changes = Changes::new()
        .created("name", name)
        .created("user_id", &user.id);
    audit::append(
        &mut tx,
        actor,
        "api_token.create",
        "api_token",
        &id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// Revokes a token; `false` if there was no such live token.
pub async fn revoke_api_token(db: &Db, id: &str, actor: &str) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let revoked = on_tx!(&mut tx, |conn| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    if revoked == 0 {
        return Ok(false);
    }
    let changes = Changes::new().field("revoked", false, true);
    audit::append(
        &mut tx,
        actor,
        "api_token.revoke",
        "api_token",
        id,
        &changes,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The active user behind a live API token.
pub async fn api_token_user(db: &Db, token: &str) -> Result<Option<User>, StoreError> {
    let user_id: Option<String> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
    )
    .bind(token_hash(token))
    .fetch_optional(pool)
    .await)?;
    match user_id {
        Some(id) => Ok(find_by_id(db, &id).await?.filter(|user| user.active)),
        None => Ok(None),
    }
}
