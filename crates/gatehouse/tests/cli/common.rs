//! Harness: a backend (data directory and, for PostgreSQL, a fresh database), the binary run
//! as admin commands or as a `serve` child process killed on drop, and small HTTP helpers.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gatehouse_store_postgres::testing::TestDatabase;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

/// How long a `serve` process may take to become ready (debug build, busy machine).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// True when `GATEHOUSE_TEST_BACKEND=postgres`.
pub fn use_postgres() -> bool {
    std::env::var("GATEHOUSE_TEST_BACKEND")
        .is_ok_and(|value| value.eq_ignore_ascii_case("postgres"))
}

/// A fresh random master key, base64 of 32 bytes.
pub fn random_master_key() -> String {
    let mut bytes = [0u8; 32];
    let mut random = std::fs::File::open("/dev/urandom").unwrap();
    std::io::Read::read_exact(&mut random, &mut bytes).unwrap();
    STANDARD.encode(bytes)
}

/// Where a test's data lives: a temporary directory (logs, the SQLite data directory) and,
/// for PostgreSQL, a fresh database dropped at the end.
pub struct Backend {
    pub dir: TempDir,
    /// `--data-dir` (not created beforehand: the binary creates it).
    pub data_dir: PathBuf,
    /// `--database-url` when not the SQLite default.
    pub database_url: Option<String>,
    /// `GATEHOUSE_MASTER_KEY` given to every process, or None to use the key file.
    pub master_key: Option<String>,
    pub postgres: Option<TestDatabase>,
}

impl Backend {
    /// The backend chosen by `GATEHOUSE_TEST_BACKEND`, with a fresh master key in the environment.
    pub async fn new() -> Self {
        if use_postgres() {
            Self::postgres().await
        } else {
            Self::sqlite()
        }
    }

    /// SQLite in a fresh data directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-cli-")
            .tempdir()
            .unwrap();
        let data_dir = dir.path().join("data");
        Self {
            dir,
            data_dir,
            database_url: None,
            master_key: Some(random_master_key()),
            postgres: None,
        }
    }

    /// A fresh, empty PostgreSQL database (the binary migrates it).
    pub async fn postgres() -> Self {
        let database = gatehouse_store_postgres::testing::empty_database().await;
        let mut backend = Self::sqlite();
        backend.database_url = Some(database.url().to_owned());
        backend.postgres = Some(database);
        backend
    }

    /// "sqlite" or "postgres", for messages.
    pub fn name(&self) -> &'static str {
        if self.postgres.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// The global options naming this backend.
    pub fn global_args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), self.data_dir.display().to_string()];
        if let Some(url) = &self.database_url {
            args.push("--database-url".to_owned());
            args.push(url.clone());
        }
        args
    }

    /// The binary with a clean `GATEHOUSE_*` environment, the master key, and no arguments.
    pub fn bare_command(&self) -> Command {
        let mut command = Command::new(BIN);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("GATEHOUSE_") {
                command.env_remove(name);
            }
        }
        if let Some(key) = &self.master_key {
            command.env("GATEHOUSE_MASTER_KEY", key);
        }
        command.stdin(Stdio::null());
        command
    }

    /// The binary with the global options first, then `args`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = self.bare_command();
        command.args(self.global_args()).args(args);
        command
    }

    /// Runs `args` (after the global options); must succeed and print exactly one JSON object.
    pub fn json(&self, args: &[&str]) -> Value {
        run_json(self.command(args))
    }

    /// Runs `args`; must fail. Returns stderr.
    pub fn fail(&self, args: &[&str]) -> String {
        run_fail(self.command(args))
    }

    /// Creates an m2m application allowed to call the Management API.
    pub fn create_management_client(&self) -> ClientCredentials {
        let created = self.json(&[
            "admin",
            "apps",
            "create",
            "--name",
            "ci",
            "--type",
            "m2m",
            "--management",
            "--json",
        ]);
        ClientCredentials {
            id: created["client_id"].as_str().expect("client_id").to_owned(),
            secret: created["client_secret"]
                .as_str()
                .expect("client_secret")
                .to_owned(),
        }
    }

    /// A log file path in the test's directory.
    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs a command that must succeed and print exactly one JSON object on one line.
pub fn run_json(mut command: Command) -> Value {
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        output.status
    );
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{command:?} must print exactly one JSON line, got:\n{stdout}"
    );
    let value: Value = serde_json::from_str(lines[0])
        .unwrap_or_else(|e| panic!("{command:?} printed no JSON ({e}):\n{stdout}"));
    assert!(
        value.is_object(),
        "{command:?} must print a JSON object, got {value}"
    );
    value
}

/// Runs a command that must fail with a message on stderr and nothing on stdout; returns stderr.
pub fn run_fail(mut command: Command) -> String {
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "{command:?} should have failed:\nstdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.trim().is_empty(),
        "{command:?} failed but printed on stdout: {stdout}"
    );
    assert!(
        !stderr.trim().is_empty(),
        "{command:?} failed without a message on stderr"
    );
    stderr
}

/// An application's credentials.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: String,
}

impl ClientCredentials {
    /// `Authorization: Basic ...` value (RFC 6749 §2.3.1: both parts form-urlencoded first).
    pub fn basic(&self) -> String {
        format!("Basic {}", self.basic_credentials())
    }

    /// The base64 part of the Basic header.
    pub fn basic_credentials(&self) -> String {
        STANDARD.encode(format!(
            "{}:{}",
            form_encode(&self.id),
            form_encode(&self.secret)
        ))
    }
}

/// application/x-www-form-urlencoded encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A free TCP port on 127.0.0.1 (bound then released: callers retry when it was taken).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP client that never uses a proxy and gives up after `timeout`.
pub fn http_with_timeout(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .unwrap()
}

