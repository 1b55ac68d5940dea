//! The interactive login (browser, falling back to the device flow) and the two
//! non-interactive ones (personal access token, client credentials). Each verifies the
//! credentials with one token request before saving anything.
//!
//! ```text
//!  Auto/Browser: bind 127.0.0.1:0 -> authorization URL (state, S256, resources)
//!     -> show URL + open browser --no browser (Auto, device endpoint)--> device flow
//!     -> wait for the one callback -> code + verifier -> tokens
//!  Device: device code -> show code + URL -> poll -> tokens
//!  then: who (UserInfo) -> save (keychain, else 0600 file) -> the Login
//! ```

use crate::device::DeviceCode;
use crate::loopback::LoopbackServer;
use crate::oauth::{Client, ClientAuth, Provider, TokenSet, now_secs};
use crate::pkce::{Pkce, new_state};
use crate::session::PAT_TOKEN_TYPE;
use crate::store::{Login, LoginMethod, Secrets, Storage, Store};
use crate::{Error, Secret};
use std::time::Duration;
use url::Url;

/// How to log in interactively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The browser, or the device flow when no browser can be opened.
    Auto,
    /// The browser only.
    Browser,
    /// The device flow only.
    Device,
}

/// What an interactive login asks for.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// The (public, native) client.
    pub client_id: String,
    /// Space-separated scopes; include `offline_access` for a refresh token.
    pub scope: String,
    /// Resource indicators (RFC 8707) the login covers.
    pub resources: Vec<String>,
    /// The resource to name when refreshing for the login's own token (for providers whose
    /// grants cover several resources), if any.
    pub own_resource: Option<String>,
    /// Browser, device or either.
    pub method: Method,
    /// How long to wait for the person.
    pub timeout: Duration,
    /// The path of the loopback redirect URI registered for the client.
    pub callback_path: String,
    /// A `prompt` for the authorization request (for example `consent`, which some
    /// providers require before they honour `offline_access`, OIDC Core §11).
    pub prompt: Option<String>,
}

impl LoginOptions {
    /// Options for `client_id` and `scope`: browser or device, 5 minutes, `/callback`.
    pub fn new(client_id: &str, scope: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            resources: Vec::new(),
            own_resource: None,
            method: Method::Auto,
            timeout: Duration::from_secs(300),
            callback_path: "/callback".to_owned(),
            prompt: None,
        }
    }
}

/// How a login talks to the person (a CLI prints to stderr; stdout stays for output).
pub trait Ui: Sync {
    /// The authorization URL, shown before the browser is asked to open it.
    fn authorization_url(&self, url: &str);
    /// Whether the browser could be opened with it (`None`: it was; else why not).
    fn browser_opened(&self, outcome: Option<&str>);
    /// No browser could be opened; the device flow follows.
    fn browser_unavailable(&self, why: &str);
    /// The device flow's code and where to enter it.
    fn device_code(&self, code: &DeviceCode);
}

/// Prints to stderr.
#[derive(Debug, Clone, Copy)]
pub struct StderrUi;

impl Ui for StderrUi {
    fn authorization_url(&self, url: &str) {
        eprintln!("To sign in, open this URL in a browser on this machine:\n\n  {url}\n");
    }

    fn browser_opened(&self, outcome: Option<&str>) {
        match outcome {
            None => eprintln!("Opened your browser. Waiting for the sign-in to complete..."),
            Some(why) => eprintln!(
                "Could not open a browser ({}). Waiting for the sign-in to complete...",
                crate::clean(why)
            ),
        }
    }

    fn browser_unavailable(&self, why: &str) {
        eprintln!("No browser can be opened here ({why}); using a code instead.");
    }

    fn device_code(&self, code: &DeviceCode) {
        eprintln!(
            "To sign in, visit {} and enter the code:\n\n  {}\n",
            code.verification_uri, code.user_code
        );
        if let Some(complete) = &code.verification_uri_complete {
            eprintln!("(or open {complete})");
        }
        eprintln!("Waiting for approval...");
    }
}

