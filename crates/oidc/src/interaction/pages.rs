//! The steps of an interaction: the page to show (GET) and the sign-in, sign-up and consent
//! forms (POST). Each POST checks the CSRF token and the browser binding before anything
//! else, and either answers the client (consuming the interaction once), sends the browser
//! on to the next page, or shows the same page again with a message.

use super::decide::{Decision, Granted, login_satisfied};
use super::{Browser, NewSessionCookie, check_csrf_token, csrf_token};
use crate::authorize::{AuthorizationRequest, AuthorizationResponse, AuthorizeError, Prompt};
use crate::authorize::{authorization_response, error_response};
use crate::management::ManagementError;
use crate::params::{REPEATABLE_AUTHORIZATION_PARAMS, parse_form_repeating};
use crate::throttle::ThrottleError;
use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::throttle::ThrottleKind;
use gatehouse_core::user::{User, canonical_email, canonical_username};
use gatehouse_core::{Consent, Interaction, Session};
use gatehouse_crypto::{constant_time_eq, sha256};
use gatehouse_types::management as wire;

/// The page of an interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Username or email and password.
    SignIn,
    /// Create an account.
    SignUp,
    /// Allow or deny a third-party application.
    Consent,
}

/// A message shown on a page, chosen by the engine and worded by the translation files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageMessage {
    /// Wrong identifier or password; the same whether or not the account exists (U-05).
    InvalidCredentials,
    /// Too many failed attempts; retry after this many seconds.
    Throttled {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// A sign-up field was refused; the page names it.
    InvalidField(String),
    /// Sign-up: the username or email cannot be used.
    IdentifierTaken,
    /// Sign-up needs a username or an email address.
    IdentifierMissing,
    /// The service is busy or the database unreachable; try again.
    Unavailable,
}

/// Everything a page needs to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionPage {
    /// The interaction (part of every form's action).
    pub interaction_id: String,
    /// Which page.
    pub screen: Screen,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// The application's name.
    pub client_name: String,
    /// Host of the redirect URI the answer goes to (shown on consent, P-29).
    pub redirect_host: String,
    /// The redirect URI the answer goes to.
    pub redirect_uri: String,
    /// Whether the application is a third party.
    pub third_party: bool,
    /// Preferred UI languages of the request, as sent.
    pub ui_locales: Option<String>,
    /// Scopes requested (for consent).
    pub scopes: Vec<String>,
    /// API resources requested, in request order: (name, indicator).
    pub resources: Vec<(String, String)>,
    /// The signed-in user, on the consent page.
    pub user_display: Option<String>,
    /// Value to pre-fill in the identifier field (`login_hint`, or what was typed).
    pub identifier: Option<String>,
    /// Sign-up: the email typed before an error.
    pub email: Option<String>,
    /// A message to show.
    pub message: Option<PageMessage>,
}

/// Why a page cannot be shown or a form not processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageFailure {
    /// Unknown, expired or finished interaction, or one started in another browser (S-08).
    Expired,
    /// The CSRF token is missing or wrong (S-07).
    Forbidden,
    /// The stored request is no longer valid (the client changed meanwhile).
    Invalid(AuthorizeError),
    /// The store failed.
    Unavailable(OAuthError),
}

impl From<OAuthError> for PageFailure {
    fn from(error: OAuthError) -> Self {
        Self::Unavailable(error)
    }
}

impl From<gatehouse_store::StoreError> for PageFailure {
    fn from(error: gatehouse_store::StoreError) -> Self {
        Self::Unavailable(error.into())
    }
}

/// What the browser does after a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InteractionNext {
    /// Answer the client (code or error), by redirect or form_post.
    Respond(AuthorizationResponse),
    /// Go (303) to the interaction's page, which shows the next step.
    Continue(String),
    /// Show the page again with a message.
    Show(Box<InteractionPage>),
    /// Show the error page.
    Failed(PageFailure),
}

/// The outcome of a form, with the session cookie to set when the person signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionOutcome {
    /// A new session cookie to set.
    pub new_session: Option<NewSessionCookie>,
    /// What happens next.
    pub next: InteractionNext,
}

impl From<PageFailure> for InteractionOutcome {
    fn from(failure: PageFailure) -> Self {
        Self {
            new_session: None,
            next: InteractionNext::Failed(failure),
        }
    }
}

