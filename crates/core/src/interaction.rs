//! Pending authorizations and remembered consent.
//!
//! An [`Interaction`] holds a validated authorization request while the person signs in,
//! signs up or consents on Gatehouse's pages. It is bound to the browser that started it by
//! the hash of a cookie value (checklist S-08: finishing request A's sign-in in browser B
//! issues nothing), lives ten minutes at most, and is consumed exactly once when the
//! response (code or error) is sent back to the client.
//!
//! ```text
//!  authorize --needs UI--> Interaction{params} --sign-in / sign-up--> session cookie set
//!                              |                                   |
//!                              |         consent needed? --yes--> consent page --allow/deny
//!                              v                                   v
//!                        expires (10 min)               consume (one winner) -> code or error
//! ```
//!
//! A [`Consent`] records which scopes and resources a person granted a third-party
//! application, so the consent screen is not shown again for what is already granted
//! (checklist P-29); deleting it revokes the application's grants for that person (T-06).

use std::fmt;

/// A pending authorization request awaiting sign-in or consent.
#[derive(Clone, PartialEq, Eq)]
pub struct Interaction {
    /// Public random id (in the page URL); not a secret by itself.
    pub id: String,
    /// SHA-256 of the browser-binding cookie value.
    pub browser_hash: Vec<u8>,
    /// The client the request came from.
    pub client_id: String,
    /// The authorization request's parameters, form-urlencoded, as validated.
    pub params: String,
    /// Creation time, seconds since the epoch. A sign-in at or after this time satisfies
    /// `prompt=login` and `max_age` for this request.
    pub created_at: i64,
    /// The interaction is gone at and after this time.
    pub expires_at: i64,
}

impl fmt::Debug for Interaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interaction")
            .field("id", &self.id)
            .field("browser_hash", &"[redacted]")
            .field("client_id", &self.client_id)
            .field("params", &self.params)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What a person granted one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The person.
    pub user_id: String,
    /// The application.
    pub client_id: String,
    /// Granted scopes, distinct and sorted.
    pub scopes: Vec<String>,
    /// Granted API resource indicators (RFC 8707), distinct and sorted.
    pub resources: Vec<String>,
    /// First grant, seconds since the epoch.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

impl Consent {
    /// Whether this consent covers every scope and every resource of a request.
    pub fn covers(&self, scopes: &[String], resources: &[String]) -> bool {
        scopes.iter().all(|scope| self.scopes.contains(scope))
            && resources.iter().all(|r| self.resources.contains(r))
    }

    /// Adds scopes and resources, keeping both lists distinct and sorted.
    pub fn extend(&mut self, scopes: &[String], resources: &[String]) {
        self.scopes.extend(scopes.iter().cloned());
        self.scopes.sort();
        self.scopes.dedup();
        self.resources.extend(resources.iter().cloned());
        self.resources.sort();
        self.resources.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_covers_only_what_was_granted() {
        let mut consent = Consent {
            user_id: "u".into(),
            client_id: "c".into(),
            scopes: vec![],
            resources: vec![],
            created_at: 1,
            updated_at: 1,
        };
        let scopes = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!consent.covers(&scopes(&["openid"]), &[]));
        consent.extend(
            &scopes(&["profile", "openid", "profile"]),
            &scopes(&["https://b", "https://api", "https://b"]),
        );
        assert_eq!(consent.scopes, scopes(&["openid", "profile"]));
        assert_eq!(consent.resources, scopes(&["https://api", "https://b"]));
        assert!(consent.covers(&scopes(&["openid"]), &[]));
        assert!(consent.covers(&scopes(&["profile", "openid"]), &scopes(&["https://api"])));
        assert!(consent.covers(&scopes(&["openid"]), &scopes(&["https://b", "https://api"])));
        assert!(!consent.covers(&scopes(&["openid", "email"]), &[]));
        assert!(!consent.covers(&scopes(&["openid"]), &scopes(&["https://other"])));
        assert!(
            !consent.covers(
                &scopes(&["openid"]),
                &scopes(&["https://api", "https://other"])
            ),
            "every resource must be covered, not just one"
        );
    }

    #[test]
    fn debug_hides_the_browser_binding() {
        let interaction = Interaction {
            id: "i".into(),
            browser_hash: vec![0xcd; 32],
            client_id: "c".into(),
            params: "client_id=c".into(),
            created_at: 1,
            expires_at: 2,
        };
        let text = format!("{interaction:?}");
        assert!(
            text.contains("[redacted]") && !text.contains("205"),
            "{text}"
        );
    }
}
