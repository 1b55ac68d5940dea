//! Table-driven tests of the authorization request checks, one case per spec clause, on a
//! fresh SQLite store with applications registered the way operators register them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::{EngineConfig, FixedClock};
use base64::Engine as _;
use gatehouse_crypto::MasterKey;
use gatehouse_store::Store;
use gatehouse_store_sqlite::testing::{TestDatabase, fresh_database};
use gatehouse_types::management::{
    ApplicationType, CreateApiResource, CreateApplication, ResourceGrant, ResourceScope,
};
use std::sync::Arc;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const WEB_URI: &str = "https://app.example/cb";
const ORDERS: &str = "https://api.example/orders";
const OTHER_API: &str = "https://api.example/other";

struct Fixture {
    engine: Engine,
    tenant: Arc<TenantContext>,
    web: String,
    with_query: String,
    native: String,
    web_loopback: String,
    spa: String,
    several: String,
    m2m: String,
    _db: TestDatabase,
}

fn master_key() -> MasterKey {
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    MasterKey::from_base64(&encoded).unwrap()
}

async fn fixture() -> Fixture {
    let (store, db) = fresh_database().await;
    let engine = Engine::new(
        Arc::new(store) as Arc<dyn Store>,
        master_key(),
        Arc::new(FixedClock::new(1_700_000_000)),
        EngineConfig::new("https://id.example"),
    );
    let tenant = engine.ensure_root_tenant().await.unwrap();
    let mut resource_ids = Vec::new();
    for indicator in [ORDERS, OTHER_API] {
        let body = CreateApiResource {
            name: "API".into(),
            indicator: indicator.into(),
            access_token_ttl: None,
            scopes: ["read:orders", "write:orders"]
                .into_iter()
                .map(|name| ResourceScope {
                    name: name.into(),
                    description: String::new(),
                })
                .collect(),
        };
        resource_ids.push(engine.create_resource(&tenant, body).await.unwrap().id);
    }
    let grants = vec![ResourceGrant {
        resource_id: resource_ids[0].clone(),
        scopes: vec!["read:orders".into()],
    }];
    let app = async |app_type, uris: &[&str], grants: Vec<ResourceGrant>| {
        let body = CreateApplication {
            name: "test app".into(),
            app_type,
            redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
            post_logout_redirect_uris: Vec::new(),
            third_party: false,
            device_flow: false,
            resource_grants: grants,
            refresh_token_absolute_ttl: None,
            refresh_token_idle_ttl: None,
            jwks: None,
        };
        engine
            .create_application(&tenant, body)
            .await
            .unwrap()
            .application
            .id
    };
    let web = app(ApplicationType::Web, &[WEB_URI], grants).await;
    let with_query = app(
        ApplicationType::Web,
        &["https://app.example/cb?from=gh&x=%20"],
        vec![],
    )
    .await;
    let native = app(
        ApplicationType::Native,
        &["http://127.0.0.1/cb", "http://[::1]/cb"],
        vec![],
    )
    .await;
    let web_loopback = app(ApplicationType::Web, &["http://127.0.0.1/cb"], vec![]).await;
    let spa = app(ApplicationType::Spa, &["https://spa.example/cb"], vec![]).await;
    let several = app(
        ApplicationType::Web,
        &[WEB_URI, "https://app.example/other"],
        vec![],
    )
    .await;
    let m2m = app(ApplicationType::M2m, &[], vec![]).await;
    Fixture {
        engine,
        tenant,
        web,
        with_query,
        native,
        web_loopback,
        spa,
        several,
        m2m,
        _db: db,
    }
}

/// Parameters to replace in a valid request (`None` removes one).
type Changes<'a> = &'a [(&'a str, Option<&'a str>)];

/// A valid request for `client_id` with some parameters replaced (`None` removes one).
fn params(client_id: &str, changes: &[(&str, Option<&str>)]) -> Params {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", WEB_URI),
        ("scope", "openid"),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        pairs.retain(|(existing, _)| existing != name);
        if let Some(value) = value {
            pairs.push((name, value));
        }
    }
    Params::from_pairs(pairs).unwrap()
}

async fn authorize(
    fx: &Fixture,
    client_id: &str,
    changes: &[(&str, Option<&str>)],
) -> Result<AuthorizationRequest, AuthorizeError> {
    fx.engine
        .handle_authorization_request(&fx.tenant, &params(client_id, changes))
        .await
}

