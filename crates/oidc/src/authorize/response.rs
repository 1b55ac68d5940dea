//! Authorization responses (RFC 6749 §4.1.2, OAuth 2.0 Form Post Response Mode, RFC 9207):
//! the parameters a validated redirect target receives, with `iss` on every response and
//! `state` whenever the request carried one. For `query` the parameters are appended to the
//! registered URI's own query, form-urlencoded, so no CR, LF or other control character can
//! reach a `Location` header; for `form_post` the server renders the fields itself.

/// How the response reaches the client (OAuth 2.0 Multiple Response Type Encoding §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// Parameters in the redirect URI's query (the default for `code`).
    Query,
    /// Parameters in an auto-submitted HTML form POSTed to the redirect URI.
    FormPost,
}

impl ResponseMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::FormPost => "form_post",
        }
    }

    /// Parses a supported response mode (exact, case-sensitive).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "query" => Some(Self::Query),
            "form_post" => Some(Self::FormPost),
            _ => None,
        }
    }
}

/// A validated place to send an authorization response: a redirect URI registered for the
/// client, how to deliver, the state to echo and the issuer to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTarget {
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// How to deliver the response.
    pub response_mode: ResponseMode,
    /// The request's state, echoed unchanged.
    pub state: Option<String>,
    /// The issuer, sent as `iss` (RFC 9207).
    pub issuer: String,
}

/// What the server sends to the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationResponse {
    /// A redirect (302/303) to this URL.
    Redirect {
        /// The `Location`.
        location: String,
    },
    /// An auto-submitting HTML form (rendered by the server, values attribute-encoded).
    FormPost {
        /// The form's action: the redirect URI.
        action: String,
        /// The fields, in order.
        fields: Vec<(String, String)>,
    },
}

/// Builds the response carrying `params` (for example `code`), `state` and `iss`.
pub fn authorization_response(
    target: &RedirectTarget,
    params: &[(&str, &str)],
) -> AuthorizationResponse {
    let mut fields: Vec<(&str, &str)> = params.to_vec();
    if let Some(state) = &target.state {
        fields.push(("state", state));
    }
    // RFC 9207 §2: the iss parameter on every authorization response, success or error.
    fields.push(("iss", &target.issuer));
    match target.response_mode {
        ResponseMode::Query => AuthorizationResponse::Redirect {
            location: append_query(&target.redirect_uri, &fields),
        },
        ResponseMode::FormPost => AuthorizationResponse::FormPost {
            action: target.redirect_uri.clone(),
            fields: fields
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        },
    }
}

/// The error response for a redirectable error: `error`, `error_description`, `state`, `iss`.
pub fn error_response(
    target: &RedirectTarget,
    code: &str,
    description: &str,
) -> AuthorizationResponse {
    let description = error_description(description);
    authorization_response(
        target,
        &[("error", code), ("error_description", &description)],
    )
}

/// RFC 6749 §4.1.2.1: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
fn error_description(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(*c, ' '..='~') && *c != '"' && *c != '\\')
        .take(256)
        .collect()
}

/// Appends form-urlencoded parameters to a URI, keeping its own query (RFC 6749 §3.1.2: the
/// query component MUST be retained). A fragment, never registered, would be dropped.
fn append_query(uri: &str, fields: &[(&str, &str)]) -> String {
    let base = uri.split_once('#').map_or(uri, |(before, _)| before);
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let separator = match base.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some((_, query)) if query.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{base}{separator}{encoded}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn target(uri: &str, state: Option<&str>, mode: ResponseMode) -> RedirectTarget {
        RedirectTarget {
            redirect_uri: uri.to_owned(),
            response_mode: mode,
            state: state.map(str::to_owned),
            issuer: "https://id.example/t/acme".to_owned(),
        }
    }

    fn location(response: AuthorizationResponse) -> String {
        match response {
            AuthorizationResponse::Redirect { location } => location,
            other => panic!("expected a redirect, got {other:?}"),
        }
    }

    #[test]
    fn query_keeps_the_registered_query_and_adds_state_and_iss() {
        for (uri, expected) in [
            (
                "https://app.example/cb",
                "https://app.example/cb?code=abc&state=s&iss=https%3A%2F%2Fid.example%2Ft%2Facme",
            ),
            (
                "https://app.example/cb?x=1",
                "https://app.example/cb?x=1&code=abc&state=s&iss=https%3A%2F%2Fid.example%2Ft%2Facme",
            ),
            (
                "https://app.example/cb?",
                "https://app.example/cb?code=abc&state=s&iss=https%3A%2F%2Fid.example%2Ft%2Facme",
            ),
            (
                "https://app.example/cb?x=1&",
                "https://app.example/cb?x=1&code=abc&state=s&iss=https%3A%2F%2Fid.example%2Ft%2Facme",
            ),
        ] {
            let response = authorization_response(
                &target(uri, Some("s"), ResponseMode::Query),
                &[("code", "abc")],
            );
            assert_eq!(location(response), expected, "{uri}");
        }
    }

    #[test]
    fn state_round_trips_exactly() {
        let state = format!("{}&=+%/ é?#", "a".repeat(2048));
        let location = location(authorization_response(
            &target(
                "https://app.example/cb?keep=1",
                Some(&state),
                ResponseMode::Query,
            ),
            &[("code", "c")],
        ));
        let query = location.split_once('?').unwrap().1;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let expected = vec![
            ("keep".to_owned(), "1".to_owned()),
            ("code".to_owned(), "c".to_owned()),
            ("state".to_owned(), state.clone()),
            ("iss".to_owned(), "https://id.example/t/acme".to_owned()),
        ];
        assert_eq!(pairs, expected);
    }

    #[test]
    fn no_control_characters_reach_the_location() {
        let evil = "x\r\nSet-Cookie: a=b\0\u{7f}";
        let location = location(error_response(
            &target("https://app.example/cb", Some(evil), ResponseMode::Query),
            "invalid_request",
            evil,
        ));
        assert!(
            !location.chars().any(|c| c.is_control() || c == ' '),
            "{location}"
        );
        assert!(location.contains("state=x%0D%0ASet-Cookie"));
    }

    #[test]
    fn errors_carry_error_description_state_and_iss() {
        let location = location(error_response(
            &target("https://app.example/cb", Some("s"), ResponseMode::Query),
            "access_denied",
            "the user said \"no\" \\ é",
        ));
        assert_eq!(
            location,
            "https://app.example/cb?error=access_denied&error_description=the+user+said+no++\
             &state=s&iss=https%3A%2F%2Fid.example%2Ft%2Facme"
        );
        let without_state = location_of_error(None);
        assert!(!without_state.contains("state="));
        assert!(without_state.contains("iss="));
    }

    fn location_of_error(state: Option<&str>) -> String {
        location(error_response(
            &target("https://app.example/cb", state, ResponseMode::Query),
            "login_required",
            "sign in",
        ))
    }

    #[test]
    fn form_post_lists_fields_with_iss() {
        let response = authorization_response(
            &target(
                "https://app.example/cb?x=1",
                Some("\"><script>"),
                ResponseMode::FormPost,
            ),
            &[("code", "c")],
        );
        assert_eq!(
            response,
            AuthorizationResponse::FormPost {
                action: "https://app.example/cb?x=1".to_owned(),
                fields: vec![
                    ("code".to_owned(), "c".to_owned()),
                    ("state".to_owned(), "\"><script>".to_owned()),
                    ("iss".to_owned(), "https://id.example/t/acme".to_owned()),
                ],
            }
        );
    }
}