/// Logs in interactively and saves the login (the default login from now on).
pub async fn login(
    client: &Client,
    provider: &Provider,
    store: &Store,
    options: &LoginOptions,
    ui: &dyn Ui,
) -> Result<Login, Error> {
    let auth = ClientAuth::None {
        client_id: options.client_id.clone(),
    };
    let has_device = provider.metadata.device_authorization_endpoint.is_some();
    let (tokens, method) = match options.method {
        Method::Device => (
            device_login(client, provider, &auth, options, ui).await?,
            LoginMethod::Device,
        ),
        Method::Browser | Method::Auto => {
            match browser_login(
                client,
                provider,
                &auth,
                options,
                ui,
                options.method == Method::Auto && has_device,
            )
            .await?
            {
                Some(tokens) => (tokens, LoginMethod::Browser),
                None => (
                    device_login(client, provider, &auth, options, ui).await?,
                    LoginMethod::Device,
                ),
            }
        }
    };
    let (subject, display_name) = identify(client, provider, &tokens.access_token).await;
    let login = Login {
        server: provider.issuer().trim_end_matches('/').to_owned(),
        method,
        client_id: options.client_id.clone(),
        subject,
        display_name,
        scope: options.scope.clone(),
        resources: options.resources.clone(),
        own_resource: options.own_resource.clone(),
        storage: Storage::File,
        logged_in_at: now_secs(),
    };
    let secrets = Secrets {
        tokens: Some(tokens),
        ..Secrets::default()
    };
    store.save(login, &secrets).await
}

/// The browser login; `None` when no browser could be opened and the caller should use the
/// device flow instead (only when `may_fall_back`).
async fn browser_login(
    client: &Client,
    provider: &Provider,
    auth: &ClientAuth,
    options: &LoginOptions,
    ui: &dyn Ui,
    may_fall_back: bool,
) -> Result<Option<TokenSet>, Error> {
    let Some(endpoint) = provider.metadata.authorization_endpoint.clone() else {
        return Err(Error::Unsupported(
            "browser logins (no authorization endpoint)",
        ));
    };
    let server = LoopbackServer::bind(&options.callback_path).await?;
    let redirect_uri = server.redirect_uri().to_owned();
    let state = new_state();
    let pkce = Pkce::new();
    let url = authorization_url(
        endpoint,
        auth.client_id(),
        &redirect_uri,
        options,
        &state,
        &pkce,
    );
    // Where no browser can be opened at all (no display), fall back before showing a URL
    // nobody can use.
    if may_fall_back && let Err(crate::browser::NoBrowser(why)) = crate::browser::usable() {
        ui.browser_unavailable(&why);
        return Ok(None);
    }
    ui.authorization_url(url.as_str());
    match crate::browser::open(url.as_str()).await {
        Ok(()) => ui.browser_opened(None),
        Err(crate::browser::NoBrowser(why)) if may_fall_back => {
            ui.browser_unavailable(&why);
            return Ok(None);
        }
        Err(crate::browser::NoBrowser(why)) => ui.browser_opened(Some(&why)),
    }
    let callback = server
        .wait(
            &state,
            provider.issuer(),
            provider
                .metadata
                .authorization_response_iss_parameter_supported,
            options.timeout,
        )
        .await?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", callback.code.expose()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    client.token_request(provider, auth, &form).await.map(Some)
}

/// The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2.1).
fn authorization_url(
    mut endpoint: Url,
    client_id: &str,
    redirect_uri: &str,
    options: &LoginOptions,
    state: &str,
    pkce: &Pkce,
) -> Url {
    {
        let mut query = endpoint.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &options.scope)
            .append_pair("state", state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        for resource in &options.resources {
            query.append_pair("resource", resource);
        }
        if let Some(prompt) = &options.prompt {
            query.append_pair("prompt", prompt);
        }
    }
    endpoint
}

async fn device_login(
    client: &Client,
    provider: &Provider,
    auth: &ClientAuth,
    options: &LoginOptions,
    ui: &dyn Ui,
) -> Result<TokenSet, Error> {
    let code = client
        .start_device_authorization(provider, auth, &options.scope, &options.resources)
        .await?;
    ui.device_code(&code);
    let polling = client.poll_device_authorization(provider, auth, &code);
    match tokio::time::timeout(
        options.timeout.max(Duration::from_secs(code.expires_in)),
        polling,
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::TimedOut),
    }
}

