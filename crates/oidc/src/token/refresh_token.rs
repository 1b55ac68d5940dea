//! The refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): every refresh
//! replaces the token with a new one of the same family, and presenting a used token again
//! revokes the whole family and its grant, with no grace period (DESIGN, checklist T-01).
//!
//! ```text
//!  RT --find--> check_client -> check_scope -> check_resource -> check_grant -> check_user
//!     (check_resource: RFC 8707 §2.2, `resource` must be one of the grant's; see
//!      `resource_indicators` for the choice without it)
//!     --rotate_refresh_token (atomic)--> Rotated: new AT for the picked resource (+ ID token)
//!                                        + RT' keeping the whole grant (all resources, scopes)
//!                                        Reused{family}: revoke family and grant, invalid_grant
//!                                        Expired | Revoked | NotFound: invalid_grant
//! ```
//!
//! A family keeps the absolute limit of its first token (the application's absolute lifetime
//! counted from the code's redemption); each rotation moves the idle limit, never past it. Every
//! token of a family carries the authentication of the grant (`auth_time`, `amr`, `acr`), so
//! the ID token of a refresh describes the same authentication as the first one (OIDC Core
//! §12.2).
//!
//! ```text
//!  family start (code redeemed at t0): expires_at = t0 + absolute, idle_expires_at = t0 + idle
//!  rotation at t:                      expires_at kept,  idle_expires_at = min(t + idle, expires_at)
//! ```

use super::{UserAuthorization, UserGrantTokens};
use crate::id_token::NewIdToken;
use crate::params::{Params, split_scope};
use crate::resource_indicators::pick_token_resource;
use crate::userinfo::userinfo_audience;
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::{Application, RefreshToken, RotateOutcome};
use gatehouse_crypto::{random_token, sha256};
use gatehouse_types::oauth::TokenResponse;

/// The grant type value.
pub const GRANT_TYPE: &str = "refresh_token";

/// Absolute lifetime of a refresh token family (seconds) unless the application sets its
/// own: 30 days.
pub const REFRESH_TOKEN_LIFETIME: i64 = 30 * 86_400;

/// A refresh token dies when unused for this long (seconds) unless the application sets its
/// own: 14 days.
pub const REFRESH_TOKEN_IDLE: i64 = 14 * 86_400;

/// Lifetimes an application may set (seconds): one minute to 366 days.
pub const REFRESH_TOKEN_TTL_RANGE: std::ops::RangeInclusive<u32> = 60..=366 * 86_400;

/// The absolute and idle lifetimes (seconds) of the application's refresh token families.
pub fn refresh_token_lifetimes(client: &Application) -> (i64, i64) {
    let absolute = client
        .refresh_token_absolute_ttl
        .map_or(REFRESH_TOKEN_LIFETIME, i64::from);
    let idle = client
        .refresh_token_idle_ttl
        .map_or(REFRESH_TOKEN_IDLE, i64::from);
    (absolute, idle)
}

/// Checks an application's refresh token lifetimes (`None`: the default), returning
/// `(field, message)` for each problem. An idle lifetime longer than the absolute one is
/// refused when it is set explicitly; the default idle lifetime is just capped by a shorter
/// absolute one. `blame_absolute` names the absolute lifetime as the culprit when only it
/// was changed (an update lowering it below the stored idle lifetime).
pub fn check_refresh_token_lifetimes(
    absolute: Option<u32>,
    idle: Option<u32>,
    blame_absolute: bool,
) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    let (low, high) = (
        REFRESH_TOKEN_TTL_RANGE.start(),
        REFRESH_TOKEN_TTL_RANGE.end(),
    );
    let range = format!("must be between {low} and {high} seconds");
    for (field, value) in [
        ("refresh_token_absolute_ttl", absolute),
        ("refresh_token_idle_ttl", idle),
    ] {
        if value.is_some_and(|seconds| !REFRESH_TOKEN_TTL_RANGE.contains(&seconds)) {
            errors.push((field, range.clone()));
        }
    }
    if errors.is_empty()
        && let Some(idle) = idle
    {
        let absolute = absolute.map_or(REFRESH_TOKEN_LIFETIME, i64::from);
        if i64::from(idle) > absolute {
            errors.push(if blame_absolute {
                (
                    "refresh_token_absolute_ttl",
                    format!("must not be shorter than refresh_token_idle_ttl ({idle} seconds)"),
                )
            } else {
                (
                    "refresh_token_idle_ttl",
                    format!(
                        "must not exceed the absolute lifetime (refresh_token_absolute_ttl, \
                         {absolute} seconds)"
                    ),
                )
            });
        }
    }
    errors
}