/// The sign-in form.
#[derive(Clone, Default)]
pub struct SignInForm {
    /// Username or email address.
    pub identifier: String,
    /// The password.
    pub password: String,
    /// "Remember me": a persistent session cookie.
    pub remember: bool,
    /// The CSRF token.
    pub csrf: String,
}

/// The sign-up form.
#[derive(Clone, Default)]
pub struct SignUpForm {
    /// Username, when given.
    pub username: Option<String>,
    /// Email address, when given.
    pub email: Option<String>,
    /// The password.
    pub password: String,
    /// "Remember me".
    pub remember: bool,
    /// The CSRF token.
    pub csrf: String,
}

/// The consent form.
#[derive(Debug, Clone, Default)]
pub struct ConsentDecision {
    /// Allow (true) or deny.
    pub allow: bool,
    /// The CSRF token.
    pub csrf: String,
}

/// An interaction with its re-validated request.
struct Loaded {
    interaction: Interaction,
    request: AuthorizationRequest,
}

/// The throttle key of a typed identifier: its canonical form when it has one.
fn throttle_key(identifier: &str) -> String {
    let canonical = if identifier.contains('@') {
        canonical_email(identifier)
    } else {
        canonical_username(identifier)
    };
    canonical.unwrap_or_else(|_| identifier.trim().to_lowercase())
}

