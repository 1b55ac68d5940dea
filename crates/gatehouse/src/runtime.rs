//! Start-up: logging, configuration, the store (chosen once from the database URL), the master
//! key, the engine; then `serve` or `migrate`.

use crate::cli::{Alg, LogFormat};
use crate::config::{DEFAULT_LISTEN, Settings};
use gatehouse_core::SigningAlgorithm;
use gatehouse_crypto::MasterKey;
use gatehouse_oidc::{Engine, EngineConfig, SystemClock};
use gatehouse_server::AppState;
use gatehouse_store::{Store, StoreOptions};
use gatehouse_store_postgres::PostgresStore;
use gatehouse_store_sqlite::SqliteStore;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often expired records (revocations, sessions, codes, refresh tokens, throttle
/// counters) are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

pub fn init_logging(global: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&global.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match global.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

impl From<Alg> for SigningAlgorithm {
    fn from(alg: Alg) -> Self {
        match alg {
            Alg::Es256 => Self::Es256,
            Alg::Rs256 => Self::Rs256,
        }
    }
}

/// The issuer: explicit, or derived from the listen address.
pub fn issuer(global: &Settings) -> Result<String, String> {
    let issuer = match &global.issuer {
        Some(issuer) => issuer.trim_end_matches('/').to_owned(),
        None if global.listen == DEFAULT_LISTEN => "http://localhost:3000".to_owned(),
        None => format!("http://{}", global.listen),
    };
    let url = url::Url::parse(&issuer).map_err(|e| format!("invalid issuer {issuer}: {e}"))?;
    // OpenID Connect Discovery §3: the issuer is a URL with no query or fragment.
    if url.query().is_some()
        || url.fragment().is_some()
        || !matches!(url.scheme(), "http" | "https")
    {
        return Err(format!(
            "invalid issuer {issuer}: must be an http(s) URL without query or fragment"
        ));
    }
    if url.scheme() == "http" && !gatehouse_core::validate::is_loopback_host(&url) {
        tracing::warn!(%issuer, "the issuer is plain http on a non-loopback host; use https in production");
    }
    Ok(issuer)
}

fn database_url(global: &Settings) -> String {
    match &global.database_url {
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}",
            global.data_dir.join("gatehouse.db").display()
        ),
    }
}

fn ensure_data_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))
}

/// Opens the store named by the database URL and runs migrations.
pub async fn open_store(global: &Settings) -> Result<Arc<dyn Store>, String> {
    let url = database_url(global);
    let options = |default: u32| StoreOptions {
        max_connections: global.database_max_connections.unwrap_or(default).max(1),
        ..StoreOptions::default()
    };
    let store: Arc<dyn Store> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = PostgresStore::connect(&url, &options(10))
                .await
                .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
            store
                .migrate()
                .await
                .map_err(|e| format!("migration failed: {e}"))?;
            Arc::new(store)
        } else if url.starts_with("sqlite:") {
            ensure_data_dir(&global.data_dir)?;
            let store = SqliteStore::connect(&url, &options(4))
                .await
                .map_err(|e| format!("cannot open SQLite database: {e}"))?;
            store
                .migrate()
                .await
                .map_err(|e| format!("migration failed: {e}"))?;
            Arc::new(store)
        } else {
            return Err("the database URL must start with sqlite:// or postgres://".to_owned());
        };
    Ok(store)
}

fn master_key(global: &Settings) -> Result<MasterKey, String> {
    match std::env::var("GATEHOUSE_MASTER_KEY") {
        Ok(value) if !value.is_empty() => {
            MasterKey::from_base64(&value).map_err(|e| format!("GATEHOUSE_MASTER_KEY: {e}"))
        }
        _ => {
            ensure_data_dir(&global.data_dir)?;
            MasterKey::load_or_create_file(&global.data_dir.join("master.key"))
                .map_err(|e| e.to_string())
        }
    }
}

/// Builds the engine on an open store and makes sure the root tenant and its keys exist and
/// open with this master key (a wrong key stops the start).
pub async fn engine(global: &Settings, issuer: &str) -> Result<Arc<Engine>, String> {
    let store = open_store(global).await?;
    let mut config = EngineConfig::new(issuer);
    config.signing_alg = global.signing_alg.into();
    config.session_absolute_seconds = global.session_lifetime;
    config.session_idle_seconds = global.session_idle_timeout;
    let engine = Arc::new(Engine::new(
        store,
        master_key(global)?,
        Arc::new(SystemClock),
        config,
    ));
    let root = engine
        .ensure_root_tenant()
        .await
        .map_err(|e| format!("cannot set up the root tenant: {e}"))?;
    engine
        .tenant_keys(&root)
        .await
        .map_err(|e| format!("{}: {} (is GATEHOUSE_MASTER_KEY / the key file the one this database was created with?)", e.description, e.detail.unwrap_or_default()))?;
    Ok(engine)
}

pub async fn serve(global: &Settings) -> Result<(), String> {
    let started = Instant::now();
    let issuer = issuer(global)?;
    let engine = engine(global, &issuer).await?;
    let listener = tokio::net::TcpListener::bind(&global.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", global.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    spawn_purge(engine.clone());
    tracing::info!(
        %address, %issuer, backend = engine.store.backend(),
        startup_ms = started.elapsed().as_millis() as u64, "gatehouse is ready"
    );
    let state = AppState::new(engine)?;
    gatehouse_server::serve(listener, state, shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}

pub async fn migrate(global: &Settings) -> Result<(), String> {
    let store = open_store(global).await?;
    eprintln!("migrations applied ({})", store.backend());
    Ok(())
}

/// One process-wide job, not one per tenant: idle tenants cost nothing.
fn spawn_purge(engine: Arc<Engine>) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(PURGE_INTERVAL);
        loop {
            interval.tick().await;
            let (store, now) = (&engine.store, engine.now());
            let purged = [
                ("revocations", store.delete_expired_revocations(now).await),
                (
                    "sessions, codes and refresh tokens",
                    store.delete_expired_grants_data(now).await,
                ),
                (
                    "throttle counters",
                    store.delete_expired_throttles(now).await,
                ),
            ];
            for (what, result) in purged {
                if let Err(error) = result {
                    tracing::warn!(%error, what, "purging expired records failed");
                }
            }
        }
    });
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}
