//! RFC 8707 grants of several resources at the token endpoint: each token request picks one
//! resource of the grant (§2.2), the access token carries only that resource's scopes, a
//! resource outside the grant is `invalid_target` without consuming the refresh token, and
//! the refresh token keeps the whole grant.

use super::*;
use crate::params::{REPEATABLE_AUTHORIZATION_PARAMS, parse_form, split_scope};

const BILLING: &str = "https://api.example/billing";
const USERINFO: &str = "https://id.example/oauth2/userinfo";

/// A web app granted `read:orders` on ORDERS and `read:billing` on BILLING.
async fn two_api_client(fx: &Fixture) -> Client {
    let billing = fx
        .engine
        .create_resource(
            &fx.tenant,
            CreateApiResource {
                name: "Billing".into(),
                indicator: BILLING.into(),
                access_token_ttl: Some(600),
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
    web_client(
        fx,
        CreateApplication {
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
            ..blank_application()
        },
    )
    .await
}

/// A code for `scope` and `resources` (each its own `resource` parameter).
async fn code_for_resources(
    fx: &Fixture,
    client: &Client,
    scope: &str,
    resources: &[&str],
) -> String {
    let challenge = s256_challenge(VERIFIER);
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", &client.id),
        ("redirect_uri", WEB_URI),
        ("scope", scope),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend(resources.iter().map(|r| ("resource", *r)));
    let params = Params::from_pairs_repeating(pairs, REPEATABLE_AUTHORIZATION_PARAMS).unwrap();
    let request = fx
        .engine
        .handle_authorization_request(&fx.tenant, &params)
        .await
        .unwrap();
    fx.engine
        .issue_authorization_code(&fx.tenant, &request, &fx.user, &fx.session)
        .await
        .unwrap()
}

async fn redeem_for(
    fx: &Fixture,
    client: &Client,
    code: &str,
    resource: Option<&str>,
) -> Result<TokenOutcome, OAuthError> {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", WEB_URI),
    ];
    pairs.extend(resource.map(|r| ("resource", r)));
    token(fx, client, &pairs).await
}

/// The audience and scope of an access token, checked by the engine.
async fn aud_and_scope(fx: &Fixture, response: &TokenResponse) -> (String, String) {
    let claims = fx
        .engine
        .verify_access_token(&fx.tenant, &response.access_token)
        .await
        .unwrap();
    assert_eq!(
        response.scope.as_deref(),
        Some(claims.scope.as_str()),
        "the response's scope is the access token's"
    );
    (claims.aud, claims.scope)
}

#[tokio::test]
async fn each_token_request_picks_one_resource_of_the_grant() {
    let fx = fixture().await;
    let client = two_api_client(&fx).await;
    let scope = "openid offline_access read:orders read:billing";
    let code = code_for_resources(&fx, &client, scope, &[ORDERS, BILLING]).await;
    let first = redeem_for(&fx, &client, &code, Some(ORDERS))
        .await
        .unwrap()
        .response;
    assert_eq!(
        aud_and_scope(&fx, &first).await,
        (ORDERS.into(), "openid offline_access read:orders".into())
    );
    assert!(first.id_token.is_some(), "ID tokens are unaffected");
    let rt = first.refresh_token.unwrap();
    // The refresh token keeps the whole grant.
    let stored = stored_refresh_token(&fx, &rt).await;
    assert_eq!(stored.resources, [ORDERS, BILLING]);
    assert_eq!(stored.scopes, split_scope(Some(scope)));

    let billing = refresh(&fx, &client, &rt, &[("resource", BILLING)])
        .await
        .unwrap()
        .response;
    assert_eq!(
        aud_and_scope(&fx, &billing).await,
        (BILLING.into(), "openid offline_access read:billing".into())
    );
    assert_eq!(billing.expires_in, 600, "the resource's own lifetime");
    let rt = billing.refresh_token.unwrap();
    assert_eq!(
        stored_refresh_token(&fx, &rt).await.resources,
        [ORDERS, BILLING]
    );

    // Several resources with openid and none named: a UserInfo token, OIDC scopes only.
    let userinfo = refresh(&fx, &client, &rt, &[]).await.unwrap().response;
    assert_eq!(
        aud_and_scope(&fx, &userinfo).await,
        (USERINFO.into(), "openid offline_access".into())
    );
    let claims = fx
        .engine
        .handle_userinfo(&fx.tenant, &userinfo.access_token)
        .await
        .unwrap();
    assert_eq!(claims["sub"], fx.user.id.as_str());
    let rt = userinfo.refresh_token.unwrap();

    // RFC 8707 §2.2: outside the grant is invalid_target, checked before rotation.
    for outside in [
        "https://api.example/unknown",
        USERINFO,
        "https://api.example/orders/",
    ] {
        let result = refresh(&fx, &client, &rt, &[("resource", outside)]).await;
        assert_eq!(code_of(result), ErrorCode::InvalidTarget, "{outside}");
    }
    assert!(stored_refresh_token(&fx, &rt).await.used_at.is_none());
    let again = refresh(&fx, &client, &rt, &[("resource", ORDERS)])
        .await
        .unwrap()
        .response;
    assert_eq!(aud_and_scope(&fx, &again).await.0, ORDERS);

    // A narrower scope at refresh narrows the token further, never widens it.
    let rt = again.refresh_token.unwrap();
    let narrow = refresh(
        &fx,
        &client,
        &rt,
        &[("resource", BILLING), ("scope", "openid")],
    )
    .await
    .unwrap()
    .response;
    assert_eq!(
        aud_and_scope(&fx, &narrow).await,
        (BILLING.into(), "openid".into())
    );
}

#[tokio::test]
async fn several_resources_without_openid_need_one_named() {
    let fx = fixture().await;
    let client = two_api_client(&fx).await;
    let scope = "offline_access read:orders read:billing";
    let code = code_for_resources(&fx, &client, scope, &[ORDERS, BILLING]).await;
    let error = redeem_for(&fx, &client, &code, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidTarget);
    assert!(
        error.description.contains("name one"),
        "{}",
        error.description
    );

    let code = code_for_resources(&fx, &client, scope, &[ORDERS, BILLING]).await;
    let response = redeem_for(&fx, &client, &code, Some(BILLING))
        .await
        .unwrap()
        .response;
    assert_eq!(
        aud_and_scope(&fx, &response).await,
        (BILLING.into(), "offline_access read:billing".into())
    );
    assert!(response.id_token.is_none());
    let rt = response.refresh_token.unwrap();
    let error = refresh(&fx, &client, &rt, &[]).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidTarget);
    assert!(
        stored_refresh_token(&fx, &rt).await.used_at.is_none(),
        "not consumed"
    );
    let orders = refresh(&fx, &client, &rt, &[("resource", ORDERS)])
        .await
        .unwrap()
        .response;
    assert_eq!(
        aud_and_scope(&fx, &orders).await,
        (ORDERS.into(), "offline_access read:orders".into())
    );
}

