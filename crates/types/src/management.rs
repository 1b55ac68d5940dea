//! Management API bodies (`/api/...`). Timestamps are seconds since the Unix epoch.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The kind of an application, which decides how it authenticates and what it may do.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ApplicationType {
    /// Single-page app in a browser: public client, PKCE.
    Spa,
    /// Native or CLI app: public client, PKCE, loopback redirects.
    Native,
    /// Server-side web app: confidential client.
    Web,
    /// Machine to machine: confidential client, client credentials grant.
    M2m,
}

impl ApplicationType {
    /// Whether clients of this type hold a secret.
    pub fn is_confidential(self) -> bool {
        matches!(self, Self::Web | Self::M2m)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spa => "spa",
            Self::Native => "native",
            Self::Web => "web",
            Self::M2m => "m2m",
        }
    }

    /// Parses the wire name.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "spa" => Some(Self::Spa),
            "native" => Some(Self::Native),
            "web" => Some(Self::Web),
            "m2m" => Some(Self::M2m),
            _ => None,
        }
    }
}

/// Permission of an application to obtain tokens for an API resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourceGrant {
    /// The API resource's id.
    pub resource_id: String,
    /// Scopes of that resource the application may request.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// An application (an OAuth client). Its `id` is its `client_id`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Application {
    /// The OAuth client_id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Application type.
    #[serde(rename = "type")]
    pub app_type: ApplicationType,
    /// Registered redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs, matched exactly.
    pub post_logout_redirect_uris: Vec<String>,
    /// Third-party applications always show a consent screen.
    pub third_party: bool,
    /// Whether the application may use the device authorization grant (RFC 8628).
    pub device_flow: bool,
    /// API resources this application may obtain tokens for.
    pub resource_grants: Vec<ResourceGrant>,
    /// How the client authenticates at the token, introspection and revocation endpoints:
    /// `none` (public types), `private_key_jwt` (a JWK Set is registered; secrets added later
    /// work too) or `client_secret_basic` (`client_secret_post` works too).
    #[serde(default)]
    pub token_endpoint_auth_method: String,
    /// Absolute lifetime of a refresh token family in seconds, counted from its first token.
    /// Absent: the server default (30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_absolute_ttl: Option<u32>,
    /// A refresh token unused for this long (seconds) dies. Absent: the server default
    /// (14 days, never beyond the absolute lifetime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_idle_ttl: Option<u32>,
    /// The public JWK Set whose keys sign the client's `private_key_jwt` assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub jwks: Option<serde_json::Value>,
    /// Built-in applications cannot be deleted.
    pub builtin: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last update time.
    pub updated_at: i64,
}

/// Body of `POST /api/applications`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApplication {
    /// Display name (1..=128 characters).
    pub name: String,
    /// Application type.
    #[serde(rename = "type")]
    pub app_type: ApplicationType,
    /// Redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Third-party application (consent is always asked).
    #[serde(default)]
    pub third_party: bool,
    /// Allow the device authorization grant (RFC 8628); native applications only.
    #[serde(default)]
    pub device_flow: bool,
    /// API resources this application may obtain tokens for.
    #[serde(default)]
    pub resource_grants: Vec<ResourceGrant>,
    /// Absolute lifetime of a refresh token family in seconds (60..=31622400, 366 days),
    /// counted from its first token; rotation never extends it. Absent: the server default
    /// (30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_absolute_ttl: Option<u32>,
    /// A refresh token unused for this long (seconds, 60..=31622400, at most the absolute
    /// lifetime) dies. Absent: the server default (14 days, never beyond the absolute lifetime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_idle_ttl: Option<u32>,
    /// A public JWK Set (`{"keys": [...]}`: EC P-256 keys for ES256 or RSA keys of 2048 bits
    /// or more for RS256, each with a `kid`, no private members) whose keys sign the client's
    /// `private_key_jwt` assertions (RFC 7523). Confidential types only; such an application
    /// gets no first client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub jwks: Option<serde_json::Value>,
}

/// Answer of `POST /api/applications`: the application and, for confidential types, its first
/// secret. The secret is shown only here.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedApplication {
    /// The application.
    #[serde(flatten)]
    pub application: Application,
    /// The client secret, only for confidential applications, shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// Body of `PATCH /api/applications/{id}`: every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateApplication {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New redirect URIs (replaces the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    /// New post-logout redirect URIs (replaces the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// New third-party flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub third_party: Option<bool>,
    /// New device-flow flag (native applications only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_flow: Option<bool>,
    /// New resource grants (replaces the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_grants: Option<Vec<ResourceGrant>>,
    /// New absolute refresh token lifetime in seconds; `null` returns to the server default.
    /// Applies to families started from now on.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    pub refresh_token_absolute_ttl: Option<Option<u32>>,
    /// New idle refresh token lifetime in seconds, applied from each family's next rotation;
    /// `null` returns to the server default.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    pub refresh_token_idle_ttl: Option<Option<u32>>,
    /// New public JWK Set for `private_key_jwt` (replaces the set); `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub jwks: Option<Option<serde_json::Value>>,
}

