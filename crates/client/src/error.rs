//! [`ClientError`] and the one mapping from an unsuccessful answer to it: RFC 9457 problem
//! bodies, RFC 6750 `WWW-Authenticate` challenges, and anything else as an unexpected answer
//! (with a short, cleaned excerpt from which the token is scrubbed).

use gatehouse_types::problem::{FieldError, Problem};

/// Why a Management API call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server URL cannot be used (not http(s), no host, credentials in it).
    #[error("invalid server URL: {0}")]
    InvalidServer(String),
    /// The request could not be built (for example an empty id).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// 401: the token is missing, expired, revoked or not for this server.
    #[error("{}", describe_unauthorized(.0))]
    Unauthorized(Box<AuthChallenge>),
    /// 403: the token is valid but may not do this (for example it lacks the `all` scope, or
    /// its person no longer administers the tenant).
    #[error("{}", describe_forbidden(.0))]
    Forbidden(Box<AuthChallenge>),
    /// 404: no such record (or no such route: `server` may not be a Gatehouse issuer).
    #[error("{}", describe_not_found(.problem))]
    NotFound {
        /// The problem body, when the server sent one.
        problem: Option<Box<Problem>>,
    },
    /// Any other error answered as RFC 9457 problem+json: validation failures (422, each
    /// field in [`Problem::errors`]), conflicts (409), a malformed body (400), an unavailable
    /// database (503), ...
    #[error("{}", describe_problem(.0))]
    Problem(Box<Problem>),
    /// The server could not be reached, or the connection failed.
    #[error("cannot reach the server: {}", describe_transport(.0))]
    Transport(#[source] reqwest::Error),
    /// An answer that is not the Management API's: an unexpected status without a problem
    /// body, a redirect, or a body that is not the expected JSON.
    #[error("unexpected answer from the server (HTTP {status}): {reason}")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// What was wrong, with a short excerpt of the body.
        reason: String,
    },
}

/// What a 401 or 403 said: the `WWW-Authenticate` Bearer challenge (RFC 6750 §3) and the
/// problem body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthChallenge {
    /// The challenge's `error`: `invalid_token` (expired, revoked, wrong audience or not a
    /// token of this server) or `insufficient_scope`; absent when no token was sent.
    pub error: Option<String>,
    /// The challenge's `error_description`, if any.
    pub error_description: Option<String>,
    /// The problem body, when the server sent one.
    pub problem: Option<Problem>,
}

impl AuthChallenge {
    /// The most specific human explanation available.
    fn explanation(&self) -> Option<&str> {
        self.problem
            .as_ref()
            .and_then(|p| p.detail.as_deref())
            .or(self.error_description.as_deref())
    }
}

impl ClientError {
    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized(_) => Some(401),
            Self::Forbidden(_) => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::Problem(problem) => Some(problem.status),
            Self::UnexpectedResponse { status, .. } => Some(*status),
            Self::InvalidServer(_) | Self::InvalidRequest(_) | Self::Transport(_) => None,
        }
    }

    /// The problem body, when the server answered one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Unauthorized(challenge) | Self::Forbidden(challenge) => {
                challenge.problem.as_ref()
            }
            Self::NotFound { problem } => problem.as_deref(),
            Self::Problem(problem) => Some(problem),
            _ => None,
        }
    }

    /// The problem's stable machine-readable code (`validation_failed`, `not_found`,
    /// `conflict`, `builtin_readonly`, `unauthenticated`, `forbidden`, `unavailable`, ...).
    pub fn code(&self) -> Option<&str> {
        self.problem().map(|problem| problem.code.as_str())
    }

    /// The invalid fields of a validation failure (empty otherwise).
    pub fn field_errors(&self) -> &[FieldError] {
        self.problem()
            .map_or(&[], |problem| problem.errors.as_slice())
    }
}

fn describe_unauthorized(challenge: &AuthChallenge) -> String {
    let summary = match challenge.error.as_deref() {
        Some(error) => format!("the server refused the token ({error})"),
        None => "the server requires a token".to_owned(),
    };
    match challenge.explanation() {
        Some(explanation) => format!("{summary}: {explanation}"),
        None => summary,
    }
}

fn describe_forbidden(challenge: &AuthChallenge) -> String {
    let explanation = challenge
        .explanation()
        .unwrap_or("the token may not do this");
    format!("forbidden: {explanation}")
}

fn describe_not_found(problem: &Option<Box<Problem>>) -> String {
    match problem.as_ref().and_then(|p| p.detail.as_deref()) {
        Some(detail) => detail.to_owned(),
        None => "not found (the server answered 404 without a problem body: is the server URL a \
                 Gatehouse issuer?)"
            .to_owned(),
    }
}

