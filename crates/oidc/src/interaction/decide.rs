//! What a validated authorization request needs next, given the browser's session: nothing
//! (issue the code), a sign-in, or consent. With `prompt=none` a needed page becomes the
//! matching error instead (OIDC Core §3.1.2.6).

use super::{Browser, INTERACTION_TTL};
use crate::authorize::{
    AuthorizationRequest, AuthorizationResponse, AuthorizeError, Prompt, authorization_response,
    error_response,
};
use crate::params::Params;
use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::user::User;
use gatehouse_core::{Interaction, Session};
use gatehouse_crypto::{random_token, sha256};

/// The answer to an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Answer the client: a redirect or form_post carrying a code or a redirected error.
    Respond(AuthorizationResponse),
    /// Show Gatehouse's error page: the client or its redirect URI cannot be trusted.
    ErrorPage(AuthorizeError),
    /// Send the browser to the interaction's page, setting the binding cookie first when
    /// `new_binding` is given.
    Interact {
        /// The interaction to continue.
        interaction_id: String,
        /// A new browser-binding cookie value, when the browser had none.
        new_binding: Option<String>,
    },
}

/// The signed-in person and the request as they may be granted it: resources they may not
/// use left out, with the scopes only those define (RFC 8707 grants, R3).
pub(super) struct Granted {
    /// The session.
    pub session: Session,
    /// Its person.
    pub user: User,
    /// The request, narrowed to what the person may be granted.
    pub request: AuthorizationRequest,
}

/// What the request needs.
pub(super) enum Decision {
    /// Nothing more: issue the code for this session and the narrowed request.
    Ready(Box<Granted>),
    /// A sign-in (none, stale or refused session).
    Login,
    /// Consent for a third-party client, from the signed-in user, for the narrowed request.
    Consent(Box<Granted>),
    /// The signed-in user may not have what the request asks for.
    Denied(&'static str),
}

/// Whether `session` satisfies the request's authentication demands. A sign-in during this
/// interaction (at or after `since`) satisfies `prompt=login` and `max_age` by definition.
pub(super) fn login_satisfied(
    request: &AuthorizationRequest,
    session: &Session,
    since: Option<i64>,
    now: i64,
) -> bool {
    if since.is_some_and(|since| session.auth_time >= since) {
        return true;
    }
    let forces_login = [Prompt::Login, Prompt::Create, Prompt::SelectAccount];
    if forces_login.iter().any(|p| request.prompt.contains(*p)) {
        return false;
    }
    // OIDC Core §3.1.2.1: past max_age the OP MUST actively re-authenticate.
    request
        .max_age
        .is_none_or(|max_age| now.saturating_sub(session.auth_time) <= i64::from(max_age))
}

impl Engine {
    /// Handles an authorization request from a browser: answers at once when it can,
    /// otherwise starts an interaction.
    pub async fn handle_authorize(
        &self,
        tenant: &TenantContext,
        params: &Params,
        browser: &Browser,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        let request = match self.handle_authorization_request(tenant, params).await {
            Ok(request) => request,
            Err(error) => return Ok(error_outcome(error)),
        };
        let session = self.find_browser_session(tenant, browser).await?;
        let decision = self.decide(tenant, &request, session, None, false).await?;
        let no_prompt = request.prompt.contains(Prompt::None);
        match decision {
            Decision::Ready(granted) => {
                let Granted {
                    session,
                    user,
                    request,
                } = *granted;
                let response = self
                    .respond_with_code(tenant, &request, &user, &session)
                    .await?;
                Ok(AuthorizeOutcome::Respond(response))
            }
            Decision::Denied(reason) => Ok(AuthorizeOutcome::Respond(error_response(
                &request.target,
                "access_denied",
                reason,
            ))),
            Decision::Login if no_prompt => Ok(AuthorizeOutcome::Respond(error_response(
                &request.target,
                "login_required",
                "the user must sign in",
            ))),
            Decision::Consent(_) if no_prompt => Ok(AuthorizeOutcome::Respond(error_response(
                &request.target,
                "consent_required",
                "the user must consent",
            ))),
            Decision::Login | Decision::Consent(_) => {
                self.start_interaction(tenant, &request, params, browser)
                    .await
            }
        }
    }

