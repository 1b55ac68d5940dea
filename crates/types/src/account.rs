//! Account API bodies (`/api/my-account`): what a signed-in person sees of their own sessions
//! and of the consent they gave applications.

use serde::{Deserialize, Serialize};

/// One browser session of the caller.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountSession {
    /// Session id (public; not the cookie).
    pub id: String,
    /// When the person signed in, seconds since the epoch.
    pub created_at: i64,
    /// Last activity seen.
    pub last_seen_at: i64,
    /// When the session ends at the latest.
    pub expires_at: i64,
    /// Browser at sign-in, as it named itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// IP address at sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Whether "keep me signed in" was chosen.
    pub persistent: bool,
    /// Whether the calling token was issued in this session.
    pub current: bool,
}

/// The caller's live sessions, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountSessionList {
    /// The sessions.
    pub sessions: Vec<AccountSession>,
}

/// What the caller granted one application.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountConsent {
    /// The application.
    pub client_id: String,
    /// Its name, when it still exists.
    pub client_name: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Granted API resources.
    pub resources: Vec<String>,
    /// First grant, seconds since the epoch.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// The caller's consents, most recent first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountConsentList {
    /// The consents.
    pub consents: Vec<AccountConsent>,
}

/// Body of `POST /api/my-account/tokens` (and `POST /api/users/{id}/tokens`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreatePersonalAccessToken {
    /// What the token is for (1-128 characters).
    pub name: String,
    /// The scopes it may be exchanged for (for example `all` for the Management API, or
    /// `openid profile`); at least one.
    pub scopes: Vec<String>,
    /// Days until it expires (1-366).
    pub expires_in_days: u32,
}

/// A personal access token as listed: never the secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonalAccessTokenInfo {
    /// Id, for revoking.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// Expiry, seconds since the epoch.
    pub expires_at: i64,
    /// Last exchange, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
}

/// A new personal access token: the secret is shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedPersonalAccessToken {
    /// The token (`gh_pat_...`); only its hash is kept.
    pub token: String,
    /// The token's details.
    #[serde(flatten)]
    pub info: PersonalAccessTokenInfo,
}

/// A person's personal access tokens, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonalAccessTokenList {
    /// The tokens.
    pub tokens: Vec<PersonalAccessTokenInfo>,
}
