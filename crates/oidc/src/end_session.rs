//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). A GET never signs anyone out:
//! it shows a confirmation page (ASVS 10.6.2, checklist S-07), whose POST ends the browser's
//! session. The person is sent back to `post_logout_redirect_uri` only when it is registered,
//! exactly, for the client the request names through a valid `id_token_hint` or `client_id`
//! (§3: the OP MUST NOT redirect otherwise, P-28); else Gatehouse shows its own page.
//!
//! ```text
//!  GET  end_session ──check──> confirmation page (client name, CSRF form with the parameters)
//!  POST end_session ──CSRF──> check again ──> delete session ──> redirect (state) | signed-out page
//! ```

use crate::interaction::{Browser, PageFailure, check_csrf_token};
use crate::params::Params;
use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::Application;

/// The CSRF purpose of the logout form.
pub const LOGOUT_CSRF_PURPOSE: &str = "logout";

/// A checked logout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    /// The client named by a valid hint or by `client_id`, when known.
    pub client: Option<Application>,
    /// Where to send the browser afterwards (registered URI plus `state`), when allowed.
    pub redirect: Option<String>,
    /// Why a requested redirect is refused, for the page (never followed).
    pub refused_redirect: bool,
}

/// What happened after the confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutDone {
    /// Where to redirect, when allowed; else show the signed-out page.
    pub redirect: Option<String>,
    /// Whether a session was ended.
    pub ended: bool,
}

impl Engine {
    /// Checks an end-session request. Invalid hints or URIs never fail the request: they
    /// only take the redirect away.
    pub async fn check_end_session(
        &self,
        tenant: &TenantContext,
        params: &Params,
    ) -> Result<LogoutRequest, OAuthError> {
        let hinted = match params.get("id_token_hint") {
            Some(hint) => self.id_token_hint_client(tenant, hint).await?,
            None => None,
        };
        let named = params.get("client_id");
        // §2: a client_id that disagrees with the hint's audience makes the request invalid.
        let conflicting = matches!((&hinted, named), (Some(h), Some(n)) if h != n);
        let client_id = if conflicting {
            None
        } else {
            hinted.as_deref().or(named)
        };
        let client = match client_id {
            Some(id) => self.store.find_application(tenant.id(), id).await?,
            None => None,
        };
        let requested = params.get("post_logout_redirect_uri");
        // §3: only a URI registered exactly for this client (no added query, no prefix match).
        let allowed = requested.filter(|uri| {
            client
                .as_ref()
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri))
        });
        let redirect = allowed.map(|uri| with_state(uri, params.get("state")));
        Ok(LogoutRequest {
            refused_redirect: requested.is_some() && redirect.is_none(),
            client,
            redirect,
        })
    }

    /// The client (`aud`) of a valid ID token of this issuer, signed by one of its keys;
    /// an expired one is fine as a hint. Anything else names no client.
    async fn id_token_hint_client(
        &self,
        tenant: &TenantContext,
        hint: &str,
    ) -> Result<Option<String>, OAuthError> {
        let keys = self.tenant_keys(tenant).await?;
        // Access tokens (typ at+jwt) are refused as hints (T-10).
        let Ok(verified) = keys
            .verifier
            .verify(hint, Some(crate::id_token::ID_TOKEN_TYP))
        else {
            return Ok(None);
        };
        let claims = verified.claims;
        let issuer_ok = claims.get("iss").and_then(|v| v.as_str()) == Some(tenant.issuer.as_str());
        let audience = claims
            .get("aud")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        Ok(audience.filter(|_| issuer_ok))
    }

    /// The confirmed logout: checks the CSRF token, ends the browser's session, and says
    /// where to go.
    pub async fn handle_logout(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
        params: &Params,
        csrf: &str,
    ) -> Result<LogoutDone, PageFailure> {
        if !check_csrf_token(browser.binding.as_deref(), LOGOUT_CSRF_PURPOSE, csrf) {
            return Err(PageFailure::Forbidden);
        }
        let request = self.check_end_session(tenant, params).await?;
        let ended = self.end_browser_session(tenant, browser).await?.is_some();
        Ok(LogoutDone {
            redirect: request.redirect,
            ended,
        })
    }
}

/// Appends `state` to a registered URI, keeping its own query.
fn with_state(uri: &str, state: Option<&str>) -> String {
    let Some(state) = state else {
        return uri.to_owned();
    };
    let encoded = form_urlencoded::Serializer::new(String::new())
        .append_pair("state", state)
        .finish();
    let separator = if uri.contains('?') { "&" } else { "?" };
    format!("{uri}{separator}{encoded}")
}
