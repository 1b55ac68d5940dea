//! Personal access tokens: created, listed and revoked through the Account API (by the
//! person) and the Management API (by an administrator), exchanged at the token endpoint
//! (RFC 8693) for short-lived access tokens, and the refusals of the exchange (X-01..X-04).

use crate::browser::{Browser, PASSWORD, sign_in_for_tokens, user, userinfo, web_app};
use crate::common::{TestServer, decode_jwt};
use gatehouse_types::management::CreateUser;
use reqwest::Method;
use serde_json::{Value, json};

const PAT_TYPE: &str = "urn:gatehouse:params:oauth:token-type:personal_access_token";
const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = server
        .client
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Exchanges a PAT with the built-in CLI client (public: client_id only).
async fn exchange(server: &TestServer, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", EXCHANGE), ("client_id", "gatehouse-cli")];
    form.extend_from_slice(extra);
    let response = server
        .post_form(&server.url("/oauth2/token"), None, &form)
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_person_creates_exchanges_and_revokes_a_token() {
    let server = TestServer::start().await;
    let app = web_app(&server, false).await;
    let lee = user(&server, "lee").await;
    let account = format!("{}/api/my-account", server.issuer);
    let mut browser = Browser::new(&server);
    let tokens = sign_in_for_tokens(
        &server,
        &mut browser,
        &app,
        "lee",
        &[("resource", account.as_str()), ("scope", "openid")],
    )
    .await;
    let account_token = tokens["access_token"].as_str().unwrap().to_owned();

    for (body, field) in [
        (
            json!({"name": "ci", "scopes": ["openid"], "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "ci", "scopes": [], "expires_in_days": 30}),
            "scopes",
        ),
        (
            json!({"name": "ci", "scopes": ["a b"], "expires_in_days": 30}),
            "scopes",
        ),
        (
            json!({"name": "", "scopes": ["openid"], "expires_in_days": 30}),
            "name",
        ),
    ] {
        let (status, problem) = call(
            &server,
            Method::POST,
            "/api/my-account/tokens",
            &account_token,
            Some(body),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, created) = call(
        &server,
        Method::POST,
        "/api/my-account/tokens",
        &account_token,
        Some(json!({"name": "laptop scripts", "scopes": ["openid", "profile"], "expires_in_days": 30})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let pat = created["token"].as_str().unwrap().to_owned();
    assert!(pat.starts_with("gh_pat_") && pat.len() == 50, "{pat}");
    let pat_id = created["id"].as_str().unwrap().to_owned();
    let (_, list) = call(
        &server,
        Method::GET,
        "/api/my-account/tokens",
        &account_token,
        None,
    )
    .await;
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&pat), "the secret is shown once");
    assert!(list["tokens"][0].get("last_used_at").is_none());

    let (status, exchanged) = exchange(
        &server,
        &[("subject_token", &pat), ("subject_token_type", PAT_TYPE)],
    )
    .await;
    assert_eq!(status, 200, "{exchanged}");
    assert_eq!(
        exchanged["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert!(
        exchanged.get("refresh_token").is_none(),
        "X-04: no refresh token"
    );
    let access = exchanged["access_token"].as_str().unwrap().to_owned();
    let (_, claims) = decode_jwt(&access);
    assert_eq!(claims["sub"], lee.as_str());
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 3600);
    let (status, info) = userinfo(&server, &access).await;
    assert_eq!(status, 200);
    assert_eq!(info["preferred_username"], "lee");
    let (_, list) = call(
        &server,
        Method::GET,
        "/api/my-account/tokens",
        &account_token,
        None,
    )
    .await;
    assert!(list["tokens"][0]["last_used_at"].is_i64(), "{list}");

    // the wrong type, a made-up or huge token, scopes beyond the PAT's.
    for (extra, error) in [
        (
            vec![
                ("subject_token", pat.as_str()),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:access_token",
                ),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", "gh_pat_madeup"),
                ("subject_token_type", PAT_TYPE),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", access.as_str()),
                ("subject_token_type", PAT_TYPE),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", pat.as_str()),
                ("subject_token_type", PAT_TYPE),
                ("scope", "openid email"),
            ],
            "invalid_scope",
        ),
    ] {
        let (status, body) = exchange(&server, &extra).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{extra:?}"
        );
    }
    let huge = format!("gh_pat_{}", "a".repeat(1_000_000));
    let response = server
        .post_form(
            &server.url("/oauth2/token"),
            None,
            &[
                ("grant_type", EXCHANGE),
                ("client_id", "gatehouse-cli"),
                ("subject_token", &huge),
                ("subject_token_type", PAT_TYPE),
            ],
        )
        .await;
    assert_eq!(response.status(), 413, "X-06: refused, never another grant");

    // RFC 7009 §2.2.1: the revocation endpoint does not revoke PATs, and says so rather than
    // answering a 200 that would suggest the PAT is dead.
    let response = server
        .post_form(
            &server.url("/oauth2/revoke"),
            None,
            &[("client_id", "gatehouse-cli"), ("token", &pat)],
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_token_type", "{body}");
    let (status, body) = exchange(
        &server,
        &[("subject_token", &pat), ("subject_token_type", PAT_TYPE)],
    )
    .await;
    assert_eq!(status, 200, "the PAT still works: {body}");

    // Another person cannot revoke it; its owner can, and the exchanged token dies too.
    let mut other = Browser::new(&server);
    user(&server, "mo").await;
    let mo = sign_in_for_tokens(
        &server,
        &mut other,
        &app,
        "mo",
        &[("resource", account.as_str()), ("scope", "openid")],
    )
    .await;
    let (status, _) = call(
        &server,
        Method::DELETE,
        &format!("/api/my-account/tokens/{pat_id}"),
        mo["access_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &server,
        Method::DELETE,
        &format!("/api/my-account/tokens/{pat_id}"),
        &account_token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = userinfo(&server, &access).await;
    assert_eq!(
        status, 401,
        "revoking the PAT revokes what it was exchanged for"
    );
    let (status, body) = exchange(
        &server,
        &[("subject_token", &pat), ("subject_token_type", PAT_TYPE)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn management_api_tokens_only_for_administrators() {
    let server = TestServer::start().await;
    let root = server.root().await;
    let admin = server
        .engine
        .bootstrap_admin(
            &root,
            CreateUser {
                email: Some("root@example.com".into()),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let plain = user(&server, "pat-user").await;
    let management = server.management_token().await;
    let api = root.management_indicator();

    let mut pats = Vec::new();
    for id in [&admin.id, &plain] {
        let (status, created) = call(
            &server,
            Method::POST,
            &format!("/api/users/{id}/tokens"),
            &management,
            Some(json!({"name": "automation", "scopes": ["all"], "expires_in_days": 7})),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        pats.push((
            created["id"].as_str().unwrap().to_owned(),
            created["token"].as_str().unwrap().to_owned(),
        ));
    }
    let (status, _) = call(
        &server,
        Method::POST,
        "/api/users/nobody/tokens",
        &management,
        Some(json!({"name": "x", "scopes": ["all"], "expires_in_days": 7})),
    )
    .await;
    assert_eq!(status, 404);

    let (status, exchanged) = exchange(
        &server,
        &[
            ("subject_token", &pats[0].1),
            ("subject_token_type", PAT_TYPE),
            ("resource", &api),
        ],
    )
    .await;
    assert_eq!(status, 200, "{exchanged}");
    let access = exchanged["access_token"].as_str().unwrap();
    let (status, _) = call(&server, Method::GET, "/api/users", access, None).await;
    assert_eq!(
        status, 200,
        "an administrator's PAT works for the Management API"
    );

    let (status, body) = exchange(
        &server,
        &[
            ("subject_token", &pats[1].1),
            ("subject_token_type", PAT_TYPE),
            ("resource", &api),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "X-02"
    );

    let (_, list) = call(
        &server,
        Method::GET,
        &format!("/api/users/{plain}/tokens"),
        &management,
        None,
    )
    .await;
    assert_eq!(list["tokens"][0]["id"], pats[1].0.as_str());
    let (status, _) = call(
        &server,
        Method::DELETE,
        &format!("/api/users/{plain}/tokens/{}", pats[1].0),
        &management,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &server,
        Method::DELETE,
        &format!("/api/users/{plain}/tokens/{}", pats[0].0),
        &management,
        None,
    )
    .await;
    assert_eq!(status, 404, "a token of another user");
}
