//! Errors of the authorization endpoint (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6,
//! RFC 8707 §2): exactly the registered codes. An error knows where it may go: to the client's
//! redirect URI only once the client and that URI were validated, otherwise to Gatehouse's own
//! error page (RFC 9700 §4.1.3: never redirect to an unvalidated URI).

use super::response::RedirectTarget;
use crate::{ErrorCode, OAuthError};

/// A registered authorization error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeErrorCode {
    /// Missing, repeated or malformed parameter.
    InvalidRequest,
    /// The client may not use the authorization endpoint (machine-to-machine apps).
    UnauthorizedClient,
    /// The resource owner or the server denied the request.
    AccessDenied,
    /// Only `code` is supported.
    UnsupportedResponseType,
    /// A requested scope is unknown or not allowed.
    InvalidScope,
    /// The requested resource is invalid, unknown or not granted (RFC 8707).
    InvalidTarget,
    /// An unexpected error.
    ServerError,
    /// The server cannot answer now; retry later.
    TemporarilyUnavailable,
    /// `prompt=none` but the user must sign in (OIDC Core §3.1.2.6).
    LoginRequired,
    /// `prompt=none` but the user must consent.
    ConsentRequired,
    /// `prompt=none` but some other interaction is needed.
    InteractionRequired,
    /// The `request` parameter (request objects) is not supported (OIDC Core §6).
    RequestNotSupported,
    /// The `request_uri` parameter is not supported (OIDC Core §6).
    RequestUriNotSupported,
}

impl AuthorizeErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
        }
    }
}

/// A failed authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeError {
    /// The registered code.
    pub code: AuthorizeErrorCode,
    /// A description safe to show and send (no secrets, no internals).
    pub description: String,
    /// Details for the server log only.
    pub detail: Option<String>,
    /// Where the error goes: the validated client redirect URI, or `None` for Gatehouse's
    /// own error page. Boxed to keep the error (returned by every check) small.
    pub redirect: Option<Box<RedirectTarget>>,
}

impl AuthorizeError {
    /// An error for the error page (no redirect yet).
    pub fn new(code: AuthorizeErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            detail: None,
            redirect: None,
        }
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(AuthorizeErrorCode::InvalidRequest, description)
    }

    /// Adds a private detail for logs.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sends the error to a validated redirect target.
    pub fn redirect_to(mut self, target: &RedirectTarget) -> Self {
        self.redirect = Some(Box::new(target.clone()));
        self
    }
}

impl From<OAuthError> for AuthorizeError {
    fn from(error: OAuthError) -> Self {
        let code = match error.code {
            ErrorCode::InvalidRequest => AuthorizeErrorCode::InvalidRequest,
            ErrorCode::InvalidScope => AuthorizeErrorCode::InvalidScope,
            ErrorCode::InvalidTarget => AuthorizeErrorCode::InvalidTarget,
            ErrorCode::UnauthorizedClient => AuthorizeErrorCode::UnauthorizedClient,
            ErrorCode::TemporarilyUnavailable => AuthorizeErrorCode::TemporarilyUnavailable,
            _ => AuthorizeErrorCode::ServerError,
        };
        Self {
            code,
            description: error.description,
            detail: error.detail,
            redirect: None,
        }
    }
}

impl std::fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for AuthorizeError {}
