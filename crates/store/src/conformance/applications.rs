//! Cases for applications, their grants and secrets, missing rows, isolation and concurrency.

use std::sync::Arc;

use super::*;

/// Every field of an application, grants included, survives insert, find and list.
pub async fn application_roundtrip(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    store.insert_resource("t1", &resource("r-b")).await.unwrap();
    store.insert_resource("t1", &resource("r-a")).await.unwrap();
    let mut app = application(
        "app-1",
        vec![grant("r-b", &["write"]), grant("r-a", &["read", "write"])],
    );
    app.app_type = ApplicationType::Native;
    app.third_party = true;
    app.builtin = true;
    app.updated_at = 1_700_000_999;
    store.insert_application("t1", &app).await.unwrap();

    // Grants come back ordered by resource id.
    let mut expected = app.clone();
    expected.resource_grants = vec![grant("r-a", &["read", "write"]), grant("r-b", &["write"])];
    assert_eq!(
        store.find_application("t1", "app-1").await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(store.find_application("t1", "app-2").await.unwrap(), None);

    let bare = Application {
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        ..application("app-0", vec![])
    };
    store.insert_application("t1", &bare).await.unwrap();
    let listed = store
        .list_applications("t1", &page(None, 50))
        .await
        .unwrap();
    assert_eq!(listed, vec![bare, expected]);
}

/// A taken application id is a `Conflict` and leaves the first application untouched.
pub async fn application_duplicate_id_conflict(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let app = application("app-1", vec![]);
    store.insert_application("t1", &app).await.unwrap();
    let other = Application {
        name: "Other".to_owned(),
        ..app.clone()
    };
    assert_conflict(
        store.insert_application("t1", &other).await,
        "duplicate application id",
    );
    assert_eq!(
        store.find_application("t1", "app-1").await.unwrap(),
        Some(app)
    );
}

/// Updating replaces the mutable fields and the grants; type, builtin and creation stay.
pub async fn application_update_replaces_grants(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    for id in ["r-1", "r-2", "r-3"] {
        store.insert_resource("t1", &resource(id)).await.unwrap();
    }
    let app = application(
        "app-1",
        vec![grant("r-1", &["read"]), grant("r-2", &["read"])],
    );
    store.insert_application("t1", &app).await.unwrap();

    let changed = Application {
        name: "Renamed".to_owned(),
        redirect_uris: vec!["https://new.example/cb".to_owned()],
        post_logout_redirect_uris: vec![],
        third_party: true,
        resource_grants: vec![grant("r-3", &["write"]), grant("r-2", &["read", "write"])],
        updated_at: 1_800_000_000,
        // Immutable fields: whatever the caller passes, the stored values stay.
        app_type: ApplicationType::M2m,
        builtin: true,
        created_at: 1,
        ..app.clone()
    };
    store.update_application("t1", &changed).await.unwrap();

    let found = store
        .find_application("t1", "app-1")
        .await
        .unwrap()
        .unwrap();
    let expected = Application {
        app_type: app.app_type,
        builtin: app.builtin,
        created_at: app.created_at,
        resource_grants: vec![grant("r-2", &["read", "write"]), grant("r-3", &["write"])],
        ..changed.clone()
    };
    assert_eq!(found, expected);

    let cleared = Application {
        resource_grants: vec![],
        ..changed
    };
    store.update_application("t1", &cleared).await.unwrap();
    let found = store
        .find_application("t1", "app-1")
        .await
        .unwrap()
        .unwrap();
    assert!(found.resource_grants.is_empty());
}

/// Deleting an application deletes its secrets and grants; its id can be reused cleanly.
pub async fn application_delete_cascades_secrets_and_grants(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    store.insert_resource("t1", &resource("r-1")).await.unwrap();
    store
        .insert_application("t1", &application("app-1", vec![grant("r-1", &["read"])]))
        .await
        .unwrap();
    store
        .insert_application("t1", &application("app-2", vec![grant("r-1", &["write"])]))
        .await
        .unwrap();
    store
        .insert_client_secret("t1", &secret("s-1", "app-1", 10))
        .await
        .unwrap();
    store
        .insert_client_secret("t1", &secret("s-2", "app-2", 10))
        .await
        .unwrap();

    store.delete_application("t1", "app-1").await.unwrap();
    assert_eq!(store.find_application("t1", "app-1").await.unwrap(), None);
    assert!(
        store
            .list_client_secrets("t1", "app-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        store.delete_application("t1", "app-1").await,
        "second delete",
    );

    // A new application with the same id starts with no secrets and no grants.
    store
        .insert_application("t1", &application("app-1", vec![]))
        .await
        .unwrap();
    let reborn = store
        .find_application("t1", "app-1")
        .await
        .unwrap()
        .unwrap();
    assert!(reborn.resource_grants.is_empty());
    assert!(
        store
            .list_client_secrets("t1", "app-1")
            .await
            .unwrap()
            .is_empty()
    );
    // The secret id is free again, and the other application kept its rows.
    store
        .insert_client_secret("t1", &secret("s-1", "app-1", 10))
        .await
        .unwrap();
    assert_eq!(
        store
            .list_client_secrets("t1", "app-2")
            .await
            .unwrap()
            .len(),
        1
    );
    let other = store
        .find_application("t1", "app-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.resource_grants, vec![grant("r-1", &["write"])]);
}

/// A grant on a resource the tenant does not have is refused, and nothing is stored.
pub async fn application_grant_to_unknown_resource_rejected(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    store
        .insert_resource("t2", &resource("r-foreign"))
        .await
        .unwrap();
    store.insert_resource("t1", &resource("r-1")).await.unwrap();

    for missing in ["r-missing", "r-foreign"] {
        let app = application(
            "app-1",
            vec![grant("r-1", &["read"]), grant(missing, &["read"])],
        );
        let result = store.insert_application("t1", &app).await;
        assert!(
            matches!(result, Err(StoreError::Conflict(_) | StoreError::Other(_))),
            "grant on {missing}: got {result:?}"
        );
        assert_eq!(store.find_application("t1", "app-1").await.unwrap(), None);
    }

    let app = application("app-1", vec![grant("r-1", &["read"])]);
    store.insert_application("t1", &app).await.unwrap();
    let bad = application("app-1", vec![grant("r-missing", &["read"])]);
    let result = store.update_application("t1", &bad).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(_) | StoreError::Other(_))),
        "update with unknown grant: got {result:?}"
    );
    // The failed update changed nothing.
    assert_eq!(
        store.find_application("t1", "app-1").await.unwrap(),
        Some(app)
    );
}

