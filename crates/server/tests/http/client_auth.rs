//! `private_key_jwt` client authentication over HTTP (RFC 7523 §2.2, OIDC Core §9; checklist
//! P-23): a client registers an ES256 public key through the Management API, then signs its
//! own assertions at the token, introspection and revocation endpoints. Every refusal is its
//! own case, and none of them issues a token.

use crate::common::TestServer;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_core::{MANAGEMENT_RESOURCE_ID, MANAGEMENT_SCOPE};
use reqwest::Method;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// One Management API call on the root tenant: the status and the JSON body (Null when empty).
pub async fn management_call(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = server
        .client
        .request(method, server.url(&format!("/api{path}")))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    if bytes.is_empty() {
        return (status, Value::Null);
    }
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// The field names of a 422 problem.
pub fn invalid_fields(problem: &Value) -> Vec<String> {
    assert_eq!(problem["code"], "validation_failed", "{problem}");
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap().to_owned())
        .collect()
}

/// A P-256 key pair held by a client.
struct ClientKey {
    kid: String,
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl ClientKey {
    fn generate(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Self {
            kid: kid.to_owned(),
            pair,
            rng,
        }
    }

    /// The public JWK, the way client libraries publish it (no `alg`, no `use`).
    fn public_jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC",
            "crv": "P-256",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        })
    }

    /// A compact JWS of `claims` under any `header`, signed with this key.
    fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", encode(header), encode(claims));
        let signature = self.pair.sign(&self.rng, input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": "ES256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[allow(clippy::disallowed_methods)]
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Claims RFC 7523 §3 accepts for `client_id` at `server`, with a fresh jti.
fn claims(server: &TestServer, client_id: &str) -> Value {
    let now = now();
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": server.issuer,
        "iat": now,
        "exp": now + 120,
        "jti": gatehouse_crypto::random_token(16),
    })
}

