//! Log a command-line tool in to any OpenID Connect provider, the way RFC 8252 and RFC 9700
//! say it should be done, and keep it logged in.
//!
//! - **Browser**: authorization code + PKCE (S256) with a fresh high-entropy `state`, a
//!   callback server on `127.0.0.1` (never `0.0.0.0`) on a port the system picks, the
//!   browser opened with `$BROWSER` or the system opener, the URL always shown too,
//!   `iss` checked (RFC 9207), exactly one callback accepted, a clean timeout.
//! - **Device code** (RFC 8628) where no browser can be opened (SSH, containers), polling no
//!   faster than the server allows.
//! - **Personal access tokens** exchanged for short-lived access tokens (RFC 8693), and
//!   **client credentials** for machines.
//! - **Storage** in the OS keychain ([`keyring`]) or, where none answers, in files only their
//!   owner can read; several servers side by side.
//! - **Transparent refresh** under a lock, storing the rotated refresh token atomically.
//! - A `--debug` trace that never shows a token, code, verifier or secret.
//!
//! ```no_run
//! use gatehouse_cli_auth::{Client, LoginOptions, Method, Session, Store, StderrUi, login};
//! # async fn run() -> Result<(), gatehouse_cli_auth::Error> {
//! let client = Client::new(false)?;
//! let provider = client.discover("https://id.example.com").await?;
//! let store = Store::open(std::path::Path::new("/home/me/.config/mytool"), "mytool", true)?;
//! let options = LoginOptions::new("my-cli-client-id", "openid profile offline_access");
//! let saved = login(&client, &provider, &store, &options, &StderrUi).await?;
//! let mut session = Session::open(&client, &store, Some(&saved.server), None).await?;
//! let token = session.access_token(None, false).await?; // refreshed if about to expire
//! # let _ = token; Ok(()) }
//! ```
#![warn(missing_docs)]

mod browser;
mod device;
mod login;
mod loopback;
mod oauth;
mod pkce;
mod secret;
mod session;
mod store;

pub use browser::{NoBrowser, open as open_browser};
pub use device::{DEVICE_CODE_GRANT, DeviceCode};
pub use login::{
    LoginOptions, Method, StderrUi, Ui, login, login_with_client_secret, login_with_token,
};
pub use loopback::{Callback, LoopbackServer};
pub use oauth::{Client, ClientAuth, Metadata, Provider, TokenSet};
pub use secret::Secret;
pub use session::{Logout, Session};
pub use store::{LockGuard, Login, LoginMethod, Secrets, Storage, Store, default_dir};

/// Text from a server or a browser, made safe to print on a terminal: control characters
/// (escape sequences could rewrite what the person sees) become U+FFFD, and it is cut to
/// 300 characters.
pub fn clean(text: &str) -> String {
    text.chars()
        .take(300)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// What can go wrong. Messages never contain a token or secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider could not be discovered or is not usable.
    #[error("{0}")]
    Discovery(String),
    /// A request could not be sent or its answer not read.
    #[error("cannot reach the server: {0}")]
    Http(#[source] reqwest::Error),
    /// The server answered with an OAuth error (RFC 6749 §5.2).
    #[error("the server refused: {error}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    OAuth {
        /// HTTP status.
        status: u16,
        /// The `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
    /// The authorization response carried an error (RFC 6749 §4.1.2.1).
    #[error("the sign-in failed: {error}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Authorization {
        /// The `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
    /// The callback was unusable (another issuer, no code).
    #[error("the sign-in response was refused: {0}")]
    Callback(String),
    /// Nobody completed the sign-in in time.
    #[error("timed out waiting for the sign-in to complete in the browser")]
    TimedOut,
    /// The person denied the request.
    #[error("the request was denied")]
    Denied,
    /// The device code expired before the person approved it.
    #[error("the code expired before it was approved; run the login again")]
    DeviceCodeExpired,
    /// The refresh token is no longer valid (expired, revoked or reused).
    #[error("session expired")]
    SessionExpired,
    /// The access token was refused (401).
    #[error("the server refused the access token")]
    Unauthorized,
    /// There is no stored login.
    #[error("not logged in")]
    NotLoggedIn,
    /// The provider lacks what this needs.
    #[error("the server does not support {0}")]
    Unsupported(&'static str),
    /// The credential store failed.
    #[error("credential storage: {0}")]
    Storage(String),
    /// A local I/O error.
    #[error("{0}")]
    Io(#[source] std::io::Error),
    /// An answer this client does not understand.
    #[error("{0}")]
    Unexpected(String),
}
