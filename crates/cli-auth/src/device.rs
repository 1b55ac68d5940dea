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
            user_code: parsed.user_code,
            verification_uri: parsed.verification_uri,
            verification_uri_complete: parsed.verification_uri_complete,
            expires_in: parsed.expires_in,
            // §3.2: 5 seconds when the server does not say.
            interval: parsed.interval.unwrap_or(5).max(1),
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
        let deadline = Instant::now() + Duration::from_secs(device.expires_in);
        let mut interval = device.interval;
        loop {
            tokio::time::sleep(Duration::from_secs(interval)).await;
            if Instant::now() >= deadline {
                return Err(Error::DeviceCodeExpired);
            }
            let form = [
                ("grant_type", DEVICE_CODE_GRANT),
                ("device_code", device.device_code.expose()),
            ];
            let (status, body) = self
                .post_form(&provider.metadata.token_endpoint, client, &form)
                .await?;
            match parse_token_response(status, &body) {
                Ok(tokens) => return Ok(tokens),
                Err(Error::OAuth {
                    error,
                    description,
                    status,
                }) => match error.as_str() {
                    "authorization_pending" => {}
                    // RFC 8628 §3.5: slow down by 5 seconds, for this and later requests.
                    "slow_down" => interval += 5,
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
