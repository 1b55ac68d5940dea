//! The store conformance suite and SQLite-specific checks, in one test binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_store::{Store, StoreError, StoreOptions, TenantStore};
use gatehouse_store_sqlite::{SqliteStore, testing};

gatehouse_store::conformance_tests!(async {
    let (store, database) = testing::fresh_database().await;
    (Arc::new(store) as Arc<dyn Store>, database)
});

#[tokio::test]
async fn in_memory_database_is_shared_by_every_call() {
    let store = SqliteStore::connect("sqlite::memory:", &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let tenant = gatehouse_core::Tenant {
        id: "t1".into(),
        name: "acme".into(),
        created_at: 1,
    };
    store.insert_tenant(&tenant).await.unwrap();
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.find_tenant_by_name("acme").await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), Some(tenant.clone()));
    }
    assert_eq!(store.backend(), "sqlite");
}

#[tokio::test]
async fn migrating_twice_is_harmless_and_the_file_is_created() {
    let (store, database) = testing::fresh_database().await;
    store.migrate().await.unwrap();
    assert!(database.path().exists());
    let reopened = SqliteStore::connect(database.url(), &StoreOptions::default())
        .await
        .unwrap();
    reopened.migrate().await.unwrap();
    reopened.ping().await.unwrap();
}

#[tokio::test]
async fn unopenable_file_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    // A path below a regular file can never be opened or created.
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, b"x").unwrap();
    let url = format!("sqlite://{}/db.sqlite", blocker.display());
    let options = StoreOptions {
        acquire_timeout: Duration::from_secs(1),
        ..StoreOptions::default()
    };
    let started = Instant::now();
    let result = SqliteStore::connect(&url, &options).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "got {result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn closed_pool_is_unavailable_and_bad_url_is_other() {
    let (store, _database) = testing::fresh_database().await;
    store.close().await;
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
    let result = SqliteStore::connect("postgres://nope", &StoreOptions::default()).await;
    assert!(
        matches!(result, Err(StoreError::Other(_))),
        "got {result:?}"
    );
}

#[tokio::test]
async fn unique_violation_message_names_the_constraint() {
    let (store, _database) = testing::fresh_database().await;
    let tenant = gatehouse_core::Tenant {
        id: "t1".into(),
        name: "acme".into(),
        created_at: 1,
    };
    store.insert_tenant(&tenant).await.unwrap();
    let again = gatehouse_core::Tenant {
        id: "t2".into(),
        ..tenant
    };
    assert_eq!(
        store.insert_tenant(&again).await,
        Err(StoreError::Conflict("tenant name already exists".into()))
    );
}
