//! The browser flow over HTTP: authorize, sign-in, sign-up, consent, SSO, prompts, logout,
//! CSRF and browser binding, cookies and page headers, form_post, replicas. A small cookie
//! jar stands in for the browser; pages are read the way a person would submit them.

use crate::common::{TestServer, decode_jwt};
use gatehouse_oidc::TenantContext;
use gatehouse_oidc::token::authorization_code::s256_challenge;
use gatehouse_types::management::{ApplicationType, CreateApplication, CreateUser};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::Value;
use std::collections::BTreeMap;

pub(crate) const REDIRECT: &str = "http://127.0.0.1:9/cb";
const LOGOUT_REDIRECT: &str = "http://127.0.0.1:9/bye";
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mJ92ZH1kN8ZKT4KC5tzkdBNEvhMADk";
pub(crate) const PASSWORD: &str = "correct horse battery";

/// A cookie jar and the server it talks to.
pub(crate) struct Browser<'a> {
    server: &'a TestServer,
    cookies: BTreeMap<String, String>,
}

/// A page or redirect as received.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The query parameters of the redirect.
    pub(crate) fn redirect_params(&self) -> BTreeMap<String, String> {
        let location = self.location();
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    /// The value of `name="field" value="..."` in the page (HTML-unescaped).
    pub(crate) fn hidden(&self, field: &str) -> String {
        let marker = format!("name=\"{field}\" value=\"");
        let start = self.body.find(&marker).unwrap_or_else(|| {
            panic!("no field {field} in page:\n{}", self.body);
        }) + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        unescape(&self.body[start..end])
    }

    /// Every hidden field of the page, in order.
    pub(crate) fn hidden_fields(&self) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("<input type=\"hidden\" name=\"") {
            rest = &rest[start + 27..];
            let name_end = rest.find('"').unwrap();
            let name = rest[..name_end].to_owned();
            let value_start = rest.find("value=\"").unwrap() + 7;
            let value_end = rest[value_start..].find('"').unwrap() + value_start;
            fields.push((name, unescape(&rest[value_start..value_end])));
            rest = &rest[value_end..];
        }
        fields
    }

    /// The action of the page's first form.
    pub(crate) fn form_action(&self) -> String {
        let start = self.body.find("action=\"").expect("a form") + 8;
        let end = self.body[start..].find('"').unwrap() + start;
        unescape(&self.body[start..end])
    }

    pub(crate) fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with(&format!("{name}=")))
    }
}

fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl<'a> Browser<'a> {
    pub(crate) fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn absorb(&mut self, response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().await.unwrap();
        Reply {
            status,
            headers,
            body,
        }
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            self.server.url(url)
        } else {
            url.to_owned()
        }
    }

    pub(crate) async fn get(&mut self, url: &str) -> Reply {
        let response = self
            .server
            .client
            .get(self.absolute(url))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.absorb(response).await
    }

    /// POSTs a form the way Chromium does from our pages: `Sec-Fetch-Site: same-origin` and,
    /// because of their `Referrer-Policy: no-referrer`, `Origin: null`.
    pub(crate) async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Reply {
        let response = self
            .server
            .client
            .post(self.absolute(url))
            .header("cookie", self.cookie_header())
            .header("origin", "null")
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .unwrap();
        self.absorb(response).await
    }

    /// Starts an authorization and follows the redirect to our page when there is one.
    pub(crate) async fn authorize(&mut self, client_id: &str, extra: &[(&str, &str)]) -> Reply {
        let reply = self
            .get(&authorize_url(self.server, client_id, extra))
            .await;
        if reply.status == 303 && reply.location().contains("/interaction/") {
            return self.get(&reply.location()).await;
        }
        reply
    }

    /// Submits the sign-in page shown in `page`.
    pub(crate) async fn sign_in(
        &mut self,
        page: &Reply,
        identifier: &str,
        password: &str,
    ) -> Reply {
        let hidden = page.hidden_fields();
        assert!(
            hidden.iter().any(|(name, _)| name == "csrf"),
            "{}",
            page.body
        );
        let mut form: Vec<(&str, &str)> = hidden
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        form.push(("identifier", identifier));
        form.push(("password", password));
        let action = page.form_action();
        self.post(&action, &form).await
    }
}

