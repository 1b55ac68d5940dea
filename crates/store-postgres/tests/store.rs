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

use gatehouse_store::{
    ApplicationStore, PersonalAccessTokenStore, RevocationStore, Store, StoreError, StoreOptions,
    TenantStore, UserStore,
};
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

const USER_MISSING: &str = "user does not exist";

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

/// A tenant `t1` with an application `app-1` that has one secret and a revoked token `jti-1`.
async fn seed_client(store: &PostgresStore) {
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

/// The hot connections (at most 4; the test store has 5 pool connections) all open at once.
async fn open_every_hot_connection(store: &Arc<PostgresStore>) {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(store);
            tokio::spawn(async move { store.find_client("t1", "app-1").await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().unwrap().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hot_reads_recover_from_terminated_connections() {
    let (store, database) = testing::fresh_database().await;
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
    open_every_hot_connection(&store).await;

    let mut admin = sqlx::PgConnection::connect(database.url()).await.unwrap();
    let terminated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(terminated >= 1, "terminated {terminated} backends");
    // Let the backends act on the signal before the store talks to them again.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Each broken slot may fail one call, and only with `Unavailable`; then every call works.
    let mut failures = 0;
    for _ in 0..20 {
        match store.find_client("t1", "app-1").await {
            Ok(found) => assert_eq!(found, Some(expected.clone())),
            Err(StoreError::Unavailable(_)) => failures += 1,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    // At least one: the hot reads used connections of their own, and those were terminated.
    assert!(
        (1..=4).contains(&failures),
        "{failures} failures for at most 4 slots"
    );
    for _ in 0..8 {
        assert_eq!(
            store.find_client("t1", "app-1").await.unwrap(),
            Some(expected.clone())
        );
        assert!(store.is_token_revoked("t1", "jti-1").await.unwrap());
        assert!(!store.is_token_revoked("t1", "jti-2").await.unwrap());
    }
    open_every_hot_connection(&store).await;

    store.close().await;
    assert!(matches!(
        store.find_client("t1", "app-1").await,
        Err(StoreError::Unavailable(_))
    ));
}

/// Rows written before migration 0006 still load after the later migrations: a refresh token
/// with no recorded authentication, an application with the default lifetimes, no JWK Set and
/// no device flow, the built-in CLI application with the device flow (0008), and a user
/// without the claims of 0011.
#[tokio::test]
async fn rows_from_before_migration_0006_still_load() {
    use gatehouse_store::RefreshTokenStore;
    let database = testing::empty_database().await;
    let old = std::env::temp_dir().join(format!("{}-migrations", database.name()));
    std::fs::create_dir(&old).unwrap();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "0006" {
            std::fs::copy(entry.path(), old.join(&name)).unwrap();
        }
    }
    let mut conn = sqlx::PgConnection::connect(database.url()).await.unwrap();
    let migrator = sqlx::migrate::Migrator::new(old.as_path()).await.unwrap();
    std::fs::remove_dir_all(&old).unwrap();
    migrator.run(&mut conn).await.unwrap();
    for sql in [
        "INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'acme', 1)",
        "INSERT INTO applications (tenant_id, id, name, app_type, redirect_uris, \
         post_logout_redirect_uris, third_party, builtin, created_at, updated_at) \
         VALUES ('t1', 'app-1', 'App', 'web', '[]', '[]', false, false, 1, 1)",
        "INSERT INTO applications (tenant_id, id, name, app_type, redirect_uris, \
         post_logout_redirect_uris, third_party, builtin, created_at, updated_at) \
         VALUES ('t1', 'gatehouse-cli', 'CLI', 'native', '[]', '[]', false, true, 1, 1)",
        "INSERT INTO users (tenant_id, id, username, email_verified, disabled, created_at, \
         updated_at) VALUES ('t1', 'u-1', 'alice', false, false, 1, 1)",
        "INSERT INTO refresh_tokens (tenant_id, token_hash, family_id, client_id, user_id, \
         scopes, created_at, expires_at, idle_expires_at) \
         VALUES ('t1', '\\x01', 'g-1', 'app-1', 'u-1', '[\"openid\"]', 1, 100, 50)",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    let _ = conn.close().await;
    let store = PostgresStore::connect(database.url(), &StoreOptions::default())
        .await
        .unwrap();
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

/// On a fresh database (no statistics), the lookups by secret hash or id that every request
/// makes use the primary or unique key, also as generic plans of prepared statements, never
/// an index that only narrows to the tenant (migration 0010).
#[tokio::test]
async fn hot_lookups_use_their_key_on_a_fresh_database() {
    let (_store, database) = testing::fresh_database().await;
    let mut conn = sqlx::PgConnection::connect(database.url()).await.unwrap();
    sqlx::query("SET plan_cache_mode = force_generic_plan")
        .execute(&mut conn)
        .await
        .unwrap();
    for (name, statement, key) in [
        (
            "code",
            "UPDATE authorization_codes SET consumed_at = $1 WHERE tenant_id = $2 \
             AND code_hash = $3 AND consumed_at IS NULL AND expires_at > $1 RETURNING *",
            "authorization_codes_pkey",
        ),
        (
            "session",
            "SELECT * FROM sessions WHERE tenant_id = $2 AND secret_hash = $3 \
             AND expires_at > $1 AND idle_expires_at > $1",
            "sessions_secret_hash_key",
        ),
        (
            "refresh",
            "SELECT * FROM refresh_tokens WHERE tenant_id = $2 AND token_hash = $3 \
             AND expires_at > $1",
            "refresh_tokens_pkey",
        ),
        (
            "interaction",
            "SELECT * FROM interactions WHERE tenant_id = $2 AND id = $3::text \
             AND expires_at > $1",
            "interactions_pkey",
        ),
    ] {
        let types = if name == "interaction" {
            "bigint, text, text"
        } else {
            "bigint, text, bytea"
        };
        sqlx::query(&format!("PREPARE {name}_q ({types}) AS {statement}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let argument = if name == "interaction" {
            "'x'"
        } else {
            "'\\x01'"
        };
        let plan: Vec<String> =
            sqlx::query_scalar(&format!("EXPLAIN EXECUTE {name}_q (1, 't', {argument})"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains(key), "{name}: {plan}");
    }
}
