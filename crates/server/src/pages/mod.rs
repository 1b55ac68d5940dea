//! Hosted pages and the browser side of the protocol: the authorization endpoint, the
//! interaction pages (sign-in, sign-up, consent), form_post responses and RP-initiated
//! logout. Handlers stay thin: read cookies and forms, call the engine, render its outcome.
//! Pages work without JavaScript (form_post adds a nonce'd auto-submit) and carry no
//! third-party asset.

mod cookies;
mod device;
mod i18n;
mod render;

pub use cookies::{CookiePolicy, cookie_value};
pub use i18n::{Texts, Translations};
pub use render::{Pages, origin_of};

use crate::AppState;
use crate::tenant::CurrentTenant;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gatehouse_oidc::TenantContext;
use gatehouse_oidc::authorize::{AuthorizationResponse, AuthorizeError};
use gatehouse_oidc::discovery::paths;
use gatehouse_oidc::end_session::LOGOUT_CSRF_PURPOSE;
use gatehouse_oidc::interaction::{
    AuthorizeOutcome, Browser, ConsentDecision, InteractionNext, InteractionOutcome,
    InteractionPage, NewSessionCookie, PageFailure, PageMessage, Screen, SignInForm, SignUpForm,
    csrf_token,
};
use gatehouse_oidc::params::{
    Params, REPEATABLE_AUTHORIZATION_PARAMS, parse_form, parse_form_repeating,
};
use minijinja::context;
use std::net::SocketAddr;
use std::sync::Arc;

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::AUTHORIZE, get(authorize_get).post(authorize_post))
        .route("/interaction/{id}", get(interaction_page))
        .route("/interaction/{id}/sign-in", post(sign_in))
        .route("/interaction/{id}/sign-up", post(sign_up))
        .route("/interaction/{id}/consent", post(consent))
        .route(
            paths::END_SESSION,
            get(end_session_get).post(end_session_post),
        )
        .route(
            gatehouse_oidc::device::VERIFICATION_PATH,
            get(device::page).post(device::submit_code),
        )
        .route("/device/sign-in", post(device::sign_in))
        .route("/device/decide", post(device::decide))
}

/// The client's IP address: the socket peer (R-06: `X-Forwarded-For` is not trusted without a
/// configured proxy); `None` without a socket (in-process calls).
pub struct PeerIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(peer_ip(parts)))
    }
}

fn peer_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// Everything a page handler needs from the request.
pub struct PageContext {
    state: AppState,
    tenant: Arc<TenantContext>,
    headers: HeaderMap,
    browser: Browser,
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state).await?;
        let policy = state.cookies;
        let headers = parts.headers.clone();
        let ip = peer_ip(parts);
        let browser = Browser {
            binding: cookie_value(&headers, &policy.binding_name()),
            session: cookie_value(&headers, &policy.session_name(&tenant.tenant.name)),
            ip,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        Ok(Self {
            state: state.clone(),
            tenant,
            headers,
            browser,
        })
    }
}

impl PageContext {
    fn pages(&self) -> &Pages {
        &self.state.pages
    }

    /// The path prefix of the tenant (`/t/name`, or empty for the root tenant).
    fn prefix(&self) -> String {
        url::Url::parse(&self.tenant.issuer)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }

    fn texts(&self, ui_locales: Option<&str>) -> &Texts {
        let accept = self
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        self.pages().translations.pick(ui_locales, accept)
    }

    fn text(&self, texts: &Texts, key: &str) -> String {
        texts.get(key).cloned().unwrap_or_default()
    }

    /// S-07: a state-changing POST must come from our own pages. Browsers send
    /// `Sec-Fetch-Site`, which must say `same-origin` (or `none`: typed by the person);
    /// browsers without it are judged by `Origin`. Our pages' `Referrer-Policy: no-referrer`
    /// makes browsers send `Origin: null` on same-origin form posts (Fetch, "serializing a
    /// request origin"), so `null` is accepted there: the CSRF token still has to match.
    fn is_same_origin(&self) -> bool {
        let header = |name| self.headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(site) = header("sec-fetch-site") {
            return matches!(site, "same-origin" | "none");
        }
        match header(header::ORIGIN.as_str()) {
            Some("null") | None => true,
            Some(origin) => origin_of(&self.tenant.issuer).as_deref() == Some(origin),
        }
    }