fn authorize_url(server: &TestServer, client_id: &str, extra: &[(&str, &str)]) -> String {
    let challenge = s256_challenge(VERIFIER);
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", client_id),
        ("response_type", "code"),
        ("scope", "openid profile offline_access"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("state", "st-1"),
        ("nonce", "n-1"),
    ];
    for (name, value) in extra {
        // RFC 8707 §2: `resource` may be sent several times; every other one replaces.
        if *name != "resource" {
            params.retain(|(n, _)| n != name);
        }
        params.push((name, value));
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    server.url(&format!("/oauth2/authorize?{query}"))
}

/// A web app (confidential), optionally third-party: (client_id, client_secret).
pub(crate) async fn web_app(server: &TestServer, third_party: bool) -> (String, String) {
    let root = server.root().await;
    let created = server
        .engine
        .create_application(
            &root,
            CreateApplication {
                name: "Photo Printer".to_owned(),
                app_type: ApplicationType::Web,
                redirect_uris: vec![REDIRECT.to_owned()],
                post_logout_redirect_uris: vec![LOGOUT_REDIRECT.to_owned()],
                third_party,
                device_flow: false,
                resource_grants: vec![],
                refresh_token_absolute_ttl: None,
                refresh_token_idle_ttl: None,
                jwks: None,
            },
        )
        .await
        .unwrap();
    (created.application.id, created.client_secret.unwrap())
}

pub(crate) async fn user(server: &TestServer, username: &str) -> String {
    let root: std::sync::Arc<TenantContext> = server.root().await;
    server
        .engine
        .create_user(
            &root,
            CreateUser {
                username: Some(username.to_owned()),
                email: Some(format!("{username}@example.com")),
                password: Some(PASSWORD.to_owned()),
                name: None,
                email_verified: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
}

async fn redeem(server: &TestServer, client: (&str, &str), code: &str) -> (u16, Value) {
    let response = server
        .post_form(
            &server.url("/oauth2/token"),
            Some(client),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", VERIFIER),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub(crate) async fn userinfo(server: &TestServer, token: &str) -> (u16, Value) {
    let response = server
        .client
        .get(server.url("/oauth2/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn assert_redirect_to_client(reply: &Reply, server: &TestServer) -> BTreeMap<String, String> {
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(
        reply.location().starts_with(REDIRECT),
        "{}",
        reply.location()
    );
    let params = reply.redirect_params();
    assert_eq!(params["state"], "st-1");
    assert_eq!(params["iss"], server.issuer, "RFC 9207 iss");
    params
}

#[tokio::test]
async fn sign_in_then_code_tokens_userinfo_and_sso() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    let alice = user(&server, "alice").await;
    let mut browser = Browser::new(&server);
    let page = browser.authorize(&client.0, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Sign in</h1>"), "{}", page.body);
    assert!(browser.cookies.contains_key("gatehouse-browser"));

    // Wrong password: the page again, a generic message, no session.
    let wrong = browser.sign_in(&page, "alice", "not the password").await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong
            .body
            .contains("The username, email or password is not correct.")
    );
    assert!(wrong.set_cookie("gatehouse-session").is_none());
    // The same message for an unknown account (U-05).
    let unknown = browser.sign_in(&wrong, "nobody", "not the password").await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown
            .body
            .contains("The username, email or password is not correct.")
    );

    let done = browser.sign_in(&unknown, "ALICE", PASSWORD).await;
    let params = assert_redirect_to_client(&done, &server);
    let cookie = done.set_cookie("gatehouse-session").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/")
    );
    assert!(
        !cookie.contains("Max-Age"),
        "no remember me: a browser-session cookie"
    );

    let (status, tokens) = redeem(&server, (&client.0, &client.1), &params["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let (_, id_claims) = decode_jwt(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_claims["sub"], alice.as_str());
    assert_eq!(id_claims["aud"], client.0.as_str());
    assert_eq!(id_claims["nonce"], "n-1");
    assert_eq!(id_claims["amr"], serde_json::json!(["pwd"]));
    assert!(id_claims["auth_time"].is_i64() && id_claims["sid"].is_string());
    assert!(tokens["refresh_token"].is_string());
    let (status, claims) = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(claims["sub"], alice.as_str());
    assert_eq!(claims["preferred_username"], "alice");
    assert!(claims.get("email").is_none(), "email scope not granted");

    // Single sign-on: a second authorization answers at once, same user and session.
    let again = browser.get(&authorize_url(&server, &client.0, &[])).await;
    let params = assert_redirect_to_client(&again, &server);
    let (_, tokens) = redeem(&server, (&client.0, &client.1), &params["code"]).await;
    let (_, claims) = decode_jwt(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sub"], alice.as_str());
    assert_eq!(claims["sid"], id_claims["sid"]);
    assert_eq!(claims["auth_time"], id_claims["auth_time"]);

    // prompt=login asks again; max_age=0 too once a second has passed.
    let forced = browser.authorize(&client.0, &[("prompt", "login")]).await;
    assert_eq!(forced.status, 200);
    assert!(forced.body.contains("<h1>Sign in</h1>"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let aged = browser.authorize(&client.0, &[("max_age", "0")]).await;
    assert_eq!(aged.status, 200, "{}", aged.location());
    let done = browser.sign_in(&aged, "alice@example.com", PASSWORD).await;
    let params = assert_redirect_to_client(&done, &server);
    let (_, tokens) = redeem(&server, (&client.0, &client.1), &params["code"]).await;
    let (_, claims) = decode_jwt(tokens["id_token"].as_str().unwrap());
    assert!(claims["auth_time"].as_i64() > id_claims["auth_time"].as_i64());
    assert_ne!(
        claims["sid"], id_claims["sid"],
        "a new session at every sign-in (S-02)"
    );
}

#[tokio::test]
async fn prompt_none_answers_without_a_page() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    user(&server, "bob").await;
    let mut browser = Browser::new(&server);
    let reply = browser
        .get(&authorize_url(&server, &client.0, &[("prompt", "none")]))
        .await;
    let params = assert_redirect_to_client(&reply, &server);
    assert_eq!(params["error"], "login_required");
    assert!(!params.contains_key("code"));
    assert!(
        !browser.cookies.contains_key("gatehouse-browser"),
        "no interaction started"
    );

    let page = browser.authorize(&client.0, &[]).await;
    browser.sign_in(&page, "bob", PASSWORD).await;
    let reply = browser
        .get(&authorize_url(&server, &client.0, &[("prompt", "none")]))
        .await;
    let params = assert_redirect_to_client(&reply, &server);
    assert!(params.contains_key("code"), "{params:?}");
}

#[tokio::test]
async fn third_party_apps_ask_for_consent_once() {
    let server = TestServer::start().await;
    let client = web_app(&server, true).await;
    user(&server, "carol").await;
    let mut browser = Browser::new(&server);
    let page = browser.authorize(&client.0, &[]).await;
    let signed_in = browser.sign_in(&page, "carol", PASSWORD).await;
    assert_eq!(signed_in.status, 303);
    assert!(
        signed_in.location().contains("/interaction/"),
        "consent page next"
    );
    let consent = browser.get(&signed_in.location()).await;
    assert_eq!(consent.status, 200);
    assert!(
        consent
            .body
            .contains("Photo Printer wants to access your account")
    );
    assert!(consent.body.contains("See your name and username"));
    assert!(
        consent.body.contains("127.0.0.1"),
        "the redirect host is shown (P-29)"
    );

    // prompt=none while consent is missing: consent_required (P-15).
    let silent = browser
        .get(&authorize_url(&server, &client.0, &[("prompt", "none")]))
        .await;
    assert_eq!(
        assert_redirect_to_client(&silent, &server)["error"],
        "consent_required"
    );

    let csrf = consent.hidden("csrf");
    let denied = browser
        .post(
            &consent.form_action(),
            &[("csrf", &csrf), ("decision", "deny")],
        )
        .await;
    let params = assert_redirect_to_client(&denied, &server);
    assert_eq!(params["error"], "access_denied");
    // The interaction is finished: the form cannot be replayed.
    let replay = browser
        .post(
            &consent.form_action(),
            &[("csrf", &csrf), ("decision", "allow")],
        )
        .await;
    assert_eq!(replay.status, 400);
    assert!(replay.location().is_empty());

    let consent = browser.authorize(&client.0, &[]).await;
    assert!(consent.body.contains("wants to access your account"));
    let csrf = consent.hidden("csrf");
    let allowed = browser
        .post(
            &consent.form_action(),
            &[("csrf", &csrf), ("decision", "allow")],
        )
        .await;
    assert!(assert_redirect_to_client(&allowed, &server).contains_key("code"));

    // Remembered: no page for the same scopes, the page again for more.
    let again = browser.get(&authorize_url(&server, &client.0, &[])).await;
    assert!(assert_redirect_to_client(&again, &server).contains_key("code"));
    let more = browser
        .authorize(&client.0, &[("scope", "openid profile email")])
        .await;
    assert_eq!(more.status, 200);
    assert!(more.body.contains("See your email address"));
    // Consent given to one application is not consent for another (cross-app consent).
    let other = web_app(&server, true).await;
    let asked = browser.authorize(&other.0, &[]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("wants to access your account"));
    let silent = browser
        .get(&authorize_url(&server, &other.0, &[("prompt", "none")]))
        .await;
    assert_eq!(
        assert_redirect_to_client(&silent, &server)["error"],
        "consent_required"
    );
}

#[tokio::test]
async fn sign_up_creates_the_account_and_signs_in() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    user(&server, "taken").await;
    let mut browser = Browser::new(&server);
    let page = browser.authorize(&client.0, &[("prompt", "create")]).await;
    assert!(
        page.body.contains("<h1>Create your account</h1>"),
        "{}",
        page.body
    );
    let csrf = page.hidden("csrf");
    let action = page.form_action();
    assert!(action.ends_with("/sign-up"));

    let weak = browser
        .post(
            &action,
            &[
                ("username", "dave"),
                ("password", "password"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("Choose a different password"));
    let taken = browser
        .post(
            &action,
            &[
                ("username", "Taken"),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(taken.status, 400);
    assert!(taken.body.contains("cannot be used"));

    let created = browser
        .post(
            &action,
            &[
                ("username", "dave"),
                ("email", "dave@example.com"),
                ("password", PASSWORD),
                ("remember", "1"),
                ("csrf", &csrf),
            ],
        )
        .await;
    let params = assert_redirect_to_client(&created, &server);
    let cookie = created.set_cookie("gatehouse-session").unwrap();
    assert!(
        cookie.contains("Max-Age="),
        "remember me: a persistent cookie"
    );
    let (status, tokens) = redeem(&server, (&client.0, &client.1), &params["code"]).await;
    assert_eq!(status, 200);
    let (_, claims) = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["preferred_username"], "dave");
}

#[tokio::test]
async fn forms_need_this_browser_and_its_csrf_token() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    user(&server, "erin").await;
    let mut victim = Browser::new(&server);
    let page = victim.authorize(&client.0, &[]).await;
    let action = page.form_action();
    let csrf = page.hidden("csrf");
    let sign_in = [("identifier", "erin"), ("password", PASSWORD)];

    // S-07: no token, a wrong token, or a cross-site origin: 403 and no session.
    for form in [
        sign_in.to_vec(),
        [sign_in.as_slice(), &[("csrf", "forged")]].concat(),
    ] {
        let reply = victim.post(&action, &form).await;
        assert_eq!(reply.status, 403);
        assert!(reply.set_cookie("gatehouse-session").is_none());
    }
    // A browser without Sec-Fetch-Site: judged by Origin alone.
    let old_browser = server
        .client
        .post(server.url(&action))
        .header("cookie", victim.cookie_header())
        .header("origin", server.issuer.as_str())
        .form(&[
            ("identifier", "erin"),
            ("password", "wrong password"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        old_browser.status(),
        400,
        "same origin, wrong password: the page again"
    );
    let cross_site = server
        .client
        .post(server.url(&action))
        .header("cookie", victim.cookie_header())
        .header("origin", "https://evil.example")
        .form(&[sign_in.as_slice(), &[("csrf", csrf.as_str())]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let fetch_site = server
        .client
        .post(server.url(&action))
        .header("cookie", victim.cookie_header())
        .header("sec-fetch-site", "cross-site")
        .form(&[sign_in.as_slice(), &[("csrf", csrf.as_str())]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_site.status(), 403);
    // Origin: null with Sec-Fetch-Site: cross-site (a hostile page with no-referrer): 403.
    let null_cross = server
        .client
        .post(server.url(&action))
        .header("cookie", victim.cookie_header())
        .header("origin", "null")
        .header("sec-fetch-site", "cross-site")
        .form(&[sign_in.as_slice(), &[("csrf", csrf.as_str())]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(null_cross.status(), 403);

    // S-08: another browser cannot finish this interaction, even with its own valid cookie.
    let mut attacker = Browser::new(&server);
    attacker.authorize(&client.0, &[]).await;
    let stolen = attacker
        .post(
            &action,
            &[sign_in.as_slice(), &[("csrf", csrf.as_str())]].concat(),
        )
        .await;
    assert!(matches!(stolen.status, 400 | 403), "{}", stolen.status);
    assert!(
        stolen.location().is_empty(),
        "no code for the attacker's browser"
    );
    let viewed = attacker.get(&action.replace("/sign-in", "")).await;
    assert_eq!(
        viewed.status, 400,
        "the page is not shown to another browser"
    );

    // The victim's own submission still works.
    let done = victim
        .post(
            &action,
            &[sign_in.as_slice(), &[("csrf", csrf.as_str())]].concat(),
        )
        .await;
    assert_redirect_to_client(&done, &server);
}

#[tokio::test]
async fn bad_requests_get_the_error_page_or_a_redirected_error() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    let mut browser = Browser::new(&server);
    // P-01: an unregistered redirect URI is never redirected to.
    for uri in [
        "http://127.0.0.1:9/cb/",
        "https://evil.example/cb",
        "http://127.0.0.1:9/cb?x=1",
    ] {
        let reply = browser
            .get(&authorize_url(&server, &client.0, &[("redirect_uri", uri)]))
            .await;
        assert_eq!(reply.status, 400, "{uri}");
        assert!(reply.location().is_empty(), "{uri}");
        assert!(reply.body.contains("Something went wrong"));
        let csp = reply.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
        assert_eq!(reply.headers["x-frame-options"], "DENY");
    }
    let unknown = browser
        .get(&authorize_url(&server, "no-such-client", &[]))
        .await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.location().is_empty());
    // P-04/P-05: PKCE errors go to the valid redirect URI as invalid_request.
    for extra in [
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge", "")],
    ] {
        let reply = browser
            .get(&authorize_url(&server, &client.0, &extra))
            .await;
        assert_eq!(
            assert_redirect_to_client(&reply, &server)["error"],
            "invalid_request"
        );
    }
    let token = browser
        .get(&authorize_url(
            &server,
            &client.0,
            &[("response_type", "token")],
        ))
        .await;
    assert_eq!(
        assert_redirect_to_client(&token, &server)["error"],
        "unsupported_response_type"
    );
    // XSS through login_hint is escaped (U-17).
    let hinted = browser
        .authorize(&client.0, &[("login_hint", "\"><svg onload=alert(1)>")])
        .await;
    assert_eq!(hinted.status, 200);
    assert!(!hinted.body.contains("<svg"), "{}", hinted.body);
}

#[tokio::test]
async fn form_post_delivers_an_escaped_auto_submitting_form() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    user(&server, "frank").await;
    let mut browser = Browser::new(&server);
    let state = "\"><script>alert(1)</script>";
    let page = browser
        .authorize(
            &client.0,
            &[("response_mode", "form_post"), ("state", state)],
        )
        .await;
    let reply = browser.sign_in(&page, "frank", PASSWORD).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .contains(&format!("action=\"{}\"", REDIRECT.replace('/', "&#x2f;")))
    );
    assert!(!reply.body.contains("<script>alert"), "{}", reply.body);
    assert_eq!(reply.hidden("state"), state);
    assert_eq!(reply.hidden("iss"), server.issuer);
    assert!(!reply.hidden("code").is_empty());
    let csp = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'nonce-") && csp.contains("form-action 'self' http://127.0.0.1:9")
    );
}

#[tokio::test]
async fn logout_confirms_then_ends_the_session() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    user(&server, "grace").await;
    let mut browser = Browser::new(&server);
    let page = browser.authorize(&client.0, &[]).await;
    let params =
        assert_redirect_to_client(&browser.sign_in(&page, "grace", PASSWORD).await, &server);
    let old_session = browser.cookies["gatehouse-session"].clone();
    let (_, tokens) = redeem(&server, (&client.0, &client.1), &params["code"]).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();

    let logout_url = |uri: &str| {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("id_token_hint", id_token.as_str()),
                ("post_logout_redirect_uri", uri),
                ("state", "bye-1"),
            ])
            .finish();
        format!("/oauth2/end_session?{query}")
    };
    // GET only asks (S-07: GET never changes state).
    let confirm = browser.get(&logout_url(LOGOUT_REDIRECT)).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("<h1>Sign out</h1>"));
    let silent = browser
        .get(&authorize_url(&server, &client.0, &[("prompt", "none")]))
        .await;
    assert!(assert_redirect_to_client(&silent, &server).contains_key("code"));

    // No CSRF token: refused, still signed in.
    let refused = browser
        .post(
            "/oauth2/end_session",
            &[("id_token_hint", id_token.as_str())],
        )
        .await;
    assert_eq!(refused.status, 403);

    // An unregistered post-logout URI is never followed (P-28), but the confirmation is.
    let evil = browser.get(&logout_url("https://evil.example/bye")).await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), evil.hidden("csrf"))];
    for name in ["id_token_hint", "post_logout_redirect_uri", "state"] {
        form.push((name.into(), evil.hidden(name)));
    }
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let done = browser.post("/oauth2/end_session", &form_ref).await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("You are signed out"));
    assert!(done.location().is_empty());

    let silent = browser
        .get(&authorize_url(&server, &client.0, &[("prompt", "none")]))
        .await;
    assert_eq!(
        assert_redirect_to_client(&silent, &server)["error"],
        "login_required"
    );
    // S-04: the old cookie replayed is signed out too.
    browser
        .cookies
        .insert("gatehouse-session".into(), old_session);
    let replayed = browser
        .get(&authorize_url(&server, &client.0, &[("prompt", "none")]))
        .await;
    assert_eq!(
        assert_redirect_to_client(&replayed, &server)["error"],
        "login_required"
    );

    // With a registered URI: redirected there with state.
    let page = browser.authorize(&client.0, &[]).await;
    browser.sign_in(&page, "grace", PASSWORD).await;
    let confirm = browser.get(&logout_url(LOGOUT_REDIRECT)).await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), confirm.hidden("csrf"))];
    for name in ["id_token_hint", "post_logout_redirect_uri", "state"] {
        form.push((name.into(), confirm.hidden(name)));
    }
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let done = browser.post("/oauth2/end_session", &form_ref).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), format!("{LOGOUT_REDIRECT}?state=bye-1"));
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    user(&server, "heidi").await;
    // Four failures, then a success: the success clears the account's counter.
    let mut browser = Browser::new(&server);
    let mut page = browser.authorize(&client.0, &[]).await;
    for _ in 0..4 {
        page = browser.sign_in(&page, "heidi", "wrong password!").await;
        assert_eq!(page.status, 400);
    }
    assert_redirect_to_client(&browser.sign_in(&page, "heidi", PASSWORD).await, &server);
    let mut browser = Browser::new(&server);
    let mut page = browser.authorize(&client.0, &[]).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        page = browser.sign_in(&page, "heidi", "wrong password!").await;
        statuses.push(page.status);
    }
    assert_eq!(statuses, [400, 400, 400, 400, 400, 429]);
    assert!(page.headers.contains_key("retry-after"));
    assert!(page.body.contains("Too many failed attempts"));
    // even the right password is refused while the lock lasts.
    let right = browser.sign_in(&page, "heidi", PASSWORD).await;
    assert_eq!(right.status, 429);
    assert!(right.set_cookie("gatehouse-session").is_none());
}