/// `claims` with members replaced (`null` removes one).
fn changed(mut claims: Value, changes: Value) -> Value {
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

/// Registers an m2m application that may call the Management API, with `key`'s public JWK
/// Set, over the Management API; returns its client_id.
async fn register(server: &TestServer, token: &str, key: &ClientKey) -> String {
    let body = json!({
        "name": "signing robot",
        "type": "m2m",
        "resource_grants": [{"resource_id": MANAGEMENT_RESOURCE_ID, "scopes": [MANAGEMENT_SCOPE]}],
        "jwks": {"keys": [key.public_jwk()]},
    });
    let (status, created) =
        management_call(server, token, Method::POST, "/applications", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    assert!(
        created.get("client_secret").is_none(),
        "keys instead of a secret: {created}"
    );
    assert_eq!(created["token_endpoint_auth_method"], "private_key_jwt");
    created["id"].as_str().unwrap().to_owned()
}

/// A client-credentials request for a Management API token, authenticated by `auth`.
async fn token_request(
    server: &TestServer,
    auth: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> reqwest::Response {
    let root = server.root().await;
    let indicator = root.management_indicator();
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("resource", indicator.as_str()),
    ];
    form.extend_from_slice(auth);
    server
        .post_form(&server.url("/oauth2/token"), basic, &form)
        .await
}

fn assertion_form(assertion: &str) -> [(&str, &str); 2] {
    [
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ]
}

/// The status and `error` of a refused request, which must be OAuth JSON without a token.
async fn refusal(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap();
    assert!(body.get("access_token").is_none(), "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    if status == 401 {
        // RFC 6749 §5.2: every 401 invalid_client carries a challenge.
        assert!(headers.contains_key("www-authenticate"), "{body}");
    }
    (status, body["error"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_authenticates_at_the_token_endpoint_once_per_assertion() {
    let server = TestServer::start().await;
    let admin = server.management_token().await;
    let key = ClientKey::generate("robot-key-1");
    let client_id = register(&server, &admin, &key).await;

    let assertion = key.sign(&claims(&server, &client_id));
    let response = token_request(&server, &assertion_form(&assertion), None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let access_token = body["access_token"].as_str().unwrap();
    let (status, _) =
        management_call(&server, access_token, Method::GET, "/applications", None).await;
    assert_eq!(status, 200, "the token works");

    // P-23: the very same assertion again is a replay.
    let response = token_request(&server, &assertion_form(&assertion), None).await;
    assert_eq!(refusal(response).await, (401, "invalid_client".to_owned()));

    // The token endpoint URL is an accepted audience too, and client_id may come along.
    let to_endpoint = key.sign(&changed(
        claims(&server, &client_id),
        json!({"aud": server.url("/oauth2/token")}),
    ));
    let mut form = assertion_form(&to_endpoint).to_vec();
    form.push(("client_id", &client_id));
    let response = token_request(&server, &form, None).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_refusals() {
    let server = TestServer::start().await;
    let admin = server.management_token().await;
    let key = ClientKey::generate("robot-key-1");
    let client_id = register(&server, &admin, &key).await;
    let fresh = || claims(&server, &client_id);
    let header = |changes: Value| {
        changed(
            json!({"alg": "ES256", "typ": "JWT", "kid": key.kid}),
            changes,
        )
    };
    let attacker = ClientKey::generate("robot-key-1");
    let hs256 = {
        // The HMAC key is our registered public key, as a confused verifier would use it.
        let input = format!(
            "{}.{}",
            encode(&json!({"alg": "HS256", "typ": "JWT", "kid": key.kid})),
            encode(&fresh())
        );
        let secret = serde_json::to_vec(&key.public_jwk()).unwrap();
        let mac = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
            input.as_bytes(),
        );
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.as_ref()))
    };
    let now = now();
    let replayed_jti = fresh();
    let first_use = key.sign(&replayed_jti);
    assert_eq!(
        token_request(&server, &assertion_form(&first_use), None)
            .await
            .status(),
        200
    );
    let cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                encode(&json!({"alg": "none", "typ": "JWT", "kid": key.kid})),
                encode(&fresh())
            ),
        ),
        ("HS256 keyed with the registered public key", hs256),
        (
            "jku header",
            key.sign_with_header(
                &header(json!({"jku": "https://attacker.example/jwks"})),
                &fresh(),
            ),
        ),
        (
            "x5u header",
            key.sign_with_header(
                &header(json!({"x5u": "https://attacker.example/cert"})),
                &fresh(),
            ),
        ),
        (
            "jwk header with the attacker's key",
            attacker.sign_with_header(&header(json!({"jwk": attacker.public_jwk()})), &fresh()),
        ),
        (
            "signed by another key under our kid",
            attacker.sign(&fresh()),
        ),
        (
            "unknown kid",
            key.sign_with_header(&header(json!({"kid": "other"})), &fresh()),
        ),
        (
            "iss is not the client",
            key.sign(&changed(fresh(), json!({"iss": "someone-else"}))),
        ),
        ("no sub", key.sign(&changed(fresh(), json!({"sub": null})))),
        (
            "wrong aud",
            key.sign(&changed(fresh(), json!({"aud": "https://evil.example"}))),
        ),
        (
            "aud is the introspection endpoint",
            key.sign(&changed(
                fresh(),
                json!({"aud": server.url("/oauth2/introspect")}),
            )),
        ),
        (
            "exp in the past",
            key.sign(&changed(
                fresh(),
                json!({"iat": now - 600, "exp": now - 300}),
            )),
        ),
        ("no exp", key.sign(&changed(fresh(), json!({"exp": null})))),
        (
            "valid for more than an hour",
            key.sign(&changed(fresh(), json!({"exp": now + 7200}))),
        ),
        ("no jti", key.sign(&changed(fresh(), json!({"jti": null})))),
        (
            "replayed jti in a new assertion",
            key.sign(&changed(replayed_jti.clone(), json!({"exp": now + 200}))),
        ),
    ];
    for (name, assertion) in &cases {
        let response = token_request(&server, &assertion_form(assertion), None).await;
        assert_eq!(
            refusal(response).await,
            (401, "invalid_client".to_owned()),
            "{name}"
        );
    }

    // A request uses exactly one method (RFC 6749 §2.3).
    let good = key.sign(&fresh());
    let mut with_secret = assertion_form(&good).to_vec();
    with_secret.push(("client_secret", "gh_cs_any"));
    let response = token_request(&server, &with_secret, None).await;
    assert_eq!(
        refusal(response).await,
        (400, "invalid_request".to_owned()),
        "assertion and client_secret"
    );
    let response = token_request(&server, &assertion_form(&good), Some((&client_id, "x"))).await;
    assert_eq!(
        refusal(response).await,
        (400, "invalid_request".to_owned()),
        "assertion and Basic"
    );
    let wrong_type = [
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
        ),
        ("client_assertion", good.as_str()),
    ];
    let response = token_request(&server, &wrong_type, None).await;
    assert_eq!(
        refusal(response).await,
        (400, "invalid_request".to_owned()),
        "unknown assertion type"
    );

    // A public client cannot authenticate with an assertion, even one it signed.
    let (status, spa) = management_call(
        &server,
        &admin,
        Method::POST,
        "/applications",
        Some(json!({"name": "front", "type": "spa", "redirect_uris": ["https://spa.example/cb"]})),
    )
    .await;
    assert_eq!(status, 201);
    let spa_id = spa["id"].as_str().unwrap();
    let response = token_request(
        &server,
        &assertion_form(&key.sign(&claims(&server, spa_id))),
        None,
    )
    .await;
    assert_eq!(
        refusal(response).await,
        (401, "invalid_client".to_owned()),
        "public client"
    );

    // No refusal burnt the good assertion's jti.
    let response = token_request(&server, &assertion_form(&good), None).await;
    assert_eq!(response.status(), 200);
}

