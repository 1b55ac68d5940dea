//! The command-line contract (DESIGN.md "Contract"): one JSON object per `--json` command,
//! global options before or after the subcommand, clear failures that change nothing, and
//! idempotent migrations.

use crate::common::{Backend, run_fail, run_json};
use serde_json::Value;

fn client_ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|app| app["client_id"].as_str().unwrap().to_owned())
        .collect()
}

fn tenant_names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_create_prints_one_json_object_with_a_secret_only_for_confidential_apps() {
    let backend = Backend::new().await;
    let m2m = backend.json(&[
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
    let client_id = m2m["client_id"].as_str().expect("client_id");
    let secret = m2m["client_secret"].as_str().expect("client_secret");
    assert!(
        !client_id.is_empty() && secret.len() >= 32,
        "weak or empty credentials: {m2m}"
    );

    let spa = backend.json(&[
        "admin",
        "apps",
        "create",
        "--name",
        "front",
        "--type",
        "spa",
        "--redirect-uri",
        "https://app.example.com/callback",
        "--json",
    ]);
    assert!(spa["client_id"].is_string(), "{spa}");
    assert!(
        spa.get("client_secret").is_none(),
        "a public client has no secret: {spa}"
    );

    let list = backend.json(&["admin", "apps", "list", "--json"]);
    let ids = client_ids(&list);
    assert!(ids.iter().any(|id| id == client_id), "{list}");
    assert!(ids.iter().any(|id| spa["client_id"] == *id), "{list}");
    assert!(
        !list.to_string().contains(secret),
        "apps list must never show a secret: {list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_options_are_accepted_before_and_after_the_subcommand() {
    let backend = Backend::new().await;
    let created = backend.json(&[
        "admin", "apps", "create", "--name", "ci", "--type", "m2m", "--json",
    ]);

    // Global options first (Backend::command puts them there).
    let before = backend.json(&["admin", "apps", "list", "--json"]);
    // Global options last.
    let mut command = backend.bare_command();
    command
        .args(["admin", "apps", "list", "--json"])
        .args(backend.global_args());
    let after = run_json(command);
    // Mixed: one in the middle.
    let mut command = backend.bare_command();
    let global = backend.global_args();
    command
        .args(["admin"])
        .args(&global)
        .args(["apps", "list", "--json"]);
    let middle = run_json(command);

    assert!(
        client_ids(&before).contains(&created["client_id"].as_str().unwrap().to_owned()),
        "{before}"
    );
    assert_eq!(
        before, after,
        "same data directory/database whatever the position of the options"
    );
    assert_eq!(before, middle);

    // --tenant is global too.
    backend.json(&["admin", "tenants", "create", "acme", "--json"]);
    let mut command = backend.bare_command();
    command
        .args(["admin", "apps", "list", "--json", "--tenant", "acme"])
        .args(backend.global_args());
    let acme = run_json(command);
    assert!(
        !client_ids(&acme).contains(&created["client_id"].as_str().unwrap().to_owned()),
        "tenants are separate: {acme}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_create_prints_name_and_issuer() {
    let backend = Backend::new().await;
    let created = backend.json(&[
        "--issuer",
        "https://id.example.com/",
        "admin",
        "tenants",
        "create",
        "acme",
        "--json",
    ]);
    assert_eq!(created["name"], "acme", "{created}");
    assert_eq!(
        created["issuer"], "https://id.example.com/t/acme",
        "{created}"
    );

    // Without --issuer the base is the default http://localhost:3000.
    let other = backend.json(&["admin", "tenants", "create", "beta-2", "--json"]);
    assert_eq!(other["issuer"], "http://localhost:3000/t/beta-2", "{other}");

    let list = backend.json(&["admin", "tenants", "list", "--json"]);
    let names = tenant_names(&list);
    assert!(
        names.contains(&"acme".to_owned()) && names.contains(&"beta-2".to_owned()),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_fails_clearly_and_creates_nothing() {
    let backend = Backend::new().await;
    backend.json(&["admin", "tenants", "create", "acme", "--json"]);
    let apps_before = backend.json(&["admin", "apps", "list", "--json"]);
    let tenants_before = backend.json(&["admin", "tenants", "list", "--json"]);

    let stderr = backend.fail(&[
        "admin",
        "apps",
        "create",
        "--name",
        "evil",
        "--type",
        "web",
        "--redirect-uri",
        "http://evil.example/cb",
        "--json",
    ]);
    assert!(
        stderr.contains("redirect"),
        "the message should name the redirect URI problem: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let stderr = backend.fail(&["admin", "tenants", "create", "Bad_Name", "--json"]);
    assert!(
        stderr.contains("tenant name") || stderr.contains("Bad_Name"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a-z"),
        "the message should say what is allowed: {stderr}"
    );

    let stderr = backend.fail(&["admin", "tenants", "create", "acme", "--json"]);
    assert!(
        stderr.contains("acme") && stderr.contains("exists"),
        "{stderr}"
    );

    let stderr = backend.fail(&["admin", "apps", "list", "--json", "--tenant", "nope"]);
    assert!(stderr.contains("nope"), "{stderr}");

    // Not a valid application type: clap's usage error.
    let stderr = backend.fail(&[
        "admin", "apps", "create", "--name", "x", "--type", "robot", "--json",
    ]);
    assert!(stderr.contains("robot"), "{stderr}");

    assert_eq!(
        backend.json(&["admin", "apps", "list", "--json"]),
        apps_before,
        "a failed command created an application"
    );
    assert_eq!(
        backend.json(&["admin", "tenants", "list", "--json"]),
        tenants_before,
        "a failed command created a tenant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_idempotent() {
    let backend = Backend::new().await;
    for run in 0..2 {
        let output = backend.command(&["migrate"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "migrate run {run} failed on {}: {stderr}",
            backend.name()
        );
        assert!(
            stderr.contains(&format!("migrations applied ({})", backend.name())),
            "{stderr}"
        );
    }
    if backend.postgres.is_none() {
        assert!(
            backend.data_dir.join("gatehouse.db").is_file(),
            "migrate creates the SQLite database"
        );
    }
    // The migrated database is usable, and migrating again keeps the data.
    backend.json(&["admin", "tenants", "create", "acme", "--json"]);
    let output = backend.command(&["migrate"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list = backend.json(&["admin", "tenants", "list", "--json"]);
    assert!(tenant_names(&list).contains(&"acme".to_owned()), "{list}");
}

#[test]
fn unknown_database_url_scheme_fails_clearly() {
    let backend = Backend::sqlite();
    let mut command = backend.bare_command();
    command.args(["--database-url", "mysql://localhost/x", "migrate"]);
    let stderr = run_fail(command);
    assert!(
        stderr.contains("sqlite://") && stderr.contains("postgres://"),
        "{stderr}"
    );
}

/// A TOML file given with `--config` sets the data directory and issuer; flags still win;
/// unknown keys stop the command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_is_read_and_flags_override_it() {
    let backend = Backend::sqlite();
    let config = backend.dir.path().join("gatehouse.toml");
    let data_dir = backend.dir.path().join("from-file");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\nissuer = \"https://id.example\"\n",
            data_dir.display()
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let mut command = backend.bare_command();
    command.args([
        "--config", &config, "admin", "tenants", "create", "acme", "--json",
    ]);
    let created = run_json(command);
    assert_eq!(created["issuer"], "https://id.example/t/acme");
    assert!(
        data_dir.join("gatehouse.db").exists(),
        "the file's data_dir is used"
    );

    let mut command = backend.bare_command();
    command.args([
        "--config",
        &config,
        "--issuer",
        "https://flag.example",
        "admin",
        "tenants",
        "list",
        "--json",
    ]);
    let listed = run_json(command);
    assert_eq!(listed["items"][1]["issuer"], "https://flag.example/t/acme");

    let bad = backend.dir.path().join("bad.toml");
    std::fs::write(&bad, "data_dri = \"/tmp/x\"\n").unwrap();
    let mut command = backend.bare_command();
    command.args([
        "--config",
        &bad.display().to_string(),
        "admin",
        "tenants",
        "list",
        "--json",
    ]);
    let stderr = run_fail(command);
    assert!(stderr.contains("unknown field"), "{stderr}");
}