fn describe_problem(problem: &Problem) -> String {
    let mut text = match &problem.detail {
        Some(detail) => format!("{} ({}): {detail}", problem.title, problem.code),
        None => format!("{} ({})", problem.title, problem.code),
    };
    for error in &problem.errors {
        text.push_str(&format!("; {}: {}", error.field, error.message));
    }
    text
}

/// reqwest's message plus the innermost cause ("connection refused", "dns error", ...).
fn describe_transport(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let (outer, inner) = (error.to_string(), cause.to_string());
    if error.is_timeout() {
        format!("{outer} (timed out)")
    } else if inner != outer {
        format!("{outer}: {inner}")
    } else {
        outer
    }
}

/// Most characters of a body quoted in an error.
const EXCERPT_CHARS: usize = 200;

/// A short one-line excerpt: control characters become spaces, the token `[redacted]`.
fn excerpt(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if text.chars().count() > EXCERPT_CHARS {
        format!("{cleaned}...")
    } else {
        cleaned
    }
}

/// Whether a media type is JSON (`application/json`, `application/problem+json`, any
/// `+json`), parameters ignored.
fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase())
        .is_some_and(|media| media == "application/json" || media.ends_with("+json"))
}

/// Turns an unsuccessful answer into a [`ClientError`]. Any occurrence of `token` in the
/// body is replaced before anything is kept, so no error can carry it.
pub(crate) fn from_response(
    status: u16,
    content_type: Option<&str>,
    www_authenticate: Option<&str>,
    body: &[u8],
    token: &str,
) -> ClientError {
    let mut text = String::from_utf8_lossy(body).into_owned();
    if !token.is_empty() {
        text = text.replace(token, "[redacted]");
    }
    let problem = if is_json(content_type) {
        serde_json::from_str::<Problem>(&text).ok()
    } else {
        None
    };
    let challenge = || {
        let (error, error_description) = www_authenticate
            .and_then(parse_bearer_challenge)
            .unwrap_or_default();
        Box::new(AuthChallenge {
            error,
            error_description,
            problem: problem.clone(),
        })
    };
    match status {
        401 => ClientError::Unauthorized(challenge()),
        403 => ClientError::Forbidden(challenge()),
        404 => ClientError::NotFound {
            problem: problem.map(Box::new),
        },
        _ => match problem {
            Some(problem) => ClientError::Problem(Box::new(problem)),
            None => {
                let what = match content_type {
                    Some(content_type) => format!("a {content_type} body"),
                    None => "a body without a content type".to_owned(),
                };
                let quoted = excerpt(&text);
                let reason = if (300..400).contains(&status) {
                    "a redirect (the server URL may need https or another path)".to_owned()
                } else if quoted.is_empty() {
                    format!("{what}, empty")
                } else {
                    format!("{what}: {quoted}")
                };
                ClientError::UnexpectedResponse { status, reason }
            }
        },
    }
}

/// The `error` and `error_description` of a Bearer challenge
/// (`Bearer realm="gatehouse", error="invalid_token"`), or `None` for another scheme.
fn parse_bearer_challenge(value: &str) -> Option<(Option<String>, Option<String>)> {
    let value = value.trim_start();
    let (scheme, params) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let (mut error, mut description) = (None, None);
    for (name, value) in parse_auth_params(params) {
        if name.eq_ignore_ascii_case("error") {
            error = Some(value);
        } else if name.eq_ignore_ascii_case("error_description") {
            description = Some(value);
        }
    }
    Some((error, description))
}

