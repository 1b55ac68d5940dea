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
    /// UserInfo endpoint.
    pub const USERINFO: &str = "/oauth2/userinfo";
    /// RP-initiated logout.
    pub const END_SESSION: &str = "/oauth2/end_session";
    /// Device authorization endpoint (RFC 8628 §3.1).
    pub const DEVICE_AUTHORIZATION: &str = "/oauth2/device_authorization";
    /// Interaction pages (sign-in, sign-up, consent), followed by the interaction id.
    pub const INTERACTION: &str = "/interaction";
    /// JWKS.
    pub const JWKS: &str = "/.well-known/jwks.json";
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// The metadata document of a tenant.
pub fn provider_metadata(tenant: &TenantContext) -> ProviderMetadata {
    let issuer = &tenant.issuer;
    let auth_methods = strings(&[
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]);
    ProviderMetadata {
        issuer: issuer.clone(),
        authorization_endpoint: format!("{issuer}{}", paths::AUTHORIZE),
        token_endpoint: format!("{issuer}{}", paths::TOKEN),
        jwks_uri: format!("{issuer}{}", paths::JWKS),
        introspection_endpoint: format!("{issuer}{}", paths::INTROSPECT),
        revocation_endpoint: format!("{issuer}{}", paths::REVOKE),
        userinfo_endpoint: format!("{issuer}{}", paths::USERINFO),
        device_authorization_endpoint: format!("{issuer}{}", paths::DEVICE_AUTHORIZATION),
        end_session_endpoint: format!("{issuer}{}", paths::END_SESSION),
        scopes_supported: strings(&crate::authorize::STANDARD_SCOPES),
        response_types_supported: strings(&["code"]),
        response_modes_supported: strings(&["query", "form_post"]),
        grant_types_supported: strings(&[
            "authorization_code",
            "refresh_token",
            "client_credentials",
            crate::device::DEVICE_CODE_GRANT_TYPE,
            crate::token::token_exchange::GRANT_TYPE,
        ]),
        subject_types_supported: strings(&["public"]),
        id_token_signing_alg_values_supported: strings(&["ES256", "RS256"]),
        token_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ]),
        token_endpoint_auth_signing_alg_values_supported: strings(
            &crate::client_auth::ASSERTION_SIGNING_ALGS,
        ),
        introspection_endpoint_auth_methods_supported: auth_methods.clone(),
        revocation_endpoint_auth_methods_supported: auth_methods,
        code_challenge_methods_supported: strings(&["S256"]),
        authorization_response_iss_parameter_supported: true,
        claims_supported: strings(&[
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "sid",
            "amr",
            "acr",
            // OIDC Core §5.1, by scope (§5.4): profile, email, phone, address.
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
            "address",
        ]),
        prompt_values_supported: strings(&["none", "login", "consent", "select_account", "create"]),
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
    }
}
