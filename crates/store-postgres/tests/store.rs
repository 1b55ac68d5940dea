//! The store conformance suite and PostgreSQL-specific checks, in one test binary. Needs a
//! server at `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_store::{Store, StoreError, StoreOptions, TenantStore};
use gatehouse_store_postgres::{PostgresStore, testing};
use sqlx::Connection;

gatehouse_store::conformance_tests!(async {
    let (store, database) = testing::fresh_database().await;
    (Arc::new(store) as Arc<dyn Store>, database)
});

#[tokio::test]
async fn unreachable_server_is_unavailable_promptly() {
    let options = StoreOptions {
        acquire_timeout: Duration::from_secs(1),
        ..StoreOptions::default()
    };
    let started = Instant::now();
    let result = PostgresStore::connect("postgres://postgres@127.0.0.1:1/postgres", &options).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "got {result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn closed_pool_is_unavailable_and_bad_url_is_other() {
    let (store, _database) = testing::fresh_database().await;
    store.close().await;
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
    for url in [
        "postgres://postgres@127.0.0.1:notaport/db",
        "sqlite://gatehouse.db",
    ] {
        let result = PostgresStore::connect(url, &StoreOptions::default()).await;
        assert!(
            matches!(result, Err(StoreError::Other(_))),
            "{url}: got {result:?}"
        );
    }
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
        ..tenant.clone()
    };
    assert_eq!(
        store.insert_tenant(&again).await,
        Err(StoreError::Conflict("tenant name already exists".into()))
    );
    let same_id = gatehouse_core::Tenant {
        name: "other".into(),
        ..tenant
    };
    assert_eq!(
        store.insert_tenant(&same_id).await,
        Err(StoreError::Conflict("tenant id already exists".into()))
    );
}

#[tokio::test]
async fn replicas_migrating_at_once_migrate_once() {
    let database = testing::empty_database().await;
    let options = StoreOptions::default();
    let first = PostgresStore::connect(database.url(), &options)
        .await
        .unwrap();
    let second = PostgresStore::connect(database.url(), &options)
        .await
        .unwrap();
    let (a, b) = tokio::join!(first.migrate(), second.migrate());
    a.unwrap();
    b.unwrap();
    first.ping().await.unwrap();
}

#[tokio::test]
async fn test_database_is_dropped_with_its_guard() {
    let (store, database) = testing::fresh_database().await;
    let name = database.name().to_owned();
    drop(database);
    assert!(
        store.ping().await.is_err(),
        "connections to the dropped database were ended"
    );
    let mut admin = sqlx::PgConnection::connect(&testing::server_url())
        .await
        .unwrap();
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut admin)
        .await
        .unwrap()
        .is_some();
    assert!(!exists);
}
