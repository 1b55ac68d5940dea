//! Parsing of an authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1,
//! RFC 7636 §4.3, RFC 8707 §2) into an [`UnverifiedAuthorizationRequest`]: typed, but nothing
//! checked against the client yet. Unknown parameters are ignored (RFC 6749 §3.1).
//!
//! Only a missing `client_id` fails here (nobody to redirect to). Any other malformed value is
//! kept as a deferred problem and reported by the checks once the client and its redirect URI
//! are trusted, so the client receives it as an error response.

use super::error::AuthorizeError;
use crate::params::{Params, split_scope};

/// Largest `max_age` accepted (ten years, in seconds); anything larger is refused rather than
/// risking overflow when added to a time (checklist T-13).
pub const MAX_MAX_AGE: u32 = 315_360_000;

/// Longest `state` and `nonce` accepted in bytes; longer values are refused, never truncated.
pub const MAX_STATE_LEN: usize = 4096;

/// A `prompt` value (OIDC Core §3.1.2.1, Initiating User Registration §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// No UI at all; fail with `login_required` & co. instead.
    None,
    /// Sign in again.
    Login,
    /// Ask for consent again.
    Consent,
    /// Let the user choose an account.
    SelectAccount,
    /// Show the sign-up page.
    Create,
}

impl Prompt {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "none" => Some(Self::None),
            "login" => Some(Self::Login),
            "consent" => Some(Self::Consent),
            "select_account" => Some(Self::SelectAccount),
            "create" => Some(Self::Create),
            _ => None,
        }
    }
}

/// The distinct `prompt` values of a request; `none` is never combined with another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptSet(Vec<Prompt>);

impl PromptSet {
    /// Whether the request asked for this prompt.
    pub fn contains(&self, prompt: Prompt) -> bool {
        self.0.contains(&prompt)
    }

    /// Whether no prompt was requested.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses a space-separated `prompt` parameter.
    pub fn parse(value: &str) -> Result<Self, AuthorizeError> {
        let mut prompts = Vec::new();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            let prompt = Prompt::parse(token)
                .ok_or_else(|| AuthorizeError::invalid_request("unsupported prompt value"))?;
            if !prompts.contains(&prompt) {
                prompts.push(prompt);
            }
        }
        // OIDC Core §3.1.2.1: if prompt contains none with any other value, an error is returned.
        if prompts.contains(&Prompt::None) && prompts.len() > 1 {
            return Err(AuthorizeError::invalid_request(
                "prompt=none cannot be combined with other values",
            ));
        }
        Ok(Self(prompts))
    }
}

/// An authorization request as sent: typed, not yet checked against the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnverifiedAuthorizationRequest {
    /// The claimed client_id.
    pub client_id: String,
    /// The redirect_uri, when sent.
    pub redirect_uri: Option<String>,
    /// The response_type, when sent.
    pub response_type: Option<String>,
    /// The response_mode, when sent.
    pub response_mode: Option<String>,
    /// The distinct scope tokens, in order.
    pub scopes: Vec<String>,
    /// The opaque state, when sent.
    pub state: Option<String>,
    /// The OIDC nonce, when sent.
    pub nonce: Option<String>,
    /// The PKCE code_challenge, when sent.
    pub code_challenge: Option<String>,
    /// The PKCE code_challenge_method, when sent.
    pub code_challenge_method: Option<String>,
    /// The requested prompts (empty when malformed: see `problem`).
    pub prompt: PromptSet,
    /// The maximum authentication age in seconds, when sent and valid.
    pub max_age: Option<u32>,
    /// A hint about the user to sign in.
    pub login_hint: Option<String>,
    /// Preferred UI languages (BCP47 tags, space-separated), as sent.
    pub ui_locales: Option<String>,
    /// Requested authentication context classes, in order of preference.
    pub acr_values: Vec<String>,
    /// The RFC 8707 resource indicators, distinct, in order of first appearance (the
    /// parameter may be repeated, §2).
    pub resources: Vec<String>,
    /// Whether a `request` (request object) parameter was sent.
    pub has_request_object: bool,
    /// Whether a `request_uri` parameter was sent.
    pub has_request_uri: bool,
    /// The first malformed parameter, reported once the redirect URI is validated.
    pub problem: Option<AuthorizeError>,
}

fn owned(params: &Params, name: &str) -> Option<String> {
    params.get(name).map(str::to_owned)
}

/// The values without repeats, in order of first appearance.
pub(crate) fn distinct(values: &[String]) -> Vec<String> {
    let mut kept: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        if !kept.contains(value) {
            kept.push(value.clone());
        }
    }
    kept
}

/// Parses `max_age`: a non-negative decimal integer of at most [`MAX_MAX_AGE`].
pub fn parse_max_age(value: &str) -> Result<u32, AuthorizeError> {
    let invalid = || AuthorizeError::invalid_request("max_age must be a non-negative integer");
    // Digits only: no sign, no spaces, no exponent; the length bound rules out overflow.
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let parsed: u64 = value.parse().map_err(|_| invalid())?;
    u32::try_from(parsed)
        .ok()
        .filter(|age| *age <= MAX_MAX_AGE)
        .ok_or_else(|| AuthorizeError::invalid_request("max_age is too large"))
}

