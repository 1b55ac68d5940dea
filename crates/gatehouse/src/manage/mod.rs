//! Management commands over the Management API (`gatehouse apps|resources|users ...`), the way
//! `gh` and `kubectl` work: readable tables on stdout, `--json` for scripts (one array for a
//! listing, one object otherwise), messages and progress on stderr, one `error: ...` line on
//! failure (then one line per invalid field).
//!
//! Every command takes `--server URL` (`GATEHOUSE_SERVER`) and `--json`; the token comes from
//! [`token::management_token`]. Exit codes, as `gh` has them:
//!
//! | Code | Meaning |
//! |------|---------|
//! | 0    | success |
//! | 1    | the API refused the request (not found, validation, conflict, forbidden, ...) or the server could not be reached |
//! | 2    | usage: a bad flag (clap), no server, a delete without `--yes` and without a terminal, a declined prompt |
//! | 4    | not logged in, or the server refused the token (401) |

mod apps;
mod output;
mod resources;
mod token;
mod users;

use clap::{Args, Subcommand};
use gatehouse_client::{Client, ClientError, Page};
use std::future::Future;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use url::Url;

/// Exit code of an API refusal or an unreachable server.
pub const EXIT_ERROR: u8 = 1;
/// Exit code of a usage error (as clap's) or a cancelled command.
pub const EXIT_USAGE: u8 = 2;
/// Exit code when there is no token or the server refuses it.
pub const EXIT_AUTH: u8 = 4;

/// The management commands, flattened into the top-level command list.
#[derive(Debug, Clone, Subcommand)]
pub enum ManageCommand {
    /// Applications (OAuth clients), over the Management API.
    #[command(subcommand)]
    Apps(apps::AppsCommand),
    /// API resources, over the Management API.
    #[command(subcommand)]
    Resources(resources::ResourcesCommand),
    /// Users, over the Management API.
    #[command(subcommand)]
    Users(users::UsersCommand),
}

/// Options every management command takes.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Gatehouse server: the tenant's issuer URL (for example https://id.example.com or
    /// https://id.example.com/t/acme).
    #[arg(long, env = "GATEHOUSE_SERVER", value_name = "URL")]
    pub server: Option<Url>,
    /// The stored login to use when several are logged in (username, email or subject).
    #[arg(long, env = "GATEHOUSE_USER")]
    pub user: Option<String>,
    /// Print the API's JSON on one line: an array for a listing, an object otherwise.
    #[arg(long)]
    pub json: bool,
    /// Show each HTTP request on stderr (tokens and secrets redacted, no bodies).
    #[arg(long)]
    pub debug: bool,
}

/// Options of the listings, which follow the API's cursor from page to page.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Most items to list.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// Items fetched per request (1..=200), like kubectl's --chunk-size.
    #[arg(long, default_value_t = gatehouse_client::MAX_PAGE_SIZE, value_parser = clap::value_parser!(u32).range(1..=i64::from(gatehouse_client::MAX_PAGE_SIZE)))]
    pub chunk_size: u32,
}

/// Options of `delete`.
#[derive(Debug, Clone, Args)]
pub struct DeleteArgs {
    /// The id.
    pub id: String,
    /// Delete without asking (required when standard input is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Why a command failed: the message of the `error:` line, more lines (one per invalid
/// field), and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub exit: u8,
    pub message: String,
    pub details: Vec<String>,
    /// The server refused the token (401): worth one retry with a renewed token.
    pub token_refused: bool,
}

impl Failure {
    pub fn new(exit: u8, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            details: Vec::new(),
            token_refused: false,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(EXIT_USAGE, message)
    }

    /// A client error, where `subject` names the record for a 404 ("application abc").
    pub fn from_client(error: ClientError, subject: Option<&str>) -> Self {
        match &error {
            ClientError::Unauthorized(_) => Self {
                token_refused: true,
                ..Self::new(
                    EXIT_AUTH,
                    format!(
                        "{error}. Log in again (`gatehouse auth login --server URL`) or set a \
                         valid GATEHOUSE_TOKEN."
                    ),
                )
            },
            ClientError::NotFound { problem: Some(_) } => match subject {
                Some(subject) => Self::new(EXIT_ERROR, format!("{subject} not found")),
                None => Self::new(EXIT_ERROR, error.to_string()),
            },
            ClientError::Problem(problem) if !problem.errors.is_empty() => {
                let summary = problem.detail.as_deref().unwrap_or(&problem.title);
                Self {
                    exit: EXIT_ERROR,
                    message: format!("{summary} ({})", problem.code),
                    details: problem
                        .errors
                        .iter()
                        .map(|e| format!("  {}: {}", e.field, e.message))
                        .collect(),
                    token_refused: false,
                }
            }
            ClientError::Problem(problem) => {
                let summary = problem.detail.as_deref().unwrap_or(&problem.title);
                Self::new(EXIT_ERROR, format!("{summary} ({})", problem.code))
            }
            ClientError::InvalidServer(_) | ClientError::InvalidRequest(_) => {
                Self::usage(error.to_string())
            }
            _ => Self::new(EXIT_ERROR, error.to_string()),
        }
    }

