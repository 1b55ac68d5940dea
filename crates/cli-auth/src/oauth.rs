//! The provider's endpoints (discovery) and the requests a CLI sends to them: token requests
//! of every grant, revocation, UserInfo. One HTTP client, with an optional `--debug` trace
//! that never shows a secret.

use crate::{Error, Secret};
use serde::Deserialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use url::Url;

/// What discovery tells about a provider (OpenID Connect Discovery 1.0, RFC 8414).
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// The issuer identifier, equal to the one discovery was asked for.
    pub issuer: String,
    /// The authorization endpoint (browser logins).
    pub authorization_endpoint: Option<Url>,
    /// The token endpoint.
    pub token_endpoint: Url,
    /// The device authorization endpoint (RFC 8628), when the provider has one.
    pub device_authorization_endpoint: Option<Url>,
    /// The revocation endpoint (RFC 7009), when the provider has one.
    pub revocation_endpoint: Option<Url>,
    /// The UserInfo endpoint, when the provider has one.
    pub userinfo_endpoint: Option<Url>,
    /// Whether authorization responses carry `iss` (RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// PKCE methods; a provider listing some without `S256` is refused.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
}

/// An OpenID provider or OAuth authorization server, found by discovery.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Its endpoints.
    pub metadata: Metadata,
}

impl Provider {
    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.metadata.issuer
    }
}

/// Tokens from a token endpoint.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token, if one was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// The ID token, if one was issued (kept for its claims: who logged in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    /// When the access token expires (seconds since the Unix epoch), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The access token's scope, if the server said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl TokenSet {
    /// Whether the access token is still good for `margin` (unknown expiry: assumed good).
    pub fn is_fresh(&self, margin: Duration) -> bool {
        self.expires_at
            .is_none_or(|at| now_secs().saturating_add(margin.as_secs()) < at)
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Seconds a token without `expires_in` is assumed to live.
const DEFAULT_LIFETIME: u64 = 300;

/// An RFC 6749 §5.2 error answer.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorResponse {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Form fields whose values are secrets: never shown by `--debug`.
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "client_assertion",
    "client_secret",
    "code",
    "code_verifier",
    "device_code",
    "id_token",
    "password",
    "refresh_token",
    "subject_token",
    "token",
];

/// Form fields with secrets replaced by `[redacted]`, for the debug trace.
pub(crate) fn redact_form(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(key, value)| {
            if SECRET_FIELDS.contains(key) {
                format!("{key}=[redacted]")
            } else {
                format!("{key}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A JSON answer with the values of secret fields replaced, for the debug trace.
pub(crate) fn redact_json(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut map)) => {
            for (key, value) in map.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) {
                    *value = serde_json::Value::String("[redacted]".to_owned());
                }
            }
            serde_json::Value::Object(map).to_string()
        }
        Ok(_) => "[non-object JSON]".to_owned(),
        Err(_) => format!("[{} bytes, not JSON]", body.len()),
    }
}

/// How the client authenticates at the token and revocation endpoints.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// A public client (RFC 6749 §2.1): only `client_id` is sent.
    None {
        /// The client ID.
        client_id: String,
    },
    /// `client_secret_basic` (RFC 6749 §2.3.1).
    Secret {
        /// The client ID.
        client_id: String,
        /// The client secret.
        client_secret: Secret,
    },
}

impl ClientAuth {
    /// The client ID.
    pub fn client_id(&self) -> &str {
        match self {
            Self::None { client_id } | Self::Secret { client_id, .. } => client_id,
        }
    }
}

/// The HTTP client every request goes through.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    debug: bool,
    allow_http: bool,
}

