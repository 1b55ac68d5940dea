//! Gatehouse's store on SQLite: one file (or one in-memory database) per server, opened in WAL
//! mode with foreign keys on. Implements every trait of [`gatehouse_store::Store`] with plain
//! runtime-checked `sqlx` queries and translates SQLite errors into [`StoreError`]s.
//!
//! Writes that read before they write run in `BEGIN IMMEDIATE` transactions, so concurrent
//! writers queue on SQLite's busy timeout instead of failing with "database is locked".
#![warn(missing_docs)]

mod admins;
mod applications;
mod assertions;
mod devices;
mod error;
mod grants;
mod hot;
mod interactions;
mod json;
mod keys;
mod pats;
mod resources;
mod revocations;
mod tenants;
#[cfg(feature = "testing")]
pub mod testing;
mod throttle;
mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use gatehouse_store::{Store, StoreError, StoreResult};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::hot::HotConnections;

pub use gatehouse_store::StoreOptions;

/// How long a statement waits for another connection's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Store`] on a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Connections for the hot reads; `None` for an in-memory database (see [`hot`]).
    hot: Option<Arc<HotConnections>>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url`: `sqlite:///absolute/path.db`,
    /// `sqlite://relative/path.db` or `sqlite::memory:`. An in-memory database is held by a
    /// single connection that is never recycled, so every call sees the same data.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::Other(
                "a SQLite database URL starts with sqlite:".to_owned(),
            ));
        }
        let in_memory = is_in_memory(url);
        let mut connect = SqliteConnectOptions::from_str(url)
            .map_err(error::from_sqlx)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal);
        if !in_memory {
            connect = connect.journal_mode(SqliteJournalMode::Wal);
        }
        let pool = SqlitePoolOptions::new()
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(false);
        let pool = if in_memory {
            // The database lives as long as its connection: keep exactly one, forever.
            pool.max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            pool.max_connections(options.max_connections.max(1))
        };
        let hot = (!in_memory).then(|| {
            Arc::new(HotConnections::new(
                connect.clone(),
                options.max_connections,
                options.acquire_timeout,
            ))
        });
        let pool = pool.connect_with(connect).await.map_err(error::from_sqlx)?;
        Ok(Self { pool, hot })
    }

    /// Applies the migrations this build knows that the database has not seen yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(|err| error::from_sqlx(err.into()))
    }

    /// Closes every connection; later calls fail with `Unavailable`. For graceful shutdown.
    pub async fn close(&self) {
        if let Some(hot) = &self.hot {
            hot.close().await;
        }
        self.pool.close().await;
    }

    /// Begins a transaction that takes the write lock at once (see the module doc).
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error::from_sqlx)
    }
}

/// Whether the URL names an in-memory database (`:memory:` or `mode=memory`).
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The page size a `PageRequest` asks for, clamped to 1..=200.
fn page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, 200))
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(error::from_sqlx)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
