//! Cases for brute-force failure counters.

use std::sync::Arc;

use gatehouse_core::throttle::{FailureCount, ThrottleKind};

use super::*;

const NOW: i64 = 1_800_000_000;
const WINDOW: i64 = 900;
const LOGIN: ThrottleKind = ThrottleKind::LoginIdentifier;

/// Counting goes up within the window and restarts at 1 once the window is over.
pub async fn throttle_counts_and_resets_window(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let record = |now: i64| {
        let store = store.clone();
        async move {
            store
                .record_failure("t1", LOGIN, "alice", now, WINDOW)
                .await
                .unwrap()
        }
    };
    let first = record(NOW).await;
    assert_eq!(
        first,
        FailureCount {
            failures: 1,
            first_failure_at: NOW,
            locked_until: None
        }
    );
    assert_eq!(record(NOW + 10).await.failures, 2);
    let third = record(NOW + WINDOW - 1).await;
    assert_eq!((third.failures, third.first_failure_at), (3, NOW));
    assert_eq!(
        store
            .find_failures("t1", LOGIN, "alice", NOW + WINDOW - 1)
            .await
            .unwrap(),
        Some(third)
    );
    assert_eq!(
        store
            .find_failures("t1", LOGIN, "alice", NOW + WINDOW)
            .await
            .unwrap(),
        None,
        "window over"
    );
    let restarted = record(NOW + WINDOW).await;
    assert_eq!(
        (restarted.failures, restarted.first_failure_at),
        (1, NOW + WINDOW)
    );
    // Another kind or key has its own counter.
    let ip = store
        .record_failure("t1", ThrottleKind::LoginIp, "alice", NOW, WINDOW)
        .await
        .unwrap();
    assert_eq!(ip.failures, 1);
    assert_eq!(
        store.find_failures("t1", LOGIN, "bob", NOW).await.unwrap(),
        None
    );
}

/// 50 concurrent failures are all counted.
pub async fn concurrent_throttle_failures_all_counted(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .record_failure("t1", LOGIN, "alice", NOW, WINDOW)
                    .await
                    .unwrap()
                    .failures
            })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=50).collect::<Vec<u32>>(),
        "each call sees its own count"
    );
    let count = store
        .find_failures("t1", LOGIN, "alice", NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count.failures, 50);
}

/// A lock is set, never shortened, outlives the window and expires by itself.
pub async fn throttle_lock_set_and_expires(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    assert_not_found(
        store.set_lock("t1", LOGIN, "alice", NOW + 30).await,
        "lock without a counter",
    );
    store
        .record_failure("t1", LOGIN, "alice", NOW, WINDOW)
        .await
        .unwrap();
    store
        .set_lock("t1", LOGIN, "alice", NOW + 2 * WINDOW)
        .await
        .unwrap();
    store
        .set_lock("t1", LOGIN, "alice", NOW + 30)
        .await
        .unwrap();
    let find = |now: i64| {
        let store = store.clone();
        async move {
            store
                .find_failures("t1", LOGIN, "alice", now)
                .await
                .unwrap()
        }
    };
    let locked = find(NOW).await.unwrap();
    assert_eq!(locked.locked_until, Some(NOW + 2 * WINDOW), "not shortened");
    assert!(locked.locked_at(NOW + 2 * WINDOW - 1));
    assert!(!locked.locked_at(NOW + 2 * WINDOW));
    // The window is over but the lock is not: still reported, still locked.
    let still = find(NOW + WINDOW + 1).await.unwrap();
    assert!(still.locked_at(NOW + WINDOW + 1));
    // A failure after the window keeps the active lock.
    let restarted = store
        .record_failure("t1", LOGIN, "alice", NOW + WINDOW + 1, WINDOW)
        .await
        .unwrap();
    assert_eq!(restarted.failures, 1);
    assert_eq!(restarted.locked_until, Some(NOW + 2 * WINDOW));
    assert_eq!(find(NOW + 3 * WINDOW).await, None, "lock and window over");
    // A restart after the lock expired drops it.
    let fresh = store
        .record_failure("t1", LOGIN, "alice", NOW + 3 * WINDOW, WINDOW)
        .await
        .unwrap();
    assert_eq!((fresh.failures, fresh.locked_until), (1, None));
}

