//! RFC 8707 grants that cover several resources, over HTTP: authorize (and the device
//! endpoint) with `resource` repeated, then one access token per resource picked at the token
//! endpoint, refresh after refresh; the CLI's Management API for administrators only; consent
//! for every resource.

use crate::browser::{Browser, PASSWORD, REDIRECT, Reply, VERIFIER, user, userinfo};
use crate::common::{TestServer, decode_jwt};
use gatehouse_core::{CLI_CLIENT_ID, MANAGEMENT_SCOPE};
use gatehouse_types::management::{
    ApplicationType, CreateApiResource, CreateApplication, CreateUser, ResourceGrant, ResourceScope,
};
use serde_json::Value;

const ORDERS: &str = "https://orders.example/api";
const BILLING: &str = "https://billing.example/api";
const CLI_REDIRECT: &str = "http://127.0.0.1:9/callback";

/// Creates the ORDERS and BILLING APIs and a web app granted `read:orders` on one and
/// `read:billing` on the other: (client_id, client_secret).
async fn two_api_app(server: &TestServer, third_party: bool) -> (String, String) {
    let root = server.root().await;
    let mut grants = Vec::new();
    for (name, indicator, scope) in [
        ("Orders API", ORDERS, "read:orders"),
        ("Billing API", BILLING, "read:billing"),
    ] {
        let found = server
            .engine
            .find_resource_by_indicator(&root, indicator)
            .await
            .unwrap();
        let id = match found {
            Some(resource) => resource.id,
            None => {
                let body = CreateApiResource {
                    name: name.to_owned(),
                    indicator: indicator.to_owned(),
                    access_token_ttl: None,
                    scopes: vec![ResourceScope {
                        name: scope.to_owned(),
                        description: String::new(),
                    }],
                };
                server.engine.create_resource(&root, body).await.unwrap().id
            }
        };
        grants.push(ResourceGrant {
            resource_id: id,
            scopes: vec![scope.to_owned()],
        });
    }
    let created = server
        .engine
        .create_application(
            &root,
            CreateApplication {
                name: "Shop".to_owned(),
                app_type: ApplicationType::Web,
                redirect_uris: vec![REDIRECT.to_owned()],
                post_logout_redirect_uris: vec![],
                third_party,
                device_flow: false,
                resource_grants: grants,
                refresh_token_absolute_ttl: None,
                refresh_token_idle_ttl: None,
                jwks: None,
            },
        )
        .await
        .unwrap();
    (created.application.id, created.client_secret.unwrap())
}

/// Posts to the token endpoint: (status, body).
async fn token(
    server: &TestServer,
    client: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = server
        .post_form(&server.url("/oauth2/token"), client, form)
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Redeems a code of the web app (redirect URI `REDIRECT`), naming `resource` if given.
async fn redeem(
    server: &TestServer,
    client: Option<(&str, &str)>,
    code: &str,
    resource: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", REDIRECT),
    ];
    form.extend(resource.map(|r| ("resource", r)));
    token(server, client, &form).await
}

async fn refresh(
    server: &TestServer,
    client: Option<(&str, &str)>,
    public_id: Option<&str>,
    refresh_token: &str,
    resource: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    form.extend(public_id.map(|id| ("client_id", id)));
    form.extend(resource.map(|r| ("resource", r)));
    token(server, client, &form).await
}

/// The access token's aud and scope, and the response's scope.
fn aud_and_scope(tokens: &Value) -> (String, String) {
    let (_, claims) = decode_jwt(tokens["access_token"].as_str().unwrap());
    assert_eq!(
        tokens["scope"], claims["scope"],
        "the response names the access token's scope"
    );
    (
        claims["aud"].as_str().unwrap().to_owned(),
        claims["scope"].as_str().unwrap().to_owned(),
    )
}

