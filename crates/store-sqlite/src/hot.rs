//! A few long-lived connections reserved for the hot read calls (`find_client`,
//! `is_token_revoked`, `token_state`) that run on every token, introspection and Management API
//! request.
//!
//! They bypass the `sqlx` pool because the pool pings every connection it takes back (a round
//! trip to the connection's worker thread), which costs more than the query itself. Each slot
//! connects lazily with the pool's own options; a connection that fails with an error meaning
//! "broken" (whatever maps to `Unavailable`) is dropped, and the slot's next user reconnects.
//! An in-memory database never uses them: a second connection would open a second, empty
//! database.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use gatehouse_store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteArguments, SqliteConnectOptions, SqliteRow};
use sqlx::{Connection, Sqlite, SqliteConnection};
use tokio::sync::{Mutex, MutexGuard, Semaphore, SemaphorePermit};

use crate::SqliteStore;
use crate::error::from_sqlx;

/// Most hot connections a store keeps, whatever its pool size.
const MAX_HOT_CONNECTIONS: u32 = 4;

/// A query the hot connections can run.
type HotQuery<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

/// The slots, each empty until first used or after its connection broke.
#[derive(Debug)]
pub(crate) struct HotConnections {
    /// One permit per slot. Callers queue here, first come first served, for whichever slot
    /// frees first: one queue per slot would make a caller wait behind a slow holder while
    /// another slot is free.
    permits: Semaphore,
    slots: Box<[Mutex<Option<SqliteConnection>>]>,
    next: AtomicUsize,
    connect: SqliteConnectOptions,
    acquire_timeout: Duration,
    closed: AtomicBool,
}

impl HotConnections {
    /// `min(max_connections, 4)` empty slots (at least one).
    pub(crate) fn new(
        connect: SqliteConnectOptions,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Self {
        let count = max_connections.clamp(1, MAX_HOT_CONNECTIONS);
        Self {
            permits: Semaphore::new(count as usize),
            slots: (0..count).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            connect,
            acquire_timeout,
            closed: AtomicBool::new(false),
        }
    }

    /// A connected slot: a free one if any, else the next in turn once it is free. Waiting and
    /// connecting together take at most the acquire timeout.
    async fn acquire(&self) -> StoreResult<HotConnection<'_>> {
        tokio::time::timeout(self.acquire_timeout, self.acquire_untimed())
            .await
            .map_err(|_| {
                StoreError::Unavailable("timed out waiting for a database connection".to_owned())
            })?
    }

    async fn acquire_untimed(&self) -> StoreResult<HotConnection<'_>> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".to_owned()))?;
        // With a permit, a free slot exists: the scan finds it unless `close` holds it.
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let free = (0..self.slots.len())
            .filter_map(|offset| self.slots.get((start + offset) % self.slots.len()))
            .find_map(|slot| slot.try_lock().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => match self.slots.get(start % self.slots.len()) {
                Some(slot) => slot.lock().await,
                None => return Err(StoreError::Other("no hot connection slots".to_owned())),
            },
        };
        // Checked under the slot's lock, so `close` cannot miss a connection opened here.
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable("the store is closed".to_owned()));
        }
        if slot.is_none() {
            let conn = SqliteConnection::connect_with(&self.connect)
                .await
                .map_err(from_sqlx)?;
            *slot = Some(conn);
        }
        Ok(HotConnection {
            slot,
            _permit: permit,
        })
    }

    /// Closes every connection; later calls fail with `Unavailable`.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.permits.close();
        for slot in self.slots.iter() {
            if let Some(conn) = slot.lock().await.take() {
                // Closing is best effort: the connection is gone either way.
                let _ = conn.close().await;
            }
        }
    }
}

/// One slot, locked and connected, for one query.
struct HotConnection<'a> {
    slot: MutexGuard<'a, Option<SqliteConnection>>,
    /// Released after the slot, so the next caller finds it free.
    _permit: SemaphorePermit<'a>,
}

impl HotConnection<'_> {
    fn connection(&mut self) -> StoreResult<&mut SqliteConnection> {
        self.slot
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("hot connection is not open".to_owned()))
    }

    /// Maps a query's error, dropping the connection when the error says it is broken.
    fn check<T>(&mut self, result: Result<T, sqlx::Error>) -> StoreResult<T> {
        result.map_err(|err| {
            let err = from_sqlx(err);
            if matches!(err, StoreError::Unavailable(_)) {
                *self.slot = None;
            }
            err
        })
    }
}

impl SqliteStore {
    /// Runs a hot read on a hot connection (the pool for an in-memory database).
    pub(crate) async fn fetch_all_hot(&self, query: HotQuery<'_>) -> StoreResult<Vec<SqliteRow>> {
        let Some(hot) = &self.hot else {
            return query.fetch_all(&self.pool).await.map_err(from_sqlx);
        };
        let mut conn = hot.acquire().await?;
        let result = query.fetch_all(conn.connection()?).await;
        conn.check(result)
    }

    /// Runs a hot read on a hot connection (the pool for an in-memory database).
    pub(crate) async fn fetch_optional_hot(
        &self,
        query: HotQuery<'_>,
    ) -> StoreResult<Option<SqliteRow>> {
        let Some(hot) = &self.hot else {
            return query.fetch_optional(&self.pool).await.map_err(from_sqlx);
        };
        let mut conn = hot.acquire().await?;
        let result = query.fetch_optional(conn.connection()?).await;
        conn.check(result)
    }

    /// Runs a hot read that always answers one row on a hot connection (the pool for an
    /// in-memory database).
    pub(crate) async fn fetch_one_hot(&self, query: HotQuery<'_>) -> StoreResult<SqliteRow> {
        let Some(hot) = &self.hot else {
            return query.fetch_one(&self.pool).await.map_err(from_sqlx);
        };
        let mut conn = hot.acquire().await?;
        let result = query.fetch_one(conn.connection()?).await;
        conn.check(result)
    }
}
