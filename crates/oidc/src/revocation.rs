//! Token revocation (RFC 7009). A JWT access token is revoked by putting its `jti` on the
//! tenant's deny list until it expires. A refresh token (which §2 says MUST be revocable)
//! revokes its whole family and its grant, so the access tokens issued from that grant stop
//! working too (§2.1). Unknown or invalid tokens are not an error (§2.2); a token issued to
//! another client is refused and stays valid (§2.1).
//!
//! ```text
//!  token --verifies as our JWT--> client's? --> jti on the deny list until exp
//!        --else, hash is a refresh token--> client's? --> revoke family + grant
//!        --else--> 200, nothing to do
//! ```
//!
//! Personal access tokens are not revoked here: they belong to a person, who revokes them in
//! the Account API. Presented here they get `unsupported_token_type` (§2.2.1) rather than a
//! 200 that would suggest they are dead.

use crate::params::Params;
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::Application;
use gatehouse_core::pat::PAT_PREFIX;
use gatehouse_crypto::{JwsError, sha256};
use gatehouse_types::oauth::AccessTokenClaims;

impl Engine {
    /// Revokes a token on behalf of an authenticated client.
    pub async fn handle_revocation(
        &self,
        tenant: &TenantContext,
        client: &Application,
        params: &Params,
    ) -> Result<(), OAuthError> {
        let token = params.require("token")?;
        if token.starts_with(PAT_PREFIX) {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedTokenType,
                "personal access tokens are revoked by their owner in the Account API",
            ));
        }
        let keys = self.tenant_keys(tenant).await?;
        let claims = match keys
            .verifier
            .verify(token, Some(crate::access_token::ACCESS_TOKEN_TYP))
        {
            Ok(verified) => serde_json::from_value::<AccessTokenClaims>(verified.claims).ok(),
            Err(
                JwsError::Malformed
                | JwsError::UnknownKey
                | JwsError::BadSignature
                | JwsError::WrongType,
            ) => None,
        };
        // RFC 7009 §2.2: invalid tokens do not cause an error response.
        let Some(claims) = claims.filter(|claims| claims.iss == tenant.issuer) else {
            return self.revoke_refresh_token(tenant, client, token).await;
        };
        // RFC 7009 §2.1: the server verifies the token was issued to the requesting client.
        if claims.client_id != client.id {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the token was not issued to this client",
            ));
        }
        if claims.exp <= self.now() {
            return Ok(());
        }
        // A store failure is reported, never a false success (T-08).
        self.store
            .insert_revoked_token(tenant.id(), &claims.jti, claims.exp)
            .await?;
        Ok(())
    }

    /// Revokes the refresh token `token` if it is one (RFC 7009 §2: refresh tokens MUST be
    /// revocable): its family and, §2.1, the access tokens of the same grant.
    async fn revoke_refresh_token(
        &self,
        tenant: &TenantContext,
        client: &Application,
        token: &str,
    ) -> Result<(), OAuthError> {
        let Some(refresh) = self
            .store
            .find_refresh_token(tenant.id(), &sha256(token.as_bytes()))
            .await?
        else {
            return Ok(());
        };
        if refresh.client_id != client.id {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the token was not issued to this client",
            ));
        }
        let now = self.now();
        self.store
            .revoke_family(tenant.id(), &refresh.family_id, now)
            .await?;
        // The grant's access tokens live at most this long; the marker outlives them all.
        let until = now.saturating_add(self.config.max_token_lifetime);
        self.store
            .revoke_grant(tenant.id(), &refresh.family_id, now, until)
            .await?;
        Ok(())
    }
}
