//! Cases for device authorization requests (RFC 8628): lookup by user code, one decision,
//! polling (slow down, expiry, consumption once, concurrency), purge, isolation, cascades, and
//! the applications' `device_flow` flag.

use std::sync::Arc;

use gatehouse_core::user::User;
use gatehouse_core::{DeviceApproval, DeviceAuthorization, DevicePoll, DeviceStatus};

use super::*;

const NOW: i64 = 1_800_000_000;

/// How much a `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_BY: i64 = 5;

/// Tenants with users `u-1` and `u-2` and applications `app-1` and `app-2` in each.
async fn device_fixtures(store: &dyn Store, tenants: &[&str]) {
    insert_tenants(store, tenants).await;
    for tenant in tenants {
        for id in ["u-1", "u-2"] {
            let user = User {
                id: id.to_owned(),
                username: Some(format!("name-{id}")),
                created_at: 1,
                updated_at: 1,
                ..User::default()
            };
            store.insert_user(tenant, &user).await.unwrap();
        }
        for id in ["app-1", "app-2"] {
            let app = Application {
                app_type: ApplicationType::Native,
                device_flow: true,
                ..application(id, vec![])
            };
            store.insert_application(tenant, &app).await.unwrap();
        }
    }
}

/// A pending request of `client_id`, polled every 5 seconds at most, whose device code hash
/// is derived from `label`.
fn device(label: &str, client_id: &str, user_code: &str, expires_at: i64) -> DeviceAuthorization {
    let mut device_code_hash = label.as_bytes().to_vec();
    device_code_hash.resize(32, 0xd7);
    DeviceAuthorization {
        device_code_hash,
        user_code: user_code.to_owned(),
        client_id: client_id.to_owned(),
        scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
        resources: vec!["https://api.example".to_owned()],
        ip: Some("203.0.113.7".to_owned()),
        created_at: NOW - 10,
        expires_at,
        interval: 5,
        last_polled_at: None,
        status: DeviceStatus::Pending,
    }
}

fn approval(user_id: &str) -> DeviceApproval {
    DeviceApproval {
        user_id: user_id.to_owned(),
        session_id: format!("s-{user_id}"),
        auth_time: NOW - 30,
        amr: vec!["pwd".to_owned(), "otp".to_owned()],
        // What `device()` requests: approving as is.
        resources: vec!["https://api.example".to_owned()],
        scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
    }
}

async fn poll(
    store: &dyn Store,
    tenant: &str,
    device: &DeviceAuthorization,
    client_id: &str,
    now: i64,
) -> DevicePoll {
    store
        .poll_device_authorization(
            tenant,
            &device.device_code_hash,
            client_id,
            now,
            SLOW_DOWN_BY,
        )
        .await
        .unwrap()
}

async fn find(store: &dyn Store, tenant: &str, user_code: &str) -> Option<DeviceAuthorization> {
    store
        .find_device_by_user_code(tenant, user_code, NOW)
        .await
        .unwrap()
}

/// A request round-trips by user code, its optional fields empty or not; an approval shows in
/// its status, and a consumed one reads back consumed.
pub async fn device_authorization_roundtrip(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    let d2 = DeviceAuthorization {
        scopes: vec![],
        resources: vec![],
        ip: None,
        ..device("d-2", "app-2", "LMNPQRST", NOW + 600)
    };
    for d in [&d1, &d2] {
        store.insert_device_authorization("t1", d).await.unwrap();
    }
    assert_eq!(find(&*store, "t1", "BCDFGHJK").await, Some(d1.clone()));
    assert_eq!(find(&*store, "t1", "LMNPQRST").await, Some(d2.clone()));
    assert_eq!(find(&*store, "t1", "VWXZBCDF").await, None);
    assert_eq!(
        find(&*store, "t1", "bcdfghjk").await,
        None,
        "user codes are stored canonical and matched exactly"
    );

    assert!(
        store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&approval("u-1")), NOW)
            .await
            .unwrap()
    );
    let approved = DeviceAuthorization {
        status: DeviceStatus::Approved(approval("u-1")),
        ..d1.clone()
    };
    assert_eq!(find(&*store, "t1", "BCDFGHJK").await, Some(approved));

    assert!(matches!(
        poll(&*store, "t1", &d1, "app-1", NOW).await,
        DevicePoll::Approved(_)
    ));
    let consumed = DeviceAuthorization {
        status: DeviceStatus::Consumed,
        last_polled_at: Some(NOW),
        ..d1
    };
    assert_eq!(find(&*store, "t1", "BCDFGHJK").await, Some(consumed));
}