fn location(response: Option<AuthorizationResponse>) -> String {
    match response {
        Some(AuthorizationResponse::Redirect { location }) => location,
        other => panic!("expected a redirect, got {other:?}"),
    }
}

/// Asserts the error goes to the error page: never a redirect.
fn assert_error_page(result: Result<AuthorizationRequest, AuthorizeError>, case: &str) {
    let error = result.expect_err(case);
    assert_eq!(error.redirect, None, "{case}: must not redirect");
    assert!(error.response().is_none(), "{case}");
}

/// Asserts the error is redirected to `uri` with error, state and iss.
fn assert_redirected(
    result: Result<AuthorizationRequest, AuthorizeError>,
    code: AuthorizeErrorCode,
    uri: &str,
    case: &str,
) {
    let error = result.expect_err(case);
    assert_eq!(error.code, code, "{case}: {error}");
    let location = location(error.response());
    let expected = format!("{uri}?error={}&error_description=", code.as_str());
    assert!(location.starts_with(&expected), "{case}: {location}");
    assert!(
        location.ends_with("&state=xyz&iss=https%3A%2F%2Fid.example"),
        "{case}: {location}"
    );
}

#[tokio::test]
async fn unregistered_redirect_uris_get_the_error_page() {
    let fx = fixture().await;
    // RFC 9700 §4.1.3, checklist P-01: exact match, no normalisation, never a redirect.
    for bad in [
        "https://app.example/cb/",
        "https://app.example/CB",
        "https://APP.example/cb",
        "https://app.example/cb?x=1",
        "https://app.example/cb#f",
        "https://app.example/cb/../x",
        "https://app.example/cb/%252e%252e",
        "https://app.example/%63b",
        "https://app.example.evil.com/cb",
        "https://app.example@evil.com/cb",
        "https://evil.com\\@app.example/cb",
        "http://app.example/cb",
        "https://app.example:444/cb",
        "https://app.example:443/cb",
        "https://аpp.example/cb",
        "//evil.com",
        "https://evil.com/cb",
        "/cb",
    ] {
        let result = authorize(&fx, &fx.web, &[("redirect_uri", Some(bad))]).await;
        assert_error_page(result, bad);
    }
    let unknown = authorize(&fx, "no-such-client", &[]).await;
    assert_error_page(unknown, "unknown client");
    let no_client = fx
        .engine
        .handle_authorization_request(
            &fx.tenant,
            &Params::from_pairs([("response_type", "code")]).unwrap(),
        )
        .await;
    assert_error_page(no_client, "missing client_id");
}

#[tokio::test]
async fn loopback_redirects_vary_in_port_for_native_apps_only() {
    let fx = fixture().await;
    // RFC 8252 §7.3, checklist P-02.
    for (client, uri, accepted) in [
        (&fx.native, "http://127.0.0.1/cb", true),
        (&fx.native, "http://127.0.0.1:49152/cb", true),
        (&fx.native, "http://[::1]:8080/cb", true),
        (&fx.native, "http://127.0.0.1:49152/cb2", false),
        (&fx.native, "http://127.0.0.1:49152/cb?x=1", false),
        (&fx.native, "http://127.0.0.1.evil.com/cb", false),
        (&fx.native, "http://127.0.0.1:80@evil.com/cb", false),
        (&fx.native, "http://localhost:80@evil.com/cb", false),
        (&fx.native, "http://localhost:49152/cb", false),
        (&fx.web_loopback, "http://127.0.0.1/cb", true),
        (&fx.web_loopback, "http://127.0.0.1:49152/cb", false),
    ] {
        let result = authorize(&fx, client, &[("redirect_uri", Some(uri))]).await;
        if accepted {
            let request = result.unwrap_or_else(|e| panic!("{uri}: {e}"));
            assert_eq!(request.target.redirect_uri, uri);
        } else {
            assert_error_page(result, uri);
        }
    }
}

#[tokio::test]
async fn redirect_uri_may_be_omitted_only_with_one_registered() {
    let fx = fixture().await;
    let request = authorize(&fx, &fx.web, &[("redirect_uri", None)])
        .await
        .unwrap();
    assert_eq!(request.target.redirect_uri, WEB_URI);
    assert!(!request.redirect_uri_sent);
    // dynamic plan: ensure-redirect-uri-in-authorization-request.
    let several = authorize(&fx, &fx.several, &[("redirect_uri", None)]).await;
    assert_error_page(several, "several registered, none sent");
    let chosen = authorize(&fx, &fx.several, &[]).await.unwrap();
    assert!(chosen.redirect_uri_sent);
}