    fn error_page(&self, status: StatusCode, key: &str, detail: Option<&str>) -> Response {
        let texts = self.texts(None);
        let message = self.text(texts, key);
        self.pages().render(
            status,
            "error.html",
            texts,
            context! { message => message, detail => detail },
            &[],
        )
    }

    fn authorize_error_page(&self, error: &AuthorizeError) -> Response {
        self.error_page(
            StatusCode::BAD_REQUEST,
            "error_request",
            Some(&error.description),
        )
    }

    fn failure_page(&self, failure: PageFailure) -> Response {
        match failure {
            PageFailure::Expired => self.error_page(StatusCode::BAD_REQUEST, "error_expired", None),
            PageFailure::Forbidden => {
                self.error_page(StatusCode::FORBIDDEN, "error_forbidden", None)
            }
            PageFailure::Invalid(error) => self.authorize_error_page(&error),
            PageFailure::Unavailable(error) => self.server_error(&error),
        }
    }

    fn server_error(&self, error: &gatehouse_oidc::OAuthError) -> Response {
        tracing::warn!(
            error = error.code.as_str(),
            detail = error.detail.as_deref().unwrap_or(""),
            "page request failed"
        );
        let mut response = self.error_page(StatusCode::SERVICE_UNAVAILABLE, "error_server", None);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        response
    }

    /// Sends the answer to the client: a 303 redirect or the form_post page (P-16).
    fn respond(&self, answer: AuthorizationResponse) -> Response {
        match answer {
            AuthorizationResponse::Redirect { location } => redirect(&location),
            AuthorizationResponse::FormPost { action, fields } => {
                let texts = self.texts(None);
                let targets: Vec<String> = origin_of(&action).into_iter().collect();
                self.pages().render(
                    StatusCode::OK,
                    "form_post.html",
                    texts,
                    context! { action => action, fields => fields },
                    &targets,
                )
            }
        }
    }

    fn interaction_url(&self, id: &str) -> String {
        format!("{}{}/{id}", self.prefix(), paths::INTERACTION)
    }

    /// Renders an interaction page.
    fn show(&self, page: &InteractionPage, status: StatusCode) -> Response {
        let texts = self.texts(page.ui_locales.as_deref());
        let message = page.message.as_ref().map(|m| self.message(texts, m));
        let scopes = self.scope_texts(texts, &page.scopes);
        let template = match page.screen {
            Screen::SignIn => "sign_in.html",
            Screen::SignUp => "sign_up.html",
            Screen::Consent => "consent.html",
        };
        let resources: Vec<&str> = page
            .resources
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        let targets: Vec<String> = origin_of(&page.redirect_uri).into_iter().collect();
        let mut response = self.pages().render(
            status,
            template,
            texts,
            context! {
                prefix => self.prefix(),
                action => format!("{}/sign-in", self.interaction_url(&page.interaction_id)),
                sign_up_url => format!("{}?screen=sign-up", self.interaction_url(&page.interaction_id)),
                interaction_id => page.interaction_id,
                csrf => page.csrf,
                client_name => page.client_name,
                redirect_host => page.redirect_host,
                third_party => page.third_party,
                scopes => scopes,
                resources => resources,
                user_display => page.user_display,
                identifier => page.identifier,
                email => page.email,
                message => message,
            },
            &targets,
        );
        if let Some(PageMessage::Throttled { retry_after }) = page.message
            && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }

    /// Each scope as a sentence the person understands.
    fn scope_texts(&self, texts: &Texts, scopes: &[String]) -> Vec<String> {
        scopes
            .iter()
            .map(|scope| match texts.get(&format!("scope_{scope}")) {
                Some(text) => text.clone(),
                None => self.text(texts, "scope_other").replace("{scope}", scope),
            })
            .collect()
    }

    /// This browser's binding cookie value, and whether it is new (then the response must
    /// set it).
    fn binding(&self) -> (String, bool) {
        match &self.browser.binding {
            Some(binding) => (binding.clone(), false),
            None => (gatehouse_crypto::random_token(32), true),
        }
    }

    fn message(&self, texts: &Texts, message: &PageMessage) -> String {
        match message {
            PageMessage::InvalidCredentials => self.text(texts, "error_invalid_credentials"),
            PageMessage::Throttled { retry_after } => self
                .text(texts, "error_throttled")
                .replace("{seconds}", &retry_after.to_string()),
            PageMessage::InvalidField(field) => {
                let key = match field.as_str() {
                    "username" => "error_field_username",
                    "email" => "error_field_email",
                    "password" => "error_field_password",
                    _ => "error_field_other",
                };
                self.text(texts, key)
            }
            PageMessage::IdentifierTaken => self.text(texts, "error_identifier_taken"),
            PageMessage::IdentifierMissing => self.text(texts, "error_identifier_missing"),
            PageMessage::Unavailable => self.text(texts, "error_unavailable"),
        }
    }

