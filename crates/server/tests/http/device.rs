//! The device authorization grant (RFC 8628) over HTTP, with a clock the test moves: the
//! device endpoint's answer, polling (pending, slow_down, expired, one-time tokens, another
//! client), the verification page (sign-in, code entry, what it shows, explicit confirmation,
//! CSRF), and user-code guessing limits.

use crate::browser::{Browser, PASSWORD, Reply, user};
use crate::common::{TestServer, decode_jwt};
use gatehouse_oidc::{Clock, FixedClock};
use gatehouse_types::management::{ApplicationType, CreateApplication, ResourceGrant};
use serde_json::Value;
use std::sync::Arc;

struct Fixture {
    server: TestServer,
    clock: Arc<FixedClock>,
    device_app: String,
    other_app: String,
    /// A public native app without the device flow.
    plain_app: String,
}

async fn fixture() -> Fixture {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let clock = Arc::new(FixedClock::new(now));
    let server = TestServer::start_with_clock(clock.clone()).await;
    let root = server.root().await;
    let mut ids = Vec::new();
    for (app_type, device_flow, uri) in [
        (ApplicationType::Native, true, "http://127.0.0.1/callback"),
        (ApplicationType::Native, true, "http://127.0.0.1/other"),
        (ApplicationType::Native, false, "http://127.0.0.1/plain"),
    ] {
        let created = server
            .engine
            .create_application(
                &root,
                CreateApplication {
                    name: "TV App".to_owned(),
                    app_type,
                    redirect_uris: vec![uri.to_owned()],
                    post_logout_redirect_uris: vec![],
                    third_party: false,
                    device_flow,
                    resource_grants: vec![],
                    refresh_token_absolute_ttl: None,
                    refresh_token_idle_ttl: None,
                    jwks: None,
                },
            )
            .await
            .unwrap();
        ids.push(created.application.id);
    }
    user(&server, "dana").await;
    Fixture {
        server,
        clock,
        device_app: ids[0].clone(),
        other_app: ids[1].clone(),
        plain_app: ids[2].clone(),
    }
}

