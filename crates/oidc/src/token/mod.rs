//! The token endpoint (RFC 6749 §3.2): authenticate the client, then dispatch on `grant_type`
//! to one module per grant.

pub mod client_credentials;

use crate::client_auth::UnverifiedClientCredentials;
use crate::params::Params;
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
