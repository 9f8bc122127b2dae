//! Personal fields at rest: encrypted apart from the log, erasable by day.
//!
//! The operator's key file (32 random bytes, never in the database) wraps one
//! data key per day of registration (by the server's clock, UTC); each
//! registration's name, phone and note are sealed with XChaCha20-Poly1305 under
//! that day's key, bound to the event's id. A copied database file or dump
//! holds no readable name; erasing a day deletes its key and its rows, and
//! the counts and movements in the log stay.

use std::collections::HashMap;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use corridor_ops::Personal;
use sqlx::Row;

use crate::{Result, Store, StoreError, on_pool};

/// The operator's key.
#[derive(Clone)]
pub struct Keyring {
    master: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(…)")
    }
}

const HEADER: &str = "corridor-key-v1 ";

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StoreError::Invalid(format!("no randomness from the system: {e}")))?;
    Ok(b)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The UTC date of a time in ms since 1970, as `YYYY-MM-DD`.
pub fn day_of(ms: i64) -> String {
    let (y, m, d) = corridor_core::civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

impl Keyring {
    /// Reads the key file, or creates it (readable by its owner only) when it does not exist.
    /// Returns whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Keyring, bool)> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Keyring::parse(&text, path)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let master = random::<32>()?;
                let text = format!("{HEADER}{}\n", hex(&master));
                let mut o = std::fs::OpenOptions::new();
                o.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    o.mode(0o600);
                }
                let mut f = o
                    .open(path)
                    .map_err(|e| StoreError::Invalid(format!("cannot create the key file {}: {e}", path.display())))?;
                std::io::Write::write_all(&mut f, text.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| StoreError::Invalid(format!("cannot write the key file {}: {e}", path.display())))?;
                Ok((Keyring { master }, true))
            }
            Err(e) => Err(StoreError::Invalid(format!("cannot read the key file {}: {e}", path.display()))),
        }
    }

    /// Reads an existing key file.
    pub fn load(path: &Path) -> Result<Keyring> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            StoreError::Invalid(format!("cannot read the key file {}: {e}; personal fields cannot be read without it", path.display()))
        })?;
        Keyring::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Keyring> {
        let bad = || StoreError::Invalid(format!("{} is not a Corridor key file (it starts `{HEADER}` and 64 hex digits)", path.display()));
        let h = text.trim().strip_prefix(HEADER.trim_end()).ok_or_else(bad)?.trim();
        if h.len() != 64 {
            return Err(bad());
        }
        let mut master = [0u8; 32];
        for (i, b) in master.iter_mut().enumerate() {
            *b = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Keyring { master })
    }

    fn seal(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        let nonce = random::<24>()?;
        let c = XChaCha20Poly1305::new(key.into())
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
            .map_err(|_| StoreError::Invalid("encryption failed".into()))?;
        Ok((nonce.to_vec(), c))
    }

    fn open(key: &[u8; 32], aad: &[u8], nonce: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if nonce.len() != 24 {
            return None;
        }
        XChaCha20Poly1305::new(key.into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
            .ok()
    }

    /// A new data key for `day`, wrapped: (key, stored bytes = nonce ‖ ciphertext).
    pub(crate) fn new_day_key(&self, day: &str) -> Result<([u8; 32], Vec<u8>)> {
        let key = random::<32>()?;
        let (nonce, c) = Keyring::seal(&self.master, day.as_bytes(), &key)?;
        Ok((key, [nonce, c].concat()))
    }

    /// Unwraps a stored day key.
    pub(crate) fn day_key(&self, day: &str, wrapped: &[u8]) -> Result<[u8; 32]> {
        let (nonce, c) = wrapped.split_at(wrapped.len().min(24));
        let k = Keyring::open(&self.master, day.as_bytes(), nonce, c).ok_or_else(|| {
            StoreError::Invalid(format!("the key file does not open the data key of {day}: it is not this store's key file"))
        })?;
        k.try_into().map_err(|_| StoreError::Corrupt(format!("the data key of {day} has the wrong length")))
    }

    /// Seals a registration's personal fields under a day key.
    pub(crate) fn seal_personal(key: &[u8; 32], event_id: &str, p: &Personal) -> Result<(Vec<u8>, Vec<u8>)> {
        let plain = serde_json::to_vec(p).map_err(|e| StoreError::Invalid(e.to_string()))?;
        Keyring::seal(key, event_id.as_bytes(), &plain)
    }
}

/// A row of personal data, decrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalRow {
    /// The household.
    pub household: String,
    /// The registration event's id.
    pub event_id: String,
    /// The fields.
    pub personal: Personal,
}

impl Store {
    /// Every stored registration's personal fields that the key file opens, oldest first
    /// (rows whose day key was erased are gone with it).
    pub async fn personal_rows(&self, keys: &Keyring, household: Option<&str>) -> Result<Vec<PersonalRow>> {
        let key_rows: Vec<(String, Vec<u8>)> = on_pool!(&self.db, p => {
            let rows = sqlx::query("SELECT day, wrapped FROM data_keys").fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<Vec<u8>, _>(1)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        let mut day_keys = HashMap::new();
        for (day, wrapped) in key_rows {
            day_keys.insert(day.clone(), keys.day_key(&day, &wrapped)?);
        }
        let rows: Vec<(String, String, String, Vec<u8>, Vec<u8>)> = on_pool!(&self.db, p => {
            // Two statements, not one with `$1 = '' OR …`: that form keeps the planner off the
            // household index and a family-links lookup would scan the whole log.
            let rows = match household {
                Some(h) => sqlx::query("SELECT p.household, p.event_id, p.day, p.nonce, p.sealed FROM personal p JOIN events e ON e.id = p.event_id WHERE p.household = $1 ORDER BY e.seq")
                    .bind(h)
                    .fetch_all(p)
                    .await?,
                None => sqlx::query("SELECT p.household, p.event_id, p.day, p.nonce, p.sealed FROM personal p JOIN events e ON e.id = p.event_id ORDER BY e.seq")
                    .fetch_all(p)
                    .await?,
            };
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        let mut out = Vec::new();
        for (h, id, day, nonce, sealed) in rows {
            let Some(k) = day_keys.get(&day) else { continue };
            let plain = Keyring::open(k, id.as_bytes(), &nonce, &sealed)
                .ok_or_else(|| StoreError::Corrupt(format!("the personal fields of event {id} do not open")))?;
            let personal: Personal = serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(format!("event {id}: {e}")))?;
            out.push(PersonalRow { household: h, event_id: id, personal });
        }
        Ok(out)
    }

    /// Destroys the personal fields of registrations received before `day` (`YYYY-MM-DD`):
    /// their day keys and their sealed rows. Returns (days, rows) erased.
    pub async fn erase_before(&self, day: &str) -> Result<(u64, u64)> {
        let (k, r) = on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let r = sqlx::query("DELETE FROM personal WHERE day < $1").bind(day).execute(&mut *tx).await?.rows_affected();
            let k = sqlx::query("DELETE FROM data_keys WHERE day < $1").bind(day).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            (k, r)
        });
        // Nothing of the deleted rows may stay behind in the files.
        match &self.db {
            crate::Db::Sqlite(p) => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(p).await?;
            }
            crate::Db::Postgres(p) => {
                sqlx::query("VACUUM personal").execute(p).await?;
                sqlx::query("VACUUM data_keys").execute(p).await?;
            }
        }
        Ok((k, r))
    }
}

