//! Token revocation (RFC 7009). A JWT access token is revoked by putting its `jti` on the
//! tenant's deny list until it expires. Unknown or invalid tokens are not an error (§2.2); a
//! token issued to another client is refused and stays valid (§2.1).

use crate::params::Params;
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::Application;
use gatehouse_crypto::JwsError;
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
            return Ok(());
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
}
