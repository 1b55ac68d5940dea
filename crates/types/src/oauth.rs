//! OAuth 2.0 / OpenID Connect wire types: token, introspection, error, discovery, JWKS.

use serde::{Deserialize, Serialize};

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenResponse {
    /// The issued access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// Granted scopes, space separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// A refresh token, when one is issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// An ID token, for OpenID Connect flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The type of the issued token, for token exchange (RFC 8693 §2.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
}

/// An error response of the token, introspection and revocation endpoints (RFC 6749 §5.2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OAuthErrorBody {
    /// A registered error code such as `invalid_client`.
    pub error: String,
    /// A human-readable description; never contains secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// An introspection response (RFC 7662 §2.2). Inactive tokens carry only `active: false`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IntrospectionResponse {
    /// Whether the token is currently active.
    pub active: bool,
    /// Space separated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `Bearer` for access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Subject of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audience of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Issuer of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Token identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Claims of an RFC 9068 JWT access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the user, or the client itself for client credentials.
    pub sub: String,
    /// Audience: the resource indicator.
    pub aud: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Granted scopes, space separated (may be empty).
    pub scope: String,
    /// Unique token identifier.
    pub jti: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// The grant an interactive flow issued the token from; revoking the grant revokes the
    /// token. Absent for client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// The browser session the user authorized in, when the token came from one (the
    /// Account API marks that session as the current one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// One JSON Web Key (public part only).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Jwk {
    /// Key type: `EC` or `RSA`.
    pub kty: String,
    /// Key id.
    pub kid: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Algorithm: `ES256` or `RS256`.
    pub alg: String,
    /// EC curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA exponent (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// A JSON Web Key Set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// A device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeviceAuthorizationResponse {
    /// The code the device polls with.
    pub device_code: String,
    /// The code the person types, `BCDF-GHJK`.
    pub user_code: String,
    /// Where the person goes.
    pub verification_uri: String,
    /// The same with the user code filled in (the person still confirms).
    pub verification_uri_complete: String,
    /// Seconds until both codes expire.
    pub expires_in: u64,
    /// Minimum seconds between polls.
    pub interval: u64,
}

/// Authorization server / OpenID provider metadata (RFC 8414, OpenID Connect Discovery 1.0).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProviderMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// JWKS endpoint.
    pub jwks_uri: String,
    /// Introspection endpoint (RFC 7662).
    pub introspection_endpoint: String,
    /// Revocation endpoint (RFC 7009).
    pub revocation_endpoint: String,
    /// UserInfo endpoint (OIDC Core §5.3).
    pub userinfo_endpoint: String,
    /// Device authorization endpoint (RFC 8628 §4).
    pub device_authorization_endpoint: String,
    /// RP-initiated logout endpoint (OIDC RP-Initiated Logout §2.1).
    pub end_session_endpoint: String,
    /// Supported scopes.
    pub scopes_supported: Vec<String>,
    /// Supported response types.
    pub response_types_supported: Vec<String>,
    /// Supported response modes.
    pub response_modes_supported: Vec<String>,
    /// Supported grant types.
    pub grant_types_supported: Vec<String>,
    /// Supported subject identifier types.
    pub subject_types_supported: Vec<String>,
    /// ID token signing algorithms.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Client authentication methods at the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Algorithms accepted for `private_key_jwt` client assertions (also at the introspection
    /// and revocation endpoints).
    pub token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// Client authentication methods at the introspection endpoint.
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// Client authentication methods at the revocation endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// PKCE methods (only S256).
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207 `iss` in authorization responses.
    pub authorization_response_iss_parameter_supported: bool,
    /// Claims the provider can return.
    pub claims_supported: Vec<String>,
    /// `prompt` values understood (OIDC Prompt Create §4.1).
    pub prompt_values_supported: Vec<String>,
    /// Whether the `claims` parameter is supported (it is not).
    pub claims_parameter_supported: bool,
    /// Whether the `request` parameter is supported (it is not).
    pub request_parameter_supported: bool,
    /// Whether the `request_uri` parameter is supported (it is not).
    pub request_uri_parameter_supported: bool,
}