/// Reads a field that is present, even as `null`, as `Some`: a PATCH body then tells an
/// absent field (keep the value) from `null` (reset it).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A page of applications.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApplicationList {
    /// The applications of this page.
    pub items: Vec<Application>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A client secret's metadata. The secret itself is never returned after creation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClientSecretInfo {
    /// Secret id.
    pub id: String,
    /// Optional label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry; the secret stops working at that time. Absent: never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// The secrets of an application (metadata only), oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClientSecretList {
    /// The secrets' metadata; the values are never returned after creation.
    pub items: Vec<ClientSecretInfo>,
}

/// Body of `POST /api/applications/{id}/secrets`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateClientSecret {
    /// Optional label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Optional expiry (seconds since the epoch, in the future).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// Answer of `POST /api/applications/{id}/secrets`: the secret, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedClientSecret {
    /// The secret's metadata.
    #[serde(flatten)]
    pub info: ClientSecretInfo,
    /// The secret value, shown only here.
    pub client_secret: String,
}

/// One permission (scope) of an API resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourceScope {
    /// Scope name, for example `read:orders`.
    pub name: String,
    /// What the scope allows.
    #[serde(default)]
    pub description: String,
}

/// An API resource, identified in token requests by its indicator (RFC 8707).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiResource {
    /// Resource id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Resource indicator: an absolute URI without fragment; the `aud` of its tokens.
    pub indicator: String,
    /// Lifetime of access tokens for this resource, in seconds.
    pub access_token_ttl: u32,
    /// Permissions of this resource.
    pub scopes: Vec<ResourceScope>,
    /// Built-in resources (the Management API) cannot be changed or deleted.
    pub builtin: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last update time.
    pub updated_at: i64,
}

/// Body of `POST /api/resources`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiResource {
    /// Display name.
    pub name: String,
    /// Resource indicator (absolute URI, no fragment).
    pub indicator: String,
    /// Access token lifetime in seconds (60..=86400, default 900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<u32>,
    /// Permissions.
    #[serde(default)]
    pub scopes: Vec<ResourceScope>,
}

/// Body of `PATCH /api/resources/{id}`: every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateApiResource {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New access token lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<u32>,
    /// New permissions (replaces the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<ResourceScope>>,
}

/// A page of API resources.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiResourceList {
    /// The resources of this page.
    pub items: Vec<ApiResource>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A user. The password itself and its hash are never shown, only whether there is one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    /// Stable id: the `sub` of this user's tokens.
    pub id: String,
    /// Canonical username (NFKC, case folded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Canonical email address (lowercase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the user proved control of `email`.
    pub email_verified: bool,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone number in E.164 form (`+` and 7-15 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the user proved control of `phone_number`.
    #[serde(default)]
    pub phone_number_verified: bool,
    /// Given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname (last name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Casual name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// URL of the profile page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// URL of a picture of the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// URL of the user's web page or blog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Gender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Birthday: `YYYY-MM-DD`, `0000-MM-DD` (year withheld) or `YYYY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// IANA time zone name, such as `Europe/Paris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// BCP 47 language tag, such as `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Whether the user has a password.
    pub has_password: bool,
    /// A disabled user cannot sign in.
    pub disabled: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last update time.
    pub updated_at: i64,
}

