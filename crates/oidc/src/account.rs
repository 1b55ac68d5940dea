//! The Account API's rules: a person, authenticated by an access token for the tenant's
//! Account API (`<issuer>/api/my-account`), lists and ends their own sessions (checklist S-10)
//! and lists and revokes the consent they gave applications (P-29, T-06). The resource is
//! built in and derived from the issuer, like the Management API's, and only first-party
//! applications may request tokens for it: a third-party app must never manage the person's
//! sessions or consents.

use crate::access_token::TokenRejection;
use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::user::User;
use gatehouse_core::{ApiResource, Application, ApplicationType};
use gatehouse_types::account::{AccountConsent, AccountSession};
use gatehouse_types::oauth::AccessTokenClaims;

/// Id of the built-in Account API resource.
pub const ACCOUNT_RESOURCE_ID: &str = "account-api";

/// Path of the Account API below the issuer.
pub const ACCOUNT_API_PATH: &str = "/api/my-account";

/// Lifetime of Account API access tokens (seconds).
pub const ACCOUNT_TOKEN_TTL: u32 = 900;

/// The Account API's resource indicator for an issuer.
pub fn account_indicator(issuer: &str) -> String {
    format!("{issuer}{ACCOUNT_API_PATH}")
}

/// The built-in Account API resource of a tenant (never stored).
pub fn account_resource(tenant: &TenantContext) -> ApiResource {
    ApiResource {
        id: ACCOUNT_RESOURCE_ID.to_owned(),
        name: "Account API".to_owned(),
        indicator: account_indicator(&tenant.issuer),
        access_token_ttl: ACCOUNT_TOKEN_TTL,
        scopes: Vec::new(),
        builtin: true,
        created_at: 0,
        updated_at: 0,
    }
}

/// Whether a client may request Account API tokens: first-party user-facing apps only.
pub fn may_use_account_api(client: &Application) -> bool {
    !client.third_party && client.app_type != ApplicationType::M2m
}

/// Why an Account API call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AccountError {
    /// No, a malformed, expired, revoked or foreign token: 401.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The session or consent does not exist for this person: 404.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The store failed: 503.
    #[error("storage unavailable")]
    Unavailable(OAuthError),
}

impl From<gatehouse_store::StoreError> for AccountError {
    fn from(error: gatehouse_store::StoreError) -> Self {
        Self::Unavailable(error.into())
    }
}

/// The authenticated person behind an Account API call.
#[derive(Debug, Clone)]
pub struct AccountCaller {
    /// The person.
    pub user: User,
    /// The token's claims (its `sid` marks the current session).
    pub claims: AccessTokenClaims,
}

impl Engine {
    /// Authenticates an Account API call: a valid access token whose audience is this
    /// tenant's Account API and whose user exists and is enabled.
    pub async fn authenticate_account(
        &self,
        tenant: &TenantContext,
        bearer: &str,
    ) -> Result<AccountCaller, AccountError> {
        let claims = self
            .verify_access_token(tenant, bearer)
            .await
            .map_err(|rejection| match rejection {
                TokenRejection::Unavailable(error) => AccountError::Unavailable(error),
                TokenRejection::Expired => AccountError::Unauthenticated("the token expired"),
                TokenRejection::Revoked => AccountError::Unauthenticated("the token was revoked"),
                TokenRejection::Invalid => AccountError::Unauthenticated("the token is invalid"),
            })?;
        if claims.aud != account_indicator(&tenant.issuer) || claims.grant_id.is_none() {
            return Err(AccountError::Unauthenticated(
                "the token is not for the Account API",
            ));
        }
        let user = self
            .store
            .find_user(tenant.id(), &claims.sub)
            .await?
            .filter(|user| !user.disabled)
            .ok_or(AccountError::Unauthenticated(
                "the user is gone or disabled",
            ))?;
        Ok(AccountCaller { user, claims })
    }

    /// The caller's live sessions, newest first.
    pub async fn list_account_sessions(
        &self,
        tenant: &TenantContext,
        caller: &AccountCaller,
    ) -> Result<Vec<AccountSession>, AccountError> {
        let sessions = self
            .store
            .list_sessions_for_user(tenant.id(), &caller.user.id, self.now())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|s| AccountSession {
                current: caller.claims.sid.as_deref() == Some(s.id.as_str()),
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at.min(s.idle_expires_at),
                user_agent: s.user_agent,
                ip: s.ip,
                persistent: s.persistent,
            })
            .collect())
    }

    /// Ends one of the caller's sessions (on every replica at once: sessions live in the
    /// database). Another person's session id answers `NotFound`, like an unknown one.
    pub async fn end_account_session(
        &self,
        tenant: &TenantContext,
        caller: &AccountCaller,
        session_id: &str,
    ) -> Result<(), AccountError> {
        let owned = self
            .store
            .list_sessions_for_user(tenant.id(), &caller.user.id, self.now())
            .await?
            .iter()
            .any(|s| s.id == session_id);
        if !owned {
            return Err(AccountError::NotFound("session"));
        }
        match self.store.delete_session(tenant.id(), session_id).await {
            Ok(()) | Err(gatehouse_store::StoreError::NotFound) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// The caller's consents, most recent first, with application names.
    pub async fn list_account_consents(
        &self,
        tenant: &TenantContext,
        caller: &AccountCaller,
    ) -> Result<Vec<AccountConsent>, AccountError> {
        let consents = self
            .store
            .list_consents_for_user(tenant.id(), &caller.user.id)
            .await?;
        let mut listed = Vec::with_capacity(consents.len());
        for consent in consents {
            let client_name = self
                .store
                .find_application(tenant.id(), &consent.client_id)
                .await?
                .map(|app| app.name)
                .unwrap_or_default();
            listed.push(AccountConsent {
                client_id: consent.client_id,
                client_name,
                scopes: consent.scopes,
                resources: consent.resources,
                created_at: consent.created_at,
                updated_at: consent.updated_at,
            });
        }
        Ok(listed)
    }

    /// Revokes the caller's consent for an application and every refresh token family
    /// (and the access tokens of those grants) the application holds for them (T-06).
    pub async fn revoke_account_consent(
        &self,
        tenant: &TenantContext,
        caller: &AccountCaller,
        client_id: &str,
    ) -> Result<(), AccountError> {
        match self
            .store
            .delete_consent(tenant.id(), &caller.user.id, client_id)
            .await
        {
            Ok(()) => {}
            Err(gatehouse_store::StoreError::NotFound) => {
                return Err(AccountError::NotFound("consent"));
            }
            Err(error) => return Err(error.into()),
        }
        self.store
            .revoke_grants_for_client_user(tenant.id(), client_id, &caller.user.id, self.now())
            .await?;
        Ok(())
    }
}