#[tokio::test]
async fn redirectable_errors_follow_the_spec() {
    let fx = fixture().await;
    use AuthorizeErrorCode as E;
    let cases: &[(&str, Changes, AuthorizeErrorCode)] = &[
        // P-11, RFC 9700 §2.1.2: only code.
        (
            "response_type=token",
            &[("response_type", Some("token"))],
            E::UnsupportedResponseType,
        ),
        (
            "response_type=id_token token",
            &[("response_type", Some("id_token token"))],
            E::UnsupportedResponseType,
        ),
        (
            "response_type=code id_token",
            &[("response_type", Some("code id_token"))],
            E::UnsupportedResponseType,
        ),
        (
            "response_type missing",
            &[("response_type", None)],
            E::InvalidRequest,
        ),
        // P-04, P-05: PKCE S256 for every client.
        (
            "no code_challenge",
            &[("code_challenge", None)],
            E::InvalidRequest,
        ),
        (
            "no method",
            &[("code_challenge_method", None)],
            E::InvalidRequest,
        ),
        (
            "plain",
            &[("code_challenge_method", Some("plain"))],
            E::InvalidRequest,
        ),
        (
            "s256 lower case",
            &[("code_challenge_method", Some("s256"))],
            E::InvalidRequest,
        ),
        (
            "42 chars",
            &[("code_challenge", Some(&CHALLENGE[..42]))],
            E::InvalidRequest,
        ),
        (
            "44 chars",
            &[(
                "code_challenge",
                Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cMM"),
            )],
            E::InvalidRequest,
        ),
        (
            "padded",
            &[(
                "code_challenge",
                Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c="),
            )],
            E::InvalidRequest,
        ),
        (
            "standard alphabet",
            &[(
                "code_challenge",
                Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"),
            )],
            E::InvalidRequest,
        ),
        // OIDC Core §6: request objects refused with their own codes.
        (
            "request",
            &[("request", Some("eyJhbGciOiJub25lIn0.e30."))],
            E::RequestNotSupported,
        ),
        (
            "request_uri",
            &[("request_uri", Some("https://app.example/r"))],
            E::RequestUriNotSupported,
        ),
        // OIDC Core §3.1.2.1: prompt=none with anything else; max_age non-negative (T-13).
        (
            "prompt none login",
            &[("prompt", Some("none login"))],
            E::InvalidRequest,
        ),
        (
            "prompt unknown",
            &[("prompt", Some("popup"))],
            E::InvalidRequest,
        ),
        (
            "max_age negative",
            &[("max_age", Some("-1"))],
            E::InvalidRequest,
        ),
        (
            "max_age huge",
            &[("max_age", Some("99999999999999999999"))],
            E::InvalidRequest,
        ),
        (
            "max_age not a number",
            &[("max_age", Some("1e3"))],
            E::InvalidRequest,
        ),
        // P-30, ASVS 10.4.12: only query and form_post.
        (
            "response_mode fragment",
            &[("response_mode", Some("fragment"))],
            E::InvalidRequest,
        ),
        (
            "response_mode web_message",
            &[("response_mode", Some("web_message"))],
            E::InvalidRequest,
        ),
        // Scopes: standard ones, or the requested resource's granted ones.
        (
            "unknown scope",
            &[("scope", Some("openid admin"))],
            E::InvalidScope,
        ),
        (
            "resource scope without resource",
            &[("scope", Some("openid read:orders"))],
            E::InvalidScope,
        ),
        (
            "ungranted resource scope",
            &[("scope", Some("write:orders")), ("resource", Some(ORDERS))],
            E::InvalidScope,
        ),
        (
            "profile without openid",
            &[("scope", Some("profile"))],
            E::InvalidScope,
        ),
        // RFC 8707 §2.
        (
            "relative resource",
            &[("resource", Some("/orders"))],
            E::InvalidTarget,
        ),
        (
            "resource with fragment",
            &[("resource", Some("https://api.example/orders#x"))],
            E::InvalidTarget,
        ),
        (
            "unknown resource",
            &[("resource", Some("https://api.example/nope"))],
            E::InvalidTarget,
        ),
        (
            "ungranted resource",
            &[("resource", Some(OTHER_API))],
            E::InvalidTarget,
        ),
    ];
    for (case, changes, code) in cases {
        let result = authorize(&fx, &fx.web, changes).await;
        assert_redirected(result, *code, WEB_URI, case);
    }
    // m2m apps have no user and no redirect URI to send the error to.
    let m2m = authorize(&fx, &fx.m2m, &[]).await;
    assert_eq!(m2m.as_ref().unwrap_err().code, E::UnauthorizedClient);
    assert_error_page(m2m, "m2m");
    // PKCE is required from public clients as much as confidential ones.
    let spa = authorize(
        &fx,
        &fx.spa,
        &[("redirect_uri", None), ("code_challenge", None)],
    )
    .await;
    assert_redirected(
        spa,
        E::InvalidRequest,
        "https://spa.example/cb",
        "spa without PKCE",
    );
}

