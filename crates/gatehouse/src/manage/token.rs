//! Where management commands get their server and Management API token: `GATEHOUSE_TOKEN`
//! when set (used as is, never silently replaced by a stored login; a personal access token
//! in it is exchanged first), else the stored login of `gatehouse auth login`, whose
//! Management API token is obtained by refresh (RFC 8707 §2.2) and renewed before it expires.
//! The server is `--server`/`GATEHOUSE_SERVER`, else the stored login's.

use super::{EXIT_AUTH, Failure};
use crate::credentials;
use gatehouse_client::BearerToken;
use std::sync::atomic::{AtomicBool, Ordering};
use url::Url;

/// Set after the server refused a stored login's token: the next one is renewed first.
static RENEW: AtomicBool = AtomicBool::new(false);

/// Whether a refused token can be renewed (it came from a stored login, not the environment).
pub fn renewable() -> bool {
    credentials::env_token().is_none()
}

/// Renew the next token even if it has not expired.
pub fn renew_next() {
    RENEW.store(true, Ordering::SeqCst);
}

/// The server to talk to and a Management API token for it.
pub async fn management_token(
    server: Option<&Url>,
    user: Option<&str>,
    debug: bool,
) -> Result<(Url, BearerToken), Failure> {
    let store = credentials::store().map_err(convert)?;
    let flag = server.map(|url| url.as_str().trim_end_matches('/').to_owned());
    let server = credentials::server(&store, flag.as_deref(), user).map_err(|failure| {
        if credentials::env_token().is_some() {
            Failure::usage("no server: pass --server URL (the issuer) or set GATEHOUSE_SERVER")
        } else {
            convert(failure)
        }
    })?;
    let client = credentials::http_client(debug).map_err(convert)?;
    let resource = credentials::management_resource(&server);
    let force = RENEW.swap(false, Ordering::SeqCst);
    let (server, token) =
        credentials::access_token(&client, &store, Some(&server), user, Some(&resource), force)
            .await
            .map_err(convert)?;
    let url = Url::parse(&server)
        .map_err(|_| Failure::usage(format!("{server} is not a valid server URL")))?;
    Ok((url, BearerToken::new(token.expose().to_owned())))
}

fn convert(failure: credentials::Failure) -> Failure {
    let exit = match failure.code {
        credentials::EXIT_NOT_LOGGED_IN => EXIT_AUTH,
        other => other,
    };
    Failure::new(exit, failure.message)
}
