//! The refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): every refresh
//! replaces the token with a new one of the same family, and presenting a used token again
//! revokes the whole family and its grant, with no grace period (DESIGN, checklist T-01).
//!
//! ```text
//!  RT --find--> check_client -> check_scope -> check_resource -> check_grant -> check_user
//!     --rotate_refresh_token (atomic)--> Rotated: new AT (+ ID token) + RT'
//!                                        Reused{family}: revoke family and grant, invalid_grant
//!                                        Expired | Revoked | NotFound: invalid_grant
//! ```
//!
//! A family keeps the absolute limit of its first token; each rotation moves the idle limit.

use super::UserGrantTokens;
use crate::id_token::NewIdToken;
use crate::params::{Params, split_scope};
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::{Application, RefreshToken, RotateOutcome};
use gatehouse_crypto::{random_token, sha256};
use gatehouse_types::oauth::TokenResponse;

/// The grant type value.
pub const GRANT_TYPE: &str = "refresh_token";

/// Absolute lifetime of a refresh token family (seconds): 30 days.
pub const REFRESH_TOKEN_LIFETIME: i64 = 30 * 86_400;

/// A refresh token dies when unused for this long (seconds): 14 days.
pub const REFRESH_TOKEN_IDLE: i64 = 14 * 86_400;

fn invalid_grant(detail: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "the refresh token is invalid, expired or revoked",
    )
    .with_detail(detail.to_owned())
}

/// A new refresh token (returned) and its record (to store): the first of a family.
pub(crate) fn new_refresh_token(
    family_id: &str,
    client: &Application,
    user_id: &str,
    scopes: &[String],
    resource: Option<&str>,
    now: i64,
) -> (String, RefreshToken) {
    let token = random_token(32);
    let expires_at = now.saturating_add(REFRESH_TOKEN_LIFETIME);
    let record = RefreshToken {
        token_hash: sha256(token.as_bytes()).to_vec(),
        family_id: family_id.to_owned(),
        client_id: client.id.clone(),
        user_id: user_id.to_owned(),
        // Issued for offline_access: the family outlives the browser session.
        session_id: None,
        scopes: scopes.to_vec(),
        resource: resource.map(str::to_owned),
        created_at: now,
        expires_at,
        idle_expires_at: now.saturating_add(REFRESH_TOKEN_IDLE).min(expires_at),
        used_at: None,
        revoked_at: None,
    };
    (token, record)
}

fn check_client(token: &RefreshToken, client: &Application) -> Result<(), OAuthError> {
    // RFC 6749 §6: the refresh token MUST be bound to the client it was issued to (T-03).
    if token.client_id != client.id {
        return Err(invalid_grant("refresh token of another client"));
    }
    Ok(())
}

/// The access token's scopes: the original ones, or a subset of them (RFC 6749 §6, T-05).
fn check_scope(token: &RefreshToken, params: &Params) -> Result<Vec<String>, OAuthError> {
    let requested = split_scope(params.get("scope"));
    if requested.is_empty() {
        return Ok(token.scopes.clone());
    }
    if requested.iter().any(|scope| !token.scopes.contains(scope)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "the requested scope exceeds the scope originally granted",
        ));
    }
    Ok(requested)
}

/// RFC 8707 §2.2: a resource named at refresh must be one of the original grant.
fn check_resource<'a>(
    token: &'a RefreshToken,
    params: &Params,
) -> Result<Option<&'a str>, OAuthError> {
    match params.get("resource") {
        None => Ok(token.resource.as_deref()),
        Some(requested) if token.resource.as_deref() == Some(requested) => {
            Ok(token.resource.as_deref())
        }
        Some(_) => Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "the resource is not part of the original grant",
        )),
    }
}

impl Engine {
    /// Exchanges a refresh token of an authenticated client for new tokens.
    pub async fn handle_refresh_token(
        &self,
        tenant: &TenantContext,
        client: &Application,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let presented = params.require("refresh_token")?;
        let old_hash = sha256(presented.as_bytes());
        let old = self
            .store
            .find_refresh_token(tenant.id(), &old_hash)
            .await?
            .ok_or_else(|| invalid_grant("unknown refresh token"))?;
        // Checked before rotating, so a foreign client or a bad request burns nothing.
        check_client(&old, client)?;
        let scopes = check_scope(&old, params)?;
        let resource = check_resource(&old, params)?;
        // A code replay may have revoked the grant before this family's first token existed.
        if self
            .store
            .is_grant_revoked(tenant.id(), &old.family_id)
            .await?
        {
            return Err(invalid_grant("the grant was revoked"));
        }
        let user = self
            .store
            .find_user(tenant.id(), &old.user_id)
            .await?
            .filter(|user| !user.disabled)
            .ok_or_else(|| invalid_grant("the user is gone or disabled"))?;
        let now = self.now();
        let (token, mut new) = new_refresh_token(
            &old.family_id,
            client,
            &user.id,
            // RFC 6749 §6: the new refresh token's scope is identical to the old one's.
            &old.scopes,
            old.resource.as_deref(),
            now,
        );
        new.session_id = old.session_id.clone();
        new.expires_at = old.expires_at;
        new.idle_expires_at = new.idle_expires_at.min(old.expires_at);
        match self
            .store
            .rotate_refresh_token(tenant.id(), &old_hash, &new, now)
            .await?
        {
            RotateOutcome::Rotated(_) => {}
            RotateOutcome::Reused { family_id } => {
                // RFC 9700 §4.14.2: reuse of a rotated token revokes the active one too.
                let until = now.saturating_add(self.config.max_token_lifetime);
                self.store
                    .revoke_family(tenant.id(), &family_id, now)
                    .await?;
                self.store
                    .revoke_grant(tenant.id(), &family_id, now, until)
                    .await?;
                return Err(invalid_grant("refresh token reused: family revoked"));
            }
            RotateOutcome::Expired => return Err(invalid_grant("refresh token expired")),
            RotateOutcome::Revoked => return Err(invalid_grant("refresh token revoked")),
            RotateOutcome::NotFound => return Err(invalid_grant("unknown refresh token")),
        }
        // OIDC Core §12.2: no nonce; the authentication time is not kept with the family.
        let id_token = scopes.iter().any(|s| s == "openid").then(|| NewIdToken {
            sub: &user.id,
            client_id: &client.id,
            sid: old.session_id.as_deref(),
            ..NewIdToken::default()
        });
        self.issue_user_tokens(
            tenant,
            UserGrantTokens {
                grant_id: &old.family_id,
                client_id: &client.id,
                user_id: &user.id,
                scopes: &scopes,
                resource,
                id_token,
                refresh_token: Some(token),
                session_id: old.session_id.as_deref(),
            },
        )
        .await
    }
}
