//! Users over the Management API: create, search, read, change and delete with a real
//! Management API token; the password policy (422 on `password`), canonical identifiers
//! (`Admin` and `admin ` are one account, lookalikes refused), no hash in any answer, and
//! tenant isolation. The standard claims (phone, profile, address) go in through the API and
//! come out of UserInfo after a real sign-in.

use crate::browser::{Browser, PASSWORD, sign_in_for_tokens, userinfo, web_app};
use crate::common::{TestServer, decode_jwt};
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

/// Every standard claim of OIDC Core §5.1, as an operator might type them.
fn claims_body(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@example.com"),
        "email_verified": true,
        "password": PASSWORD,
        "name": "Ada Lovelace",
        "phone_number": "+44 (20) 7946-0958",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "middle_name": "Augusta",
        "nickname": "Countess",
        "profile": "https://example.com/ada",
        "picture": "https://Example.com/ada.png",
        "website": "https://ada.example",
        "gender": "female",
        "birthdate": "0000-12-10",
        "zoneinfo": "Europe/London",
        "locale": "en_GB",
        "address": {
            "street_address": "12 St James's Square\r\nFlat 1",
            "locality": "London",
            "postal_code": "SW1Y 4LE",
            "country": "United Kingdom",
            "region": "",
        },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_phone_and_address_claims_over_the_management_api() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let root = |method, path: &str, body| {
        let (server, token, path) = (&server, token.clone(), path.to_owned());
        async move { call(server, "default", &token, method, &path, body).await }
    };

    // A bad phone number: 422 problem+json naming the field, and nothing stored.
    let response = server
        .client
        .post(server.url("/api/users"))
        .bearer_auth(&token)
        .json(&json!({"username": "mallory", "phone_number": "020 7946 0958"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "validation_failed", "{problem}");
    assert_eq!(fields(&problem), ["phone_number"], "{problem}");
    // Every bad field is named, the address members with their path.
    let (status, problem, _) = root(
        Method::POST,
        "/users",
        Some(json!({
            "username": "mallory",
            "picture": "javascript:alert(1)",
            "birthdate": "1815-13-10",
            "locale": "not a locale",
            "address": {"postal_code": "1".repeat(33), "locality": "Lon\u{202E}don"},
        })),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        fields(&problem),
        [
            "picture",
            "birthdate",
            "locale",
            "address.locality",
            "address.postal_code"
        ]
    );
    let (status, problem, _) = root(
        Method::POST,
        "/users",
        Some(json!({"username": "mallory", "address": {"city": "London"}})),
    )
    .await;
    assert_eq!(
        status, 400,
        "unknown address members are refused: {problem}"
    );
    let (_, list, _) = root(Method::GET, "/users", None).await;
    assert!(ids(&list).is_empty(), "refused users were created: {list}");

    // Stored canonical, shown by create, get and list.
    let (status, ada, _) = root(Method::POST, "/users", Some(claims_body("ada"))).await;
    assert_eq!(status, 201, "{ada}");
    assert_eq!(ada["phone_number"], "+442079460958");
    assert_eq!(ada["phone_number_verified"], false);
    assert_eq!(ada["picture"], "https://example.com/ada.png");
    assert_eq!(ada["website"], "https://ada.example/");
    assert_eq!(ada["locale"], "en-GB");
    assert_eq!(ada["birthdate"], "0000-12-10");
    assert_eq!(
        ada["address"],
        json!({
            "street_address": "12 St James's Square\nFlat 1",
            "locality": "London",
            "postal_code": "SW1Y 4LE",
            "country": "United Kingdom",
        })
    );
    let id = ada["id"].as_str().unwrap().to_owned();
    let (_, got, _) = root(Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(got, ada);
    let (_, list, _) = root(Method::GET, "/users", None).await;
    assert_eq!(list["items"][0], ada);

    // PATCH: a bad value changes nothing; `null` clears; absent fields stay.
    let (status, problem, _) = root(
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"phone_number": "+0 12", "nickname": "Ada"})),
    )
    .await;
    assert_eq!((status, fields(&problem)), (422, vec!["phone_number"]));
    let (_, unchanged, _) = root(Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(unchanged, ada);
    let (status, verified, _) = root(
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"phone_number_verified": true})),
    )
    .await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["phone_number_verified"], true);
    let (status, changed, _) = root(
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({
            "phone_number": "+33 1 23 45 67 89",
            "nickname": null,
            "address": null,
            "zoneinfo": "Europe/Paris",
        })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["phone_number"], "+33123456789");
    assert_eq!(
        changed["phone_number_verified"], false,
        "a new number is unverified"
    );
    assert_eq!(changed["zoneinfo"], "Europe/Paris");
    assert!(changed.get("nickname").is_none(), "{changed}");
    assert!(changed.get("address").is_none(), "{changed}");
    assert_eq!(changed["given_name"], "Ada");
    assert_eq!(changed["locale"], "en-GB");
}

