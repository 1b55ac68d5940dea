//! Token, introspection, revocation, discovery, JWKS, keys, tenants and replicas over HTTP.

use crate::common::{TestServer, decode_jwt};
use gatehouse_core::{MANAGEMENT_RESOURCE_ID, MANAGEMENT_SCOPE, ROOT_TENANT};
use gatehouse_crypto::Verifier;
use gatehouse_types::management::{CreateApiResource, ResourceGrant, ResourceScope};
use gatehouse_types::oauth::Jwks;
use serde_json::Value;

async fn error_of(response: reqwest::Response) -> (u16, String, reqwest::header::HeaderMap) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap().to_owned(), headers)
}

async fn jwks(server: &TestServer, tenant: &str) -> Jwks {
    server
        .client
        .get(server.tenant_url(tenant, "/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// An API resource with two scopes, and an m2m app granted only `read`.
async fn orders_setup(server: &TestServer) -> ((String, String), String) {
    let root = server.root().await;
    let resource = server
        .engine
        .create_resource(
            &root,
            CreateApiResource {
                name: "Orders".to_owned(),
                indicator: "https://api.example/orders".to_owned(),
                access_token_ttl: Some(600),
                scopes: vec![
                    ResourceScope {
                        name: "read".to_owned(),
                        description: String::new(),
                    },
                    ResourceScope {
                        name: "write".to_owned(),
                        description: String::new(),
                    },
                ],
            },
        )
        .await
        .unwrap();
    let grant = ResourceGrant {
        resource_id: resource.id.clone(),
        scopes: vec!["read".to_owned()],
    };
    (server.m2m_app(&root, vec![grant]).await, resource.indicator)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_issues_rfc9068_tokens_that_verify_against_the_jwks() {
    let server = TestServer::start().await;
    let ((id, secret), indicator) = orders_setup(&server).await;
    let response = server
        .post_form(
            &server.url("/oauth2/token"),
            Some((&id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("resource", &indicator),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "read");
    let token = body["access_token"].as_str().unwrap();
    let (header, claims) = decode_jwt(token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(claims["iss"], server.issuer);
    assert_eq!(claims["sub"], id);
    assert_eq!(claims["client_id"], id);
    assert_eq!(claims["aud"], indicator);
    assert_eq!(claims["scope"], "read");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert!(claims["jti"].as_str().unwrap().len() >= 20);

    let keys = jwks(&server, ROOT_TENANT).await;
    assert!(
        keys.keys
            .iter()
            .any(|k| Some(&k.kid) == header["kid"].as_str().map(str::to_owned).as_ref())
    );
    let verified = Verifier::from_jwks(&keys.keys)
        .unwrap()
        .verify(token, Some("at+jwt"))
        .unwrap();
    assert_eq!(verified.claims["jti"], claims["jti"]);

    // Asking for the granted scope explicitly works; a scope not granted is refused.
    let explicit = server
        .post_form(
            &server.url("/oauth2/token"),
            Some((&id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("resource", &indicator),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(explicit.status(), 200);
    let wider = server
        .post_form(
            &server.url("/oauth2/token"),
            Some((&id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("resource", &indicator),
                ("scope", "read write"),
            ],
        )
        .await;
    assert_eq!(error_of(wider).await.1, "invalid_scope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_errors_follow_rfc6749() {
    let server = TestServer::start().await;
    let ((id, secret), indicator) = orders_setup(&server).await;
    let token_url = server.url("/oauth2/token");
    let cc = |resource: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("resource", resource.to_owned()),
        ]
    };
    let send = |client: Option<(&str, &str)>, form: Vec<(&str, String)>| {
        let form: Vec<(&str, &str)> = form
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>();
        let form = form
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect::<Vec<_>>();
        let mut request = server.client.post(&token_url).form(&form);
        if let Some((id, secret)) = client {
            request = request.basic_auth(id, Some(secret));
        }
        request.send()
    };

    // Wrong secret: 401 invalid_client with a Basic challenge.
    let (status, error, headers) =
        error_of(send(Some((&id, "wrong")), cc(&indicator)).await.unwrap()).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    // Unknown client: the same answer.
    let (status, error, _) =
        error_of(send(Some(("nobody", "x")), cc(&indicator)).await.unwrap()).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    // No credentials at all.
    let (status, error, _) = error_of(send(None, cc(&indicator)).await.unwrap()).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    // Unsupported grant types, including the ones OAuth 2.1 removed.
    for grant in ["password", "implicit", "urn:unknown"] {
        let (status, error, _) = error_of(
            send(Some((&id, &secret)), vec![("grant_type", grant.to_owned())])
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, error.as_str()),
            (400, "unsupported_grant_type"),
            "{grant}"
        );
    }
    // Unknown, malformed and ungranted resources.
    for resource in [
        "https://api.example/unknown",
        "not a uri",
        "https://api.example/orders#frag",
    ] {
        let (status, error, _) =
            error_of(send(Some((&id, &secret)), cc(resource)).await.unwrap()).await;
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_target"),
            "{resource}"
        );
    }
    let management = server.root().await.management_indicator();
    let (_, error, _) = error_of(send(Some((&id, &secret)), cc(&management)).await.unwrap()).await;
    assert_eq!(error, "invalid_target");
    // Missing resource.
    let (_, error, _) = error_of(
        send(
            Some((&id, &secret)),
            vec![("grant_type", "client_credentials".to_owned())],
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(error, "invalid_request");
    // Duplicated parameters (RFC 6749 §3.2).
    let mut duplicated = cc(&indicator);
    duplicated.push(("resource", indicator.clone()));
    let (_, error, _) = error_of(send(Some((&id, &secret)), duplicated).await.unwrap()).await;
    assert_eq!(error, "invalid_request");
    // Two authentication methods at once.
    let mut both = cc(&indicator);
    both.push(("client_secret", secret.clone()));
    let (_, error, _) = error_of(send(Some((&id, &secret)), both).await.unwrap()).await;
    assert_eq!(error, "invalid_request");
    // client_secret_post works.
    let mut post = cc(&indicator);
    post.push(("client_id", id.clone()));
    post.push(("client_secret", secret.clone()));
    assert_eq!(send(None, post).await.unwrap().status(), 200);
    // A public client may not use client credentials.
    let (_, error, _) = error_of(
        send(
            None,
            vec![
                ("grant_type", "client_credentials".to_owned()),
                ("resource", indicator.clone()),
                ("client_id", "gatehouse-cli".to_owned()),
            ],
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(error, "unauthorized_client");
    // Wrong content types.
    for content_type in [
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded; charset=latin1",
    ] {
        let response = server
            .client
            .post(&token_url)
            .basic_auth(&id, Some(&secret))
            .header("content-type", content_type)
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        let (status, error, _) = error_of(response).await;
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_request"),
            "{content_type}"
        );
    }
    // Oversized body.
    let huge = format!("grant_type=client_credentials&pad={}", "a".repeat(200_000));
    let response = server
        .client
        .post(&token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_form_bodies_never_break_the_token_endpoint() {
    use rand::{Rng, SeedableRng};
    let server = TestServer::start().await;
    let ((id, secret), indicator) = orders_setup(&server).await;
    let names = [
        "grant_type",
        "resource",
        "scope",
        "client_id",
        "client_secret",
        "code",
        "x",
        "",
        "%",
        "&",
        "=",
    ];
    let values = [
        "client_credentials",
        indicator.as_str(),
        "read",
        id.as_str(),
        secret.as_str(),
        "%ff",
        "%00",
        "\u{202e}",
        "a+b",
        "=",
        "",
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for round in 0..300 {
        let mut body = String::new();
        for _ in 0..rng.gen_range(0..8) {
            let name = names[rng.gen_range(0..names.len())];
            let value = if rng.gen_bool(0.2) {
                (0..rng.gen_range(0..20))
                    .map(|_| char::from(rng.gen_range(0x20u8..0x7f)))
                    .collect()
            } else {
                values[rng.gen_range(0..values.len())].to_owned()
            };
            body.push_str(&format!("{name}={value}&"));
        }
        let mut request = server
            .client
            .post(server.url("/oauth2/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone());
        if rng.gen_bool(0.5) {
            request = request.basic_auth(&id, Some(&secret));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert!(
            status == 200 || (400..500).contains(&status),
            "round {round}: {status} for {body}"
        );
        let json: Value = response.json().await.unwrap();
        assert!(
            json.get("access_token").is_some() || json.get("error").is_some(),
            "{body}"
        );
    }
    // The server is still healthy.
    assert_eq!(
        server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_and_revocation() {
    let server = TestServer::start().await;
    let ((id, secret), indicator) = orders_setup(&server).await;
    let root = server.root().await;
    let (other_id, other_secret) = server.m2m_app(&root, vec![]).await;
    let token = server
        .token_for(ROOT_TENANT, (&id, &secret), &indicator)
        .await;

    let active = server
        .introspect(ROOT_TENANT, (&other_id, &other_secret), &token)
        .await;
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], id);
    assert_eq!(active["aud"], indicator);
    assert_eq!(active["scope"], "read");
    assert_eq!(active["iss"], server.issuer);

    // Garbage and tampered tokens are only inactive.
    let mut tampered = token.clone();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    for bad in ["garbage", tampered.as_str()] {
        let answer = server
            .introspect(ROOT_TENANT, (&other_id, &other_secret), bad)
            .await;
        assert_eq!(answer, serde_json::json!({"active": false}));
    }
    // Introspection needs client authentication.
    let response = server
        .post_form(
            &server.url("/oauth2/introspect"),
            None,
            &[("token", &token)],
        )
        .await;
    assert_eq!(error_of(response).await.1, "invalid_client");
    let response = server
        .post_form(
            &server.url("/oauth2/introspect"),
            Some((&id, "wrong")),
            &[("token", &token)],
        )
        .await;
    assert_eq!(response.status(), 401);

    // Another client cannot revoke the token; it stays active.
    let response = server
        .post_form(
            &server.url("/oauth2/revoke"),
            Some((&other_id, &other_secret)),
            &[("token", &token)],
        )
        .await;
    assert_eq!(error_of(response).await.1, "unauthorized_client");
    assert_eq!(
        server
            .introspect(ROOT_TENANT, (&other_id, &other_secret), &token)
            .await["active"],
        true
    );
    // Unknown tokens revoke fine (RFC 7009 §2.2).
    let response = server
        .post_form(
            &server.url("/oauth2/revoke"),
            Some((&id, &secret)),
            &[("token", "unknown")],
        )
        .await;
    assert_eq!(response.status(), 200);
    // The owner revokes it: inactive from then on, twice is fine.
    for _ in 0..2 {
        let response = server
            .post_form(
                &server.url("/oauth2/revoke"),
                Some((&id, &secret)),
                &[("token", &token)],
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        server
            .introspect(ROOT_TENANT, (&other_id, &other_secret), &token)
            .await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_management_tokens_stop_working() {
    let server = TestServer::start().await;
    let root = server.root().await;
    let (id, secret) = server.management_app(&root).await;
    let token = server
        .token_for(ROOT_TENANT, (&id, &secret), &root.management_indicator())
        .await;
    let list = || {
        server
            .client
            .get(server.url("/api/applications"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(list().await.unwrap().status(), 200);
    let response = server
        .post_form(
            &server.url("/oauth2/revoke"),
            Some((&id, &secret)),
            &[("token", &token)],
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = list().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_documents_are_identical_and_exact() {
    let server = TestServer::start().await;
    server.tenant("acme").await;
    for (tenant, issuer) in [
        (ROOT_TENANT, server.issuer.clone()),
        ("acme", format!("{}/t/acme", server.issuer)),
    ] {
        let openid: Value = server
            .client
            .get(server.tenant_url(tenant, "/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let oauth: Value = server
            .client
            .get(server.tenant_url(tenant, "/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(openid, oauth);
        assert_eq!(openid["issuer"], issuer);
        assert_eq!(openid["token_endpoint"], format!("{issuer}/oauth2/token"));
        assert_eq!(
            openid["jwks_uri"],
            format!("{issuer}/.well-known/jwks.json")
        );
        assert_eq!(
            openid["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            openid["authorization_response_iss_parameter_supported"],
            true
        );
        for removed in ["password", "implicit"] {
            assert!(
                !openid["grant_types_supported"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|g| g == removed)
            );
        }
        let response = server
            .client
            .get(server.tenant_url(tenant, "/.well-known/jwks.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["cache-control"], "public, max-age=60");
        let text = response.text().await.unwrap();
        for private in ["\"d\"", "\"p\"", "\"q\""] {
            assert!(!text.contains(private), "JWKS must hold public keys only");
        }
    }
    // Unknown tenants are 404, and the root tenant is not reachable under /t/.
    for path in [
        "/t/nope/.well-known/openid-configuration",
        "/t/default/.well-known/openid-configuration",
    ] {
        assert_eq!(
            server
                .client
                .get(server.url(path))
                .send()
                .await
                .unwrap()
                .status(),
            404,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated() {
    let server = TestServer::start().await;
    let a = server.tenant("tenant-a").await;
    let b = server.tenant("tenant-b").await;
    let (a_id, a_secret) = server.management_app(&a).await;
    let (b_id, b_secret) = server.management_app(&b).await;
    let a_token = server
        .token_for("tenant-a", (&a_id, &a_secret), &a.management_indicator())
        .await;
    assert_eq!(decode_jwt(&a_token).1["iss"], a.issuer);
    // A's token is inactive at B's introspection and refused by B's Management API.
    assert_eq!(
        server
            .introspect("tenant-b", (&b_id, &b_secret), &a_token)
            .await,
        serde_json::json!({"active": false})
    );
    let response = server
        .client
        .get(server.tenant_url("tenant-b", "/api/applications"))
        .bearer_auth(&a_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // A's client does not exist at B; A's token is not for B's API even with B's audience.
    let response = server
        .post_form(
            &server.tenant_url("tenant-b", "/oauth2/token"),
            Some((&a_id, &a_secret)),
            &[
                ("grant_type", "client_credentials"),
                ("resource", &b.management_indicator()),
            ],
        )
        .await;
    assert_eq!(response.status(), 401);
    // B's API lists none of A's applications.
    let b_token = server
        .token_for("tenant-b", (&b_id, &b_secret), &b.management_indicator())
        .await;
    let listed: Value = server
        .client
        .get(server.tenant_url("tenant-b", "/api/applications"))
        .bearer_auth(&b_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|app| app["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&b_id.as_str()));
    assert!(!ids.contains(&a_id.as_str()));
    // Each tenant has its own keys.
    let a_kids: Vec<String> = jwks(&server, "tenant-a")
        .await
        .keys
        .into_iter()
        .map(|k| k.kid)
        .collect();
    let b_kids: Vec<String> = jwks(&server, "tenant-b")
        .await
        .keys
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert!(a_kids.iter().all(|kid| !b_kids.contains(kid)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_publishes_before_signing_and_keeps_old_tokens_valid() {
    let server = TestServer::start().await;
    let root = server.root().await;
    let (id, secret) = server.management_app(&root).await;
    let indicator = root.management_indicator();
    let old_token = server
        .token_for(ROOT_TENANT, (&id, &secret), &indicator)
        .await;
    let old_kid = decode_jwt(&old_token).0["kid"].as_str().unwrap().to_owned();

    // A key rotated in with a delay is published at once but does not sign yet.
    let delayed = server
        .engine
        .rotate_keys(&root, gatehouse_core::SigningAlgorithm::Es256, 3600)
        .await
        .unwrap();
    let kids: Vec<String> = jwks(&server, ROOT_TENANT)
        .await
        .keys
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert!(kids.contains(&delayed.kid) && kids.contains(&old_kid));
    let still_old = server
        .token_for(ROOT_TENANT, (&id, &secret), &indicator)
        .await;
    assert_eq!(decode_jwt(&still_old).0["kid"], old_kid.as_str());

    // An immediate RS256 rotation signs from now on; the old token still verifies.
    let rsa = server
        .engine
        .rotate_keys(&root, gatehouse_core::SigningAlgorithm::Rs256, 0)
        .await
        .unwrap();
    let new_token = server
        .token_for(ROOT_TENANT, (&id, &secret), &indicator)
        .await;
    let (header, _) = decode_jwt(&new_token);
    assert_eq!(header["kid"], rsa.kid.as_str());
    assert_eq!(header["alg"], "RS256");
    let keys = jwks(&server, ROOT_TENANT).await;
    let verifier = Verifier::from_jwks(&keys.keys).unwrap();
    verifier.verify(&new_token, Some("at+jwt")).unwrap();
    verifier.verify(&old_token, Some("at+jwt")).unwrap();
    assert_eq!(
        server
            .introspect(ROOT_TENANT, (&id, &secret), &old_token)
            .await["active"],
        true
    );
    assert_eq!(
        server
            .introspect(ROOT_TENANT, (&id, &secret), &new_token)
            .await["active"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_issuer_keys_and_revocations() {
    let a = TestServer::start().await;
    let b = a.replica().await;
    let root = a.root().await;
    let (id, secret) = a.management_app(&root).await;
    let token = a
        .token_for(ROOT_TENANT, (&id, &secret), &root.management_indicator())
        .await;
    assert_eq!(jwks(&a, ROOT_TENANT).await, jwks(&b, ROOT_TENANT).await);
    assert_eq!(
        b.introspect(ROOT_TENANT, (&id, &secret), &token).await["active"],
        true
    );
    let response = b
        .client
        .get(b.url("/api/applications"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Revoked on B, dead on A at once.
    let response = b
        .post_form(
            &b.url("/oauth2/revoke"),
            Some((&id, &secret)),
            &[("token", &token)],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        a.introspect(ROOT_TENANT, (&id, &secret), &token).await["active"],
        false
    );
    // A key rotated through A is published by B once its cache (1 s in tests) expires.
    let key = a
        .engine
        .rotate_keys(&root, gatehouse_core::SigningAlgorithm::Es256, 0)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let b_token = b
        .token_for(ROOT_TENANT, (&id, &secret), &root.management_indicator())
        .await;
    assert_eq!(decode_jwt(&b_token).0["kid"], key.kid.as_str());
    assert!(
        jwks(&b, ROOT_TENANT)
            .await
            .keys
            .iter()
            .any(|k| k.kid == key.kid)
    );
}

/// Client secrets are cached per replica (see the engine's `client_cache`): a change through
/// one replica's Management API applies there at once and on the others at their next poll
/// of the database (every 100 ms).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_changes_reach_every_replica() {
    let a = TestServer::start().await;
    let b = a.replica().await;
    let root = a.root().await;
    let admin = a.management_token().await;
    let (id, first) = a.management_app(&root).await;
    let status = async |server: &TestServer, secret: &str| {
        server
            .post_form(
                &server.url("/oauth2/token"),
                Some((&id, secret)),
                &[
                    ("grant_type", "client_credentials"),
                    ("resource", &root.management_indicator()),
                ],
            )
            .await
            .status()
            .as_u16()
    };
    // Both replicas have polled and cached the client.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status(&a, &first).await, 200);
    assert_eq!(status(&b, &first).await, 200);

    // A second secret made on B works on B at once, and on A within a poll or two.
    let response = b
        .client
        .post(b.url(&format!("/api/applications/{id}/secrets")))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": "second" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let second = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(status(&b, &second).await, 200);
    let waited = until_status(async || status(&a, &second).await, 200).await;
    eprintln!("[replicas] new secret accepted by the other replica after {waited:?}");

    // The first secret deleted through A is refused by A at once, then by B.
    let listed: Value = a
        .client
        .get(a.url(&format!("/api/applications/{id}/secrets")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first_id = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["name"] != "second")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = a
        .client
        .delete(a.url(&format!("/api/applications/{id}/secrets/{first_id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(status(&a, &first).await, 401);
    let waited = until_status(async || status(&b, &first).await, 401).await;
    eprintln!("[replicas] deleted secret refused by the other replica after {waited:?}");
    assert_eq!(status(&b, &second).await, 200);
}

/// Repeats `request` until it answers `expected`; panics after 2 s (the poll runs every
/// 100 ms, so that is 20 polls).
async fn until_status(request: impl AsyncFn() -> u16, expected: u16) -> std::time::Duration {
    let began = std::time::Instant::now();
    loop {
        let status = request().await;
        if status == expected {
            return began.elapsed();
        }
        assert!(
            began.elapsed() < std::time::Duration::from_secs(2),
            "still {status}, not {expected}, after {:?}",
            began.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let server = TestServer::start().await;
    assert_eq!(
        server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        server
            .client
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    server.management_token().await;
    let metrics = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("gatehouse_tokens_issued_total{grant_type=\"client_credentials\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("route=\"/oauth2/token\""), "{metrics}");
    assert!(
        metrics.contains("gatehouse_http_request_duration_seconds_bucket"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_response() {
    let server = TestServer::start().await;
    for path in [
        "/.well-known/openid-configuration",
        "/oauth2/authorize",
        "/api/applications",
        "/oauth2/end_session",
    ] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
    let _ = (MANAGEMENT_RESOURCE_ID, MANAGEMENT_SCOPE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_only_where_browser_apps_call_and_never_with_credentials() {
    let server = TestServer::start().await;
    let origin = "https://spa.example";
    let cors = |response: &reqwest::Response| {
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
        "/oauth2/userinfo",
        "/api/my-account/sessions",
    ] {
        let response = server
            .client
            .get(server.url(path))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(cors(&response).as_deref(), Some("*"), "{path}");
        assert!(
            response
                .headers()
                .get("access-control-allow-credentials")
                .is_none(),
            "{path}"
        );
    }
    // A preflight for a token request with client authentication in a header.
    let preflight = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/oauth2/token"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(cors(&preflight).as_deref(), Some("*"));
    let methods = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    let token = server
        .client
        .post(server.url("/oauth2/token"))
        .header("origin", origin)
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(cors(&token).as_deref(), Some("*"));
    // Pages, the authorization endpoint, introspection and the Management API: none.
    for path in [
        "/oauth2/authorize",
        "/oauth2/end_session",
        "/api/applications",
        "/interaction/x",
    ] {
        let response = server
            .client
            .get(server.url(path))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert!(cors(&response).is_none(), "{path}");
    }
    let introspect = server
        .client
        .post(server.url("/oauth2/introspect"))
        .header("origin", origin)
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert!(cors(&introspect).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_application_kills_its_tokens() {
    let server = TestServer::start().await;
    let root = server.root().await;
    let (admin_id, admin_secret) = server.management_app(&root).await;
    let admin_token = server
        .token_for(
            ROOT_TENANT,
            (&admin_id, &admin_secret),
            &root.management_indicator(),
        )
        .await;
    let (id, secret) = server.management_app(&root).await;
    let token = server
        .token_for(ROOT_TENANT, (&id, &secret), &root.management_indicator())
        .await;
    assert_eq!(
        server
            .introspect(ROOT_TENANT, (&admin_id, &admin_secret), &token)
            .await["active"],
        true
    );
    let response = server
        .client
        .delete(server.url(&format!("/api/applications/{id}")))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    // T-15: the deleted client's token is dead at once, for introspection and the API.
    assert_eq!(
        server
            .introspect(ROOT_TENANT, (&admin_id, &admin_secret), &token)
            .await,
        serde_json::json!({"active": false})
    );
    let response = server
        .client
        .get(server.url("/api/applications"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // Its credentials no longer obtain tokens.
    let response = server
        .post_form(
            &server.url("/oauth2/token"),
            Some((&id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("resource", &root.management_indicator()),
            ],
        )
        .await;
    assert_eq!(response.status(), 401);
}

/// Refresh token lifetimes per application round-trip through the Management API; an idle
/// lifetime longer than the absolute one (or one out of bounds) is refused with a 422 naming
/// the field, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_lifetimes_round_trip_through_the_management_api() {
    use crate::client_auth::{invalid_fields, management_call};
    use reqwest::Method;
    use serde_json::json;
    let server = TestServer::start().await;
    let admin = server.management_token().await;
    let body = json!({
        "name": "Short sessions",
        "type": "web",
        "redirect_uris": ["https://app.example/cb"],
        "refresh_token_absolute_ttl": 86_400,
        "refresh_token_idle_ttl": 3600,
    });
    let (status, created) =
        management_call(&server, &admin, Method::POST, "/applications", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["refresh_token_absolute_ttl"], 86_400);
    assert_eq!(created["refresh_token_idle_ttl"], 3600);
    assert!(created["client_secret"].is_string());
    let path = format!("/applications/{}", created["id"].as_str().unwrap());
    let (status, app) = management_call(&server, &admin, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &app["refresh_token_absolute_ttl"],
            &app["refresh_token_idle_ttl"]
        ),
        (&json!(86_400), &json!(3600))
    );
    let (status, page) = management_call(
        &server,
        &admin,
        Method::GET,
        "/applications?limit=200",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let listed = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == app["id"])
        .unwrap();
    assert_eq!(listed["refresh_token_idle_ttl"], 3600);

    // Refusals name the field and change nothing.
    let refused = [
        (
            Method::POST,
            "/applications".to_owned(),
            json!({"name": "x", "type": "web", "refresh_token_absolute_ttl": 3600,
                   "refresh_token_idle_ttl": 3601}),
            "refresh_token_idle_ttl",
        ),
        (
            Method::POST,
            "/applications".to_owned(),
            json!({"name": "x", "type": "web", "refresh_token_idle_ttl": 40 * 86_400}),
            "refresh_token_idle_ttl",
        ),
        (
            Method::POST,
            "/applications".to_owned(),
            json!({"name": "x", "type": "web", "refresh_token_absolute_ttl": 59}),
            "refresh_token_absolute_ttl",
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"refresh_token_idle_ttl": 86_401}),
            "refresh_token_idle_ttl",
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"refresh_token_absolute_ttl": 3599}),
            "refresh_token_absolute_ttl",
        ),
    ];
    for (method, at, body, field) in refused {
        let (status, problem) =
            management_call(&server, &admin, method, &at, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(invalid_fields(&problem), [field], "{body}");
    }
    let (_, unchanged) = management_call(&server, &admin, Method::GET, &path, None).await;
    assert_eq!(unchanged, app);

    // A valid change, then `null`: back to the server defaults (absent from the view).
    let (status, changed) = management_call(
        &server,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"refresh_token_absolute_ttl": 7200, "refresh_token_idle_ttl": 7200})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["refresh_token_absolute_ttl"], 7200);
    assert_eq!(changed["refresh_token_idle_ttl"], 7200);
    let (status, reset) = management_call(
        &server,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"refresh_token_absolute_ttl": null, "refresh_token_idle_ttl": null})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(reset.get("refresh_token_absolute_ttl").is_none(), "{reset}");
    assert!(reset.get("refresh_token_idle_ttl").is_none(), "{reset}");
    assert_eq!(reset["name"], "Short sessions", "other fields kept");
}
