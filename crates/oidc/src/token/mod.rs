//! The token endpoint (RFC 6749 §3.2): authenticate the client, then dispatch on `grant_type`
//! to one module per grant.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;
#[cfg(test)]
mod tests;

use crate::access_token::NewAccessToken;
use crate::client_auth::UnverifiedClientCredentials;
use crate::id_token::NewIdToken;
use crate::params::Params;
use crate::userinfo::{USERINFO_ACCESS_TOKEN_TTL, userinfo_audience};
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_types::oauth::TokenResponse;

/// A successful token request: the response and the grant that produced it (for metrics).
#[derive(Debug, Clone)]
pub struct TokenOutcome {
    /// The response body.
    pub response: TokenResponse,
    /// The grant type, for metrics.
    pub grant_type: &'static str,
}

impl Engine {
    /// Handles a token request whose parameters are parsed and credentials extracted.
    pub async fn handle_token_request(
        &self,
        tenant: &TenantContext,
        credentials: &UnverifiedClientCredentials,
        params: &Params,
    ) -> Result<TokenOutcome, OAuthError> {
        let grant_type = params.require("grant_type")?;
        // Unknown grant types are refused before the client is looked up.
        let grant: &'static str = match grant_type {
            client_credentials::GRANT_TYPE => client_credentials::GRANT_TYPE,
            authorization_code::GRANT_TYPE => authorization_code::GRANT_TYPE,
            refresh_token::GRANT_TYPE => refresh_token::GRANT_TYPE,
            _ => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    "unsupported grant_type",
                ));
            }
        };
        let client = self.authenticate_client(tenant, credentials).await?;
        let response = match grant {
            client_credentials::GRANT_TYPE => {
                self.handle_client_credentials(tenant, &client, params)
                    .await?
            }
            authorization_code::GRANT_TYPE => {
                self.handle_authorization_code(tenant, &client, params)
                    .await?
            }
            refresh_token::GRANT_TYPE => self.handle_refresh_token(tenant, &client, params).await?,
            _ => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    "unsupported grant_type",
                ));
            }
        };
        Ok(TokenOutcome {
            response,
            grant_type: grant,
        })
    }
}

/// The tokens one user grant yields, from a code or a refresh token.
#[derive(Debug, Clone)]
pub(crate) struct UserGrantTokens<'a> {
    /// The grant every token carries.
    pub grant_id: &'a str,
    /// The client.
    pub client_id: &'a str,
    /// The user.
    pub user_id: &'a str,
    /// The access token's scopes.
    pub scopes: &'a [String],
    /// The access token's resource; `None` means the UserInfo endpoint.
    pub resource: Option<&'a str>,
    /// The ID token's authentication details, when `openid` is among the scopes.
    pub id_token: Option<NewIdToken<'a>>,
    /// The refresh token to hand out, already stored.
    pub refresh_token: Option<String>,
    /// The browser session of the grant, when it still belongs to one.
    pub session_id: Option<&'a str>,
}

impl Engine {
    /// Mints the access token (for the resource, or else for UserInfo) and the ID token of a
    /// user grant, and builds the response.
    pub(crate) async fn issue_user_tokens(
        &self,
        tenant: &TenantContext,
        grant: UserGrantTokens<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let userinfo = userinfo_audience(&tenant.issuer);
        let (aud, ttl) = match grant.resource {
            Some(indicator) => {
                let resource = self
                    .find_resource_by_indicator(tenant, indicator)
                    .await?
                    .ok_or_else(|| OAuthError::new(ErrorCode::InvalidTarget, "unknown resource"))?;
                (indicator, resource.access_token_ttl)
            }
            None => (userinfo.as_str(), USERINFO_ACCESS_TOKEN_TTL),
        };
        let scope = grant.scopes.join(" ");
        let (access_token, _) = self
            .mint_grant_access_token(
                tenant,
                NewAccessToken {
                    sub: grant.user_id,
                    aud,
                    client_id: grant.client_id,
                    scope: &scope,
                    ttl,
                    sid: grant.session_id,
                },
                Some(grant.grant_id),
            )
            .await?;
        let id_token = match grant.id_token {
            Some(id_token) => {
                let new = NewIdToken {
                    access_token: Some(&access_token),
                    ..id_token
                };
                Some(self.mint_id_token(tenant, new).await?.0)
            }
            None => None,
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: u64::from(ttl),
            scope: (!scope.is_empty()).then_some(scope),
            refresh_token: grant.refresh_token,
            id_token,
        })
    }
}