/// Body of `POST /api/users`: at least one of `username` and `email`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Username: letters a-z, digits, `.`, `_`, `-` after case folding; compared canonically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Email address; compared case-insensitively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Password: 8-256 characters, not common, not the username or email. Optional: users
    /// may sign in other ways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the email address is known to belong to the user (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Phone number in international form: `+`, the country code and the number; spaces,
    /// `-`, `.`, `(` and `)` are allowed and dropped (`+1 (425) 555-1212` is stored as
    /// `+14255551212`). Not unique, not a sign-in identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number is known to belong to the user (default false; needs a
    /// `phone_number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// Given (first) name, 1-128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname (last name), 1-128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Middle name, 1-128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Casual name, 1-128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// URL of the profile page: absolute `http` or `https`, at most 2048 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// URL of a picture of the user: absolute `http` or `https`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// URL of the user's web page or blog: absolute `http` or `https`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Gender: `female`, `male` or any other text, 1-128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Birthday: `YYYY-MM-DD`, `0000-MM-DD` (year withheld) or `YYYY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// IANA time zone name, such as `Europe/Paris` (the shape is checked, not the database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// BCP 47 language tag, such as `en-US` or `fr` (`en_US` is accepted as `en-US`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Postal address; blank members are dropped, and an address without any member is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// A postal address (OpenID Connect Core §5.1.1); every member is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// The full address for display or a mailing label, at most 512 characters; may hold
    /// several lines (`\n` or `\r\n`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Street, house number, apartment..., at most 256 characters; may hold several lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City or locality, at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province, prefecture or region, at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Zip or postal code, at most 32 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country name, at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Body of `PATCH /api/users/{id}`: every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// New username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// New email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// New display name; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub name: Option<Option<String>>,
    /// Whether the email address is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Disable (or enable) sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// New password (checked against the policy like a new one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// New phone number (international form, see `CreateUser`); `null` removes it. A new number is unverified unless `phone_number_verified` says otherwise.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone_number: Option<Option<String>>,
    /// Whether the phone number is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// New given name; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub given_name: Option<Option<String>>,
    /// New surname; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub family_name: Option<Option<String>>,
    /// New middle name; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub middle_name: Option<Option<String>>,
    /// New casual name; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub nickname: Option<Option<String>>,
    /// New profile page URL; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub profile: Option<Option<String>>,
    /// New picture URL; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub picture: Option<Option<String>>,
    /// New web page URL; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub website: Option<Option<String>>,
    /// New gender; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub gender: Option<Option<String>>,
    /// New birthday (`YYYY-MM-DD`, `0000-MM-DD` or `YYYY`); `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub birthdate: Option<Option<String>>,
    /// New IANA time zone name; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub zoneinfo: Option<Option<String>>,
    /// New BCP 47 language tag; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub locale: Option<Option<String>>,
    /// New postal address, replacing the whole address (members left out are removed);
    /// `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Address>))]
    pub address: Option<Option<Address>>,
}

/// A page of users.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserList {
    /// The users of this page.
    pub items: Vec<User>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn update_application_tells_absent_from_null() {
        let absent: UpdateApplication = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.refresh_token_idle_ttl, None);
        assert_eq!(absent.jwks, None);
        let reset: UpdateApplication =
            serde_json::from_str(r#"{"refresh_token_idle_ttl": null, "jwks": null}"#).unwrap();
        assert_eq!(reset.refresh_token_idle_ttl, Some(None));
        assert_eq!(reset.jwks, Some(None));
        let set: UpdateApplication =
            serde_json::from_str(r#"{"refresh_token_absolute_ttl": 3600}"#).unwrap();
        assert_eq!(set.refresh_token_absolute_ttl, Some(Some(3600)));
        // Round trip: `null` is written back as `null`, absent stays absent.
        let text = serde_json::to_string(&reset).unwrap();
        assert_eq!(text, r#"{"refresh_token_idle_ttl":null,"jwks":null}"#);
        assert!(serde_json::from_str::<UpdateApplication>(r#"{"jwks": 5}"#).is_ok());
        assert!(
            serde_json::from_str::<UpdateApplication>(r#"{"refresh_token_idle_ttl": "5"}"#)
                .is_err()
        );
    }

    #[test]
    fn update_user_tells_absent_from_null() {
        let absent: UpdateUser = serde_json::from_str("{}").unwrap();
        assert_eq!((absent.phone_number, absent.address), (None, None));
        let cleared: UpdateUser =
            serde_json::from_str(r#"{"phone_number": null, "address": null, "locale": null}"#)
                .unwrap();
        assert_eq!(cleared.phone_number, Some(None));
        assert_eq!(cleared.address, Some(None));
        assert_eq!(cleared.locale, Some(None));
        assert_eq!(cleared.given_name, None);
        let set: UpdateUser =
            serde_json::from_str(r#"{"given_name": "Ada", "address": {"locality": "London"}}"#)
                .unwrap();
        assert_eq!(set.given_name, Some(Some("Ada".into())));
        assert_eq!(
            set.address.unwrap().unwrap().locality.as_deref(),
            Some("London")
        );
        let text = serde_json::to_string(&cleared).unwrap();
        assert_eq!(
            text,
            r#"{"phone_number":null,"locale":null,"address":null}"#
        );
        // Unknown address members and wrong types are refused, never ignored.
        assert!(serde_json::from_str::<UpdateUser>(r#"{"address": {"city": "London"}}"#).is_err());
        assert!(serde_json::from_str::<CreateUser>(r#"{"phone_number": 123}"#).is_err());
    }
}
