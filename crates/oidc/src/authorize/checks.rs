//! The authorization request checks, run in order, each with one purpose (as node-oidc-provider
//! lists them). The first four decide whether errors may be redirected at all: until the
//! client, its redirect URI and the state to echo are validated, every error goes to
//! Gatehouse's error page (RFC 6749 §4.1.2.1, RFC 9700 §4.1.3). Every later error is sent to
//! the client's redirect URI.
//!
//! ```text
//! check_client -> check_client_type -> check_redirect_uri -> check_state
//!                                                              (error page on failure)
//!   -> check_request_object -> check_parameters -> check_response_type
//!   -> check_response_mode -> check_pkce -> check_resources -> check_scope
//!                                                              (redirected error on failure)
//!   -> AuthorizationRequest (validated; next: sign-in, consent, code)
//! ```

use super::error::{AuthorizeError, AuthorizeErrorCode};
use super::redirect_uri::redirect_uri_matches;
use super::request::{MAX_STATE_LEN, UnverifiedAuthorizationRequest};
use super::response::{RedirectTarget, ResponseMode};
use super::{AuthorizationRequest, RequestedResource};
use crate::userinfo::{userinfo_audience, userinfo_resource};
use crate::{Engine, TenantContext};
use base64::Engine as _;
use gatehouse_core::validate::check_resource_indicator;
use gatehouse_core::{
    ApiResource, Application, ApplicationType, CLI_CLIENT_ID, MANAGEMENT_RESOURCE_ID,
    MANAGEMENT_SCOPE,
};

/// The OpenID Connect scopes Gatehouse knows (OIDC Core §5.4, §11).
pub const STANDARD_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
];

/// Scopes that only mean something in an OpenID Connect request.
const IDENTITY_SCOPES: [&str; 4] = ["profile", "email", "phone", "address"];

/// What a single-purpose check returns.
type CheckResult = Result<(), AuthorizeError>;

/// A check that needs only the request and the client.
type Check = fn(&UnverifiedAuthorizationRequest, &Application) -> CheckResult;

/// The checks after the redirect URI is trusted, in order.
const REDIRECTABLE_CHECKS: [Check; 5] = [
    check_request_object,
    check_parameters,
    check_response_type,
    check_response_mode,
    check_pkce,
];

/// Runs every check; the result is a validated request or an error that knows where it goes.
pub async fn check_authorization_request(
    engine: &Engine,
    tenant: &TenantContext,
    request: UnverifiedAuthorizationRequest,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let client = check_client(engine, tenant, &request).await?;
    check_client_type(&client)?;
    let redirect_uri = check_redirect_uri(&request, &client)?;
    check_state(&request)?;
    let target = RedirectTarget {
        redirect_uri,
        // An unsupported mode is reported by check_response_mode through the default mode.
        response_mode: request
            .response_mode
            .as_deref()
            .and_then(ResponseMode::parse)
            .unwrap_or(ResponseMode::Query),
        state: request.state.clone(),
        issuer: tenant.issuer.clone(),
    };
    let redirect = |error: AuthorizeError| error.redirect_to(&target);
    for check in REDIRECTABLE_CHECKS {
        check(&request, &client).map_err(redirect)?;
    }
    let resources = check_resources(engine, tenant, &request, &client)
        .await
        .map_err(redirect)?;
    check_scope(&request, &client, &resources).map_err(redirect)?;
    Ok(AuthorizationRequest::new(
        request, client, target, resources,
    ))
}

/// The client must exist; an unknown client_id gets the error page. Read through the client
/// cache: authorization requests are checked again on every step of an interaction.
async fn check_client(
    engine: &Engine,
    tenant: &TenantContext,
    request: &UnverifiedAuthorizationRequest,
) -> Result<Application, AuthorizeError> {
    engine
        .find_client(tenant, &request.client_id)
        .await
        .map_err(|error| AuthorizeError::from(crate::OAuthError::from(error)))?
        .map(|record| record.0.clone())
        .ok_or_else(|| AuthorizeError::invalid_request("unknown client_id"))
}

/// The redirect URI must be registered (exact match; loopback ports vary for native apps).
/// Without one, the only registered URI is used; with several, one must be sent.
fn check_redirect_uri(
    request: &UnverifiedAuthorizationRequest,
    client: &Application,
) -> Result<String, AuthorizeError> {
    match (&request.redirect_uri, client.redirect_uris.as_slice()) {
        (Some(requested), registered) => registered
            .iter()
            .any(|uri| redirect_uri_matches(uri, requested, client.app_type))
            .then(|| requested.clone())
            .ok_or_else(|| {
                AuthorizeError::invalid_request("redirect_uri is not registered for this client")
            }),
        (None, [only]) => Ok(only.clone()),
        (None, _) => Err(AuthorizeError::invalid_request(
            "redirect_uri is required: the client has several or none registered",
        )),
    }
}

