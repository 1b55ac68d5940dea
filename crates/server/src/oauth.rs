//! The OAuth endpoints: token (RFC 6749 §3.2), introspection (RFC 7662), revocation
//! (RFC 7009). Each handler: check the content type, parse the form, extract client
//! credentials, call the engine, map the outcome.

use crate::AppState;
use crate::error::{OAuthErrorResponse, json_no_store};
use crate::tenant::CurrentTenant;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use gatehouse_oidc::OAuthError;
use gatehouse_oidc::client_auth::{UnverifiedClientCredentials, parse_client_credentials};
use gatehouse_oidc::discovery::paths;
use gatehouse_oidc::params::{Params, REPEATABLE_AUTHORIZATION_PARAMS, parse_form_repeating};

/// The OAuth routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::TOKEN, post(token))
        .route(paths::REVOKE, post(revoke))
        .layer(crate::cors::layer())
        .route(paths::INTROSPECT, post(introspect))
        .route(paths::DEVICE_AUTHORIZATION, post(device_authorization))
}

/// Checks the body is `application/x-www-form-urlencoded` (UTF-8) and parses it; only the
/// parameters named in `repeatable` may repeat.
fn parse_form_request(
    headers: &HeaderMap,
    body: &Bytes,
    repeatable: &[&str],
) -> Result<Params, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut parts = content_type.split(';').map(str::trim);
    let media_type = parts.next().unwrap_or_default();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    for parameter in parts {
        if let Some((name, value)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
            && !value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        {
            return Err(OAuthError::invalid_request("the body must be UTF-8"));
        }
    }
    parse_form_repeating(body, repeatable)
}

/// Parses the request and the client's credentials; only the parameters named in
/// `repeatable` may repeat.
fn parse_client_request(
    headers: &HeaderMap,
    body: &Bytes,
    repeatable: &[&str],
) -> Result<(Params, UnverifiedClientCredentials), OAuthError> {
    let params = parse_form_request(headers, body, repeatable)?;
    if headers.get_all(header::AUTHORIZATION).iter().count() > 1 {
        return Err(OAuthError::invalid_request(
            "more than one Authorization header",
        ));
    }
    let authorization = match headers.get(header::AUTHORIZATION) {
        Some(value) => Some(value.to_str().map_err(|_| OAuthError::invalid_client())?),
        None => None,
    };
    let credentials = parse_client_credentials(authorization, &params)?;
    Ok((params, credentials))
}

async fn token(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthErrorResponse> {
    let (params, credentials) = parse_client_request(&headers, &body, &[])?;
    let outcome = state
        .engine
        .handle_token_request(&tenant, &credentials, &params)
        .await?;
    state.metrics.token_issued(outcome.grant_type);
    Ok(json_no_store(StatusCode::OK, &outcome.response))
}

async fn introspect(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthErrorResponse> {
    let (params, credentials) = parse_client_request(&headers, &body, &[])?;
    let client = state
        .engine
        .authenticate_client(&tenant, &credentials)
        .await?;
    let answer = state
        .engine
        .handle_introspection(&tenant, &client, &params)
        .await?;
    Ok(json_no_store(StatusCode::OK, &answer))
}

async fn revoke(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthErrorResponse> {
    let (params, credentials) = parse_client_request(&headers, &body, &[])?;
    let client = state
        .engine
        .authenticate_client(&tenant, &credentials)
        .await?;
    state
        .engine
        .handle_revocation(&tenant, &client, &params)
        .await?;
    Ok(json_no_store(StatusCode::OK, &serde_json::json!({})))
}

/// RFC 8628 §3.1: the device authorization endpoint (client authentication as at the token
/// endpoint; public native clients send only their client_id).
async fn device_authorization(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    crate::pages::PeerIp(ip): crate::pages::PeerIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthErrorResponse> {
    let (params, credentials) =
        parse_client_request(&headers, &body, REPEATABLE_AUTHORIZATION_PARAMS)?;
    let client = state
        .engine
        .authenticate_client(&tenant, &credentials)
        .await?;
    let answer = state
        .engine
        .handle_device_authorization(&tenant, &client, &params, ip.as_deref())
        .await?;
    Ok(json_no_store(StatusCode::OK, &answer))
}
