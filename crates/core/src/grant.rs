//! Interactive sign-in state: browser sessions, authorization codes, refresh tokens, and the
//! outcomes of consuming a code and rotating a refresh token. Every secret (the session cookie,
//! the code, the refresh token) is kept only as its SHA-256 hash, and `Debug` never prints one.
//!
//! A grant is what one authorization produces: its `grant_id` is carried by the code, by every
//! access token issued from it and, as `family_id`, by every refresh token of its family, so the
//! whole grant can be revoked at once.
//!
//! ```text
//! authorization code:   issued --consume (first, before expires_at)--> Consumed
//!                         |  \--consume again--> AlreadyConsumed{grant_id}  (caller revokes grant, P-08)
//!                         \--consume at/after expires_at--> Expired
//!
//! refresh token family:  RT1 --rotate--> RT2 --rotate--> RT3 ...   (each rotation marks the old one used)
//!                          any used RT --rotate--> Reused{family_id}: caller revokes the family,
//!                          no grace period (RFC 9700 §4.14.2)
//!                          revoked RT --rotate--> Revoked;  past expires_at or idle_expires_at --> Expired
//!                        every RT of a family carries the code's auth_time, amr and acr and the
//!                        family's expires_at; rotation moves only idle_expires_at
//! ```

use std::fmt;

/// The stored form of a grant's resource indicators: space-separated in request order (an
/// absolute URI cannot contain a space, RFC 3986 §2), `None` for an empty list. One column
/// holds the list, so rows written when a grant named at most one resource read unchanged.
pub fn join_resources(resources: &[String]) -> Option<String> {
    (!resources.is_empty()).then(|| resources.join(" "))
}

/// Reads the stored form written by [`join_resources`] (or a single indicator of old rows).
pub fn split_resources(stored: Option<&str>) -> Vec<String> {
    stored
        .unwrap_or_default()
        .split(' ')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What `Debug` prints instead of a hash.
const REDACTED: &str = "[redacted]";

/// A signed-in browser session of one user.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// Public id, for listing and revoking; never the cookie value.
    pub id: String,
    /// SHA-256 of the cookie value (S-03).
    pub secret_hash: Vec<u8>,
    /// The signed-in user.
    pub user_id: String,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// Last request seen on this session.
    pub last_seen_at: i64,
    /// Absolute end of the session, whatever the activity.
    pub expires_at: i64,
    /// End of the session if no request arrives before it; moved on by `touch_session`.
    pub idle_expires_at: i64,
    /// When the user last authenticated (the ID token's `auth_time`).
    pub auth_time: i64,
    /// Authentication methods used (`pwd`, `otp`, ...).
    pub amr: Vec<String>,
    /// Authentication context class reached, if any.
    pub acr: Option<String>,
    /// Whether the cookie outlives the browser ("remember me").
    pub persistent: bool,
    /// Browser's User-Agent at sign-in, for the session list.
    pub user_agent: Option<String>,
    /// Client IP at sign-in, for the session list.
    pub ip: Option<String>,
}

impl Session {
    /// Whether the session is still usable at `now` (neither limit reached).
    pub fn is_live(&self, now: i64) -> bool {
        self.expires_at > now && self.idle_expires_at > now
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("secret_hash", &REDACTED)
            .field("user_id", &self.user_id)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .field("idle_expires_at", &self.idle_expires_at)
            .field("auth_time", &self.auth_time)
            .field("amr", &self.amr)
            .field("acr", &self.acr)
            .field("persistent", &self.persistent)
            .field("user_agent", &self.user_agent)
            .field("ip", &self.ip)
            .finish()
    }
}

/// An authorization code, redeemable once before `expires_at`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// SHA-256 of the code.
    pub code_hash: Vec<u8>,
    /// Ties every token issued from this code together.
    pub grant_id: String,
    /// The client the code was issued to.
    pub client_id: String,
    /// The user who authorized.
    pub user_id: String,
    /// Public id of the session the user authorized in.
    pub session_id: String,
    /// The redirect URI of the authorization request, compared at redemption.
    pub redirect_uri: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Resource indicators (RFC 8707) of the grant, in request order; empty when none.
    pub resources: Vec<String>,
    /// OIDC `nonce` to echo in the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// When the user last authenticated.
    pub auth_time: i64,
    /// Authentication methods used.
    pub amr: Vec<String>,
    /// Authentication context class reached, if any.
    pub acr: Option<String>,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// The code is refused at and after this time (P-09).
    pub expires_at: i64,
    /// When the code was redeemed; `None` until then.
    pub consumed_at: Option<i64>,
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("code_hash", &REDACTED)
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("session_id", &self.session_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .field("nonce", &self.nonce)
            .field("code_challenge", &self.code_challenge)
            .field("auth_time", &self.auth_time)
            .field("amr", &self.amr)
            .field("acr", &self.acr)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("consumed_at", &self.consumed_at)
            .finish()
    }
}

