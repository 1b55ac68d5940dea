//! Cases for the replay records of client assertion `jti`s.

use std::sync::Arc;

use super::*;

const NOW: i64 = 1_800_000_000;

/// Tenants with applications `app-1` and `app-2` in each.
async fn assertion_fixtures(store: &dyn Store, tenants: &[&str]) {
    insert_tenants(store, tenants).await;
    for tenant in tenants {
        for id in ["app-1", "app-2"] {
            store
                .insert_application(tenant, &application(id, vec![]))
                .await
                .unwrap();
        }
    }
}

/// A jti is accepted once per client and tenant until it expires; other clients and tenants
/// have their own; an unknown client is a `Conflict`; deleting the client forgets its jtis.
pub async fn assertion_jti_recorded_once(store: Arc<dyn Store>) {
    assertion_fixtures(&*store, &["t1", "t2"]).await;
    let record = |tenant: &'static str, client: &'static str, jti: &'static str, now: i64| {
        let store = store.clone();
        async move {
            store
                .record_assertion_jti(tenant, client, jti, now + 60, now)
                .await
        }
    };
    assert_eq!(record("t1", "app-1", "j-1", NOW).await, Ok(true));
    assert_eq!(record("t1", "app-1", "j-1", NOW).await, Ok(false), "replay");
    assert_eq!(record("t1", "app-1", "j-1", NOW + 59).await, Ok(false));
    assert_eq!(record("t1", "app-1", "j-2", NOW).await, Ok(true));
    assert_eq!(record("t1", "app-2", "j-1", NOW).await, Ok(true), "client");
    assert_eq!(record("t2", "app-1", "j-1", NOW).await, Ok(true), "tenant");
    // Once the record expired, the jti may be used again (and is recorded again, until
    // NOW + 120).
    assert_eq!(record("t1", "app-1", "j-1", NOW + 60).await, Ok(true));
    assert_eq!(record("t1", "app-1", "j-1", NOW + 61).await, Ok(false));
    assert_conflict(
        store
            .record_assertion_jti("t1", "nope", "j-1", NOW + 60, NOW)
            .await,
        "unknown client",
    );
    assert_conflict(
        store
            .record_assertion_jti("t3", "app-1", "j-1", NOW + 60, NOW)
            .await,
        "unknown tenant",
    );
    store.delete_application("t1", "app-2").await.unwrap();
    store
        .insert_application("t1", &application("app-2", vec![]))
        .await
        .unwrap();
    assert_eq!(record("t1", "app-2", "j-1", NOW).await, Ok(true), "cascade");
}

/// 20 concurrent records of one jti: exactly one is accepted (P-23 replay, M-03).
pub async fn concurrent_assertion_jti_records_one_wins(store: Arc<dyn Store>) {
    assertion_fixtures(&*store, &["t1"]).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .record_assertion_jti("t1", "app-1", "j-race", NOW + 300, NOW)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.unwrap() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);
}

/// The grants purge deletes jti records that expired, and keeps live ones (still replays).
pub async fn purge_removes_only_expired_assertion_jtis(store: Arc<dyn Store>) {
    assertion_fixtures(&*store, &["t1", "t2"]).await;
    for (tenant, jti, expires_at) in [
        ("t1", "j-old", NOW),
        ("t2", "j-old", NOW - 1),
        ("t1", "j-live", NOW + 1),
    ] {
        assert!(
            store
                .record_assertion_jti(tenant, "app-1", jti, expires_at, NOW - 100)
                .await
                .unwrap()
        );
    }
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 2);
    assert!(
        !store
            .record_assertion_jti("t1", "app-1", "j-live", NOW + 1, NOW)
            .await
            .unwrap(),
        "a live record survives the purge"
    );
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 0);
}