#[tokio::test]
async fn a_code_is_redeemed_only_for_a_resource_of_its_grant() {
    let fx = fixture().await;
    let client = two_api_client(&fx).await;
    // One resource, none named: that resource, as before.
    let code = code_for_resources(&fx, &client, "openid read:orders", &[ORDERS]).await;
    let response = redeem_for(&fx, &client, &code, None)
        .await
        .unwrap()
        .response;
    assert_eq!(
        aud_and_scope(&fx, &response).await,
        (ORDERS.into(), "openid read:orders".into())
    );
    // RFC 8707 §2.2: a resource the grant does not cover.
    let code = code_for_resources(&fx, &client, "openid read:orders", &[ORDERS]).await;
    let error = redeem_for(&fx, &client, &code, Some(BILLING))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidTarget);
    // No resources: a UserInfo token, and naming one is outside the grant.
    let code = code_for_resources(&fx, &client, "openid", &[]).await;
    let error = redeem_for(&fx, &client, &code, Some(ORDERS))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidTarget);
    let code = code_for_resources(&fx, &client, "openid", &[]).await;
    let response = redeem_for(&fx, &client, &code, None)
        .await
        .unwrap()
        .response;
    assert_eq!(aud_and_scope(&fx, &response).await.0, USERINFO);
    // The token endpoint takes one resource: a repeated parameter is invalid_request.
    let body =
        format!("grant_type=refresh_token&refresh_token=x&resource={ORDERS}&resource={BILLING}");
    let error = parse_form(body.as_bytes()).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn the_userinfo_indicator_picks_a_userinfo_token() {
    let fx = fixture().await;
    let client = two_api_client(&fx).await;
    let scope = "openid email offline_access read:orders";
    let code = code_for_resources(&fx, &client, scope, &[USERINFO, ORDERS]).await;
    let response = redeem_for(&fx, &client, &code, Some(USERINFO))
        .await
        .unwrap()
        .response;
    assert_eq!(
        aud_and_scope(&fx, &response).await,
        (USERINFO.into(), "openid email offline_access".into())
    );
    let claims = fx
        .engine
        .handle_userinfo(&fx.tenant, &response.access_token)
        .await
        .unwrap();
    assert_eq!(claims["email"], "alice@example.com");
    let rt = response.refresh_token.unwrap();
    let orders = refresh(&fx, &client, &rt, &[("resource", ORDERS)])
        .await
        .unwrap()
        .response;
    assert_eq!(
        aud_and_scope(&fx, &orders).await,
        (
            ORDERS.into(),
            "openid email offline_access read:orders".into()
        )
    );
    // Exactly the UserInfo endpoint in the grant, nothing named: the UserInfo token.
    let code = code_for_resources(&fx, &client, "openid", &[USERINFO]).await;
    let response = redeem_for(&fx, &client, &code, None)
        .await
        .unwrap()
        .response;
    assert_eq!(aud_and_scope(&fx, &response).await.0, USERINFO);
}
