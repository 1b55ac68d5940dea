//! Tenant administrators: who may use the Management API as a person (through the
//! authorization code flow, for example from the CLI), as opposed to machine clients whose
//! access comes from their resource grants. The first administrator is created once by
//! `gatehouse admin bootstrap` ([`Engine::bootstrap_admin`]); there is no default one.
//!
//! The rule is checked twice: when a person is granted resources (the Management API is left
//! out of the grant with its scope, and a request that named nothing else is refused with
//! `access_denied`; see `resource_indicators`), and on every Management API call made with a
//! person's token (so a deleted, disabled or demoted administrator loses access at once, on
//! every replica).

use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::{ApiResource, MANAGEMENT_RESOURCE_ID};

impl Engine {
    /// Whether the user exists, is enabled and administers the tenant.
    pub async fn is_active_admin(
        &self,
        tenant: &TenantContext,
        user_id: &str,
    ) -> Result<bool, OAuthError> {
        let enabled = self
            .store
            .find_user(tenant.id(), user_id)
            .await?
            .is_some_and(|user| !user.disabled);
        Ok(enabled && self.store.is_admin(tenant.id(), user_id).await?)
    }

    /// Whether a person may obtain a token for `resource`: anyone for ordinary APIs, only
    /// administrators for the Management API.
    pub async fn may_access_resource(
        &self,
        tenant: &TenantContext,
        user_id: &str,
        resource: &ApiResource,
    ) -> Result<bool, OAuthError> {
        if resource.id != MANAGEMENT_RESOURCE_ID {
            return Ok(true);
        }
        self.is_active_admin(tenant, user_id).await
    }
}
