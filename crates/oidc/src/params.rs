//! Parsing of `application/x-www-form-urlencoded` request parameters (RFC 6749 §3.1, §3.2):
//! parameters sent without a value are treated as omitted, a parameter MUST NOT be included
//! more than once, and values must be valid UTF-8 without NUL or other control characters.
//! The one exception is a parameter its specification lets repeat, named by the caller:
//! `resource` at the authorization and device authorization endpoints (RFC 8707 §2).

use crate::OAuthError;
use std::collections::HashMap;

/// Most parameters accepted in one request.
pub const MAX_PARAMS: usize = 64;

/// Longest value of one parameter in bytes (enough for a large JWT assertion).
pub const MAX_VALUE_LEN: usize = 16 * 1024;

/// The parameters the authorization and device authorization endpoints accept more than once:
/// RFC 8707 §2 says `resource` "may be used multiple times".
pub const REPEATABLE_AUTHORIZATION_PARAMS: &[&str] = &["resource"];

/// Parsed request parameters: each name once, except the repeatable ones the parser was told
/// about, whose values are kept in order.
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, Vec<String>>);

impl Params {
    /// The value of a parameter, when present and non-empty (the first, for a repeatable one).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    /// Every non-empty value of a parameter, in the order sent.
    pub fn get_all(&self, name: &str) -> &[String] {
        self.0.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    /// The value of a parameter, or `invalid_request` naming it when absent.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter: {name}")))
    }

    /// The parameters form-urlencoded, sorted by name, repeated values in their order (kept
    /// while the person signs in).
    pub fn to_form(&self) -> String {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for name in names {
            for value in self.get_all(name) {
                serializer.append_pair(name, value);
            }
        }
        serializer.finish()
    }

    /// Builds parameters from pairs (tests and already-parsed input); no name may repeat.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, OAuthError> {
        Self::from_pairs_repeating(pairs, &[])
    }

    /// Builds parameters from pairs; only the names in `repeatable` may repeat.
    pub fn from_pairs_repeating<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        repeatable: &[&str],
    ) -> Result<Self, OAuthError> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (count, (name, value)) in pairs.into_iter().enumerate() {
            if count >= MAX_PARAMS {
                return Err(OAuthError::invalid_request("too many parameters"));
            }
            check_text(name)?;
            check_text(value)?;
            if value.len() > MAX_VALUE_LEN {
                return Err(OAuthError::invalid_request(format!(
                    "parameter too long: {}",
                    printable(name)
                )));
            }
            let repeats = repeatable.contains(&name);
            if value.is_empty() {
                // RFC 6749 §3.1: parameters sent without a value MUST be treated as omitted.
                if map.contains_key(name) && !repeats {
                    return Err(duplicate(name));
                }
                continue;
            }
            let values = map.entry(name.to_owned()).or_default();
            // RFC 6749 §3.1: request parameters MUST NOT be included more than once.
            if !values.is_empty() && !repeats {
                return Err(duplicate(name));
            }
            values.push(value.to_owned());
        }
        Ok(Self(map))
    }
}

fn duplicate(name: &str) -> OAuthError {
    OAuthError::invalid_request(format!(
        "parameter included more than once: {}",
        printable(name)
    ))
}

/// A parameter name made safe to echo in a description.
fn printable(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

fn check_text(text: &str) -> Result<(), OAuthError> {
    // form_urlencoded decodes invalid UTF-8 lossily into U+FFFD; refuse it rather than guess.
    if text.contains('\u{FFFD}') {
        return Err(OAuthError::invalid_request(
            "parameters must be valid UTF-8",
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(OAuthError::invalid_request(
            "parameters must not contain control characters",
        ));
    }
    Ok(())
}

/// Parses a form body; no parameter may repeat.
pub fn parse_form(body: &[u8]) -> Result<Params, OAuthError> {
    parse_form_repeating(body, &[])
}

/// Parses a form body in which the parameters named in `repeatable` may repeat.
pub fn parse_form_repeating(body: &[u8], repeatable: &[&str]) -> Result<Params, OAuthError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .take(MAX_PARAMS + 1)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if std::str::from_utf8(body).is_err() {
        return Err(OAuthError::invalid_request(
            "parameters must be valid UTF-8",
        ));
    }
    Params::from_pairs_repeating(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        repeatable,
    )
}

/// Splits a space-delimited scope parameter (RFC 6749 §3.3) into distinct tokens, in order.
pub fn split_scope(scope: Option<&str>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for token in scope
        .unwrap_or_default()
        .split(' ')
        .filter(|t| !t.is_empty())
    {
        if !scopes.iter().any(|s| s == token) {
            scopes.push(token.to_owned());
        }
    }
    scopes
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn duplicates_are_refused() {
        for body in [
            "grant_type=a&grant_type=b",
            "scope=x&scope=x",
            "resource=a&resource=",
        ] {
            let error = parse_form(body.as_bytes()).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRequest, "{body}");
        }
    }

    #[test]
    fn only_named_parameters_repeat_and_keep_their_order() {
        let body = b"resource=b&scope=x&resource=a&resource=&resource=b";
        assert!(
            parse_form(body).is_err(),
            "resource repeats only when allowed"
        );
        let params = parse_form_repeating(body, REPEATABLE_AUTHORIZATION_PARAMS).unwrap();
        assert_eq!(params.get_all("resource"), ["b", "a", "b"]);
        assert_eq!(params.get("resource"), Some("b"));
        assert!(params.get_all("nothing").is_empty());
        let again =
            parse_form_repeating(params.to_form().as_bytes(), REPEATABLE_AUTHORIZATION_PARAMS)
                .unwrap();
        assert_eq!(
            again.get_all("resource"),
            ["b", "a", "b"],
            "to_form keeps all"
        );
        assert_eq!(again.get("scope"), Some("x"));
        let error =
            parse_form_repeating(b"scope=x&scope=y", REPEATABLE_AUTHORIZATION_PARAMS).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn empty_values_are_omitted_and_values_decoded() {
        let params = parse_form(b"a=&b=x%20y&c=1+2").unwrap();
        assert_eq!(params.get("a"), None);
        assert_eq!(params.get("b"), Some("x y"));
        assert_eq!(params.get("c"), Some("1 2"));
        assert!(params.require("a").is_err());
    }

    #[test]
    fn bad_encodings_are_refused() {
        for body in [&b"a=%ff"[..], b"a=%00", b"a=%0d%0a", b"a=\xff", b"\xc3=1"] {
            assert!(parse_form(body).is_err(), "{body:?}");
        }
        let many: String = (0..100).map(|i| format!("p{i}=1&")).collect();
        assert!(parse_form(many.as_bytes()).is_err());
    }

    #[test]
    fn scope_splitting() {
        assert_eq!(split_scope(Some("a  b a")), vec!["a", "b"]);
        assert!(split_scope(None).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_form(&body);
        }
    }
}