#[tokio::test]
async fn valid_requests_are_accepted() {
    let fx = fixture().await;
    let cases: &[(&str, Changes)] = &[
        ("minimal", &[]),
        // -ensure-request-without-nonce-succeeds-for-code-flow; OAuth without openid.
        ("no scope", &[("scope", None)]),
        ("offline_access alone", &[("scope", Some("offline_access"))]),
        (
            "all standard scopes",
            &[(
                "scope",
                Some("address phone openid email profile offline_access"),
            )],
        ),
        (
            "resource and its granted scope",
            &[
                ("scope", Some("openid read:orders")),
                ("resource", Some(ORDERS)),
            ],
        ),
        ("resource without api scope", &[("resource", Some(ORDERS))]),
        // P-21 and the conformance suite's display, hints and locales: accepted, ignored.
        (
            "unknown parameter",
            &[
                ("x-unknown", Some("1")),
                ("display", Some("popup")),
                ("claims_locales", Some("de")),
            ],
        ),
        (
            "hints",
            &[
                ("login_hint", Some("a@b.example")),
                ("ui_locales", Some("fr-CA fr")),
                ("acr_values", Some("urn:a")),
            ],
        ),
        ("prompt login consent", &[("prompt", Some("login consent"))]),
        ("prompt none", &[("prompt", Some("none"))]),
        ("max_age 0", &[("max_age", Some("0"))]),
        ("max_age 10000", &[("max_age", Some("10000"))]),
        ("form_post", &[("response_mode", Some("form_post"))]),
        ("explicit query", &[("response_mode", Some("query"))]),
        ("nonce", &[("nonce", Some("n-0S6_WzA2Mj"))]),
        ("no state", &[("state", None)]),
    ];
    for (case, changes) in cases {
        let result = authorize(&fx, &fx.web, changes).await;
        let request = result.unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(request.code_challenge, CHALLENGE, "{case}");
        assert_eq!(request.target.issuer, "https://id.example", "{case}");
    }
    let full = authorize(
        &fx,
        &fx.web,
        &[
            ("scope", Some("openid read:orders offline_access")),
            ("resource", Some(ORDERS)),
            ("prompt", Some("login")),
            ("max_age", Some("60")),
            ("nonce", Some("n1")),
            ("acr_values", Some("urn:a urn:b")),
        ],
    )
    .await
    .unwrap();
    assert!(full.is_openid() && full.has_scope("offline_access"));
    assert_eq!(full.resources[0].indicator, ORDERS);
    assert!(full.prompt.contains(Prompt::Login));
    assert_eq!(
        (full.max_age, full.nonce.as_deref()),
        (Some(60), Some("n1"))
    );
    assert_eq!(full.acr_values, vec!["urn:a", "urn:b"]);
    assert_eq!(full.target.state.as_deref(), Some("xyz"));
}

#[tokio::test]
async fn state_is_echoed_exactly_or_refused() {
    let fx = fixture().await;
    // Checklist P-13: a 2 KB state with &=+%/ comes back unchanged.
    let state = format!("{}&=+%/ ?#", "s".repeat(2048));
    let request = authorize(
        &fx,
        &fx.with_query,
        &[("redirect_uri", None), ("state", Some(&state))],
    )
    .await
    .unwrap();
    let location = location(Some(authorization_response(
        &request.target,
        &[("code", "c1")],
    )));
    let query = location.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["from", "x", "code", "state", "iss"]);
    assert_eq!(pairs[3].1, state);
    assert_eq!(pairs[4].1, "https://id.example");
    // The registered query is kept byte for byte.
    assert!(location.starts_with("https://app.example/cb?from=gh&x=%20&code=c1&state="));
    // Longer than 4 KiB: refused on the error page, never truncated.
    let long = "s".repeat(MAX_STATE_LEN + 1);
    assert_error_page(
        authorize(&fx, &fx.web, &[("state", Some(&long))]).await,
        "long state",
    );
}

