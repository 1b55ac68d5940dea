//! The test server builder and helpers shared by the HTTP tests.

use base64::Engine as _;
use gatehouse_core::{MANAGEMENT_RESOURCE_ID, MANAGEMENT_SCOPE, ROOT_TENANT};
use gatehouse_crypto::MasterKey;
use gatehouse_oidc::{Engine, EngineConfig, SystemClock, TenantContext};
use gatehouse_server::AppState;
use gatehouse_store::{Store, StoreOptions};
use gatehouse_types::management::{ApplicationType, CreateApplication, ResourceGrant};
use serde_json::Value;
use std::sync::Arc;

/// Which database the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("GATEHOUSE_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("GATEHOUSE_TEST_BACKEND must be sqlite or postgres, not {other}"),
    }
}

/// Keeps a test database alive; dropping it removes it.
#[allow(dead_code)]
pub enum DbGuard {
    Sqlite(gatehouse_store_sqlite::testing::TestDatabase),
    Postgres(gatehouse_store_postgres::testing::TestDatabase),
}

/// A fresh database: its URL and guard.
pub struct TestDb {
    pub url: String,
    _guard: DbGuard,
}

pub async fn fresh_db() -> TestDb {
    match backend() {
        Backend::Sqlite => {
            let (_, guard) = gatehouse_store_sqlite::testing::fresh_database().await;
            TestDb {
                url: guard.url().to_owned(),
                _guard: DbGuard::Sqlite(guard),
            }
        }
        Backend::Postgres => {
            let (_, guard) = gatehouse_store_postgres::testing::fresh_database().await;
            TestDb {
                url: guard.url().to_owned(),
                _guard: DbGuard::Postgres(guard),
            }
        }
    }
}

/// Opens a new pool on a database URL (each replica has its own).
pub async fn open_store(url: &str, options: &StoreOptions) -> Arc<dyn Store> {
    if url.starts_with("postgres") {
        Arc::new(
            gatehouse_store_postgres::PostgresStore::connect(url, options)
                .await
                .unwrap(),
        )
    } else {
        Arc::new(
            gatehouse_store_sqlite::SqliteStore::connect(url, options)
                .await
                .unwrap(),
        )
    }
}

