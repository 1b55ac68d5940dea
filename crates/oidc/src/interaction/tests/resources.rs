//! RFC 8707 grants of several resources through the interaction: resources the person may not
//! use are left out with the scopes only they define (all left out: `access_denied`), and a
//! third-party app's consent covers every requested resource.

use super::*;
use crate::authorize::AuthorizationResponse;
use crate::client_auth::{AuthMethod, UnverifiedClientCredentials};
use crate::params::REPEATABLE_AUTHORIZATION_PARAMS;
use gatehouse_crypto::RedactedString;
use gatehouse_types::management::{CreateApiResource, ResourceGrant, ResourceScope};
use gatehouse_types::oauth::TokenResponse;

const ORDERS: &str = "https://api.example/orders";
const BILLING: &str = "https://api.example/billing";
const USERINFO: &str = "https://id.example/oauth2/userinfo";
const MANAGEMENT: &str = "https://id.example/api";
const CLI_REDIRECT: &str = "http://127.0.0.1:50000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92ZH1kN8ZKT4KC5tzkdBNEvhMADk";

/// A third-party web app granted ORDERS and BILLING; returns its id and secret.
async fn third_party_app(f: &Fixture) -> (String, String) {
    let mut grants = Vec::new();
    for (name, indicator, scope) in [
        ("Orders", ORDERS, "read:orders"),
        ("Billing", BILLING, "read:billing"),
    ] {
        let resource = f
            .engine
            .create_resource(
                &f.tenant,
                CreateApiResource {
                    name: name.into(),
                    indicator: indicator.into(),
                    access_token_ttl: None,
                    scopes: vec![ResourceScope {
                        name: scope.into(),
                        description: String::new(),
                    }],
                },
            )
            .await
            .unwrap();
        grants.push(ResourceGrant {
            resource_id: resource.id,
            scopes: vec![scope.into()],
        });
    }
    let created = f
        .engine
        .create_application(
            &f.tenant,
            CreateApplication {
                name: "partner".into(),
                app_type: ApplicationType::Web,
                redirect_uris: vec!["https://partner.example/cb".into()],
                post_logout_redirect_uris: vec![],
                third_party: true,
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

/// A browser signed in as `username`, with a binding cookie.
async fn signed_in(f: &Fixture, username: &str) -> Browser {
    let user = f
        .engine
        .store
        .find_user_by_username(f.tenant.id(), username)
        .await
        .unwrap()
        .unwrap();
    let (_, cookie) = f
        .engine
        .start_session(&f.tenant, &user, &Browser::default(), false, &["pwd"])
        .await
        .unwrap();
    Browser {
        session: Some(cookie.secret),
        binding: Some(gatehouse_crypto::random_token(32)),
        ..Browser::default()
    }
}

async fn authorize(
    f: &Fixture,
    browser: &Browser,
    client: (&str, &str),
    scope: &str,
    resources: &[&str],
) -> AuthorizeOutcome {
    let (client_id, redirect_uri) = client;
    let challenge = crate::token::authorization_code::s256_challenge(VERIFIER);
    let mut pairs = vec![
        ("client_id", client_id),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("scope", scope),
    ];
    pairs.extend(resources.iter().map(|r| ("resource", *r)));
    let params = Params::from_pairs_repeating(pairs, REPEATABLE_AUTHORIZATION_PARAMS).unwrap();
    f.engine
        .handle_authorize(&f.tenant, &params, browser)
        .await
        .unwrap()
}

/// The query parameter `name` of a redirect answer.
fn redirect_param(response: &AuthorizationResponse, name: &str) -> Option<String> {
    let AuthorizationResponse::Redirect { location } = response else {
        panic!("expected a redirect, got {response:?}");
    };
    let query = location.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

fn code_of(outcome: &AuthorizeOutcome) -> String {
    let AuthorizeOutcome::Respond(response) = outcome else {
        panic!("expected an answer, got {outcome:?}");
    };
    redirect_param(response, "code").unwrap_or_else(|| panic!("no code: {response:?}"))
}

async fn token(
    f: &Fixture,
    client: (&str, Option<&str>),
    pairs: &[(&str, &str)],
) -> Result<TokenResponse, crate::OAuthError> {
    let credentials = UnverifiedClientCredentials {
        client_id: client.0.into(),
        secret: client.1.map(|s| RedactedString::from(s.to_owned())),
        assertion: None,
        method: match client.1 {
            Some(_) => AuthMethod::ClientSecretPost,
            None => AuthMethod::None,
        },
    };
    let params = Params::from_pairs(pairs.iter().copied()).unwrap();
    f.engine
        .handle_token_request(&f.tenant, &credentials, &params)
        .await
        .map(|outcome| outcome.response)
}

async fn cli_redeem(
    f: &Fixture,
    code: &str,
    resource: Option<&str>,
) -> Result<TokenResponse, crate::OAuthError> {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", CLI_REDIRECT),
    ];
    pairs.extend(resource.map(|r| ("resource", r)));
    token(f, (gatehouse_core::CLI_CLIENT_ID, None), &pairs).await
}

async fn aud_and_scope(f: &Fixture, response: &TokenResponse) -> (String, String) {
    let claims = f
        .engine
        .verify_access_token(&f.tenant, &response.access_token)
        .await
        .unwrap();
    (claims.aud, claims.scope)
}

#[tokio::test]
async fn resources_a_person_may_not_use_are_left_out_of_the_grant() {
    let f = fixture(3600, 3600).await;
    f.engine
        .bootstrap_admin(
            &f.tenant,
            CreateUser {
                username: Some("root".into()),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let cli = (gatehouse_core::CLI_CLIENT_ID, CLI_REDIRECT);
    let scope = "openid offline_access all";

    // Not an administrator: signed in without the Management API and its scope.
    let alice = signed_in(&f, "alice").await;
    let outcome = authorize(&f, &alice, cli, scope, &[USERINFO, MANAGEMENT]).await;
    let burnt = cli_redeem(&f, &code_of(&outcome), Some(MANAGEMENT))
        .await
        .unwrap_err();
    assert_eq!(burnt.code, crate::ErrorCode::InvalidTarget);
    let outcome = authorize(&f, &alice, cli, scope, &[USERINFO, MANAGEMENT]).await;
    let response = cli_redeem(&f, &code_of(&outcome), None).await.unwrap();
    assert_eq!(
        aud_and_scope(&f, &response).await,
        (USERINFO.into(), "openid offline_access".into())
    );
    let stored = f
        .engine
        .store
        .find_refresh_token(
            f.tenant.id(),
            &gatehouse_crypto::sha256(response.refresh_token.as_deref().unwrap().as_bytes()),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.resources, [USERINFO]);
    assert_eq!(
        stored.scopes,
        ["openid", "offline_access"],
        "`all` left out"
    );
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", response.refresh_token.as_deref().unwrap()),
        ("resource", MANAGEMENT),
    ];
    let error = token(&f, (gatehouse_core::CLI_CLIENT_ID, None), &refresh)
        .await
        .unwrap_err();
    assert_eq!(error.code, crate::ErrorCode::InvalidTarget);

    // Only the Management API asked for: refused as before.
    let outcome = authorize(&f, &alice, cli, scope, &[MANAGEMENT]).await;
    let AuthorizeOutcome::Respond(response) = &outcome else {
        panic!("expected an answer, got {outcome:?}");
    };
    assert_eq!(
        redirect_param(response, "error").as_deref(),
        Some("access_denied")
    );

    // An active administrator keeps it and gets a Management API token by naming it.
    let root = signed_in(&f, "root").await;
    let outcome = authorize(&f, &root, cli, scope, &[USERINFO, MANAGEMENT]).await;
    let response = cli_redeem(&f, &code_of(&outcome), Some(MANAGEMENT))
        .await
        .unwrap();
    assert_eq!(
        aud_and_scope(&f, &response).await,
        (MANAGEMENT.into(), "openid offline_access all".into())
    );
}

#[tokio::test]
async fn consent_covers_every_requested_resource() {
    let f = fixture(3600, 3600).await;
    let (client_id, secret) = third_party_app(&f).await;
    let client = (client_id.as_str(), "https://partner.example/cb");
    let alice = signed_in(&f, "alice").await;
    let consent_for = async |scope: &str, resources: &[&str]| {
        let outcome = authorize(&f, &alice, client, scope, resources).await;
        let AuthorizeOutcome::Interact { interaction_id, .. } = outcome else {
            panic!("expected the consent page, got {outcome:?}");
        };
        let page = f
            .engine
            .interaction_page(&f.tenant, &interaction_id, &alice, None)
            .await
            .unwrap();
        assert_eq!(page.screen, Screen::Consent);
        let decision = ConsentDecision {
            allow: true,
            csrf: page.csrf.clone(),
        };
        let done = f
            .engine
            .handle_consent(&f.tenant, &interaction_id, &alice, decision)
            .await;
        let InteractionNext::Respond(response) = done.next else {
            panic!("expected the code, got {:?}", done.next);
        };
        assert!(redirect_param(&response, "code").is_some());
        page
    };
    let page = consent_for("openid read:orders", &[ORDERS]).await;
    assert_eq!(page.resources, [("Orders".to_owned(), ORDERS.to_owned())]);
    // BILLING is not covered yet: asked again, and the page lists both, in request order.
    let page = consent_for("openid read:orders read:billing", &[BILLING, ORDERS]).await;
    assert_eq!(
        page.resources,
        [
            ("Billing".to_owned(), BILLING.to_owned()),
            ("Orders".to_owned(), ORDERS.to_owned())
        ]
    );
    assert_eq!(page.scopes, ["openid", "read:orders", "read:billing"]);
    let stored = f
        .engine
        .store
        .find_consent(f.tenant.id(), &page_user(&f).await, &client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.resources, [BILLING, ORDERS]);
    // Covered now, in any order: no page.
    let outcome = authorize(
        &f,
        &alice,
        client,
        "openid read:billing read:orders",
        &[ORDERS, BILLING],
    )
    .await;
    let code = code_of(&outcome);
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
        ("redirect_uri", "https://partner.example/cb"),
        ("resource", BILLING),
    ];
    let response = token(&f, (&client_id, Some(&secret)), &pairs)
        .await
        .unwrap();
    assert_eq!(
        aud_and_scope(&f, &response).await,
        (BILLING.into(), "openid read:billing".into())
    );
}

async fn page_user(f: &Fixture) -> String {
    f.engine
        .store
        .find_user_by_username(f.tenant.id(), "alice")
        .await
        .unwrap()
        .unwrap()
        .id
}