/// The state is echoed unchanged or refused, never truncated (checklist P-13). An oversized
/// state cannot be echoed, so it is refused on the error page.
fn check_state(request: &UnverifiedAuthorizationRequest) -> Result<(), AuthorizeError> {
    if request
        .state
        .as_ref()
        .is_some_and(|s| s.len() > MAX_STATE_LEN)
    {
        return Err(AuthorizeError::invalid_request("state is too long"));
    }
    Ok(())
}

/// Machine-to-machine apps have no user and no redirect URI: they never use this endpoint.
fn check_client_type(client: &Application) -> CheckResult {
    if client.app_type == ApplicationType::M2m {
        return Err(AuthorizeError::new(
            AuthorizeErrorCode::UnauthorizedClient,
            "machine-to-machine applications cannot use the authorization endpoint",
        ));
    }
    Ok(())
}

/// OIDC Core §6: request objects are not supported, and ignoring them would be wrong.
fn check_request_object(request: &UnverifiedAuthorizationRequest, _: &Application) -> CheckResult {
    if request.has_request_object {
        return Err(AuthorizeError::new(
            AuthorizeErrorCode::RequestNotSupported,
            "the request parameter is not supported",
        ));
    }
    if request.has_request_uri {
        return Err(AuthorizeError::new(
            AuthorizeErrorCode::RequestUriNotSupported,
            "the request_uri parameter is not supported",
        ));
    }
    Ok(())
}

/// Reports the first malformed parameter found while parsing (prompt, max_age, nonce).
fn check_parameters(request: &UnverifiedAuthorizationRequest, _: &Application) -> CheckResult {
    request.problem.clone().map_or(Ok(()), Err)
}

/// Only the authorization code flow (RFC 9700 §2.1.2: no implicit, no hybrid).
fn check_response_type(request: &UnverifiedAuthorizationRequest, _: &Application) -> CheckResult {
    match request.response_type.as_deref() {
        Some("code") => Ok(()),
        // RFC 6749 §4.1.1: response_type is REQUIRED.
        None => Err(AuthorizeError::invalid_request(
            "missing parameter: response_type",
        )),
        Some(_) => Err(AuthorizeError::new(
            AuthorizeErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        )),
    }
}

/// `query` (the default) or `form_post`; `fragment` and others are refused (ASVS 10.4.12).
fn check_response_mode(request: &UnverifiedAuthorizationRequest, _: &Application) -> CheckResult {
    match request.response_mode.as_deref() {
        None => Ok(()),
        Some(mode) if ResponseMode::parse(mode).is_some() => Ok(()),
        Some(_) => Err(AuthorizeError::invalid_request(
            "response_mode must be query or form_post",
        )),
    }
}

/// PKCE with S256 for every client, public or confidential (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1).
fn check_pkce(request: &UnverifiedAuthorizationRequest, _: &Application) -> CheckResult {
    let challenge = request
        .code_challenge
        .as_deref()
        .ok_or_else(|| AuthorizeError::invalid_request("code_challenge is required (PKCE)"))?;
    if request.code_challenge_method.as_deref() != Some("S256") {
        return Err(AuthorizeError::invalid_request(
            "code_challenge_method must be S256",
        ));
    }
    // RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters without padding.
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(challenge);
    if challenge.len() != 43 || !matches!(decoded, Ok(bytes) if bytes.len() == 32) {
        return Err(AuthorizeError::invalid_request(
            "code_challenge must be 43 base64url characters",
        ));
    }
    Ok(())
}

/// The API resources a request names (RFC 8707 §2), each checked by
/// [`find_requested_resource`]; `indicators` are distinct, and the order is kept. The first
/// refused one refuses the request. `openid` says whether the request's scope has `openid`.
pub(crate) async fn find_requested_resources(
    engine: &Engine,
    tenant: &TenantContext,
    indicators: &[String],
    client: &Application,
    openid: bool,
) -> Result<Vec<RequestedResource>, RequestProblem> {
    let mut found = Vec::with_capacity(indicators.len());
    for indicator in indicators {
        found.push(find_requested_resource(engine, tenant, indicator, client, openid).await?);
    }
    Ok(found)
}

/// One resource indicator, checked: an absolute URI without a fragment (RFC 8707 §2: "MUST
/// be an absolute URI", "MUST NOT include a fragment component"), and either the issuer's
/// UserInfo endpoint in an OpenID Connect request (the resource its scopes are used at; no
/// row needed) or a known resource the client may request. `Err` holds the `invalid_target`
/// text.
pub(crate) async fn find_requested_resource(
    engine: &Engine,
    tenant: &TenantContext,
    indicator: &str,
    client: &Application,
    openid: bool,
) -> Result<RequestedResource, RequestProblem> {
    check_resource_indicator(indicator).map_err(|_| {
        RequestProblem::Target("resource must be an absolute URI without a fragment")
    })?;
    if openid && indicator == userinfo_audience(&tenant.issuer) {
        return Ok(RequestedResource {
            indicator: indicator.to_owned(),
            resource: userinfo_resource(tenant),
        });
    }
    let resource = engine
        .find_resource_by_indicator(tenant, indicator)
        .await
        .map_err(RequestProblem::Store)?
        .ok_or(RequestProblem::Target("unknown resource"))?;
    if !client_may_request(client, &resource) {
        return Err(RequestProblem::Target(
            "the client may not request tokens for this resource",
        ));
    }
    Ok(RequestedResource {
        indicator: indicator.to_owned(),
        resource,
    })
}

