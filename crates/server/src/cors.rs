//! CORS for the endpoints a browser app (a single-page app with PKCE) calls directly:
//! discovery, the JWKS, the token and revocation endpoints, UserInfo and the Account API.
//! They answer any origin but never with credentials: nothing there reads a cookie, tokens and
//! client authentication travel in headers and bodies (checklist P-18). The authorization
//! endpoint, the hosted pages, logout and the Management API carry no CORS headers at all.

use axum::http::{HeaderName, Method, header};
use std::time::Duration;
use tower_http::cors::{Any, CorsLayer};

/// How long browsers may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS layer of the browser-callable endpoints.
pub fn layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("dpop"),
        ])
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER])
        .max_age(PREFLIGHT_MAX_AGE)
}
