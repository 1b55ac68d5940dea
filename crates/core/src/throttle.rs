//! Brute-force counters: how many failed attempts one key (an account identifier, an IP
//! address, a client id, ...) made recently, and until when it is locked. The protocol engine
//! (`gatehouse_oidc::throttle`) decides the policy; stores keep the counters in the database
//! (checklist R-04: every replica counts together).

use std::fmt;

/// What a failure counter counts, one per guarded path (checklist R-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleKind {
    /// Failed sign-ins on one account; the key is its canonical identifier.
    LoginIdentifier,
    /// Failed sign-ins from one client IP address, whatever the account.
    LoginIp,
    /// Wrong device flow user codes (RFC 8628 §5.1); the key is the caller's IP address.
    UserCode,
    /// Wrong client secrets for one client id (OAuth 2.1 §2.4.1).
    ClientSecret,
}

impl ThrottleKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginIdentifier => "login_identifier",
            Self::LoginIp => "login_ip",
            Self::UserCode => "user_code",
            Self::ClientSecret => "client_secret",
        }
    }
}

impl fmt::Display for ThrottleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of one failure counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    /// Failures counted since `first_failure_at`.
    pub failures: u32,
    /// When the current counting window started (seconds since the epoch).
    pub first_failure_at: i64,
    /// Attempts are refused until this time, when set and in the future.
    pub locked_until: Option<i64>,
}

impl FailureCount {
    /// Whether the key is locked at `now`.
    pub fn locked_at(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}
