//! The token endpoint (RFC 6749 §3.2): authenticate the client, then dispatch on `grant_type`
//! to one module per grant. The user grants (code, refresh token, device code) share the
//! issuing below: the access token is for one resource of the grant, picked by the request's
//! `resource` (see `resource_indicators`), and the refresh token keeps the whole grant.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod refresh_token;
#[cfg(test)]
mod tests;
pub mod token_exchange;

use crate::access_token::NewAccessToken;
use crate::client_auth::UnverifiedClientCredentials;
use crate::id_token::NewIdToken;
use crate::params::Params;
use crate::resource_indicators::{pick_token_resource, scopes_for_resources};
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
            device_code::GRANT_TYPE => device_code::GRANT_TYPE,
            token_exchange::GRANT_TYPE => token_exchange::GRANT_TYPE,
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
            device_code::GRANT_TYPE => self.handle_device_code(tenant, &client, params).await?,
            token_exchange::GRANT_TYPE => {
                self.handle_token_exchange(tenant, &client, params).await?
            }
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
    /// What the access token is for, resolved before anything was consumed or rotated.
    pub target: TokenTarget,
    /// The ID token's authentication details, when `openid` is among the scopes.
    pub id_token: Option<NewIdToken<'a>>,
    /// The refresh token to hand out, already stored.
    pub refresh_token: Option<String>,
    /// The browser session of the grant, when it still belongs to one.
    pub session_id: Option<&'a str>,
}

/// One authorization a person gave a client (a redeemed code, an approved device): what the
/// first tokens of its grant carry.
#[derive(Debug, Clone)]
pub(crate) struct UserAuthorization<'a> {
    /// The grant the tokens belong to (and the refresh family's id).
    pub grant_id: &'a str,
    /// The person, checked enabled.
    pub user: &'a gatehouse_core::user::User,
    /// Granted scopes.
    pub scopes: &'a [String],
    /// The grant's resource indicators, in request order (RFC 8707).
    pub resources: &'a [String],
    /// The token request's `resource` parameter, when sent.
    pub requested_resource: Option<&'a str>,
    /// The request's nonce (code flow only).
    pub nonce: Option<&'a str>,
    /// The browser session the person authorized in.
    pub session_id: Option<&'a str>,
    /// When the person authenticated.
    pub auth_time: i64,
    /// How.
    pub amr: &'a [String],
    /// Authentication context class, if any.
    pub acr: Option<&'a str>,
}

/// The audience, lifetime and scope of a user grant's access token.
#[derive(Debug, Clone)]
pub(crate) struct TokenTarget {
    /// The resource indicator, or the UserInfo endpoint.
    pub aud: String,
    /// Lifetime (seconds).
    pub ttl: u32,
    /// The scopes it carries.
    pub scopes: Vec<String>,
}

impl Engine {
    /// What the access token of a user grant is for: `resource` (picked among the grant's;
    /// `None`: the UserInfo endpoint) with the OIDC scopes of `scopes` plus the scopes that
    /// resource defines *and the client holds on it*. Scope names are not unique across
    /// resources: a scope granted for one resource must never ride on another's token.
    /// Resolved before a code is used or a refresh token rotated where possible, so a failure
    /// here burns nothing more.
    pub(crate) async fn token_target(
        &self,
        tenant: &TenantContext,
        client: &gatehouse_core::Application,
        scopes: &[String],
        resource: Option<&str>,
    ) -> Result<TokenTarget, OAuthError> {
        let oidc = scopes_for_resources(scopes, &[]);
        let Some(indicator) = resource else {
            return Ok(TokenTarget {
                aud: userinfo_audience(&tenant.issuer),
                ttl: USERINFO_ACCESS_TOKEN_TTL,
                scopes: oidc,
            });
        };
        let resource = self
            .find_resource_by_indicator(tenant, indicator)
            .await?
            .ok_or_else(|| OAuthError::new(ErrorCode::InvalidTarget, "unknown resource"))?;
        let scopes = scopes
            .iter()
            .filter(|scope| {
                oidc.contains(scope)
                    || crate::authorize::client_may_request_scope(client, &resource, scope)
            })
            .cloned()
            .collect();
        Ok(TokenTarget {
            aud: indicator.to_owned(),
            ttl: resource.access_token_ttl,
            scopes,
        })
    }

    /// The first tokens of an authorization: an access token (for the resource the request
    /// picks), an ID token with `openid`, a refresh token (stored, for the whole grant) with
    /// `offline_access`.
    pub(crate) async fn issue_authorized_tokens(
        &self,
        tenant: &TenantContext,
        client: &gatehouse_core::Application,
        authorization: UserAuthorization<'_>,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let userinfo = userinfo_audience(&tenant.issuer);
        let resource = pick_token_resource(
            authorization.resources,
            authorization.scopes,
            authorization.requested_resource,
            &userinfo,
        )?;
        let target = self
            .token_target(tenant, client, authorization.scopes, resource)
            .await?;
        let has_scope = |scope: &str| authorization.scopes.iter().any(|s| s == scope);
        let refresh_token = if has_scope("offline_access") {
            let (token, record) = refresh_token::first_refresh_token(&authorization, client, now);
            self.store
                .insert_refresh_token(tenant.id(), &record)
                .await?;
            Some(token)
        } else {
            None
        };
        let id_token = has_scope("openid").then(|| NewIdToken {
            sub: &authorization.user.id,
            client_id: &client.id,
            auth_time: Some(authorization.auth_time),
            nonce: authorization.nonce,
            access_token: None,
            sid: authorization.session_id,
            amr: authorization.amr,
            acr: authorization.acr,
        });
        self.issue_user_tokens(
            tenant,
            UserGrantTokens {
                grant_id: authorization.grant_id,
                client_id: &client.id,
                user_id: &authorization.user.id,
                target,
                id_token,
                refresh_token,
                session_id: authorization.session_id,
            },
        )
        .await
    }

    /// Mints the access token (for the resource, or else for UserInfo) and the ID token of a
    /// user grant, and builds the response.
    pub(crate) async fn issue_user_tokens(
        &self,
        tenant: &TenantContext,
        grant: UserGrantTokens<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let TokenTarget { aud, ttl, scopes } = grant.target;
        let aud = aud.as_str();
        let scope = scopes.join(" ");
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
            issued_token_type: None,
        })
    }
}
