//! The device authorization grant (RFC 8628) for applications that enable it: the device
//! authorization endpoint (§3.1, §3.2) and the steps of the verification page (§3.3). Polling
//! is a grant of the token endpoint (`token::device_code`).
//!
//! ```text
//!  device --POST device_authorization--> device_code, user_code, verification_uri, interval
//!  person --GET /device--> sign in (if needed) --> type or confirm the code (throttled, D-04)
//!         --> the page names the app, the scopes, when and from which IP the request came
//!         --> Allow | Deny (an explicit POST; verification_uri_complete never approves, D-05)
//!  device --POST token (device_code)--> authorization_pending | slow_down | access_denied
//!                                       | expired_token | tokens (once) | invalid_grant
//! ```

mod verification;

pub use verification::{DEVICE_CSRF_PURPOSE, DeviceFailure, DeviceRequestView};

use crate::authorize::{check_requested_scopes, distinct, find_requested_resources};
use crate::params::{Params, split_scope};
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::device::{USER_CODE_ALPHABET, USER_CODE_LEN, display_user_code};
use gatehouse_core::{ApiResource, Application, DeviceAuthorization, DeviceStatus};
use gatehouse_crypto::{random_code, random_token, sha256};
use gatehouse_store::StoreError;
use gatehouse_types::oauth::DeviceAuthorizationResponse;

/// The grant type of polls at the token endpoint (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Lifetime of a device authorization (seconds; RFC 8628 suggests minutes, the issue 10).
pub const DEVICE_CODE_TTL: i64 = 600;

/// Minimum seconds between polls at first (RFC 8628 §3.2: 5 when absent).
pub const DEVICE_POLL_INTERVAL: i64 = 5;

/// How much the interval grows at every `slow_down` (RFC 8628 §3.5).
pub const SLOW_DOWN_SECONDS: i64 = 5;

/// Path of the verification page below the issuer.
pub const VERIFICATION_PATH: &str = "/device";

/// The verification URI of a tenant.
pub fn verification_uri(tenant: &TenantContext) -> String {
    format!("{}{VERIFICATION_PATH}", tenant.issuer)
}

/// RFC 8628 §3.1: only applications registered for the device flow.
pub(crate) fn check_device_client(client: &Application) -> Result<(), OAuthError> {
    if !client.device_flow {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the client may not use the device authorization grant",
        ));
    }
    Ok(())
}

impl Engine {
    /// Handles a device authorization request of an authenticated client (§3.1): checks the
    /// scopes and resources as the authorization endpoint would, stores a pending request and
    /// answers with the codes.
    pub async fn handle_device_authorization(
        &self,
        tenant: &TenantContext,
        client: &Application,
        params: &Params,
        ip: Option<&str>,
    ) -> Result<DeviceAuthorizationResponse, OAuthError> {
        check_device_client(client)?;
        let scopes = split_scope(params.get("scope"));
        let openid = scopes.iter().any(|s| s == "openid");
        // RFC 8707 §2: `resource` may be repeated; repeats count once, in first-seen order.
        let indicators = distinct(params.get_all("resource"));
        let resources = find_requested_resources(self, tenant, &indicators, client, openid).await?;
        let definitions: Vec<&ApiResource> = resources.iter().map(|r| &r.resource).collect();
        check_requested_scopes(&scopes, client, &definitions)?;
        let now = self.now();
        // A user code collision (34 bits) is rare; draw again a few times rather than fail.
        for _ in 0..3 {
            let device_code = random_token(32);
            let user_code = random_code(USER_CODE_ALPHABET, USER_CODE_LEN);
            let authorization = DeviceAuthorization {
                device_code_hash: sha256(device_code.as_bytes()).to_vec(),
                user_code: user_code.clone(),
                client_id: client.id.clone(),
                scopes: scopes.clone(),
                resources: indicators.clone(),
                ip: ip.map(str::to_owned),
                created_at: now,
                expires_at: now.saturating_add(DEVICE_CODE_TTL),
                interval: DEVICE_POLL_INTERVAL,
                last_polled_at: None,
                status: DeviceStatus::Pending,
            };
            match self
                .store
                .insert_device_authorization(tenant.id(), &authorization)
                .await
            {
                Ok(()) => {
                    let shown = display_user_code(&user_code);
                    let uri = verification_uri(tenant);
                    let complete = format!("{uri}?user_code={shown}");
                    return Ok(DeviceAuthorizationResponse {
                        device_code,
                        user_code: shown,
                        verification_uri: uri,
                        verification_uri_complete: complete,
                        expires_in: DEVICE_CODE_TTL.unsigned_abs(),
                        interval: DEVICE_POLL_INTERVAL.unsigned_abs(),
                    });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(OAuthError::new(ErrorCode::ServerError, "internal error")
            .with_detail("could not draw a free user code".to_owned()))
    }
}
