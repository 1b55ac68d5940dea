//! `gatehouse auth login|status|token|logout`: the CLI's own login, on top of
//! `gatehouse-cli-auth`. Only `auth token` ever prints a token.

use crate::credentials::{
    self, CLI_CLIENT_ID, Failure, access_token, env_token, normalise_server, store,
};
use clap::{Args, Subcommand};
use gatehouse_cli_auth::{
    Login, LoginMethod, LoginOptions, Logout, Method, Secret, Session, StderrUi, Storage, Store,
};
use serde_json::json;
use std::io::{BufRead, IsTerminal};
use std::time::Duration;

/// `gatehouse auth ...`
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Log in: in the browser (authorization code + PKCE on a 127.0.0.1 callback), with a
    /// code where no browser can be opened (or with --device), with a personal access
    /// token (--with-token), or as a machine (--client-id with --client-secret).
    Login(LoginArgs),
    /// Show whether you are logged in, as whom, on which server and where the credentials
    /// are stored (never a token).
    Status(StatusArgs),
    /// Print a valid access token on stdout, renewing it first if needed.
    Token(TokenArgs),
    /// Revoke the login at the server and delete the local credentials.
    Logout(LogoutArgs),
    /// Make another stored login (--server and/or --user) the default.
    Switch(SwitchArgs),
}