/// A taken device code hash or user code is a `Conflict` (the caller draws new codes) and
/// leaves the first request untouched.
pub async fn device_duplicate_codes_conflict(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    store.insert_device_authorization("t1", &d1).await.unwrap();
    assert_conflict(
        store
            .insert_device_authorization("t1", &device("d-2", "app-2", "BCDFGHJK", NOW + 900))
            .await,
        "duplicate user code",
    );
    assert_conflict(
        store
            .insert_device_authorization("t1", &device("d-1", "app-2", "LMNPQRST", NOW + 900))
            .await,
        "duplicate device code hash",
    );
    assert_eq!(find(&*store, "t1", "BCDFGHJK").await, Some(d1));
    assert_eq!(find(&*store, "t1", "LMNPQRST").await, None);
}

/// A request of an unknown client, or in an unknown tenant, is a `Conflict`.
pub async fn device_unknown_client_conflict(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    assert_conflict(
        store
            .insert_device_authorization("t1", &device("d-1", "nope", "BCDFGHJK", NOW + 600))
            .await,
        "unknown client",
    );
    assert_conflict(
        store
            .insert_device_authorization("t9", &device("d-1", "app-1", "BCDFGHJK", NOW + 600))
            .await,
        "unknown tenant",
    );
    assert_eq!(find(&*store, "t1", "BCDFGHJK").await, None);
}

/// A request is found by user code until `expires_at`, and no longer from then on; an
/// expired request can no longer be decided.
pub async fn device_find_after_expiry_is_none(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    store.insert_device_authorization("t1", &d1).await.unwrap();
    let at = |now: i64| {
        let store = store.clone();
        async move {
            store
                .find_device_by_user_code("t1", "BCDFGHJK", now)
                .await
                .unwrap()
        }
    };
    assert_eq!(at(NOW + 599).await, Some(d1));
    assert_eq!(at(NOW + 600).await, None, "gone at expires_at");
    assert_eq!(at(NOW + 6000).await, None);
    assert!(
        !store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&approval("u-1")), NOW + 600)
            .await
            .unwrap(),
        "an expired request cannot be approved"
    );
    assert!(
        !store
            .decide_device_authorization("t1", "BCDFGHJK", None, NOW + 600)
            .await
            .unwrap(),
        "an expired request cannot be denied"
    );
    assert_eq!(at(NOW).await.map(|d| d.status), Some(DeviceStatus::Pending));
}

/// A request is decided once: a second approval or a denial after it changes nothing, and
/// an unknown user code changes nothing.
pub async fn device_decided_once(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    store
        .insert_device_authorization("t1", &device("d-1", "app-1", "BCDFGHJK", NOW + 600))
        .await
        .unwrap();
    let decide = |approval: Option<DeviceApproval>, user_code: &'static str| {
        let store = store.clone();
        async move {
            store
                .decide_device_authorization("t1", user_code, approval.as_ref(), NOW)
                .await
                .unwrap()
        }
    };
    assert!(decide(Some(approval("u-1")), "BCDFGHJK").await);
    assert!(!decide(Some(approval("u-2")), "BCDFGHJK").await, "twice");
    assert!(!decide(None, "BCDFGHJK").await, "denied after approval");
    assert!(!decide(Some(approval("u-1")), "VWXZBCDF").await, "unknown");
    assert_eq!(
        find(&*store, "t1", "BCDFGHJK").await.map(|d| d.status),
        Some(DeviceStatus::Approved(approval("u-1")))
    );
}

