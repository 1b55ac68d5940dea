//! The master key (K-03, M-12): created 0600 in a 0700 data directory, refused when others can
//! read it, and a key that does not open the database's signing keys stops the start.

use crate::common::{Backend, Endpoints, Start, free_port, http, launch, random_master_key};
use std::os::unix::fs::PermissionsExt as _;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Starts `serve` and expects it to exit with a failure; returns its stderr.
async fn serve_must_fail(backend: &Backend, env: &[(&str, &str)], why: &str) -> String {
    let port = free_port();
    let mut command = backend.bare_command();
    command
        .envs(env.iter().copied())
        .args(backend.global_args());
    command.args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    let log = backend.log_path(&format!("must-fail-{port}.log"));
    match launch(command, port, &log).await {
        Start::Ready(server) => panic!("serve started although {why}; log:\n{}", server.log()),
        Start::Exited { status, stderr } => {
            assert!(
                !status.success(),
                "serve exited successfully although {why}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            stderr
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_key_file_permissions_and_wrong_keys_stop_the_start() {
    let mut backend = Backend::new().await;
    backend.master_key = None; // use the key file
    assert!(!backend.data_dir.exists());
    let client = backend.create_management_client();

    let key_file = backend.data_dir.join("master.key");
    assert!(
        key_file.is_file(),
        "the first command creates {}",
        key_file.display()
    );
    assert_eq!(mode(&key_file), 0o600, "master.key must be 0600");
    assert_eq!(
        mode(&backend.data_dir),
        0o700,
        "the data directory must be 0700"
    );

    // Readable by others: refused, with a message naming the file and the fix.
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stderr = serve_must_fail(&backend, &[], "master.key is 0644").await;
    assert!(stderr.contains("master.key"), "{stderr}");
    assert!(
        stderr.contains("readable by group or others") || stderr.contains("permission"),
        "{stderr}"
    );
    assert!(
        stderr.contains("chmod 600"),
        "the message should say how to fix it: {stderr}"
    );
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    // Another key than the one the database was created with.
    let other = random_master_key();
    let stderr = serve_must_fail(
        &backend,
        &[("GATEHOUSE_MASTER_KEY", &other)],
        "the master key is wrong",
    )
    .await;
    assert!(
        stderr.contains("GATEHOUSE_MASTER_KEY") || stderr.to_lowercase().contains("master key"),
        "{stderr}"
    );
    assert!(
        stderr.contains("signing key"),
        "the message should say what cannot be opened: {stderr}"
    );
    // Admin commands refuse it too, and never print a JSON result.
    let mut command = backend.command(&["admin", "apps", "list", "--json"]);
    command.env("GATEHOUSE_MASTER_KEY", &other);
    let stderr = crate::common::run_fail(command);
    assert!(
        stderr.contains("master key") || stderr.contains("GATEHOUSE_MASTER_KEY"),
        "{stderr}"
    );

    // Not a key at all.
    let stderr = serve_must_fail(
        &backend,
        &[("GATEHOUSE_MASTER_KEY", "not-a-key")],
        "the master key is malformed",
    )
    .await;
    assert!(stderr.contains("GATEHOUSE_MASTER_KEY"), "{stderr}");
    assert!(
        !stderr.contains("not-a-key"),
        "the message must not echo the key: {stderr}"
    );

    // The failed starts changed nothing: the right key starts and signs.
    assert_eq!(mode(&key_file), 0o600);
    let server = crate::common::start(&backend, &Default::default()).await;
    let endpoints = Endpoints::new(&server, &server.base);
    let token = endpoints.token(&http(), &client).await;
    assert_eq!(
        endpoints.introspect(&http(), &client, &token).await["active"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_created_with_one_environment_key_refuses_another() {
    let mut backend = Backend::new().await; // GATEHOUSE_MASTER_KEY = a fresh key
    backend.json(&["admin", "tenants", "create", "acme", "--json"]);
    assert!(
        !backend.data_dir.join("master.key").exists(),
        "with GATEHOUSE_MASTER_KEY no key file is written"
    );
    let other = random_master_key();
    let stderr = serve_must_fail(
        &backend,
        &[("GATEHOUSE_MASTER_KEY", &other)],
        "the master key is wrong",
    )
    .await;
    assert!(
        stderr.contains("master key") || stderr.contains("GATEHOUSE_MASTER_KEY"),
        "{stderr}"
    );
    // Without any environment key the binary would create a key file: it must not start
    // on that temporary key either.
    backend.master_key = None;
    let stderr = serve_must_fail(&backend, &[], "the key file is not the database's key").await;
    assert!(
        stderr.contains("master key") || stderr.contains("GATEHOUSE_MASTER_KEY"),
        "{stderr}"
    );
}
