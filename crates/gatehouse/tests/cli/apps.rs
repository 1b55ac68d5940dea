//! `gatehouse admin apps create` with per-application refresh token lifetimes
//! (`--refresh-token-ttl`, `--refresh-token-idle-ttl`) and a public JWK Set for
//! `private_key_jwt` (`--jwks FILE`): what is stored, and clear refusals that change nothing.

use crate::common::Backend;
use gatehouse_core::SigningAlgorithm;
use serde_json::{Value, json};

fn app_count(backend: &Backend) -> usize {
    backend.json(&["admin", "apps", "list", "--json"])["items"]
        .as_array()
        .expect("items")
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_create_takes_refresh_token_lifetimes_and_a_jwks_file() {
    let backend = Backend::new().await;
    let web = backend.json(&[
        "admin",
        "apps",
        "create",
        "--name",
        "short sessions",
        "--type",
        "web",
        "--redirect-uri",
        "https://app.example/cb",
        "--refresh-token-ttl",
        "86400",
        "--refresh-token-idle-ttl",
        "3600",
        "--json",
    ]);
    assert_eq!(web["refresh_token_absolute_ttl"], 86_400, "{web}");
    assert_eq!(web["refresh_token_idle_ttl"], 3600, "{web}");
    assert!(web["client_secret"].is_string(), "{web}");
    assert_eq!(web["token_endpoint_auth_method"], "client_secret_basic");

    let key = gatehouse_crypto::generate_signing_key(SigningAlgorithm::Es256).unwrap();
    let jwks = json!({ "keys": [key.public_jwk] });
    let jwks_file = backend.dir.path().join("robot.jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).unwrap();
    let jwks_path = jwks_file.display().to_string();
    let robot = backend.json(&[
        "admin", "apps", "create", "--name", "robot", "--type", "m2m", "--jwks", &jwks_path,
        "--json",
    ]);
    assert_eq!(
        robot["token_endpoint_auth_method"], "private_key_jwt",
        "{robot}"
    );
    assert_eq!(robot["jwks"], jwks, "{robot}");
    assert!(
        robot.get("client_secret").is_none(),
        "keys instead of a secret: {robot}"
    );
    assert!(robot.get("refresh_token_absolute_ttl").is_none(), "default");

    // Refusals say why and create nothing.
    let before = app_count(&backend);
    let not_json = backend.dir.path().join("not.json");
    std::fs::write(&not_json, "{keys").unwrap();
    let mut private = serde_json::to_value(&key.public_jwk).unwrap();
    private["d"] = Value::from("c2VjcmV0");
    let private_file = backend.dir.path().join("private.json");
    std::fs::write(&private_file, json!({ "keys": [private] }).to_string()).unwrap();
    let missing = backend
        .dir
        .path()
        .join("missing.json")
        .display()
        .to_string();
    let not_json = not_json.display().to_string();
    let private_file = private_file.display().to_string();
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "--type",
                "web",
                "--refresh-token-ttl",
                "3600",
                "--refresh-token-idle-ttl",
                "3601",
            ],
            "refresh_token_idle_ttl",
        ),
        (
            &["--type", "web", "--refresh-token-ttl", "59"],
            "refresh_token_absolute_ttl",
        ),
        (&["--type", "spa", "--jwks", &jwks_path], "jwks"),
        (&["--type", "m2m", "--jwks", &missing], "cannot read"),
        (&["--type", "m2m", "--jwks", &not_json], "not JSON"),
        (&["--type", "m2m", "--jwks", &private_file], "jwks.keys[0]"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["admin", "apps", "create", "--name", "refused", "--json"];
        args.extend_from_slice(extra);
        let stderr = backend.fail(&args);
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
    assert_eq!(app_count(&backend), before);
}