/// Of 20 concurrent decisions on one request (approvals and denials), exactly one wins and
/// its decision is the one stored.
pub async fn concurrent_device_decisions_one_wins(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    store
        .insert_device_authorization("t1", &device("d-1", "app-1", "BCDFGHJK", NOW + 600))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let decision = (i % 2 == 0).then(|| approval(if i % 4 == 0 { "u-1" } else { "u-2" }));
            tokio::spawn(async move {
                let won = store
                    .decide_device_authorization("t1", "BCDFGHJK", decision.as_ref(), NOW)
                    .await
                    .unwrap();
                (won, decision)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (won, decision) = task.await.unwrap();
        if won {
            winners.push(decision);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let expected = match winners.pop().unwrap() {
        Some(approval) => DeviceStatus::Approved(approval),
        None => DeviceStatus::Denied,
    };
    assert_eq!(
        find(&*store, "t1", "BCDFGHJK").await.map(|d| d.status),
        Some(expected)
    );
}

/// A denied request answers `Denied` to every poll (that is not too fast) and can no longer be
/// approved.
pub async fn device_denied_poll_answers_denied(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    store.insert_device_authorization("t1", &d1).await.unwrap();
    assert_eq!(
        poll(&*store, "t1", &d1, "app-1", NOW).await,
        DevicePoll::Pending
    );
    assert!(
        store
            .decide_device_authorization("t1", "BCDFGHJK", None, NOW + 2)
            .await
            .unwrap()
    );
    assert!(
        !store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&approval("u-1")), NOW + 3)
            .await
            .unwrap()
    );
    assert_eq!(
        poll(&*store, "t1", &d1, "app-1", NOW + 5).await,
        DevicePoll::Denied
    );
    assert_eq!(
        poll(&*store, "t1", &d1, "app-1", NOW + 10).await,
        DevicePoll::Denied,
        "denied stays denied"
    );
    assert_eq!(
        find(&*store, "t1", "BCDFGHJK").await.map(|d| d.status),
        Some(DeviceStatus::Denied)
    );
}

/// A poll by another client (or with an unknown device code, or in another tenant) is
/// `NotFound` and leaves the request alone: the right client's next poll, at the same moment,
/// is not slowed down.
pub async fn device_poll_by_other_client_is_not_found(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1", "t2"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    store.insert_device_authorization("t1", &d1).await.unwrap();
    assert_eq!(
        poll(&*store, "t1", &d1, "app-2", NOW).await,
        DevicePoll::NotFound
    );
    assert_eq!(
        poll(&*store, "t2", &d1, "app-1", NOW).await,
        DevicePoll::NotFound
    );
    let unknown = device("d-9", "app-1", "LMNPQRST", NOW + 600);
    assert_eq!(
        poll(&*store, "t1", &unknown, "app-1", NOW).await,
        DevicePoll::NotFound
    );
    assert_eq!(find(&*store, "t1", "BCDFGHJK").await, Some(d1.clone()));
    assert_eq!(
        poll(&*store, "t1", &d1, "app-1", NOW).await,
        DevicePoll::Pending
    );
    // An approved request is not handed to another client either.
    assert!(
        store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&approval("u-1")), NOW + 1)
            .await
            .unwrap()
    );
    assert_eq!(
        poll(&*store, "t1", &d1, "app-2", NOW + 5).await,
        DevicePoll::NotFound
    );
    assert!(matches!(
        poll(&*store, "t1", &d1, "app-1", NOW + 5).await,
        DevicePoll::Approved(_)
    ));
}

/// A poll sooner than the interval after the previous one is `SlowDown` and grows the interval
/// for the polls after it; a poll a whole interval after the previous one is answered.
pub async fn device_poll_too_fast_slows_down(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    store.insert_device_authorization("t1", &d1).await.unwrap();
    let at = |now: i64| {
        let store = store.clone();
        let d1 = d1.clone();
        async move { poll(&*store, "t1", &d1, "app-1", now).await }
    };
    assert_eq!(at(NOW).await, DevicePoll::Pending, "first poll");
    assert_eq!(at(NOW + 1).await, DevicePoll::SlowDown);
    let found = find(&*store, "t1", "BCDFGHJK").await.unwrap();
    assert_eq!(
        (found.interval, found.last_polled_at),
        (5 + SLOW_DOWN_BY, Some(NOW + 1)),
        "the interval grew and the slowed poll counts as a poll"
    );
    // The old interval is no longer enough.
    assert_eq!(at(NOW + 1 + 5).await, DevicePoll::SlowDown);
    assert_eq!(
        find(&*store, "t1", "BCDFGHJK").await.unwrap().interval,
        5 + 2 * SLOW_DOWN_BY,
        "every slow_down grows it again"
    );
    // A whole (grown) interval after the previous poll is soon enough.
    let grown = 5 + 2 * SLOW_DOWN_BY;
    assert_eq!(at(NOW + 6 + grown).await, DevicePoll::Pending);
    assert_eq!(at(NOW + 6 + 2 * grown).await, DevicePoll::Pending);
    let found = find(&*store, "t1", "BCDFGHJK").await.unwrap();
    assert_eq!(
        (found.interval, found.last_polled_at, found.status),
        (grown, Some(NOW + 6 + 2 * grown), DeviceStatus::Pending)
    );
}