    fn print(&self) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "error: {}", output::clean(&self.message));
        for detail in &self.details {
            let _ = writeln!(stderr, "{}", output::clean(detail));
        }
    }
}

/// Runs a management command; prints any failure on stderr and returns the exit code.
pub fn main(command: ManageCommand) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(command));
    // A keychain call that never answered must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.print();
            ExitCode::from(failure.exit)
        }
    }
}

/// Runs a management command. When the server refuses a token of the stored login (401:
/// revoked, or its key rotated away), the command runs once more with a renewed token.
pub async fn run(command: ManageCommand) -> Result<(), Failure> {
    match run_once(command.clone()).await {
        Err(failure) if failure.token_refused && token::renewable() => {
            token::renew_next();
            run_once(command).await
        }
        other => other,
    }
}

async fn run_once(command: ManageCommand) -> Result<(), Failure> {
    match command {
        ManageCommand::Apps(command) => apps::run(command).await,
        ManageCommand::Resources(command) => resources::run(command).await,
        ManageCommand::Users(command) => users::run(command).await,
    }
}

/// A client for the server and token of `args`.
async fn connect(args: &ClientArgs) -> Result<Client, Failure> {
    let (server, token) =
        token::management_token(args.server.as_ref(), args.user.as_deref(), args.debug).await?;
    if server.scheme() == "http" && !is_loopback(&server) {
        eprintln!(
            "warning: {} is plain http: the token crosses the network unencrypted",
            output::clean(server.as_str())
        );
    }
    Client::new(server, token)
        .map(|client| client.with_debug(args.debug))
        .map_err(|e| Failure::from_client(e, None))
}

/// Whether `url` names this machine (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether a `delete` may go ahead: `--yes`, or a terminal to ask on. Checked before any
/// request, so a script without `--yes` changes nothing.
fn check_can_delete(args: &DeleteArgs, what: &str) -> Result<(), Failure> {
    if args.yes || std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "refusing to delete {what} {} without confirmation: standard input is not a terminal. \
         Pass --yes to delete without asking.",
        args.id
    )))
}

/// Asks on the terminal whether to delete `description` (skipped with `--yes`).
fn confirm_delete(args: &DeleteArgs, description: &str) -> Result<(), Failure> {
    if args.yes {
        return Ok(());
    }
    eprint!(
        "Delete {}? This cannot be undone. [y/N] ",
        output::clean(description)
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::usage(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Failure::usage("cancelled: nothing was deleted"))
    }
}

/// After a delete: `{"id": ..., "deleted": true}` with `--json`, a line on stderr otherwise.
fn print_deleted(json: bool, what: &str, id: &str) -> Result<(), Failure> {
    if json {
        output::print_json(&serde_json::json!({ "id": id, "deleted": true }))
    } else {
        eprintln!("Deleted {what} {}.", output::clean(id));
        Ok(())
    }
}

/// Fetches pages through `fetch` (given the page to get, answering items and the next
/// cursor) until the last page or `args.limit` items. Shows progress on stderr from the second
/// page on, when stderr is a terminal. Returns the items and whether more were left.
async fn fetch_pages<T, F, Fut>(
    plural: &str,
    args: &ListArgs,
    mut fetch: F,
) -> Result<(Vec<T>, bool), ClientError>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ClientError>>,
{
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    let progress = std::io::stderr().is_terminal();
    let mut items: Vec<T> = Vec::new();
    let mut after = None;
    let mut pages = 0u32;
    let more = loop {
        let remaining = u32::try_from(limit.saturating_sub(items.len())).unwrap_or(u32::MAX);
        let page = Page {
            after: after.take(),
            limit: Some(args.chunk_size.min(remaining).max(1)),
        };
        if pages >= 1 && progress {
            eprint!("\r\x1b[2KFetching {plural}: {} so far...", items.len());
        }
        let (mut batch, next) = fetch(page).await?;
        pages += 1;
        batch.truncate(limit.saturating_sub(items.len()));
        items.extend(batch);
        match next {
            Some(cursor) if items.len() < limit => after = Some(cursor),
            Some(_) => break true,
            None => break false,
        }
    };
    if pages > 1 && progress {
        eprint!("\r\x1b[2K");
    }
    Ok((items, more))
}

/// The end of a listing: an empty list says so on stderr; a cut one says how to see more.
fn report_listing(count: usize, more: bool, plural: &str, limit: u32) {
    if count == 0 {
        eprintln!("No {plural}.");
    } else if more {
        eprintln!("Showing the first {limit} {plural}; pass --limit to see more.");
    }
}
