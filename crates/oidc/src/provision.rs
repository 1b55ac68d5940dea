//! Creating tenants with everything a tenant has from the start: the Management API resource,
//! the built-in CLI application and a signing key. Safe to race: two replicas starting at once
//! on an empty database both end up using the one tenant that won the insert.

use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::validate::check_tenant_name;
use gatehouse_core::{
    ApiResource, Application, ApplicationType, CLI_CLIENT_ID, MANAGEMENT_RESOURCE_ID,
    MANAGEMENT_SCOPE, MANAGEMENT_STORED_INDICATOR, ROOT_TENANT, ResourceScope, Tenant,
};
use gatehouse_store::StoreError;
use std::sync::Arc;

/// Why a tenant could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The name is not valid.
    #[error("invalid tenant name: {0}")]
    InvalidName(String),
    /// A tenant with that name exists.
    #[error("a tenant named {0} already exists")]
    Exists(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Keys could not be created.
    #[error("{0}")]
    Keys(OAuthError),
}

/// Default access token lifetime of the Management API (seconds).
const MANAGEMENT_TOKEN_TTL: u32 = 900;

impl Engine {
    /// Creates a tenant with its built-in resource, CLI application and first signing key.
    pub async fn create_tenant(&self, name: &str) -> Result<Arc<TenantContext>, ProvisionError> {
        check_tenant_name(name).map_err(ProvisionError::InvalidName)?;
        let now = self.now();
        let tenant = Tenant {
            id: uuid::Uuid::now_v7().simple().to_string(),
            name: name.to_owned(),
            created_at: now,
        };
        match self.store.insert_tenant(&tenant).await {
            Err(StoreError::Conflict(_)) => return Err(ProvisionError::Exists(name.to_owned())),
            other => other?,
        }
        let store = &self.store;
        store
            .insert_resource(&tenant.id, &management_resource(now))
            .await?;
        store
            .insert_application(&tenant.id, &cli_application(now))
            .await?;
        let key = self
            .keys
            .new_key(&tenant.id, self.config.signing_alg, now, now)
            .map_err(ProvisionError::Keys)?;
        store.insert_signing_key(&tenant.id, &key).await?;
        Ok(Arc::new(self.context_for(tenant)))
    }

    /// The root tenant, created on first start.
    pub async fn ensure_root_tenant(&self) -> Result<Arc<TenantContext>, ProvisionError> {
        if let Some(found) = self.tenant(ROOT_TENANT).await? {
            return Ok(found);
        }
        match self.create_tenant(ROOT_TENANT).await {
            Ok(created) => Ok(created),
            // Another replica created it first.
            Err(ProvisionError::Exists(_)) => self
                .tenant(ROOT_TENANT)
                .await?
                .ok_or(ProvisionError::Store(StoreError::NotFound)),
            Err(other) => Err(other),
        }
    }
}

fn management_resource(now: i64) -> ApiResource {
    ApiResource {
        id: MANAGEMENT_RESOURCE_ID.to_owned(),
        name: "Gatehouse Management API".to_owned(),
        indicator: MANAGEMENT_STORED_INDICATOR.to_owned(),
        access_token_ttl: MANAGEMENT_TOKEN_TTL,
        scopes: vec![ResourceScope {
            name: MANAGEMENT_SCOPE.to_owned(),
            description: "Full access to the Management API".to_owned(),
        }],
        builtin: true,
        created_at: now,
        updated_at: now,
    }
}

fn cli_application(now: i64) -> Application {
    Application {
        id: CLI_CLIENT_ID.to_owned(),
        name: "Gatehouse CLI".to_owned(),
        app_type: ApplicationType::Native,
        redirect_uris: vec!["http://127.0.0.1/callback".to_owned()],
        post_logout_redirect_uris: Vec::new(),
        third_party: false,
        // The CLI falls back to the device flow where no browser can be opened.
        device_flow: true,
        builtin: true,
        resource_grants: Vec::new(),
        refresh_token_absolute_ttl: None,
        refresh_token_idle_ttl: None,
        jwks: None,
        created_at: now,
        updated_at: now,
    }
}
