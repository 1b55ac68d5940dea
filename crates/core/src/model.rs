//! Stored records. Every record belongs to a tenant; the store takes the tenant id on every call.

pub use gatehouse_types::management::{ApplicationType, ResourceGrant, ResourceScope};

/// Name of the tenant served at the root issuer.
pub const ROOT_TENANT: &str = "default";

/// client_id of the built-in public native application the CLI logs in with.
pub const CLI_CLIENT_ID: &str = "gatehouse-cli";

/// Path of the Management API below the issuer; also the suffix of its resource indicator.
pub const MANAGEMENT_API_PATH: &str = "/api";

/// The one scope of the Management API resource: full access.
pub const MANAGEMENT_SCOPE: &str = "all";

/// A tenant: an isolated issuer with its own keys, applications, resources and users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Stable id used as the foreign key of every record.
    pub id: String,
    /// URL-safe name; the root tenant is `default`, others are served at `/t/<name>`.
    pub name: String,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
}

impl Tenant {
    /// The issuer of this tenant under the given base URL (no trailing slash).
    pub fn issuer(&self, base: &str) -> String {
        issuer_for(base, &self.name)
    }
}

/// The issuer of the named tenant under the given base URL.
pub fn issuer_for(base: &str, tenant_name: &str) -> String {
    let base = base.trim_end_matches('/');
    if tenant_name == ROOT_TENANT {
        base.to_owned()
    } else {
        format!("{base}/t/{tenant_name}")
    }
}

/// The Management API's resource indicator for an issuer.
pub fn management_indicator(issuer: &str) -> String {
    format!("{issuer}{MANAGEMENT_API_PATH}")
}

/// An OAuth client registered with a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The client_id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Application type.
    pub app_type: ApplicationType,
    /// Exactly matched redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exactly matched post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Third-party apps always get a consent screen.
    pub third_party: bool,
    /// Built-in apps (the CLI) cannot be deleted.
    pub builtin: bool,
    /// API resources the app may obtain tokens for, by resource id.
    pub resource_grants: Vec<ResourceGrant>,
    /// Absolute lifetime of a refresh token family in seconds, counted from its first token;
    /// `None`: the server default.
    pub refresh_token_absolute_ttl: Option<u32>,
    /// A refresh token unused for this long (seconds) dies; `None`: the server default.
    pub refresh_token_idle_ttl: Option<u32>,
    /// The public JWK Set (JSON text, validated and normalized when registered) whose keys
    /// sign the client's `private_key_jwt` assertions; `None`: no key-based authentication.
    pub jwks: Option<String>,
    /// Whether the app may use the device authorization grant (RFC 8628); native apps only.
    pub device_flow: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last update time.
    pub updated_at: i64,
}

/// A client secret, stored only as the SHA-256 of a high-entropy random value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecret {
    /// Secret id.
    pub id: String,
    /// The application it belongs to.
    pub application_id: String,
    /// Optional label.
    pub name: Option<String>,
    /// SHA-256 of the secret.
    pub secret_hash: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
    /// Optional expiry.
    pub expires_at: Option<i64>,
}

impl ClientSecret {
    /// Whether the secret may still be used at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|expires| now < expires)
    }
}

/// An API resource tokens can be issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    /// Resource id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The RFC 8707 resource indicator, used as `aud`.
    pub indicator: String,
    /// Access token lifetime in seconds.
    pub access_token_ttl: u32,
    /// Permissions.
    pub scopes: Vec<ResourceScope>,
    /// Built-in resources (the Management API) cannot be changed or deleted.
    pub builtin: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last update time.
    pub updated_at: i64,
}

/// Signature algorithms Gatehouse signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// ECDSA P-256 with SHA-256 (default).
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl SigningAlgorithm {
    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }

    /// Parses a JOSE name (exact, case-sensitive).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "ES256" => Some(Self::Es256),
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }
}

/// A tenant's signing key as stored: the private key sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// Key id (`kid`).
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlgorithm,
    /// The public key as a JWK (JSON text).
    pub public_jwk: String,
    /// The private key (PKCS#8 DER) sealed by envelope encryption.
    pub sealed_private_key: Vec<u8>,
    /// Creation time: from now on the key is published in the JWKS.
    pub created_at: i64,
    /// From this time on the key may sign (published before it signs).
    pub activates_at: i64,
    /// When set: the key stops signing at this time (a newer key took over).
    pub retires_at: Option<i64>,
    /// When set: the key leaves the JWKS at this time (no token it signed is still valid).
    pub expires_at: Option<i64>,
}

impl SigningKey {
    /// Whether the key belongs in the JWKS at `now`.
    pub fn is_published(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|expires| now < expires)
    }

    /// Whether the key may sign at `now`.
    pub fn can_sign(&self, now: i64) -> bool {
        self.activates_at <= now && self.retires_at.is_none_or(|retires| now < retires)
    }
}

/// Id of every tenant's built-in Management API resource.
pub const MANAGEMENT_RESOURCE_ID: &str = "management-api";

/// What the store holds as the Management API's indicator: the real one, `<issuer>/api`,
/// depends on the configured issuer and is computed at run time.
pub const MANAGEMENT_STORED_INDICATOR: &str = "gatehouse:management-api";