impl Fixture {
    async fn start(&self, client_id: &str, scope: &str) -> (u16, Value) {
        let response = self
            .server
            .post_form(
                &self.server.url("/oauth2/device_authorization"),
                None,
                &[("client_id", client_id), ("scope", scope)],
            )
            .await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn poll(&self, client_id: &str, device_code: &str) -> (u16, Value) {
        let response = self
            .server
            .post_form(
                &self.server.url("/oauth2/token"),
                None,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("device_code", device_code),
                    ("client_id", client_id),
                ],
            )
            .await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    fn wait(&self, seconds: i64) {
        self.clock.advance(seconds);
    }

    /// A device-flow native app "Admin TV" with these grants; its client_id.
    async fn admin_tv(&self, resource_grants: Vec<ResourceGrant>) -> String {
        let root = self.server.root().await;
        let created = self
            .server
            .engine
            .create_application(
                &root,
                CreateApplication {
                    name: "Admin TV".to_owned(),
                    app_type: ApplicationType::Native,
                    redirect_uris: vec!["http://127.0.0.1/admin".to_owned()],
                    post_logout_redirect_uris: vec![],
                    third_party: false,
                    device_flow: true,
                    resource_grants,
                    refresh_token_absolute_ttl: None,
                    refresh_token_idle_ttl: None,
                    jwks: None,
                },
            )
            .await
            .unwrap();
        created.application.id
    }
}

/// The Management API with its one scope.
fn management_grant() -> ResourceGrant {
    ResourceGrant {
        resource_id: gatehouse_core::MANAGEMENT_RESOURCE_ID.to_owned(),
        scopes: vec![gatehouse_core::MANAGEMENT_SCOPE.to_owned()],
    }
}

/// Signs in on the verification page reached through `verification_uri_complete`.
async fn sign_in_on_device_page(browser: &mut Browser<'_>, complete: &str) -> Reply {
    let page = browser.get(complete).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("to connect a device"), "{}", page.body);
    assert!(page.form_action().ends_with("/device/sign-in"));
    let signed_in = browser.sign_in(&page, "dana", PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    browser.get(&signed_in.location()).await
}

#[tokio::test]
async fn device_flow_from_code_to_tokens_once() {
    let f = fixture().await;
    let (status, answer) = f.start(&f.device_app, "openid offline_access").await;
    assert_eq!(status, 200, "{answer}");
    let device_code = answer["device_code"].as_str().unwrap().to_owned();
    let user_code = answer["user_code"].as_str().unwrap().to_owned();
    assert!(device_code.len() >= 43, "≥ 256 bits");
    assert_eq!(user_code.len(), 9);
    assert!(
        user_code.chars().enumerate().all(|(i, c)| if i == 4 {
            c == '-'
        } else {
            "BCDFGHJKLMNPQRSTVWXZ".contains(c)
        }),
        "{user_code}"
    );
    assert_eq!(
        answer["verification_uri"],
        format!("{}/device", f.server.issuer)
    );
    let complete = answer["verification_uri_complete"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(complete.ends_with(&format!("?user_code={user_code}")));
    assert_eq!(answer["expires_in"], 600);
    assert_eq!(answer["interval"], 5);

    // Polling: pending; too fast gets slow_down and a longer interval.
    let (status, error) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    f.wait(2);
    let (_, error) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(error["error"], "slow_down");
    f.wait(6);
    let (_, error) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(
        error["error"], "slow_down",
        "the interval is now 10 s, then 15 s"
    );
    f.wait(15);
    let (_, error) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(error["error"], "authorization_pending");

    // The page: sign in, the code is filled in but nothing is approved until confirmed (D-05).
    let mut browser = Browser::new(&f.server);
    let code_page = sign_in_on_device_page(&mut browser, &complete).await;
    assert!(
        code_page.body.contains(&format!("value=\"{user_code}\"")),
        "{}",
        code_page.body
    );
    f.wait(15);
    let (_, error) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(error["error"], "authorization_pending");
    let csrf = code_page.hidden("csrf");
    let confirm = browser
        .post(
            "/device",
            &[("csrf", &csrf), ("user_code", &user_code.to_lowercase())],
        )
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains("Connect TV App?"));
    assert!(
        confirm.body.contains(&user_code),
        "the code to compare with the device"
    );
    assert!(
        confirm.body.contains("127.0.0.1"),
        "the requesting IP (D-05)"
    );
    assert!(confirm.body.contains("Stay connected"), "the scopes");
    assert!(
        !confirm.body.contains("administrator access"),
        "no administrator warning without the Management API"
    );

    // Another client polling this device code learns nothing and changes nothing (D-03).
    f.wait(15);
    let (_, error) = f.poll(&f.other_app, &device_code).await;
    assert_eq!(error["error"], "invalid_grant");

    let csrf = confirm.hidden("csrf");
    let refused = browser
        .post(
            "/device/decide",
            &[("user_code", &user_code), ("decision", "allow")],
        )
        .await;
    assert_eq!(refused.status, 403, "no CSRF token");
    let done = browser
        .post(
            "/device/decide",
            &[
                ("csrf", &csrf),
                ("user_code", &user_code),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Device connected"));

    let (status, tokens) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["refresh_token"].is_string());
    let (_, claims) = decode_jwt(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["aud"], f.device_app.as_str());
    assert!(claims["auth_time"].is_i64());
    // Tokens come once (D-02); the code cannot be approved again (D-06).
    f.wait(15);
    let (_, error) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(error["error"], "invalid_grant");
    let again = browser
        .post(
            "/device/decide",
            &[
                ("csrf", &csrf),
                ("user_code", &user_code),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("not valid or has expired"));
}

#[tokio::test]
async fn denied_expired_and_unregistered() {
    let f = fixture().await;
    let (status, error) = f.start(&f.plain_app, "openid").await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let (status, error) = f.start(&f.device_app, "email").await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    let (_, answer) = f.start(&f.device_app, "openid").await;
    let device_code = answer["device_code"].as_str().unwrap().to_owned();
    let user_code = answer["user_code"].as_str().unwrap().to_owned();
    let mut browser = Browser::new(&f.server);
    let code_page = sign_in_on_device_page(
        &mut browser,
        answer["verification_uri_complete"].as_str().unwrap(),
    )
    .await;
    let csrf = code_page.hidden("csrf");
    let denied = browser
        .post(
            "/device/decide",
            &[
                ("csrf", &csrf),
                ("user_code", &user_code),
                ("decision", "deny"),
            ],
        )
        .await;
    assert!(denied.body.contains("Request denied"));
    let (_, error) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(error["error"], "access_denied");

    let (_, answer) = f.start(&f.device_app, "openid").await;
    let device_code = answer["device_code"].as_str().unwrap().to_owned();
    f.wait(600);
    let (_, error) = f.poll(&f.device_app, &device_code).await;
    assert_eq!(error["error"], "expired_token");
    let late = browser
        .post(
            "/device",
            &[
                ("csrf", &csrf),
                ("user_code", answer["user_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(late.status, 400, "the expiry holds on the page too (D-06)");
    let _ = f.clock.now();
}

#[tokio::test]
async fn guessing_user_codes_is_throttled() {
    let f = fixture().await;
    let (_, answer) = f.start(&f.device_app, "openid").await;
    let user_code = answer["user_code"].as_str().unwrap().to_owned();
    let mut browser = Browser::new(&f.server);
    let code_page =
        sign_in_on_device_page(&mut browser, &format!("{}/device", f.server.issuer)).await;
    let csrf = code_page.hidden("csrf");
    let mut statuses = Vec::new();
    for guess in 0..11 {
        let code = format!(
            "BCDF-{}",
            [
                "GHJK", "GHJL", "GHJM", "GHJN", "GHJP", "GHJQ", "GHJR", "GHJS", "GHJT", "GHJV",
                "GHJW"
            ][guess]
        );
        if code == user_code {
            continue;
        }
        let reply = browser
            .post("/device", &[("csrf", &csrf), ("user_code", &code)])
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(statuses.iter().take(10).all(|s| *s == 400 || *s == 429));
    // While locked, even the right code is refused (D-04).
    let right = browser
        .post("/device", &[("csrf", &csrf), ("user_code", &user_code)])
        .await;
    assert_eq!(right.status, 429);
}

#[tokio::test]
async fn a_person_cannot_approve_what_they_may_not_have() {
    let f = fixture().await;
    let root = f.server.root().await;
    let app = f.admin_tv(vec![management_grant()]).await;
    let response = f
        .server
        .post_form(
            &f.server.url("/oauth2/device_authorization"),
            None,
            &[
                ("client_id", app.as_str()),
                ("scope", "all"),
                ("resource", &root.management_indicator()),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let mut browser = Browser::new(&f.server);
    let code_page = sign_in_on_device_page(
        &mut browser,
        answer["verification_uri_complete"].as_str().unwrap(),
    )
    .await;
    let csrf = code_page.hidden("csrf");
    let user_code = answer["user_code"].as_str().unwrap();
    // The confirmation page warns that the Management API means administrator access.
    let confirm = browser
        .post("/device", &[("csrf", &csrf), ("user_code", user_code)])
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm
            .body
            .contains("This request asks for administrator access: Admin TV on that device"),
        "{}",
        confirm.body
    );
    let refused = browser
        .post(
            "/device/decide",
            &[
                ("csrf", &csrf),
                ("user_code", user_code),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "D-07: dana is no administrator");
    assert!(refused.body.contains("may not approve"));
    let (_, error) = f.poll(&app, answer["device_code"].as_str().unwrap()).await;
    assert_eq!(error["error"], "access_denied");
}

/// D-07: a person who is no administrator approves a request for the Management API and
/// another API: the page shows the other one only, and the device gets that one only, by
/// polling and by refresh. (The approval stores that narrowed request, so a later change of
/// the person's rights can only narrow it further; conformance
/// `device_approval_narrows_the_request`.)
#[tokio::test]
async fn a_non_administrator_approves_only_what_the_page_showed() {
    let f = fixture().await;
    let root = f.server.root().await;
    let orders = f
        .server
        .engine
        .create_resource(
            &root,
            gatehouse_types::management::CreateApiResource {
                name: "Orders".to_owned(),
                indicator: "https://orders.example/api".to_owned(),
                access_token_ttl: None,
                scopes: vec![gatehouse_types::management::ResourceScope {
                    name: "read".to_owned(),
                    description: String::new(),
                }],
            },
        )
        .await
        .unwrap();
    let app = f
        .admin_tv(vec![
            management_grant(),
            ResourceGrant {
                resource_id: orders.id.clone(),
                scopes: vec!["read".to_owned()],
            },
        ])
        .await;
    let management = root.management_indicator();
    let response = f
        .server
        .post_form(
            &f.server.url("/oauth2/device_authorization"),
            None,
            &[
                ("client_id", app.as_str()),
                ("scope", "read all offline_access"),
                ("resource", &management),
                ("resource", "https://orders.example/api"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let user_code = answer["user_code"].as_str().unwrap();
    let mut browser = Browser::new(&f.server);
    let code_page = sign_in_on_device_page(
        &mut browser,
        answer["verification_uri_complete"].as_str().unwrap(),
    )
    .await;
    let csrf = code_page.hidden("csrf");
    let confirm = browser
        .post("/device", &[("csrf", &csrf), ("user_code", user_code)])
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains("Orders"), "{}", confirm.body);
    assert!(
        !confirm.body.contains("administrator access"),
        "the Management API is not on the page of a non-administrator"
    );
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
    assert_eq!(done.status, 200, "{}", done.body);

    let (status, tokens) = f.poll(&app, answer["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    let (_, claims) = decode_jwt(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "https://orders.example/api", "{claims}");
    assert_eq!(
        claims["scope"], "read offline_access",
        "no Management API scope: {claims}"
    );
    // The grant holds only what was approved: no Management API token by refresh either.
    let response = f
        .server
        .post_form(
            &f.server.url("/oauth2/token"),
            None,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", app.as_str()),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("resource", &management),
            ],
        )
        .await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "invalid_target", "{error}");
}
