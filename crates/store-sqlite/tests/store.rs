//! The store conformance suite and SQLite-specific checks, in one test binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_store::{
    ApplicationStore, PersonalAccessTokenStore, RevocationStore, Store, StoreError, StoreOptions,
    TenantStore, UserStore,
};
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

/// Each way of inserting a personal access token can collide is named in words.
#[tokio::test]
async fn pat_conflicts_name_what_collided() {
    let (store, _database) = testing::fresh_database().await;
    let tenant = gatehouse_core::Tenant {
        id: "t1".into(),
        name: "acme".into(),
        created_at: 1,
    };
    store.insert_tenant(&tenant).await.unwrap();
    let user = gatehouse_core::user::User {
        id: "u-1".into(),
        username: Some("ada".into()),
        created_at: 1,
        updated_at: 1,
        ..Default::default()
    };
    store.insert_user("t1", &user).await.unwrap();
    let token = gatehouse_core::PersonalAccessToken {
        id: "pat-1".into(),
        user_id: "u-1".into(),
        name: "CI".into(),
        token_hash: vec![7; 32],
        scopes: vec!["openid".into()],
        created_at: 1,
        expires_at: 2,
        last_used_at: None,
    };
    store.insert_pat("t1", &token).await.unwrap();
    let cases = [
        (
            gatehouse_core::PersonalAccessToken {
                id: "pat-2".into(),
                ..token.clone()
            },
            "personal access token already exists",
        ),
        (
            gatehouse_core::PersonalAccessToken {
                token_hash: vec![8; 32],
                ..token.clone()
            },
            "personal access token id already exists",
        ),
        (
            gatehouse_core::PersonalAccessToken {
                id: "pat-3".into(),
                user_id: "u-9".into(),
                token_hash: vec![9; 32],
                ..token.clone()
            },
            USER_MISSING,
        ),
    ];
    for (token, words) in cases {
        assert_eq!(
            store.insert_pat("t1", &token).await,
            Err(StoreError::Conflict(words.into())),
            "{}",
            token.id
        );
    }
}

/// What SQLite says of any missing referenced row: it does not name the foreign key.
const USER_MISSING: &str = "a referenced tenant, application or resource does not exist";