/// Signs in (and consents, when asked) until the client gets its answer; returns the code.
async fn code_after_sign_in(
    browser: &mut Browser<'_>,
    client_id: &str,
    username: &str,
    extra: &[(&str, &str)],
) -> (String, Option<Reply>) {
    let mut reply = browser.authorize(client_id, extra).await;
    if reply.status == 200 && reply.body.contains("<h1>Sign in</h1>") {
        reply = browser.sign_in(&reply, username, PASSWORD).await;
    }
    if reply.status == 303 && reply.location().contains("/interaction/") {
        reply = browser.get(&reply.location()).await;
    }
    let mut consent_page = None;
    if reply.status == 200 && reply.body.contains("decision") {
        let csrf = reply.hidden("csrf");
        let action = reply.form_action();
        consent_page = Some(reply);
        reply = browser
            .post(&action, &[("csrf", &csrf), ("decision", "allow")])
            .await;
    }
    assert_eq!(reply.status, 303, "{}", reply.body);
    let params = reply.redirect_params();
    let code = params
        .get("code")
        .unwrap_or_else(|| panic!("no code: {}", reply.location()))
        .clone();
    (code, consent_page)
}

#[tokio::test]
async fn one_login_gives_tokens_for_each_granted_api() {
    let server = TestServer::start().await;
    let app = two_api_app(&server, false).await;
    let client = Some((app.0.as_str(), app.1.as_str()));
    user(&server, "erin").await;
    let mut browser = Browser::new(&server);
    let extra = [
        ("scope", "openid offline_access read:orders read:billing"),
        ("resource", ORDERS),
        ("resource", BILLING),
    ];
    let (code, _) = code_after_sign_in(&mut browser, &app.0, "erin", &extra).await;
    let (status, tokens) = redeem(&server, client, &code, Some(ORDERS)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        aud_and_scope(&tokens),
        (ORDERS.into(), "openid offline_access read:orders".into())
    );
    assert!(tokens["id_token"].is_string());
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();

    let (status, billing) = refresh(&server, client, None, &rt, Some(BILLING)).await;
    assert_eq!(status, 200, "{billing}");
    assert_eq!(
        aud_and_scope(&billing),
        (BILLING.into(), "openid offline_access read:billing".into())
    );
    let rt = billing["refresh_token"].as_str().unwrap().to_owned();

    // No resource named: the grant has several and openid, so a UserInfo token.
    let (status, plain) = refresh(&server, client, None, &rt, None).await;
    assert_eq!(status, 200, "{plain}");
    let userinfo_url = format!("{}/oauth2/userinfo", server.issuer);
    assert_eq!(
        aud_and_scope(&plain),
        (userinfo_url, "openid offline_access".into())
    );
    let (status, claims) = userinfo(&server, plain["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{claims}");
    assert!(claims["sub"].is_string());
    let rt = plain["refresh_token"].as_str().unwrap().to_owned();

    // Unknown or not granted: invalid_target (RFC 8707 §2.2), and the token is not used up.
    let api = server.tenant_url("default", "/api");
    for outside in ["https://unknown.example/api", api.as_str()] {
        let (status, error) = refresh(&server, client, None, &rt, Some(outside)).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_target"))
        );
    }
    let (status, orders) = refresh(&server, client, None, &rt, Some(ORDERS)).await;
    assert_eq!(status, 200, "the refresh token still works: {orders}");
    assert_eq!(aud_and_scope(&orders).0, ORDERS);
}