#[tokio::test]
async fn every_response_names_the_issuer() {
    let fx = fixture().await;
    // RFC 9207 §2 (P-12): success, error and form_post responses all carry iss.
    let request = authorize(&fx, &fx.with_query, &[("redirect_uri", None)])
        .await
        .unwrap();
    let success = location(Some(authorization_response(
        &request.target,
        &[("code", "c")],
    )));
    assert!(
        success.ends_with("&iss=https%3A%2F%2Fid.example"),
        "{success}"
    );
    let error = authorize(
        &fx,
        &fx.with_query,
        &[("redirect_uri", None), ("response_type", Some("token"))],
    )
    .await
    .unwrap_err();
    let error_location = location(error.response());
    assert!(
        error_location
            .starts_with("https://app.example/cb?from=gh&x=%20&error=unsupported_response_type")
    );
    assert!(error_location.ends_with("&state=xyz&iss=https%3A%2F%2Fid.example"));
    let form = authorize(
        &fx,
        &fx.web,
        &[
            ("response_mode", Some("form_post")),
            ("prompt", Some("none login")),
        ],
    )
    .await
    .unwrap_err();
    match form.response() {
        Some(AuthorizationResponse::FormPost { action, fields }) => {
            assert_eq!(action, WEB_URI);
            let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["error", "error_description", "state", "iss"]);
        }
        other => panic!("expected form_post, got {other:?}"),
    }
}

const BILLING: &str = "https://api.example/billing";
const USERINFO: &str = "https://id.example/oauth2/userinfo";
const MANAGEMENT: &str = "https://id.example/api";

/// A valid request with `scope`, each of `resources` sent as its own `resource` parameter
/// (RFC 8707 §2), and `extra` parameters.
async fn authorize_resources(
    fx: &Fixture,
    client_id: &str,
    scope: &str,
    resources: &[&str],
    extra: &[(&str, &str)],
) -> Result<AuthorizationRequest, AuthorizeError> {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("scope", scope),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    if !extra.iter().any(|(name, _)| *name == "redirect_uri") {
        pairs.push(("redirect_uri", WEB_URI));
    }
    pairs.extend(resources.iter().map(|r| ("resource", *r)));
    let params =
        Params::from_pairs_repeating(pairs, crate::params::REPEATABLE_AUTHORIZATION_PARAMS)
            .unwrap();
    fx.engine
        .handle_authorization_request(&fx.tenant, &params)
        .await
}

/// A web app granted `read:orders` on ORDERS and `read:billing` on a BILLING API.
async fn two_api_client(fx: &Fixture) -> String {
    let billing = fx
        .engine
        .create_resource(
            &fx.tenant,
            CreateApiResource {
                name: "Billing".into(),
                indicator: BILLING.into(),
                access_token_ttl: None,
                scopes: vec![ResourceScope {
                    name: "read:billing".into(),
                    description: String::new(),
                }],
            },
        )
        .await
        .unwrap();
    let orders = fx
        .engine
        .find_resource_by_indicator(&fx.tenant, ORDERS)
        .await
        .unwrap()
        .unwrap();
    let body = CreateApplication {
        name: "two APIs".into(),
        app_type: ApplicationType::Web,
        redirect_uris: vec![WEB_URI.into()],
        post_logout_redirect_uris: Vec::new(),
        third_party: false,
        device_flow: false,
        resource_grants: vec![
            ResourceGrant {
                resource_id: orders.id,
                scopes: vec!["read:orders".into()],
            },
            ResourceGrant {
                resource_id: billing.id,
                scopes: vec!["read:billing".into()],
            },
        ],
        refresh_token_absolute_ttl: None,
        refresh_token_idle_ttl: None,
        jwks: None,
    };
    fx.engine
        .create_application(&fx.tenant, body)
        .await
        .unwrap()
        .application
        .id
}

fn indicators(request: &AuthorizationRequest) -> Vec<String> {
    request.resource_indicators()
}

