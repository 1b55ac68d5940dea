//! Client authentication through the client cache: this engine's own changes apply at once,
//! other processes' changes at the next poll of the store's client generation, and nothing is
//! served from memory without a recent successful poll.

use super::*;
use gatehouse_types::management::CreateClientSecret;

fn with_secret(client: &Client, secret: &str) -> UnverifiedClientCredentials {
    Client {
        id: client.id.clone(),
        secret: Some(secret.to_owned()),
    }
    .credentials()
}

async fn accepted(fx: &Fixture, credentials: &UnverifiedClientCredentials) -> bool {
    match fx.engine.authenticate_client(&fx.tenant, credentials).await {
        Ok(app) => {
            assert_eq!(app.id, credentials.client_id);
            true
        }
        Err(error) => {
            assert_eq!(
                error.code,
                crate::error::ErrorCode::InvalidClient,
                "{error:?}"
            );
            false
        }
    }
}

async fn only_secret_id(fx: &Fixture, client: &Client) -> String {
    let secrets = fx
        .engine
        .store
        .list_client_secrets(fx.tenant.id(), &client.id)
        .await
        .unwrap();
    assert_eq!(secrets.len(), 1);
    secrets[0].id.clone()
}

#[tokio::test]
async fn changes_through_this_engine_apply_at_once() {
    let fx = fixture().await;
    fx.engine.sync_clients().await.unwrap();
    let old = fx.m2m.credentials();
    assert!(accepted(&fx, &old).await);
    let old_id = only_secret_id(&fx, &fx.m2m).await;

    // A new secret works at once, though the client without it was cached.
    let created = fx
        .engine
        .create_client_secret(&fx.tenant, &fx.m2m.id, CreateClientSecret::default())
        .await
        .unwrap();
    let new = with_secret(&fx.m2m, &created.client_secret);
    assert!(accepted(&fx, &new).await);
    assert!(accepted(&fx, &old).await);

    // A deleted secret stops working at once.
    fx.engine
        .delete_client_secret(&fx.tenant, &fx.m2m.id, &old_id)
        .await
        .unwrap();
    assert!(!accepted(&fx, &old).await);
    assert!(accepted(&fx, &new).await);

    // So does a deleted application.
    fx.engine
        .delete_application(&fx.tenant, &fx.m2m.id)
        .await
        .unwrap();
    assert!(!accepted(&fx, &new).await);
}

#[tokio::test]
async fn other_processes_changes_apply_at_the_next_poll() {
    let fx = fixture().await;
    fx.engine.sync_clients().await.unwrap();
    let credentials = fx.m2m.credentials();
    assert!(accepted(&fx, &credentials).await);

    // Another process deletes the secret: the store is written, this engine is not told.
    let secret_id = only_secret_id(&fx, &fx.m2m).await;
    fx.engine
        .store
        .delete_client_secret(fx.tenant.id(), &fx.m2m.id, &secret_id)
        .await
        .unwrap();
    // Served from the cache (the poll interval bounds this window) ...
    assert!(accepted(&fx, &credentials).await);
    // ... until the next poll sees the generation move.
    fx.engine.sync_clients().await.unwrap();
    assert!(!accepted(&fx, &credentials).await);
}

#[tokio::test]
async fn without_a_recent_poll_the_store_is_read() {
    let fx = fixture().await;
    let credentials = fx.m2m.credentials();
    let secret_id = only_secret_id(&fx, &fx.m2m).await;

    // Never polled (an offline command, or polling not started): every lookup reads the store.
    assert!(accepted(&fx, &credentials).await);
    fx.engine
        .store
        .delete_client_secret(fx.tenant.id(), &fx.m2m.id, &secret_id)
        .await
        .unwrap();
    assert!(!accepted(&fx, &credentials).await);

    // A failed readiness check (or poll) stops trusting the cache at once.
    let created = fx
        .engine
        .create_client_secret(&fx.tenant, &fx.m2m.id, CreateClientSecret::default())
        .await
        .unwrap();
    let credentials = with_secret(&fx.m2m, &created.client_secret);
    fx.engine.sync_clients().await.unwrap();
    assert!(accepted(&fx, &credentials).await);
    fx.engine.clients.stale();
    fx.engine
        .store
        .delete_client_secret(fx.tenant.id(), &fx.m2m.id, &created.info.id)
        .await
        .unwrap();
    assert!(!accepted(&fx, &credentials).await);
}
