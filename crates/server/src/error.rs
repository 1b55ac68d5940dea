//! The one place where outcomes become HTTP: OAuth errors as RFC 6749 §5.2 JSON, Management
//! API errors as RFC 9457 problem+json, JSON bodies with `no-store`, security headers on every
//! response, and a generic 500 for panics. Private details go to the log, never to clients.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gatehouse_oidc::OAuthError;
use gatehouse_types::problem::{FieldError, Problem};
use serde::Serialize;

/// A JSON response that must not be cached (RFC 6749 §5.1: tokens and credentials).
pub fn json_no_store<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// An OAuth error as a response.
pub struct OAuthErrorResponse(pub OAuthError);

impl From<OAuthError> for OAuthErrorResponse {
    fn from(error: OAuthError) -> Self {
        Self(error)
    }
}

impl IntoResponse for OAuthErrorResponse {
    fn into_response(self) -> Response {
        let error = self.0;
        let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        if status.is_server_error() {
            tracing::warn!(
                error = error.code.as_str(),
                detail = error.detail.as_deref().unwrap_or(""),
                "oauth request failed"
            );
        } else {
            tracing::debug!(
                error = error.code.as_str(),
                detail = error.detail.as_deref().unwrap_or(""),
                "oauth request refused"
            );
        }
        let mut response = json_no_store(status, &error.body());
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6749 §5.2: a 401 for invalid_client carries WWW-Authenticate.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"gatehouse\", error=\"invalid_client\""),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// A Management API error (RFC 9457) with a stable code.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (see [`codes`]).
    pub code: &'static str,
    /// Human explanation.
    pub detail: String,
    /// Invalid fields, for validation errors.
    pub errors: Vec<FieldError>,
    /// `WWW-Authenticate` value for 401/403.
    pub challenge: Option<String>,
}

/// The stable error codes of the Management API.
pub mod codes {
    /// The body failed validation; `errors` names the fields.
    pub const VALIDATION_FAILED: &str = "validation_failed";
    /// The body is not valid JSON of the expected shape.
    pub const INVALID_BODY: &str = "invalid_body";
    /// The content type is not `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// The record does not exist.
    pub const NOT_FOUND: &str = "not_found";
    /// A unique value is taken.
    pub const CONFLICT: &str = "conflict";
    /// Built-in records cannot be changed this way.
    pub const BUILTIN_READONLY: &str = "builtin_readonly";
    /// No or an invalid bearer token.
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    /// The token lacks the required scope.
    pub const FORBIDDEN: &str = "forbidden";
    /// The database is unreachable.
    pub const UNAVAILABLE: &str = "unavailable";
    /// Anything unexpected.
    pub const INTERNAL: &str = "internal_error";
}

impl ApiError {
    /// An error without field details.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            challenge: None,
        }
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            format!("{what} not found"),
        )
    }

    /// 422 `validation_failed` naming fields.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: codes::VALIDATION_FAILED,
            detail: "the request body has invalid fields".to_owned(),
            errors,
            challenge: None,
        }
    }

    /// 500 with the detail logged, not sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "management request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "internal error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            type_: format!("https://gatehouse.dev/problems/{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: Some(self.detail),
            code: self.code.to_owned(),
            errors: self.errors,
        };
        let mut response = json_no_store(self.status, &problem);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// Adds security headers every response carries (pages set a stricter CSP themselves).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers: &mut HeaderMap = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
}

/// What a panicking handler answers: a generic 500, the process lives on.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    let body = gatehouse_types::oauth::OAuthErrorBody {
        error: "server_error".to_owned(),
        error_description: Some("internal error".to_owned()),
    };
    json_no_store(StatusCode::INTERNAL_SERVER_ERROR, &body)
}