/// A refresh token: one member of a family that rotation grows one token at a time.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// The grant id of the code the family started from.
    pub family_id: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The user the token acts for.
    pub user_id: String,
    /// The session it was issued in; `None` for tokens that outlive sessions (offline access).
    pub session_id: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Resource indicators (RFC 8707) of the whole grant, in request order; every token of
    /// the family keeps all of them, so a refresh may pick any (RFC 8707 §2.2).
    pub resources: Vec<String>,
    /// When the user authenticated for the grant (copied from the code, then along the
    /// family), so refreshed ID tokens keep it (OIDC Core §12.2); 0 for tokens stored before
    /// it was recorded, whose ID tokens then omit it.
    pub auth_time: i64,
    /// Authentication methods of that authentication.
    pub amr: Vec<String>,
    /// Authentication context class reached, if any.
    pub acr: Option<String>,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// Absolute end of the token: the end of its family, set when the family started and
    /// never moved by rotation.
    pub expires_at: i64,
    /// End of the token if it is not used before then.
    pub idle_expires_at: i64,
    /// When the token was rotated; a used token presented again is a reuse.
    pub used_at: Option<i64>,
    /// When the token's family was revoked.
    pub revoked_at: Option<i64>,
}

impl RefreshToken {
    /// Whether the token may be rotated at `now`: unused, unrevoked and within both limits.
    pub fn is_usable(&self, now: i64) -> bool {
        self.used_at.is_none()
            && self.revoked_at.is_none()
            && self.expires_at > now
            && self.idle_expires_at > now
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("token_hash", &REDACTED)
            .field("family_id", &self.family_id)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("session_id", &self.session_id)
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .field("auth_time", &self.auth_time)
            .field("amr", &self.amr)
            .field("acr", &self.acr)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("idle_expires_at", &self.idle_expires_at)
            .field("used_at", &self.used_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

/// The outcome of redeeming an authorization code. Exactly one of any number of concurrent
/// redemptions of one code gets `Consumed` (M-02). The record is boxed to keep the other
/// outcomes small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeConsumption {
    /// This call redeemed the code; it carries the code as stored, now consumed.
    Consumed(Box<AuthorizationCode>),
    /// The code was redeemed before: the caller may revoke the grant (P-08), once the client
    /// and the verifier are checked.
    AlreadyConsumed {
        /// The grant the first redemption issued tokens for.
        grant_id: String,
    },
    /// The code was never redeemed and its lifetime is over.
    Expired,
    /// No such code in this tenant.
    NotFound,
}

/// The outcome of rotating a refresh token. Exactly one of any number of concurrent rotations
/// of one token gets `Rotated` (T-02).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The old token (now used) was replaced by the new one.
    Rotated(Box<RefreshToken>),
    /// The token was already used: the caller revokes the family (no grace period, T-01).
    Reused {
        /// The family to revoke.
        family_id: String,
    },
    /// The token is past its absolute or idle limit.
    Expired,
    /// The token's family was revoked.
    Revoked,
    /// No such token in this tenant.
    NotFound,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_hashes() {
        let session = Session {
            id: "s-1".into(),
            secret_hash: vec![0xab; 32],
            user_id: "u-1".into(),
            created_at: 1,
            last_seen_at: 1,
            expires_at: 10,
            idle_expires_at: 5,
            auth_time: 1,
            amr: vec!["pwd".into()],
            acr: None,
            persistent: false,
            user_agent: None,
            ip: None,
        };
        let token = RefreshToken {
            token_hash: vec![0xab; 32],
            family_id: "g-1".into(),
            client_id: "c".into(),
            user_id: "u-1".into(),
            session_id: None,
            scopes: vec![],
            resources: vec![],
            auth_time: 1,
            amr: vec!["pwd".into()],
            acr: None,
            created_at: 1,
            expires_at: 10,
            idle_expires_at: 5,
            used_at: None,
            revoked_at: None,
        };
        for text in [format!("{session:?}"), format!("{token:?}")] {
            assert!(text.contains(REDACTED), "{text}");
            assert!(!text.contains("171"), "hash bytes printed: {text}");
        }
        assert!(session.is_live(4));
        assert!(!session.is_live(5), "idle limit");
        assert!(token.is_usable(4));
        assert!(!token.is_usable(5));
    }

    #[test]
    fn resources_round_trip_through_one_column() {
        let list = vec!["https://a.example/api".to_owned(), "urn:b:c".to_owned()];
        let stored = join_resources(&list);
        assert_eq!(stored.as_deref(), Some("https://a.example/api urn:b:c"));
        assert_eq!(split_resources(stored.as_deref()), list);
        assert_eq!(join_resources(&[]), None);
        assert!(split_resources(None).is_empty());
        assert_eq!(
            split_resources(Some("https://old.example")),
            vec!["https://old.example".to_owned()],
            "a row from before several resources reads as one"
        );
    }
}
