//! `private_key_jwt` (RFC 7523 §2.2, §3; checklist P-23) through the engine: one case per
//! check, each refused as `invalid_client` (or `invalid_request` for a malformed request),
//! and a replayed `jti` refused even when everything else is right.

use super::*;
use crate::client_auth::{CLIENT_ASSERTION_TYPE, parse_client_credentials};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_core::SigningAlgorithm;
use gatehouse_crypto::{GeneratedKey, Signer, generate_signing_key};
use serde_json::{Value, json};

const ISSUER: &str = "https://id.example";
const TOKEN_ENDPOINT: &str = "https://id.example/oauth2/token";

struct KeyClient {
    client: Client,
    key: GeneratedKey,
    signer: Signer,
}

async fn key_client(fx: &Fixture, app_type: ApplicationType) -> KeyClient {
    let key = generate_signing_key(SigningAlgorithm::Es256).unwrap();
    let signer = Signer::from_pkcs8(&key.kid, key.alg, &key.pkcs8_der).unwrap();
    let created = fx
        .engine
        .create_application(
            &fx.tenant,
            CreateApplication {
                name: "keyed".into(),
                app_type,
                redirect_uris: if app_type == ApplicationType::M2m {
                    vec![]
                } else {
                    vec![WEB_URI.into()]
                },
                jwks: Some(json!({ "keys": [key.public_jwk] })),
                ..blank_application()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        created.client_secret, None,
        "keys instead of a first secret"
    );
    assert_eq!(
        created.application.token_endpoint_auth_method,
        "private_key_jwt"
    );
    KeyClient {
        client: Client {
            id: created.application.id,
            secret: None,
        },
        key,
        signer,
    }
}

/// Claims RFC 7523 §3 accepts, valid for two minutes from `now`.
fn claims(client_id: &str, now: i64) -> Value {
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": ISSUER,
        "exp": now + 120,
        "iat": now,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// HMAC-SHA256 (RFC 2104) of `message`, for forging an HS256 token keyed with a public key.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let mut inner = pad(0x36);
    inner.extend_from_slice(message);
    let mut outer = pad(0x5c);
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer)
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

async fn authenticate(
    fx: &Fixture,
    pairs: &[(&str, &str)],
    authorization: Option<&str>,
) -> Result<String, ErrorCode> {
    let params = Params::from_pairs(pairs.iter().copied()).unwrap();
    let credentials = parse_client_credentials(authorization, &params).map_err(|e| e.code)?;
    fx.engine
        .authenticate_client(&fx.tenant, &credentials)
        .await
        .map(|app| app.id)
        .map_err(|e| e.code)
}

async fn present(fx: &Fixture, assertion: &str) -> Result<String, ErrorCode> {
    authenticate(
        fx,
        &[
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", assertion),
        ],
        None,
    )
    .await
}

#[tokio::test]
async fn private_key_jwt_accepts_a_fresh_assertion_once() {
    let fx = fixture().await;
    let kc = key_client(&fx, ApplicationType::M2m).await;
    let id = kc.client.id.as_str();
    let now = fx.engine.now();
    let assertion = kc.signer.sign_jwt("JWT", &claims(id, now)).unwrap();
    assert_eq!(present(&fx, &assertion).await.as_deref(), Ok(id));
    // P-23: the same assertion again is a replay.
    assert_eq!(
        present(&fx, &assertion).await,
        Err(ErrorCode::InvalidClient)
    );
    // With client_id in the body too, and other accepted shapes of aud and times.
    let variants = [
        json!({"aud": TOKEN_ENDPOINT}),
        json!({"aud": ["https://other.example", ISSUER]}),
        json!({"exp": now - 30, "iat": now - 90}),
        json!({"exp": now + 3600, "iat": null}),
        json!({"exp": (now + 60) as f64 + 0.5}),
        json!({"nbf": now + 30}),
    ];
    for (index, change) in variants.iter().enumerate() {
        let mut body = claims(id, now);
        for (name, value) in change.as_object().unwrap() {
            if value.is_null() {
                body.as_object_mut().unwrap().remove(name);
            } else {
                body[name] = value.clone();
            }
        }
        let assertion = kc.signer.sign_jwt("JWT", &body).unwrap();
        let pairs = [
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
            ("client_id", id),
        ];
        assert_eq!(
            authenticate(&fx, &pairs, None).await.as_deref(),
            Ok(id),
            "variant {index}: {change}"
        );
    }
    // The whole token endpoint: client credentials with an assertion.
    let assertion = kc.signer.sign_jwt("JWT", &claims(id, now)).unwrap();
    let params = Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("resource", ORDERS),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE),
        ("client_assertion", assertion.as_str()),
    ])
    .unwrap();
    let credentials = parse_client_credentials(None, &params).unwrap();
    let error = fx
        .engine
        .handle_token_request(&fx.tenant, &credentials, &params)
        .await
        .unwrap_err();
    // Authenticated: the refusal is about the (ungranted) resource, not the client.
    assert_eq!(error.code, ErrorCode::InvalidTarget);
}

