//! Gatehouse's store on PostgreSQL, shared by every replica of a deployment. Implements every
//! trait of [`gatehouse_store::Store`] with plain runtime-checked `sqlx` queries and translates
//! PostgreSQL errors into [`StoreError`]s: unique and foreign key violations become
//! `Conflict`, lost connections and timeouts become `Unavailable` (the server answers 503).
//!
//! The pool reconnects by itself when the database comes back; calls made while it is away
//! fail after at most the acquire timeout. The hot reads run on a few connections of their own
//! that recover the same way (see `hot`).
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

use async_trait::async_trait;
use gatehouse_store::{Store, StoreError, StoreResult};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::hot::HotConnections;

pub use gatehouse_store::StoreOptions;

/// A [`Store`] on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Connections for the hot reads (see [`hot`]).
    hot: Arc<HotConnections>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=...`). Fails with
    /// `Unavailable` when the server cannot be reached within `options.acquire_timeout`.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Other(
                "a PostgreSQL database URL starts with postgres:// or postgresql://".to_owned(),
            ));
        }
        let connect = PgConnectOptions::from_str(url)
            .map_err(error::from_sqlx)?
            .application_name("gatehouse");
        let hot = Arc::new(HotConnections::new(
            connect.clone(),
            options.max_connections,
            options.acquire_timeout,
        ));
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            // A connection broken while idle fails one call with `Unavailable` and is dropped;
            // checking every connection before use would cost a round trip per call.
            .test_before_acquire(false)
            .connect_with(connect)
            .await
            .map_err(error::from_sqlx)?;
        Ok(Self { pool, hot })
    }

    /// Applies the migrations this build knows that the database has not seen yet. Holds
    /// PostgreSQL's advisory lock meanwhile, so replicas starting together migrate once.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(|err| error::from_sqlx(err.into()))
    }

    /// Closes every connection; later calls fail with `Unavailable`. For graceful shutdown.
    pub async fn close(&self) {
        self.hot.close().await;
        self.pool.close().await;
    }
}

/// The page size a `PageRequest` asks for, clamped to 1..=200.
fn page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, 200))
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        // An idle connection broken by an outage fails one call and is dropped. The hot reads
        // no longer cycle through the pool, so after the database comes back such connections
        // could fail readiness checks one by one: try past them, then on a fresh connection.
        let mut attempts = self.pool.size().max(1);
        loop {
            let idle_before = self.pool.num_idle();
            let err = match sqlx::query("SELECT 1").execute(&self.pool).await {
                Ok(_) => return Ok(()),
                // Waiting for a connection already took the whole acquire timeout: answer.
                Err(err @ sqlx::Error::PoolTimedOut) => return Err(error::from_sqlx(err)),
                Err(err) => error::from_sqlx(err),
            };
            if !(matches!(err, StoreError::Unavailable(_)) && idle_before > 0 && attempts > 0) {
                return Err(err);
            }
            attempts -= 1;
        }
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
