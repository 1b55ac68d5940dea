//! Bearer authentication of Management API requests.

use crate::AppState;
use crate::error::{ApiError, codes};
use crate::tenant::CurrentTenant;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use gatehouse_core::MANAGEMENT_SCOPE;
use gatehouse_oidc::access_token::TokenRejection;
use gatehouse_types::oauth::AccessTokenClaims;

/// A caller authenticated for the Management API of the current tenant.
pub struct ManagementCaller {
    /// The verified token's claims.
    pub claims: AccessTokenClaims,
}

fn challenge(
    error: Option<&str>,
    status: StatusCode,
    code: &'static str,
    detail: &str,
) -> ApiError {
    let mut api_error = ApiError::new(status, code, detail);
    // RFC 6750 §3: the resource server answers with a Bearer challenge.
    api_error.challenge = Some(match error {
        Some(error) => format!("Bearer realm=\"gatehouse\", error=\"{error}\""),
        None => "Bearer realm=\"gatehouse\"".to_owned(),
    });
    api_error
}

impl FromRequestParts<AppState> for ManagementCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("tenant"))?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                challenge(
                    None,
                    StatusCode::UNAUTHORIZED,
                    codes::UNAUTHENTICATED,
                    "a bearer token is required",
                )
            })?;
        let invalid = || {
            challenge(
                Some("invalid_token"),
                StatusCode::UNAUTHORIZED,
                codes::UNAUTHENTICATED,
                "the access token is invalid, expired or revoked",
            )
        };
        let claims = match state.engine.verify_access_token(&tenant, token).await {
            Ok(claims) => claims,
            Err(TokenRejection::Unavailable(error)) => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::UNAVAILABLE,
                    error.description,
                ));
            }
            Err(_) => return Err(invalid()),
        };
        if claims.aud != tenant.management_indicator() {
            return Err(invalid());
        }
        if !claims
            .scope
            .split(' ')
            .any(|scope| scope == MANAGEMENT_SCOPE)
        {
            return Err(challenge(
                Some("insufficient_scope"),
                StatusCode::FORBIDDEN,
                codes::FORBIDDEN,
                "the token lacks the required scope",
            ));
        }
        // A person's token (from an interactive grant) works only while they administer the
        // tenant; machine tokens rely on their client's resource grant.
        if claims.grant_id.is_some() {
            let admin = state
                .engine
                .is_active_admin(&tenant, &claims.sub)
                .await
                .map_err(|error| {
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        codes::UNAVAILABLE,
                        error.description,
                    )
                })?;
            if !admin {
                return Err(challenge(
                    Some("insufficient_scope"),
                    StatusCode::FORBIDDEN,
                    codes::FORBIDDEN,
                    "only administrators may use the Management API",
                ));
            }
        }
        Ok(Self { claims })
    }
}
