//! `gatehouse admin users ...`: the contract's `users create` (one JSON object with `id`),
//! duplicates and weak passwords failing without creating anything, `--password-stdin`, and
//! no plaintext password anywhere in the database files.

use crate::common::{Backend, run_fail, run_json};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

const PASSWORD: &str = "correct horse battery";

fn usernames(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|user| user["username"].as_str().map(str::to_owned))
        .collect()
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_create_prints_an_id_and_refuses_duplicates_and_weak_passwords() {
    let backend = Backend::new().await;
    let alice = backend.json(&[
        "admin",
        "users",
        "create",
        "--username",
        "alice",
        "--email",
        "alice@example.com",
        "--password",
        PASSWORD,
        "--json",
    ]);
    let id = alice["id"].as_str().expect("id");
    assert!(!id.is_empty(), "{alice}");
    assert_eq!(alice["username"], "alice");
    assert!(!alice.to_string().contains("argon2"), "{alice}");

    // The same canonical username, or the same email, fails and changes nothing.
    let stderr = backend.fail(&[
        "admin",
        "users",
        "create",
        "--username",
        "Alice ",
        "--password",
        PASSWORD,
        "--json",
    ]);
    assert!(stderr.contains("username"), "{stderr}");
    let stderr = backend.fail(&[
        "admin",
        "users",
        "create",
        "--username",
        "alice2",
        "--email",
        "ALICE@example.com",
        "--password",
        PASSWORD,
    ]);
    assert!(stderr.contains("email"), "{stderr}");
    // A weak password names the field and the reason.
    let stderr = backend.fail(&[
        "admin",
        "users",
        "create",
        "--username",
        "bob",
        "--password",
        "password1",
    ]);
    assert!(
        stderr.contains("password:") && stderr.contains("common"),
        "{stderr}"
    );
    let stderr = backend.fail(&[
        "admin",
        "users",
        "create",
        "--username",
        "bob",
        "--password",
        "bob",
    ]);
    assert!(stderr.contains("password:"), "{stderr}");

    let list = backend.json(&["admin", "users", "list", "--json"]);
    assert_eq!(usernames(&list), ["alice"], "{list}");
    assert!(!list.to_string().contains("argon2"), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_create_reads_the_password_from_stdin_and_stores_no_plaintext() {
    let backend = Backend::new().await;
    let mut command = backend.command(&[
        "admin",
        "users",
        "create",
        "--username",
        "carol",
        "--password-stdin",
        "--json",
    ]);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let carol: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(carol["username"], "carol");
    assert_eq!(carol["has_password"], true);

    // An empty stdin is refused.
    let mut empty = backend.command(&[
        "admin",
        "users",
        "create",
        "--username",
        "dave",
        "--password-stdin",
    ]);
    empty.stdin(Stdio::null());
    run_fail(empty);

    backend.json(&[
        "admin",
        "users",
        "create",
        "--username",
        "erin",
        "--password",
        PASSWORD,
        "--json",
    ]);
    let found = run_json(backend.command(&["admin", "users", "list", "--query", "CAR", "--json"]));
    assert_eq!(usernames(&found), ["carol"], "{found}");

    if backend.postgres.is_none() {
        let needle = PASSWORD.as_bytes();
        let database_files = files(&backend.data_dir);
        assert!(
            database_files.iter().any(|f| f.ends_with("gatehouse.db")),
            "{database_files:?}"
        );
        for file in database_files {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.windows(needle.len()).any(|window| window == needle),
                "{} holds the plaintext password",
                file.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_creates_the_first_administrator_once() {
    let backend = Backend::new().await;
    // A weak password is refused and does not use up the bootstrap.
    let stderr = backend.fail(&[
        "admin",
        "bootstrap",
        "--email",
        "root@example.com",
        "--password",
        "password1",
    ]);
    assert!(stderr.contains("password:"), "{stderr}");
    let admin = backend.json(&[
        "admin",
        "bootstrap",
        "--email",
        "root@example.com",
        "--password",
        PASSWORD,
        "--json",
    ]);
    let id = admin["id"].as_str().expect("id");
    assert_eq!(admin["email"], "root@example.com");
    // Never again, with any identity (checklist U-18).
    let stderr = backend.fail(&[
        "admin",
        "bootstrap",
        "--email",
        "second@example.com",
        "--password",
        PASSWORD,
    ]);
    assert!(
        stderr.contains("already has its first administrator"),
        "{stderr}"
    );
    let list = backend.json(&["admin", "users", "list", "--json"]);
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, [id], "the refused bootstrap created nothing: {list}");
}
