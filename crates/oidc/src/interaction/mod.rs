//! The interactive part of the authorization endpoint: deciding whether a validated request
//! can be answered at once (live session, consent on file) or needs Gatehouse's pages, and the
//! page steps themselves (sign-in, sign-up, consent). No HTTP here: the server reads cookies
//! and forms, calls these entry points and renders the outcome.
//!
//! ```text
//!  handle_authorize ──invalid──> error page | error redirect (iss, state)
//!        │ valid
//!        v
//!    decide(request, session) ──login needed──> prompt=none? login_required : Interact(sign-in)
//!        │  (signed in: resources the person may not use are left out of the request,
//!        │   with the scopes only they define; every one left out ──> access_denied)
//!        │                    ──consent needed─> prompt=none? consent_required : Interact(consent)
//!        v ready
//!    code issued ──> redirect / form_post to the client
//!
//!  Interaction (bound to this browser, 30 min):
//!    sign-in | sign-up ──ok──> new session (fresh id, S-02) ──> decide ──> consent page | code
//!                      ──bad─> same page, generic message (U-05), throttled (R-01, R-02)
//!    consent ──allow──> consent stored ──> code;  ──deny──> access_denied;  cancel ──> access_denied
//!    every answer to the client consumes the interaction once (one code per interaction)
//! ```
//!
//! Every POST carries a CSRF token derived from the browser-binding cookie and the
//! interaction id ([`csrf_token`]); a cookie the attacker cannot read makes a token they
//! cannot forge (S-07). The server also refuses cross-site `Origin` and `Sec-Fetch-Site`.

mod decide;
mod pages;
mod session;
#[cfg(test)]
mod tests;

pub use decide::AuthorizeOutcome;
pub use pages::{
    ConsentDecision, InteractionNext, InteractionOutcome, InteractionPage, PageFailure,
    PageMessage, Screen, SignInForm, SignUpForm,
};
pub use session::{NewSessionCookie, SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_crypto::sha256;
use std::fmt;

/// How long a person has to finish signing in or consenting (seconds).
pub const INTERACTION_TTL: i64 = 1800;

/// What a request's browser brought: its cookies and where it comes from.
#[derive(Clone, Default)]
pub struct Browser {
    /// The browser-binding cookie value, when present.
    pub binding: Option<String>,
    /// The session cookie value, when present.
    pub session: Option<String>,
    /// Client IP address (from the socket, or a trusted proxy).
    pub ip: Option<String>,
    /// The User-Agent header, for the session list.
    pub user_agent: Option<String>,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "[redacted]");
        f.debug_struct("Browser")
            .field("binding", &redacted(&self.binding))
            .field("session", &redacted(&self.session))
            .field("ip", &self.ip)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// The CSRF token of a form: base64url(SHA-256("gatehouse-csrf" NUL purpose NUL binding)).
/// `purpose` is the interaction id, or a fixed name for forms outside an interaction.
pub fn csrf_token(binding: &str, purpose: &str) -> String {
    let mut input = Vec::with_capacity(binding.len() + purpose.len() + 16);
    input.extend_from_slice(b"gatehouse-csrf\0");
    input.extend_from_slice(purpose.as_bytes());
    input.push(0);
    input.extend_from_slice(binding.as_bytes());
    URL_SAFE_NO_PAD.encode(sha256(&input))
}

/// Whether a submitted CSRF token is the one of this browser and purpose (constant time).
pub fn check_csrf_token(binding: Option<&str>, purpose: &str, submitted: &str) -> bool {
    binding.is_some_and(|binding| {
        gatehouse_crypto::constant_time_eq(
            csrf_token(binding, purpose).as_bytes(),
            submitted.as_bytes(),
        )
    })
}