/// An approved request: the first poll gets it (with the approval) and consumes it; every
/// later poll is `AlreadyConsumed`.
pub async fn device_approved_poll_consumes_once(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    store.insert_device_authorization("t1", &d1).await.unwrap();
    assert_eq!(
        poll(&*store, "t1", &d1, "app-1", NOW).await,
        DevicePoll::Pending
    );
    assert!(
        store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&approval("u-2")), NOW + 3)
            .await
            .unwrap()
    );
    let DevicePoll::Approved(got) = poll(&*store, "t1", &d1, "app-1", NOW + 5).await else {
        panic!("expected Approved");
    };
    assert_eq!(got.status, DeviceStatus::Approved(approval("u-2")));
    assert_eq!(
        (
            &got.device_code_hash,
            &got.user_code,
            &got.client_id,
            &got.scopes,
            &got.resources,
            &got.ip,
            got.created_at,
            got.expires_at,
        ),
        (
            &d1.device_code_hash,
            &d1.user_code,
            &d1.client_id,
            &d1.scopes,
            &d1.resources,
            &d1.ip,
            d1.created_at,
            d1.expires_at,
        )
    );
    assert_eq!(
        poll(&*store, "t1", &d1, "app-1", NOW + 10).await,
        DevicePoll::AlreadyConsumed
    );
    assert_eq!(
        poll(&*store, "t1", &d1, "app-1", NOW + 11).await,
        DevicePoll::AlreadyConsumed,
        "a consumed request is not slowed down: it is over"
    );
    assert!(
        !store
            .decide_device_authorization("t1", "BCDFGHJK", None, NOW + 12)
            .await
            .unwrap(),
        "a consumed request cannot be decided again"
    );
}

/// Of 20 concurrent polls of an approved request (none too fast: the interval is 0), exactly
/// one gets it; the others are told it was consumed.
pub async fn concurrent_device_polls_one_approved(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let d1 = DeviceAuthorization {
        interval: 0,
        ..device("d-1", "app-1", "BCDFGHJK", NOW + 600)
    };
    store.insert_device_authorization("t1", &d1).await.unwrap();
    assert!(
        store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&approval("u-1")), NOW)
            .await
            .unwrap()
    );
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let d1 = d1.clone();
            tokio::spawn(async move { poll(&*store, "t1", &d1, "app-1", NOW).await })
        })
        .collect();
    let (mut approved, mut consumed) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            DevicePoll::Approved(got) => {
                assert_eq!(got.status, DeviceStatus::Approved(approval("u-1")));
                approved += 1;
            }
            DevicePoll::AlreadyConsumed => consumed += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((approved, consumed), (1, 19));
}

/// From `expires_at` on, every poll of a request not yet consumed is `Expired`, whatever its
/// status: an approval not collected in time is lost.
pub async fn device_poll_after_expiry_is_expired(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let pending = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    let approved = device("d-2", "app-1", "LMNPQRST", NOW + 600);
    let denied = device("d-3", "app-1", "VWXZBCDF", NOW + 600);
    for d in [&pending, &approved, &denied] {
        store.insert_device_authorization("t1", d).await.unwrap();
    }
    assert!(
        store
            .decide_device_authorization("t1", "LMNPQRST", Some(&approval("u-1")), NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .decide_device_authorization("t1", "VWXZBCDF", None, NOW)
            .await
            .unwrap()
    );
    assert_eq!(
        poll(&*store, "t1", &pending, "app-1", NOW + 599).await,
        DevicePoll::Pending
    );
    for d in [&pending, &approved, &denied] {
        assert_eq!(
            poll(&*store, "t1", d, "app-1", NOW + 600).await,
            DevicePoll::Expired,
            "{}",
            d.user_code
        );
        // Even too soon after the previous poll: expiry comes first.
        assert_eq!(
            poll(&*store, "t1", d, "app-1", NOW + 601).await,
            DevicePoll::Expired,
            "{}",
            d.user_code
        );
    }
}

/// A consumed request answers `AlreadyConsumed` even once expired.
pub async fn device_consumed_wins_over_expired(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    store.insert_device_authorization("t1", &d1).await.unwrap();
    assert!(
        store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&approval("u-1")), NOW)
            .await
            .unwrap()
    );
    assert!(matches!(
        poll(&*store, "t1", &d1, "app-1", NOW + 599).await,
        DevicePoll::Approved(_)
    ));
    for now in [NOW + 600, NOW + 86_400] {
        assert_eq!(
            poll(&*store, "t1", &d1, "app-1", now).await,
            DevicePoll::AlreadyConsumed
        );
    }
}

