//! Cases for signing keys and the revoked token deny list.

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
