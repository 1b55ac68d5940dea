//! The Management API over HTTP with real Management API tokens: CRUD of applications and
//! resources, secret rotation at the token endpoint, validation, authentication, built-in
//! records, the OpenAPI document and tenant isolation.

use crate::common::TestServer;
use gatehouse_core::{CLI_CLIENT_ID, MANAGEMENT_RESOURCE_ID, MANAGEMENT_SCOPE};
use reqwest::Method;
use serde_json::{Value, json};

/// One Management API call on a tenant; returns the status and the JSON body (Null when empty).
/// Every JSON answer must be `no-store`; errors must be problem+json with a `code`.
async fn call(
    server: &TestServer,
    tenant: &str,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = server
        .client
        .request(method, server.tenant_url(tenant, &format!("/api{path}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    if bytes.is_empty() {
        return (status, Value::Null);
    }
    assert_eq!(headers["cache-control"], "no-store", "{path}");
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let expected_type = if status >= 400 {
        "application/problem+json"
    } else {
        "application/json"
    };
    assert_eq!(headers["content-type"], expected_type, "{path}: {body}");
    if status >= 400 {
        assert_eq!(body["status"], status, "{body}");
        assert!(body["code"].is_string(), "{body}");
    }
    (status, body)
}

async fn root_call(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call(server, "default", Some(token), method, path, body).await
}

fn field_names(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect()
}

async fn all_application_ids(server: &TestServer, token: &str) -> Vec<String> {
    let (status, page) =
        root_call(server, token, Method::GET, "/applications?limit=200", None).await;
    assert_eq!(status, 200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|app| app["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn client_credentials(
    server: &TestServer,
    client: (&str, &str),
    resource: &str,
) -> (u16, Value) {
    let response = server
        .post_form(
            &server.url("/oauth2/token"),
            Some(client),
            &[("grant_type", "client_credentials"), ("resource", resource)],
        )
        .await;
    (response.status().as_u16(), response.json().await.unwrap())
}

/// An API resource `https://api.example/orders` with scopes read and write, created over the API.
async fn orders_resource(server: &TestServer, token: &str) -> Value {
    let body = json!({
        "name": "Orders",
        "indicator": "https://api.example/orders",
        "scopes": [{"name": "read", "description": "Read orders"}, {"name": "write"}],
    });
    let (status, resource) = root_call(server, token, Method::POST, "/resources", Some(body)).await;
    assert_eq!(status, 201, "{resource}");
    resource
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_crud() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let body = json!({"name": "Shop", "type": "web", "redirect_uris": ["https://shop.example/cb"]});
    let (status, created) =
        root_call(&server, &token, Method::POST, "/applications", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert!(
        created["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("gh_cs_")
    );
    assert_eq!(created["type"], "web");
    assert_eq!(created["builtin"], false);
    assert_eq!(created["redirect_uris"], json!(["https://shop.example/cb"]));

    let (status, fetched) = root_call(
        &server,
        &token,
        Method::GET,
        &format!("/applications/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        fetched.get("client_secret").is_none(),
        "the secret is shown only once"
    );
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("client_secret");
    assert_eq!(fetched, expected);

    let ids = all_application_ids(&server, &token).await;
    assert!(
        ids.contains(&id) && ids.iter().any(|existing| existing == CLI_CLIENT_ID),
        "{ids:?}"
    );

    let patch = json!({"name": "Shop 2", "redirect_uris": ["https://shop.example/cb2"], "third_party": true});
    let (status, updated) = root_call(
        &server,
        &token,
        Method::PATCH,
        &format!("/applications/{id}"),
        Some(patch),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Shop 2");
    assert_eq!(
        updated["redirect_uris"],
        json!(["https://shop.example/cb2"])
    );
    assert_eq!(updated["third_party"], true);
    assert_eq!(updated["created_at"], created["created_at"]);
    let (_, fetched) = root_call(
        &server,
        &token,
        Method::GET,
        &format!("/applications/{id}"),
        None,
    )
    .await;
    assert_eq!(fetched, updated);

    // A public app gets no secret, and cannot be given one.
    let (status, spa) = root_call(
        &server,
        &token,
        Method::POST,
        "/applications",
        Some(json!({"name": "SPA", "type": "spa"})),
    )
    .await;
    assert_eq!(status, 201);
    assert!(spa.get("client_secret").is_none());
    let spa_secrets = format!("/applications/{}/secrets", spa["id"].as_str().unwrap());
    let (status, problem) =
        root_call(&server, &token, Method::POST, &spa_secrets, Some(json!({}))).await;
    assert_eq!(
        (status, problem["code"].as_str().unwrap()),
        (422, "validation_failed")
    );
    assert_eq!(field_names(&problem), ["type"]);

    let (status, body) = root_call(
        &server,
        &token,
        Method::DELETE,
        &format!("/applications/{id}"),
        None,
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, problem) = root_call(
        &server,
        &token,
        Method::GET,
        &format!("/applications/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str().unwrap()),
        (404, "not_found")
    );
    let (status, _) = root_call(
        &server,
        &token,
        Method::DELETE,
        &format!("/applications/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_lists_are_paginated_by_cursor() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    for name in ["a", "b", "c"] {
        let (status, _) = root_call(
            &server,
            &token,
            Method::POST,
            "/applications",
            Some(json!({"name": name, "type": "spa"})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let everything = all_application_ids(&server, &token).await;
    assert_eq!(
        everything.len(),
        5,
        "the CLI, the management app and three more: {everything:?}"
    );
    let mut seen = Vec::new();
    let mut path = "/applications?limit=2".to_owned();
    loop {
        let (status, page) = root_call(&server, &token, Method::GET, &path, None).await;
        assert_eq!(status, 200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|app| app["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/applications?limit=2&after={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, everything);
    let mut sorted = everything.clone();
    sorted.sort();
    assert_eq!(everything, sorted, "ordered by id");

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "query"),
    ] {
        let (status, problem) = root_call(
            &server,
            &token,
            Method::GET,
            &format!("/applications?{query}"),
            None,
        )
        .await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(field_names(&problem), [field], "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_crud_and_the_builtin_resource() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let resource = orders_resource(&server, &token).await;
    let id = resource["id"].as_str().unwrap().to_owned();
    assert_eq!(resource["indicator"], "https://api.example/orders");
    assert_eq!(resource["access_token_ttl"], 900, "the default");
    assert_eq!(
        resource["scopes"][1],
        json!({"name": "write", "description": ""})
    );

    let (status, fetched) = root_call(
        &server,
        &token,
        Method::GET,
        &format!("/resources/{id}"),
        None,
    )
    .await;
    assert_eq!((status, &fetched), (200, &resource));

    let (status, problem) = root_call(
        &server,
        &token,
        Method::POST,
        "/resources",
        Some(json!({"name": "Again", "indicator": "https://api.example/orders"})),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str().unwrap()),
        (409, "conflict")
    );

    let patch = json!({"access_token_ttl": 60, "scopes": [{"name": "read"}]});
    let (status, updated) = root_call(
        &server,
        &token,
        Method::PATCH,
        &format!("/resources/{id}"),
        Some(patch),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["access_token_ttl"], 60);
    assert_eq!(
        updated["scopes"],
        json!([{"name": "read", "description": ""}])
    );
    assert_eq!(updated["name"], "Orders");

    let (status, page) = root_call(&server, &token, Method::GET, "/resources", None).await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let builtin = items
        .iter()
        .find(|item| item["id"] == MANAGEMENT_RESOURCE_ID)
        .unwrap();
    assert_eq!(builtin["indicator"], format!("{}/api", server.issuer));
    assert_eq!(builtin["builtin"], true);
    assert_eq!(builtin["scopes"][0]["name"], MANAGEMENT_SCOPE);

    let builtin_path = format!("/resources/{MANAGEMENT_RESOURCE_ID}");
    for (method, body) in [
        (Method::PATCH, Some(json!({"name": "Mine"}))),
        (Method::DELETE, None),
    ] {
        let (status, problem) = root_call(&server, &token, method, &builtin_path, body).await;
        assert_eq!(
            (status, problem["code"].as_str().unwrap()),
            (409, "builtin_readonly")
        );
    }
    let (status, still) = root_call(&server, &token, Method::GET, &builtin_path, None).await;
    assert_eq!((status, &still), (200, builtin));

    // The Management API's own indicator cannot be registered again.
    let (status, problem) = root_call(
        &server,
        &token,
        Method::POST,
        "/resources",
        Some(json!({"name": "Fake", "indicator": format!("{}/api", server.issuer)})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(field_names(&problem), ["indicator"]);

    let (status, _) = root_call(
        &server,
        &token,
        Method::DELETE,
        &format!("/resources/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = root_call(
        &server,
        &token,
        Method::GET,
        &format!("/resources/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secrets_rotate_and_expire() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let resource = orders_resource(&server, &token).await;
    let indicator = resource["indicator"].as_str().unwrap();
    let body = json!({
        "name": "Worker",
        "type": "m2m",
        "resource_grants": [{"resource_id": resource["id"], "scopes": ["read"]}],
    });
    let (status, app) = root_call(&server, &token, Method::POST, "/applications", Some(body)).await;
    assert_eq!(status, 201, "{app}");
    let id = app["id"].as_str().unwrap();
    let first = app["client_secret"].as_str().unwrap();
    let (status, issued) = client_credentials(&server, (id, first), indicator).await;
    assert_eq!((status, &issued["scope"]), (200, &json!("read")));

    let secrets_path = format!("/applications/{id}/secrets");
    let (status, second) = root_call(
        &server,
        &token,
        Method::POST,
        &secrets_path,
        Some(json!({"name": "rotation"})),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["name"], "rotation");
    let second_value = second["client_secret"].as_str().unwrap();
    assert!(second_value.starts_with("gh_cs_") && second_value != first);

    // Both work during the rotation.
    assert_eq!(
        client_credentials(&server, (id, first), indicator).await.0,
        200
    );
    assert_eq!(
        client_credentials(&server, (id, second_value), indicator)
            .await
            .0,
        200
    );

    let (status, listed) = root_call(&server, &token, Method::GET, &secrets_path, None).await;
    assert_eq!(status, 200);
    let listed = listed["items"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|secret| secret.get("client_secret").is_none()
                && secret.get("secret_hash").is_none())
    );
    let first_id = listed
        .iter()
        .find(|secret| secret["id"] != second["id"])
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, _) = root_call(
        &server,
        &token,
        Method::DELETE,
        &format!("{secrets_path}/{first_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, error) = client_credentials(&server, (id, first), indicator).await;
    assert_eq!(
        (status, error["error"].as_str().unwrap()),
        (401, "invalid_client")
    );
    assert_eq!(
        client_credentials(&server, (id, second_value), indicator)
            .await
            .0,
        200
    );
    let (status, _) = root_call(
        &server,
        &token,
        Method::DELETE,
        &format!("{secrets_path}/{first_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // An expiry in the past is refused; a secret stops working at its expiry.
    let now = server.engine.now();
    let (status, problem) = root_call(
        &server,
        &token,
        Method::POST,
        &secrets_path,
        Some(json!({"expires_at": now - 1})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(field_names(&problem), ["expires_at"]);
    let (status, short) = root_call(
        &server,
        &token,
        Method::POST,
        &secrets_path,
        Some(json!({"expires_at": now + 2})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(short["expires_at"], now + 2);
    let short_value = short["client_secret"].as_str().unwrap();
    assert_eq!(
        client_credentials(&server, (id, short_value), indicator)
            .await
            .0,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (status, error) = client_credentials(&server, (id, short_value), indicator).await;
    assert_eq!(
        (status, error["error"].as_str().unwrap()),
        (401, "invalid_client")
    );
    assert_eq!(
        client_credentials(&server, (id, second_value), indicator)
            .await
            .0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_bodies_name_the_field_and_change_nothing() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let before = all_application_ids(&server, &token).await;

    let cases = [
        (
            json!({"name": "x", "type": "web", "redirect_uris": ["http://shop.example/cb"]}),
            vec!["redirect_uris[0]"],
        ),
        (
            json!({"name": "", "type": "web", "redirect_uris": ["https://a.example/cb", "https://a.example/cb#f"]}),
            vec!["name", "redirect_uris[1]"],
        ),
        (
            json!({"name": "x", "type": "m2m", "redirect_uris": ["https://a.example/cb"]}),
            vec!["redirect_uris"],
        ),
        (
            json!({"name": "x", "type": "m2m", "resource_grants": [{"resource_id": "nope"}]}),
            vec!["resource_grants[0].resource_id"],
        ),
        (
            json!({"name": "x", "type": "m2m", "resource_grants": [{"resource_id": MANAGEMENT_RESOURCE_ID, "scopes": ["root"]}]}),
            vec!["resource_grants[0].scopes[0]"],
        ),
    ];
    for (body, fields) in cases {
        let (status, problem) = root_call(
            &server,
            &token,
            Method::POST,
            "/applications",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str().unwrap()),
            (422, "validation_failed"),
            "{body}"
        );
        assert_eq!(field_names(&problem), fields, "{body}");
    }

    // Not JSON, unknown fields, wrong types.
    let response = server
        .client
        .post(server.url("/api/applications"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(r#"{"name": "x", "type": "spa"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "unsupported_media_type");
    for body in [
        json!({"name": "x", "type": "spa", "colour": "red"}),
        json!({"name": "x", "type": "tv"}),
        json!({"name": 1, "type": "spa"}),
    ] {
        let (status, problem) = root_call(
            &server,
            &token,
            Method::POST,
            "/applications",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str().unwrap()),
            (400, "invalid_body"),
            "{body}"
        );
    }
    let (_, problem) = root_call(
        &server,
        &token,
        Method::POST,
        "/applications",
        Some(json!({"name": "x", "type": "spa", "colour": 1})),
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("colour"),
        "{problem}"
    );

    // A PATCH with one bad field changes none of them.
    let (_, spa) = root_call(
        &server,
        &token,
        Method::POST,
        "/applications",
        Some(json!({"name": "SPA", "type": "spa"})),
    )
    .await;
    let spa_path = format!("/applications/{}", spa["id"].as_str().unwrap());
    let patch = json!({"name": "renamed", "post_logout_redirect_uris": ["javascript:alert(1)"]});
    let (status, problem) = root_call(&server, &token, Method::PATCH, &spa_path, Some(patch)).await;
    assert_eq!(status, 422);
    assert_eq!(field_names(&problem), ["post_logout_redirect_uris[0]"]);
    let (_, unchanged) = root_call(&server, &token, Method::GET, &spa_path, None).await;
    assert_eq!(unchanged, spa);

    let mut after = all_application_ids(&server, &token).await;
    after.retain(|id| Some(id.as_str()) != spa["id"].as_str());
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_management_tokens_are_accepted() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let resource = orders_resource(&server, &token).await;
    let indicator = resource["indicator"].as_str().unwrap();
    let body = json!({"name": "Worker", "type": "m2m", "resource_grants": [{"resource_id": resource["id"], "scopes": ["read"]}]});
    let (_, app) = root_call(&server, &token, Method::POST, "/applications", Some(body)).await;
    let other_token = server
        .token_for(
            "default",
            (
                app["id"].as_str().unwrap(),
                app["client_secret"].as_str().unwrap(),
            ),
            indicator,
        )
        .await;
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });

    for path in [
        "/applications",
        "/resources",
        "/applications/x",
        "/resources/x/y",
    ] {
        let response = server
            .client
            .get(server.url(&format!("/api{path}")))
            .send()
            .await
            .unwrap();
        if path == "/resources/x/y" {
            assert_eq!(response.status(), 404, "unknown route");
            continue;
        }
        assert_eq!(response.status(), 401, "{path}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        for bad in [other_token.as_str(), tampered.as_str(), "not-a-jwt"] {
            let (status, problem) =
                call(&server, "default", Some(bad), Method::GET, path, None).await;
            assert_eq!(
                (status, problem["code"].as_str().unwrap()),
                (401, "unauthenticated"),
                "{path}"
            );
        }
    }
    // A Management API token without the `all` scope is authenticated but not allowed.
    let body = json!({"name": "No scope", "type": "m2m", "resource_grants": [{"resource_id": MANAGEMENT_RESOURCE_ID}]});
    let (status, scopeless_app) =
        root_call(&server, &token, Method::POST, "/applications", Some(body)).await;
    assert_eq!(status, 201);
    let scopeless_client = (
        scopeless_app["id"].as_str().unwrap(),
        scopeless_app["client_secret"].as_str().unwrap(),
    );
    let scopeless = server
        .token_for(
            "default",
            scopeless_client,
            &format!("{}/api", server.issuer),
        )
        .await;
    let (status, problem) = call(
        &server,
        "default",
        Some(&scopeless),
        Method::GET,
        "/applications",
        None,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str().unwrap()),
        (403, "forbidden")
    );
    // A refused request changes nothing.
    let before = all_application_ids(&server, &token).await;
    let (status, _) = call(
        &server,
        "default",
        Some(&other_token),
        Method::POST,
        "/applications",
        Some(json!({"name": "x", "type": "spa"})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &server,
        "default",
        None,
        Method::DELETE,
        &format!("/applications/{}", app["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(all_application_ids(&server, &token).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_builtin_records() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let (_, web) = root_call(
        &server,
        &token,
        Method::POST,
        "/applications",
        Some(json!({"name": "Web", "type": "web"})),
    )
    .await;
    let web_id = web["id"].as_str().unwrap();
    let unknown = [
        (Method::GET, "/applications/nope".to_owned(), None),
        (
            Method::PATCH,
            "/applications/nope".to_owned(),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, "/applications/nope".to_owned(), None),
        (Method::GET, "/applications/nope/secrets".to_owned(), None),
        (
            Method::POST,
            "/applications/nope/secrets".to_owned(),
            Some(json!({})),
        ),
        (
            Method::DELETE,
            format!("/applications/{web_id}/secrets/nope"),
            None,
        ),
        (Method::GET, "/resources/nope".to_owned(), None),
        (
            Method::PATCH,
            "/resources/nope".to_owned(),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, "/resources/nope".to_owned(), None),
    ];
    for (method, path, body) in unknown {
        let (status, problem) = root_call(&server, &token, method.clone(), &path, body).await;
        assert_eq!(
            (status, problem["code"].as_str().unwrap()),
            (404, "not_found"),
            "{method} {path}"
        );
    }

    let cli = format!("/applications/{CLI_CLIENT_ID}");
    let (status, problem) = root_call(&server, &token, Method::DELETE, &cli, None).await;
    assert_eq!(
        (status, problem["code"].as_str().unwrap()),
        (409, "builtin_readonly")
    );
    let (status, app) = root_call(&server, &token, Method::GET, &cli, None).await;
    assert_eq!(
        (status, &app["builtin"], &app["type"]),
        (200, &json!(true), &json!("native"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let routes = gatehouse_server::api::routes();
    assert!(routes.len() >= 13);
    for route in routes {
        let path = format!("/api{}", route.path);
        let method = route.method.as_str().to_lowercase();
        assert!(
            doc["paths"][&path][&method].is_object(),
            "{method} {path} is not documented"
        );
    }
    // Served for every tenant, without a token.
    server.tenant("b").await;
    let response = server
        .client
        .get(server.tenant_url("b", "/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated() {
    let server = TestServer::start().await;
    let root_token = server.management_token().await;
    let tenant_b = server.tenant("b").await;
    let b_token = server.management_token_for(&tenant_b).await;
    let (_, app) = root_call(
        &server,
        &root_token,
        Method::POST,
        "/applications",
        Some(json!({"name": "Root app", "type": "spa"})),
    )
    .await;
    let app_path = format!("/applications/{}", app["id"].as_str().unwrap());
    let resource = orders_resource(&server, &root_token).await;
    let resource_path = format!("/resources/{}", resource["id"].as_str().unwrap());

    // Tenant B's token sees only tenant B.
    let (status, page) = call(
        &server,
        "b",
        Some(&b_token),
        Method::GET,
        "/applications",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&app["id"].as_str().unwrap()), "{ids:?}");
    assert_eq!(
        ids.len(),
        2,
        "the CLI and tenant B's management app: {ids:?}"
    );
    for path in [&app_path, &resource_path] {
        let (status, _) = call(&server, "b", Some(&b_token), Method::GET, path, None).await;
        assert_eq!(status, 404, "{path}");
        let (status, _) = call(&server, "b", Some(&b_token), Method::DELETE, path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, b_resources) = call(
        &server,
        "b",
        Some(&b_token),
        Method::GET,
        "/resources",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        b_resources["items"][0]["indicator"],
        format!("{}/t/b/api", server.base)
    );
    // A grant on another tenant's resource is an unknown resource.
    let body =
        json!({"name": "x", "type": "m2m", "resource_grants": [{"resource_id": resource["id"]}]});
    let (status, problem) = call(
        &server,
        "b",
        Some(&b_token),
        Method::POST,
        "/applications",
        Some(body),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(field_names(&problem), ["resource_grants[0].resource_id"]);

    // Each tenant's token works only at its own tenant.
    let (status, _) = call(
        &server,
        "b",
        Some(&root_token),
        Method::GET,
        "/applications",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &server,
        "default",
        Some(&b_token),
        Method::GET,
        "/applications",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, still) = root_call(&server, &root_token, Method::GET, &app_path, None).await;
    assert_eq!((status, &still), (200, &app));
}
