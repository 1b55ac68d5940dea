//! Token introspection (RFC 7662). Only authenticated confidential clients may ask; a token
//! that is invalid, expired, revoked or from another tenant is just `{"active": false}`.

use crate::access_token::TokenRejection;
use crate::params::Params;
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::Application;
use gatehouse_types::oauth::IntrospectionResponse;

impl Engine {
    /// Answers an introspection request of an authenticated client.
    pub async fn handle_introspection(
        &self,
        tenant: &TenantContext,
        client: &Application,
        params: &Params,
    ) -> Result<IntrospectionResponse, OAuthError> {
        // RFC 7662 §2.1: the endpoint MUST require some form of authorization.
        if !client.app_type.is_confidential() {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "only confidential clients may introspect",
            ));
        }
        let token = params.require("token")?;
        match self.verify_access_token(tenant, token).await {
            Ok(claims) => Ok(IntrospectionResponse {
                active: true,
                scope: Some(claims.scope),
                client_id: Some(claims.client_id),
                token_type: Some("Bearer".to_owned()),
                exp: Some(claims.exp),
                iat: Some(claims.iat),
                sub: Some(claims.sub),
                aud: Some(claims.aud),
                iss: Some(claims.iss),
                jti: Some(claims.jti),
            }),
            // Never say "active" when the answer cannot be known.
            Err(TokenRejection::Unavailable(error)) => Err(error),
            Err(_) => Ok(IntrospectionResponse::default()),
        }
    }
}