/// A tenant `t1` with an application `app-1` that has one secret and a revoked token `jti-1`.
async fn seed_client(store: &SqliteStore) {
    let tenant = gatehouse_core::Tenant {
        id: "t1".into(),
        name: "acme".into(),
        created_at: 1,
    };
    store.insert_tenant(&tenant).await.unwrap();
    let app = gatehouse_core::Application {
        id: "app-1".into(),
        name: "App".into(),
        app_type: gatehouse_core::ApplicationType::Web,
        redirect_uris: vec!["https://app.example/cb".into()],
        post_logout_redirect_uris: Vec::new(),
        third_party: false,
        builtin: false,
        resource_grants: Vec::new(),
        refresh_token_absolute_ttl: None,
        refresh_token_idle_ttl: None,
        jwks: None,
        device_flow: false,
        created_at: 1,
        updated_at: 1,
    };
    store.insert_application("t1", &app).await.unwrap();
    let secret = gatehouse_core::ClientSecret {
        id: "s-1".into(),
        application_id: "app-1".into(),
        name: Some("main".into()),
        secret_hash: vec![1, 2, 3],
        created_at: 2,
        expires_at: None,
    };
    store.insert_client_secret("t1", &secret).await.unwrap();
    store
        .insert_revoked_token("t1", "jti-1", i64::MAX)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hot_reads_from_many_tasks_agree_with_the_pool() {
    let (store, _database) = testing::fresh_database().await;
    seed_client(&store).await;
    let expected = (
        store
            .find_application("t1", "app-1")
            .await
            .unwrap()
            .unwrap(),
        store.list_client_secrets("t1", "app-1").await.unwrap(),
    );
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let client = store.find_client("t1", "app-1").await.unwrap();
                let jti = if i % 2 == 0 { "jti-1" } else { "jti-2" };
                let revoked = store.is_token_revoked("t1", jti).await.unwrap();
                (client, i % 2 == 0, revoked)
            })
        })
        .collect();
    for task in tasks {
        let (client, should_be_revoked, revoked) = task.await.unwrap();
        assert_eq!(client, Some(expected.clone()));
        assert_eq!(revoked, should_be_revoked);
    }
    // Writes through the pool are seen by the hot connections at once.
    store.delete_application("t1", "app-1").await.unwrap();
    assert_eq!(store.find_client("t1", "app-1").await.unwrap(), None);

    store.close().await;
    assert!(matches!(
        store.find_client("t1", "app-1").await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.is_token_revoked("t1", "jti-1").await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn in_memory_database_serves_hot_reads() {
    let store = SqliteStore::connect("sqlite::memory:", &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    seed_client(&store).await;
    let (app, secrets) = store.find_client("t1", "app-1").await.unwrap().unwrap();
    assert_eq!(app.id, "app-1");
    assert_eq!(secrets.len(), 1);
    assert!(store.is_token_revoked("t1", "jti-1").await.unwrap());
}

/// The migrations before `0006`, copied into `dir`, for upgrade tests.
fn migrations_before_0006(dir: &std::path::Path) -> std::path::PathBuf {
    let old = dir.join("migrations");
    std::fs::create_dir(&old).unwrap();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "0006" {
            std::fs::copy(entry.path(), old.join(&name)).unwrap();
        }
    }
    old
}

/// Rows written before migration 0006 still load after the later migrations: a refresh token
/// with no recorded authentication, an application with the default lifetimes, no JWK Set and
/// no device flow, the built-in CLI application with the device flow (0008), and a user
/// without the claims of 0011.
#[tokio::test]
async fn rows_from_before_migration_0006_still_load() {
    use gatehouse_store::RefreshTokenStore;
    let dir = tempfile::tempdir().unwrap();
    let old = migrations_before_0006(dir.path());
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let store = SqliteStore::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    for sql in [
        "INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'acme', 1)",
        "INSERT INTO applications (tenant_id, id, name, app_type, redirect_uris, \
         post_logout_redirect_uris, third_party, builtin, created_at, updated_at) \
         VALUES ('t1', 'app-1', 'App', 'web', '[]', '[]', 0, 0, 1, 1)",
        "INSERT INTO applications (tenant_id, id, name, app_type, redirect_uris, \
         post_logout_redirect_uris, third_party, builtin, created_at, updated_at) \
         VALUES ('t1', 'gatehouse-cli', 'CLI', 'native', '[]', '[]', 0, 1, 1, 1)",
        "INSERT INTO users (tenant_id, id, username, email_verified, disabled, created_at, \
         updated_at) VALUES ('t1', 'u-1', 'alice', 0, 0, 1, 1)",
        "INSERT INTO refresh_tokens (tenant_id, token_hash, family_id, client_id, user_id, \
         scopes, created_at, expires_at, idle_expires_at) \
         VALUES ('t1', x'01', 'g-1', 'app-1', 'u-1', '[\"openid\"]', 1, 100, 50)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    store.migrate().await.unwrap();
    let app = store
        .find_application("t1", "app-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            app.refresh_token_absolute_ttl,
            app.refresh_token_idle_ttl,
            app.jwks,
            app.device_flow
        ),
        (None, None, None, false)
    );
    let cli = store
        .find_application("t1", "gatehouse-cli")
        .await
        .unwrap()
        .unwrap();
    assert!(
        cli.device_flow,
        "the built-in CLI application uses the device flow"
    );
    let token = store.find_refresh_token("t1", &[1]).await.unwrap().unwrap();
    assert_eq!((token.auth_time, token.amr, token.acr), (0, vec![], None));
    assert_eq!(token.scopes, ["openid"]);
    // Users from before 0011 have no claims and an unverified phone number.
    let user = store.find_user("t1", "u-1").await.unwrap().unwrap();
    assert_eq!(
        (
            user.phone_number,
            user.phone_number_verified,
            user.profile,
            user.address
        ),
        (None, false, Default::default(), None)
    );
}
