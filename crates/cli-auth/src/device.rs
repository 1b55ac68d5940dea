//! The device authorization grant (RFC 8628) from the device's side: ask for a code, show
//! it, poll the token endpoint no faster than the server allows.
//!
//! ```text
//!  POST device_authorization_endpoint -> device_code, user_code, verification_uri, interval
//!  every `interval` s: POST token (grant_type=device_code)
//!     authorization_pending -> wait | slow_down -> interval += 5 s (§3.5)
//!     access_denied -> Denied | expired_token or past expires_in -> DeviceCodeExpired
//!     tokens -> done
//! ```

use crate::oauth::{Client, ClientAuth, Provider, TokenSet, oauth_error, parse_token_response};
use crate::{Error, Secret};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// The grant type of the token request (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The longest device code lifetime believed (seconds).
const MAX_EXPIRES_IN: u64 = 86_400;

/// The longest wait between polls (seconds).
const MAX_INTERVAL: u64 = 300;

/// A device authorization in progress (RFC 8628 §3.2).
#[derive(Debug, Clone)]
pub struct DeviceCode {
    /// The code the person enters.
    pub user_code: String,
    /// Where the person enters it.
    pub verification_uri: String,
    /// The same page with the code filled in, if the server offers it.
    pub verification_uri_complete: Option<String>,
    /// Seconds the codes are valid.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
    device_code: Secret,
}

#[derive(Deserialize)]
struct DeviceResponse {
    device_code: String,
    user_code: String,
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    expires_in: u64,
    #[serde(default)]
    interval: Option<u64>,
}

impl Client {
    /// Starts a device authorization for `scope` and `resources` (RFC 8707).
    pub async fn start_device_authorization(
        &self,
        provider: &Provider,
        client: &ClientAuth,
        scope: &str,
        resources: &[String],
    ) -> Result<DeviceCode, Error> {
        let Some(endpoint) = provider.metadata.device_authorization_endpoint.clone() else {
            return Err(Error::Unsupported("the device authorization grant"));
        };
        let mut form = vec![("scope", scope)];
        for resource in resources {
            form.push(("resource", resource));
        }
        let (status, body) = self.post_form(&endpoint, client, &form).await?;
        if status != 200 {
            return Err(oauth_error(status, &body));
        }
        let parsed: DeviceResponse = serde_json::from_str(&body).map_err(|_| {
            Error::Unexpected("the device authorization endpoint answered without codes".into())
        })?;
        Ok(DeviceCode {
            user_code: crate::clean(&parsed.user_code),
            verification_uri: crate::clean(&parsed.verification_uri),
            verification_uri_complete: parsed
                .verification_uri_complete
                .as_deref()
                .map(crate::clean),
            // Bounded: a day at most, polls between 1 s and 5 minutes apart.
            expires_in: parsed.expires_in.min(MAX_EXPIRES_IN),
            // §3.2: 5 seconds when the server does not say.
            interval: parsed.interval.unwrap_or(5).clamp(1, MAX_INTERVAL),
            device_code: Secret::new(parsed.device_code),
        })
    }

