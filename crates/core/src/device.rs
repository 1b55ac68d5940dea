//! The device authorization grant (RFC 8628): a device without a browser asks for a pair of
//! codes, shows the short user code, and polls the token endpoint with the long device code
//! while the person approves on another screen.
//!
//! ```text
//!  device_authorization --> Pending --person approves (signed in, confirms)--> Approved
//!                             |    \--person denies----------------------------> Denied
//!                             |  poll: too fast -> slow_down (interval += 5 s)
//!                             |  poll: pending -> authorization_pending
//!                             v
//!                     expires_at: expired_token     Approved --first poll--> Consumed (tokens once)
//!                                                   Consumed --poll--> invalid_grant
//! ```
//!
//! Only the SHA-256 of the device code is stored. The user code has about 34 bits of entropy
//! (RFC 8628 §6.1): it is only worth anything to a signed-in person on the verification page,
//! where guesses are throttled, and it lives ten minutes.

use std::fmt;

/// What the person decided, with the authentication the tokens will carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceApproval {
    /// The person who approved.
    pub user_id: String,
    /// The session they approved in.
    pub session_id: String,
    /// When they authenticated (the ID token's `auth_time`).
    pub auth_time: i64,
    /// How they authenticated.
    pub amr: Vec<String>,
    /// The resource indicators the person approved: the request's, less those they may not
    /// use (D-07), as the confirmation page showed them. Approving stores these (and
    /// `scopes`) as the authorization's own, so what a later poll grants can only shrink,
    /// never grow to what the page did not show.
    pub resources: Vec<String>,
    /// The scopes the person approved (the request's, less those only left-out resources
    /// define).
    pub scopes: Vec<String>,
}

/// Where a device authorization stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Waiting for the person.
    Pending,
    /// Approved; the next poll gets the tokens.
    Approved(DeviceApproval),
    /// Denied by the person.
    Denied,
    /// Tokens were issued; any further poll fails.
    Consumed,
}

impl DeviceStatus {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved(_) => "approved",
            Self::Denied => "denied",
            Self::Consumed => "consumed",
        }
    }
}

/// One device authorization request.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// SHA-256 of the device code.
    pub device_code_hash: Vec<u8>,
    /// The user code in canonical form (8 letters of `BCDFGHJKLMNPQRSTVWXZ`, no dash).
    pub user_code: String,
    /// The client that asked.
    pub client_id: String,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// Requested resource indicators (RFC 8707), in request order; empty when none.
    pub resources: Vec<String>,
    /// IP address the request came from (shown to the person: phishing mitigation, §5.4).
    pub ip: Option<String>,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// Both codes are refused at and after this time.
    pub expires_at: i64,
    /// The minimum seconds between polls; grows by 5 at every `slow_down`.
    pub interval: i64,
    /// When the device last polled.
    pub last_polled_at: Option<i64>,
    /// Where it stands.
    pub status: DeviceStatus,
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code_hash", &"[redacted]")
            .field("user_code", &"[redacted]")
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .field("ip", &self.ip)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("interval", &self.interval)
            .field("last_polled_at", &self.last_polled_at)
            .field("status", &self.status.as_str())
            .finish()
    }
}

/// The outcome of one poll (RFC 8628 §3.5), decided atomically by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// No such device code for this client (`invalid_grant`, D-03).
    NotFound,
    /// Past `expires_at` (`expired_token`).
    Expired,
    /// Polled sooner than the interval after the previous poll; the interval grew
    /// (`slow_down`).
    SlowDown,
    /// Still waiting (`authorization_pending`).
    Pending,
    /// The person denied (`access_denied`).
    Denied,
    /// Approved: this poll consumed it and gets the tokens (exactly one poll does).
    Approved(Box<DeviceAuthorization>),
    /// Tokens were already issued (`invalid_grant`).
    AlreadyConsumed,
}

/// What one poll answers and what it leaves in the stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollStep {
    /// The answer.
    pub outcome: DevicePoll,
    /// The polling interval to store (grown after a `slow_down`).
    pub interval: i64,
    /// The status to store ([`DeviceStatus::as_str`]).
    pub status: &'static str,
}