/// Checks the lifetimes an update leaves: `stored` is `(absolute, idle)` as stored, `changes`
/// the update's (`None`: kept, `Some(None)`: back to the default). Blames the field the update
/// names; nothing to check when it names neither.
pub fn check_refresh_token_lifetime_update(
    stored: (Option<u32>, Option<u32>),
    changes: (Option<Option<u32>>, Option<Option<u32>>),
) -> Vec<(&'static str, String)> {
    match changes {
        (None, None) => Vec::new(),
        (absolute, idle) => check_refresh_token_lifetimes(
            absolute.unwrap_or(stored.0),
            idle.unwrap_or(stored.1),
            idle.is_none(),
        ),
    }
}

fn invalid_grant(detail: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "the refresh token is invalid, expired or revoked",
    )
    .with_detail(detail.to_owned())
}

/// A new random token (returned) and the hash it is stored under.
fn new_token() -> (String, Vec<u8>) {
    let token = random_token(32);
    let hash = sha256(token.as_bytes()).to_vec();
    (token, hash)
}

/// The first refresh token of the family a user authorization starts (returned) and its
/// record (to store): the authorization's grant, scopes, resource and authentication, the
/// client's lifetimes.
pub(crate) fn first_refresh_token(
    origin: &UserAuthorization<'_>,
    client: &Application,
    now: i64,
) -> (String, RefreshToken) {
    let (token, token_hash) = new_token();
    let (absolute, idle) = refresh_token_lifetimes(client);
    let expires_at = now.saturating_add(absolute);
    let record = RefreshToken {
        token_hash,
        family_id: origin.grant_id.to_owned(),
        client_id: client.id.clone(),
        user_id: origin.user.id.clone(),
        // Issued for offline_access: the family outlives the browser session.
        session_id: None,
        scopes: origin.scopes.to_vec(),
        resources: origin.resources.to_vec(),
        auth_time: origin.auth_time,
        amr: origin.amr.to_vec(),
        acr: origin.acr.map(str::to_owned),
        created_at: now,
        expires_at,
        idle_expires_at: now.saturating_add(idle).min(expires_at),
        used_at: None,
        revoked_at: None,
    };
    (token, record)
}

/// The successor of `old` (returned) and its record (to store): everything but the secret and
/// the idle limit is inherited, so rotation never extends the family's absolute end.
fn rotated_refresh_token(
    old: &RefreshToken,
    client: &Application,
    now: i64,
) -> (String, RefreshToken) {
    let (token, token_hash) = new_token();
    let (_, idle) = refresh_token_lifetimes(client);
    let record = RefreshToken {
        token_hash,
        created_at: now,
        idle_expires_at: now.saturating_add(idle).min(old.expires_at),
        used_at: None,
        revoked_at: None,
        ..old.clone()
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

/// The resource the new access token is for (`None`: UserInfo), among the family's grant.
/// RFC 8707 §2.2: a resource named at refresh must be one the original grant covers, else
/// `invalid_target`; checked before rotating, so the refresh token stays usable.
fn check_resource<'a>(
    tenant: &TenantContext,
    token: &'a RefreshToken,
    params: &Params,
) -> Result<Option<&'a str>, OAuthError> {
    pick_token_resource(
        &token.resources,
        &token.scopes,
        params.get("resource"),
        &userinfo_audience(&tenant.issuer),
    )
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
        let resource = check_resource(tenant, &old, params)?;
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
        // Resolved before rotating: a resource deleted since the grant is invalid_target and
        // the refresh token stays usable (a rotation whose answer is lost would look like
        // reuse on the next try and revoke the family).
        let target = self.token_target(tenant, client, &scopes, resource).await?;
        let now = self.now();
        // RFC 6749 §6: the new refresh token's scope is identical to the old one's; it keeps
        // every resource of the grant too, so a later refresh may pick any of them.
        let (token, new) = rotated_refresh_token(&old, client, now);
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
        // OIDC Core §12.2: iss, sub, aud, auth_time (and amr, acr) as in the first ID token;
        // no nonce. An auth_time of 0 was never recorded (tokens from before migration 0006).
        let id_token = scopes.iter().any(|s| s == "openid").then(|| NewIdToken {
            sub: &user.id,
            client_id: &client.id,
            auth_time: (old.auth_time > 0).then_some(old.auth_time),
            sid: old.session_id.as_deref(),
            amr: &old.amr,
            acr: old.acr.as_deref(),
            ..NewIdToken::default()
        });
        self.issue_user_tokens(
            tenant,
            UserGrantTokens {
                grant_id: &old.family_id,
                client_id: &client.id,
                user_id: &user.id,
                target,
                id_token,
                refresh_token: Some(token),
                session_id: old.session_id.as_deref(),
            },
        )
        .await
    }
}