/// Applications list by id with an exclusive `after`, grants attached to the right ones.
pub async fn application_list_pagination(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    store.insert_resource("t1", &resource("r-1")).await.unwrap();
    for id in ["app-d", "app-b", "app-a", "app-c", "app-e"] {
        store
            .insert_application("t1", &application(id, vec![grant("r-1", &[id])]))
            .await
            .unwrap();
    }
    store
        .insert_application("t2", &application("app-0", vec![]))
        .await
        .unwrap();

    let ids = |apps: &[Application]| apps.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    let first = store.list_applications("t1", &page(None, 2)).await.unwrap();
    assert_eq!(ids(&first), ["app-a", "app-b"]);
    let second = store
        .list_applications("t1", &page(Some("app-b"), 2))
        .await
        .unwrap();
    assert_eq!(ids(&second), ["app-c", "app-d"]);
    let third = store
        .list_applications("t1", &page(Some("app-d"), 2))
        .await
        .unwrap();
    assert_eq!(ids(&third), ["app-e"]);
    for app in first.iter().chain(&second).chain(&third) {
        assert_eq!(app.resource_grants, vec![grant("r-1", &[app.id.as_str()])]);
    }
    assert!(
        store
            .list_applications("t1", &page(Some("app-e"), 2))
            .await
            .unwrap()
            .is_empty()
    );
    // An `after` that is not an existing id still works as a bound.
    let between = store
        .list_applications("t1", &page(Some("app-bb"), 10))
        .await
        .unwrap();
    assert_eq!(ids(&between), ["app-c", "app-d", "app-e"]);
}

