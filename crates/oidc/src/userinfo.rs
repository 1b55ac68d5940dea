//! The UserInfo endpoint (OIDC Core §5.3): a bearer access token whose audience is this
//! issuer's UserInfo endpoint buys the claims of its user that its scopes cover (§5.4), and
//! no others. Any token problem is `invalid_token` (RFC 6750 §3.1); the server answers 401
//! with `WWW-Authenticate: Bearer error="invalid_token"` (checklist P-27).

use crate::access_token::TokenRejection;
use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::ApiResource;
use gatehouse_core::user::User;
use serde_json::{Map, Value};

/// Lifetime of an access token for the UserInfo endpoint (seconds).
pub const USERINFO_ACCESS_TOKEN_TTL: u32 = 900;

/// The audience of access tokens for the UserInfo endpoint of an issuer.
pub fn userinfo_audience(issuer: &str) -> String {
    format!("{issuer}/oauth2/userinfo")
}

/// Id of the UserInfo endpoint as a resource of a grant (never stored).
pub const USERINFO_RESOURCE_ID: &str = "userinfo";

/// The UserInfo endpoint as a protected resource (RFC 8707): the resource an OpenID Connect
/// request's scopes are used at, so a grant may name it among several resources and a token
/// request may pick it. It defines no API scope; its tokens carry the OIDC scopes.
pub fn userinfo_resource(tenant: &TenantContext) -> ApiResource {
    ApiResource {
        id: USERINFO_RESOURCE_ID.to_owned(),
        name: "UserInfo".to_owned(),
        indicator: userinfo_audience(&tenant.issuer),
        access_token_ttl: USERINFO_ACCESS_TOKEN_TTL,
        scopes: Vec::new(),
        builtin: true,
        created_at: 0,
        updated_at: 0,
    }
}

/// Why a UserInfo request failed (RFC 6750 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserinfoError {
    /// The token is malformed, expired, revoked, for another audience, or its user is gone or
    /// disabled: 401 `invalid_token`. The text is safe to send.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The token lacks the `openid` scope: 403 `insufficient_scope`.
    #[error("the access token does not carry the openid scope")]
    InsufficientScope,
    /// The token could not be checked: 503 (or 500).
    #[error("the token could not be checked")]
    Unavailable(OAuthError),
}

impl UserinfoError {
    /// The RFC 6750 error code, for `WWW-Authenticate`; `None` for server-side failures.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InsufficientScope => Some("insufficient_scope"),
            Self::Unavailable(_) => None,
        }
    }
}

impl Engine {
    /// Answers a UserInfo request carrying `bearer_token` (from the Authorization header only:
    /// query tokens are never accepted, P-20).
    pub async fn handle_userinfo(
        &self,
        tenant: &TenantContext,
        bearer_token: &str,
    ) -> Result<Value, UserinfoError> {
        let claims = self
            .verify_access_token(tenant, bearer_token)
            .await
            .map_err(|rejection| match rejection {
                TokenRejection::Unavailable(error) => UserinfoError::Unavailable(error),
                TokenRejection::Expired => UserinfoError::InvalidToken("the access token expired"),
                TokenRejection::Revoked => {
                    UserinfoError::InvalidToken("the access token was revoked")
                }
                TokenRejection::Invalid => {
                    UserinfoError::InvalidToken("the access token is invalid")
                }
            })?;
        if claims.aud != userinfo_audience(&tenant.issuer) {
            return Err(UserinfoError::InvalidToken(
                "the access token is not for the UserInfo endpoint",
            ));
        }
        let scopes: Vec<&str> = claims.scope.split(' ').collect();
        // OIDC Core §5.3: the UserInfo endpoint serves OpenID Connect access tokens.
        if !scopes.contains(&"openid") {
            return Err(UserinfoError::InsufficientScope);
        }
        let user = self
            .store
            .find_user(tenant.id(), &claims.sub)
            .await
            .map_err(|e| UserinfoError::Unavailable(e.into()))?
            .filter(|user| !user.disabled)
            .ok_or(UserinfoError::InvalidToken(
                "the access token's user no longer exists or is disabled",
            ))?;
        Ok(user_claims(&user, &scopes))
    }
}

/// `sub` and the claims the scopes cover (OIDC Core §5.4); claims without a value are left
/// out (§5.3.2).
pub fn user_claims(user: &User, scopes: &[&str]) -> Value {
    let mut claims = Map::new();
    claims.insert("sub".to_owned(), Value::from(user.id.as_str()));
    if scopes.contains(&"profile") {
        if let Some(name) = &user.name {
            claims.insert("name".to_owned(), Value::from(name.as_str()));
        }
        if let Some(username) = &user.username {
            claims.insert(
                "preferred_username".to_owned(),
                Value::from(username.as_str()),
            );
        }
        claims.insert("updated_at".to_owned(), Value::from(user.updated_at));
    }
    if scopes.contains(&"email")
        && let Some(email) = &user.email
    {
        claims.insert("email".to_owned(), Value::from(email.as_str()));
        claims.insert(
            "email_verified".to_owned(),
            Value::from(user.email_verified),
        );
    }
    Value::Object(claims)
}
