//! Personal access tokens: long-lived secrets a person creates for scripts and CI, each with
//! a name, scopes and an expiry. The token is `gh_pat_` followed by 43 base64url characters
//! (256 random bits), recognisable by secret scanners; only its SHA-256 is stored. A PAT is
//! never accepted by an API directly: it is exchanged at the token endpoint (RFC 8693) for an
//! access token of at most an hour, so the long-lived secret only ever travels to the token
//! endpoint.

use std::fmt;

/// The prefix of every personal access token.
pub const PAT_PREFIX: &str = "gh_pat_";

/// A personal access token as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalAccessToken {
    /// Public id, for listing and revoking.
    pub id: String,
    /// The person it acts for.
    pub user_id: String,
    /// What the person called it.
    pub name: String,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// The scopes it may be exchanged for, distinct.
    pub scopes: Vec<String>,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// Refused at and after this time.
    pub expires_at: i64,
    /// When it was last exchanged.
    pub last_used_at: Option<i64>,
}

impl fmt::Debug for PersonalAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalAccessToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("token_hash", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("last_used_at", &self.last_used_at)
            .finish()
    }
}