    /// Polls until the person approves or denies, or the code expires.
    pub async fn poll_device_authorization(
        &self,
        provider: &Provider,
        client: &ClientAuth,
        device: &DeviceCode,
    ) -> Result<TokenSet, Error> {
        let started = Instant::now();
        let lifetime = Duration::from_secs(device.expires_in.min(MAX_EXPIRES_IN));
        let mut interval = device.interval.clamp(1, MAX_INTERVAL);
        // Extra wait after network or server errors (§3.5: back off), doubled each time.
        let mut backoff = 0u64;
        loop {
            tokio::time::sleep(Duration::from_secs(interval.saturating_add(backoff))).await;
            if started.elapsed() >= lifetime {
                return Err(Error::DeviceCodeExpired);
            }
            let form = [
                ("grant_type", DEVICE_CODE_GRANT),
                ("device_code", device.device_code.expose()),
            ];
            let (status, body) = match self
                .post_form(&provider.metadata.token_endpoint, client, &form)
                .await
            {
                Ok(answer) if answer.0 < 500 => answer,
                // Unreachable or failing server: try again later, more slowly.
                Ok(_) | Err(Error::Http(_)) => {
                    backoff = backoff.saturating_mul(2).clamp(interval, MAX_INTERVAL);
                    continue;
                }
                Err(other) => return Err(other),
            };
            backoff = 0;
            match parse_token_response(status, &body) {
                Ok(tokens) => return Ok(tokens),
                Err(Error::OAuth {
                    error,
                    description,
                    status,
                }) => match error.as_str() {
                    "authorization_pending" => {}
                    // RFC 8628 §3.5: slow down by 5 seconds, for this and later requests.
                    "slow_down" => interval = interval.saturating_add(5).min(MAX_INTERVAL),
                    "access_denied" => return Err(Error::Denied),
                    "expired_token" => return Err(Error::DeviceCodeExpired),
                    _ => {
                        return Err(Error::OAuth {
                            status,
                            error,
                            description,
                        });
                    }
                },
                Err(other) => return Err(other),
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::oauth::Metadata;
    use bytes::Bytes;
    use http_body_util::Full;
    use hyper::Response;
    use hyper_util::rt::TokioIo;
    use std::sync::{Arc, Mutex};
    use url::Url;

    /// A token endpoint answering `answers` in turn, recording when each poll came.
    async fn token_endpoint(answers: Vec<(u16, &'static str)>) -> (Url, Arc<Mutex<Vec<Instant>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/token", listener.local_addr().unwrap())).unwrap();
        let polls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&polls);
        let answers = Arc::new(Mutex::new(answers.into_iter()));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (seen, answers) = (Arc::clone(&seen), Arc::clone(&answers));
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |_request| {
                        seen.lock().unwrap().push(Instant::now());
                        let (status, body) = answers.lock().unwrap().next().unwrap();
                        let mut response = Response::new(Full::new(Bytes::from(body)));
                        *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        async move { Ok::<_, std::convert::Infallible>(response) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (url, polls)
    }

    fn provider(token_endpoint: Url) -> Provider {
        Provider {
            metadata: Metadata {
                issuer: "http://127.0.0.1".to_owned(),
                authorization_endpoint: None,
                token_endpoint,
                device_authorization_endpoint: None,
                revocation_endpoint: None,
                userinfo_endpoint: None,
                authorization_response_iss_parameter_supported: false,
                code_challenge_methods_supported: vec![],
            },
        }
    }

    fn code(interval: u64, expires_in: u64) -> DeviceCode {
        DeviceCode {
            user_code: "BCDF-GHJK".to_owned(),
            verification_uri: "http://127.0.0.1/device".to_owned(),
            verification_uri_complete: None,
            expires_in,
            interval,
            device_code: Secret::new("dc"),
        }
    }

    const PENDING: (u16, &str) = (400, r#"{"error":"authorization_pending"}"#);
    const SLOW_DOWN: (u16, &str) = (400, r#"{"error":"slow_down"}"#);

    #[tokio::test]
    async fn polls_at_the_interval_and_slows_down_by_five_seconds() {
        let (url, polls) = token_endpoint(vec![
            PENDING,
            SLOW_DOWN,
            (
                200,
                r#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#,
            ),
        ])
        .await;
        let client = Client::new(false).unwrap();
        let auth = ClientAuth::None {
            client_id: "cli".to_owned(),
        };
        let started = Instant::now();
        let tokens = client
            .poll_device_authorization(&provider(url), &auth, &code(1, 60))
            .await
            .unwrap();
        assert_eq!(tokens.access_token.expose(), "at");
        let polls = polls.lock().unwrap().clone();
        assert_eq!(polls.len(), 3);
        // The first poll waits one interval; after slow_down the interval is 1 + 5 s.
        assert!(polls[0] - started >= Duration::from_millis(950));
        assert!(polls[1] - polls[0] >= Duration::from_millis(950));
        assert!(
            polls[2] - polls[1] >= Duration::from_millis(5950),
            "{:?}",
            polls[2] - polls[1]
        );
    }

    #[tokio::test]
    async fn denial_and_expiry_end_the_polling() {
        let client = Client::new(false).unwrap();
        let auth = ClientAuth::None {
            client_id: "cli".to_owned(),
        };
        let (url, _) = token_endpoint(vec![(400, r#"{"error":"access_denied"}"#)]).await;
        let denied = client
            .poll_device_authorization(&provider(url), &auth, &code(1, 60))
            .await;
        assert!(matches!(denied, Err(Error::Denied)));
        let (url, _) = token_endpoint(vec![(400, r#"{"error":"expired_token"}"#)]).await;
        let expired = client
            .poll_device_authorization(&provider(url), &auth, &code(1, 60))
            .await;
        assert!(matches!(expired, Err(Error::DeviceCodeExpired)));
        // Past expires_in, the client stops by itself.
        let (url, polls) = token_endpoint(vec![PENDING, PENDING, PENDING]).await;
        let late = client
            .poll_device_authorization(&provider(url), &auth, &code(1, 2))
            .await;
        assert!(matches!(late, Err(Error::DeviceCodeExpired)));
        assert!(polls.lock().unwrap().len() <= 2);
    }
}