impl Client {
    /// A client with a 30 s timeout per request, no redirects followed (tokens and codes are
    /// never sent anywhere the server did not name) and, with `debug`, a trace of every
    /// request on stderr with secrets redacted.
    pub fn new(debug: bool) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gatehouse-cli-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Http)?;
        Ok(Self {
            http,
            debug,
            allow_http: false,
        })
    }

    /// Whether requests are traced.
    pub fn debug(&self) -> bool {
        self.debug
    }

    fn trace(&self, line: &str) {
        if self.debug {
            eprintln!("[debug] {line}");
        }
    }

    /// Finds a provider by its issuer (`https://id.example.com`, or with a path for
    /// multi-tenant servers). The document must name exactly that issuer (OpenID Connect
    /// Discovery §4.3, RFC 8414 §3.3; a trailing slash typed or not is the only leeway) so a
    /// document cannot send tokens elsewhere, and every endpoint must be https, or http on
    /// this machine only (unless [`Client::allow_http`]).
    pub async fn discover(&self, issuer: &str) -> Result<Provider, Error> {
        let typed = issuer.trim().trim_end_matches('/');
        let base = Url::parse(typed)
            .map_err(|_| Error::Discovery(format!("{} is not a URL", crate::clean(typed))))?;
        self.check_scheme(&base, "the server")?;
        let url = format!("{typed}/.well-known/openid-configuration");
        self.trace(&format!("GET {url}"));
        let response = self.http.get(&url).send().await.map_err(Error::Http)?;
        let status = response.status();
        self.trace(&format!("  -> {status}"));
        if !status.is_success() {
            return Err(Error::Discovery(format!(
                "{url} answered {status}; is {typed} an OpenID provider?"
            )));
        }
        let metadata: Metadata = response
            .json()
            .await
            .map_err(|_| Error::Discovery(format!("{url} did not return provider metadata")))?;
        if metadata.issuer != typed && metadata.issuer != format!("{typed}/") {
            return Err(Error::Discovery(format!(
                "the provider at {typed} says its issuer is {}; refusing to use it",
                crate::clean(&metadata.issuer)
            )));
        }
        if !metadata.code_challenge_methods_supported.is_empty()
            && !metadata
                .code_challenge_methods_supported
                .iter()
                .any(|m| m == "S256")
        {
            return Err(Error::Discovery(
                "the provider does not support PKCE with S256".to_owned(),
            ));
        }
        for (name, endpoint) in [
            (
                "authorization endpoint",
                metadata.authorization_endpoint.as_ref(),
            ),
            ("token endpoint", Some(&metadata.token_endpoint)),
            (
                "device authorization endpoint",
                metadata.device_authorization_endpoint.as_ref(),
            ),
            ("revocation endpoint", metadata.revocation_endpoint.as_ref()),
            ("userinfo endpoint", metadata.userinfo_endpoint.as_ref()),
        ] {
            if let Some(endpoint) = endpoint {
                self.check_scheme(endpoint, name)?;
            }
        }
        Ok(Provider { metadata })
    }

    /// Only https (or http to this machine): a code, token or secret never crosses a network
    /// in clear text, and the browser is never handed a `file:` or custom-scheme URL.
    fn check_scheme(&self, url: &Url, what: &str) -> Result<(), Error> {
        let loopback = match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => Ok(()),
            "http" if loopback || self.allow_http => Ok(()),
            "http" => Err(Error::Discovery(format!(
                "{what} {} is plain http: refusing to send credentials over it (allow it explicitly only on a trusted network)",
                crate::clean(url.as_str())
            ))),
            _ => Err(Error::Discovery(format!(
                "{what} {} is not an http(s) URL",
                crate::clean(url.as_str())
            ))),
        }
    }

    /// Allows plain http to other machines (a lab network); https is required otherwise.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// POSTs a form to an endpoint of the provider with the client's authentication; the raw
    /// status and body.
    pub(crate) async fn post_form(
        &self,
        url: &Url,
        client: &ClientAuth,
        form: &[(&str, &str)],
    ) -> Result<(u16, String), Error> {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let mut request = self.http.post(url.clone());
        match client {
            ClientAuth::None { client_id } => fields.push(("client_id", client_id)),
            ClientAuth::Secret {
                client_id,
                client_secret,
            } => {
                // RFC 6749 §2.3.1: form-urlencode both before Basic.
                let id: String =
                    url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
                let secret: String =
                    url::form_urlencoded::byte_serialize(client_secret.expose().as_bytes())
                        .collect();
                request = request.basic_auth(id, Some(secret));
            }
        }
        let auth = match client {
            ClientAuth::None { .. } => "",
            ClientAuth::Secret { .. } => " (Authorization: Basic [redacted])",
        };
        self.trace(&format!("POST {url}{auth} {}", redact_form(&fields)));
        let response = request
            .form(&fields)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(Error::Http)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(Error::Http)?;
        self.trace(&format!("  -> {status} {}", redact_json(&body)));
        Ok((status, body))
    }

    /// A token request (RFC 6749 §4.1.3, §4.4, §6, RFC 8628 §3.4, RFC 8693 §2.1): the tokens,
    /// or the server's OAuth error.
    pub async fn token_request(
        &self,
        provider: &Provider,
        client: &ClientAuth,
        form: &[(&str, &str)],
    ) -> Result<TokenSet, Error> {
        let (status, body) = self
            .post_form(&provider.metadata.token_endpoint, client, form)
            .await?;
        parse_token_response(status, &body)
    }

    /// Refreshes (RFC 6749 §6), optionally for one `resource` (RFC 8707 §2.2). The answer
    /// carries the rotated refresh token when the server rotates; an `invalid_grant` becomes
    /// [`Error::SessionExpired`].
    pub async fn refresh(
        &self,
        provider: &Provider,
        client: &ClientAuth,
        refresh_token: &Secret,
        resource: Option<&str>,
    ) -> Result<TokenSet, Error> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        if let Some(resource) = resource {
            form.push(("resource", resource));
        }
        match self.token_request(provider, client, &form).await {
            Err(Error::OAuth { error, .. }) if error == "invalid_grant" => {
                Err(Error::SessionExpired)
            }
            other => other,
        }
    }

    /// Client credentials (RFC 6749 §4.4), optionally for one `resource`.
    pub async fn client_credentials(
        &self,
        provider: &Provider,
        client: &ClientAuth,
        resource: Option<&str>,
        scope: Option<&str>,
    ) -> Result<TokenSet, Error> {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(resource) = resource {
            form.push(("resource", resource));
        }
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.token_request(provider, client, &form).await
    }

    /// Token exchange (RFC 8693) of a long-lived `subject_token` of type `token_type` (for
    /// example a personal access token) for a short-lived access token.
    pub async fn exchange(
        &self,
        provider: &Provider,
        client: &ClientAuth,
        subject_token: &Secret,
        token_type: &str,
        resource: Option<&str>,
    ) -> Result<TokenSet, Error> {
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", subject_token.expose()),
            ("subject_token_type", token_type),
        ];
        if let Some(resource) = resource {
            form.push(("resource", resource));
        }
        self.token_request(provider, client, &form).await
    }

    /// Revokes a token (RFC 7009). A provider without a revocation endpoint is an error the
    /// caller may ignore.
    pub async fn revoke(
        &self,
        provider: &Provider,
        client: &ClientAuth,
        token: &Secret,
        hint: &str,
    ) -> Result<(), Error> {
        let Some(endpoint) = provider.metadata.revocation_endpoint.clone() else {
            return Err(Error::Unsupported("token revocation"));
        };
        let form = [("token", token.expose()), ("token_type_hint", hint)];
        let (status, body) = self.post_form(&endpoint, client, &form).await?;
        // RFC 7009 §2.2: 200 whether or not the token was valid.
        if status == 200 {
            return Ok(());
        }
        Err(oauth_error(status, &body))
    }

    /// The UserInfo claims for an access token.
    pub async fn userinfo(
        &self,
        provider: &Provider,
        access_token: &Secret,
    ) -> Result<serde_json::Value, Error> {
        let Some(endpoint) = provider.metadata.userinfo_endpoint.clone() else {
            return Err(Error::Unsupported("UserInfo"));
        };
        self.trace(&format!(
            "GET {endpoint} (Authorization: Bearer [redacted])"
        ));
        let response = self
            .http
            .get(endpoint)
            .bearer_auth(access_token.expose())
            .send()
            .await
            .map_err(Error::Http)?;
        let status = response.status().as_u16();
        self.trace(&format!("  -> {status}"));
        if status == 401 {
            return Err(Error::Unauthorized);
        }
        if status != 200 {
            return Err(Error::Unexpected(format!("UserInfo answered {status}")));
        }
        response.json().await.map_err(Error::Http)
    }

    /// The underlying HTTP client (for calls to APIs with a token from this crate).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// The tokens of a successful answer, or the OAuth error of a failed one.