/// Updating or deleting rows that do not exist is `NotFound`.
pub async fn missing_rows_are_not_found(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let app = application("ghost", vec![]);
    assert_not_found(
        store.update_application("t1", &app).await,
        "update_application",
    );
    assert_not_found(
        store.delete_application("t1", "ghost").await,
        "delete_application",
    );
    assert_not_found(
        store.update_resource("t1", &resource("ghost")).await,
        "update_resource",
    );
    assert_not_found(
        store.delete_resource("t1", "ghost").await,
        "delete_resource",
    );
    assert_not_found(
        store.retire_signing_key("t1", "ghost", 1, 2).await,
        "retire_signing_key",
    );
    store
        .insert_application("t1", &application("app-1", vec![]))
        .await
        .unwrap();
    assert_not_found(
        store.delete_client_secret("t1", "app-1", "ghost").await,
        "delete_client_secret",
    );
    assert_eq!(store.find_resource("t1", "ghost").await.unwrap(), None);
    assert_eq!(
        store
            .find_resource_by_indicator("t1", "https://ghost")
            .await
            .unwrap(),
        None
    );
}

/// Nothing of tenant A is visible to, or deletable through, tenant B.
pub async fn tenant_isolation(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["ta", "tb"]).await;
    let res = resource("r-1");
    store.insert_resource("ta", &res).await.unwrap();
    let app = application("app-1", vec![grant("r-1", &["read"])]);
    store.insert_application("ta", &app).await.unwrap();
    store
        .insert_client_secret("ta", &secret("s-1", "app-1", 5))
        .await
        .unwrap();
    store
        .insert_signing_key("ta", &signing_key("k-1", 100))
        .await
        .unwrap();
    store
        .insert_revoked_token("ta", "jti-1", i64::MAX)
        .await
        .unwrap();

    // Reads from B see nothing.
    assert_eq!(store.find_application("tb", "app-1").await.unwrap(), None);
    assert!(
        store
            .list_applications("tb", &page(None, 200))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.find_resource("tb", "r-1").await.unwrap(), None);
    assert_eq!(
        store
            .find_resource_by_indicator("tb", &res.indicator)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .list_resources("tb", &page(None, 200))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_client_secrets("tb", "app-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.list_signing_keys("tb").await.unwrap().is_empty());
    assert!(!store.is_token_revoked("tb", "jti-1").await.unwrap());

    // Writes through B do not reach A's rows.
    assert_not_found(
        store.update_application("tb", &app).await,
        "update A's app via B",
    );
    assert_not_found(
        store.delete_application("tb", "app-1").await,
        "delete A's app via B",
    );
    assert_not_found(
        store.update_resource("tb", &res).await,
        "update A's resource via B",
    );
    assert_not_found(
        store.delete_resource("tb", "r-1").await,
        "delete A's resource via B",
    );
    assert_not_found(
        store.delete_client_secret("tb", "app-1", "s-1").await,
        "delete A's secret",
    );
    assert_not_found(
        store.retire_signing_key("tb", "k-1", 1, 2).await,
        "retire A's key via B",
    );
    store
        .rotate_signing_key("tb", &signing_key("k-b", 200), 300, 400)
        .await
        .unwrap();

    // B may use the same ids, indicator, kid and jti for its own rows.
    store.insert_resource("tb", &res).await.unwrap();
    store
        .insert_application("tb", &application("app-1", vec![]))
        .await
        .unwrap();
    store
        .insert_client_secret("tb", &secret("s-1", "app-1", 5))
        .await
        .unwrap();
    store
        .insert_signing_key("tb", &signing_key("k-1", 100))
        .await
        .unwrap();
    store.insert_revoked_token("tb", "jti-1", 10).await.unwrap();
    store.delete_application("tb", "app-1").await.unwrap();
    store.delete_resource("tb", "r-1").await.unwrap();

    // A is exactly as it was.
    assert_eq!(
        store.find_application("ta", "app-1").await.unwrap(),
        Some(app)
    );
    assert_eq!(store.find_resource("ta", "r-1").await.unwrap(), Some(res));
    assert_eq!(
        store.list_client_secrets("ta", "app-1").await.unwrap(),
        vec![secret("s-1", "app-1", 5)]
    );
    assert_eq!(
        store.list_signing_keys("ta").await.unwrap(),
        vec![signing_key("k-1", 100)]
    );
    assert!(store.is_token_revoked("ta", "jti-1").await.unwrap());
}

/// Secrets list per application in creation order and delete only within their application.
pub async fn client_secrets_scoped_to_application(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    store
        .insert_application("t1", &application("app-1", vec![]))
        .await
        .unwrap();
    store
        .insert_application("t1", &application("app-2", vec![]))
        .await
        .unwrap();
    let newer = ClientSecret {
        name: None,
        expires_at: Some(2_000_000_000),
        ..secret("s-a", "app-1", 20)
    };
    let older = secret("s-b", "app-1", 10);
    let elsewhere = secret("s-c", "app-2", 15);
    for s in [&newer, &older, &elsewhere] {
        store.insert_client_secret("t1", s).await.unwrap();
    }
    assert_conflict(
        store.insert_client_secret("t1", &older).await,
        "duplicate secret id",
    );
    let orphan = secret("s-x", "no-such-app", 1);
    assert!(
        store.insert_client_secret("t1", &orphan).await.is_err(),
        "secret of unknown app"
    );

    assert_eq!(
        store.list_client_secrets("t1", "app-1").await.unwrap(),
        vec![older.clone(), newer.clone()]
    );
    assert_eq!(
        store.list_client_secrets("t1", "app-2").await.unwrap(),
        vec![elsewhere.clone()]
    );

    assert_not_found(
        store.delete_client_secret("t1", "app-2", "s-a").await,
        "other app's secret",
    );
    store
        .delete_client_secret("t1", "app-1", "s-a")
        .await
        .unwrap();
    assert_not_found(
        store.delete_client_secret("t1", "app-1", "s-a").await,
        "deleted twice",
    );
    assert_eq!(
        store.list_client_secrets("t1", "app-1").await.unwrap(),
        vec![older]
    );
    assert_eq!(
        store.list_client_secrets("t1", "app-2").await.unwrap(),
        vec![elsewhere]
    );
}

/// Ten tasks insert the same application at once: exactly one wins, the rest conflict.
pub async fn concurrent_application_inserts_one_wins(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    store.insert_resource("t1", &resource("r-1")).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut app = application("app-race", vec![grant("r-1", &["read"])]);
                app.name = format!("Racer {n}");
                store.insert_application("t1", &app).await.map(|()| app)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(app) => winners.push(app),
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("expected Ok or Conflict, got {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one insert wins");
    let stored = store.find_application("t1", "app-race").await.unwrap();
    assert_eq!(stored, winners.pop());
}

/// `find_client` returns what `find_application` and `list_client_secrets` return, in one call,
/// and nothing for a missing application or another tenant's.
pub async fn find_client_returns_application_and_secrets(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    store.insert_resource("t1", &resource("r-a")).await.unwrap();
    store.insert_resource("t1", &resource("r-b")).await.unwrap();
    let app = application("app-1", vec![grant("r-a", &["read"]), grant("r-b", &[])]);
    store.insert_application("t1", &app).await.unwrap();
    let (found, secrets) = store.find_client("t1", "app-1").await.unwrap().unwrap();
    assert_eq!(
        Some(found),
        store.find_application("t1", "app-1").await.unwrap()
    );
    assert!(secrets.is_empty());

    let mut expiring = secret("s-2", "app-1", 20);
    expiring.expires_at = Some(99);
    expiring.name = None;
    for stored in [secret("s-1", "app-1", 10), expiring] {
        store.insert_client_secret("t1", &stored).await.unwrap();
    }
    let (_, secrets) = store.find_client("t1", "app-1").await.unwrap().unwrap();
    assert_eq!(
        secrets,
        store.list_client_secrets("t1", "app-1").await.unwrap()
    );
    assert_eq!(secrets.len(), 2);
    assert_eq!(store.find_client("t1", "app-2").await.unwrap(), None);
    assert_eq!(store.find_client("t2", "app-1").await.unwrap(), None);
}

/// Refresh token lifetimes and the JWK Set survive insert, find, find_client and list, and an
/// update changes or clears them.
pub async fn application_client_auth_settings_roundtrip(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let jwks = r#"{"keys":[{"kty":"EC","kid":"k1","use":"sig","alg":"ES256"}]}"#;
    let app = Application {
        refresh_token_absolute_ttl: Some(4_000_000_000),
        refresh_token_idle_ttl: Some(60),
        jwks: Some(jwks.to_owned()),
        ..application("app-1", vec![])
    };
    store.insert_application("t1", &app).await.unwrap();
    let plain = application("app-2", vec![]);
    store.insert_application("t1", &plain).await.unwrap();
    assert_eq!(
        store.find_application("t1", "app-1").await.unwrap(),
        Some(app.clone())
    );
    let (client, _) = store.find_client("t1", "app-1").await.unwrap().unwrap();
    assert_eq!(client, app);
    assert_eq!(
        store
            .list_applications("t1", &page(None, 50))
            .await
            .unwrap(),
        vec![app.clone(), plain.clone()]
    );

    let changed = Application {
        refresh_token_absolute_ttl: None,
        refresh_token_idle_ttl: Some(7200),
        jwks: None,
        updated_at: 1_800_000_000,
        ..app.clone()
    };
    store.update_application("t1", &changed).await.unwrap();
    assert_eq!(
        store.find_application("t1", "app-1").await.unwrap(),
        Some(changed)
    );
    let (client, _) = store.find_client("t1", "app-2").await.unwrap().unwrap();
    assert_eq!(client, plain);
}

/// Every committed change client authentication depends on moves the client generation, and
/// reads or failed writes do not: caches of [`ApplicationStore::find_client`] rely on it.
pub async fn client_generation_moves_on_every_client_change(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    store.insert_resource("t1", &resource("r-1")).await.unwrap();
    store.insert_resource("t1", &resource("r-2")).await.unwrap();
    let start = store.client_generation().await.unwrap();
    let mut last = start;
    let mut moved = async |what: &str| {
        let now = store.client_generation().await.unwrap();
        assert!(
            now > last,
            "{what} did not move the client generation ({last} -> {now})"
        );
        last = now;
    };

    let mut app = application("app-1", vec![grant("r-1", &["read"])]);
    store.insert_application("t1", &app).await.unwrap();
    moved("inserting an application").await;
    store
        .insert_client_secret("t1", &secret("s-1", "app-1", 1_700_000_000))
        .await
        .unwrap();
    moved("inserting a secret").await;
    app.name = "Renamed".to_owned();
    store.update_application("t1", &app).await.unwrap();
    moved("updating an application").await;
    app.resource_grants = vec![grant("r-1", &["read"]), grant("r-2", &["write"])];
    store.update_application("t1", &app).await.unwrap();
    moved("changing grants").await;
    store
        .delete_client_secret("t1", "app-1", "s-1")
        .await
        .unwrap();
    moved("deleting a secret").await;
    store.delete_resource("t1", "r-2").await.unwrap();
    moved("deleting a resource an application is granted").await;

    // Reads and refused writes leave it alone.
    let before = store.client_generation().await.unwrap();
    store.find_client("t1", "app-1").await.unwrap();
    store
        .list_applications("t1", &page(None, 10))
        .await
        .unwrap();
    assert_conflict(
        store.insert_application("t1", &app).await,
        "duplicate application id",
    );
    assert_not_found(
        store.delete_client_secret("t1", "app-1", "s-1").await,
        "deleting a missing secret",
    );
    assert_eq!(store.client_generation().await.unwrap(), before);

    store.delete_application("t1", "app-1").await.unwrap();
    let end = store.client_generation().await.unwrap();
    assert!(
        end > before,
        "deleting an application did not move the client generation"
    );
    assert!(end > start);
}
