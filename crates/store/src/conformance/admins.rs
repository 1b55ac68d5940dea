//! Cases for tenant administrators: the one-time bootstrap and membership.

use std::sync::Arc;

use gatehouse_core::user::User;

use super::*;

fn person(id: &str) -> User {
    User {
        id: id.to_owned(),
        username: Some(format!("admin-{id}")),
        email: Some(format!("{id}@example.com")),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        created_at: 1,
        updated_at: 1,
        ..User::default()
    }
}

/// The first bootstrap creates an administrator; every later one is refused, even after that
/// administrator is deleted, and writes nothing. Tenants bootstrap independently.
pub async fn bootstrap_admin_happens_once_per_tenant(store: Arc<dyn Store>) {
    insert_tenants(store.as_ref(), &["t1", "t2"]).await;
    store.bootstrap_admin("t1", &person("a"), 10).await.unwrap();
    assert!(store.is_admin("t1", "a").await.unwrap());
    assert!(
        !store.is_admin("t2", "a").await.unwrap(),
        "tenant isolation"
    );
    assert_eq!(store.find_user("t1", "a").await.unwrap(), Some(person("a")));

    let second = store.bootstrap_admin("t1", &person("b"), 11).await;
    assert!(matches!(second, Err(StoreError::Conflict(_))), "{second:?}");
    assert_eq!(
        store.find_user("t1", "b").await.unwrap(),
        None,
        "nothing written"
    );
    assert!(!store.is_admin("t1", "b").await.unwrap());

    store.delete_user("t1", "a").await.unwrap();
    assert!(
        !store.is_admin("t1", "a").await.unwrap(),
        "membership goes with the user"
    );
    let reopened = store.bootstrap_admin("t1", &person("c"), 12).await;
    assert!(
        matches!(reopened, Err(StoreError::Conflict(_))),
        "never reopens"
    );

    store.bootstrap_admin("t2", &person("b"), 13).await.unwrap();
    assert!(store.is_admin("t2", "b").await.unwrap());
    assert!(!store.is_admin("t2", "nobody").await.unwrap());
}

/// A bootstrap whose user collides with an existing one fails as a whole: the tenant can
/// still be bootstrapped with another user.
pub async fn failed_bootstrap_leaves_the_tenant_open(store: Arc<dyn Store>) {
    insert_tenants(store.as_ref(), &["t1"]).await;
    store.insert_user("t1", &person("taken")).await.unwrap();
    let mut clash = person("x");
    clash.username = Some("admin-taken".to_owned());
    let result = store.bootstrap_admin("t1", &clash, 10).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(!store.is_admin("t1", "x").await.unwrap());
    store.bootstrap_admin("t1", &person("y"), 11).await.unwrap();
    assert!(store.is_admin("t1", "y").await.unwrap());
    let unknown_tenant = store.bootstrap_admin("nope", &person("z"), 12).await;
    assert!(matches!(unknown_tenant, Err(StoreError::Conflict(_))));
}

/// Of concurrent bootstraps of one tenant, exactly one succeeds.
pub async fn concurrent_bootstraps_have_one_winner(store: Arc<dyn Store>) {
    insert_tenants(store.as_ref(), &["t1"]).await;
    let attempts = (0..10).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .bootstrap_admin("t1", &person(&format!("p{i}")), 10)
                .await
        })
    });
    let mut winners = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => winners += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(winners, 1);
}