/// The purge deletes requests that expired [`CODE_RETENTION_SECS`](crate::CODE_RETENTION_SECS)
/// or more ago and keeps the others, so a late poll is still told `Expired`.
pub async fn purge_removes_only_expired_device_authorizations(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let day = crate::CODE_RETENTION_SECS;
    let old = device("d-old", "app-1", "BCDFGHJK", NOW - day);
    let recent = device("d-recent", "app-1", "LMNPQRST", NOW - day + 1);
    let live = device("d-live", "app-1", "VWXZBCDF", NOW + 600);
    for d in [&old, &recent, &live] {
        store.insert_device_authorization("t1", d).await.unwrap();
    }
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 1);
    assert_eq!(
        poll(&*store, "t1", &old, "app-1", NOW).await,
        DevicePoll::NotFound
    );
    assert_eq!(
        poll(&*store, "t1", &recent, "app-1", NOW).await,
        DevicePoll::Expired
    );
    assert_eq!(
        poll(&*store, "t1", &live, "app-1", NOW).await,
        DevicePoll::Pending
    );
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 0);
    // The purged request's user code is free again.
    store
        .insert_device_authorization("t1", &device("d-new", "app-1", "BCDFGHJK", NOW + 600))
        .await
        .unwrap();
}

/// No device call crosses tenants; the same codes are free in another tenant.
pub async fn devices_tenant_isolation(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1", "t2"]).await;
    let d1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    store.insert_device_authorization("t1", &d1).await.unwrap();
    assert_eq!(find(&*store, "t2", "BCDFGHJK").await, None);
    assert!(
        !store
            .decide_device_authorization("t2", "BCDFGHJK", Some(&approval("u-1")), NOW)
            .await
            .unwrap()
    );
    assert_eq!(
        poll(&*store, "t2", &d1, "app-1", NOW).await,
        DevicePoll::NotFound
    );
    let other = DeviceAuthorization {
        scopes: vec!["openid".to_owned()],
        ..device("d-1", "app-2", "BCDFGHJK", NOW + 300)
    };
    store
        .insert_device_authorization("t2", &other)
        .await
        .unwrap();
    assert_eq!(find(&*store, "t2", "BCDFGHJK").await, Some(other.clone()));
    assert!(
        store
            .decide_device_authorization("t2", "BCDFGHJK", None, NOW)
            .await
            .unwrap()
    );
    assert_eq!(find(&*store, "t1", "BCDFGHJK").await, Some(d1.clone()));
    assert_eq!(
        poll(&*store, "t1", &d1, "app-1", NOW).await,
        DevicePoll::Pending
    );
    assert_eq!(
        poll(&*store, "t2", &other, "app-2", NOW).await,
        DevicePoll::Denied
    );
}

/// Deleting an application deletes its requests; deleting a user deletes the requests they
/// approved.
pub async fn deleting_application_or_user_cascades_device_authorizations(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let of_app_1 = device("d-1", "app-1", "BCDFGHJK", NOW + 600);
    let approved_by_u1 = device("d-2", "app-2", "LMNPQRST", NOW + 600);
    let approved_by_u2 = device("d-3", "app-2", "VWXZBCDF", NOW + 600);
    for d in [&of_app_1, &approved_by_u1, &approved_by_u2] {
        store.insert_device_authorization("t1", d).await.unwrap();
    }
    for (user_code, user_id) in [("LMNPQRST", "u-1"), ("VWXZBCDF", "u-2")] {
        assert!(
            store
                .decide_device_authorization("t1", user_code, Some(&approval(user_id)), NOW)
                .await
                .unwrap()
        );
    }
    store.delete_application("t1", "app-1").await.unwrap();
    store.delete_user("t1", "u-1").await.unwrap();
    assert_eq!(find(&*store, "t1", "BCDFGHJK").await, None);
    assert_eq!(find(&*store, "t1", "LMNPQRST").await, None);
    assert_eq!(
        poll(&*store, "t1", &approved_by_u1, "app-2", NOW).await,
        DevicePoll::NotFound
    );
    assert_eq!(
        find(&*store, "t1", "VWXZBCDF").await.map(|d| d.status),
        Some(DeviceStatus::Approved(approval("u-2")))
    );
}

