//! Table-driven tests of the authorization code and refresh token grants and of UserInfo, on
//! a fresh SQLite store: a real authorization request, a stored session, a code, then the
//! token endpoint the way the server drives it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::authorization_code::{CODE_TTL, s256_challenge};
use super::*;
use crate::access_token::TokenRejection;
use crate::authorize::AuthorizationRequest;
use crate::client_auth::AuthMethod;
use crate::id_token::{IdTokenClaims, at_hash};
use crate::userinfo::UserinfoError;
use crate::{EngineConfig, FixedClock};
use base64::Engine as _;
use gatehouse_core::Session;
use gatehouse_core::user::User;
use gatehouse_crypto::{MasterKey, RedactedString, sha256};
use gatehouse_store::Store;
use gatehouse_store_sqlite::testing::{TestDatabase, fresh_database};
use gatehouse_types::management::{
    ApplicationType, CreateApiResource, CreateApplication, CreateUser, ResourceGrant, ResourceScope,
};
use std::sync::Arc;

mod assertions;
mod client_cache;
mod resources;

const NOW: i64 = 1_700_000_000;
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92ZH1kN8ZKT4KC5tzkdBNEvhMADk";
const WEB_URI: &str = "https://app.example/cb";
const NATIVE_URI: &str = "http://127.0.0.1/cb";
const ORDERS: &str = "https://api.example/orders";
const SESSION_ID: &str = "session-1";

struct Client {
    id: String,
    secret: Option<String>,
}

impl Client {
    fn credentials(&self) -> UnverifiedClientCredentials {
        UnverifiedClientCredentials {
            client_id: self.id.clone(),
            secret: self.secret.clone().map(RedactedString::from),
            assertion: None,
            method: if self.secret.is_some() {
                AuthMethod::ClientSecretPost
            } else {
                AuthMethod::None
            },
        }
    }
}

