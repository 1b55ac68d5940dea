//! Two `serve` replicas on one database (PostgreSQL, or the same SQLite file) with the same
//! master key and issuer: any replica serves any step, since all state is in the database.

use crate::common::{Backend, Endpoints, ServeOptions, get_json, http, start};
use reqwest::StatusCode;

const ISSUER: &str = "https://id.example.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_tokens_keys_and_revocations() {
    let backend = Backend::new().await;
    let client = backend.create_management_client();
    let options = ServeOptions {
        args: vec!["--issuer".into(), ISSUER.into()],
        ..ServeOptions::default()
    };
    let a = start(&backend, &options).await;
    let b = start(&backend, &options).await;
    let (at_a, at_b) = (Endpoints::new(&a, ISSUER), Endpoints::new(&b, ISSUER));
    let http = http();

    for server in [&a, &b] {
        let discovery = get_json(&http, &server.url("/.well-known/openid-configuration")).await;
        assert_eq!(discovery["issuer"], ISSUER, "{discovery}");
        assert_eq!(
            discovery["token_endpoint"],
            format!("{ISSUER}/oauth2/token"),
            "{discovery}"
        );
    }
    let jwks_a = at_a.jwks(&http).await;
    let jwks_b = at_b.jwks(&http).await;
    assert_eq!(jwks_a, jwks_b, "both replicas publish the same keys");

    let token = at_a.token(&http, &client).await;
    let answer = at_b.introspect(&http, &client, &token).await;
    assert_eq!(
        answer["active"], true,
        "a token minted by A is active on B: {answer}"
    );
    assert_eq!(answer["iss"], ISSUER, "{answer}");
    assert_eq!(
        at_b.list_applications_status(&http, &token).await,
        StatusCode::OK
    );
    let from_b = at_b.token(&http, &client).await;
    assert_eq!(
        at_a.list_applications_status(&http, &from_b).await,
        StatusCode::OK
    );

    at_b.revoke(&http, &client, &token).await;
    let answer = at_a.introspect(&http, &client, &token).await;
    assert_eq!(
        answer["active"], false,
        "revoked on B, still active on A: {answer}"
    );
    assert_eq!(
        at_a.list_applications_status(&http, &token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        at_a.introspect(&http, &client, &from_b).await["active"],
        true,
        "only the revoked token is inactive"
    );

    // An application created through one replica's Management API works on the other at once.
    let created = http
        .post(a.url("/api/applications"))
        .bearer_auth(&from_b)
        .json(&serde_json::json!({"name": "worker", "type": "m2m"}))
        .send()
        .await
        .unwrap();
    let status = created.status();
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let worker = crate::common::ClientCredentials {
        id: created["client_id"]
            .as_str()
            .or(created["id"].as_str())
            .expect("client id")
            .to_owned(),
        secret: created["client_secret"]
            .as_str()
            .expect("client_secret")
            .to_owned(),
    };
    let response = http
        .post(b.url("/oauth2/token"))
        .header("Authorization", worker.basic())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    // No resource granted: the grant may fail with an OAuth error, but the client must
    // authenticate on B (anything but invalid_client).
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_ne!(
        body["error"], "invalid_client",
        "an app created on A is unknown on B ({status}): {body}"
    );
}