/// Parses an authorization request. Fails (to the error page) only without a `client_id`.
pub fn parse_authorization_request(
    params: &Params,
) -> Result<UnverifiedAuthorizationRequest, AuthorizeError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| AuthorizeError::invalid_request("missing parameter: client_id"))?
        .to_owned();
    let mut problems: Vec<AuthorizeError> = Vec::new();
    let prompt = match params.get("prompt").map(PromptSet::parse) {
        Some(Ok(prompt)) => prompt,
        Some(Err(problem)) => {
            problems.push(problem);
            PromptSet::default()
        }
        None => PromptSet::default(),
    };
    let max_age = match params.get("max_age").map(parse_max_age) {
        Some(Ok(age)) => Some(age),
        Some(Err(problem)) => {
            problems.push(problem);
            None
        }
        None => None,
    };
    if params.get("nonce").is_some_and(|n| n.len() > MAX_STATE_LEN) {
        problems.push(AuthorizeError::invalid_request("nonce is too long"));
    }
    Ok(UnverifiedAuthorizationRequest {
        client_id,
        redirect_uri: owned(params, "redirect_uri"),
        response_type: owned(params, "response_type"),
        response_mode: owned(params, "response_mode"),
        scopes: split_scope(params.get("scope")),
        state: owned(params, "state"),
        nonce: owned(params, "nonce"),
        code_challenge: owned(params, "code_challenge"),
        code_challenge_method: owned(params, "code_challenge_method"),
        prompt,
        max_age,
        login_hint: owned(params, "login_hint"),
        ui_locales: owned(params, "ui_locales"),
        acr_values: split_scope(params.get("acr_values")),
        resources: distinct(params.get_all("resource")),
        has_request_object: params.get("request").is_some(),
        has_request_uri: params.get("request_uri").is_some(),
        problem: problems.into_iter().next(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::authorize::AuthorizeErrorCode;

    fn parse(pairs: &[(&str, &str)]) -> Result<UnverifiedAuthorizationRequest, AuthorizeError> {
        let params = Params::from_pairs_repeating(
            pairs.iter().copied(),
            crate::params::REPEATABLE_AUTHORIZATION_PARAMS,
        )
        .unwrap();
        parse_authorization_request(&params)
    }

    #[test]
    fn repeated_resources_are_kept_once_in_order() {
        let request = parse(&[
            ("client_id", "c"),
            ("resource", "https://b.example/api"),
            ("resource", "https://a.example/api"),
            ("resource", "https://b.example/api"),
        ])
        .unwrap();
        assert_eq!(
            request.resources,
            vec!["https://b.example/api", "https://a.example/api"]
        );
        assert!(parse(&[("client_id", "c")]).unwrap().resources.is_empty());
    }

    #[test]
    fn max_age_bounds() {
        for (value, ok) in [
            ("0", Some(0)),
            ("1", Some(1)),
            ("10000", Some(10_000)),
            ("315360000", Some(MAX_MAX_AGE)),
            ("315360001", None),
            ("4294967296", None),
            ("99999999999999999999999", None),
            ("-1", None),
            ("+1", None),
            (" 1", None),
            ("1.5", None),
            ("1e3", None),
            ("0x10", None),
        ] {
            assert_eq!(parse_max_age(value).ok(), ok, "{value}");
        }
    }

    #[test]
    fn prompt_sets() {
        let set = PromptSet::parse("login  consent login").unwrap();
        assert!(set.contains(Prompt::Login) && set.contains(Prompt::Consent));
        assert!(!set.contains(Prompt::None));
        assert!(PromptSet::parse("none").unwrap().contains(Prompt::None));
        assert!(PromptSet::parse("select_account create").is_ok());
        for bad in ["none login", "login none", "none consent", "bogus", "NONE"] {
            let error = PromptSet::parse(bad).unwrap_err();
            assert_eq!(error.code, AuthorizeErrorCode::InvalidRequest, "{bad}");
        }
    }

    #[test]
    fn parsing_defers_problems_until_the_client_is_known() {
        assert!(parse(&[("scope", "openid")]).is_err());
        let request = parse(&[
            ("client_id", "c"),
            ("prompt", "none login"),
            ("max_age", "-5"),
            ("request_uri", "https://x.example/r"),
            ("unknown_parameter", "ignored"),
            ("scope", "openid  profile openid"),
            ("acr_values", "urn:a urn:b"),
        ])
        .unwrap();
        assert_eq!(request.client_id, "c");
        assert_eq!(request.scopes, vec!["openid", "profile"]);
        assert_eq!(request.acr_values, vec!["urn:a", "urn:b"]);
        assert!(request.has_request_uri && !request.has_request_object);
        assert!(request.prompt.is_empty() && request.max_age.is_none());
        let problem = request.problem.unwrap();
        assert!(problem.description.contains("prompt"), "first problem wins");
    }
}
