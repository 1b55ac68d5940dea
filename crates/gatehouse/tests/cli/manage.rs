//! `gatehouse apps|resources|users ...` over the Management API: the real binary against a
//! real `serve`, with the token in `GATEHOUSE_TOKEN` and `--server`. Tables and `--json`,
//! the cursor followed through several pages, the password read from stdin, deletes that
//! refuse without a terminal and without `--yes`, clear errors with their exit codes
//! (1 API error, 2 usage, 4 not logged in or token refused), and never the token in any output.

use crate::common::{Backend, Endpoints, Server, http, start};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

/// What one command did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The single JSON line on stdout.
    fn json(&self) -> Value {
        assert_eq!(self.code, 0, "failed: {}", self.stderr);
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "one JSON line expected:\n{}", self.stdout);
        serde_json::from_str(lines[0]).unwrap()
    }

    /// The ids of a JSON listing.
    fn ids(&self) -> Vec<String> {
        let list = self.json();
        list.as_array()
            .unwrap_or_else(|| panic!("a listing prints an array: {list}"))
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A failure with exit `code`, nothing on stdout and an `error:` line on stderr.
    fn failed(&self, code: i32) -> &str {
        assert_eq!(
            self.code, code,
            "exit code; stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert!(self.stderr.starts_with("error: "), "{}", self.stderr);
        &self.stderr
    }
}

/// A server, its backend and a Management API token.
struct Fixture {
    backend: Backend,
    server: Server,
    token: String,
}

impl Fixture {
    async fn new() -> Self {
        let backend = Backend::new().await;
        let client = backend.create_management_client();
        let server = start(&backend, &Default::default()).await;
        let token = Endpoints::new(&server, &server.base)
            .token(&http(), &client)
            .await;
        Self {
            backend,
            server,
            token,
        }
    }

    /// The binary with `token` in `GATEHOUSE_TOKEN` (if any) and `args`.
    fn command(&self, token: Option<&str>, args: &[&str]) -> Command {
        let mut command = self.backend.bare_command();
        if let Some(token) = token {
            command.env("GATEHOUSE_TOKEN", token);
        }
        command.args(args);
        command
    }

    /// Runs `command` with `stdin`; the token never appears in its output.
    fn run(&self, mut command: Command, stdin: Option<&str>) -> Run {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        let output = child.wait_with_output().unwrap();
        let run = Run {
            code: output.status.code().unwrap(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        };
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(&self.token),
                "{command:?} printed the token:\n{text}"
            );
        }
        run
    }

    /// `gatehouse ARGS --server BASE` with the token, stdin closed.
    fn gh(&self, args: &[&str]) -> Run {
        self.gh_stdin(args, None)
    }

    fn gh_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut command = self.command(Some(&self.token), args);
        command.args(["--server", &self.server.base]);
        self.run(command, stdin)
    }
}