/// Options of every client command.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The Gatehouse server (its issuer URL) [default: the server of the stored login].
    #[arg(long, env = "GATEHOUSE_SERVER")]
    pub server: Option<String>,
    /// The account to use when several are logged in (username, email or subject)
    /// [default: the last one logged in, or the one chosen with `auth switch`].
    #[arg(long, env = "GATEHOUSE_USER")]
    pub user: Option<String>,
    /// Show each HTTP request on stderr (tokens, codes and secrets redacted).
    #[arg(long)]
    pub debug: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Use the device flow (a code to enter in any browser) instead of a local browser.
    #[arg(long, conflicts_with_all = ["with_token", "client_secret"])]
    pub device: bool,
    /// Read a personal access token from standard input.
    #[arg(long, conflicts_with_all = ["client_id", "client_secret"])]
    pub with_token: bool,
    /// Client ID: with a client secret (--client-secret or GATEHOUSE_CLIENT_SECRET), log a
    /// machine in (client credentials); without one, the public native application to log
    /// in with [default: gatehouse-cli].
    #[arg(long)]
    pub client_id: Option<String>,
    /// Client secret for --client-id. Prefer GATEHOUSE_CLIENT_SECRET, which keeps it out of
    /// shell history and `ps` (read only together with --client-id).
    #[arg(long, requires = "client_id")]
    pub client_secret: Option<String>,
    /// For a machine login: the API resource the credentials are checked against
    /// [default: the Management API, `<server>/api`].
    #[arg(long, requires = "client_id")]
    pub resource: Option<String>,
    /// Seconds to wait for the sign-in in the browser or the code's approval.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// An API resource indicator (RFC 8707): print a token for that API instead of the
    /// login's own token (for example `<server>/api`, the Management API).
    #[arg(long)]
    pub resource: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct SwitchArgs {
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs an `auth` command.
pub async fn run(command: AuthCommand) -> Result<(), Failure> {
    match command {
        AuthCommand::Login(args) => login(args).await,
        AuthCommand::Status(args) => status(args).await,
        AuthCommand::Token(args) => token(args).await,
        AuthCommand::Logout(args) => logout(args).await,
        AuthCommand::Switch(args) => switch(args).await,
    }
}

fn where_stored(store: &Store, login: &Login) -> String {
    match login.storage {
        Storage::Keychain => "the system keychain".to_owned(),
        Storage::File => format!(
            "{} (a file only you can read; no system keychain is available)",
            store.credentials_path(login).display()
        ),
    }
}

fn who(login: &Login) -> String {
    login
        .display_name
        .clone()
        .or_else(|| login.subject.clone())
        .unwrap_or_else(|| "an unknown account".to_owned())
}

async fn login(args: LoginArgs) -> Result<(), Failure> {
    let store = store()?;
    let server = match &args.client.server {
        Some(server) => normalise_server(server),
        None => credentials::server(&store, None, None)?,
    };
    let client = credentials::http_client(args.client.debug)?;
    let provider = client.discover(&server).await?;
    // The variable is read only for a machine login, so an exported secret never turns a
    // person's login into one.
    let client_secret = args
        .client_id
        .as_ref()
        .and(args.client_secret.clone().or_else(|| {
            std::env::var("GATEHOUSE_CLIENT_SECRET")
                .ok()
                .filter(|s| !s.is_empty())
        }));
    let saved = if args.with_token {
        let token = read_stdin_line()?;
        if token.is_empty() {
            return Err(Failure::new("no token on standard input"));
        }
        gatehouse_cli_auth::login_with_token(
            &client,
            &provider,
            &store,
            CLI_CLIENT_ID,
            Secret::new(token),
        )
        .await
        .map_err(|error| refused("the token", error))?
    } else if let (Some(client_id), Some(secret)) = (&args.client_id, &client_secret) {
        let resource = args
            .resource
            .clone()
            .unwrap_or_else(|| credentials::management_resource(&server));
        gatehouse_cli_auth::login_with_client_secret(
            &client,
            &provider,
            &store,
            client_id,
            Secret::new(secret.clone()),
            Some(&resource),
        )
        .await
        .map_err(|error| refused("the client credentials", error))?
    } else {
        let client_id = args.client_id.as_deref().unwrap_or(CLI_CLIENT_ID);
        let mut options = LoginOptions::new(client_id, "openid profile email offline_access");
        options.method = if args.device {
            Method::Device
        } else {
            Method::Auto
        };
        options.timeout = Duration::from_secs(args.timeout);
        if client_id == CLI_CLIENT_ID {
            // One login covers the person's own token (UserInfo) and, for administrators,
            // the Management API; `auth token --resource` and the management commands get
            // their tokens by refresh (RFC 8707 §2.2).
            let userinfo = provider
                .metadata
                .userinfo_endpoint
                .as_ref()
                .map(|url| url.as_str().to_owned());
            options.resources = userinfo.iter().cloned().collect();
            options
                .resources
                .push(credentials::management_resource(&server));
            options.scope.push_str(" all");
            options.own_resource = userinfo;
        }
        gatehouse_cli_auth::login(&client, &provider, &store, &options, &StderrUi).await?
    };
    let how = match saved.method {
        LoginMethod::Browser => "in the browser",
        LoginMethod::Device => "with a device code",
        LoginMethod::Token => "with a personal access token",
        LoginMethod::ClientCredentials => "with client credentials",
    };
    eprintln!("Logged in to {} as {} ({how}).", saved.server, who(&saved));
    eprintln!(
        "Credentials are stored in {}.",
        where_stored(&store, &saved)
    );
    if env_token().is_some() {
        eprintln!("Note: GATEHOUSE_TOKEN is set and takes precedence over this login.");
    }
    Ok(())
}

/// A failed credential check: "refused" only when the server said so.
fn refused(what: &str, error: gatehouse_cli_auth::Error) -> Failure {
    match error {
        gatehouse_cli_auth::Error::OAuth { .. } => {
            Failure::new(format!("{what} was refused: {error}"))
        }
        other => Failure::from(other),
    }
}

fn read_stdin_line() -> Result<String, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Paste your personal access token, then press Enter:");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|error| Failure::new(format!("cannot read standard input: {error}")))?;
    Ok(line.trim().to_owned())
}