/// Decides a poll at `now` of a request already known to be the polling client's, in this
/// order: consumed, expired, too soon (`slow_down`: the interval grows by `slow_down_by` for
/// this and later polls, RFC 8628 §3.5), then by status; an approved request is consumed. The
/// stores run this inside a transaction that holds the row, so concurrent polls see each
/// other's writes and exactly one gets the tokens.
pub fn decide_poll(authorization: DeviceAuthorization, now: i64, slow_down_by: i64) -> PollStep {
    let mut interval = authorization.interval;
    let mut status = authorization.status.as_str();
    let expired = now >= authorization.expires_at;
    let too_soon = authorization
        .last_polled_at
        .is_some_and(|last| now.saturating_sub(last) < authorization.interval);
    let outcome = match authorization.status {
        DeviceStatus::Consumed => DevicePoll::AlreadyConsumed,
        _ if expired => DevicePoll::Expired,
        _ if too_soon => {
            interval = interval.saturating_add(slow_down_by);
            DevicePoll::SlowDown
        }
        DeviceStatus::Pending => DevicePoll::Pending,
        DeviceStatus::Denied => DevicePoll::Denied,
        DeviceStatus::Approved(_) => {
            status = DeviceStatus::Consumed.as_str();
            DevicePoll::Approved(Box::new(DeviceAuthorization {
                last_polled_at: Some(now),
                ..authorization
            }))
        }
    };
    PollStep {
        outcome,
        interval,
        status,
    }
}

/// The alphabet of user codes (RFC 8628 §6.1): consonants only, no vowels to spell words,
/// none that look alike.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Length of a user code, without its dash.
pub const USER_CODE_LEN: usize = 8;

/// The canonical form of a typed user code: upper-cased, dashes and spaces dropped; `None`
/// when it cannot be a user code (wrong length or a character outside the alphabet).
pub fn canonical_user_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// A user code as shown: `BCDF-GHJK`.
pub fn display_user_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(head), Some(tail)) if !tail.is_empty() => format!("{head}-{tail}"),
        _ => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(status: DeviceStatus, last_polled_at: Option<i64>) -> DeviceAuthorization {
        DeviceAuthorization {
            device_code_hash: vec![1; 32],
            user_code: "BCDFGHJK".into(),
            client_id: "c".into(),
            scopes: vec![],
            resources: vec![],
            ip: None,
            created_at: 0,
            expires_at: 600,
            interval: 5,
            last_polled_at,
            status,
        }
    }

    #[test]
    fn polls_are_decided_in_the_documented_order() {
        let approval = DeviceApproval {
            user_id: "u".into(),
            session_id: "s".into(),
            auth_time: 1,
            amr: vec!["pwd".into()],
            resources: vec![],
            scopes: vec!["openid".into()],
        };
        let cases = [
            (
                DeviceStatus::Pending,
                None,
                10,
                DevicePoll::Pending,
                5,
                "pending",
            ),
            (
                DeviceStatus::Pending,
                Some(8),
                10,
                DevicePoll::SlowDown,
                12,
                "pending",
            ),
            (
                DeviceStatus::Pending,
                Some(5),
                10,
                DevicePoll::Pending,
                5,
                "pending",
            ),
            (
                DeviceStatus::Denied,
                None,
                10,
                DevicePoll::Denied,
                5,
                "denied",
            ),
            (
                DeviceStatus::Pending,
                None,
                600,
                DevicePoll::Expired,
                5,
                "pending",
            ),
            (
                DeviceStatus::Consumed,
                None,
                600,
                DevicePoll::AlreadyConsumed,
                5,
                "consumed",
            ),
            (
                DeviceStatus::Approved(approval.clone()),
                Some(9),
                10,
                DevicePoll::SlowDown,
                12,
                "approved",
            ),
        ];
        for (status, last, now, outcome, interval, stored) in cases {
            let step = decide_poll(request(status.clone(), last), now, 7);
            assert_eq!(
                (step.outcome, step.interval, step.status),
                (outcome, interval, stored),
                "{status:?} last={last:?} now={now}"
            );
        }
        let step = decide_poll(request(DeviceStatus::Approved(approval), None), 10, 7);
        assert_eq!(step.status, "consumed");
        assert!(matches!(step.outcome, DevicePoll::Approved(r) if r.last_polled_at == Some(10)));
    }

    #[test]
    fn user_codes_are_case_and_dash_insensitive() {
        assert_eq!(
            canonical_user_code("bcdf-ghjk").as_deref(),
            Some("BCDFGHJK")
        );
        assert_eq!(
            canonical_user_code(" BCDF GHJK ").as_deref(),
            Some("BCDFGHJK")
        );
        for bad in [
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-EFGH",
            "BCDF-GHJ1",
            "",
            "ВCDF-GHJK",
        ] {
            assert_eq!(canonical_user_code(bad), None, "{bad}");
        }
        assert_eq!(display_user_code("BCDFGHJK"), "BCDF-GHJK");
    }
}
