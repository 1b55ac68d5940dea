//! Where the client commands (`auth ...`, `apps ...`, ...) get their credentials: the
//! `GATEHOUSE_TOKEN` variable when set (used as is, never replaced by a stored login), else
//! the stored login of `--server` (or the default login), renewed as needed.

use gatehouse_cli_auth::{Client, Error, Secret, Session, Store};
use std::path::PathBuf;

/// The keychain service name of Gatehouse logins.
pub const KEYCHAIN_SERVICE: &str = "gatehouse-cli";

/// The built-in public native application every tenant has (DESIGN: the CLI's own login).
pub const CLI_CLIENT_ID: &str = gatehouse_core::CLI_CLIENT_ID;

/// Exit code when a command needs a login it does not have (as `gh` does).
pub const EXIT_NOT_LOGGED_IN: u8 = 4;

/// What a client command reports when it fails.
#[derive(Debug)]
pub struct Failure {
    /// The message (never a token).
    pub message: String,
    /// The exit code.
    pub code: u8,
}

impl Failure {
    /// A failure with exit code 1.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }

    /// The "log in first" failure (exit code 4).
    pub fn not_logged_in(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: EXIT_NOT_LOGGED_IN,
        }
    }
}

/// The message of a library error, with the next step where there is one.
impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::SessionExpired => {
                Self::not_logged_in("Session expired. Run `gatehouse auth login`.")
            }
            Error::NotLoggedIn => Self::not_logged_in(
                "Not logged in. Run `gatehouse auth login --server URL` or set GATEHOUSE_TOKEN.",
            ),
            other => Self::new(other.to_string()),
        }
    }
}

/// The configuration directory: `$GATEHOUSE_CONFIG_DIR`, else the XDG config dir.
pub fn config_dir() -> Result<PathBuf, Failure> {
    if let Some(dir) = std::env::var_os("GATEHOUSE_CONFIG_DIR").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    gatehouse_cli_auth::default_dir("gatehouse").ok_or_else(|| {
        Failure::new("cannot find a configuration directory: set GATEHOUSE_CONFIG_DIR or HOME")
    })
}

/// The credential store (the OS keychain unless `GATEHOUSE_NO_KEYCHAIN` is set, else files).
pub fn store() -> Result<Store, Failure> {
    let use_keychain = std::env::var_os("GATEHOUSE_NO_KEYCHAIN").is_none_or(|v| v.is_empty());
    Store::open(&config_dir()?, KEYCHAIN_SERVICE, use_keychain).map_err(Failure::from)
}

/// The HTTP client of the client commands: https only, or http to this machine, unless
/// `GATEHOUSE_ALLOW_HTTP=1` (a trusted lab network); `--debug` traces requests.
pub fn http_client(debug: bool) -> Result<Client, Failure> {
    let allow_http = std::env::var("GATEHOUSE_ALLOW_HTTP").is_ok_and(|v| v == "1");
    Ok(Client::new(debug)?.allow_http(allow_http))
}

/// `GATEHOUSE_TOKEN`, when set.
pub fn env_token() -> Option<Secret> {
    std::env::var("GATEHOUSE_TOKEN")
        .ok()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .map(Secret::new)
}

/// Normalises a server URL as given on the command line.
pub fn normalise_server(server: &str) -> String {
    server.trim().trim_end_matches('/').to_owned()
}

/// The server a command talks to: `--server`/`GATEHOUSE_SERVER`, else the server of the
/// login of `user` (or the default login).
pub fn server(store: &Store, flag: Option<&str>, user: Option<&str>) -> Result<String, Failure> {
    if let Some(server) = flag {
        return Ok(normalise_server(server));
    }
    match store.find(None, user).map_err(Failure::from)? {
        Some(login) => Ok(login.server),
        None => Err(Failure::not_logged_in(
            "No server given and no stored login. Pass --server URL (or set GATEHOUSE_SERVER), or run `gatehouse auth login --server URL`.",
        )),
    }
}

/// The Management API's resource indicator on `server` (DESIGN: `<issuer>/api`).
pub fn management_resource(server: &str) -> String {
    format!("{}/api", normalise_server(server))
}

/// An access token for `resource` (or the login's own token) on `server`, and the server:
/// `GATEHOUSE_TOKEN` as is (a personal access token in it is exchanged first, since APIs
/// take only short-lived tokens), else the stored login, renewed when needed or `force`d.
pub async fn access_token(
    client: &Client,
    store: &Store,
    server_flag: Option<&str>,
    user: Option<&str>,
    resource: Option<&str>,
    force: bool,
) -> Result<(String, Secret), Failure> {
    if let Some(token) = env_token() {
        if !token.expose().starts_with(gatehouse_core::pat::PAT_PREFIX) {
            return Ok((server(store, server_flag, None).unwrap_or_default(), token));
        }
        let server = server(store, server_flag, None)?;
        let provider = client.discover(&server).await?;
        let auth = gatehouse_cli_auth::ClientAuth::None {
            client_id: CLI_CLIENT_ID.to_owned(),
        };
        let tokens = client
            .exchange(
                &provider,
                &auth,
                &token,
                "urn:gatehouse:params:oauth:token-type:personal_access_token",
                resource,
            )
            .await
            .map_err(|error| Failure::new(format!("GATEHOUSE_TOKEN was refused: {error}")))?;
        return Ok((server, tokens.access_token));
    }
    let server = server_flag.map(normalise_server);
    let mut session = Session::open(client, store, server.as_deref(), user).await?;
    let token = session.access_token(resource, force).await?;
    Ok((session.login().server.clone(), token))
}