/// The host part of a URI, for display.
fn host_of(uri: &str) -> String {
    url::Url::parse(uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The names and indicators of a request's resources, in request order.
fn resource_names(request: &AuthorizationRequest) -> Vec<(String, String)> {
    request
        .resources
        .iter()
        .map(|r| (r.resource.name.clone(), r.indicator.clone()))
        .collect()
}

fn display_name(user: &User) -> String {
    user.name
        .clone()
        .or_else(|| user.email.clone())
        .or_else(|| user.username.clone())
        .unwrap_or_else(|| user.id.clone())
}

impl Engine {
    /// Loads a live interaction of this browser and re-validates its request.
    async fn load_interaction(
        &self,
        tenant: &TenantContext,
        id: &str,
        browser: &Browser,
    ) -> Result<Loaded, PageFailure> {
        let interaction = self
            .store
            .find_interaction(tenant.id(), id, self.now())
            .await?
            .ok_or(PageFailure::Expired)?;
        // S-08: only the browser that started the request may finish it.
        let bound = browser.binding.as_deref().is_some_and(|binding| {
            constant_time_eq(&sha256(binding.as_bytes()), &interaction.browser_hash)
        });
        if !bound {
            return Err(PageFailure::Expired);
        }
        let params = parse_form_repeating(
            interaction.params.as_bytes(),
            REPEATABLE_AUTHORIZATION_PARAMS,
        )?;
        let request = self
            .handle_authorization_request(tenant, &params)
            .await
            .map_err(PageFailure::Invalid)?;
        Ok(Loaded {
            interaction,
            request,
        })
    }

    /// Loads the interaction of a form after checking its CSRF token.
    async fn load_for_form(
        &self,
        tenant: &TenantContext,
        id: &str,
        browser: &Browser,
        csrf: &str,
    ) -> Result<Loaded, PageFailure> {
        if !check_csrf_token(browser.binding.as_deref(), id, csrf) {
            return Err(PageFailure::Forbidden);
        }
        self.load_interaction(tenant, id, browser).await
    }

    /// The page to show for an interaction: consent when the signed-in user already
    /// satisfies the request, else sign-in or sign-up (`requested`, or what the request
    /// asked for with `prompt=create` / `first_screen`).
    pub async fn interaction_page(
        &self,
        tenant: &TenantContext,
        id: &str,
        browser: &Browser,
        requested: Option<Screen>,
    ) -> Result<InteractionPage, PageFailure> {
        let loaded = self.load_interaction(tenant, id, browser).await?;
        let session = self.find_browser_session(tenant, browser).await?;
        let since = Some(loaded.interaction.created_at);
        if let Decision::Consent(granted) = self
            .decide(tenant, &loaded.request, session, since, false)
            .await?
        {
            let Granted { user, request, .. } = *granted;
            let mut page = self.page(&loaded, browser, Screen::Consent);
            page.user_display = Some(display_name(&user));
            // P-29: the consent page shows what the person would grant.
            page.scopes = request.scopes.clone();
            page.resources = resource_names(&request);
            return Ok(page);
        }
        let screen = requested
            .filter(|s| *s != Screen::Consent)
            .unwrap_or_else(|| default_screen(&loaded));
        Ok(self.page(&loaded, browser, screen))
    }

    fn page(&self, loaded: &Loaded, browser: &Browser, screen: Screen) -> InteractionPage {
        let request = &loaded.request;
        InteractionPage {
            interaction_id: loaded.interaction.id.clone(),
            screen,
            csrf: browser
                .binding
                .as_deref()
                .map(|binding| csrf_token(binding, &loaded.interaction.id))
                .unwrap_or_default(),
            client_name: request.client.name.clone(),
            redirect_host: host_of(&request.target.redirect_uri),
            redirect_uri: request.target.redirect_uri.clone(),
            third_party: request.client.third_party,
            ui_locales: request.ui_locales.clone(),
            scopes: request.scopes.clone(),
            resources: resource_names(request),
            user_display: None,
            identifier: request.login_hint.clone(),
            email: None,
            message: None,
        }
    }

    /// Handles the sign-in form.
    pub async fn handle_sign_in(
        &self,
        tenant: &TenantContext,
        id: &str,
        browser: &Browser,
        form: SignInForm,
    ) -> InteractionOutcome {
        let loaded = match self.load_for_form(tenant, id, browser, &form.csrf).await {
            Ok(loaded) => loaded,
            Err(failure) => return failure.into(),
        };
        let mut page = self.page(&loaded, browser, Screen::SignIn);
        page.identifier = Some(form.identifier.clone());
        let show = |mut page: InteractionPage, message| {
            page.message = Some(message);
            InteractionOutcome {
                new_session: None,
                next: InteractionNext::Show(Box::new(page)),
            }
        };
        let user = match self.check_sign_in(tenant, browser, &form).await {
            Ok(Some(user)) => user,
            Ok(None) => return show(page, PageMessage::InvalidCredentials),
            Err(message) => return show(page, message),
        };
        let (session, cookie) = match self
            .start_session(tenant, &user, browser, form.remember, &["pwd"])
            .await
        {
            Ok(started) => started,
            Err(_) => return show(page, PageMessage::Unavailable),
        };
        let next = self.advance(tenant, &loaded, session, user).await;
        InteractionOutcome {
            new_session: Some(cookie),
            next,
        }
    }

    /// Verifies a sign-in under the brute-force limits: per identifier and per
    /// IP, checked before the password so even the right one is refused during a lock.
    pub(crate) async fn check_sign_in(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
        form: &SignInForm,
    ) -> Result<Option<User>, PageMessage> {
        let account_key = throttle_key(&form.identifier);
        let ip_key = browser.ip.clone().unwrap_or_default();
        // Both limits in one store round trip.
        let account_has_failures = match self
            .check_throttle_pair(
                tenant,
                (ThrottleKind::LoginIdentifier, account_key.as_str()),
                (ThrottleKind::LoginIp, ip_key.as_str()),
            )
            .await
        {
            Ok((account, _)) => account,
            Err(ThrottleError::Throttled(t)) => {
                return Err(PageMessage::Throttled {
                    retry_after: t.retry_after,
                });
            }
            Err(ThrottleError::Store(_)) => return Err(PageMessage::Unavailable),
        };
        let user = self
            .verify_password(tenant, &form.identifier, &form.password)
            .await
            .map_err(|_| PageMessage::Unavailable)?;
        if user.is_some() {
            if account_has_failures {
                self.record_success(tenant, ThrottleKind::LoginIdentifier, &account_key)
                    .await
                    .map_err(|_| PageMessage::Unavailable)?;
            }
            return Ok(user);
        }
        let mut throttled = None;
        for (kind, key) in [
            (ThrottleKind::LoginIdentifier, account_key.as_str()),
            (ThrottleKind::LoginIp, ip_key.as_str()),
        ] {
            match self.record_failure(tenant, kind, key).await {
                Ok(lock) => throttled = throttled.or(lock),
                Err(_) => return Err(PageMessage::Unavailable),
            }
        }
        match throttled {
            Some(t) => Err(PageMessage::Throttled {
                retry_after: t.retry_after,
            }),
            None => Ok(None),
        }
    }

    /// Handles the sign-up form: creates the account and signs the person in at once.
    pub async fn handle_sign_up(
        &self,
        tenant: &TenantContext,
        id: &str,
        browser: &Browser,
        form: SignUpForm,
    ) -> InteractionOutcome {
        let loaded = match self.load_for_form(tenant, id, browser, &form.csrf).await {
            Ok(loaded) => loaded,
            Err(failure) => return failure.into(),
        };
        let mut page = self.page(&loaded, browser, Screen::SignUp);
        page.identifier = form.username.clone();
        page.email = form.email.clone();
        let show = |mut page: InteractionPage, message| {
            page.message = Some(message);
            InteractionOutcome {
                new_session: None,
                next: InteractionNext::Show(Box::new(page)),
            }
        };
        let ip_key = browser.ip.clone().unwrap_or_default();
        match self
            .check_throttle(tenant, ThrottleKind::LoginIp, &ip_key)
            .await
        {
            Ok(_) => {}
            Err(ThrottleError::Throttled(t)) => {
                let retry_after = t.retry_after;
                return show(page, PageMessage::Throttled { retry_after });
            }
            Err(ThrottleError::Store(_)) => return show(page, PageMessage::Unavailable),
        }
        if form.username.is_none() && form.email.is_none() {
            return show(page, PageMessage::IdentifierMissing);
        }
        let body = wire::CreateUser {
            username: form.username.clone(),
            email: form.email.clone(),
            password: Some(form.password.clone()),
            email_verified: Some(false),
            ..Default::default()
        };
        let created = match self.create_user(tenant, body).await {
            Ok(created) => created,
            Err(ManagementError::Validation(fields)) => {
                let field = fields.first().map(|f| f.field.clone()).unwrap_or_default();
                return show(page, PageMessage::InvalidField(field));
            }
            Err(ManagementError::Conflict(_)) => {
                // Probing for taken identifiers costs like failed sign-ins from this IP.
                if self
                    .record_failure(tenant, ThrottleKind::LoginIp, &ip_key)
                    .await
                    .is_err()
                {
                    return show(page, PageMessage::Unavailable);
                }
                return show(page, PageMessage::IdentifierTaken);
            }
            Err(_) => return show(page, PageMessage::Unavailable),
        };
        let user = match self.store.find_user(tenant.id(), &created.id).await {
            Ok(Some(user)) => user,
            _ => return show(page, PageMessage::Unavailable),
        };
        let (session, cookie) = match self
            .start_session(tenant, &user, browser, form.remember, &["pwd"])
            .await
        {
            Ok(started) => started,
            Err(_) => return show(page, PageMessage::Unavailable),
        };
        let next = self.advance(tenant, &loaded, session, user).await;
        InteractionOutcome {
            new_session: Some(cookie),
            next,
        }
    }

    /// Handles the consent form. Allowing records the consent and issues the code; denying
    /// answers `access_denied` (checklist P-29).
    pub async fn handle_consent(
        &self,
        tenant: &TenantContext,
        id: &str,
        browser: &Browser,
        decision: ConsentDecision,
    ) -> InteractionOutcome {
        let loaded = match self
            .load_for_form(tenant, id, browser, &decision.csrf)
            .await
        {
            Ok(loaded) => loaded,
            Err(failure) => return failure.into(),
        };
        let outcome = |next| InteractionOutcome {
            new_session: None,
            next,
        };
        if !decision.allow {
            return outcome(
                self.finish_with_error(
                    tenant,
                    &loaded,
                    "access_denied",
                    "the user denied the request",
                )
                .await,
            );
        }
        let session = match self.find_browser_session(tenant, browser).await {
            Ok(session) => session,
            Err(error) => return PageFailure::Unavailable(error).into(),
        };
        let now = self.now();
        let Some((session, user)) = session.filter(|(session, _)| {
            login_satisfied(
                &loaded.request,
                session,
                Some(loaded.interaction.created_at),
                now,
            )
        }) else {
            // The session ended meanwhile: sign in again.
            return outcome(InteractionNext::Continue(loaded.interaction.id));
        };
        // The consent recorded is for what the person may be granted (R3); the code is
        // issued for the same narrowed request by `finish`.
        let request = match self.narrow_for_person(tenant, &loaded.request, &user).await {
            Ok(Some(request)) => request,
            Ok(None) => {
                return outcome(
                    self.finish_with_error(
                        tenant,
                        &loaded,
                        "access_denied",
                        "this account may not use the requested API",
                    )
                    .await,
                );
            }
            Err(error) => return PageFailure::Unavailable(error).into(),
        };
        if let Err(error) = self.record_consent(tenant, &request, &user).await {
            return PageFailure::Unavailable(error).into();
        }
        outcome(self.finish(tenant, &loaded, session, user, true).await)
    }

    /// Adds the request's scopes and resources to the user's consent for the client.
    async fn record_consent(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        user: &User,
    ) -> Result<(), OAuthError> {
        let now = self.now();
        let mut consent = self
            .store
            .find_consent(tenant.id(), &user.id, &request.client.id)
            .await?
            .unwrap_or(Consent {
                user_id: user.id.clone(),
                client_id: request.client.id.clone(),
                scopes: Vec::new(),
                resources: Vec::new(),
                created_at: now,
                updated_at: now,
            });
        consent.extend(&request.scopes, &request.resource_indicators());
        consent.updated_at = now;
        Ok(self.store.upsert_consent(tenant.id(), &consent).await?)
    }

    /// After a sign-in: the consent page when needed, else the code.
    async fn advance(
        &self,
        tenant: &TenantContext,
        loaded: &Loaded,
        session: Session,
        user: User,
    ) -> InteractionNext {
        self.finish(tenant, loaded, session, user, false).await
    }

    async fn finish(
        &self,
        tenant: &TenantContext,
        loaded: &Loaded,
        session: Session,
        user: User,
        consented_now: bool,
    ) -> InteractionNext {
        let since = Some(loaded.interaction.created_at);
        let decision = match self
            .decide(
                tenant,
                &loaded.request,
                Some((session, user)),
                since,
                consented_now,
            )
            .await
        {
            Ok(decision) => decision,
            Err(error) => return InteractionNext::Failed(PageFailure::Unavailable(error)),
        };
        let Granted {
            session,
            user,
            request,
        } = match decision {
            Decision::Ready(granted) => *granted,
            Decision::Denied(reason) => {
                return self
                    .finish_with_error(tenant, loaded, "access_denied", reason)
                    .await;
            }
            Decision::Login | Decision::Consent(_) => {
                return InteractionNext::Continue(loaded.interaction.id.clone());
            }
        };
        match self.consume(tenant, loaded).await {
            Ok(()) => {}
            Err(failure) => return InteractionNext::Failed(failure),
        }
        let code = self
            .issue_authorization_code(tenant, &request, &user, &session)
            .await;
        match code {
            Ok(code) => InteractionNext::Respond(authorization_response(
                &loaded.request.target,
                &[("code", &code)],
            )),
            Err(error) => InteractionNext::Failed(PageFailure::Unavailable(error)),
        }
    }

    /// Answers the client with an error, consuming the interaction.
    async fn finish_with_error(
        &self,
        tenant: &TenantContext,
        loaded: &Loaded,
        code: &str,
        description: &str,
    ) -> InteractionNext {
        if let Err(failure) = self.consume(tenant, loaded).await {
            return InteractionNext::Failed(failure);
        }
        InteractionNext::Respond(error_response(&loaded.request.target, code, description))
    }

    /// Consumes the interaction: only the first of concurrent submissions goes on.
    async fn consume(&self, tenant: &TenantContext, loaded: &Loaded) -> Result<(), PageFailure> {
        self.store
            .consume_interaction(tenant.id(), &loaded.interaction.id, self.now())
            .await?
            .map(|_| ())
            .ok_or(PageFailure::Expired)
    }
}

/// The first page of an interaction without a session: sign-up for `prompt=create` or
/// `first_screen=register`, else sign-in.
fn default_screen(loaded: &Loaded) -> Screen {
    if loaded.request.prompt.contains(Prompt::Create) {
        return Screen::SignUp;
    }
    let first = parse_form_repeating(
        loaded.interaction.params.as_bytes(),
        REPEATABLE_AUTHORIZATION_PARAMS,
    )
    .ok()
    .and_then(|p| p.get("first_screen").map(str::to_owned));
    match first.as_deref() {
        Some("register") => Screen::SignUp,
        _ => Screen::SignIn,
    }
}