/// The char offset of each header's column in a table's first line, checked in every row:
/// each row has a cell starting at that offset (after a gap) or ends before it.
fn assert_aligned(table: &str, headers: &[&str]) {
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let offsets: Vec<usize> = headers
        .iter()
        .map(|h| {
            header
                .match_indices(h)
                .map(|(offset, _)| offset)
                .find(|offset| *offset == 0 || header[..*offset].ends_with(' '))
                .unwrap_or_else(|| panic!("{h} in {header}"))
        })
        .collect();
    for line in lines {
        for offset in offsets.iter().skip(1) {
            let before = line.get(offset - 1..*offset).unwrap_or(" ");
            let at = line.get(*offset..offset + 1).unwrap_or("");
            assert!(
                before == " " && at != " ",
                "column at {offset} misaligned:\n{table}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_commands_create_list_show_and_delete_over_the_api() {
    let api = Fixture::new().await;
    let billing = api
        .gh(&[
            "apps", "create", "--name", "billing", "--type", "m2m", "--json",
        ])
        .json();
    let billing_id = billing["id"].as_str().unwrap().to_owned();
    assert_eq!(billing["type"], "m2m", "{billing}");
    let secret = billing["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 32, "{billing}");

    // Without --json: a labelled secret line, said to be shown once.
    let web = api.gh(&[
        "apps",
        "create",
        "--name",
        "web portal",
        "--type",
        "web",
        "--redirect-uri",
        "https://app.example/cb",
    ]);
    assert_eq!(web.code, 0, "{}", web.stderr);
    let secret_line = web
        .stdout
        .lines()
        .find(|line| line.starts_with("Client secret:"))
        .unwrap_or_else(|| panic!("a labelled secret line:\n{}", web.stdout));
    assert!(secret_line.split_whitespace().count() == 3, "{secret_line}");
    assert!(web.stderr.contains("shown only once"), "{}", web.stderr);
    assert!(
        web.stdout.contains("https://app.example/cb"),
        "{}",
        web.stdout
    );

    // A table: aligned columns under ID NAME TYPE, one row per app.
    let table = api.gh(&["apps", "list"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.starts_with("ID "), "{}", table.stdout);
    assert_aligned(&table.stdout, &["ID", "NAME", "TYPE", "AUTH", "CREATED"]);
    assert!(table.stdout.contains("web portal"), "{}", table.stdout);
    assert!(table.stdout.contains("gatehouse-cli"), "{}", table.stdout);
    assert!(!table.stdout.contains(secret), "no secret in a listing");

    // --json: one array, the same with one app per request (the cursor followed).
    let ids = api.gh(&["apps", "list", "--json"]).ids();
    assert!(ids.contains(&billing_id), "{ids:?}");
    assert_eq!(
        ids.len(),
        4,
        "ci, gatehouse-cli, billing, web portal: {ids:?}"
    );
    let paged = api
        .gh(&["apps", "list", "--json", "--chunk-size", "1"])
        .ids();
    assert_eq!(paged, ids);

    let shown = api.gh(&["apps", "show", &billing_id, "--json"]).json();
    assert_eq!(shown["id"], billing_id.as_str());
    assert_eq!(shown["name"], "billing");
    assert!(shown.get("client_secret").is_none(), "{shown}");
    let details = api.gh(&["apps", "show", &billing_id]);
    assert!(
        details
            .stdout
            .lines()
            .any(|l| l.starts_with("Name:") && l.ends_with("billing")),
        "{}",
        details.stdout
    );

    // No terminal and no --yes: refused before any request, nothing deleted.
    let refused = api.gh(&["apps", "delete", &billing_id]);
    assert!(refused.failed(2).contains("--yes"), "{}", refused.stderr);
    assert_eq!(api.gh(&["apps", "show", &billing_id, "--json"]).code, 0);

    let deleted = api.gh(&["apps", "delete", &billing_id, "--yes"]);
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    assert!(
        deleted.stderr.contains("Deleted application"),
        "{}",
        deleted.stderr
    );
    let missing = api.gh(&["apps", "show", &billing_id]);
    assert_eq!(
        missing.failed(1).trim(),
        format!("error: application {billing_id} not found")
    );
    let again = api.gh(&["apps", "delete", &billing_id, "--yes"]);
    assert!(again.failed(1).contains("not found"), "{}", again.stderr);

    // The built-in CLI app stays: a conflict with its stable code.
    let builtin = api.gh(&["apps", "delete", "gatehouse-cli", "--yes"]);
    assert!(
        builtin.failed(1).contains("builtin_readonly"),
        "{}",
        builtin.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_commands_create_list_show_and_delete_over_the_api() {
    let api = Fixture::new().await;
    let orders = api
        .gh(&[
            "resources",
            "create",
            "--name",
            "Orders",
            "--indicator",
            "https://api.example/orders",
            "--scope",
            "read:orders",
            "--scope",
            "write:orders=Change orders",
            "--access-token-ttl",
            "600",
            "--json",
        ])
        .json();
    let id = orders["id"].as_str().unwrap().to_owned();
    assert_eq!(orders["access_token_ttl"], 600, "{orders}");
    assert_eq!(orders["scopes"][1]["description"], "Change orders");

    let table = api.gh(&["resources", "list"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert_aligned(&table.stdout, &["ID", "NAME", "INDICATOR", "SCOPES"]);
    assert!(
        table.stdout.contains("https://api.example/orders"),
        "{}",
        table.stdout
    );
    let ids = api.gh(&["resources", "list", "--json"]).ids();
    assert!(
        ids.contains(&id) && ids.contains(&"management-api".to_owned()),
        "{ids:?}"
    );

    // An app granted the resource by indicator, as `admin apps create --resource` does.
    let app = api
        .gh(&[
            "apps",
            "create",
            "--name",
            "orders robot",
            "--type",
            "m2m",
            "--resource",
            "https://api.example/orders=read:orders",
            "--json",
        ])
        .json();
    assert_eq!(
        app["resource_grants"][0]["resource_id"],
        id.as_str(),
        "{app}"
    );
    assert_eq!(app["resource_grants"][0]["scopes"][0], "read:orders");
    let unknown = api.gh(&[
        "apps",
        "create",
        "--name",
        "x",
        "--type",
        "m2m",
        "--resource",
        "https://nope.example",
    ]);
    assert!(
        unknown.failed(1).contains("https://nope.example"),
        "{}",
        unknown.stderr
    );

    let shown = api.gh(&["resources", "show", &id]);
    assert!(
        shown.stdout.contains("write:orders (Change orders)"),
        "{}",
        shown.stdout
    );
    assert_eq!(
        api.gh(&["resources", "show", &id, "--json"]).json()["id"],
        id.as_str()
    );

    let refused = api.gh(&["resources", "delete", &id]);
    refused.failed(2);
    let deleted = api
        .gh(&["resources", "delete", &id, "--yes", "--json"])
        .json();
    assert_eq!(deleted, serde_json::json!({"id": id, "deleted": true}));
    let missing = api.gh(&["resources", "show", &id]);
    assert!(
        missing.failed(1).contains("not found"),
        "{}",
        missing.stderr
    );
    // The app's grant went with the resource.
    let app_id = app["id"].as_str().unwrap();
    let app = api.gh(&["apps", "show", app_id, "--json"]).json();
    assert_eq!(app["resource_grants"], serde_json::json!([]), "{app}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_commands_page_through_the_cursor_and_read_passwords_from_stdin() {
    let api = Fixture::new().await;
    let password = "correct horse battery staple";
    let alice = api.gh_stdin(
        &[
            "users",
            "create",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            "--name",
            "Alice A",
            "--password-stdin",
            "--json",
        ],
        Some(&format!("{password}\n")),
    );
    assert!(!alice.stdout.contains(password) && !alice.stderr.contains(password));
    let alice = alice.json();
    let alice_id = alice["id"].as_str().unwrap().to_owned();
    assert_eq!(alice["has_password"], true, "{alice}");
    assert_eq!(alice["username"], "alice");

    // A weak password: the field is named, nothing created.
    let weak = api.gh_stdin(
        &["users", "create", "--username", "weak", "--password-stdin"],
        Some("password\n"),
    );
    let stderr = weak.failed(1);
    assert!(stderr.contains("validation_failed"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|line| line.trim_start().starts_with("password:")),
        "{stderr}"
    );
    // --password-stdin with nothing on stdin is a usage error.
    let empty = api.gh(&["users", "create", "--username", "empty", "--password-stdin"]);
    empty.failed(2);

    for n in 1..=4 {
        let name = format!("bob{n}");
        let created = api.gh(&["users", "create", "--username", &name]);
        assert_eq!(created.code, 0, "{}", created.stderr);
        assert!(created.stdout.contains("Password:"), "{}", created.stdout);
    }

    // Two users per request: three requests for five users, the same as one request.
    let all = api.gh(&["users", "list", "--json"]).ids();
    assert_eq!(all.len(), 5, "{all:?}");
    let paged = api.gh(&["users", "list", "--json", "--chunk-size", "2"]);
    assert_eq!(paged.ids(), all);
    assert!(
        paged.stderr.is_empty(),
        "no progress without a terminal: {}",
        paged.stderr
    );
    let limited = api.gh(&[
        "users",
        "list",
        "--json",
        "--chunk-size",
        "2",
        "--limit",
        "3",
    ]);
    assert_eq!(limited.ids(), all[..3]);
    assert!(limited.stderr.contains("--limit"), "{}", limited.stderr);
    let bobs = api
        .gh(&[
            "users",
            "list",
            "--query",
            "BOB",
            "--chunk-size",
            "3",
            "--json",
        ])
        .ids();
    assert_eq!(bobs.len(), 4, "{bobs:?}");
    assert!(!bobs.contains(&alice_id));

    let table = api.gh(&["users", "list", "--chunk-size", "2"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert_eq!(table.stdout.lines().count(), 6, "{}", table.stdout);
    assert_aligned(
        &table.stdout,
        &["ID", "USERNAME", "EMAIL", "NAME", "STATUS", "CREATED"],
    );
    assert!(
        table.stdout.contains("alice@example.com"),
        "{}",
        table.stdout
    );

    let nobody = api.gh(&["users", "list", "--query", "nobody"]);
    assert_eq!(nobody.code, 0, "{}", nobody.stderr);
    assert!(nobody.stdout.is_empty(), "{}", nobody.stdout);
    assert!(nobody.stderr.contains("No users"), "{}", nobody.stderr);
    assert_eq!(
        api.gh(&["users", "list", "--query", "nobody", "--json"])
            .stdout,
        "[]\n"
    );

    // GATEHOUSE_SERVER instead of --server.
    let mut command = api.command(Some(&api.token), &["users", "show", &alice_id]);
    command.env("GATEHOUSE_SERVER", &api.server.base);
    let shown = api.run(command, None);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("alice@example.com"),
        "{}",
        shown.stdout
    );
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.starts_with("Password:") && l.ends_with("set")),
        "{}",
        shown.stdout
    );

    let refused = api.gh(&["users", "delete", &alice_id]);
    refused.failed(2);
    assert_eq!(api.gh(&["users", "list", "--json"]).ids().len(), 5);
    let deleted = api.gh(&["users", "delete", &alice_id, "-y"]);
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    let missing = api.gh(&["users", "show", &alice_id]);
    assert_eq!(
        missing.failed(1).trim(),
        format!("error: user {alice_id} not found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_commands_fail_clearly_with_distinct_exit_codes() {
    let api = Fixture::new().await;
    let base = api.server.base.as_str();

    // No token at all.
    let run = api.run(api.command(None, &["apps", "list", "--server", base]), None);
    assert_eq!(
        run.failed(4).trim(),
        "error: Not logged in. Run `gatehouse auth login --server URL` or set GATEHOUSE_TOKEN."
    );

    // A token the server refuses: garbage, or a real one with a broken signature.
    // The signature's first character changes (the last one may only hold padding bits).
    let signature_start = api.token.rfind('.').unwrap() + 1;
    let mut tampered = api.token.clone();
    let first = &api.token[signature_start..signature_start + 1];
    tampered.replace_range(
        signature_start..signature_start + 1,
        if first == "A" { "B" } else { "A" },
    );
    for bad in ["not-a-token", tampered.as_str()] {
        let command = api.command(Some(bad), &["users", "list", "--server", base]);
        let run = api.run(command, None);
        let stderr = run.failed(4);
        assert!(stderr.contains("invalid_token"), "{stderr}");
        assert!(stderr.contains("GATEHOUSE_TOKEN"), "{stderr}");
        assert!(!stderr.contains(bad), "{stderr}");
    }

    // A token but no server.
    let run = api.run(api.command(Some(&api.token), &["apps", "list"]), None);
    assert!(run.failed(2).contains("--server"), "{}", run.stderr);

    // A missing record.
    let run = api.gh(&["apps", "show", "no-such-app"]);
    assert_eq!(
        run.failed(1).trim(),
        "error: application no-such-app not found"
    );

    // Validation: each invalid field on its own line.
    let run = api.gh(&[
        "apps",
        "create",
        "--name",
        "bad",
        "--type",
        "spa",
        "--redirect-uri",
        "not a uri",
    ]);
    let stderr = run.failed(1);
    assert!(stderr.contains("validation_failed"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.trim_start().starts_with("redirect_uris[0]:")),
        "{stderr}"
    );
    let ids = api.gh(&["apps", "list", "--json"]).ids();
    assert_eq!(ids.len(), 2, "nothing created: {ids:?}");

    // Usage errors: clap's exit code.
    let run = api.gh(&["apps", "create", "--name", "x", "--type", "tv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = api.gh(&["users", "list", "--chunk-size", "201"]);
    assert_eq!(run.code, 2, "{}", run.stderr);

    // An unreachable server.
    let closed = format!("http://127.0.0.1:{}", crate::common::free_port());
    let command = api.command(Some(&api.token), &["apps", "list", "--server", &closed]);
    let run = api.run(command, None);
    assert!(
        run.failed(1).contains("cannot reach the server"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_commands_reach_a_tenant_through_its_issuer() {
    let api = Fixture::new().await;
    let created = api
        .backend
        .json(&["admin", "tenants", "create", "acme", "--json"]);
    assert_eq!(created["name"], "acme", "{created}");
    // The running server serves the tenant under its own base URL.
    let issuer = format!("{}/t/acme", api.server.base);
    let client = {
        let created = api.backend.json(&[
            "--tenant",
            "acme",
            "admin",
            "apps",
            "create",
            "--name",
            "acme ci",
            "--type",
            "m2m",
            "--management",
            "--json",
        ]);
        crate::common::ClientCredentials {
            id: created["client_id"].as_str().unwrap().to_owned(),
            secret: created["client_secret"].as_str().unwrap().to_owned(),
        }
    };
    let endpoints = Endpoints {
        base: issuer.clone(),
        issuer: issuer.clone(),
    };
    let token = endpoints.token(&http(), &client).await;

    let mut command = api.command(
        Some(&token),
        &["apps", "list", "--json", "--server", &issuer],
    );
    command.env_remove("GATEHOUSE_SERVER");
    let run = api.run(command, None);
    assert!(!run.stdout.contains(&token) && !run.stderr.contains(&token));
    let names: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|app| app["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"acme ci".to_owned()), "{names:?}");
    assert!(
        !names.contains(&"ci".to_owned()),
        "the root tenant's apps stay apart: {names:?}"
    );

    // The root tenant's token is not accepted by the tenant.
    let command = api.command(Some(&api.token), &["apps", "list", "--server", &issuer]);
    let run = api.run(command, None);
    assert!(run.failed(4).contains("invalid_token"), "{}", run.stderr);
}