async fn status(args: StatusArgs) -> Result<(), Failure> {
    let store = store()?;
    let client = credentials::http_client(args.client.debug)?;
    if env_token().is_some() {
        let report = json!({
            "logged_in": true,
            "source": "GATEHOUSE_TOKEN",
            "server": args.client.server.as_deref().map(normalise_server),
        });
        if args.json {
            println!("{report}");
        } else {
            eprintln!(
                "Using the token in GATEHOUSE_TOKEN (stored logins are not used while it is set)."
            );
        }
        return Ok(());
    }
    let server = args.client.server.as_deref().map(normalise_server);
    let Some(login) = store.find(server.as_deref(), args.client.user.as_deref())? else {
        if args.json {
            println!("{}", json!({"logged_in": false, "server": server}));
        }
        return Err(Failure::not_logged_in(match server {
            Some(server) => {
                format!("Not logged in to {server}. Run `gatehouse auth login --server {server}`.")
            }
            None => "Not logged in. Run `gatehouse auth login --server URL`.".to_owned(),
        }));
    };
    // Check the login at the server: renew the token if needed and, for people, ask UserInfo.
    let check = async {
        let mut session = Session::for_login(&client, &store, login.clone()).await?;
        let token = session.access_token(None, false).await?;
        if matches!(login.method, LoginMethod::ClientCredentials) {
            return Ok(());
        }
        client.userinfo(session.provider(), &token).await.map(drop)
    };
    let valid = check.await;
    let storage = match login.storage {
        Storage::Keychain => "keychain",
        Storage::File => "file",
    };
    let path = matches!(login.storage, Storage::File)
        .then(|| store.credentials_path(&login).display().to_string());
    let problem = valid.as_ref().err().map(|error| match error {
        gatehouse_cli_auth::Error::SessionExpired | gatehouse_cli_auth::Error::Unauthorized => {
            "Session expired. Run `gatehouse auth login`.".to_owned()
        }
        other => other.to_string(),
    });
    let others: Vec<serde_json::Value> = store
        .logins()?
        .into_iter()
        .filter(|other| other.key() != login.key())
        .map(|other| json!({"server": other.server, "user": other.display_name, "subject": other.subject, "method": other.method}))
        .collect();
    if args.json {
        println!(
            "{}",
            json!({
                "logged_in": valid.is_ok(),
                "server": login.server,
                "user": login.display_name,
                "subject": login.subject,
                "method": login.method,
                "client_id": login.client_id,
                "storage": storage,
                "credentials_file": path,
                "error": problem,
                "other_logins": others,
            })
        );
    } else {
        match &problem {
            None => eprintln!("Logged in to {} as {}.", login.server, who(&login)),
            Some(problem) => eprintln!("{}: {problem}", login.server),
        }
        eprintln!("  Credentials: {}", where_stored(&store, &login));
        if matches!(login.storage, Storage::File) {
            eprintln!(
                "  Warning: no system keychain is reachable, so the credentials are in a file protected only by its permissions (0600)."
            );
        }
    }
    match valid {
        Ok(()) => Ok(()),
        Err(gatehouse_cli_auth::Error::Unauthorized) => Err(Failure {
            message: String::new(),
            code: credentials::EXIT_NOT_LOGGED_IN,
        }),
        Err(error) => Err(Failure {
            message: String::new(),
            code: Failure::from(error).code,
        }),
    }
}

async fn token(args: TokenArgs) -> Result<(), Failure> {
    let store = store()?;
    let client = credentials::http_client(args.client.debug)?;
    let (_, token) = access_token(
        &client,
        &store,
        args.client.server.as_deref(),
        args.client.user.as_deref(),
        args.resource.as_deref(),
        false,
    )
    .await?;
    // The one place a token is printed.
    println!("{}", token.expose());
    Ok(())
}

async fn logout(args: LogoutArgs) -> Result<(), Failure> {
    let store = store()?;
    let client = credentials::http_client(args.client.debug)?;
    let server = args.client.server.as_deref().map(normalise_server);
    let Some(login) = store.find(server.as_deref(), args.client.user.as_deref())? else {
        return Err(Failure::not_logged_in("Not logged in; nothing to do."));
    };
    let outcome = match Session::for_login(&client, &store, login.clone()).await {
        Ok(session) => session.logout().await?,
        Err(error) => {
            // The server is unreachable: still delete the local copies.
            store.remove(&login).await?;
            Logout::Failed(error.to_string())
        }
    };
    match outcome {
        Logout::Revoked => {}
        Logout::TokenStaysValid => eprintln!(
            "Note: the personal access token itself stays valid; revoke it in your account if you no longer need it."
        ),
        Logout::NotRevocable => eprintln!(
            "Warning: the server cannot revoke tokens; they stay valid until they expire. The local credentials are deleted."
        ),
        Logout::Failed(why) => eprintln!(
            "Warning: the server could not revoke the login ({why}); the local credentials are deleted anyway."
        ),
    }
    eprintln!("Logged out of {} ({}).", login.server, who(&login));
    Ok(())
}

async fn switch(args: SwitchArgs) -> Result<(), Failure> {
    if args.client.server.is_none() && args.client.user.is_none() {
        return Err(Failure {
            message: "name the login to switch to with --server and/or --user".to_owned(),
            code: 2,
        });
    }
    let store = store()?;
    let server = args.client.server.as_deref().map(normalise_server);
    let Some(login) = store.find(server.as_deref(), args.client.user.as_deref())? else {
        return Err(Failure::not_logged_in(
            "No such stored login. `gatehouse auth status` lists them.",
        ));
    };
    store.set_default(&login).await?;
    eprintln!("Now using {} as {}.", login.server, who(&login));
    Ok(())
}
