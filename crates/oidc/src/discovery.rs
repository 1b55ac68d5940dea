//! Discovery (OpenID Connect Discovery 1.0 §3, RFC 8414 §2): one metadata document served at
//! both well-known locations. It lists only what is implemented.

use crate::TenantContext;
use gatehouse_types::oauth::ProviderMetadata;

/// Endpoint paths below the issuer.
pub mod paths {
    /// Authorization endpoint.
    pub const AUTHORIZE: &str = "/oauth2/authorize";
    /// Token endpoint.
    pub const TOKEN: &str = "/oauth2/token";
    /// Introspection endpoint.
    pub const INTROSPECT: &str = "/oauth2/introspect";
    /// Revocation endpoint.
    pub const REVOKE: &str = "/oauth2/revoke";
    /// JWKS.
    pub const JWKS: &str = "/.well-known/jwks.json";
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// The metadata document of a tenant.
pub fn provider_metadata(tenant: &TenantContext) -> ProviderMetadata {
    let issuer = &tenant.issuer;
    let auth_methods = strings(&["client_secret_basic", "client_secret_post"]);
    ProviderMetadata {
        issuer: issuer.clone(),
        authorization_endpoint: format!("{issuer}{}", paths::AUTHORIZE),
        token_endpoint: format!("{issuer}{}", paths::TOKEN),
        jwks_uri: format!("{issuer}{}", paths::JWKS),
        introspection_endpoint: format!("{issuer}{}", paths::INTROSPECT),
        revocation_endpoint: format!("{issuer}{}", paths::REVOKE),
        scopes_supported: strings(&["openid"]),
        response_types_supported: strings(&["code"]),
        response_modes_supported: strings(&["query"]),
        grant_types_supported: strings(&["client_credentials"]),
        subject_types_supported: strings(&["public"]),
        id_token_signing_alg_values_supported: strings(&["ES256", "RS256"]),
        token_endpoint_auth_methods_supported: auth_methods.clone(),
        introspection_endpoint_auth_methods_supported: auth_methods.clone(),
        revocation_endpoint_auth_methods_supported: auth_methods,
        code_challenge_methods_supported: strings(&["S256"]),
        authorization_response_iss_parameter_supported: true,
        claims_supported: strings(&["iss", "sub", "aud", "exp", "iat"]),
    }
}