pub fn random_master_key() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A running server.
pub struct TestServer {
    pub base: String,
    pub issuer: String,
    pub client: reqwest::Client,
    pub engine: Arc<Engine>,
    pub db: Arc<TestDb>,
    pub master_key: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl TestServer {
    /// A server on a fresh database.
    pub async fn start() -> Self {
        let db = Arc::new(fresh_db().await);
        Self::start_on(db, random_master_key(), None, &StoreOptions::default()).await
    }

    /// Another replica on the same database, with the same master key and issuer.
    pub async fn replica(&self) -> Self {
        Self::start_on(
            self.db.clone(),
            self.master_key.clone(),
            Some(self.issuer.clone()),
            &StoreOptions::default(),
        )
        .await
    }

    /// A server on a given database; `issuer` defaults to its own address.
    pub async fn start_on(
        db: Arc<TestDb>,
        master_key: String,
        issuer: Option<String>,
        options: &StoreOptions,
    ) -> Self {
        let store = open_store(&db.url, options).await;
        Self::start_with_store(db, store, master_key, issuer).await
    }

    pub async fn start_with_store(
        db: Arc<TestDb>,
        store: Arc<dyn Store>,
        master_key: String,
        issuer: Option<String>,
    ) -> Self {
        Self::start_full(db, store, master_key, issuer, Arc::new(SystemClock)).await
    }

    /// A server on a fresh database whose engine reads time from `clock`.
    pub async fn start_with_clock(clock: Arc<dyn gatehouse_oidc::Clock>) -> Self {
        let db = Arc::new(fresh_db().await);
        let store = open_store(&db.url, &StoreOptions::default()).await;
        Self::start_full(db, store, random_master_key(), None, clock).await
    }

    async fn start_full(
        db: Arc<TestDb>,
        store: Arc<dyn Store>,
        master_key: String,
        issuer: Option<String>,
        clock: Arc<dyn gatehouse_oidc::Clock>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let issuer = issuer.unwrap_or_else(|| base.clone());
        let mut config = EngineConfig::new(&issuer);
        config.key_cache_seconds = 1;
        let key = MasterKey::from_base64(&master_key).unwrap();
        let engine = Arc::new(Engine::new(store, key, clock, config));
        engine.ensure_root_tenant().await.unwrap();
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(engine.clone()).unwrap();
        tokio::spawn(gatehouse_server::serve(listener, state, async move {
            let _ = signal.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base,
            issuer,
            client,
            engine,
            db,
            master_key,
            shutdown: Some(shutdown),
        }
    }

    /// URL of a path on this server (root tenant), e.g. `/oauth2/token`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// URL of a path for a named tenant.
    pub fn tenant_url(&self, tenant: &str, path: &str) -> String {
        if tenant == ROOT_TENANT {
            self.url(path)
        } else {
            format!("{}/t/{tenant}{path}", self.base)
        }
    }

    pub async fn root(&self) -> Arc<TenantContext> {
        self.engine.tenant(ROOT_TENANT).await.unwrap().unwrap()
    }

    pub async fn tenant(&self, name: &str) -> Arc<TenantContext> {
        match self.engine.tenant(name).await.unwrap() {
            Some(tenant) => tenant,
            None => self.engine.create_tenant(name).await.unwrap(),
        }
    }

    /// Creates an m2m app with the given grants; returns (client_id, client_secret).
    pub async fn m2m_app(
        &self,
        tenant: &TenantContext,
        grants: Vec<ResourceGrant>,
    ) -> (String, String) {
        let created = self
            .engine
            .create_application(
                tenant,
                CreateApplication {
                    name: "test m2m".to_owned(),
                    app_type: ApplicationType::M2m,
                    redirect_uris: vec![],
                    post_logout_redirect_uris: vec![],
                    third_party: false,
                    device_flow: false,
                    resource_grants: grants,
                    refresh_token_absolute_ttl: None,
                    refresh_token_idle_ttl: None,
                    jwks: None,
                },
            )
            .await
            .unwrap();
        (created.application.id, created.client_secret.unwrap())
    }

    /// An m2m app allowed to call the Management API of `tenant`.
    pub async fn management_app(&self, tenant: &TenantContext) -> (String, String) {
        let grant = ResourceGrant {
            resource_id: MANAGEMENT_RESOURCE_ID.to_owned(),
            scopes: vec![MANAGEMENT_SCOPE.to_owned()],
        };
        self.m2m_app(tenant, vec![grant]).await
    }

    /// POSTs a form to a tenant endpoint with Basic client authentication.
    pub async fn post_form(
        &self,
        url: &str,
        client: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.client.post(url).form(form);
        if let Some((id, secret)) = client {
            request = request.basic_auth(id, Some(secret));
        }
        request.send().await.unwrap()
    }

    /// A client-credentials token of a tenant for a resource; panics unless 200.
    pub async fn token_for(&self, tenant: &str, client: (&str, &str), resource: &str) -> String {
        let response = self
            .post_form(
                &self.tenant_url(tenant, "/oauth2/token"),
                Some(client),
                &[("grant_type", "client_credentials"), ("resource", resource)],
            )
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A Management API token of the root tenant.
    pub async fn management_token(&self) -> String {
        let root = self.root().await;
        self.management_token_for(&root).await
    }

    /// A Management API token of `tenant`.
    pub async fn management_token_for(&self, tenant: &TenantContext) -> String {
        let (id, secret) = self.management_app(tenant).await;
        self.token_for(
            &tenant.tenant.name,
            (&id, &secret),
            &tenant.management_indicator(),
        )
        .await
    }

    /// Introspects a token with a confidential client's credentials.
    pub async fn introspect(&self, tenant: &str, client: (&str, &str), token: &str) -> Value {
        let response = self
            .post_form(
                &self.tenant_url(tenant, "/oauth2/introspect"),
                Some(client),
                &[("token", token)],
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// Decodes a JWT's header and claims without verifying (tests verify separately).
pub fn decode_jwt(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    (decode(parts[0]), decode(parts[1]))
}