#[tokio::test]
async fn a_flow_alternating_between_two_replicas() {
    let a = TestServer::start().await;
    let b = a.replica().await;
    let client = web_app(&a, false).await;
    user(&a, "ivan").await;
    let mut on_a = Browser::new(&a);
    let start = on_a.get(&authorize_url(&a, &client.0, &[])).await;
    // The page and the sign-in happen on replica B, with the cookies from A.
    let mut on_b = Browser {
        server: &b,
        cookies: on_a.cookies.clone(),
    };
    let page = on_b.get(&start.location()).await;
    assert_eq!(page.status, 200);
    let done = on_b.sign_in(&page, "ivan", PASSWORD).await;
    let params = assert_redirect_to_client(&done, &a);
    let (status, tokens) = redeem(&a, (&client.0, &client.1), &params["code"]).await;
    assert_eq!(status, 200);
    let (status, _) = userinfo(&b, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    // SSO on A with the session made on B.
    on_a.cookies = on_b.cookies.clone();
    let again = on_a
        .get(&authorize_url(&a, &client.0, &[("prompt", "none")]))
        .await;
    assert!(assert_redirect_to_client(&again, &a).contains_key("code"));
}

#[tokio::test]
async fn userinfo_takes_the_token_from_the_header_only() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    user(&server, "judy").await;
    let mut browser = Browser::new(&server);
    let page = browser
        .authorize(&client.0, &[("scope", "openid email")])
        .await;
    let params =
        assert_redirect_to_client(&browser.sign_in(&page, "judy", PASSWORD).await, &server);
    let (_, tokens) = redeem(&server, (&client.0, &client.1), &params["code"]).await;
    let token = tokens["access_token"].as_str().unwrap();
    // P-20: a token in the query is ignored.
    let query = server
        .client
        .get(server.url(&format!("/oauth2/userinfo?access_token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 401);
    assert!(query.headers().contains_key("www-authenticate"));
    let post = server
        .client
        .post(server.url("/oauth2/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);
    let claims: Value = post.json().await.unwrap();
    assert_eq!(claims["email"], "judy@example.com");
    assert_eq!(claims["email_verified"], true);
    assert!(
        claims.get("preferred_username").is_none(),
        "profile not granted"
    );

    // P-08: a second redemption of the code kills the tokens of the first.
    let (status, _) = redeem(&server, (&client.0, &client.1), &params["code"]).await;
    assert_eq!(status, 400);
    let (status, _) = userinfo(&server, token).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn german_pages_with_ui_locales() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    let mut browser = Browser::new(&server);
    let page = browser
        .authorize(&client.0, &[("ui_locales", "de-CH en")])
        .await;
    assert!(page.body.contains("<html lang=\"de\">"));
    assert!(page.body.contains("<h1>Anmelden</h1>"));
    assert!(page.body.contains("Benutzername oder E-Mail"));
    let wrong = browser.sign_in(&page, "nobody", "wrong password").await;
    assert!(wrong.body.contains("nicht korrekt"), "{}", wrong.body);
}

/// Signs `username` in on `browser` for `client` with extra parameters; returns the tokens.
pub(crate) async fn sign_in_for_tokens(
    server: &TestServer,
    browser: &mut Browser<'_>,
    client: &(String, String),
    username: &str,
    extra: &[(&str, &str)],
) -> Value {
    let mut reply = browser.authorize(&client.0, extra).await;
    if reply.status == 200 && reply.body.contains("<h1>Sign in</h1>") {
        reply = browser.sign_in(&reply, username, PASSWORD).await;
    }
    if reply.status == 303 && reply.location().contains("/interaction/") {
        reply = browser.get(&reply.location()).await;
    }
    if reply.status == 200 && reply.body.contains("decision") {
        let consent = reply;
        let csrf = consent.hidden("csrf");
        reply = browser
            .post(
                &consent.form_action(),
                &[("csrf", &csrf), ("decision", "allow")],
            )
            .await;
    }
    let params = assert_redirect_to_client(&reply, server);
    let (status, tokens) = redeem(server, (&client.0, &client.1), &params["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

async fn account_call(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> (u16, Value) {
    let response = server
        .client
        .request(method, server.url(&format!("/api/my-account{path}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn account_api_lists_and_ends_sessions_and_revokes_consent() {
    let server = TestServer::start().await;
    let first_party = web_app(&server, false).await;
    let third_party = web_app(&server, true).await;
    let kim = user(&server, "kim").await;
    user(&server, "leo").await;
    let account = format!("{}/api/my-account", server.issuer);
    let account_params = [("resource", account.as_str()), ("scope", "openid")];

    let mut laptop = Browser::new(&server);
    let tokens =
        sign_in_for_tokens(&server, &mut laptop, &first_party, "kim", &account_params).await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, claims) = decode_jwt(&token);
    assert_eq!(claims["aud"], account.as_str());
    let mut phone = Browser::new(&server);
    sign_in_for_tokens(&server, &mut phone, &first_party, "kim", &[]).await;
    let mut other = Browser::new(&server);
    let leo_tokens =
        sign_in_for_tokens(&server, &mut other, &first_party, "leo", &account_params).await;

    let (status, me) = account_call(&server, reqwest::Method::GET, "", &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], kim.as_str());
    let (status, list) = account_call(&server, reqwest::Method::GET, "/sessions", &token).await;
    assert_eq!(status, 200);
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{list}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], claims["sid"]);
    assert_eq!(current[0]["ip"], "127.0.0.1");
    let phone_session = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another person's session, or an unknown one: 404, nothing ended.
    let leo_token = leo_tokens["access_token"].as_str().unwrap();
    let (status, _) = account_call(
        &server,
        reqwest::Method::DELETE,
        &format!("/sessions/{phone_session}"),
        leo_token,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) =
        account_call(&server, reqwest::Method::DELETE, "/sessions/nope", &token).await;
    assert_eq!(status, 404);

    let (status, _) = account_call(
        &server,
        reqwest::Method::DELETE,
        &format!("/sessions/{phone_session}"),
        &token,
    )
    .await;
    assert_eq!(status, 204);
    let silent = phone
        .get(&authorize_url(
            &server,
            &first_party.0,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        assert_redirect_to_client(&silent, &server)["error"],
        "login_required"
    );
    let still = laptop
        .get(&authorize_url(
            &server,
            &first_party.0,
            &[("prompt", "none")],
        ))
        .await;
    assert!(assert_redirect_to_client(&still, &server).contains_key("code"));

    // Consent: listed, then revoked with the app's refresh tokens; the page comes back.
    let granted = sign_in_for_tokens(&server, &mut laptop, &third_party, "kim", &[]).await;
    let refresh = granted["refresh_token"].as_str().unwrap();
    let (_, list) = account_call(&server, reqwest::Method::GET, "/consents", &token).await;
    let consents = list["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 1, "{list}");
    assert_eq!(consents[0]["client_id"], third_party.0.as_str());
    assert_eq!(consents[0]["client_name"], "Photo Printer");
    let (status, _) = account_call(
        &server,
        reqwest::Method::DELETE,
        &format!("/consents/{}", third_party.0),
        &token,
    )
    .await;
    assert_eq!(status, 204);
    let refreshed = server
        .post_form(
            &server.url("/oauth2/token"),
            Some((&third_party.0, &third_party.1)),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_eq!(
        refreshed.status(),
        400,
        "the refresh token died with the consent"
    );
    let (status, _) = userinfo(&server, granted["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401, "its access tokens too");
    let again = laptop.authorize(&third_party.0, &[]).await;
    assert!(again.body.contains("wants to access your account"));
    let (status, _) = account_call(
        &server,
        reqwest::Method::DELETE,
        &format!("/consents/{}", third_party.0),
        &token,
    )
    .await;
    assert_eq!(status, 404);

    // Only Account API tokens are accepted, and third-party apps cannot get one.
    let (status, _) = account_call(
        &server,
        reqwest::Method::GET,
        "/sessions",
        granted["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let userinfo_token = tokens_without_resource(&server, &mut laptop, &first_party).await;
    let (status, _) =
        account_call(&server, reqwest::Method::GET, "/sessions", &userinfo_token).await;
    assert_eq!(status, 401);
    let management = server.management_token().await;
    let (status, _) = account_call(&server, reqwest::Method::GET, "/sessions", &management).await;
    assert_eq!(status, 401);
    let (status, _) = account_call(&server, reqwest::Method::GET, "/sessions", "garbage").await;
    assert_eq!(status, 401);
    let refused = laptop
        .get(&authorize_url(&server, &third_party.0, &account_params))
        .await;
    assert_eq!(
        assert_redirect_to_client(&refused, &server)["error"],
        "invalid_target"
    );
}

async fn tokens_without_resource(
    server: &TestServer,
    browser: &mut Browser<'_>,
    client: &(String, String),
) -> String {
    let tokens = sign_in_for_tokens(server, browser, client, "kim", &[]).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_password_reset_or_disabling_ends_sessions_and_grants() {
    let server = TestServer::start().await;
    let client = web_app(&server, false).await;
    let root = server.root().await;
    for change in ["password", "disabled"] {
        let name = format!("reset-{change}");
        let id = user(&server, &name).await;
        let mut browser = Browser::new(&server);
        let tokens = sign_in_for_tokens(&server, &mut browser, &client, &name, &[]).await;
        let body = match change {
            "password" => gatehouse_types::management::UpdateUser {
                password: Some("a completely new passphrase".into()),
                ..Default::default()
            },
            _ => gatehouse_types::management::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        };
        server.engine.update_user(&root, &id, body).await.unwrap();
        let silent = browser
            .get(&authorize_url(&server, &client.0, &[("prompt", "none")]))
            .await;
        assert_eq!(
            assert_redirect_to_client(&silent, &server)["error"],
            "login_required",
            "{change}"
        );
        let refreshed = server
            .post_form(
                &server.url("/oauth2/token"),
                Some((&client.0, &client.1)),
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ],
            )
            .await;
        assert_eq!(refreshed.status(), 400, "{change}");
        let (status, _) = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(status, 401, "{change}");
    }
}

#[tokio::test]
async fn only_administrators_get_management_api_tokens_as_people() {
    let server = TestServer::start().await;
    let root = server.root().await;
    let created = server
        .engine
        .create_application(
            &root,
            CreateApplication {
                name: "Console".to_owned(),
                app_type: ApplicationType::Web,
                redirect_uris: vec![REDIRECT.to_owned()],
                post_logout_redirect_uris: vec![],
                third_party: false,
                device_flow: false,
                resource_grants: vec![gatehouse_types::management::ResourceGrant {
                    resource_id: gatehouse_core::MANAGEMENT_RESOURCE_ID.to_owned(),
                    scopes: vec![gatehouse_core::MANAGEMENT_SCOPE.to_owned()],
                }],
                refresh_token_absolute_ttl: None,
                refresh_token_idle_ttl: None,
                jwks: None,
            },
        )
        .await
        .unwrap();
    let console = (created.application.id, created.client_secret.unwrap());
    let admin = server
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
    let api = server.tenant_url("default", "/api");
    let wants_api = [("resource", api.as_str()), ("scope", "openid all")];

    // A person who is not an administrator is refused at the authorization endpoint.
    let mut browser = Browser::new(&server);
    let page = browser.authorize(&console.0, &wants_api).await;
    let refused = browser.sign_in(&page, "mallory", PASSWORD).await;
    assert_eq!(
        assert_redirect_to_client(&refused, &server)["error"],
        "access_denied"
    );

    let mut browser = Browser::new(&server);
    let tokens = sign_in_for_tokens(&server, &mut browser, &console, "root", &wants_api).await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let call = || async {
        server
            .client
            .get(server.url("/api/users"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(call().await, 200);
    // A person's Management API token is checked against the administrators at every call.
    let mallory = server
        .engine
        .store
        .find_user_by_username(root.id(), "mallory")
        .await
        .unwrap()
        .unwrap();
    let (forged, _) = server
        .engine
        .mint_grant_access_token(
            &root,
            gatehouse_oidc::access_token::NewAccessToken {
                sub: &mallory.id,
                aud: &root.management_indicator(),
                client_id: &console.0,
                scope: "all",
                ttl: 60,
                sid: None,
            },
            Some("some-grant"),
        )
        .await
        .unwrap();
    let status = server
        .client
        .get(server.url("/api/users"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403);
    // Disabled (or deleted, or no longer an administrator): refused at once.
    server
        .engine
        .update_user(
            &root,
            &admin.id,
            gatehouse_types::management::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(matches!(call().await, 401 | 403));
}

#[tokio::test]
async fn steps_cannot_be_skipped() {
    let server = TestServer::start().await;
    let client = web_app(&server, true).await;
    user(&server, "nina").await;
    let mut browser = Browser::new(&server);
    let page = browser.authorize(&client.0, &[]).await;
    assert!(page.body.contains("<h1>Sign in</h1>"));
    let csrf = page.hidden("csrf");
    let consent_url = page.form_action().replace("/sign-in", "/consent");
    // U-09: jumping to the consent step without signing in gives no code, only the page.
    let skipped = browser
        .post(&consent_url, &[("csrf", &csrf), ("decision", "allow")])
        .await;
    assert_eq!(skipped.status, 303);
    assert!(
        skipped.location().contains("/interaction/"),
        "{}",
        skipped.location()
    );
    assert!(!skipped.location().contains("code="));
    // An empty sign-in form: the page again, no session.
    let empty = browser.post(&page.form_action(), &[("csrf", &csrf)]).await;
    assert_eq!(empty.status, 400);
    assert!(empty.set_cookie("gatehouse-session").is_none());
    // The interaction is still usable afterwards.
    let signed_in = browser.sign_in(&page, "nina", PASSWORD).await;
    assert!(
        signed_in.location().contains("/interaction/"),
        "consent comes next"
    );
}
