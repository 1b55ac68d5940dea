//! Key rotation through the CLI while the server runs (P-26): the running server publishes the
//! new key and signs with it within its key cache period (5 s), and tokens signed by the old
//! key stay valid.

use crate::common::{Backend, Endpoints, ServeOptions, http, jwks_kids, jwt_parts, start};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Key cache (5 s) plus slack for a busy machine.
const PICKUP: Duration = Duration::from_secs(7);

/// Polls until the JWKS lists `kid` and a new token is signed by it; returns that token and
/// the JWKS. Fails after [`PICKUP`].
async fn wait_for_new_key(
    endpoints: &Endpoints,
    client: &crate::common::ClientCredentials,
    kid: &str,
) -> (String, Value, Duration) {
    let http = http();
    let rotated = Instant::now();
    loop {
        let jwks = endpoints.jwks(&http).await;
        let token = endpoints.token(&http, client).await;
        let signed_by = jwt_parts(&token).0["kid"].as_str().unwrap().to_owned();
        if jwks_kids(&jwks).iter().any(|k| k == kid) && signed_by == kid {
            return (token, jwks, rotated.elapsed());
        }
        assert!(
            rotated.elapsed() < PICKUP,
            "after {PICKUP:?} the server still does not use key {kid}: tokens signed by {signed_by}, JWKS {jwks}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_is_picked_up_by_the_running_server() {
    let backend = Backend::new().await;
    let client = backend.create_management_client();
    let server = start(&backend, &ServeOptions::default()).await;
    let endpoints = Endpoints::new(&server, &server.base);
    let http = http();
    let old_token = endpoints.token(&http, &client).await;
    let old_kid = jwt_parts(&old_token).0["kid"].as_str().unwrap().to_owned();

    let rotated = backend.json(&["admin", "keys", "rotate", "--activate-in", "0", "--json"]);
    let new_kid = rotated["kid"].as_str().expect("kid").to_owned();
    assert_ne!(new_kid, old_kid);
    assert_eq!(rotated["alg"], "ES256", "{rotated}");
    let (new_token, jwks, took) = wait_for_new_key(&endpoints, &client, &new_kid).await;
    eprintln!("ES256 rotation picked up after {} ms", took.as_millis());
    assert!(
        jwks_kids(&jwks).contains(&old_kid),
        "the old key stays published: {jwks}"
    );
    assert_eq!(jwt_parts(&new_token).0["alg"], "ES256");
    let answer = endpoints.introspect(&http, &client, &old_token).await;
    assert_eq!(
        answer["active"], true,
        "a token signed by the retired key stays valid: {answer}"
    );
    assert_eq!(
        endpoints.list_applications_status(&http, &old_token).await,
        StatusCode::OK
    );
    assert_eq!(
        endpoints.list_applications_status(&http, &new_token).await,
        StatusCode::OK
    );

    let keys = backend.json(&["admin", "keys", "list", "--json"]);
    let listed: Vec<&str> = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&old_kid.as_str()) && listed.contains(&new_kid.as_str()),
        "{keys}"
    );

    // RS256.
    let rotated = backend.json(&[
        "admin",
        "keys",
        "rotate",
        "--alg",
        "rs256",
        "--activate-in",
        "0",
        "--json",
    ]);
    let rsa_kid = rotated["kid"].as_str().expect("kid").to_owned();
    assert_eq!(rotated["alg"], "RS256", "{rotated}");
    let (rsa_token, jwks, took) = wait_for_new_key(&endpoints, &client, &rsa_kid).await;
    eprintln!("RS256 rotation picked up after {} ms", took.as_millis());
    let (header, _) = jwt_parts(&rsa_token);
    assert_eq!(header["alg"], "RS256", "{header}");
    assert_eq!(header["typ"], "at+jwt", "{header}");
    let rsa_key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == rsa_kid.as_str())
        .unwrap();
    assert_eq!(rsa_key["kty"], "RSA", "{rsa_key}");
    assert!(
        rsa_key["n"].is_string() && rsa_key["e"].is_string(),
        "{rsa_key}"
    );
    assert!(
        rsa_key.get("d").is_none() && rsa_key.get("p").is_none(),
        "a private RSA part is published: {rsa_key}"
    );
    for token in [&rsa_token, &new_token, &old_token] {
        let answer = endpoints.introspect(&http, &client, token).await;
        assert_eq!(answer["active"], true, "{answer}");
    }
    assert_eq!(
        endpoints.list_applications_status(&http, &rsa_token).await,
        StatusCode::OK
    );
    for key in jwks["keys"].as_array().unwrap() {
        assert!(
            key.get("d").is_none(),
            "a private key part is published: {key}"
        );
    }
}