pub(crate) fn parse_token_response(status: u16, body: &str) -> Result<TokenSet, Error> {
    if status != 200 {
        return Err(oauth_error(status, body));
    }
    let parsed: TokenResponse = serde_json::from_str(body)
        .map_err(|_| Error::Unexpected("the token endpoint answered 200 without tokens".into()))?;
    // RFC 6749 §7.1: only bearer tokens are understood here.
    if let Some(kind) = &parsed.token_type
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(Error::Unexpected(format!(
            "the token endpoint issued a {kind} token; only Bearer is supported"
        )));
    }
    Ok(TokenSet {
        access_token: Secret::new(parsed.access_token),
        refresh_token: parsed.refresh_token.map(Secret::new),
        id_token: parsed.id_token.map(Secret::new),
        // Without expires_in (RFC 6749 §5.1 only RECOMMENDS it), assume a short life so the
        // token is renewed rather than used forever.
        expires_at: Some(now_secs().saturating_add(parsed.expires_in.unwrap_or(DEFAULT_LIFETIME))),
        scope: parsed.scope,
    })
}

/// The OAuth error of a failed answer (or a description of an unexpected one).
pub(crate) fn oauth_error(status: u16, body: &str) -> Error {
    match serde_json::from_str::<ErrorResponse>(body) {
        Ok(error) => Error::OAuth {
            status,
            error: crate::clean(&error.error),
            description: error.error_description.as_deref().map(crate::clean),
        },
        Err(_) => Error::Unexpected(format!("the server answered {status}")),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn debug_traces_never_show_secrets() {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-secret"),
            ("code_verifier", "verifier-secret"),
            ("resource", "https://api.example.com"),
        ];
        let line = redact_form(&form);
        assert!(!line.contains("rt-secret") && !line.contains("verifier-secret"));
        assert!(line.contains("resource=https://api.example.com"));
        let body = r#"{"access_token":"at-secret","refresh_token":"rt2","id_token":"idt","token_type":"Bearer","expires_in":900}"#;
        let shown = redact_json(body);
        for secret in ["at-secret", "rt2", "idt"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("900"));
        assert!(!redact_json("access_token=abc").contains("abc"));
    }

    #[tokio::test]
    async fn plain_http_is_only_for_this_machine() {
        let client = Client::new(false).unwrap();
        for (server, says) in [
            ("http://id.example.invalid", "plain http"),
            ("file:///etc/passwd", "not an http(s) URL"),
            ("javascript:alert(1)", "not"),
        ] {
            match client.discover(server).await {
                Err(Error::Discovery(message)) => assert!(message.contains(says), "{message}"),
                other => panic!("{server}: {other:?}"),
            }
        }
        // Allowed explicitly, the request is attempted (and fails to connect here).
        let lab = Client::new(false).unwrap().allow_http(true);
        assert!(matches!(
            lab.discover("http://id.example.invalid").await,
            Err(Error::Http(_))
        ));
    }

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let error = oauth_error(
            400,
            r#"{"error":"invalid_grant\u001b[2J","error_description":"x\u001b]0;pwned\u0007"}"#,
        );
        let shown = error.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.contains("invalid_grant"));
        assert_eq!(crate::clean(&"a".repeat(500)).len(), 300);
    }

    #[test]
    fn token_answers_and_errors_are_parsed() {
        // No expires_in: assumed to live five minutes, not forever.
        let Ok(bare) = parse_token_response(200, r#"{"access_token":"a","token_type":"Bearer"}"#)
        else {
            unreachable!("a valid answer")
        };
        assert!(bare.is_fresh(Duration::from_secs(200)));
        assert!(!bare.is_fresh(Duration::from_secs(400)));
        let tokens = parse_token_response(
            200,
            r#"{"access_token":"a","token_type":"bearer","expires_in":60,"refresh_token":"r"}"#,
        );
        let Ok(tokens) = tokens else {
            unreachable!("a valid answer")
        };
        assert_eq!(tokens.access_token.expose(), "a");
        assert!(tokens.is_fresh(Duration::from_secs(30)));
        assert!(!tokens.is_fresh(Duration::from_secs(120)));
        assert!(matches!(
            parse_token_response(200, r#"{"access_token":"a","token_type":"DPoP"}"#),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(
            parse_token_response(400, r#"{"error":"invalid_grant","error_description":"used"}"#),
            Err(Error::OAuth { status: 400, ref error, .. }) if error == "invalid_grant"
        ));
        assert!(matches!(
            parse_token_response(502, "<html>bad gateway</html>"),
            Err(Error::Unexpected(_))
        ));
    }
}
