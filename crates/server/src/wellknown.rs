//! Discovery documents (both well-known locations, identical) and the JWKS.

use crate::AppState;
use crate::error::OAuthErrorResponse;
use crate::tenant::CurrentTenant;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use gatehouse_oidc::discovery::{paths, provider_metadata};

/// How long clients may cache the JWKS (seconds). Rotated-in keys are published for longer
/// than this before they sign, so a cached JWKS never misses a signing key.
pub const JWKS_MAX_AGE: u32 = 60;

/// The well-known routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/oauth-authorization-server", get(discovery))
        .route(paths::JWKS, get(jwks))
        .layer(crate::cors::layer())
}

async fn discovery(CurrentTenant(tenant): CurrentTenant) -> Response {
    let mut response = Json(provider_metadata(&tenant)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

async fn jwks(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
) -> Result<Response, OAuthErrorResponse> {
    let keys = state.engine.tenant_keys(&tenant).await?;
    let mut response = keys.jwks_json.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    let cache = format!("public, max-age={JWKS_MAX_AGE}");
    if let Ok(value) = HeaderValue::from_str(&cache) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    Ok(response)
}