/// The default HTTP client of these tests (30 s timeout).
pub fn http() -> reqwest::Client {
    http_with_timeout(Duration::from_secs(30))
}

/// A `serve` child process, killed (and reaped) when dropped, its stderr in a log file.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub log_path: PathBuf,
    /// From spawning the process to the first 200 from `/readyz`.
    pub startup: Duration,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the server with SIGTERM (graceful), then SIGKILL after 10 s.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !self.is_running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Resident memory in kB, from /proc/PID/status.
    pub fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))
            .expect("VmRSS in /proc status");
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// How a `serve` start ended.
pub enum Start {
    Ready(Server),
    Exited { status: ExitStatus, stderr: String },
}

/// Spawns `command` (which must end with `serve --listen 127.0.0.1:PORT`) and waits until
/// `/readyz` answers 200 or the process exits.
pub async fn launch(mut command: Command, port: u16, log_path: &Path) -> Start {
    let log = std::fs::File::create(log_path).unwrap();
    command.stdout(Stdio::null()).stderr(Stdio::from(log));
    let spawned = Instant::now();
    let child = command.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server {
        child,
        base,
        log_path: log_path.to_owned(),
        startup: Duration::ZERO,
    };
    let http = http_with_timeout(Duration::from_secs(5));
    let ready = format!("{}/readyz", server.base);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Start::Exited {
                status,
                stderr: server.log(),
            };
        }
        if let Ok(response) = http.get(&ready).send().await
            && response.status() == reqwest::StatusCode::OK
        {
            server.startup = spawned.elapsed();
            return Start::Ready(server);
        }
        assert!(
            spawned.elapsed() < READY_TIMEOUT,
            "serve did not become ready within {READY_TIMEOUT:?}; log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Options of a `serve` process.
#[derive(Default, Clone)]
pub struct ServeOptions {
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Extra global options (for example `--issuer`).
    pub args: Vec<String>,
}

/// Starts `serve` on a free port and waits until ready; retries when the port was taken.
pub async fn start(backend: &Backend, options: &ServeOptions) -> Server {
    for attempt in 0..5 {
        let port = free_port();
        let mut command = backend.bare_command();
        command.args(backend.global_args()).args(&options.args);
        command.envs(options.env.iter().map(|(k, v)| (k, v)));
        command.args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
        let log_path = backend.log_path(&format!("serve-{port}-{attempt}.log"));
        match launch(command, port, &log_path).await {
            Start::Ready(server) => return server,
            Start::Exited { stderr, .. } if stderr.contains("cannot listen") => continue,
            Start::Exited { status, stderr } => {
                panic!("serve exited ({status}) on {}:\n{stderr}", backend.name())
            }
        }
    }
    panic!("could not find a free port for serve");
}

/// Decodes a JWT's header and claims (no verification).
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let header = parts.next().expect("JWT header");
    let claims = parts.next().expect("JWT claims");
    assert!(parts.next().is_some(), "a JWS has three parts: {token}");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
    };
    (decode(header), decode(claims))
}

/// OAuth endpoints of one server, reached through `base` (which may differ from the issuer).
pub struct Endpoints {
    pub base: String,
    pub issuer: String,
}

impl Endpoints {
    pub fn new(server: &Server, issuer: &str) -> Self {
        Self {
            base: server.base.clone(),
            issuer: issuer.to_owned(),
        }
    }

    /// The Management API's resource indicator.
    pub fn management_indicator(&self) -> String {
        format!("{}/api", self.issuer)
    }

    /// Client credentials grant for the Management API; returns the raw response.
    pub async fn token_response(
        &self,
        http: &reqwest::Client,
        client: &ClientCredentials,
    ) -> reqwest::Response {
        http.post(format!("{}/oauth2/token", self.base))
            .header("Authorization", client.basic())
            .form(&[
                ("grant_type", "client_credentials"),
                ("resource", &self.management_indicator()),
                ("scope", "all"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A Management API access token.
    pub async fn token(&self, http: &reqwest::Client, client: &ClientCredentials) -> String {
        let response = self.token_response(http, client).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            status,
            reqwest::StatusCode::OK,
            "token request failed: {body}"
        );
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Introspects a token; returns the JSON answer (status must be 200).
    pub async fn introspect(
        &self,
        http: &reqwest::Client,
        client: &ClientCredentials,
        token: &str,
    ) -> Value {
        let response = http
            .post(format!("{}/oauth2/introspect", self.base))
            .header("Authorization", client.basic())
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            status,
            reqwest::StatusCode::OK,
            "introspection failed: {body}"
        );
        body
    }

    /// Revokes a token (status must be 200).
    pub async fn revoke(&self, http: &reqwest::Client, client: &ClientCredentials, token: &str) {
        let response = http
            .post(format!("{}/oauth2/revoke", self.base))
            .header("Authorization", client.basic())
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, reqwest::StatusCode::OK, "revocation failed: {body}");
    }

    /// The JWKS document.
    pub async fn jwks(&self, http: &reqwest::Client) -> Value {
        get_json(http, &format!("{}/.well-known/jwks.json", self.base)).await
    }

    /// Status of `GET /api/applications` with a bearer token.
    pub async fn list_applications_status(
        &self,
        http: &reqwest::Client,
        token: &str,
    ) -> reqwest::StatusCode {
        http.get(format!("{}/api/applications", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
    }
}

/// GET a JSON document (status must be 200).
pub async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let response = http.get(url).send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: not JSON ({e}): {body}"))
}

/// The kids of a JWKS document.
pub fn jwks_kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|key| key["kid"].as_str().expect("kid").to_owned())
        .collect()
}