    /// Maps the outcome of a form to a response, setting the session cookie first.
    fn outcome(&self, outcome: InteractionOutcome) -> Response {
        let mut response = match outcome.next {
            InteractionNext::Respond(answer) => self.respond(answer),
            InteractionNext::Continue(id) => redirect(&self.interaction_url(&id)),
            InteractionNext::Show(page) => {
                let status = match page.message {
                    Some(PageMessage::Throttled { .. }) => StatusCode::TOO_MANY_REQUESTS,
                    Some(PageMessage::Unavailable) => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_REQUEST,
                };
                self.show(&page, status)
            }
            InteractionNext::Failed(failure) => self.failure_page(failure),
        };
        if let Some(cookie) = outcome.new_session {
            self.set_session_cookie(&mut response, &cookie);
        }
        response
    }

    fn set_session_cookie(&self, response: &mut Response, cookie: &NewSessionCookie) {
        let policy = self.state.cookies;
        let name = policy.session_name(&self.tenant.tenant.name);
        let max_age = cookie.persistent.then_some(cookie.max_age);
        if let Some(value) = policy.set(&name, &cookie.secret, max_age) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }

    fn set_binding(&self, response: &mut Response, binding: &str) {
        let policy = self.state.cookies;
        if let Some(value) = policy.set(&policy.binding_name(), binding, None) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// A 303 See Other to `location`, never cached.
fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, value),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Parses a page form: urlencoded, UTF-8, no duplicates.
fn page_form(headers: &HeaderMap, body: &Bytes) -> Option<Params> {
    page_form_repeating(headers, body, &[])
}

/// Parses a page form in which the parameters named in `repeatable` may repeat.
fn page_form_repeating(headers: &HeaderMap, body: &Bytes, repeatable: &[&str]) -> Option<Params> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return None;
    }
    parse_form_repeating(body, repeatable).ok()
}

fn field(params: &Params, name: &str) -> String {
    params.get(name).unwrap_or_default().to_owned()
}

async fn authorize_get(page: PageContext, uri: axum::http::Uri) -> Response {
    let query = uri.query().unwrap_or_default().as_bytes();
    match parse_form_repeating(query, REPEATABLE_AUTHORIZATION_PARAMS) {
        Ok(params) => authorize(page, params).await,
        Err(error) => page.error_page(
            StatusCode::BAD_REQUEST,
            "error_request",
            Some(&error.description),
        ),
    }
}

async fn authorize_post(page: PageContext, body: Bytes) -> Response {
    match page_form_repeating(&page.headers, &body, REPEATABLE_AUTHORIZATION_PARAMS) {
        Some(params) => authorize(page, params).await,
        None => page.error_page(StatusCode::BAD_REQUEST, "error_request", None),
    }
}

/// The authorization endpoint (GET and POST, OIDC Core §3.1.2.1).
async fn authorize(page: PageContext, params: Params) -> Response {
    let outcome = page
        .state
        .engine
        .handle_authorize(&page.tenant, &params, &page.browser)
        .await;
    match outcome {
        Ok(AuthorizeOutcome::Respond(answer)) => page.respond(answer),
        Ok(AuthorizeOutcome::ErrorPage(error)) => page.authorize_error_page(&error),
        Ok(AuthorizeOutcome::Interact {
            interaction_id,
            new_binding,
        }) => {
            let mut response = redirect(&page.interaction_url(&interaction_id));
            if let Some(binding) = new_binding {
                page.set_binding(&mut response, &binding);
            }
            response
        }
        Err(error) => page.server_error(&error),
    }
}

#[derive(serde::Deserialize)]
struct ScreenQuery {
    screen: Option<String>,
}

async fn interaction_page(
    page: PageContext,
    Path(id): Path<String>,
    Query(query): Query<ScreenQuery>,
) -> Response {
    let requested = match query.screen.as_deref() {
        Some("sign-up") => Some(Screen::SignUp),
        Some("sign-in") => Some(Screen::SignIn),
        _ => None,
    };
    match page
        .state
        .engine
        .interaction_page(&page.tenant, &id, &page.browser, requested)
        .await
    {
        Ok(view) => page.show(&view, StatusCode::OK),
        Err(failure) => page.failure_page(failure),
    }
}

