//! Brute-force protection (checklist R-01..R-05): failure counters per account identifier,
//! client IP, device user code and client id, kept in the database so every replica counts
//! together (R-04) and limits survive a restart (R-07). This module owns the policy; the store
//! ([`gatehouse_store::ThrottleStore`]) owns the atomic counting (R-03). Storage and engine
//! only: the sign-in page, the device verification page and client authentication call these
//! entry points in a later change.
//!
//! A caller runs [`Engine::check_throttle`] before verifying anything (so even the right
//! password is refused while a lock lasts, R-01), then [`Engine::record_failure`] or
//! [`Engine::record_success`] on the outcome. Keys are identifiers, IPs or client ids as the
//! caller canonicalised them; never a password.
//!
//! ```text
//!            failure (n <= free_attempts)
//!             +----+
//!             v    |
//!  (none) --failure--> Counting{n} --failure (n > free_attempts)--> Locked{until = now + delay(n)}
//!    ^                   |  ^                                          |  check_throttle: Throttled
//!    |                   |  +-------- lock expires by itself ---------+  (any password)
//!    |                   |                                             |
//!    +---- success (clear) or window over (next failure restarts at 1) +
//!
//!  delay(n) = min(base_delay * 2^(n - free_attempts - 1), max_lock): never permanent.
//! ```
//!
//! The window starts at the first failure and does not slide: a counter restarts at 1 once it
//! is `window` old, even mid-escalation. For sign-in (5 free, then 30 s, 60 s, ... per 15
//! minutes) an attacker waiting out every lock thus gets about 10 guesses per ~16 minutes on
//! one account, well under ASVS 4.0.3 §2.2.1's 100 per hour; the 15-minute cap bounds the
//! delay when failures keep coming faster than that (for example on another path that
//! records failures without checking first).
//!
//! A store error fails closed: the caller gets an error and must refuse the attempt, never
//! let it through unthrottled (M-07).

use gatehouse_core::throttle::ThrottleKind;
use gatehouse_store::StoreError;

use crate::{Engine, OAuthError, TenantContext};

/// How many failures a key may make and how long it is locked after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Length of the counting window, from the first failure (seconds).
    pub window: i64,
    /// Failures within one window that lock nothing.
    pub free_attempts: u32,
    /// The first lock's length (seconds); each further failure doubles it.
    pub base_delay: i64,
    /// The longest lock (seconds).
    pub max_lock: i64,
}

impl ThrottlePolicy {
    /// The default policy of a kind of counter.
    pub fn for_kind(kind: ThrottleKind) -> Self {
        match kind {
            // R-01: 5 free per 15 minutes, then 30 s doubling up to 15 minutes.
            ThrottleKind::LoginIdentifier => Self {
                window: 900,
                free_attempts: 5,
                base_delay: 30,
                max_lock: 900,
            },
            // R-02: one address trying many accounts (shared NATs need some room).
            ThrottleKind::LoginIp => Self {
                window: 900,
                free_attempts: 50,
                base_delay: 60,
                max_lock: 900,
            },
            // RFC 8628 §5.1: user codes have little entropy, so guesses must be limited.
            ThrottleKind::UserCode => Self {
                window: 900,
                free_attempts: 10,
                base_delay: 30,
                max_lock: 900,
            },
            ThrottleKind::ClientSecret => Self {
                window: 300,
                free_attempts: 20,
                base_delay: 30,
                max_lock: 300,
            },
        }
    }

    /// How long the `failures`-th failure of a window locks the key; `None` while free.
    pub fn lock_delay(&self, failures: u32) -> Option<i64> {
        let past_free = failures.checked_sub(self.free_attempts)?.checked_sub(1)?;
        let doubling = 2i64.saturating_pow(past_free);
        Some(self.base_delay.saturating_mul(doubling).min(self.max_lock))
    }
}

