//! The operation's database: the append-only event log, the imported registry,
//! plans, users and the audit log, on an embedded SQLite file or a PostgreSQL server.
//!
//! Only this crate speaks SQL. Both databases get the same schema from the same
//! migrations (`migrations/`). The database is the only state: a [`Journal`]
//! keeps an in-memory fold of the log, but brings it up to the log's head before
//! every read and, under the database's write lock, before every write, so
//! several server processes on one PostgreSQL database never disagree.
//!
//! ```no_run
//! # async fn f() -> Result<(), corridor_store::StoreError> {
//! let store = corridor_store::Store::open_dir(std::path::Path::new("operation")).await?;
//! assert!(store.operation_name().await?.is_none()); // a new store
//! # Ok(()) }
//! ```

mod journal;
mod personal;
#[cfg(feature = "testing")]
pub mod testing;
mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlSafeStr};

pub use journal::{Answer, Journal, OUT_OF_SPACE, PlanReader, Submitted};
pub use personal::{Keyring, day_of};
pub use users::{AuditEntry, Role, User, hash_token, verify_token};

/// The SQLite file inside a data directory.
pub const DB_FILE: &str = "corridor.db";

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed; usually worth retrying.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The request cannot be carried out as asked; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// The stored data contradicts itself.
    #[error("the store is damaged: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether a client should try again later (the database was unavailable, full or busy).
    pub fn retryable(&self) -> bool {
        matches!(self, StoreError::Database(_))
    }

    /// Whether the database failed for want of disk space (SQLite's `SQLITE_FULL`,
    /// PostgreSQL's `disk_full`, or the system's "no space left on device").
    pub fn out_of_space(&self) -> bool {
        let StoreError::Database(e) = self else { return false };
        match e {
            sqlx::Error::Database(d) => {
                let code = d.code();
                let code = code.as_deref().unwrap_or("");
                // SQLite reports the primary code in the low byte of an extended code.
                let sqlite_full = code.parse::<i32>().is_ok_and(|c| c & 0xff == 13);
                sqlite_full || code == "53100" || d.message().to_lowercase().contains("no space left")
            }
            sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28),
            other => other.to_string().to_lowercase().contains("no space left"),
        }
    }
}

/// Result with [`StoreError`].
pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code on whichever pool the store has: the SQL is shared, the
/// types are the backend's.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            crate::Db::Sqlite($pool) => $body,
            crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// A connection to the operation's database.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    /// Where the store lives, for messages.
    pub location: String,
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "operation".into(),
            MigrationType::Simple,
            include_str!("../migrations/0001_operation.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "personal".into(),
            MigrationType::Simple,
            include_str!("../migrations/0002_personal.sql").into_sql_str(),
            false,
        ),
    ])
}