/// A full sign-in (authorization code + PKCE) whose UserInfo answer carries the claims the
/// scopes cover: phone, address and profile, and not the email without its scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_answers_the_claims_set_over_the_management_api() {
    let server = TestServer::start().await;
    let token = server.management_token().await;
    let (status, ada, _) = call(
        &server,
        "default",
        &token,
        Method::POST,
        "/users",
        Some(claims_body("ada")),
    )
    .await;
    assert_eq!(status, 201, "{ada}");
    let client = web_app(&server, false).await;
    let mut browser = Browser::new(&server);
    let tokens = sign_in_for_tokens(
        &server,
        &mut browser,
        &client,
        "ada",
        &[("scope", "openid phone address profile")],
    )
    .await;
    let (status, claims) = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["sub"], ada["id"]);
    assert_eq!(claims["phone_number"], "+442079460958");
    assert_eq!(claims["phone_number_verified"], false);
    assert_eq!(
        claims["address"],
        json!({
            "street_address": "12 St James's Square\nFlat 1",
            "locality": "London",
            "postal_code": "SW1Y 4LE",
            "country": "United Kingdom",
        })
    );
    for (name, value) in [
        ("name", "Ada Lovelace"),
        ("given_name", "Ada"),
        ("family_name", "Lovelace"),
        ("middle_name", "Augusta"),
        ("nickname", "Countess"),
        ("preferred_username", "ada"),
        ("profile", "https://example.com/ada"),
        ("picture", "https://example.com/ada.png"),
        ("website", "https://ada.example/"),
        ("gender", "female"),
        ("birthdate", "0000-12-10"),
        ("zoneinfo", "Europe/London"),
        ("locale", "en-GB"),
    ] {
        assert_eq!(claims[name], value, "{name}: {claims}");
    }
    assert!(claims["updated_at"].is_i64(), "{claims}");
    assert!(claims.get("email").is_none(), "email scope not granted");
    assert!(claims.get("email_verified").is_none());
    // The ID token carries no user claims, as before: they are UserInfo's.
    let (_, id_claims) = decode_jwt(tokens["id_token"].as_str().unwrap());
    assert!(id_claims.get("phone_number").is_none(), "{id_claims}");
    assert!(id_claims.get("address").is_none(), "{id_claims}");

    // Discovery lists the claims.
    let discovery: Value = server
        .client
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let supported = discovery["claims_supported"].as_array().unwrap();
    for name in claims.as_object().unwrap().keys() {
        assert!(
            supported.contains(&json!(name)),
            "{name} not in claims_supported"
        );
    }

    // Without the phone and address scopes, neither appears.
    let mut other = Browser::new(&server);
    let tokens = sign_in_for_tokens(
        &server,
        &mut other,
        &client,
        "ada",
        &[("scope", "openid email")],
    )
    .await;
    let (_, claims) = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["email"], "ada@example.com");
    for name in ["phone_number", "address", "given_name", "locale"] {
        assert!(claims.get(name).is_none(), "{name} leaked: {claims}");
    }
}