/// The attempt is refused until the lock expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Seconds until the lock expires (at least 1), for `Retry-After` (R-07).
    pub retry_after: i64,
}

/// Why [`Engine::check_throttle`] refused an attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThrottleError {
    /// The key is locked: answer 429 with `Retry-After`.
    #[error("too many failed attempts, retry in {} s", .0.retry_after)]
    Throttled(Throttled),
    /// The counters cannot be read: refuse the attempt (fail closed).
    #[error(transparent)]
    Store(OAuthError),
}

impl From<StoreError> for ThrottleError {
    fn from(error: StoreError) -> Self {
        Self::Store(error.into())
    }
}

fn throttled(locked_until: i64, now: i64) -> Throttled {
    Throttled {
        retry_after: (locked_until - now).max(1),
    }
}

impl Engine {
    /// Refuses while the key is locked, whatever the attempt would have proven (R-01).
    /// Otherwise says whether failures are counted in the current window, so that a caller
    /// clears them after a success only when there is something to clear (one write less on
    /// every ordinary sign-in).
    pub async fn check_throttle(
        &self,
        tenant: &TenantContext,
        kind: ThrottleKind,
        key: &str,
    ) -> Result<bool, ThrottleError> {
        let now = self.now();
        let count = self
            .store
            .find_failures(tenant.id(), kind, key, now)
            .await?;
        match count.as_ref().and_then(|count| count.locked_until) {
            Some(until) if until > now => Err(ThrottleError::Throttled(throttled(until, now))),
            _ => Ok(count.is_some()),
        }
    }

    /// [`Engine::check_throttle`] of two keys in one store round trip: for each, whether it
    /// has counted failures; `Throttled` when either is locked (the later lock wins).
    pub async fn check_throttle_pair(
        &self,
        tenant: &TenantContext,
        first: (ThrottleKind, &str),
        second: (ThrottleKind, &str),
    ) -> Result<(bool, bool), ThrottleError> {
        let now = self.now();
        let (a, b) = self
            .store
            .find_failures_pair(tenant.id(), first, second, now)
            .await?;
        let lock = [a, b]
            .iter()
            .filter_map(|count| count.and_then(|count| count.locked_until))
            .filter(|until| *until > now)
            .max();
        if let Some(until) = lock {
            return Err(ThrottleError::Throttled(throttled(until, now)));
        }
        Ok((a.is_some(), b.is_some()))
    }

    /// Counts a failed attempt and, past the policy's free attempts, locks the key. Returns
    /// the lock now in force, if any.
    pub async fn record_failure(
        &self,
        tenant: &TenantContext,
        kind: ThrottleKind,
        key: &str,
    ) -> Result<Option<Throttled>, OAuthError> {
        let policy = ThrottlePolicy::for_kind(kind);
        let now = self.now();
        let count = self
            .store
            .record_failure(tenant.id(), kind, key, now, policy.window)
            .await?;
        let mut locked_until = count.locked_until.filter(|until| *until > now);
        if let Some(delay) = policy.lock_delay(count.failures) {
            let until = now.saturating_add(delay);
            self.store.set_lock(tenant.id(), kind, key, until).await?;
            // The store keeps the later of two concurrent locks.
            locked_until = Some(locked_until.map_or(until, |current| current.max(until)));
        }
        Ok(locked_until.map(|until| throttled(until, now)))
    }

