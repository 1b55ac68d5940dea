//! Client records (the application, its grants and its secrets), cached for client
//! authentication, which runs on every token, introspection and revocation request.
//!
//! A change to a client must take effect at once: a deleted secret or application must stop
//! working. So an entry is trusted only while all of these hold:
//! - it was loaded at the cache's current *version*. This replica bumps the version after each
//!   change it makes itself (the Management API), so its own changes apply at once.
//! - the version follows the store's client generation, a counter database triggers move on
//!   every change to applications, secrets and grants, by any writer (another replica, an
//!   offline `gatehouse admin` command). [`ClientCache::observe`] is fed by a poll every
//!   [`SYNC_INTERVAL`], so another process's change applies within one poll.
//! - the last poll succeeded less than [`FRESH_FOR`] ago. Without polls (a stalled database, an
//!   engine nobody polls for, as in offline commands) every lookup goes to the store.
//!
//! A version is read *before* the store is, so a load racing with a change is stored under
//! the version the change then retires. Misses are not cached: an unknown client id costs a
//! store read, as before. The map is bounded and entries expire, so idle tenants cost nothing.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gatehouse_core::{Application, ClientSecret};

use crate::cache::TtlCache;

/// How often a server polls the store's client generation.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);
/// How long after the last successful poll entries are trusted; a bound on staleness when
/// polls stall.
pub const FRESH_FOR: Duration = Duration::from_millis(500);
/// Entries are reloaded at least this often (seconds), whatever the version says.
const ENTRY_TTL: i64 = 60;

/// A client as client authentication reads it.
pub(crate) type ClientRecord = Arc<(Application, Vec<ClientSecret>)>;

/// The version a load started at; hand it back to [`ClientCache::put`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Version(u64);

pub(crate) struct ClientCache {
    entries: TtlCache<(u64, ClientRecord)>,
    /// Bumped by every local change and every generation change a poll sees.
    version: AtomicU64,
    /// The store generation the last poll saw.
    generation: Mutex<Option<i64>>,
    /// Nanoseconds after `epoch` until which polls vouch for the entries (0: never).
    fresh_until: AtomicU64,
    epoch: Instant,
}

impl ClientCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: TtlCache::new(capacity, ENTRY_TTL),
            version: AtomicU64::new(0),
            generation: Mutex::new(None),
            fresh_until: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn key(tenant_id: &str, client_id: &str) -> String {
        format!("{tenant_id}\n{client_id}")
    }

    fn nanos_since_epoch(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn is_fresh(&self) -> bool {
        self.nanos_since_epoch(Instant::now()) < self.fresh_until.load(Ordering::Acquire)
    }

    /// The cached client, if it may be trusted now.
    pub(crate) fn get(&self, tenant_id: &str, client_id: &str, now: i64) -> Option<ClientRecord> {
        if !self.is_fresh() {
            return None;
        }
        let (version, record) = self.entries.get(&Self::key(tenant_id, client_id), now)?;
        (version == self.version.load(Ordering::Acquire)).then_some(record)
    }

    /// The version to tag a load with: read it before reading the store.
    pub(crate) fn version(&self) -> Version {
        Version(self.version.load(Ordering::Acquire))
    }

    /// Caches a client loaded at `version`.
    pub(crate) fn put(
        &self,
        tenant_id: &str,
        client_id: &str,
        version: Version,
        record: ClientRecord,
        now: i64,
    ) {
        self.entries
            .put(&Self::key(tenant_id, client_id), (version.0, record), now);
    }

    /// Retires every entry: call after this process changed a client, once the change is
    /// committed.
    pub(crate) fn invalidate(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Records a successful poll that read `generation` from the store, started at `polled_at`.
    pub(crate) fn observe(&self, generation: i64, polled_at: Instant) {
        let Ok(mut seen) = self.generation.lock() else {
            self.stale();
            return;
        };
        if *seen != Some(generation) {
            *seen = Some(generation);
            self.invalidate();
        }
        let until = self.nanos_since_epoch(polled_at + FRESH_FOR);
        self.fresh_until.store(until, Ordering::Release);
    }

    /// Stops trusting entries until the next successful poll (a failed poll, an unreachable
    /// database).
    pub(crate) fn stale(&self) {
        self.fresh_until.store(0, Ordering::Release);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use gatehouse_core::ApplicationType;

    fn record(name: &str) -> ClientRecord {
        Arc::new((
            Application {
                id: "app".to_owned(),
                name: name.to_owned(),
                app_type: ApplicationType::M2m,
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                third_party: false,
                builtin: false,
                resource_grants: vec![],
                refresh_token_absolute_ttl: None,
                refresh_token_idle_ttl: None,
                jwks: None,
                device_flow: false,
                created_at: 0,
                updated_at: 0,
            },
            vec![],
        ))
    }

    fn name(found: Option<ClientRecord>) -> Option<String> {
        found.map(|r| r.0.name.clone())
    }

    #[test]
    fn entries_need_a_recent_poll() {
        let cache = ClientCache::new(8);
        cache.put("t", "app", cache.version(), record("a"), 100);
        assert_eq!(name(cache.get("t", "app", 100)), None, "never polled");
        cache.observe(7, Instant::now());
        assert_eq!(
            name(cache.get("t", "app", 100)),
            None,
            "loaded before the first poll"
        );
        cache.put("t", "app", cache.version(), record("a"), 100);
        assert_eq!(name(cache.get("t", "app", 100)), Some("a".into()));
        cache.stale();
        assert_eq!(
            name(cache.get("t", "app", 100)),
            None,
            "after a failed poll"
        );
        cache.observe(7, Instant::now() - FRESH_FOR);
        assert_eq!(name(cache.get("t", "app", 100)), None, "poll too old");
    }

    #[test]
    fn local_changes_and_new_generations_retire_entries() {
        let cache = ClientCache::new(8);
        cache.observe(1, Instant::now());
        cache.put("t", "app", cache.version(), record("a"), 100);
        cache.observe(1, Instant::now());
        assert_eq!(
            name(cache.get("t", "app", 100)),
            Some("a".into()),
            "same generation"
        );
        assert_eq!(name(cache.get("u", "app", 100)), None, "other tenant");

        cache.observe(2, Instant::now());
        assert_eq!(name(cache.get("t", "app", 100)), None, "generation moved");

        cache.put("t", "app", cache.version(), record("b"), 100);
        assert_eq!(name(cache.get("t", "app", 100)), Some("b".into()));
        cache.invalidate();
        assert_eq!(name(cache.get("t", "app", 100)), None, "local change");
    }

    #[test]
    fn a_load_racing_with_a_change_is_never_served() {
        let cache = ClientCache::new(8);
        cache.observe(1, Instant::now());
        let version = cache.version();
        // ... the store is read here, then this process changes the client ...
        cache.invalidate();
        cache.put("t", "app", version, record("old"), 100);
        assert_eq!(name(cache.get("t", "app", 100)), None);
    }

    #[test]
    fn entries_expire() {
        let cache = ClientCache::new(8);
        cache.observe(1, Instant::now());
        cache.put("t", "app", cache.version(), record("a"), 100);
        assert_eq!(name(cache.get("t", "app", 100 + ENTRY_TTL)), None);
    }
}