/// `name=token` and `name="quoted \" string"` pairs separated by commas (RFC 9110 §11.2).
fn parse_auth_params(params: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = params.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let name: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_owned();
        if name.is_empty() {
            return pairs;
        }
        if chars.next_if_eq(&'=').is_none() {
            continue;
        }
        while chars.next_if(|c| *c == ' ').is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    other => value.push(other),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned();
        }
        pairs.push((name, value));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJ.secret.sig";

    fn problem_body(status: u16, code: &str, detail: &str, errors: &str) -> String {
        format!(
            r#"{{"type":"https://gatehouse.dev/problems/{code}","title":"T","status":{status},"detail":"{detail}","code":"{code}"{errors}}}"#
        )
    }

    #[test]
    fn a_refused_token_carries_the_challenge_error() {
        let body = problem_body(
            401,
            "unauthenticated",
            "the access token is invalid, expired or revoked",
            "",
        );
        let error = from_response(
            401,
            Some("application/problem+json"),
            Some(r#"Bearer realm="gatehouse", error="invalid_token""#),
            body.as_bytes(),
            TOKEN,
        );
        let ClientError::Unauthorized(challenge) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(challenge.error.as_deref(), Some("invalid_token"));
        assert_eq!(error.code(), Some("unauthenticated"));
        assert_eq!(error.status(), Some(401));
        assert_eq!(
            error.to_string(),
            "the server refused the token (invalid_token): the access token is invalid, expired or revoked"
        );

        // No token sent: a challenge without `error`.
        let error = from_response(401, None, Some(r#"Bearer realm="gatehouse""#), b"", TOKEN);
        assert_eq!(error.to_string(), "the server requires a token");
    }

    #[test]
    fn forbidden_and_not_found_are_their_own_variants() {
        let body = problem_body(403, "forbidden", "the token lacks the required scope", "");
        let error = from_response(
            403,
            Some("application/problem+json"),
            Some(r#"Bearer error="insufficient_scope", error_description="needs \"all\"""#),
            body.as_bytes(),
            TOKEN,
        );
        let ClientError::Forbidden(challenge) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(challenge.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(
            challenge.error_description.as_deref(),
            Some("needs \"all\"")
        );
        assert_eq!(
            error.to_string(),
            "forbidden: the token lacks the required scope"
        );

        let body = problem_body(404, "not_found", "user not found", "");
        let error = from_response(
            404,
            Some("application/problem+json"),
            None,
            body.as_bytes(),
            TOKEN,
        );
        assert!(matches!(error, ClientError::NotFound { problem: Some(_) }));
        assert_eq!(error.to_string(), "user not found");
        let error = from_response(404, Some("text/html"), None, b"<h1>nope</h1>", TOKEN);
        assert!(matches!(error, ClientError::NotFound { problem: None }));
        assert!(error.to_string().contains("Gatehouse issuer"), "{error}");
    }

    #[test]
    fn validation_problems_keep_each_field() {
        let body = problem_body(
            422,
            "validation_failed",
            "the request body has invalid fields",
            r#","errors":[{"field":"redirect_uris[0]","message":"must be an absolute URI"},{"field":"name","message":"must not be empty"}]"#,
        );
        let error = from_response(
            422,
            Some("application/problem+json; charset=utf-8"),
            None,
            body.as_bytes(),
            TOKEN,
        );
        assert_eq!(error.code(), Some("validation_failed"));
        let fields: Vec<_> = error.field_errors().iter().map(|e| &e.field).collect();
        assert_eq!(fields, ["redirect_uris[0]", "name"]);
        let text = error.to_string();
        assert!(
            text.contains("redirect_uris[0]: must be an absolute URI"),
            "{text}"
        );
    }

    #[test]
    fn other_answers_are_unexpected_with_a_clean_excerpt() {
        let long = format!("<html>\x1b[31m{}</html>", "x".repeat(500));
        let error = from_response(502, Some("text/html"), None, long.as_bytes(), TOKEN);
        let ClientError::UnexpectedResponse { status, reason } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*status, 502);
        assert!(!reason.contains('\x1b'), "{reason}");
        assert!(reason.len() < 300, "{reason}");
        assert!(reason.ends_with("..."), "{reason}");
        // JSON that is not a problem is unexpected too.
        let error = from_response(500, Some("application/json"), None, b"{\"a\":1}", TOKEN);
        assert!(matches!(
            error,
            ClientError::UnexpectedResponse { status: 500, .. }
        ));
        let error = from_response(302, None, None, b"", TOKEN);
        assert!(error.to_string().contains("redirect"), "{error}");
    }

    #[test]
    fn the_token_is_scrubbed_from_every_error() {
        let echoed = format!("bad token {TOKEN} here");
        let problem = problem_body(400, "invalid_body", &echoed, "");
        let cases = [
            from_response(
                400,
                Some("application/problem+json"),
                None,
                problem.as_bytes(),
                TOKEN,
            ),
            from_response(
                401,
                Some("application/problem+json"),
                None,
                problem.as_bytes(),
                TOKEN,
            ),
            from_response(500, Some("text/plain"), None, echoed.as_bytes(), TOKEN),
        ];
        for error in cases {
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains(TOKEN), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
    }

    #[test]
    fn auth_params_parse_tokens_and_quoted_strings() {
        assert_eq!(
            parse_auth_params(r#"realm="a, b", error=invalid_token ,error_description="x \"y\"""#),
            [
                ("realm".to_owned(), "a, b".to_owned()),
                ("error".to_owned(), "invalid_token".to_owned()),
                ("error_description".to_owned(), "x \"y\"".to_owned()),
            ]
        );
        assert_eq!(parse_bearer_challenge("Basic realm=\"x\""), None);
        assert_eq!(parse_bearer_challenge("bearer"), Some((None, None)));
        // Malformed input never panics.
        for input in ["=", "a=\"", ",,,", "a", "a=b=c", "\"\"=\""] {
            let _ = parse_auth_params(input);
        }
    }
}
