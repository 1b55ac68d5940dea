//! OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6): the claims about one authentication of
//! the user, for the client (`aud` = client_id), signed with the tenant's current key. They
//! are never accepted as access tokens: their `typ` is `JWT`, not `at+jwt` (T-10).

use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_crypto::sha256;
use serde::{Deserialize, Serialize};

/// The JOSE `typ` of ID tokens.
pub const ID_TOKEN_TYP: &str = "JWT";

/// Lifetime of an ID token (seconds).
pub const ID_TOKEN_TTL: i64 = 300;

/// Claims of an ID token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdTokenClaims {
    /// Issuer.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The client.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// When the user authenticated; unknown after a refresh whose session is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The nonce of the authorization request, when one was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Left half of the SHA-256 of the access token issued with it, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// The session the user authenticated in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Authentication methods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// Authentication context class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
}

/// What goes into a new ID token besides issuer and times.
#[derive(Debug, Clone, Default)]
pub struct NewIdToken<'a> {
    /// The user.
    pub sub: &'a str,
    /// The client.
    pub client_id: &'a str,
    /// When the user authenticated.
    pub auth_time: Option<i64>,
    /// The request's nonce.
    pub nonce: Option<&'a str>,
    /// The access token issued alongside.
    pub access_token: Option<&'a str>,
    /// The session id.
    pub sid: Option<&'a str>,
    /// Authentication methods.
    pub amr: &'a [String],
    /// Authentication context class.
    pub acr: Option<&'a str>,
}

/// The `at_hash` of an access token for ES256 and RS256: the left half of its SHA-256,
/// base64url without padding (OIDC Core §3.1.3.6).
pub fn at_hash(access_token: &str) -> String {
    let digest = sha256(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.get(..16).unwrap_or_default())
}

impl Engine {
    /// Signs a new ID token with the tenant's current key.
    pub async fn mint_id_token(
        &self,
        tenant: &TenantContext,
        token: NewIdToken<'_>,
    ) -> Result<(String, IdTokenClaims), OAuthError> {
        let keys = self.tenant_keys(tenant).await?;
        let now = self.now();
        let claims = IdTokenClaims {
            iss: tenant.issuer.clone(),
            sub: token.sub.to_owned(),
            aud: token.client_id.to_owned(),
            exp: now.saturating_add(ID_TOKEN_TTL),
            iat: now,
            auth_time: token.auth_time,
            nonce: token.nonce.map(str::to_owned),
            at_hash: token.access_token.map(at_hash),
            sid: token.sid.map(str::to_owned),
            amr: token.amr.to_vec(),
            acr: token.acr.map(str::to_owned),
        };
        let jwt = keys.signer.sign_jwt(ID_TOKEN_TYP, &claims).map_err(|e| {
            OAuthError::new(ErrorCode::ServerError, "internal error").with_detail(e.to_string())
        })?;
        Ok((jwt, claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core Appendix A.3 (the hash is algorithm-dependent; ES256 and RS256 use SHA-256).
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