    /// Decides what the request needs. `since` is the start of the interaction the session
    /// was (perhaps) created in; `consented_now` says the user just allowed this request.
    pub(super) async fn decide(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        session: Option<(Session, User)>,
        since: Option<i64>,
        consented_now: bool,
    ) -> Result<Decision, OAuthError> {
        let Some((session, user)) = session else {
            return Ok(Decision::Login);
        };
        if !login_satisfied(request, &session, since, self.now()) {
            return Ok(Decision::Login);
        }
        let Some(request) = self.narrow_for_person(tenant, request, &user).await? else {
            return Ok(Decision::Denied(
                "this account may not use the requested API",
            ));
        };
        let granted = Box::new(Granted {
            session,
            user,
            request,
        });
        if !consented_now
            && self
                .needs_consent(tenant, &granted.request, &granted.user)
                .await?
        {
            return Ok(Decision::Consent(granted));
        }
        Ok(Decision::Ready(granted))
    }

    /// The request as this person may be granted it: resources they may not use (the
    /// Management API unless they are an active administrator) are left out with the scopes
    /// only those define. `None` when every requested resource was left out.
    pub(super) async fn narrow_for_person(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        user: &User,
    ) -> Result<Option<AuthorizationRequest>, OAuthError> {
        let permitted = self
            .permitted_for_person(tenant, &user.id, &request.resources, &request.scopes)
            .await?;
        Ok(permitted.map(|permitted| AuthorizationRequest {
            resources: permitted.resources,
            scopes: permitted.scopes,
            ..request.clone()
        }))
    }

    /// First-party applications never ask; third-party ones ask for anything not yet granted,
    /// and again on `prompt=consent` (RFC 9700 §4.11.2, checklist P-15, P-29).
    async fn needs_consent(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        user: &User,
    ) -> Result<bool, OAuthError> {
        if !request.client.third_party {
            return Ok(false);
        }
        if request.prompt.contains(Prompt::Consent) {
            return Ok(true);
        }
        let consent = self
            .store
            .find_consent(tenant.id(), &user.id, &request.client.id)
            .await?;
        let resources = request.resource_indicators();
        Ok(!consent.is_some_and(|c| c.covers(&request.scopes, &resources)))
    }

    /// Issues a code and builds the success response.
    pub(super) async fn respond_with_code(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        user: &User,
        session: &Session,
    ) -> Result<AuthorizationResponse, OAuthError> {
        let code = self
            .issue_authorization_code(tenant, request, user, session)
            .await?;
        Ok(authorization_response(&request.target, &[("code", &code)]))
    }

    /// Keeps the request while the person signs in or consents, bound to this browser.
    async fn start_interaction(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        params: &Params,
        browser: &Browser,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        let (binding, new_binding) = match &browser.binding {
            Some(binding) if is_plausible_token(binding) => (binding.clone(), None),
            _ => {
                let fresh = random_token(32);
                (fresh.clone(), Some(fresh))
            }
        };
        let now = self.now();
        let interaction = Interaction {
            id: random_token(16),
            browser_hash: sha256(binding.as_bytes()).to_vec(),
            client_id: request.client.id.clone(),
            params: params.to_form(),
            created_at: now,
            expires_at: now.saturating_add(INTERACTION_TTL),
        };
        self.store
            .insert_interaction(tenant.id(), &interaction)
            .await?;
        Ok(AuthorizeOutcome::Interact {
            interaction_id: interaction.id,
            new_binding,
        })
    }
}

/// Where an invalid request goes: the client when its redirect URI is trusted, else our page.
fn error_outcome(error: AuthorizeError) -> AuthorizeOutcome {
    match error.response() {
        Some(response) => AuthorizeOutcome::Respond(response),
        None => AuthorizeOutcome::ErrorPage(error),
    }
}

/// A cookie value we could have issued: 43 base64url characters (32 random bytes).
pub(super) fn is_plausible_token(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
