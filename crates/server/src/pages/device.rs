//! The device verification page (RFC 8628 §3.3): sign in if needed, type or confirm the
//! user code, see what asks and from where, then allow or deny with an explicit POST. Reaching
//! the page through `verification_uri_complete` only fills in the code (checklist D-05).

use super::{PageContext, form_of, redirect};
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use gatehouse_oidc::device::{DEVICE_CSRF_PURPOSE, DeviceFailure, VERIFICATION_PATH};
use gatehouse_oidc::interaction::{PageMessage, SignInForm, csrf_token};
use minijinja::context;

#[derive(serde::Deserialize)]
pub(super) struct CodeQuery {
    user_code: Option<String>,
}

/// A user code as typed, kept only when short and printable (it is echoed into the page).
fn typed_code(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 16 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
}

impl PageContext {
    fn device_url(&self, user_code: Option<&str>) -> String {
        let base = format!("{}{VERIFICATION_PATH}", self.prefix());
        match user_code {
            Some(code) => {
                let query = form_urlencoded::Serializer::new(String::new())
                    .append_pair("user_code", code)
                    .finish();
                format!("{base}?{query}")
            }
            None => base,
        }
    }

    fn device_sign_in_page(
        &self,
        status: StatusCode,
        csrf: &str,
        user_code: Option<&str>,
        message: Option<&PageMessage>,
    ) -> Response {
        let texts = self.texts(None);
        let hidden: Vec<(&str, &str)> = user_code.map(|c| ("user_code", c)).into_iter().collect();
        self.pages().render(
            status,
            "sign_in.html",
            texts,
            context! {
                action => format!("{}/sign-in", self.device_url(None)),
                subtitle => self.text(texts, "device_sign_in_subtitle"),
                csrf => csrf,
                hidden => hidden,
                message => message.map(|m| self.message(texts, m)),
            },
            &[],
        )
    }

    fn device_code_page(
        &self,
        status: StatusCode,
        csrf: &str,
        user_code: Option<&str>,
        message_key: Option<&str>,
    ) -> Response {
        let texts = self.texts(None);
        self.pages().render(
            status,
            "device.html",
            texts,
            context! {
                prefix => self.prefix(),
                csrf => csrf,
                user_code => user_code,
                message => message_key.map(|key| self.text(texts, key)),
            },
            &[],
        )
    }

    fn device_done(&self, approved: bool) -> Response {
        let texts = self.texts(None);
        let (title, text) = if approved {
            ("device_done_title", "device_done_text")
        } else {
            ("device_denied_title", "device_denied_text")
        };
        self.pages().render(
            StatusCode::OK,
            "device_done.html",
            texts,
            context! { title => self.text(texts, title), text => self.text(texts, text) },
            &[],
        )
    }