/// Clearing forgets the counter and its lock; clearing nothing is fine.
pub async fn throttle_clear(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    for _ in 0..3 {
        store
            .record_failure("t1", LOGIN, "alice", NOW, WINDOW)
            .await
            .unwrap();
    }
    store
        .record_failure("t1", LOGIN, "bob", NOW, WINDOW)
        .await
        .unwrap();
    store
        .set_lock("t1", LOGIN, "alice", NOW + 60)
        .await
        .unwrap();
    store.clear_failures("t1", LOGIN, "alice").await.unwrap();
    store.clear_failures("t1", LOGIN, "alice").await.unwrap();
    store.clear_failures("t1", LOGIN, "nobody").await.unwrap();
    assert_eq!(
        store
            .find_failures("t1", LOGIN, "alice", NOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .record_failure("t1", LOGIN, "alice", NOW + 1, WINDOW)
            .await
            .unwrap()
            .failures,
        1
    );
    assert_eq!(
        store
            .find_failures("t1", LOGIN, "bob", NOW)
            .await
            .unwrap()
            .map(|c| c.failures),
        Some(1),
        "other keys untouched"
    );
}

/// Counters are per tenant, and need an existing tenant.
pub async fn throttle_tenant_isolation(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    for _ in 0..2 {
        store
            .record_failure("t1", LOGIN, "alice", NOW, WINDOW)
            .await
            .unwrap();
    }
    store
        .set_lock("t1", LOGIN, "alice", NOW + 60)
        .await
        .unwrap();
    assert_eq!(
        store
            .find_failures("t2", LOGIN, "alice", NOW)
            .await
            .unwrap(),
        None
    );
    let other = store
        .record_failure("t2", LOGIN, "alice", NOW, WINDOW)
        .await
        .unwrap();
    assert_eq!((other.failures, other.locked_until), (1, None));
    store.clear_failures("t2", LOGIN, "alice").await.unwrap();
    assert_eq!(
        store
            .find_failures("t1", LOGIN, "alice", NOW)
            .await
            .unwrap()
            .map(|c| c.failures),
        Some(2)
    );
    assert_conflict(
        store
            .record_failure("no-such-tenant", LOGIN, "alice", NOW, WINDOW)
            .await,
        "unknown tenant",
    );
}

/// The purge deletes counters whose window and lock are both over, in every tenant.
pub async fn purge_removes_only_expired_throttles(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    let record = |tenant: &'static str, key: &'static str, now: i64| {
        let store = store.clone();
        async move {
            store
                .record_failure(tenant, LOGIN, key, now, WINDOW)
                .await
                .unwrap()
        }
    };
    record("t1", "old", NOW - WINDOW).await;
    record("t2", "old", NOW - WINDOW - 5).await;
    record("t1", "old-locked", NOW - WINDOW).await;
    store
        .set_lock("t1", LOGIN, "old-locked", NOW + 1)
        .await
        .unwrap();
    record("t1", "old-lock-expired", NOW - WINDOW).await;
    store
        .set_lock("t1", LOGIN, "old-lock-expired", NOW)
        .await
        .unwrap();
    record("t1", "recent", NOW - 1).await;
    assert_eq!(store.delete_expired_throttles(NOW).await.unwrap(), 3);
    assert_eq!(store.delete_expired_throttles(NOW).await.unwrap(), 0);
    for key in ["old-locked", "recent"] {
        assert!(
            store
                .find_failures("t1", LOGIN, key, NOW)
                .await
                .unwrap()
                .is_some(),
            "{key} kept"
        );
    }
    // Purged counters start over.
    assert_eq!(record("t1", "old", NOW).await.failures, 1);
}

/// The two-counter lookup of a sign-in answers exactly what two single lookups answer, in
/// the order asked, for present, absent, locked, expired and foreign-tenant counters.
pub async fn throttle_pair_lookup_matches_single_lookups(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    let ip = ThrottleKind::LoginIp;
    store
        .record_failure("t1", LOGIN, "alice", NOW, WINDOW)
        .await
        .unwrap();
    store
        .record_failure("t1", LOGIN, "alice", NOW + 1, WINDOW)
        .await
        .unwrap();
    store
        .record_failure("t1", ip, "10.0.0.1", NOW, WINDOW)
        .await
        .unwrap();
    store
        .set_lock("t1", ip, "10.0.0.1", NOW + 5 * WINDOW)
        .await
        .unwrap();
    // The same key under the other kind, and in another tenant, must not be confused.
    store
        .record_failure("t1", ip, "alice", NOW, WINDOW)
        .await
        .unwrap();
    store
        .record_failure("t2", LOGIN, "bob", NOW, WINDOW)
        .await
        .unwrap();
    let pairs = [
        ((LOGIN, "alice"), (ip, "10.0.0.1")),
        ((ip, "10.0.0.1"), (LOGIN, "alice")),
        ((LOGIN, "bob"), (ip, "10.0.0.2")),
        ((LOGIN, "alice"), (LOGIN, "alice")),
        ((LOGIN, "alice"), (ip, "alice")),
    ];
    // Within the window, after it (only the lock keeps the IP counter), and long after.
    for now in [NOW + 2, NOW + WINDOW + 1, NOW + 10 * WINDOW] {
        for (first, second) in pairs {
            let single = (
                store
                    .find_failures("t1", first.0, first.1, now)
                    .await
                    .unwrap(),
                store
                    .find_failures("t1", second.0, second.1, now)
                    .await
                    .unwrap(),
            );
            let pair = store
                .find_failures_pair("t1", first, second, now)
                .await
                .unwrap();
            assert_eq!(pair, single, "{first:?} {second:?} at {now}");
        }
    }
    let both = store
        .find_failures_pair("t1", (LOGIN, "alice"), (ip, "10.0.0.1"), NOW + 2)
        .await
        .unwrap();
    assert_eq!(both.0.map(|c| c.failures), Some(2));
    assert_eq!(both.1.and_then(|c| c.locked_until), Some(NOW + 5 * WINDOW));
    assert_eq!(
        store
            .find_failures_pair("t1", (LOGIN, "bob"), (LOGIN, "bob"), NOW)
            .await
            .unwrap(),
        (None, None),
        "t2's counter is not t1's"
    );
}
