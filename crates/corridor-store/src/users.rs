//! Users, their tokens (random, stored as argon2 hashes) and the audit log.
//!
//! A token is `<id>.<secret>`: the id finds the user's row, the secret is
//! checked against the stored hash. Tokens carry 192 random bits, so argon2's
//! cost guards against a stolen database, not against guessing; a light
//! setting keeps every request cheap.

use argon2::password_hash::PasswordVerifier;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
use sqlx::Row;

use crate::{Result, Store, StoreError, now_ms, on_pool};

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Coordinator,
    /// Registration, boarding and no-shows at one gathering point.
    Registrar,
    /// One vehicle's manifest and its movements.
    Driver,
    /// Aggregates and vehicle movements; never a household reference.
    Monitor,
}

impl Role {
    /// As written on the command line and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Registrar => "registrar",
            Role::Driver => "driver",
            Role::Monitor => "monitor",
        }
    }

    /// Reads a role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "coordinator" => Some(Role::Coordinator),
            "registrar" => Some(Role::Registrar),
            "driver" => Some(Role::Driver),
            "monitor" => Some(Role::Monitor),
            _ => None,
        }
    }
}

/// A user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Unique name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// A registrar's gathering point.
    pub site: Option<String>,
    /// A driver's vehicle.
    pub vehicle: Option<String>,
    /// When the token stops working (ms since 1970).
    pub expires_ms: Option<i64>,
    /// When it was revoked.
    pub revoked_ms: Option<i64>,
}

fn hasher() -> Argon2<'static> {
    // 4 MiB, one pass: tokens are random, not passwords people choose.
    let params = Params::new(4096, 1, 1, Some(32)).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| StoreError::Invalid(format!("no randomness from the system: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// A unique id for an audit entry that sorts by time.
pub(crate) fn audit_id(at_ms: i64) -> Result<String> {
    Ok(format!("{:016x}-{}", at_ms, random_hex(6)?))
}

/// The argon2 hash of a token's secret.
pub fn hash_token(secret: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StoreError::Invalid(format!("no randomness from the system: {e}")))?;
    hasher()
        .hash_password_with_salt(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash the token: {e}")))
}

/// Whether `secret` matches `hash` (argon2's comparison is constant-time).
pub fn verify_token(secret: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => hasher().verify_password(secret.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// One audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// When (ms since 1970, server clock).
    pub at_ms: i64,
    /// Who (user name, or `anonymous`).
    pub actor: String,
    /// Their role.
    pub role: String,
    /// What they did or tried (`POST /api/events`, `users add`, ...).
    pub action: String,
    /// On what.
    pub target: String,
    /// From where (address, or `command line`).
    pub origin: String,
    /// `ok`, `refused: ...`.
    pub outcome: String,
}

/// A user from the columns `name, role, site, vehicle, expires_ms, revoked_ms` (on either database).
macro_rules! user_row {
    ($r:expr) => {{
        let role: String = $r.try_get(1)?;
        User {
            name: $r.try_get(0)?,
            role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("unknown role `{role}`")))?,
            site: $r.try_get(2)?,
            vehicle: $r.try_get(3)?,
            expires_ms: $r.try_get(4)?,
            revoked_ms: $r.try_get(5)?,
        }
    }};
}

impl Store {
    /// Adds a user and returns their token, shown once.
    pub async fn add_user(&self, name: &str, role: Role, site: Option<&str>, vehicle: Option<&str>, expires_ms: Option<i64>) -> Result<String> {
        if name.trim().is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return Err(StoreError::Invalid("a user name is 1 to 100 printable characters".into()));
        }
        let token_id = random_hex(8)?;
        let secret = random_hex(24)?;
        let hash = hash_token(&secret)?;
        let now = now_ms();
        let res = on_pool!(&self.db, p => sqlx::query("INSERT INTO users (name, role, site, vehicle, token_id, token_hash, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(name).bind(role.as_str()).bind(site).bind(vehicle).bind(&token_id).bind(&hash).bind(now).bind(expires_ms)
            .execute(p).await.map(|r| r.rows_affected()));
        match res {
            Ok(_) => {}
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                return Err(StoreError::Invalid(format!(
                    "there is already a user named `{name}`; revoke it first (`corridor users revoke {name}`) or choose another name"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(format!("{token_id}.{secret}"))
    }

    /// Revokes a user's token. Returns false when there is no such user.
    pub async fn revoke_user(&self, name: &str) -> Result<bool> {
        let n = on_pool!(&self.db, p => sqlx::query("UPDATE users SET revoked_ms = $1 WHERE name = $2 AND revoked_ms IS NULL")
            .bind(now_ms()).bind(name).execute(p).await?.rows_affected());
        if n == 0 {
            // Revoked before, or unknown: say which.
            return Ok(self.users().await?.iter().any(|u| u.name == name));
        }
        Ok(true)
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>> {
        Ok(on_pool!(&self.db, p => {
            let rows = sqlx::query("SELECT name, role, site, vehicle, expires_ms, revoked_ms FROM users ORDER BY name").fetch_all(p).await?;
            let mut out = Vec::new();
            for r in &rows {
                out.push(user_row!(r));
            }
            out
        }))
    }

    /// The user a token belongs to, with the stored hash to check the secret against.
    /// `None` for a token no user holds.
    pub async fn token_user(&self, token_id: &str) -> Result<Option<(User, String)>> {
        Ok(on_pool!(&self.db, p => {
            let row = sqlx::query("SELECT name, role, site, vehicle, expires_ms, revoked_ms, token_hash FROM users WHERE token_id = $1").bind(token_id).fetch_optional(p).await?;
            match row {
                None => None,
                Some(r) => Some((user_row!(r), r.try_get::<String, _>(6)?)),
            }
        }))
    }

    /// Appends an audit entry.
    pub async fn audit(&self, e: &AuditEntry) -> Result<()> {
        let id = audit_id(e.at_ms)?;
        on_pool!(&self.db, p => sqlx::query("INSERT INTO audit (id, at_ms, actor, role, action, target, origin, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id).bind(e.at_ms).bind(&e.actor).bind(&e.role).bind(&e.action).bind(&e.target).bind(&e.origin).bind(&e.outcome)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The audit log, oldest first, at most `limit` entries from `offset`.
    pub async fn audit_log(&self, offset: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        Ok(on_pool!(&self.db, p => {
            let rows = sqlx::query("SELECT at_ms, actor, role, action, target, origin, outcome FROM audit ORDER BY at_ms, id LIMIT $1 OFFSET $2").bind(limit).bind(offset).fetch_all(p).await?;
            let mut out = Vec::new();
            for r in &rows {
                out.push(AuditEntry {
                    at_ms: r.try_get(0)?,
                    actor: r.try_get(1)?,
                    role: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    origin: r.try_get(5)?,
                    outcome: r.try_get(6)?,
                });
            }
            out
        }))
    }
}
