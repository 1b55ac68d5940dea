//! The Gatehouse HTTP server: axum routers and extractors, the one error -> response mapping,
//! middleware (tenant resolution, security headers, body limits, metrics), the OAuth endpoints
//! and the Management API. Handlers stay thin: extract, call the engine, map.
#![warn(missing_docs)]

pub mod account;
pub mod api;
pub mod cors;
pub mod error;
pub mod health;
pub mod metrics;
pub mod oauth;
pub mod pages;
pub mod tenant;
pub mod userinfo;
pub mod wellknown;

use axum::Router;
use axum::extract::Request;
use gatehouse_oidc::Engine;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::{Layer as _, ServiceExt as _};

/// Largest request body accepted (bytes).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The protocol engine.
    pub engine: Arc<Engine>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Hosted page templates and translations.
    pub pages: Arc<pages::Pages>,
    /// Cookie names and attributes.
    pub cookies: pages::CookiePolicy,
}

impl AppState {
    /// State around an engine; fails only when a compiled-in template or translation is
    /// broken.
    pub fn new(engine: Arc<Engine>) -> Result<Self, String> {
        let https = engine.config.base_url.starts_with("https://");
        Ok(Self {
            engine,
            metrics: Arc::new(metrics::Metrics::new()),
            pages: Arc::new(pages::Pages::load(https)?),
            cookies: pages::CookiePolicy { https },
        })
    }
}

/// The routes of one tenant (tenant-scoped paths) plus the global operational endpoints.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(wellknown::router())
        .merge(oauth::router())
        .merge(pages::router())
        .merge(userinfo::router())
        .nest("/api", api::router())
        .merge(health::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn(error::security_headers))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .with_state(state.clone());
    // Tenant resolution rewrites `/t/<name>/...` before routing, so one router serves all.
    Router::new().fallback_service(
        axum::middleware::from_fn_with_state(state, tenant::resolve).layer(routes),
    )
}

/// Serves the app on a bound listener until `shutdown` resolves; in-flight requests drain.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sync = AbortOnDrop(tokio::spawn(sync_clients(state.engine.clone())));
    let app = router(state);
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    drop(sync);
    served
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Keeps the engine's client cache in step with the database: one poll per interval for the
/// whole process, whatever the number of tenants. Logs when polls start and stop failing.
async fn sync_clients(engine: Arc<Engine>) {
    let mut interval = tokio::time::interval(gatehouse_oidc::engine::CLIENT_SYNC_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        interval.tick().await;
        match engine.sync_clients().await {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("client cache back in step with the database");
            }
            Ok(()) => {}
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "client cache bypassed: the database did not answer");
            }
            Err(_) => {}
        }
    }
}

/// Runs one request through the app without a socket (tests, fuzzing).
pub async fn oneshot(state: AppState, request: Request) -> axum::response::Response {
    match router(state).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