/// Introspection and revocation accept private_key_jwt too, each assertion once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_at_introspection_and_revocation() {
    let server = TestServer::start().await;
    let admin = server.management_token().await;
    let key = ClientKey::generate("robot-key-1");
    let client_id = register(&server, &admin, &key).await;
    let response = token_request(
        &server,
        &assertion_form(&key.sign(&claims(&server, &client_id))),
        None,
    )
    .await;
    let body: Value = response.json().await.unwrap();
    let access_token = body["access_token"].as_str().unwrap().to_owned();

    let introspect = |assertion: String| {
        let server = &server;
        let access_token = access_token.clone();
        async move {
            let mut form = assertion_form(&assertion).to_vec();
            form.push(("token", &access_token));
            server
                .post_form(&server.url("/oauth2/introspect"), None, &form)
                .await
        }
    };
    let assertion = key.sign(&claims(&server, &client_id));
    let response = introspect(assertion.clone()).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], client_id);
    let response = introspect(assertion).await;
    assert_eq!(refusal(response).await, (401, "invalid_client".to_owned()));

    let assertion = key.sign(&claims(&server, &client_id));
    let mut form = assertion_form(&assertion).to_vec();
    form.push(("token", &access_token));
    let response = server
        .post_form(&server.url("/oauth2/revoke"), None, &form)
        .await;
    assert_eq!(response.status(), 200);
    let response = introspect(key.sign(&claims(&server, &client_id))).await;
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer, json!({"active": false}), "revoked");
}

/// The JWK Set round-trips through the Management API; bad sets are refused with the field
/// named; a keyed client may add a secret and use either method; removing the set ends
/// assertions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_jwks_through_the_management_api() {
    let server = TestServer::start().await;
    let admin = server.management_token().await;
    let key = ClientKey::generate("robot-key-1");
    let client_id = register(&server, &admin, &key).await;
    let path = format!("/applications/{client_id}");
    let (status, app) = management_call(&server, &admin, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    let mut normalized = key.public_jwk();
    normalized["use"] = json!("sig");
    normalized["alg"] = json!("ES256");
    assert_eq!(app["jwks"], json!({ "keys": [normalized] }), "{app}");

    let mut private = key.public_jwk();
    private["d"] = json!("c2VjcmV0");
    let refused = [
        (
            json!({"name": "x", "type": "m2m", "jwks": {"keys": [private]}}),
            "jwks.keys[0]",
        ),
        (
            json!({"name": "x", "type": "spa", "redirect_uris": ["https://spa.example/cb"],
                   "jwks": {"keys": [key.public_jwk()]}}),
            "jwks",
        ),
        (
            json!({"name": "x", "type": "web", "jwks": {"keys": []}}),
            "jwks.keys",
        ),
        (
            json!({"name": "x", "type": "web", "jwks": "not a set"}),
            "jwks",
        ),
    ];
    for (body, field) in refused {
        let (status, problem) =
            management_call(&server, &admin, Method::POST, "/applications", Some(body)).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(invalid_fields(&problem), [field]);
    }

    // A secret next to the keys: either method works, one per request.
    let (status, secret) = management_call(
        &server,
        &admin,
        Method::POST,
        &format!("{path}/secrets"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 201);
    let secret = secret["client_secret"].as_str().unwrap();
    let response = token_request(&server, &[], Some((&client_id, secret))).await;
    assert_eq!(response.status(), 200);
    let response = token_request(
        &server,
        &assertion_form(&key.sign(&claims(&server, &client_id))),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);

    // Replacing the set: the old key stops working, the new one works.
    let new_key = ClientKey::generate("robot-key-2");
    let (status, app) = management_call(
        &server,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"jwks": {"keys": [new_key.public_jwk()]}})),
    )
    .await;
    assert_eq!(status, 200, "{app}");
    for (signer, expected) in [(&key, 401), (&new_key, 200)] {
        let response = token_request(
            &server,
            &assertion_form(&signer.sign(&claims(&server, &client_id))),
            None,
        )
        .await;
        assert_eq!(response.status(), expected, "{}", signer.kid);
    }
    // Removing it: back to secrets only.
    let (status, app) = management_call(
        &server,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"jwks": null})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(app.get("jwks").is_none(), "{app}");
    assert_eq!(app["token_endpoint_auth_method"], "client_secret_basic");
    let response = token_request(
        &server,
        &assertion_form(&new_key.sign(&claims(&server, &client_id))),
        None,
    )
    .await;
    assert_eq!(refusal(response).await, (401, "invalid_client".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_advertises_private_key_jwt() {
    let server = TestServer::start().await;
    let metadata: Value = server
        .client
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for field in [
        "token_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
    ] {
        let methods = metadata[field].as_array().unwrap();
        assert!(methods.contains(&json!("private_key_jwt")), "{field}");
        assert!(methods.contains(&json!("client_secret_basic")), "{field}");
    }
    assert_eq!(
        metadata["token_endpoint_auth_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
}
