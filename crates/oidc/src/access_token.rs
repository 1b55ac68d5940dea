//! RFC 9068 JWT access tokens: minting and verification (signature, `typ`, issuer, expiry,
//! revocation). Used by the token endpoint, introspection, revocation and the APIs' bearer
//! authentication.

use crate::{Engine, OAuthError, TenantContext};
use gatehouse_crypto::random_token;
use gatehouse_types::oauth::AccessTokenClaims;

/// The JOSE `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Tolerated clock difference for `iat` (seconds).
const CLOCK_SKEW: i64 = 60;

/// Why an access token was refused. The message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    /// Malformed, bad signature, wrong type or issuer.
    #[error("the access token is invalid")]
    Invalid,
    /// Past its expiry.
    #[error("the access token expired")]
    Expired,
    /// Revoked.
    #[error("the access token was revoked")]
    Revoked,
    /// The token could not be checked (database or keys unavailable).
    #[error("the token could not be checked")]
    Unavailable(OAuthError),
}

/// What goes into a new access token.
#[derive(Debug, Clone)]
pub struct NewAccessToken<'a> {
    /// Subject.
    pub sub: &'a str,
    /// Audience (resource indicator).
    pub aud: &'a str,
    /// Client.
    pub client_id: &'a str,
    /// Granted scopes.
    pub scope: &'a str,
    /// Lifetime in seconds.
    pub ttl: u32,
    /// The session of an interactive grant, when known.
    pub sid: Option<&'a str>,
}

impl Engine {
    /// Signs a new access token with the tenant's current key.
    pub async fn mint_access_token(
        &self,
        tenant: &TenantContext,
        token: NewAccessToken<'_>,
    ) -> Result<(String, AccessTokenClaims), OAuthError> {
        self.mint_grant_access_token(tenant, token, None).await
    }

    /// Signs a new access token carrying the grant of an interactive flow (authorization
    /// code, refresh token), so that revoking the grant revokes the token.
    pub async fn mint_grant_access_token(
        &self,
        tenant: &TenantContext,
        token: NewAccessToken<'_>,
        grant_id: Option<&str>,
    ) -> Result<(String, AccessTokenClaims), OAuthError> {
        let keys = self.tenant_keys(tenant).await?;
        let now = self.now();
        let claims = AccessTokenClaims {
            iss: tenant.issuer.clone(),
            sub: token.sub.to_owned(),
            aud: token.aud.to_owned(),
            client_id: token.client_id.to_owned(),
            scope: token.scope.to_owned(),
            jti: random_token(16),
            iat: now,
            exp: now.saturating_add(i64::from(token.ttl)),
            grant_id: grant_id.map(str::to_owned),
            sid: token.sid.map(str::to_owned),
        };
        let jwt = keys
            .signer
            .sign_jwt(ACCESS_TOKEN_TYP, &claims)
            .map_err(|e| {
                OAuthError::new(crate::ErrorCode::ServerError, "internal error")
                    .with_detail(e.to_string())
            })?;
        Ok((jwt, claims))
    }

    /// Verifies an access token of this tenant: signature by a published key, `typ` at+jwt,
    /// issuer, `iat` not in the future, not expired, not revoked (by `jti`, or through its
    /// grant when it carries one), and its client still exists.
    pub async fn verify_access_token(
        &self,
        tenant: &TenantContext,
        token: &str,
    ) -> Result<AccessTokenClaims, TokenRejection> {
        let keys = self
            .tenant_keys(tenant)
            .await
            .map_err(TokenRejection::Unavailable)?;
        let verified = keys
            .verifier
            .verify(token, Some(ACCESS_TOKEN_TYP))
            .map_err(|_| TokenRejection::Invalid)?;
        let claims: AccessTokenClaims =
            serde_json::from_value(verified.claims).map_err(|_| TokenRejection::Invalid)?;
        let now = self.now();
        if claims.iss != tenant.issuer || claims.iat > now.saturating_add(CLOCK_SKEW) {
            return Err(TokenRejection::Invalid);
        }
        if claims.exp <= now {
            return Err(TokenRejection::Expired);
        }
        // The deny list, the grant and the client in one round trip: this runs on every
        // UserInfo, introspection and API call.
        let state = self
            .store
            .token_state(
                tenant.id(),
                &claims.jti,
                claims.grant_id.as_deref(),
                &claims.client_id,
            )
            .await
            .map_err(|e| TokenRejection::Unavailable(e.into()))?;
        if state.token_revoked {
            return Err(TokenRejection::Revoked);
        }
        // Revoking a grant (e.g. refresh token reuse, code replay, consent withdrawn) revokes
        // every access token issued from it.
        if state.grant_revoked {
            return Err(TokenRejection::Revoked);
        }
        // T-15: deleting an application kills its tokens at once, on every replica.
        if !state.client_exists {
            return Err(TokenRejection::Revoked);
        }
        Ok(claims)
    }
}
