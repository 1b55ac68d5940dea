//! Personal access tokens: a person creates, lists and revokes their own (Account API), an
//! administrator does it for anyone (Management API). A PAT is only ever exchanged at the
//! token endpoint for a short-lived access token (`token::token_exchange`); revoking it also
//! revokes the access tokens it was exchanged for (their grant is `pat:<id>`).

use crate::management::{FieldErrors, ManagementError, new_id};
use crate::{Engine, TenantContext};
use gatehouse_core::PersonalAccessToken;
use gatehouse_core::pat::PAT_PREFIX;
use gatehouse_core::validate::check_display_name;
use gatehouse_crypto::{random_token, sha256};
use gatehouse_store::StoreError;
use gatehouse_types::account::{
    CreatePersonalAccessToken, CreatedPersonalAccessToken, PersonalAccessTokenInfo,
};

/// Longest lifetime of a personal access token (days).
pub const PAT_MAX_DAYS: u32 = 366;

/// Most tokens one person holds (expired ones count until they are purged).
pub const MAX_PATS_PER_USER: usize = 100;

/// Most scopes one token carries.
const MAX_PAT_SCOPES: usize = 32;

/// The grant id of the access tokens a PAT was exchanged for.
pub fn pat_grant_id(pat_id: &str) -> String {
    format!("pat:{pat_id}")
}

/// The listed view of a token.
pub fn pat_view(token: &PersonalAccessToken) -> PersonalAccessTokenInfo {
    PersonalAccessTokenInfo {
        id: token.id.clone(),
        name: token.name.clone(),
        scopes: token.scopes.clone(),
        created_at: token.created_at,
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
    }
}

/// Checks a new token's body; scopes are scope tokens (RFC 6749 §3.3: printable ASCII
/// without spaces, quotes or backslashes), distinct.
fn check_new_pat(body: &CreatePersonalAccessToken) -> Result<Vec<String>, ManagementError> {
    let mut errors = FieldErrors::default();
    errors.check("name", check_display_name(&body.name));
    let legal = |scope: &str| {
        !scope.is_empty()
            && scope.len() <= 128
            && scope
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    };
    let mut scopes: Vec<String> = Vec::new();
    for scope in &body.scopes {
        if !legal(scope) {
            errors.add("scopes", "each scope is printable ASCII without spaces");
        } else if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    if scopes.is_empty() || scopes.len() > MAX_PAT_SCOPES {
        errors.add("scopes", format!("give 1 to {MAX_PAT_SCOPES} scopes"));
    }
    if !(1..=PAT_MAX_DAYS).contains(&body.expires_in_days) {
        errors.add(
            "expires_in_days",
            format!("must be between 1 and {PAT_MAX_DAYS}"),
        );
    }
    errors.into_result()?;
    Ok(scopes)
}

impl Engine {
    /// Creates a personal access token for a person; the secret is in the answer only.
    pub async fn create_pat(
        &self,
        tenant: &TenantContext,
        user_id: &str,
        body: CreatePersonalAccessToken,
    ) -> Result<CreatedPersonalAccessToken, ManagementError> {
        let scopes = check_new_pat(&body)?;
        let held = self.store.list_pats_for_user(tenant.id(), user_id).await?;
        if held.len() >= MAX_PATS_PER_USER {
            return Err(ManagementError::Conflict(format!(
                "a person holds at most {MAX_PATS_PER_USER} personal access tokens: revoke some first"
            )));
        }
        let now = self.now();
        let token = format!("{PAT_PREFIX}{}", random_token(32));
        let record = PersonalAccessToken {
            id: new_id(),
            user_id: user_id.to_owned(),
            name: body.name,
            token_hash: sha256(token.as_bytes()).to_vec(),
            scopes,
            created_at: now,
            expires_at: now.saturating_add(i64::from(body.expires_in_days) * 86_400),
            last_used_at: None,
        };
        self.store
            .insert_pat(tenant.id(), &record)
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => ManagementError::NotFound("user"),
                other => other.into(),
            })?;
        Ok(CreatedPersonalAccessToken {
            token,
            info: pat_view(&record),
        })
    }

    /// A person's tokens, newest first.
    pub async fn list_pats(
        &self,
        tenant: &TenantContext,
        user_id: &str,
    ) -> Result<Vec<PersonalAccessTokenInfo>, ManagementError> {
        let tokens = self.store.list_pats_for_user(tenant.id(), user_id).await?;
        Ok(tokens.iter().map(pat_view).collect())
    }

    /// Revokes one of a person's tokens and the access tokens it was exchanged for.
    pub async fn revoke_pat(
        &self,
        tenant: &TenantContext,
        user_id: &str,
        id: &str,
    ) -> Result<(), ManagementError> {
        let token = self
            .store
            .list_pats_for_user(tenant.id(), user_id)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(ManagementError::NotFound("token"))?;
        let now = self.now();
        // Access tokens from an exchange live at most an hour past now.
        let until = now.saturating_add(crate::token::token_exchange::MAX_EXCHANGED_TTL.into());
        self.store
            .revoke_grant(tenant.id(), &pat_grant_id(&token.id), now, until)
            .await?;
        self.store
            .delete_pat(tenant.id(), user_id, id)
            .await
            .map_err(|error| match error {
                StoreError::NotFound => ManagementError::NotFound("token"),
                other => other.into(),
            })
    }
}