/// Whether the client may request tokens for a resource: its resource grants, plus two
/// built-in rules that need no stored grant (so existing databases need no migration):
/// first-party apps may use the Account API, and the built-in CLI the Management API (its
/// people still need to be active administrators, checked when they sign in and on every
/// Management API call).
fn client_may_request(client: &Application, resource: &ApiResource) -> bool {
    if resource.id == crate::account::ACCOUNT_RESOURCE_ID {
        return crate::account::may_use_account_api(client);
    }
    is_cli_on_management(client, resource)
        || client
            .resource_grants
            .iter()
            .any(|grant| grant.resource_id == resource.id)
}

/// Whether the client may request one scope a resource defines (its grant on the resource,
/// or the built-in CLI's Management API scope).
pub(crate) fn client_may_request_scope(
    client: &Application,
    resource: &ApiResource,
    scope: &str,
) -> bool {
    if !resource.scopes.iter().any(|defined| defined.name == scope) {
        return false;
    }
    (is_cli_on_management(client, resource) && scope == MANAGEMENT_SCOPE)
        || client.resource_grants.iter().any(|grant| {
            grant.resource_id == resource.id && grant.scopes.iter().any(|s| s == scope)
        })
}

/// The built-in `gatehouse-cli` application asking for the Management API.
fn is_cli_on_management(client: &Application, resource: &ApiResource) -> bool {
    client.builtin && client.id == CLI_CLIENT_ID && resource.id == MANAGEMENT_RESOURCE_ID
}

/// Why requested scopes or a resource are refused.
#[derive(Debug)]
pub(crate) enum RequestProblem {
    /// `invalid_target`, with its text.
    Target(&'static str),
    /// `invalid_scope`, with its text.
    Scope(&'static str),
    /// The store failed.
    Store(crate::OAuthError),
}

impl From<RequestProblem> for AuthorizeError {
    fn from(problem: RequestProblem) -> Self {
        match problem {
            RequestProblem::Target(text) => {
                AuthorizeError::new(AuthorizeErrorCode::InvalidTarget, text)
            }
            RequestProblem::Scope(text) => {
                AuthorizeError::new(AuthorizeErrorCode::InvalidScope, text)
            }
            RequestProblem::Store(error) => AuthorizeError::from(error),
        }
    }
}

impl From<RequestProblem> for crate::OAuthError {
    fn from(problem: RequestProblem) -> Self {
        match problem {
            RequestProblem::Target(text) => {
                crate::OAuthError::new(crate::ErrorCode::InvalidTarget, text)
            }
            RequestProblem::Scope(text) => {
                crate::OAuthError::new(crate::ErrorCode::InvalidScope, text)
            }
            RequestProblem::Store(error) => error,
        }
    }
}

async fn check_resources(
    engine: &Engine,
    tenant: &TenantContext,
    request: &UnverifiedAuthorizationRequest,
    client: &Application,
) -> Result<Vec<RequestedResource>, AuthorizeError> {
    let openid = request.scopes.iter().any(|s| s == "openid");
    find_requested_resources(engine, tenant, &request.resources, client, openid)
        .await
        .map_err(AuthorizeError::from)
}

/// Scopes are the standard OIDC ones, or scopes that one of the requested resources defines
/// and the client is granted. Identity scopes need `openid`; without `openid` the request is
/// plain OAuth (no ID token). `offline_access` is accepted (a refresh token; consent decides
/// for third-party apps).
pub(crate) fn check_requested_scopes(
    scopes: &[String],
    client: &Application,
    resources: &[&ApiResource],
) -> Result<(), RequestProblem> {
    let openid = scopes.iter().any(|s| s == "openid");
    for scope in scopes {
        if STANDARD_SCOPES.contains(&scope.as_str()) {
            if !openid && IDENTITY_SCOPES.contains(&scope.as_str()) {
                return Err(RequestProblem::Scope(
                    "profile, email, phone and address require the openid scope",
                ));
            }
            continue;
        }
        let allowed = resources
            .iter()
            .any(|resource| client_may_request_scope(client, resource, scope));
        if !allowed {
            return Err(RequestProblem::Scope(
                "a requested scope is unknown or not granted to the client",
            ));
        }
    }
    Ok(())
}

fn check_scope(
    request: &UnverifiedAuthorizationRequest,
    client: &Application,
    resources: &[RequestedResource],
) -> CheckResult {
    let resources: Vec<&ApiResource> = resources.iter().map(|r| &r.resource).collect();
    check_requested_scopes(&request.scopes, client, &resources).map_err(AuthorizeError::from)
}