/// Milliseconds since 1970 by the server's clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Store {
    /// Opens (creating if needed) the embedded store in `dir`: SQLite in WAL mode with
    /// full synchronous commits, so a commit is on disk before a client hears "recorded".
    pub async fn open_dir(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Invalid(format!("cannot create the data directory {}: {e}", dir.display())))?;
        let file = dir.join(DB_FILE);
        // SQLite takes an empty file for a new database; a store cut to nothing must not
        // come back as a new, empty operation.
        if std::fs::metadata(&file).is_ok_and(|m| m.len() == 0) {
            return Err(StoreError::Corrupt(format!(
                "{} is empty (0 bytes): the store was truncated or never written; restore it from a backup, or delete the file to start a new store",
                file.display()
            )));
        }
        let options = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // Deleted rows (erased personal data) are overwritten, not left in free pages.
            .pragma("secure_delete", "on")
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(d) => StoreError::Corrupt(format!(
                    "{} is not a Corridor store SQLite can open ({d}); restore it from a backup or use a new --data directory",
                    file.display()
                )),
                e => StoreError::Database(e),
            })?;
        let store = Store {
            db: Db::Sqlite(pool),
            location: file.display().to_string(),
        };
        store.check_integrity().await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to a PostgreSQL database (`postgres://user:password@host:port/db`).
    pub async fn open_url(url: &str) -> Result<Store> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Invalid(format!("`{}` is not a PostgreSQL address: {e}", redact(url))))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let store = Store {
            db: Db::Postgres(pool),
            location: redact(url),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens `--data DIR` or `--database URL`.
    pub async fn open(dir: Option<&Path>, url: Option<&str>) -> Result<Store> {
        match (dir, url) {
            (Some(d), None) => Store::open_dir(d).await,
            (None, Some(u)) => Store::open_url(u).await,
            _ => Err(StoreError::Invalid("give either --data DIR or --database URL".into())),
        }
    }

    async fn migrate(&self) -> Result<()> {
        let m = migrator();
        on_pool!(&self.db, p => m.run(p).await)?;
        Ok(())
    }

    /// A SQLite file that is truncated or damaged is refused, never served.
    async fn check_integrity(&self) -> Result<()> {
        if let Db::Sqlite(p) = &self.db {
            let rows = sqlx::query("PRAGMA quick_check").fetch_all(p).await.map_err(|e| {
                StoreError::Corrupt(format!("{}: {e}; restore it from a backup", self.location))
            })?;
            let first: String = rows.first().and_then(|r| r.try_get(0).ok()).unwrap_or_default();
            if first != "ok" {
                return Err(StoreError::Corrupt(format!(
                    "{} fails SQLite's integrity check ({first}); restore it from a backup",
                    self.location
                )));
            }
        }
        Ok(())
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        on_pool!(&self.db, p => p.close().await);
    }

    /// A value of the `meta` table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        let row = on_pool!(&self.db, p => sqlx::query("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(p).await?.map(|r| r.try_get::<String, _>(0)).transpose()?);
        Ok(row)
    }

    /// The name of the operation's scenario, `None` on a new store.
    pub async fn operation_name(&self) -> Result<Option<String>> {
        self.meta("scenario").await
    }

    /// The scenario's files as imported: (path relative to the scenario file's folder, bytes).
    /// The scenario file itself is named by `meta.scenario_file`.
    pub async fn scenario_files(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = on_pool!(&self.db, p => {
            let rows = sqlx::query("SELECT path, body FROM scenario_files ORDER BY path").fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<Vec<u8>, _>(1)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Imports the registry on a new store: the scenario's name, its files and the
    /// first plan, in one transaction, so a store is either new or complete.
    pub async fn import(&self, name: &str, scenario_file: &str, files: &[(String, Vec<u8>)], plan: Option<(&str, &str)>) -> Result<()> {
        let now = now_ms();
        macro_rules! body {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                let exists = sqlx::query("SELECT value FROM meta WHERE key = 'scenario'").fetch_optional(&mut *tx).await?;
                if exists.is_some() {
                    return Err(StoreError::Invalid("this store already holds an operation".into()));
                }
                for (k, v) in [("scenario", name), ("scenario_file", scenario_file), ("created_ms", &now.to_string())] {
                    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)").bind(k).bind(v).execute(&mut *tx).await?;
                }
                for (path, body) in files {
                    sqlx::query("INSERT INTO scenario_files (path, body) VALUES ($1, $2)").bind(path).bind(body).execute(&mut *tx).await?;
                }
                if let Some((id, body)) = plan {
                    sqlx::query("INSERT INTO plans (id, created_ms, created_by, body) VALUES ($1, $2, $3, $4)")
                        .bind(id).bind(now).bind("import").bind(body).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }};
        }
        on_pool!(&self.db, p => body!(p));
        Ok(())
    }

    /// Adds a plan (its JSON file text). Activating it is an event in the log.
    pub async fn add_plan(&self, id: &str, body: &str, by: &str) -> Result<()> {
        on_pool!(&self.db, p => sqlx::query("INSERT INTO plans (id, created_ms, created_by, body) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(now_ms()).bind(by).bind(body).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every plan: (id, plan file text), oldest first.
    pub async fn plans(&self) -> Result<Vec<(String, String)>> {
        Ok(on_pool!(&self.db, p => {
            let rows = sqlx::query("SELECT id, body FROM plans ORDER BY created_ms, id").fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Every plan's id, creation time (ms since 1970) and author, oldest first.
    pub async fn plan_rows(&self) -> Result<Vec<(String, i64, String)>> {
        Ok(on_pool!(&self.db, p => {
            let rows = sqlx::query("SELECT id, created_ms, created_by FROM plans ORDER BY created_ms, id").fetch_all(p).await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?, r.try_get::<String, _>(2)?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Events after `seq`, in log order: (seq, stored JSON body), at most `limit`.
    pub async fn events_after(&self, seq: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        Ok(on_pool!(&self.db, p => {
            let rows = sqlx::query("SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2").bind(seq).bind(limit).fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Every event row with its verdict, in log order: (seq, id, verdict, body).
    pub async fn event_rows(&self) -> Result<Vec<(i64, String, String, String)>> {
        Ok(on_pool!(&self.db, p => {
            let rows = sqlx::query("SELECT seq, id, verdict, body FROM events ORDER BY seq").fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?, r.try_get::<String, _>(2)?, r.try_get::<String, _>(3)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        }))
    }
}

/// Creates database `name` on the PostgreSQL server of `url` (whose role may create
/// databases) and returns the new database's address. For tests and set-up scripts.
pub async fn create_database(url: &str, name: &str) -> Result<String> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Invalid(format!("`{name}` is not a plain database name")));
    }
    let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await?;
    pool.close().await;
    let base = match url.rfind('/') {
        Some(i) if i > url.find("://").map_or(0, |s| s + 2) => &url[..i],
        _ => url,
    };
    let query = url.find('?').map(|q| &url[q..]).unwrap_or("");
    Ok(format!("{base}/{name}{query}"))
}

/// A database address without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            let user = cred.split(':').next().unwrap_or("");
            format!("{}{user}:***@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Files of a scenario, read for import, relative to its folder.
pub fn relative_path(dir: &Path, path: &Path) -> Option<String> {
    let rel: PathBuf = path.strip_prefix(dir).ok()?.to_path_buf();
    if rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        return None;
    }
    Some(rel.to_string_lossy().replace('\\', "/"))
}
