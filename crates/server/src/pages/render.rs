//! Rendering of hosted pages: compiled-in templates (auto-escaped), the chosen language's
//! texts, and the headers every page carries (checklist S-09, P-17): a nonce-based CSP
//! without `unsafe-inline`, `frame-ancestors 'none'`, COOP, `no-store`, and HSTS on https.

use super::i18n::{Texts, Translations};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::value::Kwargs;
use minijinja::{Environment, Value};

/// The page templates, compiled into the binary.
const TEMPLATES: [(&str, &str); 11] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("sign_up.html", include_str!("../../templates/sign_up.html")),
    ("consent.html", include_str!("../../templates/consent.html")),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "form_post.html",
        include_str!("../../templates/form_post.html"),
    ),
    ("logout.html", include_str!("../../templates/logout.html")),
    (
        "logged_out.html",
        include_str!("../../templates/logged_out.html"),
    ),
    ("device.html", include_str!("../../templates/device.html")),
    (
        "device_confirm.html",
        include_str!("../../templates/device_confirm.html"),
    ),
    (
        "device_done.html",
        include_str!("../../templates/device_done.html"),
    ),
];

/// Templates and translations, built once at start.
pub struct Pages {
    env: Environment<'static>,
    /// Page text per language.
    pub translations: Translations,
    /// Whether the server is reached over https (then pages send HSTS).
    https: bool,
}

/// `{{ text | fill(name=value) }}` replaces `{name}` in a translated text.
fn fill(text: String, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let mut filled = text;
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        filled = filled.replace(&format!("{{{name}}}"), &value.to_string());
    }
    Ok(filled)
}

impl Pages {
    /// Loads the templates and the translations.
    pub fn load(https: bool) -> Result<Self, String> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        env.add_filter("fill", fill);
        Ok(Self {
            env,
            translations: Translations::load()?,
            https,
        })
    }

    /// Renders a page with `status`. `form_targets` are the origins forms may post to (or be
    /// redirected to after posting) besides this one.
    pub fn render(
        &self,
        status: StatusCode,
        template: &str,
        texts: &Texts,
        context: Value,
        form_targets: &[String],
    ) -> Response {
        let nonce = gatehouse_crypto::random_token(16);
        let context = minijinja::context! { t => texts, nonce => nonce, ..context };
        let body = match self
            .env
            .get_template(template)
            .and_then(|t| t.render(context))
        {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, template, "page failed to render");
                return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
            }
        };
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        if self.https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            );
        }
        // Chrome applies form-action to the redirect after a form POST, so the client's
        // origin must be allowed where a form answers with a redirect to it.
        let targets: String = form_targets
            .iter()
            .filter(|t| is_csp_source(t))
            .map(|t| format!(" {t}"))
            .collect();
        let csp = format!(
            "default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; \
             img-src 'self' data:; form-action 'self'{targets}; frame-ancestors 'none'; \
             base-uri 'none'"
        );
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        response
    }
}

/// An origin safe to put in a CSP source list: scheme://host[:port], no spaces, quotes or
/// semicolons.
fn is_csp_source(origin: &str) -> bool {
    !origin.is_empty()
        && origin.contains("://")
        && origin
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/[]".contains(&b))
}

/// The origin (scheme://host[:port]) of a URI, for CSP form-action.
pub fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}
