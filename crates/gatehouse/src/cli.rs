//! Command-line interface. Global options may come before or after the subcommand and can be
//! set through `GATEHOUSE_*` environment variables.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Gatehouse: an OpenID Connect provider and OAuth 2.1 authorization server.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes. Each may also come from `GATEHOUSE_*` variables or the TOML
/// file named by `--config`; flags win over variables, variables over the file.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// TOML configuration file (keys: listen, issuer, database_url, database_max_connections,
    /// data_dir, log, log_format, signing_alg).
    #[arg(long, global = true, env = "GATEHOUSE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://... (default: SQLite in the data directory).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Most database connections per process [default: 4 on SQLite, 10 on PostgreSQL].
    #[arg(long, global = true, env = "GATEHOUSE_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,
    /// Data directory for the SQLite database and the master key file [default: ./gatehouse-data].
    #[arg(long, global = true, env = "GATEHOUSE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Tenant to act on (admin commands); default: the root tenant.
    #[arg(long, global = true, env = "GATEHOUSE_TENANT")]
    pub tenant: Option<String>,
    /// Base URL (issuer of the root tenant). Default: http://localhost:3000, or http://LISTEN
    /// when --listen is set.
    #[arg(long, global = true, env = "GATEHOUSE_ISSUER")]
    pub issuer: Option<String>,
    /// Algorithm of signing keys created for new tenants (and on first start) [default: es256].
    #[arg(long, global = true, env = "GATEHOUSE_SIGNING_ALG", value_enum)]
    pub signing_alg: Option<Alg>,
    /// Absolute lifetime of a sign-in session in seconds, whatever its activity
    /// [default: 1209600, 14 days].
    #[arg(long, global = true, env = "GATEHOUSE_SESSION_LIFETIME")]
    pub session_lifetime: Option<i64>,
    /// A session without any request for this many seconds ends [default: 259200, 3 days].
    #[arg(long, global = true, env = "GATEHOUSE_SESSION_IDLE_TIMEOUT")]
    pub session_idle_timeout: Option<i64>,
    /// Log filter (tracing syntax), for example `info` or `gatehouse=debug` [default: info,sqlx=warn].
    #[arg(long, global = true, env = "GATEHOUSE_LOG")]
    pub log: Option<String>,
    /// Log format [default: text].
    #[arg(long, global = true, env = "GATEHOUSE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

/// How logs are written (always to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrations run first).
    Serve(ServeArgs),
    /// Run database migrations and exit.
    Migrate,
    /// Offline administration on the database (works while the server runs).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Log in to a Gatehouse server, show the login, print a token, log out.
    #[command(subcommand)]
    Auth(crate::auth::AuthCommand),
    /// `apps`, `resources` and `users`: management over the Management API.
    #[command(flatten)]
    Manage(crate::manage::ManageCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "GATEHOUSE_LISTEN")]
    pub listen: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the tenant's first administrator (works once per tenant; prints its id).
    Bootstrap(BootstrapArgs),
    /// Applications (OAuth clients).
    #[command(subcommand)]
    Apps(AppsCommand),
    /// API resources.
    #[command(subcommand)]
    Resources(ResourcesCommand),
    /// Tenants.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Users.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The administrator's email address.
    #[arg(long)]
    pub email: String,
    /// An optional username.
    #[arg(long)]
    pub username: Option<String>,
    /// Password. Prefer --password-stdin, which keeps it out of shell history and `ps`.
    #[arg(
        long,
        conflicts_with = "password_stdin",
        required_unless_present = "password_stdin"
    )]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user; prints its id.
    Create(UsersCreateArgs),
    /// List users (every page), optionally searching.
    List(UsersListArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("identifier").required(true).multiple(true).args(["username", "email"])))]
pub struct UsersCreateArgs {
    /// Username (compared case-insensitively after Unicode normalization).
    #[arg(long)]
    pub username: Option<String>,
    /// Email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Password. Prefer --password-stdin, which keeps it out of shell history and `ps`.
    #[arg(long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Mark the email address as verified.
    #[arg(long)]
    pub email_verified: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UsersListArgs {
    /// Keep users whose username, email or name contains this text (case-insensitive).
    #[arg(long)]
    pub query: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Create an application; prints its client_id and, for web and m2m apps without --jwks,
    /// its secret (once).
    Create(AppsCreateArgs),
    /// List applications.
    List(JsonFlag),
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AppsCreateArgs {
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Application type.
    #[arg(long = "type", value_enum)]
    pub app_type: AppType,
    /// Redirect URI (repeatable).
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Third-party application: always asks for consent.
    #[arg(long)]
    pub third_party: bool,
    /// Allow the device authorization grant (RFC 8628); native applications only.
    #[arg(long)]
    pub device_flow: bool,
    /// Allow the application to obtain Management API tokens (scope `all`).
    #[arg(long)]
    pub management: bool,
    /// Grant a resource: INDICATOR or INDICATOR=scope1,scope2 (repeatable).
    #[arg(long = "resource")]
    pub resources: Vec<String>,
    /// Absolute lifetime of the app's refresh token families in seconds, counted from the
    /// first token (60..=31622400) [default: the server's, 30 days].
    #[arg(long, value_name = "SECS")]
    pub refresh_token_ttl: Option<u32>,
    /// Refresh tokens unused for this many seconds die (60..=31622400, at most the absolute
    /// lifetime) [default: the server's, 14 days].
    #[arg(long, value_name = "SECS")]
    pub refresh_token_idle_ttl: Option<u32>,
    /// Public JWK Set (a JSON file) whose keys sign the app's private_key_jwt client
    /// assertions; web and m2m apps only, which then get no client secret.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AppType {
    Spa,
    Native,
    Web,
    M2m,
}

#[derive(Debug, Subcommand)]
pub enum ResourcesCommand {
    /// Create an API resource.
    Create(ResourcesCreateArgs),
    /// List API resources.
    List(JsonFlag),
}

#[derive(Debug, Args)]
pub struct ResourcesCreateArgs {
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Resource indicator (absolute URI): the `aud` of its tokens.
    #[arg(long)]
    pub indicator: String,
    /// Permission (repeatable).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// Access token lifetime in seconds.
    #[arg(long)]
    pub access_token_ttl: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Create a tenant served at <base>/t/NAME.
    Create(TenantsCreateArgs),
    /// List tenants.
    List(JsonFlag),
}

#[derive(Debug, Args)]
pub struct TenantsCreateArgs {
    /// Tenant name (a-z, 0-9, '-').
    pub name: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new signing key; current keys retire when it activates and stay published
    /// until every token they signed has expired.
    Rotate(KeysRotateArgs),
    /// List signing keys.
    List(JsonFlag),
}

#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    /// Algorithm of the new key.
    #[arg(long, value_enum, default_value = "es256")]
    pub alg: Alg,
    /// Seconds the new key is published before it signs (longer than any JWKS cache).
    #[arg(long, default_value_t = 90)]
    pub activate_in: i64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Alg {
    Es256,
    Rs256,
}