#[tokio::test]
async fn the_cli_gets_management_tokens_by_refresh_for_administrators_only() {
    let server = TestServer::start().await;
    let root = server.root().await;
    server
        .engine
        .bootstrap_admin(
            &root,
            CreateUser {
                username: Some("root".into()),
                email: Some("root@example.com".into()),
                password: Some(PASSWORD.into()),
                name: None,
                email_verified: None,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    user(&server, "mallory").await;
    let userinfo_url = format!("{}/oauth2/userinfo", server.issuer);
    let api = server.tenant_url("default", "/api");
    let scope = format!("openid offline_access {MANAGEMENT_SCOPE}");
    let extra = [
        ("redirect_uri", CLI_REDIRECT),
        ("scope", scope.as_str()),
        ("resource", userinfo_url.as_str()),
        ("resource", api.as_str()),
    ];
    let login = async |username: &str| {
        let mut browser = Browser::new(&server);
        let (code, _) = code_after_sign_in(&mut browser, CLI_CLIENT_ID, username, &extra).await;
        let (status, tokens) = token(
            &server,
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", CLI_CLIENT_ID),
                ("code", &code),
                ("code_verifier", VERIFIER),
                ("redirect_uri", CLI_REDIRECT),
            ],
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        tokens
    };
    let list_apps = async |token: &str| {
        server
            .client
            .get(server.url("/api/applications"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };

    // An administrator: the login's own token is for UserInfo, a refresh with the
    // Management API's indicator gets a token that lists applications.
    let tokens = login("root").await;
    assert_eq!(aud_and_scope(&tokens).0, userinfo_url);
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (status, managed) = refresh(&server, None, Some(CLI_CLIENT_ID), rt, Some(&api)).await;
    assert_eq!(status, 200, "{managed}");
    assert_eq!(
        aud_and_scope(&managed),
        (api.clone(), "openid offline_access all".into())
    );
    assert_eq!(
        list_apps(managed["access_token"].as_str().unwrap()).await,
        200
    );

    // Not an administrator: signed in all the same, but the grant lacks the Management API.
    let tokens = login("mallory").await;
    assert_eq!(
        aud_and_scope(&tokens),
        (userinfo_url.clone(), "openid offline_access".into())
    );
    let (status, _) = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (status, error) = refresh(&server, None, Some(CLI_CLIENT_ID), rt, Some(&api)).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_target"))
    );
    assert_eq!(
        list_apps(tokens["access_token"].as_str().unwrap()).await,
        401
    );
}

#[tokio::test]
async fn device_flow_grants_several_resources() {
    let server = TestServer::start().await;
    let root = server.root().await;
    server
        .engine
        .bootstrap_admin(
            &root,
            CreateUser {
                username: Some("root".into()),
                email: None,
                password: Some(PASSWORD.into()),
                name: None,
                email_verified: None,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let userinfo_url = format!("{}/oauth2/userinfo", server.issuer);
    let api = server.tenant_url("default", "/api");
    let response = server
        .post_form(
            &server.url("/oauth2/device_authorization"),
            None,
            &[
                ("client_id", CLI_CLIENT_ID),
                ("scope", "openid offline_access all"),
                ("resource", &userinfo_url),
                ("resource", &api),
                ("resource", &userinfo_url),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let device_code = answer["device_code"].as_str().unwrap();
    let user_code = answer["user_code"].as_str().unwrap();

    let mut browser = Browser::new(&server);
    let page = browser
        .get(answer["verification_uri_complete"].as_str().unwrap())
        .await;
    let signed_in = browser.sign_in(&page, "root", PASSWORD).await;
    let code_page = browser.get(&signed_in.location()).await;
    let csrf = code_page.hidden("csrf");
    let confirm = browser
        .post("/device", &[("csrf", &csrf), ("user_code", user_code)])
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm.body.contains("Gatehouse Management API"),
        "{}",
        confirm.body
    );
    assert!(confirm.body.contains("UserInfo"), "{}", confirm.body);
    let csrf = confirm.hidden("csrf");
    let done = browser
        .post(
            "/device/decide",
            &[
                ("csrf", &csrf),
                ("user_code", user_code),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(done.status, 200);

    let (status, tokens) = token(
        &server,
        None,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
            ("client_id", CLI_CLIENT_ID),
            ("resource", &api),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        aud_and_scope(&tokens),
        (api.clone(), "openid offline_access all".into())
    );
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (status, plain) = refresh(&server, None, Some(CLI_CLIENT_ID), rt, None).await;
    assert_eq!(status, 200, "{plain}");
    assert_eq!(
        aud_and_scope(&plain),
        (userinfo_url, "openid offline_access".into())
    );
    let rt = plain["refresh_token"].as_str().unwrap();
    let (status, error) = refresh(&server, None, Some(CLI_CLIENT_ID), rt, Some(ORDERS)).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_target"))
    );
    let (status, again) = refresh(&server, None, Some(CLI_CLIENT_ID), rt, Some(&api)).await;
    assert_eq!(status, 200, "{again}");

    // A device request naming an unknown resource among valid ones is refused at once.
    let response = server
        .post_form(
            &server.url("/oauth2/device_authorization"),
            None,
            &[
                ("client_id", CLI_CLIENT_ID),
                ("scope", "openid"),
                ("resource", &api),
                ("resource", "https://unknown.example/api"),
            ],
        )
        .await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "invalid_target");
}

#[tokio::test]
async fn third_party_consent_covers_every_resource() {
    let server = TestServer::start().await;
    let app = two_api_app(&server, true).await;
    let client = Some((app.0.as_str(), app.1.as_str()));
    user(&server, "frank").await;
    let mut browser = Browser::new(&server);
    let extra = [
        ("scope", "openid read:orders read:billing"),
        ("resource", ORDERS),
        ("resource", BILLING),
    ];
    let (code, consent) = code_after_sign_in(&mut browser, &app.0, "frank", &extra).await;
    let consent = consent.expect("a third-party app asks");
    assert!(consent.body.contains("Orders API"), "{}", consent.body);
    assert!(consent.body.contains("Billing API"), "{}", consent.body);
    let (status, tokens) = redeem(&server, client, &code, Some(BILLING)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        aud_and_scope(&tokens),
        (BILLING.into(), "openid read:billing".into())
    );
    // Both are remembered: the same request, in another order, needs no page.
    let reversed = [
        ("scope", "openid read:billing read:orders"),
        ("resource", BILLING),
        ("resource", ORDERS),
    ];
    let (_, asked) = code_after_sign_in(&mut browser, &app.0, "frank", &reversed).await;
    assert!(asked.is_none(), "consent covers both resources");
    // One resource consented does not cover another: a fresh app asks for both again.
    let orders_only = [("scope", "openid read:orders"), ("resource", ORDERS)];
    let other = two_api_app(&server, true).await;
    let (_, asked) = code_after_sign_in(&mut browser, &other.0, "frank", &orders_only).await;
    assert!(asked.is_some());
    let (_, asked) = code_after_sign_in(&mut browser, &other.0, "frank", &extra).await;
    let page = asked.expect("billing was not consented to");
    assert!(page.body.contains("Billing API"));
}

/// RFC 7009 §2: a refresh token is revocable. Revoking it ends its family (the next refresh
/// fails) and its grant (access tokens issued from it stop working, §2.1); another client
/// cannot revoke it.
#[tokio::test]
async fn revoking_a_refresh_token_ends_its_family_and_grant() {
    let server = TestServer::start().await;
    let app = two_api_app(&server, false).await;
    let other = two_api_app(&server, false).await;
    let client = Some((app.0.as_str(), app.1.as_str()));
    user(&server, "rita").await;
    let mut browser = Browser::new(&server);
    let extra = [
        ("scope", "openid offline_access read:orders"),
        ("resource", ORDERS),
    ];
    let (code, _) = code_after_sign_in(&mut browser, &app.0, "rita", &extra).await;
    let (status, tokens) = redeem(&server, client, &code, None).await;
    assert_eq!(status, 200, "{tokens}");
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, plain) = refresh(&server, client, None, &rt, None).await;
    assert_eq!(status, 200, "{plain}");
    let rt = plain["refresh_token"].as_str().unwrap().to_owned();
    let access = plain["access_token"].as_str().unwrap().to_owned();

    let revoke = |by: (String, String), token: String| {
        let server = &server;
        async move {
            server
                .post_form(
                    &server.url("/oauth2/revoke"),
                    Some((by.0.as_str(), by.1.as_str())),
                    &[
                        ("token", token.as_str()),
                        ("token_type_hint", "refresh_token"),
                    ],
                )
                .await
                .status()
                .as_u16()
        }
    };
    // Another client: refused, and the token keeps working.
    assert_eq!(revoke(other.clone(), rt.clone()).await, 400);
    let (status, still) = refresh(&server, client, None, &rt, None).await;
    assert_eq!(status, 200, "{still}");
    let rt = still["refresh_token"].as_str().unwrap().to_owned();

    // Its client: revoked. The next refresh fails and the grant's access token is dead.
    assert_eq!(revoke(app.clone(), rt.clone()).await, 200);
    let (status, refused) = refresh(&server, client, None, &rt, None).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = userinfo(&server, &access).await;
    assert_eq!(
        status, 401,
        "an access token of the revoked grant still works"
    );
    // Revoking again, or an unknown token, is still 200 (§2.2).
    assert_eq!(revoke(app.clone(), rt).await, 200);
    assert_eq!(revoke(app, "not-a-token".to_owned()).await, 200);
}

/// Scope names are not unique across resources: a scope the client holds on one resource
/// never rides on a token for another resource that happens to define it too. And a
/// resource deleted after the grant is `invalid_target` at refresh without using up the
/// refresh token.
#[tokio::test]
async fn a_scope_held_on_one_resource_never_reaches_another() {
    let server = TestServer::start().await;
    let root = server.root().await;
    let mut ids = Vec::new();
    for (name, indicator, scopes) in [
        ("X", "https://x.example/api", vec!["shared"]),
        ("Y", "https://y.example/api", vec!["shared", "other"]),
    ] {
        let body = CreateApiResource {
            name: name.to_owned(),
            indicator: indicator.to_owned(),
            access_token_ttl: None,
            scopes: scopes
                .into_iter()
                .map(|s| ResourceScope {
                    name: s.to_owned(),
                    description: String::new(),
                })
                .collect(),
        };
        ids.push(server.engine.create_resource(&root, body).await.unwrap().id);
    }
    let created = server
        .engine
        .create_application(
            &root,
            CreateApplication {
                name: "Split".to_owned(),
                app_type: ApplicationType::Web,
                redirect_uris: vec![REDIRECT.to_owned()],
                post_logout_redirect_uris: vec![],
                third_party: false,
                device_flow: false,
                // `shared` only on X; on Y only `other`.
                resource_grants: vec![
                    ResourceGrant {
                        resource_id: ids[0].clone(),
                        scopes: vec!["shared".to_owned()],
                    },
                    ResourceGrant {
                        resource_id: ids[1].clone(),
                        scopes: vec!["other".to_owned()],
                    },
                ],
                refresh_token_absolute_ttl: None,
                refresh_token_idle_ttl: None,
                jwks: None,
            },
        )
        .await
        .unwrap();
    let (id, secret) = (created.application.id, created.client_secret.unwrap());
    let client = Some((id.as_str(), secret.as_str()));
    user(&server, "sam").await;
    let mut browser = Browser::new(&server);
    let extra = [
        ("scope", "openid offline_access shared other"),
        ("resource", "https://x.example/api"),
        ("resource", "https://y.example/api"),
    ];
    let (code, _) = code_after_sign_in(&mut browser, &id, "sam", &extra).await;
    let (status, tokens) = redeem(&server, client, &code, Some("https://y.example/api")).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        aud_and_scope(&tokens),
        (
            "https://y.example/api".into(),
            "openid offline_access other".into()
        ),
        "`shared` is held on X only"
    );
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, x) = refresh(&server, client, None, &rt, Some("https://x.example/api")).await;
    assert_eq!(status, 200, "{x}");
    assert_eq!(
        aud_and_scope(&x),
        (
            "https://x.example/api".into(),
            "openid offline_access shared".into()
        )
    );
    let rt = x["refresh_token"].as_str().unwrap().to_owned();

    // Y is deleted: asking for it is invalid_target, and the refresh token still works.
    server.engine.delete_resource(&root, &ids[1]).await.unwrap();
    let (status, gone) = refresh(&server, client, None, &rt, Some("https://y.example/api")).await;
    assert_eq!(
        (status, gone["error"].as_str()),
        (400, Some("invalid_target")),
        "{gone}"
    );
    let (status, still) = refresh(&server, client, None, &rt, Some("https://x.example/api")).await;
    assert_eq!(
        status, 200,
        "the refused request used up the refresh token: {still}"
    );
}