struct Fixture {
    engine: Engine,
    clock: Arc<FixedClock>,
    tenant: Arc<TenantContext>,
    web: Client,
    web_b: Client,
    native: Client,
    m2m: Client,
    user: User,
    session: Session,
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
    let clock = Arc::new(FixedClock::new(NOW));
    let engine = Engine::new(
        Arc::new(store) as Arc<dyn Store>,
        master_key(),
        clock.clone(),
        EngineConfig::new("https://id.example"),
    );
    let tenant = engine.ensure_root_tenant().await.unwrap();
    let resource = CreateApiResource {
        name: "Orders".into(),
        indicator: ORDERS.into(),
        access_token_ttl: None,
        scopes: vec![ResourceScope {
            name: "read:orders".into(),
            description: String::new(),
        }],
    };
    let resource_id = engine.create_resource(&tenant, resource).await.unwrap().id;
    let grants = vec![ResourceGrant {
        resource_id,
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
        let created = engine.create_application(&tenant, body).await.unwrap();
        Client {
            id: created.application.id,
            secret: created.client_secret,
        }
    };
    let web = app(ApplicationType::Web, &[WEB_URI], grants.clone()).await;
    let web_b = app(ApplicationType::Web, &[WEB_URI], vec![]).await;
    let native = app(ApplicationType::Native, &[NATIVE_URI], vec![]).await;
    let m2m = app(ApplicationType::M2m, &[], grants).await;
    let created = engine
        .create_user(
            &tenant,
            CreateUser {
                username: Some("alice".into()),
                email: Some("alice@example.com".into()),
                name: Some("Alice Liddell".into()),
                email_verified: Some(true),
                given_name: Some("Alice".into()),
                phone_number: Some("+44 1865 270000".into()),
                address: Some(gatehouse_types::management::Address {
                    locality: Some("Oxford".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let user = engine
        .store
        .find_user(tenant.id(), &created.id)
        .await
        .unwrap()
        .unwrap();
    let session = Session {
        id: SESSION_ID.into(),
        secret_hash: sha256(b"cookie").to_vec(),
        user_id: user.id.clone(),
        created_at: NOW,
        last_seen_at: NOW,
        expires_at: NOW + 3600,
        idle_expires_at: NOW + 1800,
        auth_time: NOW - 10,
        amr: vec!["pwd".into()],
        acr: None,
        persistent: false,
        user_agent: None,
        ip: None,
    };
    engine
        .store
        .insert_session(tenant.id(), &session)
        .await
        .unwrap();
    Fixture {
        engine,
        clock,
        tenant,
        web,
        web_b,
        native,
        m2m,
        user,
        session,
        _db: db,
    }
}

/// A validated authorization request; `None` values remove a parameter.
async fn authorize(
    fx: &Fixture,
    client: &Client,
    changes: &[(&str, Option<&str>)],
) -> AuthorizationRequest {
    let challenge = s256_challenge(VERIFIER);
    let mut pairs: Vec<(&str, Option<&str>)> = vec![
        ("response_type", Some("code")),
        ("client_id", Some(&client.id)),
        ("redirect_uri", Some(WEB_URI)),
        ("scope", Some("openid profile email offline_access")),
        ("state", Some("xyz")),
        ("nonce", Some("n-0S6_WzA2Mj")),
        ("code_challenge", Some(&challenge)),
        ("code_challenge_method", Some("S256")),
    ];
    for (name, value) in changes {
        pairs.retain(|(n, _)| n != name);
        pairs.push((name, *value));
    }
    let pairs = pairs.iter().filter_map(|(n, v)| v.map(|v| (*n, v)));
    let params = Params::from_pairs(pairs).unwrap();
    fx.engine
        .handle_authorization_request(&fx.tenant, &params)
        .await
        .unwrap()
}

async fn code_for(fx: &Fixture, client: &Client, changes: &[(&str, Option<&str>)]) -> String {
    let request = authorize(fx, client, changes).await;
    fx.engine
        .issue_authorization_code(&fx.tenant, &request, &fx.user, &fx.session)
        .await
        .unwrap()
}

async fn token(
    fx: &Fixture,
    client: &Client,
    pairs: &[(&str, &str)],
) -> Result<TokenOutcome, OAuthError> {
    let params = Params::from_pairs(pairs.iter().copied()).unwrap();
    fx.engine
        .handle_token_request(&fx.tenant, &client.credentials(), &params)
        .await
}

async fn redeem(fx: &Fixture, client: &Client, code: &str) -> Result<TokenOutcome, OAuthError> {
    token(
        fx,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", WEB_URI),
        ],
    )
    .await
}

async fn refresh(
    fx: &Fixture,
    client: &Client,
    refresh_token: &str,
    extra: &[(&str, &str)],
) -> Result<TokenOutcome, OAuthError> {
    let mut pairs = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    pairs.extend_from_slice(extra);
    token(fx, client, &pairs).await
}

async fn id_claims(fx: &Fixture, id_token: &str) -> IdTokenClaims {
    let keys = fx.engine.tenant_keys(&fx.tenant).await.unwrap();
    let verified = keys.verifier.verify(id_token, Some("JWT")).unwrap();
    serde_json::from_value(verified.claims).unwrap()
}

fn code_of(result: Result<TokenOutcome, OAuthError>) -> ErrorCode {
    result.map(|o| o.response).unwrap_err().code
}

#[tokio::test]
async fn code_flow_issues_access_id_and_refresh_tokens() {
    let fx = fixture().await;
    let code = code_for(&fx, &fx.web, &[]).await;
    let outcome = redeem(&fx, &fx.web, &code).await.unwrap();
    assert_eq!(outcome.grant_type, "authorization_code");
    let response = outcome.response;
    assert_eq!(
        response.scope.as_deref(),
        Some("openid profile email offline_access")
    );
    assert_eq!(response.expires_in, 900);
    assert!(response.refresh_token.is_some());

    let access = fx
        .engine
        .verify_access_token(&fx.tenant, &response.access_token)
        .await
        .unwrap();
    assert_eq!(access.aud, "https://id.example/oauth2/userinfo");
    assert_eq!(access.sub, fx.user.id);
    assert_eq!(access.client_id, fx.web.id);
    assert!(access.grant_id.is_some());
    assert_eq!(access.exp - access.iat, 900);

    let id_token = response.id_token.unwrap();
    let claims = id_claims(&fx, &id_token).await;
    assert_eq!(claims.iss, "https://id.example");
    assert_eq!(claims.sub, fx.user.id);
    assert_eq!(claims.aud, fx.web.id);
    assert_eq!(claims.iat, NOW);
    assert_eq!(claims.exp, NOW + 300);
    assert_eq!(claims.auth_time, Some(NOW - 10));
    assert_eq!(claims.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(claims.sid.as_deref(), Some(SESSION_ID));
    assert_eq!(claims.amr, vec!["pwd".to_owned()]);
    assert_eq!(claims.acr, None);
    // OIDC Core §3.1.3.6, recomputed by hand.
    let digest = sha256(response.access_token.as_bytes());
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
    assert_eq!(claims.at_hash.as_deref(), Some(expected.as_str()));
    assert_eq!(at_hash(&response.access_token), expected);
    // T-10: an ID token is never an access token.
    assert_eq!(
        fx.engine
            .verify_access_token(&fx.tenant, &id_token)
            .await
            .unwrap_err(),
        TokenRejection::Invalid
    );
}

#[tokio::test]
async fn public_client_authenticates_with_client_id_only() {
    let fx = fixture().await;
    let native_uri = "http://127.0.0.1:53124/cb";
    let code = code_for(
        &fx,
        &fx.native,
        &[
            ("redirect_uri", Some(native_uri)),
            ("scope", Some("openid offline_access")),
            ("nonce", None),
        ],
    )
    .await;
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
        ("redirect_uri", native_uri),
        ("client_id", fx.native.id.as_str()),
    ];
    let response = token(&fx, &fx.native, &pairs).await.unwrap().response;
    let claims = id_claims(&fx, response.id_token.as_deref().unwrap()).await;
    assert_eq!(claims.aud, fx.native.id);
    assert_eq!(claims.nonce, None, "no nonce sent, none echoed");
    // Public clients rotate their refresh tokens too.
    let rotated = refresh(&fx, &fx.native, &response.refresh_token.unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(rotated.grant_type, "refresh_token");
    assert!(rotated.response.refresh_token.is_some());
}

#[tokio::test]
async fn bad_verifiers_get_no_tokens() {
    let fx = fixture().await;
    let wrong = "x".repeat(43);
    let short = "a".repeat(42);
    let long = "a".repeat(129);
    let illegal = format!("{}+", "a".repeat(42));
    let cases: [(&str, Option<&str>, ErrorCode); 5] = [
        ("wrong", Some(&wrong), ErrorCode::InvalidGrant),
        ("missing", None, ErrorCode::InvalidRequest),
        ("42 chars", Some(&short), ErrorCode::InvalidRequest),
        ("129 chars", Some(&long), ErrorCode::InvalidRequest),
        ("illegal char", Some(&illegal), ErrorCode::InvalidRequest),
    ];
    for (name, verifier, expected) in cases {
        let code = code_for(&fx, &fx.web, &[]).await;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", WEB_URI),
        ];
        if let Some(verifier) = verifier {
            pairs.push(("code_verifier", verifier));
        }
        assert_eq!(
            code_of(token(&fx, &fx.web, &pairs).await),
            expected,
            "{name}"
        );
        if expected == ErrorCode::InvalidRequest {
            // A malformed request touches nothing: the code still works.
            assert!(redeem(&fx, &fx.web, &code).await.is_ok(), "{name}");
        }
    }
}

#[tokio::test]
async fn code_is_bound_to_client_and_redirect_uri() {
    let fx = fixture().await;
    let code = code_for(&fx, &fx.web, &[]).await;
    assert_eq!(
        code_of(redeem(&fx, &fx.web_b, &code).await),
        ErrorCode::InvalidGrant
    );

    for (name, redirect_uri) in [
        ("omitted", None),
        ("different", Some("https://app.example/other")),
        ("trailing slash", Some("https://app.example/cb/")),
    ] {
        let code = code_for(&fx, &fx.web, &[]).await;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
        ];
        if let Some(uri) = redirect_uri {
            pairs.push(("redirect_uri", uri));
        }
        let result = token(&fx, &fx.web, &pairs).await;
        assert_eq!(code_of(result), ErrorCode::InvalidGrant, "{name}");
    }

    // Not sent in the authorization request: not needed, and if sent it must be the
    // registered one.
    for (redirect_uri, ok) in [
        (None, true),
        (Some(WEB_URI), true),
        (Some("https://x/"), false),
    ] {
        let code = code_for(&fx, &fx.web, &[("redirect_uri", None)]).await;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
        ];
        if let Some(uri) = redirect_uri {
            pairs.push(("redirect_uri", uri));
        }
        assert_eq!(
            token(&fx, &fx.web, &pairs).await.is_ok(),
            ok,
            "{redirect_uri:?}"
        );
    }
}

#[tokio::test]
async fn second_redemption_revokes_the_grant() {
    let fx = fixture().await;
    let code = code_for(&fx, &fx.web, &[]).await;
    let first = redeem(&fx, &fx.web, &code).await.unwrap().response;
    let access = first.access_token;
    let refresh_token = first.refresh_token.unwrap();

    // Replays by another client or with a wrong verifier revoke nothing (P-08).
    assert_eq!(
        code_of(redeem(&fx, &fx.web_b, &code).await),
        ErrorCode::InvalidGrant
    );
    let wrong = "x".repeat(43);
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", wrong.as_str()),
        ("redirect_uri", WEB_URI),
    ];
    assert_eq!(
        code_of(token(&fx, &fx.web, &pairs).await),
        ErrorCode::InvalidGrant
    );
    assert!(
        fx.engine
            .verify_access_token(&fx.tenant, &access)
            .await
            .is_ok()
    );

    // A second valid redemption fails and revokes what the first issued.
    assert_eq!(
        code_of(redeem(&fx, &fx.web, &code).await),
        ErrorCode::InvalidGrant
    );
    assert_eq!(
        fx.engine
            .verify_access_token(&fx.tenant, &access)
            .await
            .unwrap_err(),
        TokenRejection::Revoked
    );
    assert_eq!(
        code_of(refresh(&fx, &fx.web, &refresh_token, &[]).await),
        ErrorCode::InvalidGrant
    );
    let userinfo = fx.engine.handle_userinfo(&fx.tenant, &access).await;
    assert!(matches!(userinfo, Err(UserinfoError::InvalidToken(_))));
}

#[tokio::test]
async fn expired_code_is_refused() {
    let fx = fixture().await;
    let code = code_for(&fx, &fx.web, &[]).await;
    fx.clock.advance(CODE_TTL + 1);
    assert_eq!(
        code_of(redeem(&fx, &fx.web, &code).await),
        ErrorCode::InvalidGrant
    );
}

#[tokio::test]
async fn refresh_rotation_and_reuse() {
    let fx = fixture().await;
    let code = code_for(&fx, &fx.web, &[]).await;
    let first = redeem(&fx, &fx.web, &code).await.unwrap().response;
    let rt1 = first.refresh_token.unwrap();

    // T-03: another client's refresh token, refused without burning it.
    assert_eq!(
        code_of(refresh(&fx, &fx.web_b, &rt1, &[]).await),
        ErrorCode::InvalidGrant
    );
    // T-05: wider is refused, narrower is allowed.
    let wider = refresh(&fx, &fx.web, &rt1, &[("scope", "openid read:orders")]).await;
    assert_eq!(code_of(wider), ErrorCode::InvalidScope);
    let target = refresh(&fx, &fx.web, &rt1, &[("resource", ORDERS)]).await;
    assert_eq!(code_of(target), ErrorCode::InvalidTarget);

    fx.clock.advance(60);
    let second = refresh(&fx, &fx.web, &rt1, &[("scope", "openid")])
        .await
        .unwrap()
        .response;
    assert_eq!(second.scope.as_deref(), Some("openid"));
    let claims = id_claims(&fx, second.id_token.as_deref().unwrap()).await;
    assert_eq!(
        (claims.aud.as_str(), claims.nonce),
        (fx.web.id.as_str(), None)
    );
    let rt2 = second.refresh_token.unwrap();
    assert_ne!(rt1, rt2);

    // The narrower refresh keeps the original scope on the refresh token.
    let third = refresh(&fx, &fx.web, &rt2, &[]).await.unwrap().response;
    assert_eq!(
        third.scope.as_deref(),
        Some("openid profile email offline_access")
    );
    let rt3 = third.refresh_token.unwrap();

    // T-01: replaying a rotated token kills the family and every access token of the grant.
    assert_eq!(
        code_of(refresh(&fx, &fx.web, &rt1, &[]).await),
        ErrorCode::InvalidGrant
    );
    assert_eq!(
        code_of(refresh(&fx, &fx.web, &rt3, &[]).await),
        ErrorCode::InvalidGrant
    );
    for access in [
        &first.access_token,
        &second.access_token,
        &third.access_token,
    ] {
        assert_eq!(
            fx.engine
                .verify_access_token(&fx.tenant, access)
                .await
                .unwrap_err(),
            TokenRejection::Revoked
        );
    }
}

#[tokio::test]
async fn resource_access_tokens() {
    let fx = fixture().await;
    let code = code_for(
        &fx,
        &fx.web,
        &[
            ("scope", Some("openid read:orders offline_access")),
            ("resource", Some(ORDERS)),
        ],
    )
    .await;
    let response = redeem(&fx, &fx.web, &code).await.unwrap().response;
    let access = fx
        .engine
        .verify_access_token(&fx.tenant, &response.access_token)
        .await
        .unwrap();
    assert_eq!(access.aud, ORDERS);
    assert!(access.exp - access.iat <= 900, "T-10: at most 15 minutes");
    let userinfo = fx
        .engine
        .handle_userinfo(&fx.tenant, &response.access_token)
        .await;
    assert!(matches!(userinfo, Err(UserinfoError::InvalidToken(_))));
    let rt = response.refresh_token.unwrap();
    let refreshed = refresh(&fx, &fx.web, &rt, &[("resource", ORDERS)])
        .await
        .unwrap()
        .response;
    let access = fx
        .engine
        .verify_access_token(&fx.tenant, &refreshed.access_token)
        .await
        .unwrap();
    assert_eq!(access.aud, ORDERS);
}

#[tokio::test]
async fn userinfo_returns_claims_by_scope() {
    let fx = fixture().await;
    let cases: [(&str, &[&str], &[&str]); 6] = [
        (
            "openid",
            &["sub"],
            &["name", "email", "phone_number", "address"],
        ),
        (
            "openid profile",
            &[
                "sub",
                "name",
                "given_name",
                "preferred_username",
                "updated_at",
            ],
            &["email", "email_verified", "phone_number", "address"],
        ),
        (
            "openid email",
            &["sub", "email", "email_verified"],
            &["name", "preferred_username", "phone_number", "address"],
        ),
        (
            "openid phone",
            &["sub", "phone_number", "phone_number_verified"],
            &["name", "given_name", "email", "address"],
        ),
        (
            "openid address",
            &["sub", "address"],
            &["name", "email", "phone_number", "phone_number_verified"],
        ),
        (
            "openid profile email phone address",
            &[
                "sub",
                "name",
                "email",
                "email_verified",
                "phone_number",
                "address",
            ],
            &["family_name", "nickname", "picture", "zoneinfo"],
        ),
    ];
    for (scope, present, absent) in cases {
        let code = code_for(&fx, &fx.web, &[("scope", Some(scope))]).await;
        let response = redeem(&fx, &fx.web, &code).await.unwrap().response;
        assert!(
            response.refresh_token.is_none(),
            "{scope}: no offline_access"
        );
        let claims = fx
            .engine
            .handle_userinfo(&fx.tenant, &response.access_token)
            .await
            .unwrap();
        assert_eq!(claims["sub"], fx.user.id.as_str(), "{scope}");
        for name in present {
            assert!(claims.get(name).is_some(), "{scope}: {name} missing");
        }
        for name in absent {
            assert!(claims.get(name).is_none(), "{scope}: {name} leaked");
        }
        if scope.contains("email") {
            assert_eq!(claims["email"], "alice@example.com");
            assert_eq!(claims["email_verified"], true);
        }
        if scope.contains("phone") {
            assert_eq!(claims["phone_number"], "+441865270000");
            assert_eq!(claims["phone_number_verified"], false);
        }
        if scope.contains("address") {
            assert_eq!(claims["address"], serde_json::json!({"locality": "Oxford"}));
        }
    }
}

#[tokio::test]
async fn userinfo_refuses_other_tokens() {
    let fx = fixture().await;
    let pairs = [("grant_type", "client_credentials"), ("resource", ORDERS)];
    let m2m = token(&fx, &fx.m2m, &pairs).await.unwrap().response;
    for bad in [m2m.access_token.as_str(), "not-a-token"] {
        let result = fx.engine.handle_userinfo(&fx.tenant, bad).await;
        let error = result.unwrap_err();
        assert_eq!(error.code(), Some("invalid_token"), "{error:?}");
    }
    // An expired token.
    let code = code_for(&fx, &fx.web, &[]).await;
    let response = redeem(&fx, &fx.web, &code).await.unwrap().response;
    fx.clock.advance(901);
    let error = fx
        .engine
        .handle_userinfo(&fx.tenant, &response.access_token)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("invalid_token"));
}

/// A web client registered with `body`'s settings (name, type and redirect URI filled in).
async fn web_client(fx: &Fixture, body: CreateApplication) -> Client {
    let created = fx
        .engine
        .create_application(
            &fx.tenant,
            CreateApplication {
                name: "configured app".into(),
                app_type: ApplicationType::Web,
                redirect_uris: vec![WEB_URI.into()],
                ..body
            },
        )
        .await
        .unwrap();
    Client {
        id: created.application.id,
        secret: created.client_secret,
    }
}

fn blank_application() -> CreateApplication {
    CreateApplication {
        name: String::new(),
        app_type: ApplicationType::Web,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        third_party: false,
        device_flow: false,
        resource_grants: Vec::new(),
        refresh_token_absolute_ttl: None,
        refresh_token_idle_ttl: None,
        jwks: None,
    }
}

/// The stored record of a refresh token.
async fn stored_refresh_token(fx: &Fixture, token: &str) -> gatehouse_core::RefreshToken {
    fx.engine
        .store
        .find_refresh_token(fx.tenant.id(), &sha256(token.as_bytes()))
        .await
        .unwrap()
        .unwrap()
}

/// OIDC Core §12.2: a refreshed ID token has the iss, sub, aud, auth_time, amr and acr of the
/// first one, across several rotations, and no nonce; a token issued in a session carries its
/// sid; a token stored before auth_time was recorded (0) gets none rather than a wrong one.
#[tokio::test]
async fn refreshed_id_tokens_keep_the_original_authentication() {
    let fx = fixture().await;
    let mfa = Session {
        id: "session-mfa".into(),
        secret_hash: sha256(b"mfa cookie").to_vec(),
        auth_time: NOW - 300,
        amr: vec!["pwd".into(), "otp".into()],
        acr: Some("urn:gatehouse:acr:mfa".into()),
        ..fx.session.clone()
    };
    fx.engine
        .store
        .insert_session(fx.tenant.id(), &mfa)
        .await
        .unwrap();
    let request = authorize(&fx, &fx.web, &[]).await;
    let code = fx
        .engine
        .issue_authorization_code(&fx.tenant, &request, &fx.user, &mfa)
        .await
        .unwrap();
    let first = redeem(&fx, &fx.web, &code).await.unwrap().response;
    let original = id_claims(&fx, first.id_token.as_deref().unwrap()).await;
    assert_eq!(original.auth_time, Some(NOW - 300));
    assert_eq!(original.amr, ["pwd", "otp"]);
    assert_eq!(original.acr.as_deref(), Some("urn:gatehouse:acr:mfa"));

    let mut refresh_token = first.refresh_token.unwrap();
    for round in 1..=3 {
        fx.clock.advance(3600);
        let response = refresh(&fx, &fx.web, &refresh_token, &[])
            .await
            .unwrap()
            .response;
        let claims = id_claims(&fx, response.id_token.as_deref().unwrap()).await;
        assert_eq!(
            (&claims.iss, &claims.sub, &claims.aud),
            (&original.iss, &original.sub, &original.aud),
            "round {round}"
        );
        assert_eq!(claims.auth_time, original.auth_time, "round {round}");
        assert_eq!(claims.amr, original.amr, "round {round}");
        assert_eq!(claims.acr, original.acr, "round {round}");
        assert_eq!(claims.nonce, None, "round {round}");
        assert_eq!(
            claims.iat,
            NOW + 3600 * round,
            "round {round}: a fresh token"
        );
        // An offline family outlives the browser session: no sid.
        assert_eq!(claims.sid, None, "round {round}");
        refresh_token = response.refresh_token.unwrap();
        let stored = stored_refresh_token(&fx, &refresh_token).await;
        assert_eq!(
            (stored.auth_time, stored.amr, stored.acr),
            (NOW - 300, original.amr.clone(), original.acr.clone()),
            "round {round}: carried across rotation"
        );
    }

    // Tokens bound to a session carry its sid; tokens from before migration 0006 (auth_time
    // 0, no amr) give ID tokens without auth_time.
    let now = fx.engine.now();
    for (label, session_id, auth_time) in [
        ("in session", Some(SESSION_ID), NOW - 5),
        ("legacy", None, 0),
    ] {
        let token = format!("rt-{label}");
        let record = gatehouse_core::RefreshToken {
            token_hash: sha256(token.as_bytes()).to_vec(),
            family_id: format!("family-{label}"),
            client_id: fx.web.id.clone(),
            user_id: fx.user.id.clone(),
            session_id: session_id.map(str::to_owned),
            scopes: vec!["openid".into(), "offline_access".into()],
            resources: vec![],
            auth_time,
            amr: if auth_time > 0 {
                vec!["pwd".into()]
            } else {
                vec![]
            },
            acr: None,
            created_at: now,
            expires_at: now + 3600,
            idle_expires_at: now + 600,
            used_at: None,
            revoked_at: None,
        };
        fx.engine
            .store
            .insert_refresh_token(fx.tenant.id(), &record)
            .await
            .unwrap();
        let response = refresh(&fx, &fx.web, &token, &[]).await.unwrap().response;
        let claims = id_claims(&fx, response.id_token.as_deref().unwrap()).await;
        assert_eq!(claims.sid.as_deref(), session_id, "{label}");
        assert_eq!(
            claims.auth_time,
            (auth_time > 0).then_some(auth_time),
            "{label}"
        );
        assert_eq!(claims.amr, record.amr, "{label}");
        let access = fx
            .engine
            .verify_access_token(&fx.tenant, &response.access_token)
            .await
            .unwrap();
        assert_eq!(access.sid.as_deref(), session_id, "{label}");
    }
}

/// T-06 per application: each app's refresh tokens die after its own idle and absolute
/// limits (one app on the defaults, one with short ones), and rotation never moves the
/// family's absolute end.
#[tokio::test]
async fn refresh_token_lifetimes_are_per_application() {
    let fx = fixture().await;
    let short = web_client(
        &fx,
        CreateApplication {
            refresh_token_absolute_ttl: Some(3600),
            refresh_token_idle_ttl: Some(600),
            ..blank_application()
        },
    )
    .await;
    let start = fx.engine.now();
    let issue = async |client: &Client| {
        let code = code_for(&fx, client, &[]).await;
        redeem(&fx, client, &code)
            .await
            .unwrap()
            .response
            .refresh_token
            .unwrap()
    };
    let default_rt = issue(&fx.web).await;
    let short_rt = issue(&short).await;
    let stored = stored_refresh_token(&fx, &default_rt).await;
    assert_eq!(
        (stored.expires_at, stored.idle_expires_at),
        (start + 30 * 86_400, start + 14 * 86_400),
        "server defaults"
    );
    let stored = stored_refresh_token(&fx, &short_rt).await;
    assert_eq!(
        (stored.expires_at, stored.idle_expires_at),
        (start + 3600, start + 600),
        "the short app's own limits"
    );

    // Idle: 601 s without use kills the short app's token, not the default app's.
    fx.clock.advance(601);
    assert_eq!(
        code_of(refresh(&fx, &short, &short_rt, &[]).await),
        ErrorCode::InvalidGrant
    );
    let default_rt = refresh(&fx, &fx.web, &default_rt, &[])
        .await
        .unwrap()
        .response
        .refresh_token
        .unwrap();
    let stored = stored_refresh_token(&fx, &default_rt).await;
    assert_eq!(stored.expires_at, start + 30 * 86_400, "absolute end kept");
    assert_eq!(stored.idle_expires_at, start + 601 + 14 * 86_400);

    // Absolute: used every 500 s, the short family still ends 3600 s after it started.
    let family_start = fx.engine.now();
    let mut rt = issue(&short).await;
    for step in 1..=7 {
        fx.clock.advance(500);
        rt = refresh(&fx, &short, &rt, &[])
            .await
            .unwrap_or_else(|e| panic!("step {step}: {e}"))
            .response
            .refresh_token
            .unwrap();
        let stored = stored_refresh_token(&fx, &rt).await;
        assert_eq!(stored.expires_at, family_start + 3600, "step {step}");
        assert_eq!(
            stored.idle_expires_at,
            (family_start + 500 * step + 600).min(family_start + 3600),
            "step {step}: idle limit moves, capped by the absolute end"
        );
    }
    fx.clock.advance(100);
    assert_eq!(fx.engine.now(), family_start + 3600);
    assert_eq!(
        code_of(refresh(&fx, &short, &rt, &[]).await),
        ErrorCode::InvalidGrant,
        "used within its idle limit, but past the absolute one"
    );
    // The default app's family lives on at the same time.
    assert!(refresh(&fx, &fx.web, &default_rt, &[]).await.is_ok());
}
