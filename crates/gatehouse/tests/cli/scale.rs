//! Tenants at scale: an idle tenant costs only its rows. Start-up time and memory of `serve`
//! on a database with many tenants are compared with a database holding only the root tenant.
//! The figures are printed (`--nocapture`) for the report.

use crate::common::{Backend, ClientCredentials, Endpoints, ServeOptions, Server, http, start};
use gatehouse_crypto::MasterKey;
use gatehouse_oidc::{Engine, EngineConfig, SystemClock};
use gatehouse_store::{Store, StoreOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Token requests made before the second memory reading.
const TOKEN_REQUESTS: usize = 200;

/// The engine the binary builds (crates/gatehouse/src/runtime.rs), on the backend's database
/// and master key, for inserting tenants in bulk.
async fn engine(backend: &Backend) -> Arc<Engine> {
    let options = StoreOptions::default();
    let store: Arc<dyn Store> = match &backend.database_url {
        Some(url) => Arc::new(
            gatehouse_store_postgres::PostgresStore::connect(url, &options)
                .await
                .unwrap(),
        ),
        None => {
            let url = format!(
                "sqlite://{}",
                backend.data_dir.join("gatehouse.db").display()
            );
            Arc::new(
                gatehouse_store_sqlite::SqliteStore::connect(&url, &options)
                    .await
                    .unwrap(),
            )
        }
    };
    let key = MasterKey::from_base64(
        backend
            .master_key
            .as_deref()
            .expect("an explicit master key"),
    )
    .unwrap();
    Arc::new(Engine::new(
        store,
        key,
        Arc::new(SystemClock),
        EngineConfig::new("http://localhost:3000"),
    ))
}

/// Creates tenants `t00001..t{count-1}` in-process (t00000 comes from the CLI).
async fn create_tenants(backend: &Backend, count: usize) -> Duration {
    let engine = engine(backend).await;
    let workers = if backend.postgres.is_some() { 8 } else { 2 };
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..workers {
        let engine = engine.clone();
        tasks.spawn(async move {
            for index in (1 + worker..count).step_by(workers) {
                engine.create_tenant(&format!("t{index:05}")).await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    began.elapsed()
}

#[derive(Debug, Clone, Copy)]
struct Figures {
    startup: Duration,
    rss_ready_kb: u64,
    rss_after_kb: u64,
}

/// Starts `serve` twice (keeps the faster start-up), reads VmRSS when ready and after
/// [`TOKEN_REQUESTS`] token requests.
async fn measure(backend: &Backend, client: &ClientCredentials) -> Figures {
    let mut first = start(backend, &ServeOptions::default()).await;
    let first_startup = first.startup;
    first.stop();
    drop(first);
    let server: Server = start(backend, &ServeOptions::default()).await;
    let startup = first_startup.min(server.startup);
    let rss_ready_kb = server.rss_kb();
    let endpoints = Arc::new(Endpoints::new(&server, &server.base));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let endpoints = endpoints.clone();
        let client = client.clone();
        tasks.spawn(async move {
            let http = http();
            for _ in 0..TOKEN_REQUESTS / 4 {
                endpoints.token(&http, &client).await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let rss_after_kb = server.rss_kb();
    Figures {
        startup,
        rss_ready_kb,
        rss_after_kb,
    }
}

async fn tenants_at_scale(count: usize) {
    let baseline = Backend::new().await;
    let base_client = baseline.create_management_client();
    let base = measure(&baseline, &base_client).await;
    drop(baseline);

    let large = Backend::new().await;
    let first = large.json(&["admin", "tenants", "create", "t00000", "--json"]);
    assert_eq!(first["name"], "t00000", "{first}");
    let took = create_tenants(&large, count).await;
    eprintln!(
        "[scale/{}] created {} tenants in-process in {} ms ({:.2} ms per tenant)",
        large.name(),
        count - 1,
        took.as_millis(),
        took.as_secs_f64() * 1000.0 / (count.max(2) - 1) as f64
    );
    let client = large.create_management_client();
    let many = measure(&large, &client).await;

    // The last tenant works like the first: its discovery document names its issuer.
    let server = start(&large, &ServeOptions::default()).await;
    let last = format!("t{:05}", count - 1);
    let discovery = crate::common::get_json(
        &http(),
        &server.url(&format!("/t/{last}/.well-known/openid-configuration")),
    )
    .await;
    assert_eq!(
        discovery["issuer"],
        format!("{}/t/{last}", server.base),
        "{discovery}"
    );
    drop(server);

    let mb = |kb: u64| kb as f64 / 1024.0;
    eprintln!(
        "[scale/{}] 1 tenant: startup {} ms, RSS {:.1} MB ready, {:.1} MB after {TOKEN_REQUESTS} tokens",
        large.name(),
        base.startup.as_millis(),
        mb(base.rss_ready_kb),
        mb(base.rss_after_kb)
    );
    eprintln!(
        "[scale/{}] {count} tenants: startup {} ms, RSS {:.1} MB ready, {:.1} MB after {TOKEN_REQUESTS} tokens",
        large.name(),
        many.startup.as_millis(),
        mb(many.rss_ready_kb),
        mb(many.rss_after_kb)
    );
    let limit = base.startup * 3 + Duration::from_millis(500);
    assert!(
        many.startup < limit,
        "start-up with {count} tenants {:?} > {limit:?} (3x baseline + 500 ms)",
        many.startup
    );
    for (what, with_one, with_many) in [
        ("ready", base.rss_ready_kb, many.rss_ready_kb),
        ("after tokens", base.rss_after_kb, many.rss_after_kb),
    ] {
        assert!(
            with_many < with_one + 20 * 1024,
            "RSS {what} grows with idle tenants: {:.1} MB with 1, {:.1} MB with {count}",
            mb(with_one),
            mb(with_many)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_thousand_idle_tenants_cost_no_startup_time_or_memory() {
    tenants_at_scale(1_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_tenants_cost_no_startup_time_or_memory() {
    tenants_at_scale(10_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_list_shows_every_tenant_or_says_there_are_more() {
    let backend = Backend::new().await;
    backend.json(&["admin", "tenants", "create", "t00000", "--json"]);
    create_tenants(&backend, 250).await;
    let list = backend.json(&["admin", "tenants", "list", "--json"]);
    let listed = list["items"].as_array().expect("items").len();
    // 250 tenants plus the root tenant: all of them, or a page that says more follow.
    let says_more = list
        .get("next_cursor")
        .is_some_and(|cursor| !cursor.is_null());
    assert!(
        listed == 251 || says_more,
        "admin tenants list shows {listed} of 251 tenants and does not say more exist"
    );
}
