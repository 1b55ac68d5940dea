//! The device code grant at the token endpoint (RFC 8628 §3.4, §3.5): the device polls with
//! its device code; the store decides each poll atomically (interval, status, one winner for
//! the tokens) and this module turns the outcome into the registered errors or tokens.

use super::UserAuthorization;
use crate::device::{SLOW_DOWN_SECONDS, check_device_client};
use crate::params::Params;
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::{Application, DevicePoll, DeviceStatus};
use gatehouse_crypto::sha256;
use gatehouse_types::oauth::TokenResponse;

pub use crate::device::DEVICE_CODE_GRANT_TYPE as GRANT_TYPE;

fn invalid_grant(detail: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "the device code is invalid or was already used",
    )
    .with_detail(detail.to_owned())
}

impl Engine {
    /// One poll of an authenticated client.
    pub async fn handle_device_code(
        &self,
        tenant: &TenantContext,
        client: &Application,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        check_device_client(client)?;
        let device_code = params.require("device_code")?;
        let now = self.now();
        let poll = self
            .store
            .poll_device_authorization(
                tenant.id(),
                &sha256(device_code.as_bytes()),
                &client.id,
                now,
                SLOW_DOWN_SECONDS,
            )
            .await?;
        let request = match poll {
            DevicePoll::Approved(request) => request,
            // RFC 8628 §3.5: the registered answers while there are no tokens to give.
            DevicePoll::Pending => {
                return Err(OAuthError::new(
                    ErrorCode::AuthorizationPending,
                    "the person has not answered yet",
                ));
            }
            DevicePoll::SlowDown => {
                return Err(OAuthError::new(
                    ErrorCode::SlowDown,
                    "polling too fast: wait 5 seconds more between polls",
                ));
            }
            DevicePoll::Denied => {
                return Err(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the person denied the request",
                ));
            }
            DevicePoll::Expired => {
                return Err(OAuthError::new(
                    ErrorCode::ExpiredToken,
                    "the device code expired: start again",
                ));
            }
            DevicePoll::AlreadyConsumed => return Err(invalid_grant("device code used before")),
            DevicePoll::NotFound => return Err(invalid_grant("unknown device code")),
        };
        let DeviceStatus::Approved(approval) = &request.status else {
            return Err(invalid_grant("store answered Approved without an approval"));
        };
        let user = self
            .store
            .find_user(tenant.id(), &approval.user_id)
            .await?
            .filter(|user| !user.disabled)
            .ok_or_else(|| invalid_grant("the person is gone or disabled"))?;
        // The person approved what they may be granted: resources they may not use are left
        // out here (checked again now, with the scopes only those define), and when every
        // requested one is, nothing is issued (D-07).
        let requested = self
            .stored_grant_resources(tenant, &request.resources, &request.scopes)
            .await?;
        let all_gone = requested.is_empty() && !request.resources.is_empty();
        let permitted = if all_gone {
            None
        } else {
            self.permitted_for_person(tenant, &user.id, &requested, &request.scopes)
                .await?
        };
        let permitted = permitted.ok_or_else(|| {
            OAuthError::new(
                ErrorCode::AccessDenied,
                "this account may not use the requested API",
            )
        })?;
        let resources: Vec<String> = permitted
            .resources
            .iter()
            .map(|r| r.indicator.clone())
            .collect();
        let grant_id = uuid::Uuid::now_v7().simple().to_string();
        let authorization = UserAuthorization {
            grant_id: &grant_id,
            user: &user,
            scopes: &permitted.scopes,
            resources: &resources,
            requested_resource: params.get("resource"),
            nonce: None,
            session_id: Some(&approval.session_id),
            auth_time: approval.auth_time,
            amr: &approval.amr,
            acr: None,
        };
        self.issue_authorized_tokens(tenant, client, authorization, now)
            .await
    }
}
