//! The authorization endpoint (RFC 6749 §4.1, OpenID Connect Core §3.1.2, OAuth 2.1 §4.1):
//! parse the request, run the checks, and answer with a validated [`AuthorizationRequest`]
//! or an [`AuthorizeError`] that knows whether it may be redirected. No HTTP here: the server
//! extracts the parameters (GET query or POST form) and maps the outcome to a page or a
//! redirect built by [`authorization_response`].
//!
//! ```text
//!  params --parse--> Unverified --check_client--> --check_redirect_uri--> trusted target
//!     |                  |              |                  |                 |
//!     | no client_id     +--------------+------------------+--> error page   | any later check
//!     v                                                                      v
//!  error page                                          error redirected to the client (iss, state)
//!                                                                            |
//!                                      all checks pass: AuthorizationRequest v
//!                       -> sign-in (prompt/max_age) -> consent -> code -> success redirect
//! ```

mod checks;
mod error;
mod redirect_uri;
mod request;
mod response;
#[cfg(test)]
mod tests;

pub use checks::{STANDARD_SCOPES, check_authorization_request};
pub(crate) use checks::{
    check_requested_scopes, client_may_request_scope, find_requested_resources,
};
pub use error::{AuthorizeError, AuthorizeErrorCode};
pub use redirect_uri::redirect_uri_matches;
pub(crate) use request::distinct;
pub use request::{
    MAX_MAX_AGE, MAX_STATE_LEN, Prompt, PromptSet, UnverifiedAuthorizationRequest,
    parse_authorization_request, parse_max_age,
};
pub use response::{
    AuthorizationResponse, RedirectTarget, ResponseMode, authorization_response, error_response,
};

use crate::params::Params;
use crate::{Engine, TenantContext};
use gatehouse_core::{ApiResource, Application};

/// An API resource a request named, with the indicator as sent (the token's `aud`). The
/// UserInfo endpoint, when named, is represented by [`crate::userinfo::userinfo_resource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedResource {
    /// The indicator as requested.
    pub indicator: String,
    /// The resource it names.
    pub resource: ApiResource,
}

/// A validated authorization request: client, redirect target, PKCE challenge and scopes are
/// all checked. What remains is user interaction (sign-in, consent) and issuing the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The client.
    pub client: Application,
    /// Where the response goes (redirect URI, response mode, state, issuer).
    pub target: RedirectTarget,
    /// Whether the client sent redirect_uri (then the token request must repeat it,
    /// RFC 6749 §4.1.3).
    pub redirect_uri_sent: bool,
    /// The requested scopes, distinct, in order.
    pub scopes: Vec<String>,
    /// The OIDC nonce to put in the ID token.
    pub nonce: Option<String>,
    /// The S256 PKCE code challenge (43 base64url characters).
    pub code_challenge: String,
    /// The requested prompts.
    pub prompt: PromptSet,
    /// The maximum authentication age in seconds.
    pub max_age: Option<u32>,
    /// A hint about the user to sign in.
    pub login_hint: Option<String>,
    /// Preferred UI languages, as sent.
    pub ui_locales: Option<String>,
    /// Requested authentication context classes.
    pub acr_values: Vec<String>,
    /// The API resources of the grant (RFC 8707), distinct, in request order; empty when none
    /// was requested.
    pub resources: Vec<RequestedResource>,
}

impl AuthorizationRequest {
    fn new(
        request: UnverifiedAuthorizationRequest,
        client: Application,
        target: RedirectTarget,
        resources: Vec<RequestedResource>,
    ) -> Self {
        Self {
            client,
            target,
            redirect_uri_sent: request.redirect_uri.is_some(),
            scopes: request.scopes,
            nonce: request.nonce,
            code_challenge: request.code_challenge.unwrap_or_default(),
            prompt: request.prompt,
            max_age: request.max_age,
            login_hint: request.login_hint,
            ui_locales: request.ui_locales,
            acr_values: request.acr_values,
            resources,
        }
    }

    /// Whether this is an OpenID Connect request (an ID token will be issued).
    pub fn is_openid(&self) -> bool {
        self.has_scope("openid")
    }

    /// Whether a scope was requested.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The indicators of the requested resources, in request order.
    pub fn resource_indicators(&self) -> Vec<String> {
        self.resources.iter().map(|r| r.indicator.clone()).collect()
    }
}

impl AuthorizeError {
    /// The response for the client when this error may be redirected; `None` means
    /// Gatehouse shows its own error page.
    pub fn response(&self) -> Option<AuthorizationResponse> {
        self.redirect
            .as_ref()
            .map(|target| error_response(target, self.code.as_str(), &self.description))
    }
}

impl Engine {
    /// Handles an authorization request (GET query or POST form parameters).
    pub async fn handle_authorization_request(
        &self,
        tenant: &TenantContext,
        params: &Params,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        let request = parse_authorization_request(params)?;
        check_authorization_request(self, tenant, request).await
    }
}
