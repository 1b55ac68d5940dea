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
