//! Matching a requested redirect URI against the registered ones (RFC 9700 §4.1.3, OAuth 2.1
//! §4.1.2.1, RFC 8252 §7.3): exact string comparison, no normalisation of case, slashes,
//! dot segments or percent-encoding, with one exception: for native apps a registered
//! loopback IP-literal URI (`http://127.0.0.1/...` or `http://[::1]/...`) matches the same URI
//! on any port.
//!
//! `localhost` gets no port exception: RFC 8252 §8.3 calls it NOT RECOMMENDED (it may resolve
//! off the machine or be captured by another listener) and the Gatehouse CLI uses the IP
//! literal. A native app registering `http://localhost:PORT/cb` gets exact matching.
//! Web and SPA apps always get exact matching, loopback or not.

use gatehouse_core::ApplicationType;

/// Loopback IP-literal origins whose port may vary (RFC 8252 §7.3), lower-case as registered.
const LOOPBACK_ORIGINS: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// Whether `requested` is acceptable for an app of `app_type` that registered `registered`.
pub fn redirect_uri_matches(registered: &str, requested: &str, app_type: ApplicationType) -> bool {
    if registered == requested {
        return true;
    }
    app_type == ApplicationType::Native && loopback_matches(registered, requested)
}

/// RFC 8252 §7.3: the authorization server MUST allow any port for loopback IP redirect URIs.
/// Scheme, host, path and query must still be identical, character for character.
fn loopback_matches(registered: &str, requested: &str) -> bool {
    LOOPBACK_ORIGINS.iter().any(|origin| {
        match (
            after_origin(registered, origin),
            after_origin(requested, origin),
        ) {
            (Some(registered_tail), Some(requested_tail)) => registered_tail == requested_tail,
            _ => false,
        }
    })
}

/// What follows `origin` and an optional `:port`, when the URI starts with exactly that
/// origin and the rest begins a path or query (so `127.0.0.1.evil.com` or
/// `127.0.0.1:80@evil.com` never match).
fn after_origin<'a>(uri: &'a str, origin: &str) -> Option<&'a str> {
    let rest = uri.strip_prefix(origin)?;
    let tail = match rest.strip_prefix(':') {
        Some(port_and_tail) => {
            let digits = port_and_tail.bytes().take_while(u8::is_ascii_digit).count();
            let (port, tail) = port_and_tail.split_at_checked(digits)?;
            let port: u32 = port.parse().ok()?;
            if !(1..=65_535).contains(&port) || digits > 5 {
                return None;
            }
            tail
        }
        None => rest,
    };
    (tail.is_empty() || tail.starts_with('/') || tail.starts_with('?')).then_some(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NATIVE: ApplicationType = ApplicationType::Native;
    const WEB: ApplicationType = ApplicationType::Web;

    #[test]
    fn loopback_ports_vary_for_native_apps_only() {
        for (registered, requested, app_type, expected) in [
            ("http://127.0.0.1/cb", "http://127.0.0.1/cb", NATIVE, true),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:51234/cb",
                NATIVE,
                true,
            ),
            (
                "http://127.0.0.1:8080/cb",
                "http://127.0.0.1:9/cb",
                NATIVE,
                true,
            ),
            (
                "http://127.0.0.1/cb?a=1",
                "http://127.0.0.1:5/cb?a=1",
                NATIVE,
                true,
            ),
            ("http://[::1]/cb", "http://[::1]:65535/cb", NATIVE, true),
            ("http://127.0.0.1", "http://127.0.0.1:7", NATIVE, true),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:51234/cb",
                WEB,
                false,
            ),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:5/cb/",
                NATIVE,
                false,
            ),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:5/other",
                NATIVE,
                false,
            ),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:5/cb?x=1",
                NATIVE,
                false,
            ),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1.evil.com/cb",
                NATIVE,
                false,
            ),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:80@evil.com/cb",
                NATIVE,
                false,
            ),
            ("http://127.0.0.1/cb", "http://127.0.0.1:/cb", NATIVE, false),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:0/cb",
                NATIVE,
                false,
            ),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:65536/cb",
                NATIVE,
                false,
            ),
            (
                "http://127.0.0.1/cb",
                "http://127.0.0.1:000080/cb",
                NATIVE,
                false,
            ),
            (
                "http://127.0.0.1/cb",
                "https://127.0.0.1:5/cb",
                NATIVE,
                false,
            ),
            ("http://127.0.0.1/cb", "http://[::1]:5/cb", NATIVE, false),
            (
                "http://localhost/cb",
                "http://localhost:5/cb",
                NATIVE,
                false,
            ),
            (
                "http://localhost/cb",
                "http://localhost:80@evil.com/cb",
                NATIVE,
                false,
            ),
            (
                "http://127.0.0.1.evil.com/cb",
                "http://127.0.0.1.evil.com:5/cb",
                NATIVE,
                false,
            ),
        ] {
            assert_eq!(
                redirect_uri_matches(registered, requested, app_type),
                expected,
                "{registered} vs {requested} ({app_type:?})"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn only_the_port_may_differ(path in "[/?a-z0-9.@:%#]{0,12}", port in 1u32..65536) {
            let registered = "http://127.0.0.1/cb";
            let requested = format!("http://127.0.0.1:{port}{path}");
            let matched = redirect_uri_matches(registered, &requested, NATIVE);
            proptest::prop_assert_eq!(matched, path == "/cb");
        }
    }
}