#[tokio::test]
async fn several_resources_are_each_checked_and_kept_once_in_order() {
    let fx = fixture().await;
    let client = two_api_client(&fx).await;
    let scope = "openid read:orders read:billing";
    // RFC 8707 §2: repeated; repeats count once, first-seen order kept.
    let request = authorize_resources(&fx, &client, scope, &[BILLING, ORDERS, BILLING], &[])
        .await
        .unwrap();
    assert_eq!(indicators(&request), [BILLING, ORDERS]);
    assert_eq!(request.scopes, ["openid", "read:orders", "read:billing"]);
    assert_eq!(request.resources[0].resource.name, "Billing");

    // Any refused resource refuses the request, wherever it is in the list.
    let target = AuthorizeErrorCode::InvalidTarget;
    let cases: [(&str, &[&str]); 6] = [
        ("unknown", &[ORDERS, "https://api.example/unknown"]),
        ("fragment", &[BILLING, "https://api.example/orders#x"]),
        ("relative", &["/orders", ORDERS]),
        ("not a URI", &[ORDERS, BILLING, "urn"]),
        ("not granted to the client", &[ORDERS, OTHER_API]),
        ("UserInfo without openid", &[ORDERS, USERINFO]),
    ];
    for (case, resources) in cases {
        let scope = if case.starts_with("UserInfo") {
            "read:orders"
        } else {
            "openid"
        };
        let result = authorize_resources(&fx, &client, scope, resources, &[]).await;
        assert_redirected(result, target, WEB_URI, case);
    }
    // Scopes: any requested resource may define them; one nobody requested may not.
    let only_orders =
        authorize_resources(&fx, &client, "openid read:billing", &[ORDERS], &[]).await;
    assert_redirected(
        only_orders,
        AuthorizeErrorCode::InvalidScope,
        WEB_URI,
        "scope of a resource not requested",
    );
    let not_granted =
        authorize_resources(&fx, &client, "openid write:orders", &[BILLING, ORDERS], &[]).await;
    assert_redirected(
        not_granted,
        AuthorizeErrorCode::InvalidScope,
        WEB_URI,
        "scope defined but not granted",
    );
}

#[tokio::test]
async fn the_userinfo_endpoint_is_a_resource_of_openid_requests() {
    let fx = fixture().await;
    let request = authorize_resources(&fx, &fx.web, "openid read:orders", &[USERINFO, ORDERS], &[])
        .await
        .unwrap();
    assert_eq!(indicators(&request), [USERINFO, ORDERS]);
    assert_eq!(
        request.resources[0].resource.id,
        crate::userinfo::USERINFO_RESOURCE_ID
    );
    // Another issuer's UserInfo endpoint is just an unknown resource.
    let foreign = authorize_resources(
        &fx,
        &fx.web,
        "openid",
        &["https://other.example/oauth2/userinfo"],
        &[],
    )
    .await;
    assert_redirected(
        foreign,
        AuthorizeErrorCode::InvalidTarget,
        WEB_URI,
        "foreign",
    );
}

#[tokio::test]
async fn only_the_builtin_cli_may_request_the_management_api_without_a_grant() {
    let fx = fixture().await;
    let cli = gatehouse_core::CLI_CLIENT_ID;
    let loopback = [("redirect_uri", "http://127.0.0.1:49152/callback")];
    let request = authorize_resources(
        &fx,
        cli,
        "openid offline_access all",
        &[USERINFO, MANAGEMENT],
        &loopback,
    )
    .await
    .unwrap();
    assert_eq!(indicators(&request), [USERINFO, MANAGEMENT]);
    assert_eq!(
        request.resources[1].resource.id,
        gatehouse_core::MANAGEMENT_RESOURCE_ID
    );
    assert!(request.has_scope("all"));
    // The Management API scope needs the Management API among the resources.
    let scope_alone = authorize_resources(&fx, cli, "openid all", &[USERINFO], &loopback).await;
    assert_redirected(
        scope_alone,
        AuthorizeErrorCode::InvalidScope,
        "http://127.0.0.1:49152/callback",
        "all without the Management API",
    );
    // Any other native app without a grant: refused, resource and scope alike.
    let native_uri = [("redirect_uri", "http://127.0.0.1:49152/cb")];
    let other = authorize_resources(&fx, &fx.native, "openid", &[MANAGEMENT], &native_uri).await;
    assert_redirected(
        other,
        AuthorizeErrorCode::InvalidTarget,
        "http://127.0.0.1:49152/cb",
        "another native app",
    );
}
