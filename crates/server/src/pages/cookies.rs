//! The cookies of the hosted pages (checklist S-01): HttpOnly, SameSite=Lax, `Path=/`, no
//! Domain, and `Secure` with the `__Host-` prefix when the issuer is https. The browser
//! binding cookie ties interactions and forms to one browser (S-07, S-08); the session cookie
//! is per tenant, persistent only with "remember me".

use axum::http::{HeaderMap, HeaderValue, header};
use gatehouse_core::ROOT_TENANT;

/// Cookie settings of a server.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// Whether the issuer is https (then `Secure` and `__Host-`).
    pub https: bool,
}

impl CookiePolicy {
    fn prefix(self) -> &'static str {
        if self.https { "__Host-" } else { "" }
    }

    /// Name of the browser-binding cookie.
    pub fn binding_name(self) -> String {
        format!("{}gatehouse-browser", self.prefix())
    }

    /// Name of the session cookie of a tenant.
    pub fn session_name(self, tenant_name: &str) -> String {
        if tenant_name == ROOT_TENANT {
            format!("{}gatehouse-session", self.prefix())
        } else {
            format!("{}gatehouse-session.{tenant_name}", self.prefix())
        }
    }

    /// A `Set-Cookie` value; `max_age` makes it persistent, `Some(0)` deletes it.
    pub fn set(self, name: &str, value: &str, max_age: Option<i64>) -> Option<HeaderValue> {
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if self.https {
            cookie.push_str("; Secure");
        }
        if let Some(seconds) = max_age {
            cookie.push_str(&format!("; Max-Age={}", seconds.max(0)));
        }
        HeaderValue::from_str(&cookie).ok()
    }
}

/// The value of a cookie, when sent exactly once (a duplicate, as a subdomain could plant,
/// counts as absent).
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut found = None;
    for header in headers.get_all(header::COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for pair in text.split(';') {
            let Some((key, value)) = pair.trim().split_once('=') else {
                continue;
            };
            if key == name {
                if found.is_some() {
                    return None;
                }
                found = Some(value.trim().to_owned());
            }
        }
    }
    found.filter(|v| !v.is_empty() && v.len() <= 128)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_are_host_prefixed_and_secure() {
        let https = CookiePolicy { https: true };
        assert_eq!(https.session_name("default"), "__Host-gatehouse-session");
        assert_eq!(https.session_name("acme"), "__Host-gatehouse-session.acme");
        let set = https
            .set("__Host-gatehouse-session", "v", Some(60))
            .unwrap();
        assert_eq!(
            set.to_str().unwrap(),
            "__Host-gatehouse-session=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60"
        );
        let http = CookiePolicy { https: false };
        let set = http.set("gatehouse-browser", "v", None).unwrap();
        assert_eq!(
            set.to_str().unwrap(),
            "gatehouse-browser=v; Path=/; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn reads_one_cookie_and_refuses_duplicates() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        assert_eq!(cookie_value(&headers, "b").as_deref(), Some("2"));
        assert_eq!(cookie_value(&headers, "c"), None);
        headers.append(header::COOKIE, HeaderValue::from_static("b=3"));
        assert_eq!(cookie_value(&headers, "b"), None);
    }
}
