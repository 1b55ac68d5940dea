//! Validation rules for what operators register: redirect URIs, resource indicators, scope
//! names, tenant and application names. Each check returns a human message naming the problem.

use crate::ApplicationType;
use url::{Host, Url};

/// Longest URI accepted anywhere.
pub const MAX_URI_LEN: usize = 2048;

/// Checks a tenant name: 1-63 of `a-z0-9-`, starting with a letter or digit.
pub fn check_tenant_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if valid {
        Ok(())
    } else {
        Err("must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'".into())
    }
}

/// Checks a display name: 1-128 characters, no control characters.
pub fn check_display_name(name: &str) -> Result<(), String> {
    let count = name.chars().count();
    if name.trim().is_empty() || count > 128 {
        return Err("must be 1-128 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// Checks a scope token (RFC 6749 §3.3: `scope-token = 1*NQCHAR`), at most 128 bytes.
pub fn check_scope_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
    if valid {
        Ok(())
    } else {
        Err("must be 1-128 printable ASCII characters without space, '\"' or '\\'".into())
    }
}

/// Checks a resource indicator: an absolute URI without a fragment (RFC 8707 §2).
pub fn check_resource_indicator(indicator: &str) -> Result<(), String> {
    if indicator.len() > MAX_URI_LEN {
        return Err("is too long".into());
    }
    // A URI has no whitespace or control characters (RFC 3986 §2). The URL parser would
    // trim or escape them; refusing them also keeps a list of indicators stored space-joined
    // unambiguous.
    if indicator
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("must not contain spaces or control characters".into());
    }
    let url = Url::parse(indicator).map_err(|_| "must be an absolute URI".to_owned())?;
    if indicator.contains('#') || url.fragment().is_some() {
        return Err("must not contain a fragment".into());
    }
    if url.cannot_be_a_base() {
        return Err("must be an absolute hierarchical URI".into());
    }
    Ok(())
}

/// Whether the host is a loopback IP literal or `localhost`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(domain)) => domain == "localhost",
        None => false,
    }
}

/// Checks a redirect URI at registration (RFC 9700 §4.1.3, RFC 8252 §7).
///
/// Absolute, no fragment, no wildcard, no userinfo; `https`, or `http` on a loopback host;
/// native apps may also use a private-use scheme containing a dot (RFC 8252 §7.1).
pub fn check_redirect_uri(uri: &str, app_type: ApplicationType) -> Result<(), String> {
    if uri.len() > MAX_URI_LEN {
        return Err("is too long".into());
    }
    if uri.contains('*') {
        return Err("must not contain a wildcard".into());
    }
    // RFC 6749 §3.1.2: the redirection endpoint URI MUST NOT include a fragment component.
    if uri.contains('#') {
        return Err("must not contain a fragment".into());
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain whitespace".into());
    }
    let url = Url::parse(uri).map_err(|_| "must be an absolute URI".to_owned())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain user information".into());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(&url) => Ok(()),
        "http" => Err("http is allowed only on a loopback host".into()),
        scheme if app_type == ApplicationType::Native && scheme.contains('.') => {
            if url.cannot_be_a_base() && !uri.contains(":/") {
                return Err("private-use scheme URIs must have a path".into());
            }
            Ok(())
        }
        _ => Err("must use https (or http on a loopback host)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_registration_rules() {
        let web = ApplicationType::Web;
        let native = ApplicationType::Native;
        assert!(check_redirect_uri("https://app.example/cb", web).is_ok());
        assert!(check_redirect_uri("http://127.0.0.1/cb", native).is_ok());
        assert!(check_redirect_uri("http://[::1]:8080/cb", native).is_ok());
        assert!(check_redirect_uri("http://localhost:3000/cb", web).is_ok());
        assert!(check_redirect_uri("com.example.app:/oauth", native).is_ok());
        for bad in [
            "https://app.example/*",
            "https://*.example/cb",
            "https://app.example/cb#frag",
            "https://app.example/cb#",
            "javascript:alert(1)",
            "data:text/html,hi",
            "http://app.example/cb",
            "/relative",
            "https://user:pw@app.example/cb",
            "com.example.app:/oauth",
            "ftp://app.example/cb",
            "https://app.example/c b",
        ] {
            let kind = if bad.starts_with("com.") { web } else { native };
            assert!(
                check_redirect_uri(bad, kind).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn resource_indicator_rules() {
        assert!(check_resource_indicator("https://api.example/orders").is_ok());
        assert!(check_resource_indicator("urn:example:api").is_err());
        assert!(check_resource_indicator("https://api.example/#x").is_err());
        assert!(check_resource_indicator("/api").is_err());
        assert!(check_resource_indicator("").is_err());
        // Whitespace would be trimmed or escaped by the parser, and would split a stored list.
        for spaced in [
            "https://r.example/x https://other.example",
            " https://b.example",
            "https://b.example\t",
            "https://b.example/\nx",
        ] {
            assert!(check_resource_indicator(spaced).is_err(), "{spaced:?}");
        }
    }

    #[test]
    fn scope_and_names() {
        assert!(check_scope_name("read:orders").is_ok());
        assert!(check_scope_name("a b").is_err());
        assert!(check_scope_name("").is_err());
        assert!(check_scope_name("quote\"").is_err());
        assert!(check_tenant_name("acme-1").is_ok());
        assert!(check_tenant_name("Acme").is_err());
        assert!(check_tenant_name("-x").is_err());
        assert!(check_tenant_name("a/b").is_err());
        assert!(check_display_name("CI bot").is_ok());
        assert!(check_display_name("  ").is_err());
        assert!(check_display_name("a\nb").is_err());
    }

    proptest::proptest! {
        #[test]
        fn scope_names_never_contain_separators(name in ".{0,40}") {
            if check_scope_name(&name).is_ok() {
                proptest::prop_assert!(!name.contains(' ') && !name.is_empty());
            }
        }
    }
}
