//! Token exchange (RFC 8693) of a personal access token for a short-lived access token: the
//! long-lived secret travels only to the token endpoint, and APIs see tokens of at most an
//! hour that never outlive the PAT. The subject token type is Gatehouse's own
//! [`PAT_TOKEN_TYPE`]; other types are refused (checklist X-01), never handled as another
//! grant (X-06).
//!
//! ```text
//!  subject_token (gh_pat_...) --hash lookup--> PAT (unexpired, person enabled)
//!    scope ⊆ PAT scopes (X-03) -- resource: known, person may use it (Management API: admins)
//!    -> access token: aud = resource or UserInfo, exp <= min(1 h, resource TTL, PAT expiry)
//!       (X-04), grant pat:<id> (revoking the PAT revokes it), no refresh token
//! ```

use crate::access_token::NewAccessToken;
use crate::params::{Params, split_scope};
use crate::pat::pat_grant_id;
use crate::userinfo::{USERINFO_ACCESS_TOKEN_TTL, userinfo_audience};
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::Application;
use gatehouse_core::pat::PAT_PREFIX;
use gatehouse_crypto::sha256;
use gatehouse_types::oauth::TokenResponse;

/// The grant type (RFC 8693 §2.1).
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The subject token type of a Gatehouse personal access token.
pub const PAT_TOKEN_TYPE: &str = "urn:gatehouse:params:oauth:token-type:personal_access_token";

/// The issued token type (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Longest lifetime of an exchanged access token (seconds).
pub const MAX_EXCHANGED_TTL: u32 = 3600;

/// Longest subject token accepted: PATs are 50 characters; anything huge is refused early.
const MAX_SUBJECT_TOKEN_LEN: usize = 256;

fn invalid_subject(detail: &str) -> OAuthError {
    // RFC 8693 §2.2.2: an invalid subject_token is invalid_request.
    OAuthError::invalid_request("the subject_token is invalid or expired")
        .with_detail(detail.to_owned())
}

impl Engine {
    /// Exchanges a personal access token for an access token.
    pub async fn handle_token_exchange(
        &self,
        tenant: &TenantContext,
        client: &Application,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let subject = params.require("subject_token")?;
        if params.require("subject_token_type")? != PAT_TOKEN_TYPE {
            return Err(OAuthError::invalid_request(
                "subject_token_type must be a Gatehouse personal access token",
            ));
        }
        if params.get("actor_token").is_some() {
            return Err(OAuthError::invalid_request(
                "actor tokens are not supported",
            ));
        }
        if subject.len() > MAX_SUBJECT_TOKEN_LEN || !subject.starts_with(PAT_PREFIX) {
            return Err(invalid_subject("not a personal access token"));
        }
        let now = self.now();
        let pat = self
            .store
            .find_pat_by_hash(tenant.id(), &sha256(subject.as_bytes()))
            .await?
            .filter(|pat| pat.expires_at > now)
            .ok_or_else(|| invalid_subject("unknown or expired personal access token"))?;
        let user = self
            .store
            .find_user(tenant.id(), &pat.user_id)
            .await?
            .filter(|user| !user.disabled)
            .ok_or_else(|| invalid_subject("the person is gone or disabled"))?;
        // X-03: at most the PAT's scopes.
        let scopes = match params.get("scope") {
            Some(_) => split_scope(params.get("scope")),
            None => pat.scopes.clone(),
        };
        if scopes.iter().any(|scope| !pat.scopes.contains(scope)) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "a requested scope is not one of the personal access token's",
            ));
        }
        let (audience, resource_ttl, resource_scopes) = match params.get("resource") {
            Some(indicator) => {
                let resource = self
                    .find_resource_by_indicator(tenant, indicator)
                    .await?
                    .ok_or_else(|| OAuthError::new(ErrorCode::InvalidTarget, "unknown resource"))?;
                if !self
                    .may_access_resource(tenant, &user.id, &resource)
                    .await?
                {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidTarget,
                        "this account may not use the requested resource",
                    ));
                }
                let names: Vec<String> = resource.scopes.iter().map(|s| s.name.clone()).collect();
                (indicator.to_owned(), resource.access_token_ttl, names)
            }
            None => (
                userinfo_audience(&tenant.issuer),
                USERINFO_ACCESS_TOKEN_TTL,
                Vec::new(),
            ),
        };
        // Scopes the audience understands: its own, or the standard OpenID ones.
        let granted: Vec<String> = scopes
            .into_iter()
            .filter(|scope| {
                resource_scopes.contains(scope)
                    || crate::authorize::STANDARD_SCOPES.contains(&scope.as_str())
            })
            .filter(|scope| scope != "offline_access")
            .collect();
        if granted.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "none of the personal access token's scopes applies to this audience",
            ));
        }
        // X-04: never past the PAT's own expiry.
        let remaining = u32::try_from((pat.expires_at - now).max(1)).unwrap_or(u32::MAX);
        let ttl = resource_ttl.min(MAX_EXCHANGED_TTL).min(remaining);
        let scope = granted.join(" ");
        let grant_id = pat_grant_id(&pat.id);
        let (access_token, _) = self
            .mint_grant_access_token(
                tenant,
                NewAccessToken {
                    sub: &user.id,
                    aud: &audience,
                    client_id: &client.id,
                    scope: &scope,
                    ttl,
                    sid: None,
                },
                Some(&grant_id),
            )
            .await?;
        if let Err(error) = self.store.touch_pat(tenant.id(), &pat.id, now).await {
            tracing::warn!(pat = %pat.id, %error, "could not record a personal access token's use");
        }
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: u64::from(ttl),
            scope: Some(scope),
            refresh_token: None,
            id_token: None,
            issued_token_type: Some(ACCESS_TOKEN_TYPE.to_owned()),
        })
    }
}
