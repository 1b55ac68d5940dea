//! `serve` end to end: client credentials for the Management API, the token's shape,
//! introspection and revocation; and nothing secret in a trace-level log (K-01).

use crate::common::{
    Backend, ClientCredentials, Endpoints, ServeOptions, Server, get_json, http, jwks_kids,
    jwt_parts, start,
};
use reqwest::StatusCode;
use serde_json::Value;

/// Everything secret a full client-credentials run produced, to look for in logs.
struct Secrets {
    tokens: Vec<String>,
}

/// Discovery -> token -> API -> introspect -> revoke -> introspect -> API, asserting each step.
async fn client_credentials_run(server: &Server, client: &ClientCredentials) -> Secrets {
    let http = http();
    let issuer = server.base.clone();
    let discovery = get_json(&http, &server.url("/.well-known/openid-configuration")).await;
    assert_eq!(
        discovery["issuer"],
        issuer.as_str(),
        "the issuer defaults to http://LISTEN: {discovery}"
    );
    let oauth_metadata = get_json(
        &http,
        &server.url("/.well-known/oauth-authorization-server"),
    )
    .await;
    assert_eq!(oauth_metadata["issuer"], discovery["issuer"]);
    assert_eq!(
        oauth_metadata["token_endpoint"],
        discovery["token_endpoint"]
    );
    let endpoint = |name: &str| {
        discovery[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {discovery}"))
            .to_owned()
    };
    let token_endpoint = endpoint("token_endpoint");
    let introspection_endpoint = endpoint("introspection_endpoint");
    let revocation_endpoint = endpoint("revocation_endpoint");
    let jwks_uri = endpoint("jwks_uri");
    let management = format!("{issuer}/api");

    let response = http
        .post(&token_endpoint)
        .header("Authorization", client.basic())
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", management.as_str()),
            ("scope", "all"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cache_control = response
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(cache_control.as_deref(), Some("no-store"), "RFC 6749 §5.1");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        "{body}"
    );
    assert!(body["expires_in"].as_u64().is_some_and(|e| e > 0), "{body}");
    let token = body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();

    // RFC 9068: a JWT with typ at+jwt, signed ES256 by a published key.
    let (header, claims) = jwt_parts(&token);
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert_eq!(header["alg"], "ES256", "{header}");
    let kid = header["kid"].as_str().expect("kid").to_owned();
    let jwks = get_json(&http, &jwks_uri).await;
    assert!(jwks_kids(&jwks).contains(&kid), "kid {kid} not in {jwks}");
    assert_eq!(claims["iss"], issuer.as_str(), "{claims}");
    assert_eq!(claims["aud"], management.as_str(), "{claims}");
    assert_eq!(claims["client_id"], client.id.as_str(), "{claims}");
    assert_eq!(
        claims["sub"],
        client.id.as_str(),
        "client credentials: the subject is the client: {claims}"
    );
    assert_eq!(claims["scope"], "all", "{claims}");
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert!(exp > iat, "{claims}");

    let endpoints = Endpoints::new(server, &issuer);
    assert_eq!(
        endpoints.list_applications_status(&http, &token).await,
        StatusCode::OK
    );

    let introspect = |token: String| {
        let http = http.clone();
        let url = introspection_endpoint.clone();
        let basic = client.basic();
        async move {
            let response = http
                .post(url)
                .header("Authorization", basic)
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    let answer = introspect(token.clone()).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["client_id"], client.id.as_str(), "{answer}");
    assert_eq!(answer["jti"], claims["jti"], "{answer}");

    let response = http
        .post(&revocation_endpoint)
        .header("Authorization", client.basic())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );

    let answer = introspect(token.clone()).await;
    assert_eq!(
        answer,
        serde_json::json!({"active": false}),
        "a revoked token is inactive, and says nothing more"
    );
    let response = http
        .get(server.url("/api/applications"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers().get("www-authenticate").is_some(),
        "401s carry WWW-Authenticate"
    );

    // A second, unrevoked token, used once, so the log sees a live token too.
    let second = endpoints.token(&http, client).await;
    assert_eq!(
        endpoints.list_applications_status(&http, &second).await,
        StatusCode::OK
    );
    Secrets {
        tokens: vec![token, second],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_client_credentials_end_to_end() {
    let backend = Backend::new().await;
    let client = backend.create_management_client();
    let server = start(&backend, &ServeOptions::default()).await;
    client_credentials_run(&server, &client).await;

    // The global endpoints answer for every tenant.
    let http = http();
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let metrics = http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_trace_logs() {
    let backend = Backend::new().await;
    let client = backend.create_management_client();
    let options = ServeOptions {
        env: vec![("GATEHOUSE_LOG".into(), "trace".into())],
        ..ServeOptions::default()
    };
    let mut server = start(&backend, &options).await;
    let secrets = client_credentials_run(&server, &client).await;

    // A wrong secret, in the header and in the body.
    let http = http();
    let wrong = ClientCredentials {
        id: client.id.clone(),
        secret: format!("{}WRONG", client.secret),
    };
    let endpoints = Endpoints::new(&server, &server.base);
    let response = endpoints.token_response(&http, &wrong).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = http
        .post(server.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.id.as_str()),
            ("client_secret", wrong.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // A revocation with the secret in the body (client_secret_post).
    let token = endpoints.token(&http, &client).await;
    let response = http
        .post(server.url("/oauth2/revoke"))
        .form(&[
            ("token", token.as_str()),
            ("client_id", client.id.as_str()),
            ("client_secret", client.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    server.stop();

    let log = server.log();
    assert!(
        log.len() > 1000,
        "a trace-level log cannot be this short:\n{log}"
    );
    assert!(
        log.contains("gatehouse is ready"),
        "the log should hold the server's own lines:\n{log}"
    );
    let mut forbidden = vec![
        ("client secret", client.secret.clone()),
        ("wrong client secret", wrong.secret.clone()),
        ("Basic credentials", client.basic_credentials()),
        ("wrong Basic credentials", wrong.basic_credentials()),
    ];
    for token in secrets.tokens.iter().chain([&token]) {
        forbidden.push(("access token", token.clone()));
        let signature = token.rsplit('.').next().unwrap().to_owned();
        forbidden.push(("access token signature", signature));
        forbidden.push(("Bearer header", format!("Bearer {}", &token[..20])));
    }
    for (what, value) in forbidden {
        if let Some(at) = log.find(&value) {
            let line_start = log[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = log[at..].find('\n').map_or(log.len(), |i| at + i);
            panic!(
                "the log contains the {what} (K-01):\n{}",
                &log[line_start..line_end]
            );
        }
    }
    // Any bearer JWT at all, even one we did not make (a `Bearer realm=...` challenge is fine).
    for (at, _) in log.match_indices("Bearer ") {
        let word: String = log[at + 7..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"' && *c != ',')
            .collect();
        assert!(
            !word.starts_with("eyJ"),
            "the log contains a bearer credential: Bearer {word}"
        );
    }
}
