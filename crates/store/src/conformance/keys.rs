//! Cases for signing keys, the revoked token deny list and the combined token state.

use std::sync::Arc;

use super::*;

/// Keys list newest first (creation time, then kid, descending); duplicates conflict.
pub async fn signing_keys_listed_newest_first(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let rsa = SigningKey {
        alg: SigningAlgorithm::Rs256,
        retires_at: Some(7),
        expires_at: Some(8),
        ..signing_key("k-b", 100)
    };
    for key in [
        signing_key("k-old", 50),
        rsa.clone(),
        signing_key("k-a", 100),
        signing_key("k-new", 300),
    ] {
        store.insert_signing_key("t1", &key).await.unwrap();
    }
    assert_conflict(
        store.insert_signing_key("t1", &signing_key("k-a", 1)).await,
        "duplicate kid",
    );
    let kids: Vec<String> = store
        .list_signing_keys("t1")
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, ["k-new", "k-b", "k-a", "k-old"]);
    let listed = store.list_signing_keys("t1").await.unwrap();
    assert_eq!(listed[1], rsa);
}

/// Rotation retires every unretired key and adds the new one; `retire_signing_key` sets both times.
pub async fn signing_key_rotation_retires_previous(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    let already_retired = SigningKey {
        retires_at: Some(150),
        expires_at: Some(250),
        ..signing_key("k-0", 10)
    };
    store
        .insert_signing_key("t1", &already_retired)
        .await
        .unwrap();
    store
        .insert_signing_key("t1", &signing_key("k-1", 100))
        .await
        .unwrap();
    store
        .insert_signing_key("t2", &signing_key("k-other", 100))
        .await
        .unwrap();

    store
        .rotate_signing_key("t1", &signing_key("k-2", 200), 500, 900)
        .await
        .unwrap();
    let keys = store.list_signing_keys("t1").await.unwrap();
    let expected_old = SigningKey {
        retires_at: Some(500),
        expires_at: Some(900),
        ..signing_key("k-1", 100)
    };
    assert_eq!(
        keys,
        vec![
            signing_key("k-2", 200),
            expected_old,
            already_retired.clone()
        ]
    );
    // Another tenant's keys are untouched.
    assert_eq!(
        store.list_signing_keys("t2").await.unwrap(),
        vec![signing_key("k-other", 100)]
    );

    // A rotation whose new key collides fails whole: nothing is retired.
    let result = store
        .rotate_signing_key("t1", &signing_key("k-1", 300), 600, 1000)
        .await;
    assert_conflict(result, "rotation with a taken kid");
    let after_failure = store.list_signing_keys("t1").await.unwrap();
    assert_eq!(after_failure[0], signing_key("k-2", 200));

    store
        .retire_signing_key("t1", "k-2", 700, 800)
        .await
        .unwrap();
    let keys = store.list_signing_keys("t1").await.unwrap();
    assert_eq!(
        (keys[0].retires_at, keys[0].expires_at),
        (Some(700), Some(800))
    );
}

/// The deny list: idempotent inserts, per-tenant lookups, expiry purge across tenants.
pub async fn revocations(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    store
        .insert_revoked_token("t1", "jti-old", 100)
        .await
        .unwrap();
    store
        .insert_revoked_token("t1", "jti-old", 100)
        .await
        .unwrap();
    store
        .insert_revoked_token("t1", "jti-edge", 1000)
        .await
        .unwrap();
    store
        .insert_revoked_token("t1", "jti-new", 5000)
        .await
        .unwrap();
    store
        .insert_revoked_token("t2", "jti-t2", 200)
        .await
        .unwrap();
    assert!(store.is_token_revoked("t1", "jti-old").await.unwrap());
    assert!(!store.is_token_revoked("t1", "jti-unknown").await.unwrap());

    // Strictly before `now`: a token expiring at `now` stays.
    assert_eq!(store.delete_expired_revocations(1000).await.unwrap(), 2);
    assert!(!store.is_token_revoked("t1", "jti-old").await.unwrap());
    assert!(!store.is_token_revoked("t2", "jti-t2").await.unwrap());
    assert!(store.is_token_revoked("t1", "jti-edge").await.unwrap());
    assert!(store.is_token_revoked("t1", "jti-new").await.unwrap());
    assert_eq!(store.delete_expired_revocations(1000).await.unwrap(), 0);
}

/// `token_state` as `(token_revoked, grant_revoked, client_exists)`.
async fn token_state_of(
    store: &dyn Store,
    tenant_id: &str,
    jti: &str,
    grant_id: Option<&str>,
    client_id: &str,
) -> (bool, bool, bool) {
    let state = store
        .token_state(tenant_id, jti, grant_id, client_id)
        .await
        .unwrap();
    (
        state.token_revoked,
        state.grant_revoked,
        state.client_exists,
    )
}