/// An application's `device_flow` flag round-trips through every read and update.
pub async fn application_device_flow_roundtrip(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let plain = application("app-1", vec![]);
    assert!(!plain.device_flow, "the fixture's default");
    let device = Application {
        app_type: ApplicationType::Native,
        device_flow: true,
        ..application("app-2", vec![])
    };
    for app in [&plain, &device] {
        store.insert_application("t1", app).await.unwrap();
    }
    assert_eq!(
        store.find_application("t1", "app-2").await.unwrap(),
        Some(device.clone())
    );
    let (client, _) = store.find_client("t1", "app-2").await.unwrap().unwrap();
    assert_eq!(client, device);
    assert_eq!(
        store
            .list_applications("t1", &page(None, 50))
            .await
            .unwrap(),
        vec![plain.clone(), device.clone()]
    );

    let switched_on = Application {
        device_flow: true,
        updated_at: 1_800_000_000,
        ..plain
    };
    let switched_off = Application {
        device_flow: false,
        updated_at: 1_800_000_000,
        ..device
    };
    for app in [&switched_on, &switched_off] {
        store.update_application("t1", app).await.unwrap();
    }
    assert_eq!(
        store.find_application("t1", "app-1").await.unwrap(),
        Some(switched_on)
    );
    let (client, _) = store.find_client("t1", "app-2").await.unwrap().unwrap();
    assert_eq!(client, switched_off);
}

/// A request naming several resources (RFC 8707) keeps them in request order, by user code
/// and through the approving poll.
pub async fn device_several_resources_roundtrip(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let resources = vec![
        "https://z.example/api".to_owned(),
        "https://a.example/api".to_owned(),
    ];
    let d1 = DeviceAuthorization {
        resources: resources.clone(),
        ..device("d-many", "app-1", "BCDFGHJK", NOW + 600)
    };
    store.insert_device_authorization("t1", &d1).await.unwrap();
    assert_eq!(
        find(&*store, "t1", "BCDFGHJK").await.map(|d| d.resources),
        Some(resources.clone())
    );
    let approved = DeviceApproval {
        resources: resources.clone(),
        ..approval("u-1")
    };
    assert!(
        store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&approved), NOW)
            .await
            .unwrap()
    );
    let DevicePoll::Approved(got) = poll(&*store, "t1", &d1, "app-1", NOW + 5).await else {
        panic!("expected Approved");
    };
    assert_eq!(got.resources, resources);
}

/// Approving stores what the person approved (resources and scopes narrowed from the
/// request) as the authorization's own; denying leaves the request as it was.
pub async fn device_approval_narrows_the_request(store: Arc<dyn Store>) {
    device_fixtures(&*store, &["t1"]).await;
    let requested = DeviceAuthorization {
        resources: vec![
            "https://a.example/api".to_owned(),
            "https://b.example/api".to_owned(),
        ],
        scopes: vec!["openid".to_owned(), "read".to_owned(), "all".to_owned()],
        ..device("d-wide", "app-1", "BCDFGHJK", NOW + 600)
    };
    let denied = device("d-denied", "app-1", "LMNPQRST", NOW + 600);
    store
        .insert_device_authorization("t1", &requested)
        .await
        .unwrap();
    store
        .insert_device_authorization("t1", &denied)
        .await
        .unwrap();
    let narrowed = DeviceApproval {
        resources: vec!["https://a.example/api".to_owned()],
        scopes: vec!["openid".to_owned(), "read".to_owned()],
        ..approval("u-1")
    };
    assert!(
        store
            .decide_device_authorization("t1", "BCDFGHJK", Some(&narrowed), NOW)
            .await
            .unwrap()
    );
    let DevicePoll::Approved(got) = poll(&*store, "t1", &requested, "app-1", NOW + 5).await else {
        panic!("expected Approved");
    };
    assert_eq!(got.resources, narrowed.resources);
    assert_eq!(got.scopes, narrowed.scopes);
    assert_eq!(got.status, DeviceStatus::Approved(narrowed));

    assert!(
        store
            .decide_device_authorization("t1", "LMNPQRST", None, NOW)
            .await
            .unwrap()
    );
    let after = find(&*store, "t1", "LMNPQRST").await.unwrap();
    assert_eq!(
        (after.resources, after.scopes),
        (denied.resources, denied.scopes)
    );
}
