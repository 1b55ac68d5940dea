//! The client credentials grant (RFC 6749 §4.4) with resource indicators (RFC 8707): a
//! machine-to-machine client obtains an RFC 9068 access token for one API resource, with the
//! scopes it was granted on that resource.

use crate::access_token::NewAccessToken;
use crate::params::{Params, split_scope};
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::validate::check_resource_indicator;
use gatehouse_core::{Application, ApplicationType};
use gatehouse_types::oauth::TokenResponse;

/// The grant type value.
pub const GRANT_TYPE: &str = "client_credentials";

fn invalid_target(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidTarget, description)
}

impl Engine {
    /// Issues an access token to an authenticated client.
    pub async fn handle_client_credentials(
        &self,
        tenant: &TenantContext,
        client: &Application,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        // RFC 6749 §4.4: the client credentials grant MUST only be used by confidential clients.
        if client.app_type != ApplicationType::M2m {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "only machine-to-machine applications may use client_credentials",
            ));
        }
        let indicator = params.get("resource").ok_or_else(|| {
            OAuthError::invalid_request("a resource indicator (resource) is required")
        })?;
        // RFC 8707 §2: the resource MUST be an absolute URI without a fragment.
        check_resource_indicator(indicator)
            .map_err(|_| invalid_target("resource must be an absolute URI without a fragment"))?;
        let resource = self
            .find_resource_by_indicator(tenant, indicator)
            .await?
            .ok_or_else(|| invalid_target("unknown resource"))?;
        let grant = client
            .resource_grants
            .iter()
            .find(|grant| grant.resource_id == resource.id)
            .ok_or_else(|| invalid_target("the client may not request tokens for this resource"))?;
        let allowed: Vec<&str> = grant
            .scopes
            .iter()
            .filter(|scope| {
                resource
                    .scopes
                    .iter()
                    .any(|defined| &defined.name == *scope)
            })
            .map(String::as_str)
            .collect();
        let requested = split_scope(params.get("scope"));
        let scopes: Vec<&str> = if requested.is_empty() {
            allowed
        } else {
            if requested
                .iter()
                .any(|scope| !allowed.contains(&scope.as_str()))
            {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "a requested scope was not granted to the client",
                ));
            }
            requested.iter().map(String::as_str).collect()
        };
        let scope = scopes.join(" ");
        let (access_token, _) = self
            .mint_access_token(
                tenant,
                NewAccessToken {
                    sub: &client.id,
                    aud: indicator,
                    client_id: &client.id,
                    scope: &scope,
                    ttl: resource.access_token_ttl,
                    sid: None,
                },
            )
            .await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: u64::from(resource.access_token_ttl),
            scope: (!scope.is_empty()).then_some(scope),
            refresh_token: None,
            id_token: None,
            issued_token_type: None,
        })
    }
}