#[tokio::test]
async fn private_key_jwt_refusals() {
    let fx = fixture().await;
    let kc = key_client(&fx, ApplicationType::Web).await;
    let id = kc.client.id.clone();
    let now = fx.engine.now();
    let with = |change: Value| {
        let mut body = claims(&id, now);
        for (name, value) in change.as_object().unwrap() {
            if value.is_null() {
                body.as_object_mut().unwrap().remove(name);
            } else {
                body[name] = value.clone();
            }
        }
        kc.signer.sign_jwt("JWT", &body).unwrap()
    };
    let other_key = generate_signing_key(SigningAlgorithm::Es256).unwrap();
    let impostor = Signer::from_pkcs8(&kc.key.kid, other_key.alg, &other_key.pkcs8_der).unwrap();
    let unsigned = format!(
        "{}.{}.",
        encode(&json!({"alg": "none", "kid": kc.key.kid})),
        encode(&claims(&id, now))
    );
    let hs256 = {
        let input = format!(
            "{}.{}",
            encode(&json!({"alg": "HS256", "kid": kc.key.kid, "typ": "JWT"})),
            encode(&claims(&id, now))
        );
        let public_key = serde_json::to_vec(&kc.key.public_jwk).unwrap();
        let mac = hmac_sha256(&public_key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac))
    };
    // Each case with the reason the engine logs, so every check is shown to do the refusing.
    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none", unsigned, "malformed"),
        ("HS256 keyed with the public key", hs256, "malformed"),
        (
            "signed by another key",
            impostor.sign_jwt("JWT", &claims(&id, now)).unwrap(),
            "bad signature",
        ),
        (
            "iss is another client",
            with(json!({"iss": fx.web.id})),
            "iss and sub",
        ),
        (
            "sub is another client",
            with(json!({"sub": "someone"})),
            "iss and sub",
        ),
        ("no sub", with(json!({"sub": null})), "sub"),
        ("no iss", with(json!({"iss": null})), "iss and sub"),
        (
            "wrong aud",
            with(json!({"aud": "https://evil.example"})),
            "aud",
        ),
        (
            "aud is the userinfo endpoint",
            with(json!({"aud": "https://id.example/oauth2/userinfo"})),
            "aud",
        ),
        ("no aud", with(json!({"aud": null})), "aud"),
        (
            "aud array without us",
            with(json!({"aud": ["https://a.example"]})),
            "aud",
        ),
        ("no exp", with(json!({"exp": null})), "exp is missing"),
        (
            "exp past the skew",
            with(json!({"exp": now - 61, "iat": now - 120})),
            "expired",
        ),
        (
            "exp not a number",
            with(json!({"exp": "soon"})),
            "not a number",
        ),
        (
            "valid for over an hour",
            with(json!({"exp": now + 3601})),
            "more than an hour",
        ),
        (
            "issued over an hour before exp",
            with(json!({"iat": now - 3000, "exp": now + 1000})),
            "more than an hour",
        ),
        (
            "issued in the future",
            with(json!({"iat": now + 120})),
            "future",
        ),
        (
            "not valid yet",
            with(json!({"nbf": now + 120})),
            "not valid yet",
        ),
        ("no jti", with(json!({"jti": null})), "jti"),
        ("empty jti", with(json!({"jti": ""})), "jti"),
        ("jti too long", with(json!({"jti": "j".repeat(257)})), "jti"),
        ("not a JWT", "not-a-jwt".to_owned(), "malformed"),
    ];
    for (name, assertion, reason) in &cases {
        let params = Params::from_pairs([
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
            ("client_id", id.as_str()),
        ])
        .unwrap();
        let credentials = parse_client_credentials(None, &params).unwrap();
        let error = fx
            .engine
            .authenticate_client(&fx.tenant, &credentials)
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidClient, "{name}");
        assert_eq!(error.description, "client authentication failed", "{name}");
        let detail = error.detail.unwrap_or_default();
        assert!(detail.contains(reason), "{name}: {detail}");
        // Without client_id, the client is found by the assertion's sub (when readable).
        assert_eq!(
            present(&fx, assertion).await,
            Err(ErrorCode::InvalidClient),
            "{name}"
        );
    }
    // None of the refusals burnt a jti: a good assertion still passes, once.
    let good = with(json!({}));
    assert_eq!(present(&fx, &good).await.as_deref(), Ok(id.as_str()));
    assert_eq!(present(&fx, &good).await, Err(ErrorCode::InvalidClient));

    // Clients that may not use assertions: a public one, and one without keys.
    let native_assertion = kc
        .signer
        .sign_jwt("JWT", &claims(&fx.native.id, now))
        .unwrap();
    assert_eq!(
        present(&fx, &native_assertion).await,
        Err(ErrorCode::InvalidClient),
        "public client"
    );
    let keyless = kc.signer.sign_jwt("JWT", &claims(&fx.web.id, now)).unwrap();
    assert_eq!(
        present(&fx, &keyless).await,
        Err(ErrorCode::InvalidClient),
        "client without keys"
    );
    // client_id naming another client than the assertion's subject.
    let assertion = with(json!({}));
    let pairs = [
        ("client_assertion_type", CLIENT_ASSERTION_TYPE),
        ("client_assertion", assertion.as_str()),
        ("client_id", fx.web.id.as_str()),
    ];
    assert_eq!(
        authenticate(&fx, &pairs, None).await,
        Err(ErrorCode::InvalidClient)
    );

    // Malformed requests: two methods, a missing or unknown assertion type.
    let assertion = with(json!({}));
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:secret"))
    );
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<&'a str>);
    let malformed: [Case; 4] = [
        (
            "with client_secret",
            vec![
                ("client_assertion_type", CLIENT_ASSERTION_TYPE),
                ("client_assertion", &assertion),
                ("client_secret", "secret"),
            ],
            None,
        ),
        (
            "with Basic",
            vec![
                ("client_assertion_type", CLIENT_ASSERTION_TYPE),
                ("client_assertion", &assertion),
            ],
            Some(&basic),
        ),
        ("no type", vec![("client_assertion", &assertion)], None),
        (
            "unknown type",
            vec![
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                ),
                ("client_assertion", &assertion),
            ],
            None,
        ),
    ];
    for (name, pairs, authorization) in &malformed {
        assert_eq!(
            authenticate(&fx, pairs, *authorization).await,
            Err(ErrorCode::InvalidRequest),
            "{name}"
        );
    }
    // The malformed requests burnt nothing either.
    assert_eq!(present(&fx, &assertion).await.as_deref(), Ok(id.as_str()));
}

/// A confidential client with keys may still get secrets and use them, one method per request.
#[tokio::test]
async fn private_key_jwt_clients_may_also_hold_secrets() {
    let fx = fixture().await;
    let kc = key_client(&fx, ApplicationType::Web).await;
    let secret = fx
        .engine
        .create_client_secret(&fx.tenant, &kc.client.id, Default::default())
        .await
        .unwrap()
        .client_secret;
    let pairs = [
        ("client_id", kc.client.id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    assert_eq!(
        authenticate(&fx, &pairs, None).await.as_deref(),
        Ok(kc.client.id.as_str())
    );
    let now = fx.engine.now();
    let assertion = kc
        .signer
        .sign_jwt("JWT", &claims(&kc.client.id, now))
        .unwrap();
    assert_eq!(
        present(&fx, &assertion).await.as_deref(),
        Ok(kc.client.id.as_str())
    );
}