    /// Forgets the key's failures and lock after a successful attempt.
    pub async fn record_success(
        &self,
        tenant: &TenantContext,
        kind: ThrottleKind,
        key: &str,
    ) -> Result<(), OAuthError> {
        Ok(self.store.clear_failures(tenant.id(), kind, key).await?)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::{EngineConfig, ErrorCode, FixedClock};
    use base64::Engine as _;
    use gatehouse_core::Tenant;
    use gatehouse_crypto::MasterKey;
    use gatehouse_store::{Store, TenantStore};
    use gatehouse_store_sqlite::SqliteStore;
    use gatehouse_store_sqlite::testing::{TestDatabase, fresh_database};
    use gatehouse_types::management as wire;
    use std::sync::Arc;

    const START: i64 = 1_700_000_000;
    const LOGIN: ThrottleKind = ThrottleKind::LoginIdentifier;
    const PASSWORD: &str = "correct horse battery";

    struct Fixture {
        engine: Engine,
        tenant: TenantContext,
        clock: Arc<FixedClock>,
        store: SqliteStore,
        _db: TestDatabase,
    }

    async fn fixture() -> Fixture {
        let (store, db) = fresh_database().await;
        let tenant = Tenant {
            id: "t1".into(),
            name: "one".into(),
            created_at: START,
        };
        store.insert_tenant(&tenant).await.unwrap();
        let clock = Arc::new(FixedClock::new(START));
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let engine = Engine::new(
            Arc::new(store.clone()) as Arc<dyn Store>,
            MasterKey::from_base64(&key).unwrap(),
            clock.clone(),
            EngineConfig::new("https://id.example"),
        );
        let tenant = TenantContext {
            tenant,
            issuer: "https://id.example".into(),
        };
        Fixture {
            engine,
            tenant,
            clock,
            store,
            _db: db,
        }
    }

    impl Fixture {
        async fn fail(&self, kind: ThrottleKind, key: &str) -> Option<Throttled> {
            self.engine
                .record_failure(&self.tenant, kind, key)
                .await
                .unwrap()
        }

        async fn check(&self, kind: ThrottleKind, key: &str) -> Result<(), ThrottleError> {
            self.engine
                .check_throttle(&self.tenant, kind, key)
                .await
                .map(|_| ())
        }

        /// A sign-in as the page will run it: check, verify, then record the outcome.
        async fn sign_in(&self, identifier: &str, password: &str) -> Result<bool, ThrottleError> {
            self.check(LOGIN, identifier).await?;
            let user = self
                .engine
                .verify_password(&self.tenant, identifier, password)
                .await
                .unwrap();
            if user.is_some() {
                self.engine
                    .record_success(&self.tenant, LOGIN, identifier)
                    .await
                    .unwrap();
            } else {
                self.fail(LOGIN, identifier).await;
            }
            Ok(user.is_some())
        }
    }

    fn locked(retry_after: i64) -> Result<(), ThrottleError> {
        Err(ThrottleError::Throttled(Throttled { retry_after }))
    }

    fn refused(retry_after: i64) -> Result<bool, ThrottleError> {
        Err(ThrottleError::Throttled(Throttled { retry_after }))
    }

    #[test]
    fn lock_delays_double_up_to_the_cap() {
        let policy = ThrottlePolicy::for_kind(LOGIN);
        let delays: Vec<_> = (1..=13).map(|n| policy.lock_delay(n)).collect();
        let expected = [None, None, None, None, None]
            .into_iter()
            .chain([30, 60, 120, 240, 480, 900, 900, 900].map(Some))
            .collect::<Vec<_>>();
        assert_eq!(delays, expected);
        assert_eq!(policy.lock_delay(u32::MAX), Some(900), "no overflow");
        assert_eq!(
            ThrottlePolicy::for_kind(ThrottleKind::LoginIp).lock_delay(50),
            None
        );
        assert_eq!(
            ThrottlePolicy::for_kind(ThrottleKind::LoginIp).lock_delay(51),
            Some(60)
        );
        let client = ThrottlePolicy::for_kind(ThrottleKind::ClientSecret);
        assert_eq!((client.window, client.lock_delay(20)), (300, None));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn five_failures_free_then_locked_even_for_the_right_password() {
        let f = fixture().await;
        let body = wire::CreateUser {
            username: Some("alice".into()),
            password: Some(PASSWORD.into()),
            ..Default::default()
        };
        f.engine.create_user(&f.tenant, body).await.unwrap();
        for attempt in 1..=5 {
            assert_eq!(f.sign_in("alice", "wrong").await, Ok(false), "{attempt}");
        }
        assert_eq!(f.check(LOGIN, "alice").await, Ok(()), "five are free");
        assert_eq!(
            f.fail(LOGIN, "alice").await,
            Some(Throttled { retry_after: 30 }),
            "the sixth locks"
        );
        // R-01: during the lock even the right password gets the refusal.
        f.clock.advance(29);
        assert_eq!(f.sign_in("alice", PASSWORD).await, refused(1));
        // The lock expires by itself.
        f.clock.advance(1);
        assert_eq!(f.sign_in("alice", PASSWORD).await, Ok(true));
        // Success cleared the counter: five free failures again.
        for _ in 0..5 {
            assert_eq!(f.fail(LOGIN, "alice").await, None);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn delays_grow_and_cap_at_fifteen_minutes() {
        let f = fixture().await;
        for _ in 0..5 {
            assert_eq!(f.fail(LOGIN, "alice").await, None);
        }
        for delay in [30, 60, 120, 240, 480, 900, 900] {
            assert_eq!(
                f.fail(LOGIN, "alice").await,
                Some(Throttled { retry_after: delay })
            );
            assert_eq!(f.check(LOGIN, "alice").await, locked(delay));
            f.clock.advance(1);
        }
        f.clock.advance(900);
        assert_eq!(f.check(LOGIN, "alice").await, Ok(()), "never permanent");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn window_end_restarts_the_count() {
        let f = fixture().await;
        for _ in 0..5 {
            f.fail(LOGIN, "alice").await;
        }
        f.clock.advance(900);
        for _ in 0..5 {
            assert_eq!(f.fail(LOGIN, "alice").await, None);
        }
        assert!(f.fail(LOGIN, "alice").await.is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn success_clears_and_keys_are_independent() {
        let f = fixture().await;
        for _ in 0..6 {
            f.fail(LOGIN, "alice").await;
        }
        assert_eq!(f.check(LOGIN, "alice").await, locked(30));
        assert_eq!(f.check(LOGIN, "bob").await, Ok(()), "other account");
        assert_eq!(f.fail(LOGIN, "bob").await, None);
        // The IP counter is another counter: alice's lock does not lock the address, and
        // failures from one address do not lock an account.
        assert_eq!(f.check(ThrottleKind::LoginIp, "alice").await, Ok(()));
        for _ in 0..50 {
            assert_eq!(f.fail(ThrottleKind::LoginIp, "192.0.2.7").await, None);
        }
        assert_eq!(
            f.fail(ThrottleKind::LoginIp, "192.0.2.7").await,
            Some(Throttled { retry_after: 60 })
        );
        assert_eq!(
            f.check(ThrottleKind::LoginIp, "192.0.2.7").await,
            locked(60)
        );
        assert_eq!(f.check(ThrottleKind::LoginIp, "192.0.2.8").await, Ok(()));
        assert_eq!(f.check(LOGIN, "bob").await, Ok(()));
        f.engine
            .record_success(&f.tenant, LOGIN, "alice")
            .await
            .unwrap();
        assert_eq!(f.check(LOGIN, "alice").await, Ok(()));
        assert_eq!(
            f.check(ThrottleKind::LoginIp, "192.0.2.7").await,
            locked(60)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unavailable_store_fails_closed() {
        let f = fixture().await;
        f.store.close().await;
        match f.check(LOGIN, "alice").await {
            Err(ThrottleError::Store(error)) => {
                assert_eq!(error.code, ErrorCode::TemporarilyUnavailable)
            }
            other => panic!("expected a store error, got {other:?}"),
        }
        let recorded = f.engine.record_failure(&f.tenant, LOGIN, "alice").await;
        assert_eq!(
            recorded.map_err(|e| e.code),
            Err(ErrorCode::TemporarilyUnavailable)
        );
    }
}