/// Who the token belongs to, from UserInfo (`sub`, and a name to show); nothing when the
/// provider has no UserInfo endpoint or refuses.
async fn identify(
    client: &Client,
    provider: &Provider,
    access_token: &Secret,
) -> (Option<String>, Option<String>) {
    let Ok(claims) = client.userinfo(provider, access_token).await else {
        return (None, None);
    };
    let text = |name: &str| claims.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let name = text("preferred_username")
        .or_else(|| text("email"))
        .or_else(|| text("name"));
    (
        text("sub").map(|s| crate::clean(&s)),
        name.map(|n| crate::clean(&n)),
    )
}

/// Logs in with a personal access token (read by the caller from stdin): it is checked by
/// one exchange (RFC 8693) and then stored; access tokens are exchanged from it on demand.
pub async fn login_with_token(
    client: &Client,
    provider: &Provider,
    store: &Store,
    client_id: &str,
    token: Secret,
) -> Result<Login, Error> {
    let auth = ClientAuth::None {
        client_id: client_id.to_owned(),
    };
    let tokens = client
        .exchange(provider, &auth, &token, PAT_TOKEN_TYPE, None)
        .await?;
    let (subject, display_name) = identify(client, provider, &tokens.access_token).await;
    let login = Login {
        server: provider.issuer().trim_end_matches('/').to_owned(),
        method: LoginMethod::Token,
        client_id: client_id.to_owned(),
        subject,
        display_name,
        scope: tokens.scope.clone().unwrap_or_default(),
        resources: Vec::new(),
        own_resource: None,
        storage: Storage::File,
        logged_in_at: now_secs(),
    };
    let secrets = Secrets {
        tokens: Some(tokens),
        personal_access_token: Some(token),
        ..Secrets::default()
    };
    store.save(login, &secrets).await
}

/// Logs a machine in with its client ID and secret (client credentials, RFC 6749 §4.4):
/// checked by one token request for `resource`, then stored.
pub async fn login_with_client_secret(
    client: &Client,
    provider: &Provider,
    store: &Store,
    client_id: &str,
    client_secret: Secret,
    resource: Option<&str>,
) -> Result<Login, Error> {
    let auth = ClientAuth::Secret {
        client_id: client_id.to_owned(),
        client_secret: client_secret.clone(),
    };
    let tokens = client
        .client_credentials(provider, &auth, resource, None)
        .await?;
    // The login's own token is the one for `resource`.
    let secrets = Secrets {
        tokens: Some(tokens),
        client_secret: Some(client_secret),
        ..Secrets::default()
    };
    let login = Login {
        server: provider.issuer().trim_end_matches('/').to_owned(),
        method: LoginMethod::ClientCredentials,
        client_id: client_id.to_owned(),
        subject: Some(client_id.to_owned()),
        display_name: Some(client_id.to_owned()),
        scope: String::new(),
        resources: resource.map(|r| vec![r.to_owned()]).unwrap_or_default(),
        own_resource: resource.map(str::to_owned),
        storage: Storage::File,
        logged_in_at: now_secs(),
    };
    store.save(login, &secrets).await
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
    fn the_authorization_request_carries_state_pkce_and_resources() {
        let mut options = LoginOptions::new("cli", "openid offline_access");
        options.resources = vec![
            "https://a.example/api".to_owned(),
            "https://b.example".to_owned(),
        ];
        let pkce = Pkce::new();
        let url = authorization_url(
            Url::parse("https://id.example.com/oauth2/authorize").unwrap(),
            "cli",
            "http://127.0.0.1:5000/callback",
            &options,
            "st",
            &pkce,
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| {
            pairs
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("response_type"), ["code"]);
        assert_eq!(get("redirect_uri"), ["http://127.0.0.1:5000/callback"]);
        assert_eq!(get("state"), ["st"]);
        assert_eq!(get("code_challenge_method"), ["S256"]);
        assert_eq!(get("code_challenge"), [pkce.challenge.as_str()]);
        assert_eq!(
            get("resource"),
            ["https://a.example/api", "https://b.example"]
        );
        assert!(!url.as_str().contains(&pkce.verifier));
    }
}
