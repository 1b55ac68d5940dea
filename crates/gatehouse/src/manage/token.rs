//! Where management commands get their server and Management API token: the one place the
//! stored login (`gatehouse auth login`, a token obtained by refresh) plugs in.
//!
//! Today: `GATEHOUSE_TOKEN`, used as is, with `--server` / `GATEHOUSE_SERVER`. The contract
//! for later: `GATEHOUSE_TOKEN` still wins over a stored login (never silently replaced), and
//! the server defaults to the stored login's.

use super::{EXIT_AUTH, Failure};
use gatehouse_client::BearerToken;
use url::Url;

/// The environment variable holding a Management API access token.
pub const TOKEN_VARIABLE: &str = "GATEHOUSE_TOKEN";

/// The message when no token is available.
pub const NOT_LOGGED_IN: &str =
    "Not logged in. Run `gatehouse auth login --server URL` or set GATEHOUSE_TOKEN.";

/// The server to talk to and a Management API token for it.
pub async fn management_token(server: Option<&Url>) -> Result<(Url, BearerToken), Failure> {
    resolve(server, std::env::var(TOKEN_VARIABLE).ok())
}

/// [`management_token`] on a given environment value (an empty one counts as unset).
fn resolve(server: Option<&Url>, token: Option<String>) -> Result<(Url, BearerToken), Failure> {
    let token = token
        .map(BearerToken::new)
        .filter(|token| !token.expose_secret().is_empty())
        .ok_or_else(|| Failure::new(EXIT_AUTH, NOT_LOGGED_IN))?;
    let server = server.cloned().ok_or_else(|| {
        Failure::usage("no server: pass --server URL (the issuer) or set GATEHOUSE_SERVER")
    })?;
    Ok((server, token))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::manage::EXIT_USAGE;

    #[test]
    fn a_token_and_a_server_are_both_needed() {
        let server = Url::parse("http://127.0.0.1:3000").unwrap();
        for missing in [None, Some(String::new()), Some(" \n".to_owned())] {
            let failure = resolve(Some(&server), missing).unwrap_err();
            assert_eq!(
                (failure.exit, failure.message.as_str()),
                (EXIT_AUTH, NOT_LOGGED_IN)
            );
        }
        let failure = resolve(None, Some("t".to_owned())).unwrap_err();
        assert_eq!(failure.exit, EXIT_USAGE);
        assert!(failure.message.contains("--server"), "{}", failure.message);
        let (url, token) = resolve(Some(&server), Some("abc\n".to_owned())).unwrap();
        assert_eq!((url, token.expose_secret()), (server, "abc"));
    }
}
