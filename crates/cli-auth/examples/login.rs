//! A complete CLI login in a few lines, against any OpenID provider.
//!
//! ```text
//! cargo run -p gatehouse-cli-auth --example login -- login  --issuer URL --client-id ID [--device] [--prompt consent] [--resource URI]...
//! cargo run -p gatehouse-cli-auth --example login -- status
//! cargo run -p gatehouse-cli-auth --example login -- token  [--resource URI]
//! cargo run -p gatehouse-cli-auth --example login -- logout
//! ```
//! Logins are stored under `$EXAMPLE_CONFIG_DIR` (default `~/.config/cli-auth-example`),
//! secrets in the OS keychain when one answers. Only `token` prints a token.

use gatehouse_cli_auth::{Client, Error, LoginOptions, Method, Session, StderrUi, Store};
use std::path::PathBuf;
use std::process::ExitCode;

fn value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn values(args: &[String], flag: &str) -> Vec<String> {
    args.windows(2)
        .filter(|pair| pair.first().is_some_and(|a| a == flag))
        .filter_map(|pair| pair.get(1).cloned())
        .collect()
}

async fn run(args: Vec<String>) -> Result<(), Error> {
    let dir = std::env::var_os("EXAMPLE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| gatehouse_cli_auth::default_dir("cli-auth-example"))
        .ok_or(Error::Unexpected("no configuration directory".to_owned()))?;
    let store = Store::open(&dir, "cli-auth-example", true)?;
    let client = Client::new(args.iter().any(|a| a == "--debug"))?;
    match args.first().map(String::as_str) {
        Some("login") => {
            let issuer = value(&args, "--issuer")
                .ok_or(Error::Unexpected("--issuer is required".to_owned()))?;
            let client_id = value(&args, "--client-id")
                .ok_or(Error::Unexpected("--client-id is required".to_owned()))?;
            let provider = client.discover(&issuer).await?;
            let mut options = LoginOptions::new(&client_id, "openid profile offline_access");
            options.resources = values(&args, "--resource");
            options.prompt = value(&args, "--prompt");
            if args.iter().any(|a| a == "--device") {
                options.method = Method::Device;
            }
            let login =
                gatehouse_cli_auth::login(&client, &provider, &store, &options, &StderrUi).await?;
            eprintln!(
                "Logged in to {} as {} ({:?}, secrets in {:?}).",
                login.server,
                login.display_name.or(login.subject).unwrap_or_default(),
                login.method,
                login.storage
            );
        }
        Some("status") => {
            let mut session = Session::open(&client, &store, None, None).await?;
            let token = session.access_token(None, false).await?;
            let claims = client.userinfo(session.provider(), &token).await?;
            eprintln!(
                "Logged in to {} as {}.",
                session.login().server,
                claims.get("sub").and_then(|s| s.as_str()).unwrap_or("?")
            );
        }
        Some("token") => {
            let mut session = Session::open(&client, &store, None, None).await?;
            let resource = value(&args, "--resource");
            let token = session.access_token(resource.as_deref(), false).await?;
            println!("{}", token.expose());
        }
        Some("logout") => {
            let session = Session::open(&client, &store, None, None).await?;
            let server = session.login().server.clone();
            let outcome = session.logout().await?;
            eprintln!(
                "Logged out of {server} (revoked at the server: {}).",
                outcome == gatehouse_cli_auth::Logout::Revoked
            );
        }
        _ => eprintln!("usage: login|status|token|logout (see the source for flags)"),
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::SessionExpired) => {
            eprintln!("Session expired. Log in again.");
            ExitCode::from(4)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