/// Checks origin and body of an interaction form.
fn form_of(page: &PageContext, body: &Bytes) -> Result<Params, Box<Response>> {
    if !page.is_same_origin() {
        return Err(Box::new(page.failure_page(PageFailure::Forbidden)));
    }
    page_form(&page.headers, body).ok_or_else(|| {
        Box::new(page.error_page(StatusCode::BAD_REQUEST, "error_field_other", None))
    })
}

async fn sign_in(page: PageContext, Path(id): Path<String>, body: Bytes) -> Response {
    let params = match form_of(&page, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let form = SignInForm {
        identifier: field(&params, "identifier"),
        password: field(&params, "password"),
        remember: params.get("remember").is_some(),
        csrf: field(&params, "csrf"),
    };
    let outcome = page
        .state
        .engine
        .handle_sign_in(&page.tenant, &id, &page.browser, form)
        .await;
    page.outcome(outcome)
}

async fn sign_up(page: PageContext, Path(id): Path<String>, body: Bytes) -> Response {
    let params = match form_of(&page, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let form = SignUpForm {
        username: params.get("username").map(str::to_owned),
        email: params.get("email").map(str::to_owned),
        password: field(&params, "password"),
        remember: params.get("remember").is_some(),
        csrf: field(&params, "csrf"),
    };
    let outcome = page
        .state
        .engine
        .handle_sign_up(&page.tenant, &id, &page.browser, form)
        .await;
    page.outcome(outcome)
}

async fn consent(page: PageContext, Path(id): Path<String>, body: Bytes) -> Response {
    let params = match form_of(&page, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let decision = ConsentDecision {
        allow: params.get("decision") == Some("allow"),
        csrf: field(&params, "csrf"),
    };
    let outcome = page
        .state
        .engine
        .handle_consent(&page.tenant, &id, &page.browser, decision)
        .await;
    page.outcome(outcome)
}

/// Parameters of an end-session request carried through the confirmation form.
const LOGOUT_FIELDS: [&str; 5] = [
    "id_token_hint",
    "post_logout_redirect_uri",
    "state",
    "client_id",
    "ui_locales",
];

async fn end_session_get(page: PageContext, uri: axum::http::Uri) -> Response {
    let params = match parse_form(uri.query().unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(error) => {
            return page.error_page(
                StatusCode::BAD_REQUEST,
                "error_request",
                Some(&error.description),
            );
        }
    };
    let request = match page
        .state
        .engine
        .check_end_session(&page.tenant, &params)
        .await
    {
        Ok(request) => request,
        Err(error) => return page.server_error(&error),
    };
    let (binding, fresh) = page.binding();
    let fields: Vec<(&str, &str)> = LOGOUT_FIELDS
        .iter()
        .filter_map(|name| params.get(name).map(|value| (*name, value)))
        .collect();
    let targets: Vec<String> = request
        .redirect
        .as_deref()
        .and_then(origin_of)
        .into_iter()
        .collect();
    let texts = page.texts(params.get("ui_locales"));
    let mut response = page.pages().render(
        StatusCode::OK,
        "logout.html",
        texts,
        context! {
            prefix => page.prefix(),
            csrf => csrf_token(&binding, LOGOUT_CSRF_PURPOSE),
            fields => fields,
            client_name => request.client.map(|c| c.name),
        },
        &targets,
    );
    if fresh {
        page.set_binding(&mut response, &binding);
    }
    response
}

async fn end_session_post(page: PageContext, body: Bytes) -> Response {
    let params = match form_of(&page, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let csrf = field(&params, "csrf");
    let done = match page
        .state
        .engine
        .handle_logout(&page.tenant, &page.browser, &params, &csrf)
        .await
    {
        Ok(done) => done,
        Err(failure) => return page.failure_page(failure),
    };
    let mut response = match done.redirect {
        Some(location) => redirect(&location),
        None => {
            let texts = page.texts(params.get("ui_locales"));
            page.pages()
                .render(StatusCode::OK, "logged_out.html", texts, context! {}, &[])
        }
    };
    let policy = page.state.cookies;
    let name = policy.session_name(&page.tenant.tenant.name);
    if let Some(value) = policy.set(&name, "", Some(0)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
