//! OAuth errors (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8707 §2): exactly the registered codes.
//! Each error carries a public description (safe to send) and a private detail (logs only).

use gatehouse_store::StoreError;
use gatehouse_types::oauth::OAuthErrorBody;

/// A registered OAuth error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request is missing a parameter, repeats one or is otherwise malformed.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The grant (code, refresh token, ...) is invalid, expired or revoked.
    InvalidGrant,
    /// The client may not use this grant type.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// The token type is not supported (revocation).
    UnsupportedTokenType,
    /// The requested scope is invalid or exceeds what the client was granted.
    InvalidScope,
    /// The requested resource is invalid, unknown or not allowed (RFC 8707).
    InvalidTarget,
    /// The server cannot answer now (database unreachable); retry later.
    TemporarilyUnavailable,
    /// An unexpected error.
    ServerError,
    /// RFC 8628 §3.5: the person has not decided yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: poll less often (the interval grew by 5 seconds).
    SlowDown,
    /// RFC 8628 §3.5: the person denied the request.
    AccessDenied,
    /// RFC 8628 §3.5: the device code expired.
    ExpiredToken,
}

impl ErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::AccessDenied => "access_denied",
            Self::ExpiredToken => "expired_token",
        }
    }

    /// The HTTP status for this code at the token-style endpoints.
    pub fn status(self) -> u16 {
        match self {
            // RFC 6749 §5.2: invalid_client MAY be 400 but MUST be 401 when the client
            // tried the Authorization header; 401 everywhere keeps it simple and correct.
            Self::InvalidClient => 401,
            Self::TemporarilyUnavailable => 503,
            Self::ServerError => 500,
            _ => 400,
        }
    }
}

/// An OAuth error outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The registered code.
    pub code: ErrorCode,
    /// A description safe to send to the client (no secrets, no internals).
    pub description: String,
    /// Details for the server log only.
    pub detail: Option<String>,
}

impl OAuthError {
    /// An error with a public description.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            detail: None,
        }
    }

    /// Adds a private detail for logs.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client` with the one message every client authentication failure gets.
    pub fn invalid_client() -> Self {
        Self::new(ErrorCode::InvalidClient, "client authentication failed")
    }

    /// The JSON body.
    pub fn body(&self) -> OAuthErrorBody {
        OAuthErrorBody {
            error: self.code.as_str().to_owned(),
            error_description: Some(self.description.clone()),
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => Self::new(
                ErrorCode::TemporarilyUnavailable,
                "the service is temporarily unavailable, retry later",
            )
            .with_detail(detail),
            other => {
                Self::new(ErrorCode::ServerError, "internal error").with_detail(other.to_string())
            }
        }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}