/// `token_state` answers each of its three questions independently, like the single lookups:
/// markers count until purged whatever their expiry, no grant id is never grant-revoked, and a
/// deleted client no longer exists.
pub async fn token_state_combinations(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    for app in ["app-a", "app-b"] {
        store
            .insert_application("t1", &application(app, vec![]))
            .await
            .unwrap();
    }
    // Both markers expire at 100: long past for any token, yet still present.
    store
        .insert_revoked_token("t1", "jti-r", 100)
        .await
        .unwrap();
    store.revoke_grant("t1", "g-r", 50, 100).await.unwrap();

    let s = &*store;
    // (jti, grant id, client id) -> (token revoked, grant revoked, client exists)
    let cases = [
        // Nothing revoked, with and without a grant.
        ("jti-ok", Some("g-ok"), "app-a", (false, false, true)),
        ("jti-ok", None, "app-a", (false, false, true)),
        // Revoked jti only, with and without a grant.
        ("jti-r", Some("g-ok"), "app-a", (true, false, true)),
        ("jti-r", None, "app-a", (true, false, true)),
        // Revoked grant only.
        ("jti-ok", Some("g-r"), "app-a", (false, true, true)),
        // Unknown client only, with and without a grant.
        ("jti-ok", Some("g-ok"), "app-x", (false, false, false)),
        ("jti-ok", None, "app-x", (false, false, false)),
        // Everything at once.
        ("jti-r", Some("g-r"), "app-x", (true, true, false)),
        // Each question reads its own table: a jti is not a grant id, nor a client id.
        ("jti-ok", Some("jti-r"), "app-a", (false, false, true)),
        ("g-r", None, "app-a", (false, false, true)),
        ("app-a", Some("app-a"), "app-x", (false, false, false)),
    ];
    for (jti, grant_id, client_id, expected) in cases {
        assert_eq!(
            token_state_of(s, "t1", jti, grant_id, client_id).await,
            expected,
            "jti {jti}, grant {grant_id:?}, client {client_id}"
        );
    }

    // T-15: deleting the application is seen at once; the other client is untouched.
    store.delete_application("t1", "app-b").await.unwrap();
    assert_eq!(
        token_state_of(s, "t1", "jti-ok", Some("g-ok"), "app-b").await,
        (false, false, false)
    );
    assert_eq!(
        token_state_of(s, "t1", "jti-ok", Some("g-ok"), "app-a").await,
        (false, false, true)
    );

    // Purging the markers ends the revocations.
    store.delete_expired_revocations(1000).await.unwrap();
    store.delete_expired_grants_data(1000).await.unwrap();
    assert_eq!(
        token_state_of(s, "t1", "jti-r", Some("g-r"), "app-a").await,
        (false, false, true)
    );
}

/// `token_state` never sees another tenant's deny list, revoked grants or clients.
pub async fn token_state_tenant_isolation(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    store
        .insert_application("t1", &application("app-1", vec![]))
        .await
        .unwrap();
    store
        .insert_application("t2", &application("app-2", vec![]))
        .await
        .unwrap();
    store
        .insert_revoked_token("t1", "jti-1", 5000)
        .await
        .unwrap();
    store.revoke_grant("t1", "g-1", 100, 5000).await.unwrap();
    store
        .insert_revoked_token("t2", "jti-2", 5000)
        .await
        .unwrap();
    store.revoke_grant("t2", "g-2", 100, 5000).await.unwrap();

    let s = &*store;
    assert_eq!(
        token_state_of(s, "t1", "jti-1", Some("g-1"), "app-1").await,
        (true, true, true)
    );
    assert_eq!(
        token_state_of(s, "t2", "jti-1", Some("g-1"), "app-1").await,
        (false, false, false)
    );
    assert_eq!(
        token_state_of(s, "t1", "jti-2", Some("g-2"), "app-2").await,
        (false, false, false)
    );
    assert_eq!(
        token_state_of(s, "t2", "jti-2", Some("g-2"), "app-2").await,
        (true, true, true)
    );
    assert_eq!(
        token_state_of(s, "t3", "jti-1", Some("g-1"), "app-1").await,
        (false, false, false)
    );
}

/// A rotation cuts short a key that was set to retire later than the new key activates (an
/// earlier rotation with a long activation delay), so only one key signs at any time.
pub async fn signing_key_rotation_cuts_later_retirements(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    store
        .insert_signing_key("t1", &signing_key("k-1", 100))
        .await
        .unwrap();
    // First rotation: k-2 activates at 5000, k-1 retires then.
    let delayed = SigningKey {
        activates_at: 5000,
        ..signing_key("k-2", 200)
    };
    store
        .rotate_signing_key("t1", &delayed, 5000, 9000)
        .await
        .unwrap();
    // Second rotation, immediate: k-1 and k-2 both retire at 300.
    store
        .rotate_signing_key("t1", &signing_key("k-3", 300), 300, 700)
        .await
        .unwrap();
    let keys = store.list_signing_keys("t1").await.unwrap();
    let times: Vec<(String, Option<i64>, Option<i64>)> = keys
        .into_iter()
        .map(|k| (k.kid, k.retires_at, k.expires_at))
        .collect();
    assert_eq!(
        times,
        vec![
            ("k-3".to_owned(), None, None),
            ("k-2".to_owned(), Some(300), Some(700)),
            ("k-1".to_owned(), Some(300), Some(700)),
        ]
    );
}
