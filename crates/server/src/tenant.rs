//! Tenant resolution, once per request, before routing: `/t/<name>/rest` is served as `/rest`
//! for tenant `<name>`, every other path for the root tenant. Handlers get the tenant through
//! the [`CurrentTenant`] extractor.

use crate::AppState;
use crate::error::json_no_store;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::uri::PathAndQuery;
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gatehouse_core::ROOT_TENANT;
use gatehouse_oidc::TenantContext;
use gatehouse_store::StoreError;
use gatehouse_types::oauth::OAuthErrorBody;
use std::sync::Arc;

/// Paths served without a tenant.
const GLOBAL_PATHS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The tenant of the current request.
#[derive(Clone)]
pub struct CurrentTenant(pub Arc<TenantContext>);

impl<S: Send + Sync> FromRequestParts<S> for CurrentTenant {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentTenant>()
            .cloned()
            .ok_or_else(tenant_not_found)
    }
}

fn tenant_not_found() -> Response {
    let body = OAuthErrorBody {
        error: "not_found".to_owned(),
        error_description: Some("no such tenant".to_owned()),
    };
    json_no_store(StatusCode::NOT_FOUND, &body)
}

fn unavailable() -> Response {
    let body = OAuthErrorBody {
        error: "temporarily_unavailable".to_owned(),
        error_description: Some("the service is temporarily unavailable, retry later".to_owned()),
    };
    json_no_store(StatusCode::SERVICE_UNAVAILABLE, &body)
}

/// Splits `/t/<name>/rest` into (`name`, `/rest`); anything else belongs to the root tenant.
fn split_tenant(path: &str) -> Option<(&str, &str)> {
    let Some(after) = path.strip_prefix("/t/") else {
        return Some((ROOT_TENANT, path));
    };
    let (name, rest) = match after.find('/') {
        Some(index) => after.split_at(index),
        None => (after, "/"),
    };
    // The root tenant is served only at the root.
    (name != ROOT_TENANT && !name.is_empty()).then_some((name, rest))
}

/// Middleware resolving the tenant and rewriting the path.
pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if GLOBAL_PATHS.contains(&path.as_str()) {
        return next.run(request).await;
    }
    let Some((name, rest)) = split_tenant(&path) else {
        return tenant_not_found();
    };
    let tenant = match state.engine.tenant(name).await {
        Ok(Some(tenant)) => tenant,
        Ok(None) => return tenant_not_found(),
        Err(StoreError::Unavailable(_)) => return unavailable(),
        Err(error) => {
            tracing::error!(%error, "tenant lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if name != ROOT_TENANT {
        let query = request
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let mut parts = request.uri().clone().into_parts();
        parts.path_and_query = PathAndQuery::try_from(format!("{rest}{query}")).ok();
        match Uri::from_parts(parts) {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        }
    }
    request.extensions_mut().insert(CurrentTenant(tenant));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::split_tenant;

    #[test]
    fn tenant_paths() {
        assert_eq!(
            split_tenant("/t/acme/oauth2/token"),
            Some(("acme", "/oauth2/token"))
        );
        assert_eq!(split_tenant("/t/acme"), Some(("acme", "/")));
        assert_eq!(
            split_tenant("/oauth2/token"),
            Some(("default", "/oauth2/token"))
        );
        assert_eq!(split_tenant("/t/default/oauth2/token"), None);
        assert_eq!(split_tenant("/t//x"), None);
    }
}