    /// Maps a failed verification step to a page.
    fn device_failure(
        &self,
        failure: DeviceFailure,
        csrf: &str,
        user_code: Option<&str>,
    ) -> Response {
        match failure {
            DeviceFailure::Forbidden => {
                self.error_page(StatusCode::FORBIDDEN, "error_forbidden", None)
            }
            DeviceFailure::NotSignedIn => redirect(&self.device_url(user_code)),
            DeviceFailure::UnknownCode => self.device_code_page(
                StatusCode::BAD_REQUEST,
                csrf,
                user_code,
                Some("device_error_unknown"),
            ),
            DeviceFailure::NotAllowed => self.device_code_page(
                StatusCode::FORBIDDEN,
                csrf,
                None,
                Some("device_error_not_allowed"),
            ),
            DeviceFailure::Throttled(retry_after) => {
                let texts = self.texts(None);
                let message = self.message(texts, &PageMessage::Throttled { retry_after });
                let mut response = self.pages().render(
                    StatusCode::TOO_MANY_REQUESTS,
                    "device.html",
                    texts,
                    context! { prefix => self.prefix(), csrf => csrf, message => message },
                    &[],
                );
                if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            DeviceFailure::Unavailable(error) => self.server_error(&error),
        }
    }
}

/// GET /device: the sign-in form without a session, else the code form (pre-filled from
/// `verification_uri_complete`, never submitted by itself).
pub(super) async fn page(page: PageContext, Query(query): Query<CodeQuery>) -> Response {
    let (binding, fresh) = page.binding();
    let csrf = csrf_token(&binding, DEVICE_CSRF_PURPOSE);
    let user_code = typed_code(query.user_code.as_deref());
    let session = page
        .state
        .engine
        .find_browser_session(&page.tenant, &page.browser)
        .await;
    let mut response = match session {
        Err(error) => page.server_error(&error),
        Ok(None) => page.device_sign_in_page(StatusCode::OK, &csrf, user_code.as_deref(), None),
        Ok(Some(_)) => page.device_code_page(StatusCode::OK, &csrf, user_code.as_deref(), None),
    };
    if fresh {
        page.set_binding(&mut response, &binding);
    }
    response
}

/// POST /device/sign-in.
pub(super) async fn sign_in(page: PageContext, body: Bytes) -> Response {
    let params = match form_of(&page, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let field = |name| params.get(name).unwrap_or_default().to_owned();
    let user_code = typed_code(params.get("user_code"));
    let form = SignInForm {
        identifier: field("identifier"),
        password: field("password"),
        remember: params.get("remember").is_some(),
        csrf: field("csrf"),
    };
    let csrf = form.csrf.clone();
    match page
        .state
        .engine
        .handle_device_sign_in(&page.tenant, &page.browser, form)
        .await
    {
        Ok(cookie) => {
            let mut response = redirect(&page.device_url(user_code.as_deref()));
            page.set_session_cookie(&mut response, &cookie);
            response
        }
        Err(message) => {
            let status = match message {
                PageMessage::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                PageMessage::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            };
            page.device_sign_in_page(status, &csrf, user_code.as_deref(), Some(&message))
        }
    }
}

/// POST /device: the typed code; answers the confirmation page.
pub(super) async fn submit_code(page: PageContext, body: Bytes) -> Response {
    let params = match form_of(&page, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let csrf = params.get("csrf").unwrap_or_default().to_owned();
    let user_code = typed_code(params.get("user_code"));
    let typed = user_code.clone().unwrap_or_default();
    let found = page
        .state
        .engine
        .find_device_request(&page.tenant, &page.browser, &typed, &csrf)
        .await;
    let view = match found {
        Ok(view) => view,
        Err(failure) => return page.device_failure(failure, &csrf, user_code.as_deref()),
    };
    let texts = page.texts(None);
    let scopes = page.scope_texts(texts, &view.scopes);
    let minutes = (page.state.engine.now() - view.requested_at).max(0) / 60;
    page.pages().render(
        StatusCode::OK,
        "device_confirm.html",
        texts,
        context! {
            prefix => page.prefix(),
            csrf => csrf,
            user_code => view.user_code,
            client_name => view.client_name,
            scopes => scopes,
            resources => view.resources,
            administrative => view.administrative,
            minutes => minutes,
            ip => view.ip.unwrap_or_else(|| "?".to_owned()),
        },
        &[],
    )
}

/// POST /device/decide: allow or deny.
pub(super) async fn decide(page: PageContext, body: Bytes) -> Response {
    let params = match form_of(&page, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let csrf = params.get("csrf").unwrap_or_default().to_owned();
    let user_code = typed_code(params.get("user_code"));
    let allow = params.get("decision") == Some("allow");
    let decided = page
        .state
        .engine
        .decide_device_request(
            &page.tenant,
            &page.browser,
            user_code.as_deref().unwrap_or_default(),
            allow,
            &csrf,
        )
        .await;
    match decided {
        Ok(approved) => page.device_done(approved),
        Err(failure) => page.device_failure(failure, &csrf, user_code.as_deref()),
    }
}
