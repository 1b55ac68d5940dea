//! The UserInfo endpoint (OIDC Core §5.3), GET and POST. The access token comes from the
//! `Authorization: Bearer` header only; a token in the query or body is ignored (OAuth 2.1
//! §5.1, checklist P-20). Errors are RFC 6750 §3 challenges.

use crate::AppState;
use crate::error::json_no_store;
use crate::tenant::CurrentTenant;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gatehouse_oidc::discovery::paths;
use gatehouse_oidc::userinfo::UserinfoError;
use gatehouse_types::oauth::OAuthErrorBody;

/// The UserInfo routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::USERINFO, get(userinfo).post(userinfo))
        .layer(crate::cors::layer())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value
        .to_str()
        .ok()?
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}

fn challenge(status: StatusCode, error: Option<&str>, description: &str) -> Response {
    let body = OAuthErrorBody {
        error: error.unwrap_or("invalid_request").to_owned(),
        error_description: Some(description.to_owned()),
    };
    let mut response = json_no_store(status, &body);
    let value = match error {
        Some(error) => format!("Bearer realm=\"gatehouse\", error=\"{error}\""),
        None => "Bearer realm=\"gatehouse\"".to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

async fn userinfo(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
) -> Response {
    let Some(token) = bearer(&headers) else {
        // RFC 6750 §3.1: no credentials at all gets a bare challenge without an error code.
        return challenge(StatusCode::UNAUTHORIZED, None, "a bearer token is required");
    };
    match state.engine.handle_userinfo(&tenant, token).await {
        Ok(claims) => json_no_store(StatusCode::OK, &claims),
        Err(UserinfoError::InvalidToken(text)) => {
            challenge(StatusCode::UNAUTHORIZED, Some("invalid_token"), text)
        }
        Err(UserinfoError::InsufficientScope) => challenge(
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            "the access token does not carry the openid scope",
        ),
        Err(UserinfoError::Unavailable(error)) => {
            crate::error::OAuthErrorResponse(error).into_response()
        }
    }
}
