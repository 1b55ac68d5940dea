//! Users over the Management API: create, search, read, change and delete with a real
//! Management API token; the password policy (422 on `password`), canonical identifiers
//! (`Admin` and `admin ` are one account, lookalikes refused), no hash in any answer, and
//! tenant isolation.

use crate::common::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

/// One call; returns the status, the JSON body (Null when empty) and the raw body text.
async fn call(
    server: &TestServer,
    tenant: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, String) {
    let mut request = server
        .client
        .request(method, server.tenant_url(tenant, &format!("/api{path}")))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("$argon2"),
        "an answer shows a password hash: {text}"
    );
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body, text)
}

fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {problem}"))
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect()
}

fn ids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["id"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_crud_search_and_pagination() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let root = |method, path: &str, body| {
        let (server, token, path) = (&server, token.clone(), path.to_owned());
        async move { call(server, "default", &token, method, &path, body).await }
    };

    let (status, alice, _) = root(
        Method::POST,
        "/users",
        Some(json!({"username": "Alice", "email": "Alice@Example.com", "password": "correct horse battery", "name": "Alice Liddell"})),
    )
    .await;
    assert_eq!(status, 201, "{alice}");
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["has_password"], true);
    assert_eq!(alice["email_verified"], false);
    assert_eq!(alice["disabled"], false);
    assert!(alice.get("password").is_none());
    let alice_id = alice["id"].as_str().unwrap().to_owned();

    let (status, bob, _) = root(
        Method::POST,
        "/users",
        Some(json!({"email": "bob_smith@example.org", "email_verified": true})),
    )
    .await;
    assert_eq!(status, 201, "{bob}");
    assert_eq!(bob["has_password"], false);
    assert_eq!(bob["email_verified"], true);
    let (status, carol, _) = root(
        Method::POST,
        "/users",
        Some(json!({"username": "carol", "password": "another fine passphrase"})),
    )
    .await;
    assert_eq!(status, 201, "{carol}");

    let (status, got, _) = root(Method::GET, &format!("/users/{alice_id}"), None).await;
    assert_eq!((status, &got), (200, &alice));

    let (status, all, _) = root(Method::GET, "/users", None).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&all).len(), 3, "{all}");
    let (_, found, _) = root(Method::GET, "/users?q=LIDDELL", None).await;
    assert_eq!(ids(&found), [alice_id.as_str()]);
    let (_, found, _) = root(Method::GET, "/users?q=b_s", None).await;
    assert_eq!(ids(&found), [bob["id"].as_str().unwrap()]);
    let (_, found, _) = root(Method::GET, "/users?q=%25", None).await;
    assert!(ids(&found).is_empty(), "`%` is literal: {found}");

    // Cursor pagination walks every user once.
    let (_, first, _) = root(Method::GET, "/users?limit=2", None).await;
    assert_eq!(ids(&first).len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second, _) = root(Method::GET, &format!("/users?limit=2&after={cursor}"), None).await;
    assert_eq!(ids(&second).len(), 1);
    assert!(second.get("next_cursor").is_none());
    let (status, bad, _) = root(Method::GET, "/users?limit=0", None).await;
    assert_eq!((status, fields(&bad)), (422, vec!["limit"]));

    let (status, changed, _) = root(
        Method::PATCH,
        &format!("/users/{alice_id}"),
        Some(json!({"name": "Alice L.", "disabled": true, "password": "a brand new passphrase"})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "Alice L.");
    assert_eq!(changed["disabled"], true);
    let (status, weak, _) = root(
        Method::PATCH,
        &format!("/users/{alice_id}"),
        Some(json!({"password": "alice"})),
    )
    .await;
    assert_eq!((status, fields(&weak)), (422, vec!["password"]));
    let (status, taken, _) = root(
        Method::PATCH,
        &format!("/users/{alice_id}"),
        Some(json!({"username": "CAROL"})),
    )
    .await;
    assert_eq!(status, 409, "{taken}");
    let (status, unknown, _) = root(
        Method::PATCH,
        &format!("/users/{alice_id}"),
        Some(json!({"password_hash": "x"})),
    )
    .await;
    assert!(status == 400 || status == 422, "{status} {unknown}");

    let (status, _, _) = root(Method::DELETE, &format!("/users/{alice_id}"), None).await;
    assert_eq!(status, 204);
    for method in [Method::GET, Method::DELETE] {
        let (status, missing, _) = root(method, &format!("/users/{alice_id}"), None).await;
        assert_eq!(status, 404, "{missing}");
        assert_eq!(missing["code"], "not_found");
    }
    let (status, _, _) = root(
        Method::PATCH,
        &format!("/users/{alice_id}"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_passwords_and_lookalikes_are_refused_and_create_nothing() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let post = |body: Value| {
        let (server, token) = (&server, token.clone());
        async move {
            call(
                server,
                "default",
                &token,
                Method::POST,
                "/users",
                Some(body),
            )
            .await
        }
    };
    for (username, password, reason) in [
        ("mallory", "password1", "too common"),
        ("mallory", "seven77", "at least 8"),
        ("mallorymallory", "MalloryMallory", "username or email"),
        ("mallory", "mallory@example.com", "username or email"),
    ] {
        let body =
            json!({"username": username, "email": "mallory@example.com", "password": password});
        let (status, problem, _) = post(body).await;
        assert_eq!(status, 422, "{password}: {problem}");
        assert_eq!(fields(&problem), ["password"], "{problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{password}: {message}");
    }
    let (status, problem, _) = post(json!({"username": "x", "email": "not-an-email"})).await;
    assert_eq!((status, fields(&problem)), (422, vec!["email"]));
    let (status, problem, _) = post(json!({"name": "No Identifier"})).await;
    assert_eq!(status, 422, "{problem}");
    let (_, list, _) = call(&server, "default", &token, Method::GET, "/users", None).await;
    assert!(ids(&list).is_empty(), "refused users were created: {list}");

    let (status, admin, _) =
        post(json!({"username": "Admin", "password": "correct horse battery"})).await;
    assert_eq!(status, 201, "{admin}");
    assert_eq!(admin["username"], "admin");
    for same in ["admin ", "ADMIN", "ａｄｍｉｎ"] {
        let (status, problem, _) = post(json!({"username": same})).await;
        assert_eq!(status, 409, "{same:?}: {problem}");
        assert_eq!(problem["code"], "conflict");
    }
    for lookalike in ["\u{0430}dmin", "ad\u{200B}min"] {
        let (status, problem, _) = post(json!({"username": lookalike})).await;
        assert_eq!(
            (status, fields(&problem)),
            (422, vec!["username"]),
            "{lookalike:?}"
        );
    }
    let (status, _, _) = post(json!({"username": "eve", "email": "E@x.example"})).await;
    assert_eq!(status, 201);
    let (status, problem, _) = post(json!({"username": "eve2", "email": "e@X.EXAMPLE"})).await;
    assert_eq!(status, 409, "{problem}");
    let (_, list, text) = call(&server, "default", &token, Method::GET, "/users", None).await;
    assert_eq!(ids(&list).len(), 2, "{list}");
    assert!(!text.contains("correct horse"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_isolated_between_tenants() {
    let server = TestServer::start().await;
    let root_token = server.management_token().await;
    let other = server.tenant("acme").await;
    let other_token = server.management_token_for(&other).await;
    let body = json!({"username": "alice", "password": "correct horse battery"});
    let (status, alice, _) = call(
        &server,
        "default",
        &root_token,
        Method::POST,
        "/users",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201);
    let id = alice["id"].as_str().unwrap();
    // The same username is another account in another tenant.
    let (status, _, _) = call(
        &server,
        "acme",
        &other_token,
        Method::POST,
        "/users",
        Some(body),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _, _) = call(
        &server,
        "acme",
        &other_token,
        Method::GET,
        &format!("/users/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = call(
        &server,
        "acme",
        &other_token,
        Method::DELETE,
        &format!("/users/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, list, _) = call(&server, "acme", &other_token, Method::GET, "/users", None).await;
    assert!(!ids(&list).contains(&id));
    // A token of one tenant is not accepted by another's Management API.
    let (status, _, _) = call(&server, "acme", &root_token, Method::GET, "/users", None).await;
    assert_eq!(status, 401);
    let (status, _, _) = call(
        &server,
        "default",
        &root_token,
        Method::GET,
        &format!("/users/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
}
